//! Unit tests of the RDB reader against bytes Redis produced.
