//! Declared key specs (Redis 7.0's `key_specs` of COMMAND INFO): where each group of
//! keys of a command begins (`begin_search`) and how far it runs (`find_keys`), with
//! its access flags. A command declares them in its family's `FamilyDocs::key_specs`
//! when the single spec derived from its legacy key positions does not describe it
//! (several keys with different flags, keys counted after a timeout, keys Redis marks
//! `unknown`). COMMAND GETKEYS / GETKEYSANDFLAGS find keys through the same specs.

use crate::protocol::args::Args;
use crate::protocol::reply::Reply;
use crate::util::num::{parse_i64, strtol};

/// Finds the key of an `unknown` spec in one call (what Redis's getkeys procedures do);
/// `None` when the call has no such key.
pub type Resolver = fn(Args) -> Option<usize>;

/// Where the search for a spec's keys begins.
#[derive(Clone, Copy)]
pub enum Begin {
    /// At this argument index.
    Index(i32),
    /// After the keyword, searched from `startfrom` (negative: from the end).
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
    /// Redis cannot say (shown as `unknown`); the resolver finds the key for GETKEYS.
    Unknown(Option<Resolver>),
}

/// How many keys follow the beginning.
#[derive(Clone, Copy)]
pub enum Find {
    /// Up to `lastkey` (relative to the beginning; negative: from the end).
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// The count at `keynumidx`, keys from `firstkey` (both relative to the beginning).
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
    Unknown,
}

/// One key spec.
#[derive(Clone, Copy)]
pub struct KeySpec {
    /// Shown as `notes` when not empty.
    pub notes: &'static str,
    pub flags: &'static [&'static str],
    pub begin: Begin,
    pub find: Find,
}

