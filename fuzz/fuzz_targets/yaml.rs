//! The YAML front end alone: any text must parse or fail with an error, never panic, hang or
//! exhaust memory (alias bombs, deep nesting, odd tags and scalars).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Compose files are UTF-8 (berth reads them as such): other bytes never reach the parser.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = berth::loader::yaml::parse_documents(text, "compose.yaml");
    }
});
