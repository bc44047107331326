//! Fitting `maxclients` to the open-files limit, as Redis does: the soft limit is
//! raised to what `maxclients` needs (up to the hard limit, or beyond it with
//! privileges); when even that falls short, startup lowers `maxclients` to what fits,
//! with Redis's warnings, and CONFIG SET refuses it. The client past the limit then gets
//! "max number of clients reached" instead of a connection the server cannot accept.

use std::io;

/// Descriptors Redis keeps beyond one per client (its listeners, log, files).
pub const RESERVED_FDS: u64 = 32;
/// Descriptors each executor thread holds: its io_uring rings and their eventfds, its
/// epoll set and its copy of the listening socket.
pub const FDS_PER_THREAD: u64 = 8;

/// The current soft and hard limits (1024 for both, with a warning, when unknown).
fn current_limits() -> (u64, u64) {
    super::open_files_limit().unwrap_or_else(|e| {
        tracing::warn!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            crate::errors::os_error_text(&e)
        );
        (1024, 1024)
    })
}

/// What raising the limit for a `maxclients` came to.
struct Fit {
    /// Descriptors `maxclients` needs, and those kept beyond one per client.
    wanted: u64,
    reserved: u64,
    /// The soft limit now in force.
    soft_now: u64,
    /// Why it could not be raised further.
    error: io::Error,
}

impl Fit {
    fn enough(&self) -> bool {
        self.soft_now >= self.wanted
    }

    /// Clients the limit now in force allows.
    fn clients(&self) -> u64 {
        self.soft_now.saturating_sub(self.reserved)
    }
}

/// Raises the soft limit towards what `maxclients` needs (logging a raise as Redis does).
fn fit(maxclients: u64, threads: usize) -> Fit {
    let reserved = RESERVED_FDS + FDS_PER_THREAD * threads as u64;
    let wanted = maxclients.saturating_add(reserved);
    let (soft, hard) = current_limits();
    let (soft_now, error) = if soft >= wanted {
        (soft, io::Error::other("no change needed"))
    } else {
        raise_soft_limit(wanted, soft, hard)
    };
    if soft_now > soft && soft_now >= wanted {
        tracing::info!(
            "Increased maximum number of open files to {wanted} (it was originally set to {soft})."
        );
    }
    Fit {
        wanted,
        reserved,
        soft_now,
        error,
    }
}

/// At startup: raises the soft limit to what `maxclients` needs, or returns the lower
/// `maxclients` the limit allows (logged as Redis does). Fails when the limit leaves no
/// room for a single client.
pub fn fit_maxclients(maxclients: u64, threads: usize) -> io::Result<u64> {
    let f = fit(maxclients, threads);
    if f.enough() {
        return Ok(maxclients);
    }
    let (wanted, best) = (f.wanted, f.soft_now);
    if best <= f.reserved {
        return Err(io::Error::other(format!(
            "Your current 'ulimit -n' of {best} is not enough for the server to start. Please increase your open file limit to at least {wanted}. Exiting."
        )));
    }
    tracing::warn!(
        "You requested maxclients of {maxclients} requiring at least {wanted} max file descriptors."
    );
    tracing::warn!(
        "Server can't set maximum open files to {wanted} because of OS error: {}.",
        crate::errors::os_error_text(&f.error)
    );
    tracing::warn!(
        "Current maximum open files is {best}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        f.clients()
    );
    Ok(f.clients())
}

/// CONFIG SET maxclients: raises the soft limit to what `maxclients` needs; when it
/// cannot, returns how many clients the limit allows (the setting is then refused).
pub fn make_room_for(maxclients: u64, threads: usize) -> Result<(), u64> {
    let f = fit(maxclients, threads);
    if f.enough() { Ok(()) } else { Err(f.clients()) }
}

/// Tries `wanted` with the hard limit raised as well (allowed with privileges), then the
/// hard limit itself; returns the soft limit now in force and the last refusal.
fn raise_soft_limit(wanted: u64, soft: u64, hard: u64) -> (u64, io::Error) {
    let mut error = io::Error::other("the hard limit is lower");
    for (new_soft, new_hard) in [(wanted, wanted.max(hard)), (wanted.min(hard), hard)] {
        if new_soft <= soft {
            continue;
        }
        match super::set_open_files_limit(new_soft, new_hard) {
            Ok(()) => return (new_soft, error),
            Err(e) => error = e,
        }
    }
    (soft, error)
}
