//! The LATENCY monitor, as Redis 7.0 has it: per event ("command", "fast-command", and
//! whatever other code reports through [`record`]), a series of at most 160 samples,
//! one per second (the worst of that second), plus the all-time worst. Each thread
//! keeps its own series; LATENCY LATEST / HISTORY / GRAPH / DOCTOR merge them (samples
//! of the same second keep the worst), RESET clears them on every thread.
//! LATENCY HISTOGRAM reads the per-command histograms of `latency-tracking`, which
//! live with the command statistics (`commands::stats`).

use std::cell::RefCell;
use std::collections::VecDeque;

use super::server::help;
use super::stats;
use super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::util::hdr::LatencyHistogram;

/// Samples kept per event (Redis's LATENCY_TS_LEN).
pub const SAMPLES_MAX: usize = 160;
/// Columns of LATENCY GRAPH (Redis's LATENCY_GRAPH_COLS).
const GRAPH_COLS: usize = 80;
/// Rows of LATENCY GRAPH's bars.
const GRAPH_ROWS: u64 = 4;

/// The worst latency seen in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub unix_secs: u64,
    pub ms: u64,
}

/// One event's samples, oldest first, and its all-time worst.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Series {
    pub samples: VecDeque<Sample>,
    pub max_ms: u64,
}

impl Series {
    /// Adds a sample taken at `unix_secs`; a second already sampled keeps the worst.
    pub fn add(&mut self, unix_secs: u64, ms: u64) {
        self.max_ms = self.max_ms.max(ms);
        if let Some(last) = self.samples.back_mut()
            && last.unix_secs == unix_secs
        {
            last.ms = last.ms.max(ms);
            return;
        }
        if self.samples.len() == SAMPLES_MAX {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample { unix_secs, ms });
    }
}

thread_local! {
    /// This thread's series by event (a handful of events: a vector is enough).
    static EVENTS: RefCell<Vec<(&'static str, Series)>> = const { RefCell::new(Vec::new()) };
}

/// Reports that `event` took `duration_ms`: sampled when the latency monitor is on and
/// the duration reaches `latency-monitor-threshold` (as this thread last saw it).
pub fn record(event: &'static str, duration_ms: u64) {
    let threshold_ms = super::timing::latency_threshold_ms();
    if threshold_ms > 0 && duration_ms >= threshold_ms {
        add_sample(event, duration_ms);
    }
}

/// Adds a sample without checking the threshold (the caller did).
pub(crate) fn add_sample(event: &'static str, ms: u64) {
    let now = unix_secs();
    EVENTS.with(|events| {
        let mut events = events.borrow_mut();
        match events.iter_mut().find(|(name, _)| *name == event) {
            Some((_, series)) => series.add(now, ms),
            None => {
                let mut series = Series::default();
                series.add(now, ms);
                events.push((event, series));
            }
        }
    });
}

fn unix_secs() -> u64 {
    crate::shard::now_ms() / 1000
}

fn snapshot() -> Vec<(&'static str, Series)> {
    EVENTS.with(|events| events.borrow().clone())
}

/// Clears the named events (all when `names` is None); returns the names it cleared.
fn reset(names: Option<&[Vec<u8>]>) -> Vec<&'static str> {
    EVENTS.with(|events| {
        let mut events = events.borrow_mut();
        let mut cleared = Vec::new();
        events.retain(|(name, _)| {
            let hit = names.is_none_or(|n| n.iter().any(|x| x == name.as_bytes()));
            if hit {
                cleared.push(*name);
            }
            !hit
        });
        cleared
    })
}

