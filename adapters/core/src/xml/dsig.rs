//! Verifying an XML signature (XML-DSig 1.0) so that what is verified is
//! exactly what is then trusted. Every adapter that checks an XML signature
//! (Norway's XAdES in ASiC-E, Sweden's signed and sealed deliveries) goes
//! through [`verify`]; the cryptography comes from the adapter through
//! [`Crypto`], because this crate has none.
//!
//! Signature wrapping works by making a verifier check one thing and trust
//! another: a decoy `SignedInfo` placed before the real one is the one
//! canonicalised, while the references of the element the application
//! reads are the ones followed. The rules here close that family:
//!
//! - the caller names the one `ds:Signature` it trusts (an element of the
//!   tree it holds, never a search by name), and the `SignedInfo` that is
//!   canonicalised and verified is that element's own child, canonicalised
//!   from its exact place in the text ([`c14n`]);
//! - the document is refused when a `ds:SignedInfo` sits anywhere but as the
//!   only `SignedInfo` child of a `ds:Signature`, when a `ds:Signature` sits
//!   inside another, or when two elements carry the same `Id`;
//! - `Signature`, `SignedInfo`, `Reference` and `Transforms` may hold only
//!   what the XML-DSig schema allows there, in its order;
//! - a same-document reference resolves to exactly one element, and
//!   [`Verified`] hands back the very elements whose digests were checked,
//!   so the caller reads the content it verified and nothing else;
//! - every algorithm must be one the caller's [`Profile`] allows.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::c14n::{self, Method};
use super::{Element, Node};
use crate::error::AdapterError;

/// The XML-DSig namespace.
pub const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The enveloped-signature transform.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// RSASSA-PKCS1-v1_5 with SHA-256.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// SHA-256 (XML Encryption's URI, which XML-DSig 1.1 uses).
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// SHA-1, for certificate digests in older XAdES profiles.
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
/// The namespace of exclusive C14N's `InclusiveNamespaces`.
const EXC_C14N_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// The cryptography a verification needs, supplied by the adapter.
pub trait Crypto {
    /// The digest of `data` by the algorithm `algorithm` names.
    fn digest(&self, algorithm: &str, data: &[u8]) -> Result<Vec<u8>, AdapterError>;

    /// Checks `signature` over `data` by `algorithm` with the public key of
    /// `certificate` (DER).
    fn verify(
        &self,
        algorithm: &str,
        certificate: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<(), AdapterError>;
}

/// What a reference with an empty URI (`URI=""`) signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WholeDocument {
    /// The document element, as XML-DSig defines it.
    DocumentElement,
    /// The signature's parent: for profiles (Sweden's) where an element is
    /// signed as a document of its own and then embedded in a larger one.
    SignatureParent,
}

/// The algorithms and forms a profile accepts; anything else is refused.
#[derive(Debug, Clone, Copy)]
pub struct Profile<'p> {
    /// `CanonicalizationMethod` algorithms.
    pub canonicalization: &'p [&'p str],
    /// `SignatureMethod` algorithms.
    pub signature_methods: &'p [&'p str],
    /// `DigestMethod` algorithms.
    pub digest_methods: &'p [&'p str],
    /// Reference transforms (same-document references only; references to
    /// other files must have none).
    pub transforms: &'p [&'p str],
    /// What `URI=""` refers to.
    pub whole_document: WholeDocument,
}

/// A parsed document that holds signatures: its text, its tree, and every
/// element with an `Id`, checked for the structures wrapping attacks use.
#[derive(Debug)]
pub struct Document<'a> {
    text: &'a str,
    root: &'a Element,
    ids: BTreeMap<&'a str, &'a Element>,
    signatures: Vec<&'a Element>,
}

/// What a reference pointed at.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An element of the document.
    Element(&'a Element),
    /// Bytes outside it (a file of the package), digested as they are.
    External(&'a [u8]),
}

/// A reference whose digest matched.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedReference<'a> {
    /// Its `URI`.
    pub uri: &'a str,
    /// Its `Type`, if any.
    pub kind: Option<&'a str>,
    /// What its digest covers.
    pub target: Target<'a>,
}

/// A signature that verified: only [`verify`] makes one.
#[derive(Debug)]
pub struct Verified<'a> {
    signature: &'a Element,
    references: Vec<VerifiedReference<'a>>,
}

// === impl Document ===

