//! Instance-level models: `/api/v1/config`, `/api/v1/config/about` and `/api/v1/server/stats`.
//!
//! Only what a crawler needs is decoded; the rest of these large objects is ignored.

use serde::{Deserialize, Serialize};

use crate::common::ActorImage;
use crate::lenient::{lenient, lenient_object, lenient_vec};

/// The public configuration (`GET /api/v1/config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfig {
    /// PeerTube version, e.g. `6.3.0`; every PeerTube sends it.
    #[serde(default, deserialize_with = "lenient")]
    pub server_version: Option<String>,
    /// Git commit of the build, often empty.
    #[serde(default, deserialize_with = "lenient")]
    pub server_commit: Option<String>,
    /// Name, description and NSFW policy.
    #[serde(default, deserialize_with = "lenient_object")]
    pub instance: ConfigInstance,
    /// Search settings, including the search index in use.
    #[serde(default, deserialize_with = "lenient_object")]
    pub search: ConfigSearch,
    /// Whether sign-ups are open.
    #[serde(default, deserialize_with = "lenient_object")]
    pub signup: ConfigSignup,
    /// Federation switch (recent versions).
    #[serde(default, deserialize_with = "lenient_object")]
    pub federation: Option<ConfigEnabled>,
}

impl ServerConfig {
    /// The `major.minor.patch` numbers of `serverVersion`, ignoring any suffix (`7.0.0-rc.1`).
    pub fn version(&self) -> Option<(u32, u32, u32)> {
        parse_version(self.server_version.as_deref()?)
    }
}

/// Parses the leading `major[.minor[.patch]]` of a version string.
pub fn parse_version(raw: &str) -> Option<(u32, u32, u32)> {
    let core = raw.trim().trim_start_matches('v');
    let core = core.split(['-', '+', ' ']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().and_then(Result::ok).unwrap_or(0);
    let patch = parts.next().and_then(Result::ok).unwrap_or(0);
    Some((major, minor, patch))
}

/// `config.instance`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigInstance {
    /// Instance name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// One-line description.
    #[serde(default, deserialize_with = "lenient")]
    pub short_description: Option<String>,
    /// Whether the instance is dedicated to sensitive content.
    #[serde(rename = "isNSFW", default, deserialize_with = "lenient")]
    pub is_nsfw: Option<bool>,
    /// Default NSFW display policy: `display`, `blur`, `warn` or `do_not_list`.
    #[serde(rename = "defaultNSFWPolicy", default, deserialize_with = "lenient")]
    pub default_nsfw_policy: Option<String>,
    /// Default client route, e.g. `/videos/trending`.
    #[serde(default, deserialize_with = "lenient")]
    pub default_client_route: Option<String>,
    /// Country of the server (recent versions).
    #[serde(default, deserialize_with = "lenient")]
    pub server_country: Option<String>,
    /// Instance avatars (6.0+).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub avatars: Vec<ActorImage>,
    /// Instance banners (6.0+).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub banners: Vec<ActorImage>,
}

/// `config.search`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSearch {
    /// The global search index the instance uses, if any.
    #[serde(default, deserialize_with = "lenient_object")]
    pub search_index: ConfigSearchIndex,
}

/// `config.search.searchIndex`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSearchIndex {
    /// Whether a search index is configured.
    #[serde(default, deserialize_with = "lenient")]
    pub enabled: Option<bool>,
    /// Its URL.
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    /// Whether local search is disabled in its favour.
    #[serde(default, deserialize_with = "lenient")]
    pub disable_local_search: Option<bool>,
    /// Whether it is the default search.
    #[serde(default, deserialize_with = "lenient")]
    pub is_default_search: Option<bool>,
}

/// `config.signup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSignup {
    /// Whether sign-ups are allowed.
    #[serde(default, deserialize_with = "lenient")]
    pub allowed: Option<bool>,
    /// Whether sign-ups need moderator approval (5.1+).
    #[serde(default, deserialize_with = "lenient")]
    pub requires_approval: Option<bool>,
    /// Whether e-mail verification is required.
    #[serde(default, deserialize_with = "lenient")]
    pub requires_email_verification: Option<bool>,
    /// Minimum age (5.1+).
    #[serde(default, deserialize_with = "lenient")]
    pub minimum_age: Option<u32>,
}

/// A `{ "enabled": bool }` switch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigEnabled {
    /// Whether the feature is on.
    #[serde(default, deserialize_with = "lenient")]
    pub enabled: Option<bool>,
}

/// The about page (`GET /api/v1/config/about`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct About {
    /// Its only member.
    #[serde(default, deserialize_with = "lenient_object")]
    pub instance: AboutInstance,
}

/// `about.instance`. Texts are Markdown and untrusted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AboutInstance {
    /// Instance name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// One-line description.
    #[serde(default, deserialize_with = "lenient")]
    pub short_description: Option<String>,
    /// Long description.
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Terms of service.
    #[serde(default, deserialize_with = "lenient")]
    pub terms: Option<String>,
    /// Code of conduct.
    #[serde(default, deserialize_with = "lenient")]
    pub code_of_conduct: Option<String>,
    /// Moderation policy.
    #[serde(default, deserialize_with = "lenient")]
    pub moderation_information: Option<String>,
    /// Who runs the instance.
    #[serde(default, deserialize_with = "lenient")]
    pub administrator: Option<String>,
    /// Why it was created.
    #[serde(default, deserialize_with = "lenient")]
    pub creation_reason: Option<String>,
    /// How long it is expected to run.
    #[serde(default, deserialize_with = "lenient")]
    pub maintenance_lifetime: Option<String>,
    /// How it is funded.
    #[serde(default, deserialize_with = "lenient")]
    pub business_model: Option<String>,
    /// Hardware description.
    #[serde(default, deserialize_with = "lenient")]
    pub hardware_information: Option<String>,
    /// Languages spoken on the instance (codes such as `fr`).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub languages: Vec<String>,
    /// Main video categories (ids).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub categories: Vec<u32>,
    /// Whether the instance is dedicated to sensitive content (sent by some versions here).
    #[serde(rename = "isNSFW", default, deserialize_with = "lenient")]
    pub is_nsfw: Option<bool>,
    /// Instance avatars (6.0+).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub avatars: Vec<ActorImage>,
    /// Instance banners (6.0+).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub banners: Vec<ActorImage>,
}

