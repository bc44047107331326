//! The `shoal-server` binary.
fn main() {}
