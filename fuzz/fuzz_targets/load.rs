//! The whole loader, from discovery to the typed project, on raw compose files and on mutated
//! files of `tests/corpus` (see `berth_fuzz::expand` for the input format).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    berth_fuzz::load(data);
});