impl KeySpec {
    /// One key at `index`.
    pub const fn at(index: i32, flags: &'static [&'static str]) -> KeySpec {
        KeySpec::range(index, 0, flags)
    }

    /// Keys from `index` to `lastkey` (relative; negative counts from the end).
    pub const fn range(index: i32, lastkey: i32, flags: &'static [&'static str]) -> KeySpec {
        KeySpec {
            notes: "",
            flags,
            begin: Begin::Index(index),
            find: Find::Range {
                lastkey,
                keystep: 1,
                limit: 0,
            },
        }
    }

    /// Keys counted by the argument at `index`, right after it.
    pub const fn keynum(index: i32, flags: &'static [&'static str]) -> KeySpec {
        KeySpec {
            notes: "",
            flags,
            begin: Begin::Index(index),
            find: Find::Keynum {
                keynumidx: 0,
                firstkey: 1,
                keystep: 1,
            },
        }
    }

    /// An `unknown` spec (Redis's notes text, flags, and how GETKEYS finds its key).
    pub const fn unknown(
        notes: &'static str,
        flags: &'static [&'static str],
        resolve: Option<Resolver>,
    ) -> KeySpec {
        KeySpec {
            notes,
            flags,
            begin: Begin::Unknown(resolve),
            find: Find::Unknown,
        }
    }

    /// This spec with Redis's `notes` text.
    pub const fn noted(self, notes: &'static str) -> KeySpec {
        KeySpec { notes, ..self }
    }

    /// Whether this spec makes a command's keys movable (Redis derives `movablekeys`
    /// from any spec that is not an index search with a range).
    pub fn is_movable(&self) -> bool {
        !matches!(
            (self.begin, self.find),
            (Begin::Index(_), Find::Range { .. })
        )
    }

    /// The key indexes this spec finds in one call (`args[0]` is the command name);
    /// false when the call is invalid for it (a key count that is not a positive
    /// number of the arguments there are: Redis then finds no key at all).
    pub fn keys_of(&self, args: Args, out: &mut Vec<usize>) -> bool {
        let argc = args.len() as i64;
        let start = match self.begin {
            Begin::Index(i) => i as i64,
            Begin::Keyword { keyword, startfrom } => {
                let found = if startfrom >= 0 {
                    (startfrom as i64..argc).find(|&i| is_word(args, i, keyword))
                } else {
                    (1..=argc + startfrom as i64)
                        .rev()
                        .find(|&i| is_word(args, i, keyword))
                };
                match found {
                    Some(i) => i + 1,
                    None => return true,
                }
            }
            Begin::Unknown(resolve) => {
                if let Some(i) = resolve.and_then(|f| f(args)) {
                    out.push(i);
                }
                return true;
            }
        };
        if start <= 0 || start >= argc {
            return true;
        }
        match self.find {
            Find::Range {
                lastkey, keystep, ..
            } => {
                let last = if lastkey >= 0 {
                    start + lastkey as i64
                } else {
                    argc + lastkey as i64
                };
                let last = last.min(argc - 1);
                let mut i = start;
                while i <= last {
                    out.push(i as usize);
                    i += keystep.max(1) as i64;
                }
            }
            Find::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let at = start + keynumidx as i64;
                let Some(count) = args.get(at as usize).and_then(parse_i64) else {
                    return false;
                };
                if count < 0 {
                    return false;
                }
                // Redis takes the count as `(int)numkeys`: 2^32 + 1 counts one key.
                let first = start + firstkey as i64;
                let last = first + count as i32 as i64 - 1;
                if last >= argc || last < first {
                    return false;
                }
                out.extend(
                    (first..=last)
                        .step_by(keystep.max(1) as usize)
                        .map(|i| i as usize),
                );
            }
            Find::Unknown => {}
        }
        true
    }

    /// The keys Redis's getkeys procedure of a counted-keys command finds (its
    /// `genericGetKeys`), which it falls back to when the spec itself fails: the count
    /// read with C's `atoi` ("1.5" and "1x" count 1), keys from the first one, none when
    /// the count is below 1 or more than the arguments left. Nothing for other specs.
    pub fn keys_of_counted_leniently(&self, args: Args, out: &mut Vec<usize>) {
        let (
            Begin::Index(start),
            Find::Keynum {
                keynumidx,
                firstkey,
                keystep,
            },
        ) = (self.begin, self.find)
        else {
            return;
        };
        let Some(text) = args.get((start + keynumidx) as usize) else {
            return;
        };
        let count = strtol(text) as i32 as i64;
        let first = (start + firstkey) as i64;
        let step = keystep.max(1) as i64;
        if count < 1 || count > (args.len() as i64 - first) / step {
            return;
        }
        out.extend((0..count).map(|n| (first + n * step) as usize));
    }

    /// Writes this spec as COMMAND INFO does.
    pub fn write(&self, r: &mut Reply) {
        r.map(3 + !self.notes.is_empty() as usize);
        if !self.notes.is_empty() {
            r.bulk(b"notes");
            r.bulk(self.notes.as_bytes());
        }
        r.bulk(b"flags");
        r.set(self.flags.len());
        for name in self.flags {
            r.simple(name);
        }
        r.bulk(b"begin_search");
        r.map(2);
        r.bulk(b"type");
        match self.begin {
            Begin::Index(index) => int_spec(r, b"index", &[(b"index", index as i64)]),
            Begin::Keyword { keyword, startfrom } => {
                r.bulk(b"keyword");
                r.bulk(b"spec");
                r.map(2);
                r.bulk(b"keyword");
                r.bulk(keyword.as_bytes());
                r.bulk(b"startfrom");
                r.int(startfrom as i64);
            }
            Begin::Unknown(_) => {
                r.bulk(b"unknown");
                r.bulk(b"spec");
                r.map(0);
            }
        }
        r.bulk(b"find_keys");
        r.map(2);
        r.bulk(b"type");
        match self.find {
            Find::Range {
                lastkey,
                keystep,
                limit,
            } => int_spec(
                r,
                b"range",
                &[
                    (b"lastkey", lastkey as i64),
                    (b"keystep", keystep as i64),
                    (b"limit", limit as i64),
                ],
            ),
            Find::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => int_spec(
                r,
                b"keynum",
                &[
                    (b"keynumidx", keynumidx as i64),
                    (b"firstkey", firstkey as i64),
                    (b"keystep", keystep as i64),
                ],
            ),
            Find::Unknown => {
                r.bulk(b"unknown");
                r.bulk(b"spec");
                r.map(0);
            }
        }
    }
}

/// The rest of a `begin_search` or `find_keys` map: its type name, then a `spec` map of
/// integer fields.
fn int_spec(r: &mut Reply, type_name: &[u8], fields: &[(&[u8], i64)]) {
    r.bulk(type_name);
    r.bulk(b"spec");
    r.map(fields.len());
    for (name, value) in fields {
        r.bulk(name);
        r.int(*value);
    }
}

fn is_word(args: Args, i: i64, word: &str) -> bool {
    args.get(i as usize)
        .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
}

/// SORT's STORE destination as Redis's sortGetKeys finds it: the argument after the
/// last `STORE`, skipping the arguments of LIMIT, GET and BY.
pub fn sort_store_key(args: Args) -> Option<usize> {
    let mut found = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"LIMIT") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"GET") || a.eq_ignore_ascii_case(b"BY") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"STORE") && i + 1 < args.len() {
            found = Some(i + 1);
        }
        i += 1;
    }
    found
}
