//! Reversible identifiers: UUIDv4-shaped ids that encode (kind, instance, index), and PeerTube's short UUIDs.

use crate::mix::{mix64, tag};

/// What a generated UUID names (also tells images apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum Kind {
    Video = 0,
    Thumbnail = 1,
    Preview = 2,
    Playlist = 3,
    PlaylistThumbnail = 4,
    AccountAvatar = 5,
    ChannelAvatar = 6,
    ChannelBanner = 7,
}

impl Kind {
    fn from_bits(bits: u64) -> Option<Self> {
        Some(match bits {
            0 => Self::Video,
            1 => Self::Thumbnail,
            2 => Self::Preview,
            3 => Self::Playlist,
            4 => Self::PlaylistThumbnail,
            5 => Self::AccountAvatar,
            6 => Self::ChannelAvatar,
            7 => Self::ChannelBanner,
            _ => return None,
        })
    }
}

/// What a decoded UUID says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub(crate) kind: Kind,
    /// A small variant number (the avatar size class, for instance).
    pub(crate) variant: u8,
    pub(crate) instance: usize,
    pub(crate) index: u64,
}

const MASK61: u64 = (1 << 61) - 1;
const INDEX_BITS: u32 = 40;
/// Bits 40..56: bits 56..60 hold the variant, 60..64 the kind.
const INSTANCE_BITS: u32 = 16;
const ROUNDS: u64 = 4;

/// Encodes and decodes the fleet's UUIDs with a seed-derived key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UuidCodec {
    key: u64,
}

impl UuidCodec {
    pub(crate) const fn new(seed: u64) -> Self {
        Self {
            key: mix64(seed ^ tag::UUID_KEY),
        }
    }

    fn round(&self, half: u64, round: u64) -> u64 {
        mix64(half ^ mix64(self.key.wrapping_add(round))) & MASK61
    }

    /// The 128-bit UUID of an item (the index must stay below 2^40, the instance below 2^16).
    pub(crate) fn encode(&self, kind: Kind, variant: u8, instance: usize, index: u64) -> u128 {
        let payload = (u64::from(kind as u8) << 60)
            | (u64::from(variant & 0xF) << 56)
            | ((instance as u64 & ((1 << INSTANCE_BITS) - 1)) << INDEX_BITS)
            | (index & ((1 << INDEX_BITS) - 1));
        // Two 61-bit halves: the payload (kind and variant go through a second half) and a check.
        let check = mix64(payload ^ self.key) & ((1 << 58) - 1);
        let mut left = (payload >> 3) & MASK61;
        let mut right = ((payload & 0x7) << 58) | check;
        for r in 0..ROUNDS {
            let next = left ^ self.round(right, r);
            left = right;
            right = next;
        }
        let bits = (u128::from(left) << 61) | u128::from(right); // 122 bits
        // Spread into the UUIDv4 layout: 48 bits, version 4, 12 bits, variant 0b10, 62 bits.
        let top = bits >> 74;
        let mid = (bits >> 62) & 0xFFF;
        let low = bits & ((1u128 << 62) - 1);
        (top << 80) | (0x4 << 76) | (mid << 64) | (0b10 << 62) | low
    }

    /// Decodes a UUID made by [`Self::encode`]; `None` for any other UUID.
    pub(crate) fn decode(&self, uuid: u128) -> Option<Decoded> {
        if (uuid >> 76) & 0xF != 4 || (uuid >> 62) & 0b11 != 0b10 {
            return None;
        }
        let top = uuid >> 80;
        let mid = (uuid >> 64) & 0xFFF;
        let low = uuid & ((1u128 << 62) - 1);
        let bits = (top << 74) | (mid << 62) | low;
        let mut left = ((bits >> 61) as u64) & MASK61;
        let mut right = (bits as u64) & MASK61;
        for r in (0..ROUNDS).rev() {
            let prev = right ^ self.round(left, r);
            right = left;
            left = prev;
        }
        let payload = (left << 3) | (right >> 58);
        let check = right & ((1 << 58) - 1);
        if mix64(payload ^ self.key) & ((1 << 58) - 1) != check {
            return None;
        }
        Some(Decoded {
            kind: Kind::from_bits(payload >> 60)?,
            variant: ((payload >> 56) & 0xF) as u8,
            instance: ((payload >> INDEX_BITS) & ((1 << INSTANCE_BITS) - 1)) as usize,
            index: payload & ((1 << INDEX_BITS) - 1),
        })
    }

    pub(crate) fn encode_str(
        &self,
        kind: Kind,
        variant: u8,
        instance: usize,
        index: u64,
    ) -> String {
        format_uuid(self.encode(kind, variant, instance, index))
    }
}

