//! The RDB reader: files of RDB versions 6 to 11 as Redis writes them, every opcode of
//! those versions and every value encoding of the types shoal holds (strings, lists,
//! sets, sorted sets, hashes, plain and compact). Values are rebuilt through the storage
//! types' public APIs, so they take the encodings shoal's thresholds give them.
//! Everything is checked: a short or inconsistent file is an error, never a panic.

use super::{compact, lzf, opcode, rdb_type};
use crate::config::EncodingLimits;
use crate::storage::Value;
use crate::storage::hash::HashValue;
use crate::storage::list::ListValue;
use crate::storage::set::{Member, SetValue};
use crate::storage::zset::{ZLimits, ZSetValue};

pub const RDB_VERSION_MIN: u16 = 1;
pub const RDB_VERSION_MAX: u16 = 11;

/// A cursor over the bytes of a file or payload.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pub at: usize,
}

const TRUNCATED: &str = "Unexpected EOF reading RDB file";

/// Elements reserved up front for a collection whose count the input claims. The count
/// is bounded only by the bytes left (one per element) and each element takes a 24-byte
/// `Vec`, so reserving all of it would let a RESTORE payload reserve 24 to 48 times its
/// own size before a byte of it is checked; past this the vector grows as elements
/// actually arrive.
const RESERVED_ELEMENTS_MAX: usize = 4096;

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).ok_or(TRUNCATED)?;
        let s = self.bytes.get(self.at..end).ok_or(TRUNCATED)?;
        self.at = end;
        Ok(s)
    }

    pub fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// A length, or `Err` for the special string encodings (use [`Self::len_or_enc`]).
    pub fn length(&mut self) -> Result<u64, String> {
        match self.len_or_enc()? {
            (n, false) => Ok(n),
            _ => Err("Unexpected encoded length".into()),
        }
    }

    /// `(n, true)` for an encoded string of kind `n` (0xC0 | n).
    fn len_or_enc(&mut self) -> Result<(u64, bool), String> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => ((first & 0x3f) as u64, false),
            1 => ((((first & 0x3f) as u64) << 8) | self.byte()? as u64, false),
            2 => match first {
                0x80 => (u32::from_be_bytes(self.array()?) as u64, false),
                0x81 => (u64::from_be_bytes(self.array()?), false),
                _ => return Err(format!("Unknown length encoding {first} in rdbLoadLen()")),
            },
            _ => ((first & 0x3f) as u64, true),
        })
    }

    fn usize_len(&mut self) -> Result<usize, String> {
        let n = self.length()?;
        // Every element takes at least a byte: a count beyond the input is corrupt.
        if n > (self.bytes.len() - self.at) as u64 {
            return Err(TRUNCATED.into());
        }
        Ok(n as usize)
    }

    /// `n` strings in a row (the vector grows as they arrive: [`RESERVED_ELEMENTS_MAX`]).
    fn strings(&mut self, n: usize) -> Result<Vec<Vec<u8>>, String> {
        let mut out = Vec::with_capacity(n.min(RESERVED_ELEMENTS_MAX));
        for _ in 0..n {
            out.push(self.string()?);
        }
        Ok(out)
    }

    pub fn string(&mut self) -> Result<Vec<u8>, String> {
        let (n, encoded) = self.len_or_enc()?;
        if !encoded {
            let n = usize::try_from(n).map_err(|_| TRUNCATED)?;
            return Ok(self.take(n)?.to_vec());
        }
        let v: i64 = match n {
            0 => self.byte()? as i8 as i64,
            1 => i16::from_le_bytes(self.array()?) as i64,
            2 => i32::from_le_bytes(self.array()?) as i64,
            3 => {
                let clen = self.usize_len()?;
                let len = self.length()?;
                if len > 512 << 20 {
                    return Err("LZF string too long".into());
                }
                let c = self.take(clen)?;
                return lzf::decompress(c, len as usize)
                    .ok_or_else(|| "Invalid LZF compressed string".to_string());
            }
            _ => return Err(format!("Unknown RDB string encoding type {n}")),
        };
        Ok(v.to_string().into_bytes())
    }

    fn double_text(&mut self) -> Result<f64, String> {
        match self.byte()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text =
                    std::str::from_utf8(self.take(n as usize)?).map_err(|e| e.to_string())?;
                text.trim()
                    .parse()
                    .map_err(|_| "Invalid zset score".to_string())
            }
        }
    }

    fn double_binary(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

fn build_list(items: Vec<Vec<u8>>, limits: &EncodingLimits) -> Value {
    let mut l = ListValue::new(limits.list_max_listpack_size);
    for e in &items {
        l.push_back(e);
    }
    Value::List(l)
}

fn build_set<'a>(
    items: impl Iterator<Item = Member<'a>>,
    limits: &EncodingLimits,
) -> Result<Value, String> {
    let mut s = SetValue::new();
    for m in items {
        if !s.add_member(m, limits.set_max_intset_entries) {
            return Err("Duplicate set members detected".into());
        }
    }
    Ok(Value::Set(s))
}

