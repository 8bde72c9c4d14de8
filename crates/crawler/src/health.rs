//! Health and scheduling of an instance after a crawl: score, back-off, dead and back again.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use store::{CrawlOutcome, Instance, InstanceStatus};

use crate::config::CrawlerConfig;

/// Points gained by a successful crawl and lost by a failed one (0..=100),
/// like the JoinPeerTube index's score.
const SUCCESS_POINTS: i64 = 10;
const FAILURE_POINTS: i64 = 20;
/// First back-off after a failure; it doubles with each consecutive one.
const FIRST_BACKOFF: Duration = Duration::from_secs(60);

/// A deterministic spread of ±10 % so that instances are not all due at once.
fn jitter(instance_id: i64, at: DateTime<Utc>, delay: Duration) -> Duration {
    let mixed = (instance_id as u64 ^ at.timestamp_subsec_nanos() as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let fraction = (mixed >> 40) as f64 / (1u64 << 24) as f64; // 0..1
    delay.mul_f64(0.9 + 0.2 * fraction)
}

fn after(at: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    at + TimeDelta::from_std(delay).unwrap_or(TimeDelta::days(1))
}

/// The outcome of a successful crawl.
pub(crate) fn success(
    instance: &Instance,
    config: &CrawlerConfig,
    at: DateTime<Utc>,
) -> CrawlOutcome {
    let interval = Duration::from_secs(config.incremental_interval_secs);
    CrawlOutcome {
        error: None,
        health_score: (instance.health_score + SUCCESS_POINTS).min(100),
        consecutive_failures: 0,
        next_crawl_at: after(at, jitter(instance.id, at, interval)),
        status: (instance.status == InstanceStatus::Dead).then_some(InstanceStatus::Approved),
    }
}

/// The outcome of a failed crawl: exponential back-off, and dead after a sustained outage.
pub(crate) fn failure(
    instance: &Instance,
    config: &CrawlerConfig,
    at: DateTime<Utc>,
    reason: String,
) -> CrawlOutcome {
    let failures = instance.consecutive_failures + 1;
    let exponent = u32::try_from(failures - 1).unwrap_or(u32::MAX).min(20);
    let backoff = FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(Duration::from_secs(config.max_backoff_secs));
    let outage_since = instance.last_success_at.unwrap_or(instance.created_at);
    let sustained = at - outage_since
        >= TimeDelta::seconds(i64::try_from(config.dead_after_secs).unwrap_or(i64::MAX));
    let dead = failures >= config.dead_after_failures
        && sustained
        && instance.status == InstanceStatus::Approved;
    CrawlOutcome {
        error: Some(reason),
        health_score: (instance.health_score - FAILURE_POINTS).max(0),
        consecutive_failures: failures,
        next_crawl_at: after(at, jitter(instance.id, at, backoff)),
        status: dead.then_some(InstanceStatus::Dead),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An approved instance with these failures, score and age.
    pub(crate) fn instance(failures: i64, score: i64, created_days_ago: i64) -> Instance {
        let now = Utc::now();
        Instance {
            id: 7,
            host: "video.example".into(),
            base_url: "https://video.example".into(),
            status: InstanceStatus::Approved,
            origin: store::InstanceOrigin::Cli,
            discovered_from: None,
            software: None,
            version: None,
            name: None,
            short_description: None,
            description: None,
            languages: Default::default(),
            is_nsfw: false,
            nsfw_policy: None,
            signup_allowed: None,
            total_users: None,
            total_local_videos: None,
            health_score: score,
            consecutive_failures: failures,
            last_error: None,
            last_error_at: None,
            last_success_at: None,
            next_crawl_at: None,
            last_full_sweep_at: None,
            created_at: now - TimeDelta::days(created_days_ago),
            updated_at: now,
        }
    }

    #[test]
    fn failures_back_off_exponentially_and_lower_the_score() {
        let config = CrawlerConfig::default();
        let now = Utc::now();
        let first = failure(&instance(0, 50, 1), &config, now, "HTTP 500".into());
        let fourth = failure(&instance(3, 50, 1), &config, now, "HTTP 500".into());
        let first_delay = (first.next_crawl_at - now).num_seconds();
        let fourth_delay = (fourth.next_crawl_at - now).num_seconds();
        assert!((53..=66).contains(&first_delay), "{first_delay}");
        assert!((431..=528).contains(&fourth_delay), "{fourth_delay}");
        assert_eq!((first.health_score, first.consecutive_failures), (30, 1));
        let capped = failure(&instance(40, 0, 1), &config, now, "down".into());
        let capped_delay = (capped.next_crawl_at - now).num_seconds();
        let max_backoff = config.max_backoff_secs as i64;
        assert!(
            (max_backoff * 9 / 10..=max_backoff * 11 / 10).contains(&capped_delay),
            "the back-off is capped, give or take the jitter: {capped_delay}"
        );
        assert_eq!(capped.health_score, 0);
    }

    #[test]
    fn only_a_sustained_outage_marks_an_instance_dead_and_success_revives_it() {
        let config = CrawlerConfig::default();
        let now = Utc::now();
        assert_eq!(
            failure(&instance(9, 0, 30), &config, now, "down".into()).status,
            Some(InstanceStatus::Dead)
        );
        assert_eq!(
            failure(&instance(9, 0, 2), &config, now, "down".into()).status,
            None,
            "not long enough"
        );
        assert_eq!(
            failure(&instance(3, 0, 30), &config, now, "down".into()).status,
            None,
            "not enough failures"
        );
        let mut dead = instance(12, 0, 30);
        dead.status = InstanceStatus::Dead;
        let revived = success(&dead, &config, now);
        assert_eq!(revived.status, Some(InstanceStatus::Approved));
        assert_eq!(
            (revived.health_score, revived.consecutive_failures),
            (10, 0)
        );
    }
}
