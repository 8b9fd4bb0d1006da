//! The structure rules, with a stand-in for cryptography: the "digest" of
//! bytes is the bytes themselves and a "signature" is the signed bytes, so
//! a test document can be signed by hand. The adapters test the same rules
//! on genuinely signed packages.

use super::*;
use crate::xml::{XmlLimits, parse_document};

struct Plain;

impl Crypto for Plain {
    fn digest(&self, _: &str, data: &[u8]) -> Result<Vec<u8>, AdapterError> {
        Ok(data.to_vec())
    }

    fn verify(&self, _: &str, key: &[u8], data: &[u8], sig: &[u8]) -> Result<(), AdapterError> {
        if key == b"key" && sig == data {
            Ok(())
        } else {
            Err(signature("does not verify"))
        }
    }
}

const PROFILE: Profile<'static> = Profile {
    canonicalization: &[c14n::C14N_10, c14n::EXC_C14N],
    signature_methods: &[RSA_SHA256],
    digest_methods: &[SHA256],
    transforms: &[ENVELOPED_SIGNATURE, c14n::EXC_C14N],
    whole_document: WholeDocument::DocumentElement,
};

fn find<'a>(e: &'a Element, ns: &str, name: &str) -> Option<&'a Element> {
    if e.is(ns, name) {
        return Some(e);
    }
    e.elements().find_map(|c| find(c, ns, name))
}

/// `template` with `DIGEST` replaced by the digest of the element `#data`
/// and `SIG` by the signature over the one `SignedInfo`.
fn sign(template: &str) -> String {
    let limits = XmlLimits::default();
    let (text, root) = parse_document(template.as_bytes(), &limits).unwrap();
    let doc = Document::new(text, &root).unwrap();
    let data = doc.by_id("data").unwrap();
    let digest = STANDARD.encode(doc.canonicalize(data, &Method::Inclusive10, None).unwrap());
    let filled = template.replacen("DIGEST", &digest, 1);
    let (text, root) = parse_document(filled.as_bytes(), &limits).unwrap();
    let signed_info = find(&root, DS_NS, "SignedInfo").unwrap();
    let canonical = c14n::canonicalize(text, signed_info, &Method::Inclusive10, None).unwrap();
    filled.replacen("SIG", &STANDARD.encode(canonical), 1)
}

const SIGNATURE: &str = concat!(
    r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
    r#"<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>"#,
    r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>"#,
    r##"<ds:Reference URI="#data"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"##,
    r#"<ds:DigestValue>DIGEST</ds:DigestValue></ds:Reference></ds:SignedInfo>"#,
    r#"<ds:SignatureValue>SIG</ds:SignatureValue></ds:Signature>"#
);

fn check(xml: &str) -> Result<Vec<String>, AdapterError> {
    let (text, root) = parse_document(xml.as_bytes(), &XmlLimits::default())?;
    let doc = Document::new(text, &root)?;
    let [signature] = doc.signatures() else {
        return Err(signature("not one signature"));
    };
    let verified = verify(&doc, signature, &PROFILE, b"key", &|_| None, &Plain)?;
    Ok(verified
        .references()
        .iter()
        .map(|r| match r.target {
            Target::Element(e) => e.text(),
            Target::External(_) => String::new(),
        })
        .collect())
}

