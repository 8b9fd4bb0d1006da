use std::time::Duration;

use borderpost_conformance::sim::dk::DkOptions;
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
