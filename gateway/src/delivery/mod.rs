//! Delivery: at-least-once to each recipient's national system, with the
//! same upstream message id on every attempt so the receiver can drop
//! duplicates.
//!
//! A scheduler takes due copies from the journal, a bounded number at a
//! time, and hands each to its upstream's [`Transport`]. Every outcome is
//! journaled before the copy is let go: a crash mid-delivery leaves the copy
//! due, and it is sent again (with the same id) after restart.
//!
//! Before sending a copy whose earlier attempt may have reached the
//! upstream without its answer being journaled — one accepted before this
//! process started (it may have been in flight at a crash), or one whose
//! last attempt failed (a timeout may hide a success) — the engine asks the
//! upstream whether it already holds that id ([`Transport::lookup`]). If it
//! does, the copy is recorded as forwarded and not sent again, so the
//! national system sees it once.
//!
//! - Retries back off exponentially with jitter, up to `retry_max`.
//! - Each upstream has a circuit breaker: while open, its copies wait.
//! - A copy still undelivered at `max_age` is `expired`.
//! - Receipt pollers fetch receipts from each upstream and move copies to
//!   `delivered`, `read`, `failed`…, then acknowledge them upstream.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use borderpost_core::{
    Adapter, EncodeContext, Encoded, Message, NativeReceipt, Receipt, ReceiptKind, Recipient,
    Status,
};
use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, watch};

use crate::app::App;
use crate::config::{Delivery as Pacing, TranslationPolicy};
use crate::journal::{Change, CopyId, CopyState, CopyUpdate, JournalError};

pub mod breaker;
pub mod build;
pub mod client;
pub mod dk;
mod error;
pub mod no;

use breaker::Breaker;
pub use error::TransportError;

/// One copy to deliver.
#[derive(Debug)]
pub struct Job {
    /// The copy.
    pub copy: CopyState,
    /// The whole canonical message.
    pub message: Message,
    /// The time of this attempt.
    pub now: OffsetDateTime,
    /// What to do with translation losses.
    pub policy: TranslationPolicy,
}

/// What became of one delivery attempt that reached the upstream; every
/// other ending is a [`TransportError`].
#[derive(Debug)]
pub enum Sent {
    /// The upstream took the copy (it will confirm delivery by receipt).
    Forwarded {
        /// What happened, for the history (e.g. translation losses).
        note: Option<String>,
        /// The upstream's synchronous answer, if it is a receipt.
        receipt: Option<NativeReceipt>,
    },
    /// The upstream confirmed delivery in its answer.
    Delivered {
        /// What happened.
        note: Option<String>,
        /// The upstream's answer.
        receipt: Option<NativeReceipt>,
    },
}

/// A receipt fetched from an upstream.
#[derive(Debug)]
pub struct Polled {
    /// The receipt.
    pub receipt: Receipt,
    /// The id to acknowledge it by, if the upstream wants acknowledgement.
    pub ack: Option<String>,
}

/// How Borderpost talks to one kind of national system.
pub trait Transport: Send + Sync {
    /// Delivers one copy.
    fn send<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Sent, TransportError>>;

    /// Whether the upstream already holds this copy (by its upstream id):
    /// `Ok(Some(outcome))` if it does, `Ok(None)` if it does not,
    /// [`TransportError::LookupUnsupported`] if it cannot say.
    fn lookup<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Option<Sent>, TransportError>>;

    /// Receipts waiting at the upstream.
    fn poll(&self) -> BoxFuture<'_, Result<Vec<Polled>, TransportError>>;

    /// Tells the upstream a receipt has been taken.
    fn ack<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), TransportError>>;
}

/// An upstream with its transport and breaker.
pub struct Upstream {
    /// The route name.
    pub name: String,
    /// How to talk to it.
    pub transport: Box<dyn Transport>,
    /// Its circuit breaker.
    pub breaker: Breaker,
    /// Its delivery quota: over it, copies wait (nothing fails).
    pub quota: Option<governor::DefaultDirectRateLimiter>,
}

