//! The search page: every indexed video, with filters, sorts, facet counts, pages and "did you mean".

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Duration, Utc};
use index::{Direction, DurationRange, Facets, VideoQuery, VideoSort, VideoSummary};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::context::{Lang, base, message};
use super::error::PageError;
use super::page;
use super::pages::{nsfw_policy, search_videos};
use crate::state::AppState;

/// Results per page.
const PER_PAGE: usize = 24;
/// The last page reachable (the index answers at most 10,000 deep).
const MAX_PAGE: usize = 400;

/// The search form's fields, as they appear in the URL.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SearchForm {
    pub q: String,
    pub language: String,
    pub category: String,
    pub duration: String,
    /// `week`, `month` or `year`: published since.
    pub date: String,
    pub instance: String,
    /// `on` when only videos of published selections are wanted.
    pub curated: String,
    /// `relevance`, `recent`, `views` or `duration`.
    pub sort: String,
    pub page: usize,
}

impl SearchForm {
    fn query(&self) -> VideoQuery {
        let page = self.page.clamp(1, MAX_PAGE);
        let duration = match self.duration.as_str() {
            "short" => Some(DurationRange::Short),
            "medium" => Some(DurationRange::Medium),
            "long" => Some(DurationRange::Long),
            _ => None,
        };
        let (duration_min, duration_max) = duration.map_or((None, None), DurationRange::bounds);
        let since = match self.date.as_str() {
            "week" => Some(Duration::days(7)),
            "month" => Some(Duration::days(31)),
            "year" => Some(Duration::days(366)),
            _ => None,
        };
        VideoQuery {
            search: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
            start: (page - 1) * PER_PAGE,
            count: PER_PAGE,
            sort: match self.sort.as_str() {
                "recent" => VideoSort::PublishedAt(Direction::Desc),
                "views" => VideoSort::Views(Direction::Desc),
                "duration" => VideoSort::Duration(Direction::Desc),
                _ if self.q.trim().is_empty() => VideoSort::PublishedAt(Direction::Desc),
                _ => VideoSort::Match,
            },
            language_one_of: non_empty(&self.language),
            category_one_of: self.category.parse().ok().into_iter().collect(),
            duration_min,
            duration_max,
            start_date: since.map(|age| Utc::now() - age),
            host: Some(self.instance.trim().to_owned()).filter(|h| !h.is_empty()),
            curated_only: self.curated == "on",
            with_facets: true,
            with_highlights: true,
            with_suggestion: true,
            ..VideoQuery::default()
        }
    }

    /// This search's URL with one field changed (for facet links and pages).
    fn with(&self, field: &str, value: &str) -> String {
        let mut form = self.clone();
        match field {
            "language" => form.language = value.to_owned(),
            "category" => form.category = value.to_owned(),
            "duration" => form.duration = value.to_owned(),
            "instance" => form.instance = value.to_owned(),
            "page" => form.page = value.parse().unwrap_or(1),
            _ => {}
        }
        if field != "page" {
            form.page = 1;
        }
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", form.q.as_str()),
            ("language", &form.language),
            ("category", &form.category),
            ("duration", &form.duration),
            ("date", &form.date),
            ("instance", &form.instance),
            ("curated", &form.curated),
            ("sort", &form.sort),
        ] {
            if !value.is_empty() {
                url.append_pair(name, value);
            }
        }
        if form.page > 1 {
            url.append_pair("page", &form.page.to_string());
        }
        format!("?{}", url.finish())
    }
}

fn non_empty(value: &str) -> Vec<String> {
    Some(value.trim().to_owned())
        .filter(|v| !v.is_empty())
        .into_iter()
        .collect()
}

/// A facet bucket as the page shows it: label, count, link, chosen or not.
#[derive(Serialize)]
struct Bucket {
    value: String,
    count: u64,
    url: String,
    chosen: bool,
}

