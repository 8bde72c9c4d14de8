//! Forgiving serde helpers: a null, missing or ill-typed field becomes its default.
//!
//! Remote instances are hostile or simply old, so only identity fields
//! (a video's `uuid` and `name`, an actor's `name`, ...) are decoded strictly.
//! Every other field goes through [`lenient`] or [`lenient_vec`]: a value of
//! the wrong type is dropped instead of failing the whole item.

use std::fmt;

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

use crate::common::ActorImage;

/// Decodes `T`, or gives `T::default()` when the value is null or has the wrong shape.
pub(crate) fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).unwrap_or_default())
}

/// Decodes an array, keeping the elements that decode and dropping the others;
/// anything that is not an array gives an empty vector.
pub(crate) fn lenient_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(vec_from_value(value))
}

fn vec_from_value<T: DeserializeOwned>(value: Value) -> Vec<T> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| T::deserialize(item).ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads the actor images of an object from either the list (`avatars`, 4.2+)
/// or the single legacy object (`avatar`, before 6.0), preferring the list.
///
/// Used with `#[serde(flatten)]`: it sees the object's remaining keys.
fn actor_images<'de, D>(
    deserializer: D,
    plural: &'static str,
    singular: &'static str,
) -> Result<Vec<ActorImage>, D::Error>
where
    D: Deserializer<'de>,
{
    struct ImagesVisitor {
        plural: &'static str,
        singular: &'static str,
    }

    impl<'de> Visitor<'de> for ImagesVisitor {
        type Value = Vec<ActorImage>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut many = Vec::new();
            let mut one = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == self.plural {
                    many = vec_from_value(map.next_value::<Value>()?);
                } else if key == self.singular {
                    one = ActorImage::deserialize(map.next_value::<Value>()?).ok();
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if many.is_empty() {
                many.extend(one);
            }
            Ok(many)
        }
    }

    deserializer.deserialize_map(ImagesVisitor { plural, singular })
}

fn serialize_images<S: Serializer>(
    key: &'static str,
    images: &[ActorImage],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, images)?;
    map.end()
}

/// `#[serde(flatten, with = "crate::lenient::avatars")]`: `avatars[]` or legacy `avatar`.
pub(crate) mod avatars {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<ActorImage>, D::Error> {
        actor_images(deserializer, "avatars", "avatar")
    }

    pub(crate) fn serialize<S: Serializer>(
        images: &[ActorImage],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serialize_images("avatars", images, serializer)
    }
}

/// `#[serde(flatten, with = "crate::lenient::banners")]`: `banners[]` or legacy `banner`.
pub(crate) mod banners {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<ActorImage>, D::Error> {
        actor_images(deserializer, "banners", "banner")
    }

    pub(crate) fn serialize<S: Serializer>(
        images: &[ActorImage],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serialize_images("banners", images, serializer)
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
    fn negative_count_is_dropped() {
        let sample: Sample = serde_json::from_str(r#"{"count": -3}"#).unwrap();
        assert_eq!(sample.count, 0);
    }
}
