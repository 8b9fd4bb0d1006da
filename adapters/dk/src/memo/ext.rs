//! The `dk-memo` extension: what a MeMo message holds that the canonical
//! model has no field for, kept so that MeMo → Borderpost → MeMo loses
//! nothing.
//!
//! Scalars are kept as JSON strings. Subtrees Borderpost does not model
//! (`AttentionData`, `ContactPoint`, `ContentData`, `ForwardData`,
//! `ReplyData`, `Action`) are kept as XML fragments, re-serialised with the
//! prefixes Borderpost declares on every MeMo root it writes (`memo`, `grd`,
//! `gln`, `udd`, `form`, `kle`, `dmv`, `sor`), whatever prefixes (or default
//! namespace) the sender used. A fragment is therefore read in the scope of
//! those declarations.
//!
//! The extension can also arrive from a sender of canonical JSON, so on
//! encode every fragment is parsed again, checked against the schema of the
//! target version, and refused (or, if only the version differs, dropped
//! with a [`Loss`](borderpost_core::Loss)) rather than pasted.

use borderpost_core::AdapterError;
use borderpost_core::xml::{self, Element, PrefixMap, XmlLimits, XmlWriter};
use serde::{Deserialize, Serialize};

use super::xsd;
use crate::schema::{self, Decl, Versions};

/// The extension family key.
pub const FAMILY: &str = "dk-memo";

/// The `dk-memo` extension, as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemoExtension {
    /// The `memoVersion` the message arrived in (`1.0`, `1.1`, `1.2`).
    #[serde(
        rename = "memoVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) memo_version: Option<String>,
    /// `MessageHeader/messageCode`.
    #[serde(
        rename = "messageCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) message_code: Option<String>,
    /// `MessageHeader/additionalNotification`.
    #[serde(
        rename = "additionalNotification",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) additional_notification: Option<String>,
    /// `MessageHeader/postType`.
    #[serde(rename = "postType", default, skip_serializing_if = "Option::is_none")]
    pub(crate) post_type: Option<String>,
    /// `MessageHeader/replyByDateTime` when `reply` is absent or false (the
    /// canonical `reply.by` needs `reply.allowed`).
    #[serde(
        rename = "replyByDateTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) reply_by_date_time: Option<String>,
    /// What `Sender` holds besides its id, type and label.
    #[serde(rename = "Sender", default, skip_serializing_if = "Option::is_none")]
    pub(crate) sender: Option<PartyExtension>,
    /// What `Recipient` holds besides its id, type and label.
    #[serde(rename = "Recipient", default, skip_serializing_if = "Option::is_none")]
    pub(crate) recipient: Option<PartyExtension>,
    /// `MessageHeader/ContentData`, verbatim.
    #[serde(
        rename = "ContentData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) content_data: Option<String>,
    /// `MessageHeader/ForwardData`, verbatim.
    #[serde(
        rename = "ForwardData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) forward_data: Option<String>,
    /// `MessageHeader/ReplyData`, verbatim, in order.
    #[serde(rename = "ReplyData", default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) reply_data: Vec<String>,
    /// The MeMo documents and which canonical documents (files) each holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) documents: Vec<DocumentGroup>,
}

/// The parts of `Sender` or `Recipient` kept verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartyExtension {
    /// For `Recipient`: whom these belong to (`SCHEME:VALUE`). They are
    /// restored only when encoding for that recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    /// `idTypeLabel` given with `CPR`/`CVR` (with `Andet` it is the scheme).
    #[serde(
        rename = "idTypeLabel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) id_type_label: Option<String>,
    /// `AttentionData`, verbatim.
    #[serde(
        rename = "AttentionData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) attention_data: Option<String>,
    /// `ContactPoint`, verbatim.
    #[serde(
        rename = "ContactPoint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) contact_point: Option<String>,
}

/// Which MeMo document a group of files came from.
#[allow(
    clippy::enum_variant_names,
    reason = "the variants are MeMo's element names, which are also their JSON names"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DocumentKind {
    /// `MainDocument`.
    MainDocument,
    /// `AdditionalDocument`.
    AdditionalDocument,
    /// `TechnicalDocument`.
    TechnicalDocument,
}

