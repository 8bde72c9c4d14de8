//! The account model: a user's public profile, full (`/accounts/{name}`) or summary (in videos).

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::common::ActorImage;
use crate::lenient::{LegacyImages, lenient, lenient_vec};

/// A PeerTube account. The summary embedded in videos and playlists only has
/// `id`, `name`, `displayName`, `url`, `host` and `avatars`; the other fields
/// are then `None`. Only `name` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Account {
    /// Id local to the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<u64>,
    /// The immutable user name (without host).
    pub name: String,
    /// The display name.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// Canonical ActivityPub URL, on the account's own host.
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    /// Host the account lives on (`host` or `host:port`).
    #[serde(default, deserialize_with = "lenient")]
    pub host: Option<String>,
    /// Avatars; a pre-6.0 single `avatar` is normalised into this list.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub avatars: Vec<ActorImage>,
    /// Profile description (Markdown, untrusted).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Followers, as seen by the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub followers_count: Option<u64>,
    /// Followed actors, as seen by the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub following_count: Option<u64>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last update time.
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// The derive reads every field; an empty image list is then filled from
/// the legacy single image, if the same text has one.
impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = <&RawValue>::deserialize(deserializer)?;
        let mut account = Account::deserialize(object).map_err(D::Error::custom)?;
        if account.avatars.is_empty() {
            account.avatars.extend(LegacyImages::of(object).avatar);
        }
        Ok(account)
    }
}

impl Serialize for Account {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Account::serialize(self, serializer)
    }
}

impl Account {
    /// `name@host`, or `name` when the host is unknown.
    pub fn handle(&self) -> String {
        handle(&self.name, self.host.as_deref())
    }

    /// The display name, or the name when it is missing or blank.
    pub fn display_name_or_name(&self) -> &str {
        display_or_name(self.display_name.as_deref(), &self.name)
    }
}

pub(crate) fn handle(name: &str, host: Option<&str>) -> String {
    match host {
        Some(host) if !host.is_empty() => format!("{name}@{host}"),
        _ => name.to_owned(),
    }
}

pub(crate) fn display_or_name<'a>(display: Option<&'a str>, name: &'a str) -> &'a str {
    display.filter(|d| !d.trim().is_empty()).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_6_3_fixture() {
        let account: Account =
            serde_json::from_str(include_str!("../tests/fixtures/6.3.0/account.json")).unwrap();
        assert_eq!(account.name, "alice");
        assert_eq!(account.display_name.as_deref(), Some("Alice Dupont"));
        assert_eq!(account.host.as_deref(), Some("localhost:9001"));
        assert_eq!(account.handle(), "alice@localhost:9001");
        assert_eq!(account.id, Some(3));
        assert!(account.avatars.is_empty());
        assert_eq!(
            account.description.as_deref(),
            Some("Cuisinière amateure et vidéaste à Lyon.")
        );
        assert!(account.created_at.is_some());
    }

    #[test]
    fn legacy_single_avatar_is_normalised() {
        let account: Account = serde_json::from_str(
            r#"{"name": "bob", "host": "old.example",
                "avatar": {"path": "/static/avatars/b.png", "createdAt": "2021-01-02T03:04:05.000Z"}}"#,
        )
        .unwrap();
        assert_eq!(account.avatars.len(), 1);
        assert_eq!(
            account.avatars[0].path.as_deref(),
            Some("/static/avatars/b.png")
        );
    }

    #[test]
    fn the_list_wins_over_the_legacy_avatar() {
        let account: Account = serde_json::from_str(
            r#"{"name": "bob",
                "avatar": {"path": "/a-48.png", "width": 48},
                "avatars": [{"path": "/a-48.png", "width": 48}, {"path": "/a-120.png", "width": 120}]}"#,
        )
        .unwrap();
        assert_eq!(account.avatars.len(), 2);
        assert_eq!(
            crate::common::largest_image(&account.avatars)
                .unwrap()
                .width,
            Some(120)
        );
    }

    #[test]
    fn null_avatar_and_nulls_everywhere_are_fine() {
        let account: Account = serde_json::from_str(
            r#"{"name": "x", "id": null, "displayName": null, "avatar": null, "avatars": null,
                "followersCount": null, "createdAt": "not a date"}"#,
        )
        .unwrap();
        assert!(account.avatars.is_empty());
        assert_eq!(account.display_name_or_name(), "x");
        assert_eq!(account.created_at, None);
        assert_eq!(account.handle(), "x");
    }

    #[test]
    fn name_is_required() {
        assert!(serde_json::from_str::<Account>(r#"{"displayName": "no name"}"#).is_err());
        assert!(serde_json::from_str::<Account>(r#"{"name": null}"#).is_err());
    }

    #[test]
    fn serialises_avatars_as_a_list() {
        let account: Account =
            serde_json::from_str(r#"{"name": "a", "avatar": {"path": "/p.png"}}"#).unwrap();
        let json = serde_json::to_value(&account).unwrap();
        assert_eq!(json["avatars"][0]["path"], "/p.png");
        assert!(json.get("avatar").is_none());
    }
}
