use std::time::Duration;

use borderpost_tests::{Harness, message};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_denmark_and_norway_reaches_both_once_and_shows_delivered() {
    let h = Harness::start().await;
    let msg = message(&["dk-cpr:0707614285", "no-fnr:31129956715"]);
    let id = msg["id"].as_str().unwrap().to_owned();

    let reply = h.submit("sender-dk", &msg).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let answer: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(answer["id"], msg["id"]);
    let routes: Vec<(&str, &str, &str)> = answer["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["recipient"].as_str().unwrap(),
                r["route"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("dk-cpr:0707614285", "dk", "accepted"),
            ("no-fnr:31129956715", "no", "accepted")
        ]
    );

    let doc = h
        .wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    // Each copy's history names the native receipt that delivered it.
    for (recipient, protocol) in doc["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["dk-memo-receipt", "no-dpi-receipt"])
    {
        let history = recipient["history"].as_array().unwrap();
        let delivered = history.iter().find(|e| e["status"] == "delivered").unwrap();
        assert_eq!(delivered["receipt"]["protocol"], protocol, "{recipient:#}");
        assert!(!delivered["receipt"]["body"].as_str().unwrap().is_empty());
        assert!(
            history.iter().any(|e| e["status"] == "forwarded"),
            "{recipient:#}"
        );
    }

    let dk = h.deliveries(&h.dk).await;
    assert_eq!(dk.len(), 1, "{dk:?}");
    assert_eq!(
        (dk[0].recipient.as_str(), dk[0].count, dk[0].valid),
        ("dk-cpr:0707614285", 1, true)
    );
    let no = h.deliveries(&h.no).await;
    assert_eq!(no.len(), 1, "{no:?}");
    assert_eq!(
        (no[0].recipient.as_str(), no[0].count, no[0].valid),
        ("no-fnr:31129956715", 1, true)
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_only_for_the_sender_and_unknown_ids_are_not_found() {
    let h = Harness::start().await;
    let msg = message(&["dk-cpr:0707614285"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &msg).await.status, 202);
    assert_eq!(h.status("sender-dk", &id).await.status, 200);
    // Another configured sender cannot see it: 404, not 403, so ids
    // cannot be probed.
    assert_eq!(h.status("sender-no", &id).await.status, 404);
    assert_eq!(
        h.status("sender-dk", &uuid::Uuid::new_v4().to_string())
            .await
            .status,
        404
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_messages_get_problem_details_with_stable_codes() {
    let h = Harness::start().await;
    let mut msg = message(&["dk-cpr:0707614285"]);
    msg["recipients"][0]["id"] = "dk-cvr:55133019".into();
    let reply = h.submit("sender-dk", &msg).await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.content_type(), Some("application/problem+json"));
    let problem: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(problem["code"], "invalid-identifier");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("recipients[0].id") && detail.contains("check digit should be 8"),
        "{problem}"
    );
    assert!(!problem["request_id"].as_str().unwrap().is_empty());
    assert_eq!(
        reply.headers["x-request-id"],
        problem["request_id"].as_str().unwrap()
    );

    let reply = h
        .client("sender-dk")
        .post(&h.url("/v1/messages"), "application/json", "{\"subject\": ")
        .await
        .unwrap();
    assert_eq!(reply.status, 400);
    let problem: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(problem["code"], "malformed");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_has_signed_chained_evidence() {
    let h = Harness::start().await;
    let msg = message(&["dk-cpr:0707614285"]);
    let id = msg["id"].as_str().unwrap().to_owned();
    assert_eq!(h.submit("sender-dk", &msg).await.status, 202);
    h.wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;
    let reply = h
        .client("sender-dk")
        .get(&h.url(&format!("/v1/messages/{id}/evidence")))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let doc: Value = serde_json::from_slice(&reply.body).unwrap();
    let records: Vec<&str> = doc["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut events = Vec::new();
    let mut prev: Option<String> = None;
    for jws in &records {
        // Standard JWS: RS256 over header.payload, the signer in x5c.
        let verified = borderpost_no::jwt::verify(jws.as_bytes()).unwrap();
        assert_eq!(verified.signer.to_string(), "dk-cvr:13748136");
        let payload: Value = serde_json::from_slice(&verified.payload).unwrap();
        assert_eq!(payload["message_id"], id);
        assert_eq!(
            payload["prev"].as_str().map(str::to_owned),
            prev,
            "the chain is unbroken"
        );
        let digest = openssl_sha256(jws.as_bytes());
        prev = Some(base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            digest,
        ));
        events.push(payload["event"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        events,
        [
            "SubmissionAcceptance",
            "RelayAcceptance",
            "ContentConsignment"
        ]
    );
    // Tampering with a record breaks its signature.
    let tampered = records[2].replacen('.', ".e", 1);
    assert!(borderpost_no::jwt::verify(tampered.as_bytes()).is_err());
    // Only the sender may read it.
    let other = h
        .client("sender-no")
        .get(&h.url(&format!("/v1/messages/{id}/evidence")))
        .await
        .unwrap();
    assert_eq!(other.status, 404);
    h.stop().await;
}

fn openssl_sha256(data: &[u8]) -> [u8; 32] {
    use std::io::Write;
    use std::process::{Command, Stdio};
    // The test checks the chain independently of Borderpost's code.
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is needed by this test (CI installs it)");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    out.stdout.try_into().unwrap()
}
