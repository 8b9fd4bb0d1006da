use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::{
    Adapter, Channel, Country, DecodeContext, Document, EncodeContext, Message, MessageKind, Party,
    PostalAddress, Postbox, Receipt, ReceiptKind, Recipient, Wire,
};
use borderpost_no::krr::LookupResponse;
use borderpost_no::transport::{self, IncomingMessage, MessageStatus, Problem, StatusKind};
use borderpost_no::{CmsKey, Dpi, DpiConfig, DpiReceipts, ReturnAddress};
use borderpost_sim::no::{self, NoOptions};
use borderpost_sim::{Client, Recorded, RecordedSummary, Reply, Running};
use http::Method;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::common::*;

/// A test person (valid fødselsnummer, fnrinfo.no's worked example).
const PERSON: &str = "31129956715";
/// KRR's test person, reserved in these tests.
const RESERVED: &str = "20914695016";

async fn start() -> Running {
    let options = NoOptions {
        reserved: vec![format!("no-fnr:{RESERVED}").parse().unwrap()],
        ..NoOptions::default()
    };
    no::start(listener().await, &pki(), options).unwrap()
}

fn key(name: &str) -> CmsKey {
    let pki = pki();
    CmsKey::from_pem(
        &pki.read(&format!("{name}.crt")).unwrap(),
        &pki.read(&format!("{name}.key")).unwrap(),
    )
    .unwrap()
}

fn der(name: &str) -> Vec<u8> {
    borderpost_no::certificate_der_from_pem(&pki().read(&format!("{name}.crt")).unwrap()).unwrap()
}

fn trust_anchors() -> Vec<Vec<u8>> {
    ["ca-dk", "ca-no", "ca-se", "ca-fi", "ca-federation"]
        .iter()
        .map(|n| der(n))
        .collect()
}

/// The gateway's DPI adapter, as configured towards the simulator.
fn dpi() -> Dpi {
    Dpi::new(DpiConfig {
        maskinporten_token: Some(no::DEMO_TOKEN.to_owned()),
        kanal: Some("borderpost".to_owned()),
        print_provider: Some("no-orgnr:984661185".parse().unwrap()),
        return_address: Some(ReturnAddress {
            name: "Example Kommune".to_owned(),
            address: PostalAddress {
                lines: vec!["Rådhuspladsen 1".to_owned()],
                postcode: Some("1599".to_owned()),
                city: Some("København V".to_owned()),
                country: "DK".to_owned(),
            },
        }),
        trust_anchors: trust_anchors(),
        dangerous_skip_chain_check: false,
    })
}

fn letter(to: Recipient, channel: Channel, read_receipt: bool) -> Message {
    Message {
        id: Uuid::new_v4(),
        kind: MessageKind::Letter,
        sender: Party {
            id: "dk-cvr:55133018".parse().unwrap(),
            name: None,
            unit: Some("boern".to_owned()),
            representative: None,
        },
        recipients: vec![to],
        subject: "Vedtak om barnehageplass".to_owned(),
        created: time::macros::datetime!(2026-01-15 10:00 UTC),
        documents: vec![Document {
            filename: "vedtak.pdf".to_owned(),
            media_type: "application/pdf".to_owned(),
            language: Some("nb".to_owned()),
            title: Some("Vedtak".to_owned()),
            content: b"%PDF-1.4 vedtak".to_vec(),
        }],
        notification: None,
        legal: Default::default(),
        reply: None,
        effective_at: None,
        security_level: None,
        channel,
        read_receipt,
        references: Default::default(),
        extensions: Default::default(),
    }
}

/// KRR lookup of `ids`.
async fn krr(client: &Client, running: &Running, ids: &[&str]) -> Reply {
    let body = serde_json::json!({ "personidentifikatorer": ids }).to_string();
    client
        .post(&url(running, &no::krr_path()), "application/json", body)
        .await
        .unwrap()
}

/// A postbox recipient as the gateway's directory fills it from KRR, and
/// the certificate to encrypt to.
async fn from_krr(client: &Client, running: &Running, fnr: &str) -> (Recipient, Vec<u8>) {
    let reply = krr(client, running, &[fnr]).await;
    let response: LookupResponse = serde_json::from_slice(&reply.body).unwrap();
    let person = &response.personer[0];
    assert!(person.can_receive_digital());
    let post = person.digital_post.as_ref().unwrap();
    let recipient = Recipient {
        id: Some(format!("no-fnr:{fnr}").parse().unwrap()),
        name: None,
        address: None,
        postbox: Some(Postbox {
            country: Country::No,
            address: post.postkasseadresse.clone(),
            provider: Some(
                format!("no-orgnr:{}", post.postkasseleverandoeradresse)
                    .parse()
                    .unwrap(),
            ),
        }),
    };
    (
        recipient,
        STANDARD
            .decode(person.sertifikat.as_ref().unwrap())
            .unwrap(),
    )
}

