//! One client connection: read into the query buffer, parse every complete command,
//! hand each to the dispatch gate, write all replies of the read in one go.
//!
//! The query buffer is a `Vec` kept zero-filled up to its capacity with a separate
//! `filled` mark, so reads never re-initialise memory; consumed bytes are compacted away
//! only when the free tail is too small for the next read.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::commands::context::{CLIENTS, ClientInfo, ConnCtx, ReplyMode, ServerState};
use crate::protocol::args::Args;
use crate::protocol::parser::{Limits, ParseStatus, RequestParser};
use crate::protocol::reply::{Reply, RespVersion};
use crate::runtime::TcpStream;
use crate::shard::blocking::Wake;
use crate::shard::set::ShardSet;

use super::dispatch::{self, Pipeline};

/// Bytes read per read call at least (the buffer grows past this for big arguments).
const READ_CHUNK_BYTES: usize = 16 * 1024;
/// A query buffer larger than this is shrunk back when the connection goes idle.
const QUERY_BUFFER_IDLE_BYTES_MAX: usize = 64 * 1024;
/// Replies held before they are written out, even mid-read: the rest of the read's
/// commands run only once the client has taken these. So a client that pipelines many
/// reads of a big value without reading the replies holds about one reply batch of
/// server memory (TCP's flow control stops it), not every reply of its pipeline.
const OUTPUT_PENDING_BYTES_MAX: usize = 256 * 1024;

pub async fn serve(mut stream: TcpStream, shards: Rc<ShardSet>, server: Arc<ServerState>) {
    let settings = shards.local.borrow().settings.clone();
    let connected = server.connected_clients.fetch_add(1, Ordering::Relaxed) + 1;
    server
        .total_connections_received
        .fetch_add(1, Ordering::Relaxed);
    if connected as u64 > settings.maxclients {
        server.connected_clients.fetch_sub(1, Ordering::Relaxed);
        server.rejected_connections.fetch_add(1, Ordering::Relaxed);
        let _ = stream
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    }
    if denied_by_protected_mode(&stream, &settings) {
        server.connected_clients.fetch_sub(1, Ordering::Relaxed);
        let mut msg = Vec::with_capacity(crate::errors::PROTECTED_MODE_DENIED.len() + 3);
        Reply::new(&mut msg, RespVersion::Resp2).error(crate::errors::PROTECTED_MODE_DENIED);
        let _ = stream.write_all(&msg).await;
        return;
    }
    let _ = stream.set_nodelay(true);
    apply_socket_settings(&mut stream, &settings);
    let info = Rc::new(ClientInfo {
        id: server.new_client_id(),
        addr: stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        laddr: stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        fd: std::os::fd::AsRawFd::as_raw_fd(&stream),
        created: Instant::now(),
        name: Default::default(),
        lib_name: Default::default(),
        lib_ver: Default::default(),
        db: Default::default(),
        resp: std::cell::Cell::new(2),
        last_interaction: std::cell::Cell::new(Instant::now()),
        last_cmd: std::cell::Cell::new("NULL"),
        query_buffer_bytes: Default::default(),
        output_buffer_bytes: Default::default(),
        no_evict: Default::default(),
        kill_requested: Default::default(),
        blocked_on: Default::default(),
    });
    CLIENTS.with(|c| c.borrow_mut().push(info.clone()));
    let authenticated = settings.requirepass.is_none();
    let mut ctx = ConnCtx {
        id: info.id,
        db: 0,
        resp: RespVersion::Resp2,
        authenticated,
        reply_mode: ReplyMode::On,
        close_after_reply: false,
        out: Vec::with_capacity(READ_CHUNK_BYTES),
        shards,
        server: server.clone(),
        info: info.clone(),
        settings,
        dirty_noted: Default::default(),
        blocked: None,
        deny_blocking: false,
        retry_deadline: None,
    };
    run(&mut stream, &mut ctx).await;
    if let Some(blocked) = &ctx.blocked {
        // Gone while blocked: nobody may serve it any more, and no shard keeps it.
        blocked.waiter.claim();
        ctx.unblock_cleanup().await;
    }
    // Leave the registry before closing: CLIENT KILL must never shut down a descriptor
    // the kernel has already handed to a new connection.
    CLIENTS.with(|c| c.borrow_mut().retain(|i| i.id != info.id));
    drop(stream);
    server.connected_clients.fetch_sub(1, Ordering::Relaxed);
}

/// Redis 7's protected mode: with no password for the default user, only loopback
/// clients are served.
fn denied_by_protected_mode(stream: &TcpStream, settings: &crate::config::Settings) -> bool {
    settings.protected_mode
        && settings.requirepass.is_none()
        && stream.peer_addr().is_ok_and(|a| !a.ip().is_loopback())
}

