//! Why the journal could not do what was asked, typed by cause so a caller
//! can tell a full disk from a damaged record from a key problem
//! ([`JournalError::fault`]) without reading messages.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use borderpost_core::Status;

use super::CopyId;
use super::seal::SealError;

/// Why the journal could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Disk I/O failed.
    #[error("journal I/O: {0}")]
    Io(#[from] io::Error),
    /// A journal file or directory could not be made owner-only.
    #[error("journal permissions of {}: {source}", path.display())]
    Permissions {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The state store failed.
    #[error("journal state: {0}")]
    State(#[from] sled::Error),
    /// A stored value could not be encoded or decoded.
    #[error("journal record: {0}")]
    Codec(#[from] CodecError),
    /// The log or the state is damaged beyond a torn last record.
    #[error("journal is corrupt: {0}")]
    Corrupt(#[from] Corruption),
    /// The journal directory holds a format this version does not read.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The journal has shut down; nothing more can be made durable.
    #[error("journal is closed")]
    Closed,
    /// An earlier write or sync failed, so the journal stopped taking
    /// appends (the segment may end in a partial write); a restart
    /// recovers. Every waiter of the failed batch, and every later append,
    /// gets this, with the failure that stopped it.
    #[error("journal stopped taking appends: {0}")]
    Stopped(Arc<JournalError>),
    /// The copy does not exist.
    #[error("unknown copy {0}")]
    UnknownCopy(CopyId),
    /// The change is not allowed from the copy's status.
    #[error("copy {copy} cannot move from {from} to {to}")]
    Transition {
        /// Which copy.
        copy: CopyId,
        /// Its status.
        from: Status,
        /// The refused status.
        to: Status,
    },
    /// The record would be larger than the log reads back; nothing was
    /// written and nothing acknowledged.
    #[error("a journal record of {size} bytes is over the log's limit of {limit} bytes")]
    TooLarge {
        /// The record's size (its body, as the log counts it).
        size: u64,
        /// The log's limit.
        limit: u64,
    },
    /// A message has more recipients than the journal numbers.
    #[error("{count} recipients; the journal numbers at most 65535 copies per message")]
    TooManyCopies {
        /// How many recipients it has.
        count: usize,
    },
    /// A value could not be sealed or opened, or the key is unusable.
    #[error("sealing: {0}")]
    Seal(#[from] SealError),
    /// The payload key is not the one the journal was sealed with.
    #[error("the payload key does not open {}: it is not the key this journal was sealed with", path.display())]
    WrongKey {
        /// The journal's key check file.
        path: PathBuf,
    },
}

/// The kind of fault behind a [`JournalError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// The disk (or the quota) is full: appends fail until space is freed.
    DiskFull,
    /// Another failure of the disk, the file system or the state store.
    Io,
    /// A record or stored value is damaged.
    Corrupt,
    /// The journal directory was written in another format.
    Format,
    /// The payload key is unusable or not the one the data was sealed with,
    /// or the cipher failed.
    Key,
    /// The journal is closed.
    Closed,
    /// The request itself was refused (unknown copy, a transition the
    /// lifecycle forbids, a record over the log's limit); the journal is
    /// fine.
    Refused,
}

/// A stored value, to say which one could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Item {
    /// A message record.
    Message,
    /// A message's canonical content.
    Payload,
    /// An `Accept` log record.
    Accept,
    /// A copy's state.
    Copy,
    /// A copy's recipient.
    Recipient,
    /// An event's note and native receipt.
    Event,
    /// A copy's last delivery error.
    LastError,
    /// A message's idempotency key.
    IdempotencyKey,
    /// An `Ack` log record.
    Ack,
    /// A sequence number in the state.
    Sequence,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Item::Message => "message record",
            Item::Payload => "message content",
            Item::Accept => "accept record",
            Item::Copy => "copy state",
            Item::Recipient => "recipient",
            Item::Event => "event",
            Item::LastError => "last delivery error",
            Item::IdempotencyKey => "idempotency key",
            Item::Ack => "receipt acknowledgement",
            Item::Sequence => "sequence number",
        })
    }
}

/// Why a stored value could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A value could not be written as JSON.
    #[error("encoding the {what}: {source}")]
    Encode {
        /// Which value.
        what: Item,
        /// Why.
        source: serde_json::Error,
    },
    /// A stored value is not what this version writes.
    #[error("decoding the {what}: {source}")]
    Decode {
        /// Which value.
        what: Item,
        /// Why.
        source: serde_json::Error,
    },
    /// A stored value is shorter than its format.
    #[error("the {what} is truncated")]
    Truncated {
        /// Which value.
        what: Item,
    },
    /// A stored text is not UTF-8.
    #[error("the {what} is not UTF-8 text")]
    NotText {
        /// Which value.
        what: Item,
    },
}

