//! SORT and SORT_RO: sort the elements of a set (lists and sorted sets: see
//! [`source_elements`]) numerically or with ALPHA, by the elements themselves or BY the
//! values of other keys (`weight_*`, `h_*->field`), with LIMIT, GET patterns (`#` is the
//! element itself), ASC/DESC and (SORT only) STORE into a list. Redis 7.0's order of
//! checks, its LIMIT clamping, its tie-break (equal scores compare the elements) and its
//! quirks (a BY pattern without `*` means "do not sort"; a set stored unsorted is
//! sorted ALPHA so the result is deterministic) are kept.
//!
//! Atomicity: without BY/GET lookups the command locks its key (shared) and the STORE
//! destination (exclusive), one hop when both are on one shard. With lookups the keys
//! it reads are only known from the elements, so it locks every shard whole (the
//! destination's shard exclusive) for the duration: read the elements, fetch the
//! looked-up values shard by shard, sort on the connection's thread, store.

use hashbrown::HashMap;

use super::keyspace::shard_ctx;
use super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags, keys};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::tx::{LockMode, LockSet};
use crate::storage::{Value, ValueRef};
use crate::util::num::{parse_f64_lenient, parse_i64};

// ---- options ------------------------------------------------------------------------------

struct SortArgs {
    key: Vec<u8>,
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<Vec<u8>>,
    by: Option<Vec<u8>>,
    /// BY without `*`: keep the elements' own order.
    dontsort: bool,
    gets: Vec<Vec<u8>>,
}

impl SortArgs {
    /// Do BY or GET read other keys (so the keys read are not known in advance)?
    fn needs_lookups(&self) -> bool {
        let by = !self.dontsort && self.by.as_deref().is_some_and(|p| p.contains(&b'*'));
        by || self
            .gets
            .iter()
            .any(|g| g.as_slice() != b"#" && g.contains(&b'*'))
    }
}

/// Parses the options in Redis's order; the first error wins.
fn parse(args: Args, readonly: bool) -> Result<SortArgs, &'static str> {
    let mut a = SortArgs {
        key: args[1].to_vec(),
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"ASC") {
            a.desc = false;
        } else if opt.eq_ignore_ascii_case(b"DESC") {
            a.desc = true;
        } else if opt.eq_ignore_ascii_case(b"ALPHA") {
            a.alpha = true;
        } else if opt.eq_ignore_ascii_case(b"LIMIT") && left >= 2 {
            a.limit_start = parse_i64(&args[j + 1]).ok_or(errors::NOT_INTEGER)?;
            a.limit_count = parse_i64(&args[j + 2]).ok_or(errors::NOT_INTEGER)?;
            j += 2;
        } else if !readonly && opt.eq_ignore_ascii_case(b"STORE") && left >= 1 {
            a.store = Some(args[j + 1].to_vec());
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"BY") && left >= 1 {
            let pattern = &args[j + 1];
            a.dontsort = !pattern.contains(&b'*');
            a.by = Some(pattern.to_vec());
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"GET") && left >= 1 {
            a.gets.push(args[j + 1].to_vec());
            j += 1;
        } else {
            return Err(errors::SYNTAX);
        }
        j += 1;
    }
    Ok(a)
}

// ---- source elements and looked-up values (the integrator's extension points) -------------

/// What the sorted key holds: its kind matters for BY-without-`*` (lists and sorted
/// sets keep their order, honouring DESC and LIMIT; sets are iterated).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

enum SourceError {
    WrongType,
}

/// The elements of `value` in its own order: a list head to tail, a sorted set by
/// rank, a set in iteration order.
fn source_elements(value: ValueRef<'_>) -> Result<(Kind, Vec<Vec<u8>>), SourceError> {
    match value {
        ValueRef::Set(s) => Ok((Kind::Set, s.iter().map(|m| m.to_vec()).collect())),
        ValueRef::List(l) => Ok((Kind::List, l.iter().map(<[u8]>::to_vec).collect())),
        ValueRef::ZSet(z) => {
            let mut members = Vec::with_capacity(z.len());
            z.walk(0, z.len(), false, |m, _| {
                members.push(m.to_vec());
                true
            });
            Ok((Kind::ZSet, members))
        }
        _ => Err(SourceError::WrongType),
    }
}

/// The list SORT ... STORE writes (nodes sized by `list-max-listpack-size`).
fn list_value(items: Vec<Vec<u8>>, fill: i64) -> Value {
    let mut list = crate::storage::list::ListValue::new(fill);
    for item in &items {
        list.push_back(item);
    }
    Value::List(list)
}

