use std::time::Duration;

use borderpost_sim::dk::DkOptions;
use borderpost_tests::{Harness, message};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn time(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_stamped_before_the_forward_still_comes_after_it() {
    // Digital Post's clock is an hour behind: its delivery receipt says it
    // delivered the copy before Borderpost forwarded it.
    let h = Harness::start_with_dk(DkOptions {
        clock_skew: -time::Duration::hours(1),
        ..DkOptions::default()
    })
    .await;
    let msg = message(&["dk-cpr:0707614285"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &msg).await.status, 202);
    let doc = h
        .wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    let history = doc["recipients"][0]["history"].as_array().unwrap();
    let statuses: Vec<&str> = history
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "forwarded", "delivered"], "{doc:#}");
    let at: Vec<OffsetDateTime> = history.iter().map(|e| time(&e["at"])).collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]), "{doc:#}");
    // The national receipt's own time is kept, and shown, as reported.
    let delivered = &history[2];
    let reported = time(&delivered["reported_at"]);
    assert!(reported < at[1], "{doc:#}");
    let kvittering = delivered["receipt"]["body"].as_str().unwrap();
    let stamp = kvittering
        .split("<k:timestamp>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap();
    assert_eq!(OffsetDateTime::parse(stamp, &Rfc3339).unwrap(), reported);
    assert!(history[1].get("reported_at").is_none(), "{doc:#}");
    h.stop().await;
}

/// Borderpost's namespace for copy ids, as the README publishes it.
const NAMESPACE: &str = "e2bab4f9-fd6e-437f-ac50-55d608a6a7f1";

/// A copy id as a sender computes it from the README: UUIDv5 of
/// "{message id}/{recipient}", with version digit 4 for MeMo.
fn copy_id(message: &str, recipient: &str, memo: bool) -> String {
    let namespace = uuid::Uuid::parse_str(NAMESPACE).unwrap();
    let id = uuid::Uuid::new_v5(&namespace, format!("{message}/{recipient}").as_bytes());
    let mut text = id.hyphenated().to_string();
    if memo {
        text.replace_range(14..15, "4");
    }
    text
}

fn upstream_ids(doc: &Value) -> Vec<(String, String)> {
    doc["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["recipient"].as_str().unwrap().to_owned(),
                r["upstream_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memo_relayed_to_digital_post_keeps_its_message_uuid() {
    let h = Harness::start().await;
    // The official MeMo 1.1 Full example as a Danish sender would send it
    // (its own CVR, https links), with its messageUUID in capitals as the
    // examples write them.
    let uuid = uuid::Uuid::new_v4();
    let published = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../conformance/protocols/dk/memo-1.1/examples/MeMo_Full_Example.xml"
    ))
    .unwrap();
    let memo = published
        .replacen("<memo:senderID>12345678<", "<memo:senderID>55133018<", 1)
        .replace("<memo:url>http://", "<memo:url>https://")
        .replacen(
            "8C2EA15D-61FB-4BA9-9366-42F8B194C114",
            &uuid.hyphenated().to_string().to_uppercase(),
            1,
        );
    let reply = h
        .client("sender-dk")
        .post(&h.url("/dk/memo"), "application/xml", memo.into_bytes())
        .await
        .unwrap();
    assert_eq!(reply.status, 202, "{}", reply.text());
    let id = uuid.hyphenated().to_string();
    let doc = h
        .wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    assert_eq!(
        upstream_ids(&doc),
        [("dk-cpr:2211771212".to_owned(), id.clone())]
    );
    let dk = h.deliveries(&h.dk).await;
    assert_eq!(dk.len(), 1, "{dk:?}");
    assert_eq!(
        (dk[0].message_id.as_str(), dk[0].count, dk[0].valid),
        (id.as_str(), 1, true)
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_of_a_message_to_several_recipients_carry_ids_the_sender_can_compute() {
    let h = Harness::start().await;
    let msg = message(&["dk-cpr:0707614285", "no-fnr:31129956715"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    let reply = h.submit("sender-dk", &msg).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let dk_id = copy_id(&id, "dk-cpr:0707614285", true);
    let no_id = copy_id(&id, "no-fnr:31129956715", false);
    let expected = [
        ("dk-cpr:0707614285".to_owned(), dk_id.clone()),
        ("no-fnr:31129956715".to_owned(), no_id.clone()),
    ];
    // The first answer already names them, and the status view keeps them.
    let answer: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(upstream_ids(&answer), expected);
    let doc = h
        .wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    assert_eq!(upstream_ids(&doc), expected);
    // And they are the ids the national systems received.
    let dk = h.deliveries(&h.dk).await;
    assert_eq!(
        dk.iter()
            .map(|d| (d.message_id.as_str(), d.count))
            .collect::<Vec<_>>(),
        [(dk_id.as_str(), 1)]
    );
    let no = h.deliveries(&h.no).await;
    assert_eq!(
        no.iter()
            .map(|d| (d.message_id.as_str(), d.count))
            .collect::<Vec<_>>(),
        [(no_id.as_str(), 1)]
    );
    h.stop().await;
}
