//! The journal: accepted means durable.
//!
//! A message is acknowledged (`202`) only after its record — the message,
//! sealed, and one delivery copy per recipient — is on disk. Every later
//! change to a copy (a delivery attempt, a status from a receipt) is a
//! record too, so the journal is the whole history, and the state anyone
//! reads is derived from it.
//!
//! The embedded implementation, [`LocalJournal`], is two parts (DESIGN §8):
//!
//! 1. an append-only log of checksummed records in segment files, written
//!    by one writer thread that takes every waiting append, writes them
//!    together and `fdatasync`s once for the batch (group commit). This is
//!    the durability record.
//! 2. sled as the queryable state built from the log: messages, copies,
//!    the due-delivery queue, idempotency keys. sled is never trusted for
//!    durability — its `flush` ends in `sync_file_range`
//!    (spacejam/sled#1452) and concurrent `flush_async` calls deadlock
//!    (spacejam/sled#1308) — so on start the log is replayed into sled past
//!    the last position sled recorded as applied.
//!
//! Everything that identifies a person — recipients, native receipts,
//! status notes, idempotency keys, the message itself — is sealed at rest
//! (AES-256-GCM under the payload key, each value bound to its field and
//! record); identifiers, statuses and times that queries need stay in
//! clear (`codec.rs` has the table). Files are owner-only.
//!
//! The [`Journal`] trait is all the rest of the gateway sees; it assumes no
//! local file, so a replicated backend can take the log's place. Its errors
//! are typed ([`JournalError::fault`]): a full disk, a damaged record and a
//! key problem are told apart without reading messages.

use std::fmt;

use borderpost_core::{Country, Event, NativeReceipt, PartyId, Recipient, Status};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

mod bound;
mod codec;
mod error;
mod files;
mod local;
mod log;
mod seal;

pub use bound::{
    MAX_COPIES, MAX_RECORD_BYTES, accept_record_bound, largest_body, largest_recipients,
};
pub use error::{CodecError, Corruption, Damage, Fault, FormatError, Item, JournalError};
pub use local::{LocalJournal, Options};
pub use seal::{PayloadKey, SEAL_OVERHEAD, SealError};

// === Types ===

/// A message's identity: its sender (national form) and the sender's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageKey {
    /// The organisation the message is from.
    pub sender: PartyId,
    /// The sender's id for it.
    pub id: Uuid,
}

impl MessageKey {
    /// The key for `sender` (looked through ISO 6523) and `id`.
    pub fn new(sender: &PartyId, id: Uuid) -> MessageKey {
        MessageKey {
            sender: sender.national(),
            id,
        }
    }

    fn storage(&self) -> String {
        format!("{}/{}", self.sender, self.id)
    }
}

impl fmt::Display for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.sender, self.id)
    }
}

/// One recipient's copy of a message: the message's journal sequence
/// number and the recipient's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CopyId {
    /// The sequence number of the message's record.
    pub message: u64,
    /// The recipient's position in the message.
    pub index: u16,
}

impl CopyId {
    fn to_bytes(self) -> [u8; 10] {
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&self.message.to_be_bytes());
        out[8..].copy_from_slice(&self.index.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<CopyId> {
        let message = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let index = u16::from_be_bytes(bytes.get(8..10)?.try_into().ok()?);
        Some(CopyId { message, index })
    }
}

impl fmt::Display for CopyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.message, self.index)
    }
}

/// A recipient's copy as intake creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCopy {
    /// Who it is for.
    pub recipient: Recipient,
    /// The recipient's country, when routable.
    pub country: Option<Country>,
    /// The upstream (route) that delivers it.
    pub route: String,
    /// The id the upstream will know it by
    /// ([`borderpost_core::copy_id::upstream_id`]).
    pub upstream_id: Uuid,
    /// The id it gets instead if `upstream_id` already names a copy of
    /// another message on the same route
    /// ([`borderpost_core::copy_id::sender_scoped`]).
    pub upstream_id_if_taken: Uuid,
    /// Its first status: `accepted`, or `rejected`/`undeliverable` when
    /// intake already knows it cannot be delivered.
    pub status: Status,
    /// Why, for a copy that starts in a final status.
    pub note: Option<String>,
}

/// A message to journal.
#[derive(Debug, Clone)]
pub struct Intake {
    /// The message's identity.
    pub key: MessageKey,
    /// Who submitted it (the client certificate's organisation).
    pub submitter: PartyId,
    /// The sender's `Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the request body: the same key with another body is a
    /// conflict.
    pub body_hash: [u8; 32],
    /// The protocol it arrived in (`canonical`, `dk-memo-1.1`, …).
    pub source_protocol: String,
    /// When it arrived.
    pub received_at: OffsetDateTime,
    /// The canonical message, sealed with the payload key.
    pub sealed_payload: Vec<u8>,
    /// For senders whose protocol pulls receipts (DPI `GET /messages/in`):
    /// the channel (`kanal`) their receipts are listed on. `None`: no
    /// receipt notices are kept for this message.
    pub receipt_channel: Option<String>,
    /// One copy per recipient, in the message's order.
    pub copies: Vec<NewCopy>,
}

/// What intake of a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    /// Journaled now.
    Accepted(MessageView),
    /// Journaled before, with the same content: the first answer.
    Duplicate(MessageView),
    /// The sender used this id (or idempotency key) before for different
    /// content.
    Conflict(MessageKey),
}

