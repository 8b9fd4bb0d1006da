//! The `borderpost-conformance sim` command: the real binary, started as a
//! child process on `127.0.0.1:0` and stopped by its process id. The
//! simulators themselves are tested in `borderpost-sim`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

// Port 0, the first line, SIGTERM, the built-in PKI from an empty
// directory, options of the other country.
mod cli;
