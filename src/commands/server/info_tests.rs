//! Unit tests of INFO's section selection (which sections `INFO a b` gives, as Redis
//! 7.0 chooses them) and of which sections need the other shards.

use super::*;

fn want(parts: &[&str]) -> Vec<&'static str> {
    let mut args = vec!["info"];
    args.extend_from_slice(parts);
    let buf = ArgsBuf::from_slices(args.iter().map(|a| a.as_bytes()));
    selected(&buf)
        .iter()
        .zip(SECTIONS)
        .filter(|(w, _)| **w)
        .map(|(_, s)| s.name)
        .collect()
}

#[test]
fn section_selection_follows_redis() {
    let default = want(&[]);
    assert!(!default.contains(&"commandstats") && default.contains(&"keyspace"));
    assert_eq!(want(&["default"]), default);
    assert_eq!(want(&["all"]).len(), SECTIONS.len());
    assert_eq!(want(&["EVERYTHING"]).len(), SECTIONS.len());
    assert_eq!(want(&["keyspace", "Server"]), vec!["server", "keyspace"]);
    assert!(want(&["bogus"]).is_empty());
    assert_eq!(want(&["commandstats", "default"]).len(), default.len() + 1);
}

#[test]
fn sections_polled_during_saves_need_no_fan_out() {
    let local: Vec<&str> = SECTIONS
        .iter()
        .filter(|s| matches!(s.write, Local(_)))
        .map(|s| s.name)
        .collect();
    assert_eq!(
        local,
        [
            "server",
            "persistence",
            "replication",
            "cpu",
            "modules",
            "cluster"
        ]
    );
}
