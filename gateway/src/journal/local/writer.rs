//! The one thread that appends: it takes every waiting request, encodes
//! (and seals) their records, writes and `fdatasync`s them together, applies
//! them to the state, and only then answers.
//!
//! One write is at most `max_batch_bytes` plus one record: a batch whose
//! records grow past that is committed in chunks, so what a crash can tear
//! off the end of the log is bounded (see [`torn_allowance`]).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use borderpost_core::{Event, Status};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::super::bound::MAX_RECORD_BYTES;
use super::super::codec::{Fields, StoredCopy, encode_json, hex};
use super::super::error::Item;
use super::super::log::{self, HEADER, Kind, Segment};
use super::super::{
    Change, CopyId, CopyState, CopyUpdate, Intake, JournalError, MessageRecord, MessageView, files,
};
use super::state::{AcceptBody, AckBody, Old, State, idempotency_index, notice_key, upstream_key};
use super::{Request, Submitted};

/// The most bytes a crash can leave torn at the end of the log: one write,
/// which is at most `max_batch_bytes` and one more record.
pub(super) fn torn_allowance(max_batch_bytes: usize) -> u64 {
    (max_batch_bytes as u64)
        .saturating_add(HEADER as u64)
        .saturating_add(MAX_RECORD_BYTES)
}

/// The writer thread's state: it owns the open segment and is the only
/// writer of the state.
pub(super) struct Writer {
    pub(super) state: Arc<State>,
    pub(super) log: log::Writer,
    pub(super) log_dir: PathBuf,
    pub(super) state_dir: PathBuf,
    pub(super) closed: Vec<Segment>,
    pub(super) next_seq: u64,
    pub(super) max_batch_bytes: usize,
    pub(super) max_record_bytes: u64,
    pub(super) checkpoint_every: Duration,
    pub(super) last_checkpoint: Instant,
    /// Why appends stopped, once a write, sync or apply failed.
    pub(super) stopped: Option<Arc<JournalError>>,
}

/// Records encoded for one write, and what is owed once they are durable.
#[derive(Default)]
struct Chunk {
    buf: Vec<u8>,
    records: u64,
    effects: Vec<Effect>,
    owed: Vec<Owed>,
}

/// An answer owed once the chunk is durable.
// Lives only in one chunk's Vec on the writer thread: boxing the large
// variant would cost an allocation per update for no memory saved.
#[allow(clippy::large_enum_variant)]
enum Owed {
    Submit(oneshot::Sender<Result<Submitted, JournalError>>, Submitted),
    Update(
        oneshot::Sender<Result<StoredCopy, JournalError>>,
        StoredCopy,
    ),
    Ack(oneshot::Sender<Result<bool, JournalError>>),
}

/// A change to the state, applied once its record is durable.
// Lives only in one chunk's Vec on the writer thread (like `Owed`).
#[allow(clippy::large_enum_variant)]
enum Effect {
    Accept(u64, AcceptBody, Vec<u8>),
    Copy {
        state: StoredCopy,
        old: StoredCopy,
        json: Vec<u8>,
    },
    Ack(AckBody),
}

/// What this batch has made (or is making) durable, so repeats inside one
/// batch are caught before the state has them.
#[derive(Default)]
struct Seen {
    /// Message keys and idempotency index keys: sequence number and body
    /// hash.
    keys: HashMap<String, (u64, [u8; 32])>,
    idempotency: HashMap<String, (u64, [u8; 32])>,
    copies: HashMap<CopyId, StoredCopy>,
    /// Upstream ids given out in this batch, not yet in the state.
    upstream_ids: HashSet<Vec<u8>>,
}

enum Prepared {
    New,
    Duplicate(u64),
    Conflict,
}

// === impl Writer ===

