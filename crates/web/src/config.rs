//! The web crate's settings.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// How the site is served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// The address viewers reach the site at, without a trailing slash; used
    /// for canonical links, feeds and share metadata.
    pub public_url: String,
    /// The name shown in titles and feeds.
    pub site_name: String,
    /// Reverse proxies whose `X-Forwarded-For` header is believed when they
    /// connect, to know a client's address (sign-in throttling, logs).
    /// Loopback by default, for a proxy on the same machine.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            site_name: "Florilège".into(),
            trusted_proxies: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
        }
    }
}
