#![no_main]

//! The MeMo decoder (and the Danish receipt and Fjernprint decoders, which
//! share its XML path) on arbitrary bytes: errors are fine, panics and
//! runaway memory are not.

use borderpost_core::{Adapter, DecodeContext, Wire};
use borderpost_dk::{Fjernprint, Memo, MemoVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = DecodeContext::new(time::OffsetDateTime::UNIX_EPOCH, uuid::Uuid::from_u128(1));
    let wire = Wire::single(data);
    let memo = Memo::new(MemoVersion::V1_1);
    if let Ok(message) = memo.decode(&wire, &ctx) {
        // Whatever decodes must encode again (or fail cleanly).
        if let Some(to) = message.recipients.first() {
            let _ = memo.encode(
                &message,
                to,
                &borderpost_core::EncodeContext::new(ctx.received_at, message.id),
            );
        }
    }
    let _ = memo.decode_receipt(&wire, &ctx);
    let _ = Fjernprint.decode(&wire, &ctx);
});
