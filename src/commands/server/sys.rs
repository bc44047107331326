//! What INFO asks the operating system: CPU time (getrusage), resident memory
//! (/proc/self/statm), physical memory and the kernel's name (uname). Every probe
//! degrades to zero or an empty string instead of failing: INFO must always answer.

use std::time::Duration;

/// CPU time split the way INFO cpu reports it.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTimes {
    pub sys: Duration,
    pub user: Duration,
}

fn rusage(who: libc::c_int) -> CpuTimes {
    // SAFETY: getrusage writes into the zeroed struct we own; `who` is one of the
    // RUSAGE_* constants.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, exclusively borrowed rusage for the call to fill.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return CpuTimes::default();
    }
    let to_duration = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec.max(0) as u64)
            + Duration::from_micros(tv.tv_usec.max(0) as u64)
    };
    CpuTimes {
        sys: to_duration(usage.ru_stime),
        user: to_duration(usage.ru_utime),
    }
}

/// CPU used by the whole process.
pub fn cpu_process() -> CpuTimes {
    rusage(libc::RUSAGE_SELF)
}

/// CPU used by waited-for children (none until persistence forks).
pub fn cpu_children() -> CpuTimes {
    rusage(libc::RUSAGE_CHILDREN)
}

/// CPU used by the calling thread (Redis's `_main_thread` figures).
pub fn cpu_thread() -> CpuTimes {
    rusage(libc::RUSAGE_THREAD)
}

/// Formats a duration as Redis does for CPU seconds (`%ld.%06ld`).
pub fn seconds_micros(d: Duration) -> String {
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

pub use crate::alloc::{page_bytes, rss_bytes};

/// Physical memory of the machine, in bytes.
pub fn total_system_memory_bytes() -> u64 {
    // SAFETY: sysconf has no memory effects.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as u64 * page_bytes()
    } else {
        0
    }
}

/// `sysname release machine`, as INFO's `os` field shows it.
pub fn os_name() -> String {
    // SAFETY: uname fills the zeroed struct we own.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is a valid, exclusively borrowed utsname for the call to fill.
    if unsafe { libc::uname(&mut name) } != 0 {
        return String::new();
    }
    let field = |chars: &[libc::c_char]| {
        let bytes: Vec<u8> = chars
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&name.sysname),
        field(&name.release),
        field(&name.machine)
    )
}

/// Redis's `bytesToHuman`: `999B`, `1.50K`, `2.00M`, ...
pub fn bytes_to_human(bytes: u64) -> String {
    const UNITS: [(&str, u64); 5] = [
        ("K", 1 << 10),
        ("M", 1 << 20),
        ("G", 1 << 30),
        ("T", 1 << 40),
        ("P", 1 << 50),
    ];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    for (i, (unit, size)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1).map_or(u64::MAX, |u| u.1);
        if bytes < next {
            return format!("{:.2}{unit}", bytes as f64 / *size as f64);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_follow_redis() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(916432), "894.95K");
        assert_eq!(bytes_to_human(6668288), "6.36M");
        assert_eq!(bytes_to_human(25276514304), "23.54G");
    }

    #[test]
    fn probes_answer() {
        assert!(rss_bytes() > 0);
        assert!(total_system_memory_bytes() > 0);
        assert!(os_name().starts_with("Linux"));
        assert_eq!(seconds_micros(Duration::from_micros(2_703)), "0.002703");
    }
}
