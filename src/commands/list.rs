//! Lists: the commands over [`crate::storage::list`] values.

use super::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