/// Merges the threads' series by event name (sorted by name): samples of one second
/// keep the worst, the newest [`SAMPLES_MAX`] seconds are kept.
pub fn merge(parts: Vec<Vec<(&'static str, Series)>>) -> Vec<(&'static str, Series)> {
    let mut merged: Vec<(&'static str, Vec<Sample>, u64)> = Vec::new();
    for (name, series) in parts.into_iter().flatten() {
        let at = match merged.iter().position(|(n, _, _)| *n == name) {
            Some(at) => at,
            None => {
                merged.push((name, Vec::new(), 0));
                merged.len() - 1
            }
        };
        let (_, samples, max_ms) = &mut merged[at];
        samples.extend(series.samples);
        *max_ms = (*max_ms).max(series.max_ms);
    }
    let mut out: Vec<(&'static str, Series)> = merged
        .into_iter()
        .map(|(name, mut samples, max_ms)| {
            samples.sort_by_key(|s| s.unix_secs);
            let mut series = Series {
                samples: VecDeque::with_capacity(SAMPLES_MAX),
                max_ms: 0,
            };
            for s in samples {
                series.add(s.unix_secs, s.ms);
            }
            series.max_ms = max_ms;
            (name, series)
        })
        .collect();
    out.sort_by_key(|(name, _)| *name);
    out
}

async fn gather(ctx: &ConnCtx) -> Vec<(&'static str, Series)> {
    merge(ctx.shards.run_on_all(|_| snapshot()).await)
}

/// LATENCY LATEST: per event, the time and latency of the newest sample and the
/// all-time worst.
fn latest<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let events = gather(ctx).await;
        let mut r = ctx.reply();
        r.array(events.len());
        for (name, series) in &events {
            let last = series.samples.back().copied().unwrap_or_default();
            r.array(4);
            r.bulk(name.as_bytes());
            r.int(last.unix_secs as i64);
            r.int(last.ms as i64);
            r.int(series.max_ms as i64);
        }
    })
}

fn find<'a>(events: &'a [(&'static str, Series)], name: &[u8]) -> Option<&'a Series> {
    events
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, s)| s)
}

/// LATENCY HISTORY event: `[time, latency]` pairs, oldest first (none for an unknown
/// event).
fn history<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let events = gather(ctx).await;
        let samples = find(&events, &args.as_args()[2])
            .map(|s| s.samples.clone())
            .unwrap_or_default();
        let mut r = ctx.reply();
        r.array(samples.len());
        for s in samples {
            r.array(2);
            r.int(s.unix_secs as i64);
            r.int(s.ms as i64);
        }
    })
}

/// LATENCY RESET [event ...]: the number of events cleared.
fn reset_cmd<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let names: Option<Vec<Vec<u8>>> =
            (args.arg_count() > 2).then(|| args.as_args().skip(2).map(<[u8]>::to_vec).collect());
        let parts = ctx
            .shards
            .run_on_all(move |_| reset(names.as_deref()))
            .await;
        let mut cleared: Vec<&'static str> = parts.into_iter().flatten().collect();
        cleared.sort_unstable();
        cleared.dedup();
        ctx.reply().int(cleared.len() as i64);
    })
}

/// LATENCY GRAPH event: an ASCII bar chart of the event's samples (Redis draws a
/// sparkline; the header and the age labels follow Redis).
fn graph<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let events = gather(ctx).await;
        let event = &args.as_args()[2];
        match find(&events, event) {
            None => errors::latency_no_samples(&mut ctx.reply(), event),
            Some(series) => {
                let name = String::from_utf8_lossy(event);
                let text = render_graph(&name, series, unix_secs());
                ctx.reply().verbatim(b"txt", text.as_bytes());
            }
        }
    })
}

/// How long ago `then` was, as LATENCY GRAPH labels it (`12s`, `3m`, `2h`, `1d`).
fn age_label(now: u64, then: u64) -> String {
    let secs = now.saturating_sub(then);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86400),
    }
}

pub fn render_graph(event: &str, series: &Series, now: u64) -> String {
    let shown: Vec<Sample> = series
        .samples
        .iter()
        .rev()
        .take(GRAPH_COLS)
        .rev()
        .copied()
        .collect();
    let high = shown.iter().map(|s| s.ms).max().unwrap_or(0);
    let low = shown.iter().map(|s| s.ms).min().unwrap_or(0);
    let mut out = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        series.max_ms,
        "-".repeat(GRAPH_COLS)
    );
    // Bar heights 1..=GRAPH_ROWS, scaled between the lowest and highest sample.
    let heights: Vec<u64> = shown
        .iter()
        .map(|s| match high - low {
            0 => GRAPH_ROWS,
            span => 1 + (s.ms - low) * (GRAPH_ROWS - 1) / span,
        })
        .collect();
    for row in (1..=GRAPH_ROWS).rev() {
        let line: String = heights
            .iter()
            .map(|&h| if h >= row { '#' } else { ' ' })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    // Age labels, written downwards under each column.
    let labels: Vec<Vec<u8>> = shown
        .iter()
        .map(|s| age_label(now, s.unix_secs).into_bytes())
        .collect();
    let depth = labels.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..depth {
        let line: String = labels
            .iter()
            .map(|l| l.get(i).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// LATENCY DOCTOR: a short report per event (Redis's wording for the opening lines).
fn doctor<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let enabled = ctx.settings.monitor.latency_threshold_ms > 0;
        let events = gather(ctx).await;
        let text = doctor_report(enabled, &events, unix_secs());
        ctx.reply().verbatim(b"txt", text.as_bytes());
    })
}

