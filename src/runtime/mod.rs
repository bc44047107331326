//! The thin layer over glommio: executors, spawn, TCP, timers and cross-thread mailboxes.

pub mod mailbox;
