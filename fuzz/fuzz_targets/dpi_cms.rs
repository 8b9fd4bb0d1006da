#![no_main]

//! The CMS `EnvelopedData` reader (the encrypted DPI document package) on
//! arbitrary bytes, through the gateway's own key as the DPI ingress uses
//! it: BER/DER parsing, the profile checks, and — for inputs addressed to
//! the example gateway certificate — RSA-OAEP and AES-CBC.

use std::sync::OnceLock;

use borderpost_core::Decrypter;
use borderpost_no::CmsKey;
use libfuzzer_sys::fuzz_target;

static KEY: OnceLock<CmsKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let key = KEY.get_or_init(|| {
        CmsKey::from_pem(
            include_bytes!("../../certs-example/gateway.crt"),
            include_bytes!("../../certs-example/gateway.key"),
        )
        .expect("the example gateway key loads")
    });
    let _ = key.decrypt_cms(data);
});
