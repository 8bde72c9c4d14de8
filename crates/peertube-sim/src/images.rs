//! Small deterministic PNG images for thumbnails, previews, avatars and banners.

use crate::mix::{Dice, tag};

/// Draws a `width` x `height` picture whose colours and shapes derive from `key`.
pub(crate) fn png(seed: u64, key: u64, width: u32, height: u32, play_button: bool) -> Vec<u8> {
    let mut dice = Dice::new(seed, key, u64::from(width), tag::IMAGE);
    let from = [dice.below(256), dice.below(256), dice.below(256)];
    let to = [dice.below(256), dice.below(256), dice.below(256)];
    let (w, h) = (width as usize, height as usize);
    let mut data = vec![0u8; w * h * 3];
    for y in 0..h {
        let t = y as u64 * 255 / h.max(1) as u64;
        let row: [u8; 3] = std::array::from_fn(|c| ((from[c] * (255 - t) + to[c] * t) / 255) as u8);
        for x in 0..w {
            data[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&row);
        }
    }
    for _ in 0..dice.range(2, 5) {
        let color = [
            dice.below(256) as u8,
            dice.below(256) as u8,
            dice.below(256) as u8,
        ];
        let (x0, y0) = (dice.below(w as u64) as usize, dice.below(h as u64) as usize);
        let (rw, rh) = (
            dice.range(1, (w / 3).max(1) as u64) as usize,
            dice.range(1, (h / 3).max(1) as u64) as usize,
        );
        for y in y0..(y0 + rh).min(h) {
            for x in x0..(x0 + rw).min(w) {
                data[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&color);
            }
        }
    }
    if play_button {
        // A white triangle in the middle.
        let size = h / 4;
        let (cx, cy) = (w / 2 - size / 3, h / 2);
        for dx in 0..size {
            let half = (size - dx) / 2;
            for y in cy.saturating_sub(half)..(cy + half).min(h) {
                let x = cx + dx;
                if x < w {
                    data[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&[255, 255, 255]);
                }
            }
        }
    }
    encode(&data, width, height)
}

fn encode(data: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(data));
    if written.is_err() {
        // Writing into a Vec with consistent sizes cannot fail; keep a valid empty answer anyway.
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_valid_deterministic_pngs() {
        let a = png(1, 2, 280, 157, true);
        assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(a, png(1, 2, 280, 157, true));
        assert_ne!(a, png(1, 3, 280, 157, true));
        let decoder = png::Decoder::new(std::io::Cursor::new(a));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (280, 157));
    }
}