/// A message's journal record (metadata only; the content is sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Its sequence number.
    pub seq: u64,
    /// Its identity.
    pub key: MessageKey,
    /// Who submitted it.
    pub submitter: PartyId,
    /// The submitter's idempotency key.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the request body, hex.
    pub body_hash: String,
    /// The protocol it arrived in.
    pub source_protocol: String,
    /// When it was accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// How many copies it has.
    pub copies: u16,
    /// The channel receipt notices are kept on, if the sender pulls them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_channel: Option<String>,
}

/// A status change a sender has not yet fetched as a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Notice {
    /// The copy that changed.
    pub copy: CopyId,
    /// The index of the event in the copy's history.
    pub event: u32,
}

/// Where one copy is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyState {
    /// Its id.
    pub id: CopyId,
    /// Who it is for.
    pub recipient: Recipient,
    /// The recipient's country.
    pub country: Option<Country>,
    /// The upstream that delivers it.
    pub route: String,
    /// The id the upstream knows it by; fixed at intake so retries carry
    /// the same id, and derived by a rule the sender can follow
    /// ([`borderpost_core::copy_id`]).
    pub upstream_id: Uuid,
    /// Its status.
    pub status: Status,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due, while delivery is owed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_due: Option<OffsetDateTime>,
    /// The last failed attempt's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// Every status change, in order.
    pub history: Vec<Event>,
}

/// A message with its copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    /// The message's record.
    pub record: MessageRecord,
    /// Its copies, in recipient order.
    pub copies: Vec<CopyState>,
}

/// A change to one copy.
#[derive(Debug, Clone)]
pub struct CopyUpdate {
    /// Which copy.
    pub copy: CopyId,
    /// When Borderpost learned of it. The event it records is never dated
    /// before the copy's previous one.
    pub at: OffsetDateTime,
    /// What.
    pub change: Change,
}

/// What changed.
#[derive(Debug, Clone)]
pub enum Change {
    /// A delivery attempt failed and will be retried at `retry_at`.
    AttemptFailed {
        /// Why.
        error: String,
        /// When to try again.
        retry_at: OffsetDateTime,
    },
    /// Delivery is put off (the upstream's circuit is open, or its quota
    /// is spent) without counting an attempt.
    Defer {
        /// When to try.
        until: OffsetDateTime,
        /// Why.
        reason: String,
    },
    /// The copy moved to a new status.
    Status {
        /// The new status.
        status: Status,
        /// What happened.
        note: Option<String>,
        /// The native receipt it came from.
        receipt: Option<NativeReceipt>,
        /// The receipt's own time, if it came from one.
        reported_at: Option<OffsetDateTime>,
        /// Whether this transition was the outcome of a delivery attempt
        /// (counts the attempt).
        attempt: bool,
    },
    /// A receipt that does not change the status (e.g. a failed SMS
    /// notification) is recorded in the history.
    Note {
        /// What happened.
        note: String,
        /// The native receipt.
        receipt: Option<NativeReceipt>,
        /// The receipt's own time.
        reported_at: Option<OffsetDateTime>,
    },
}

/// Copies per status, for metrics and readiness.
pub type Depth = Vec<(Status, u64)>;

/// The journal as the gateway uses it.
pub trait Journal: Send + Sync + 'static {
    /// Makes `intake` durable, or answers as before for a duplicate.
    fn submit(&self, intake: Intake) -> BoxFuture<'_, Result<IntakeOutcome, JournalError>>;

    /// Makes `update` durable and returns the copy's new state.
    fn update(&self, update: CopyUpdate) -> BoxFuture<'_, Result<CopyState, JournalError>>;

    /// The message `key`, with its copies.
    fn message(&self, key: &MessageKey) -> Result<Option<MessageView>, JournalError>;

    /// The message with sequence number `seq`.
    fn message_by_seq(&self, seq: u64) -> Result<Option<MessageView>, JournalError>;

    /// The sealed canonical message of `seq`.
    fn payload(&self, seq: u64) -> Result<Option<Vec<u8>>, JournalError>;

    /// One copy.
    fn copy(&self, id: CopyId) -> Result<Option<CopyState>, JournalError>;

    /// The copy an upstream knows by `upstream_id` on `route`.
    fn copy_by_upstream_id(
        &self,
        route: &str,
        upstream_id: &str,
    ) -> Result<Option<CopyId>, JournalError>;

    /// Up to `limit` copies whose next attempt is due at `now`, earliest
    /// first.
    fn due(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<CopyId>, JournalError>;

    /// The earliest time any copy is due, if any is.
    fn next_due(&self) -> Result<Option<OffsetDateTime>, JournalError>;

    /// Up to `limit` receipt notices for `submitter` on `channel` (any
    /// channel if `None`), oldest first.
    fn notices(
        &self,
        submitter: &PartyId,
        channel: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Notice>, JournalError>;

    /// Makes durable that `submitter` fetched `notice`. Returns whether it
    /// was still pending.
    fn ack_notice(
        &self,
        submitter: &PartyId,
        notice: Notice,
    ) -> BoxFuture<'_, Result<bool, JournalError>>;

    /// Copies per status.
    fn depth(&self) -> Depth;

    /// How many syncs (`fdatasync`) and appended records so far, for
    /// backends that sync a local log.
    fn sync_stats(&self) -> Option<(u64, u64)> {
        None
    }

    /// Whether appends are being made durable (the writer is alive and the
    /// last sync succeeded).
    fn is_writable(&self) -> bool;
}
