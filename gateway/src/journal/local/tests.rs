use std::fs;

use borderpost_core::{PartyId, Recipient, Status};
use time::macros::datetime;

use super::*;
use crate::journal::NewCopy;

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("borderpost-journal-{}", Uuid::new_v4()));
    fs::create_dir_all(&dir).unwrap();
    dir
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
        let journal = LocalJournal::open(Options::new(&dir)).unwrap();
        let view = accepted(journal.submit(intake(1, b"payload-1", None)).await.unwrap());
        assert_eq!(view.copies.len(), 2);
        assert_eq!(
            journal.payload(view.record.seq).unwrap().unwrap(),
            b"payload-1"
        );
        view
    };
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
        let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
    let journal = Arc::new(LocalJournal::open(Options::new(&dir)).unwrap());
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
        let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
        Kind::Copy,
        &[b"{\"never\":\"acknowledged\"}"],
    );
    let mut bytes = fs::read(&newest.path).unwrap();
    bytes.extend_from_slice(&torn[..torn.len() / 2]);
    // The last checkpoint flushed the state; remove it so replay runs.
    fs::remove_dir_all(dir.join("state")).unwrap();
    // Keep the log complete: the shutdown checkpoint deleted nothing
    // because the writer's segment is never deleted.
    fs::write(&newest.path, &bytes).unwrap();
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
    let journal = LocalJournal::open(options.clone()).unwrap();
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
    let journal = LocalJournal::open(options).unwrap();
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
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
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
    let journal = LocalJournal::open(Options::new(&dir)).unwrap();
    assert_eq!(journal.notices(&sender, None, 10).unwrap(), [notices[1]]);
    drop(journal);
    fs::remove_dir_all(dir).unwrap();
}
