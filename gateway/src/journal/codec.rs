//! The stored form of journal values, in the log and in the state: what is
//! kept in clear for queries, and what is sealed.
//!
//! | value | clear | sealed |
//! |---|---|---|
//! | message record | sequence number, message id, sender and submitter organisation, body hash, protocol, time, copy count, receipt channel | idempotency key (indexed by its keyed hash) |
//! | copy | copy id, country, route, upstream id, status, attempts, due time, acceptance time, each event's time and status | recipient (identifier, name, address, postbox), each event's note and native receipt, the last delivery error |
//! | payload | — | the whole canonical message (sealed by intake) |
//!
//! Every sealed value is AES-256-GCM under the payload key with its own
//! random nonce, bound (as associated data) to the field and the record it
//! belongs to — `copy 7.0 recipient`, `copy 7.0 event 2`, … — so a sealed
//! value moved to another field or record does not open. The clear fields
//! are what the state's indexes, the due queue, receipt notices and
//! metrics need without the key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::{Country, Event, NativeReceipt, PartyId, Recipient, Status};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use uuid::Uuid;

use super::error::{CodecError, Item};
use super::seal::{IndexKey, PayloadKey};
use super::{CopyId, CopyState, JournalError, MessageKey, MessageRecord};

/// Domain of every binding, so journal values never open as anything else
/// sealed with the same key (payloads are bound to their message key).
const BINDING: &str = "borderpost/journal/2";

/// Seals and opens the personal fields of stored values, and hashes the
/// identifiers look-ups need.
#[derive(Clone)]
pub(super) struct Fields {
    key: PayloadKey,
    index: IndexKey,
}

/// A sealed value (the payload sealing format), base64 in JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sealed(Vec<u8>);

/// A message record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredRecord {
    pub(super) seq: u64,
    pub(super) key: MessageKey,
    pub(super) submitter: PartyId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) idempotency_key: Option<Sealed>,
    /// The idempotency key's index key (its keyed hash, hex), so replay
    /// rebuilds the index without opening anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) idempotency_index: Option<String>,
    pub(super) body_hash: String,
    pub(super) source_protocol: String,
    #[serde(with = "time::serde::rfc3339")]
    pub(super) received_at: OffsetDateTime,
    pub(super) copies: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) receipt_channel: Option<String>,
}

/// A copy as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredCopy {
    pub(super) id: CopyId,
    pub(super) recipient: Sealed,
    pub(super) country: Option<Country>,
    pub(super) route: String,
    pub(super) upstream_id: Uuid,
    pub(super) status: Status,
    pub(super) attempts: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(super) next_due: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) last_error: Option<Sealed>,
    #[serde(with = "time::serde::rfc3339")]
    pub(super) accepted_at: OffsetDateTime,
    pub(super) history: Vec<StoredEvent>,
}

/// An event as stored: when and what status in clear, the note and the
/// native receipt sealed together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub(super) at: OffsetDateTime,
    /// When the national system says it happened (its receipt's own time).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub(super) reported_at: Option<OffsetDateTime>,
    pub(super) status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) sealed: Option<Sealed>,
}

/// What an event seals.
#[derive(Serialize, Deserialize)]
struct EventText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    receipt: Option<NativeReceipt>,
}

/// What the key check seals: opening it proves the key is the journal's.
const KEY_CHECK: &[u8] = b"borderpost journal key check";

/// The field and record a sealed value belongs to.
#[derive(Debug, Clone, Copy)]
enum Binding {
    KeyCheck,
    Recipient(CopyId),
    Event(CopyId, usize),
    LastError(CopyId),
    IdempotencyKey(u64),
}

// === impl Fields ===

impl Fields {
    /// The sealer for `key`.
    pub(super) fn new(key: PayloadKey) -> Result<Fields, JournalError> {
        let index = key.index_key()?;
        Ok(Fields { key, index })
    }

    fn seal(&self, binding: Binding, plaintext: &[u8]) -> Result<Sealed, JournalError> {
        Ok(Sealed(self.key.seal(binding.aad().as_bytes(), plaintext)?))
    }

