//! Forgiving serde helpers: a null, missing or ill-typed field becomes its default.
//!
//! Remote instances are hostile or simply old, so only identity fields
//! (a video's `uuid` and `name`, an actor's `name`, ...) are decoded strictly.
//! Every other field goes through [`lenient`] (scalars), [`lenient_object`]
//! or [`lenient_vec`]: a value of the wrong type is dropped instead of failing
//! the whole item. Nothing is buffered as a `serde_json::Value`: scalars are
//! read in place, objects and list elements from their borrowed JSON text.
//!
//! Remote documents are decoded with [`in_one_pass_else_isolated`]: nested
//! objects and lists are first read in place, in one pass over the text, and
//! only a document that fails that way is read again with each of them
//! isolated, so that a bad one costs only itself.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::common::ActorImage;
use crate::video::NsfwFlags;

/// Reads a scalar field (string, number, boolean, date), or gives its default
/// when the value is null or of another type. The value is read once, in
/// place: an array or object found instead is skipped without being kept.
pub(crate) fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Lenient,
{
    deserializer.deserialize_any(ScalarVisitor(PhantomData))
}

/// Decodes an object field, or gives `T::default()` when it is null or has
/// the wrong shape.
///
/// The value is taken as borrowed JSON text and decoded on its own, so a bad
/// value costs only itself and nothing is buffered. This needs serde_json's
/// deserializer over text (`from_str`, `from_slice`): decoding these models
/// from a `serde_json::Value` is an error.
///
/// Within [`in_place`], the value is decoded where it stands instead, and one
/// of the wrong shape fails the whole document.
pub(crate) fn lenient_object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    if IN_PLACE.get() {
        return T::deserialize(deserializer);
    }
    let raw = <&RawValue>::deserialize(deserializer)?;
    Ok(T::deserialize(raw).unwrap_or_default())
}

thread_local! {
    /// Whether [`lenient_object`] and [`lenient_vec`] read in place; see [`in_place`].
    static IN_PLACE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `decode` with nested objects and lists read in place: one pass over
/// the text, where a nested value of the wrong shape fails the whole
/// document instead of becoming its default. Whatever this accepts decodes
/// to the same value as outside it.
///
/// Isolating a nested value means reading its text once to find its end and
/// again to decode it (a list's elements a third time): in a list page of
/// PeerTube videos, whose accounts carry their avatars, that was most of the
/// decoding's passes over the text.
pub(crate) fn in_place<T>(decode: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_PLACE.set(self.0);
        }
    }
    let _restore = Restore(IN_PLACE.replace(true));
    decode()
}

/// Decodes in place (see [`in_place`]) and, if that fails, once more with
/// every nested value isolated, so that a bad one only loses itself.
pub(crate) fn in_one_pass_else_isolated<T, E>(decode: impl Fn() -> Result<T, E>) -> Result<T, E> {
    in_place(&decode).or_else(|_| decode())
}

/// A JSON scalar as the deserializer found it.
#[derive(Clone, Copy)]
pub(crate) enum Scalar<'a> {
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(&'a str),
}

/// A field type [`lenient`] reads: what it makes of each kind of scalar.
pub(crate) trait Lenient: Default {
    /// The value for `scalar`, or `None` when it has the wrong type or range.
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self>;
}

impl Lenient for u64 {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Unsigned(n) => Some(n),
            _ => None,
        }
    }
}

impl<T: Lenient> Lenient for Option<T> {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        T::from_scalar(scalar).map(Some)
    }
}

impl Lenient for u32 {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        u64::from_scalar(scalar).and_then(|n| n.try_into().ok())
    }
}

impl Lenient for u16 {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        u64::from_scalar(scalar).and_then(|n| n.try_into().ok())
    }
}

impl Lenient for NsfwFlags {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        u32::from_scalar(scalar).map(NsfwFlags)
    }
}

impl Lenient for f64 {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Float(x) => Some(x),
            Scalar::Unsigned(n) => Some(n as f64),
            Scalar::Signed(n) => Some(n as f64),
            _ => None,
        }
    }
}

impl Lenient for bool {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Bool(b) => Some(b),
            _ => None,
        }
    }
}

