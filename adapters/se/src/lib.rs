//! Borderpost adapter for Sweden: Mina meddelanden, contract v3.
//!
//! - [`MinaMeddelanden`] (`se-mm-v3`): a canonical message becomes one
//!   `SealedDelivery` per Swedish recipient — the sender's signed
//!   `SignedDelivery` sealed by the förmedlare — in a SOAP `deliverSecure`
//!   request; a received `SignedDelivery`, `SealedDelivery` or
//!   `deliverSecure` request is verified (signatures, certificate chains,
//!   signer = `Sender/Id`) before its content is read.
//! - [`signature`]: signing, sealing and verifying, on the core's
//!   canonicaliser and XML-DSig rule; the two-step API the gateway can use
//!   when sender and förmedlare keys live apart.
//! - [`delivery`]: the v3 delivery as typed data, read and written with the
//!   schema's rules and the namespace mix of the contract.
//! - [`transport`]: the SOAP wire for the gateway and a simulator —
//!   `deliverSecure`, `DeliveryResult`, `isReachable` and its
//!   `ReachabilityStatus`, `applicationFault`, what a fault means and when
//!   a recipient is deliverable.
//! - [`receipt`]: `Receipt.xsd` receipts.
//! - [`SigningKey`]: an OpenSSL-backed certificate and key for the core
//!   [`borderpost_core::Signer`].
//!
//! Why the deliveries are signed in a "normal form" (every element
//! unprefixed, `xmlns` declared where the namespace changes) and re-written
//! to it before verifying: see [`normal`]. Why serde-xml-rs reads only the
//! fixed-shape answers, behind the core pre-screen: see [`transport`].
//!
//! The adapter is pure: the time (seal date, certificate validity), the
//! copy id and both keys come from the contexts; nothing here reads a
//! clock, a file or the network.

#![forbid(unsafe_code)]

use borderpost_core::Protocol;

mod adapter;
mod config;
mod crypto;
mod map;

pub mod checksum;
pub mod delivery;
pub mod normal;
pub mod ns;
pub mod receipt;
pub mod signature;
pub mod transport;

pub use adapter::{MinaMeddelanden, PART_DELIVER_SECURE};
pub use config::{MAX_DELIVERY_BYTES, SeConfig, SenderProfile};
pub use crypto::{SigningKey, organisation as certificate_organisation, subject_name};
pub use map::{DEFAULT_LANGUAGE, FAMILY as EXTENSION_FAMILY};

/// Mina meddelanden v3 deliveries.
pub const PROTOCOL: Protocol = Protocol("se-mm-v3");
