//! Sets: the commands over [`crate::storage::set`] values.

use super::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
