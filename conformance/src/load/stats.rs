//! Latency histograms (HdrHistogram, microseconds) and what workers count.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::{LoadError, RequestError};

/// The longest latency a histogram holds exactly (longer ones are recorded
/// as this): one hour, in microseconds.
const HIGHEST_US: u64 = 3_600_000_000;

/// A latency histogram in microseconds with three significant digits (a
/// value is off by at most 0.1 %).
#[derive(Debug, Clone)]
pub(crate) struct Latencies(Histogram<u64>);

/// Percentiles of a latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// How many values.
    pub count: u64,
    /// The mean.
    pub mean: f64,
    /// The median.
    pub p50: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The 99.9th percentile.
    pub p99_9: f64,
    /// The largest.
    pub max: f64,
}

/// What one worker counted.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    /// Requests started in the measured window.
    pub sent: u64,
    /// Of those, answered with an expected status.
    pub ok: u64,
    /// Failed ones by kind.
    pub errors: BTreeMap<RequestError, u64>,
    /// Latency of every measured request, ok or not.
    pub latency: Latencies,
    /// TLS handshakes completed in the measured window.
    pub handshakes: u64,
    /// When the last measured request ended, after the run's start.
    pub last_done: Option<Duration>,
}

// === impl Latencies ===

impl Latencies {
    /// An empty histogram.
    pub(crate) fn new() -> Result<Latencies, LoadError> {
        Histogram::new_with_bounds(1, HIGHEST_US, 3)
            .map(Latencies)
            .map_err(|e| LoadError::Histogram(e.to_string()))
    }

    /// Records one latency.
    pub(crate) fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(us.max(1));
    }

    /// Adds every value of `other`.
    pub(crate) fn merge(&mut self, other: &Latencies) {
        for value in other.0.iter_recorded() {
            self.0
                .saturating_record_n(value.value_iterated_to(), value.count_at_value());
        }
    }

    /// How many values.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.0.len()
    }

    /// The percentiles, in milliseconds.
    pub(crate) fn percentiles(&self) -> Percentiles {
        if self.0.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: self.0.len(),
            mean: self.0.mean() / 1000.0,
            p50: ms(self.0.value_at_quantile(0.50)),
            p90: ms(self.0.value_at_quantile(0.90)),
            p99: ms(self.0.value_at_quantile(0.99)),
            p99_9: ms(self.0.value_at_quantile(0.999)),
            max: ms(self.0.max()),
        }
    }
}

// === impl Tally ===

impl Tally {
    /// Nothing counted yet.
    pub(crate) fn new() -> Result<Tally, LoadError> {
        Ok(Tally {
            sent: 0,
            ok: 0,
            errors: BTreeMap::new(),
            latency: Latencies::new()?,
            handshakes: 0,
            last_done: None,
        })
    }

    /// Counts a failed request.
    pub(crate) fn error(&mut self, kind: RequestError) {
        *self.errors.entry(kind).or_insert(0) += 1;
    }

    /// Adds another worker's counts.
    pub(crate) fn merge(&mut self, other: &Tally) {
        self.sent += other.sent;
        self.ok += other.ok;
        for (kind, n) in &other.errors {
            *self.errors.entry(*kind).or_insert(0) += n;
        }
        self.latency.merge(&other.latency);
        self.handshakes += other.handshakes;
        self.last_done = self.last_done.max(other.last_done);
    }
}

/// This process's CPU time so far (user + system), where the platform
/// tells it (Linux `/proc/self/stat`, in clock ticks of 1/100 s).
pub(crate) fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name is in parentheses and may hold spaces: count
    // fields after the last ')'. utime and stime are fields 14 and 15,
    // i.e. the 12th and 13th after it.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on every Linux architecture's /proc interface.
    Some(Duration::from_millis((user + system) * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut l = Latencies::new().unwrap();
        for ms in 1..=1000u64 {
            l.record(Duration::from_millis(ms));
        }
        let p = l.percentiles();
        assert_eq!(p.count, 1000);
        assert!((p.p50 - 500.0).abs() < 1.0, "{p:?}");
        assert!((p.p99 - 990.0).abs() < 1.0, "{p:?}");
        assert!((p.p99_9 - 999.0).abs() < 1.0, "{p:?}");
        assert!((p.max - 1000.0).abs() < 1.0, "{p:?}");

        let mut merged = Latencies::new().unwrap();
        merged.merge(&l);
        merged.merge(&l);
        assert_eq!(merged.len(), 2000);
        assert!((merged.percentiles().p50 - 500.0).abs() < 1.0);
        assert_eq!(
            Latencies::new().unwrap().percentiles(),
            Percentiles::default()
        );
    }

    #[test]
    fn huge_latencies_saturate() {
        let mut l = Latencies::new().unwrap();
        l.record(Duration::from_secs(10 * 3600));
        assert!(l.percentiles().max >= 3_600_000.0 * 0.999);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn cpu_time_is_read() {
        assert!(cpu_time().is_some());
    }
}
