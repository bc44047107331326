//! Pure helpers with no knowledge of the network, the shards or the storage layout.
//! Everything here is a function of its inputs, so it is unit-tested in place.

pub mod bits;
pub mod buf;
pub mod glob;
pub mod hdr;
pub mod lcs;
pub mod num;
#[cfg(test)]
pub(crate) mod oracle;
pub mod slot;
pub mod splitargs;
pub mod striped;
pub mod test_rng;