pub fn doctor_report(enabled: bool, events: &[(&'static str, Series)], now: u64) -> String {
    if !enabled {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    if events.is_empty() {
        return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep better at night.\n".into();
    }
    let mut out = String::from(
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n",
    );
    for (i, (name, series)) in events.iter().enumerate() {
        let n = series.samples.len().max(1) as u64;
        let sum: u64 = series.samples.iter().map(|s| s.ms).sum();
        let avg = sum / n;
        let deviation = series
            .samples
            .iter()
            .map(|s| s.ms.abs_diff(avg))
            .sum::<u64>()
            / n;
        let first = series.samples.front().map_or(now, |s| s.unix_secs);
        let period = now.saturating_sub(first) as f64 / n as f64;
        out.push_str(&format!(
            "{}. {name}: {} latency spikes (average {avg}ms, mean deviation {deviation}ms, period {period:.2} sec). Worst all time event {}ms.\n",
            i + 1,
            series.samples.len(),
            series.max_ms
        ));
    }
    out.push_str("\nI have a few advices for you:\n\n");
    if events
        .iter()
        .any(|(n, _)| *n == "command" || *n == "fast-command")
    {
        out.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    out.push_str("- Use LATENCY HISTORY and LATENCY GRAPH for the detail of each event, and LATENCY RESET to start afresh.\n");
    out
}

/// LATENCY HISTOGRAM [command ...]: per command with a histogram, its calls and the
/// cumulative count at each power of two of microseconds. Without names, every
/// command; a container's name also gives its subcommands; unknown names are skipped
/// (and a name given twice is listed twice, as Redis does).
fn histogram<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let parts = ctx.shards.run_on_all(|_| stats::latency_snapshot()).await;
        let all = stats::merge_latency(parts);
        let find = |name: &str| all.iter().find(|(n, _)| *n == name);
        let args = args.as_args();
        let chosen: Vec<&(&str, LatencyHistogram)> = if args.len() == 2 {
            all.iter().collect()
        } else {
            let mut chosen = Vec::new();
            for name in args.iter().skip(2) {
                let Some((spec, full_name)) = super::server::introspect::lookup_full(name) else {
                    continue;
                };
                chosen.extend(find(&full_name));
                for sub in spec.subcommands {
                    chosen.extend(find(&format!("{full_name}|{}", sub.name)));
                }
            }
            chosen
        };
        let r = &mut ctx.reply();
        r.map(chosen.len());
        for (name, h) in chosen {
            r.bulk(name.as_bytes());
            r.map(2);
            r.bulk(b"calls");
            r.int(h.total() as i64);
            r.bulk(b"histogram_usec");
            let levels = h.log2_cumulative();
            r.map(levels.len());
            for (highest_ns, cumulative) in levels {
                r.int((highest_ns / 1000) as i64);
                r.int(cumulative as i64);
            }
        }
    })
}

fn help_cmd(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, help::LATENCY);
}

