//! Borderpost's adapter for Denmark: MeMo 1.0–1.2 (Digital Post) and
//! Fjernprint (SF1600), the print fallback.
//!
//! - [`Memo`] (`dk-memo-1.1`, `dk-memo-1.2`): MeMo messages both ways, and
//!   Borderpost's Danish receipt document ([`receipt`]).
//! - [`Fjernprint`] (`dk-fjernprint`): an SF1600 `ForsendelseI` for print,
//!   and back.
//!
//! Design decisions a reader would question, in short (the crate README has
//! the full translation table):
//!
//! - **No serde wire structs.** DESIGN §13 names them; we map plain Rust over
//!   the namespace-resolved tree of `borderpost_core::xml` instead, because a
//!   lossless MeMo relay must keep subtrees Borderpost does not model
//!   *verbatim* and senders may bind MeMo to any prefix or the default
//!   namespace. The schema is checked by a small table-driven validator
//!   (`schema`) transcribed from the official XSDs; the tests check our
//!   output against the real XSDs with libxml2.
//! - **Identifiers are checked, always.** A CVR whose check digit is wrong is
//!   refused with `invalid-identifier`, also in the official examples (whose
//!   data Digst calls "not correct business content"): the canonical model
//!   only holds valid identifiers, and a gateway that relays a wrong CVR
//!   relays it to the wrong party.
//! - **Business rules on both sides.** Digital Post's file-name and
//!   `https://` rules apply on ingress and on egress ([`rules`]).

#![forbid(unsafe_code)]

pub mod fjernprint;
mod ids;
pub mod memo;
pub mod receipt;
pub mod rules;
mod schema;

pub use fjernprint::{Fjernprint, PROTOCOL as PROTOCOL_FJERNPRINT};
pub use ids::{CPR as ID_TYPE_CPR, CVR as ID_TYPE_CVR, OTHER as ID_TYPE_OTHER};
pub use memo::{EXTENSION_FAMILY, Memo, MemoVersion, PROTOCOL_1_1, PROTOCOL_1_2};
