//! [`LocalJournal`]: the group-commit log plus sled state, on one machine.
//!
//! ```text
//! <dir>/format    "borderpost-journal 2": the format this directory holds
//! <dir>/key-check a value sealed with the payload key: another key is refused
//! <dir>/log/      the log's segment files (the durability record)
//! <dir>/state/    sled: the queryable state built from the log
//! ```
//!
//! Every directory is 0700 and every file 0600 (`files.rs`). `state.rs`
//! holds the sled trees and replay, `writer.rs` the one thread that
//! appends.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use borderpost_core::{PartyId, Status};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::bound::MAX_RECORD_BYTES;
use super::codec::{Fields, StoredCopy};
use super::error::{Corruption, Item};
use super::log::{self, Segment};
use super::{
    CopyId, CopyState, CopyUpdate, Depth, Intake, IntakeOutcome, Journal, JournalError, MessageKey,
    MessageView, Notice, PayloadKey, files,
};

mod state;
mod writer;

use state::{AckBody, State};

/// How the local journal is laid out and paced.
#[derive(Debug, Clone)]
pub struct Options {
    /// The directory holding `log/` and `state/`.
    pub dir: PathBuf,
    /// Start a new log segment after this many bytes.
    pub segment_bytes: u64,
    /// The most bytes one group commit writes (one more record may cross
    /// it).
    pub max_batch_bytes: usize,
    /// How often sled is flushed (and made durable) so that old log
    /// segments can be deleted.
    pub checkpoint_every: Duration,
    /// Appends waiting for the writer before callers wait to enqueue.
    pub queue: usize,
    /// The state's page cache, in bytes.
    pub cache_bytes: u64,
    /// The largest record body the writer appends: the log format's limit
    /// ([`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES)) unless lowered. It
    /// cannot be raised: the reader always reads up to the format's limit.
    pub max_record_bytes: u64,
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
            max_record_bytes: MAX_RECORD_BYTES,
        }
    }
}

/// The embedded journal.
pub struct LocalJournal {
    state: Arc<State>,
    tx: mpsc::Sender<Request>,
    writer: Option<thread::JoinHandle<()>>,
}

enum Request {
    Submit(Intake, oneshot::Sender<Result<Submitted, JournalError>>),
    Update(
        CopyUpdate,
        oneshot::Sender<Result<StoredCopy, JournalError>>,
    ),
    Ack(AckBody, oneshot::Sender<Result<bool, JournalError>>),
    Checkpoint(oneshot::Sender<()>),
}

/// The writer's answer to a submission. A duplicate's view is read (and
/// opened) by the caller, off the writer thread.
enum Submitted {
    Accepted(MessageView),
    Duplicate(u64),
    Conflict(MessageKey),
}

// === impl LocalJournal ===

impl LocalJournal {
    /// Opens (or creates) the journal in `options.dir`, sealing with `key`,
    /// replays the log into the state, and starts the writer. Refuses a
    /// directory written in another journal format.
    pub fn open(options: Options, key: PayloadKey) -> Result<LocalJournal, JournalError> {
        files::prepare(&options.dir)?;
        let fields = Fields::new(key)?;
        files::check_key(&options.dir, &fields)?;
        let log_dir = options.dir.join("log");
        let state_dir = options.dir.join("state");
        for dir in [&log_dir, &state_dir, &state_dir.join("blobs")] {
            files::private_dir(dir)?;
        }
        // No background flusher: the journal decides when sled flushes, from
        // one thread, so flushes are never concurrent (sled#1308).
        let db = sled::Config::new()
            .path(&state_dir)
            .flush_every_ms(None)
            .cache_capacity(options.cache_bytes)
            .open()?;
        // sled creates its files with default modes.
        files::tighten_tree(&state_dir)?;
        files::tighten_tree(&log_dir)?;
        let state = Arc::new(State::open(db, fields)?);
        state.count_depth()?;

        let torn_allowance = writer::torn_allowance(options.max_batch_bytes);
        let (segments, last_seq) = state::replay(&state, &log_dir, torn_allowance)?;
        let next_seq = last_seq.max(state.applied()?) + 1;
        let log = log::Writer::create(&log_dir, next_seq, options.segment_bytes)?;
        let mut closed: Vec<Segment> = segments
            .into_iter()
            .filter(|s| s.path != log.current.path)
            .collect();
        closed.sort_by_key(|s| s.first_seq);

        let (tx, rx) = mpsc::channel(options.queue);
        let mut task = writer::Writer {
            state: Arc::clone(&state),
            log,
            log_dir,
            state_dir,
            closed,
            next_seq,
            max_batch_bytes: options.max_batch_bytes,
            max_record_bytes: options.max_record_bytes.min(MAX_RECORD_BYTES),
            checkpoint_every: options.checkpoint_every,
            last_checkpoint: Instant::now(),
            stopped: None,
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
            match answer.await.map_err(|_| JournalError::Closed)?? {
                Submitted::Accepted(view) => Ok(IntakeOutcome::Accepted(view)),
                Submitted::Duplicate(seq) => {
                    let view = self.state.view(seq)?.ok_or(Corruption::Missing {
                        seq,
                        what: Item::Message,
                    })?;
                    Ok(IntakeOutcome::Duplicate(view))
                }
                Submitted::Conflict(key) => Ok(IntakeOutcome::Conflict(key)),
            }
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
            let stored = answer.await.map_err(|_| JournalError::Closed)??;
            self.state.fields.open_copy(&stored)
        }
        .boxed()
    }

    fn message(&self, key: &MessageKey) -> Result<Option<MessageView>, JournalError> {
        match self.state.keys.get(key.storage())? {
            Some(seq) => self.state.view(state::be_u64(&seq)?),
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
            .get(state::upstream_key(route, upstream_id))?
            .and_then(|v| CopyId::from_bytes(&v)))
    }

    fn due(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<CopyId>, JournalError> {
        let mut upper = state::due_millis(now).to_be_bytes().to_vec();
        upper.extend_from_slice(&[0xff; 10]);
        let mut out = Vec::new();
        for entry in self.state.due.range(..=upper).take(limit) {
            let (key, _) = entry?;
            if let Some(id) = key.get(8..).and_then(CopyId::from_bytes) {
                out.push(id);
            }
        }
        Ok(out)
    }

    fn next_due(&self) -> Result<Option<OffsetDateTime>, JournalError> {
        match self.state.due.first()? {
            Some((key, _)) => {
                let millis = state::be_u64(&key)?;
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
        let prefix = state::notice_prefix(&submitter.national().to_string());
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

#[cfg(test)]
mod tests;
