//! Paginated lists (`{total, data}`) and the decoders that skip a bad item without losing the page.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::error::DecodeError;
use crate::lenient::{in_one_pass_else_isolated, in_place, lenient};

/// At most this many skipped items are described in [`LenientPage::skipped`];
/// [`LenientPage::skipped_count`] still counts them all.
pub const MAX_SKIPPED_REPORTED: usize = 100;

/// A PeerTube list answer, decoded strictly (one bad item fails the page).
/// Prefer [`decode_page`] for remote data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// Total matching items; absent with `skipCount=true`.
    #[serde(default, deserialize_with = "lenient")]
    pub total: Option<u64>,
    /// The items of this page.
    pub data: Vec<T>,
}

/// A list answer decoded item by item: the bad items are skipped and reported.
#[derive(Debug, Clone, PartialEq)]
pub struct LenientPage<T> {
    /// Total matching items; absent with `skipCount=true`.
    pub total: Option<u64>,
    /// The items that decoded, in order.
    pub items: Vec<T>,
    /// The first [`MAX_SKIPPED_REPORTED`] items that did not decode.
    pub skipped: Vec<SkippedItem>,
    /// How many items did not decode in all.
    pub skipped_count: usize,
}

impl<T> LenientPage<T> {
    /// Number of items the instance sent, good and bad: compare with the
    /// requested `count` to know whether this was the last page.
    pub fn received(&self) -> usize {
        self.items.len() + self.skipped_count
    }
}

/// An item of a page that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedItem {
    /// Position of the item in `data`, from 0.
    pub index: usize,
    /// Why it failed (no excerpt of the item).
    pub error: String,
}

#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(default, deserialize_with = "lenient")]
    total: Option<u64>,
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

/// Decodes a `{total, data: [...]}` page, item by item.
///
/// The page itself must be an object with a `data` array: a missing or null
/// `data` is an error, never an empty page, so a broken answer cannot pass
/// for "no more items". Each item that fails to decode is skipped and reported.
pub fn decode_page<T: DeserializeOwned>(bytes: &[u8]) -> Result<LenientPage<T>, DecodeError> {
    let text = json_text(bytes)?;
    refuse_array(text)?;
    // Nearly every page is whole: decode it in one pass, and only a page that
    // fails pays for the second, item by item, which finds what failed.
    if let Ok(page) = in_place(|| serde_json::from_str::<Page<Object<T>>>(text)) {
        return Ok(LenientPage {
            total: page.total,
            items: page.data.into_iter().map(|Object(item)| item).collect(),
            skipped: Vec::new(),
            skipped_count: 0,
        });
    }
    decode_by_item(text)
}

/// The page's frame first, then each item on its own: a bad item is skipped
/// and reported instead of failing the page.
fn decode_by_item<T: DeserializeOwned>(text: &str) -> Result<LenientPage<T>, DecodeError> {
    let raw: RawPage<'_> = serde_json::from_str(text).map_err(|e| DecodeError::from_json(&e))?;
    let mut page = LenientPage {
        total: raw.total,
        items: Vec::with_capacity(raw.data.len().min(1000)),
        skipped: Vec::new(),
        skipped_count: 0,
    };
    for (index, item) in raw.data.into_iter().enumerate() {
        let decoded = refuse_array(item.get()).and_then(|()| {
            in_one_pass_else_isolated(|| serde_json::from_str::<T>(item.get()))
                .map_err(|e| DecodeError::from_json(&e))
        });
        match decoded {
            Ok(value) => page.items.push(value),
            Err(error) => {
                page.skipped_count += 1;
                if page.skipped.len() < MAX_SKIPPED_REPORTED {
                    page.skipped.push(SkippedItem {
                        index,
                        error: error.to_string(),
                    });
                }
            }
        }
    }
    Ok(page)
}

/// An item that must be a JSON object, as [`refuse_array`] checks for the
/// items decoded one by one.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// Decodes one JSON object into `T`, with a clear error for an empty body,
/// invalid UTF-8, malformed JSON, or an array where the object should be.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let text = json_text(bytes)?;
    refuse_array(text)?;
    in_one_pass_else_isolated(|| serde_json::from_str(text)).map_err(|e| DecodeError::from_json(&e))
}

/// serde accepts `[a, b]` for a struct; PeerTube never sends that, so refuse it clearly.
fn refuse_array(text: &str) -> Result<(), DecodeError> {
    if text.trim_start().starts_with('[') {
        return Err(DecodeError::Shape {
            message: "expected a JSON object, found an array".to_owned(),
        });
    }
    Ok(())
}

