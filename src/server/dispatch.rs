//! The single gate every command passes (Redis's `processCommand`): look the command up,
//! check arity, authentication and flags, then route it. Handlers never re-check.
//!
//! Routing: a command whose keys all live on one shard runs right away when that shard
//! is this thread's and nothing is pending (the fast path: no hop, no copy). Otherwise
//! it joins the [`Pipeline`]: one batch per destination shard for everything parsed from
//! one read, sent as one message each, replies stitched back in command order. Commands
//! whose keys span shards, and commands that need the connection or several shards,
//! first flush the pipeline, then run in order.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::commands::context::{ConnCtx, ReplyMode};
use crate::commands::{self, CommandSpec, Run, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::runtime::clock;
use crate::runtime::oneshot::OneShot;
use crate::shard::batch::{Batch, CmdTraits, KeyPositions, ShardHandler};
use crate::shard::{Shard, ShardMsg, now_ms};
use crate::util::slot::key_shard;

/// A pipeline batch is sent once it holds this many argument bytes, bounding the copy
/// a connection holds for other shards.
const BATCH_BYTES_MAX: usize = 1024 * 1024;
/// Most commands in one pipeline send: its replies all come back before any is
/// written, so the count bounds the replies held at once. A 32 KiB read holds up to
/// about a thousand small SETs, which go in one send.
const PIPELINE_COMMANDS_MAX: usize = 1024;
/// The count a connection starts with, before its replies' sizes are known.
const PIPELINE_COMMANDS_START: usize = 4;
/// The reply bytes one send aims at: after each send the count adapts to it (never
/// under one command), so 1 MB values go one command per send, small ones up to
/// [`PIPELINE_COMMANDS_MAX`].
const PIPELINE_REPLY_BYTES_TARGET: usize = 256 * 1024;

/// Commands of one read waiting to be sent to their shards.
#[derive(Default)]
pub struct Pipeline {
    /// One batch per shard (index = shard); `None` while it is in flight.
    batches: Vec<Option<Box<Batch>>>,
    /// Command order: (shard, commands in a row for that shard).
    order: Vec<(u32, u32)>,
    pending: usize,
    /// The pipeline is sent at this many commands (0: [`PIPELINE_COMMANDS_START`]).
    commands_max: usize,
    /// Owned copy of arguments for coordinators.
    scratch: ArgsBuf,
    /// Reused by `flush`: batches in flight, and per shard the next reply to copy.
    in_flight: Vec<(usize, Arc<OneShot<Box<Batch>>>)>,
    next_reply: Vec<usize>,
}

pub async fn dispatch(ctx: &mut ConnCtx, args: Args<'_>, pipeline: &mut Pipeline) {
    let Some((spec, name)) = resolve(ctx, args, pipeline).await else {
        return;
    };
    if ctx.server.pause_until_ms.load(Ordering::Relaxed) != 0 {
        wait_while_paused(ctx, spec, pipeline).await;
    }
    ctx.info.last_cmd.set(name);
    commands::stats::record_call(name);
    let reply_mode = ctx.reply_mode;
    if reply_mode != ReplyMode::On {
        pipeline.flush(ctx).await;
    }
    let mark = ctx.out.len();
    route(ctx, spec, name, args, pipeline).await;
    if reply_mode != ReplyMode::On {
        pipeline.flush(ctx).await;
        // CLIENT REPLY ON answers even though replies were off when it arrived.
        if ctx.reply_mode != ReplyMode::On {
            ctx.out.truncate(mark);
        }
        if reply_mode == ReplyMode::Skip && ctx.reply_mode == ReplyMode::Skip {
            ctx.reply_mode = ReplyMode::On;
        }
    }
}

/// Longest single wait of a paused command before it looks at the pause again (CLIENT
/// UNPAUSE or a shorter pause ends it early).
const PAUSE_POLL_MS: u64 = 10;

/// CLIENT PAUSE: holds this command back while the pause lasts and applies to it (ALL:
/// every command; WRITE: commands that write or may replicate). Earlier pipelined
/// commands are answered first.
async fn wait_while_paused(ctx: &mut ConnCtx, spec: &CommandSpec, pipeline: &mut Pipeline) {
    let writes = spec.is_write() || spec.flags & flags::MAY_REPLICATE != 0;
    loop {
        let until = ctx.server.pause_until_ms.load(Ordering::Relaxed);
        let now = now_ms();
        if until <= now || !(writes || ctx.server.pause_all.load(Ordering::Relaxed)) {
            return;
        }
        pipeline.flush(ctx).await;
        let wait_ms = (until - now).min(PAUSE_POLL_MS);
        crate::runtime::sleep(std::time::Duration::from_millis(wait_ms)).await;
    }
}

/// Lookup, arity and authentication; writes the error and returns None on failure.
async fn resolve(
    ctx: &mut ConnCtx,
    args: Args<'_>,
    pipeline: &mut Pipeline,
) -> Option<(&'static CommandSpec, &'static str)> {
    let name = &args[0];
    let Some(mut spec) = commands::lookup(name) else {
        pipeline.flush(ctx).await;
        errors::unknown_command(&mut ctx.reply(), name, args.skip(1));
        return None;
    };
    let mut full_name = None;
    if matches!(spec.run, Run::Container) && args.len() >= 2 {
        match spec.find_subcommand(&args[1]) {
            Some(sub) => {
                full_name = Some(spec);
                spec = sub;
            }
            None => {
                pipeline.flush(ctx).await;
                let upper = spec.name.to_ascii_uppercase();
                errors::unknown_subcommand(&mut ctx.reply(), &args[1], &upper);
                return None;
            }
        }
    }
    let name = commands::full_name(full_name, spec);
    if !spec.arity_ok(args.len()) || matches!(spec.run, Run::Container) {
        commands::stats::record_rejected(name);
        pipeline.flush(ctx).await;
        errors::wrong_arity(&mut ctx.reply(), name);
        return None;
    }
    if !ctx.authenticated && spec.flags & flags::NO_AUTH == 0 {
        commands::stats::record_rejected(name);
        pipeline.flush(ctx).await;
        ctx.reply().error(errors::NOAUTH);
        return None;
    }
    let closed = ctx.server.gates.closed();
    if closed != 0
        && let Some(refusal) = gate_refusal(spec, closed)
    {
        commands::stats::record_rejected(name);
        pipeline.flush(ctx).await;
        ctx.reply().error(refusal);
        return None;
    }
    Some((spec, name))
}

/// The persistence gates, in Redis's order: after a failed background save
/// (`stop-writes-on-bgsave-error`) writes and PING are refused; while the dataset
/// loads, every command not flagged `loading`.
fn gate_refusal(spec: &CommandSpec, closed: u8) -> Option<&'static str> {
    use crate::persistence::rules::gate;
    if closed & gate::MISCONF != 0 && (spec.is_write() || spec.name == "ping") {
        return Some(errors::MISCONF);
    }
    if closed & gate::LOADING != 0 && spec.flags & flags::LOADING == 0 {
        return Some(errors::LOADING);
    }
    None
}

