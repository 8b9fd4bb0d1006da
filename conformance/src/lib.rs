//! Borderpost's conformance tooling: the conformance suite runner and the
//! load generator. The binary `borderpost-conformance` drives them (`run`,
//! `load`) and the simulators of the national receiving systems (`sim`),
//! which live in their own crate, `borderpost-sim`, so the gateway can run
//! them in its `demo` without linking this one.
//!
//! - [`run`]: the conformance suite (`borderpost-conformance run`): a
//!   catalogue of cases, each with a verdict and its evidence, against a
//!   gateway; `--start-sims` starts the simulators in-process.
//! - [`load`]: the load generator (`borderpost-conformance load`): mTLS
//!   load with latency percentiles, errors by kind, and end to end the
//!   time until a simulator has each message.
//!
//! This crate talks to a gateway only over the network, like any other
//! tester would (DESIGN §3): it never links the gateway.

#![forbid(unsafe_code)]

pub mod load;
pub mod run;
