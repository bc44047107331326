//! What a key can hold. Strings keep Redis's three encodings visible to OBJECT ENCODING:
//! `int` (a 64-bit integer stored as such), `embstr` (an immutable short string, at most
//! [`EMBSTR_BYTES_MAX`]) and `raw` (a growable buffer, what APPEND/SETRANGE/SETBIT leave).
//! Collections live in their own modules ([`super::hash`], [`super::list`],
//! [`super::set`], [`super::zset`]); each keeps `Value` at most [`VALUE_BYTES_MAX`] so an
//! entry of the key table stays small.

use super::hash::HashValue;
use super::list::ListValue;
use super::set::SetValue;
use super::zset::ZSetValue;
use crate::util::num::parse_i64;

/// The size of a `Value` (enum tag included): a collection keeps its bulk behind one
/// pointer so every key's entry stays small.
pub const VALUE_BYTES_MAX: usize = 32;
const _: () = assert!(std::mem::size_of::<Value>() <= VALUE_BYTES_MAX);

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_BYTES_MAX: usize = 44;
/// Longest string Redis tries to store as an integer.
const INT_TEXT_BYTES_MAX: usize = 20;

/// `Clone` is a deep copy (COPY duplicates a value, keeping its encoding).
#[derive(Clone)]
pub enum Value {
    Int(i64),
    Embstr(Box<[u8]>),
    Raw(Vec<u8>),
    Hash(HashValue),
    List(ListValue),
    Set(SetValue),
    ZSet(ZSetValue),
}

/// Redis's TYPE names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    String,
    List,
    Set,
    ZSet,
    Hash,
    Stream,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }
}

impl Value {
    /// A string value encoded as Redis's `tryObjectEncoding` would: integer text that
    /// round-trips becomes `int`, short text `embstr`, the rest `raw`.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        if bytes.len() <= INT_TEXT_BYTES_MAX
            && let Some(n) = parse_i64(bytes)
        {
            return Value::Int(n);
        }
        if bytes.len() <= EMBSTR_BYTES_MAX {
            Value::Embstr(bytes.into())
        } else {
            Value::Raw(bytes.to_vec())
        }
    }

    /// A string produced by formatting (INCRBYFLOAT): never `int`, as in Redis.
    pub fn from_text(bytes: &[u8]) -> Value {
        if bytes.len() <= EMBSTR_BYTES_MAX {
            Value::Embstr(bytes.into())
        } else {
            Value::Raw(bytes.to_vec())
        }
    }

    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Int(_) | Value::Embstr(_) | Value::Raw(_) => ValueType::String,
            Value::Hash(_) => ValueType::Hash,
            Value::List(_) => ValueType::List,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Embstr(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::Hash(h) => h.encoding(),
            Value::List(l) => l.encoding(),
            Value::Set(v) => v.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    pub fn is_string(&self) -> bool {
        self.value_type() == ValueType::String
    }

    /// The bytes of a string value; integers are formatted into `tmp`.
    pub fn string_bytes<'a>(&'a self, tmp: &'a mut [u8; 20]) -> Option<&'a [u8]> {
        match self {
            Value::Int(n) => Some(crate::protocol::reply::format_i64(tmp, *n)),
            Value::Embstr(b) => Some(b),
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// Length in bytes of a string value (STRLEN).
    pub fn string_len(&self) -> Option<usize> {
        let mut tmp = [0u8; 20];
        self.string_bytes(&mut tmp).map(|b| b.len())
    }

    /// Converts a string value to `raw` and returns its buffer, for in-place edits
    /// (APPEND, SETRANGE, SETBIT, BITFIELD).
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            Value::Raw(v) => Some(v),
            Value::Int(n) => {
                let mut tmp = [0u8; 20];
                let text = crate::protocol::reply::format_i64(&mut tmp, *n).to_vec();
                *self = Value::Raw(text);
                self.make_raw()
            }
            Value::Embstr(b) => {
                *self = Value::Raw(std::mem::take(b).into_vec());
                self.make_raw()
            }
            _ => None,
        }
    }

    /// Approximate heap bytes owned by the value (for MEMORY USAGE and DEBUG OBJECT).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Int(_) => 0,
            Value::Embstr(b) => b.len(),
            Value::Raw(v) => v.capacity(),
            Value::Hash(h) => h.heap_bytes(),
            Value::List(l) => l.heap_bytes(),
            Value::Set(v) => v.heap_bytes(),
            Value::ZSet(z) => z.heap_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_thresholds() {
        assert_eq!(Value::from_bytes(b"123").encoding(), "int");
        assert_eq!(Value::from_bytes(b"-9223372036854775808").encoding(), "int");
        assert_eq!(
            Value::from_bytes(b"9223372036854775808").encoding(),
            "embstr"
        );
        assert_eq!(Value::from_bytes(b"0123").encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut v = Value::from_bytes(b"12");
        v.make_raw().unwrap().push(b'3');
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.string_len(), Some(3));
    }
}
