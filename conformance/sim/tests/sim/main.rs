//! The simulators over real sockets: each test starts its own simulator on
//! `127.0.0.1:0` with the example PKI, talks mTLS to it, and stops it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

// Shared helpers: PKI, clients, control routes.
mod common;
// Denmark: MeMo, Fjernprint, receipts, refusals, failure modes, TLS.
mod dk;
// Norway: KRR, DPI send, receipts, statuses, token, tampering.
mod no;