/// One MeMo document: its id, the canonical documents (one per `File`) it
/// holds, and its `Action`s. Its `label` is the `title` of its documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentGroup {
    /// Main, additional or technical.
    pub(crate) kind: DocumentKind,
    /// `mainDocumentID` / `additionalDocumentID` / `technicalDocumentID`
    /// (`documentID` in 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    /// Indexes into the message's `documents`, in `File` order.
    pub(crate) files: Vec<usize>,
    /// The document's `Action`s, verbatim.
    #[serde(rename = "Action", default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) actions: Vec<String>,
}

impl DocumentKind {
    /// The element name.
    pub(crate) fn element(self) -> &'static str {
        match self {
            DocumentKind::MainDocument => "MainDocument",
            DocumentKind::AdditionalDocument => "AdditionalDocument",
            DocumentKind::TechnicalDocument => "TechnicalDocument",
        }
    }

    /// The id element's name in 1.1 and 1.2.
    pub(crate) fn id_element(self) -> &'static str {
        match self {
            DocumentKind::MainDocument => "mainDocumentID",
            DocumentKind::AdditionalDocument => "additionalDocumentID",
            DocumentKind::TechnicalDocument => "technicalDocumentID",
        }
    }

    /// Its place in `MessageBody`'s sequence.
    pub(crate) fn rank(self) -> u8 {
        match self {
            DocumentKind::MainDocument => 0,
            DocumentKind::AdditionalDocument => 1,
            DocumentKind::TechnicalDocument => 2,
        }
    }
}

impl MemoExtension {
    /// Reads the extension from JSON; a malformed one is the sender's fault.
    pub(crate) fn from_json(value: &serde_json::Value) -> Result<MemoExtension, AdapterError> {
        MemoExtension::deserialize(value)
            .map_err(|e| AdapterError::schema(format!("extensions.{FAMILY}"), format!("{e}")))
    }

    /// The extension as JSON.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        // Serialising plain strings, vectors and enums cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The prefixes every MeMo root Borderpost writes declares.
pub(crate) fn prefixes() -> PrefixMap {
    xsd::PREFIXES
        .iter()
        .fold(PrefixMap::new(), |map, (prefix, uri)| map.bind(prefix, uri))
}

/// `element` as a fragment in Borderpost's prefixes.
pub(crate) fn fragment(element: &Element) -> String {
    let mut writer = XmlWriter::fragment();
    writer.element(element, &prefixes());
    writer.finish()
}

/// A kept fragment, parsed back.
#[derive(Debug)]
pub(crate) enum Restored {
    /// Valid for the target version.
    Valid(Element),
    /// Valid for the source version only; why not for the target.
    OtherVersion(Element, String),
}

/// Parses a kept fragment back and checks it is one `decl` element valid
/// for `version`. `path` names the extension field in errors.
///
/// A fragment valid only for `source` (a version difference) comes back as
/// [`Restored::OtherVersion`] for the caller to adapt or drop with a loss;
/// one that is not valid MeMo at all is an error: the extension was not
/// written by Borderpost's decoder, or was altered since.
pub(crate) fn restore(
    text: &str,
    decl: &Decl,
    version: Versions,
    source: Versions,
    path: &str,
) -> Result<Restored, AdapterError> {
    let declarations: String = xsd::PREFIXES
        .iter()
        .map(|(prefix, uri)| format!(" xmlns:{prefix}=\"{uri}\""))
        .collect();
    let wrapped = format!("<memo:Fragment{declarations}>{text}</memo:Fragment>");
    let limits = XmlLimits {
        max_depth: xsd::MAX_DEPTH,
        ..XmlLimits::default()
    };
    let bad = |detail: String| AdapterError::schema(path, detail);
    let wrapper = xml::parse(wrapped.as_bytes(), &limits)
        .map_err(|e| bad(format!("not a MeMo {} fragment: {e}", decl.name)))?;
    let mut elements = wrapper.elements();
    let (Some(element), None, false) = (elements.next(), elements.next(), wrapper.has_text())
    else {
        return Err(bad(format!("must hold exactly one {} element", decl.name)));
    };
    if !element.is(decl.ns, decl.name) {
        return Err(bad(format!("must be a memo:{} element", decl.name)));
    }
    match schema::check(element, decl, version, decl.name) {
        Ok(()) => Ok(Restored::Valid(element.clone())),
        Err(e) if source != version && schema::check(element, decl, source, decl.name).is_ok() => {
            Ok(Restored::OtherVersion(element.clone(), e.to_string()))
        }
        Err(e) => Err(bad(e.to_string())),
    }
}
