//! Redis `sdssplitargs` (placeholder).

/// Splits a line into arguments with Redis's quoting rules; `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    Some(
        line.split(|b| b.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| s.to_vec())
            .collect(),
    )
}
