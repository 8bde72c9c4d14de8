//! A seeded multilingual corpus: known items to find among deterministic filler, written through the store.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use store::{
    AccountRecord, ChannelRecord, Instance, InstanceAddress, InstanceOrigin, InstanceStatus,
    NewInstance, PageRecords, Store, VideoDetails, VideoRecord,
};

/// One video of the corpus.
#[derive(Clone, Debug)]
pub struct Spec {
    pub key: &'static str,
    pub host: &'static str,
    pub channel: &'static str,
    pub language: Option<&'static str>,
    pub name: &'static str,
    pub description: &'static str,
    pub tags: &'static [&'static str],
    pub category: Option<i64>,
    pub licence: Option<i64>,
    pub duration: i64,
    pub views: i64,
    pub likes: i64,
    pub nsfw: bool,
    pub is_live: bool,
    pub days_ago: i64,
}

const fn spec(
    key: &'static str,
    host: &'static str,
    channel: &'static str,
    language: &'static str,
    name: &'static str,
    description: &'static str,
    tags: &'static [&'static str],
) -> Spec {
    Spec {
        key,
        host,
        channel,
        language: Some(language),
        name,
        description,
        tags,
        category: None,
        licence: None,
        duration: 300,
        views: 100,
        likes: 5,
        nsfw: false,
        is_live: false,
        days_ago: 30,
    }
}

/// Channels: (host, channel name, channel display name, account name, account display name).
pub const CHANNELS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "video.example",
        "ecoles",
        "Les Écoles du Monde",
        "claire",
        "Claire Martin",
    ),
    (
        "video.example",
        "astronautes",
        "Les Astronautes du Dimanche",
        "paul",
        "Paul Durand",
    ),
    (
        "tube.example",
        "outdoors",
        "Outdoor Stories",
        "jane",
        "Jane Walker",
    ),
    (
        "tube.example",
        "bergfreunde",
        "Bergfreunde Bayern",
        "lukas",
        "Lukas Huber",
    ),
    (
        "media.example",
        "cocina",
        "Cocina y Playa",
        "lucia",
        "Lucía Gómez",
    ),
    (
        "media.example",
        "misto",
        "Canale Misto",
        "marco",
        "Marco Rossi",
    ),
];

