//! The web crate's settings.

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
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            site_name: "Florilège".into(),
        }
    }
}