/// `m` encoded as copy `id` by the gateway (signer `gateway`), encrypted
/// to `certificate`: the multipart body and its content type.
fn encode(m: &Message, id: Uuid, certificate: &[u8]) -> (String, Vec<u8>) {
    let signer = key("gateway");
    let mut ctx = EncodeContext::new(OffsetDateTime::now_utc(), id);
    ctx.signer = Some(&signer);
    ctx.recipient_certificate = Some(certificate);
    let encoded = dpi().encode(m, &m.recipients[0], &ctx).unwrap();
    multipart(&encoded.parts, id)
}

fn multipart(parts: &[borderpost_core::adapter::EncodedPart], id: Uuid) -> (String, Vec<u8>) {
    let body = transport::encode_multipart(parts, &transport::boundary(id)).unwrap();
    (body.content_type, body.body)
}

async fn send(
    client: &Client,
    running: &Running,
    kanal: &str,
    token: Option<&str>,
    (content_type, body): (String, Vec<u8>),
) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", content_type.as_str())];
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    client
        .request(
            Method::POST,
            &url(running, &format!("/messages/out?kanal={kanal}")),
            &headers,
            body,
        )
        .await
        .unwrap()
}

async fn authorised(client: &Client, running: &Running, method: Method, path: &str) -> Reply {
    let auth = format!("Bearer {}", no::DEMO_TOKEN);
    client
        .request(
            method,
            &url(running, path),
            &[("authorization", &auth)],
            Vec::new(),
        )
        .await
        .unwrap()
}

/// The receipts listed for `query`, decoded and verified as the gateway
/// does, each with the id to mark it read.
async fn incoming(client: &Client, running: &Running, query: &str) -> Vec<(Uuid, Receipt)> {
    let reply = authorised(
        client,
        running,
        Method::GET,
        &format!("/messages/in{query}"),
    )
    .await;
    if reply.status == 204 {
        return Vec::new();
    }
    assert_eq!(reply.status, 200, "{}", reply.text());
    let list: Vec<IncomingMessage> = serde_json::from_slice(&reply.body).unwrap();
    let adapter = DpiReceipts::new(DpiConfig {
        trust_anchors: trust_anchors(),
        ..DpiConfig::default()
    });
    let ctx = DecodeContext::new(OffsetDateTime::now_utc(), Uuid::nil());
    list.iter()
        .map(|m| {
            let receipt = adapter
                .decode_receipt(&Wire::single(m.forretningsmelding.as_bytes()), &ctx)
                .unwrap();
            let payload = borderpost_no::jwt::verify(m.forretningsmelding.as_bytes())
                .unwrap()
                .payload;
            let sbd = borderpost_no::sbd::parse(&payload, &Default::default()).unwrap();
            let id = sbd
                .standard_business_document_header
                .document_identification
                .instance_identifier;
            (Uuid::parse_str(&id).unwrap(), receipt)
        })
        .collect()
}

fn problem(reply: &Reply) -> Problem {
    assert_eq!(
        reply.content_type(),
        Some(transport::PROBLEM_MEDIA_TYPE),
        "{}",
        reply.text()
    );
    serde_json::from_slice(&reply.body).unwrap()
}