/// The delivery engine.
pub struct Delivery {
    app: Arc<App>,
    upstreams: HashMap<String, Arc<Upstream>>,
    in_flight: Mutex<HashSet<CopyId>>,
    permits: Arc<Semaphore>,
    pacing: Pacing,
    /// When this engine started: a copy accepted before it may have been
    /// in flight when the previous process stopped.
    started_at: OffsetDateTime,
}

impl Delivery {
    /// An engine over `upstreams`.
    pub fn new(app: Arc<App>, upstreams: Vec<Upstream>) -> Arc<Delivery> {
        let pacing = app.config.delivery.clone();
        Arc::new(Delivery {
            permits: Arc::new(Semaphore::new(pacing.concurrency)),
            upstreams: upstreams
                .into_iter()
                .map(|u| (u.name.clone(), Arc::new(u)))
                .collect(),
            in_flight: Mutex::new(HashSet::new()),
            pacing,
            started_at: OffsetDateTime::now_utc(),
            app,
        })
    }

    /// Sets the circuit-breaker gauges (a scrape hook).
    pub fn report(&self, metrics: &crate::metrics::Metrics) {
        for upstream in self.upstreams.values() {
            metrics
                .delivery
                .breaker
                .get_or_create(&crate::metrics::UpstreamLabels {
                    upstream: upstream.name.clone(),
                })
                .set(upstream.breaker.state().as_gauge());
        }
    }