fn build_zset(pairs: Vec<(Vec<u8>, f64)>, limits: &EncodingLimits) -> Result<Value, String> {
    let zl = ZLimits::from_settings(limits);
    let longest = pairs.iter().map(|p| p.0.len()).max().unwrap_or(0);
    let mut z = if zl.fits_listpack(pairs.len(), longest) {
        ZSetValue::new_for(zl, 0)
    } else {
        ZSetValue::new_for(
            ZLimits {
                entries: 0,
                value_bytes: 0,
            },
            0,
        )
    };
    for (m, s) in &pairs {
        if s.is_nan() {
            return Err("Zset with NAN score detected".into());
        }
        if z.insert(m, *s, zl).is_some() {
            return Err("Duplicate zset fields detected".into());
        }
    }
    Ok(Value::ZSet(z))
}

fn build_hash(flat: Vec<Vec<u8>>, limits: &EncodingLimits) -> Result<Value, String> {
    if !flat.len().is_multiple_of(2) {
        return Err("Hash with an odd number of elements".into());
    }
    let mut h = HashValue::new();
    for pair in flat.chunks_exact(2) {
        if !h.set(&pair[0], &pair[1], limits) {
            return Err("Duplicate hash fields detected".into());
        }
    }
    Ok(Value::Hash(h))
}

fn pairs_with_scores(flat: Vec<Vec<u8>>) -> Result<Vec<(Vec<u8>, f64)>, String> {
    if !flat.len().is_multiple_of(2) {
        return Err("Zset with an odd number of elements".into());
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        let score = std::str::from_utf8(&s)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .ok_or("Invalid zset score")?;
        out.push((m, score));
    }
    Ok(out)
}

/// Reads the value of RDB type `t`; `Ok(None)` for an empty collection (Redis skips it).
pub fn read_value(r: &mut Reader, t: u8, limits: &EncodingLimits) -> Result<Option<Value>, String> {
    let v = match t {
        rdb_type::STRING => return Ok(Some(Value::from_bytes(&r.string()?))),
        rdb_type::LIST | rdb_type::SET | rdb_type::ZSET | rdb_type::ZSET_2 | rdb_type::HASH => {
            let n = r.usize_len()?;
            if n == 0 {
                return Ok(None);
            }
            match t {
                rdb_type::LIST => build_list(r.strings(n)?, limits),
                rdb_type::SET => build_set(r.strings(n)?.iter().map(|m| Member::parse(m)), limits)?,
                rdb_type::HASH => build_hash(r.strings(2 * n)?, limits)?,
                _ => {
                    let mut pairs = Vec::with_capacity(n.min(RESERVED_ELEMENTS_MAX));
                    for _ in 0..n {
                        let m = r.string()?;
                        let s = if t == rdb_type::ZSET {
                            r.double_text()?
                        } else {
                            r.double_binary()?
                        };
                        pairs.push((m, s));
                    }
                    build_zset(pairs, limits)?
                }
            }
        }
        rdb_type::HASH_ZIPMAP => build_hash(compact::zipmap(&r.string()?)?, limits)?,
        rdb_type::LIST_ZIPLIST => build_list(compact::ziplist(&r.string()?)?, limits),
        rdb_type::SET_INTSET => {
            let ints = compact::intset(&r.string()?)?;
            if ints.is_empty() {
                return Ok(None);
            }
            build_set(ints.into_iter().map(Member::Int), limits)?
        }
        rdb_type::SET_LISTPACK => {
            let items = compact::listpack(&r.string()?)?;
            if items.is_empty() {
                return Ok(None);
            }
            build_set(items.iter().map(|m| Member::parse(m)), limits)?
        }
        rdb_type::ZSET_ZIPLIST => {
            build_zset(pairs_with_scores(compact::ziplist(&r.string()?)?)?, limits)?
        }
        rdb_type::ZSET_LISTPACK => {
            build_zset(pairs_with_scores(compact::listpack(&r.string()?)?)?, limits)?
        }
        rdb_type::HASH_ZIPLIST => build_hash(compact::ziplist(&r.string()?)?, limits)?,
        rdb_type::HASH_LISTPACK => build_hash(compact::listpack(&r.string()?)?, limits)?,
        rdb_type::LIST_QUICKLIST | rdb_type::LIST_QUICKLIST_2 => {
            let nodes = r.usize_len()?;
            let mut items = Vec::new();
            for _ in 0..nodes {
                if t == rdb_type::LIST_QUICKLIST {
                    items.extend(compact::ziplist(&r.string()?)?);
                    continue;
                }
                match r.length()? {
                    1 => items.push(r.string()?),
                    2 => items.extend(compact::listpack(&r.string()?)?),
                    c => return Err(format!("Unknown quicklist node container {c}")),
                }
            }
            build_list(items, limits)
        }
        rdb_type::STREAM_LISTPACKS
        | rdb_type::STREAM_LISTPACKS_2
        | rdb_type::STREAM_LISTPACKS_3 => {
            return Err("Streams are not supported by shoal".into());
        }
        rdb_type::MODULE | rdb_type::MODULE_2 => {
            return Err("Module values are not supported by shoal".into());
        }
        _ => return Err(format!("Unknown RDB encoding type {t}")),
    };
    let empty = match &v {
        Value::List(l) => l.is_empty(),
        Value::Set(s) => s.is_empty(),
        Value::ZSet(z) => z.is_empty(),
        Value::Hash(h) => h.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(v))
}

