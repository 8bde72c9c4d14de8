//! PeerTube's JSON answers, as a hostile instance may send them: every model decodes or fails cleanly, never panics.
//!
//! Each input is decoded as every model the crawler reads, so the recorded
//! PeerTube 6.3.0 answers in `crates/peertube-sim/tests/fixtures-6.3.0/`
//! seed it as they are.

#![no_main]

use libfuzzer_sys::fuzz_target;
use peertube::{
    Account, NodeInfo, NodeInfoLinks, Problem, ServerConfig, ServerFollow, ServerStats, Video,
    VideoChannel, VideoDetails, VideoExtras, VideoPlaylist, decode, decode_page,
};
use url::Url;

fuzz_target!(|body: &[u8]| {
    let base = Url::parse("https://video.example").expect("a valid base");
    if let Ok(page) = decode_page::<Video>(body) {
        assert!(page.skipped.len() <= page.skipped_count);
        for video in &page.items {
            video_helpers(video, &base);
        }
    }
    if let Ok(video) = decode::<Video>(body) {
        video_helpers(&video, &base);
    }
    if let Ok(details) = decode::<VideoDetails>(body) {
        let _ = details.any_description();
        let _ = VideoExtras::from(&details);
    }
    if let Ok(extras) = decode::<VideoExtras>(body) {
        let _ = extras.is_local_to("video.example");
    }
    if let Ok(config) = decode::<ServerConfig>(body) {
        let _ = config.version();
    }
    if let Ok(info) = decode::<NodeInfo>(body) {
        let _ = (info.is_peertube(), info.node_name());
    }
    if let Ok(links) = decode::<NodeInfoLinks>(body) {
        let _ = links.nodeinfo_href();
    }
    let _ = decode::<ServerStats>(body);
    if let Ok(page) = decode_page::<VideoChannel>(body) {
        for channel in &page.items {
            let _ = (channel.handle(), channel.display_name_or_name());
        }
    }
    if let Ok(page) = decode_page::<VideoPlaylist>(body) {
        for playlist in &page.items {
            let _ = (playlist.host(), playlist.thumbnail_absolute_url(&base));
        }
    }
    if let Ok(page) = decode_page::<ServerFollow>(body) {
        for follow in &page.items {
            let _ = (follow.following_host(), follow.is_accepted());
        }
    }
    if let Ok(account) = decode::<Account>(body) {
        let _ = (account.handle(), account.display_name_or_name());
    }
    if let Ok(problem) = decode::<Problem>(body) {
        let _ = problem.summary();
    }
});

/// The helpers the crawler calls on every video of a page.
fn video_helpers(video: &Video, base: &Url) {
    let _ = (
        video.host(),
        video.is_local_to("video.example"),
        video.is_nsfw(),
    );
    let _ = (video.absolute_url(base), video.embed_absolute_url(base));
    let _ = (
        video.thumbnail_absolute_url(base),
        video.preview_absolute_url(base),
    );
}
