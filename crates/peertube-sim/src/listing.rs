//! Video list arithmetic: O(log n) pages in publication order, cached sorts, federated mixing.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::content::Gen;
use crate::content::profile::{CONTENT_END_MS, InstanceSpec};
use crate::state::{InstanceState, Overlay, lock};

/// PeerTube's `nsfw` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum NsfwFilter {
    Both,
    /// `nsfw=false`: safe videos only.
    Safe,
    /// `nsfw=true`: sensitive videos only.
    Only,
}

/// A sortable column of PeerTube's video lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SortField {
    PublishedAt,
    Name,
    Duration,
    CreatedAt,
    OriginallyPublishedAt,
    Views,
    Likes,
    Trending,
    Hot,
    Best,
}

/// A parsed `sort` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Sort {
    pub(crate) field: SortField,
    pub(crate) desc: bool,
}

impl Sort {
    pub(crate) const DEFAULT: Self = Self {
        field: SortField::PublishedAt,
        desc: true,
    };

    /// Parses the columns PeerTube 6.3 accepts for video lists.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (desc, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let field = match name {
            "publishedAt" => SortField::PublishedAt,
            "name" => SortField::Name,
            "duration" => SortField::Duration,
            "createdAt" => SortField::CreatedAt,
            "originallyPublishedAt" => SortField::OriginallyPublishedAt,
            "views" => SortField::Views,
            "likes" => SortField::Likes,
            "trending" => SortField::Trending,
            "hot" => SortField::Hot,
            "best" => SortField::Best,
            _ => return None,
        };
        Some(Self { field, desc })
    }
}

/// Cache key of a sorted list of local videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SortCacheKey {
    sort: Sort,
    nsfw: NsfwFilter,
}

/// The local videos an instance shows under one NSFW filter, in index (= publication) order.
#[derive(Debug)]
pub(crate) struct Visible<'a> {
    spec: &'a InstanceSpec,
    overlay: &'a Overlay,
    filter: NsfwFilter,
    n: u64,
}

impl<'a> Visible<'a> {
    pub(crate) fn new(spec: &'a InstanceSpec, overlay: &'a Overlay, filter: NsfwFilter) -> Self {
        Self {
            spec,
            overlay,
            filter,
            n: overlay.index_count(spec),
        }
    }

    fn matches_filter(&self, k: u64) -> bool {
        match self.filter {
            NsfwFilter::Both => true,
            NsfwFilter::Safe => !self.spec.is_nsfw_index(k),
            NsfwFilter::Only => self.spec.is_nsfw_index(k),
        }
    }

    pub(crate) fn passes(&self, k: u64) -> bool {
        k < self.n && self.matches_filter(k) && !self.overlay.deleted.contains(&k)
    }

    /// NSFW indices in `0..x`.
    fn nsfw_below(&self, x: u64) -> u64 {
        let (period, offset) = (self.spec.nsfw_period, self.spec.nsfw_offset);
        if period == 0 || x <= offset {
            0
        } else {
            (x - offset - 1) / period + 1
        }
    }

    /// Visible videos with an index in `a..n`.
    fn count_from(&self, a: u64) -> u64 {
        if a >= self.n {
            return 0;
        }
        let span = self.n - a;
        let nsfw = self.nsfw_below(self.n) - self.nsfw_below(a);
        let generated = match self.filter {
            NsfwFilter::Both => span,
            NsfwFilter::Safe => span - nsfw,
            NsfwFilter::Only => nsfw,
        };
        let gone = self
            .overlay
            .deleted
            .range(a..self.n)
            .filter(|&&k| self.matches_filter(k))
            .count() as u64;
        generated - gone
    }

    pub(crate) fn total(&self) -> u64 {
        self.count_from(0)
    }

    /// The index of the `r`-th visible video, newest first.
    fn nth_desc(&self, r: u64) -> Option<u64> {
        if r >= self.total() {
            return None;
        }
        let (mut lo, mut hi) = (0, self.n - 1);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.count_from(mid) > r {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo)
    }

    /// A page in publication order, computed without sorting.
    pub(crate) fn page_by_index(&self, start: u64, count: u64, desc: bool) -> Vec<u64> {
        let total = self.total();
        if start >= total || count == 0 {
            return Vec::new();
        }
        let mut page = Vec::with_capacity(count.min(total - start) as usize);
        if desc {
            let Some(first) = self.nth_desc(start) else {
                return page;
            };
            let mut k = first;
            loop {
                if self.passes(k) {
                    page.push(k);
                    if page.len() as u64 == count {
                        break;
                    }
                }
                if k == 0 {
                    break;
                }
                k -= 1;
            }
        } else {
            let Some(first) = self.nth_desc(total - 1 - start) else {
                return page;
            };
            let mut k = first;
            while k < self.n && (page.len() as u64) < count {
                if self.passes(k) {
                    page.push(k);
                }
                k += 1;
            }
        }
        page
    }

    /// All visible indices, oldest first.
    pub(crate) fn all(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.n).filter(|&k| self.passes(k))
    }
}

/// The sort key of a video under a column (numbers; names are compared separately).
fn numeric_key(generator: &Gen<'_>, overlay: &Overlay, k: u64, field: SortField) -> f64 {
    let state = overlay.state(generator.spec, k);
    let published = generator.published_ms(k, &state);
    let age_hours = ((CONTENT_END_MS - published).max(0) as f64 / 3.6e6).max(0.0) + 2.0;
    let (views, likes, _) = generator.stats(k, &state);
    match field {
        SortField::PublishedAt => published as f64,
        SortField::CreatedAt => generator.created_ms(k, &state) as f64,
        SortField::OriginallyPublishedAt => published as f64,
        SortField::Duration => generator.duration(k) as f64,
        SortField::Views => views as f64,
        SortField::Likes => likes as f64,
        SortField::Trending => views as f64 / (age_hours / 24.0).max(1.0),
        SortField::Hot | SortField::Best => {
            (likes as f64 * 2.0 + views as f64 / 10.0 + 1.0) / age_hours.powf(1.8)
        }
        SortField::Name => 0.0,
    }
}

