#![no_main]

//! The DPI ingress body, `POST /messages/out`: the `multipart/form-data`
//! parser, then the DPI decoder on the parts it yields (with the gateway's
//! decryption key, as the ingress runs it). The input's first line is the
//! `Content-Type` header value, the rest the body.

use std::sync::OnceLock;

use borderpost_core::{Adapter, DecodeContext};
use borderpost_no::transport::{self, MultipartLimits};
use borderpost_no::{CmsKey, Dpi};
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
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(content_type) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let body = data.get(split + 1..).unwrap_or_default();
    let Ok(wire) = transport::parse_multipart(content_type, body, &MultipartLimits::default())
    else {
        return;
    };
    let _ = transport::dpi_parts(&wire);
    let mut ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    ctx.decrypter = Some(key);
    let _ = Dpi::default().decode(&wire, &ctx);
});
