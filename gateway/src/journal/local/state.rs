//! The state: sled trees built from the log, how each record applies to
//! them, and replay on start.
//!
//! The trees hold values in their stored form ([`codec`]): what indexes
//! and queues need is clear, everything that identifies a person sealed.
//! Applying a record never opens a sealed value; reading a copy or a
//! message for a caller does.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use borderpost_core::Status;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::super::codec::{self, Fields, StoredCopy, StoredRecord, decode_json, encode_json};
use super::super::error::{CodecError, Corruption, Item};
use super::super::log::{self, Kind, Segment};
use super::super::{CopyId, CopyState, JournalError, MessageView};

/// The sled trees, shared by the writer (the only one who writes) and
/// readers.
pub(super) struct State {
    pub(super) db: sled::Db,
    pub(super) messages: sled::Tree,
    pub(super) payloads: sled::Tree,
    pub(super) copies: sled::Tree,
    pub(super) due: sled::Tree,
    pub(super) keys: sled::Tree,
    pub(super) idempotency: sled::Tree,
    pub(super) upstream: sled::Tree,
    pub(super) notices: sled::Tree,
    pub(super) meta: sled::Tree,
    /// Seals and opens personal fields.
    pub(super) fields: Fields,
    pub(super) writable: AtomicBool,
    pub(super) depth: [AtomicU64; 9],
    pub(super) syncs: AtomicU64,
    pub(super) appended: AtomicU64,
}

/// What an `Accept` record holds besides the sealed payload.
#[derive(Serialize, Deserialize)]
pub(super) struct AcceptBody {
    pub(super) record: StoredRecord,
    pub(super) copies: Vec<StoredCopy>,
}

/// What an `Ack` record holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct AckBody {
    pub(super) submitter: String,
    pub(super) copy: CopyId,
    pub(super) event: u32,
}

/// What the caller of `put_copy` knows of the copy's previous state.
pub(super) enum Old<'a> {
    /// Nothing: read it from the state (replay).
    Read,
    /// This (`None`: a new copy).
    Known(Option<&'a StoredCopy>),
}

const APPLIED: &[u8] = b"applied";

// === impl State ===

impl State {
    /// The trees of `db`.
    pub(super) fn open(db: sled::Db, fields: Fields) -> Result<State, JournalError> {
        Ok(State {
            messages: db.open_tree("messages")?,
            payloads: db.open_tree("payloads")?,
            copies: db.open_tree("copies")?,
            due: db.open_tree("due")?,
            keys: db.open_tree("keys")?,
            idempotency: db.open_tree("idempotency")?,
            upstream: db.open_tree("upstream")?,
            notices: db.open_tree("notices")?,
            meta: db.open_tree("meta")?,
            db,
            fields,
            writable: AtomicBool::new(true),
            depth: Default::default(),
            syncs: AtomicU64::new(0),
            appended: AtomicU64::new(0),
        })
    }

    pub(super) fn applied(&self) -> Result<u64, JournalError> {
        match self.meta.get(APPLIED)? {
            Some(v) => be_u64(&v),
            None => Ok(0),
        }
    }

    /// One copy as stored.
    pub(super) fn stored_copy(&self, id: CopyId) -> Result<Option<StoredCopy>, JournalError> {
        match self.copies.get(id.to_bytes())? {
            Some(v) => Ok(Some(decode_json(Item::Copy, &v)?)),
            None => Ok(None),
        }
    }

    /// One copy, opened.
    pub(super) fn copy(&self, id: CopyId) -> Result<Option<CopyState>, JournalError> {
        match self.stored_copy(id)? {
            Some(stored) => Ok(Some(self.fields.open_copy(&stored)?)),
            None => Ok(None),
        }
    }

    /// A message record as stored.
    pub(super) fn stored_record(&self, seq: u64) -> Result<Option<StoredRecord>, JournalError> {
        match self.messages.get(seq.to_be_bytes())? {
            Some(v) => Ok(Some(decode_json(Item::Message, &v)?)),
            None => Ok(None),
        }
    }

    /// A message and its copies, opened.
    pub(super) fn view(&self, seq: u64) -> Result<Option<MessageView>, JournalError> {
        let Some(record) = self.stored_record(seq)? else {
            return Ok(None);
        };
        let record = self.fields.open_record(record)?;
        let mut copies = Vec::with_capacity(usize::from(record.copies));
        for entry in self.copies.scan_prefix(seq.to_be_bytes()) {
            let (_, value) = entry?;
            let stored: StoredCopy = decode_json(Item::Copy, &value)?;
            copies.push(self.fields.open_copy(&stored)?);
        }
        Ok(Some(MessageView { record, copies }))
    }

