//! The load generator: mTLS HTTP/1.1 load against a gateway (or any
//! server), with latency percentiles from a histogram, errors by kind, and
//! — in end-to-end mode — the time until a national-system simulator has
//! each message.
//!
//! ```text
//! run(LoadConfig)
//!  ├ resolve the target (loopback only unless allowed), build the TLS client
//!  ├ end-to-end: one poller per simulator (GET /sim/arrivals, long poll)
//!  ├ keep-alive: open every connection before the clock starts
//!  ├ N workers, one connection each, one request in flight each
//!  │   closed loop: next request when the answer (and, end to end, the
//!  │   delivery) is in; open loop (`rate`): on a fixed schedule, latency
//!  │   from the scheduled time
//!  └ merge the workers' histograms → Report
//! ```
//!
//! Why its own client instead of an existing tool: the tools on these
//! machines that can present a client certificate are few (DESIGN §14), and
//! a Borderpost run needs more than a fixed body — a fresh message id per
//! request (a repeated id is answered from the idempotency record, not
//! journaled) and the simulators' view of delivery. The generator is kept
//! cheap on purpose (one thread by default, no per-request allocation
//! beyond the body copy), because it shares a small machine with the
//! server it measures.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue, Method, StatusCode};
use tokio::sync::watch;

mod conn;
mod e2e;
mod error;
mod identity;
mod payload;
mod report;
mod stats;
mod target;
mod worker;

pub use error::{LoadError, RequestError};
pub use identity::{Identity, Pem};
pub use payload::{Format, Generate, Template};
pub use report::{EndToEnd, Report};
pub use stats::Percentiles;
pub use target::{Target, is_loopback};

/// The most connections one run opens.
pub const MAX_CONNECTIONS: usize = 10_000;
/// The longest run (warm-up and measured window together).
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// What to do in one run.
#[derive(Debug)]
pub struct LoadConfig {
    /// The `https://` URL every request goes to.
    pub target: String,
    /// Allow targets (and simulators) that are not loopback addresses.
    pub allow_remote: bool,
    /// Concurrent connections, one request in flight on each.
    pub connections: usize,
    /// How long to measure, after the warm-up.
    pub duration: Option<Duration>,
    /// At most this many requests in all (warm-up included).
    pub requests: Option<u64>,
    /// Not measured: requests intended in this first stretch.
    pub warmup: Duration,
    /// Open loop: this many requests per second in total. Closed loop
    /// (each connection sends when its answer is in) without.
    pub rate: Option<f64>,
    /// A new connection (full TLS handshake, no resumption) per request,
    /// instead of keep-alive connections.
    pub new_connections: bool,
    /// The request method.
    pub method: Method,
    /// Extra request headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The request body.
    pub template: Template,
    /// The statuses that count as success; empty: any `2xx`.
    pub expect: Vec<StatusCode>,
    /// Per-request timeout, connection set-up included.
    pub timeout: Duration,
    /// Who the client is.
    pub identity: Identity,
    /// Accept or end-to-end.
    pub mode: Mode,
}

/// What counts as done for a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// The target's answer.
    Accept,
    /// The target's answer, and then the message at a simulator.
    EndToEnd {
        /// The simulators' base URLs (`https://127.0.0.1:8502`).
        simulators: Vec<String>,
        /// How long to wait for a message to arrive after its answer
        /// (closed loop: before the connection sends the next one; open
        /// loop: after the last request).
        delivery_timeout: Duration,
    },
}

