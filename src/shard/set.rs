//! How a thread reaches every shard: its own directly, the others through the mailbox
//! mesh. Also the coordinator side of cross-shard transactions ([`Tx`]), used by
//! multi-key commands, FLUSHALL and friends (see [`super::tx`] for the protocol).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::runtime::mailbox::Endpoint;
use crate::runtime::oneshot::OneShot;

use super::tx::LockSet;
use super::{Shard, ShardMsg};

/// Queue capacity per ordered pair of threads.
pub const MAILBOX_MESSAGES_MAX: usize = 4096;
/// Messages the inbox handles in one turn. The executor polls for I/O only between
/// turns of its tasks, so an inbox drained to empty under a steady stream from other
/// threads held this thread's own clients for tens of milliseconds (measured: single
/// inbox polls of 20-60 ms of CPU while growing to 3M keys at -P 16 with 50 clients).
pub const INBOX_MESSAGES_PER_TURN_MAX: usize = 32;
/// The pause between two full turns: a timer, so the task sleeps through one I/O poll
/// of the executor rather than being run again at once.
const INBOX_PAUSE: std::time::Duration = std::time::Duration::from_micros(20);

pub struct ShardSet {
    pub local: Rc<RefCell<Shard>>,
    endpoint: Endpoint<ShardMsg>,
    shards_count: usize,
    next_txid: Arc<AtomicU64>,
}

impl ShardSet {
    pub fn new(
        local: Rc<RefCell<Shard>>,
        endpoint: Endpoint<ShardMsg>,
        shards_count: usize,
        next_txid: Arc<AtomicU64>,
    ) -> Self {
        ShardSet {
            local,
            endpoint,
            shards_count,
            next_txid,
        }
    }

    pub fn index(&self) -> usize {
        self.endpoint.index()
    }

    pub fn count(&self) -> usize {
        self.shards_count
    }

    /// Delivers a message: handled at once when it is for this thread's shard.
    pub async fn deliver(&self, to: usize, msg: ShardMsg) {
        if to == self.index() {
            self.local.borrow_mut().handle(msg);
        } else {
            self.endpoint.send(to, msg).await;
        }
    }

    /// The message loop of this thread's shard. Never sends (see `Endpoint::send`).
    pub async fn serve_inbox(&self) {
        loop {
            let msg = self.endpoint.recv().await;
            let mut handled = 1;
            {
                let mut shard = self.local.borrow_mut();
                shard.handle(msg);
                while handled < INBOX_MESSAGES_PER_TURN_MAX {
                    let Some(more) = self.endpoint.try_recv() else {
                        break;
                    };
                    shard.handle(more);
                    handled += 1;
                }
            }
            if handled == INBOX_MESSAGES_PER_TURN_MAX {
                // More may be waiting: let the executor poll for I/O first, so this
                // thread's own clients are served in between.
                crate::runtime::sleep(INBOX_PAUSE).await;
            }
        }
    }

    /// Runs `f` on shard `to`, outside any transaction, and returns its result.
    pub async fn run_on<R: Send + 'static>(
        &self,
        to: usize,
        f: impl FnOnce(&mut Shard) -> R + Send + 'static,
    ) -> R {
        let cell = OneShot::new();
        let done = cell.clone();
        self.deliver(to, ShardMsg::Run(Box::new(move |s| done.complete(f(s)))))
            .await;
        cell.wait().await
    }

    /// Runs `f` on every shard (in parallel) and returns the results in shard order.
    pub async fn run_on_all<R: Send + 'static>(
        &self,
        f: impl Fn(&mut Shard) -> R + Send + Sync + Clone + 'static,
    ) -> Vec<R> {
        let mut cells = Vec::with_capacity(self.shards_count);
        for to in 0..self.shards_count {
            let cell = OneShot::new();
            let done = cell.clone();
            let f = f.clone();
            self.deliver(to, ShardMsg::Run(Box::new(move |s| done.complete(f(s)))))
                .await;
            cells.push(cell);
        }
        let mut out = Vec::with_capacity(cells.len());
        for c in cells {
            out.push(c.wait().await);
        }
        out
    }

    /// Runs `f` on every shard inside one transaction that locks each shard whole
    /// (`mode`): FLUSHALL and SWAPDB write everything, KEYS reads everything, and no
    /// cross-shard command may see some shards before and others after.
    pub async fn on_every_shard_locked<R: Send + 'static>(
        &self,
        mode: super::tx::LockMode,
        f: impl Fn(&mut Shard) -> R + Send + Sync + Clone + 'static,
    ) -> Vec<R> {
        let whole = LockSet {
            whole_shard: Some(mode),
            keys: Vec::new(),
        };
        let locks = (0..self.shards_count).map(|s| (s, whole.clone())).collect();
        let mut tx = self.schedule(locks).await;
        let out = tx.hop_all(true, f).await;
        tx.conclude().await;
        out
    }

    /// Schedules a transaction on the given shards with their lock sets, retrying with
    /// a fresh id until every shard accepts it in order.
    pub async fn schedule(&self, per_shard: Vec<(usize, LockSet)>) -> Tx<'_> {
        debug_assert!(!per_shard.is_empty());
        loop {
            let txid = self.next_txid.fetch_add(1, Ordering::Relaxed) + 1;
            let mut cells = Vec::with_capacity(per_shard.len());
            for (shard, locks) in &per_shard {
                let cell = OneShot::new();
                let msg = ShardMsg::Schedule {
                    txid,
                    locks: locks.clone(),
                    accepted: cell.clone(),
                };
                self.deliver(*shard, msg).await;
                cells.push((*shard, cell));
            }
            let mut accepted = Vec::with_capacity(cells.len());
            let mut all = true;
            for (shard, cell) in cells {
                if cell.wait().await {
                    accepted.push(shard);
                } else {
                    all = false;
                }
            }
            if all {
                let shards = per_shard.iter().map(|(s, _)| *s).collect();
                return Tx {
                    set: self,
                    txid,
                    shards,
                    concluded: Vec::new(),
                };
            }
            for shard in accepted {
                self.deliver(shard, ShardMsg::Cancel { txid }).await;
            }
        }
    }
}

