//! Playlists: indexed from the feed and by a rebuild, hidden by blocks and deletions, searched like PeerTube's `/api/v1/search/video-playlists`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use store::{BlockKind, Instance, InstanceStatus, NewBlock, PlaylistRecord, Store, VideoOwner};

use super::corpus::{Corpus, known_items, page, seed};
use super::{Replica, config};
use crate::{Direction, PlaylistQuery, PlaylistSort, PlaylistSummary, rebuild};

/// Playlists: (key, host, channel, display name, description, created days ago, updated days ago).
const PLAYLISTS: &[(&str, &str, &str, &str, &str, i64, i64)] = &[
    (
        "chorales",
        "video.example",
        "ecoles",
        "Chorales des écoles d'Île-de-France",
        "Les plus belles chansons des enfants.",
        60,
        1,
    ),
    (
        "fusees",
        "video.example",
        "astronautes",
        "Fusées et expériences",
        "La science au jardin.",
        50,
        2,
    ),
    (
        "trails",
        "tube.example",
        "outdoors",
        "Best mountain trails",
        "Running and hiking.",
        40,
        3,
    ),
    (
        "allgaeu",
        "tube.example",
        "bergfreunde",
        "Wanderungen im Allgäu",
        "Touren für die ganze Familie.",
        30,
        4,
    ),
    (
        "recetas",
        "media.example",
        "cocina",
        "Recetas de verano",
        "Platos frescos y fáciles.",
        20,
        5,
    ),
    (
        "canzoni",
        "media.example",
        "misto",
        "Canzoni italiane",
        "Musica per tutti.",
        10,
        6,
    ),
];

fn playlist_uuid(n: usize) -> String {
    format!("{n:08x}-0000-4000-9000-{n:012x}")
}

fn playlist_short_uuid(n: usize) -> String {
    format!("pl{n:05}Rk7YwQzHbVcNdMs")
}

/// The record of playlist number `n` (1-based in [`PLAYLISTS`]).
fn playlist_record(n: usize, now: DateTime<Utc>) -> PlaylistRecord {
    let (_, host, _, name, description, created, updated) = PLAYLISTS[n - 1];
    PlaylistRecord {
        remote_id: Some(n as i64),
        uuid: playlist_uuid(n),
        short_uuid: Some(playlist_short_uuid(n)),
        url: format!("https://{host}/w/p/{}", playlist_short_uuid(n)),
        name: name.into(),
        description: Some(description.into()),
        privacy_id: 1,
        playlist_type: 1,
        videos_length: n as i64,
        thumbnail_path: Some(format!("/lazy-static/thumbnails/playlist-{n}.jpg")),
        embed_path: Some(format!("/video-playlists/embed/{}", playlist_uuid(n))),
        remote_created_at: Some(now - Duration::days(created)),
        remote_updated_at: Some(now - Duration::days(updated)),
    }
}

async fn channel_id(store: &Store, instance: &Instance, name: &str) -> i64 {
    for id in store
        .channel_ids_of(VideoOwner::Instance, instance.id)
        .await
        .unwrap()
    {
        if store.channel(id).await.unwrap().unwrap().name == name {
            return id;
        }
    }
    panic!("no channel {name}");
}

/// Writes [`PLAYLISTS`] and one unlisted playlist; returns the records by key.
async fn seed_playlists(store: &Store, corpus: &Corpus) -> HashMap<&'static str, PlaylistRecord> {
    let now = store::now();
    let mut records = HashMap::new();
    for (i, (key, host, channel, ..)) in PLAYLISTS.iter().enumerate() {
        let instance = &corpus.instances[host];
        let record = playlist_record(i + 1, now);
        let mut written = vec![record.clone()];
        if *key == "chorales" {
            written.push(PlaylistRecord {
                uuid: playlist_uuid(99),
                short_uuid: Some(playlist_short_uuid(99)),
                name: "Chorales en répétition".into(),
                privacy_id: 2,
                ..record.clone()
            });
        }
        let channel = channel_id(store, instance, channel).await;
        store
            .upsert_playlists(instance, channel, &written, now)
            .await
            .unwrap();
        records.insert(*key, record);
    }
    records
}

