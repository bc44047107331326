//! Fitting `maxclients` to the open-files limit at startup, as Redis does: the soft
//! limit is raised to what `maxclients` needs (up to the hard limit, or beyond it with
//! privileges); when even that falls short, `maxclients` is lowered to what fits, with
//! Redis's warnings, so the client past the limit gets "max number of clients reached"
//! instead of a connection the server cannot accept.

use std::io;

use crate::config::Config;
use crate::runtime;

/// Descriptors Redis keeps beyond one per client (its listeners, log, files).
pub const RESERVED_FDS: u64 = 32;
/// Descriptors each executor thread holds: its io_uring rings and their eventfds, its
/// epoll set and its copy of the listening socket.
pub const FDS_PER_THREAD: u64 = 8;

/// Raises the soft limit to what `maxclients` needs, or lowers `maxclients` in `config`
/// to what the limit allows. Fails when the limit leaves no room for a single client.
pub fn fit_maxclients(config: &mut Config, threads: usize) -> io::Result<()> {
    let maxclients = config.settings().maxclients;
    let reserved = RESERVED_FDS + FDS_PER_THREAD * threads as u64;
    let wanted = maxclients.saturating_add(reserved);
    let (soft, hard) = match runtime::open_files_limit() {
        Ok(limits) => limits,
        Err(e) => {
            tracing::warn!(
                "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
                crate::config::os_error_text(&e)
            );
            (1024, 1024)
        }
    };
    if soft >= wanted {
        return Ok(());
    }
    let (best, error) = raise_soft_limit(wanted, soft, hard);
    if best >= wanted {
        tracing::info!(
            "Increased maximum number of open files to {wanted} (it was originally set to {soft})."
        );
        return Ok(());
    }
    if best <= reserved {
        return Err(io::Error::other(format!(
            "Your current 'ulimit -n' of {best} is not enough for the server to start. Please increase your open file limit to at least {wanted}. Exiting."
        )));
    }
    let reduced = best - reserved;
    tracing::warn!(
        "You requested maxclients of {maxclients} requiring at least {wanted} max file descriptors."
    );
    tracing::warn!(
        "Server can't set maximum open files to {wanted} because of OS error: {}.",
        crate::config::os_error_text(&error)
    );
    tracing::warn!(
        "Current maximum open files is {best}. maxclients has been reduced to {reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
    );
    config
        .set(&[(b"maxclients", reduced.to_string().as_bytes())])
        .map_err(io::Error::other)
}

/// Tries `wanted` with the hard limit raised as well (allowed with privileges), then the
/// hard limit itself; returns the soft limit now in force and the last refusal.
fn raise_soft_limit(wanted: u64, soft: u64, hard: u64) -> (u64, io::Error) {
    let mut error = io::Error::other("the hard limit is lower");
    for (new_soft, new_hard) in [(wanted, wanted.max(hard)), (wanted.min(hard), hard)] {
        if new_soft <= soft {
            continue;
        }
        match runtime::set_open_files_limit(new_soft, new_hard) {
            Ok(()) => return (new_soft, error),
            Err(e) => error = e,
        }
    }
    (soft, error)
}
