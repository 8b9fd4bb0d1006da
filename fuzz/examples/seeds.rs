//! Writes the seeds that cannot be copied from the official samples as
//! they are, but are derived from them with Borderpost's own encoders, so
//! the fuzzers start from inputs that get past the first checks:
//!
//! - `memo_decode`, `fjernprint`: the golden canonical messages (the
//!   official MeMo samples, decoded) encoded as MeMo 1.1 / 1.2, as a
//!   `ForsendelseI` (with a postal address added: print needs one), and the
//!   Danish receipt document;
//! - `dpi_cms`: each official ASiC-E package encrypted to the example
//!   gateway certificate (the official `.cms` files are encrypted to
//!   Digdir's test certificate, whose key was not published);
//! - `dpi_multipart`: each official `forretningsmelding.jwt` and
//!   `dokumentpakke.cms` pair as the `multipart/form-data` body of
//!   `POST /messages/out` (first line: the `Content-Type`);
//! - `dpi_rest`: the access point's JSON answers around the official JWTs;
//! - `fi_request`: the golden canonical messages, addressed to a Finn and
//!   encoded as Suomi.fi requests for each route (the request fixtures of
//!   `adapters/fi/tests/fixtures/requests` are copied by run.sh);
//! - `fi_event`: each event of the Finnish events fixture on its own, and
//!   every receipt kind told as an event;
//! - `fi_rest`: Suomi.fi's answers and a Finnish client's requests;
//! - `se_delivery`, `se_soap`, `se_receipt`: a Swedish delivery signed and
//!   sealed with the example keys (bare, and as the SOAP `deliverSecure`
//!   request), Borderpost's own SOAP answers and faults, and receipts,
//!   signed and unsigned (the official signed sample's certificate expired
//!   and chains to a CA not in the sample, so only these reach the content
//!   behind a verified signature);
//! - `config`: the demo configuration, with absolute and with relative
//!   paths to the example PKI (with the `gateway` feature, the default).
//!
//! Usage: `cargo run --manifest-path fuzz/Cargo.toml --example seeds --
//! <protocols dir> <corpus dir>`. Not a fuzz target; plain stable.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use borderpost_core::adapter::EncodedPart;
use borderpost_core::{
    Adapter, Channel, DecodeContext, EncodeContext, Message, NativeReceipt, PostalAddress, Receipt,
    ReceiptKind, canonical,
};
use borderpost_dk::{Fjernprint, Memo, MemoVersion};
use borderpost_no::transport::{self, IncomingMessage, MessageStatus, Problem, StatusKind};
use borderpost_no::{MEDIA_TYPE_JWT, MEDIA_TYPE_PACKAGE, cms, krr};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(protocols), Some(corpus)) = (args.next(), args.next()) else {
        return Err("usage: seeds <protocols dir> <corpus dir>".into());
    };
    let protocols = PathBuf::from(protocols);
    let corpus = PathBuf::from(corpus);
    let mut seeds = Seeds { corpus, written: 0 };
    danish(&mut seeds)?;
    norwegian(&mut seeds, &protocols)?;
    finnish(&mut seeds)?;
    swedish(&mut seeds)?;
    #[cfg(feature = "gateway")]
    config(&mut seeds)?;
    println!("seeds: {} derived seed files written", seeds.written);
    Ok(())
}

struct Seeds {
    corpus: PathBuf,
    written: usize,
}

impl Seeds {
    fn write(&mut self, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self.corpus.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(format!("seed-{name}")), bytes)?;
        self.written += 1;
        Ok(())
    }
}

fn ctx() -> DecodeContext<'static> {
    DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1))
}