async fn corpus(store: &Store) -> (Corpus, HashMap<&'static str, PlaylistRecord>, Replica) {
    let corpus = seed(store, known_items(), 0).await;
    let playlists = seed_playlists(store, &corpus).await;
    let mut replica = Replica::open(store).await;
    replica.settle().await;
    (corpus, playlists, replica)
}

fn found(replica: &Replica, query: &PlaylistQuery) -> (u64, Vec<PlaylistSummary>) {
    let results = replica.searcher.search_playlists(query).unwrap();
    (
        results.total,
        results.hits.into_iter().map(|hit| hit.item).collect(),
    )
}

fn names(replica: &Replica, query: &PlaylistQuery) -> Vec<String> {
    found(replica, query)
        .1
        .into_iter()
        .map(|item| item.display_name)
        .collect()
}

fn first_name(replica: &Replica, search: &str) -> Option<String> {
    names(replica, &PlaylistQuery::text(search))
        .into_iter()
        .next()
}

async fn playlists_are_found_by_words_ids_and_filters(store: Store) {
    let (_, records, replica) = corpus(&store).await;
    assert_eq!(
        replica.searcher.playlist_count().unwrap(),
        6,
        "the unlisted one is left out"
    );
    assert_eq!(replica.searcher.channel_count().unwrap(), 6);

    // Words, without their accents, with a typo, or naming the owner.
    let chorales = "Chorales des écoles d'Île-de-France";
    assert_eq!(
        first_name(&replica, "ile de france").as_deref(),
        Some(chorales)
    );
    assert_eq!(
        first_name(&replica, "fusees").as_deref(),
        Some("Fusées et expériences")
    );
    assert_eq!(
        first_name(&replica, "wanderungn allgau").as_deref(),
        Some("Wanderungen im Allgäu")
    );
    assert_eq!(
        first_name(&replica, "Lukas Huber").as_deref(),
        Some("Wanderungen im Allgäu")
    );
    assert_eq!(found(&replica, &PlaylistQuery::text("marathon")).0, 0);

    // What a result carries for PeerTube's answer.
    let (_, hits) = found(
        &replica,
        &PlaylistQuery {
            with_highlights: true,
            ..PlaylistQuery::text("ecoles")
        },
    );
    let item = &hits[0];
    let record = &records["chorales"];
    assert_eq!(item.uuid, record.uuid);
    assert_eq!(item.short_uuid, record.short_uuid);
    assert_eq!(item.url, record.url);
    assert_eq!(item.description, record.description);
    assert_eq!((item.privacy_id, item.playlist_type), (1, 1));
    assert_eq!(item.videos_length, 1);
    assert_eq!(item.created_at, record.remote_created_at);
    assert_eq!(item.updated_at, record.remote_updated_at);
    assert_eq!(item.embed_path, record.embed_path);
    assert_eq!(
        item.origin_url(item.thumbnail_path.as_deref().unwrap()),
        "https://video.example/lazy-static/thumbnails/playlist-1.jpg"
    );
    assert_eq!(item.instance.host, "video.example");
    let channel = item.channel.as_ref().unwrap();
    assert_eq!(channel.handle(), "ecoles@video.example");
    assert_eq!(channel.display_name, "Les Écoles du Monde");
    assert_eq!(
        item.account.as_ref().unwrap().handle(),
        "claire@video.example"
    );
    let results = replica
        .searcher
        .search_playlists(&PlaylistQuery {
            with_highlights: true,
            ..PlaylistQuery::text("ecoles")
        })
        .unwrap();
    let highlights = results.hits[0].highlights.as_ref().unwrap();
    assert!(
        highlights.name.contains("<mark>écoles</mark>"),
        "{highlights:?}"
    );

    // By uuid or short uuid, as parameters or as the search itself.
    let by_ids = PlaylistQuery {
        uuids: vec![
            records["chorales"].uuid.to_uppercase(),
            playlist_short_uuid(5),
        ],
        sort: PlaylistSort::Name(Direction::Asc),
        ..PlaylistQuery::default()
    };
    assert_eq!(names(&replica, &by_ids), [chorales, "Recetas de verano"]);
    let short = playlist_short_uuid(4);
    for search in [
        records["allgaeu"].uuid.clone(),
        short.clone(),
        format!("https://tube.example/w/p/{short}"),
    ] {
        let (total, items) = found(&replica, &PlaylistQuery::text(&search));
        assert_eq!(total, 1, "{search}");
        assert_eq!(items[0].display_name, "Wanderungen im Allgäu");
    }

    // Hosts and blocks.
    let on_tube = PlaylistQuery {
        host: Some("Tube.Example".into()),
        ..PlaylistQuery::default()
    };
    assert_eq!(found(&replica, &on_tube).0, 2);
    let blocked = PlaylistQuery {
        blocked_hosts: vec!["media.example".into()],
        ..PlaylistQuery::default()
    };
    assert_eq!(found(&replica, &blocked).0, 4);
    let blocked = PlaylistQuery {
        blocked_accounts: vec!["@Paul@video.example".into()],
        ..blocked
    };
    assert_eq!(found(&replica, &blocked).0, 3);
    let none = PlaylistQuery {
        blocked_hosts: vec!["media.example".into()],
        ..PlaylistQuery::text("recetas")
    };
    assert_eq!(found(&replica, &none).0, 0);
}

