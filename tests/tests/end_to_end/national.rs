use std::time::Duration;

use borderpost_core::{
    Adapter, Country, DecodeContext, EncodeContext, Message, PartyId, Postbox, Recipient, Wire,
};
use borderpost_dk::{Memo, MemoVersion};
use borderpost_no::transport;
use borderpost_no::{CmsKey, Dpi, DpiConfig, DpiReceipts};
use borderpost_tests::{Harness, message};
use time::OffsetDateTime;

fn canonical(value: serde_json::Value) -> Message {
    let ctx = DecodeContext::new(OffsetDateTime::now_utc(), uuid::Uuid::new_v4());
    borderpost_core::canonical::decode(&serde_json::to_vec(&value).unwrap(), &ctx).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memo_to_a_norwegian_recipient_arrives_in_norway_as_valid_dpi() {
    let h = Harness::start().await;
    // A Danish sender's own MeMo, addressing a Norwegian person the way
    // Borderpost documents: idType "Andet", idTypeLabel "no-fnr".
    let mut msg = message(&["no-fnr:31129956715"]);
    msg["notification"] = "Brev fra Example Kommune".into();
    let source = canonical(msg);
    let id = source.id;
    let to = source.recipients[0].clone();
    let memo = Memo::new(MemoVersion::V1_1)
        .encode(
            &source,
            &to,
            &EncodeContext::new(OffsetDateTime::now_utc(), id),
        )
        .unwrap();
    let xml = &memo.parts[0].body;
    assert!(String::from_utf8_lossy(xml).contains("<memo:idType>Andet</memo:idType>"));

    let reply = h
        .client("sender-dk")
        .post(&h.url("/dk/memo"), "application/xml", xml.clone())
        .await
        .unwrap();
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(
        reply.text().contains("ModtagetDigitalPost"),
        "{}",
        reply.text()
    );

    h.wait_for(
        "sender-dk",
        &id.to_string(),
        &["delivered"],
        Duration::from_secs(30),
    )
    .await;
    let no = h.deliveries(&h.no).await;
    assert_eq!(no.len(), 1, "{no:?}");
    assert_eq!(
        (no[0].recipient.as_str(), no[0].count, no[0].valid),
        ("no-fnr:31129956715", 1, true)
    );
    assert!(h.deliveries(&h.dk).await.is_empty());

    // The Danish sender reads the outcome in its own format.
    let status = h
        .client("sender-dk")
        .get(&h.url(&format!("/dk/memo/{id}")))
        .await
        .unwrap();
    assert_eq!(status.status, 200);
    assert!(
        status.text().contains("AfleveretDigitalPost"),
        "{}",
        status.text()
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpi_message_from_a_norwegian_sender_arrives_in_denmark_as_valid_memo() {
    let h = Harness::start().await;
    let pki = &h.pki;
    let sender = CmsKey::from_pem(
        &pki.read("sender-no.crt").unwrap(),
        &pki.read("sender-no.key").unwrap(),
    )
    .unwrap();
    let gateway_cert =
        borderpost_no::certificate_der_from_pem(&pki.read("gateway.crt").unwrap()).unwrap();

    let mut value = message(&["dk-cpr:0707614285"]);
    value["sender"] = serde_json::json!({ "id": "no-orgnr:991825827" });
    let source = canonical(value);
    let id = source.id;
    // A Norwegian client addresses the foreign recipient by its Borderpost
    // identifier in postkasseadresse, and encrypts to Borderpost.
    let to = Recipient {
        postbox: Some(Postbox {
            country: Country::No,
            address: "dk-cpr:0707614285".to_owned(),
            provider: Some(PartyId::parse(borderpost_core::Scheme::NoOrgnr, "984661185").unwrap()),
        }),
        ..Recipient::with_id("dk-cpr:0707614285".parse().unwrap())
    };
    let dpi = Dpi::new(DpiConfig {
        maskinporten_token: Some("token".to_owned()),
        ..DpiConfig::default()
    });
    let mut ctx = EncodeContext::new(OffsetDateTime::now_utc(), id);
    ctx.signer = Some(&sender);
    ctx.recipient_certificate = Some(&gateway_cert);
    let encoded = dpi.encode(&source, &to, &ctx).unwrap();
    let body = transport::encode_multipart(&encoded.parts, &transport::boundary(id)).unwrap();

    let client = h.client("sender-no");
    let reply = client
        .request(
            http::Method::POST,
            &h.url("/no/dpi/messages/out?kanal=test"),
            &[
                ("content-type", body.content_type.as_str()),
                ("authorization", "Bearer token"),
            ],
            body.body,
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.text());

    h.wait_for(
        "sender-no",
        &id.to_string(),
        &["delivered"],
        Duration::from_secs(30),
    )
    .await;
    let dk = h.deliveries(&h.dk).await;
    assert_eq!(dk.len(), 1, "{dk:?}");
    assert_eq!(
        (dk[0].recipient.as_str(), dk[0].count, dk[0].valid),
        ("dk-cpr:0707614285", 1, true)
    );

    // The Norwegian sender gets a DPI delivery receipt, signed by
    // Borderpost, naming its message, on its own kanal.
    let statuses = client
        .get(&h.url(&format!("/no/dpi/messages/out/{id}/statuses")))
        .await
        .unwrap();
    assert!(statuses.text().contains("SENDT"), "{}", statuses.text());
    let listed = client
        .get(&h.url("/no/dpi/messages/in?kanal=test"))
        .await
        .unwrap();
    assert_eq!(listed.status, 200, "{}", listed.text());
    let incoming =
        transport::parse_incoming(&listed.body, &borderpost_core::Limits::default()).unwrap();
    // The receipts are signed by the gateway's certificate, which chains
    // to the example PKI.
    let anchors = h
        .pki
        .certificates("ca-all.crt")
        .unwrap()
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    let receipts = DpiReceipts::new(DpiConfig {
        trust_anchors: anchors,
        ..DpiConfig::default()
    });
    let decode_ctx = DecodeContext::new(OffsetDateTime::now_utc(), uuid::Uuid::new_v4());
    let decoded: Vec<_> = incoming
        .iter()
        .map(|m| {
            receipts
                .decode_receipt(&Wire::single(m.forretningsmelding.as_bytes()), &decode_ctx)
                .unwrap()
        })
        .collect();
    assert!(
        decoded
            .iter()
            .any(|r| r.kind == borderpost_core::ReceiptKind::Delivered
                && r.message_id == id.to_string()),
        "{decoded:?}"
    );
    // Nothing on another kanal; marking read removes it.
    assert_eq!(
        client
            .get(&h.url("/no/dpi/messages/in?kanal=other"))
            .await
            .unwrap()
            .status,
        204
    );
    for m in &incoming {
        let payload = m.forretningsmelding.split('.').nth(1).unwrap();
        let json: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap(),
        )
        .unwrap();
        let receipt_id = json["standardBusinessDocument"]["standardBusinessDocumentHeader"]["documentIdentification"]
            ["instanceIdentifier"]
            .as_str()
            .unwrap();
        let read = client
            .post(
                &h.url(&format!("/no/dpi/messages/in/{receipt_id}/read")),
                "application/json",
                Vec::new(),
            )
            .await
            .unwrap();
        assert_eq!(read.status, 200, "{}", read.text());
    }
    assert_eq!(
        client
            .get(&h.url("/no/dpi/messages/in?kanal=test"))
            .await
            .unwrap()
            .status,
        204
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_memo_is_refused_in_the_danish_format() {
    let h = Harness::start().await;
    let reply = h
        .client("sender-dk")
        .post(
            &h.url("/dk/memo"),
            "application/xml",
            "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 400);
    let text = reply.text();
    assert!(
        text.contains("<k:status>Fejlet</k:status>") && text.contains("forbidden-construct"),
        "{text}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_danish_recipient_without_digital_post_is_printed_when_the_sender_allows_it() {
    let h = Harness::start().await;
    // dk-cpr:2512169996 has no Digital Post in the simulator.
    let mut msg = message(&["dk-cpr:2512169996"]);
    msg["channel"] = "digital-else-print".into();
    msg["recipients"][0]["name"] = "Emilie Hansen".into();
    msg["recipients"][0]["address"] = serde_json::json!({
        "lines": ["Bakketoppen 6"], "postcode": "9000", "city": "Aalborg", "country": "DK"
    });
    let id = msg["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &msg).await.status, 202);
    let doc = h
        .wait_for("sender-dk", &id, &["printed"], Duration::from_secs(30))
        .await;
    let history = doc["recipients"][0]["history"].as_array().unwrap();
    assert!(
        history
            .iter()
            .any(|e| e["note"].as_str().unwrap_or("").contains("no Digital Post")),
        "{doc:#}"
    );
    let printed = h.deliveries(&h.dk).await;
    assert_eq!(printed.len(), 1, "{printed:?}");
    assert!(printed[0].valid);

    // Without permission to print, the copy is undeliverable.
    let mut digital_only = message(&["dk-cpr:2512169996"]);
    digital_only["channel"] = "digital-only".into();
    let id = digital_only["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &digital_only).await.status, 202);
    h.wait_for(
        "sender-dk",
        &id,
        &["undeliverable"],
        Duration::from_secs(30),
    )
    .await;
    h.stop().await;
}