impl<'a> Document<'a> {
    /// Indexes `root` (read from `text` by
    /// [`parse_document`](super::parse_document)) and refuses duplicate
    /// `Id`s, a `ds:SignedInfo` outside its place, and nested signatures.
    pub fn new(text: &'a str, root: &'a Element) -> Result<Document<'a>, AdapterError> {
        let mut doc = Document {
            text,
            root,
            ids: BTreeMap::new(),
            signatures: Vec::new(),
        };
        doc.index(root, None, false)?;
        Ok(doc)
    }

    fn index(
        &mut self,
        element: &'a Element,
        parent: Option<&'a Element>,
        in_signature: bool,
    ) -> Result<(), AdapterError> {
        for attr in &element.attrs {
            if attr.ns.is_none()
                && matches!(attr.name.as_str(), "Id" | "ID" | "id")
                && self.ids.insert(attr.value.as_str(), element).is_some()
            {
                return Err(signature(format!(
                    "two elements carry the Id {:?}",
                    crate::id::truncate(&attr.value, 64)
                )));
            }
        }
        let is_signature = element.is(DS_NS, "Signature");
        if is_signature {
            if in_signature {
                return Err(signature("a ds:Signature inside another"));
            }
            if element.children_named(DS_NS, "SignedInfo").count() != 1 {
                return Err(signature("a ds:Signature must hold exactly one SignedInfo"));
            }
            self.signatures.push(element);
        }
        if element.is(DS_NS, "SignedInfo") && !parent.is_some_and(|p| p.is(DS_NS, "Signature")) {
            return Err(signature("a ds:SignedInfo outside a ds:Signature"));
        }
        for child in element.elements() {
            self.index(child, Some(element), in_signature || is_signature)?;
        }
        Ok(())
    }

    /// The document element.
    pub fn root(&self) -> &'a Element {
        self.root
    }

    /// Every `ds:Signature`, in document order.
    pub fn signatures(&self) -> &[&'a Element] {
        &self.signatures
    }

    /// The one element whose `Id` is `id`.
    pub fn by_id(&self, id: &str) -> Option<&'a Element> {
        self.ids.get(id).copied()
    }

    /// The canonical form of `element`, leaving out `exclude`.
    pub fn canonicalize(
        &self,
        element: &Element,
        method: &Method,
        exclude: Option<&Element>,
    ) -> Result<String, AdapterError> {
        c14n::canonicalize(self.text, element, method, exclude)
    }

    /// The element whose child is `child`, if any.
    fn parent_of(&self, child: &Element) -> Option<&'a Element> {
        fn walk<'e>(e: &'e Element, child: &Element) -> Option<&'e Element> {
            if e.elements().any(|c| std::ptr::eq(c, child)) {
                return Some(e);
            }
            e.elements().find_map(|c| walk(c, child))
        }
        walk(self.root, child)
    }
}

// === impl Verified ===

impl<'a> Verified<'a> {
    /// The signature that verified.
    pub fn signature(&self) -> &'a Element {
        self.signature
    }

    /// Its references, in `SignedInfo` order, each with what it covers.
    pub fn references(&self) -> &[VerifiedReference<'a>] {
        &self.references
    }
}

/// Verifies `signature` (an element of `doc`) with the public key of
/// `certificate` (DER): its structure, every reference's digest, and the
/// signature over its own `SignedInfo`. `external` gives the bytes of a
/// reference that is not to this document (a package's file), or `None`
/// when there is no such file.
///
/// Which certificate signs, whether it is trusted, and whether the
/// references cover what the profile requires are the caller's to check,
/// on what this returns.
pub fn verify<'a>(
    doc: &Document<'a>,
    signature_element: &'a Element,
    profile: &Profile<'_>,
    certificate: &[u8],
    external: &dyn Fn(&str) -> Option<&'a [u8]>,
    crypto: &dyn Crypto,
) -> Result<Verified<'a>, AdapterError> {
    if !signature_element.is(DS_NS, "Signature")
        || !doc
            .signatures
            .iter()
            .any(|s| std::ptr::eq(*s, signature_element))
    {
        return Err(signature(
            "the element to verify is not a signature of this document",
        ));
    }
    let parts = Parts::of(signature_element)?;
    let mut references = Vec::new();
    for reference in parts.signed_info.elements().skip(2) {
        references.push(check_reference(
            doc,
            signature_element,
            reference,
            profile,
            external,
            crypto,
        )?);
    }

    let method = canonicalization(parts.signed_info, profile)?;
    let canonical = doc.canonicalize(parts.signed_info, &method, None)?;
    let signature_method = algorithm_of(
        parts.signed_info.elements().nth(1),
        profile.signature_methods,
        "SignatureMethod",
    )?;
    if parts
        .signed_info
        .elements()
        .nth(1)
        .is_some_and(|m| m.elements().next().is_some())
    {
        return Err(signature("SignatureMethod must be empty"));
    }
    let value = base64(parts.signature_value, "SignatureValue")?;
    crypto.verify(signature_method, certificate, canonical.as_bytes(), &value)?;
    Ok(Verified {
        signature: signature_element,
        references,
    })
}