/// Checks UTF-8, drops a byte-order mark, refuses an empty body.
///
/// The check is `simdutf8`'s, several times faster than the standard
/// library's on these bodies: it was a tenth of a list page's decoding.
fn json_text(bytes: &[u8]) -> Result<&str, DecodeError> {
    let text = simdutf8::compat::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::Video;

    const GOOD: &str = r#"{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "good"}"#;

    fn page_of(items: &[&str]) -> String {
        format!(r#"{{"total": 99, "data": [{}]}}"#, items.join(","))
    }

    #[test]
    fn one_bad_item_is_skipped_and_reported() {
        let body = page_of(&[
            GOOD,
            r#"{"name": "no uuid"}"#,
            GOOD,
            r#"{"uuid": "not-a-uuid", "name": "bad uuid"}"#,
            "42",
            r#"{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": null}"#,
            GOOD,
        ]);
        let page = decode_page::<Video>(body.as_bytes()).unwrap();
        assert_eq!(page.total, Some(99));
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.received(), 7);
        let indexes: Vec<usize> = page.skipped.iter().map(|s| s.index).collect();
        assert_eq!(indexes, [1, 3, 4, 5]);
        assert!(
            page.skipped[0].error.contains("missing field `uuid`"),
            "{:?}",
            page.skipped
        );
        assert!(!page.skipped[1].error.contains("not-a-uuid"));
    }

    #[test]
    fn whole_pages_decode_in_one_pass_as_item_by_item() {
        for body in [
            &include_bytes!("../tests/fixtures/6.3.0/videos-list.json")[..],
            include_bytes!("../tests/fixtures/6.3.0/video-channel-videos.json"),
            include_bytes!("../tests/fixtures/6.3.0/search-videos.json"),
            page_of(&[GOOD, GOOD]).as_bytes(),
        ] {
            let text = json_text(body).unwrap();
            let by_item = decode_by_item::<Video>(text).unwrap();
            assert!(by_item.skipped.is_empty() && !by_item.items.is_empty());
            assert!(serde_json::from_str::<Page<Object<Video>>>(text).is_ok());
            assert_eq!(decode_page::<Video>(body).unwrap(), by_item);
        }
    }

    #[test]
    fn an_array_item_is_skipped_even_where_serde_would_take_it() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Pair {
            a: u32,
            b: u32,
        }
        assert_eq!(
            serde_json::from_str::<Pair>("[3, 4]").unwrap(),
            Pair { a: 3, b: 4 }
        );
        let page = decode_page::<Pair>(br#"{"data": [{"a": 1, "b": 2}, [3, 4]]}"#).unwrap();
        assert_eq!(page.items, [Pair { a: 1, b: 2 }]);
        assert_eq!(page.skipped.len(), 1);
        assert_eq!(page.skipped[0].index, 1);
    }

    #[test]
    fn deeply_nested_junk_only_costs_its_item() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let junk_field = format!(
            r#"{{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "junk in unknown field", "x": {deep}}}"#
        );
        let junk_in_known = format!(
            r#"{{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "junk in account", "account": {deep}}}"#
        );
        let body = page_of(&[GOOD, &junk_field, &junk_in_known, &deep, GOOD]);
        let page = decode_page::<Video>(body.as_bytes()).unwrap();
        let names: Vec<&str> = page.items.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            ["good", "junk in unknown field", "junk in account", "good"]
        );
        assert_eq!(page.items[2].account, None, "the junk field is dropped");
        assert_eq!(page.skipped_count, 1, "the item that is junk itself");
    }

    #[test]
    fn total_is_optional_and_lenient() {
        let page = decode_page::<Video>(format!(r#"{{"data": [{GOOD}]}}"#).as_bytes()).unwrap();
        assert_eq!(page.total, None);
        let page =
            decode_page::<Video>(format!(r#"{{"total": "x", "data": [{GOOD}]}}"#).as_bytes())
                .unwrap();
        assert_eq!(page.total, None);
        assert_eq!(page.items.len(), 1);
    }

    #[test]
    fn broken_pages_are_errors_not_empty_pages() {
        for body in [
            r#"{"total": 3}"#,
            r#"{"total": 3, "data": null}"#,
            r#"{"data": {"0": {}}}"#,
            r#"[{"uuid": "9c9de5e8-0a1b-4de5-a5a6-6b1d3c7e2f10", "name": "x"}]"#,
            r#""data""#,
        ] {
            assert!(
                matches!(
                    decode_page::<Video>(body.as_bytes()),
                    Err(DecodeError::Shape { .. })
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn malformed_bodies_give_clear_errors() {
        assert!(matches!(decode_page::<Video>(b""), Err(DecodeError::Empty)));
        assert_eq!(decode::<Video>(b" \n "), Err(DecodeError::Empty));
        assert_eq!(
            decode::<Video>(b"{\"name\": \"\xff\xfe\"}"),
            Err(DecodeError::InvalidUtf8 { valid_up_to: 10 })
        );
        assert!(matches!(
            decode::<Video>(b"{\"data\": [1, 2"),
            Err(DecodeError::Syntax { .. })
        ));
        assert!(matches!(
            decode::<Video>(b"<html>nope</html>"),
            Err(DecodeError::Syntax { .. })
        ));
        assert!(matches!(
            decode::<Video>(b"[1, 2, 3]"),
            Err(DecodeError::Shape { .. })
        ));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            decode::<Video>(deep.as_bytes()),
            Err(DecodeError::Syntax { .. } | DecodeError::Shape { .. })
        ));
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        let body = format!("\u{feff}{GOOD}");
        assert_eq!(decode::<Video>(body.as_bytes()).unwrap().name, "good");
    }

    #[test]
    fn skipped_reports_are_capped() {
        let items = vec!["{}"; MAX_SKIPPED_REPORTED + 50];
        let page = decode_page::<Video>(page_of(&items).as_bytes()).unwrap();
        assert_eq!(page.skipped.len(), MAX_SKIPPED_REPORTED);
        assert_eq!(page.skipped_count, MAX_SKIPPED_REPORTED + 50);
        assert!(page.items.is_empty());
    }

    #[test]
    fn strict_page_round_trips() {
        let page: Page<u32> = serde_json::from_str(r#"{"total": 2, "data": [1, 2]}"#).unwrap();
        assert_eq!(page.data, [1, 2]);
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            r#"{"total":2,"data":[1,2]}"#
        );
    }
}