fn buckets<K: ToString + Clone + Ord>(
    form: &SearchForm,
    field: &str,
    chosen: &str,
    counts: Vec<(K, u64)>,
) -> Vec<Bucket> {
    counts
        .into_iter()
        .map(|(key, count)| {
            let value = key.to_string();
            let is_chosen = value == chosen;
            Bucket {
                url: form.with(field, if is_chosen { "" } else { &value }),
                chosen: is_chosen,
                value,
                count,
            }
        })
        .collect()
}

/// `/{lang}/search`.
pub async fn search_page(
    State(state): State<AppState>,
    lang: Lang,
    Query(form): Query<SearchForm>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (policy, nsfw) = nsfw_policy(&state, &lang).await?;
    let mut query = form.query();
    query.nsfw = nsfw;
    query.boost_languages = vec![lang.code.clone()];
    let results = search_videos(&state, &lang, query).await?;
    let facets = results.facets.clone().unwrap_or_default();
    let facet_lists = context! {
        languages => buckets(&form, "language", &form.language, Facets::top(&facets.languages, 12)),
        categories => buckets(&form, "category", &form.category, Facets::top(&facets.categories, 12)),
        durations => buckets(
            &form,
            "duration",
            &form.duration,
            facets.durations.iter().map(|(range, n)| (range.as_str(), *n)).collect(),
        ),
        instances => buckets(&form, "instance", &form.instance, Facets::top(&facets.hosts, 12)),
    };
    let page_number = form.page.clamp(1, MAX_PAGE);
    let last_page = usize::try_from(results.total)
        .unwrap_or(usize::MAX)
        .div_ceil(PER_PAGE)
        .clamp(1, MAX_PAGE);
    let hits: Vec<minijinja::Value> = results
        .hits
        .iter()
        .map(|hit| context! { video => &hit.item, highlights => &hit.highlights })
        .collect();
    let videos: Vec<&VideoSummary> = results.hits.iter().map(|hit| &hit.item).collect();
    page(
        &state,
        &lang,
        &headers,
        "search.html",
        context! {
            title => if form.q.trim().is_empty() {
                message(&state, &lang, "search.title")
            } else {
                form.q.trim().to_owned()
            },
            form,
            total => results.total,
            hits,
            videos,
            facets => facet_lists,
            suggestion => results.suggestion.as_ref().map(|s| context! {
                text => s,
                url => SearchForm { q: s.clone(), ..form.clone() }.with("", ""),
            }),
            page_number,
            last_page,
            previous_url => (page_number > 1).then(|| form.with("page", &(page_number - 1).to_string())),
            next_url => (page_number < last_page).then(|| form.with("page", &(page_number + 1).to_string())),
            nsfw_policy => policy.as_str(),
            ..base(&state, &lang),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_a_query() {
        let form = SearchForm {
            q: "  abeilles ".into(),
            language: "fr".into(),
            duration: "long".into(),
            curated: "on".into(),
            page: 3,
            ..SearchForm::default()
        };
        let query = form.query();
        assert_eq!(query.search.as_deref(), Some("abeilles"));
        assert_eq!(query.language_one_of, ["fr"]);
        assert_eq!((query.duration_min, query.duration_max), (Some(1200), None));
        assert!(query.curated_only);
        assert_eq!((query.start, query.count), (48, PER_PAGE));
        assert_eq!(query.sort, VideoSort::Match);
        let browse = SearchForm::default().query();
        assert_eq!(browse.sort, VideoSort::PublishedAt(Direction::Desc));
    }

    #[test]
    fn facet_links_keep_the_search_and_reset_the_page() {
        let form = SearchForm {
            q: "café & thé".into(),
            page: 4,
            ..SearchForm::default()
        };
        assert_eq!(
            form.with("language", "fr"),
            "?q=caf%C3%A9+%26+th%C3%A9&language=fr"
        );
        assert_eq!(form.with("page", "5"), "?q=caf%C3%A9+%26+th%C3%A9&page=5");
    }
}
