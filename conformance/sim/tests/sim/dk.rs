use std::time::{Duration, Instant};

use borderpost_core::{
    Adapter, Channel, DecodeContext, Document, EncodeContext, Message, MessageKind, Party,
    PostalAddress, Receipt, ReceiptKind, Recipient, Wire,
};
use borderpost_dk::{Fjernprint, Memo, MemoVersion, receipt};
use borderpost_sim::dk::{self, DkOptions};
use borderpost_sim::{Client, Recorded, RecordedSummary, Running};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::common::*;

async fn start() -> Running {
    dk::start(listener().await, &pki(), DkOptions::default()).unwrap()
}

fn letter(to: Recipient, channel: Channel) -> Message {
    Message {
        id: Uuid::new_v4(),
        kind: MessageKind::Letter,
        sender: Party {
            id: "dk-cvr:55133018".parse().unwrap(),
            name: Some("Example Kommune".to_owned()),
            unit: None,
            representative: None,
        },
        recipients: vec![to],
        subject: "Tilbud om børnehaveplads".to_owned(),
        created: time::macros::datetime!(2026-01-15 10:00 UTC),
        documents: vec![Document {
            filename: "brev.pdf".to_owned(),
            media_type: "application/pdf".to_owned(),
            language: Some("da".to_owned()),
            title: None,
            content: b"%PDF-1.4 test letter".to_vec(),
        }],
        notification: None,
        legal: Default::default(),
        reply: None,
        effective_at: None,
        security_level: None,
        channel,
        read_receipt: false,
        references: Default::default(),
        extensions: Default::default(),
    }
}

fn to(id: &str) -> Recipient {
    Recipient::with_id(id.parse().unwrap())
}

/// A MeMo 1.1 for `m`, sent as copy `id`.
fn memo(m: &Message, id: Uuid) -> Vec<u8> {
    let ctx = EncodeContext::new(OffsetDateTime::now_utc(), id);
    let encoded = Memo::new(MemoVersion::V1_1)
        .encode(m, &m.recipients[0], &ctx)
        .unwrap();
    encoded.parts[0].body.clone()
}

fn print(m: &Message, id: Uuid) -> Vec<u8> {
    let ctx = EncodeContext::new(OffsetDateTime::now_utc(), id);
    Fjernprint::new()
        .encode(m, &m.recipients[0], &ctx)
        .unwrap()
        .parts[0]
        .body
        .clone()
}

fn kvittering(body: &[u8]) -> Receipt {
    receipt::decode(
        body,
        &DecodeContext::new(OffsetDateTime::now_utc(), Uuid::nil()),
    )
    .unwrap()
}

/// The `errorCode` of a `Kvittering`.
fn error_code(body: &[u8]) -> String {
    let root = borderpost_core::xml::parse(body, &Default::default()).unwrap();
    root.child(receipt::NAMESPACE, "errorCode").unwrap().text()
}

async fn send(
    client: &Client,
    running: &Running,
    path: &str,
    body: Vec<u8>,
) -> borderpost_sim::Reply {
    client
        .post(&url(running, path), "application/xml", body)
        .await
        .unwrap()
}