#[tokio::test]
async fn krr_hands_out_the_postbox_and_the_certificate() {
    let running = start().await;
    let client = client();
    let reply = krr(
        &client,
        &running,
        &[PERSON, RESERVED, "12345678901", "not a number"],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let response: LookupResponse = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        response.personer.len(),
        2,
        "invalid identifiers are left out"
    );

    let person = &response.personer[0];
    assert_eq!(person.personidentifikator, PERSON);
    assert_eq!(
        (person.status.as_str(), person.reservasjon.as_deref()),
        ("AKTIV", Some("NEI"))
    );
    let post = person.digital_post.as_ref().unwrap();
    assert_eq!(post.postkasseadresse, format!("sim#{PERSON}"));
    assert_eq!(post.postkasseleverandoeradresse, "984661185");
    assert_eq!(
        STANDARD
            .decode(person.sertifikat.as_ref().unwrap())
            .unwrap(),
        der("postbox-no")
    );
    assert_eq!(person.spraak.as_deref(), Some("nb"));
    assert!(person.can_receive_digital());

    let reserved = &response.personer[1];
    assert_eq!(reserved.reservasjon.as_deref(), Some("JA"));
    assert!(reserved.digital_post.is_none());
    assert!(!reserved.can_receive_digital());

    let too_many: Vec<String> = (0..1001).map(|_| PERSON.to_owned()).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let reply = krr(&client, &running, &too_many).await;
    assert_eq!(reply.status, 400);
    assert_eq!(problem(&reply).title.as_deref(), Some("too-large"));
    let reply = client
        .post(&url(&running, &no::krr_path()), "application/json", "{}")
        .await
        .unwrap();
    assert_eq!(reply.status, 400);
    running.stop().await;
}

