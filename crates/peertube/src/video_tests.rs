//! Tests of the video models against real 6.3 answers and hand-written 4.0–8.1 samples.

use super::*;
use crate::lenient::in_place;
use crate::page::{LenientPage, decode, decode_page};

fn page(bytes: &[u8]) -> LenientPage<Video> {
    let page = decode_page::<Video>(bytes).unwrap();
    assert!(page.skipped.is_empty(), "{:?}", page.skipped);
    page
}

fn base(raw: &str) -> Url {
    Url::parse(raw).unwrap()
}

#[test]
fn decodes_the_6_3_video_list() {
    let page = page(include_bytes!("../tests/fixtures/6.3.0/videos-list.json"));
    assert_eq!(page.total, None);
    assert_eq!(page.items.len(), 5);
    let first = &page.items[0];
    assert_eq!(
        first.uuid,
        Uuid::parse_str("856a38e2-c9af-4755-bf73-ce63357bb8b8").unwrap()
    );
    assert_eq!(first.short_uuid.as_deref(), Some("htwGPqQTS9SHhWNvtSRqkA"));
    assert_eq!(first.category.as_ref().unwrap().id, None);
    assert_eq!(first.privacy.as_ref().unwrap().id, Some(1));
    assert_eq!(first.duration, Some(4));
    assert_eq!(first.aspect_ratio, Some(1.3333));
    assert_eq!(first.is_local, Some(true));
    assert_eq!(first.originally_published_at, None);
    assert_eq!(
        first.published_at.unwrap().to_rfc3339(),
        "2026-11-23T20:30:42.917+00:00"
    );
    assert!(first.is_local_to("localhost:9001"));
    assert!(!first.is_local_to("localhost:9002"));

    let spanish = &page.items[1];
    assert_eq!(spanish.language.as_ref().unwrap().id.as_deref(), Some("es"));
    assert_eq!(spanish.category.as_ref().unwrap().id, Some(15));
    assert_eq!(spanish.licence.as_ref().unwrap().id, Some(1));
    let channel = spanish.channel.as_ref().unwrap();
    assert_eq!(channel.handle(), "science_lab@localhost:9001");
    assert!(page.items[3].is_nsfw());
    assert_eq!(page.items[3].nsfw_flags, None);
}

#[test]
fn decodes_the_other_6_3_video_lists() {
    let count_only = page(include_bytes!(
        "../tests/fixtures/6.3.0/videos-count-only.json"
    ));
    assert_eq!(count_only.total, Some(22));
    assert!(count_only.items.is_empty());

    let channel_videos = page(include_bytes!(
        "../tests/fixtures/6.3.0/video-channel-videos.json"
    ));
    assert_eq!(channel_videos.total, Some(3));
    assert_eq!(channel_videos.items.len(), 2);

    let search = page(include_bytes!("../tests/fixtures/6.3.0/search-videos.json"));
    assert_eq!(search.items[0].name, "La vraie recette de la ratatouille");
    assert_eq!(search.items[0].likes, 3);
}

#[test]
fn federated_list_answers_of_instance_2() {
    // The saved page of instance 2 (which follows instance 1) starts with
    // its own videos; total counts the federated ones too.
    let page = page(include_bytes!(
        "../tests/fixtures/6.3.0/instance2-videos-list-with-federated.json"
    ));
    assert_eq!(page.total, Some(34));
    for video in &page.items {
        assert!(video.is_local_to("localhost:9002"));
        assert!(!video.is_local_to("localhost:9001"));
        assert_eq!(video.host(), Some("localhost:9002"));
    }
}

#[test]
fn decodes_the_6_3_video_details() {
    let details: VideoDetails =
        decode(include_bytes!("../tests/fixtures/6.3.0/video-details.json")).unwrap();
    assert_eq!(details.name, "Test pattern 1080i (archive)");
    assert_eq!(details.tags, ["pattern", "test"]);
    assert_eq!(details.support, None);
    assert_eq!(details.state.as_ref().unwrap().id, Some(1));
    assert_eq!(details.comments_policy.as_ref().unwrap().id, Some(1));
    assert_eq!(details.download_enabled, Some(true));
    let channel = details.channel.as_ref().unwrap();
    assert_eq!(channel.owner_account.as_ref().unwrap().name, "root");
    assert_eq!(channel.is_local, Some(true));
    let account = details.account.as_ref().unwrap();
    assert_eq!(account.followers_count, Some(0));
    assert!(account.created_at.is_some());
}

