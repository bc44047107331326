//! Hashes: the commands over [`crate::storage::hash`] values.

use super::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
