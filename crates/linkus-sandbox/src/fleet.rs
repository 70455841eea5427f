//! A fleet of PBXs that already have Linkus, for trying a client on a large account. It is
//! never stored: each PBX follows from its index, so a page of a fleet of any size costs the
//! same.

use crate::catalog::PLANS;
use crate::state::Subscription;
use crate::time::{DAY_MS, YEAR_MS};

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fleet {
    size: u32,
    /// With a value, exactly this many PBXs (the first ones) end within 30 days, none of them
    /// renewing automatically, and every other one ends 31 to 400 days ahead: a nightly
    /// renewal of a known size.
    expiring: Option<u32>,
}

impl Fleet {
    pub fn new(size: u32) -> Self {
        Fleet {
            size,
            expiring: None,
        }
    }

    /// The same fleet, of which exactly `expiring` PBXs end within 30 days.
    pub fn with_expiring(self, expiring: u32) -> Self {
        Fleet {
            expiring: Some(expiring.min(self.size)),
            ..self
        }
    }

    pub fn size(self) -> u64 {
        u64::from(self.size)
    }

    /// `F` and the index in 11 digits: `F00000000001` is the first.
    pub fn sn(index: u64) -> String {
        format!("F{index:011}")
    }

    /// The index of a fleet SN (any case), if it is one of this fleet's.
    pub fn index(self, sn: &str) -> Option<u64> {
        let digits = sn.strip_prefix(['F', 'f'])?;
        if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let index: u64 = digits.parse().ok()?;
        (1..=self.size()).contains(&index).then_some(index)
    }

    /// The subscription of PBX `index`, relative to the start of today (UTC) so that it stays
    /// the same all day: plans alternate, 1 to 3 years, expiry spread from 30 days ago to 400
    /// days ahead, auto-renew on for every third PBX.
    pub fn subscription(self, index: u64, now_ms: u64) -> Subscription {
        let (plan_id, plan_name) = PLANS[usize::from(index.is_multiple_of(2))];
        let multi_cycle = 1 + (index / 2 % 3) as u8;
        let (days, auto_renew) = match self.expiring {
            // 1 to 30 days ahead, never renewing by itself.
            Some(expiring) if index <= u64::from(expiring) => ((index % 30) as i64 + 1, false),
            // 31 to 400 days ahead (370 is 2 × 5 × 37, 89 is prime: every day is visited).
            Some(_) => ((index * 89 % 370) as i64 + 31, index.is_multiple_of(3)),
            // 431 is prime, so stepping by 89 visits every day of -30..=400.
            None => ((index * 89 % 431) as i64 - 30, index.is_multiple_of(3)),
        };
        let today = now_ms - now_ms % DAY_MS;
        let expire_time = today.saturating_add_signed(days * DAY_MS as i64);
        Subscription {
            plan_id,
            plan_name: plan_name.to_owned(),
            multi_cycle,
            expire_time,
            auto_renew,
            since: expire_time.saturating_sub(u64::from(multi_cycle) * YEAR_MS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::now_ms;

    #[test]
    fn fleet_pbxs_follow_from_their_index() {
        let fleet = Fleet::new(10_000);
        assert_eq!(Fleet::sn(1), "F00000000001");
        assert_eq!(fleet.index("F00000000001"), Some(1));
        assert_eq!(fleet.index("f00000010000"), Some(10_000));
        assert_eq!(fleet.index("F00000010001"), None);
        assert_eq!(fleet.index("F00000000000"), None);
        assert_eq!(fleet.index("F0000000001"), None);
        assert_eq!(fleet.index("369471667338"), None);
        assert_eq!(Fleet::default().index("F00000000001"), None);

        let now = now_ms();
        let subs: Vec<Subscription> = (1..=431).map(|i| fleet.subscription(i, now)).collect();
        assert_eq!(subs[0].plan_id, PLANS[0].0);
        assert_eq!(subs[1].plan_id, PLANS[1].0);
        assert!(subs.iter().all(|s| (1..=3).contains(&s.multi_cycle)));
        assert!(subs.iter().any(|s| s.multi_cycle == 3));
        assert!(subs[2].auto_renew && !subs[0].auto_renew && !subs[1].auto_renew);
        let earliest = subs.iter().map(|s| s.expire_time).min().unwrap();
        let latest = subs.iter().map(|s| s.expire_time).max().unwrap();
        let today = now - now % DAY_MS;
        assert_eq!(earliest, today - 30 * DAY_MS);
        assert_eq!(latest, today + 400 * DAY_MS);
        let expired = subs.iter().filter(|s| !s.is_live(now)).count();
        assert_eq!(expired, 31);
        assert_eq!(fleet.subscription(7, now), fleet.subscription(7, now));
    }

    #[test]
    fn a_fleet_can_have_a_known_number_expiring_within_30_days() {
        let now = now_ms();
        let fleet = Fleet::new(10_000).with_expiring(2_000);
        let today = now - now % DAY_MS;
        let days =
            |i: u64| (fleet.subscription(i, now).expire_time as i64 - today as i64) / DAY_MS as i64;
        let soon: Vec<u64> = (1..=10_000).filter(|i| days(*i) <= 30).collect();
        assert_eq!(soon.len(), 2_000);
        assert_eq!(soon.last(), Some(&2_000));
        assert!((1..=2_000).all(|i| days(i) >= 1 && !fleet.subscription(i, now).auto_renew));
        assert!((2_001..=10_000).all(|i| (31..=400).contains(&days(i))));
    }
}
