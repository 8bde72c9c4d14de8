//! Search parameters as PeerTube sends them: a query string or a JSON body, read into one typed shape.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use index::QueryError;
use serde_json::Value;

/// Each parameter name with its values, in the order received.
///
/// Lists come as repeated names (`tagsOneOf=a&tagsOneOf=b`), with PHP-style
/// brackets (`tagsOneOf[]=a`) or, in a JSON body, as arrays; a single value
/// is a list of one. JSON numbers and booleans are read as their text, so
/// `"count": "10"` and `"count": 10` mean the same, as they do for PeerTube.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(HashMap<String, Vec<String>>);

/// A body that is not a JSON object of parameters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(pub String);

impl Params {
    /// Reads a query string (without the `?`).
    pub fn from_query(raw: &str) -> Self {
        let mut params = Self::default();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            params.push(&name, value.into_owned());
        }
        params
    }

    /// Reads a JSON body: an object whose values are scalars or arrays of scalars.
    pub fn from_json(body: &[u8]) -> Result<Self, BodyError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| BodyError(format!("the body is not valid JSON: {error}")))?;
        let Value::Object(object) = value else {
            return Err(BodyError("the body must be a JSON object".into()));
        };
        let mut params = Self::default();
        for (name, value) in object {
            match value {
                Value::Array(items) => {
                    for item in items {
                        params.push_json(&name, item)?;
                    }
                }
                other => params.push_json(&name, other)?,
            }
        }
        Ok(params)
    }

    /// Adds `other`'s parameters, replacing those of the same name.
    pub fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    fn push_json(&mut self, name: &str, value: Value) -> Result<(), BodyError> {
        let text = match value {
            Value::Null => return Ok(()),
            Value::String(text) => text,
            Value::Bool(flag) => flag.to_string(),
            Value::Number(number) => number.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(BodyError(format!(
                    "{name}: expected a value or a list of values"
                )));
            }
        };
        self.push(name, text);
        Ok(())
    }

    fn push(&mut self, name: &str, value: String) {
        let name = name.strip_suffix("[]").unwrap_or(name);
        self.0.entry(name.to_owned()).or_default().push(value);
    }

    /// The value of a single-valued parameter (the last one given), blank counting as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|values| values.last())
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// The values of a list parameter, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .get(name)
            .into_iter()
            .flatten()
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// An integer within `min..=max`.
    pub fn int(&self, name: &'static str, min: i64, max: i64) -> Result<Option<i64>, QueryError> {
        self.text(name)
            .map(|text| parse_int(name, text, min, max))
            .transpose()
    }

    /// A list of integers.
    pub fn ints(&self, name: &'static str) -> Result<Vec<i64>, QueryError> {
        self.list(name)
            .iter()
            .map(|text| parse_int(name, text, i64::MIN, i64::MAX))
            .collect()
    }

    /// `true` or `false` (also `1` and `0`).
    pub fn bool(&self, name: &'static str) -> Result<Option<bool>, QueryError> {
        self.text(name)
            .map(|text| match text {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                other => Err(QueryError::new(
                    name,
                    format!("{other:?} is not a boolean (true or false)"),
                )),
            })
            .transpose()
    }

    /// An ISO 8601 date-time, or a date (its start, UTC).
    pub fn date(&self, name: &'static str) -> Result<Option<DateTime<Utc>>, QueryError> {
        self.text(name)
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|at| at.with_timezone(&Utc))
                    .or_else(|_| {
                        NaiveDate::parse_from_str(text, "%Y-%m-%d")
                            .map(|day| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
                    })
                    .map_err(|_| {
                        QueryError::new(
                            name,
                            format!("{text:?} is not an ISO 8601 date (2024-05-01 or 2024-05-01T12:00:00Z)"),
                        )
                    })
            })
            .transpose()
    }

    /// The raw value of a parameter, for error reports.
    pub fn raw(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|values| values.join(","))
    }
}

fn parse_int(name: &'static str, text: &str, min: i64, max: i64) -> Result<i64, QueryError> {
    let value: i64 = text
        .parse()
        .map_err(|_| QueryError::new(name, format!("{text:?} is not an integer")))?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else if max == i64::MAX {
        Err(QueryError::new(name, format!("must be at least {min}")))
    } else {
        Err(QueryError::new(
            name,
            format!("must be between {min} and {max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_and_json_bodies_read_alike() {
        let query =
            Params::from_query("search=caf%C3%A9&tagsOneOf=a&tagsOneOf[]=b&count=10&isLive=");
        let json = Params::from_json(
            r#"{"search": "café", "tagsOneOf": ["a", "b"], "count": 10, "isLive": null}"#
                .as_bytes(),
        )
        .unwrap();
        for params in [&query, &json] {
            assert_eq!(params.text("search"), Some("café"));
            assert_eq!(params.list("tagsOneOf"), ["a", "b"]);
            assert_eq!(params.int("count", 0, 100).unwrap(), Some(10));
            assert_eq!(params.bool("isLive").unwrap(), None);
        }
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let params = Params::from_query("count=500&start=-1&isLive=maybe&startDate=yesterday");
        assert_eq!(params.int("count", 0, 100).unwrap_err().parameter, "count");
        assert_eq!(
            params.int("start", 0, i64::MAX).unwrap_err().message,
            "must be at least 0"
        );
        assert_eq!(params.bool("isLive").unwrap_err().parameter, "isLive");
        assert_eq!(params.date("startDate").unwrap_err().parameter, "startDate");
    }

    #[test]
    fn dates_are_full_or_just_days() {
        let params = Params::from_query("a=2024-05-01&b=2024-05-01T12:30:00%2B02:00");
        assert_eq!(
            params.date("a").unwrap().unwrap().to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert_eq!(
            params.date("b").unwrap().unwrap().to_rfc3339(),
            "2024-05-01T10:30:00+00:00"
        );
    }

    #[test]
    fn bodies_that_are_not_parameter_objects_are_refused() {
        assert!(Params::from_json(b"{not json").is_err());
        assert!(Params::from_json(b"[1, 2]").is_err());
        assert_eq!(
            Params::from_json(br#"{"search": {"nested": 1}}"#)
                .unwrap_err()
                .0,
            "search: expected a value or a list of values"
        );
    }
}