/// The value of `field` in a hash value (`pattern->field`); None for other types.
fn hash_field(value: ValueRef<'_>, field: &[u8]) -> Option<Vec<u8>> {
    match value {
        ValueRef::Hash(h) => h.get(field).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// Reads the key to sort: Ok(None) when missing (an empty list to Redis). A sorted set
/// kept as a listpack becomes a skiplist, as Redis's SORT converts it: OBJECT ENCODING
/// shows it, and lex ranges over mixed scores answer by the encoding.
fn read_source(ctx: &mut ShardCtx, key: &[u8]) -> Result<(Kind, Vec<Vec<u8>>), SourceError> {
    let Some(e) = ctx.lookup_read(key) else {
        return Ok((Kind::List, Vec::new()));
    };
    if let ValueRef::ZSet(_) = e.value()
        && let Some(Value::ZSet(z)) = e.value_mut()
    {
        z.convert_to_skiplist();
    }
    source_elements(e.value())
}

/// A key (and hash field) a pattern names for one element.
type LookupKey = (Vec<u8>, Option<Vec<u8>>);

/// Redis's `lookupKeyByPattern` up to the lookup: `#` is the element itself
/// (`Ok(None)`), a pattern without `*` names nothing (`Err(())`), else the key with the
/// first `*` replaced by the element, and the hash field after a `->` that follows it.
fn pattern_key(pattern: &[u8], element: &[u8]) -> Result<Option<LookupKey>, ()> {
    if pattern == b"#" {
        return Ok(None);
    }
    let star = pattern.iter().position(|&b| b == b'*').ok_or(())?;
    let after = &pattern[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&at| at + 2 < after.len());
    let (postfix, field) = match arrow {
        Some(at) => (&after[..at], Some(after[at + 2..].to_vec())),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(star + element.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(postfix);
    Ok(Some((key, field)))
}

/// The value a lookup finds: a string key, or a hash field.
fn lookup_value(ctx: &mut ShardCtx, key: &[u8], field: Option<&[u8]>) -> Option<Vec<u8>> {
    let e = ctx.lookup_read(key)?;
    match field {
        Some(f) => hash_field(e.value(), f),
        None => {
            let mut tmp = [0u8; 20];
            e.value().string_bytes(&mut tmp).map(|b| b.to_vec())
        }
    }
}

/// Every key the BY and GET patterns read for these elements.
fn needed_lookups(a: &SortArgs, elements: &[Vec<u8>]) -> Vec<LookupKey> {
    let mut patterns: Vec<&[u8]> = a.gets.iter().map(|g| g.as_slice()).collect();
    if !a.dontsort
        && let Some(by) = &a.by
    {
        patterns.push(by);
    }
    let mut out: Vec<LookupKey> = Vec::new();
    let mut seen: hashbrown::HashSet<LookupKey> = hashbrown::HashSet::new();
    for e in elements {
        for p in &patterns {
            if let Ok(Some(k)) = pattern_key(p, e)
                && seen.insert(k.clone())
            {
                out.push(k);
            }
        }
    }
    out
}

type Fetched = HashMap<LookupKey, Option<Vec<u8>>>;
/// Finds the value of a key (and hash field) during the sort.
type Lookup<'a> = dyn Fn(&[u8], Option<&[u8]>) -> Option<Vec<u8>> + 'a;

fn fetch_local(ctx: &mut ShardCtx, needed: Vec<LookupKey>) -> Fetched {
    needed
        .into_iter()
        .map(|k| {
            let v = lookup_value(ctx, &k.0, k.1.as_deref());
            (k, v)
        })
        .collect()
}

// ---- the sort itself ------------------------------------------------------------------------

/// `strtod` as SORT uses it: the whole text up to a NUL must parse, NaN and ERANGE
/// (overflow, or underflow of a nonzero mantissa) are errors; "" is 0.
fn sort_score(text: &[u8]) -> Option<f64> {
    let v = parse_f64_lenient(text)?;
    let lower = text.to_ascii_lowercase();
    if v.is_infinite() && !lower.windows(3).any(|w| w == b"inf") {
        return None;
    }
    if v == 0.0 || v.is_subnormal() {
        let hex = lower.windows(2).any(|w| w == b"0x");
        let exponent = if hex { b'p' } else { b'e' };
        let mantissa = lower.split(|&b| b == exponent).next().unwrap_or(&[]);
        let digits: &[u8] = if hex {
            mantissa
                .windows(2)
                .position(|w| w == b"0x")
                .map_or(mantissa, |at| &mantissa[at + 2..])
        } else {
            mantissa
        };
        let nonzero = digits
            .iter()
            .any(|&b| (b'1'..=b'9').contains(&b) || (hex && (b'a'..=b'f').contains(&b)));
        if nonzero {
            return None;
        }
    }
    Some(v)
}

/// One element being sorted and what it sorts by.
struct Item {
    element: Vec<u8>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

/// The flat output: elements, or per element one value per GET (None: missing).
struct Sorted {
    values: Vec<Option<Vec<u8>>>,
}

fn compute(
    a: &SortArgs,
    kind: Kind,
    elements: Vec<Vec<u8>>,
    lookup: &Lookup<'_>,
) -> Result<Sorted, &'static str> {
    let (mut dontsort, mut alpha, mut by) = (a.dontsort, a.alpha, a.by.as_deref());
    if dontsort && kind == Kind::Set && a.store.is_some() {
        // A stored unsorted set must be deterministic: Redis sorts it ALPHA.
        (dontsort, alpha, by) = (false, true, None);
    }
    let len = elements.len() as i64;
    let mut start = a.limit_start.clamp(0, len);
    let count = a.limit_count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    let mut elements = elements;
    if dontsort && kind != Kind::Set {
        if a.desc {
            elements.reverse();
        }
        elements = if end >= start {
            elements.drain(start as usize..=end as usize).collect()
        } else {
            Vec::new()
        };
        end -= start;
        start = 0;
    }
    let mut items: Vec<Item> = elements
        .into_iter()
        .map(|element| Item {
            element,
            score: 0.0,
            cmp: None,
        })
        .collect();
    if !dontsort {
        let mut conversion_error = false;
        for it in &mut items {
            let by_value = match by {
                Some(p) => match pattern_key(p, &it.element) {
                    Ok(Some((key, field))) => lookup(&key, field.as_deref()),
                    Ok(None) => Some(it.element.clone()),
                    Err(()) => None,
                },
                None => Some(it.element.clone()),
            };
            let Some(v) = by_value else { continue };
            if alpha {
                if by.is_some() {
                    it.cmp = Some(v);
                }
            } else {
                match sort_score(&v) {
                    Some(s) => it.score = s,
                    None => conversion_error = true,
                }
            }
        }
        if conversion_error {
            return Err(errors::SORT_SCORE_NOT_DOUBLE);
        }
        let by_pattern = by.is_some();
        items.sort_by(|x, y| {
            let o = if !alpha {
                x.score
                    .partial_cmp(&y.score)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| x.element.cmp(&y.element))
            } else if by_pattern {
                match (&x.cmp, &y.cmp) {
                    (Some(p), Some(q)) => p.cmp(q),
                    (a, b) => a.is_some().cmp(&b.is_some()),
                }
            } else {
                x.element.cmp(&y.element)
            };
            if a.desc { o.reverse() } else { o }
        });
    }
    let mut values = Vec::new();
    if end >= start {
        for it in &items[start as usize..=end as usize] {
            if a.gets.is_empty() {
                values.push(Some(it.element.clone()));
            }
            for g in &a.gets {
                values.push(match pattern_key(g, &it.element) {
                    Ok(None) => Some(it.element.clone()),
                    Ok(Some((key, field))) => lookup(&key, field.as_deref()),
                    Err(()) => None,
                });
            }
        }
    }
    Ok(Sorted { values })
}

/// Reads a prefetched lookup.
fn from_fetched(fetched: &Fetched) -> impl Fn(&[u8], Option<&[u8]>) -> Option<Vec<u8>> + '_ {
    move |key, field| {
        let k = (key.to_vec(), field.map(|f| f.to_vec()));
        fetched.get(&k).cloned().flatten()
    }
}

/// Writes the result: the reply array, or the stored list and its length.
fn finish(ctx: Option<&mut ShardCtx>, a: &SortArgs, sorted: Sorted, r: &mut Reply) {
    let Some(dest) = &a.store else {
        r.array(sorted.values.len());
        for v in &sorted.values {
            match v {
                Some(b) => r.bulk(b),
                None => r.null(),
            }
        }
        return;
    };
    let Some(ctx) = ctx else { return };
    let n = sorted.values.len();
    if n == 0 {
        ctx.remove(dest);
        return r.int(0);
    }
    let items = sorted
        .values
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let fill = ctx.shard.settings.encodings.list_max_listpack_size;
    ctx.set_value(dest, list_value(items, fill), 0, false);
    ctx.signal_ready(dest);
    r.int(n as i64);
}

/// The whole command on one shard (the key, every looked-up key and the destination
/// live there, or no lookups are needed and the destination is there).
fn sort_local(ctx: &mut ShardCtx, a: &SortArgs, r: &mut Reply) {
    let (kind, elements) = match read_source(ctx, &a.key) {
        Ok(found) => found,
        Err(SourceError::WrongType) => return r.error(errors::WRONGTYPE),
    };
    let needed = if a.needs_lookups() {
        needed_lookups(a, &elements)
    } else {
        Vec::new()
    };
    let fetched = fetch_local(ctx, needed);
    match compute(a, kind, elements, &from_fetched(&fetched)) {
        Ok(sorted) => finish(Some(ctx), a, sorted, r),
        Err(e) => r.error(e),
    }
}

// ---- coordinators -----------------------------------------------------------------------------

fn whole(mode: LockMode) -> LockSet {
    LockSet {
        whole_shard: Some(mode),
        keys: Vec::new(),
    }
}

async fn sort_generic(ctx: &mut ConnCtx, args: &ArgsBuf, readonly: bool) {
    let a = match parse(args.as_args(), readonly) {
        Ok(a) => a,
        Err(e) => return ctx.reply().error(e),
    };
    let (db, resp, count) = (ctx.db, ctx.resp, ctx.shards.count());
    let src = ctx.shard_of(&a.key);
    let dest = a.store.as_deref().map(|d| ctx.shard_of(d));
    let lookups = a.needs_lookups();
    if count == 1 || (!lookups && dest.is_none_or(|d| d == src)) {
        let locks = if lookups {
            whole(if a.store.is_some() {
                LockMode::Exclusive
            } else {
                LockMode::Shared
            })
        } else {
            let mut set = LockSet::default();
            set.add_key(db, &a.key, LockMode::Shared);
            if let Some(d) = &a.store {
                set.add_key(db, d, LockMode::Exclusive);
            }
            set
        };
        let mut tx = ctx.shards.schedule(vec![(src, locks)]).await;
        let out = tx
            .hop(src, true, move |s| {
                let mut out = Vec::new();
                sort_local(&mut shard_ctx(s, db), &a, &mut Reply::new(&mut out, resp));
                out
            })
            .await;
        tx.conclude().await;
        ctx.out.extend_from_slice(&out);
        return;
    }
    let out = sort_spread(ctx, a, src, dest, lookups).await;
    ctx.out.extend_from_slice(&out);
}

/// SORT across shards: see the module comment for the locks.
async fn sort_spread(
    ctx: &ConnCtx,
    a: SortArgs,
    src: usize,
    dest: Option<usize>,
    lookups: bool,
) -> Vec<u8> {
    let (db, resp, count) = (ctx.db, ctx.resp, ctx.shards.count());
    let locks: Vec<(usize, LockSet)> = if lookups {
        (0..count)
            .map(|s| {
                let mode = if Some(s) == dest {
                    LockMode::Exclusive
                } else {
                    LockMode::Shared
                };
                (s, whole(mode))
            })
            .collect()
    } else {
        let mut read = LockSet::default();
        read.add_key(db, &a.key, LockMode::Shared);
        let mut locks = vec![(src, read)];
        if let (Some(d), Some(key)) = (dest, &a.store) {
            super::multikey::add_exclusive(&mut locks, d, db, key);
        }
        locks
    };
    let mut tx = ctx.shards.schedule(locks).await;
    let mut out = Vec::new();
    let key = a.key.clone();
    let read = tx
        .hop(src, false, move |s| {
            read_source(&mut shard_ctx(s, db), &key)
        })
        .await;
    let (kind, elements) = match read {
        Ok(found) => found,
        Err(e) => {
            tx.conclude().await;
            let SourceError::WrongType = e;
            Reply::new(&mut out, resp).error(errors::WRONGTYPE);
            return out;
        }
    };
    let mut fetched: Fetched = HashMap::new();
    if lookups {
        let mut by_shard: HashMap<usize, Vec<LookupKey>> = HashMap::new();
        for k in needed_lookups(&a, &elements) {
            by_shard.entry(ctx.shard_of(&k.0)).or_default().push(k);
        }
        let mut cells = Vec::new();
        for (shard, needed) in by_shard {
            let cell = tx
                .send_hop(shard, false, move |s| {
                    fetch_local(&mut shard_ctx(s, db), needed)
                })
                .await;
            cells.push(cell);
        }
        for cell in cells {
            fetched.extend(cell.wait().await);
        }
    }
    let sorted = compute(&a, kind, elements, &from_fetched(&fetched));
    match (sorted, dest) {
        (Err(e), _) => Reply::new(&mut out, resp).error(e),
        (Ok(sorted), Some(d)) => {
            out = tx
                .hop(d, true, move |s| {
                    let mut out = Vec::new();
                    let mut sctx = shard_ctx(s, db);
                    finish(Some(&mut sctx), &a, sorted, &mut Reply::new(&mut out, resp));
                    out
                })
                .await;
        }
        (Ok(sorted), None) => finish(None, &a, sorted, &mut Reply::new(&mut out, resp)),
    }
    tx.conclude().await;
    out
}

fn sort<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(sort_generic(ctx, args, false))
}

fn sort_ro<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(sort_generic(ctx, args, true))
}

