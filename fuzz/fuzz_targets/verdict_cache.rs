#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| modelvet::fuzzing::verdict_cache(data));