    /// Each upstream's circuit state, by name.
    pub fn states(&self) -> std::collections::BTreeMap<String, &'static str> {
        self.upstreams
            .values()
            .map(|u| {
                let state = match u.breaker.state() {
                    breaker::State::Closed => "closed",
                    breaker::State::Open => "open",
                    breaker::State::HalfOpen => "half-open",
                };
                (u.name.clone(), state)
            })
            .collect()
    }

    /// The upstreams whose circuit is open (for readiness).
    pub fn open_circuits(&self) -> Vec<String> {
        self.upstreams
            .values()
            .filter(|u| u.breaker.state() == breaker::State::Open)
            .map(|u| u.name.clone())
            .collect()
    }

    /// The upstream called `name`.
    pub fn upstream(&self, name: &str) -> Option<&Arc<Upstream>> {
        self.upstreams.get(name)
    }

    fn claim(&self, id: CopyId) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id)
    }

    fn release(&self, id: CopyId) {
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
    }

    /// Takes due copies and delivers them until `shutdown`.
    pub async fn schedule(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let wake = Arc::clone(&self.app.wake_delivery);
        // Copies in flight stay in the due queue until their outcome is
        // journaled, so a scan must reach past them to find new work.
        let scan = self.pacing.concurrency + 256;
        loop {
            let now = OffsetDateTime::now_utc();
            let due = match self.app.journal.due(now, scan) {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(error = %e, "reading the due queue failed");
                    Vec::new()
                }
            };
            let listed = due.len();
            let mut dispatched = 0usize;
            for id in due {
                if !self.claim(id) {
                    continue;
                }
                let permit = tokio::select! {
                    permit = Arc::clone(&self.permits).acquire_owned() => permit,
                    _ = shutdown.changed() => return,
                };
                let Ok(permit) = permit else { return };
                dispatched += 1;
                let engine = Arc::clone(&self);
                tokio::spawn(async move {
                    engine.deliver(id).await;
                    engine.release(id);
                    drop(permit);
                    engine.app.wake_delivery.notify_one();
                });
            }
            let wait = if dispatched > 0 {
                // More may be due right behind these.
                Duration::ZERO
            } else if listed > 0 {
                // Everything due is in flight: a finished delivery wakes us.
                Duration::from_secs(1)
            } else {
                // Nothing due: sleep until the next copy is, or new work
                // arrives (intake wakes us).
                match self.app.journal.next_due() {
                    Ok(Some(at)) => Duration::try_from(at - OffsetDateTime::now_utc())
                        .unwrap_or(Duration::ZERO)
                        .min(Duration::from_secs(1)),
                    _ => Duration::from_secs(1),
                }
            };
            if wait.is_zero() {
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One delivery attempt for copy `id`, journaled.
    async fn deliver(&self, id: CopyId) {
        let copy = match self.app.journal.copy(id) {
            Ok(Some(copy)) if copy.status == Status::Accepted => copy,
            Ok(_) => return,
            Err(e) => {
                tracing::error!(copy = %id, error = %e, "reading a copy failed");
                return;
            }
        };
        let now = OffsetDateTime::now_utc();
        if copy.next_due.is_some_and(|due| due > now) {
            return;
        }
        let age = now - copy.accepted_at;
        if age > self.pacing.max_age {
            self.record(
                id,
                now,
                status_change(
                    Status::Expired,
                    format!("not delivered within {:?}", self.pacing.max_age),
                    None,
                    false,
                ),
            )
            .await;
            return;
        }
        let Some(upstream) = self.upstreams.get(&copy.route).cloned() else {
            self.record(
                id,
                now,
                status_change(
                    Status::Failed,
                    format!("no upstream {:?} is configured", copy.route),
                    None,
                    false,
                ),
            )
            .await;
            return;
        };
        if let Some(wait) = upstream
            .quota
            .as_ref()
            .and_then(crate::limits::check_direct)
        {
            self.app
                .metrics
                .ingress
                .rate_limited
                .get_or_create(&crate::metrics::LimitLabels {
                    scope: "upstream".to_owned(),
                    key: upstream.name.clone(),
                })
                .inc();
            let retry_at = now + wait;
            self.record(
                id,
                now,
                Change::Defer {
                    until: retry_at,
                    reason: format!("pacing deliveries to {}", upstream.name),
                },
            )
            .await;
            return;
        }
        if let Err(wait) = upstream.breaker.admit() {
            let retry_at = now + wait;
            self.record(
                id,
                now,
                Change::Defer {
                    until: retry_at,
                    reason: format!("circuit to {} is open", upstream.name),
                },
            )
            .await;
            return;
        }
        let message = match self.app.journal.message_by_seq(id.message) {
            Ok(Some(view)) => match self.app.open(&view) {
                Ok(message) => message,
                Err(e) => {
                    tracing::error!(copy = %id, error = %e, "opening a payload failed");
                    self.record(
                        id,
                        now,
                        status_change(
                            Status::Failed,
                            "the stored message cannot be read".to_owned(),
                            None,
                            false,
                        ),
                    )
                    .await;
                    return;
                }
            },
            _ => return,
        };
        let job = Job {
            copy,
            message,
            now,
            policy: self.app.config.policy,
        };
        let uncertain = job.copy.attempts > 0 || job.copy.accepted_at < self.started_at;
        let mut already_there = false;
        let attempt = if uncertain {
            match upstream.transport.lookup(&job).await {
                Ok(Some(sent)) => {
                    tracing::info!(copy = %id, upstream = %upstream.name, "the upstream already has this copy; not sent again");
                    already_there = true;
                    Ok(sent)
                }
                Ok(None) => upstream.transport.send(&job).await,
                // An upstream without the lookup must not hold copies back
                // forever: they are sent, and its own duplicate check (by
                // the same message id) is the only one.
                Err(TransportError::LookupUnsupported { status }) => {
                    tracing::debug!(copy = %id, upstream = %upstream.name, %status, "the upstream cannot say whether it holds a copy; sending it");
                    upstream.transport.send(&job).await
                }
                Err(TransportError::Transient { reason }) => Err(TransportError::transient(
                    format!("asking whether {} already has it: {reason}", upstream.name),
                )),
                Err(TransportError::Configuration { reason }) => {
                    Err(TransportError::configuration(format!(
                        "asking whether {} already has it: {reason}",
                        upstream.name
                    )))
                }
                // The upstream holds the copy and has decided about it.
                Err(e @ TransportError::Rejected { .. })
                | Err(e @ TransportError::Unreachable { .. }) => Err(e),
            }
        } else {
            upstream.transport.send(&job).await
        };
        let outcome = match &attempt {
            Ok(_) if already_there => "already-there",
            Ok(Sent::Forwarded { .. }) => "forwarded",
            Ok(Sent::Delivered { .. }) => "delivered",
            Err(e) => e.outcome(),
        };
        let labels = crate::metrics::OutcomeLabels {
            upstream: upstream.name.clone(),
            outcome: outcome.to_owned(),
        };
        self.app
            .metrics
            .delivery
            .attempts
            .get_or_create(&labels)
            .inc();
        let retry = |error: String| {
            self.app
                .metrics
                .delivery
                .retries
                .get_or_create(&crate::metrics::UpstreamLabels {
                    upstream: upstream.name.clone(),
                })
                .inc();
            upstream.breaker.failure();
            Change::AttemptFailed {
                retry_at: now + self.backoff(job.copy.attempts),
                error,
            }
        };
        let change = match attempt {
            Ok(Sent::Forwarded { note, receipt }) => {
                upstream.breaker.success();
                status_change(
                    Status::Forwarded,
                    note.unwrap_or_else(|| format!("handed to {}", upstream.name)),
                    receipt,
                    true,
                )
            }
            Ok(Sent::Delivered { note, receipt }) => {
                upstream.breaker.success();
                status_change(
                    Status::Delivered,
                    note.unwrap_or_else(|| format!("delivered by {}", upstream.name)),
                    receipt,
                    true,
                )
            }
            // The upstream answered, and decided: it is up.
            Err(TransportError::Rejected { reason, receipt }) => {
                upstream.breaker.success();
                status_change(Status::Rejected, reason, receipt, true)
            }
            Err(TransportError::Unreachable { reason, receipt }) => {
                upstream.breaker.success();
                status_change(Status::Undeliverable, reason, receipt, true)
            }
            Err(TransportError::Transient { reason }) => {
                tracing::info!(copy = %id, upstream = %upstream.name, attempt = job.copy.attempts + 1, error = %reason, "delivery failed; will retry");
                retry(reason)
            }
            // Retried, so a fixed configuration delivers; the breaker
            // opens, so the operator sees it in /readyz and the metrics.
            Err(TransportError::Configuration { reason }) => {
                tracing::error!(copy = %id, upstream = %upstream.name, error = %reason, "delivery failed for a configuration fault; will retry");
                retry(format!("configuration fault: {reason}"))
            }
            // Only a lookup answers this, and the lookup's answer was
            // handled above: a transport that returns it from `send` is
            // wrong, and the copy must not be lost for it.
            Err(TransportError::LookupUnsupported { status }) => {
                tracing::error!(copy = %id, upstream = %upstream.name, %status, "a send was answered as a lookup; will retry");
                retry(format!("{} answered {status}", upstream.name))
            }
        };
        self.record(id, OffsetDateTime::now_utc(), change).await;
    }

    /// Exponential backoff with jitter: between half and all of
    /// `retry_initial × 2^attempts`, capped at `retry_max`.
    fn backoff(&self, attempts: u32) -> Duration {
        let base = self
            .pacing
            .retry_initial
            .saturating_mul(1u32 << attempts.min(20));
        let capped = base.min(self.pacing.retry_max);
        let half = capped / 2;
        half + Duration::from_nanos(fastrand::u64(
            ..=u64::try_from(half.as_nanos()).unwrap_or(u64::MAX),
        ))
    }

    async fn record(&self, id: CopyId, at: OffsetDateTime, change: Change) {
        match self
            .app
            .journal
            .update(CopyUpdate {
                copy: id,
                at,
                change,
            })
            .await
        {
            Ok(_) => {}
            // A receipt overtook the delivery outcome (the copy is already
            // further along): nothing to record.
            Err(JournalError::Transition { from, to, .. }) => {
                tracing::debug!(copy = %id, %from, %to, "outcome overtaken by a receipt");
            }
            Err(e) => {
                tracing::error!(copy = %id, error = %e, "journaling a delivery outcome failed")
            }
        }
    }

    /// Polls `route`'s receipts until `shutdown`.
    pub async fn poll_receipts(
        self: Arc<Self>,
        route: String,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let Some(upstream) = self.upstreams.get(&route).cloned() else {
            return;
        };
        loop {
            // A poll waits on the upstream; shutdown must not.
            let polled = tokio::select! {
                polled = upstream.transport.poll() => polled,
                _ = shutdown.changed() => return,
            };
            match polled {
                Ok(receipts) => {
                    for polled in receipts {
                        let applied = self.apply_receipt(&route, &polled.receipt).await;
                        if applied
                            && let Some(ack) = &polled.ack
                            && let Err(e) = upstream.transport.ack(ack).await
                        {
                            tracing::warn!(upstream = %route, error = %e, "acknowledging a receipt failed; it will come again");
                        }
                    }
                }
                Err(e) => tracing::debug!(upstream = %route, error = %e, "polling receipts failed"),
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(self.pacing.receipt_poll) => {}
            }
        }
    }

    /// Journals what `receipt` says about the copy it refers to. Returns
    /// whether the receipt was dealt with (and may be acknowledged).
    pub async fn apply_receipt(&self, route: &str, receipt: &Receipt) -> bool {
        let id = match self
            .app
            .journal
            .copy_by_upstream_id(route, &receipt.message_id)
        {
            Ok(Some(id)) => id,
            Ok(None) => {
                tracing::warn!(
                    upstream = route,
                    "a receipt names a message Borderpost did not send; dropping it"
                );
                return true;
            }
            Err(e) => {
                tracing::error!(error = %e, "receipt lookup failed");
                return false;
            }
        };
        let kind = match &receipt.kind {
            ReceiptKind::Received => "received",
            ReceiptKind::Delivered => "delivered",
            ReceiptKind::Printed => "printed",
            ReceiptKind::Read => "read",
            ReceiptKind::NotificationFailed { .. } => "notification-failed",
            ReceiptKind::Returned => "returned",
            ReceiptKind::Error { .. } => "error",
        };
        self.app
            .metrics
            .delivery
            .receipts
            .get_or_create(&crate::metrics::OutcomeLabels {
                upstream: route.to_owned(),
                outcome: kind.to_owned(),
            })
            .inc();
        let note = describe(&receipt.kind);
        // The event is dated when Borderpost learned it: the national
        // system's clock must not put `delivered` before `forwarded`. Its
        // own time stays in the receipt and is shown as `reported_at`.
        let reported_at = Some(receipt.at);
        let change = match receipt.kind.status() {
            Some(status) => match self.app.journal.copy(id) {
                Ok(Some(copy)) if copy.status.may_become(status) => Change::Status {
                    status,
                    note: Some(note),
                    receipt: Some(receipt.native.clone()),
                    reported_at,
                    attempt: false,
                },
                Ok(Some(copy)) if copy.status == status => return true,
                Ok(Some(_)) => Change::Note {
                    note: format!("{note} (after the copy had moved on)"),
                    receipt: Some(receipt.native.clone()),
                    reported_at,
                },
                Ok(None) => return true,
                Err(_) => return false,
            },
            None => Change::Note {
                note,
                receipt: Some(receipt.native.clone()),
                reported_at,
            },
        };
        match self
            .app
            .journal
            .update(CopyUpdate {
                copy: id,
                at: OffsetDateTime::now_utc(),
                change,
            })
            .await
        {
            Ok(_) => true,
            Err(JournalError::Transition { .. }) => true,
            Err(e) => {
                tracing::error!(copy = %id, error = %e, "journaling a receipt failed");
                false
            }
        }
    }
}

/// What a failed [`Transport::lookup`] answer means. `404`: the upstream
/// does not hold the copy. Another client error (`400`, `405`, `501`…): it
/// cannot say ([`TransportError::LookupUnsupported`]). Anything else
/// (`5xx`, `429`, `408`): ask again later.
pub(crate) fn lookup_failed(
    upstream: &str,
    status: http::StatusCode,
) -> Result<Option<Sent>, TransportError> {
    let transient = status.is_server_error() && status != http::StatusCode::NOT_IMPLEMENTED
        || status == http::StatusCode::TOO_MANY_REQUESTS
        || status == http::StatusCode::REQUEST_TIMEOUT;
    if transient {
        return Err(TransportError::transient(format!(
            "{upstream} answered {status}"
        )));
    }
    if status == http::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    Err(TransportError::LookupUnsupported { status })
}

/// Encodes `job`'s message for `to`, applying the translation policy:
/// the encoded parts and a note of what was lost, or why not (a refusal
/// for a fault in the message, a configuration fault in Borderpost's own
/// keys or settings).
pub(crate) fn encode_with(
    adapter: &dyn Adapter,
    message: &Message,
    policy: TranslationPolicy,
    to: &Recipient,
    ctx: &EncodeContext<'_>,
) -> Result<(Encoded, Option<String>), TransportError> {
    let encoded = adapter.encode(message, to, ctx).map_err(|e| {
        if e.is_input_fault() {
            TransportError::rejected(
                format!(
                    "cannot be written as {} ({}): {e}",
                    adapter.protocol(),
                    e.code()
                ),
                None,
            )
        } else {
            TransportError::configuration(format!("encoding {}: {e}", adapter.protocol()))
        }
    })?;
    let losses = (!encoded.losses.is_empty()).then(|| {
        encoded
            .losses
            .iter()
            .map(|l| format!("{} ({})", l.field, l.reason))
            .collect::<Vec<_>>()
            .join("; ")
    });
    if let (Some(losses), TranslationPolicy::Strict) = (&losses, policy) {
        return Err(TransportError::rejected(
            format!(
                "{} cannot carry every field and the policy is strict: {losses}",
                adapter.protocol()
            ),
            None,
        ));
    }
    Ok((encoded, losses))
}

/// [`encode_with`] for a single-part protocol needing no keys, for the
/// copy's own recipient.
pub(crate) fn encode_for(
    adapter: &dyn Adapter,
    job: &Job,
) -> Result<(Vec<u8>, Option<String>), TransportError> {
    let ctx = EncodeContext::new(job.now, job.copy.upstream_id);
    let (encoded, losses) =
        encode_with(adapter, &job.message, job.policy, &job.copy.recipient, &ctx)?;
    match encoded.parts.into_iter().next() {
        Some(part) => Ok((part.body, losses)),
        None => Err(TransportError::configuration(format!(
            "{} produced nothing to send",
            adapter.protocol()
        ))),
    }
}

fn status_change(
    status: Status,
    note: String,
    receipt: Option<NativeReceipt>,
    attempt: bool,
) -> Change {
    Change::Status {
        status,
        note: Some(note),
        receipt,
        reported_at: None,
        attempt,
    }
}

fn describe(kind: &ReceiptKind) -> String {
    match kind {
        ReceiptKind::Received => "received by the national system".to_owned(),
        ReceiptKind::Delivered => "delivered to the recipient's postbox".to_owned(),
        ReceiptKind::Printed => "handed to the print service".to_owned(),
        ReceiptKind::Read => "opened by the recipient".to_owned(),
        ReceiptKind::NotificationFailed { channel, detail } => match detail {
            Some(d) => format!("the {channel} notification failed: {d}"),
            None => format!("the {channel} notification failed"),
        },
        ReceiptKind::Returned => "returned by the postal service".to_owned(),
        ReceiptKind::Error { permanent, detail } => {
            let kind = if *permanent { "rejected" } else { "failed" };
            match detail {
                Some(d) => format!("{kind} by the national system: {d}"),
                None => format!("{kind} by the national system"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::{TransportError, lookup_failed};

    #[test]
    fn a_lookup_the_upstream_cannot_answer_does_not_hold_copies_back() {
        // Not there: send.
        assert!(matches!(
            lookup_failed("x", StatusCode::NOT_FOUND),
            Ok(None)
        ));
        // Cannot say: the engine sends (and says why in the log).
        for status in [
            StatusCode::BAD_REQUEST,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::NOT_IMPLEMENTED,
        ] {
            assert!(
                matches!(
                    lookup_failed("x", status),
                    Err(TransportError::LookupUnsupported { status: s }) if s == status
                ),
                "{status}"
            );
        }
        // Down or busy: ask again later.
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::REQUEST_TIMEOUT,
        ] {
            assert!(
                matches!(
                    lookup_failed("x", status),
                    Err(TransportError::Transient { .. })
                ),
                "{status}"
            );
        }
    }
}