const SUB: CommandSpec = CommandSpec {
    arity: 2,
    flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    group: "server",
    since: "2.8.13",
    ..BASE
};

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "doctor",
        summary: "Return a human readable latency analysis report.",
        run: Run::Coord(doctor),
        ..SUB
    },
    CommandSpec {
        name: "graph",
        arity: 3,
        summary: "Return a latency graph for the event.",
        run: Run::Coord(graph),
        ..SUB
    },
    CommandSpec {
        name: "histogram",
        arity: -2,
        since: "7.0.0",
        summary: "Return the cumulative distribution of latencies of a subset of commands or all.",
        complexity: "O(N) where N is the number of commands with latency information being retrieved.",
        run: Run::Coord(histogram),
        ..SUB
    },
    CommandSpec {
        name: "history",
        arity: 3,
        summary: "Return timestamp-latency samples for the event.",
        run: Run::Coord(history),
        ..SUB
    },
    CommandSpec {
        name: "latest",
        summary: "Return the latest latency samples for all events.",
        run: Run::Coord(latest),
        ..SUB
    },
    CommandSpec {
        name: "reset",
        arity: -2,
        summary: "Reset latency data for one or more events.",
        run: Run::Coord(reset_cmd),
        ..SUB
    },
    CommandSpec {
        name: "help",
        flags: flags::LOADING | flags::STALE,
        acl: acl::SLOW,
        summary: "Show helpful text about the different subcommands.",
        run: Run::Conn(help_cmd),
        ..SUB
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "latency",
    arity: -2,
    acl: acl::SLOW,
    group: "server",
    since: "2.8.13",
    summary: "A container for latency diagnostics commands",
    complexity: "Depends on subcommand.",
    run: Run::Container,
    subcommands: SUBCOMMANDS,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;

    fn series(samples: &[(u64, u64)], max_ms: u64) -> Series {
        Series {
            samples: samples
                .iter()
                .map(|&(unix_secs, ms)| Sample { unix_secs, ms })
                .collect(),
            max_ms,
        }
    }

    #[test]
    fn one_sample_per_second_keeps_the_worst_and_160_at_most() {
        let mut s = Series::default();
        s.add(10, 5);
        s.add(10, 3);
        s.add(10, 9);
        assert_eq!(s, series(&[(10, 9)], 9));
        for t in 11..11 + SAMPLES_MAX as u64 {
            s.add(t, 1);
        }
        assert_eq!(s.samples.len(), SAMPLES_MAX);
        assert_eq!(s.samples.front().unwrap().unix_secs, 11);
        assert_eq!(s.max_ms, 9);
    }

    #[test]
    fn merge_interleaves_threads_by_time() {
        let a = vec![
            ("command", series(&[(1, 10), (3, 30)], 30)),
            ("fast-command", series(&[(2, 12)], 40)),
        ];
        let b = vec![("command", series(&[(2, 20), (3, 50)], 50))];
        let merged = merge(vec![a, b]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].0, "command");
        assert_eq!(merged[0].1, series(&[(1, 10), (2, 20), (3, 50)], 50));
        assert_eq!(merged[1].0, "fast-command");
        assert_eq!(merged[1].1.max_ms, 40);
    }

    #[test]
    fn merge_keeps_the_newest_160_seconds() {
        let old: Vec<(u64, u64)> = (0..SAMPLES_MAX as u64).map(|t| (t * 2, 1)).collect();
        let new: Vec<(u64, u64)> = (0..SAMPLES_MAX as u64).map(|t| (t * 2 + 1, 2)).collect();
        let merged = merge(vec![
            vec![("command", series(&old, 1))],
            vec![("command", series(&new, 2))],
        ]);
        let s = &merged[0].1;
        assert_eq!(s.samples.len(), SAMPLES_MAX);
        assert_eq!(s.samples.back().unwrap().unix_secs, 319);
        assert_eq!(s.samples.front().unwrap().unix_secs, 160);
    }

    #[test]
    fn reset_clears_named_events_only() {
        reset(None);
        add_sample("command", 5);
        add_sample("other", 5);
        assert_eq!(reset(Some(&[b"nosuch".to_vec()])), Vec::<&str>::new());
        assert_eq!(reset(Some(&[b"other".to_vec()])), ["other"]);
        assert_eq!(snapshot().len(), 1);
        assert_eq!(reset(None), ["command"]);
        assert!(snapshot().is_empty());
    }

    #[test]
    fn graph_has_the_header_bars_and_age_labels() {
        let s = series(&[(100, 10), (160, 40)], 70);
        let text = render_graph("command", &s, 170);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 40 ms, low 10 ms (all time high 70 ms)"
        );
        assert_eq!(lines[1], "-".repeat(GRAPH_COLS));
        assert_eq!(&lines[2..6], [" #", " #", " #", "##"]);
        // Labels "1m" and "10s" run downwards.
        assert_eq!(&lines[6..], ["11", "m0", " s"]);
    }

    #[test]
    fn doctor_speaks_as_redis_when_off_or_quiet() {
        assert!(doctor_report(false, &[], 0).starts_with("I'm sorry, Dave"));
        assert!(doctor_report(true, &[], 0).starts_with("Dave, no latency spike"));
        let events = vec![("command", series(&[(1, 10), (2, 30)], 30))];
        let text = doctor_report(true, &events, 3);
        assert!(
            text.contains("1. command: 2 latency spikes (average 20ms, mean deviation 10ms, period 1.00 sec). Worst all time event 30ms."),
            "{text}"
        );
    }
}
