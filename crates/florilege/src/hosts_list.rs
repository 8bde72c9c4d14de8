//! The JoinPeerTube index's hosts list format: `{"total": N, "data": [{"host": "…"}]}`.

use serde::Deserialize;

#[derive(Deserialize)]
struct HostsList {
    data: Vec<serde_json::Value>,
}

/// The hosts of a list, in order, skipping entries without a string `host`.
/// Returns the hosts and the number of entries skipped.
pub fn parse_hosts_list(bytes: &[u8]) -> Result<(Vec<String>, usize), serde_json::Error> {
    let list: HostsList = serde_json::from_slice(bytes)?;
    let total = list.data.len();
    let hosts: Vec<String> = list
        .data
        .into_iter()
        .filter_map(|entry| entry.get("host")?.as_str().map(str::to_owned))
        .collect();
    let skipped = total - hosts.len();
    Ok((hosts, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_joinpeertube_format_and_skips_bad_entries() {
        let json = br#"{"total": 4, "data": [{"host": "a.example"}, {"host": 3}, {}, {"host": "b.example", "extra": 1}]}"#;
        let (hosts, skipped) = parse_hosts_list(json).unwrap();
        assert_eq!(hosts, ["a.example", "b.example"]);
        assert_eq!(skipped, 2);
    }

    #[test]
    fn malformed_lists_are_errors() {
        assert!(parse_hosts_list(b"[]").is_err());
        assert!(parse_hosts_list(b"{\"data\": ").is_err());
        assert!(parse_hosts_list(b"\xff\xfe").is_err());
    }
}