// ---- table ----------------------------------------------------------------------------------

/// SORT's COMMAND DOCS / INFO metadata (Redis 7.0's): the sorted key, an `unknown` key
/// spec for the BY/GET keys, and for SORT one for the STORE destination, which GETKEYS
/// finds as Redis's sortGetKeys does.
pub const DOCS: super::server::docs::FamilyDocs = {
    use super::server::docs::keyspec::{KeySpec, sort_store_key};
    const BY_GET: KeySpec = KeySpec::unknown(
        "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
        &["RO", "access"],
        None,
    );
    const STORE: KeySpec = KeySpec::unknown(
        "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
        &["OW", "update"],
        Some(sort_store_key),
    );
    super::server::docs::FamilyDocs {
        syntax: &[
            (
                "sort",
                "key [BY pattern]{key=1} [LIMIT (offset:integer count:integer)] [GET pattern]...{key=1,multiple_token} [@order ASC | DESC] [@sorting ALPHA] [STORE destination]{key=2}",
            ),
            (
                "sort_ro",
                "key [BY pattern]{key=1} [LIMIT (offset:integer count:integer)] [GET pattern]...{key=1,multiple_token} [@order ASC | DESC] [@sorting ALPHA]",
            ),
        ],
        key_specs: &[
            (
                &[KeySpec::at(1, &["RO", "access"]), BY_GET, STORE],
                &["sort"],
            ),
            (&[KeySpec::at(1, &["RO", "access"]), BY_GET], &["sort_ro"]),
        ],
        ..super::server::docs::FamilyDocs::NONE
    }
};

