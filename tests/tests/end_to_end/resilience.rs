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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_whose_answer_was_lost_is_not_sent_twice() {
    // Receipts polled slowly, so that the retry (after 100–200 ms), not a
    // receipt, is what settles the copy.
    let h = Harness::start_with(|config| {
        assert!(config.contains("receipt_poll = \"500ms\""));
        config.replace("receipt_poll = \"500ms\"", "receipt_poll = \"3s\"")
    })
    .await;
    // Each national service takes the message, then its answer is lost
    // (504): the gateway cannot tell the copy arrived.
    h.set_mode(&h.dk, "lose-answer").await;
    h.set_mode(&h.no, "lose-answer").await;
    let msg = message(&["dk-cpr:0707614285", "no-fnr:31129956715"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &msg).await.status, 202);

    // Both services hold the copy; the gateway recorded a failed attempt.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (dk, no) = (h.deliveries(&h.dk).await, h.deliveries(&h.no).await);
        if dk.len() == 1 && no.len() == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{dk:?} {no:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&h.status("sender-dk", &id).await.body).unwrap();
    for copy in doc["recipients"].as_array().unwrap() {
        assert!(copy["attempts"].as_u64().unwrap() >= 1, "{doc:#}");
    }

    // The answers come back; the retry finds each copy already there and
    // does not send it again. Receipts still arrive.
    h.set_mode(&h.dk, "normal").await;
    h.set_mode(&h.no, "normal").await;
    h.wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    let doc: serde_json::Value =
        serde_json::from_slice(&h.status("sender-dk", &id).await.body).unwrap();
    let history = doc["recipients"].to_string();
    assert!(history.contains("already had it"), "{doc:#}");
    for sim in [&h.dk, &h.no] {
        let deliveries = h.deliveries(sim).await;
        assert_eq!(deliveries.len(), 1, "{deliveries:?}");
        assert_eq!(
            (deliveries[0].count, deliveries[0].valid),
            (1, true),
            "{deliveries:?}"
        );
    }
    h.stop().await;
}