/// `[{"id", "kvittering"}]`, or empty for `204`.
async fn receipts(client: &Client, running: &Running) -> Vec<(String, Receipt)> {
    let reply = client.get(&url(running, dk::PATH_RECEIPTS)).await.unwrap();
    if reply.status == 204 {
        return Vec::new();
    }
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.content_type(), Some("application/json"));
    json(&reply)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                kvittering(r["kvittering"].as_str().unwrap().as_bytes()),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_memo_is_accepted_once_and_every_arrival_counted() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    let body = memo(&letter(to("dk-cpr:2211771212"), Channel::DigitalOnly), id);

    let reply = send(&client, &running, dk::PATH_MEMO, body.clone()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(reply.content_type(), Some("application/xml"));
    let answer = kvittering(&reply.body);
    assert_eq!(answer.kind, ReceiptKind::Received);
    assert_eq!(answer.message_id, id.to_string());
    assert_eq!(answer.issuer.unwrap().to_string(), "dk-cvr:34051178");

    let d = delivery(&client, &running, &id.to_string()).await;
    assert_eq!(
        (d.recipient.as_str(), d.count, d.valid),
        ("dk-cpr:2211771212", 1, true)
    );

    // The same message again: the same answer, counted, no second receipt.
    let again = send(&client, &running, dk::PATH_MEMO, body).await;
    assert_eq!(again.status, 202);
    assert_eq!(kvittering(&again.body).kind, ReceiptKind::Received);
    assert_eq!(delivery(&client, &running, &id.to_string()).await.count, 2);

    let listed = receipts(&client, &running).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let (receipt_id, r) = &listed[0];
    assert_eq!(r.kind, ReceiptKind::Delivered);
    assert_eq!(r.message_id, id.to_string());
    assert!(r.native.body.contains("AfleveretDigitalPost"));

    // Listed until acknowledged, then gone.
    assert_eq!(receipts(&client, &running).await.len(), 1);
    let ack = |rid: String| {
        let client = client.clone();
        let uri = url(&running, &format!("{}/{rid}/ack", dk::PATH_RECEIPTS));
        async move {
            client
                .post(&uri, "text/plain", Vec::new())
                .await
                .unwrap()
                .status
        }
    };
    assert_eq!(ack(receipt_id.clone()).await, 204);
    assert!(receipts(&client, &running).await.is_empty());
    assert_eq!(ack(receipt_id.clone()).await, 404);
    assert_eq!(ack("not-a-uuid".to_owned()).await, 404);
    running.stop().await;
}

#[tokio::test]
async fn memo_1_2_is_read_too() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    let m = letter(to("dk-cvr:55133018"), Channel::DigitalOnly);
    let ctx = EncodeContext::new(OffsetDateTime::now_utc(), id);
    let body = Memo::new(MemoVersion::V1_2)
        .encode(&m, &m.recipients[0], &ctx)
        .unwrap()
        .parts[0]
        .body
        .clone();
    let reply = send(&client, &running, dk::PATH_MEMO, body).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(
        delivery(&client, &running, &id.to_string()).await.recipient,
        "dk-cvr:55133018"
    );
    running.stop().await;
}

#[tokio::test]
async fn an_invalid_memo_gets_fejlet_with_the_adapter_code() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    let body = String::from_utf8(memo(
        &letter(to("dk-cpr:2211771212"), Channel::DigitalOnly),
        id,
    ))
    .unwrap();
    // 32 November does not exist: the CPR fails its date rule.
    let tampered = body.replace("2211771212", "3211771212").into_bytes();
    let expected = Memo::new(MemoVersion::V1_1)
        .decode(
            &Wire::single(&tampered),
            &DecodeContext::new(OffsetDateTime::now_utc(), Uuid::nil()),
        )
        .unwrap_err();
    assert_eq!(expected.code(), "invalid-identifier");

    let reply = send(&client, &running, dk::PATH_MEMO, tampered).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(error_code(&reply.body), "invalid-identifier");
    let answer = kvittering(&reply.body);
    assert_eq!(answer.message_id, id.to_string());
    let ReceiptKind::Error {
        permanent: true,
        detail: Some(detail),
    } = answer.kind
    else {
        panic!("{:?}", answer.kind)
    };
    assert_eq!(detail, format!("invalid-identifier: {expected}"));

    let d = delivery(&client, &running, &id.to_string()).await;
    assert!(!d.valid);
    assert_eq!(d.count, 1);
    assert_eq!(d.recipient, "dk-cpr:3211771212");
    assert_eq!(d.error.as_deref(), Some(expected.to_string().as_str()));
    // No receipt for a refused message.
    assert!(receipts(&client, &running).await.is_empty());

    // Not XML at all: refused, nothing recorded (no id to record).
    let reply = send(
        &client,
        &running,
        dk::PATH_MEMO,
        b"{\"json\": true}".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply.body), "malformed");
    assert_eq!(kvittering(&reply.body).message_id, Uuid::nil().to_string());
    assert_eq!(deliveries(&client, &running).await.len(), 1);

    // Another content type: 415.
    let reply = client
        .post(
            &url(&running, dk::PATH_MEMO),
            "text/plain",
            body.into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 415);
    assert_eq!(error_code(&reply.body), "unsupported");
    running.stop().await;
}

