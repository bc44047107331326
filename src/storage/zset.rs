//! ZSet values: the member-score pairs one key holds, in a compact encoding while small and a
//! larger structure past the thresholds of [`crate::config::EncodingLimits`]. Knows
//! nothing of commands or the network; `commands::zset` builds the commands on it.

/// Placeholder representation, replaced by the collections work.
#[derive(Clone, Default)]
pub struct ZSetValue {
    items: Vec<Vec<u8>>,
}

impl ZSetValue {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Redis's OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// Approximate heap bytes owned by the value (MEMORY USAGE, DEBUG OBJECT).
    pub fn heap_bytes(&self) -> usize {
        self.items.iter().map(|i| i.capacity()).sum()
    }
}