    /// Counts copies per status from the state, at start.
    pub(super) fn count_depth(&self) -> Result<(), JournalError> {
        for entry in self.copies.iter() {
            let (_, value) = entry?;
            let copy: StoredCopy = decode_json(Item::Copy, &value)?;
            self.depth[status_index(copy.status)].fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Applies one record read back from the log (replay). Applying a
    /// record twice leaves the same state (records carry whole values), so
    /// replay after a crash between apply and the `applied` mark is
    /// harmless.
    fn apply(&self, seq: u64, kind: Kind, payload: &[u8]) -> Result<(), JournalError> {
        match kind {
            Kind::Accept => {
                let (body, sealed) = split_accept(payload)?;
                let body: AcceptBody = decode_json(Item::Accept, body)?;
                self.apply_accept(seq, &body, sealed)?;
            }
            Kind::Copy => {
                let copy: StoredCopy = decode_json(Item::Copy, payload)?;
                self.put_copy(&copy, Some(payload), Old::Read, None)?;
            }
            Kind::Ack => {
                let ack: AckBody = decode_json(Item::Ack, payload)?;
                self.apply_ack(&ack)?;
            }
        }
        self.mark_applied(seq)
    }

    /// A new message and its copies.
    pub(super) fn apply_accept(
        &self,
        seq: u64,
        body: &AcceptBody,
        sealed: &[u8],
    ) -> Result<(), JournalError> {
        let key = seq.to_be_bytes();
        self.messages
            .insert(key, encode_json(Item::Message, &body.record)?)?;
        self.payloads.insert(key, sealed)?;
        self.keys.insert(body.record.key.storage(), &key)?;
        if let Some(index) = &body.record.idempotency_index {
            self.idempotency.insert(index.as_bytes(), &key)?;
        }
        for copy in &body.copies {
            self.put_copy(copy, None, Old::Known(None), Some(&body.record))?;
        }
        Ok(())
    }

    /// A fetched receipt notice.
    pub(super) fn apply_ack(&self, ack: &AckBody) -> Result<(), JournalError> {
        self.notices
            .remove(notice_key(&ack.submitter, ack.copy, ack.event))?;
        Ok(())
    }

    /// Records that everything up to `seq` is in the state.
    pub(super) fn mark_applied(&self, seq: u64) -> Result<(), JournalError> {
        self.meta.insert(APPLIED, &seq.to_be_bytes())?;
        Ok(())
    }

    /// Stores `copy` (`encoded`: its JSON, if the caller has it) and moves
    /// it in the due queue, the depth counts and the notices.
    pub(super) fn put_copy(
        &self,
        copy: &StoredCopy,
        encoded: Option<&[u8]>,
        old: Old<'_>,
        record: Option<&StoredRecord>,
    ) -> Result<(), JournalError> {
        let id = copy.id.to_bytes();
        let replaced = match encoded {
            Some(json) => self.copies.insert(id, json)?,
            None => self.copies.insert(id, encode_json(Item::Copy, copy)?)?,
        };
        // The writer knows the previous state; replay reads it back.
        let read;
        let old = match old {
            Old::Known(old) => old,
            Old::Read => {
                read = replaced
                    .map(|old| decode_json::<StoredCopy>(Item::Copy, &old))
                    .transpose()?;
                read.as_ref()
            }
        };
        self.put_notices(copy, old, record)?;
        if let Some(old) = old {
            if let Some(at) = old.next_due {
                self.due.remove(due_key(at, copy.id))?;
            }
            self.depth[status_index(old.status)].fetch_sub(1, Ordering::Relaxed);
        } else {
            self.upstream.insert(
                upstream_key(&copy.route, &copy.upstream_id.to_string()),
                &id,
            )?;
        }
        if let Some(at) = copy.next_due {
            self.due.insert(due_key(at, copy.id), &[])?;
        }
        self.depth[status_index(copy.status)].fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Keeps a receipt notice for each new status event of a copy whose
    /// message's sender pulls receipts. The initial `accepted` is no news.
    fn put_notices(
        &self,
        copy: &StoredCopy,
        old: Option<&StoredCopy>,
        record: Option<&StoredRecord>,
    ) -> Result<(), JournalError> {
        let seen = old.map_or(0, |o| o.history.len());
        if copy.history.len() <= seen {
            return Ok(());
        }
        let read;
        let record = match record {
            Some(record) => record,
            None => match self.stored_record(copy.id.message)? {
                Some(record) => {
                    read = record;
                    &read
                }
                None => return Ok(()),
            },
        };
        let Some(channel) = &record.receipt_channel else {
            return Ok(());
        };
        let submitter = record.submitter.national().to_string();
        for (i, event) in copy.history.iter().enumerate().skip(seen) {
            let news = i > 0 || event.status != Status::Accepted;
            let changed = i == 0 || copy.history[i - 1].status != event.status;
            if news && changed {
                self.notices.insert(
                    notice_key(&submitter, copy.id, i as u32),
                    channel.as_bytes(),
                )?;
            }
        }
        Ok(())
    }

    /// The sequence number of an earlier message with the same idempotency
    /// key (by its index key) or message key.
    pub(super) fn earlier(
        &self,
        idempotency_index: Option<&str>,
        key: &str,
    ) -> Result<Option<u64>, JournalError> {
        if let Some(index) = idempotency_index
            && let Some(seq) = self.idempotency.get(index.as_bytes())?
        {
            return be_u64(&seq).map(Some);
        }
        match self.keys.get(key)? {
            Some(seq) => be_u64(&seq).map(Some),
            None => Ok(None),
        }
    }
}

/// Replays every log record past the state's applied position. Returns the
/// segments found and the last sequence number in the log.
pub(super) fn replay(
    state: &State,
    log_dir: &Path,
    torn_allowance: u64,
) -> Result<(Vec<Segment>, u64), JournalError> {
    let applied = state.applied()?;
    let segments = log::segments(log_dir)?;
    if let Some(first) = segments.first()
        && first.first_seq > applied + 1
    {
        return Err(Corruption::Gap {
            first: first.first_seq,
            applied,
        }
        .into());
    }
    let mut last = 0u64;
    let mut replayed = 0u64;
    let count = segments.len();
    for (i, segment) in segments.iter().enumerate() {
        log::read_segment(segment, i + 1 == count, torn_allowance, |record| {
            if last != 0 && record.seq != last + 1 {
                return Err(Corruption::OutOfOrder {
                    path: segment.path.clone(),
                    seq: record.seq,
                    after: last,
                }
                .into());
            }
            last = record.seq;
            if record.seq > applied {
                state.apply(record.seq, record.kind, &record.payload)?;
                replayed += 1;
            }
            Ok(())
        })?;
    }
    if replayed > 0 {
        tracing::info!(
            replayed,
            applied_before = applied,
            "journal replayed the log into the state"
        );
    }
    Ok((segments, last))
}

/// An `Accept` payload: its JSON length, the JSON, the sealed message.
fn split_accept(payload: &[u8]) -> Result<(&[u8], &[u8]), CodecError> {
    let truncated = CodecError::Truncated { what: Item::Accept };
    let Some((len, rest)) = payload.split_first_chunk::<4>() else {
        return Err(truncated);
    };
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(truncated);
    }
    Ok(rest.split_at(len))
}

pub(super) fn status_index(status: Status) -> usize {
    Status::ALL.iter().position(|s| *s == status).unwrap_or(0)
}

pub(super) fn due_millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn due_key(at: OffsetDateTime, id: CopyId) -> Vec<u8> {
    let mut key = due_millis(at).to_be_bytes().to_vec();
    key.extend_from_slice(&id.to_bytes());
    key
}

pub(super) fn notice_prefix(submitter: &str) -> Vec<u8> {
    let mut key = submitter.as_bytes().to_vec();
    key.push(0);
    key
}

pub(super) fn notice_key(submitter: &str, copy: CopyId, event: u32) -> Vec<u8> {
    let mut key = notice_prefix(submitter);
    key.extend_from_slice(&copy.to_bytes());
    key.extend_from_slice(&event.to_be_bytes());
    key
}

pub(super) fn upstream_key(route: &str, upstream_id: &str) -> Vec<u8> {
    let mut key = route.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(upstream_id.as_bytes());
    key
}

pub(super) fn be_u64(bytes: &[u8]) -> Result<u64, JournalError> {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| {
            CodecError::Truncated {
                what: Item::Sequence,
            }
            .into()
        })
}

/// The hex form the index trees key idempotency keys by.
pub(super) fn idempotency_index(
    fields: &Fields,
    submitter: &borderpost_core::PartyId,
    key: Option<&str>,
) -> Result<Option<String>, JournalError> {
    key.map(|k| {
        fields
            .idempotency_index(submitter, k)
            .map(|h| codec::hex(&h))
    })
    .transpose()
}