#[tokio::test]
async fn a_memo_for_a_foreign_recipient_is_refused() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    // MeMo carries it as Andet + idTypeLabel no-fnr: valid MeMo, but not
    // for Digital Post.
    let body = memo(&letter(to("no-fnr:31129956715"), Channel::DigitalOnly), id);
    let reply = send(&client, &running, dk::PATH_MEMO, body).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(error_code(&reply.body), "recipient-unaddressable");
    let d = delivery(&client, &running, &id.to_string()).await;
    assert_eq!(
        (d.recipient.as_str(), d.valid),
        ("no-fnr:31129956715", false)
    );
    running.stop().await;
}

#[tokio::test]
async fn a_recipient_without_digital_post_gets_422_and_print_is_recorded_on_its_own() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    let recipient = Recipient {
        name: Some("Jens Hansen".to_owned()),
        address: Some(PostalAddress {
            lines: vec!["Bakketoppen 6".to_owned()],
            postcode: Some("9000".to_owned()),
            city: Some("Aalborg".to_owned()),
            country: "DK".to_owned(),
        }),
        ..to(dk::DEFAULT_NO_DIGITAL_POST)
    };
    let m = letter(recipient, Channel::DigitalElsePrint);

    let reply = send(&client, &running, dk::PATH_MEMO, memo(&m, id)).await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(error_code(&reply.body), dk::NOT_REGISTERED);
    assert_eq!(kvittering(&reply.body).message_id, id.to_string());
    assert!(deliveries(&client, &running).await.is_empty());
    let refusals: Vec<serde_json::Value> = serde_json::from_slice(
        &client
            .get(&url(&running, "/sim/refusals"))
            .await
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0]["message_id"], id.to_string());
    assert_eq!(refusals[0]["recipient"], dk::DEFAULT_NO_DIGITAL_POST);
    assert_eq!(refusals[0]["error"], "recipient has no Digital Post");
    assert!(receipts(&client, &running).await.is_empty());

    // The gateway falls back to print with the same copy id.
    let reply = send(&client, &running, dk::PATH_PRINT, print(&m, id)).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(kvittering(&reply.body).kind, ReceiptKind::Received);
    let d = delivery(&client, &running, &id.to_string()).await;
    assert_eq!(
        (d.recipient.as_str(), d.count, d.valid),
        (dk::DEFAULT_NO_DIGITAL_POST, 1, true)
    );
    let listed = receipts(&client, &running).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].1.kind, ReceiptKind::Printed);
    assert_eq!(listed[0].1.message_id, id.to_string());
    running.stop().await;
}

#[tokio::test]
async fn print_to_an_address_only_is_recorded_by_country_and_bad_print_refused() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    let recipient = Recipient {
        id: None,
        name: Some("Anna Berg".to_owned()),
        address: Some(PostalAddress {
            lines: vec!["Storgatan 1".to_owned()],
            postcode: Some("123 45".to_owned()),
            city: Some("Stockholm".to_owned()),
            country: "SE".to_owned(),
        }),
        postbox: None,
    };
    let m = letter(recipient, Channel::PrintOnly);
    let reply = send(&client, &running, dk::PATH_PRINT, print(&m, id)).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(
        delivery(&client, &running, &id.to_string()).await.recipient,
        "address:SE"
    );

    // A MeMo is not a ForsendelseI.
    let bad_id = Uuid::new_v4();
    let reply = send(
        &client,
        &running,
        dk::PATH_PRINT,
        memo(
            &letter(to("dk-cpr:2211771212"), Channel::DigitalOnly),
            bad_id,
        ),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply.body), "schema");
    running.stop().await;
}