/// The golden canonical messages of the Danish adapter's tests (the
/// official MeMo samples, decoded), re-encoded for the Danish decoders.
fn danish(seeds: &mut Seeds) -> Result<()> {
    let golden = Path::new(REPO).join("adapters/dk/tests/fixtures/golden");
    let mut files: Vec<_> = fs::read_dir(&golden)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.sort();
    // One receipt of each kind across the messages.
    let kinds = [
        ReceiptKind::Received,
        ReceiptKind::Delivered,
        ReceiptKind::Printed,
        ReceiptKind::Read,
        ReceiptKind::NotificationFailed {
            channel: "sms".to_owned(),
            detail: Some("no number".to_owned()),
        },
        ReceiptKind::Returned,
        ReceiptKind::Error {
            permanent: true,
            detail: Some("unknown recipient".to_owned()),
        },
    ];
    for (i, path) in files.into_iter().enumerate() {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("golden")
            .to_owned();
        let message = match canonical::decode(&fs::read(&path)?, &ctx()) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("seeds: skipping {}: {e}", path.display());
                continue;
            }
        };
        let Some(to) = message.recipients.first().cloned() else {
            continue;
        };
        let encode_ctx = EncodeContext::new(message.created, message.id);
        for (version, label) in [(MemoVersion::V1_1, "1.1"), (MemoVersion::V1_2, "1.2")] {
            match Memo::new(version).encode(&message, &to, &encode_ctx) {
                Ok(e) => seeds.write(
                    "memo_decode",
                    &format!("{stem}-memo{label}.xml"),
                    &e.parts[0].body,
                )?,
                Err(e) => eprintln!("seeds: {stem} as MeMo {label}: {e}"),
            }
        }
        let printable = printable(&message);
        match Fjernprint.encode(&printable, &printable.recipients[0], &encode_ctx) {
            Ok(e) => seeds.write("fjernprint", &format!("{stem}.xml"), &e.parts[0].body)?,
            Err(e) => eprintln!("seeds: {stem} as ForsendelseI: {e}"),
        }
        let receipt = Receipt {
            message_id: message.id.to_string(),
            kind: kinds[i % kinds.len()].clone(),
            at: message.created,
            issuer: None,
            native: NativeReceipt {
                protocol: String::new(),
                media_type: String::new(),
                body: String::new(),
            },
        };
        match Fjernprint.encode_receipt(&receipt, &message, &encode_ctx) {
            Ok(e) => {
                seeds.write(
                    "fjernprint",
                    &format!("{stem}-receipt.xml"),
                    &e.parts[0].body,
                )?;
                seeds.write(
                    "memo_decode",
                    &format!("{stem}-receipt.xml"),
                    &e.parts[0].body,
                )?;
            }
            Err(e) => eprintln!("seeds: {stem} receipt: {e}"),
        }
    }
    Ok(())
}

/// `message` as Fjernprint needs it: for print, to a recipient with a name
/// and a postal address.
fn printable(message: &Message) -> Message {
    let mut m = message.clone();
    m.channel = Channel::PrintOnly;
    m.recipients.truncate(1);
    if let Some(r) = m.recipients.first_mut() {
        r.name.get_or_insert_with(|| "Mette Hansen".to_owned());
        r.address.get_or_insert_with(|| PostalAddress {
            lines: vec!["Testvej 1".to_owned()],
            postcode: Some("8000".to_owned()),
            city: Some("Aarhus C".to_owned()),
            country: "DK".to_owned(),
        });
    }
    m
}

/// The official DPI packages and tokens, re-wrapped.
fn norwegian(seeds: &mut Seeds, protocols: &Path) -> Result<()> {
    let komplette = protocols.join("no/dpi-2022/eksempler/komplette");
    let gateway_der = borderpost_no::certificate_der_from_pem(&fs::read(
        Path::new(REPO).join("certs-example/gateway.crt"),
    )?)?;
    let mut tokens = Vec::new();
    for kind in [
        "digital",
        "digital-avsenderidentifikator",
        "digital-pa-vegne-av",
        "utskrift",
    ] {
        let jwt = fs::read(komplette.join(format!("{kind}-forretningsmelding.jwt")))?;
        let cms_bytes = fs::read(komplette.join(format!("{kind}-dokumentpakke.cms")))?;
        let zip = fs::read(komplette.join(format!("{kind}-dokumentpakke.zip")))?;

        let to_gateway = cms::encrypt(&zip, &gateway_der)?;
        seeds.write("dpi_cms", &format!("{kind}-to-gateway.cms"), &to_gateway)?;

        let parts = [
            EncodedPart {
                name: borderpost_no::PART_FORRETNINGSMELDING.to_owned(),
                media_type: MEDIA_TYPE_JWT.to_owned(),
                body: jwt.clone(),
            },
            EncodedPart {
                name: borderpost_no::PART_DOKUMENTPAKKE.to_owned(),
                media_type: MEDIA_TYPE_PACKAGE.to_owned(),
                body: cms_bytes,
            },
        ];
        let body =
            transport::encode_multipart(&parts, &transport::boundary(uuid::Uuid::from_u128(7)))?;
        let mut seed = body.content_type.into_bytes();
        seed.push(b'\n');
        seed.extend_from_slice(&body.body);
        seeds.write("dpi_multipart", &format!("{kind}.multipart"), &seed)?;
        tokens.push(String::from_utf8(jwt)?.trim().to_owned());
    }

    let incoming: Vec<IncomingMessage> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| IncomingMessage {
            forretningsmelding: t.clone(),
            downloadurl: (i % 2 == 0).then(|| format!("https://ap.example/messages/in/{i}")),
        })
        .collect();
    seeds.write("dpi_rest", "incoming.json", &serde_json::to_vec(&incoming)?)?;
    let statuses = vec![
        MessageStatus {
            status: StatusKind::Opprettet,
            beskrivelse: None,
            timestamp: Some("2022-01-01T12:00:00+01:00".to_owned()),
        },
        MessageStatus {
            status: StatusKind::Feilet,
            beskrivelse: Some("Mottaker finnes ikke".to_owned()),
            timestamp: None,
        },
    ];
    seeds.write("dpi_rest", "statuses.json", &serde_json::to_vec(&statuses)?)?;
    let problem = Problem::from_error(
        &borderpost_core::AdapterError::schema("body", "example"),
        400,
    );
    seeds.write("dpi_rest", "problem.json", &serde_json::to_vec(&problem)?)?;
    let lookup = krr::LookupResponse {
        personer: vec![krr::Person {
            personidentifikator: "01017012345".to_owned(),
            reservasjon: Some("NEI".to_owned()),
            status: "AKTIV".to_owned(),
            varslingsstatus: Some("KAN_VARSLES".to_owned()),
            digital_post: None,
            sertifikat: None,
            spraak: Some("nb".to_owned()),
        }],
    };
    seeds.write("dpi_rest", "krr.json", &serde_json::to_vec(&lookup)?)?;
    Ok(())
}