/// The children of a `Signature`, checked against the schema's order.
struct Parts<'a> {
    signed_info: &'a Element,
    signature_value: &'a Element,
}

impl<'a> Parts<'a> {
    fn of(sig: &'a Element) -> Result<Parts<'a>, AdapterError> {
        no_text(sig, "Signature")?;
        let children: Vec<&Element> = sig.elements().collect();
        let (Some(signed_info), Some(signature_value)) = (children.first(), children.get(1)) else {
            return Err(signature(
                "Signature must hold SignedInfo and SignatureValue",
            ));
        };
        if !signed_info.is(DS_NS, "SignedInfo") || !signature_value.is(DS_NS, "SignatureValue") {
            return Err(signature(
                "Signature must begin with SignedInfo, then SignatureValue",
            ));
        }
        let mut rest = children[2..].iter().peekable();
        if rest.peek().is_some_and(|e| e.is(DS_NS, "KeyInfo")) {
            rest.next();
        }
        if let Some(other) = rest.find(|e| !e.is(DS_NS, "Object")) {
            return Err(signature(format!(
                "Signature may not hold <{}> there",
                crate::id::truncate(&other.name, 64)
            )));
        }
        if signature_value.elements().next().is_some() {
            return Err(signature("SignatureValue must hold only base64 text"));
        }
        no_text(signed_info, "SignedInfo")?;
        let parts: Vec<&Element> = signed_info.elements().collect();
        let shape_ok = parts.len() >= 3
            && parts[0].is(DS_NS, "CanonicalizationMethod")
            && parts[1].is(DS_NS, "SignatureMethod")
            && parts[2..].iter().all(|r| r.is(DS_NS, "Reference"));
        if !shape_ok {
            return Err(signature(
                "SignedInfo must hold CanonicalizationMethod, SignatureMethod and References, nothing else",
            ));
        }
        Ok(Parts {
            signed_info,
            signature_value,
        })
    }
}

/// The canonicalisation `SignedInfo` declares (a profile's algorithm, with
/// exclusive C14N's prefix list).
fn canonicalization(signed_info: &Element, profile: &Profile<'_>) -> Result<Method, AdapterError> {
    let element = signed_info.elements().next();
    let algorithm = algorithm_of(element, profile.canonicalization, "CanonicalizationMethod")?;
    c14n_method(algorithm, element)
}

/// The C14N method `algorithm` names, with the prefix list `holder` (a
/// `CanonicalizationMethod` or `Transform`) gives exclusive C14N.
fn c14n_method(algorithm: &str, holder: Option<&Element>) -> Result<Method, AdapterError> {
    let mut prefixes = Vec::new();
    for child in holder
        .map(|h| h.elements().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if algorithm == c14n::EXC_C14N && child.is(EXC_C14N_NS, "InclusiveNamespaces") {
            prefixes.extend(
                child
                    .attr("PrefixList")
                    .unwrap_or("")
                    .split_whitespace()
                    .map(str::to_owned),
            );
        } else {
            return Err(signature(format!(
                "unexpected <{}> in a canonicalization method",
                crate::id::truncate(&child.name, 64)
            )));
        }
    }
    Method::from_uri(algorithm, prefixes)
        .ok_or_else(|| signature("the canonicalization method is not supported"))
}

/// The `Algorithm` of `element`, which must be one of `allowed`.
fn algorithm_of<'e>(
    element: Option<&'e Element>,
    allowed: &[&str],
    what: &str,
) -> Result<&'e str, AdapterError> {
    let algorithm = element.and_then(|e| e.attr("Algorithm")).unwrap_or("");
    if allowed.contains(&algorithm) {
        Ok(algorithm)
    } else {
        Err(signature(format!(
            "{what} {:?} is not one this profile allows",
            crate::id::truncate(algorithm, 100)
        )))
    }
}

