//! Borderpost's core: the canonical message model, national party
//! identifiers, and the contract every country adapter implements.
//!
//! Adapters translate between a national protocol and the canonical
//! [`Message`]. They are pure — bytes in, bytes out, with any clock, id or
//! key coming from the caller through a context — so each can be tested and
//! fuzzed on the official samples alone. This crate therefore has no I/O,
//! no async runtime and no network code.
//!
//! - [`id`]: the identifier schemes (`dk-cpr`, `no-orgnr`, `iso6523`, …)
//!   with their national validation rules.
//! - [`model`]: the canonical message and its JSON form (the body of the
//!   canonical API).
//! - [`adapter`]: the [`Adapter`] trait, its contexts and [`AdapterError`].
//! - [`lifecycle`]: the one status model every country maps into.
//! - [`xml`]: the hostile-input-safe XML reader and writer adapters share.
//! - [`canonical`]: the canonical JSON protocol itself, as an adapter.
//! - [`copy_id`]: the id each recipient's copy carries on the wire, by a
//!   rule senders can compute.

#![forbid(unsafe_code)]

pub mod adapter;
pub mod canonical;
pub mod copy_id;
pub mod error;
pub mod id;
pub mod lifecycle;
pub mod model;
pub mod xml;

pub use adapter::{
    Adapter, DecodeContext, Decrypter, EncodeContext, Encoded, Limits, Opened, Part, Protocol,
    Receipt, ReceiptKind, Signer, Wire,
};
pub use error::{AdapterError, ErrorClass};
pub use id::{Country, IdError, PartyId, Scheme};
pub use lifecycle::{Event, NativeReceipt, Status};
pub use model::{
    Channel, Document, EffectiveAt, Extensions, Legal, Loss, Message, MessageKind, Party,
    PostalAddress, Postbox, Recipient, References, Reply, Representative, SecurityLevel,
};
