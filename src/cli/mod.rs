//! Command implementations for the `hairyo` binary. `main.rs` parses and dispatches; each
//! command lives in its own module here.

pub mod rescan;
pub mod scan;
pub mod serve;
