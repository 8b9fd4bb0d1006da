//! [`LocalJournal`]: the group-commit log plus sled state, on one machine.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use borderpost_core::{Event, Status};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::log::{self, Kind, Segment};
use super::{
    Change, CopyId, CopyState, CopyUpdate, Depth, Intake, IntakeOutcome, Journal, JournalError,
    MessageKey, MessageRecord, MessageView, Notice,
};
use borderpost_core::PartyId;

/// How the local journal is laid out and paced.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory holding `log/` and `state/`.
    pub dir: PathBuf,
    /// Start a new log segment after this many bytes.
    pub segment_bytes: u64,
    /// The most bytes one group commit writes.
    pub max_batch_bytes: usize,
    /// How often sled is flushed (and made durable) so that old log
    /// segments can be deleted.
    pub checkpoint_every: Duration,
    /// Appends waiting for the writer before callers wait to enqueue.
    pub queue: usize,
    /// The state's page cache, in bytes.
    pub cache_bytes: u64,
}

impl Options {
    /// Defaults for a journal in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Options {
        Options {
            dir: dir.into(),
            segment_bytes: 64 * 1024 * 1024,
            max_batch_bytes: 8 * 1024 * 1024,
            checkpoint_every: Duration::from_secs(30),
            queue: 8192,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The embedded journal.
pub struct LocalJournal {
    state: Arc<State>,
    tx: mpsc::Sender<Request>,
    writer: Option<thread::JoinHandle<()>>,
}

/// The sled trees, shared by the writer (the only one who writes) and
/// readers.
struct State {
    db: sled::Db,
    messages: sled::Tree,
    payloads: sled::Tree,
    copies: sled::Tree,
    due: sled::Tree,
    keys: sled::Tree,
    idempotency: sled::Tree,
    upstream: sled::Tree,
    notices: sled::Tree,
    meta: sled::Tree,
    writable: AtomicBool,
    depth: [AtomicU64; 9],
    syncs: AtomicU64,
    appended: AtomicU64,
}

enum Request {
    Submit(Intake, oneshot::Sender<Result<IntakeOutcome, JournalError>>),
    Update(CopyUpdate, oneshot::Sender<Result<CopyState, JournalError>>),
    Ack(AckBody, oneshot::Sender<Result<bool, JournalError>>),
    Checkpoint(oneshot::Sender<()>),
}

/// What an `Accept` record holds besides the sealed payload.
#[derive(Serialize, Deserialize)]
struct AcceptBody {
    record: MessageRecord,
    copies: Vec<CopyState>,
}

/// What an `Ack` record holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AckBody {
    submitter: String,
    copy: CopyId,
    event: u32,
}

/// What the caller of `put_copy` knows of the copy's previous state.
enum Old<'a> {
    /// Nothing: read it from the state (replay).
    Read,
    /// This (`None`: a new copy).
    Known(Option<&'a CopyState>),
}

/// A change to the state, applied once its record is durable.
// Lives only in one batch's Vec on the writer thread (like `Owed`).
#[allow(clippy::large_enum_variant)]
enum Effect {
    Accept(u64, AcceptBody, Vec<u8>),
    Copy(CopyState, CopyState),
    Ack(AckBody),
}

const APPLIED: &[u8] = b"applied";

// === impl LocalJournal ===

impl LocalJournal {
    /// Opens (or creates) the journal in `options.dir`, replays the log
    /// into the state, and starts the writer.
    pub fn open(options: Options) -> Result<LocalJournal, JournalError> {
        let log_dir = options.dir.join("log");
        let state_dir = options.dir.join("state");
        fs::create_dir_all(&log_dir)?;
        fs::create_dir_all(&state_dir)?;
        // No background flusher: the journal decides when sled flushes, from
        // one thread, so flushes are never concurrent (sled#1308).
        let db = sled::Config::new()
            .path(&state_dir)
            .flush_every_ms(None)
            .cache_capacity(options.cache_bytes)
            .open()?;
        let state = Arc::new(State {
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
            writable: AtomicBool::new(true),
            depth: Default::default(),
            syncs: AtomicU64::new(0),
            appended: AtomicU64::new(0),
        });
        state.count_depth()?;

        let (segments, last_seq) = replay(&state, &log_dir)?;
        let next_seq = last_seq.max(state.applied()?) + 1;
        let writer = log::Writer::create(&log_dir, next_seq, options.segment_bytes)?;
        let mut closed: Vec<Segment> = segments
            .into_iter()
            .filter(|s| s.path != writer.current.path)
            .collect();
        closed.sort_by_key(|s| s.first_seq);

        let (tx, rx) = mpsc::channel(options.queue);
        let mut task = Writer {
            state: Arc::clone(&state),
            log: writer,
            log_dir,
            state_dir,
            closed,
            next_seq,
            max_batch_bytes: options.max_batch_bytes,
            checkpoint_every: options.checkpoint_every,
            last_checkpoint: Instant::now(),
        };
        let writer = thread::Builder::new()
            .name("journal-writer".to_owned())
            .spawn(move || task.run(rx))?;
        tracing::info!(dir = %options.dir.display(), next_seq, "journal open");
        Ok(LocalJournal {
            state,
            tx,
            writer: Some(writer),
        })
    }

