//! Deterministic content: the typed videos, channels, accounts and playlists of an instance.

mod lexicon_more;
mod lexicon_west;
mod model;
pub(crate) mod profile;
pub(crate) mod text;
pub(crate) mod words;

use chrono::{DateTime, SecondsFormat, Utc};

pub use model::{SimAccount, SimChannel, SimPlaylist, SimVideo};

use crate::ids::{Kind, UuidCodec, short_uuid};
use crate::mix::{Dice, tag};
use profile::InstanceSpec;
use words::{FAMILY_NAMES, GIVEN_NAMES, LANGS, Lang};

/// The overlay state of one video (uploads, edits, view bumps).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct VideoState {
    /// Publication time of an uploaded video (generated ones compute theirs).
    pub(crate) published_ms: Option<i64>,
    pub(crate) revision: u32,
    pub(crate) edited_ms: Option<i64>,
    pub(crate) extra_views: u64,
}

/// The fields that change how text is generated on hostile or old instances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flavor {
    pub(crate) xss: bool,
}

/// Formats a date like PeerTube (`2026-11-23T20:29:49.748Z`).
pub(crate) fn iso(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Generates one instance's items on demand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gen<'a> {
    pub(crate) seed: u64,
    pub(crate) codec: UuidCodec,
    pub(crate) spec: &'a InstanceSpec,
    pub(crate) flavor: Flavor,
}

const AVATAR_WIDTHS: [u32; 3] = [48, 120, 600];

impl Gen<'_> {
    fn dice(&self, item: u64, field: u64) -> Dice {
        Dice::new(self.seed, self.spec.index as u64, item, field)
    }

    fn text(&self, raw: String, dice: &mut Dice) -> String {
        if self.flavor.xss {
            text::xss(&raw, dice)
        } else {
            raw
        }
    }

    fn handle(&self, base: &str, index: u64, dice: &mut Dice) -> String {
        if self.flavor.xss {
            format!("{}_{index}", dice.word(words::XSS_PAYLOADS))
        } else {
            format!("{base}_{index}")
        }
    }

    fn avatars(&self, kind: Kind, index: u64) -> Vec<(u32, String)> {
        AVATAR_WIDTHS
            .iter()
            .enumerate()
            .map(|(variant, &width)| {
                let uuid = self
                    .codec
                    .encode_str(kind, variant as u8, self.spec.index, index);
                (width, format!("/lazy-static/avatars/{uuid}.png"))
            })
            .collect()
    }

    pub(crate) fn account(&self, a: u64) -> SimAccount {
        let mut dice = self.dice(a, tag::ACCOUNT);
        let given = dice.word(GIVEN_NAMES);
        let family = dice.word(FAMILY_NAMES);
        let lang = self.spec.lang();
        let name = self.handle(&text::slug(given), a, &mut dice);
        let display = format!("{given} {family}");
        let description = dice
            .chance(0.7)
            .then(|| text::fill(dice.word(lang.sentences), lang, &mut dice));
        let created = self.spec.start_ms + (dice.below(30) as i64) * 86_400_000;
        let has_avatar = dice.chance(0.8);
        SimAccount {
            index: a,
            id: a + 2,
            user_id: a + 2,
            url: format!("{}/accounts/{name}", self.spec.base_url),
            name,
            display_name: self.text(display, &mut dice),
            description: description.map(|d| self.text(d, &mut dice)),
            host: self.spec.host.clone(),
            followers: power_law(&mut dice, 5_000.0),
            avatars: if has_avatar {
                self.avatars(Kind::AccountAvatar, a)
            } else {
                Vec::new()
            },
            created_at: from_ms(created),
            updated_at: from_ms(created + dice.below(86_400_000) as i64),
        }
    }

    /// Parses an account handle (`name` or `name@host`) back to its index.
    pub(crate) fn account_index(&self, handle: &str) -> Option<u64> {
        let a = self.parse_handle(handle, self.spec.accounts)?;
        (self.account(a).name == strip_host(handle)).then_some(a)
    }

    pub(crate) fn channel(&self, c: u64) -> SimChannel {
        let mut dice = self.dice(c, tag::CHANNEL);
        let lang = self.spec.lang();
        let display = text::fill(dice.word(lang.channel_names), lang, &mut dice);
        let name = self.handle(&text::slug(&display), c, &mut dice);
        let description = dice
            .chance(0.8)
            .then(|| text::fill(dice.word(lang.sentences), lang, &mut dice));
        let support = dice
            .chance(0.35)
            .then(|| dice.word(lang.support).to_string());
        let account = self.account(c % self.spec.accounts.max(1));
        let created = account.created_at.timestamp_millis() + (c as i64 + 1) * 60_000;
        let has_avatar = dice.chance(0.7);
        let has_banner = dice.chance(0.3);
        SimChannel {
            index: c,
            id: c + 1,
            url: format!("{}/video-channels/{name}", self.spec.base_url),
            name,
            display_name: self.text(display, &mut dice),
            description: description.map(|d| self.text(d, &mut dice)),
            support: support.map(|s| self.text(s, &mut dice)),
            host: self.spec.host.clone(),
            followers: power_law(&mut dice, 20_000.0),
            avatars: if has_avatar {
                self.avatars(Kind::ChannelAvatar, c)
            } else {
                Vec::new()
            },
            banner: has_banner.then(|| {
                let uuid = self
                    .codec
                    .encode_str(Kind::ChannelBanner, 0, self.spec.index, c);
                format!("/lazy-static/banners/{uuid}.png")
            }),
            created_at: from_ms(created),
            updated_at: from_ms(created + dice.below(90 * 86_400_000) as i64),
            account,
        }
    }

    /// Parses a channel handle (`name` or `name@host`) back to its index.
    pub(crate) fn channel_index(&self, handle: &str) -> Option<u64> {
        let c = self.parse_handle(handle, self.spec.channels)?;
        (self.channel(c).name == strip_host(handle)).then_some(c)
    }

    fn parse_handle(&self, handle: &str, count: u64) -> Option<u64> {
        if let Some((_, host)) = handle.rsplit_once('@')
            && host != self.spec.host
        {
            return None;
        }
        let (_, number) = strip_host(handle).rsplit_once('_')?;
        let index: u64 = number.parse().ok()?;
        (index < count).then_some(index)
    }

    /// When generated video `k` is published (uploads carry their own time).
    pub(crate) fn published_ms(&self, k: u64, state: &VideoState) -> i64 {
        if let Some(ms) = state.published_ms {
            return ms;
        }
        let step = self.spec.step_ms;
        let jitter = (self
            .dice(k, tag::VIDEO_DATES)
            .below((step / 2).max(1) as u64)) as i64;
        self.spec.start_ms + k as i64 * step + jitter
    }

    pub(crate) fn is_live(&self, k: u64) -> bool {
        self.dice(k, tag::VIDEO).chance(0.004)
    }

    pub(crate) fn duration(&self, k: u64) -> u64 {
        if self.is_live(k) {
            return 0;
        }
        let u = self.dice(k, tag::VIDEO ^ 0xD0).unit();
        // Log-uniform from 30 s to 3 h, with a short-video bias.
        (30f64.ln() + u * u * (10_800f64.ln() - 30f64.ln()))
            .exp()
            .round() as u64
    }

    pub(crate) fn stats(&self, k: u64, state: &VideoState) -> (u64, u64, u64) {
        let mut dice = self.dice(k, tag::VIDEO_STATS);
        let views = power_law(&mut dice, 2_000_000.0) + state.extra_views;
        let likes = (views as f64 * dice.unit() * 0.08) as u64;
        let dislikes = (likes as f64 * dice.unit() * 0.1) as u64;
        (views, likes, dislikes)
    }

    fn language(&self, k: u64) -> Option<&'static Lang> {
        let mut dice = self.dice(k, tag::VIDEO ^ 0x1A);
        let roll = dice.unit();
        if roll < 0.65 {
            Some(self.spec.lang())
        } else if roll < 0.9 {
            Some(*dice.pick(LANGS))
        } else {
            None
        }
    }

    pub(crate) fn name(&self, k: u64, state: &VideoState) -> String {
        let lang = self.language(k).unwrap_or_else(|| self.spec.lang());
        let mut dice = self.dice(k, tag::VIDEO_TEXT ^ (u64::from(state.revision) << 32));
        let raw = text::title(lang, &mut dice);
        self.text(raw, &mut dice)
    }

    pub(crate) fn created_ms(&self, k: u64, state: &VideoState) -> i64 {
        let published = self.published_ms(k, state);
        if state.published_ms.is_some() {
            return published;
        }
        published - self.dice(k, tag::VIDEO_DATES ^ 1).below(2 * 86_400_000) as i64
    }

    pub(crate) fn updated_ms(&self, k: u64, state: &VideoState) -> i64 {
        if let Some(ms) = state.edited_ms {
            return ms;
        }
        let published = self.published_ms(k, state);
        if state.published_ms.is_some() {
            return published;
        }
        let mut dice = self.dice(k, tag::VIDEO_DATES ^ 2);
        let later = if dice.chance(0.2) {
            dice.below(30 * 86_400_000)
        } else {
            dice.below(60_000)
        };
        published + later as i64
    }

    /// The whole video `k` (a local video of this instance).
    pub(crate) fn video(&self, k: u64, state: &VideoState) -> SimVideo {
        let spec = self.spec;
        let mut dice = self.dice(k, tag::VIDEO);
        let is_live = dice.chance(0.004);
        let lang = self.language(k);
        let words = lang.unwrap_or_else(|| spec.lang());
        let mut text_dice = self.dice(k, tag::VIDEO_TEXT ^ (u64::from(state.revision) << 32));
        let raw_name = text::title(words, &mut text_dice);
        let raw_description = text::description(words, &mut text_dice);
        let raw_tags = text::tags(words, &mut text_dice);
        let channel = self.channel(k % spec.channels.max(1));
        let support = if dice.chance(0.5) {
            channel.support.clone()
        } else {
            dice.chance(0.1)
                .then(|| dice.word(words.support).to_string())
        };
        let (name, description, tags, support) = if self.flavor.xss {
            (
                text::xss(&raw_name, &mut text_dice),
                text::xss_markdown(&raw_description, &mut text_dice),
                xss_tags(raw_tags, &mut text_dice),
                Some(text::xss(
                    support.as_deref().unwrap_or("Soutien"),
                    &mut text_dice,
                )),
            )
        } else {
            (raw_name, raw_description, raw_tags, support)
        };
        let category = dice.chance(0.93).then(|| {
            if dice.chance(0.5) && !spec.categories.is_empty() {
                *dice.pick(&spec.categories)
            } else {
                dice.range(1, 18) as u32
            }
        });
        let licence = dice.chance(0.85).then(|| dice.range(1, 7) as u32);
        let aspect_ratio = *dice.pick(&[1.7778, 1.7778, 1.7778, 1.3333, 0.5625]);
        let published = self.published_ms(k, state);
        let originally = dice
            .chance(0.03)
            .then(|| published - dice.range(400, 9000) as i64 * 86_400_000);
        let (views, likes, dislikes) = self.stats(k, state);
        let codec = self.codec;
        let uuid = codec.encode(Kind::Video, 0, spec.index, k);
        let uuid_text = crate::ids::format_uuid(uuid);
        let thumb = codec.encode_str(Kind::Thumbnail, 0, spec.index, k);
        let preview = codec.encode_str(Kind::Preview, 0, spec.index, k);
        SimVideo {
            instance: spec.index,
            index: k,
            id: k + 1,
            short_uuid: short_uuid(uuid),
            url: format!("{}/videos/watch/{uuid_text}", spec.base_url),
            embed_path: format!("/videos/embed/{uuid_text}"),
            uuid: uuid_text,
            host: spec.host.clone(),
            name,
            description,
            tags,
            support,
            category,
            licence,
            language: lang.map(|l| l.code.to_owned()),
            nsfw: spec.is_nsfw_index(k),
            is_live,
            duration: self.duration(k),
            aspect_ratio,
            views,
            likes,
            dislikes,
            comments: dice.below(views / 50 + 1),
            published_at: from_ms(published),
            created_at: from_ms(self.created_ms(k, state)),
            updated_at: from_ms(self.updated_ms(k, state)),
            originally_published_at: originally.map(from_ms),
            thumbnail_path: format!("/lazy-static/thumbnails/{thumb}.png"),
            preview_path: format!("/lazy-static/previews/{preview}.png"),
            channel,
        }
    }

    pub(crate) fn playlist(&self, p: u64) -> SimPlaylist {
        let spec = self.spec;
        let mut dice = self.dice(p, tag::PLAYLIST);
        let lang = spec.lang();
        let display = text::fill(dice.word(lang.titles), lang, &mut dice);
        let description = dice
            .chance(0.6)
            .then(|| text::fill(dice.word(lang.sentences), lang, &mut dice));
        let channel = self.channel(p % spec.channels.max(1));
        let created = channel.created_at.timestamp_millis() + dice.below(300 * 86_400_000) as i64;
        let uuid = self.codec.encode(Kind::Playlist, 0, spec.index, p);
        let uuid_text = crate::ids::format_uuid(uuid);
        let thumb = self
            .codec
            .encode_str(Kind::PlaylistThumbnail, 0, spec.index, p);
        SimPlaylist {
            index: p,
            id: p + 1,
            short_uuid: short_uuid(uuid),
            url: format!("{}/video-playlists/{uuid_text}", spec.base_url),
            uuid: uuid_text,
            display_name: self.text(display, &mut dice),
            description: description.map(|d| self.text(d, &mut dice)),
            thumbnail_path: format!("/lazy-static/thumbnails/playlist-{thumb}.png"),
            videos_length: dice.below(40),
            created_at: from_ms(created),
            updated_at: from_ms(created + dice.below(86_400_000) as i64),
            channel,
        }
    }
}

fn strip_host(handle: &str) -> &str {
    handle.rsplit_once('@').map_or(handle, |(name, _)| name)
}

fn xss_tags(mut tags: Vec<String>, dice: &mut Dice) -> Vec<String> {
    tags.truncate(3);
    tags.push("<script>alert(1)</script>".to_owned());
    tags.push(
        dice.word(&["\"><img src=x>", "javascript:alert(1)"])
            .to_string(),
    );
    tags
}

/// A Pareto-like count: most values small, a few huge (capped at `max`).
pub(crate) fn power_law(dice: &mut Dice, max: f64) -> u64 {
    let u = dice.unit();
    let value = ((1.0 / (1.0 - u * 0.999_999)).powf(1.3) - 1.0) * 20.0;
    value.min(max) as u64
}
