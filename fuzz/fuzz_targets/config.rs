#![no_main]

//! The configuration decoder, `Config::parse`: TOML, then validation of
//! every key, on arbitrary text. Relative paths resolve against the
//! example PKI, so a mutated file still reaches the certificate, key and
//! CRL checks. `Config::load` reads the file as UTF-8, so other bytes never
//! get this far.

use std::path::Path;

use borderpost_gateway::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let base = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../certs-example"));
        let _ = Config::parse(text, base);
    }
});
