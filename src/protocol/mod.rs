//! The wire: a resumable RESP2/inline request parser ([`parser`]) and a reply writer that
//! speaks RESP2 or RESP3 ([`reply`]). This module knows nothing of storage or commands;
//! it turns bytes into argument ranges and typed replies into bytes.

pub mod args;
pub mod parser;
pub mod reply;