const SORT_COMPLEXITY: &str = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

/// COMMAND INFO shows `movablekeys` for both, as Redis does: it follows from the key
/// specs declared in [`DOCS`] (the STORE destination, the BY/GET keys).
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sort",
        arity: -2,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::WRITE | acl::SET | acl::SORTEDSET | acl::LIST | acl::SLOW | acl::DANGEROUS,
        keys: keys(1, 1, 1),
        summary: "Sort the elements in a list, set or sorted set",
        complexity: SORT_COMPLEXITY,
        run: Run::Coord(sort),
        ..BASE
    },
    CommandSpec {
        name: "sort_ro",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::READ | acl::SET | acl::SORTEDSET | acl::LIST | acl::SLOW | acl::DANGEROUS,
        keys: keys(1, 1, 1),
        since: "7.0.0",
        summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        complexity: SORT_COMPLEXITY,
        run: Run::Coord(sort_ro),
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_substitute_the_first_star() {
        assert_eq!(pattern_key(b"#", b"x"), Ok(None));
        assert_eq!(pattern_key(b"nostar", b"x"), Err(()));
        assert_eq!(pattern_key(b"w_*", b"3"), Ok(Some((b"w_3".to_vec(), None))));
        assert_eq!(
            pattern_key(b"h_*->f", b"3"),
            Ok(Some((b"h_3".to_vec(), Some(b"f".to_vec()))))
        );
        assert_eq!(
            pattern_key(b"h_*->", b"3"),
            Ok(Some((b"h_3->".to_vec(), None)))
        );
        assert_eq!(
            pattern_key(b"a*b*c", b"x"),
            Ok(Some((b"axb*c".to_vec(), None)))
        );
    }

    #[test]
    fn scores_follow_strtod_with_erange() {
        assert_eq!(sort_score(b"1.5"), Some(1.5));
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b" 2"), Some(2.0));
        assert_eq!(sort_score(b"inf"), Some(f64::INFINITY));
        assert_eq!(sort_score(b"0.0e-999"), Some(0.0));
        assert_eq!(sort_score(b"1e400"), None);
        assert_eq!(sort_score(b"1e-400"), None);
        assert_eq!(sort_score(b"nan"), None);
        assert_eq!(sort_score(b"1x"), None);
    }
}
