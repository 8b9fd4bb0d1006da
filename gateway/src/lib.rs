//! The Borderpost gateway: mTLS ingress, sender identity, limits, the
//! durable journal, delivery to national systems, receipts and evidence.
//!
//! The binary (`borderpost`) is a thin command line over this library; the
//! end-to-end tests start the same server in-process.

#![forbid(unsafe_code)]

pub mod journal;
pub mod registry;
