//! What the journal keeps on disk: nothing that identifies a person in
//! clear, and nothing other users can read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use borderpost_tests::{Harness, message};

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipients_receipts_and_notes_are_not_on_disk_in_clear() {
    let h = Harness::start().await;
    let mut msg = message(&["dk-cpr:0707614285", "no-fnr:31129956715"]);
    msg["recipients"][0]["name"] = "Karen Margrethe Jensen".into();
    msg["recipients"][1]["name"] = "Ola Kristian Nordmann".into();
    let id = msg["id"].as_str().unwrap().to_owned();
    let reply = h.submit("sender-dk", &msg).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let doc = h
        .wait_for("sender-dk", &id, &["delivered"], Duration::from_secs(30))
        .await;

    // What the status shows is what must not be on disk in clear: the
    // identifiers, the names, every note and every native receipt.
    let mut secrets: Vec<String> = vec![
        "0707614285".into(),
        "31129956715".into(),
        "Karen Margrethe Jensen".into(),
        "Ola Kristian Nordmann".into(),
    ];
    let mut receipts = 0;
    for recipient in doc["recipients"].as_array().unwrap() {
        for event in recipient["history"].as_array().unwrap() {
            if let Some(note) = event["note"].as_str() {
                secrets.push(note.to_owned());
            }
            if let Some(body) = event["receipt"]["body"].as_str() {
                secrets.push(body.to_owned());
                receipts += 1;
            }
        }
    }
    assert!(receipts >= 2, "{doc:#}");
    assert!(
        secrets.iter().any(|s| s.contains("postbox")),
        "a receipt's note: {secrets:#?}"
    );

    // Stopping flushes the state, so everything is in the files.
    let Harness {
        gateway,
        dk,
        no,
        data,
        ..
    } = h;
    gateway.stop().await;
    let journal = data.join("journal");
    let all = files(&data);
    assert!(all.iter().any(|f| f.starts_with(journal.join("log"))));
    assert!(all.iter().any(|f| f.starts_with(journal.join("state"))));
    for file in &all {
        let bytes = std::fs::read(file).unwrap();
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret:?} is in clear in {}",
                file.display()
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&journal), 0o700);
        for file in all.iter().filter(|f| f.starts_with(&journal)) {
            assert_eq!(mode(file), 0o600, "{}", file.display());
            assert_eq!(mode(file.parent().unwrap()), 0o700, "{}", file.display());
        }
        assert_eq!(mode(&data.join("payload.key")), 0o600);
    }
    dk.stop().await;
    no.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}