/// maxmemory's gate for commands that may grow memory and run on several shards or
/// none: this thread's shard evicts what its policy allows; true when the command must
/// be refused. (Single-shard commands are checked by the shard that runs them, which
/// then evicts its own keys.)
fn out_of_memory(ctx: &ConnCtx, spec: &CommandSpec) -> bool {
    if spec.flags & flags::DENYOOM == 0 {
        return false;
    }
    let mut shard = ctx.shards.local.borrow_mut();
    shard.settings.maxmemory_bytes > 0 && !shard.make_room(now_ms())
}

/// Refuses a multi-shard command with OOM when [`out_of_memory`]; true when refused.
async fn refused_for_memory(
    ctx: &mut ConnCtx,
    spec: &CommandSpec,
    pipeline: &mut Pipeline,
) -> bool {
    if !out_of_memory(ctx, spec) {
        return false;
    }
    pipeline.flush(ctx).await;
    ctx.reply().error(errors::OOM);
    true
}

/// Counts a failed call (INFO commandstats) when the reply starting at `mark` is an
/// error.
fn note_failed(ctx: &ConnCtx, mark: usize, name: &'static str) {
    if ctx.out.get(mark) == Some(&b'-') {
        commands::stats::record_failed(name);
    }
}

async fn route(
    ctx: &mut ConnCtx,
    spec: &'static CommandSpec,
    name: &'static str,
    args: Args<'_>,
    pipeline: &mut Pipeline,
) {
    match spec.run {
        Run::Shard(handler) => match single_shard(ctx, spec.keys, args) {
            Some(shard) => {
                pipeline
                    .run_single(ctx, shard, handler, (spec, name), args)
                    .await
            }
            None => {
                // Declared single-shard but keys differ in slot: Redis would accept
                // (it has one shard); such commands must be MultiKey.
                debug_assert!(false, "{} has keys on several shards", spec.name);
                pipeline.flush(ctx).await;
                ctx.reply().error(errors::NOT_IMPLEMENTED);
            }
        },
        Run::MultiKey { single, spread } => match single_shard(ctx, spec.keys, args) {
            Some(shard) => {
                pipeline
                    .run_single(ctx, shard, single, (spec, name), args)
                    .await
            }
            None => {
                if !refused_for_memory(ctx, spec, pipeline).await {
                    pipeline
                        .run_coordinator(ctx, spread, (spec, name), args)
                        .await
                }
            }
        },
        Run::Conn(handler) => {
            pipeline.flush(ctx).await;
            let mark = ctx.out.len();
            let mut out = std::mem::take(&mut ctx.out);
            let start = clock::ticks();
            handler(ctx, args, &mut Reply::new(&mut out, ctx.resp));
            let ticks = clock::ticks_since(start);
            commands::timing::record(ctx, name, args, ticks);
            // A handler may have switched protocol (HELLO): its reply is already encoded.
            ctx.out = out;
            note_failed(ctx, mark, name);
        }
        Run::Coord(handler) => {
            if !refused_for_memory(ctx, spec, pipeline).await {
                pipeline
                    .run_coordinator(ctx, handler, (spec, name), args)
                    .await
            }
        }
        Run::Container => unreachable!("resolve() maps containers to subcommands"),
    }
}

