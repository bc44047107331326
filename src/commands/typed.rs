//! Typed access to a key for the collection families: look a key up, check that it holds
//! the wanted type (replying WRONGTYPE otherwise), create it when a write needs it, and
//! delete it when a write leaves it empty (Redis never keeps an empty collection).

use crate::errors;
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::storage::{Value, ValueRef};

/// The error has already been written to the reply (WRONGTYPE, ...); the handler stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replied;

/// Picks one collection type out of a value (`|v| match v { Value::Hash(h) => Some(h), _ => None }`).
pub type Pick<T> = fn(&mut Value) -> Option<&mut T>;

/// The value at `key` for reading: Ok(None) when missing, Err(Replied) after replying
/// WRONGTYPE when the key holds another type. Counts a keyspace hit or miss.
pub fn read<'c, T>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
    pick: Pick<T>,
) -> Result<Option<&'c mut T>, Replied> {
    typed(ctx.lookup_read(key), r, pick)
}

/// The value at `key` as a read-only view, picked out of the entry in place (no value
/// moves, so a packed hash stays packed): Ok(None) when missing, Err(Replied) after
/// replying WRONGTYPE. Counts a keyspace hit or miss.
pub fn view<'c, T>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
    pick: fn(ValueRef<'c>) -> Option<T>,
) -> Result<Option<T>, Replied> {
    let Some(e) = ctx.lookup_read(key) else {
        return Ok(None);
    };
    let e: &'c crate::storage::Entry = e;
    match pick(e.value()) {
        Some(v) => Ok(Some(v)),
        None => {
            r.error(errors::WRONGTYPE);
            Err(Replied)
        }
    }
}

/// The value at `key` for writing (no hit/miss counting), as [`read`].
pub fn write<'c, T>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
    pick: Pick<T>,
) -> Result<Option<&'c mut T>, Replied> {
    typed(ctx.lookup_write(key), r, pick)
}

fn typed<'c, T>(
    found: Option<&'c mut crate::storage::Entry>,
    r: &mut Reply,
    pick: Pick<T>,
) -> Result<Option<&'c mut T>, Replied> {
    match found {
        None => Ok(None),
        Some(e) => match e.value_mut().and_then(pick) {
            Some(v) => Ok(Some(v)),
            None => {
                r.error(errors::WRONGTYPE);
                Err(Replied)
            }
        },
    }
}

/// The value at `key` for writing, created with `make` when missing; Err(Replied) after
/// replying WRONGTYPE when the key holds another type.
pub fn write_or_create<'c, T>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
    pick: Pick<T>,
    make: impl FnOnce() -> Value,
) -> Result<&'c mut T, Replied> {
    if ctx.lookup_write(key).is_none() {
        ctx.set_value(key, make(), 0, false);
    }
    match write(ctx, key, r, pick)? {
        Some(v) => Ok(v),
        None => unreachable!("the key was just created"),
    }
}

/// Folds a small hash at `key` back into its entry block after a write took it out
/// ([`crate::storage::Entry::repack`]); no access is recorded.
pub fn repack(ctx: &mut ShardCtx, key: &[u8]) {
    if let Some(e) = ctx.shard.dbs[ctx.db].table.get_mut(key) {
        e.repack();
    }
}

/// Deletes `key` if `is_empty` says its value is empty (after a removal).
pub fn remove_if_empty(ctx: &mut ShardCtx, key: &[u8], is_empty: bool) {
    if is_empty {
        ctx.remove(key);
    }
}