#[test]
fn extras_read_what_details_add_and_agree_with_them() {
    let bytes = include_bytes!("../tests/fixtures/6.3.0/video-details.json");
    let details: VideoDetails = decode(bytes).unwrap();
    let extras: VideoExtras = decode(bytes).unwrap();
    assert_eq!(extras, VideoExtras::from(&details));
    assert_eq!(extras.tags, ["pattern", "test"]);
    assert_eq!(extras.description, details.description);
    assert!(extras.is_local_to("localhost:9001"));
    assert!(!extras.is_local_to("localhost:9002"));

    // The owner's host decides; `isLocal: false` always wins; no host: `isLocal`.
    let remote: VideoExtras =
        decode(br#"{"isLocal": true, "account": {"host": "other.example"}}"#).unwrap();
    assert!(!remote.is_local_to("video.example"));
    let by_channel: VideoExtras =
        decode(br#"{"account": "junk", "channel": {"host": "video.example"}}"#).unwrap();
    assert!(by_channel.is_local_to("video.example"));
    let refused: VideoExtras =
        decode(br#"{"isLocal": false, "account": {"host": "video.example"}}"#).unwrap();
    assert!(!refused.is_local_to("video.example"));
    let unknown: VideoExtras = decode(br#"{"tags": "x"}"#).unwrap();
    assert!(!unknown.is_local_to("video.example"));
    assert!(unknown.tags.is_empty());
}

#[test]
fn urls_are_built_on_the_instance() {
    let page = page(include_bytes!("../tests/fixtures/6.3.0/videos-list.json"));
    let video = &page.items[0];
    let base = base("http://localhost:9001");
    assert_eq!(
        video.absolute_url(&base).as_str(),
        "http://localhost:9001/videos/watch/856a38e2-c9af-4755-bf73-ce63357bb8b8"
    );
    assert_eq!(
        video.embed_absolute_url(&base).as_str(),
        "http://localhost:9001/videos/embed/856a38e2-c9af-4755-bf73-ce63357bb8b8"
    );
    assert_eq!(
        video.thumbnail_absolute_url(&base).unwrap().as_str(),
        "http://localhost:9001/lazy-static/thumbnails/5718861e-91f6-41fb-96dc-0762531ab9d7.jpg"
    );
    assert_eq!(
        video.preview_absolute_url(&base).unwrap().as_str(),
        "http://localhost:9001/lazy-static/previews/4d040af5-dc7c-4598-9514-c2501d77b03d.jpg"
    );
}

#[test]
fn hostile_urls_never_leave_the_instance() {
    let video: Video = decode(
        br#"{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "<script>alert(1)</script>",
             "url": "https://phishing.example/videos/watch/x",
             "embedPath": "//evil.example/embed",
             "thumbnailPath": "javascript:alert(1)"}"#,
    )
    .unwrap();
    let base = base("https://video.example");
    assert_eq!(video.name, "<script>alert(1)</script>");
    assert_eq!(
        video.absolute_url(&base).as_str(),
        "https://video.example/videos/watch/9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10"
    );
    assert_eq!(
        video.embed_absolute_url(&base).as_str(),
        "https://video.example/videos/embed/9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10"
    );
    assert_eq!(video.thumbnail_absolute_url(&base), None);
}

#[test]
fn peertube_4_0_legacy_avatar_and_ignored_is_local() {
    let page = page(include_bytes!("../tests/fixtures/samples/videos-4.0.json"));
    let [local, remote] = &page.items[..] else {
        panic!("two videos expected")
    };
    let account = local.account.as_ref().unwrap();
    assert_eq!(account.avatars.len(), 1);
    assert_eq!(
        account.avatars[0]
            .absolute_url(&base("https://old.example"))
            .unwrap()
            .as_str(),
        "https://old.example/lazy-static/avatars/6a1b2c3d-avatar.jpg"
    );
    assert!(local.channel.as_ref().unwrap().avatars.is_empty());
    assert_eq!(local.truncated_description, None);
    assert_eq!(
        local.any_description(),
        Some("Comment régler des freins à patins en dix minutes.")
    );
    assert_eq!(local.aspect_ratio, None);
    assert!(local.is_local_to("old.example"));
    assert!(!remote.is_local_to("old.example"));
    assert_eq!(remote.description, None);
}

#[test]
fn peertube_5_2_sends_both_avatar_forms() {
    let page = page(include_bytes!("../tests/fixtures/samples/videos-5.2.json"));
    let video = &page.items[0];
    let avatars = &video.account.as_ref().unwrap().avatars;
    assert_eq!(avatars.len(), 2);
    assert_eq!(avatars[1].width, Some(48));
    assert!(video.channel.as_ref().unwrap().avatars.is_empty());
    assert_eq!(video.viewers, 0);
}

#[test]
fn peertube_7_1_nsfw_flags_and_image_file_urls() {
    let page = page(include_bytes!("../tests/fixtures/samples/videos-7.1.json"));
    let video = &page.items[0];
    let flags = video.nsfw_flags.unwrap();
    assert!(flags.violent());
    assert!(!flags.explicit_sex());
    assert_eq!(flags.names(), ["violent"]);
    assert_eq!(
        video.nsfw_summary.as_deref(),
        Some("War footage, injuries shown.")
    );
    assert_eq!(video.comments, Some(57));
    let avatars = &video.account.as_ref().unwrap().avatars;
    let best = crate::common::largest_image(avatars).unwrap();
    assert_eq!(
        best.absolute_url(&base("https://new.example"))
            .unwrap()
            .as_str(),
        "https://new.example/lazy-static/avatars/d0c5-1500.webp"
    );
}

#[test]
fn peertube_8_1_thumbnails() {
    let page = page(include_bytes!("../tests/fixtures/samples/videos-8.1.json"));
    let video = &page.items[0];
    assert_eq!(page.total, None);
    assert_eq!(
        video.thumbnails.len(),
        2,
        "the ill-typed thumbnail is dropped"
    );
    assert_eq!(video.thumbnails[1].aspect_ratio.as_deref(), Some("16:9"));
    assert_eq!(
        video
            .thumbnail_absolute_url(&base("https://next.example"))
            .unwrap()
            .as_str(),
        "https://media.next.example/thumbnails/8181-850.jpg"
    );
    let flags = video.nsfw_flags.unwrap();
    assert!(flags.violent() && flags.explicit_sex());
    assert_eq!(video.nsfw_summary, None);
    assert!(video.is_nsfw());
}

#[test]
fn nulls_and_wrong_types_do_not_fail_a_video() {
    let video: Video = decode(
        br#"{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "minimal",
             "id": "12", "views": null, "likes": -1, "duration": 12.5, "nsfw": "yes",
             "category": "Music", "language": {"id": 3, "label": null},
             "account": null, "channel": [1, 2], "thumbnails": {"a": 1},
             "publishedAt": "yesterday", "isLocal": null, "description": {"text": "x"}}"#,
    )
    .unwrap();
    assert_eq!(video.name, "minimal");
    assert_eq!(video.id, None);
    assert_eq!((video.views, video.likes), (0, 0));
    assert_eq!(video.duration, None);
    assert_eq!(video.nsfw, None);
    assert!(!video.is_nsfw());
    assert_eq!(video.category, None);
    assert_eq!(video.language.as_ref().unwrap().id, None);
    assert_eq!(video.account, None);
    assert_eq!(video.channel, None);
    assert!(video.thumbnails.is_empty());
    assert_eq!(video.published_at, None);
    assert_eq!(video.description, None);
    assert_eq!(video.host(), None);
    assert!(
        !video.is_local_to("video.example"),
        "unknown origin is not local"
    );
}

#[test]
fn identity_fields_are_required() {
    for body in [
        r#"{"name": "no uuid"}"#,
        r#"{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10"}"#,
        r#"{"uuid": null, "name": "x"}"#,
        r#"{"uuid": 42, "name": "x"}"#,
        r#"{"uuid": "../../etc/passwd", "name": "x"}"#,
        r#"{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": 42}"#,
    ] {
        assert!(decode::<Video>(body.as_bytes()).is_err(), "{body}");
    }
}

#[test]
fn details_tolerate_bad_tags_and_support() {
    let details: VideoDetails = decode(
        br#"{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "d",
             "tags": ["ok", null, 3, "fine"], "support": ["x"], "files": "whatever"}"#,
    )
    .unwrap();
    assert_eq!(details.tags, ["ok", "fine"]);
    assert_eq!(details.support, None);
    assert!(decode::<VideoDetails>(br#"{"name": "no uuid", "tags": []}"#).is_err());
}

#[test]
fn video_round_trips_through_serde() {
    let page = page(include_bytes!("../tests/fixtures/samples/videos-7.1.json"));
    let json = serde_json::to_string(&page.items[0]).unwrap();
    let again: Video = serde_json::from_str(&json).unwrap();
    assert_eq!(again, page.items[0]);
}

#[test]
fn deep_junk_in_details_costs_only_its_field() {
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let body = format!(
        r#"{{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "d", "files": {deep},
             "tags": {deep}, "support": "s"}}"#
    );
    let details = decode::<VideoDetails>(body.as_bytes()).unwrap();
    assert_eq!(details.name, "d");
    assert!(details.tags.is_empty());
    assert_eq!(details.support.as_deref(), Some("s"));
    assert_eq!(decode::<Video>(body.as_bytes()).unwrap().name, "d");
}

/// Lists answered by PeerTube 6.3.
const REAL_LISTS: [&[u8]; 4] = [
    include_bytes!("../tests/fixtures/6.3.0/videos-list.json"),
    include_bytes!("../tests/fixtures/6.3.0/video-channel-videos.json"),
    include_bytes!("../tests/fixtures/6.3.0/instance2-videos-list-with-federated.json"),
    include_bytes!("../tests/fixtures/6.3.0/search-videos.json"),
];

/// Hand-written lists of other versions, with some junk in them.
const SAMPLE_LISTS: [&[u8]; 4] = [
    include_bytes!("../tests/fixtures/samples/videos-4.0.json"),
    include_bytes!("../tests/fixtures/samples/videos-5.2.json"),
    include_bytes!("../tests/fixtures/samples/videos-7.1.json"),
    include_bytes!("../tests/fixtures/samples/videos-8.1.json"),
];

/// The items of these lists, as text.
fn items_of(lists: &[&[u8]]) -> Vec<String> {
    lists
        .iter()
        .flat_map(|bytes| {
            let page: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            page["data"].as_array().unwrap().clone()
        })
        .map(|item| item.to_string())
        .collect()
}

fn sample_items() -> Vec<String> {
    items_of(&[REAL_LISTS, SAMPLE_LISTS].concat())
}

/// Each sample item with one nested value replaced by something of the wrong shape.
fn spoilt_items() -> Vec<String> {
    let junk = [
        ("account", r#""junk""#),
        ("account", r#"{"name": 7}"#),
        (
            "account",
            r#"{"name": "a", "avatars": [{"path": "/a.png", "width": 48}, 3]}"#,
        ),
        ("account", r#"{"name": "a", "avatars": {"path": "/a.png"}}"#),
        ("channel", r#"[1, 2]"#),
        ("channel", r#"{"name": "c", "name": "twice"}"#),
        ("language", "5"),
        (
            "thumbnails",
            r#"[{"fileUrl": 3}, {"fileUrl": "https://a.example/t.jpg"}]"#,
        ),
        ("thumbnails", r#""none""#),
    ];
    let mut items = Vec::new();
    for item in sample_items() {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&item).unwrap();
        for (field, value) in junk {
            let mut object = object.clone();
            object.remove(field);
            let text = serde_json::Value::Object(object).to_string();
            // Appended as text, so that a duplicate key survives.
            items.push(format!(
                r#"{}, "{field}": {value}}}"#,
                &text[..text.len() - 1]
            ));
        }
    }
    items
}

#[test]
fn one_pass_decodes_what_isolated_values_decode() {
    for item in sample_items() {
        let isolated: Video = serde_json::from_str(&item).unwrap();
        if let Ok(one_pass) = in_place(|| serde_json::from_str::<Video>(&item)) {
            assert_eq!(one_pass, isolated, "{item}");
        }
        assert_eq!(decode::<Video>(item.as_bytes()).unwrap(), isolated);
        let extras: VideoExtras = serde_json::from_str(&item).unwrap();
        assert_eq!(decode::<VideoExtras>(item.as_bytes()).unwrap(), extras);
    }
    // What PeerTube answers takes the one pass.
    for item in items_of(&REAL_LISTS) {
        assert!(in_place(|| serde_json::from_str::<Video>(&item)).is_ok());
        assert!(in_place(|| serde_json::from_str::<VideoExtras>(&item)).is_ok());
    }
    let details = include_bytes!("../tests/fixtures/6.3.0/video-details.json");
    assert!(in_place(|| serde_json::from_slice::<VideoDetails>(details)).is_ok());
    assert!(in_place(|| serde_json::from_slice::<VideoExtras>(details)).is_ok());
}

#[test]
fn a_spoilt_nested_value_is_decoded_again_and_only_it_is_lost() {
    let spoilt = spoilt_items();
    assert!(spoilt.len() >= 50);
    let isolated: Vec<Video> = spoilt
        .iter()
        .map(|item| serde_json::from_str(item).unwrap())
        .collect();
    for (item, isolated) in spoilt.iter().zip(&isolated) {
        assert!(
            in_place(|| serde_json::from_str::<Video>(item)).is_err(),
            "read in place, a wrong shape fails the item: {item}"
        );
        assert_eq!(
            &decode::<Video>(item.as_bytes()).unwrap(),
            isolated,
            "{item}"
        );
    }
    // In a page, the spoilt items are read again one by one and none is skipped.
    let body = format!(r#"{{"total": 1, "data": [{}]}}"#, spoilt.join(","));
    let page = decode_page::<Video>(body.as_bytes()).unwrap();
    assert_eq!(page.skipped_count, 0);
    assert_eq!(page.items, isolated);
}