    /// Flushes the state and deletes log segments it covers (normally done
    /// on a timer by the writer); returns when done.
    pub async fn checkpoint(&self) -> Result<(), JournalError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Request::Checkpoint(done))
            .await
            .map_err(|_| JournalError::Closed)?;
        wait.await.map_err(|_| JournalError::Closed)
    }

    /// Stops the writer after the appends already queued, and waits for it.
    pub fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Dropping the only sender ends the writer's loop once the queue is
        // drained.
        let (tx, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for LocalJournal {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Journal for LocalJournal {
    fn submit(&self, intake: Intake) -> BoxFuture<'_, Result<IntakeOutcome, JournalError>> {
        async move {
            let (reply, answer) = oneshot::channel();
            self.tx
                .send(Request::Submit(intake, reply))
                .await
                .map_err(|_| JournalError::Closed)?;
            answer.await.map_err(|_| JournalError::Closed)?
        }
        .boxed()
    }

    fn update(&self, update: CopyUpdate) -> BoxFuture<'_, Result<CopyState, JournalError>> {
        async move {
            let (reply, answer) = oneshot::channel();
            self.tx
                .send(Request::Update(update, reply))
                .await
                .map_err(|_| JournalError::Closed)?;
            answer.await.map_err(|_| JournalError::Closed)?
        }
        .boxed()
    }

    fn message(&self, key: &MessageKey) -> Result<Option<MessageView>, JournalError> {
        match self.state.keys.get(key.storage())? {
            Some(seq) => self.state.view(be_u64(&seq)?),
            None => Ok(None),
        }
    }

    fn message_by_seq(&self, seq: u64) -> Result<Option<MessageView>, JournalError> {
        self.state.view(seq)
    }

    fn payload(&self, seq: u64) -> Result<Option<Vec<u8>>, JournalError> {
        Ok(self
            .state
            .payloads
            .get(seq.to_be_bytes())?
            .map(|v| v.to_vec()))
    }

    fn copy(&self, id: CopyId) -> Result<Option<CopyState>, JournalError> {
        self.state.copy(id)
    }

    fn copy_by_upstream_id(
        &self,
        route: &str,
        upstream_id: &str,
    ) -> Result<Option<CopyId>, JournalError> {
        Ok(self
            .state
            .upstream
            .get(upstream_key(route, upstream_id))?
            .and_then(|v| CopyId::from_bytes(&v)))
    }

    fn due(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<CopyId>, JournalError> {
        let mut upper = due_millis(now).to_be_bytes().to_vec();
        upper.extend_from_slice(&[0xff; 10]);
        let mut out = Vec::new();
        for entry in self.state.due.range(..=upper).take(limit) {
            let (key, _) = entry?;
            if let Some(id) = CopyId::from_bytes(&key[8..]) {
                out.push(id);
            }
        }
        Ok(out)
    }

    fn next_due(&self) -> Result<Option<OffsetDateTime>, JournalError> {
        match self.state.due.first()? {
            Some((key, _)) => {
                let millis = be_u64(&key[..8])?;
                Ok(OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok())
            }
            None => Ok(None),
        }
    }

    fn notices(
        &self,
        submitter: &PartyId,
        channel: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Notice>, JournalError> {
        let prefix = notice_prefix(&submitter.national().to_string());
        let mut out = Vec::new();
        for entry in self.state.notices.scan_prefix(&prefix) {
            let (key, value) = entry?;
            if let Some(wanted) = channel
                && !wanted.eq_ignore_ascii_case(&String::from_utf8_lossy(&value))
            {
                continue;
            }
            let Some(rest) = key.get(prefix.len()..) else {
                continue;
            };
            let (Some(copy), Some(event)) = (
                CopyId::from_bytes(rest),
                rest.get(10..14)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes),
            ) else {
                continue;
            };
            out.push(Notice { copy, event });
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    fn ack_notice(
        &self,
        submitter: &PartyId,
        notice: Notice,
    ) -> BoxFuture<'_, Result<bool, JournalError>> {
        let body = AckBody {
            submitter: submitter.national().to_string(),
            copy: notice.copy,
            event: notice.event,
        };
        async move {
            let (reply, answer) = oneshot::channel();
            self.tx
                .send(Request::Ack(body, reply))
                .await
                .map_err(|_| JournalError::Closed)?;
            answer.await.map_err(|_| JournalError::Closed)?
        }
        .boxed()
    }

    fn depth(&self) -> Depth {
        Status::ALL
            .iter()
            .zip(&self.state.depth)
            .map(|(s, n)| (*s, n.load(Ordering::Relaxed)))
            .collect()
    }

    fn sync_stats(&self) -> Option<(u64, u64)> {
        Some((
            self.state.syncs.load(Ordering::Relaxed),
            self.state.appended.load(Ordering::Relaxed),
        ))
    }

    fn is_writable(&self) -> bool {
        self.state.writable.load(Ordering::Relaxed) && !self.tx.is_closed()
    }
}

// === impl State ===

impl State {
    fn applied(&self) -> Result<u64, JournalError> {
        match self.meta.get(APPLIED)? {
            Some(v) => be_u64(&v),
            None => Ok(0),
        }
    }

    fn copy(&self, id: CopyId) -> Result<Option<CopyState>, JournalError> {
        match self.copies.get(id.to_bytes())? {
            Some(v) => Ok(Some(decode_json(&v)?)),
            None => Ok(None),
        }
    }

    fn view(&self, seq: u64) -> Result<Option<MessageView>, JournalError> {
        let Some(record) = self.messages.get(seq.to_be_bytes())? else {
            return Ok(None);
        };
        let record: MessageRecord = decode_json(&record)?;
        let mut copies = Vec::with_capacity(usize::from(record.copies));
        for entry in self.copies.scan_prefix(seq.to_be_bytes()) {
            let (_, value) = entry?;
            copies.push(decode_json(&value)?);
        }
        Ok(Some(MessageView { record, copies }))
    }

    /// Counts copies per status from the state, at start.
    fn count_depth(&self) -> Result<(), JournalError> {
        for entry in self.copies.iter() {
            let (_, value) = entry?;
            let copy: CopyState = decode_json(&value)?;
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
                let body: AcceptBody = decode_json(body)?;
                self.apply_accept(seq, &body, sealed)?;
            }
            Kind::Copy => {
                let copy: CopyState = decode_json(payload)?;
                self.put_copy(&copy, Old::Read, None)?;
            }
            Kind::Ack => {
                let ack: AckBody = decode_json(payload)?;
                self.apply_ack(&ack)?;
            }
        }
        self.mark_applied(seq)
    }

    /// A new message and its copies.
    fn apply_accept(&self, seq: u64, body: &AcceptBody, sealed: &[u8]) -> Result<(), JournalError> {
        let key = seq.to_be_bytes();
        self.messages.insert(key, encode_json(&body.record)?)?;
        self.payloads.insert(key, sealed)?;
        self.keys.insert(body.record.key.storage(), &key)?;
        if let Some(idem) = &body.record.idempotency_key {
            self.idempotency.insert(
                idempotency_key(&body.record.submitter.to_string(), idem),
                &key,
            )?;
        }
        for copy in &body.copies {
            self.put_copy(copy, Old::Known(None), Some(&body.record))?;
        }
        Ok(())
    }

    /// A fetched receipt notice.
    fn apply_ack(&self, ack: &AckBody) -> Result<(), JournalError> {
        self.notices
            .remove(notice_key(&ack.submitter, ack.copy, ack.event))?;
        Ok(())
    }

    /// Records that everything up to `seq` is in the state.
    fn mark_applied(&self, seq: u64) -> Result<(), JournalError> {
        self.meta.insert(APPLIED, &seq.to_be_bytes())?;
        Ok(())
    }

    fn put_copy(
        &self,
        copy: &CopyState,
        old: Old<'_>,
        record: Option<&MessageRecord>,
    ) -> Result<(), JournalError> {
        let id = copy.id.to_bytes();
        let replaced = self.copies.insert(id, encode_json(copy)?)?;
        // The writer knows the previous state; replay reads it back.
        let read;
        let old = match old {
            Old::Known(old) => old,
            Old::Read => {
                read = replaced
                    .map(|old| decode_json::<CopyState>(&old))
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
        copy: &CopyState,
        old: Option<&CopyState>,
        record: Option<&MessageRecord>,
    ) -> Result<(), JournalError> {
        let seen = old.map_or(0, |o| o.history.len());
        if copy.history.len() <= seen {
            return Ok(());
        }
        let record = match record {
            Some(record) => record.clone(),
            None => match self.messages.get(copy.id.message.to_be_bytes())? {
                Some(v) => decode_json(&v)?,
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

    /// The sequence number and body hash of an earlier message with the same
    /// idempotency key or message key.
    fn earlier(&self, intake: &Intake) -> Result<Option<u64>, JournalError> {
        if let Some(idem) = &intake.idempotency_key
            && let Some(seq) = self
                .idempotency
                .get(idempotency_key(&intake.submitter.to_string(), idem))?
        {
            return be_u64(&seq).map(Some);
        }
        match self.keys.get(intake.key.storage())? {
            Some(seq) => be_u64(&seq).map(Some),
            None => Ok(None),
        }
    }
}

/// Replays every log record past the state's applied position. Returns the
/// segments found and the last sequence number in the log.
fn replay(state: &State, log_dir: &Path) -> Result<(Vec<Segment>, u64), JournalError> {
    let applied = state.applied()?;
    let segments = log::segments(log_dir)?;
    if let Some(first) = segments.first()
        && first.first_seq > applied + 1
    {
        return Err(JournalError::Corrupt(format!(
            "the log starts at record {} but the state has applied only up to {applied}",
            first.first_seq
        )));
    }
    let mut last = 0u64;
    let mut replayed = 0u64;
    let count = segments.len();
    for (i, segment) in segments.iter().enumerate() {
        log::read_segment(segment, i + 1 == count, |record| {
            if last != 0 && record.seq != last + 1 {
                return Err(JournalError::Corrupt(format!(
                    "record {} follows record {last} in {}",
                    record.seq,
                    segment.path.display()
                )));
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

// === Writer ===

/// The one thread that appends: it owns the open segment and is the only
/// writer of the state.
struct Writer {
    state: Arc<State>,
    log: log::Writer,
    log_dir: PathBuf,
    state_dir: PathBuf,
    closed: Vec<Segment>,
    next_seq: u64,
    max_batch_bytes: usize,
    checkpoint_every: Duration,
    last_checkpoint: Instant,
}

/// An answer owed once the batch is durable.
// Lives only in one batch's Vec on the writer thread: boxing the large
// variant would cost an allocation per update for no memory saved.
#[allow(clippy::large_enum_variant)]
enum Owed {
    Submit(oneshot::Sender<Result<IntakeOutcome, JournalError>>, Answer),
    Update(oneshot::Sender<Result<CopyState, JournalError>>, CopyState),
    Ack(oneshot::Sender<Result<bool, JournalError>>),
}

enum Answer {
    Accepted(Box<MessageRecord>, Vec<CopyState>),
    /// A duplicate of a message in the state or earlier in this batch.
    Duplicate(u64),
}

impl Writer {
    fn run(&mut self, mut rx: mpsc::Receiver<Request>) {
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

    fn process(&mut self, batch: Vec<Request>) {
        if !self.state.writable.load(Ordering::Relaxed) {
            for request in batch {
                fail(request, || JournalError::Closed);
            }
            return;
        }
        let mut buf = Vec::new();
        let mut records = 0u64;
        let mut owed = Vec::new();
        let mut keys: HashMap<String, (u64, [u8; 32])> = HashMap::new();
        let mut idem: HashMap<Vec<u8>, (u64, [u8; 32])> = HashMap::new();
        let mut copies: HashMap<CopyId, CopyState> = HashMap::new();
        // Upstream ids given out in this batch, not yet in the state.
        let mut upstream_ids: HashSet<Vec<u8>> = HashSet::new();
        let mut checkpoints = Vec::new();
        let mut effects = Vec::new();

        for request in batch {
            match request {
                Request::Checkpoint(done) => checkpoints.push(done),
                Request::Submit(intake, reply) => {
                    match self.prepare_submit(&intake, &keys, &idem) {
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                        Ok(Prepared::Conflict) => {
                            let _ = reply.send(Ok(IntakeOutcome::Conflict(intake.key)));
                        }
                        Ok(Prepared::Duplicate(seq)) => {
                            owed.push(Owed::Submit(reply, Answer::Duplicate(seq)))
                        }
                        Ok(Prepared::New) => {
                            let seq = self.next_seq;
                            match self.encode_submit(seq, intake, &mut upstream_ids, &mut buf) {
                                Ok((body, sealed, hash)) => {
                                    let (record, states) =
                                        (body.record.clone(), body.copies.clone());
                                    effects.push(Effect::Accept(seq, body, sealed));
                                    self.next_seq += 1;
                                    keys.insert(record.key.storage(), (seq, hash));
                                    if let Some(k) = &record.idempotency_key {
                                        idem.insert(
                                            idempotency_key(&record.submitter.to_string(), k),
                                            (seq, hash),
                                        );
                                    }
                                    for copy in &states {
                                        copies.insert(copy.id, copy.clone());
                                    }
                                    records += 1;
                                    owed.push(Owed::Submit(
                                        reply,
                                        Answer::Accepted(Box::new(record), states),
                                    ));
                                }
                                Err(e) => {
                                    let _ = reply.send(Err(e));
                                }
                            }
                        }
                    }
                }
                Request::Ack(ack, reply) => {
                    let pending = self.state.notices.contains_key(notice_key(
                        &ack.submitter,
                        ack.copy,
                        ack.event,
                    ));
                    match (pending, encode_json(&ack)) {
                        (Ok(false), _) => drop(reply.send(Ok(false))),
                        (Ok(true), Ok(json)) => {
                            let seq = self.next_seq;
                            self.next_seq += 1;
                            log::encode(&mut buf, seq, Kind::Ack, &[&json]);
                            records += 1;
                            effects.push(Effect::Ack(ack));
                            owed.push(Owed::Ack(reply));
                        }
                        (Err(e), _) => drop(reply.send(Err(e.into()))),
                        (_, Err(e)) => drop(reply.send(Err(e))),
                    }
                }
                Request::Update(update, reply) => {
                    let current = match copies.get(&update.copy) {
                        Some(copy) => Ok(Some(copy.clone())),
                        None => self.state.copy(update.copy),
                    };
                    let next = current
                        .and_then(|c| c.ok_or(JournalError::UnknownCopy(update.copy)))
                        .and_then(|old| Ok((apply_change(old.clone(), &update)?, old)));
                    match next
                        .and_then(|(state, old)| encode_json(&state).map(|json| (state, old, json)))
                    {
                        Ok((state, old, json)) => {
                            let seq = self.next_seq;
                            self.next_seq += 1;
                            log::encode(&mut buf, seq, Kind::Copy, &[&json]);
                            records += 1;
                            copies.insert(state.id, state.clone());
                            effects.push(Effect::Copy(state.clone(), old));
                            owed.push(Owed::Update(reply, state));
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
            }
        }

        if !buf.is_empty() {
            let written = self.log.write(&buf).and_then(|()| self.log.sync());
            if let Err(e) = written {
                // Nothing in this batch is acknowledged, and the segment may
                // hold a partial write: stop taking appends rather than risk
                // acknowledging on top of it. A restart recovers.
                tracing::error!(error = %e, "journal write failed; the journal stops accepting");
                self.state.writable.store(false, Ordering::Relaxed);
                for o in owed {
                    match o {
                        Owed::Submit(reply, _) => drop(reply.send(Err(JournalError::Closed))),
                        Owed::Update(reply, _) => drop(reply.send(Err(JournalError::Closed))),
                        Owed::Ack(reply) => drop(reply.send(Err(JournalError::Closed))),
                    }
                }
                return;
            }
            self.state.syncs.fetch_add(1, Ordering::Relaxed);
            self.state.appended.fetch_add(records, Ordering::Relaxed);
            if let Err(e) = self.apply_effects(&effects) {
                tracing::error!(error = %e, "applying the batch to the state failed; the journal stops accepting");
                self.state.writable.store(false, Ordering::Relaxed);
            }
        }

        for o in owed {
            match o {
                Owed::Submit(reply, Answer::Accepted(record, copies)) => {
                    let _ = reply.send(Ok(IntakeOutcome::Accepted(MessageView {
                        record: *record,
                        copies,
                    })));
                }
                Owed::Submit(reply, Answer::Duplicate(seq)) => {
                    let view = self.state.view(seq).and_then(|v| {
                        v.ok_or_else(|| JournalError::Corrupt(format!("message {seq} vanished")))
                    });
                    let _ = reply.send(view.map(IntakeOutcome::Duplicate));
                }
                Owed::Update(reply, state) => {
                    let _ = reply.send(Ok(state));
                }
                Owed::Ack(reply) => {
                    let _ = reply.send(Ok(true));
                }
            }
        }

        match self.log.rotate_if_full(self.next_seq) {
            Ok(Some(closed)) => self.closed.push(closed),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "could not start a new log segment; the journal stops accepting");
                self.state.writable.store(false, Ordering::Relaxed);
            }
        }
        if !checkpoints.is_empty() {
            self.checkpoint();
            for done in checkpoints {
                let _ = done.send(());
            }
        }
    }

    /// Applies a durable batch to the state from the values just encoded
    /// (not re-decoded from the log), through the same `State` functions
    /// replay uses; the `applied` mark moves once, to the batch's end.
    fn apply_effects(&self, effects: &[Effect]) -> Result<(), JournalError> {
        for effect in effects {
            match effect {
                Effect::Accept(seq, body, sealed) => self.state.apply_accept(*seq, body, sealed)?,
                Effect::Copy(state, old) => {
                    self.state.put_copy(state, Old::Known(Some(old)), None)?
                }
                Effect::Ack(ack) => self.state.apply_ack(ack)?,
            }
        }
        self.state.mark_applied(self.next_seq - 1)
    }

    fn prepare_submit(
        &self,
        intake: &Intake,
        keys: &HashMap<String, (u64, [u8; 32])>,
        idem: &HashMap<Vec<u8>, (u64, [u8; 32])>,
    ) -> Result<Prepared, JournalError> {
        let in_batch = intake
            .idempotency_key
            .as_ref()
            .and_then(|k| idem.get(&idempotency_key(&intake.submitter.to_string(), k)))
            .or_else(|| keys.get(&intake.key.storage()));
        if let Some((seq, hash)) = in_batch {
            return Ok(if *hash == intake.body_hash {
                Prepared::Duplicate(*seq)
            } else {
                Prepared::Conflict
            });
        }
        match self.state.earlier(intake)? {
            Some(seq) => {
                let record: MessageRecord = match self.state.messages.get(seq.to_be_bytes())? {
                    Some(v) => decode_json(&v)?,
                    None => {
                        return Err(JournalError::Corrupt(format!(
                            "message {seq} indexed but missing"
                        )));
                    }
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
    ) -> Result<(AcceptBody, Vec<u8>, [u8; 32]), JournalError> {
        let record = MessageRecord {
            seq,
            key: intake.key,
            submitter: intake.submitter,
            idempotency_key: intake.idempotency_key,
            body_hash: hex(&intake.body_hash),
            source_protocol: intake.source_protocol,
            received_at: intake.received_at,
            receipt_channel: intake.receipt_channel,
            copies: u16::try_from(intake.copies.len())
                .map_err(|_| JournalError::Codec("more than 65535 recipients".to_owned()))?,
        };
        let mut copies = Vec::with_capacity(intake.copies.len());
        for (index, copy) in intake.copies.into_iter().enumerate() {
            let upstream_id = self.upstream_id(
                &copy.route,
                [copy.upstream_id, copy.upstream_id_if_taken],
                taken,
            )?;
            copies.push(CopyState {
                id: CopyId {
                    message: seq,
                    index: index as u16,
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
        let body = AcceptBody { record, copies };
        let json = encode_json(&body)?;
        let len = (json.len() as u32).to_le_bytes();
        log::encode(
            buf,
            seq,
            Kind::Accept,
            &[&len, &json, &intake.sealed_payload],
        );
        Ok((body, intake.sealed_payload, intake.body_hash))
    }

    /// Flushes sled, makes its files durable (sled's own flush does not
    /// guarantee that, sled#1452), then deletes log segments the state now
    /// covers.
    fn checkpoint(&mut self) {
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
            let _ = log::sync_dir(&self.log_dir);
            tracing::debug!(removed, applied, "checkpoint deleted log segments");
        }
    }
}

enum Prepared {
    New,
    Duplicate(u64),
    Conflict,
}

fn fail(request: Request, error: impl Fn() -> JournalError) {
    match request {
        Request::Submit(_, reply) => drop(reply.send(Err(error()))),
        Request::Update(_, reply) => drop(reply.send(Err(error()))),
        Request::Ack(_, reply) => drop(reply.send(Err(error()))),
        Request::Checkpoint(done) => drop(done.send(())),
    }
}

/// The copy's state after `update`, or why the change is not allowed.
fn apply_change(mut copy: CopyState, update: &CopyUpdate) -> Result<CopyState, JournalError> {
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
            copy.last_error = Some(error.clone());
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
            copy.last_error = Some(reason.clone());
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
            copy.history.push(Event {
                at,
                reported_at: *reported_at,
                status: *status,
                note: note.clone(),
                receipt: receipt.clone(),
            });
        }
        Change::Note {
            note,
            receipt,
            reported_at,
        } => {
            copy.history.push(Event {
                at,
                reported_at: *reported_at,
                status: copy.status,
                note: Some(note.clone()),
                receipt: receipt.clone(),
            });
        }
    }
    Ok(copy)
}

/// `fsync`s every file under `dir` (sled's data files) and the directory.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            fs::File::open(&path)?.sync_all()?;
        }
    }
    log::sync_dir(dir)
}

fn split_accept(payload: &[u8]) -> Result<(&[u8], &[u8]), JournalError> {
    let len = payload
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| JournalError::Codec("accept record too short".into()))?;
    let rest = &payload[4..];
    if rest.len() < len {
        return Err(JournalError::Codec("accept record body truncated".into()));
    }
    Ok(rest.split_at(len))
}

fn status_index(status: Status) -> usize {
    Status::ALL.iter().position(|s| *s == status).unwrap_or(0)
}

fn due_millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn due_key(at: OffsetDateTime, id: CopyId) -> Vec<u8> {
    let mut key = due_millis(at).to_be_bytes().to_vec();
    key.extend_from_slice(&id.to_bytes());
    key
}

fn notice_prefix(submitter: &str) -> Vec<u8> {
    let mut key = submitter.as_bytes().to_vec();
    key.push(0);
    key
}

fn notice_key(submitter: &str, copy: CopyId, event: u32) -> Vec<u8> {
    let mut key = notice_prefix(submitter);
    key.extend_from_slice(&copy.to_bytes());
    key.extend_from_slice(&event.to_be_bytes());
    key
}

fn upstream_key(route: &str, upstream_id: &str) -> Vec<u8> {
    let mut key = route.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(upstream_id.as_bytes());
    key
}

fn idempotency_key(submitter: &str, key: &str) -> Vec<u8> {
    let mut out = submitter.as_bytes().to_vec();
    out.push(0);
    out.extend_from_slice(key.as_bytes());
    out
}

fn be_u64(bytes: &[u8]) -> Result<u64, JournalError> {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| JournalError::Codec("bad sequence number".into()))
}

fn encode_json<T: Serialize>(value: &T) -> Result<Vec<u8>, JournalError> {
    serde_json::to_vec(value).map_err(|e| JournalError::Codec(e.to_string()))
}

fn decode_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, JournalError> {
    serde_json::from_slice(bytes).map_err(|e| JournalError::Codec(e.to_string()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
