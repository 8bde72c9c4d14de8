//! The instance follow model (`/api/v1/server/following`): which instances an instance follows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::lenient::{lenient, lenient_object};

/// One follow relation between two server actors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerFollow {
    /// Id local to the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<u64>,
    /// The following side (the answering instance for `/server/following`).
    #[serde(default, deserialize_with = "lenient_object")]
    pub follower: Option<Account>,
    /// The followed side; its `host` is the followed instance.
    #[serde(default, deserialize_with = "lenient_object")]
    pub following: Option<Account>,
    /// `pending`, `accepted` or `rejected`.
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
    /// Health score of the followed instance.
    #[serde(default, deserialize_with = "lenient")]
    pub score: Option<f64>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last update time.
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl ServerFollow {
    /// Host of the followed instance (`following.host`).
    pub fn following_host(&self) -> Option<&str> {
        self.following.as_ref()?.host.as_deref()
    }

    /// Whether the follow was accepted.
    pub fn is_accepted(&self) -> bool {
        self.state.as_deref() == Some("accepted")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::decode_page;

    #[test]
    fn decodes_the_6_3_following_list() {
        let page = decode_page::<ServerFollow>(include_bytes!(
            "../tests/fixtures/6.3.0/instance2-server-following.json"
        ))
        .unwrap();
        assert_eq!(page.total, Some(1));
        let follow = &page.items[0];
        assert_eq!(follow.following_host(), Some("localhost:9001"));
        assert_eq!(
            follow.follower.as_ref().unwrap().host.as_deref(),
            Some("localhost:9002")
        );
        assert!(follow.is_accepted());
        assert_eq!(follow.score, Some(20.0));
    }

    #[test]
    fn a_follow_without_following_is_kept_without_host() {
        let page =
            decode_page::<ServerFollow>(br#"{"data": [{"following": null, "state": 1}]}"#).unwrap();
        assert_eq!(page.items[0].following_host(), None);
        assert!(!page.items[0].is_accepted());
    }
}
