//! DUMP payloads as Redis makes them: the value in RDB encoding (type byte first), the
//! 2-byte RDB version and the CRC-64 of everything before, both little-endian.

use super::{RDB_VERSION, crc64, read, write};
use crate::config::EncodingLimits;
use crate::storage::{Value, ValueRef};

/// Newest payload version accepted (Redis 7.2's 11 too: its set listpack loads here).
const PAYLOAD_VERSION_MAX: u16 = 11;
/// Version and checksum.
pub const FOOTER_BYTES: usize = 10;

pub fn payload(value: ValueRef<'_>, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write::put_value(&mut out, value, compress);
    framed(out, RDB_VERSION)
}

/// `value` (RDB-encoded, type byte first) with the footer of a payload of RDB `version`:
/// the version and the CRC-64 of everything before it, both little-endian.
pub fn framed(mut value: Vec<u8>, version: u16) -> Vec<u8> {
    value.extend_from_slice(&version.to_le_bytes());
    let crc = crc64::crc64(&value);
    value.extend_from_slice(&crc.to_le_bytes());
    value
}

#[derive(Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// Short, a newer version, or a wrong checksum.
    VersionOrChecksum,
    /// The value does not decode.
    BadData,
}

/// The value of a payload, checked as Redis's `verifyDumpPayload` then decoded.
pub fn parse(bytes: &[u8], limits: &EncodingLimits) -> Result<Value, PayloadError> {
    if bytes.len() < FOOTER_BYTES {
        return Err(PayloadError::VersionOrChecksum);
    }
    let body = bytes.len() - 8;
    let version = u16::from_le_bytes([bytes[body - 2], bytes[body - 1]]);
    if version > PAYLOAD_VERSION_MAX {
        return Err(PayloadError::VersionOrChecksum);
    }
    let stored = u64::from_le_bytes(
        bytes[body..]
            .try_into()
            .map_err(|_| PayloadError::BadData)?,
    );
    if stored != crc64::crc64(&bytes[..body]) {
        return Err(PayloadError::VersionOrChecksum);
    }
    let value_bytes = &bytes[..body - 2];
    let mut r = read::Reader::new(value_bytes);
    let t = r.byte().map_err(|_| PayloadError::BadData)?;
    match read::read_value(&mut r, t, limits) {
        // Trailing bytes are ignored, as Redis does without deep sanitization.
        Ok(Some(v)) => Ok(v),
        _ => Err(PayloadError::BadData),
    }
}
