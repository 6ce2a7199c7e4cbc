//! Throttling of sign-in attempts per client address, on top of the per-account lockout:
//! the lockout stops guessing one password, this stops one address from trying many logins.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct SignInThrottle {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl SignInThrottle {
    pub fn new(per_minute: u32) -> SignInThrottle {
        let burst = NonZeroU32::new(per_minute.max(1)).expect("positive");
        SignInThrottle { limiter: RateLimiter::keyed(Quota::per_minute(burst)) }
    }

    /// Whether another attempt from this address is allowed now.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.limiter.check_key(&ip).is_ok()
    }

    /// Forgets addresses that have been quiet long enough (bounded memory).
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stopped_after_its_quota_but_others_are_not() {
        let t = SignInThrottle::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| t.allow(a)));
        assert!(!t.allow(a));
        assert!(t.allow(b));
    }
}
