//! A per-upstream circuit breaker: after enough consecutive failures the
//! upstream is left alone for a cool-down, then one trial delivery decides.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Deliveries flow.
    Closed,
    /// Deliveries wait until the cool-down ends.
    Open,
    /// One trial delivery is allowed.
    HalfOpen,
}

impl State {
    /// The metric value: 0 closed, 1 open, 2 half-open.
    pub fn as_gauge(self) -> i64 {
        match self {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
        }
    }
}

#[derive(Debug)]
struct Inner {
    failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

/// A circuit breaker.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// A closed breaker that opens after `threshold` consecutive failures
    /// for `cooldown`.
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold,
            cooldown,
            inner: Mutex::new(Inner {
                failures: 0,
                open_until: None,
                trial_in_flight: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state is a few counters; a panic elsewhere cannot leave it
        // inconsistent, so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a delivery may go now; if not, how long until it may.
    pub fn admit(&self) -> Result<(), Duration> {
        let mut inner = self.lock();
        match inner.open_until {
            None => Ok(()),
            Some(until) => {
                let now = Instant::now();
                if now < until {
                    Err(until - now)
                } else if inner.trial_in_flight {
                    Err(Duration::from_millis(200))
                } else {
                    inner.trial_in_flight = true;
                    Ok(())
                }
            }
        }
    }

    /// Records a delivery that reached the upstream and got an answer.
    pub fn success(&self) {
        let mut inner = self.lock();
        inner.failures = 0;
        inner.open_until = None;
        inner.trial_in_flight = false;
    }

    /// Records a failure to reach the upstream (or a server error).
    pub fn failure(&self) {
        let mut inner = self.lock();
        inner.failures = inner.failures.saturating_add(1);
        inner.trial_in_flight = false;
        if inner.failures >= self.threshold {
            inner.open_until = Some(Instant::now() + self.cooldown);
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        let inner = self.lock();
        match inner.open_until {
            None => State::Closed,
            Some(until) if Instant::now() < until => State::Open,
            Some(_) => State::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_closes_on_a_successful_trial() {
        let breaker = Breaker::new(3, Duration::from_millis(30));
        for _ in 0..2 {
            assert!(breaker.admit().is_ok());
            breaker.failure();
        }
        assert_eq!(breaker.state(), State::Closed);
        breaker.failure();
        assert_eq!(breaker.state(), State::Open);
        assert!(breaker.admit().is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(breaker.state(), State::HalfOpen);
        assert!(breaker.admit().is_ok(), "one trial");
        assert!(breaker.admit().is_err(), "only one trial at a time");
        breaker.success();
        assert_eq!(breaker.state(), State::Closed);
        assert!(breaker.admit().is_ok());
    }
}
