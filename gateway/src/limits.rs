//! Rate limits (token buckets, governor): per sender organisation (with
//! overrides), per peer gateway, per upstream.
//!
//! Ingress checks happen right after the client is identified and before
//! its body is read, so a flooding sender costs a handshake and a lookup,
//! and cannot crowd out others: each organisation has its own bucket.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use borderpost_core::PartyId;
use governor::clock::{Clock, DefaultClock};
use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota as GovernorQuota, RateLimiter,
};

use crate::config::{Quota, RateLimits};

/// The ingress quotas.
pub struct Limiter {
    senders: DefaultKeyedRateLimiter<PartyId>,
    peers: DefaultKeyedRateLimiter<PartyId>,
    overrides: HashMap<PartyId, DefaultDirectRateLimiter>,
    clock: DefaultClock,
}

fn governor_quota(quota: Quota) -> GovernorQuota {
    // The configuration guarantees non-zero values; 1 is the safe floor.
    let rate = NonZeroU32::new(quota.per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(quota.burst).unwrap_or(NonZeroU32::MIN);
    GovernorQuota::per_second(rate).allow_burst(burst)
}

/// A single bucket (for an upstream).
pub fn direct(quota: Quota) -> DefaultDirectRateLimiter {
    RateLimiter::direct(governor_quota(quota))
}

/// How long until `limiter` admits one more, or `None` if it does now.
pub fn check_direct(limiter: &DefaultDirectRateLimiter) -> Option<Duration> {
    limiter
        .check()
        .err()
        .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

impl Limiter {
    /// The limiter for `limits`.
    pub fn new(limits: &RateLimits) -> Limiter {
        Limiter {
            senders: RateLimiter::keyed(governor_quota(limits.sender)),
            peers: RateLimiter::keyed(governor_quota(limits.peer)),
            overrides: limits
                .overrides
                .iter()
                .map(|(id, quota)| (id.national(), RateLimiter::direct(governor_quota(*quota))))
                .collect(),
            clock: DefaultClock::default(),
        }
    }

    /// Admits one request from sender `org`, or says how long to wait.
    pub fn check_sender(&self, org: &PartyId) -> Result<(), Duration> {
        let result = match self.overrides.get(org) {
            Some(limiter) => limiter.check(),
            None => self.senders.check_key(org),
        };
        result.map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Admits one request from peer gateway `org`.
    pub fn check_peer(&self, org: &PartyId) -> Result<(), Duration> {
        self.peers
            .check_key(org)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sender_has_its_own_bucket_and_overrides_apply() {
        let a: PartyId = "dk-cvr:55133018".parse().unwrap();
        let b: PartyId = "no-orgnr:991825827".parse().unwrap();
        let c: PartyId = "dk-cvr:34485771".parse().unwrap();
        let limiter = Limiter::new(&RateLimits {
            sender: Quota {
                per_second: 1,
                burst: 3,
            },
            peer: Quota {
                per_second: 1,
                burst: 1,
            },
            overrides: vec![(
                c.clone(),
                Quota {
                    per_second: 1,
                    burst: 10,
                },
            )],
        });
        for _ in 0..3 {
            assert!(limiter.check_sender(&a).is_ok());
        }
        let wait = limiter.check_sender(&a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Another sender is unaffected.
        assert!(limiter.check_sender(&b).is_ok());
        // The override's larger burst.
        for _ in 0..10 {
            assert!(limiter.check_sender(&c).is_ok());
        }
        assert!(limiter.check_sender(&c).is_err());
    }
}
