//! NodeInfo: the well-known link document and the NodeInfo 2.0 answer that says "I am PeerTube".

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lenient::{lenient, lenient_object, lenient_vec};

/// NodeInfo 2.0 schema URI, the `rel` PeerTube publishes.
pub const NODEINFO_2_0_REL: &str = "http://nodeinfo.diaspora.software/ns/schema/2.0";
/// NodeInfo 2.1 schema URI, accepted as a fallback.
pub const NODEINFO_2_1_REL: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// `GET /.well-known/nodeinfo`: `{ "links": [{ "rel", "href" }] }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeInfoLinks {
    /// The links; ill-formed entries are dropped.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub links: Vec<NodeInfoLink>,
}

/// One link of the well-known document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfoLink {
    /// Schema URI.
    pub rel: String,
    /// Where the document is (absolute or relative URL).
    pub href: String,
}

impl NodeInfoLinks {
    /// The href of the NodeInfo 2.0 document, else 2.1 (schema URIs compared
    /// ignoring `http`/`https` and a trailing slash).
    pub fn nodeinfo_href(&self) -> Option<&str> {
        [NODEINFO_2_0_REL, NODEINFO_2_1_REL]
            .iter()
            .find_map(|wanted| {
                self.links
                    .iter()
                    .find(|link| same_rel(&link.rel, wanted))
                    .map(|link| link.href.as_str())
            })
    }
}

fn same_rel(rel: &str, wanted: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .trim_end_matches('/')
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_ascii_lowercase()
    };
    norm(rel) == norm(wanted)
}

/// A NodeInfo 2.0 document. `metadata` is kept as loose JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// Schema version, `2.0`.
    #[serde(default, deserialize_with = "lenient")]
    pub version: Option<String>,
    /// Server software.
    #[serde(default, deserialize_with = "lenient_object")]
    pub software: NodeInfoSoftware,
    /// Protocols, e.g. `activitypub`.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub protocols: Vec<String>,
    /// Whether sign-ups are open.
    #[serde(default, deserialize_with = "lenient")]
    pub open_registrations: Option<bool>,
    /// Usage counters.
    #[serde(default, deserialize_with = "lenient_object")]
    pub usage: NodeInfoUsage,
    /// Free-form metadata (`nodeName`, `nodeDescription`, `nodeConfig`...).
    #[serde(default)]
    pub metadata: Value,
}

impl NodeInfo {
    /// Whether `software.name` is `peertube` (ignoring case).
    pub fn is_peertube(&self) -> bool {
        self.software
            .name
            .as_deref()
            .is_some_and(|name| name.trim().eq_ignore_ascii_case("peertube"))
    }

    /// `metadata.nodeName`, if it is a string.
    pub fn node_name(&self) -> Option<&str> {
        self.metadata.get("nodeName")?.as_str()
    }
}

/// `software` of a NodeInfo document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeInfoSoftware {
    /// Software name, `peertube` for PeerTube.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Software version.
    #[serde(default, deserialize_with = "lenient")]
    pub version: Option<String>,
}

/// `usage` of a NodeInfo document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoUsage {
    /// User counters.
    #[serde(default, deserialize_with = "lenient_object")]
    pub users: NodeInfoUsers,
    /// Local posts (videos on PeerTube).
    #[serde(default, deserialize_with = "lenient")]
    pub local_posts: Option<u64>,
    /// Local comments.
    #[serde(default, deserialize_with = "lenient")]
    pub local_comments: Option<u64>,
}

/// `usage.users` of a NodeInfo document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoUsers {
    /// Registered users.
    #[serde(default, deserialize_with = "lenient")]
    pub total: Option<u64>,
    /// Users active in the last month.
    #[serde(default, deserialize_with = "lenient")]
    pub active_month: Option<u64>,
    /// Users active in the last six months.
    #[serde(default, deserialize_with = "lenient")]
    pub active_halfyear: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::decode;

    #[test]
    fn decodes_the_6_3_well_known_document() {
        let links: NodeInfoLinks = decode(include_bytes!(
            "../tests/fixtures/6.3.0/well-known-nodeinfo.json"
        ))
        .unwrap();
        assert_eq!(links.links.len(), 2);
        assert_eq!(
            links.nodeinfo_href(),
            Some("http://localhost:9001/nodeinfo/2.0.json")
        );
    }

    #[test]
    fn decodes_the_6_3_nodeinfo() {
        let info: NodeInfo =
            decode(include_bytes!("../tests/fixtures/6.3.0/nodeinfo-2.0.json")).unwrap();
        assert!(info.is_peertube());
        assert_eq!(info.version.as_deref(), Some("2.0"));
        assert_eq!(info.software.version.as_deref(), Some("6.3.0"));
        assert_eq!(info.open_registrations, Some(false));
        assert_eq!(info.usage.users.total, Some(3));
        assert_eq!(info.usage.users.active_halfyear, Some(3));
        assert_eq!(info.usage.local_posts, Some(22));
        assert_eq!(info.node_name(), Some("PeerTube Real One"));
        assert_eq!(info.protocols, ["activitypub"]);
    }

    #[test]
    fn other_software_and_odd_links() {
        let info: NodeInfo =
            decode(br#"{"software": {"name": "mastodon", "version": "4.3.0"}}"#).unwrap();
        assert!(!info.is_peertube());
        let links: NodeInfoLinks = decode(
            br#"{"links": [{"rel": 5}, {"rel": "https://nodeinfo.diaspora.software/ns/schema/2.1/", "href": "/ni/2.1"}]}"#,
        )
        .unwrap();
        assert_eq!(links.nodeinfo_href(), Some("/ni/2.1"));
        let none: NodeInfoLinks = decode(br#"{"links": null}"#).unwrap();
        assert_eq!(none.nodeinfo_href(), None);
    }
}
