use borderpost_sim::client::Client;
use borderpost_tests::{Harness, message};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_without_a_good_certificate_are_refused_at_the_handshake() {
    let h = Harness::start().await;
    let url = h.url("/v1/messages");
    let body = serde_json::to_vec(&message(&["dk-cpr:0707614285"])).unwrap();
    let anonymous = Client::without_certificate(&h.pki).unwrap();
    assert!(
        anonymous
            .post(&url, "application/json", body.clone())
            .await
            .is_err(),
        "no certificate"
    );
    for name in [
        "sender-dk-expired",
        "sender-dk-notyet",
        "sender-dk-unknown-ca",
        "sender-dk-revoked",
        "sender-dk-serveronly",
    ] {
        let result = h
            .client(name)
            .post(&url, "application/json", body.clone())
            .await;
        assert!(
            result.is_err(),
            "{name} was let in: {:?}",
            result.map(|r| r.status)
        );
    }
    // The same request with the good certificate passes.
    assert_eq!(
        h.client("sender-dk")
            .post(&url, "application/json", body)
            .await
            .unwrap()
            .status,
        202
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_may_only_send_as_itself_and_must_be_configured() {
    let h = Harness::start().await;
    // sender-no's certificate names no-orgnr:991825827, not the message's
    // dk-cvr:55133018.
    let reply = h
        .submit("sender-no", &message(&["dk-cpr:0707614285"]))
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let problem: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(problem["code"], "forbidden");
    // sender-dk-other has a valid certificate, but its organisation is not
    // configured to send.
    let reply = h
        .submit("sender-dk-other", &message(&["dk-cpr:0707614285"]))
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert!(reply.text().contains("not configured"), "{}", reply.text());
    // Nothing reached a national system.
    assert!(h.deliveries(&h.dk).await.is_empty());
    h.stop().await;
}