/// A scheduled transaction: its shards hold its locks until it concludes.
pub struct Tx<'a> {
    set: &'a ShardSet,
    txid: u64,
    shards: Vec<usize>,
    concluded: Vec<usize>,
}

impl<'a> Tx<'a> {
    pub fn shards(&self) -> &[usize] {
        &self.shards
    }

    /// Sends one hop to `shard` without waiting for its result.
    pub async fn send_hop<R: Send + 'static>(
        &mut self,
        shard: usize,
        conclude: bool,
        f: impl FnOnce(&mut Shard) -> R + Send + 'static,
    ) -> Arc<OneShot<R>> {
        debug_assert!(self.shards.contains(&shard) && !self.concluded.contains(&shard));
        let cell = OneShot::new();
        let done = cell.clone();
        let hop = Box::new(move |s: &mut Shard| done.complete(f(s)));
        self.set
            .deliver(
                shard,
                ShardMsg::Hop {
                    txid: self.txid,
                    hop,
                    conclude,
                },
            )
            .await;
        if conclude {
            self.concluded.push(shard);
        }
        cell
    }

    /// Runs `f` on `shard` within the transaction; `conclude` releases that shard.
    pub async fn hop<R: Send + 'static>(
        &mut self,
        shard: usize,
        conclude: bool,
        f: impl FnOnce(&mut Shard) -> R + Send + 'static,
    ) -> R {
        self.send_hop(shard, conclude, f).await.wait().await
    }

    /// Runs `f(shard_index, shard)` on every shard of the transaction in parallel;
    /// results come back in the order of [`Tx::shards`].
    pub async fn hop_all<R: Send + 'static>(
        &mut self,
        conclude: bool,
        f: impl Fn(&mut Shard) -> R + Send + Sync + Clone + 'static,
    ) -> Vec<R> {
        let mut cells = Vec::with_capacity(self.shards.len());
        for shard in self.shards.clone() {
            let f = f.clone();
            cells.push(self.send_hop(shard, conclude, f).await);
        }
        let mut out = Vec::with_capacity(cells.len());
        for c in cells {
            out.push(c.wait().await);
        }
        out
    }

    /// Releases every shard not yet concluded.
    pub async fn conclude(mut self) {
        for shard in self.shards.clone() {
            if !self.concluded.contains(&shard) {
                self.set
                    .deliver(shard, ShardMsg::Cancel { txid: self.txid })
                    .await;
                self.concluded.push(shard);
            }
        }
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        // A transaction dropped halfway (its connection went away mid-command) must not
        // leave locks behind: cancel what is left without waiting.
        for &shard in &self.shards {
            if !self.concluded.contains(&shard) {
                let msg = ShardMsg::Cancel { txid: self.txid };
                if shard == self.set.index() {
                    if let Ok(mut s) = self.set.local.try_borrow_mut() {
                        s.handle(msg);
                    }
                } else {
                    let _ = self.set.endpoint.try_send(shard, msg);
                }
            }
        }
    }
}