/// TCP keepalive (`tcp-keepalive`) and the idle timeout (`timeout`; 0 = never).
fn apply_socket_settings(stream: &mut TcpStream, settings: &crate::config::Settings) {
    if settings.tcp_keepalive_secs > 0 {
        let fd = std::os::fd::AsRawFd::as_raw_fd(stream);
        // SAFETY: `fd` is the live socket owned by `stream`; SockRef only borrows it for
        // the duration of this call and never closes it.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let sock = socket2::SockRef::from(&borrowed);
        let idle = std::time::Duration::from_secs(settings.tcp_keepalive_secs);
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(idle)
            .with_interval(idle / 3);
        let _ = sock.set_tcp_keepalive(&keepalive);
    }
    if settings.timeout_secs > 0 {
        stream.set_read_timeout(Some(std::time::Duration::from_secs(settings.timeout_secs)));
    }
}

/// Writes and clears the pending output; false when the peer is gone.
async fn flush_out(stream: &mut TcpStream, ctx: &mut ConnCtx) -> bool {
    if ctx.out.is_empty() {
        return true;
    }
    if stream.write_all(&ctx.out).await.is_err() {
        return false;
    }
    ctx.server.total_net_output_bytes.add(ctx.out.len() as u64);
    // A burst's large reply is let go at the next smaller one, not kept while idle.
    crate::util::buf::clear_and_trim(&mut ctx.out);
    true
}

struct QueryBuffer {
    bytes: Vec<u8>,
    start: usize,
    filled: usize,
}

impl QueryBuffer {
    fn pending(&self) -> &[u8] {
        &self.bytes[self.start..self.filled]
    }

    /// Makes room for at least one read chunk after `filled`.
    fn prepare_read(&mut self) {
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
            if self.bytes.len() > QUERY_BUFFER_IDLE_BYTES_MAX {
                self.bytes = vec![0; READ_CHUNK_BYTES * 2];
            }
        }
        if self.bytes.len() - self.filled >= READ_CHUNK_BYTES {
            return;
        }
        if self.start > 0 {
            self.bytes.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        if self.bytes.len() - self.filled < READ_CHUNK_BYTES {
            let grown = (self.bytes.len() * 2).max(self.filled + READ_CHUNK_BYTES);
            self.bytes.resize(grown, 0);
        }
    }
}

async fn run(stream: &mut TcpStream, ctx: &mut ConnCtx) {
    let mut qbuf = QueryBuffer {
        bytes: vec![0; READ_CHUNK_BYTES * 2],
        start: 0,
        filled: 0,
    };
    let mut parser = RequestParser::new();
    let mut pipeline = Pipeline::default();
    let mut skip_read = false;
    loop {
        if !skip_read {
            qbuf.prepare_read();
            let n = match stream.read(&mut qbuf.bytes[qbuf.filled..]).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if ctx.info.kill_requested.get() {
                return;
            }
            qbuf.filled += n;
            ctx.server.total_net_input_bytes.add(n as u64);
        }
        skip_read = false;
        ctx.info.last_interaction.set(Instant::now());
        refresh_settings(ctx);
        let limits = Limits {
            bulk_bytes_max: ctx.settings.proto_max_bulk_len_bytes,
            authenticated: ctx.authenticated,
            ..Limits::default()
        };
        let input = process_input(ctx, &mut qbuf, &mut parser, &mut pipeline, limits).await;
        ctx.info.query_buffer_bytes.set(qbuf.filled - qbuf.start);
        if !flush_out(stream, ctx).await {
            return;
        }
        if input == Input::Close || ctx.close_after_reply || ctx.info.kill_requested.get() {
            return;
        }
        if input == Input::OutputFull {
            skip_read = true;
            continue;
        }
        if ctx.blocked.is_some() {
            // Commands after a blocking one wait (in the buffer) until it is answered.
            while ctx.blocked.is_some() {
                if !wait_blocked(stream, ctx, &mut qbuf).await {
                    return;
                }
                if !flush_out(stream, ctx).await {
                    return;
                }
            }
            skip_read = true;
            continue;
        }
        if (qbuf.filled - qbuf.start) as u64 > ctx.settings.client_query_buffer_limit_bytes {
            tracing::warn!(
                "Closing client that reached max query buffer length (id={})",
                ctx.id
            );
            return;
        }
    }
}

fn refresh_settings(ctx: &mut ConnCtx) {
    let shard = ctx.shards.local.borrow();
    if !Arc::ptr_eq(&shard.settings, &ctx.settings) {
        ctx.settings = shard.settings.clone();
    }
}

/// How one pass over the query buffer ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// Every complete command ran (or one blocked).
    Consumed,
    /// [`OUTPUT_PENDING_BYTES_MAX`] of replies are waiting: write them, then go on
    /// with the buffer before reading more.
    OutputFull,
    /// A protocol error: close after writing what is pending.
    Close,
}