/// The known items, each found by the relevance suite.
pub fn known_items() -> Vec<Spec> {
    let mut items = vec![
        // French
        spec(
            "ecoles",
            "video.example",
            "ecoles",
            "fr",
            "Les écoles de musique à Paris",
            "Visite des conservatoires et des petites écoles de quartier.",
            &["musique", "éducation"],
        ),
        spec(
            "pluie",
            "video.example",
            "ecoles",
            "fr",
            "Chanter sous la pluie",
            "Une chorale d'enfants chante dans la cour.",
            &["chorale"],
        ),
        spec(
            "abeilles",
            "video.example",
            "ecoles",
            "fr",
            "Un documentaire sur les abeilles",
            "Les abeilles sauvages du Vercors, leur vie et leurs ruches.",
            &["nature", "insectes"],
        ),
        spec(
            "abeilles-desc",
            "video.example",
            "ecoles",
            "fr",
            "Balade en forêt",
            "Nous avons croisé des abeilles près du ruisseau.",
            &["balade"],
        ),
        spec(
            "permaculture",
            "video.example",
            "ecoles",
            "fr",
            "Mon potager, saison deux",
            "Le potager au printemps.",
            &["permaculture", "jardinage"],
        ),
        spec(
            "fusee",
            "video.example",
            "astronautes",
            "fr",
            "Construire une fusée à eau",
            "Une fusée en bouteille, lancée depuis le jardin.",
            &["science"],
        ),
        spec(
            "cafe",
            "video.example",
            "astronautes",
            "fr",
            "Cafe racer : restauration d'une moto",
            "On remet en route une vieille moto des années 70.",
            &["moto", "mécanique"],
        ),
        // English
        spec(
            "marathon",
            "tube.example",
            "outdoors",
            "en",
            "Running a marathon in the mountains",
            "Forty-two kilometres of trails and a lot of climbing.",
            &["trail", "sport"],
        ),
        spec(
            "pasta",
            "tube.example",
            "outdoors",
            "en",
            "Cooking easy pasta recipes",
            "Three quick dinners for busy evenings.",
            &["food"],
        ),
        spec(
            "knitting",
            "tube.example",
            "outdoors",
            "en",
            "Knitting a wool sweater",
            "A beginner knits her first sweater in a week.",
            &["craft"],
        ),
        spec(
            "photography",
            "tube.example",
            "outdoors",
            "en",
            "Night photography for beginners",
            "Long exposures, stars and city lights.",
            &["photo"],
        ),
        // German
        spec(
            "wanderungen",
            "tube.example",
            "bergfreunde",
            "de",
            "Die schönsten Wanderungen in den Alpen",
            "Drei Tage auf dem Höhenweg mit Hütten.",
            &["berge"],
        ),
        spec(
            "kaese",
            "tube.example",
            "bergfreunde",
            "de",
            "Käse selber machen",
            "Wie man auf der Alm Käse herstellt.",
            &["handwerk"],
        ),
        // Spanish
        spec(
            "canciones",
            "media.example",
            "cocina",
            "es",
            "Las mejores canciones de la playa",
            "Música para el verano con amigos.",
            &["verano"],
        ),
        spec(
            "paella",
            "media.example",
            "cocina",
            "es",
            "Cocinando una paella valenciana",
            "La receta tradicional paso a paso.",
            &["receta"],
        ),
        // Italian
        spec(
            "ricette",
            "media.example",
            "misto",
            "it",
            "Le ricette della nonna",
            "Cucinare la pasta fresca come una volta.",
            &["cucina"],
        ),
        spec(
            "biciclette",
            "media.example",
            "misto",
            "it",
            "Riparare le biciclette in officina",
            "Un meccanico spiega i freni.",
            &["officina"],
        ),
        // Portuguese
        spec(
            "violao",
            "media.example",
            "misto",
            "pt",
            "Aprendendo a tocar violão",
            "Primeiras músicas para iniciantes.",
            &["música"],
        ),
        // Dutch
        spec(
            "fietsen",
            "media.example",
            "misto",
            "nl",
            "Fietsen door de Nederlandse polders",
            "Een lange tocht langs de dijken.",
            &["fiets"],
        ),
        spec(
            "molens",
            "media.example",
            "misto",
            "nl",
            "De oude molens van Kinderdijk",
            "Hoe de windmolens het water pompen.",
            &["erfgoed"],
        ),
        // No language
        spec(
            "unlabelled",
            "media.example",
            "misto",
            "",
            "Timelapse of the aurora borealis",
            "Recorded over three nights.",
            &["aurora"],
        ),
    ];
    for item in &mut items {
        if item.language == Some("") {
            item.language = None;
        }
    }
    items
}

const FILLER_WORDS: &[&str] = &[
    "vlog",
    "semaine",
    "épisode",
    "direct",
    "partie",
    "conférence",
    "tutoriel",
    "bricolage",
    "voyage",
    "weekly",
    "show",
    "update",
    "gaming",
    "stream",
    "review",
    "unboxing",
    "Woche",
    "Folge",
    "Sendung",
    "programa",
    "capítulo",
    "serie",
    "puntata",
    "diretta",
    "aflevering",
    "podcast",
    "interview",
    "débat",
    "lecture",
    "talk",
    "news",
    "highlights",
];

/// Deterministic filler videos (no known item's distinctive word).
pub fn filler(count: usize) -> Vec<(usize, String, &'static str, &'static str)> {
    let languages = ["fr", "en", "de", "es", "it", "pt", "nl"];
    (0..count)
        .map(|i| {
            let word = |k: usize| FILLER_WORDS[(i * 7 + k * 13) % FILLER_WORDS.len()];
            let name = format!("{} {} {} {i}", word(0), word(1), word(2));
            let channel = CHANNELS[i % CHANNELS.len()];
            (i, name, languages[i % languages.len()], channel.1)
        })
        .collect()
}

/// The seeded corpus: known items by key.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    pub uuids: HashMap<&'static str, String>,
    pub short_uuids: HashMap<&'static str, String>,
    pub instances: HashMap<&'static str, Instance>,
    pub specs: Vec<Spec>,
}

impl Corpus {
    /// The uuid of a known item.
    pub fn uuid(&self, key: &str) -> &str {
        &self.uuids[key]
    }
}