impl Lenient for String {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Text(text) => Some(text.to_owned()),
            _ => None,
        }
    }
}

impl Lenient for DateTime<Utc> {
    fn from_scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Text(text) => utc_timestamp(text).or_else(|| text.parse().ok()),
            _ => None,
        }
    }
}

/// Reads the one form PeerTube writes its times in (`Date.toISOString()`:
/// `2024-05-06T07:08:09.123Z`, fractions of any length or none) without
/// chrono's general parser, which took about an eighth of the decoding of a
/// list page of the simulated fleet (ten times per video, six of them in
/// the account's avatars). Anything else, a leap second included, gives
/// `None` and is left to that parser, so both read every text alike.
fn utc_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let (head, fraction) = match bytes {
        [head @ .., b'Z'] if head.len() >= 19 => head.split_at(19),
        _ => return None,
    };
    let fraction = match fraction {
        [] => fraction,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => digits,
        _ => return None,
    };
    if !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        head[range].iter().try_fold(0, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| head[at] != byte) {
        return None;
    }
    let nanos = fraction
        .iter()
        .chain(std::iter::repeat(&b'0'))
        .take(9)
        .fold(0, |n, &b| n * 10 + u32::from(b - b'0'));
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(digits(0..4)?).ok()?,
        digits(5..7)?,
        digits(8..10)?,
    )?;
    let time = date.and_hms_nano_opt(digits(11..13)?, digits(14..16)?, digits(17..19)?, nanos)?;
    Some(time.and_utc())
}

struct ScalarVisitor<T>(PhantomData<T>);

impl<T: Lenient> ScalarVisitor<T> {
    fn read<E>(scalar: Scalar<'_>) -> Result<T, E> {
        Ok(T::from_scalar(scalar).unwrap_or_default())
    }
}