/// Visible local indices in the order of `sort` (cached per overlay version).
pub(crate) fn sorted_locals(
    instance: &InstanceState,
    generator: &Gen<'_>,
    overlay: &Overlay,
    sort: Sort,
    nsfw: NsfwFilter,
) -> Arc<Vec<u64>> {
    let key = SortCacheKey { sort, nsfw };
    if let Some((version, list)) = lock(&instance.sorted).get(&key)
        && *version == overlay.version
    {
        return Arc::clone(list);
    }
    let visible = Visible::new(&instance.spec, overlay, nsfw);
    let indices: Vec<u64> = visible.all().collect();
    let list = Arc::new(sort_indices(generator, overlay, indices, sort));
    lock(&instance.sorted).insert(key, (overlay.version, Arc::clone(&list)));
    list
}

/// Sorts indices by a column; ties keep the newest first.
pub(crate) fn sort_indices(
    generator: &Gen<'_>,
    overlay: &Overlay,
    mut indices: Vec<u64>,
    sort: Sort,
) -> Vec<u64> {
    match sort.field {
        SortField::PublishedAt => {
            indices.sort_unstable();
            if sort.desc {
                indices.reverse();
            }
        }
        SortField::Name => {
            let mut keyed: Vec<(String, u64)> = indices
                .into_iter()
                .map(|k| {
                    let state = overlay.state(generator.spec, k);
                    (generator.name(k, &state).to_lowercase(), k)
                })
                .collect();
            keyed.sort_by(|a, b| tie(a.0.cmp(&b.0), sort.desc, a.1, b.1));
            indices = keyed.into_iter().map(|(_, k)| k).collect();
        }
        field => {
            let mut keyed: Vec<(f64, u64)> = indices
                .into_iter()
                .map(|k| (numeric_key(generator, overlay, k, field), k))
                .collect();
            keyed.sort_by(|a, b| tie(a.0.total_cmp(&b.0), sort.desc, a.1, b.1));
            indices = keyed.into_iter().map(|(_, k)| k).collect();
        }
    }
    indices
}

fn tie(order: Ordering, desc: bool, a: u64, b: u64) -> Ordering {
    let order = if desc { order.reverse() } else { order };
    order.then(b.cmp(&a))
}

/// Where an item of a mixed (local + federated) list comes from, with its rank in that source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Local(u64),
    Remote(u64),
}

/// Positions `start..start+count` of a list mixing `local` items with `remote` ones
/// (one remote after every three local while they last).
pub(crate) fn mixed_slots(local: u64, remote: u64, start: u64, count: u64) -> Vec<Slot> {
    let total = local + remote;
    let end = start.saturating_add(count).min(total);
    (start..end)
        .map(|r| {
            if r < 4 * remote {
                if r % 4 == 3 {
                    Slot::Remote(r / 4)
                } else {
                    Slot::Local(r - r / 4)
                }
            } else {
                Slot::Local(r - remote)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::profile::build_spec;

    fn spec(videos: u64) -> InstanceSpec {
        let mut spec = build_spec(5, 0, 1, videos, "127.0.0.1:1".into());
        spec.nsfw_period = 7;
        spec.nsfw_offset = 3;
        spec
    }

    fn brute(spec: &InstanceSpec, overlay: &Overlay, filter: NsfwFilter) -> Vec<u64> {
        let visible = Visible::new(spec, overlay, filter);
        let mut all: Vec<u64> = visible.all().collect();
        all.reverse();
        all
    }

    #[test]
    fn pages_match_a_brute_force_listing() {
        let spec = spec(500);
        let mut overlay = Overlay {
            uploads: vec![1, 2, 3],
            ..Overlay::default()
        };
        overlay.deleted.extend([0, 3, 10, 17, 250, 499, 502]);
        for filter in [NsfwFilter::Both, NsfwFilter::Safe, NsfwFilter::Only] {
            let expected = brute(&spec, &overlay, filter);
            let visible = Visible::new(&spec, &overlay, filter);
            assert_eq!(visible.total(), expected.len() as u64);
            for count in [1, 7, 100] {
                let mut start = 0;
                let mut seen = Vec::new();
                while start < visible.total() {
                    seen.extend(visible.page_by_index(start, count, true));
                    start += count;
                }
                assert_eq!(seen, expected, "{filter:?} {count}");
                let mut asc: Vec<u64> = Vec::new();
                let mut start = 0;
                while start < visible.total() {
                    asc.extend(visible.page_by_index(start, count, false));
                    start += count;
                }
                let mut reversed = expected.clone();
                reversed.reverse();
                assert_eq!(asc, reversed);
            }
        }
    }

    #[test]
    fn mixed_slots_cover_everything_once() {
        let slots = mixed_slots(10, 3, 0, 100);
        let locals: Vec<u64> = slots
            .iter()
            .filter_map(|s| match s {
                Slot::Local(r) => Some(*r),
                Slot::Remote(_) => None,
            })
            .collect();
        assert_eq!(locals, (0..10).collect::<Vec<_>>());
        assert_eq!(slots.len(), 13);
        assert_eq!(slots[3], Slot::Remote(0));
        assert_eq!(mixed_slots(10, 3, 5, 3), slots[5..8].to_vec());
    }
}