fn check_reference<'a>(
    doc: &Document<'a>,
    signature_element: &'a Element,
    reference: &'a Element,
    profile: &Profile<'_>,
    external: &dyn Fn(&str) -> Option<&'a [u8]>,
    crypto: &dyn Crypto,
) -> Result<VerifiedReference<'a>, AdapterError> {
    no_text(reference, "Reference")?;
    let uri = reference
        .attr("URI")
        .ok_or_else(|| signature("a Reference without a URI"))?;
    let parts: Vec<&Element> = reference.elements().collect();
    let (transforms, digest_method, digest_value) = match parts.as_slice() {
        [t, m, v] if t.is(DS_NS, "Transforms") => (Some(*t), *m, *v),
        [m, v] => (None, *m, *v),
        _ => {
            return Err(signature(
                "a Reference must hold Transforms?, DigestMethod, DigestValue",
            ));
        }
    };
    if !digest_method.is(DS_NS, "DigestMethod") || !digest_value.is(DS_NS, "DigestValue") {
        return Err(signature(
            "a Reference must hold Transforms?, DigestMethod, DigestValue",
        ));
    }
    if digest_method.elements().next().is_some() || digest_value.elements().next().is_some() {
        return Err(signature("DigestMethod and DigestValue hold no elements"));
    }
    let algorithm = algorithm_of(Some(digest_method), profile.digest_methods, "DigestMethod")?;
    let declared = base64(digest_value, "DigestValue")?;
    let transforms: Vec<&Element> = match transforms {
        Some(t) => {
            no_text(t, "Transforms")?;
            let list: Vec<&Element> = t.elements().collect();
            if list.is_empty() || list.iter().any(|e| !e.is(DS_NS, "Transform")) {
                return Err(signature("Transforms must hold one or more Transform"));
            }
            list
        }
        None => Vec::new(),
    };

    let target = if uri.is_empty() {
        let whole = match profile.whole_document {
            WholeDocument::DocumentElement => doc.root(),
            WholeDocument::SignatureParent => doc
                .parent_of(signature_element)
                .ok_or_else(|| signature("URI=\"\" on a signature without a parent"))?,
        };
        Target::Element(whole)
    } else if let Some(id) = uri.strip_prefix('#') {
        if id.starts_with("xpointer(") {
            return Err(signature("XPointer references are not accepted"));
        }
        Target::Element(doc.by_id(id).ok_or_else(|| {
            signature(format!(
                "the reference {:?} names no element",
                crate::id::truncate(uri, 100)
            ))
        })?)
    } else {
        let bytes = external(uri).ok_or_else(|| {
            signature(format!(
                "the reference {:?} names nothing in the package",
                crate::id::truncate(uri, 100)
            ))
        })?;
        Target::External(bytes)
    };

    let digest = match target {
        Target::External(bytes) => {
            if !transforms.is_empty() {
                return Err(signature("references to files take no transforms"));
            }
            crypto.digest(algorithm, bytes)?
        }
        Target::Element(element) => {
            let canonical = transformed(doc, signature_element, element, &transforms, profile)?;
            crypto.digest(algorithm, canonical.as_bytes())?
        }
    };
    if digest != declared {
        return Err(signature(format!(
            "the reference {:?} does not match its digest",
            crate::id::truncate(uri, 100)
        )));
    }
    Ok(VerifiedReference {
        uri,
        kind: reference.attr("Type"),
        target,
    })
}

/// The octets a same-document reference digests: its element after the
/// transforms (at most the enveloped-signature transform, then one
/// canonicalisation; C14N 1.0 when none is named).
fn transformed(
    doc: &Document<'_>,
    signature_element: &Element,
    element: &Element,
    transforms: &[&Element],
    profile: &Profile<'_>,
) -> Result<String, AdapterError> {
    let mut exclude = None;
    let mut method = None;
    for (i, transform) in transforms.iter().enumerate() {
        let algorithm = algorithm_of(Some(transform), profile.transforms, "Transform")?;
        if algorithm == ENVELOPED_SIGNATURE {
            if i != 0 || transform.elements().next().is_some() {
                return Err(signature(
                    "the enveloped-signature transform must come first and be empty",
                ));
            }
            exclude = Some(signature_element);
        } else if method.is_none() && i + 1 == transforms.len() {
            method = Some(c14n_method(algorithm, Some(transform))?);
        } else {
            return Err(signature(
                "transforms in an order this profile does not allow",
            ));
        }
    }
    let method = method.unwrap_or(Method::Inclusive10);
    doc.canonicalize(element, &method, exclude)
}

fn base64(element: &Element, what: &str) -> Result<Vec<u8>, AdapterError> {
    let text: String = element
        .text()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(text)
        .map_err(|_| signature(format!("{what} is not base64")))
}

/// Refuses non-whitespace text directly inside `element`.
fn no_text(element: &Element, what: &str) -> Result<(), AdapterError> {
    let text = element
        .children
        .iter()
        .any(|n| matches!(n, Node::Text(t) if !t.trim().is_empty()));
    if text {
        return Err(signature(format!("{what} may hold only elements")));
    }
    Ok(())
}

fn signature(detail: impl Into<String>) -> AdapterError {
    AdapterError::Signature {
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests;
