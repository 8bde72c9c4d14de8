//! Downloading one image through the address guard, capped as a stream, and sniffing what it really is.

use reqwest::header::ACCEPT;
use url::Url;

use crate::config::CrawlerConfig;
use crate::guard::{AddressPolicy, GuardError, http_client};

/// Widest and tallest image kept: larger ones are decompression bombs for browsers.
pub(super) const MAX_SIDE: usize = 8192;

const ACCEPT_IMAGES: &str = "image/avif,image/webp,image/png,image/jpeg,image/gif";

/// Why an image was not cached; the text is stored as the failure.
#[derive(Debug, thiserror::Error)]
pub(super) enum FetchError {
    #[error("{0}")]
    Guard(#[from] GuardError),
    #[error("{message}")]
    Request { message: String, host_trouble: bool },
    #[error("the instance answered HTTP {0}")]
    Status(u16),
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    #[error("not a PNG, JPEG, WebP, GIF or AVIF image")]
    NotAnImage,
    #[error("{width}×{height} pixels is not a sensible image size")]
    Dimensions { width: usize, height: usize },
}

impl FetchError {
    /// The host is down or asks us to slow down: leave its other images for a later pass.
    pub(super) fn is_host_trouble(&self) -> bool {
        match self {
            FetchError::Request { host_trouble, .. } => *host_trouble,
            FetchError::Status(status) => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

impl From<reqwest::Error> for FetchError {
    fn from(error: reqwest::Error) -> Self {
        let host_trouble = error.is_connect() || error.is_timeout();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        FetchError::Request {
            message,
            host_trouble,
        }
    }
}

/// What the bytes say they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sniffed {
    pub(super) content_type: &'static str,
    pub(super) width: usize,
    pub(super) height: usize,
}

/// Fetches images with the crawler's guarded client.
pub(super) struct Downloader {
    http: reqwest::Client,
    policy: AddressPolicy,
    max_bytes: u64,
}

impl Downloader {
    pub(super) fn new(config: &CrawlerConfig, max_bytes: u64) -> reqwest::Result<Self> {
        Ok(Self {
            http: http_client(config)?,
            policy: AddressPolicy::from_config(config),
            max_bytes,
        })
    }

    /// The body of `url`, refused past `max_bytes` without reading further.
    /// Redirects are checked by the client's guarded policy.
    pub(super) async fn download(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        self.policy.check_url(url)?;
        let mut response = self
            .http
            .get(url.clone())
            .header(ACCEPT, ACCEPT_IMAGES)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > self.max_bytes)
        {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The real type and size of an image, from its bytes alone. Only formats
/// browsers show safely are kept: SVG (scripts), HTML and the rest are refused.
pub(super) fn sniff(bytes: &[u8]) -> Result<Sniffed, FetchError> {
    use imagesize::{Compression, ImageType};
    let probe = std::panic::catch_unwind(|| {
        let kind = imagesize::image_type(bytes).ok()?;
        let content_type = match kind {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Webp => "image/webp",
            ImageType::Gif => "image/gif",
            ImageType::Heif(Compression::Av1) => "image/avif",
            _ => return None,
        };
        let size = imagesize::blob_size(bytes).ok()?;
        Some((content_type, size))
    });
    let Ok(Some((content_type, size))) = probe else {
        return Err(FetchError::NotAnImage);
    };
    let (width, height) = (size.width, size.height);
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(FetchError::Dimensions { width, height });
    }
    Ok(Sniffed {
        content_type,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG.
    pub(crate) const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    /// A 1×1 GIF.
    const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

    /// The start of a 32×16 baseline JPEG (SOI, SOF0).
    const JPEG: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20, 0x03, 0x01, 0x22, 0x00,
        0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9,
    ];

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut png = PNG.to_vec();
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        png
    }

    #[test]
    fn real_images_are_recognised_by_their_bytes() {
        let cases: [(&[u8], &str, usize, usize); 3] = [
            (PNG, "image/png", 1, 1),
            (GIF, "image/gif", 1, 1),
            (JPEG, "image/jpeg", 32, 16),
        ];
        for (bytes, content_type, width, height) in cases {
            let sniffed = sniff(bytes).unwrap();
            assert_eq!(
                (sniffed.content_type, sniffed.width, sniffed.height),
                (content_type, width, height)
            );
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>"#;
        let html = b"<!doctype html><html><body><script>alert(1)</script></body></html>";
        let bmp = b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00";
        for bytes in [
            &svg[..],
            &html[..],
            &bmp[..],
            b"",
            &PNG[..8],
            &[0xFF; 64][..],
        ] {
            assert!(
                sniff(bytes).is_err(),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert!(matches!(
            sniff(&png_of(100_000, 100_000)),
            Err(FetchError::Dimensions { .. })
        ));
        assert!(matches!(
            sniff(&png_of(0, 10)),
            Err(FetchError::Dimensions { .. })
        ));
        assert!(sniff(&png_of(MAX_SIDE as u32, 10)).is_ok());
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for round in 0..2_000 {
            let mut bytes = match round % 4 {
                0 => PNG.to_vec(),
                1 => GIF.to_vec(),
                2 => JPEG.to_vec(),
                _ => b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif".to_vec(),
            };
            for _ in 0..(round % 7 + 1) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = (state as usize) % bytes.len();
                bytes[at] = (state >> 32) as u8;
            }
            bytes.truncate((state as usize >> 8) % (bytes.len() + 1));
            let _ = sniff(&bytes);
        }
    }
}
