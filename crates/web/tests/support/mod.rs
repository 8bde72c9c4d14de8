//! A small seeded corpus behind a real web node on 127.0.0.1:0, for the API tests.

use std::net::SocketAddr;

use chrono::{Duration, Utc};
use index::{Indexer, IndexerConfig, Searcher};
use store::testing::TestStore;
use store::{
    AccountRecord, ChannelRecord, ImageRef, Instance, InstanceAddress, InstanceOrigin,
    InstanceStatus, NewInstance, PageRecords, PlaylistRecord, Store, VideoDetails, VideoRecord,
};
use tokio::sync::oneshot;
use web::{AppState, WebConfig};

/// One video of the corpus.
pub struct Seed {
    pub host: &'static str,
    pub channel: &'static str,
    pub account: &'static str,
    pub uuid: &'static str,
    pub short_uuid: &'static str,
    pub name: &'static str,
    pub language: Option<&'static str>,
    pub category: Option<i64>,
    pub tags: &'static [&'static str],
    pub duration: i64,
    pub views: i64,
    pub nsfw: bool,
    pub is_live: bool,
    pub days_ago: i64,
}

pub const CORPUS: &[Seed] = &[
    Seed {
        host: "video.example",
        channel: "ecoles",
        account: "claire",
        uuid: "0a0e0b7c-1d2e-4f30-8a41-000000000001",
        short_uuid: "aaaaaaaaaaaaaaaaaaaaa1",
        name: "Les écoles de musique à Paris",
        language: Some("fr"),
        category: Some(1),
        tags: &["musique", "éducation"],
        duration: 300,
        views: 100,
        nsfw: false,
        is_live: false,
        days_ago: 10,
    },
    Seed {
        host: "tube.example",
        channel: "outdoors",
        account: "jane",
        uuid: "0a0e0b7c-1d2e-4f30-8a41-000000000002",
        short_uuid: "aaaaaaaaaaaaaaaaaaaaa2",
        name: "Running a marathon in the mountains",
        language: Some("en"),
        category: Some(5),
        tags: &["trail", "sport"],
        duration: 3600,
        views: 5000,
        nsfw: false,
        is_live: false,
        days_ago: 3,
    },
    Seed {
        host: "tube.example",
        channel: "outdoors",
        account: "jane",
        uuid: "0a0e0b7c-1d2e-4f30-8a41-000000000003",
        short_uuid: "aaaaaaaaaaaaaaaaaaaaa3",
        name: "Mountain night club party",
        language: Some("en"),
        category: None,
        tags: &[],
        duration: 1200,
        views: 50,
        nsfw: true,
        is_live: false,
        days_ago: 1,
    },
    Seed {
        host: "video.example",
        channel: "ciel",
        account: "paul",
        uuid: "0a0e0b7c-1d2e-4f30-8a41-000000000004",
        short_uuid: "aaaaaaaaaaaaaaaaaaaaa4",
        name: "Aurores boréales en direct",
        language: None,
        category: Some(1),
        tags: &["ciel"],
        duration: 0,
        views: 700,
        nsfw: false,
        is_live: true,
        days_ago: 30,
    },
    Seed {
        host: "video.example",
        channel: "ciel",
        account: "paul",
        uuid: "0a0e0b7c-1d2e-4f30-8a41-000000000005",
        short_uuid: "aaaaaaaaaaaaaaaaaaaaa5",
        name: "<script>alert('xss')</script> Abeilles du Vercors",
        language: Some("fr"),
        category: Some(2),
        tags: &["nature"],
        duration: 90,
        views: 10,
        nsfw: false,
        is_live: false,
        days_ago: 60,
    },
];

