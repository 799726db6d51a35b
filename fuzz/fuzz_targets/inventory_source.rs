#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| modelvet::fuzzing::inventory_source(data));
