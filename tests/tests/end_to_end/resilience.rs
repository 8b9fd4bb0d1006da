use std::time::Duration;

use borderpost_tests::{Harness, message};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_wait_while_an_upstream_is_down_and_go_when_it_returns() {
    let h = Harness::start().await;
    h.set_mode(&h.dk, "fail").await;
    let msg = message(&["dk-cpr:0707614285", "no-fnr:31129956715"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &msg).await.status, 202);

    // Norway is unaffected; Denmark's copy waits, retried, not failed.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let doc: serde_json::Value =
        serde_json::from_slice(&h.status("sender-dk", &id).await.body).unwrap();
    let dk = &doc["recipients"][0];
    assert_eq!(dk["status"], "accepted", "{doc:#}");
    assert!(dk["attempts"].as_u64().unwrap() >= 1, "{doc:#}");
    assert!(dk["last_error"].as_str().is_some(), "{doc:#}");
    assert!(h.deliveries(&h.dk).await.is_empty());

    h.set_mode(&h.dk, "normal").await;
    h.wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    let dk = h.deliveries(&h.dk).await;
    assert_eq!((dk.len(), dk[0].count, dk[0].valid), (1, 1, true), "{dk:?}");
    h.stop().await;
}
