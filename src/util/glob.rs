//! Glob matching with Redis's `stringmatchlen` rules (placeholder).

/// Does `string` match the glob `pattern`?
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let _ = nocase;
    pattern == b"*" || pattern == string
}
