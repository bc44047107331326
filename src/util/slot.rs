//! Redis Cluster hash slots: CRC16 (XMODEM) of the key, or of its `{hash tag}`, modulo
//! 16384. A key's shard is derived from its slot so that keys sharing a hash tag always
//! live together and cluster mode can later map slot ranges to nodes.

/// Number of hash slots in Redis Cluster.
pub const SLOTS_COUNT: u16 = 16384;

const fn crc16_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static CRC16_TABLE: [u16; 256] = crc16_table();

/// CRC16-CCITT (XMODEM), as used by Redis Cluster.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in bytes {
        crc = (crc << 8) ^ CRC16_TABLE[(((crc >> 8) as u8) ^ b) as usize];
    }
    crc
}

/// The part of the key that is hashed: the content of the first `{...}` when it is
/// non-empty, otherwise the whole key (Redis's rule).
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{')
        && let Some(len) = key[open + 1..].iter().position(|&b| b == b'}')
        && len > 0
    {
        return &key[open + 1..open + 1 + len];
    }
    key
}

/// The hash slot of a key.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) & (SLOTS_COUNT - 1)
}

/// The shard owning `key` when the keyspace is split into `shards_count` shards.
/// Slots are dealt out in contiguous ranges so that a slot range maps to one shard.
pub fn key_shard(key: &[u8], shards_count: usize) -> usize {
    debug_assert!(shards_count > 0);
    (key_slot(key) as usize * shards_count) / SLOTS_COUNT as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_redis_reference() {
        // From the Redis Cluster specification: "123456789" -> 0x31C3.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn slots_match_redis_cluster_keyslot() {
        // Values of CLUSTER KEYSLOT on a real Redis.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") & 16383);
        assert_eq!(key_slot(b"foo{{bar}}zap"), crc16(b"{bar") & 16383);
    }

    #[test]
    fn shards_cover_all_slots_in_ranges() {
        for shards in 1..=8 {
            let mut last = 0;
            for slot in 0..SLOTS_COUNT as usize {
                let shard = slot * shards / SLOTS_COUNT as usize;
                assert!(shard >= last && shard < shards);
                last = shard;
            }
            assert_eq!(last, shards - 1);
        }
    }
}
