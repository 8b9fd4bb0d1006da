use std::io::{Cursor, Read, Write};

use super::*;
use crate::CmsKey;
use borderpost_core::xml::c14n;

fn certs(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../certs-example/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../conformance/protocols/no/dpi-2022/eksempler/komplette/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn key() -> CmsKey {
    CmsKey::from_pem(&certs("sender-no.crt"), &certs("sender-no.key")).unwrap()
}

fn build_example(name: &str, content: &[u8]) -> Vec<u8> {
    let docs = [
        NewDocument {
            href: name,
            mime: "application/pdf",
            tittel: "Brev & <vedtak>",
            lang: "no",
            content,
        },
        NewDocument {
            href: "vedlegg 1.txt",
            mime: "text/plain",
            tittel: "Vedlegg",
            lang: "en",
            content: b"attachment",
        },
    ];
    build(
        &NewPackage {
            postkasseadresse: Some("ola.nordmann#9YDT"),
            avsender: "0192:991825827",
            avsenderidentifikator: Some("unit-1"),
            faktura_referanse: None,
            documents: &docs,
        },
        &key(),
        time::macros::datetime!(2025-03-01 12:00:00.123 UTC),
    )
    .unwrap()
}

#[test]
fn builds_a_package_it_reads_back() {
    let zip = build_example("brev.pdf", b"%PDF-1.4 test");
    let package = read(&zip, &Limits::default()).unwrap();
    assert_eq!(package.manifest.avsender, "0192:991825827");
    assert_eq!(
        package.manifest.postkasseadresse.as_deref(),
        Some("ola.nordmann#9YDT")
    );
    assert_eq!(package.manifest.documents.len(), 2);
    assert_eq!(package.files["brev.pdf"], b"%PDF-1.4 test");
    assert_eq!(package.files["vedlegg 1.txt"], b"attachment");
    assert_eq!(
        package.manifest.documents[0].tittel,
        Some(("Brev & <vedtak>".to_owned(), "no".to_owned()))
    );

    // The container's first entry is `mimetype`, stored.
    let mut archive = ZipArchive::new(Cursor::new(&zip)).unwrap();
    let first = archive.by_index(0).unwrap();
    assert_eq!(first.name().unwrap(), "mimetype");
    assert_eq!(first.compression(), CompressionMethod::Stored);
    drop(first);
    assert!(archive.by_name("META-INF/manifest.xml").is_err());
}

#[test]
fn what_is_signed_is_the_canonical_form_of_what_is_written() {
    // The canonicaliser (used for others' signatures) must reproduce the
    // exact bytes Borderpost signed and digested.
    let zip = build_example("brev.pdf", b"x");
    let mut archive = ZipArchive::new(Cursor::new(&zip)).unwrap();
    let mut xml = String::new();
    archive
        .by_name(SIGNATURES)
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let (text, root) = xml::parse_document(xml.as_bytes(), &Limits::default().xml()).unwrap();
    let signature = root.child(DS_NS, "Signature").unwrap();
    let signed_info = signature.child(DS_NS, "SignedInfo").unwrap();
    let si = c14n::canonicalize(text, signed_info, &c14n::Method::Inclusive10, None).unwrap();
    assert!(si.starts_with("<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"));
    assert!(si.contains("URI=\"vedlegg%201.txt\""));
    let properties = signed_properties(signature).unwrap();
    let sp = c14n::canonicalize(text, properties, &c14n::Method::Inclusive10, None).unwrap();
    assert!(sp.contains("<SigningTime>2025-03-01T12:00:00.123Z</SigningTime>"));
    assert!(sp.contains(
        "X509IssuerName>CN=Borderpost Example Root CA NO,O=Borderpost Example CA NO,C=NO<"
    ));
}

#[test]
fn reads_and_verifies_the_digdir_sample_packages() {
    for (name, document, sender) in [
        ("digital-dokumentpakke.zip", "Test.txt", "0192:991825827"),
        (
            "digital-avsenderidentifikator-dokumentpakke.zip",
            "Test.txt",
            "0192:991825827",
        ),
        (
            "digital-pa-vegne-av-dokumentpakke.zip",
            "Test.txt",
            "0192:910076787",
        ),
        ("utskrift-dokumentpakke.zip", "my.pdf", "0192:991825827"),
    ] {
        let package =
            read(&sample(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(package.manifest.avsender, sender, "{name}");
        assert_eq!(package.manifest.documents[0].href, document, "{name}");
        assert!(package.files.contains_key(document), "{name}");
        assert!(!package.signer_certificate.is_empty());
    }
}

/// Rewrites `zip`, replacing the content of `entry` by `f(content)`.
fn rewrite(zip: &[u8], entry: &str, f: impl Fn(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut archive = ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let method = file.compression();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        if name.as_str() == entry {
            content = f(content);
        }
        out.start_file(
            name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_changed_document_is_signature_invalid() {
    let zip = build_example("brev.pdf", b"original");
    let tampered = rewrite(&zip, "brev.pdf", |_| b"tampered".to_vec());
    let err = read(&tampered, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "signature-invalid", "{err}");
    assert!(err.to_string().contains("brev.pdf"), "{err}");

    let tampered = rewrite(&zip, "manifest.xml", |m| {
        String::from_utf8(m)
            .unwrap()
            .replace("unit-1", "unit-2")
            .into_bytes()
    });
    assert_eq!(
        read(&tampered, &Limits::default()).unwrap_err().code(),
        "signature-invalid"
    );
}

#[test]
fn a_changed_signature_is_signature_invalid() {
    let zip = build_example("brev.pdf", b"original");
    // Changing the SigningTime breaks the SignedProperties digest.
    let tampered = rewrite(&zip, SIGNATURES, |s| {
        String::from_utf8(s)
            .unwrap()
            .replace("2025-03-01T12:00:00.123Z", "2025-03-02T12:00:00.123Z")
            .into_bytes()
    });
    assert_eq!(
        read(&tampered, &Limits::default()).unwrap_err().code(),
        "signature-invalid"
    );
    // Changing a digest in SignedInfo (and the file to match) breaks the
    // signature value itself.
    let tampered = rewrite(&zip, SIGNATURES, |s| {
        let s = String::from_utf8(s).unwrap();
        let original = STANDARD.encode(hash(MessageDigest::sha256(), b"original").unwrap());
        let forged = STANDARD.encode(hash(MessageDigest::sha256(), b"forged").unwrap());
        s.replace(&original, &forged).into_bytes()
    });
    let tampered = rewrite(&tampered, "brev.pdf", |_| b"forged".to_vec());
    let err = read(&tampered, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "signature-invalid", "{err}");
}

#[test]
fn the_container_rules_are_enforced() {
    let zip = build_example("brev.pdf", b"x");
    // An extra unsigned file.
    let mut archive = ZipArchive::new(Cursor::new(&zip)).unwrap();
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        out.raw_copy_file(archive.by_index(i).unwrap()).unwrap();
    }
    out.start_file("extra.txt", SimpleFileOptions::default())
        .unwrap();
    out.write_all(b"smuggled").unwrap();
    let extra = out.finish().unwrap().into_inner();
    assert_eq!(
        read(&extra, &Limits::default()).unwrap_err().code(),
        "package-invalid"
    );

    // mimetype not first.
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    out.start_file("manifest.xml", SimpleFileOptions::default())
        .unwrap();
    out.write_all(b"<x/>").unwrap();
    let bad = out.finish().unwrap().into_inner();
    assert_eq!(
        read(&bad, &Limits::default()).unwrap_err().code(),
        "package-invalid"
    );

    // Path traversal.
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    out.start_file(
        "mimetype",
        SimpleFileOptions::default().compression_method(CompressionMethod::Stored),
    )
    .unwrap();
    out.write_all(MIMETYPE.as_bytes()).unwrap();
    out.start_file("../evil.txt", SimpleFileOptions::default())
        .unwrap();
    out.write_all(b"x").unwrap();
    let bad = out.finish().unwrap().into_inner();
    assert_eq!(
        read(&bad, &Limits::default()).unwrap_err().code(),
        "package-invalid"
    );

    // Over the size limit, counted after decompression.
    let limits = Limits {
        max_document_bytes: 1000,
        ..Limits::default()
    };
    let big = build_example("brev.pdf", &vec![b'a'; 5000]);
    assert_eq!(read(&big, &limits).unwrap_err().code(), "too-large");
}

// === signature wrapping ===
//
// Each case starts from a genuinely signed package, replaces the letter
// with a forged one, puts a forged SignedInfo (whose digest matches the
// forgery) where the verifier looks for references, and hides the genuine
// SignedInfo — whose signature value still verifies — where a verifier
// that searches by name would find it first. Every variant must be
// refused, and none may hand back the forged letter.

/// The genuine package's `signatures.xml`, its `SignedInfo` as written,
/// and that `SignedInfo` with the letter's digest replaced by the forgery's.
fn wrapping_parts(zip: &[u8]) -> (String, String, String) {
    let mut archive = ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut xml = String::new();
    archive
        .by_name(SIGNATURES)
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let start = xml.find("<SignedInfo>").unwrap();
    let end = xml.find("</SignedInfo>").unwrap() + "</SignedInfo>".len();
    let genuine = xml[start..end].to_owned();
    let original = STANDARD.encode(hash(MessageDigest::sha256(), b"original").unwrap());
    let forged_digest = STANDARD.encode(hash(MessageDigest::sha256(), b"forged").unwrap());
    let forged = genuine.replace(&original, &forged_digest);
    assert_ne!(genuine, forged);
    (xml, genuine, forged)
}

/// The package with the letter forged and `signatures.xml` rewritten by
/// `wrap(document, genuine SignedInfo, forged SignedInfo)`.
fn wrapped(wrap: impl Fn(&str, &str, &str) -> String) -> Vec<u8> {
    let zip = build_example("brev.pdf", b"original");
    let (xml, genuine, forged) = wrapping_parts(&zip);
    let signatures = wrap(&xml, &genuine, &forged);
    assert_ne!(signatures, xml);
    let zip = rewrite(&zip, SIGNATURES, |_| signatures.clone().into_bytes());
    rewrite(&zip, "brev.pdf", |_| b"forged".to_vec())
}

fn refused(package: &[u8]) -> AdapterError {
    match read(package, &Limits::default()) {
        Ok(p) => panic!(
            "a wrapped package was accepted: brev.pdf = {:?}",
            String::from_utf8_lossy(&p.files["brev.pdf"])
        ),
        Err(e) => e,
    }
}

#[test]
fn the_genuine_package_verifies_before_it_is_wrapped() {
    let zip = build_example("brev.pdf", b"original");
    assert_eq!(
        read(&zip, &Limits::default()).unwrap().files["brev.pdf"],
        b"original"
    );
}

#[test]
fn a_decoy_signed_info_before_the_signature_is_refused() {
    let decoy = wrapped(|xml, genuine, forged| {
        xml.replace(genuine, forged).replace(
            "<Signature xmlns=",
            &format!(
                "<Decoy xmlns:ds=\"{DS_NS}\">{}</Decoy><Signature xmlns=",
                genuine.replace("<SignedInfo>", &format!("<SignedInfo xmlns=\"{DS_NS}\">"))
            ),
        )
    });
    refused(&decoy);
    // The same, with the decoy in the signature's own namespace context
    // (a sibling ds:Signature-less SignedInfo under the root).
    let bare = wrapped(|xml, genuine, forged| {
        let moved = genuine.replace("<SignedInfo>", &format!("<SignedInfo xmlns=\"{DS_NS}\">"));
        xml.replace(genuine, forged)
            .replace("<Signature xmlns=", &format!("{moved}<Signature xmlns="))
    });
    refused(&bare);
}

#[test]
fn a_decoy_signed_info_inside_the_signature_is_refused() {
    for place in ["<KeyInfo>", "<Object>", "<QualifyingProperties "] {
        let inside = wrapped(|xml, genuine, forged| {
            let at = xml.find(place).unwrap() + place.len();
            let at = if place.ends_with(' ') {
                xml[at..].find('>').unwrap() + at + 1
            } else {
                at
            };
            let mut out = xml.to_owned();
            out.insert_str(
                at,
                &format!(
                    "<Wrapper xmlns=\"urn:x\">{}</Wrapper>",
                    genuine.replace("<SignedInfo>", &format!("<SignedInfo xmlns=\"{DS_NS}\">"))
                ),
            );
            out.replace(
                &format!("{genuine}<SignatureValue>"),
                &format!("{forged}<SignatureValue>"),
            )
        });
        let err = refused(&inside);
        assert!(
            matches!(err.code(), "signature-invalid" | "package-invalid"),
            "{place}: {err}"
        );
    }
}

#[test]
fn a_decoy_signature_or_a_second_signature_is_refused() {
    // A whole second signature (the genuine one) after a forged one.
    let after = wrapped(|xml, genuine, forged| {
        let start = xml.find("<Signature xmlns=").unwrap();
        let end = xml.find("</XAdESSignatures>").unwrap();
        let real = &xml[start..end];
        xml.replacen(real, &format!("{}{real}", real.replace(genuine, forged)), 1)
    });
    let err = refused(&after);
    assert_eq!(
        err.to_string(),
        "invalid package: signatures.xml must hold exactly one signature"
    );
    // The genuine signature nested in the forged one's Object.
    let nested = wrapped(|xml, genuine, forged| {
        let start = xml.find("<Signature xmlns=").unwrap();
        let end = xml.find("</XAdESSignatures>").unwrap();
        let real = xml[start..end].to_owned();
        let outer = real.replace(genuine, forged).replace(
            "</Signature>",
            &format!(
                "<Object>{}</Object></Signature>",
                real.replace(" Id=\"Signature\"", "")
            ),
        );
        xml.replacen(&real, &outer, 1)
    });
    refused(&nested);
}

#[test]
fn a_decoy_signed_properties_is_refused() {
    // A second SignedProperties with the same Id before the real one: a
    // reference by Id must resolve to exactly one element.
    let zip = build_example("brev.pdf", b"original");
    let (xml, _, _) = wrapping_parts(&zip);
    let start = xml.find("<SignedProperties ").unwrap();
    let end = xml.find("</SignedProperties>").unwrap() + "</SignedProperties>".len();
    let properties = &xml[start..end];
    for (place, decoy) in [
        // Beside the signature, under the root.
        (
            "<Signature xmlns=",
            format!(
                "<Decoy xmlns=\"{XADES_NS}\" xmlns:ns2=\"{DS_NS}\">{}</Decoy><Signature xmlns=",
                properties.replace("2025-03-01", "2024-01-01")
            ),
        ),
        // Inside the signature, where no structure rule looks.
        (
            "<KeyInfo>",
            format!(
                "<KeyInfo><Decoy xmlns=\"{XADES_NS}\" xmlns:ns2=\"{DS_NS}\">{}</Decoy>",
                properties.replace("2025-03-01", "2024-01-01")
            ),
        ),
    ] {
        let changed = xml.replacen(place, &decoy, 1);
        let package = rewrite(&zip, SIGNATURES, |_| changed.clone().into_bytes());
        let err = refused(&package);
        assert!(
            matches!(err.code(), "signature-invalid" | "package-invalid"),
            "{place}: {err}"
        );
    }
    let twice = xml.replacen(
        "</QualifyingProperties>",
        &format!("{}</QualifyingProperties>", properties),
        1,
    );
    let package = rewrite(&zip, SIGNATURES, |_| twice.clone().into_bytes());
    assert_eq!(
        refused(&package).to_string(),
        "signature invalid: two elements carry the Id \"SignedProperties\""
    );
}

#[test]
fn unknown_siblings_are_refused() {
    let zip = build_example("brev.pdf", b"original");
    let (xml, _, _) = wrapping_parts(&zip);
    for (after, extra) in [
        ("</SignatureValue>", "<Extra xmlns=\"urn:x\"/>"),
        ("<SignedInfo>", "<Manifest/>"),
        ("</KeyInfo>", "<SignatureProperties/>"),
        ("<Object>", "<Extra xmlns=\"urn:x\"/>"),
        ("</SignedProperties>", "<Other xmlns=\"urn:x\"/>"),
        ("</Signature>", "<Extra xmlns=\"urn:x\"/>"),
    ] {
        let changed = xml.replacen(after, &format!("{after}{extra}"), 1);
        assert_ne!(changed, xml, "{after}");
        let package = rewrite(&zip, SIGNATURES, |_| changed.clone().into_bytes());
        let err = read(&package, &Limits::default()).unwrap_err();
        assert!(
            matches!(err.code(), "signature-invalid" | "package-invalid"),
            "{after}{extra}: {err}"
        );
    }
}