/// Public statistics (`GET /api/v1/server/stats`). Missing counters are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerStats {
    /// Registered users.
    #[serde(default, deserialize_with = "lenient")]
    pub total_users: Option<u64>,
    /// Users active today.
    #[serde(default, deserialize_with = "lenient")]
    pub total_daily_active_users: Option<u64>,
    /// Users active this week.
    #[serde(default, deserialize_with = "lenient")]
    pub total_weekly_active_users: Option<u64>,
    /// Users active this month.
    #[serde(default, deserialize_with = "lenient")]
    pub total_monthly_active_users: Option<u64>,
    /// Videos hosted on the instance.
    #[serde(default, deserialize_with = "lenient")]
    pub total_local_videos: Option<u64>,
    /// Views of local videos.
    #[serde(default, deserialize_with = "lenient")]
    pub total_local_video_views: Option<u64>,
    /// Comments on local videos.
    #[serde(default, deserialize_with = "lenient")]
    pub total_local_video_comments: Option<u64>,
    /// Bytes of local video files.
    #[serde(default, deserialize_with = "lenient")]
    pub total_local_video_files_size: Option<u64>,
    /// Videos known, local and federated.
    #[serde(default, deserialize_with = "lenient")]
    pub total_videos: Option<u64>,
    /// Comments known, local and federated.
    #[serde(default, deserialize_with = "lenient")]
    pub total_video_comments: Option<u64>,
    /// Local channels.
    #[serde(default, deserialize_with = "lenient")]
    pub total_local_video_channels: Option<u64>,
    /// Local playlists.
    #[serde(default, deserialize_with = "lenient")]
    pub total_local_playlists: Option<u64>,
    /// Instances following this one.
    #[serde(default, deserialize_with = "lenient")]
    pub total_instance_followers: Option<u64>,
    /// Instances this one follows.
    #[serde(default, deserialize_with = "lenient")]
    pub total_instance_following: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::decode;

    #[test]
    fn decodes_the_6_3_config() {
        let config: ServerConfig =
            decode(include_bytes!("../tests/fixtures/6.3.0/config.json")).unwrap();
        assert_eq!(config.server_version.as_deref(), Some("6.3.0"));
        assert_eq!(config.version(), Some((6, 3, 0)));
        assert_eq!(config.instance.name.as_deref(), Some("PeerTube Real One"));
        assert_eq!(config.instance.is_nsfw, Some(false));
        assert_eq!(config.instance.default_nsfw_policy.as_deref(), Some("blur"));
        assert_eq!(config.search.search_index.enabled, Some(false));
        assert_eq!(config.search.search_index.url.as_deref(), Some(""));
        assert_eq!(config.signup.allowed, Some(false));
        assert_eq!(config.signup.minimum_age, Some(16));
        assert_eq!(config.federation, None);
    }

    #[test]
    fn decodes_the_6_3_about() {
        let about: About =
            decode(include_bytes!("../tests/fixtures/6.3.0/config-about.json")).unwrap();
        let instance = about.instance;
        assert_eq!(instance.name.as_deref(), Some("PeerTube Real One"));
        assert!(instance.description.unwrap().contains("**Markdown**"));
        assert_eq!(instance.terms.as_deref(), Some("No terms for now."));
        assert_eq!(instance.languages, ["en", "fr"]);
        assert_eq!(instance.categories, [1, 2, 15]);
        assert_eq!(instance.code_of_conduct.as_deref(), Some(""));
    }

    #[test]
    fn decodes_the_6_3_stats() {
        let stats: ServerStats =
            decode(include_bytes!("../tests/fixtures/6.3.0/server-stats.json")).unwrap();
        assert_eq!(stats.total_local_videos, Some(22));
        assert_eq!(stats.total_videos, Some(22));
        assert_eq!(stats.total_users, Some(3));
        assert_eq!(stats.total_local_video_views, Some(0));
        assert_eq!(stats.total_local_playlists, Some(3));
        assert_eq!(stats.total_instance_followers, Some(1));
    }

    #[test]
    fn old_and_broken_configs_still_decode() {
        let config: ServerConfig = decode(
            br#"{"serverVersion": "3.4.1", "instance": {"name": null, "isNSFW": "no"},
                 "search": 5, "signup": {"allowed": true}}"#,
        )
        .unwrap();
        assert_eq!(config.version(), Some((3, 4, 1)));
        assert_eq!(config.instance.name, None);
        assert_eq!(config.instance.is_nsfw, None);
        assert_eq!(config.search, ConfigSearch::default());
        assert_eq!(config.signup.allowed, Some(true));
        assert!(decode::<ServerConfig>(b"[]").is_err());
    }

    #[test]
    fn versions_parse_leniently() {
        assert_eq!(parse_version("7.0.0-rc.1"), Some((7, 0, 0)));
        assert_eq!(parse_version("v8.1"), Some((8, 1, 0)));
        assert_eq!(parse_version("nightly"), None);
    }
}