impl Writer {
    pub(super) fn run(&mut self, mut rx: mpsc::Receiver<Request>) {
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            let mut bytes = 0usize;
            while bytes < self.max_batch_bytes {
                match rx.try_recv() {
                    Ok(request) => {
                        if let Request::Submit(intake, _) = &request {
                            bytes += intake.sealed_payload.len();
                        }
                        batch.push(request);
                    }
                    Err(_) => break,
                }
            }
            self.process(batch);
            if self.last_checkpoint.elapsed() >= self.checkpoint_every {
                self.checkpoint();
            }
        }
        // Shutting down: leave the state flushed so the next start replays
        // little.
        self.checkpoint();
    }

    fn fields(&self) -> &Fields {
        &self.state.fields
    }

    fn process(&mut self, batch: Vec<Request>) {
        let mut chunk = Chunk::default();
        let mut seen = Seen::default();
        let mut checkpoints = Vec::new();
        for request in batch {
            if let Some(cause) = &self.stopped {
                fail(request, cause);
                continue;
            }
            match request {
                Request::Checkpoint(done) => checkpoints.push(done),
                Request::Submit(intake, reply) => self.submit(intake, reply, &mut chunk, &mut seen),
                Request::Ack(ack, reply) => self.ack(ack, reply, &mut chunk),
                Request::Update(update, reply) => self.update(update, reply, &mut chunk, &mut seen),
            }
            if chunk.buf.len() >= self.max_batch_bytes {
                self.commit(std::mem::take(&mut chunk));
            }
        }
        self.commit(chunk);
        if !checkpoints.is_empty() {
            self.checkpoint();
            for done in checkpoints {
                let _ = done.send(());
            }
        }
    }

    fn submit(
        &mut self,
        intake: Intake,
        reply: oneshot::Sender<Result<Submitted, JournalError>>,
        chunk: &mut Chunk,
        seen: &mut Seen,
    ) {
        let index = match idempotency_index(
            self.fields(),
            &intake.submitter,
            intake.idempotency_key.as_deref(),
        ) {
            Ok(index) => index,
            Err(e) => return drop(reply.send(Err(e))),
        };
        match self.prepare_submit(&intake, index.as_deref(), seen) {
            Err(e) => drop(reply.send(Err(e))),
            Ok(Prepared::Conflict) => drop(reply.send(Ok(Submitted::Conflict(intake.key)))),
            Ok(Prepared::Duplicate(seq)) => chunk
                .owed
                .push(Owed::Submit(reply, Submitted::Duplicate(seq))),
            Ok(Prepared::New) => {
                let seq = self.next_seq;
                match self.encode_submit(seq, intake, &mut seen.upstream_ids, &mut chunk.buf) {
                    Ok((body, sealed, view, hash)) => {
                        self.next_seq += 1;
                        seen.keys.insert(view.record.key.storage(), (seq, hash));
                        if let Some(index) = index {
                            seen.idempotency.insert(index, (seq, hash));
                        }
                        for copy in &body.copies {
                            seen.copies.insert(copy.id, copy.clone());
                        }
                        chunk.effects.push(Effect::Accept(seq, body, sealed));
                        chunk.records += 1;
                        chunk
                            .owed
                            .push(Owed::Submit(reply, Submitted::Accepted(view)));
                    }
                    Err(e) => drop(reply.send(Err(e))),
                }
            }
        }
    }

    fn ack(
        &mut self,
        ack: AckBody,
        reply: oneshot::Sender<Result<bool, JournalError>>,
        chunk: &mut Chunk,
    ) {
        let pending =
            self.state
                .notices
                .contains_key(notice_key(&ack.submitter, ack.copy, ack.event));
        let json = match pending {
            Ok(false) => return drop(reply.send(Ok(false))),
            Ok(true) => encode_json(Item::Ack, &ack),
            Err(e) => return drop(reply.send(Err(e.into()))),
        };
        let seq = self.next_seq;
        let encoded = json.map_err(JournalError::from).and_then(|json| {
            log::encode(
                &mut chunk.buf,
                seq,
                Kind::Ack,
                &[&json],
                self.max_record_bytes,
            )
        });
        match encoded {
            Ok(()) => {
                self.next_seq += 1;
                chunk.records += 1;
                chunk.effects.push(Effect::Ack(ack));
                chunk.owed.push(Owed::Ack(reply));
            }
            Err(e) => drop(reply.send(Err(e))),
        }
    }

    fn update(
        &mut self,
        update: CopyUpdate,
        reply: oneshot::Sender<Result<StoredCopy, JournalError>>,
        chunk: &mut Chunk,
        seen: &mut Seen,
    ) {
        let current = match seen.copies.get(&update.copy) {
            Some(copy) => Ok(Some(copy.clone())),
            None => self.state.stored_copy(update.copy),
        };
        let seq = self.next_seq;
        let next = current
            .and_then(|c| c.ok_or(JournalError::UnknownCopy(update.copy)))
            .and_then(|old| {
                let state = apply_change(old.clone(), &update, self.fields())?;
                let json = encode_json(Item::Copy, &state)?;
                log::encode(
                    &mut chunk.buf,
                    seq,
                    Kind::Copy,
                    &[&json],
                    self.max_record_bytes,
                )?;
                Ok((state, old, json))
            });
        match next {
            Ok((state, old, json)) => {
                self.next_seq += 1;
                chunk.records += 1;
                seen.copies.insert(state.id, state.clone());
                chunk.owed.push(Owed::Update(reply, state.clone()));
                chunk.effects.push(Effect::Copy { state, old, json });
            }
            Err(e) => drop(reply.send(Err(e))),
        }
    }

    /// Writes and syncs `chunk`, applies it to the state, and answers its
    /// waiters. A failed write or sync stops the journal: nothing of the
    /// chunk is acknowledged.
    fn commit(&mut self, chunk: Chunk) {
        let Chunk {
            buf,
            records,
            effects,
            owed,
        } = chunk;
        if !buf.is_empty() {
            let written = self.log.write(&buf).and_then(|()| self.log.sync());
            if let Err(e) = written {
                // The segment may hold a partial write: stop taking appends
                // rather than risk acknowledging on top of it. A restart
                // recovers.
                tracing::error!(error = %e, "journal write failed; the journal stops accepting");
                let cause = self.stop(JournalError::Io(e));
                for o in owed {
                    match o {
                        Owed::Submit(reply, _) => drop(reply.send(stopped(&cause))),
                        Owed::Update(reply, _) => drop(reply.send(stopped(&cause))),
                        Owed::Ack(reply) => drop(reply.send(stopped(&cause))),
                    }
                }
                return;
            }
            self.state.syncs.fetch_add(1, Ordering::Relaxed);
            self.state.appended.fetch_add(records, Ordering::Relaxed);
            if let Err(e) = self.apply_effects(&effects) {
                // The records are durable (a restart replays them), so their
                // waiters are answered; the state is behind, so nothing more
                // is taken.
                tracing::error!(error = %e, "applying the batch to the state failed; the journal stops accepting");
                self.stop(e);
            }
        }
        for o in owed {
            match o {
                Owed::Submit(reply, answer) => drop(reply.send(Ok(answer))),
                Owed::Update(reply, state) => drop(reply.send(Ok(state))),
                Owed::Ack(reply) => drop(reply.send(Ok(true))),
            }
        }
        match self.log.rotate_if_full(self.next_seq) {
            Ok(Some(closed)) => self.closed.push(closed),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "could not start a new log segment; the journal stops accepting");
                self.stop(e);
            }
        }
    }

    fn stop(&mut self, cause: JournalError) -> Arc<JournalError> {
        self.state.writable.store(false, Ordering::Relaxed);
        let cause = Arc::new(cause);
        self.stopped = Some(Arc::clone(&cause));
        cause
    }

    /// Applies a durable chunk to the state from the values just encoded
    /// (not re-decoded from the log), through the same `State` functions
    /// replay uses; the `applied` mark moves once, to the chunk's end.
    fn apply_effects(&self, effects: &[Effect]) -> Result<(), JournalError> {
        for effect in effects {
            match effect {
                Effect::Accept(seq, body, sealed) => self.state.apply_accept(*seq, body, sealed)?,
                Effect::Copy { state, old, json } => {
                    self.state
                        .put_copy(state, Some(json), Old::Known(Some(old)), None)?
                }
                Effect::Ack(ack) => self.state.apply_ack(ack)?,
            }
        }
        self.state.mark_applied(self.next_seq - 1)
    }

    fn prepare_submit(
        &self,
        intake: &Intake,
        index: Option<&str>,
        seen: &Seen,
    ) -> Result<Prepared, JournalError> {
        let key = intake.key.storage();
        let in_batch = index
            .and_then(|index| seen.idempotency.get(index))
            .or_else(|| seen.keys.get(&key));
        if let Some((seq, hash)) = in_batch {
            return Ok(if *hash == intake.body_hash {
                Prepared::Duplicate(*seq)
            } else {
                Prepared::Conflict
            });
        }
        match self.state.earlier(index, &key)? {
            Some(seq) => {
                let Some(record) = self.state.stored_record(seq)? else {
                    return Err(super::super::error::Corruption::Missing {
                        seq,
                        what: Item::Message,
                    }
                    .into());
                };
                Ok(if record.body_hash == hex(&intake.body_hash) {
                    Prepared::Duplicate(seq)
                } else {
                    Prepared::Conflict
                })
            }
            None => Ok(Prepared::New),
        }
    }

    /// Encodes a new message's record into `buf` (or nothing, if it cannot
    /// be): the stored body, the sealed payload, the opened view for the
    /// answer, and the body hash.
    /// The upstream id of a new copy: the one intake derived, unless it
    /// already names a copy of another message on the same route (two
    /// senders used the same message id), then the sender-scoped one. Two
    /// copies must never share one: receipts find their copy by it, and
    /// the lookup before a re-send asks the upstream by it.
    fn upstream_id(
        &self,
        route: &str,
        candidates: [Uuid; 2],
        taken: &mut HashSet<Vec<u8>>,
    ) -> Result<Uuid, JournalError> {
        for (i, id) in candidates.into_iter().enumerate() {
            let key = upstream_key(route, &id.to_string());
            if !taken.contains(&key) && !self.state.upstream.contains_key(&key)? {
                if i > 0 {
                    tracing::warn!(%route, "a copy's message id is in use by another sender's message; it gets its sender-scoped id");
                }
                taken.insert(key);
                return Ok(id);
            }
        }
        // Both taken: only ids chosen to collide get here. A fresh id keeps
        // the copies apart; the journal record fixes it for every retry.
        let id = Uuid::new_v4();
        tracing::warn!(%route, "a copy's derived ids are both in use; it gets a random id");
        taken.insert(upstream_key(route, &id.to_string()));
        Ok(id)
    }

    fn encode_submit(
        &self,
        seq: u64,
        intake: Intake,
        taken: &mut HashSet<Vec<u8>>,
        buf: &mut Vec<u8>,
    ) -> Result<(AcceptBody, Vec<u8>, MessageView, [u8; 32]), JournalError> {
        let count = intake.copies.len();
        let copies = u16::try_from(count).map_err(|_| JournalError::TooManyCopies { count })?;
        let record = MessageRecord {
            seq,
            key: intake.key,
            submitter: intake.submitter,
            idempotency_key: intake.idempotency_key,
            body_hash: hex(&intake.body_hash),
            source_protocol: intake.source_protocol,
            received_at: intake.received_at,
            receipt_channel: intake.receipt_channel,
            copies,
        };
        let mut states: Vec<CopyState> = Vec::with_capacity(count);
        for (copy, index) in intake.copies.into_iter().zip(0u16..) {
            let upstream_id = self.upstream_id(
                &copy.route,
                [copy.upstream_id, copy.upstream_id_if_taken],
                taken,
            )?;
            states.push(CopyState {
                id: CopyId {
                    message: seq,
                    index,
                },
                next_due: (copy.status == Status::Accepted).then_some(intake.received_at),
                recipient: copy.recipient,
                country: copy.country,
                route: copy.route,
                upstream_id,
                status: copy.status,
                attempts: 0,
                last_error: None,
                accepted_at: intake.received_at,
                history: vec![Event {
                    at: intake.received_at,
                    reported_at: None,
                    status: copy.status,
                    note: copy.note,
                    receipt: None,
                }],
            });
        }
        let body = AcceptBody {
            record: self.fields().seal_record(&record)?,
            copies: states
                .iter()
                .map(|c| self.fields().seal_copy(c))
                .collect::<Result<_, _>>()?,
        };
        let json = encode_json(Item::Accept, &body)?;
        let json_len = u32::try_from(json.len()).map_err(|_| JournalError::TooLarge {
            size: json.len() as u64,
            limit: self.max_record_bytes,
        })?;
        log::encode(
            buf,
            seq,
            Kind::Accept,
            &[&json_len.to_le_bytes(), &json, &intake.sealed_payload],
            self.max_record_bytes,
        )?;
        let view = MessageView {
            record,
            copies: states,
        };
        Ok((body, intake.sealed_payload, view, intake.body_hash))
    }

    /// Flushes sled, makes its files durable (sled's own flush does not
    /// guarantee that, sled#1452) and owner-only, then deletes log segments
    /// the state now covers.
    pub(super) fn checkpoint(&mut self) {
        self.last_checkpoint = Instant::now();
        let applied = match self.state.applied() {
            Ok(applied) => applied,
            Err(e) => {
                tracing::warn!(error = %e, "checkpoint skipped");
                return;
            }
        };
        let durable = self
            .state
            .db
            .flush()
            .map_err(JournalError::from)
            .and_then(|_| sync_tree(&self.state_dir).map_err(JournalError::from));
        if let Err(e) = durable {
            tracing::warn!(error = %e, "checkpoint failed; old log segments are kept");
            return;
        }
        // Files sled created since the last checkpoint got default modes;
        // the 0700 directory kept them private meanwhile.
        if let Err(e) = files::tighten_tree(&self.state_dir) {
            tracing::warn!(error = %e, "could not make the state's files owner-only");
        }
        // A closed segment's records end just before the next segment's first.
        let mut ends: Vec<u64> = self.closed.iter().skip(1).map(|s| s.first_seq).collect();
        ends.push(self.log.current.first_seq);
        let mut keep = Vec::new();
        let mut removed = 0;
        for (segment, next_first) in self.closed.drain(..).zip(ends) {
            if next_first <= applied + 1 {
                match fs::remove_file(&segment.path) {
                    Ok(()) => removed += 1,
                    Err(e) => {
                        tracing::warn!(segment = %segment.path.display(), error = %e, "could not delete a log segment");
                        keep.push(segment);
                    }
                }
            } else {
                keep.push(segment);
            }
        }
        self.closed = keep;
        if removed > 0 {
            let _ = files::sync_dir(&self.log_dir);
            tracing::debug!(removed, applied, "checkpoint deleted log segments");
        }
    }
}

