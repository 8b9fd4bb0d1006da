//! Shared test support: fixtures, the example PKI, JSON Schema and XSD
//! validation, and the external tools the interop tests call.

#![allow(dead_code)]
// each test binary uses a different subset
// Test support: a missing fixture or tool must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use borderpost_core::{
    Channel, DecodeContext, Document, EffectiveAt, EncodeContext, Message, MessageKind, Party,
    PartyId, PostalAddress, Postbox, Recipient, References, SecurityLevel,
};
use borderpost_no::{CmsKey, DpiConfig, ReturnAddress};
use jsonschema::{Retrieve, Uri};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// The vendored official Norwegian material (`conformance/protocols/no`).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/protocols/no")
}

pub fn fixture(relative: &str) -> Vec<u8> {
    let path = fixtures().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn certs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-example")
}

pub fn key(name: &str) -> CmsKey {
    let dir = certs_dir();
    CmsKey::from_pem(
        &std::fs::read(dir.join(format!("{name}.crt"))).unwrap(),
        &std::fs::read(dir.join(format!("{name}.key"))).unwrap(),
    )
    .unwrap()
}

pub fn cert_der(name: &str) -> Vec<u8> {
    let pem = std::fs::read(certs_dir().join(format!("{name}.crt"))).unwrap();
    openssl::x509::X509::from_pem(&pem)
        .unwrap()
        .to_der()
        .unwrap()
}

pub const NOW: OffsetDateTime = time::macros::datetime!(2025-06-01 10:00:00 UTC);

pub fn decode_ctx(decrypter: Option<&CmsKey>) -> DecodeContext<'_> {
    let mut ctx = DecodeContext::new(NOW, Uuid::from_u128(99));
    ctx.decrypter = decrypter.map(|k| k as _);
    ctx
}

pub fn encode_ctx<'a>(signer: &'a CmsKey, recipient_cert: &'a [u8], id: Uuid) -> EncodeContext<'a> {
    let mut ctx = EncodeContext::new(NOW, id);
    ctx.signer = Some(signer);
    ctx.recipient_certificate = Some(recipient_cert);
    ctx
}

pub fn config() -> DpiConfig {
    DpiConfig {
        maskinporten_token: Some(
            "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6ImRpZ2l0YWxwb3N0aW5uYnlnZ2VyOnNlbmQifQ.c2ln"
                .to_owned(),
        ),
        print_provider: Some("no-orgnr:984661185".parse().unwrap()),
        return_address: Some(ReturnAddress {
            name: "Digitaliseringsdirektoratet".to_owned(),
            address: PostalAddress {
                lines: vec!["Postboks 1382 Vika".to_owned()],
                postcode: Some("0114".to_owned()),
                city: Some("Oslo".to_owned()),
                country: "NO".to_owned(),
            },
        }),
        // Every signer in these tests chains to the example PKI's CAs.
        trust_anchors: ["ca-no", "ca-dk", "ca-federation"]
            .iter()
            .map(|ca| cert_der(ca))
            .collect(),
        ..DpiConfig::default()
    }
}

pub fn postbox_recipient() -> Recipient {
    Recipient {
        id: None,
        name: None,
        address: None,
        postbox: Some(Postbox {
            country: borderpost_core::Country::No,
            address: "ola.nordmann#9YDT".to_owned(),
            provider: Some("no-orgnr:984661185".parse().unwrap()),
        }),
    }
}

/// A digital message from `sender` with two documents.
pub fn digital_message(sender: &str, id: Uuid) -> Message {
    Message {
        id,
        kind: MessageKind::Letter,
        sender: Party {
            id: sender.parse::<PartyId>().unwrap(),
            name: None,
            unit: Some("skatt".to_owned()),
            representative: None,
        },
        recipients: vec![postbox_recipient()],
        subject: "Vedtak om barnehageplass".to_owned(),
        created: time::macros::datetime!(2025-05-31 08:30:00.5 +02:00),
        documents: vec![
            Document {
                filename: "vedtak.pdf".to_owned(),
                media_type: "application/pdf".to_owned(),
                language: Some("nb".to_owned()),
                title: Some("Vedtak".to_owned()),
                content: b"%PDF-1.4 vedtak".to_vec(),
            },
            Document {
                filename: "vedlegg.txt".to_owned(),
                media_type: "text/plain".to_owned(),
                language: Some("en".to_owned()),
                title: None,
                content: b"attachment".to_vec(),
            },
        ],
        notification: None,
        legal: Default::default(),
        reply: None,
        effective_at: Some(EffectiveAt::Date(time::macros::date!(2025 - 06 - 02))),
        security_level: Some(SecurityLevel::Substantial),
        channel: Channel::DigitalOnly,
        read_receipt: true,
        references: References {
            invoice: Some("F-123".to_owned()),
            ..References::default()
        },
        extensions: Default::default(),
    }
}

/// Validates a DPI JSON document against its schema (chosen by its body
/// key), resolving the schemas' `$ref`s to the local copies.
pub fn validate_json(json: &[u8]) {
    let instance: Value = serde_json::from_slice(json).unwrap();
    let errors = schema_errors(&instance);
    assert!(
        errors.is_empty(),
        "schema errors: {errors:#?}\n{instance:#}"
    );
}

pub fn schema_errors(instance: &Value) -> Vec<String> {
    let body = instance["standardBusinessDocument"]
        .as_object()
        .and_then(|o| {
            o.keys()
                .find(|k| *k != "standardBusinessDocumentHeader")
                .cloned()
        })
        .expect("a body");
    let schema_file = fixtures().join(format!(
        "dpi-2022/schemas/dpi/innbyggerpost_dpi_{body}_1_0.schema.json"
    ));
    let schema: Value = serde_json::from_slice(&std::fs::read(&schema_file).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .with_retriever(LocalSchemas)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", schema_file.display()));
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Serves `https://docs.digdir.no/schemas/…` from the local copies; there
/// is no network.
struct LocalSchemas;

impl Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let relative = path
            .strip_prefix("/schemas/")
            .ok_or_else(|| format!("no local copy of {uri}"))?;
        let file = fixtures().join("dpi-2022/schemas").join(relative);
        Ok(serde_json::from_slice(&std::fs::read(&file)?)?)
    }
}

/// Runs an external tool; fails the test (never skips) when it is missing.
pub fn run(tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} is required by this test and could not be run ({e}); install it (Debian: apt-get install {})",
            if tool == "xmllint" { "libxml2-utils" } else { tool })
    })
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("borderpost-no-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
