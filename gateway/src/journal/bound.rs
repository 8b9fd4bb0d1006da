//! How large a journal record may be, and how large the record of one
//! accepted message can get under the configured limits.
//!
//! The log reads back no record whose body is over [`MAX_RECORD_BYTES`],
//! so it writes none either: an append over it is refused before anything
//! is written or acknowledged. For a message within the configured limits
//! never to meet that refusal, `check-config` compares the bound below for
//! every route's limits with the record limit.
//!
//! An accepted message makes one `Accept` record: its metadata, one stored
//! copy per recipient, and the sealed canonical message. The bound counts:
//!
//! - **The message's JSON, from the request body:** every text,
//!   identifier and extension of the message comes from the body, and
//!   serde_json writes at most six bytes for one byte it read (`\u001f`
//!   for a control character; a re-printed number takes at most 4.5).
//! - **Documents:** a document decoded from a compressed package (DPI's
//!   ASiC-E) is bounded not by its share of the body but by the decoded
//!   total, at most the body limit and at most `max_documents ×
//!   max_document_bytes`; it is written as base64 (4/3), with its name,
//!   title and media type (validated to at most 256, 256 and 255
//!   characters).
//! - **Copies:** each is a few clear fields and the sealed recipient,
//!   whose validated fields hold at most 1,058 characters of text and two
//!   identifiers (4.5 KiB of JSON, 4/3 once sealed and in base64), plus
//!   its route's name.
//! - **What intake adds:** the message id and time, the sender's
//!   configured name (when the message has none), the idempotency key
//!   (sealed), the record's own fields.
//!
//! Each term is an upper bound, so the sum is one. A journal test builds
//! the largest message the validation allows under small limits (widest
//! characters in every recipient field, the longest identifiers, a sealed
//! message as large as the body term) and checks that its record is
//! written, read back, and within this bound.

use borderpost_core::Limits;

use super::seal::SEAL_OVERHEAD;

/// The largest record body (sequence number, kind and payload) the log
/// writes and reads back: 1 GiB.
pub const MAX_RECORD_BYTES: u64 = 1 << 30;

/// The most recipients one message may have: a copy's index is 16 bits.
pub const MAX_COPIES: usize = u16::MAX as usize;

/// The most bytes serde_json writes for one byte of input.
const JSON_EXPANSION: u64 = 6;
/// A record's own fields, punctuation, and the values intake adds.
const RECORD_BYTES: u64 = 16 * 1024;
/// One stored copy at intake, besides its route name.
const COPY_BYTES: u64 = 8 * 1024;
/// One document's metadata and base64 padding, besides its content.
const DOCUMENT_BYTES: u64 = 4 * 1024;
/// An `Accept` record's sequence number, kind and JSON length.
const FRAMING: u64 = 8 + 1 + 4;

/// The largest `Accept` record body one message within `limits` can make,
/// given the longest configured sender name and route name (bytes).
pub fn accept_record_bound(limits: &Limits, sender_name: usize, route_name: usize) -> u64 {
    let body = limits.max_body_bytes;
    let recipients = limits.max_recipients as u64;
    let documents = limits.max_documents as u64;
    let decoded = body.min(documents.saturating_mul(limits.max_document_bytes));
    let base64 = decoded.div_ceil(3).saturating_mul(4);
    let copy = COPY_BYTES.saturating_add(JSON_EXPANSION.saturating_mul(route_name as u64));
    FRAMING
        .saturating_add(RECORD_BYTES)
        .saturating_add(recipients.saturating_mul(copy))
        .saturating_add(SEAL_OVERHEAD as u64)
        .saturating_add(JSON_EXPANSION.saturating_mul(body.saturating_add(sender_name as u64)))
        .saturating_add(base64)
        .saturating_add(documents.saturating_mul(DOCUMENT_BYTES))
}

/// The largest `max_body_bytes` (up to the one in `limits`) whose bound
/// fits the record limit with the other limits unchanged.
pub fn largest_body(limits: &Limits, sender_name: usize, route_name: usize) -> u64 {
    largest(limits.max_body_bytes, |body| {
        let limits = Limits {
            max_body_bytes: body,
            ..*limits
        };
        accept_record_bound(&limits, sender_name, route_name) <= MAX_RECORD_BYTES
    })
}

/// The largest `max_recipients` (up to the one in `limits`) whose bound
/// fits the record limit with the other limits unchanged.
pub fn largest_recipients(limits: &Limits, sender_name: usize, route_name: usize) -> u64 {
    largest(limits.max_recipients as u64, |recipients| {
        let limits = Limits {
            max_recipients: usize::try_from(recipients).unwrap_or(usize::MAX),
            ..*limits
        };
        accept_record_bound(&limits, sender_name, route_name) <= MAX_RECORD_BYTES
    })
}

/// The largest value in `0..=high` for which `fits` holds (it holds for
/// every smaller one too), or 0.
fn largest(high: u64, fits: impl Fn(u64) -> bool) -> u64 {
    if fits(high) {
        return high;
    }
    let (mut low, mut high) = (0u64, high);
    while low + 1 < high {
        let mid = low + (high - low) / 2;
        if fits(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limits_fit_and_the_largest_body_is_exact() {
        let defaults = Limits::default();
        assert!(accept_record_bound(&defaults, 64, 16) <= MAX_RECORD_BYTES);
        let over = Limits {
            max_body_bytes: 1 << 30,
            ..defaults
        };
        assert!(accept_record_bound(&over, 64, 16) > MAX_RECORD_BYTES);
        let body = largest_body(&over, 64, 16);
        let at = Limits {
            max_body_bytes: body,
            ..defaults
        };
        assert!(accept_record_bound(&at, 64, 16) <= MAX_RECORD_BYTES);
        let past = Limits {
            max_body_bytes: body + 1,
            ..defaults
        };
        assert!(accept_record_bound(&past, 64, 16) > MAX_RECORD_BYTES);
        assert!(body > defaults.max_body_bytes, "{body}");
    }

    #[test]
    fn absurd_limits_saturate_instead_of_wrapping() {
        let huge = Limits {
            max_body_bytes: u64::MAX,
            max_recipients: usize::MAX,
            max_documents: usize::MAX,
            max_document_bytes: u64::MAX,
            max_depth: 32,
        };
        assert_eq!(accept_record_bound(&huge, usize::MAX, usize::MAX), u64::MAX);
        assert_eq!(largest_recipients(&huge, 0, 0), 0);
    }
}