/// The one shard all keys live on, or None when they span several.
fn single_shard(ctx: &ConnCtx, keys: KeyPositions, args: Args) -> Option<usize> {
    let count = ctx.shards.count();
    if count == 1 {
        // One shard owns everything: no need to hash any key.
        return Some(0);
    }
    let mut indexes = keys.of(args);
    let first = indexes
        .next()
        .map(|i| key_shard(&args[i], count))
        .unwrap_or(ctx.shards.index());
    indexes
        .all(|i| key_shard(&args[i], count) == first)
        .then_some(first)
}

impl Pipeline {
    fn ensure_shards(&mut self, count: usize) {
        if self.batches.len() < count {
            self.batches.resize_with(count, || Some(Box::default()));
        }
    }

    /// Runs a single-shard command: at once on the fast path, else queued in a batch.
    async fn run_single(
        &mut self,
        ctx: &mut ConnCtx,
        shard: usize,
        handler: ShardHandler,
        (spec, name): (&'static CommandSpec, &'static str),
        args: Args<'_>,
    ) {
        if shard == ctx.shards.index() && self.pending == 0 {
            let mut local = ctx.shards.local.borrow_mut();
            let uncontended = local.txq.is_idle()
                || !local.txq.conflicts(&Shard::command_locks(
                    ctx.db,
                    spec.keys,
                    spec.is_write(),
                    args,
                ));
            if uncontended {
                let mark = ctx.out.len();
                let mut reply = Reply::new(&mut ctx.out, ctx.resp);
                let now = now_ms();
                if spec.flags & flags::DENYOOM != 0 && !local.room_for_write(now) {
                    reply.error(errors::OOM);
                    commands::stats::record_rejected(name);
                    return;
                }
                local.dirty_noted = false;
                let mut sctx = crate::shard::ShardCtx {
                    shard: &mut local,
                    db: ctx.db,
                    now_ms: now,
                };
                let start = clock::ticks();
                handler(&mut sctx, args, &mut reply);
                let ticks = clock::ticks_since(start);
                commands::timing::record(ctx, name, args, ticks);
                if ctx.out.get(mark) == Some(&b'-') {
                    commands::stats::record_failed(name);
                }
                if spec.is_write() {
                    local.settle_dirty(&ctx.out[mark..]);
                }
                local.stats.commands_processed += 1;
                // Clients blocked on keys this command filled are served before the
                // connection's next command runs.
                local.serve_blocked();
                return;
            }
        }
        self.ensure_shards(ctx.shards.count());
        let batch = self.batches[shard]
            .as_mut()
            .expect("batches are home between flushes");
        batch.db = ctx.db;
        batch.resp = ctx.resp;
        let traits = CmdTraits {
            write: spec.is_write(),
            denyoom: spec.flags & flags::DENYOOM != 0,
            name,
        };
        batch.push(handler, spec.keys, traits, args);
        match self.order.last_mut() {
            Some((s, n)) if *s as usize == shard => *n += 1,
            _ => self.order.push((shard as u32, 1)),
        }
        self.pending += 1;
        let commands_max = match self.commands_max {
            0 => PIPELINE_COMMANDS_START,
            n => n,
        };
        if batch.bytes() >= BATCH_BYTES_MAX || self.pending >= commands_max {
            self.flush(ctx).await;
        }
    }

