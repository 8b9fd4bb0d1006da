//! The Borderpost gateway: mTLS ingress, sender identity, limits, the
//! durable journal, delivery to national systems, receipts and evidence.
//!
//! The binary (`borderpost`) is a thin command line over this library; the
//! end-to-end tests start the same server in-process.

#![forbid(unsafe_code)]

pub mod admin;
pub mod api;
pub mod app;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod evidence;
pub mod gateway;
pub mod http;
pub mod journal;
pub mod limits;
pub mod metrics;
pub mod pki;
pub mod registry;
pub mod reload;
pub mod server;
pub mod tls;