#[tokio::test]
async fn failure_modes_apply_to_messages() {
    let running = start().await;
    let client = client();
    let body = |id| memo(&letter(to("dk-cpr:2211771212"), Channel::DigitalOnly), id);

    set_mode(&client, &running, "fail", Duration::ZERO).await;
    let reply = send(&client, &running, dk::PATH_MEMO, body(Uuid::new_v4())).await;
    assert_eq!(reply.status, 500);
    // Control and receipt routes are not affected.
    assert_eq!(
        client
            .get(&url(&running, dk::PATH_RECEIPTS))
            .await
            .unwrap()
            .status,
        204
    );
    assert!(deliveries(&client, &running).await.is_empty());

    set_mode(&client, &running, "slow", Duration::from_millis(300)).await;
    let started = Instant::now();
    let reply = send(&client, &running, dk::PATH_MEMO, body(Uuid::new_v4())).await;
    assert_eq!(reply.status, 202);
    assert!(started.elapsed() >= Duration::from_millis(300));

    set_mode(&client, &running, "timeout", Duration::ZERO).await;
    let impatient = Client::new(&pki(), "gateway")
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let err = impatient
        .post(
            &url(&running, dk::PATH_MEMO),
            "application/xml",
            body(Uuid::new_v4()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, borderpost_sim::Error::Timeout { .. }),
        "{err}"
    );

    set_mode(&client, &running, "reject", Duration::ZERO).await;
    let rejected = Uuid::new_v4();
    let reply = send(&client, &running, dk::PATH_MEMO, body(rejected)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(error_code(&reply.body), dk::REJECTED);
    let d = delivery(&client, &running, &rejected.to_string()).await;
    assert!(!d.valid);

    // Back to normal: a retry of the rejected copy is delivered; the
    // record shows both arrivals and is valid from now on.
    set_mode(&client, &running, "normal", Duration::ZERO).await;
    let reply = send(&client, &running, dk::PATH_MEMO, body(rejected)).await;
    assert_eq!(reply.status, 202);
    let d = delivery(&client, &running, &rejected.to_string()).await;
    assert_eq!((d.count, d.valid, d.error), (2, true, None));
    running.stop().await;
}

#[tokio::test]
async fn a_taken_message_can_be_looked_up_even_when_its_answer_was_lost() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    let lookup = |path: &'static str, id: Uuid| {
        let client = client.clone();
        let uri = url(&running, &format!("{path}/{id}"));
        async move { client.get(&uri).await.unwrap() }
    };
    assert_eq!(lookup(dk::PATH_MEMO, id).await.status, 404);

    set_mode(&client, &running, "lose-answer", Duration::ZERO).await;
    let body = memo(&letter(to("dk-cpr:2211771212"), Channel::DigitalOnly), id);
    let reply = send(&client, &running, dk::PATH_MEMO, body).await;
    assert_eq!(reply.status, 504);
    // It was taken all the same, and says so on its own route only.
    let held = lookup(dk::PATH_MEMO, id).await;
    assert_eq!(held.status, 200, "{}", held.text());
    let answer = kvittering(&held.body);
    assert_eq!(
        (answer.kind, answer.message_id),
        (ReceiptKind::Received, id.to_string())
    );
    assert_eq!(lookup(dk::PATH_PRINT, id).await.status, 404);
    assert_eq!(delivery(&client, &running, &id.to_string()).await.count, 1);

    // An invalid message is not held.
    set_mode(&client, &running, "normal", Duration::ZERO).await;
    let bad = Uuid::new_v4();
    let reply = send(&client, &running, dk::PATH_MEMO, b"<nope/>".to_vec()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(lookup(dk::PATH_MEMO, bad).await.status, 404);
    running.stop().await;
}

#[tokio::test]
async fn receipts_wait_for_the_configured_delay() {
    let options = DkOptions {
        receipt_delay: Duration::from_secs(3600),
        ..DkOptions::default()
    };
    let running = dk::start(listener().await, &pki(), options).unwrap();
    let client = client();
    let reply = send(
        &client,
        &running,
        dk::PATH_MEMO,
        memo(
            &letter(to("dk-cpr:2211771212"), Channel::DigitalOnly),
            Uuid::new_v4(),
        ),
    )
    .await;
    assert_eq!(reply.status, 202);
    assert!(receipts(&client, &running).await.is_empty());
    running.stop().await;
}

#[tokio::test]
async fn the_deliveries_list_has_exactly_its_documented_shape() {
    let running = start().await;
    let client = client();
    let good = Uuid::new_v4();
    send(
        &client,
        &running,
        dk::PATH_MEMO,
        memo(&letter(to("dk-cpr:2211771212"), Channel::DigitalOnly), good),
    )
    .await;
    let bad = Uuid::new_v4();
    send(
        &client,
        &running,
        dk::PATH_MEMO,
        memo(&letter(to("no-fnr:31129956715"), Channel::DigitalOnly), bad),
    )
    .await;

    let reply = client.get(&url(&running, "/sim/deliveries")).await.unwrap();
    assert_eq!(reply.content_type(), Some("application/json"));
    let list = json(&reply);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for entry in list {
        let mut keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let valid = entry["valid"].as_bool().unwrap();
        if valid {
            assert_eq!(keys, ["count", "message_id", "recipient", "valid"]);
        } else {
            assert_eq!(keys, ["count", "error", "message_id", "recipient", "valid"]);
        }
        assert!(entry["count"].is_u64());
        assert!(entry["message_id"].is_string() && entry["recipient"].is_string());
    }
    running.stop().await;
}

