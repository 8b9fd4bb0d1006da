use std::io::{Cursor, Read, Write};

use super::*;
use crate::CmsKey;

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
    let si = c14n::canonicalize(
        &xml,
        Target {
            ns: DS_NS,
            name: "SignedInfo",
            id: None,
        },
    )
    .unwrap();
    assert!(si.starts_with("<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"));
    assert!(si.contains("URI=\"vedlegg%201.txt\""));
    let sp = c14n::canonicalize(
        &xml,
        Target {
            ns: XADES_NS,
            name: "SignedProperties",
            id: Some("SignedProperties"),
        },
    )
    .unwrap();
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
fn a_changed_document_is_package_invalid() {
    let zip = build_example("brev.pdf", b"original");
    let tampered = rewrite(&zip, "brev.pdf", |_| b"tampered".to_vec());
    let err = read(&tampered, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "package-invalid", "{err}");
    assert!(err.to_string().contains("brev.pdf"), "{err}");

    let tampered = rewrite(&zip, "manifest.xml", |m| {
        String::from_utf8(m)
            .unwrap()
            .replace("unit-1", "unit-2")
            .into_bytes()
    });
    assert_eq!(
        read(&tampered, &Limits::default()).unwrap_err().code(),
        "package-invalid"
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
        "package-invalid"
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
