//! The address guard: no request, redirect or DNS answer may lead the crawler to an internal address.
//!
//! Names are checked after resolution, by a DNS resolver that drops refused
//! addresses (so a name that resolves, or re-resolves, to 127.0.0.1 is never
//! contacted). IP literals never reach a resolver, so every URL, the first one
//! and each redirect target, is checked before it is requested.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use store::is_public_ip;
use url::{Host, Url};

use crate::config::CrawlerConfig;

/// Which non-public addresses may be contacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Loopback (127.0.0.0/8, ::1).
    pub loopback: bool,
    /// Loopback, RFC 1918, CGNAT and unique-local addresses.
    pub private: bool,
}

impl AddressPolicy {
    /// Public addresses only: the production setting.
    pub const PUBLIC_ONLY: Self = Self {
        loopback: false,
        private: false,
    };

    pub fn from_config(config: &CrawlerConfig) -> Self {
        Self {
            loopback: config.allow_loopback || config.allow_private_addresses,
            private: config.allow_private_addresses,
        }
    }

    /// Whether the crawler may connect to `ip`. Link-local (cloud metadata),
    /// multicast, broadcast and unspecified addresses are never allowed.
    pub fn allows(self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if is_public_ip(ip) {
            return true;
        }
        if never_allowed(ip) {
            return false;
        }
        if ip.is_loopback() {
            return self.loopback;
        }
        self.private
    }

    /// Checks a URL before it is requested: http(s) only, and an IP literal must be allowed.
    pub fn check_url(self, url: &Url) -> Result<(), GuardError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(GuardError::Scheme(url.scheme().to_owned()));
        }
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(Host::Domain(_)) => return Ok(()),
            None => return Err(GuardError::NoHost),
        };
        if self.allows(ip) {
            Ok(())
        } else {
            Err(GuardError::Internal(ip))
        }
    }
}

/// Why the guard refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("refused internal address {0}")]
    Internal(IpAddr),
    #[error("refused {0}: it resolves only to internal addresses")]
    InternalName(String),
    #[error("refused scheme {0}: only http and https")]
    Scheme(String),
    #[error("refused URL without a host")]
    NoHost,
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn never_allowed(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_link_local() || v4.is_multicast() || v4.is_broadcast() || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_unspecified() || v6.is_multicast() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A DNS resolver that only returns addresses the policy allows.
#[derive(Debug)]
struct GuardedResolver {
    policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                resolved.filter(|addr| policy.allows(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(GuardError::InternalName(host)) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client of the crawler: guarded resolver and redirects, timeouts,
/// its user agent, no proxy from the environment, no cookies.
pub fn http_client(config: &CrawlerConfig) -> reqwest::Result<reqwest::Client> {
    let policy = AddressPolicy::from_config(config);
    let max_redirects = config.max_redirects;
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max_redirects {
            return attempt.error(format!("more than {max_redirects} redirects"));
        }
        match policy.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    });
    reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .redirect(redirects)
        .no_proxy()
        .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
        .timeout(Duration::from_secs(config.request_timeout_secs))
        .pool_idle_timeout(idle_connection_timeout(config))
        .pool_max_idle_per_host(config.concurrency_per_host.max(1))
        .build()
}

/// How long a connection to an instance is kept unused. A crawl reuses its
/// connections back to back, or once per `requests_per_second` interval when
/// it is paced; once the crawl ends they would only wait for the next one,
/// hours later. Kept 30 s, they piled up: crawling 1,000 instances in a row
/// left 14,000 idle connections open, about 400 MB of buffers here (and as
/// many sockets held on the instances).
fn idle_connection_timeout(config: &CrawlerConfig) -> Duration {
    config.min_interval().unwrap_or_default() + Duration::from_secs(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_allow_what_they_say_and_never_link_local() {
        let loopback = AddressPolicy {
            loopback: true,
            private: false,
        };
        let private = AddressPolicy {
            loopback: true,
            private: true,
        };
        let cases: [(&str, [bool; 3]); 12] = [
            ("1.1.1.1", [true, true, true]),
            ("127.0.0.1", [false, true, true]),
            ("::1", [false, true, true]),
            ("::ffff:127.0.0.1", [false, true, true]),
            ("10.0.0.1", [false, false, true]),
            ("192.168.1.1", [false, false, true]),
            ("fd00::1", [false, false, true]),
            ("169.254.169.254", [false, false, false]),
            ("::ffff:169.254.169.254", [false, false, false]),
            ("fe80::1", [false, false, false]),
            ("0.0.0.0", [false, false, false]),
            ("224.0.0.1", [false, false, false]),
        ];
        for (text, [public_only, with_loopback, with_private]) in cases {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(
                AddressPolicy::PUBLIC_ONLY.allows(ip),
                public_only,
                "{text} public only"
            );
            assert_eq!(loopback.allows(ip), with_loopback, "{text} with loopback");
            assert_eq!(private.allows(ip), with_private, "{text} with private");
        }
    }

    #[test]
    fn url_literals_in_every_spelling_are_checked() {
        let policy = AddressPolicy::PUBLIC_ONLY;
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://10.0.0.1/",
            "http://100.64.0.1/",
        ] {
            let parsed = Url::parse(url).unwrap();
            assert!(policy.check_url(&parsed).is_err(), "{url} must be refused");
        }
        assert!(
            policy
                .check_url(&Url::parse("file:///etc/passwd").unwrap())
                .is_err()
        );
        assert!(
            policy
                .check_url(&Url::parse("https://framatube.org/").unwrap())
                .is_ok()
        );
    }
}
