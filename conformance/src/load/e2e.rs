//! End-to-end mode: which accepted messages the simulators have, and when
//! they got them.
//!
//! A poller per simulator long-polls `GET /sim/arrivals` (each message's
//! first valid arrival with the simulator's timestamp) and matches each
//! arrival to a request by its message id or by a UUID in its subject: a
//! gateway gives each copy an upstream id of its own, but carries the
//! subject, where generated messages name their id. Time to delivery is
//! the simulator's arrival time minus the request's intended send time
//! (both wall clocks of this machine).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use super::LoadError;
use super::conn::{Conn, Connector};
use super::payload::uuids_in;
use super::stats::Latencies;
use super::target::Target;
use borderpost_sim::{ArrivalPage, Arrived};

/// How long one long poll waits at the simulator.
const POLL_WAIT_MS: u64 = 250;
/// The pause after a failed poll.
const POLL_BACKOFF: Duration = Duration::from_millis(100);

/// Maps this process's monotonic clock to Unix microseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    at: Instant,
    unix_us: u64,
}

/// A message that was (or is being) sent and is not yet seen.
struct Pending {
    sent_at_us: u64,
    measured: bool,
    waiter: Option<oneshot::Sender<()>>,
}

/// Outstanding messages and the arrivals matched so far.
pub(crate) struct Tracker {
    pending: Mutex<HashMap<Uuid, Pending>>,
    time_to_delivery: Mutex<Latencies>,
    delivered: AtomicU64,
    missing: AtomicU64,
    last_arrival_us: AtomicU64,
    poll_errors: AtomicU64,
}

// === impl Clock ===

impl Clock {
    /// Now, on both clocks.
    pub(crate) fn now() -> Clock {
        let unix_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        Clock {
            at: Instant::now(),
            unix_us,
        }
    }

    /// `at` in Unix microseconds.
    pub(crate) fn unix_us(&self, at: Instant) -> u64 {
        let since =
            u64::try_from(at.saturating_duration_since(self.at).as_micros()).unwrap_or(u64::MAX);
        self.unix_us.saturating_add(since)
    }
}

// === impl Tracker ===