/// A web node over the seeded corpus.
pub struct Site {
    pub base: String,
    pub client: reqwest::Client,
    pub test_store: TestStore,
    pub searcher: Searcher,
    pub index_root: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Site {
    /// Seeds the store, indexes it and serves it.
    pub async fn start(test_store: TestStore) -> Self {
        // Errors the server logs show in the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        seed(&test_store.store).await;
        let index_root = tempfile::tempdir().expect("index directory");
        let site = Self::serve(test_store, index_root).await;
        site.settle().await;
        site
    }

    async fn serve(test_store: TestStore, index_root: tempfile::TempDir) -> Self {
        // Opening the indexer creates the index the searcher opens.
        drop(indexer(&test_store.store, &index_root).await);
        let searcher = Searcher::open(index_root.path()).expect("open the searcher");
        let state = AppState::open(
            test_store.store.clone(),
            searcher.clone(),
            WebConfig::default(),
            index_root.path().join("images"),
            None,
        )
        .await
        .expect("open the web state");
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(web::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Self {
            base: format!("http://{address}"),
            client: reqwest::Client::new(),
            test_store,
            searcher,
            index_root,
            shutdown: Some(shutdown),
        }
    }

    /// Indexes every change the database holds and makes it searchable.
    ///
    /// On PostgreSQL the feed is read only below the oldest transaction
    /// running on the server, which may belong to a concurrent test: catch up
    /// until the newest entry is passed.
    pub async fn settle(&self) {
        let store = &self.test_store.store;
        let head = store.feed_head().await.expect("feed head");
        let mut indexer = indexer(store, &self.index_root).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            indexer.catch_up().await.expect("catch up");
            indexer.commit().await.expect("commit");
            if indexer.committed_cursor() >= head {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the indexer did not reach {head:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(indexer);
        // The searcher also follows commits on its own thread: let it settle too.
        tokio::time::sleep(2 * index::REFRESH_INTERVAL).await;
        self.searcher.refresh().expect("refresh");
    }

    pub fn store(&self) -> &Store {
        &self.test_store.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs a JSON answer, with its status.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.client.get(self.url(path)).send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// POSTs a JSON body, returning the status and JSON answer.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.test_store.cleanup().await;
    }
}

async fn indexer(store: &Store, root: &tempfile::TempDir) -> Indexer {
    let config = IndexerConfig {
        consumer: "web-tests".into(),
        writer_threads: 1,
        ..IndexerConfig::default()
    };
    Indexer::open(root.path(), store.clone(), config)
        .await
        .expect("open the indexer")
}

/// The names of the videos in a search answer, in order.
pub fn names(answer: &serde_json::Value) -> Vec<String> {
    answer["data"]
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|video| video["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// The uuid of the corpus's one playlist.
pub const PLAYLIST_UUID: &str = "9f1c1b81-cfe2-4599-a64a-d9b98a59b1e8";

async fn seed(store: &Store) {
    for host in ["video.example", "tube.example"] {
        let instance = approved_instance(store, host).await;
        let page = page_of(&instance, CORPUS.iter().filter(|seed| seed.host == host));
        store
            .upsert_page(&instance, &page, Utc::now())
            .await
            .expect("upsert the corpus");
        if host == "video.example" {
            seed_playlist(store, &instance).await;
        }
    }
}

async fn seed_playlist(store: &Store, instance: &Instance) {
    let video = store
        .video_by_uuid(CORPUS[0].uuid)
        .await
        .expect("read")
        .expect("the first video");
    let channel_id = video.channel_id.expect("a channel");
    let created = Utc::now() - Duration::days(2);
    let playlist = PlaylistRecord {
        remote_id: Some(6),
        uuid: PLAYLIST_UUID.into(),
        short_uuid: Some("17uH2PccQg6SGBS8pP1DMB".into()),
        url: format!("{}/video-playlists/{PLAYLIST_UUID}", instance.base_url),
        name: "Musique libre — sélection".into(),
        description: Some("Des morceaux libres choisis.".into()),
        privacy_id: 1,
        playlist_type: 1,
        videos_length: 4,
        thumbnail_path: Some(format!(
            "/lazy-static/thumbnails/playlist-{PLAYLIST_UUID}.jpg"
        )),
        embed_path: Some(format!("/video-playlists/embed/{PLAYLIST_UUID}")),
        remote_created_at: Some(created),
        remote_updated_at: Some(created),
    };
    store
        .upsert_playlists(instance, channel_id, &[playlist], Utc::now())
        .await
        .expect("upsert the playlist");
}

pub async fn approved_instance(store: &Store, host: &str) -> Instance {
    let address = InstanceAddress::parse(host, "https").expect("address");
    let (instance, _) = store
        .add_instance(&NewInstance {
            address,
            status: InstanceStatus::Approved,
            origin: InstanceOrigin::Cli,
            discovered_from: None,
        })
        .await
        .expect("add instance");
    instance
}

fn page_of<'a>(instance: &Instance, seeds: impl Iterator<Item = &'a Seed>) -> PageRecords {
    let base = &instance.base_url;
    let mut page = PageRecords::default();
    for (position, seed) in seeds.enumerate() {
        let id = i64::try_from(position).unwrap_or(0) + 1;
        if !page.accounts.iter().any(|a| a.name == seed.account) {
            page.accounts.push(AccountRecord {
                remote_id: Some(id),
                name: seed.account.into(),
                display_name: format!("{} (account)", seed.account),
                description: None,
                url: format!("{base}/accounts/{}", seed.account),
                avatars: vec![ImageRef {
                    path: Some(format!("/lazy-static/avatars/{}.png", seed.account)),
                    url: None,
                    width: Some(120),
                }],
                followers_count: 3,
                remote_created_at: None,
            });
        }
        if !page.channels.iter().any(|c| c.name == seed.channel) {
            page.channels.push(ChannelRecord {
                remote_id: Some(id),
                name: seed.channel.into(),
                display_name: format!("Channel {}", seed.channel),
                url: format!("{base}/video-channels/{}", seed.channel),
                avatars: Vec::new(),
                account_name: Some(seed.account.into()),
                details: None,
            });
        }
        let published = Utc::now() - Duration::days(seed.days_ago);
        page.videos.push(VideoRecord {
            remote_id: Some(id),
            uuid: seed.uuid.into(),
            short_uuid: Some(seed.short_uuid.into()),
            url: format!("{base}/videos/watch/{}", seed.uuid),
            name: seed.name.into(),
            truncated_description: Some(format!("About {}", seed.name)),
            category_id: seed.category,
            category_label: seed.category.map(|id| format!("Category {id}")),
            licence_id: Some(1),
            licence_label: Some("Attribution".into()),
            language_id: seed.language.map(str::to_owned),
            language_label: seed.language.map(|code| format!("Language {code}")),
            privacy_id: 1,
            nsfw: seed.nsfw,
            nsfw_flags: 0,
            nsfw_summary: None,
            is_live: seed.is_live,
            duration: seed.duration,
            aspect_ratio: Some(1.7778),
            views: seed.views,
            likes: seed.views / 10,
            dislikes: 0,
            comments: 1,
            thumbnail_path: Some(format!("/lazy-static/thumbnails/{}.jpg", seed.uuid)),
            preview_path: Some(format!("/lazy-static/previews/{}.jpg", seed.uuid)),
            embed_path: Some(format!("/videos/embed/{}", seed.uuid)),
            published_at: published,
            originally_published_at: None,
            remote_created_at: Some(published),
            remote_updated_at: Some(published),
            account_name: Some(seed.account.into()),
            channel_name: Some(seed.channel.into()),
            details: Some(VideoDetails {
                description: Some(format!("About {}, in full.", seed.name)),
                support: None,
                tags: seed.tags.iter().map(|tag| (*tag).to_owned()).collect(),
            }),
        });
    }
    page
}

/// Runs each `async fn(&Site)` against a fresh site on SQLite, and on
/// PostgreSQL when `FLORILEGE_TEST_POSTGRES_URL` is set.
#[macro_export]
macro_rules! site_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let site = $crate::support::Site::start(
                        store::testing::TestStore::sqlite().await,
                    )
                    .await;
                    super::$name(&site).await;
                    site.stop().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test_store) = store::testing::TestStore::postgres().await else {
                        return;
                    };
                    let site = $crate::support::Site::start(test_store).await;
                    super::$name(&site).await;
                    site.stop().await;
                }
            )+
        }
    };
}