pub fn uuid(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

pub fn short_uuid(n: usize) -> String {
    format!("sh{n:05}Xq9WvTzMbNcKdLp")
}

fn host_url(host: &str) -> String {
    format!("https://{host}")
}

/// The video record of a spec, as number `n`.
pub fn record(n: usize, item: &Spec, now: DateTime<Utc>) -> VideoRecord {
    let channel = CHANNELS
        .iter()
        .find(|c| c.1 == item.channel)
        .expect("known channel");
    let published = now - Duration::days(item.days_ago);
    VideoRecord {
        remote_id: Some(n as i64),
        uuid: uuid(n),
        short_uuid: Some(short_uuid(n)),
        url: format!("{}/w/{}", host_url(item.host), short_uuid(n)),
        name: item.name.into(),
        truncated_description: Some(item.description.chars().take(250).collect()),
        category_id: item.category,
        category_label: item.category.map(|c| format!("Category {c}")),
        licence_id: item.licence,
        licence_label: item.licence.map(|l| format!("Licence {l}")),
        language_id: item.language.map(Into::into),
        language_label: item.language.map(|l| l.to_uppercase()),
        privacy_id: 1,
        nsfw: item.nsfw,
        is_live: item.is_live,
        duration: item.duration,
        views: item.views,
        likes: item.likes,
        thumbnail_path: Some(format!("/lazy-static/thumbnails/{n}.jpg")),
        preview_path: Some(format!("/lazy-static/previews/{n}.jpg")),
        embed_path: Some(format!("/videos/embed/{}", uuid(n))),
        published_at: published,
        originally_published_at: n.is_multiple_of(3).then(|| published - Duration::days(400)),
        remote_created_at: Some(published),
        remote_updated_at: Some(published),
        account_name: Some(channel.3.into()),
        channel_name: Some(channel.1.into()),
        details: Some(VideoDetails {
            description: Some(item.description.into()),
            support: None,
            tags: item.tags.iter().map(|t| (*t).to_owned()).collect(),
        }),
        ..VideoRecord::default()
    }
}

/// The page of one instance: its accounts, channels and these videos.
pub fn page(host: &str, videos: Vec<VideoRecord>) -> PageRecords {
    let mut records = PageRecords {
        videos,
        ..PageRecords::default()
    };
    for (_, name, display, account, account_display) in CHANNELS.iter().filter(|c| c.0 == host) {
        records.accounts.push(AccountRecord {
            name: (*account).into(),
            display_name: (*account_display).into(),
            url: format!("{}/accounts/{account}", host_url(host)),
            ..AccountRecord::default()
        });
        records.channels.push(ChannelRecord {
            name: (*name).into(),
            display_name: (*display).into(),
            url: format!("{}/video-channels/{name}", host_url(host)),
            account_name: Some((*account).into()),
            ..ChannelRecord::default()
        });
    }
    records
}

/// Adds an approved instance.
pub async fn instance(store: &Store, host: &str) -> Instance {
    let new = NewInstance {
        address: InstanceAddress::parse(host, "https").expect("host"),
        status: InstanceStatus::Approved,
        origin: InstanceOrigin::Cli,
        discovered_from: None,
    };
    store.add_instance(&new).await.expect("add instance").0
}

/// Seeds the known items (numbered from 1) and `fillers` filler videos (numbered from 1000).
pub async fn seed(store: &Store, items: Vec<Spec>, fillers: usize) -> Corpus {
    let now = Utc::now();
    let mut corpus = Corpus::default();
    for host in ["video.example", "tube.example", "media.example"] {
        corpus.instances.insert(host, instance(store, host).await);
    }
    let mut by_host: HashMap<&str, Vec<VideoRecord>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        corpus.uuids.insert(item.key, uuid(n));
        corpus.short_uuids.insert(item.key, short_uuid(n));
        by_host
            .entry(item.host)
            .or_default()
            .push(record(n, item, now));
    }
    for (i, name, language, channel) in filler(fillers) {
        let host = CHANNELS
            .iter()
            .find(|c| c.1 == channel)
            .map(|c| c.0)
            .unwrap_or("video.example");
        let item = Spec {
            key: "filler",
            host,
            channel,
            language: Some(language),
            name: Box::leak(name.into_boxed_str()),
            description: "Une vidéo de plus. Another video. Noch ein Video.",
            tags: &[],
            category: Some((i % 5) as i64 + 1),
            licence: Some((i % 3) as i64 + 1),
            duration: (i as i64 * 97) % 3600,
            views: (i as i64 * 31) % 5000,
            likes: (i as i64 * 7) % 300,
            nsfw: i.is_multiple_of(10),
            is_live: i.is_multiple_of(25),
            days_ago: (i as i64 * 3) % 700,
        };
        by_host
            .entry(host)
            .or_default()
            .push(record(1000 + i, &item, now));
    }
    for (host, videos) in by_host {
        let instance = &corpus.instances[host];
        for chunk in videos.chunks(100) {
            store
                .upsert_page(instance, &page(host, chunk.to_vec()), now)
                .await
                .expect("upsert page");
        }
    }
    corpus.specs = items;
    corpus
}