impl Tracker {
    pub(crate) fn new() -> Result<Tracker, LoadError> {
        Ok(Tracker {
            pending: Mutex::new(HashMap::new()),
            time_to_delivery: Mutex::new(Latencies::new()?),
            delivered: AtomicU64::new(0),
            missing: AtomicU64::new(0),
            last_arrival_us: AtomicU64::new(0),
            poll_errors: AtomicU64::new(0),
        })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Pending>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers message `id` before its request is sent (an arrival can
    /// be seen before the answer). With `wait`, returns a receiver that
    /// fires when it arrives.
    pub(crate) fn expect(
        &self,
        id: Uuid,
        sent_at_us: u64,
        measured: bool,
        wait: bool,
    ) -> Option<oneshot::Receiver<()>> {
        let (waiter, receiver) = if wait {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        self.pending().insert(
            id,
            Pending {
                sent_at_us,
                measured,
                waiter,
            },
        );
        receiver
    }

    /// Forgets `id`: its request was not accepted, so it will not arrive.
    pub(crate) fn forget(&self, id: Uuid) {
        self.pending().remove(&id);
    }

    /// Matches an arrival to a pending message.
    fn arrived(&self, arrival: &Arrived) {
        let candidates = Uuid::try_parse(&arrival.message_id)
            .ok()
            .into_iter()
            .chain(arrival.subject.iter().flat_map(|s| uuids_in(s)));
        let mut found = None;
        {
            let mut pending = self.pending();
            for id in candidates {
                if let Some(entry) = pending.remove(&id) {
                    found = Some(entry);
                    break;
                }
            }
        }
        let Some(mut entry) = found else {
            // Someone else's traffic, or a message already given up on.
            return;
        };
        if entry.measured {
            let latency =
                Duration::from_micros(arrival.at_unix_us.saturating_sub(entry.sent_at_us));
            self.time_to_delivery
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .record(latency);
            self.delivered.fetch_add(1, Ordering::Relaxed);
            self.last_arrival_us
                .fetch_max(arrival.at_unix_us, Ordering::Relaxed);
        }
        if let Some(waiter) = entry.waiter.take() {
            let _ = waiter.send(());
        }
    }

    /// Measured messages accepted but not yet seen.
    pub(crate) fn outstanding(&self) -> usize {
        self.pending().values().filter(|p| p.measured).count()
    }

    /// Gives up on `id` (its wait timed out): a measured one is missing.
    pub(crate) fn give_up(&self, id: Uuid) {
        if self.pending().remove(&id).is_some_and(|p| p.measured) {
            self.missing.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Gives up on everything still outstanding.
    pub(crate) fn give_up_all(&self) {
        let mut pending = self.pending();
        let missing = pending.values().filter(|p| p.measured).count();
        pending.clear();
        self.missing.fetch_add(
            u64::try_from(missing).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Measured messages accepted but never seen at a simulator.
    pub(crate) fn missing(&self) -> u64 {
        self.missing.load(Ordering::Relaxed)
    }

    /// Measured messages seen at a simulator.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// The simulator time of the last measured arrival (Unix µs; 0: none).
    pub(crate) fn last_arrival_us(&self) -> u64 {
        self.last_arrival_us.load(Ordering::Relaxed)
    }

    /// Polls that failed.
    pub(crate) fn poll_errors(&self) -> u64 {
        self.poll_errors.load(Ordering::Relaxed)
    }

    /// Time-to-delivery histogram so far.
    pub(crate) fn time_to_delivery(&self) -> Latencies {
        self.time_to_delivery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Polls one simulator's arrivals into `tracker` until `stop` turns true.
/// Asks first where the simulator's arrival log stands, so earlier
/// arrivals are skipped; fails if that first question fails.
pub(crate) async fn start_poller(
    connector: Connector,
    simulator: Target,
    tracker: std::sync::Arc<Tracker>,
    mut stop: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, LoadError> {
    let failed = |detail: String| LoadError::Simulator {
        url: simulator.url.clone(),
        detail,
    };
    let mut conn = connector
        .connect()
        .await
        .map_err(|e| failed(format!("cannot connect: {e}")))?;
    let first = fetch(&mut conn, &simulator, u64::MAX, 0, 0)
        .await
        .map_err(|e| failed(format!("GET /sim/arrivals: {e}")))?;
    let mut next = first.next;
    let mut conn = Some(conn);
    Ok(tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                return;
            }
            let poll = async {
                let mut c = match conn.take() {
                    Some(c) => c,
                    None => connector.connect().await.map_err(|e| e.to_string())?,
                };
                let page = fetch(&mut c, &simulator, next, 10_000, POLL_WAIT_MS).await?;
                conn = Some(c);
                Ok::<_, String>(page)
            };
            let page = tokio::select! {
                page = poll => page,
                _ = stop.changed() => return,
            };
            match page {
                Ok(page) => {
                    for arrival in &page.arrivals {
                        tracker.arrived(arrival);
                    }
                    next = page.next;
                }
                Err(e) => {
                    tracing::debug!(simulator = %simulator.url, error = %e, "polling arrivals failed");
                    tracker.poll_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(POLL_BACKOFF).await;
                }
            }
        }
    }))
}

/// One `GET /sim/arrivals`.
async fn fetch(
    conn: &mut Conn,
    simulator: &Target,
    after: u64,
    limit: usize,
    wait_ms: u64,
) -> Result<ArrivalPage, String> {
    if !conn.ready().await {
        return Err("the connection closed".to_owned());
    }
    let request = Request::builder()
        .method(Method::GET)
        .uri(format!(
            "/sim/arrivals?after={after}&limit={limit}&wait_ms={wait_ms}"
        ))
        .header(http::header::HOST, &simulator.authority)
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let response = conn.send(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("status {status}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("not an arrivals page: {e}"))
}