#[test]
fn a_signed_document_verifies_and_hands_back_what_was_signed() {
    let xml = sign(&format!(r#"<r><d Id="data">letter</d>{SIGNATURE}</r>"#));
    assert_eq!(check(&xml).unwrap(), ["letter"]);
}

#[test]
fn altered_content_or_signed_info_fails() {
    let xml = sign(&format!(r#"<r><d Id="data">letter</d>{SIGNATURE}</r>"#));
    assert_eq!(
        check(&xml.replace("letter", "Letter")).unwrap_err().code(),
        "signature-invalid"
    );
    let other_method = xml.replace("xmlenc#sha256\"/>", "xmlenc#sha256\"></ds:DigestMethod>");
    assert!(check(&other_method).is_ok(), "an equivalent serialisation");
    assert!(check(&xml.replace("URI=\"#data\"", "URI=\"#data\" Type=\"x\"")).is_err());
}

#[test]
fn a_decoy_signed_info_anywhere_is_refused() {
    // The genuine SignedInfo (over the genuine letter) moved into a decoy
    // before the signature, and a forged one in its place.
    let genuine = sign(&format!(r#"<r><d Id="data">letter</d>{SIGNATURE}</r>"#));
    let start = genuine.find("<ds:SignedInfo>").unwrap();
    let end = genuine.find("</ds:SignedInfo>").unwrap() + "</ds:SignedInfo>".len();
    let signed_info = &genuine[start..end];
    let decoy_before = genuine.replacen(
        "<r>",
        &format!(r#"<r xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><x>{signed_info}</x>"#),
        1,
    );
    assert_eq!(
        check(&decoy_before).unwrap_err().to_string(),
        "signature invalid: a ds:SignedInfo outside a ds:Signature"
    );
    let in_object = genuine.replace(
        "</ds:Signature>",
        &format!("<ds:Object>{signed_info}</ds:Object></ds:Signature>"),
    );
    assert!(check(&in_object).is_err());
    let nested = genuine.replace(
        "</ds:Signature>",
        &format!("<ds:Object>{SIGNATURE}</ds:Object></ds:Signature>"),
    );
    assert_eq!(
        check(&nested).unwrap_err().to_string(),
        "signature invalid: a ds:Signature inside another"
    );
}

#[test]
fn an_id_on_two_elements_is_refused() {
    let xml = sign(&format!(r#"<r><d Id="data">letter</d>{SIGNATURE}</r>"#));
    let twice = xml.replace("<r>", r#"<r><e Id="data">forged</e>"#);
    assert_eq!(
        check(&twice).unwrap_err().to_string(),
        "signature invalid: two elements carry the Id \"data\""
    );
}

#[test]
fn unknown_siblings_are_refused() {
    let xml = sign(&format!(r#"<r><d Id="data">letter</d>{SIGNATURE}</r>"#));
    for (from, to) in [
        ("</ds:SignatureValue>", "</ds:SignatureValue><ds:Extra/>"),
        ("</ds:SignedInfo>", "<ds:Extra/></ds:SignedInfo>"),
        ("<ds:DigestMethod", "<ds:Other/><ds:DigestMethod"),
        ("<ds:SignedInfo>", "<ds:SignedInfo>text"),
    ] {
        assert!(check(&xml.replacen(from, to, 1)).is_err(), "{to}");
    }
    let key_info_and_object = xml.replacen(
        "</ds:SignatureValue>",
        "</ds:SignatureValue><ds:KeyInfo/><ds:Object/><ds:Object/>",
        1,
    );
    assert!(check(&key_info_and_object).is_ok());
}

#[test]
fn only_the_profiles_algorithms_are_accepted() {
    let xml = sign(&format!(r#"<r><d Id="data">letter</d>{SIGNATURE}</r>"#));
    let sha1 = xml.replace(
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    );
    assert!(check(&sha1).is_err());
    let xpointer = sign(&format!(r#"<r><d Id="data">letter</d>{SIGNATURE}</r>"#))
        .replace("URI=\"#data\"", "URI=\"#xpointer(/)\"");
    assert!(check(&xpointer).is_err());
}

#[test]
fn an_enveloped_signature_excludes_only_itself() {
    let template = format!(r#"<r Id="data"><d>letter</d>{SIGNATURE}</r>"#).replace(
        "<ds:DigestMethod",
        r#"<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms><ds:DigestMethod"#,
    );
    // Signed by hand: the digest is over the document without the signature.
    let limits = XmlLimits::default();
    let (text, root) = parse_document(template.as_bytes(), &limits).unwrap();
    let sig = find(&root, DS_NS, "Signature").unwrap();
    let digest =
        STANDARD.encode(c14n::canonicalize(text, &root, &Method::Inclusive10, Some(sig)).unwrap());
    assert_eq!(
        String::from_utf8(STANDARD.decode(&digest).unwrap()).unwrap(),
        r#"<r Id="data"><d>letter</d></r>"#
    );
    let filled = template.replacen("DIGEST", &digest, 1);
    let (text, root) = parse_document(filled.as_bytes(), &limits).unwrap();
    let signed_info = find(&root, DS_NS, "SignedInfo").unwrap();
    let canonical = c14n::canonicalize(text, signed_info, &Method::Inclusive10, None).unwrap();
    let xml = filled.replacen("SIG", &STANDARD.encode(canonical), 1);
    assert_eq!(check(&xml).unwrap(), [""]);
    assert!(check(&xml.replace("letter", "Letter")).is_err());
}

/// Signs, by hand, an enveloped `URI=""` signature placed as the last
/// child of the element named `signed` of `template`, as if that element
/// were a document of its own (how Sweden signs `SignedDelivery` before it
/// embeds it in `SealedDelivery`).
fn sign_as_own_document(template: &str, signed: &str) -> String {
    let limits = XmlLimits::default();
    let (text, root) = parse_document(template.as_bytes(), &limits).unwrap();
    let element = find_local(&root, signed).unwrap();
    let sig = element.child(DS_NS, "Signature").unwrap();
    let digest = STANDARD
        .encode(c14n::canonicalize(text, element, &Method::Inclusive10, Some(sig)).unwrap());
    let filled = template.replacen("DIGEST", &digest, 1);
    let (text, root) = parse_document(filled.as_bytes(), &limits).unwrap();
    let signed_info = find(&root, DS_NS, "SignedInfo").unwrap();
    let canonical = c14n::canonicalize(text, signed_info, &Method::Inclusive10, None).unwrap();
    filled.replacen("SIG", &STANDARD.encode(canonical), 1)
}

fn find_local<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    if e.name == name {
        return Some(e);
    }
    e.elements().find_map(|c| find_local(c, name))
}

#[test]
fn uri_empty_can_mean_the_signatures_parent() {
    let enveloped = SIGNATURE.replace("URI=\"#data\"", "URI=\"\"").replace(
        "<ds:DigestMethod",
        r#"<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms><ds:DigestMethod"#,
    );
    let xml = sign_as_own_document(
        &format!(
            r#"<sealed><signed><d>letter</d>{enveloped}</signed><seal>2020-05-28</seal></sealed>"#
        ),
        "signed",
    );
    let parent = Profile {
        whole_document: WholeDocument::SignatureParent,
        ..PROFILE
    };
    let verify_with = |xml: &str, profile: &Profile<'_>| -> Result<String, AdapterError> {
        let (text, root) = parse_document(xml.as_bytes(), &XmlLimits::default())?;
        let doc = Document::new(text, &root)?;
        let [held] = doc.signatures() else {
            return Err(signature("not one signature"));
        };
        let verified = verify(&doc, held, profile, b"key", &|_| None, &Plain)?;
        match verified.references() {
            [only] => match only.target {
                Target::Element(e) => Ok(e.name.clone()),
                Target::External(_) => Err(signature("external")),
            },
            _ => Err(signature("not one reference")),
        }
    };
    // The signature's parent is what was signed, and what comes back.
    assert_eq!(verify_with(&xml, &parent).unwrap(), "signed");
    // Read the XML-DSig way, URI="" is the whole document, which also
    // holds the seal: it does not verify.
    assert!(verify_with(&xml, &PROFILE).is_err());
    // What lies outside the parent is not covered; what lies inside is.
    assert!(verify_with(&xml.replace("2020-05-28", "2020-05-29"), &parent).is_ok());
    assert!(verify_with(&xml.replace("letter", "Letter"), &parent).is_err());
}