    async fn run_coordinator(
        &mut self,
        ctx: &mut ConnCtx,
        handler: commands::CoordHandler,
        (spec, name): (&'static CommandSpec, &'static str),
        args: Args<'_>,
    ) {
        self.flush(ctx).await;
        self.scratch.clear();
        for a in args.iter() {
            self.scratch.push(a);
        }
        let scratch = std::mem::take(&mut self.scratch);
        let mark = ctx.out.len();
        // Wall time, hops included (a blocking command's wait happens after it returns).
        let start = clock::ticks();
        ctx.dirty_noted.set(false);
        handler(ctx, &scratch).await;
        let ticks = clock::ticks_since(start);
        commands::timing::record(ctx, name, scratch.as_args(), ticks);
        note_failed(ctx, mark, name);
        if spec.is_write()
            && !ctx.dirty_noted.take()
            && crate::shard::changed_something(&ctx.out[mark..])
        {
            ctx.shards.local.borrow_mut().add_dirty(1);
        }
        self.scratch = scratch;
    }

    /// Sends every pending batch, waits for all, and appends the replies in order.
    pub async fn flush(&mut self, ctx: &mut ConnCtx) {
        if self.pending == 0 {
            return;
        }
        let mut cells = std::mem::take(&mut self.in_flight);
        for shard in 0..self.batches.len() {
            if self.batches[shard].as_ref().is_some_and(|b| b.is_empty()) {
                continue;
            }
            let mut batch = self.batches[shard].take().expect("batch is home");
            let cell = OneShot::new();
            batch.done = Some(cell.clone());
            ctx.shards.deliver(shard, ShardMsg::Batch(batch)).await;
            cells.push((shard, cell));
        }
        for (shard, cell) in cells.drain(..) {
            self.batches[shard] = Some(cell.wait().await);
        }
        self.in_flight = cells;
        let out_before = ctx.out.len();
        let next_cmd = &mut self.next_reply;
        next_cmd.clear();
        next_cmd.resize(self.batches.len(), 0);
        for &(shard, count) in &self.order {
            let shard = shard as usize;
            let batch = self.batches[shard].as_ref().expect("batch came back");
            let first = next_cmd[shard];
            let last = first + count as usize - 1;
            let from = if first == 0 {
                0
            } else {
                batch.reply_ends[first - 1]
            };
            let to = batch.reply_ends[last];
            for i in first..=last {
                let start = if i == 0 { 0 } else { batch.reply_ends[i - 1] };
                let cmd = &batch.cmds[i];
                // Logged here, on the connection's thread, not on the shard that ran
                // it: the batch still holds the arguments, and the client's address
                // and name are at hand.
                commands::timing::record(ctx, cmd.name, batch.cmd_args(i), cmd.ticks);
                if batch.out.get(start) == Some(&b'-') {
                    commands::stats::record_failed(cmd.name);
                }
            }
            ctx.out.extend_from_slice(&batch.out[from..to]);
            next_cmd[shard] = last + 1;
        }
        for b in self.batches.iter_mut().flatten() {
            b.clear();
        }
        self.order.clear();
        let reply_bytes_avg = (ctx.out.len() - out_before) / self.pending;
        self.commands_max =
            (PIPELINE_REPLY_BYTES_TARGET / reply_bytes_avg.max(1)).clamp(1, PIPELINE_COMMANDS_MAX);
        self.pending = 0;
    }
}
