//! The reason each fault mode of the simulated fleet leaves on its instance after a crawl (shared by the crawler's fault test and the reliability suite).

use peertube_sim::FaultMode;

/// What each mode must leave as the instance's reason (any of these words), or `None` for a success.
pub fn expected_reason(mode: FaultMode) -> Option<&'static [&'static str]> {
    match mode {
        FaultMode::None | FaultMode::Slow | FaultMode::Xss | FaultMode::OldPeerTube => None,
        FaultMode::Stall | FaultMode::NoAnswer => Some(&["timed out", "transport"]),
        FaultMode::ServerError => Some(&["HTTP 50"]),
        FaultMode::ConnectionReset => Some(&["transport", "connect"]),
        FaultMode::MalformedJson | FaultMode::InvalidUtf8 => {
            Some(&["undecodable", "partly unreadable"])
        }
        FaultMode::Oversized => Some(&["larger than"]),
        FaultMode::WrongContentType => Some(&["content type"]),
        FaultMode::RedirectLoop => Some(&["redirect"]),
        FaultMode::RedirectPrivate => Some(&["refused internal address 169.254.169.254"]),
        FaultMode::NotPeerTube => {
            Some(&["not a PeerTube server: NodeInfo software is \"mastodon\""])
        }
        FaultMode::Flaky => Some(&[]),
    }
}