async fn playlists_are_sorted_and_paged(store: Store) {
    let (_, _, replica) = corpus(&store).await;
    let sorted = |sort: &str| {
        names(
            &replica,
            &PlaylistQuery {
                sort: PlaylistSort::parse(sort).unwrap(),
                ..PlaylistQuery::default()
            },
        )
    };
    assert_eq!(
        sorted("displayName"),
        [
            "Best mountain trails",
            "Canzoni italiane",
            "Chorales des écoles d'Île-de-France",
            "Fusées et expériences",
            "Recetas de verano",
            "Wanderungen im Allgäu",
        ]
    );
    let mut descending = sorted("displayName");
    descending.reverse();
    assert_eq!(sorted("-displayName"), descending);
    let oldest_first: Vec<&str> = PLAYLISTS.iter().map(|p| p.3).collect();
    assert_eq!(sorted("createdAt"), oldest_first);
    assert_eq!(
        sorted("-updatedAt"),
        oldest_first,
        "updated in the opposite order"
    );
    let mut newest_first = oldest_first.clone();
    newest_first.reverse();
    assert_eq!(sorted("-createdAt"), newest_first);
    assert_eq!(sorted("updatedAt"), newest_first);

    let page = PlaylistQuery {
        start: 2,
        count: 2,
        sort: PlaylistSort::Name(Direction::Asc),
        ..PlaylistQuery::default()
    };
    let (total, items) = found(&replica, &page);
    assert_eq!(total, 6);
    let page: Vec<&str> = items.iter().map(|i| i.display_name.as_str()).collect();
    assert_eq!(
        page,
        [
            "Chorales des écoles d'Île-de-France",
            "Fusées et expériences"
        ]
    );
    let beyond = PlaylistQuery {
        start: 6,
        ..PlaylistQuery::default()
    };
    assert_eq!(found(&replica, &beyond), (6, Vec::new()));
    let too_far = PlaylistQuery {
        start: crate::MAX_WINDOW,
        ..PlaylistQuery::default()
    };
    assert!(replica.searcher.search_playlists(&too_far).is_err());
}

