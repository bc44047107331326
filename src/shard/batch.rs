//! A batch: the single-shard commands one connection read in one go that belong to one
//! shard, carried in one message (one hop per destination per read, not per command).
//! The shard runs them in order, appends each reply to `out` and records where it
//! ends, then hands the whole batch back; the connection reuses its buffers.

use std::sync::Arc;

use crate::protocol::args::ArgsBuf;
use crate::protocol::reply::RespVersion;
use crate::runtime::oneshot::OneShot;

use super::ShardCtx;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;

/// A handler that runs on the shard owning the command's keys.
pub type ShardHandler = fn(&mut ShardCtx, Args, &mut Reply);

/// Where a command's keys are, as in Redis's legacy key spec: `first..=last` (a negative
/// `last` counts from the end) every `step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyPositions {
    pub first: i16,
    pub last: i16,
    pub step: i16,
}

impl KeyPositions {
    pub const NONE: KeyPositions = KeyPositions {
        first: 0,
        last: 0,
        step: 0,
    };

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

#[derive(Clone, Copy)]
pub struct BatchCmd {
    pub run: ShardHandler,
    pub keys: KeyPositions,
    pub write: bool,
    /// Range of this command's arguments within `Batch::args`.
    pub first_arg: u32,
    pub argc: u32,
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
    pub reply_ends: Vec<u32>,
    /// Where the finished batch goes back to (set while the batch is in flight).
    pub done: Option<Arc<OneShot<Box<Batch>>>>,
}

impl Batch {
    pub fn clear(&mut self) {
        self.args.clear();
        self.cmds.clear();
        self.next = 0;
        self.out.clear();
        self.reply_ends.clear();
    }

    pub fn push(&mut self, run: ShardHandler, keys: KeyPositions, write: bool, args: Args) {
        let first_arg = self.args.arg_count() as u32;
        for a in args.iter() {
            self.args.push(a);
        }
        self.cmds.push(BatchCmd {
            run,
            keys,
            write,
            first_arg,
            argc: args.len() as u32,
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
        let one = KeyPositions {
            first: 1,
            last: 1,
            step: 1,
        };
        assert_eq!(one.indexes(3).collect::<Vec<_>>(), vec![1]);
        let all = KeyPositions {
            first: 1,
            last: -1,
            step: 1,
        };
        assert_eq!(all.indexes(4).collect::<Vec<_>>(), vec![1, 2, 3]);
        let pairs = KeyPositions {
            first: 1,
            last: -1,
            step: 2,
        };
        assert_eq!(pairs.indexes(5).collect::<Vec<_>>(), vec![1, 3]);
        let two = KeyPositions {
            first: 1,
            last: 2,
            step: 1,
        };
        assert_eq!(two.indexes(4).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(KeyPositions::NONE.indexes(4).count(), 0);
    }
}
