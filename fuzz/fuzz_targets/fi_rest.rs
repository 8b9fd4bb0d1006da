#![no_main]

//! The rest of the Suomi.fi REST API as the gateway reads it: Suomi.fi's
//! answers (token, mailbox check, upload, send, error body) and the
//! requests a Finnish client sends Borderpost's emulation of them (token,
//! password change, mailbox check of up to 10,000 ids).

use borderpost_core::Limits;
use borderpost_fi::transport::{
    ApiError, AttachmentResponse, ChangePasswordRequest, MailboxesActiveRequest,
    MailboxesActiveResponse, MessageResponse, TokenRequest, TokenResponse,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = TokenRequest::parse(data, &limits);
    let _ = TokenResponse::parse(data, &limits).map(|t| t.authorization());
    let _ = ChangePasswordRequest::parse(data, &limits);
    if let Ok(request) = MailboxesActiveRequest::parse(data, &limits) {
        let _ = MailboxesActiveRequest::parse(&request.to_json(), &limits);
    }
    let _ = MailboxesActiveResponse::parse(data, &limits);
    let _ = AttachmentResponse::parse(data, &limits);
    let _ = MessageResponse::parse(data, &limits);
    if let Ok(error) = ApiError::parse(data, &limits) {
        let _ = error.codes();
    }
});