async fn playlists_follow_the_feed_blocks_deletions_and_rebuilds(store: Store) {
    let corpus = seed(&store, known_items(), 0).await;
    let mut replica = Replica::open(&store).await;
    replica.settle().await;
    assert_eq!(replica.searcher.playlist_count().unwrap(), 0);
    let records = seed_playlists(&store, &corpus).await;
    replica.settle().await;
    assert_eq!(replica.searcher.playlist_count().unwrap(), 6);
    let count = |replica: &Replica, search: &str| found(replica, &PlaylistQuery::text(search)).0;

    // A renamed playlist, and a renamed channel shown by its playlists.
    let tube = &corpus.instances["tube.example"];
    let renamed = PlaylistRecord {
        name: "Wanderungen im Allgäu und Tirol".into(),
        ..records["allgaeu"].clone()
    };
    let bergfreunde = channel_id(&store, tube, "bergfreunde").await;
    store
        .upsert_playlists(tube, bergfreunde, &[renamed], Utc::now())
        .await
        .unwrap();
    let mut channels = page("tube.example", Vec::new());
    for channel in &mut channels.channels {
        if channel.name == "bergfreunde" {
            channel.display_name = "Bergfreunde Oberland".into();
        }
    }
    store
        .upsert_page(tube, &channels, Utc::now())
        .await
        .unwrap();
    replica.settle().await;
    let (total, hits) = found(&replica, &PlaylistQuery::text("tirol"));
    assert_eq!(total, 1);
    let channel = hits[0].channel.as_ref().unwrap();
    assert_eq!(channel.display_name, "Bergfreunde Oberland");
    assert_eq!(
        count(&replica, "oberland"),
        1,
        "found by its channel's new name"
    );
    assert_eq!(replica.searcher.playlist_count().unwrap(), 6);

    // Blocks of an account, a channel and an instance, an instance paused.
    let block = NewBlock {
        kind: BlockKind::Account,
        target: "lukas@tube.example",
        reason: "test",
        source: None,
        created_by: None,
    };
    store.add_block(&block).await.unwrap();
    replica.settle().await;
    assert_eq!(count(&replica, "tirol"), 0);
    store
        .remove_block(BlockKind::Account, "lukas@tube.example")
        .await
        .unwrap();
    let channel = NewBlock {
        kind: BlockKind::Channel,
        target: "cocina@media.example",
        ..block
    };
    store.add_block(&channel).await.unwrap();
    replica.settle().await;
    assert_eq!(count(&replica, "tirol"), 1, "back when unblocked");
    assert_eq!(count(&replica, "recetas"), 0);
    let instance = NewBlock {
        kind: BlockKind::Instance,
        target: "media.example",
        ..block
    };
    store.add_block(&instance).await.unwrap();
    replica.settle().await;
    assert_eq!(replica.searcher.playlist_count().unwrap(), 4);
    store
        .remove_block(BlockKind::Instance, "media.example")
        .await
        .unwrap();
    store
        .remove_block(BlockKind::Channel, "cocina@media.example")
        .await
        .unwrap();
    store
        .set_instance_status(tube.id, InstanceStatus::Paused)
        .await
        .unwrap();
    replica.settle().await;
    assert_eq!(replica.searcher.playlist_count().unwrap(), 4);
    assert_eq!(count(&replica, "recetas"), 1);
    store
        .set_instance_status(tube.id, InstanceStatus::Approved)
        .await
        .unwrap();
    replica.settle().await;
    assert_eq!(replica.searcher.playlist_count().unwrap(), 6);

    // Playlists gone from their instance.
    let video_example = &corpus.instances["video.example"];
    let later = Utc::now() + Duration::hours(1);
    store
        .delete_playlists_not_seen_since(video_example.id, later, later)
        .await
        .unwrap();
    replica.settle().await;
    assert_eq!(replica.searcher.playlist_count().unwrap(), 4);
    assert_eq!(count(&replica, "fusees"), 0);

    // A rebuild holds the same playlists.
    let report = rebuild(replica.dir.path(), &store, &config(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.playlists, 4);
    replica.searcher.refresh().unwrap();
    assert_eq!(replica.searcher.generation(), report.generation);
    assert_eq!(replica.searcher.playlist_count().unwrap(), 4);
    assert_eq!(count(&replica, "tirol"), 1);
    assert_eq!(count(&replica, "oberland"), 1);
    replica.settle().await;
    assert_eq!(replica.searcher.playlist_count().unwrap(), 4);
}

store::backend_tests!(
    playlists_are_found_by_words_ids_and_filters,
    playlists_are_sorted_and_paged,
    playlists_follow_the_feed_blocks_deletions_and_rebuilds,
);