#[tokio::test]
async fn a_dpi_message_is_accepted_and_answered_with_verifiable_receipts() {
    let running = start().await;
    let client = client();
    let (recipient, certificate) = from_krr(&client, &running, PERSON).await;
    let id = Uuid::new_v4();
    let m = letter(recipient, Channel::DigitalOnly, true);
    let body = encode(&m, id, &certificate);

    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        body.clone(),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(reply.body.is_empty());
    let d = delivery(&client, &running, &id.to_string()).await;
    assert_eq!(
        (d.recipient.as_str(), d.count, d.valid),
        ("no-fnr:31129956715", 1, true)
    );

    // Statuses at the access point.
    let reply = authorised(
        &client,
        &running,
        Method::GET,
        &format!("/messages/out/{id}/statuses"),
    )
    .await;
    assert_eq!(reply.status, 200);
    let statuses: Vec<MessageStatus> = serde_json::from_slice(&reply.body).unwrap();
    assert!(
        statuses
            .iter()
            .any(|s| s.status == StatusKind::Sendt && s.timestamp.is_some())
    );
    let unknown = authorised(
        &client,
        &running,
        Method::GET,
        &format!("/messages/out/{}/statuses", Uuid::new_v4()),
    )
    .await;
    assert_eq!(unknown.status, 404);

    // Delivered, and read (the message asked for a read receipt), both
    // about this copy.
    let receipts = incoming(&client, &running, "?kanal=BorderPost").await;
    let kinds: Vec<ReceiptKind> = receipts.iter().map(|(_, r)| r.kind.clone()).collect();
    assert_eq!(kinds, [ReceiptKind::Delivered, ReceiptKind::Read]);
    for (_, r) in &receipts {
        assert_eq!(r.message_id, id.to_string());
        assert_eq!(r.issuer.as_ref().unwrap().to_string(), "no-orgnr:984661185");
    }
    // Not listed in another kanal; listed without one.
    assert!(incoming(&client, &running, "?kanal=other").await.is_empty());
    assert_eq!(incoming(&client, &running, "").await.len(), 2);
    assert_eq!(incoming(&client, &running, "?page_size=1").await.len(), 1);
    assert_eq!(
        incoming(&client, &running, "?page_size=1&page=1")
            .await
            .len(),
        1
    );
    assert_eq!(
        incoming(&client, &running, "?avsenderidentifikator=boern")
            .await
            .len(),
        2
    );
    assert!(
        incoming(&client, &running, "?avsenderidentifikator=skatt")
            .await
            .is_empty()
    );

    // Read: gone from the list; reading again is 404.
    for (rid, _) in &receipts {
        let reply = authorised(
            &client,
            &running,
            Method::POST,
            &format!("/messages/in/{rid}/read"),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    assert!(incoming(&client, &running, "").await.is_empty());
    let again = authorised(
        &client,
        &running,
        Method::POST,
        &format!("/messages/in/{}/read", receipts[0].0),
    )
    .await;
    assert_eq!(again.status, 404);
    assert_eq!(problem(&again).status, Some(404));

    // The same message again: 201, counted, no new receipts.
    let reply = send(&client, &running, "borderpost", Some(no::DEMO_TOKEN), body).await;
    assert_eq!(reply.status, 201);
    assert_eq!(delivery(&client, &running, &id.to_string()).await.count, 2);
    assert!(incoming(&client, &running, "").await.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn print_gets_received_then_printed() {
    let running = start().await;
    let client = client();
    let recipient = Recipient {
        id: None,
        name: Some("Kari Nordmann".to_owned()),
        address: Some(PostalAddress {
            lines: vec!["Storgata 1".to_owned()],
            postcode: Some("0155".to_owned()),
            city: Some("Oslo".to_owned()),
            country: "NO".to_owned(),
        }),
        postbox: None,
    };
    let id = Uuid::new_v4();
    let m = letter(recipient, Channel::PrintOnly, false);
    let reply = send(
        &client,
        &running,
        "print",
        Some(no::DEMO_TOKEN),
        encode(&m, id, &der("postbox-no")),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(
        delivery(&client, &running, &id.to_string()).await.recipient,
        "address:NO"
    );
    let kinds: Vec<ReceiptKind> = incoming(&client, &running, "?kanal=print")
        .await
        .into_iter()
        .map(|(_, r)| r.kind)
        .collect();
    assert_eq!(kinds, [ReceiptKind::Received, ReceiptKind::Printed]);
    running.stop().await;
}

#[tokio::test]
async fn without_the_token_nothing_is_served() {
    let running = start().await;
    let client = client();
    let (recipient, certificate) = from_krr(&client, &running, PERSON).await;
    let body = encode(
        &letter(recipient, Channel::DigitalOnly, false),
        Uuid::new_v4(),
        &certificate,
    );
    for token in [None, Some("another-token")] {
        let reply = send(&client, &running, "borderpost", token, body.clone()).await;
        assert_eq!(reply.status, 401, "{token:?}");
        assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
        assert_eq!(problem(&reply).status, Some(401));
    }
    let reply = client.get(&url(&running, "/messages/in")).await.unwrap();
    assert_eq!(reply.status, 401);
    assert!(deliveries(&client, &running).await.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn tampering_is_refused_with_the_adapter_code() {
    let running = start().await;
    let client = client();
    let (recipient, certificate) = from_krr(&client, &running, PERSON).await;
    let m = letter(recipient.clone(), Channel::DigitalOnly, false);
    let signer = key("gateway");

    // A changed package no longer matches its fingerprint.
    let id = Uuid::new_v4();
    let mut ctx = EncodeContext::new(OffsetDateTime::now_utc(), id);
    ctx.signer = Some(&signer);
    ctx.recipient_certificate = Some(&certificate);
    let mut parts = dpi().encode(&m, &m.recipients[0], &ctx).unwrap().parts;
    let last = parts[1].body.len() - 1;
    parts[1].body[last] ^= 1;
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        multipart(&parts, id),
    )
    .await;
    assert_eq!(reply.status, 400);
    let p = problem(&reply);
    assert_eq!(
        p.kind.as_deref(),
        Some("urn:borderpost:error:fingerprint-mismatch")
    );
    assert_eq!(p.title.as_deref(), Some("fingerprint-mismatch"));
    let d = delivery(&client, &running, &id.to_string()).await;
    assert_eq!(
        (d.valid, d.count, d.recipient.as_str()),
        (false, 1, "no-fnr:31129956715")
    );
    assert!(d.error.unwrap().starts_with("fingerprint mismatch"));

    // A changed business message no longer verifies.
    let id = Uuid::new_v4();
    ctx.message_id = id;
    let mut parts = dpi().encode(&m, &m.recipients[0], &ctx).unwrap().parts;
    let jwt = String::from_utf8(parts[0].body.clone()).unwrap();
    let (rest, signature) = jwt.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    parts[0].body = format!("{rest}.{flipped}{}", &signature[1..]).into_bytes();
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        multipart(&parts, id),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(problem(&reply).title.as_deref(), Some("signature-invalid"));
    assert!(!delivery(&client, &running, &id.to_string()).await.valid);

    // Encrypted to another provider: the postbox cannot decrypt it.
    let id = Uuid::new_v4();
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        encode(&m, id, &der("postbox-dk")),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(problem(&reply).title.as_deref(), Some("content-invalid"));

    // A postbox KRR never handed out.
    let mut elsewhere = recipient.clone();
    elsewhere.postbox.as_mut().unwrap().address = "ola.nordmann#9YDT".to_owned();
    let id = Uuid::new_v4();
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        encode(
            &letter(elsewhere, Channel::DigitalOnly, false),
            id,
            &certificate,
        ),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        problem(&reply).title.as_deref(),
        Some("recipient-unaddressable")
    );

    // The postbox of a person who reserved themselves.
    let mut reserved = recipient.clone();
    reserved.postbox.as_mut().unwrap().address = format!("sim#{RESERVED}");
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        encode(
            &letter(reserved, Channel::DigitalOnly, false),
            Uuid::new_v4(),
            &certificate,
        ),
    )
    .await;
    assert_eq!(reply.status, 400);

    // Sent to another provider.
    let mut other = recipient;
    other.postbox.as_mut().unwrap().provider = Some("no-orgnr:991825827".parse().unwrap());
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        encode(
            &letter(other, Channel::DigitalOnly, false),
            Uuid::new_v4(),
            &certificate,
        ),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(problem(&reply).detail.unwrap().contains("SBDH receiver"));

    // Not multipart: nothing to record.
    let before = deliveries(&client, &running).await.len();
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        ("application/json".to_owned(), b"{}".to_vec()),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(problem(&reply).title.as_deref(), Some("malformed"));
    assert_eq!(deliveries(&client, &running).await.len(), before);

    // A kanal outside the allowed characters.
    let reply = send(
        &client,
        &running,
        "min%20kanal",
        Some(no::DEMO_TOKEN),
        ("application/json".to_owned(), Vec::new()),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(incoming(&client, &running, "").await.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn failure_modes_apply_to_sending() {
    let running = start().await;
    let client = client();
    let (recipient, certificate) = from_krr(&client, &running, PERSON).await;
    let m = letter(recipient, Channel::DigitalOnly, false);

    set_mode(&client, &running, "fail", Duration::ZERO).await;
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        encode(&m, Uuid::new_v4(), &certificate),
    )
    .await;
    assert_eq!(reply.status, 500);
    // KRR and the receipt list keep working.
    assert_eq!(krr(&client, &running, &[PERSON]).await.status, 200);
    assert_eq!(
        authorised(&client, &running, Method::GET, "/messages/in")
            .await
            .status,
        204
    );

    set_mode(&client, &running, "reject", Duration::ZERO).await;
    let id = Uuid::new_v4();
    let reply = send(
        &client,
        &running,
        "borderpost",
        Some(no::DEMO_TOKEN),
        encode(&m, id, &certificate),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        problem(&reply).kind.as_deref(),
        Some("urn:borderpost:error:rejected")
    );
    assert!(!delivery(&client, &running, &id.to_string()).await.valid);
    running.stop().await;
}

#[tokio::test]
async fn options_are_checked() {
    let options = NoOptions {
        reserved: vec!["dk-cpr:2211771212".parse().unwrap()],
        ..NoOptions::default()
    };
    assert!(no::start(listener().await, &pki(), options).is_err());
    let options = NoOptions {
        token: " ".to_owned(),
        ..NoOptions::default()
    };
    assert!(no::start(listener().await, &pki(), options).is_err());
    assert!(!format!("{:?}", NoOptions::default()).contains(no::DEMO_TOKEN));
}

#[tokio::test]
async fn delivered_messages_are_kept_decoded() {
    let running = start().await;
    let client = client();
    let (recipient, certificate) = from_krr(&client, &running, PERSON).await;
    let id = Uuid::new_v4();
    let m = letter(recipient, Channel::DigitalOnly, false);
    let body = encode(&m, id, &certificate);
    let reply = send(&client, &running, "k", Some(no::DEMO_TOKEN), body.clone()).await;
    assert_eq!(reply.status, 201, "{}", reply.text());

    let list: Vec<RecordedSummary> = serde_json::from_value(json(
        &client.get(&url(&running, "/sim/messages")).await.unwrap(),
    ))
    .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (list[0].route.as_str(), list[0].recipient.as_str()),
        ("dpi", "no-fnr:31129956715")
    );
    let recorded: Recorded = serde_json::from_value(json(
        &client
            .get(&url(&running, &format!("/sim/messages/{id}")))
            .await
            .unwrap(),
    ))
    .unwrap();
    // What the postbox decrypted and decoded.
    assert_eq!(recorded.message.id, id);
    assert_eq!(recorded.message.subject, m.subject);
    assert_eq!(
        recorded.message.documents[0].content,
        m.documents[0].content
    );
    assert_eq!(recorded.native.media_type, body.0);
    assert_eq!(recorded.native.length, body.1.len());
    running.stop().await;
}
