//! Per-instance profiles: power-law sizes, languages, names, NSFW policy, dates and followings.

use super::text::{fill, truncate_chars};
use super::words::{LANG_WEIGHTS, LANGS, Lang};
use crate::mix::{Dice, hash4, tag};

/// 2025-06-01T00:00:00Z: generated (not uploaded) content is published before this instant.
pub(crate) const CONTENT_END_MS: i64 = 1_748_736_000_000;
/// 2017-01-01T00:00:00Z: the oldest instance creation date.
const OLDEST_MS: i64 = 1_483_228_800_000;
const DAY_MS: i64 = 86_400_000;

/// What never changes about one instance once the fleet is started.
#[derive(Debug, Clone)]
pub(crate) struct InstanceSpec {
    pub(crate) index: usize,
    pub(crate) host: String,
    pub(crate) base_url: String,
    /// Local videos generated from the seed (uploads come on top).
    pub(crate) base_videos: u64,
    pub(crate) channels: u64,
    pub(crate) accounts: u64,
    pub(crate) playlists: u64,
    /// Index into [`LANGS`] of the main language.
    pub(crate) lang: usize,
    pub(crate) name: String,
    pub(crate) short_description: String,
    pub(crate) description: String,
    pub(crate) nsfw_policy: &'static str,
    /// Video `k` is NSFW when `k % nsfw_period == nsfw_offset`.
    pub(crate) nsfw_period: u64,
    pub(crate) nsfw_offset: u64,
    /// Publication of video `k` is `start_ms + k * step_ms + jitter`.
    pub(crate) start_ms: i64,
    pub(crate) step_ms: i64,
    pub(crate) follows: Vec<usize>,
    /// Instances following this one (filled in once every profile is built).
    pub(crate) followers: Vec<usize>,
    pub(crate) categories: Vec<u32>,
    pub(crate) languages: Vec<&'static str>,
    pub(crate) users: u64,
}

impl InstanceSpec {
    pub(crate) fn lang(&self) -> &'static Lang {
        LANGS[self.lang]
    }

    pub(crate) fn is_nsfw_index(&self, k: u64) -> bool {
        self.nsfw_period > 0 && k % self.nsfw_period == self.nsfw_offset
    }
}

/// Splits `total` videos over `n` instances along a power law (Zipf, exponent ~1.1), exactly.
pub(crate) fn instance_sizes(seed: u64, n: usize, total: u64) -> Vec<u64> {
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| hash4(seed, i as u64, 0, tag::SIZE_RANK));
    let weights: Vec<f64> = (0..n)
        .map(|rank| 1.0 / ((rank + 1) as f64).powf(1.1))
        .collect();
    let sum: f64 = weights.iter().sum();
    let mut sizes = vec![0u64; n];
    let mut given = 0u64;
    for (rank, &instance) in order.iter().enumerate() {
        let share = (total as f64 * weights[rank] / sum).floor() as u64;
        sizes[instance] = share;
        given += share;
    }
    // The rounding remainder goes to the tail, one each, so small instances are not empty.
    let mut rank = n;
    while given < total {
        rank = if rank == 0 { n - 1 } else { rank - 1 };
        sizes[order[rank]] += 1;
        given += 1;
    }
    sizes
}

fn pick_lang(dice: &mut Dice) -> usize {
    let sum: u64 = LANG_WEIGHTS.iter().sum();
    let mut roll = dice.below(sum);
    for (i, &w) in LANG_WEIGHTS.iter().enumerate() {
        if roll < w {
            return i;
        }
        roll -= w;
    }
    0
}

/// Builds the profile of instance `index` (its address is known once its port is bound).
pub(crate) fn build_spec(
    seed: u64,
    index: usize,
    instances: usize,
    base_videos: u64,
    host: String,
) -> InstanceSpec {
    let mut dice = Dice::new(seed, index as u64, 0, tag::INSTANCE);
    let lang = pick_lang(&mut dice);
    let words = LANGS[lang];
    let name = truncate_chars(&fill(dice.word(words.instance_names), words, &mut dice), 60);
    let short_description =
        truncate_chars(&fill(dice.word(words.sentences), words, &mut dice), 250);
    let description = format!(
        "{}\n\n{}\n\n**{}** — {}",
        fill(dice.word(words.sentences), words, &mut dice),
        fill(dice.word(words.sentences), words, &mut dice),
        name,
        fill(dice.word(words.sentences), words, &mut dice),
    );
    let channels = (base_videos / 400 + 1 + dice.below(3)).clamp(1, 5000);
    let accounts = ((channels * 2).div_ceil(3)).max(1);
    let playlists = channels + dice.below(channels + 1);
    let nsfw_policy = dice.word(&["display", "blur", "blur", "do_not_list"]);
    let nsfw_period = if dice.chance(0.15) {
        0
    } else {
        dice.range(12, 60)
    };
    let nsfw_offset = if nsfw_period == 0 {
        0
    } else {
        dice.below(nsfw_period)
    };
    let start_ms = OLDEST_MS + (dice.below(6 * 365) as i64) * DAY_MS;
    let span = CONTENT_END_MS - 30 * DAY_MS - start_ms;
    let step_ms = (span / base_videos.max(1) as i64).max(2);
    let follow_count = if instances > 1 { dice.below(4) } else { 0 };
    let mut follows = Vec::new();
    for f in 0..follow_count {
        let other = (hash4(seed, index as u64, f, tag::FOLLOWS) % instances as u64) as usize;
        if other != index && !follows.contains(&other) {
            follows.push(other);
        }
    }
    if follows.is_empty() && instances > 1 {
        // Everyone follows someone, so federated videos (and old servers' mixed lists) exist.
        follows.push((index + 1) % instances);
    }
    let categories = (0..dice.range(1, 4))
        .map(|_| dice.range(1, 18) as u32)
        .collect();
    let mut languages = vec![words.code];
    if dice.chance(0.5) {
        let other = LANGS[pick_lang(&mut dice)].code;
        if other != words.code {
            languages.push(other);
        }
    }
    InstanceSpec {
        index,
        base_url: format!("http://{host}"),
        host,
        base_videos,
        channels,
        accounts,
        playlists,
        lang,
        name,
        short_description,
        description,
        nsfw_policy,
        nsfw_period,
        nsfw_offset,
        start_ms,
        step_ms,
        follows,
        followers: Vec::new(),
        categories,
        languages,
        users: accounts + dice.below(accounts * 3 + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_sum_exactly_and_follow_a_power_law() {
        let sizes = instance_sizes(3, 1000, 1_000_000);
        assert_eq!(sizes.iter().sum::<u64>(), 1_000_000);
        let max = *sizes.iter().max().unwrap();
        let min = *sizes.iter().min().unwrap();
        assert!(max > 50 * min, "max {max} min {min}");
        assert_eq!(instance_sizes(3, 3, 2).iter().sum::<u64>(), 2);
        assert_eq!(instance_sizes(3, 5, 0), vec![0; 5]);
    }
}
