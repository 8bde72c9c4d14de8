//! Search parameters over the seeded corpus: filters, NSFW, blocks, sorts, pages, facets, snippets, suggestions, related videos, channels, curation.

use chrono::{Duration, Utc};
use store::Store;
use tantivy::columnar::ColumnIndex;

use super::Replica;
use super::corpus::{Corpus, known_items, seed};
use crate::schema::UNKNOWN_LANGUAGE;
use crate::{
    ChannelQuery, ChannelSort, Direction, DurationRange, MAX_COUNT, NsfwFilter, VideoQuery,
    VideoSort, VideoSummary,
};

const FILLERS: usize = 300;

async fn corpus(store: &Store) -> (Corpus, Replica) {
    let corpus = seed(store, known_items(), FILLERS).await;
    let mut replica = Replica::open(store).await;
    replica.settle().await;
    (corpus, replica)
}

fn all(query: VideoQuery) -> VideoQuery {
    VideoQuery {
        count: MAX_COUNT,
        nsfw: NsfwFilter::Both,
        ..query
    }
}

fn items(replica: &Replica, query: &VideoQuery) -> (u64, Vec<VideoSummary>) {
    let results = replica.searcher.search_videos(query).unwrap();
    (
        results.total,
        results.hits.into_iter().map(|hit| hit.item).collect(),
    )
}

async fn filters_restrict_results(store: Store) {
    let (corpus, replica) = corpus(&store).await;
    let everything = FILLERS as u64 + known_items().len() as u64;
    let nsfw = FILLERS.div_ceil(10) as u64;
    assert_eq!(items(&replica, &all(VideoQuery::default())).0, everything);
    let hidden = VideoQuery {
        count: MAX_COUNT,
        ..VideoQuery::default()
    };
    let (total, videos) = items(&replica, &hidden);
    assert_eq!(total, everything - nsfw);
    assert!(videos.iter().all(|v| !v.nsfw));
    let only = all(VideoQuery {
        nsfw: NsfwFilter::Only,
        ..VideoQuery::default()
    });
    let (total, videos) = items(
        &replica,
        &VideoQuery {
            nsfw: NsfwFilter::Only,
            ..only
        },
    );
    assert_eq!(total, nsfw);
    assert!(videos.iter().all(|v| v.nsfw));

    let (total, videos) = items(
        &replica,
        &all(VideoQuery {
            category_one_of: vec![1, 2],
            ..VideoQuery::default()
        }),
    );
    assert_eq!(total, (0..FILLERS).filter(|i| i % 5 < 2).count() as u64);
    assert!(
        videos
            .iter()
            .all(|v| matches!(v.category.as_ref().map(|c| c.id), Some(1 | 2)))
    );

    let (total, videos) = items(
        &replica,
        &all(VideoQuery {
            licence_one_of: vec![3],
            language_one_of: vec!["de".into()],
            ..VideoQuery::default()
        }),
    );
    assert!(total > 0);
    assert!(videos.iter().all(|v| v.licence.as_ref().unwrap().id == 3
        && v.language.as_ref().unwrap().id == "de"));
    let (_, unknown) = items(
        &replica,
        &all(VideoQuery {
            language_one_of: vec![UNKNOWN_LANGUAGE.into()],
            ..VideoQuery::default()
        }),
    );
    assert_eq!(
        unknown.iter().map(|v| v.uuid.as_str()).collect::<Vec<_>>(),
        [corpus.uuid("unlabelled")]
    );

    let (_, tagged) = items(
        &replica,
        &all(VideoQuery {
            tags_one_of: vec!["Musique".into(), "CHORALE".into()],
            ..VideoQuery::default()
        }),
    );
    let mut uuids: Vec<&str> = tagged.iter().map(|v| v.uuid.as_str()).collect();
    uuids.sort_unstable();
    let mut expected = vec![corpus.uuid("ecoles"), corpus.uuid("pluie")];
    expected.sort_unstable();
    assert_eq!(uuids, expected);
    let (_, both_tags) = items(
        &replica,
        &all(VideoQuery {
            tags_all_of: vec!["nature".into(), "insectes".into()],
            ..VideoQuery::default()
        }),
    );
    assert_eq!(both_tags.len(), 1);
    assert_eq!(both_tags[0].uuid, corpus.uuid("abeilles"));

    let (total, videos) = items(
        &replica,
        &all(VideoQuery {
            duration_min: Some(600),
            duration_max: Some(1200),
            ..VideoQuery::default()
        }),
    );
    assert!(total > 0);
    assert!(videos.iter().all(|v| (600..=1200).contains(&v.duration)));

    let since = Utc::now() - Duration::days(100);
    let (total, videos) = items(
        &replica,
        &all(VideoQuery {
            start_date: Some(since),
            ..VideoQuery::default()
        }),
    );
    assert!(total > 0 && total < everything);
    assert!(
        videos
            .iter()
            .all(|v| v.published_at >= since - Duration::seconds(1))
    );
    let (_, old) = items(
        &replica,
        &all(VideoQuery {
            originally_published_end_date: Some(Utc::now() - Duration::days(400)),
            ..VideoQuery::default()
        }),
    );
    assert!(!old.is_empty());
    assert!(old.iter().all(|v| v.originally_published_at.is_some()));

    let (total, videos) = items(
        &replica,
        &all(VideoQuery {
            is_live: Some(true),
            ..VideoQuery::default()
        }),
    );
    assert_eq!(total, FILLERS.div_ceil(25) as u64);
    assert!(videos.iter().all(|v| v.is_live));

    let (_, hosted) = items(
        &replica,
        &all(VideoQuery {
            host: Some("Tube.Example".into()),
            ..VideoQuery::default()
        }),
    );
    assert!(!hosted.is_empty() && hosted.iter().all(|v| v.instance.host == "tube.example"));

    let (_, chosen) = items(
        &replica,
        &all(VideoQuery {
            uuids: vec![
                corpus.uuid("marathon").into(),
                corpus.short_uuids["paella"].clone(),
            ],
            ..VideoQuery::default()
        }),
    );
    assert_eq!(chosen.len(), 2);

    let (total, videos) = items(
        &replica,
        &all(VideoQuery {
            search: Some("abeilles".into()),
            blocked_hosts: vec!["media.example".into()],
            blocked_accounts: vec!["@claire@Video.Example".into()],
            ..VideoQuery::default()
        }),
    );
    assert_eq!(total, 0, "{videos:?}");
    let (total, _) = items(
        &replica,
        &all(VideoQuery {
            blocked_hosts: vec!["media.example".into()],
            ..VideoQuery::default()
        }),
    );
    let on_media = items(
        &replica,
        &all(VideoQuery {
            host: Some("media.example".into()),
            ..VideoQuery::default()
        }),
    )
    .0;
    assert_eq!(total, everything - on_media);
}

