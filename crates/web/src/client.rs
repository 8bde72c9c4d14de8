//! Who is asking: the client's address, read through trusted reverse proxies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

/// The client's address: the peer's, unless the peer is a trusted proxy, in
/// which case `X-Forwarded-For` is read from the right (the entries nearest
/// to us) and the first address that is not itself a trusted proxy is the
/// client. Entries further left are the client's own claims, never believed.
/// `None` when the server was started without connection information.
pub fn client_ip(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect::<Vec<_>>();
    for entry in forwarded.iter().rev() {
        let Ok(address) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        client = address;
        if !trusted.contains(&address) {
            break;
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(peer: &str, forwarded: &[&str]) -> Option<IpAddr> {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 4000)));
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        let trusted = ["127.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        client_ip(&extensions, &headers, &trusted)
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(ask("203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_proxy_is_looked_through_from_the_right() {
        assert_eq!(ask("127.0.0.1", &["198.51.100.1"]), ip("198.51.100.1"));
        // A spoofed entry on the left is not believed.
        assert_eq!(
            ask("127.0.0.1", &["6.6.6.6, 198.51.100.1"]),
            ip("198.51.100.1")
        );
        // Two proxies in a row, in one header or several.
        assert_eq!(
            ask("127.0.0.1", &["198.51.100.1, 10.0.0.2"]),
            ip("198.51.100.1")
        );
        assert_eq!(
            ask("127.0.0.1", &["198.51.100.1", "10.0.0.2"]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn without_a_usable_header_the_proxy_is_the_client() {
        assert_eq!(ask("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(ask("127.0.0.1", &["garbage"]), ip("127.0.0.1"));
        assert_eq!(client_ip(&Extensions::new(), &HeaderMap::new(), &[]), None);
    }
}
