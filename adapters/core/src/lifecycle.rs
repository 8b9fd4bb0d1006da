//! One status model for every country.
//!
//! ```text
//! accepted ──▶ forwarded ──▶ delivered ──▶ read
//!     │            │             │
//!     └────────────┴─────────────┴──▶ printed · rejected · undeliverable · expired · failed
//! ```
//!
//! Each recipient's copy moves forward only; every move is an [`Event`]
//! carrying the native receipt it came from.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where one recipient's copy of a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Journaled by Borderpost; not yet handed on.
    Accepted,
    /// Handed to the recipient's national system or peer gateway, which
    /// acknowledged receipt.
    Forwarded,
    /// In the recipient's postbox (the national system said so).
    Delivered,
    /// Opened by the recipient.
    Read,
    /// Handed to a print service (and, if it says so, posted).
    Printed,
    /// Refused by the national system for a fault in the message; resending
    /// it unchanged will not help.
    Rejected,
    /// The recipient cannot be reached (no postbox and no print, returned
    /// mail).
    Undeliverable,
    /// Not delivered within the maximum age.
    Expired,
    /// Delivery failed for good after retries.
    Failed,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 9] = [
        Status::Accepted,
        Status::Forwarded,
        Status::Delivered,
        Status::Read,
        Status::Printed,
        Status::Rejected,
        Status::Undeliverable,
        Status::Expired,
        Status::Failed,
    ];

    /// The stable name used in JSON and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Forwarded => "forwarded",
            Status::Delivered => "delivered",
            Status::Read => "read",
            Status::Printed => "printed",
            Status::Rejected => "rejected",
            Status::Undeliverable => "undeliverable",
            Status::Expired => "expired",
            Status::Failed => "failed",
        }
    }

    /// Whether nothing more will be attempted for the copy. `delivered` and
    /// `printed` are not final: a read receipt or returned mail may follow.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Read
                | Status::Rejected
                | Status::Undeliverable
                | Status::Expired
                | Status::Failed
        )
    }

    /// Whether delivery work is still owed (the copy is queued or in flight).
    pub fn awaits_delivery(self) -> bool {
        matches!(self, Status::Accepted)
    }

    fn rank(self) -> u8 {
        match self {
            Status::Accepted => 0,
            Status::Forwarded => 1,
            Status::Delivered | Status::Printed => 2,
            Status::Read => 3,
            _ => 4,
        }
    }

    /// Whether a copy in `self` may move to `next`. Copies only move
    /// forward; a final status never changes. Returned mail may follow
    /// `printed`, a read receipt may follow `delivered`.
    pub fn may_become(self, next: Status) -> bool {
        if self.is_final() || self == next {
            return false;
        }
        match next {
            Status::Accepted => false,
            Status::Read => matches!(self, Status::Delivered | Status::Forwarded),
            Status::Rejected | Status::Expired | Status::Failed => {
                matches!(self, Status::Accepted | Status::Forwarded)
            }
            Status::Undeliverable => !matches!(self, Status::Delivered),
            _ => next.rank() > self.rank(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A receipt as the national system sent it, kept verbatim as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeReceipt {
    /// The protocol it is in, e.g. `no-dpi-receipt`.
    pub protocol: String,
    /// Its media type, e.g. `application/jwt`.
    pub media_type: String,
    /// The receipt itself (text protocols) or base64 (binary ones).
    pub body: String,
}

/// One step in the life of a recipient's copy.
///
/// A copy's history is in causal order: each event's `at` is when
/// Borderpost learned of it, never earlier than the event before. A national
/// system's clock does not decide the order (a receipt stamped before the
/// copy was forwarded still comes after `forwarded`); its own time is kept
/// as `reported_at`, and in the receipt itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When Borderpost learned of it.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// When the national system says it happened, for an event that came
    /// from a receipt (the receipt's own timestamp).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub reported_at: Option<OffsetDateTime>,
    /// The copy's status after the event.
    pub status: Status,
    /// What happened, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The native receipt the event came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<NativeReceipt>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_only_move_forward() {
        use Status::*;
        assert!(Accepted.may_become(Forwarded));
        assert!(Accepted.may_become(Delivered));
        assert!(Forwarded.may_become(Delivered));
        assert!(Delivered.may_become(Read));
        assert!(Printed.may_become(Undeliverable));
        assert!(Accepted.may_become(Failed));
        assert!(!Delivered.may_become(Forwarded));
        assert!(!Delivered.may_become(Failed));
        assert!(!Read.may_become(Delivered));
        assert!(!Failed.may_become(Delivered));
        assert!(!Accepted.may_become(Accepted));
        for s in Status::ALL {
            assert!(!s.may_become(Accepted));
            if s.is_final() {
                assert!(Status::ALL.iter().all(|&n| !s.may_become(n)), "{s}");
            }
        }
    }
}