async fn sorts_and_pages(store: Store) {
    let (_, replica) = corpus(&store).await;
    let sorted = |sort: &str| {
        items(
            &replica,
            &all(VideoQuery {
                sort: VideoSort::parse(sort).unwrap(),
                ..VideoQuery::default()
            }),
        )
        .1
    };
    let published: Vec<_> = sorted("-publishedAt")
        .iter()
        .map(|v| v.published_at)
        .collect();
    assert!(published.windows(2).all(|w| w[0] >= w[1]));
    let published: Vec<_> = sorted("publishedAt")
        .iter()
        .map(|v| v.published_at)
        .collect();
    assert!(published.windows(2).all(|w| w[0] <= w[1]));
    let views: Vec<_> = sorted("-views").iter().map(|v| v.views).collect();
    assert!(views.windows(2).all(|w| w[0] >= w[1]));
    let likes: Vec<_> = sorted("-likes").iter().map(|v| v.likes).collect();
    assert!(likes.windows(2).all(|w| w[0] >= w[1]));
    let durations: Vec<_> = sorted("duration").iter().map(|v| v.duration).collect();
    assert!(durations.windows(2).all(|w| w[0] <= w[1]));
    let durations: Vec<_> = sorted("-duration").iter().map(|v| v.duration).collect();
    assert!(durations.windows(2).all(|w| w[0] >= w[1]));
    let names: Vec<String> = sorted("name")
        .iter()
        .map(|v| v.name.to_lowercase())
        .collect();
    assert!(names.first().unwrap() <= names.last().unwrap(), "{names:?}");
    assert!(!sorted("-originallyPublishedAt").is_empty());
    assert!(!sorted("-createdAt").is_empty());

    // Pages do not overlap and add up to the larger page.
    let page = |start, count| {
        items(
            &replica,
            &VideoQuery {
                start,
                count,
                sort: VideoSort::PublishedAt(Direction::Desc),
                nsfw: NsfwFilter::Both,
                ..VideoQuery::default()
            },
        )
    };
    let (total, first) = page(0, 10);
    let (_, second) = page(10, 10);
    let (_, both) = page(0, 20);
    let ids = |videos: &[VideoSummary]| videos.iter().map(|v| v.id).collect::<Vec<_>>();
    assert_eq!([ids(&first), ids(&second)].concat(), ids(&both));
    let (counted, none) = page(0, 0);
    assert_eq!((counted, none.len()), (total, 0));
    let (_, capped) = page(0, 1000);
    assert_eq!(capped.len(), MAX_COUNT);
    let (beyond_total, beyond) = page(total as usize + 5, 10);
    assert_eq!((beyond_total, beyond.len()), (total, 0));
    let (_, last) = page(total as usize - 3, 10);
    assert_eq!(last.len(), 3);
    let too_deep = VideoQuery {
        start: crate::MAX_WINDOW,
        ..VideoQuery::default()
    };
    let error = replica.searcher.search_videos(&too_deep).unwrap_err();
    assert!(
        matches!(error, crate::IndexError::Query(ref e) if e.parameter == "start"),
        "{error}"
    );
}