/// The canonical lower-case hyphenated form.
pub(crate) fn format_uuid(uuid: u128) -> String {
    let hex = format!("{uuid:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Parses a hyphenated UUID (any version); PeerTube itself accepts only v4 ones.
pub(crate) fn parse_uuid(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let digit = (b as char).to_digit(16)?;
        value = (value << 4) | u128::from(digit);
    }
    Some(value)
}

/// True for UUIDs PeerTube's validator accepts (`isUUID(value, 4)`).
pub(crate) const fn is_v4(uuid: u128) -> bool {
    (uuid >> 76) & 0xF == 4 && matches!((uuid >> 60) & 0xF, 8..=11)
}

/// The flickr base58 alphabet used by the `short-uuid` package.
const ALPHABET: &[u8; 58] = b"123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
const SHORT_LEN: usize = 22;

/// PeerTube's short UUID: the 128-bit number in base58, left-padded to 22 characters.
pub(crate) fn short_uuid(uuid: u128) -> String {
    let mut digits = [ALPHABET[0]; SHORT_LEN];
    let mut value = uuid;
    let mut pos = SHORT_LEN;
    while value > 0 && pos > 0 {
        pos -= 1;
        digits[pos] = ALPHABET[(value % 58) as usize];
        value /= 58;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// Decodes a short UUID; `None` when it is not base58 or overflows 128 bits.
pub(crate) fn parse_short_uuid(text: &str) -> Option<u128> {
    if text.is_empty() || text.len() > SHORT_LEN {
        return None;
    }
    let mut value: u128 = 0;
    for b in text.bytes() {
        let digit = ALPHABET.iter().position(|&a| a == b)?;
        value = value.checked_mul(58)?.checked_add(digit as u128)?;
    }
    Some(value)
}

/// A video or playlist id as PeerTube accepts it in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemId {
    Numeric(u64),
    Uuid(u128),
    /// Not an id PeerTube's validator accepts (answered with 400).
    Invalid,
}

/// Parses a numeric id, a UUIDv4 or a short UUID like PeerTube's `isIdOrUUIDValid`.
pub(crate) fn parse_item_id(text: &str) -> ItemId {
    if !text.is_empty() && text.len() <= 15 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_or(ItemId::Invalid, ItemId::Numeric);
    }
    let uuid = if text.len() == 36 {
        parse_uuid(text)
    } else {
        parse_short_uuid(text)
    };
    match uuid {
        Some(u) if is_v4(u) => ItemId::Uuid(u),
        _ => ItemId::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_uuid_matches_peertube() {
        let cases = [
            (
                "856a38e2-c9af-4755-bf73-ce63357bb8b8",
                "htwGPqQTS9SHhWNvtSRqkA",
            ),
            (
                "00e8277a-08ac-443a-a3bd-a8aef509f399",
                "17uH2PccQg6SGBS8pP1DMB",
            ),
            (
                "62faf929-66ad-4f3c-80b3-f7fd2d371081",
                "ddUxNXDx4q7m7Ji7YPtM16",
            ),
        ];
        for (long, short) in cases {
            let uuid = parse_uuid(long).unwrap();
            assert_eq!(short_uuid(uuid), short);
            assert_eq!(parse_short_uuid(short), Some(uuid));
            assert_eq!(format_uuid(uuid), long);
        }
    }

    #[test]
    fn codec_round_trips_and_rejects_strangers() {
        let codec = UuidCodec::new(42);
        for (instance, index) in [(0, 0), (1, 1), (999, 999_999), (17, (1 << 40) - 1)] {
            let uuid = codec.encode(Kind::Video, 0, instance, index);
            assert!(is_v4(uuid));
            let decoded = codec.decode(uuid).unwrap();
            assert_eq!((decoded.instance, decoded.index), (instance, index));
            assert_eq!(decoded.kind, Kind::Video);
            let avatar = codec.encode(Kind::AccountAvatar, 2, instance, index);
            assert_eq!(codec.decode(avatar).unwrap().variant, 2);
            assert_eq!(UuidCodec::new(43).decode(uuid), None);
        }
        let fixture = parse_uuid("856a38e2-c9af-4755-bf73-ce63357bb8b8").unwrap();
        assert_eq!(codec.decode(fixture), None);
        assert_ne!(
            codec.encode(Kind::Video, 0, 0, 1),
            codec.encode(Kind::Video, 0, 0, 2)
        );
    }

    #[test]
    fn item_ids_parse_like_peertube() {
        assert_eq!(parse_item_id("12"), ItemId::Numeric(12));
        assert_eq!(
            parse_item_id("00000000-0000-0000-0000-000000000000"),
            ItemId::Invalid
        );
        assert!(matches!(
            parse_item_id("htwGPqQTS9SHhWNvtSRqkA"),
            ItemId::Uuid(_)
        ));
        assert_eq!(parse_item_id("not an id!"), ItemId::Invalid);
        assert_eq!(parse_item_id(""), ItemId::Invalid);
    }
}
