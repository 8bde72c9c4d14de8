//! Instance addresses: parsing what people type into a host and base URL, and telling public IPs from internal ones.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// A normalised instance address: `host` is the key (`video.example` or
/// `127.0.0.1:4001`), `base_url` the origin requests go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceAddress {
    pub host: String,
    pub base_url: Url,
}

/// Why an instance address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{input:?} is not a valid instance address: {reason}")]
    Invalid { input: String, reason: String },
    #[error("{0} uses plain http, which is only allowed when private addresses are allowed")]
    PlainHttp(String),
    #[error("{0} is an internal address (loopback, private, link-local, …), which is not allowed")]
    Internal(String),
}

impl InstanceAddress {
    /// Parses `video.example`, `video.example:8443`, `https://video.example/` or
    /// `http://127.0.0.1:4001`. A bare host gets `default_scheme` (`https` or `http`).
    pub fn parse(input: &str, default_scheme: &str) -> Result<Self, AddressError> {
        let trimmed = input.trim();
        let invalid = |reason: &str| AddressError::Invalid {
            input: trimmed.to_owned(),
            reason: reason.to_owned(),
        };
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("{default_scheme}://{trimmed}")
        };
        let url = Url::parse(&with_scheme).map_err(|error| invalid(&error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("only http and https are supported"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain credentials"));
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.path().trim_matches('/').is_empty()
        {
            return Err(invalid("give the instance's address without a path"));
        }
        let host = match url.host() {
            Some(Host::Domain(domain)) => {
                let domain = domain.trim_end_matches('.').to_ascii_lowercase();
                if !domain.contains('.') && domain != "localhost" {
                    return Err(invalid("a public instance has a dotted domain name"));
                }
                domain
            }
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => format!("[{ip}]"),
            None => return Err(invalid("it has no host")),
        };
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let base_url = Url::parse(&format!("{}://{host}", url.scheme()))
            .map_err(|error| invalid(&error.to_string()))?;
        Ok(Self { host, base_url })
    }

    /// Refuses plain http and internal addresses unless `allow_private` is set.
    ///
    /// This only looks at the address as written; the crawler checks every
    /// resolved address again at connection time.
    pub fn ensure_allowed(&self, allow_private: bool) -> Result<(), AddressError> {
        if allow_private {
            return Ok(());
        }
        if self.base_url.scheme() != "https" {
            return Err(AddressError::PlainHttp(self.host.clone()));
        }
        let internal = match self.base_url.host() {
            Some(Host::Ipv4(ip)) => !is_public_ip(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => !is_public_ip(IpAddr::V6(ip)),
            Some(Host::Domain(domain)) => {
                domain == "localhost"
                    || domain.ends_with(".localhost")
                    || domain.ends_with(".local")
            }
            None => true,
        };
        if internal {
            return Err(AddressError::Internal(self.host.clone()));
        }
        Ok(())
    }
}

/// True for globally routable unicast addresses; false for loopback, private,
/// link-local, CGNAT, multicast, unspecified, documentation, reserved and
/// unique-local addresses, and for IPv6 forms that embed such an IPv4 address.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_ipv4(v4),
        IpAddr::V6(v6) => is_public_ipv6(v6),
    }
}

fn is_public_ipv4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                   // "this network", 0.0.0.0
        || a == 10                             // private
        || a == 127                            // loopback
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 169 && b == 254)              // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)      // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)      // documentation
        || (a == 192 && b == 88 && c == 99)    // 6to4 relay anycast
        || (a == 192 && b == 168)              // private
        || (a == 198 && (b == 18 || b == 19))  // benchmarking
        || (a == 198 && b == 51 && c == 100)   // documentation
        || (a == 203 && b == 0 && c == 113)    // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_ipv6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = embedded_ipv4(ip) {
        return is_public_ipv4(v4);
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (segments[0] & 0xfe00) == 0xfc00    // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80    // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0    // site-local (deprecated)
        || (segments[0] & 0xff00) == 0xff00    // multicast
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x2001 && segments[1] == 0)      // Teredo
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0])) // discard-only
}

/// The IPv4 address carried by IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low), // ::ffff:a.b.c.d
        [0, 0, 0, 0, 0, 0, _, _] if s[6] != 0 || s[7] > 1 => Some(low), // ::a.b.c.d
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low), // NAT64
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )), // 6to4
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> InstanceAddress {
        InstanceAddress::parse(input, "https").unwrap()
    }

    #[test]
    fn bare_hosts_and_urls_normalise_to_one_key() {
        for input in [
            "Video.Example",
            "https://video.example/",
            " video.example. ",
        ] {
            let address = parse(input);
            assert_eq!(address.host, "video.example");
            assert_eq!(address.base_url.as_str(), "https://video.example/");
        }
        assert_eq!(parse("video.example:8443").host, "video.example:8443");
        assert_eq!(parse("https://video.example:443").host, "video.example");
        let local = InstanceAddress::parse("127.0.0.1:4001", "http").unwrap();
        assert_eq!(local.base_url.as_str(), "http://127.0.0.1:4001/");
        assert_eq!(parse("[::1]:9000").host, "[::1]:9000");
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        for input in [
            "",
            "ftp://video.example",
            "https://user:pw@video.example",
            "https://video.example/videos",
            "https://video.example/?q=1",
            "intranet",
        ] {
            let error = InstanceAddress::parse(input, "https").unwrap_err();
            assert!(
                matches!(error, AddressError::Invalid { .. }),
                "{input}: {error}"
            );
        }
    }

    #[test]
    fn http_and_internal_addresses_need_the_setting() {
        let http = InstanceAddress::parse("http://video.example", "https").unwrap();
        assert!(matches!(
            http.ensure_allowed(false),
            Err(AddressError::PlainHttp(_))
        ));
        assert!(http.ensure_allowed(true).is_ok());
        for input in [
            "https://127.0.0.1",
            "https://10.1.2.3",
            "https://localhost:9000",
            "https://[::1]",
        ] {
            let address = parse(input);
            assert!(
                matches!(
                    address.ensure_allowed(false),
                    Err(AddressError::Internal(_))
                ),
                "{input}"
            );
            assert!(address.ensure_allowed(true).is_ok());
        }
        assert!(parse("https://framatube.org").ensure_allowed(false).is_ok());
    }

    #[test]
    fn internal_ranges_are_not_public() {
        let internal = [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.10",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2001:db8::1",
        ];
        for text in internal {
            let ip: IpAddr = text.parse().unwrap();
            assert!(!is_public_ip(ip), "{text} must not be public");
        }
        for text in [
            "1.1.1.1",
            "193.43.1.2",
            "172.32.0.1",
            "2a01:4f8::1",
            "::ffff:1.1.1.1",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            assert!(is_public_ip(ip), "{text} must be public");
        }
    }
}