/// Suomi.fi: requests from the golden canonical messages, events and the
/// REST answers.
fn finnish(seeds: &mut Seeds) -> Result<()> {
    use borderpost_core::{EffectiveAt, Recipient};
    use borderpost_fi::transport::{
        ApiError, AttachmentResponse, EventsPage, MailboxesActiveRequest, MailboxesActiveResponse,
        MessageResponse, TokenRequest, TokenResponse,
    };
    use borderpost_fi::{FiConfig, Printing, ReturnAddress, Service, SuomiFi};

    let address = PostalAddress {
        lines: vec!["Mannerheimintie 1 A 2".to_owned()],
        postcode: Some("00100".to_owned()),
        city: Some("HELSINKI".to_owned()),
        country: "FI".to_owned(),
    };
    let fi = SuomiFi::new(FiConfig {
        services: vec![Service {
            service_id: "borderpost".to_owned(),
            organisation: "fi-ytunnus:1234567-1".parse()?,
            name: Some("Borderpost".to_owned()),
        }],
        default_service_id: Some("borderpost".to_owned()),
        printing: Some(Printing {
            username: "BRDPST".to_owned(),
            password: "4321".to_owned(),
            contact_email: "print@borderpost.example".to_owned(),
            cost_pool: None,
            return_address: ReturnAddress {
                name: "Borderpost".to_owned(),
                address: address.clone(),
            },
            verifiable: true,
        }),
    });
    let golden = Path::new(REPO).join("adapters/dk/tests/fixtures/golden");
    let mut files: Vec<_> = fs::read_dir(&golden)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.sort();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("golden")
            .to_owned();
        let Ok(mut message) = canonical::decode(&fs::read(&path)?, &ctx()) else {
            continue;
        };
        message.recipients = vec![Recipient {
            id: Some("fi-hetu:131052-308T".parse()?),
            name: Some("Maija Meikäläinen".to_owned()),
            address: Some(address.clone()),
            postbox: None,
        }];
        // Suomi.fi has no embargo; keep the seeds free of that loss only.
        if matches!(message.effective_at, Some(EffectiveAt::Instant(_))) {
            message.effective_at = None;
        }
        for (channel, label) in [
            (Channel::DigitalOnly, "electronic"),
            (Channel::DigitalElsePrint, "multichannel"),
            (Channel::PrintOnly, "paper"),
        ] {
            message.channel = channel;
            let to = message.recipients[0].clone();
            match fi.encode(
                &message,
                &to,
                &EncodeContext::new(message.created, message.id),
            ) {
                Ok(e) => seeds.write(
                    "fi_request",
                    &format!("{stem}-{label}.json"),
                    &e.parts[0].body,
                )?,
                Err(e) => eprintln!("seeds: {stem} as a Suomi.fi {label} request: {e}"),
            }
        }
    }

    let page = fs::read(Path::new(REPO).join("adapters/fi/tests/fixtures/requests/events.json"))?;
    let page = EventsPage::parse(&page, &Default::default())?;
    for i in 0..page.events.len() {
        if let Some(json) = page.event_json(i) {
            seeds.write("fi_event", &format!("event-{i}.json"), json.as_bytes())?;
        }
    }

    let limits = Default::default();
    let answers: [(&str, Vec<u8>); 8] = [
        (
            "token-request.json",
            serde_json::to_vec(&TokenRequest {
                username: "borderpost".to_owned(),
                password: "correct horse battery staple".to_owned(),
            })?,
        ),
        (
            "token.json",
            serde_json::to_vec(&TokenResponse::parse(
                br#"{"access_token":"eyJraWQiOiJ4In0.e30.c2ln","token_type":"Bearer","expires_in":3600}"#,
                &limits,
            )?)?,
        ),
        (
            "mailboxes-request.json",
            MailboxesActiveRequest::new(["131052-308T".to_owned(), "0245437-2".to_owned()])?
                .to_json(),
        ),
        (
            "mailboxes.json",
            serde_json::to_vec(&MailboxesActiveResponse::parse(
                br#"{"endUsersWithActiveMailbox":[{"id":"131052-308T"}]}"#,
                &limits,
            )?)?,
        ),
        (
            "attachment.json",
            serde_json::to_vec(&AttachmentResponse {
                attachment_id: uuid::Uuid::from_u128(0x0f8f_ad5b_d9cb_469f_a165_7086_7728_950e),
            })?,
        ),
        (
            "message.json",
            serde_json::to_vec(&MessageResponse {
                message_id: 902_134_570,
            })?,
        ),
        ("already-sent.json", ApiError::already_sent(902_134_570).to_json()),
        (
            "validation-error.json",
            br#"{"reason":"Bad request","validationErrors":[{"error":"Recipient mailbox is not active","errorCode":"MAILBOX_NOT_IN_USE"}]}"#
                .to_vec(),
        ),
    ];
    for (name, bytes) in answers {
        seeds.write("fi_rest", name, &bytes)?;
/// Swedish deliveries, SOAP answers and receipts made with Borderpost's
/// own encoders and the example keys.
fn swedish(seeds: &mut Seeds) -> Result<()> {
    use borderpost_core::{Document, MessageKind, Party, Recipient, References};
    use borderpost_se::delivery::SupportInfo;
    use borderpost_se::transport::{
        self, AccountStatus, AccountType, ApplicationFault, DeliveryResult, DeliveryStatus, Fault,
        ReachabilityStatus, ServiceSupplier,
    };
    use borderpost_se::{MinaMeddelanden, SeConfig, SenderProfile, SigningKey};

    let certs = Path::new(REPO).join("certs-example");
    let key = |name: &str| -> Result<SigningKey> {
        Ok(SigningKey::from_pem(
            &fs::read(certs.join(format!("{name}.crt")))?,
            &fs::read(certs.join(format!("{name}.key")))?,
        )?)
    };
    let (sender, sealer) = (key("sender-se")?, key("postbox-se")?);
    let kommun: borderpost_core::PartyId = "se-orgnr:2021004748".parse()?;
    let person: borderpost_core::PartyId = "se-pnr:198112189876".parse()?;
    let adapter = MinaMeddelanden::new(SeConfig {
        senders: vec![SenderProfile {
            sender: kommun.clone(),
            registered_as: None,
            name: None,
            support_info: Some(SupportInfo {
                text: "Kontakta Kommun A".to_owned(),
                url: Some("https://kommun-a.example".to_owned()),
                phone_number: None,
                email: Some("info@kommun-a.example".to_owned()),
            }),
        }],
        ..SeConfig::default()
    });
    let message = Message {
        id: uuid::Uuid::from_u128(0x5e),
        kind: MessageKind::Letter,
        sender: Party {
            id: kommun.clone(),
            name: Some("Kommun A".to_owned()),
            unit: None,
            representative: None,
        },
        recipients: vec![Recipient::with_id(person.clone())],
        subject: "Beslut".to_owned(),
        created: time::macros::datetime!(2026-01-14 0:00 UTC),
        documents: vec![
            Document {
                filename: "message.html".to_owned(),
                media_type: "text/html".to_owned(),
                language: Some("sv".to_owned()),
                title: None,
                content: b"<p>Hej</p>".to_vec(),
            },
            Document {
                filename: "beslut.pdf".to_owned(),
                media_type: "application/pdf".to_owned(),
                language: Some("sv".to_owned()),
                title: None,
                content: b"%PDF-1.4".to_vec(),
            },
        ],
        notification: None,
        legal: Default::default(),
        reply: None,
        effective_at: None,
        security_level: None,
        channel: Channel::DigitalOnly,
        read_receipt: true,
        references: References {
            case: Some("KS-1".to_owned()),
            ..References::default()
        },
        extensions: Default::default(),
    };
    let mut ctx = EncodeContext::new(time::macros::datetime!(2026-01-15 10:00 UTC), message.id);
    ctx.signer = Some(&sender);
    ctx.sealer = Some(&sealer);
    let to = Recipient::with_id(person.clone());
    let encoded = adapter.encode(&message, &to, &ctx)?;
    seeds.write("se_delivery", "deliverSecure.xml", &encoded.parts[0].body)?;
    let (sealed, _) = adapter.sealed_delivery(&message, &to, &ctx)?;
    seeds.write("se_delivery", "SealedDelivery.xml", sealed.as_str().as_bytes())?;
    let (delivery, _) = adapter.delivery(&message, &to, message.id)?;
    let signed = borderpost_se::signature::sign_delivery(&delivery, &sender)?;
    seeds.write("se_delivery", "SignedDelivery.xml", signed.as_str().as_bytes())?;

    let result = DeliveryResult {
        trans_id: "3832352f-fa74-4c17-ab6a-a6e3ab8324f3".to_owned(),
        statuses: vec![DeliveryStatus {
            recipient_id: "198112189876".to_owned(),
            delivered: true,
        }],
    };
    seeds.write(
        "se_soap",
        "deliverSecureResponse.xml",
        transport::deliver_secure_response(&result)?.as_bytes(),
    )?;
    let status = ReachabilityStatus {
        account_status: AccountStatus {
            recipient_id: "198112189876".to_owned(),
            kind: AccountType::Secure,
            pending: false,
            service_supplier: Some(ServiceSupplier {
                id: "165568402266".to_owned(),
                name: "Kivra".to_owned(),
                logo: None,
                service_address: "https://mm.kivra.example/service/v3".to_owned(),
                ui_address: None,
                internal_service_address: String::new(),
            }),
            last_registration: None,
        },
        sender_accepted: true,
        last_sender_accept_change: None,
    };
    seeds.write(
        "se_soap",
        "isReachableResponse.xml",
        transport::is_reachable_response(&[status])?.as_bytes(),
    )?;
    seeds.write(
        "se_soap",
        "isReachable.xml",
        transport::is_reachable_request(&kommun, &[person])?.as_bytes(),
    )?;
    let fault = Fault {
        code: "Server".to_owned(),
        string: "error".to_owned(),
        application: Some(ApplicationFault {
            error_code: 5000,
            description: "error".to_owned(),
            call_id: "0123456789abcdefghij".to_owned(),
        }),
    };
    seeds.write(
        "se_soap",
        "fault.xml",
        transport::fault_response(&fault)?.as_bytes(),
    )?;

    let receipt = Receipt {
        message_id: message.id.to_string(),
        kind: ReceiptKind::Read,
        at: time::macros::datetime!(2026-01-16 0:00 UTC),
        issuer: None,
        native: NativeReceipt {
            protocol: String::new(),
            media_type: String::new(),
            body: String::new(),
        },
    };
    let unsigned = EncodeContext::new(ctx.now, message.id);
    for (name, c) in [("receipt.xml", &unsigned), ("receipt-signed.xml", &ctx)] {
        let encoded = adapter.encode_receipt(&receipt, &message, c)?;
        seeds.write("se_receipt", name, &encoded.parts[0].body)?;
    }
    Ok(())
}

/// The demo configuration: absolute paths (as `borderpost demo` writes
/// it) and relative ones (resolved against the example PKI, the base the
/// config target uses).
#[cfg(feature = "gateway")]
fn config(seeds: &mut Seeds) -> Result<()> {
    use borderpost_gateway::demo;

    let certs = Path::new(REPO).join("certs-example").canonicalize()?;
    let data = Path::new("/nonexistent/borderpost-fuzz");
    let ports = demo::Ports::default();
    seeds.write(
        "config",
        "demo-absolute.toml",
        demo::config_toml(&certs, data, &ports).as_bytes(),
    )?;
    seeds.write(
        "config",
        "demo-relative.toml",
        demo::config_toml(Path::new(""), Path::new("data"), &ports).as_bytes(),
    )?;
    Ok(())
}