/// What a load found, for the log and INFO.
#[derive(Default, Debug)]
pub struct LoadStats {
    pub version: u16,
    pub redis_ver: Option<String>,
    pub keys_loaded: u64,
    pub keys_expired: u64,
    /// The `used-mem` AUX field (0 when absent).
    pub used_mem: u64,
    /// How far the parser got (bytes of the file).
    pub loaded_bytes: u64,
}

/// Keys between two progress reports of [`load_with_progress`].
const PROGRESS_EVERY_KEYS: u64 = 1024;

/// Parses a whole RDB file, handing each live key to `sink(db, key, value, expire_ms)`.
/// Keys already expired at `now_ms` are skipped (and counted), as a Redis master does.
pub fn load(
    bytes: &[u8],
    limits: &EncodingLimits,
    databases: usize,
    now_ms: u64,
    sink: impl FnMut(usize, Vec<u8>, Value, u64),
) -> Result<LoadStats, String> {
    load_with_progress(bytes, limits, databases, now_ms, sink, |_| {})
}

/// [`load`], calling `progress` every [`PROGRESS_EVERY_KEYS`] keys (startup loading
/// reports how far it got).
pub fn load_with_progress(
    bytes: &[u8],
    limits: &EncodingLimits,
    databases: usize,
    now_ms: u64,
    mut sink: impl FnMut(usize, Vec<u8>, Value, u64),
    mut progress: impl FnMut(&LoadStats),
) -> Result<LoadStats, String> {
    let mut r = Reader::new(bytes);
    let magic = r.take(9).map_err(|_| "Short read or OOM loading DB")?;
    if &magic[..5] != b"REDIS" {
        return Err("Wrong signature trying to load DB from file".into());
    }
    let version: u16 = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or("Wrong signature trying to load DB from file")?;
    if !(RDB_VERSION_MIN..=RDB_VERSION_MAX).contains(&version) {
        return Err(format!("Can't handle RDB format version {version}"));
    }
    let mut stats = LoadStats {
        version,
        ..LoadStats::default()
    };
    let mut db = 0usize;
    let mut expire_ms = 0u64;
    loop {
        let t = r.byte()?;
        match t {
            opcode::EXPIRETIME => {
                expire_ms = u32::from_le_bytes(r.array()?) as u64 * 1000;
                continue;
            }
            opcode::EXPIRETIME_MS => {
                expire_ms = u64::from_le_bytes(r.array()?);
                continue;
            }
            opcode::FREQ => {
                r.byte()?;
                continue;
            }
            opcode::IDLE => {
                r.length()?;
                continue;
            }
            opcode::EOF => break,
            opcode::SELECTDB => {
                let n = r.length()?;
                if n >= databases as u64 {
                    return Err(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {databases} databases. Exiting"
                    ));
                }
                db = n as usize;
                continue;
            }
            opcode::RESIZEDB => {
                r.length()?;
                r.length()?;
                continue;
            }
            opcode::AUX => {
                let (k, v) = (r.string()?, r.string()?);
                if k == b"redis-ver" {
                    stats.redis_ver = Some(String::from_utf8_lossy(&v).into_owned());
                } else if k == b"used-mem" {
                    stats.used_mem = std::str::from_utf8(&v)
                        .ok()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                }
                continue;
            }
            opcode::MODULE_AUX => {
                return Err("The RDB file contains AUX module data shoal cannot load (modules are not supported)".into());
            }
            opcode::FUNCTION_PRE_GA | opcode::FUNCTION_2 => {
                return Err("The RDB file contains functions, which shoal does not support".into());
            }
            _ => {}
        }
        let key = r.string()?;
        let value = read_value(&mut r, t, limits)?;
        let expire = std::mem::take(&mut expire_ms);
        if let Some(v) = value {
            if expire != 0 && expire <= now_ms {
                stats.keys_expired += 1;
            } else {
                stats.keys_loaded += 1;
                sink(db, key, v, expire);
            }
        }
        if (stats.keys_loaded + stats.keys_expired).is_multiple_of(PROGRESS_EVERY_KEYS) {
            stats.loaded_bytes = r.at as u64;
            progress(&stats);
        }
    }
    stats.loaded_bytes = r.at as u64;
    if version >= 5 {
        let end = r.at;
        let stored = u64::from_le_bytes(r.array().map_err(|_| TRUNCATED)?);
        if stored != 0 && stored != super::crc64::crc64(&bytes[..end]) {
            return Err("Wrong RDB checksum. Aborting now.".into());
        }
    }
    Ok(stats)
}
