//! Borderpost adapter for Norway: Digital post til innbyggere (DPI) and
//! the legacy Sikker digital post (SDP) XML.
//!
//! - [`Dpi`] (`no-dpi`): business messages `digital` and `utskrift` as DPI
//!   sends them — the SBD JSON signed as an RS256 JWT (part
//!   `forretningsmelding`) and the ASiC-E document package encrypted with
//!   CMS to the postbox provider (part `dokumentpakke`).
//! - [`DpiReceipts`] (`no-dpi-receipt`): the receipts and errors, each a
//!   JWT.
//! - [`Sdp`] (`no-sdp`): the legacy SDP 1.0 XML messages and receipts, for
//!   operators still on the old infrastructure (decode only).
//! - [`transport`]: the C1→C2 REST shapes (multipart body of
//!   `POST /messages/out`, receipt and status lists, problem+json), as
//!   pure codecs for the gateway.
//! - [`CmsKey`]: an OpenSSL-backed certificate and key implementing the
//!   core `Signer` and `Decrypter`.
//!
//! Why OpenSSL plus a small hand-written ASN.1 module rather than a pure-Rust
//! CMS stack: the profile needs RSA-OAEP key transport, which OpenSSL's
//! safe CMS API cannot select, and real DPI packages are BER (indefinite
//! lengths), which the DER-only RustCrypto types refuse. The crypto
//! primitives are OpenSSL's; only the envelope's structure is ours.
//!
//! The adapters are pure: time, ids and keys come from the contexts. The
//! one exception is the CMS content-encryption key and IV, drawn from
//! OpenSSL's CSPRNG. Borderpost never mints Maskinporten tokens; see
//! [`DpiConfig`]. What of the Norwegian chain lies outside Borderpost is
//! in the crate README.

#![forbid(unsafe_code)]

use borderpost_core::Protocol;

mod asn1;
mod cert;
mod config;
mod documents;
mod dpi;
mod keys;
mod receipts;

pub mod asice;
pub mod cms;
pub mod jwt;
pub mod krr;
pub mod sbd;
pub mod sdp;
pub mod transport;

pub use cert::organisation as certificate_organisation;
pub use config::{DpiConfig, ReturnAddress};
pub use dpi::{
    DEFAULT_LANGUAGE, DEFAULT_POSTTYPE, DEFAULT_RETURPOSTHAANDTERING, DEFAULT_SIKKERHETSNIVAA,
    DEFAULT_UTSKRIFTSTYPE, Dpi, MEDIA_TYPE_JWT, MEDIA_TYPE_PACKAGE, check_fingerprint,
};
pub use keys::{CmsKey, certificate_der_from_pem};
pub use receipts::DpiReceipts;
pub use sdp::Sdp;

/// DPI business messages.
pub const PROTOCOL_DPI: Protocol = Protocol("no-dpi");
/// DPI receipts (one JWT).
pub const PROTOCOL_DPI_RECEIPT: Protocol = Protocol("no-dpi-receipt");
/// Legacy SDP 1.0 XML.
pub const PROTOCOL_SDP: Protocol = Protocol("no-sdp");

/// The part holding the signed business message (the JWT).
pub const PART_FORRETNINGSMELDING: &str = "forretningsmelding";
/// The part holding the encrypted document package (the CMS).
pub const PART_DOKUMENTPAKKE: &str = "dokumentpakke";

/// The extension family this crate writes into `Message::extensions`.
pub const EXTENSION_FAMILY: &str = "no-dpi";