/// Parses and dispatches the complete commands in the buffer, until one blocks or the
/// replies waiting reach [`OUTPUT_PENDING_BYTES_MAX`].
async fn process_input(
    ctx: &mut ConnCtx,
    qbuf: &mut QueryBuffer,
    parser: &mut RequestParser,
    pipeline: &mut Pipeline,
    limits: Limits,
) -> Input {
    let mut input = Input::Consumed;
    loop {
        let status = parser.parse(qbuf.pending(), &limits);
        match status {
            ParseStatus::Complete { consumed } => {
                let pending = &qbuf.bytes[qbuf.start..qbuf.filled];
                let args = Args::new(parser.arg_bytes(pending), parser.args());
                dispatch::dispatch(ctx, args, pipeline).await;
                qbuf.start += consumed;
                if ctx.close_after_reply || ctx.blocked.is_some() {
                    break;
                }
                if ctx.out.len() >= OUTPUT_PENDING_BYTES_MAX {
                    input = Input::OutputFull;
                    break;
                }
            }
            ParseStatus::Empty { consumed } => qbuf.start += consumed,
            ParseStatus::Incomplete => break,
            ParseStatus::Error(text) => {
                pipeline.flush(ctx).await;
                protocol_error(ctx, |r| r.error(text));
                input = Input::Close;
                break;
            }
            ParseStatus::ErrorExpectedDollar(got) => {
                pipeline.flush(ctx).await;
                protocol_error(ctx, |r| crate::errors::protocol_expected_dollar(r, got));
                input = Input::Close;
                break;
            }
        }
    }
    pipeline.flush(ctx).await;
    input
}

/// Replies with a protocol error; the caller then closes the connection, as Redis does.
fn protocol_error(ctx: &mut ConnCtx, write: impl FnOnce(&mut Reply)) {
    tracing::debug!("protocol error from client {}", ctx.id);
    write(&mut Reply::new(&mut ctx.out, ctx.resp));
}

/// What ends one step of a blocked wait.
enum BlockEvent {
    Woken(Wake),
    Deadline,
    Read(std::io::Result<usize>),
}

/// Waits for the blocking command of `ctx.blocked` to end: served by a shard, timed
/// out, unblocked, or re-run (BLMOVE across shards). Meanwhile the socket is still read,
/// so a disconnect ends the wait (and leaves nothing queued on any shard) and pipelined
/// commands wait in the buffer. Writes the command's reply; false when the client is
/// gone.
async fn wait_blocked(stream: &mut TcpStream, ctx: &mut ConnCtx, qbuf: &mut QueryBuffer) -> bool {
    let Some(blocked) = ctx.blocked.as_ref() else {
        return true;
    };
    let waiter = blocked.waiter.clone();
    let first_deadline = blocked.deadline;
    let mut deadline = first_deadline;
    let wake = loop {
        qbuf.prepare_read();
        let event = {
            let woken = async { BlockEvent::Woken(waiter.wait().await) };
            let timer = async {
                match deadline {
                    Some(d) => {
                        crate::runtime::sleep(d.saturating_duration_since(Instant::now())).await;
                        BlockEvent::Deadline
                    }
                    None => std::future::pending().await,
                }
            };
            let read =
                async { BlockEvent::Read(stream.read(&mut qbuf.bytes[qbuf.filled..]).await) };
            futures_lite::future::or(woken, futures_lite::future::or(timer, read)).await
        };
        match event {
            BlockEvent::Woken(w) => break Some(w),
            BlockEvent::Deadline => {
                deadline = None;
                if waiter.claim() {
                    break Some(Wake::Timeout);
                }
                // A shard (or CLIENT UNBLOCK) won the race: its wake-up is on its way.
            }
            // The idle `timeout` never closes a blocked client (Redis exempts them).
            BlockEvent::Read(Err(e)) if e.kind() == std::io::ErrorKind::TimedOut => {}
            BlockEvent::Read(Ok(0)) | BlockEvent::Read(Err(_)) => break None,
            BlockEvent::Read(Ok(n)) => {
                qbuf.filled += n;
                ctx.server.total_net_input_bytes.add(n as u64);
                if ctx.info.kill_requested.get()
                    || (qbuf.filled - qbuf.start) as u64
                        > ctx.settings.client_query_buffer_limit_bytes
                {
                    break None;
                }
            }
        }
    };
    let Some(wake) = wake else {
        waiter.claim();
        ctx.unblock_cleanup().await;
        return false;
    };
    ctx.unblock_cleanup().await;
    match wake {
        Wake::Served(reply) => ctx.out.extend_from_slice(&reply),
        Wake::Timeout | Wake::Unblocked { error: false } => ctx.reply().null_array(),
        Wake::Unblocked { error: true } => ctx.reply().error(crate::errors::UNBLOCKED),
        Wake::Retry => {
            let args = waiter.args.clone();
            if let Some(spec) = crate::commands::lookup(&args.as_args()[0])
                && let crate::commands::Run::Coord(handler) = spec.run
            {
                // Blocking again keeps the original deadline.
                ctx.retry_deadline = Some(first_deadline);
                handler(ctx, &args).await;
                ctx.retry_deadline = None;
            }
        }
    }
    true
}
