//! Borderpost's conformance tooling: simulators of the national receiving
//! systems, and (to come) the conformance suite runner and the load
//! generator. The binary `borderpost-conformance` drives all three
//! (`sim`, `run`, `load`).
//!
//! - [`sim`]: the receiving side of each national protocol Borderpost
//!   delivers to, strict like the real service, with failure modes and a
//!   record of every delivery. The gateway's `borderpost demo` and the
//!   end-to-end tests start them in-process ([`sim::dk::start`],
//!   [`sim::no::start`]); testers run them with
//!   `borderpost-conformance sim --country dk|no`.
//! - [`load`]: the load generator (`borderpost-conformance load`): mTLS
//!   load with latency percentiles, errors by kind, and end to end the
//!   time until a simulator has each message.
//!
//! Why the simulators validate with Borderpost's own adapters: an adapter
//! *is* Borderpost's executable reading of the national specification
//! (schema, business rules, signatures, encryption), tested against the
//! official samples. A simulator that decodes with it checks a sender
//! against exactly that reading — and a bug in an adapter's encoder shows
//! up as a refusal here instead of in production. What the adapters cannot
//! check (which postbox addresses exist, who is registered) is the
//! simulator's own state.
//!
//! This crate talks to a gateway only over the network, like any other
//! tester would (DESIGN §3): it never links the gateway.

#![forbid(unsafe_code)]

pub mod load;
pub mod run;
pub mod sim;
