//! Unit tests of `config::value`'s number parsers (Redis's string2ll, memtoull and
//! strtoll), its special values and proc-title templates.

use super::*;

#[test]
fn string2ll_is_strict() {
    assert_eq!(string2ll(b"0"), Some(0));
    assert_eq!(string2ll(b"-1"), Some(-1));
    assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
    assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
    for bad in [
        &b""[..],
        b"-0",
        b"01",
        b"+1",
        b" 1",
        b"1 ",
        b"9223372036854775808",
        b"-",
    ] {
        assert_eq!(string2ll(bad), None, "{bad:?}");
    }
}

#[test]
fn memtoull_matches_redis() {
    assert_eq!(memtoull(b"1k"), Some(1000));
    assert_eq!(memtoull(b"1Kb"), Some(1024));
    assert_eq!(memtoull(b"10GB"), Some(10 << 30));
    assert_eq!(memtoull(b"1B"), Some(1));
    assert_eq!(memtoull(b"0099"), Some(99));
    assert_eq!(memtoull(b""), Some(0));
    assert_eq!(memtoull(b"kb"), Some(0));
    assert_eq!(memtoull(b"99999999999999999999999"), Some(u64::MAX));
    assert_eq!(memtoull(b"99999999999999999999999k"), None);
    assert_eq!(memtoull(b"-0"), None);
    assert_eq!(memtoull(b"1.5gb"), None);
    assert_eq!(memtoull(b"1t"), None);
}

#[test]
fn strtoll_edges() {
    assert_eq!(strtoll_lenient(b""), Some(0));
    assert_eq!(strtoll_lenient(b" +7"), Some(7));
    assert_eq!(strtoll_lenient(b"07"), Some(7));
    assert_eq!(strtoll_lenient(b"+"), None);
    assert_eq!(strtoll_lenient(b"  "), None);
    assert_eq!(strtoll_lenient(b"1 "), None);
    assert_eq!(strtoll_lenient(b"99999999999999999999"), Some(i64::MAX));
    assert_eq!(strtoll_exact(b"777", 8), Some(0o777));
    assert_eq!(strtoll_exact(b"8", 8), None);
}

#[test]
fn special_values() {
    let args =
        |s: &'static str| -> Vec<&'static [u8]> { s.split(' ').map(str::as_bytes).collect() };
    assert_eq!(
        parse_save(&args("0100 2 +5 4294967297")).unwrap(),
        b"100 2 5 1"
    );
    assert!(parse_save(&args("100 2 ")).is_err());
    assert_eq!(parse_save(&[b""]).unwrap(), b"");
    let old = b"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
    assert_eq!(
        parse_obuf_limits(&args("pubsub 1kb 2m 3 REPLICA 1 1 4294967297"), old).unwrap(),
        b"normal 0 0 0 slave 1 1 1 pubsub 1024 2000000 3"
    );
    assert_eq!(parse_notify(b"KEA").unwrap(), b"AKE");
    assert_eq!(parse_notify(b"Ex").unwrap(), b"xE");
    assert_eq!(parse_notify(b"Anm").unwrap(), b"Am");
    assert_eq!(parse_notify(b"Kn").unwrap(), b"nK");
    assert_eq!(parse_notify(b"g$lshzxetdn").unwrap(), b"A");
    assert_eq!(
        parse_percentiles(&args("0.0000001 -0 1e2 0x10")).unwrap(),
        b"0 -0 100 16"
    );
    assert_eq!(parse_oom_values(&args("-1 +2 03")).unwrap(), b"-1 2 3");
    assert_eq!(
        parse_shutdown_flags(&args("force now")).unwrap(),
        b"now force"
    );
    assert_eq!(parse_shutdown_flags(&args("default now")).unwrap(), b"now");
    assert!(parse_shutdown_flags(&args("save nosave")).is_err());
    assert_eq!(parse_replicaof(&args("NO ONE")).unwrap(), b"");
    assert_eq!(parse_replicaof(&args("h 007")).unwrap(), b"h 7");
}

#[test]
fn proc_title_templates() {
    assert!(valid_proc_title(b"{title} {listen-addr} {server-mode}"));
    assert!(valid_proc_title(b"{{x} }"));
    assert!(!valid_proc_title(b"{title} {foo}"));
    assert!(!valid_proc_title(b" {title} "));
    assert!(!valid_proc_title(b"{port"));
}
