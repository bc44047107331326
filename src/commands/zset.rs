//! Sorted sets: the commands over [`crate::storage::zset`] values.

use super::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
