//! The portable showcase files that `florilege import` reads: any bytes are refused with a reason or read into a valid showcase that writes back to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use store::Showcase;

fuzz_target!(|data: &[u8]| {
    match Showcase::from_json(data) {
        Ok(showcase) => {
            let again = Showcase::from_json(showcase.to_json().as_bytes())
                .expect("an accepted showcase reads back");
            assert_eq!(again, showcase);
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