/// Answers `request` with the failure that stopped the journal.
fn fail(request: Request, cause: &Arc<JournalError>) {
    match request {
        Request::Submit(_, reply) => drop(reply.send(stopped(cause))),
        Request::Update(_, reply) => drop(reply.send(stopped(cause))),
        Request::Ack(_, reply) => drop(reply.send(stopped(cause))),
        Request::Checkpoint(done) => drop(done.send(())),
    }
}

fn stopped<T>(cause: &Arc<JournalError>) -> Result<T, JournalError> {
    Err(JournalError::Stopped(Arc::clone(cause)))
}

/// The copy's stored state after `update` (new personal fields sealed), or
/// why the change is not allowed. Sealed values already stored are kept as
/// they are: an event, once recorded, never changes.
fn apply_change(
    mut copy: StoredCopy,
    update: &CopyUpdate,
    fields: &Fields,
) -> Result<StoredCopy, JournalError> {
    // Updates are stamped before they wait for the writer, so two can
    // arrive in the other order: the history stays in causal order anyway.
    let at = copy
        .history
        .last()
        .map_or(update.at, |last| last.at.max(update.at));
    match &update.change {
        Change::AttemptFailed { error, retry_at } => {
            if !copy.status.awaits_delivery() {
                return Err(JournalError::Transition {
                    copy: copy.id,
                    from: copy.status,
                    to: copy.status,
                });
            }
            copy.attempts += 1;
            copy.last_error = fields.seal_last_error(copy.id, Some(error))?;
            copy.next_due = Some(*retry_at);
        }
        Change::Defer { until, reason } => {
            if !copy.status.awaits_delivery() {
                return Err(JournalError::Transition {
                    copy: copy.id,
                    from: copy.status,
                    to: copy.status,
                });
            }
            copy.last_error = fields.seal_last_error(copy.id, Some(reason))?;
            copy.next_due = Some(*until);
        }
        Change::Status {
            status,
            note,
            receipt,
            reported_at,
            attempt,
        } => {
            if !copy.status.may_become(*status) {
                return Err(JournalError::Transition {
                    copy: copy.id,
                    from: copy.status,
                    to: *status,
                });
            }
            if *attempt {
                copy.attempts += 1;
            }
            copy.status = *status;
            copy.next_due = None;
            let event = Event {
                at,
                reported_at: *reported_at,
                status: *status,
                note: note.clone(),
                receipt: receipt.clone(),
            };
            copy.history
                .push(fields.seal_event(copy.id, copy.history.len(), &event)?);
        }
        Change::Note {
            note,
            receipt,
            reported_at,
        } => {
            let event = Event {
                at,
                reported_at: *reported_at,
                status: copy.status,
                note: Some(note.clone()),
                receipt: receipt.clone(),
            };
            copy.history
                .push(fields.seal_event(copy.id, copy.history.len(), &event)?);
        }
    }
    Ok(copy)
}

/// `fsync`s every file under `dir` (sled's data files) and the directory.
fn sync_tree(dir: &std::path::Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            fs::File::open(&path)?.sync_all()?;
        }
    }
    files::sync_dir(dir)
}
