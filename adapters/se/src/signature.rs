//! Signing, sealing and verifying deliveries (XML-DSig), with the core's
//! [`c14n`] and [`dsig`] rules.
//!
//! The profile is the one the official signed sample and the reference
//! implementation (`se.gov.minameddelanden.common.sign.SignatureUtils`)
//! use, and nothing else is accepted:
//!
//! - an enveloped signature as the **last child** of the element it signs,
//!   `Reference URI=""` with the single transform `enveloped-signature`
//!   (so the reference is canonicalised with inclusive C14N 1.0, the
//!   default), SHA-256;
//! - `SignedInfo` canonicalised with exclusive C14N, `rsa-sha256`;
//! - `KeyInfo/X509Data` with `X509SubjectName` and `X509Certificate`.
//!
//! `SignedDelivery` is signed as a document of its own and then embedded in
//! `SealedDelivery`, so its `URI=""` means the signature's parent
//! ([`WholeDocument::SignatureParent`]), not the document element. The
//! förmedlare's seal signs the whole `SealedDelivery`: the sender's
//! signature and the `Seal` are inside what it covers, and each enveloped
//! transform removes only its own signature.
//!
//! Everything is signed and verified in [normal form](crate::normal): a
//! received delivery is re-written that way first, and its content is read
//! from the very tree whose signatures were checked.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::xml::c14n::{self, Method};
use borderpost_core::xml::dsig::{
    self, DS_NS, ENVELOPED_SIGNATURE, Profile, RSA_SHA256, SHA256, Target, WholeDocument,
};
use borderpost_core::xml::{Element, XmlLimits, parse_document};
use borderpost_core::{AdapterError, PartyId, Signer};
use time::{Date, OffsetDateTime};

use crate::crypto::{self, XmlCrypto};
use crate::delivery::{self, Delivery, el, leaf_el, push};
use crate::normal;
use crate::ns::{M1, M3};

/// What a Mina meddelanden signature may use.
pub const PROFILE: Profile<'static> = Profile {
    canonicalization: &[c14n::EXC_C14N],
    signature_methods: &[RSA_SHA256],
    digest_methods: &[SHA256],
    transforms: &[ENVELOPED_SIGNATURE, c14n::EXC_C14N],
    whole_document: WholeDocument::SignatureParent,
};

/// A `SignedDelivery` document in normal form, signed by the sender (made
/// by [`sign_delivery`]) or verified (by [`verify`]): only those make one.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedDelivery {
    xml: String,
}

/// A sealed `SealedDelivery` document in normal form (made by [`seal`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedDelivery {
    xml: String,
}

/// Who is trusted, as of when.
#[derive(Debug, Clone, Copy)]
pub struct Trust<'a> {
    /// Trust anchors (DER). None: every check is refused.
    pub anchors: &'a [Vec<u8>],
    /// Skip the chain and validity check (never in production).
    pub dangerous_skip_chain_check: bool,
    /// The time certificates must be valid at.
    pub at: OffsetDateTime,
}

/// A delivery whose signatures verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The content.
    pub delivery: Delivery,
    /// The sender's signing certificate (DER).
    pub sender_certificate: Vec<u8>,
    /// The signed delivery as verified, ready to be sealed again.
    pub signed: SignedDelivery,
    /// The förmedlare's seal, for a `SealedDelivery`.
    pub seal: Option<Seal>,
}

/// A förmedlare's seal that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// `Seal/ReceivedTime`.
    pub received: Date,
    /// The organisation the sealing certificate names.
    pub sealer: PartyId,
    /// The sealing certificate (DER).
    pub sealer_certificate: Vec<u8>,
}

// === impl SignedDelivery / SealedDelivery ===

impl SignedDelivery {
    /// The document.
    pub fn as_str(&self) -> &str {
        &self.xml
    }
}

impl SealedDelivery {
    /// The document.
    pub fn as_str(&self) -> &str {
        &self.xml
    }

    /// The document, owned.
    pub fn into_string(self) -> String {
        self.xml
    }
}

impl std::fmt::Debug for SignedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignedDelivery(<{} bytes>)", self.xml.len())
    }
}

impl std::fmt::Debug for SealedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedDelivery(<{} bytes>)", self.xml.len())
    }
}

// === signing ===