/// Runs the load described by `config` and reports what it measured.
/// Failed requests are counted, never fatal; only a run that cannot start
/// is an error.
pub async fn run(config: LoadConfig) -> Result<Report, LoadError> {
    validate(&config)?;
    let wall_started = Instant::now();
    let cpu_started = stats::cpu_time();
    let target = Target::resolve(&config.target, config.allow_remote).await?;
    let tls = config.identity.client_config(!config.new_connections)?;
    let connector = conn::Connector::new(target.addr, target.server_name()?, Arc::clone(&tls));
    let authority = HeaderValue::from_str(&target.authority).map_err(|_| LoadError::Option {
        option: "target",
        detail: format!("{:?} is not a valid Host header", target.authority),
    })?;

    // End to end: the pollers start before any message is sent.
    let (stop, stopped) = watch::channel(false);
    let mut pollers = Vec::new();
    let (tracker, delivery_timeout) = match &config.mode {
        Mode::Accept => (None, None),
        Mode::EndToEnd {
            simulators,
            delivery_timeout,
        } => {
            let tracker = Arc::new(e2e::Tracker::new()?);
            // Simulators keep their connection across polls: resumption
            // is fine there even when the load itself refuses it.
            let sim_tls = config.identity.client_config(true)?;
            for url in simulators {
                let sim = Target::resolve(url, config.allow_remote).await?;
                let sim_connector =
                    conn::Connector::new(sim.addr, sim.server_name()?, Arc::clone(&sim_tls));
                pollers.push(
                    e2e::start_poller(
                        sim_connector,
                        sim.with_path("/"),
                        Arc::clone(&tracker),
                        stopped.clone(),
                    )
                    .await?,
                );
            }
            (Some(tracker), Some(*delivery_timeout))
        }
    };

    // Keep-alive: connections are opened before the clock starts, so the
    // first requests do not pay for handshakes the rest do not. One that
    // fails here is retried (and counted) by its worker.
    let mut preopened = Vec::with_capacity(config.connections);
    if config.new_connections {
        preopened.resize_with(config.connections, || None);
    } else {
        let mut opening = tokio::task::JoinSet::new();
        for index in 0..config.connections {
            let connector = connector.clone();
            opening.spawn(async move { (index, connector.connect().await.ok()) });
        }
        preopened.resize_with(config.connections, || None);
        while let Some(opened) = opening.join_next().await {
            if let Ok((index, conn)) = opened
                && let Some(slot) = preopened.get_mut(index)
            {
                *slot = conn;
            }
        }
    }

    let start = Instant::now();
    let measure_from = start + config.warmup;
    let interval = config
        .rate
        .map(|rate| Duration::from_secs_f64(config.connections as f64 / rate));
    let plan = Arc::new(worker::Plan {
        connector,
        method: config.method.clone(),
        path: target.path.clone(),
        authority,
        headers: config.headers.clone(),
        template: config.template.clone(),
        expect: config.expect.clone(),
        timeout: config.timeout,
        keep_alive: !config.new_connections,
        start,
        measure_from,
        deadline: config.duration.map(|d| measure_from + d),
        budget: config.requests.map(AtomicU64::new),
        interval,
        workers: config.connections,
        tracker: tracker.clone(),
        wait_for_delivery: if config.rate.is_none() {
            delivery_timeout
        } else {
            None
        },
        clock: e2e::Clock::now(),
    });
    let mut workers = tokio::task::JoinSet::new();
    for (index, conn) in preopened.into_iter().enumerate() {
        let tally = stats::Tally::new()?;
        workers.spawn(worker::run(Arc::clone(&plan), index, conn, tally));
    }
    let mut total = stats::Tally::new()?;
    while let Some(done) = workers.join_next().await {
        match done {
            Ok(tally) => total.merge(&tally),
            // A worker that panicked lost its counts; the others stand.
            Err(e) => tracing::error!(error = %e, "a load worker failed"),
        }
    }

    // Open loop end to end: wait for what is still on its way.
    if let (Some(tracker), Some(limit)) = (&tracker, delivery_timeout) {
        let until = Instant::now() + limit;
        while tracker.outstanding() > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tracker.give_up_all();
    }
    let _ = stop.send(true);
    for poller in pollers {
        let _ = poller.await;
    }

    let elapsed = total
        .last_done
        .map_or(Duration::ZERO, |d| d.saturating_sub(config.warmup));
    let per_second = |n: u64| {
        if elapsed.is_zero() {
            0.0
        } else {
            n as f64 / elapsed.as_secs_f64()
        }
    };
    let end_to_end = tracker.map(|t| {
        let measured_from_us = plan.clock.unix_us(measure_from);
        let window = t.last_arrival_us().saturating_sub(measured_from_us);
        EndToEnd {
            accepted: total.ok,
            delivered: t.delivered(),
            missing: t.missing(),
            throughput_per_s: if window == 0 {
                0.0
            } else {
                t.delivered() as f64 / (window as f64 / 1e6)
            },
            time_to_delivery_ms: t.time_to_delivery().percentiles(),
            poll_errors: t.poll_errors(),
        }
    });
    let generator_cpu_s = match (cpu_started, stats::cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
        _ => None,
    };
    Ok(Report {
        target: target.url.clone(),
        mode: match config.mode {
            Mode::Accept => "accept",
            Mode::EndToEnd { .. } => "end-to-end",
        }
        .to_owned(),
        connection_mode: if config.new_connections {
            "new-connection"
        } else {
            "keep-alive"
        }
        .to_owned(),
        connections: config.connections,
        rate: config.rate,
        body_bytes: config.template.len(),
        unique_ids: config.template.unique_ids(),
        warmup_s: config.warmup.as_secs_f64(),
        elapsed_s: elapsed.as_secs_f64(),
        sent: total.sent,
        ok: total.ok,
        failed: total.sent.saturating_sub(total.ok),
        throughput_per_s: per_second(total.ok),
        latency_ms: total.latency.percentiles(),
        errors: total
            .errors
            .iter()
            .map(|(kind, n)| (kind.to_string(), *n))
            .collect(),
        handshakes: total.handshakes,
        handshakes_per_s: per_second(total.handshakes),
        generator_cpu_s,
        wall_s: wall_started.elapsed().as_secs_f64(),
        end_to_end,
    })
}

/// Checks the limits that keep a run bounded.
fn validate(config: &LoadConfig) -> Result<(), LoadError> {
    let bad = |option, detail: &str| {
        Err(LoadError::Option {
            option,
            detail: detail.to_owned(),
        })
    };
    if config.connections == 0 || config.connections > MAX_CONNECTIONS {
        return bad("connections", &format!("between 1 and {MAX_CONNECTIONS}"));
    }
    if config.duration.is_none() && config.requests.is_none() {
        return bad("duration", "a run needs a duration or a request count");
    }
    if config.duration.is_some_and(|d| d.is_zero()) {
        return bad("duration", "must be longer than zero");
    }
    if config.duration.unwrap_or_default() + config.warmup > MAX_DURATION {
        return bad("duration", "warm-up and duration together at most 24 h");
    }
    if config.requests == Some(0) {
        return bad("requests", "at least 1");
    }
    if let Some(rate) = config.rate
        && !(rate.is_finite() && rate > 0.0 && rate <= 10_000_000.0)
    {
        return bad("rate", "a positive number of requests per second");
    }
    if config.timeout.is_zero() {
        return bad("timeout", "must be longer than zero");
    }
    if let Mode::EndToEnd {
        simulators,
        delivery_timeout,
    } = &config.mode
    {
        if simulators.is_empty() {
            return bad("sim", "end-to-end mode needs at least one simulator URL");
        }
        if delivery_timeout.is_zero() || *delivery_timeout > MAX_DURATION {
            return bad("delivery-timeout", "between 1 ms and 24 h");
        }
        if !config.template.unique_ids() {
            return bad(
                "message",
                "end-to-end mode needs a message whose id can be rewritten per request",
            );
        }
    }
    Ok(())
}