#[tokio::test]
async fn tls_requires_a_client_certificate_of_the_example_pki() {
    let running = start().await;
    let pki = pki();
    let anonymous = Client::without_certificate(&pki).unwrap();
    let e = anonymous
        .get(&url(&running, "/sim/deliveries"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("CertificateRequired"), "{e}");
    // A certificate whose issuer merely looks like ca-dk.
    let impostor = Client::new(&pki, "sender-dk-unknown-ca").unwrap();
    let e = impostor
        .get(&url(&running, "/sim/deliveries"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("alert"), "{e}");
    // Any root of the example PKI will do.
    for name in ["sender-dk", "sender-no", "sender-fi", "peer-gateway"] {
        let reply = Client::new(&pki, name)
            .unwrap()
            .get(&url(&running, "/sim/deliveries"))
            .await
            .unwrap();
        assert_eq!(reply.status, 200, "{name}");
    }
    running.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let running = start().await;
    let client = client();
    assert_eq!(
        client
            .get(&url(&running, "/apis/v2/memo"))
            .await
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        client
            .get(&url(&running, dk::PATH_MEMO))
            .await
            .unwrap()
            .status,
        405
    );
    assert_eq!(
        client
            .post(&url(&running, dk::PATH_RECEIPTS), "text/plain", Vec::new())
            .await
            .unwrap()
            .status,
        405
    );
    running.stop().await;
}

#[tokio::test]
async fn options_are_checked() {
    let options = DkOptions {
        no_digital_post: vec!["no-fnr:31129956715".parse().unwrap()],
        ..DkOptions::default()
    };
    let err = dk::start(listener().await, &pki(), options).unwrap_err();
    assert!(err.to_string().contains("no_digital_post"), "{err}");
}

#[tokio::test]
async fn delivered_messages_are_kept_decoded_with_their_native_bytes() {
    let running = start().await;
    let client = client();
    let id = Uuid::new_v4();
    let m = letter(to("dk-cpr:2211771212"), Channel::DigitalOnly);
    let body = memo(&m, id);
    assert_eq!(
        send(&client, &running, dk::PATH_MEMO, body.clone())
            .await
            .status,
        202
    );
    // A repeat is counted, not kept twice; an invalid message not at all.
    send(&client, &running, dk::PATH_MEMO, body.clone()).await;
    send(&client, &running, dk::PATH_MEMO, b"<x/>".to_vec()).await;

    let list: Vec<RecordedSummary> = serde_json::from_value(json(
        &client.get(&url(&running, "/sim/messages")).await.unwrap(),
    ))
    .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (
            list[0].message_id.as_str(),
            list[0].route.as_str(),
            list[0].subject.as_str()
        ),
        (id.to_string().as_str(), "memo", m.subject.as_str())
    );
    assert_eq!(list[0].recipient, "dk-cpr:2211771212");

    // Looked up in any case: the decoded message and the bytes as sent.
    let path = format!("/sim/messages/{}", id.to_string().to_uppercase());
    let recorded: Recorded =
        serde_json::from_value(json(&client.get(&url(&running, &path)).await.unwrap())).unwrap();
    assert_eq!(recorded.message.subject, m.subject);
    assert_eq!(recorded.message.documents, m.documents);
    assert_eq!(recorded.message.sender, m.sender);
    assert_eq!(recorded.native.media_type, "application/xml");
    assert_eq!(recorded.native.length, body.len());
    let native = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        recorded.native.body.unwrap(),
    )
    .unwrap();
    assert_eq!(native, body);

    let missing = client
        .get(&url(&running, &format!("/sim/messages/{}", Uuid::new_v4())))
        .await
        .unwrap();
    assert_eq!(missing.status, 404);
    running.stop().await;
}