/// Damage to the log or the state that recovery must not paper over.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// A record before the end of the log is damaged: acknowledged records
    /// would be lost by dropping it.
    #[error("{} at byte {offset}: {damage}", path.display())]
    Segment {
        /// The segment file.
        path: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
        /// What is wrong with it.
        damage: Damage,
    },
    /// The damaged tail of the last segment is longer than one
    /// unacknowledged write can leave.
    #[error("{}: {bytes} bytes from byte {offset} are damaged ({damage}), more than a torn write leaves", path.display())]
    Tail {
        /// The segment file.
        path: PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// How many bytes follow.
        bytes: u64,
        /// What is wrong.
        damage: Damage,
    },
    /// Log segments the state has not applied were deleted.
    #[error("the log starts at record {first} but the state has applied only up to {applied}")]
    Gap {
        /// The first record in the log.
        first: u64,
        /// The last record in the state.
        applied: u64,
    },
    /// Records are out of sequence.
    #[error("record {seq} follows record {after} in {}", path.display())]
    OutOfOrder {
        /// The segment file.
        path: PathBuf,
        /// The record found.
        seq: u64,
        /// The record before it.
        after: u64,
    },
    /// A message the state indexes is missing a part.
    #[error("message {seq}: its {what} is missing")]
    Missing {
        /// The message's sequence number.
        seq: u64,
        /// What is missing.
        what: Item,
    },
}

/// What is wrong with a record read back from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// The file ends inside a header.
    #[error("incomplete header")]
    IncompleteHeader,
    /// The header does not start with the record magic.
    #[error("bad magic")]
    BadMagic,
    /// The header declares a length no record can have, or more bytes than
    /// the file holds.
    #[error("impossible length {0}")]
    Length(u32),
    /// The file ends inside the body.
    #[error("incomplete body")]
    IncompleteBody,
    /// The body does not match its checksum.
    #[error("checksum mismatch")]
    Checksum,
    /// The record kind is unknown.
    #[error("unknown record kind {0}")]
    Kind(u8),
}

/// The journal directory holds a format this version does not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Written before the format was marked (format 1), with recipients,
    /// receipts and notes in clear.
    #[error(
        "the journal in {} was written by an earlier Borderpost (journal format 1, which kept recipients, receipts and notes in clear); this version seals them (format 2) and cannot read it: let the earlier version finish delivering, then move the directory aside",
        dir.display()
    )]
    Earlier {
        /// The journal directory.
        dir: PathBuf,
    },
    /// The marker names another format.
    #[error("the journal in {} is marked {found:?}; this version reads journal format {expected}", dir.display())]
    Unknown {
        /// The journal directory.
        dir: PathBuf,
        /// What the marker says.
        found: String,
        /// The format this version reads.
        expected: u32,
    },
}

// === impl JournalError ===

impl JournalError {
    /// The kind of fault: one exhaustive decision per variant, so a new
    /// variant must be classified here.
    pub fn fault(&self) -> Fault {
        match self {
            JournalError::Io(e) | JournalError::Permissions { source: e, .. } => io_fault(e),
            JournalError::State(e) => match e {
                sled::Error::Io(e) => io_fault(e),
                sled::Error::Corruption { .. } => Fault::Corrupt,
                sled::Error::CollectionNotFound(_)
                | sled::Error::Unsupported(_)
                | sled::Error::ReportableBug(_) => Fault::Io,
            },
            JournalError::Codec(_) | JournalError::Corrupt(_) => Fault::Corrupt,
            JournalError::Format(_) => Fault::Format,
            JournalError::Closed => Fault::Closed,
            JournalError::Stopped(cause) => cause.fault(),
            JournalError::UnknownCopy(_)
            | JournalError::Transition { .. }
            | JournalError::TooLarge { .. }
            | JournalError::TooManyCopies { .. } => Fault::Refused,
            JournalError::Seal(e) => e.fault(),
            JournalError::WrongKey { .. } => Fault::Key,
        }
    }

    /// Whether the disk (or the quota) is full.
    pub fn is_disk_full(&self) -> bool {
        self.fault() == Fault::DiskFull
    }
}

fn io_fault(e: &io::Error) -> Fault {
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Fault::DiskFull,
        _ => Fault::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_tell_a_full_disk_from_damage_from_a_key_problem() {
        let full = JournalError::Io(io::Error::from(io::ErrorKind::StorageFull));
        assert!(full.is_disk_full());
        let stopped = JournalError::Stopped(Arc::new(full));
        assert_eq!(stopped.fault(), Fault::DiskFull);
        let sled_full = JournalError::State(sled::Error::Io(io::Error::from(
            io::ErrorKind::QuotaExceeded,
        )));
        assert_eq!(sled_full.fault(), Fault::DiskFull);
        let damaged = JournalError::Corrupt(Corruption::Segment {
            path: PathBuf::from("00000000000000000001.log"),
            offset: 10,
            damage: Damage::Checksum,
        });
        assert_eq!(damaged.fault(), Fault::Corrupt);
        assert_eq!(
            JournalError::Seal(SealError::Authentication).fault(),
            Fault::Key
        );
        assert_eq!(
            JournalError::TooLarge { size: 2, limit: 1 }.fault(),
            Fault::Refused
        );
        assert_eq!(
            JournalError::Io(io::Error::from(io::ErrorKind::PermissionDenied)).fault(),
            Fault::Io
        );
    }
}