    fn open(&self, binding: Binding, sealed: &Sealed) -> Result<Vec<u8>, JournalError> {
        Ok(self.key.open(binding.aad().as_bytes(), &sealed.0)?)
    }

    /// A value only this key opens, kept beside the journal so that a start
    /// with another key is refused before anything is sealed with it.
    pub(super) fn key_check(&self) -> Result<Vec<u8>, JournalError> {
        Ok(self.seal(Binding::KeyCheck, KEY_CHECK)?.0)
    }

    /// Whether `sealed` is this key's [`key_check`](Fields::key_check).
    pub(super) fn is_key_check(&self, sealed: &[u8]) -> bool {
        self.key
            .open(Binding::KeyCheck.aad().as_bytes(), sealed)
            .is_ok_and(|plain| plain == KEY_CHECK)
    }

    /// The index key of an idempotency key: its keyed hash with the
    /// submitter's, never the clear value.
    pub(super) fn idempotency_index(
        &self,
        submitter: &PartyId,
        key: &str,
    ) -> Result<[u8; 32], JournalError> {
        let submitter = submitter.to_string();
        Ok(self
            .index
            .hash(&[b"idempotency-key", submitter.as_bytes(), key.as_bytes()])?)
    }

    /// `record` as stored.
    pub(super) fn seal_record(&self, record: &MessageRecord) -> Result<StoredRecord, JournalError> {
        let (idempotency_key, idempotency_index) = match &record.idempotency_key {
            Some(key) => (
                Some(self.seal(Binding::IdempotencyKey(record.seq), key.as_bytes())?),
                Some(hex(&self.idempotency_index(&record.submitter, key)?)),
            ),
            None => (None, None),
        };
        Ok(StoredRecord {
            seq: record.seq,
            key: record.key.clone(),
            submitter: record.submitter.clone(),
            idempotency_key,
            idempotency_index,
            body_hash: record.body_hash.clone(),
            source_protocol: record.source_protocol.clone(),
            received_at: record.received_at,
            copies: record.copies,
            receipt_channel: record.receipt_channel.clone(),
        })
    }

    /// A stored record, opened.
    pub(super) fn open_record(&self, stored: StoredRecord) -> Result<MessageRecord, JournalError> {
        let idempotency_key = match &stored.idempotency_key {
            Some(sealed) => {
                let bytes = self.open(Binding::IdempotencyKey(stored.seq), sealed)?;
                Some(String::from_utf8(bytes).map_err(|_| CodecError::NotText {
                    what: Item::IdempotencyKey,
                })?)
            }
            None => None,
        };
        Ok(MessageRecord {
            seq: stored.seq,
            key: stored.key,
            submitter: stored.submitter,
            idempotency_key,
            body_hash: stored.body_hash,
            source_protocol: stored.source_protocol,
            received_at: stored.received_at,
            copies: stored.copies,
            receipt_channel: stored.receipt_channel,
        })
    }

    /// `copy` as stored (every personal field sealed afresh).
    pub(super) fn seal_copy(&self, copy: &CopyState) -> Result<StoredCopy, JournalError> {
        let history = copy
            .history
            .iter()
            .enumerate()
            .map(|(i, event)| self.seal_event(copy.id, i, event))
            .collect::<Result<_, _>>()?;
        Ok(StoredCopy {
            id: copy.id,
            recipient: self.seal(
                Binding::Recipient(copy.id),
                &encode_json(Item::Recipient, &copy.recipient)?,
            )?,
            country: copy.country,
            route: copy.route.clone(),
            upstream_id: copy.upstream_id,
            status: copy.status,
            attempts: copy.attempts,
            next_due: copy.next_due,
            last_error: self.seal_last_error(copy.id, copy.last_error.as_deref())?,
            accepted_at: copy.accepted_at,
            history,
        })
    }