impl<'de, T: Lenient> Visitor<'de> for ScalarVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<T, E> {
        Self::read(Scalar::Bool(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<T, E> {
        Self::read(Scalar::Unsigned(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<T, E> {
        Self::read(Scalar::Signed(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<T, E> {
        Self::read(Scalar::Float(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<T, E> {
        Self::read(Scalar::Text(value))
    }

    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }
}

/// Decodes an array, keeping the elements that decode and dropping the others;
/// anything that is not an array gives an empty vector.
///
/// Within [`in_place`], a null gives an empty vector, and anything else that
/// is not a list of `T` fails the whole document.
pub(crate) fn lenient_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    if IN_PLACE.get() {
        return Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default());
    }
    let raw = <&RawValue>::deserialize(deserializer)?;
    Ok(vec_from_raw(raw))
}

fn vec_from_raw<T: DeserializeOwned>(raw: &RawValue) -> Vec<T> {
    match <Vec<&RawValue>>::deserialize(raw) {
        Ok(items) => items
            .into_iter()
            .filter_map(|item| T::deserialize(item).ok())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The single images actors had before PeerTube 6.0 (`avatar`, `banner`),
/// for when their lists (`avatars`, `banners`, 4.2+) are empty or missing.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct LegacyImages {
    pub(crate) avatar: Option<ActorImage>,
    pub(crate) banner: Option<ActorImage>,
}

impl LegacyImages {
    /// Reads them from an actor object's text; anything ill-shaped is dropped.
    /// The object is read again only when one of the keys appears in its text.
    pub(crate) fn of(object: &RawValue) -> Self {
        #[derive(Deserialize)]
        struct Keys<'a> {
            #[serde(borrow, default)]
            avatar: Option<&'a RawValue>,
            #[serde(borrow, default)]
            banner: Option<&'a RawValue>,
        }
        let text = object.get();
        if !text.contains(r#""avatar""#) && !text.contains(r#""banner""#) {
            return Self::default();
        }
        let Ok(keys) = Keys::deserialize(object) else {
            return Self::default();
        };
        let image = |raw: Option<&RawValue>| raw.and_then(|raw| ActorImage::deserialize(raw).ok());
        Self {
            avatar: image(keys.avatar),
            banner: image(keys.banner),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "lenient")]
        count: u64,
        #[serde(default, deserialize_with = "lenient")]
        label: Option<String>,
        #[serde(default, deserialize_with = "lenient_vec")]
        tags: Vec<String>,
    }

    #[test]
    fn wrong_types_and_nulls_become_defaults() {
        let sample: Sample =
            serde_json::from_str(r#"{"count": "7", "label": 3, "tags": null}"#).unwrap();
        assert_eq!(sample.count, 0);
        assert_eq!(sample.label, None);
        assert!(sample.tags.is_empty());
    }

    #[test]
    fn missing_fields_become_defaults() {
        let sample: Sample = serde_json::from_str("{}").unwrap();
        assert_eq!(sample.count, 0);
        assert_eq!(sample.label, None);
    }

    #[test]
    fn bad_elements_are_dropped_from_lists() {
        let sample: Sample =
            serde_json::from_str(r#"{"count": 2, "tags": ["a", 5, null, {"x": 1}, "b"]}"#).unwrap();
        assert_eq!(sample.count, 2);
        assert_eq!(sample.tags, ["a", "b"]);
    }

    #[test]
    fn models_decode_from_text_not_from_a_value() {
        let value = serde_json::json!({"count": 2, "tags": ["a"]});
        assert!(serde_json::from_value::<Sample>(value.clone()).is_err());
        let sample: Sample = serde_json::from_str(&value.to_string()).unwrap();
        assert_eq!((sample.count, sample.tags), (2, vec!["a".to_owned()]));
    }

    #[test]
    fn legacy_single_images_are_read_when_present() {
        let object: Box<RawValue> = serde_json::from_str(
            r#"{"avatars": [], "avatar": {"path": "/a.png"}, "banner": {"path": "/b.png"}}"#,
        )
        .unwrap();
        let legacy = LegacyImages::of(&object);
        assert_eq!(legacy.avatar.unwrap().path.as_deref(), Some("/a.png"));
        assert_eq!(legacy.banner.unwrap().path.as_deref(), Some("/b.png"));
        for text in [
            r#"{"avatar": "x", "banner": 3}"#,
            r#"{"avatars": [{"path": "/a.png"}], "name": "no legacy key"}"#,
        ] {
            let object: Box<RawValue> = serde_json::from_str(text).unwrap();
            assert_eq!(LegacyImages::of(&object), LegacyImages::default(), "{text}");
        }
    }

    #[test]
    fn timestamps_read_without_chrono_as_chrono_reads_them() {
        let mut texts = Vec::new();
        for date in [
            "2024-05-06",
            "2000-02-29",
            "1900-02-29",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "0000-01-01",
            "9999-12-31",
            "2024-5-06",
            "2024/05/06",
            "２０２４-05-06",
        ] {
            for time in [
                "07:08:09", "00:00:00", "23:59:59", "23:59:60", "24:00:00", "07:60:09", "7:08:09",
                "07:08",
            ] {
                for fraction in ["", ".", ".1", ".123", ".123456789", ".1234567891", ".12a"] {
                    for (separator, zone) in [
                        ("T", "Z"),
                        (" ", "Z"),
                        ("T", "+00:00"),
                        ("T", "z"),
                        ("T", "+02:00"),
                        ("t", "Z"),
                        ("T", ""),
                    ] {
                        texts.push(format!("{date}{separator}{time}{fraction}{zone}"));
                    }
                }
            }
        }
        let mut fast = 0;
        for text in &texts {
            let chrono = text.parse::<DateTime<Utc>>().ok();
            if let Some(time) = utc_timestamp(text) {
                fast += 1;
                assert_eq!(Some(time), chrono, "{text}");
            }
            let lenient = DateTime::<Utc>::from_scalar(Scalar::Text(text));
            assert_eq!(lenient, chrono, "{text}");
        }
        // Every valid date and time of PeerTube's own form took the short way.
        assert_eq!(fast, 4 * 3 * 4);
        assert_eq!(
            utc_timestamp("2024-05-06T07:08:09.12Z")
                .unwrap()
                .to_rfc3339(),
            "2024-05-06T07:08:09.120+00:00"
        );
    }

    #[test]
    fn negative_count_is_dropped() {
        let sample: Sample = serde_json::from_str(r#"{"count": -3}"#).unwrap();
        assert_eq!(sample.count, 0);
    }
}
