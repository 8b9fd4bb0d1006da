use std::time::Duration;

use borderpost_tests::{Harness, message};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_post_gets_the_first_answer_and_one_delivery() {
    let h = Harness::start().await;
    let msg = message(&["dk-cpr:0707614285"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    let first = h.submit("sender-dk", &msg).await;
    assert_eq!(first.status, 202);
    h.wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    let again = h.submit("sender-dk", &msg).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body, first.body, "the first answer, byte for byte");
    // Give delivery a moment to (wrongly) send it again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let dk = h.deliveries(&h.dk).await;
    assert_eq!((dk.len(), dk[0].count), (1, 1), "{dk:?}");

    // The same id with different content is a conflict.
    let mut changed = msg.clone();
    changed["subject"] = "Something else".into();
    let conflict = h.submit("sender-dk", &changed).await;
    assert_eq!(conflict.status, 409, "{}", conflict.text());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_stands_in_for_a_message_id() {
    let h = Harness::start().await;
    let mut msg = message(&["dk-cpr:0707614285"]);
    msg.as_object_mut().unwrap().remove("id");
    let body = serde_json::to_vec(&msg).unwrap();
    let post = || async {
        h.client("sender-dk")
            .request(
                http::Method::POST,
                &h.url("/v1/messages"),
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", "order-4711"),
                ],
                body.clone(),
            )
            .await
            .unwrap()
    };
    let first = post().await;
    let second = post().await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (202, 202));
    let a: Value = serde_json::from_slice(&first.body).unwrap();
    let b: Value = serde_json::from_slice(&second.body).unwrap();
    assert_eq!(a["id"], b["id"]);
    h.stop().await;
}