async fn facets_snippets_suggestions_and_related(store: Store) {
    let (corpus, replica) = corpus(&store).await;
    let results = replica
        .searcher
        .search_videos(&all(VideoQuery {
            with_facets: true,
            ..VideoQuery::default()
        }))
        .unwrap();
    let facets = results.facets.unwrap();
    assert_eq!(facets.languages.values().sum::<u64>(), results.total);
    assert_eq!(facets.hosts.len(), 3);
    assert_eq!(
        facets.durations.iter().map(|(_, n)| n).sum::<u64>(),
        results.total
    );
    assert_eq!(facets.durations[0].0, DurationRange::Short);
    assert_eq!(facets.languages[UNKNOWN_LANGUAGE], 1);
    assert_eq!(facets.categories.values().sum::<u64>(), FILLERS as u64);
    let filtered = replica
        .searcher
        .search_videos(&VideoQuery {
            with_facets: true,
            language_one_of: vec!["fr".into()],
            ..VideoQuery::text("musique")
        })
        .unwrap();
    assert_eq!(
        filtered
            .facets
            .unwrap()
            .languages
            .keys()
            .collect::<Vec<_>>(),
        ["fr"]
    );

    let highlighted = replica
        .searcher
        .search_videos(&VideoQuery {
            with_highlights: true,
            ..VideoQuery::text("ecole")
        })
        .unwrap();
    let hit = &highlighted.hits[0];
    assert_eq!(hit.item.uuid, corpus.uuid("ecoles"));
    let highlights = hit.highlights.as_ref().unwrap();
    assert_eq!(
        highlights.name,
        "Les <mark>écoles</mark> de musique à Paris"
    );
    assert!(
        highlights
            .description
            .as_ref()
            .unwrap()
            .contains("<mark>écoles</mark>")
    );

    let corrected = replica
        .searcher
        .search_videos(&VideoQuery {
            with_suggestion: true,
            ..VideoQuery::text("Wanderunegn")
        })
        .unwrap();
    assert_eq!(
        corrected.suggestion.as_deref(),
        Some("wanderungen"),
        "{corrected:?}"
    );
    let fine = replica
        .searcher
        .search_videos(&VideoQuery {
            with_suggestion: true,
            ..VideoQuery::text("abeilles")
        })
        .unwrap();
    assert_eq!(fine.suggestion, None);

    let pasta = replica
        .searcher
        .video_by_uuid(corpus.uuid("pasta"))
        .unwrap()
        .unwrap();
    let related = replica
        .searcher
        .related_videos(pasta.id, &VideoQuery::default())
        .unwrap();
    assert!(related.iter().all(|hit| hit.item.id != pasta.id));
    let related: Vec<&str> = related
        .iter()
        .take(5)
        .map(|hit| hit.item.uuid.as_str())
        .collect();
    assert!(related.contains(&corpus.uuid("ricette")), "{related:?}");
    assert!(
        replica
            .searcher
            .related_videos(-1, &VideoQuery::default())
            .unwrap()
            .is_empty()
    );
}

