use std::collections::HashMap;
use std::fs;
use std::path::Path;

use borderpost_core::{PartyId, Recipient, Status};
use time::macros::datetime;
use uuid::Uuid;

use super::*;
use crate::journal::{Change, FormatError, NewCopy};

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("borderpost-journal-{}", Uuid::new_v4()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn key() -> PayloadKey {
    PayloadKey::from_bytes([0x42; 32])
}

fn open(dir: &Path) -> LocalJournal {
    LocalJournal::open(Options::new(dir), key()).unwrap()
}

fn intake(id: u128, body: &[u8], idem: Option<&str>) -> Intake {
    let sender: PartyId = "dk-cvr:55133018".parse().unwrap();
    let mut hash = [0u8; 32];
    hash[..body.len().min(32)].copy_from_slice(&body[..body.len().min(32)]);
    Intake {
        key: MessageKey::new(&sender, Uuid::from_u128(id)),
        submitter: sender,
        idempotency_key: idem.map(str::to_owned),
        body_hash: hash,
        source_protocol: "canonical".to_owned(),
        received_at: datetime!(2026-11-25 12:00 UTC),
        sealed_payload: body.to_vec(),
        receipt_channel: None,
        copies: vec![
            NewCopy {
                recipient: Recipient::with_id("dk-cpr:0707614285".parse().unwrap()),
                country: Some(borderpost_core::Country::Dk),
                route: "dk".to_owned(),
                upstream_id: Uuid::from_u128(id << 8),
                upstream_id_if_taken: Uuid::from_u128((id << 8) | 0x80),
                status: Status::Accepted,
                note: None,
            },
            NewCopy {
                recipient: Recipient::with_id("no-fnr:31129956715".parse().unwrap()),
                country: Some(borderpost_core::Country::No),
                route: "no".to_owned(),
                upstream_id: Uuid::from_u128((id << 8) | 1),
                upstream_id_if_taken: Uuid::from_u128((id << 8) | 0x81),
                status: Status::Accepted,
                note: None,
            },
        ],
    }
}

fn accepted(outcome: IntakeOutcome) -> MessageView {
    match outcome {
        IntakeOutcome::Accepted(view) => view,
        other => panic!("expected Accepted, got {other:?}"),
    }
}

#[tokio::test]
async fn accepts_and_survives_a_restart() {
    let dir = tempdir();
    let view = {
        let journal = open(&dir);
        let view = accepted(journal.submit(intake(1, b"payload-1", None)).await.unwrap());
        assert_eq!(view.copies.len(), 2);
        assert_eq!(
            journal.payload(view.record.seq).unwrap().unwrap(),
            b"payload-1"
        );
        view
    };
    let journal = open(&dir);
    let again = journal.message(&view.record.key).unwrap().unwrap();
    assert_eq!(again, view);
    let due = journal.due(datetime!(2026-11-25 12:00 UTC), 10).unwrap();
    assert_eq!(due, [view.copies[0].id, view.copies[1].id]);
    assert!(
        journal
            .due(datetime!(2026-11-25 11:59 UTC), 10)
            .unwrap()
            .is_empty()
    );
    let upstream = view.copies[1].upstream_id.to_string();
    assert_eq!(
        journal.copy_by_upstream_id("no", &upstream).unwrap(),
        Some(view.copies[1].id)
    );
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn duplicates_answer_as_before_and_conflicts_are_refused() {
    let dir = tempdir();
    let journal = open(&dir);
    let first = accepted(journal.submit(intake(1, b"same", None)).await.unwrap());
    match journal.submit(intake(1, b"same", None)).await.unwrap() {
        IntakeOutcome::Duplicate(view) => assert_eq!(view, first),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        journal.submit(intake(1, b"different", None)).await.unwrap(),
        IntakeOutcome::Conflict(_)
    ));
    // The same idempotency key wins over a different message id.
    let keyed = accepted(
        journal
            .submit(intake(2, b"keyed", Some("k-1")))
            .await
            .unwrap(),
    );
    match journal
        .submit(intake(3, b"keyed", Some("k-1")))
        .await
        .unwrap()
    {
        IntakeOutcome::Duplicate(view) => assert_eq!(view.record.seq, keyed.record.seq),
        other => panic!("{other:?}"),
    }
    // Duplicates inside one batch are caught too.
    let (a, b) = tokio::join!(
        journal.submit(intake(9, b"racing", None)),
        journal.submit(intake(9, b"racing", None))
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, IntakeOutcome::Accepted(_)))
            .count(),
        1
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, IntakeOutcome::Duplicate(_)))
            .count(),
        1
    );
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn copies_move_forward_only_and_leave_the_due_queue() {
    let dir = tempdir();
    let journal = open(&dir);
    let view = accepted(journal.submit(intake(1, b"x", None)).await.unwrap());
    let id = view.copies[0].id;
    let retry_at = datetime!(2026-11-25 12:05 UTC);
    let state = journal
        .update(CopyUpdate {
            copy: id,
            at: datetime!(2026-11-25 12:01 UTC),
            change: Change::AttemptFailed {
                error: "upstream 503".into(),
                retry_at,
            },
        })
        .await
        .unwrap();
    assert_eq!((state.attempts, state.next_due), (1, Some(retry_at)));
    assert_eq!(
        journal.due(datetime!(2026-11-25 12:01 UTC), 10).unwrap(),
        [view.copies[1].id]
    );
    let status = |status| CopyUpdate {
        copy: id,
        at: datetime!(2026-11-25 12:06 UTC),
        change: Change::Status {
            status,
            note: None,
            receipt: None,
            reported_at: None,
            attempt: false,
        },
    };
    journal.update(status(Status::Forwarded)).await.unwrap();
    journal.update(status(Status::Delivered)).await.unwrap();
    let refused = journal.update(status(Status::Forwarded)).await.unwrap_err();
    assert!(
        matches!(refused, JournalError::Transition { .. }),
        "{refused}"
    );
    let copy = journal.copy(id).unwrap().unwrap();
    assert_eq!(copy.status, Status::Delivered);
    assert_eq!(
        copy.history.iter().map(|e| e.status).collect::<Vec<_>>(),
        [Status::Accepted, Status::Forwarded, Status::Delivered]
    );
    assert!(journal.due(datetime!(2027-01-01 00:00 UTC), 10).unwrap() == [view.copies[1].id]);
    let depth: HashMap<Status, u64> = journal.depth().into_iter().collect();
    assert_eq!(
        (depth[&Status::Accepted], depth[&Status::Delivered]),
        (1, 1)
    );
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn copies_keep_the_upstream_id_intake_gave_them_unless_another_message_holds_it() {
    let dir = tempdir();
    let first = {
        let journal = LocalJournal::open(Options::new(&dir), key()).unwrap();
        let first = accepted(journal.submit(intake(1, b"first", None)).await.unwrap());
        assert_eq!(
            first
                .copies
                .iter()
                .map(|c| c.upstream_id)
                .collect::<Vec<_>>(),
            [Uuid::from_u128(1 << 8), Uuid::from_u128((1 << 8) | 1)]
        );
        first
    };
    // Another sender's message whose copy to Denmark would get the same id
    // (it used the same message id): that copy takes its sender-scoped id;
    // its copy to Norway, whose id is free, keeps the one intake gave.
    let journal = LocalJournal::open(Options::new(&dir), key()).unwrap();
    let mut other = intake(2, b"second", None);
    other.key = MessageKey::new(&"dk-cvr:13748136".parse().unwrap(), Uuid::from_u128(2));
    other.copies[0].upstream_id = first.copies[0].upstream_id;
    let second = accepted(journal.submit(other).await.unwrap());
    assert_eq!(
        second
            .copies
            .iter()
            .map(|c| c.upstream_id)
            .collect::<Vec<_>>(),
        [
            Uuid::from_u128((2 << 8) | 0x80),
            Uuid::from_u128((2 << 8) | 1)
        ]
    );
    // Receipts find each copy by its own id.
    for copy in first.copies.iter().chain(&second.copies) {
        assert_eq!(
            journal
                .copy_by_upstream_id(&copy.route, &copy.upstream_id.to_string())
                .unwrap(),
            Some(copy.id)
        );
    }
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn history_stays_in_causal_order_whatever_the_clocks_say() {
    let dir = tempdir();
    let journal = LocalJournal::open(Options::new(&dir), key()).unwrap();
    let view = accepted(journal.submit(intake(1, b"clocks", None)).await.unwrap());
    let id = view.copies[0].id;
    let update = |at, status, reported_at| CopyUpdate {
        copy: id,
        at,
        change: Change::Status {
            status,
            note: None,
            receipt: None,
            reported_at,
            attempt: false,
        },
    };
    let forwarded = datetime!(2026-11-25 12:06 UTC);
    journal
        .update(update(forwarded, Status::Forwarded, None))
        .await
        .unwrap();
    // Stamped before the forward (it waited for the writer behind it), and
    // reported by a national system whose clock is an hour behind.
    let reported = datetime!(2026-11-25 11:06 UTC);
    let copy = journal
        .update(update(
            datetime!(2026-11-25 12:05 UTC),
            Status::Delivered,
            Some(reported),
        ))
        .await
        .unwrap();
    let last = copy.history.last().unwrap();
    assert_eq!(
        (last.status, last.at, last.reported_at),
        (Status::Delivered, forwarded, Some(reported))
    );
    assert!(copy.history.windows(2).all(|w| w[0].at <= w[1].at));
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_syncs() {
    let dir = tempdir();
    let journal = Arc::new(open(&dir));
    let tasks: Vec<_> = (0..256u128)
        .map(|i| {
            let journal = Arc::clone(&journal);
            tokio::spawn(async move { journal.submit(intake(1000 + i, b"concurrent", None)).await })
        })
        .collect();
    for task in tasks {
        accepted(task.await.unwrap().unwrap());
    }
    let (syncs, appended) = journal.sync_stats().unwrap();
    assert_eq!(appended, 256);
    assert!(
        syncs < appended,
        "group commit: {syncs} syncs for {appended} appends"
    );
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_torn_tail_is_dropped_and_the_state_rebuilt_from_the_log() {
    let dir = tempdir();
    let first = {
        let journal = open(&dir);
        accepted(journal.submit(intake(1, b"kept", None)).await.unwrap())
    };
    // Tear a half-written record onto the end of the newest segment, and
    // throw the state away: everything must come back from the log.
    let segments = log::segments(&dir.join("log")).unwrap();
    let newest = segments.last().unwrap();
    let mut torn = Vec::new();
    log::encode(
        &mut torn,
        first.record.seq + 1,
        log::Kind::Copy,
        &[b"{\"never\":\"acknowledged\"}"],
        MAX_RECORD_BYTES,
    )
    .unwrap();
    let mut bytes = fs::read(&newest.path).unwrap();
    bytes.extend_from_slice(&torn[..torn.len() / 2]);
    // The last checkpoint flushed the state; remove it so replay runs.
    fs::remove_dir_all(dir.join("state")).unwrap();
    // Keep the log complete: the shutdown checkpoint deleted nothing
    // because the writer's segment is never deleted.
    fs::write(&newest.path, &bytes).unwrap();
    let journal = open(&dir);
    let again = journal.message(&first.record.key).unwrap().unwrap();
    assert_eq!(again, first);
    // New appends continue after the dropped record's number.
    let second = accepted(journal.submit(intake(2, b"after", None)).await.unwrap());
    assert_eq!(second.record.seq, first.record.seq + 1);
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn checkpoints_delete_covered_segments() {
    let dir = tempdir();
    let mut options = Options::new(&dir);
    options.segment_bytes = 512;
    let journal = LocalJournal::open(options.clone(), key()).unwrap();
    for i in 0..50u128 {
        accepted(
            journal
                .submit(intake(i + 1, &[b'x'; 64], None))
                .await
                .unwrap(),
        );
    }
    let before = log::segments(&dir.join("log")).unwrap().len();
    journal.checkpoint().await.unwrap();
    let after = log::segments(&dir.join("log")).unwrap().len();
    assert!(
        before > 5 && after < before,
        "{before} segments before, {after} after"
    );
    drop(journal);
    let journal = LocalJournal::open(options, key()).unwrap();
    assert!(
        journal
            .message(&MessageKey::new(
                &"dk-cvr:55133018".parse().unwrap(),
                Uuid::from_u128(1)
            ))
            .unwrap()
            .is_some()
    );
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn senders_that_pull_receipts_get_notices_until_they_take_them() {
    let dir = tempdir();
    let journal = open(&dir);
    let sender: PartyId = "dk-cvr:55133018".parse().unwrap();
    let mut pulled = intake(1, b"pull", None);
    pulled.receipt_channel = Some("kanal-a".to_owned());
    let view = accepted(journal.submit(pulled).await.unwrap());
    accepted(journal.submit(intake(2, b"push", None)).await.unwrap());
    // Acceptance itself is no news.
    assert!(journal.notices(&sender, None, 10).unwrap().is_empty());
    let id = view.copies[0].id;
    for status in [Status::Forwarded, Status::Delivered] {
        journal
            .update(CopyUpdate {
                copy: id,
                at: datetime!(2026-11-25 12:01 UTC),
                change: Change::Status {
                    status,
                    note: None,
                    receipt: None,
                    reported_at: None,
                    attempt: false,
                },
            })
            .await
            .unwrap();
    }
    let notices = journal.notices(&sender, Some("KANAL-A"), 10).unwrap();
    assert_eq!(
        notices,
        [Notice { copy: id, event: 1 }, Notice { copy: id, event: 2 }]
    );
    assert!(
        journal
            .notices(&sender, Some("other"), 10)
            .unwrap()
            .is_empty()
    );
    assert!(journal.ack_notice(&sender, notices[0]).await.unwrap());
    assert!(!journal.ack_notice(&sender, notices[0]).await.unwrap());
    drop(journal);
    // Taking a notice is durable.
    let journal = open(&dir);
    assert_eq!(journal.notices(&sender, None, 10).unwrap(), [notices[1]]);
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

// === personal data at rest ===

/// What must never be found in clear under the journal directory, one
/// distinct value per sealed field.
const CPR: &str = "0707614285";
const NAME: &str = "Karen Margrethe Jensen";
const STREET: &str = "Vesterbrogade 12";
const IDEMPOTENCY_KEY: &str = "brev-2026-AB7781";
const ERROR: &str = "postkassen er utilgængelig";
const NOTE: &str = "læst af modtageren kl. 09:14";
const RECEIPT: &str = "<Kvittering><Status>MODTAGER-LAESTE-7781</Status></Kvittering>";

fn personal_intake(id: u128) -> Intake {
    let mut message = intake(id, b"sealed-by-intake", Some(IDEMPOTENCY_KEY));
    let mut recipient = Recipient::with_id(format!("dk-cpr:{CPR}").parse().unwrap());
    recipient.name = Some(NAME.to_owned());
    recipient.address = Some(borderpost_core::PostalAddress {
        lines: vec![STREET.to_owned()],
        postcode: Some("1620".to_owned()),
        city: Some("København V".to_owned()),
        country: "DK".to_owned(),
    });
    message.copies[0].recipient = recipient;
    message.receipt_channel = Some("kanal-a".to_owned());
    message
}

/// Every needle found in any file under `dir`, with the file.
fn scan(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(scan(&path));
            continue;
        }
        let bytes = fs::read(&path).unwrap();
        for needle in [CPR, NAME, STREET, IDEMPOTENCY_KEY, ERROR, NOTE, RECEIPT] {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push((needle.to_owned(), path.clone()));
            }
        }
    }
    found
}

#[cfg(unix)]
fn assert_owner_only(dir: &Path) {
    let modes = files::tests::modes(dir);
    assert!(modes.len() > 5, "{modes:?}");
    for (path, mode) in modes {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:04o}", path.display());
    }
}

#[tokio::test]
async fn nothing_that_identifies_a_person_is_stored_in_clear() {
    let dir = tempdir();
    let journal = open(&dir);
    let view = accepted(journal.submit(personal_intake(1)).await.unwrap());
    let id = view.copies[0].id;
    let at = datetime!(2026-11-25 12:01 UTC);
    let changes = [
        Change::AttemptFailed {
            error: ERROR.to_owned(),
            retry_at: at,
        },
        Change::Status {
            status: Status::Delivered,
            note: Some("delivered".to_owned()),
            receipt: None,
            reported_at: None,
            attempt: true,
        },
        Change::Status {
            status: Status::Read,
            note: Some(NOTE.to_owned()),
            receipt: Some(borderpost_core::NativeReceipt {
                protocol: "dk-memo-receipt".to_owned(),
                media_type: "application/xml".to_owned(),
                body: RECEIPT.to_owned(),
            }),
            reported_at: None,
            attempt: false,
        },
    ];
    for change in changes {
        journal
            .update(CopyUpdate {
                copy: id,
                at,
                change,
            })
            .await
            .unwrap();
    }
    // Everything is on disk: the log synced, the state flushed.
    journal.checkpoint().await.unwrap();
    assert_eq!(scan(&dir), []);
    #[cfg(unix)]
    assert_owner_only(&dir);

    // The journal still reads it all back, opened.
    let copy = journal.copy(id).unwrap().unwrap();
    assert_eq!(copy.recipient.name.as_deref(), Some(NAME));
    assert_eq!(copy.last_error.as_deref(), Some(ERROR));
    let read = copy.history.last().unwrap();
    assert_eq!(read.note.as_deref(), Some(NOTE));
    assert_eq!(read.receipt.as_ref().unwrap().body, RECEIPT);
    let sender: PartyId = "dk-cvr:55133018".parse().unwrap();
    assert_eq!(
        journal.notices(&sender, Some("kanal-a"), 10).unwrap().len(),
        2
    );
    drop(journal);
    assert_eq!(scan(&dir), []);

    // After the state is rebuilt from the log alone (the first journal's
    // segment is whole: the writer's own segment is never deleted), and
    // after a plain restart, look-ups by identifier still work: the message
    // key, the upstream id, and the idempotency key (by its keyed hash).
    for rebuild in [true, false] {
        if rebuild {
            fs::remove_dir_all(dir.join("state")).unwrap();
        }
        let journal = open(&dir);
        let again = journal.message(&view.record.key).unwrap().unwrap();
        assert_eq!(again.copies[0], copy, "rebuild: {rebuild}");
        assert_eq!(
            again.record.idempotency_key.as_deref(),
            Some(IDEMPOTENCY_KEY)
        );
        assert_eq!(
            journal
                .copy_by_upstream_id("dk", &copy.upstream_id.to_string())
                .unwrap(),
            Some(id)
        );
        // Another message id with the same idempotency key and body is the
        // first message again.
        match journal.submit(personal_intake(2)).await.unwrap() {
            IntakeOutcome::Duplicate(first) => assert_eq!(first.record.seq, view.record.seq),
            other => panic!("rebuild {rebuild}: {other:?}"),
        }
        journal.checkpoint().await.unwrap();
        drop(journal);
        assert_eq!(scan(&dir), [], "rebuild: {rebuild}");
        #[cfg(unix)]
        assert_owner_only(&dir);
    }
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn another_key_and_an_earlier_format_are_refused_at_start() {
    let dir = tempdir();
    drop(open(&dir));
    let wrong = LocalJournal::open(Options::new(&dir), PayloadKey::from_bytes([7; 32]))
        .err()
        .unwrap();
    assert!(matches!(wrong, JournalError::WrongKey { .. }), "{wrong}");
    assert_eq!(wrong.fault(), crate::journal::Fault::Key);
    // A journal another version marked.
    fs::write(dir.join("format"), "borderpost-journal 3\n").unwrap();
    let other = LocalJournal::open(Options::new(&dir), key()).err().unwrap();
    assert!(
        matches!(other, JournalError::Format(FormatError::Unknown { .. })),
        "{other}"
    );
    fs::remove_dir_all(&dir).unwrap();

    // A journal of the earlier format: a log and a state, no marker.
    let earlier = tempdir();
    fs::create_dir_all(earlier.join("log")).unwrap();
    fs::write(earlier.join("log").join(format!("{:020}.log", 1)), b"BP").unwrap();
    let refused = LocalJournal::open(Options::new(&earlier), key())
        .err()
        .unwrap();
    assert!(
        matches!(refused, JournalError::Format(FormatError::Earlier { .. })),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("journal format 1"),
        "{refused}"
    );
    assert_eq!(refused.fault(), crate::journal::Fault::Format);
    // Nothing was changed: the old log is still there, unmarked.
    assert!(!earlier.join("format").exists());
    assert_eq!(
        fs::read(earlier.join("log").join(format!("{:020}.log", 1))).unwrap(),
        b"BP"
    );
    fs::remove_dir_all(earlier).unwrap();
}

// === record limits ===

/// The bytes of every log segment, concatenated.
fn log_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for segment in log::segments(&dir.join("log")).unwrap() {
        out.extend(fs::read(segment.path).unwrap());
    }
    out
}

#[tokio::test]
async fn a_record_over_the_limit_is_refused_before_anything_is_written() {
    let dir = tempdir();
    let mut options = Options::new(&dir);
    options.max_record_bytes = 16 * 1024;
    let journal = LocalJournal::open(options.clone(), key()).unwrap();
    let first = accepted(journal.submit(intake(1, b"small", None)).await.unwrap());
    let before = log_bytes(&dir);
    let refused = journal
        .submit(intake(2, &vec![b'x'; 16 * 1024], None))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, JournalError::TooLarge { limit, .. } if limit == 16 * 1024),
        "{refused}"
    );
    assert_eq!(refused.fault(), crate::journal::Fault::Refused);
    assert_eq!(
        log_bytes(&dir),
        before,
        "nothing of the refused record was written"
    );
    assert!(journal.is_writable());
    // An update that would grow a copy past the limit is refused the same
    // way, and the copy stays as it was.
    let id = first.copies[0].id;
    let huge_receipt = CopyUpdate {
        copy: id,
        at: datetime!(2026-11-25 12:01 UTC),
        change: Change::Note {
            note: "notification failed".to_owned(),
            receipt: Some(borderpost_core::NativeReceipt {
                protocol: "dk-memo-receipt".to_owned(),
                media_type: "application/xml".to_owned(),
                body: "y".repeat(16 * 1024),
            }),
            reported_at: None,
        },
    };
    assert!(matches!(
        journal.update(huge_receipt).await,
        Err(JournalError::TooLarge { .. })
    ));
    assert_eq!(log_bytes(&dir), before);
    assert_eq!(journal.copy(id).unwrap().unwrap(), first.copies[0]);
    // The journal goes on, with no gap in the sequence.
    let next = accepted(journal.submit(intake(3, b"after", None)).await.unwrap());
    assert_eq!(next.record.seq, first.record.seq + 1);
    drop(journal);
    // Nothing refused comes back after a restart (the log replays whole).
    fs::remove_dir_all(dir.join("state")).unwrap();
    let journal = LocalJournal::open(options, key()).unwrap();
    let sender: PartyId = "dk-cvr:55133018".parse().unwrap();
    assert!(
        journal
            .message(&MessageKey::new(&sender, Uuid::from_u128(2)))
            .unwrap()
            .is_none()
    );
    assert!(
        journal
            .message(&MessageKey::new(&sender, Uuid::from_u128(3)))
            .unwrap()
            .is_some()
    );
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}

/// The largest text a validated field may hold, in the widest characters
/// (four bytes in UTF-8, unescaped in JSON).
fn widest(chars: usize) -> String {
    "😀".repeat(chars)
}

#[tokio::test]
async fn the_biggest_message_the_limits_allow_is_written_and_read_back() {
    use borderpost_core::canonical::MAX_TEXT_CHARS;
    use borderpost_core::{Limits, PostalAddress, Postbox};

    // Small limits, so the bound is small enough to write here; the log's
    // limit is lowered to exactly that bound.
    let limits = Limits {
        max_body_bytes: 20 * 1024,
        max_recipients: 4,
        max_documents: 2,
        max_document_bytes: 8 * 1024,
        max_depth: 32,
    };
    let route = "route-with-a-long-name";
    let bound = crate::journal::accept_record_bound(&limits, 0, route.len());
    let dir = tempdir();
    let mut options = Options::new(&dir);
    options.max_record_bytes = bound;
    let journal = LocalJournal::open(options, key()).unwrap();

    // Every recipient as large as validation lets it be, every copy
    // refused with a note, the idempotency key at its longest, and the
    // sealed message as large as the bound says it can be.
    let mut message = intake(1, b"x", Some(&"k".repeat(255)));
    // An ICD Borderpost has no national rule for takes 35 characters.
    let iso = |value: &str| format!("iso6523:9999:{value}").parse::<PartyId>().unwrap();
    message.copies = (0..limits.max_recipients)
        .map(|i| NewCopy {
            recipient: Recipient {
                id: Some(iso("12345678901234567890123456789012345")),
                name: Some(widest(MAX_TEXT_CHARS)),
                address: Some(PostalAddress {
                    lines: vec![widest(100); 6],
                    postcode: Some(widest(20)),
                    city: Some(widest(80)),
                    country: "DK".to_owned(),
                }),
                postbox: Some(Postbox {
                    country: borderpost_core::Country::Dk,
                    address: widest(100),
                    provider: Some(iso("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678")),
                }),
            },
            country: Some(borderpost_core::Country::Dk),
            route: route.to_owned(),
            status: Status::Rejected,
            note: Some("the recipient names no country Borderpost delivers to".to_owned()),
            upstream_id: Uuid::from_u128(i as u128),
            upstream_id_if_taken: Uuid::from_u128(i as u128 | 1 << 64),
        })
        .collect();
    let decoded = limits
        .max_body_bytes
        .min(limits.max_documents as u64 * limits.max_document_bytes);
    let payload = 6 * limits.max_body_bytes as usize
        + (decoded as usize).div_ceil(3) * 4
        + crate::journal::SEAL_OVERHEAD;
    message.sealed_payload = vec![b'p'; payload];
    let view = accepted(journal.submit(message).await.unwrap());
    drop(journal);

    // Read back from the log alone.
    fs::remove_dir_all(dir.join("state")).unwrap();
    let journal = open(&dir);
    let again = journal.message(&view.record.key).unwrap().unwrap();
    assert_eq!(again, view);
    assert_eq!(
        journal.payload(view.record.seq).unwrap().unwrap().len(),
        payload
    );
    drop(journal);
    let segment = log_bytes(&dir);
    assert!(
        segment.len() as u64 <= bound + log::HEADER as u64,
        "{} bytes written for a bound of {bound}",
        segment.len()
    );
    fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_past_its_byte_limit_is_committed_in_chunks() {
    // With a one-byte batch limit every record is its own write and sync:
    // what a crash can tear off the log is never more than one record.
    let dir = tempdir();
    let mut options = Options::new(&dir);
    options.max_batch_bytes = 1;
    let journal = Arc::new(LocalJournal::open(options, key()).unwrap());
    let tasks: Vec<_> = (0..64u128)
        .map(|i| {
            let journal = Arc::clone(&journal);
            tokio::spawn(async move { journal.submit(intake(1 + i, b"chunked", None)).await })
        })
        .collect();
    for task in tasks {
        accepted(task.await.unwrap().unwrap());
    }
    assert_eq!(journal.sync_stats(), Some((64, 64)));
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}