/// Signs `delivery` as its sender: a `SignedDelivery` with the sender's
/// enveloped signature. `signer` is the sender's key (or the key the
/// gateway signs with as the sender's data processor).
pub fn sign_delivery(
    delivery: &Delivery,
    signer: &dyn Signer,
) -> Result<SignedDelivery, AdapterError> {
    let mut root = el(M3, "SignedDelivery");
    push(&mut root, delivery::to_element(delivery)?);
    let xml = sign_document(root, signer)?;
    Ok(SignedDelivery { xml })
}

/// Seals `signed` as förmedlare: a `SealedDelivery` holding it, a
/// `Seal{ReceivedTime, SignaturesOK=true}` and the förmedlare's enveloped
/// signature over all of it. `signed` was made or verified by Borderpost,
/// so its signatures are known to be good.
pub fn seal(
    signed: &SignedDelivery,
    received: Date,
    sealer: &dyn Signer,
) -> Result<SealedDelivery, AdapterError> {
    let (_, signed_root) = parse_document(signed.xml.as_bytes(), &XmlLimits::default())?;
    let mut root = el(M3, "SealedDelivery");
    push(&mut root, signed_root);
    let mut seal = el(M3, "Seal");
    push(
        &mut seal,
        leaf_el(M1, "ReceivedTime", &delivery::format_xs_date(received)),
    );
    push(&mut seal, leaf_el(M1, "SignaturesOK", "true"));
    push(&mut root, seal);
    let xml = sign_document(root, sealer)?;
    Ok(SealedDelivery { xml })
}

/// Appends an enveloped signature by `signer` to `root` and returns the
/// document in normal form.
pub(crate) fn sign_element(root: Element, signer: &dyn Signer) -> Result<String, AdapterError> {
    sign_document(root, signer)
}

fn sign_document(mut root: Element, signer: &dyn Signer) -> Result<String, AdapterError> {
    let unsigned = normal::document(&root);
    let (text, parsed) = parse_document(unsigned.as_bytes(), &XmlLimits::default())?;
    let signature = enveloped_signature(text, &parsed, signer)?;
    push(&mut root, signature);
    Ok(normal::document(&root))
}

/// A `ds:Signature` by `signer` over `parent` (an element of `text` that
/// has no signature yet), to be appended as its last child.
fn enveloped_signature(
    text: &str,
    parent: &Element,
    signer: &dyn Signer,
) -> Result<Element, AdapterError> {
    let chain = signer.certificate_chain();
    let Some(leaf) = chain.first() else {
        return Err(AdapterError::Missing {
            what: "the signing certificate",
        });
    };
    let cert = crypto::parse_der(leaf)?;
    // The enveloped transform only: the reference's node-set becomes
    // octets by inclusive C14N 1.0, as XML-DSig prescribes.
    let canonical = c14n::canonicalize(text, parent, &Method::Inclusive10, None)?;
    let digest = STANDARD.encode(crypto::sha256(canonical.as_bytes())?);

    let algorithm = |name: &str, uri: &str| {
        let mut e = el(DS_NS, name);
        e.attrs.push(borderpost_core::xml::Attribute {
            ns: None,
            name: "Algorithm".to_owned(),
            value: uri.to_owned(),
        });
        e
    };
    let mut transforms = el(DS_NS, "Transforms");
    push(&mut transforms, algorithm("Transform", ENVELOPED_SIGNATURE));
    let mut reference = el(DS_NS, "Reference");
    reference.attrs.push(borderpost_core::xml::Attribute {
        ns: None,
        name: "URI".to_owned(),
        value: String::new(),
    });
    push(&mut reference, transforms);
    push(&mut reference, algorithm("DigestMethod", SHA256));
    push(&mut reference, leaf_el(DS_NS, "DigestValue", &digest));
    let mut signed_info = el(DS_NS, "SignedInfo");
    push(
        &mut signed_info,
        algorithm("CanonicalizationMethod", c14n::EXC_C14N),
    );
    push(&mut signed_info, algorithm("SignatureMethod", RSA_SHA256));
    push(&mut signed_info, reference);

    // SignedInfo's exclusive canonical form depends only on itself (its
    // default namespace is the only one it uses), so it is computed on the
    // element written alone.
    let alone = normal::document(&signed_info);
    let (si_text, si) = parse_document(alone.as_bytes(), &XmlLimits::default())?;
    let method = Method::Exclusive {
        inclusive_prefixes: Vec::new(),
    };
    let canonical_si = c14n::canonicalize(si_text, &si, &method, None)?;
    let value = STANDARD.encode(signer.sign_rs256(canonical_si.as_bytes())?);

    let mut x509 = el(DS_NS, "X509Data");
    push(
        &mut x509,
        leaf_el(DS_NS, "X509SubjectName", &crypto::subject_name(&cert)),
    );
    for der in chain {
        push(
            &mut x509,
            leaf_el(DS_NS, "X509Certificate", &STANDARD.encode(der)),
        );
    }
    let mut key_info = el(DS_NS, "KeyInfo");
    push(&mut key_info, x509);
    let mut signature = el(DS_NS, "Signature");
    push(&mut signature, signed_info);
    push(&mut signature, leaf_el(DS_NS, "SignatureValue", &value));
    push(&mut signature, key_info);
    Ok(signature)
}