    /// Event `index` of copy `id` as stored.
    pub(super) fn seal_event(
        &self,
        id: CopyId,
        index: usize,
        event: &Event,
    ) -> Result<StoredEvent, JournalError> {
        let sealed = if event.note.is_some() || event.receipt.is_some() {
            let text = EventText {
                note: event.note.clone(),
                receipt: event.receipt.clone(),
            };
            Some(self.seal(Binding::Event(id, index), &encode_json(Item::Event, &text)?)?)
        } else {
            None
        };
        Ok(StoredEvent {
            at: event.at,
            reported_at: event.reported_at,
            status: event.status,
            sealed,
        })
    }

    /// A copy's last delivery error as stored.
    pub(super) fn seal_last_error(
        &self,
        id: CopyId,
        error: Option<&str>,
    ) -> Result<Option<Sealed>, JournalError> {
        error
            .map(|e| self.seal(Binding::LastError(id), e.as_bytes()))
            .transpose()
    }

    /// A stored copy, opened.
    pub(super) fn open_copy(&self, stored: &StoredCopy) -> Result<CopyState, JournalError> {
        let id = stored.id;
        let recipient: Recipient = decode_json(
            Item::Recipient,
            &self.open(Binding::Recipient(id), &stored.recipient)?,
        )?;
        let last_error = match &stored.last_error {
            Some(sealed) => Some(
                String::from_utf8(self.open(Binding::LastError(id), sealed)?).map_err(|_| {
                    CodecError::NotText {
                        what: Item::LastError,
                    }
                })?,
            ),
            None => None,
        };
        let mut history = Vec::with_capacity(stored.history.len());
        for (i, event) in stored.history.iter().enumerate() {
            let text = match &event.sealed {
                Some(sealed) => {
                    decode_json(Item::Event, &self.open(Binding::Event(id, i), sealed)?)?
                }
                None => EventText {
                    note: None,
                    receipt: None,
                },
            };
            history.push(Event {
                at: event.at,
                reported_at: event.reported_at,
                status: event.status,
                note: text.note,
                receipt: text.receipt,
            });
        }
        Ok(CopyState {
            id,
            recipient,
            country: stored.country,
            route: stored.route.clone(),
            upstream_id: stored.upstream_id,
            status: stored.status,
            attempts: stored.attempts,
            next_due: stored.next_due,
            last_error,
            accepted_at: stored.accepted_at,
            history,
        })
    }
}

// === impl Binding ===

impl Binding {
    /// The associated data: the field and the record, so a sealed value
    /// opens only where it was sealed.
    fn aad(self) -> String {
        match self {
            Binding::KeyCheck => format!("{BINDING}/key-check"),
            Binding::Recipient(id) => format!("{BINDING}/copy/{id}/recipient"),
            Binding::Event(id, i) => format!("{BINDING}/copy/{id}/event/{i}"),
            Binding::LastError(id) => format!("{BINDING}/copy/{id}/last-error"),
            Binding::IdempotencyKey(seq) => format!("{BINDING}/message/{seq}/idempotency-key"),
        }
    }
}

// === impl Sealed ===

impl Serialize for Sealed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Sealed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Sealed, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Sealed)
            .map_err(serde::de::Error::custom)
    }
}

/// `bytes` in lower-case hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `value` as JSON.
pub(super) fn encode_json<T: Serialize>(what: Item, value: &T) -> Result<Vec<u8>, CodecError> {
    serde_json::to_vec(value).map_err(|source| CodecError::Encode { what, source })
}

