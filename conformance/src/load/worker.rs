//! One worker per connection: sends requests one at a time, paced or as
//! fast as answers come, and counts what happened.
//!
//! Latency is measured from the request's *intended* send time. Closed
//! loop, that is when it was sent; open loop (`rate`), it is the schedule
//! (`start + k × interval`), so a server that falls behind is charged for
//! the requests that had to wait for a free connection — the correction
//! for coordinated omission that wrk2 popularised. A worker that is behind
//! does not skip requests; it sends them late and counts the lateness.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};

use super::RequestError;
use super::conn::{Conn, Connector};
use super::e2e::{Clock, Tracker};
use super::payload::{Template, fresh_id};
use super::stats::Tally;

/// The pause after a failed connection attempt, so a server that is down
/// is not hammered in a tight loop (the attempt is still counted).
const CONNECT_BACKOFF: Duration = Duration::from_millis(20);

/// What every worker shares.
pub(crate) struct Plan {
    pub connector: Connector,
    pub method: Method,
    pub path: String,
    pub authority: HeaderValue,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub template: Template,
    pub expect: Vec<StatusCode>,
    pub timeout: Duration,
    pub keep_alive: bool,
    /// When the run started (workers start together).
    pub start: Instant,
    /// Requests intended from here on are measured.
    pub measure_from: Instant,
    /// No request is started at or after this.
    pub deadline: Option<Instant>,
    /// Requests left to start, if bounded by count.
    pub budget: Option<AtomicU64>,
    /// Open loop: the interval between one worker's requests.
    pub interval: Option<Duration>,
    /// How many workers share the schedule.
    pub workers: usize,
    /// End-to-end mode.
    pub tracker: Option<Arc<Tracker>>,
    /// End-to-end, closed loop: wait this long for each message to arrive
    /// before sending the next.
    pub wait_for_delivery: Option<Duration>,
    pub clock: Clock,
}

// === impl Plan ===

impl Plan {
    /// Takes one request from the count budget.
    fn take_ticket(&self) -> bool {
        match &self.budget {
            None => true,
            Some(budget) => budget
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok(),
        }
    }

    /// Whether a request answered with `status` succeeded.
    fn is_expected(&self, status: StatusCode) -> bool {
        if self.expect.is_empty() {
            status.is_success()
        } else {
            self.expect.contains(&status)
        }
    }

    fn request(&self, body: Bytes) -> Result<Request<Full<Bytes>>, RequestError> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header(http::header::HOST, self.authority.clone());
        if let Some(content_type) = self.template.content_type()
            && !body.is_empty()
        {
            builder = builder.header(http::header::CONTENT_TYPE, content_type);
        }
        if !self.keep_alive {
            builder = builder.header(http::header::CONNECTION, "close");
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        // Only a header the command line let through could fail here; it
        // was validated, so this is not expected to happen.
        builder
            .body(Full::new(body))
            .map_err(|_| RequestError::Http)
    }
}

/// Runs worker `index` to the end of the plan.
pub(crate) async fn run(
    plan: Arc<Plan>,
    index: usize,
    mut conn: Option<Conn>,
    mut tally: Tally,
) -> Tally {
    let mut rng = fastrand::Rng::new();
    // Open loop: workers are staggered across one interval so the total
    // rate is smooth rather than in bursts of `workers` requests.
    let offset = plan
        .interval
        .map(|interval| interval.mul_f64(index as f64 / plan.workers.max(1) as f64));
    let mut k: u32 = 0;
    loop {
        let intended = match (plan.interval, offset) {
            (Some(interval), Some(offset)) => plan.start + offset + interval.saturating_mul(k),
            _ => Instant::now(),
        };
        k = k.saturating_add(1);
        if plan.deadline.is_some_and(|d| intended >= d) || !plan.take_ticket() {
            break;
        }
        if intended > Instant::now() {
            tokio::time::sleep_until(intended.into()).await;
        }
        let measured = intended >= plan.measure_from;
        let id = fresh_id(&mut rng);
        let body = plan.template.render(id);
        let waiter = plan.tracker.as_ref().map(|t| {
            t.expect(
                id,
                plan.clock.unix_us(intended),
                measured,
                plan.wait_for_delivery.is_some(),
            )
        });
        let handshakes_before = tally.handshakes;
        let outcome =
            tokio::time::timeout(plan.timeout, exchange(&plan, &mut conn, body, &mut tally))
                .await
                .unwrap_or(Err(RequestError::Timeout));
        if !measured {
            // Warm-up handshakes are not the measured run's.
            tally.handshakes = handshakes_before;
        }
        let outcome = match outcome {
            Ok(status) if plan.is_expected(status) => Ok(()),
            Ok(status) => Err(RequestError::Status(status.as_u16())),
            Err(e) => {
                // The connection's state is unknown: start afresh.
                conn = None;
                Err(e)
            }
        };
        let done = Instant::now();
        if measured {
            tally.sent += 1;
            tally
                .latency
                .record(done.saturating_duration_since(intended));
            tally.last_done = Some(done.saturating_duration_since(plan.start));
            match outcome {
                Ok(()) => tally.ok += 1,
                Err(kind) => tally.error(kind),
            }
        }
        if let (Some(tracker), Some(waiter)) = (&plan.tracker, waiter) {
            match (outcome, waiter, plan.wait_for_delivery) {
                (Ok(()), Some(receiver), Some(limit)) => {
                    let arrived = tokio::time::timeout(limit, receiver).await;
                    if !matches!(arrived, Ok(Ok(()))) {
                        tracker.give_up(id);
                    }
                }
                (Ok(()), _, _) => {}
                (Err(_), _, _) => tracker.forget(id),
            }
        }
        if matches!(outcome, Err(RequestError::Connect | RequestError::Tls)) {
            tokio::time::sleep(CONNECT_BACKOFF).await;
        }
        if !plan.keep_alive {
            conn = None;
        }
    }
    tally
}

/// One request on `conn` (opened first if there is none, or if the server
/// closed it): the answer's status, after its whole body is read.
async fn exchange(
    plan: &Plan,
    conn: &mut Option<Conn>,
    body: Bytes,
    tally: &mut Tally,
) -> Result<StatusCode, RequestError> {
    let reusable = match conn.as_mut() {
        Some(c) => c.ready().await,
        None => false,
    };
    if !reusable {
        *conn = Some(plan.connector.connect().await?);
        tally.handshakes += 1;
    }
    let Some(c) = conn.as_mut() else {
        return Err(RequestError::Connect);
    };
    if !c.ready().await {
        return Err(RequestError::Http);
    }
    let response = c.send(plan.request(body)?).await?;
    let status = response.status();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| RequestError::from_hyper(&e))?;
    Ok(status)
}
