//! The search-index API's parameters, as PeerTube or anyone sends them: a query string or a JSON body always becomes a valid query or a named error, never a panic.
//!
//! The first byte picks how the rest is read (query string or JSON body)
//! and which search it feeds.

#![no_main]

use index::{MAX_COUNT, NsfwFilter, QueryError};
use libfuzzer_sys::fuzz_target;
use web::api::{Params, channel_query, playlist_query, video_query};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let params = if selector & 1 == 0 {
        Params::from_query(&String::from_utf8_lossy(body))
    } else {
        match Params::from_json(body) {
            Ok(params) => params,
            Err(error) => {
                assert!(!error.0.is_empty(), "a refused body says why");
                return;
            }
        }
    };
    match (selector >> 1) % 3 {
        0 => match video_query(&params, NsfwFilter::default()) {
            Ok(query) => assert!(query.count <= MAX_COUNT),
            Err(error) => named(&error),
        },
        1 => match channel_query(&params) {
            Ok(query) => assert!(query.count <= MAX_COUNT),
            Err(error) => named(&error),
        },
        _ => match playlist_query(&params) {
            Ok(query) => assert!(query.count <= MAX_COUNT),
            Err(error) => named(&error),
        },
    }
});

/// A 400 answer names the parameter at fault and says what is wrong.
fn named(error: &QueryError) {
    assert!(!error.parameter.is_empty() && !error.message.is_empty());
}