/// A value from its JSON.
pub(super) fn decode_json<T: for<'de> Deserialize<'de>>(
    what: Item,
    bytes: &[u8],
) -> Result<T, CodecError> {
    serde_json::from_slice(bytes).map_err(|source| CodecError::Decode { what, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Fault;

    fn sealer(byte: u8) -> Fields {
        Fields::new(PayloadKey::from_bytes([byte; 32])).unwrap()
    }

    fn copy(message: u64, index: u16) -> CopyState {
        let mut recipient = Recipient::with_id("dk-cpr:0707614285".parse().unwrap());
        recipient.name = Some("Karen Jensen".to_owned());
        CopyState {
            id: CopyId { message, index },
            recipient,
            country: Some(Country::Dk),
            route: "dk".to_owned(),
            upstream_id: Uuid::from_u128(7),
            status: Status::Delivered,
            attempts: 1,
            next_due: None,
            last_error: Some("upstream 503 for 0707614285".to_owned()),
            accepted_at: OffsetDateTime::UNIX_EPOCH,
            history: vec![
                Event {
                    at: OffsetDateTime::UNIX_EPOCH,
                    reported_at: None,
                    status: Status::Accepted,
                    note: None,
                    receipt: None,
                },
                Event {
                    at: OffsetDateTime::UNIX_EPOCH,
                    reported_at: Some(OffsetDateTime::UNIX_EPOCH),
                    status: Status::Delivered,
                    note: Some("delivered to Karen Jensen".to_owned()),
                    receipt: Some(NativeReceipt {
                        protocol: "dk-memo-receipt".to_owned(),
                        media_type: "application/xml".to_owned(),
                        body: "<Kvittering>0707614285</Kvittering>".to_owned(),
                    }),
                },
            ],
        }
    }

    #[test]
    fn a_copy_round_trips_and_keeps_nothing_personal_in_clear() {
        let fields = sealer(1);
        let copy = copy(7, 0);
        let stored = fields.seal_copy(&copy).unwrap();
        let json = String::from_utf8(encode_json(Item::Copy, &stored).unwrap()).unwrap();
        for secret in ["0707614285", "Karen", "Kvittering", "delivered to", "503"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        let back: StoredCopy = decode_json(Item::Copy, json.as_bytes()).unwrap();
        assert_eq!(fields.open_copy(&back).unwrap(), copy);
        // Another key opens nothing.
        let wrong = sealer(2).open_copy(&back).unwrap_err();
        assert_eq!(wrong.fault(), Fault::Key);
    }

    #[test]
    fn sealed_fields_do_not_open_in_another_field_or_record() {
        let fields = sealer(1);
        let a = fields.seal_copy(&copy(7, 0)).unwrap();
        let b = fields.seal_copy(&copy(7, 1)).unwrap();
        // The recipient of copy 7.0 moved into copy 7.1.
        let mut moved = b.clone();
        moved.recipient = a.recipient.clone();
        assert!(fields.open_copy(&moved).is_err());
        // An event's note moved to another position of the same copy.
        let mut swapped = a.clone();
        swapped.history[0].sealed = swapped.history[1].sealed.clone();
        assert!(fields.open_copy(&swapped).is_err());
        // The recipient moved into the last-error field.
        let mut crossed = a.clone();
        crossed.last_error = Some(a.recipient.clone());
        assert!(fields.open_copy(&crossed).is_err());
    }

    #[test]
    fn idempotency_keys_are_sealed_and_indexed_by_a_keyed_hash() {
        let fields = sealer(1);
        let sender: PartyId = "dk-cvr:55133018".parse().unwrap();
        let record = MessageRecord {
            seq: 3,
            key: MessageKey::new(&sender, Uuid::from_u128(1)),
            submitter: sender.clone(),
            idempotency_key: Some("letter-0707614285".to_owned()),
            body_hash: "00".to_owned(),
            source_protocol: "canonical".to_owned(),
            received_at: OffsetDateTime::UNIX_EPOCH,
            copies: 1,
            receipt_channel: None,
        };
        let stored = fields.seal_record(&record).unwrap();
        let json = String::from_utf8(encode_json(Item::Message, &stored).unwrap()).unwrap();
        assert!(!json.contains("0707614285"), "{json}");
        let index = fields
            .idempotency_index(&sender, "letter-0707614285")
            .unwrap();
        assert_eq!(stored.idempotency_index, Some(hex(&index)));
        assert_eq!(fields.open_record(stored).unwrap(), record);
        assert_eq!(
            index,
            fields
                .idempotency_index(&sender, "letter-0707614285")
                .unwrap()
        );
        assert_ne!(
            index,
            sealer(2)
                .idempotency_index(&sender, "letter-0707614285")
                .unwrap()
        );
    }
}
