//! Crawl history as small server-rendered SVG charts: daily requests as bars
//! (the failed share darker), the average latency as a line.
//!
//! The SVG is built here rather than in a template because its geometry is
//! arithmetic; every text in it is escaped, and colours come from the style
//! sheet (`.chart-*` classes), so light and dark themes both apply.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;
use store::CrawlDay;

/// One day of crawling, summed over what the chart covers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub requests: i64,
    pub errors: i64,
    pub runs: i64,
    pub failed_runs: i64,
    latency_ms_total: i64,
}

impl Day {
    /// The mean latency of the day's requests, if any were made.
    pub fn latency_ms(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.latency_ms_total as f64 / self.requests as f64)
    }

    fn add(&mut self, crawl: &CrawlDay) {
        self.requests += crawl.requests;
        self.errors += crawl.errors;
        self.runs += crawl.runs;
        self.failed_runs += crawl.failed_runs;
        self.latency_ms_total += crawl.latency_ms_total;
    }
}

/// The crawl history of a window of days ending `last`: one per instance and the overall one.
#[derive(Debug, Default)]
pub struct Histories {
    pub overall: Vec<Day>,
    pub by_instance: BTreeMap<i64, Vec<Day>>,
}

impl Histories {
    /// Sums `crawl_days` (as [`store::Store::crawl_days`] gives them) into
    /// `days` consecutive days ending with `last`; days without runs are zeros.
    pub fn new(crawl_days: &[CrawlDay], last: NaiveDate, days: u16) -> Self {
        let window: Vec<String> = (0..i64::from(days))
            .rev()
            .map(|back| {
                (last - TimeDelta::days(back))
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .collect();
        let empty = || -> Vec<Day> {
            window
                .iter()
                .map(|day| Day {
                    day: day.clone(),
                    ..Day::default()
                })
                .collect()
        };
        let mut histories = Self {
            overall: empty(),
            by_instance: BTreeMap::new(),
        };
        for crawl in crawl_days {
            let Some(index) = window.iter().position(|day| *day == crawl.day) else {
                continue;
            };
            histories.overall[index].add(crawl);
            histories
                .by_instance
                .entry(crawl.instance_id)
                .or_insert_with(empty)[index]
                .add(crawl);
        }
        histories
    }
}

/// The totals of a history: requests, errors, and the mean latency.
pub fn totals(days: &[Day]) -> (i64, i64, Option<f64>) {
    let requests = days.iter().map(|day| day.requests).sum();
    let errors = days.iter().map(|day| day.errors).sum();
    let latency = days.iter().map(|day| day.latency_ms_total).sum::<i64>();
    (
        requests,
        errors,
        (requests > 0).then(|| latency as f64 / requests as f64),
    )
}

/// How big a chart is and what it says to those who cannot see it.
pub struct Frame<'a> {
    pub width: u32,
    pub height: u32,
    /// Short name of the chart (the SVG `<title>`).
    pub title: &'a str,
    /// What it shows in words (the SVG `<desc>`).
    pub description: &'a str,
    /// Draw the average-latency line and the scale labels.
    pub detailed: bool,
}

/// Renders `days` as an accessible SVG chart.
pub fn render(days: &[Day], frame: &Frame<'_>) -> String {
    let (width, height) = (f64::from(frame.width), f64::from(frame.height));
    let top = if frame.detailed { 14.0 } else { 1.0 };
    let plot = height - top - 1.0;
    let slot = width / days.len().max(1) as f64;
    let max_requests = days
        .iter()
        .map(|day| day.requests)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img"><title>{title}</title><desc>{desc}</desc>"#,
        w = frame.width,
        h = frame.height,
        title = escape(frame.title),
        desc = escape(frame.description),
    );
    for (index, day) in days.iter().enumerate() {
        let x = index as f64 * slot + slot * 0.15;
        let bar = slot * 0.7;
        let total = day.requests as f64 / max_requests * plot;
        let failed = day.errors.min(day.requests) as f64 / max_requests * plot;
        let _ = write!(
            svg,
            r#"<rect class="chart-bar" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{total:.1}"><title>{day}: {requests}</title></rect>"#,
            y = top + plot - total,
            day = escape(&day.day),
            requests = day.requests,
        );
        if failed > 0.0 {
            let _ = write!(
                svg,
                r#"<rect class="chart-error" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{failed:.1}"/>"#,
                y = top + plot - failed,
            );
        }
    }
    if frame.detailed {
        let latencies: Vec<Option<f64>> = days.iter().map(Day::latency_ms).collect();
        let max_latency = latencies.iter().flatten().fold(1.0_f64, |a, b| a.max(*b));
        let points: Vec<String> = latencies
            .iter()
            .enumerate()
            .filter_map(|(index, latency)| {
                latency.map(|ms| {
                    let x = index as f64 * slot + slot / 2.0;
                    format!("{x:.1},{:.1}", top + plot - ms / max_latency * plot)
                })
            })
            .collect();
        if !points.is_empty() {
            let _ = write!(
                svg,
                r#"<polyline class="chart-line" fill="none" points="{}"/>"#,
                points.join(" ")
            );
        }
        let _ = write!(
            svg,
            r#"<text class="chart-label" x="0" y="10">{requests}</text><text class="chart-label" x="{w}" y="10" text-anchor="end">{latency:.0} ms</text>"#,
            requests = max_requests as i64,
            w = frame.width,
            latency = max_latency,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crawl(instance_id: i64, day: &str, requests: i64, errors: i64) -> CrawlDay {
        CrawlDay {
            instance_id,
            day: day.into(),
            runs: 1,
            requests,
            errors,
            latency_ms_total: requests * 100,
            ..CrawlDay::default()
        }
    }

    #[test]
    fn days_are_summed_per_instance_and_overall_in_a_fixed_window() {
        let last = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let histories = Histories::new(
            &[
                crawl(1, "2026-03-01", 10, 0),
                crawl(2, "2026-03-01", 5, 5),
                crawl(1, "2026-03-02", 4, 1),
                crawl(1, "2026-01-01", 99, 0),
            ],
            last,
            3,
        );
        let requests = |days: &[Day]| days.iter().map(|d| d.requests).collect::<Vec<_>>();
        assert_eq!(histories.overall[0].day, "2026-02-28");
        assert_eq!(requests(&histories.overall), [0, 15, 4]);
        assert_eq!(requests(&histories.by_instance[&1]), [0, 10, 4]);
        assert_eq!(requests(&histories.by_instance[&2]), [0, 5, 0]);
        assert_eq!(totals(&histories.overall), (19, 6, Some(100.0)));
        assert_eq!(totals(&[]), (0, 0, None));
    }

    #[test]
    fn charts_scale_bars_mark_errors_and_escape_their_words() {
        let last = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let days = Histories::new(
            &[crawl(1, "2026-03-01", 10, 2), crawl(1, "2026-03-02", 5, 0)],
            last,
            2,
        )
        .overall;
        let svg = render(
            &days,
            &Frame {
                width: 100,
                height: 50,
                title: "<script>",
                description: "a & b",
                detailed: true,
            },
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>&lt;script&gt;</title><desc>a &amp; b</desc>"));
        assert_eq!(svg.matches(r#"class="chart-bar""#).count(), 2);
        assert_eq!(svg.matches(r#"class="chart-error""#).count(), 1);
        // The busiest day fills the plot (35 px below the 14 px label band).
        assert!(
            svg.contains(r#"y="14.0" width="35.0" height="35.0""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"y="31.5" width="35.0" height="17.5""#),
            "{svg}"
        );
        assert!(svg.contains("<polyline"));
        assert!(svg.contains(">100 ms</text>"));
    }

    #[test]
    fn an_empty_history_draws_an_empty_chart() {
        let svg = render(
            &[],
            &Frame {
                width: 10,
                height: 10,
                title: "t",
                description: "d",
                detailed: false,
            },
        );
        assert!(!svg.contains("<rect"));
    }
}
