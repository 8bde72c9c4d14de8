//! The JoinPeerTube index's hosts list format: `{"total": N, "data": [{"host": "…"}]}`.

use serde::Deserialize;

#[derive(Deserialize)]
struct RawList {
    #[serde(default)]
    total: Option<u64>,
    data: Vec<serde_json::Value>,
}

/// One page of a hosts list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostsPage {
    /// The hosts, in order.
    pub hosts: Vec<String>,
    /// Entries without a string `host`, skipped.
    pub malformed: usize,
    /// Entries in the page, malformed ones included (to page on).
    pub entries: usize,
    /// Entries in the whole list, when the page says.
    pub total: Option<u64>,
}

/// Reads one page of a hosts list, skipping entries without a string `host`.
pub fn parse_hosts_list(bytes: &[u8]) -> Result<HostsPage, serde_json::Error> {
    let list: RawList = serde_json::from_slice(bytes)?;
    let entries = list.data.len();
    let hosts: Vec<String> = list
        .data
        .into_iter()
        .filter_map(|entry| entry.get("host")?.as_str().map(str::to_owned))
        .collect();
    Ok(HostsPage {
        malformed: entries - hosts.len(),
        hosts,
        entries,
        total: list.total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_joinpeertube_format_and_skips_bad_entries() {
        let json = br#"{"total": 40, "data": [{"host": "a.example"}, {"host": 3}, {}, {"host": "b.example", "extra": 1}]}"#;
        let page = parse_hosts_list(json).unwrap();
        assert_eq!(page.hosts, ["a.example", "b.example"]);
        assert_eq!((page.malformed, page.entries, page.total), (2, 4, Some(40)));
        let untotalled = parse_hosts_list(br#"{"data": []}"#).unwrap();
        assert_eq!(untotalled, HostsPage::default());
    }

    #[test]
    fn malformed_lists_are_errors() {
        assert!(parse_hosts_list(b"[]").is_err());
        assert!(parse_hosts_list(b"{\"data\": ").is_err());
        assert!(parse_hosts_list(b"\xff\xfe").is_err());
        assert!(parse_hosts_list(br#"{"total": -1, "data": []}"#).is_err());
    }
}
