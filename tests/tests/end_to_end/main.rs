//! End-to-end tests: a whole Borderpost over real sockets — mTLS ingress,
//! journal, delivery to the national-system simulators, receipts back.
//! One test binary; each module is one concern.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// A canonical message to Denmark and Norway.
mod canonical;
// National ingress: MeMo in, DPI out; DPI in, MeMo out.
mod national;
// What a sender can follow: copy ids on the wire, histories in causal order.
mod follow;
// Who may connect and send.
mod identity;
// Repeated submissions.
mod idempotency;
// Upstreams that fail for a while.
mod resilience;
// The conformance suite against Borderpost, and against Borderpost with
// mTLS off.
mod conformance;
// Quotas, size and time limits, load shedding.
mod hardening;
// Certificate rotation and revocation without restart; metrics.
mod operations;
// What the journal keeps on disk.
mod at_rest;
