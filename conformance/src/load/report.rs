//! What a run measured: a serialisable [`Report`] and its human table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::stats::Percentiles;

/// The outcome of one load run. Counts and latencies cover the measured
/// window only (after the warm-up).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The target URL.
    pub target: String,
    /// `accept` or `end-to-end`.
    pub mode: String,
    /// `keep-alive` or `new-connection`.
    pub connection_mode: String,
    /// Concurrent connections (one request in flight on each).
    pub connections: usize,
    /// The intended total rate (open loop), or none (closed loop).
    pub rate: Option<f64>,
    /// The request body's size in bytes.
    pub body_bytes: usize,
    /// Whether each request carried a fresh message id.
    pub unique_ids: bool,
    /// The warm-up, in seconds (not measured).
    pub warmup_s: f64,
    /// The measured window, in seconds: from the end of the warm-up to the
    /// end of the last measured request.
    pub elapsed_s: f64,
    /// Requests started in the window.
    pub sent: u64,
    /// Requests answered with an expected status.
    pub ok: u64,
    /// Requests that failed, all kinds.
    pub failed: u64,
    /// `ok` per second of the window.
    pub throughput_per_s: f64,
    /// Latency of every measured request (ok or not), from its intended
    /// send time to the end of its answer.
    pub latency_ms: Percentiles,
    /// Failed requests by kind (`connect`, `tls`, `http`, `timeout`,
    /// `status NNN`).
    pub errors: BTreeMap<String, u64>,
    /// TLS handshakes (connections opened) in the window.
    pub handshakes: u64,
    /// Handshakes per second of the window.
    pub handshakes_per_s: f64,
    /// The generator's own CPU time over the whole run, in seconds (Linux).
    pub generator_cpu_s: Option<f64>,
    /// The whole run's wall time, in seconds (warm-up, drain included).
    pub wall_s: f64,
    /// End-to-end mode only.
    pub end_to_end: Option<EndToEnd>,
}

/// What end-to-end mode found at the simulators.
#[derive(Debug, Clone, Serialize)]
pub struct EndToEnd {
    /// Measured messages the target accepted.
    pub accepted: u64,
    /// Of those, seen at a simulator.
    pub delivered: u64,
    /// Of those, not seen within the delivery timeout.
    pub missing: u64,
    /// Delivered messages per second, from the end of the warm-up to the
    /// last measured arrival.
    pub throughput_per_s: f64,
    /// From each delivered message's intended send time to its arrival at
    /// the simulator.
    pub time_to_delivery_ms: Percentiles,
    /// Polls of a simulator that failed (retried).
    pub poll_errors: u64,
}

// === impl Report ===

impl Report {
    /// The report as a small table for a terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let pacing = match self.rate {
            Some(rate) => format!("open loop at {rate} req/s"),
            None => "closed loop".to_owned(),
        };
        let _ = writeln!(out, "target       {}", self.target);
        let _ = writeln!(
            out,
            "run          {}, {} × {}, {}, body {} B{}",
            self.mode,
            self.connections,
            self.connection_mode,
            pacing,
            self.body_bytes,
            if self.unique_ids {
                ", fresh id per request"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "window       {:.2} s measured after {:.2} s warm-up",
            self.elapsed_s, self.warmup_s
        );
        let _ = writeln!(
            out,
            "requests     {} sent, {} ok, {} failed: {:.1} ok/s",
            self.sent, self.ok, self.failed, self.throughput_per_s
        );
        let _ = writeln!(out, "latency      {}", line(&self.latency_ms));
        if !self.errors.is_empty() {
            let errors: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            let _ = writeln!(out, "errors       {}", errors.join(", "));
        }
        let _ = writeln!(
            out,
            "handshakes   {} ({:.1}/s)",
            self.handshakes, self.handshakes_per_s
        );
        if let Some(cpu) = self.generator_cpu_s {
            let _ = writeln!(
                out,
                "generator    {:.2} s CPU in {:.2} s ({:.0} % of one core)",
                cpu,
                self.wall_s,
                if self.wall_s > 0.0 {
                    cpu / self.wall_s * 100.0
                } else {
                    0.0
                }
            );
        }
        if let Some(e2e) = &self.end_to_end {
            let _ = writeln!(
                out,
                "end to end   {} accepted, {} delivered, {} missing: {:.1} delivered/s",
                e2e.accepted, e2e.delivered, e2e.missing, e2e.throughput_per_s
            );
            let _ = writeln!(out, "to delivery  {}", line(&e2e.time_to_delivery_ms));
            if e2e.poll_errors > 0 {
                let _ = writeln!(out, "poll errors  {}", e2e.poll_errors);
            }
        }
        out
    }
}

fn line(p: &Percentiles) -> String {
    format!(
        "p50 {:.2} ms, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2}, mean {:.2}",
        p.p50, p.p90, p.p99, p.p99_9, p.max, p.mean
    )
}
