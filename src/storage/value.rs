//! What a key can hold. Strings keep Redis's three encodings visible to OBJECT ENCODING:
//! `int` (a 64-bit integer stored as such), `embstr` (an immutable short string, at most
//! [`EMBSTR_BYTES_MAX`]) and `raw` (a growable buffer, what APPEND/SETRANGE/SETBIT leave).
//! Collections live in their own modules ([`super::hash`], [`super::list`],
//! [`super::set`], [`super::zset`]); each keeps `Value` at most [`VALUE_BYTES_MAX`] so an
//! entry of the key table stays small.

use super::hash::{HashRef, HashValue};
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

    /// A borrowed view of the value (what an entry hands out).
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Int(n) => ValueRef::Int(*n),
            Value::Embstr(b) => ValueRef::Embstr(b),
            Value::Raw(v) => ValueRef::Raw(v),
            Value::Hash(h) => ValueRef::Hash(h.view()),
            Value::List(l) => ValueRef::List(l),
            Value::Set(s) => ValueRef::Set(s),
            Value::ZSet(z) => ValueRef::ZSet(z),
        }
    }

    pub fn value_type(&self) -> ValueType {
        self.as_ref().value_type()
    }

    pub fn encoding(&self) -> &'static str {
        self.as_ref().encoding()
    }

    pub fn is_string(&self) -> bool {
        self.as_ref().is_string()
    }

    /// The bytes of a string value; integers are formatted into `tmp`.
    pub fn string_bytes<'a>(&'a self, tmp: &'a mut [u8; 20]) -> Option<&'a [u8]> {
        self.as_ref().string_bytes(tmp)
    }

    /// Length in bytes of a string value (STRLEN).
    pub fn string_len(&self) -> Option<usize> {
        self.as_ref().string_len()
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
        self.as_ref().heap_bytes()
    }
}

/// A borrowed value, as an entry hands it out: integers and embstrs are decoded from
/// the entry's block, the other kinds borrow the stored [`Value`]'s parts.
#[derive(Clone, Copy)]
pub enum ValueRef<'a> {
    Int(i64),
    Embstr(&'a [u8]),
    Raw(&'a Vec<u8>),
    Hash(HashRef<'a>),
    List(&'a ListValue),
    Set(&'a SetValue),
    ZSet(&'a ZSetValue),
}

impl<'a> ValueRef<'a> {
    pub fn value_type(self) -> ValueType {
        match self {
            ValueRef::Int(_) | ValueRef::Embstr(_) | ValueRef::Raw(_) => ValueType::String,
            ValueRef::Hash(_) => ValueType::Hash,
            ValueRef::List(_) => ValueType::List,
            ValueRef::Set(_) => ValueType::Set,
            ValueRef::ZSet(_) => ValueType::ZSet,
        }
    }

    pub fn encoding(self) -> &'static str {
        match self {
            ValueRef::Int(_) => "int",
            ValueRef::Embstr(_) => "embstr",
            ValueRef::Raw(_) => "raw",
            ValueRef::Hash(h) => h.encoding(),
            ValueRef::List(l) => l.encoding(),
            ValueRef::Set(v) => v.encoding(),
            ValueRef::ZSet(z) => z.encoding(),
        }
    }

    pub fn is_string(self) -> bool {
        self.value_type() == ValueType::String
    }

    /// The bytes of a string value; integers are formatted into `tmp`.
    pub fn string_bytes<'t>(self, tmp: &'t mut [u8; 20]) -> Option<&'t [u8]>
    where
        'a: 't,
    {
        match self {
            ValueRef::Int(n) => Some(crate::protocol::reply::format_i64(tmp, n)),
            ValueRef::Embstr(b) => Some(b),
            ValueRef::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// Length in bytes of a string value (STRLEN).
    pub fn string_len(self) -> Option<usize> {
        let mut tmp = [0u8; 20];
        self.string_bytes(&mut tmp).map(|b| b.len())
    }

    /// Approximate heap bytes owned by the value (for MEMORY USAGE and DEBUG OBJECT).
    pub fn heap_bytes(self) -> usize {
        match self {
            ValueRef::Int(_) => 0,
            ValueRef::Embstr(b) => b.len(),
            ValueRef::Raw(v) => v.capacity(),
            ValueRef::Hash(h) => h.heap_bytes(),
            ValueRef::List(l) => l.heap_bytes(),
            ValueRef::Set(v) => v.heap_bytes(),
            ValueRef::ZSet(z) => z.heap_bytes(),
        }
    }

    /// An owned deep copy, keeping the encoding (COPY, DUMP of an entry).
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Int(n) => Value::Int(n),
            ValueRef::Embstr(b) => Value::Embstr(b.into()),
            ValueRef::Raw(v) => Value::Raw(v.clone()),
            ValueRef::Hash(h) => Value::Hash(h.to_owned()),
            ValueRef::List(l) => Value::List(l.clone()),
            ValueRef::Set(s) => Value::Set(s.clone()),
            ValueRef::ZSet(z) => Value::ZSet(z.clone()),
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
