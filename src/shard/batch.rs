//! A batch: the single-shard commands one connection read in one go that belong to one
//! shard, carried in one message (one hop per destination per read, not per command).
//! The shard runs them in order, appends each reply to `out` and records where it
//! ends, then hands the whole batch back; the connection reuses its buffers.

use std::sync::Arc;

use crate::protocol::args::ArgsBuf;
use crate::protocol::reply::RespVersion;
use crate::runtime::oneshot::OneShot;
use crate::util::buf::clear_and_trim;

use super::ShardCtx;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;

/// A handler that runs on the shard owning the command's keys.
pub type ShardHandler = fn(&mut ShardCtx, Args, &mut Reply);

/// Where a command's keys are, as in Redis's legacy key spec: `first..=last` (a negative
/// `last` counts from the end) every `step`; plus, for commands with a key count
/// (ZUNIONSTORE, SINTERCARD, LMPOP, ...), `numkeys_at`: the index of the count, the keys
/// following it. COMMAND INFO shows only the legacy triple, as Redis does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyPositions {
    pub first: i16,
    pub last: i16,
    pub step: i16,
    /// Index of the `numkeys` argument; 0 when the command has none.
    pub numkeys_at: i16,
}

impl KeyPositions {
    pub const NONE: KeyPositions = KeyPositions {
        first: 0,
        last: 0,
        step: 0,
        numkeys_at: 0,
    };

    /// Every key index of this command's `args`: the fixed positions, then the counted
    /// keys. A count that is not a positive integer fitting the arguments gives no
    /// counted keys (the handler replies the error).
    pub fn of(self, args: Args) -> impl Iterator<Item = usize> {
        self.indexes(args.len()).chain(self.counted(args))
    }

    fn counted(self, args: Args) -> std::ops::Range<usize> {
        if self.numkeys_at <= 0 {
            return 0..0;
        }
        let at = self.numkeys_at as usize;
        let count = args
            .get(at)
            .and_then(crate::util::num::parse_i64)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0 && n <= args.len().saturating_sub(at + 1));
        match count {
            Some(n) => at + 1..at + 1 + n,
            None => 0..0,
        }
    }

    /// The indexes of the key arguments for a command of `argc` arguments.
    pub fn indexes(self, argc: usize) -> impl Iterator<Item = usize> {
        let first = self.first.max(0) as usize;
        let last = if self.last < 0 {
            argc as i64 + self.last as i64
        } else {
            self.last as i64
        };
        let last = last.min(argc as i64 - 1);
        let step = self.step.max(1) as usize;
        let end = if self.first <= 0 || last < first as i64 {
            first
        } else {
            last as usize + 1
        };
        (first..end).step_by(step)
    }
}

/// What a batch needs to know of a command besides its handler and keys.
#[derive(Clone, Copy)]
pub struct CmdTraits {
    pub write: bool,
    pub denyoom: bool,
    pub name: &'static str,
}

#[derive(Clone, Copy)]
pub struct BatchCmd {
    pub run: ShardHandler,
    pub keys: KeyPositions,
    pub write: bool,
    /// May grow memory: refused with OOM when over maxmemory and nothing can be evicted.
    pub denyoom: bool,
    /// The command's full name, for the connection's statistics (the shard ignores it).
    pub name: &'static str,
    /// Range of this command's arguments within `Batch::args`.
    pub first_arg: u32,
    pub argc: u32,
    /// How long the command ran on the shard, in [`crate::runtime::clock`] ticks (for
    /// the connection's statistics).
    pub ticks: u64,
}

#[derive(Default)]
pub struct Batch {
    pub db: usize,
    pub resp: RespVersion,
    pub args: ArgsBuf,
    pub cmds: Vec<BatchCmd>,
    /// Index of the next command to run (a batch can park halfway behind a lock).
    pub next: usize,
    pub out: Vec<u8>,
    /// End offset in `out` of each command's reply.
    pub reply_ends: Vec<usize>,
    /// Where the finished batch goes back to (set while the batch is in flight).
    pub done: Option<Arc<OneShot<Box<Batch>>>>,
}

impl Batch {
    /// Empties the batch for reuse, letting a burst's peak capacity go (see
    /// [`crate::util::buf`]).
    pub fn clear(&mut self) {
        self.args.clear();
        clear_and_trim(&mut self.cmds);
        self.next = 0;
        clear_and_trim(&mut self.out);
        clear_and_trim(&mut self.reply_ends);
    }

    pub fn push(&mut self, run: ShardHandler, keys: KeyPositions, traits: CmdTraits, args: Args) {
        let CmdTraits {
            write,
            denyoom,
            name,
        } = traits;
        let first_arg = self.args.arg_count() as u32;
        for a in args.iter() {
            self.args.push(a);
        }
        self.cmds.push(BatchCmd {
            run,
            keys,
            write,
            denyoom,
            name,
            first_arg,
            argc: args.len() as u32,
            ticks: 0,
        });
    }

    pub fn cmd_args(&self, index: usize) -> Args<'_> {
        let c = self.cmds[index];
        self.args
            .slice(c.first_arg as usize, (c.first_arg + c.argc) as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.args.as_args().bytes().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_positions() {
        let one = crate::commands::keys(1, 1, 1);
        assert_eq!(one.indexes(3).collect::<Vec<_>>(), vec![1]);
        let all = crate::commands::keys(1, -1, 1);
        assert_eq!(all.indexes(4).collect::<Vec<_>>(), vec![1, 2, 3]);
        let pairs = crate::commands::keys(1, -1, 2);
        assert_eq!(pairs.indexes(5).collect::<Vec<_>>(), vec![1, 3]);
        let two = crate::commands::keys(1, 2, 1);
        assert_eq!(two.indexes(4).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(KeyPositions::NONE.indexes(4).count(), 0);
    }

    #[test]
    fn counted_keys() {
        let mut buf = ArgsBuf::new();
        for a in ["ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"] {
            buf.push(a.as_bytes());
        }
        let spec = crate::commands::numkeys(crate::commands::keys(1, 1, 1), 2);
        assert_eq!(spec.of(buf.as_args()).collect::<Vec<_>>(), vec![1, 3, 4]);
        let spec = crate::commands::numkeys(KeyPositions::NONE, 2);
        assert_eq!(spec.of(buf.as_args()).collect::<Vec<_>>(), vec![3, 4]);
        for bad in ["0", "-1", "x", "6"] {
            let mut b = ArgsBuf::new();
            for a in ["ZUNION", "2", "a", "b"] {
                b.push(a.as_bytes());
            }
            let mut b2 = ArgsBuf::new();
            b2.push(b"SINTERCARD");
            b2.push(bad.as_bytes());
            b2.push(b"a");
            let spec = crate::commands::numkeys(KeyPositions::NONE, 1);
            assert_eq!(spec.of(b2.as_args()).count(), 0, "{bad}");
            assert_eq!(spec.of(b.as_args()).collect::<Vec<_>>(), vec![2, 3]);
        }
    }
}