// === verifying ===

/// Verifies a `SignedDelivery` or `SealedDelivery` (`root`, read from any
/// source: a bare document or the content of a SOAP `deliverSecure`) and
/// reads its content from the tree that verified.
///
/// Checked, in order: trust anchors are configured; the structure (the
/// sender's signature the last child of `SignedDelivery`, the seal the last
/// child of `SealedDelivery`, no other `ds:Signature` anywhere); each
/// signature over exactly its parent; each certificate's chain at
/// `trust.at`; the sender certificate's organisation equals `Sender/Id`
/// (`signer-mismatch`); `Seal/SignaturesOK` is true.
pub fn verify(
    root: &Element,
    trust: &Trust<'_>,
    limits: &XmlLimits,
) -> Result<Verified, AdapterError> {
    if trust.anchors.is_empty() && !trust.dangerous_skip_chain_check {
        return Err(AdapterError::Missing {
            what: "trust anchors for Swedish signing certificates",
        });
    }
    let normal = normal::document(root);
    let (text, root) = parse_document(normal.as_bytes(), limits)?;
    let doc = dsig::Document::new(text, &root)?;
    let today = trust.at.date();

    let (signed_delivery, outer) = if root.is(M3, "SealedDelivery") {
        let [signed, seal, signature] = element_children(&root, "SealedDelivery")?;
        only_attribute(&root, "SealedDelivery")?;
        if !signed.is(M3, "SignedDelivery")
            || !seal.is(M3, "Seal")
            || !signature.is(DS_NS, "Signature")
        {
            return Err(shape(
                "SealedDelivery must hold SignedDelivery, Seal and the seal's Signature, in that order",
            ));
        }
        (signed, Some((seal, signature)))
    } else if root.is(M3, "SignedDelivery") {
        (&root, None)
    } else {
        return Err(AdapterError::schema(
            "/",
            "a SignedDelivery or SealedDelivery document expected",
        ));
    };
    only_attribute(signed_delivery, "SignedDelivery")?;
    let [content, inner] = element_children(signed_delivery, "SignedDelivery")?;
    if !content.is(M3, "Delivery") || !inner.is(DS_NS, "Signature") {
        return Err(shape(
            "SignedDelivery must hold Delivery, then the sender's Signature",
        ));
    }
    let expected: Vec<&Element> = match outer {
        Some((_, outer)) => vec![inner, outer],
        None => vec![inner],
    };
    let found = doc.signatures();
    if found.len() != expected.len()
        || !found
            .iter()
            .zip(&expected)
            .all(|(a, b)| std::ptr::eq(*a, *b))
    {
        return Err(shape(
            "a ds:Signature where none belongs (only the sender's, last in SignedDelivery, and the seal, last in SealedDelivery, are allowed)",
        ));
    }

    // The signatures first: nothing of the content is read before both
    // verified.
    let sender_certificate = check(
        &doc,
        inner,
        signed_delivery,
        trust,
        "the sender's signature",
    )?;
    let sealer_certificate = match outer {
        Some((_, signature)) => Some(check(
            &doc,
            signature,
            &root,
            trust,
            "the förmedlare's seal",
        )?),
        None => None,
    };
    let delivery = delivery::read(content, today)?;
    let signer = crypto::organisation(&*crypto::parse_der(&sender_certificate)?)?;
    if !signer.same_party(&delivery.header.sender.id) {
        return Err(AdapterError::SignerMismatch {
            signer: signer.to_string(),
            claimed: delivery.header.sender.id.to_string(),
        });
    }

    let seal = match (outer, sealer_certificate) {
        (Some((seal, _)), Some(sealer_certificate)) => {
            let sealer = crypto::organisation(&*crypto::parse_der(&sealer_certificate)?)?;
            let [received, ok] = element_children(seal, "Seal")?;
            if !received.is(M1, "ReceivedTime") || !ok.is(M1, "SignaturesOK") {
                return Err(AdapterError::schema(
                    "SealedDelivery/Seal",
                    "ReceivedTime, then SignaturesOK",
                ));
            }
            let received = delivery::parse_xs_date(&delivery::leaf(received, "Seal/ReceivedTime")?)
                .ok_or_else(|| {
                    AdapterError::schema("SealedDelivery/Seal/ReceivedTime", "xs:date")
                })?;
            match delivery::leaf(ok, "Seal/SignaturesOK")?.trim() {
                "true" | "1" => {}
                "false" | "0" => {
                    return Err(AdapterError::Signature {
                        detail: "the förmedlare's seal says the signatures are not OK".to_owned(),
                    });
                }
                _ => {
                    return Err(AdapterError::schema(
                        "SealedDelivery/Seal/SignaturesOK",
                        "a boolean",
                    ));
                }
            }
            Some(Seal {
                received,
                sealer,
                sealer_certificate,
            })
        }
        _ => None,
    };
    Ok(Verified {
        delivery,
        sender_certificate,
        signed: SignedDelivery {
            xml: normal::document(signed_delivery),
        },
        seal,
    })
}