async fn channels_are_searched_by_name_and_handle(store: Store) {
    let (_, replica) = corpus(&store).await;
    assert_eq!(replica.searcher.channel_count().unwrap(), 6);
    let found = replica
        .searcher
        .search_channels(&ChannelQuery {
            with_highlights: true,
            ..ChannelQuery::text("astronautes")
        })
        .unwrap();
    assert_eq!(found.hits[0].item.name, "astronautes");
    assert_eq!(found.hits[0].item.owner.as_ref().unwrap().name, "paul");
    assert!(
        found.hits[0]
            .highlights
            .as_ref()
            .unwrap()
            .name
            .contains("<mark>Astronautes</mark>")
    );
    let typo = replica
        .searcher
        .search_channels(&ChannelQuery::text("bergfreunde bayrn"))
        .unwrap();
    assert_eq!(typo.hits[0].item.name, "bergfreunde");
    let handles = replica
        .searcher
        .search_channels(&ChannelQuery {
            handles: vec!["Cocina@Media.Example".into(), "misto@media.example".into()],
            sort: ChannelSort::Name(Direction::Asc),
            ..ChannelQuery::default()
        })
        .unwrap();
    let names: Vec<&str> = handles
        .hits
        .iter()
        .map(|h| h.item.display_name.as_str())
        .collect();
    assert_eq!(names, ["Canale Misto", "Cocina y Playa"]);
    let blocked = replica
        .searcher
        .search_channels(&ChannelQuery {
            blocked_hosts: vec!["media.example".into()],
            blocked_accounts: vec!["paul@video.example".into()],
            ..ChannelQuery::default()
        })
        .unwrap();
    assert_eq!(blocked.total, 3);
    // Channels hold the videos' columns too, so that a video search reads
    // them directly rather than through an index of who has a value.
    let searcher = replica.searcher.live().reader.searcher();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let full = |index: &ColumnIndex| matches!(index, ColumnIndex::Full);
        for name in ["duration", "published_at", "views", "likes"] {
            let column = fast.column_opt::<i64>(name).unwrap().unwrap();
            assert!(full(&column.index), "{name}");
        }
        for name in ["nsfw", "is_live", "curated"] {
            let column = fast.column_opt::<bool>(name).unwrap().unwrap();
            assert!(full(&column.index), "{name}");
        }
        let language = fast.str("language").unwrap().unwrap();
        assert!(full(&language.ords().index), "language");
    }
}

async fn curation_filters_and_boosts(store: Store) {
    let (corpus, mut replica) = corpus(&store).await;
    // The store cannot publish selections yet: mark one video curated in the index itself.
    let id = replica
        .searcher
        .video_by_uuid(corpus.uuid("abeilles-desc"))
        .unwrap()
        .unwrap()
        .id;
    super::indexing::rewrite_curated(&mut replica, id).await;
    let curated = items(
        &replica,
        &all(VideoQuery {
            curated_only: true,
            ..VideoQuery::default()
        }),
    );
    assert_eq!(curated.0, 1);
    assert!(curated.1[0].curated);
    // Boosted, it is still below the video named after the words (bounded boost)…
    let ranked = items(&replica, &VideoQuery::text("abeilles")).1;
    assert_eq!(ranked[0].uuid, corpus.uuid("abeilles"));
    // …and the viewer's languages move videos up among equals.
    let plain = items(&replica, &VideoQuery::default()).1;
    let boosted = items(
        &replica,
        &VideoQuery {
            boost_languages: vec!["nl".into()],
            ..VideoQuery::default()
        },
    )
    .1;
    let dutch = |videos: &[VideoSummary]| {
        videos
            .iter()
            .take(5)
            .filter(|v| v.language.as_ref().is_some_and(|l| l.id == "nl"))
            .count()
    };
    assert_eq!(dutch(&boosted), 5);
    assert!(dutch(&plain) < 5);
}

store::backend_tests!(
    filters_restrict_results,
    sorts_and_pages,
    facets_snippets_suggestions_and_related,
    channels_are_searched_by_name_and_handle,
    curation_filters_and_boosts,
);