/// Verifies `signature` (a child of `parent`) over exactly `parent`, and
/// its certificate's chain; returns the certificate.
fn check<'a>(
    doc: &dsig::Document<'a>,
    signature: &'a Element,
    parent: &'a Element,
    trust: &Trust<'_>,
    what: &str,
) -> Result<Vec<u8>, AdapterError> {
    let certificates: Vec<Vec<u8>> = signature
        .child(DS_NS, "KeyInfo")
        .and_then(|k| k.child(DS_NS, "X509Data"))
        .map(|d| {
            d.children_named(DS_NS, "X509Certificate")
                .map(|c| {
                    let b64: String = c.text().chars().filter(|c| !c.is_whitespace()).collect();
                    STANDARD.decode(b64).map_err(|_| AdapterError::Signature {
                        detail: format!("{what}: X509Certificate is not base64"),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let Some(leaf) = certificates.first() else {
        return Err(AdapterError::Signature {
            detail: format!("{what}: KeyInfo/X509Data/X509Certificate is missing"),
        });
    };
    let verified = dsig::verify(doc, signature, &PROFILE, leaf, &|_| None, &XmlCrypto)?;
    let covers_parent = match verified.references() {
        [only] => matches!(only.target, Target::Element(e) if std::ptr::eq(e, parent)),
        _ => false,
    };
    let enveloped = signature
        .child(DS_NS, "SignedInfo")
        .and_then(|si| si.child(DS_NS, "Reference"))
        .and_then(|r| r.child(DS_NS, "Transforms"))
        .and_then(|t| t.elements().next())
        .and_then(|t| t.attr("Algorithm"))
        == Some(ENVELOPED_SIGNATURE);
    if !covers_parent || !enveloped {
        return Err(AdapterError::Signature {
            detail: format!("{what} must have one enveloped reference to the element it is in"),
        });
    }
    if !trust.dangerous_skip_chain_check {
        let cert = crypto::parse_der(leaf)?;
        crypto::verify_chain(&cert, &certificates[1..], trust.anchors, trust.at, what)?;
    }
    Ok(leaf.clone())
}

/// The child elements of `e`, exactly `N` of them, with no text but layout
/// whitespace between them.
fn element_children<'a, const N: usize>(
    e: &'a Element,
    what: &str,
) -> Result<[&'a Element; N], AdapterError> {
    if e.has_text() {
        return Err(AdapterError::schema(
            what,
            "text where only elements are allowed",
        ));
    }
    let children: Vec<&Element> = e.elements().collect();
    children.try_into().map_err(|found: Vec<&Element>| {
        AdapterError::schema(
            what,
            format!("{N} child elements expected, found {}", found.len()),
        )
    })
}

/// `SignedDelivery` and `SealedDelivery` may carry an `Id` and nothing
/// else.
fn only_attribute(e: &Element, what: &str) -> Result<(), AdapterError> {
    if e.attrs.iter().any(|a| a.ns.is_some() || a.name != "Id") {
        return Err(AdapterError::schema(
            what,
            "only an Id attribute is allowed",
        ));
    }
    Ok(())
}

fn shape(detail: &str) -> AdapterError {
    AdapterError::Signature {
        detail: detail.to_owned(),
    }
}
