//! The rest of the Suomi.fi Messages REST API as pure codecs: the token,
//! the mailbox check, the upload answer, the send answer, the events page
//! and the error body. No HTTP client or server lives here: the gateway
//! (and a simulator of Suomi.fi) serve and call these routes with these
//! shapes.
//!
//! Every call but `/v1/token` and `/v1/change-password` carries
//! `Authorization: Bearer <access_token>`. Tokens expire; a `401` means
//! fetch a new one. The password must be rotated at least yearly
//! (`/v1/change-password`, which takes the token in its body).
//!
//! Strictness follows who wrote the JSON. Requests (what a Finnish client
//! sends Borderpost's emulation of these routes) refuse unknown fields.
//! Responses (what Suomi.fi sends Borderpost) ignore them: DVV's API
//! description says new response fields are not a breaking change.
//! Every body is bounded in size and depth before it is parsed.

use std::fmt;

use borderpost_core::{AdapterError, Limits};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::Event;
use crate::json;

/// `POST`: a token for a username and password.
pub const PATH_TOKEN: &str = "/v1/token";
/// `POST`: a new password (no `Authorization` header).
pub const PATH_CHANGE_PASSWORD: &str = "/v1/change-password";
/// `POST`: which of up to 10,000 recipients have an active mailbox.
pub const PATH_MAILBOXES_ACTIVE: &str = "/v1/mailboxes/active";
/// `POST` (multipart, field `file`): upload an attachment; `201` with
/// [`AttachmentResponse`].
pub const PATH_ATTACHMENTS: &str = "/v2/attachments";
/// The multipart field of an upload.
pub const ATTACHMENT_FIELD: &str = "file";
/// `GET`: events, `?continuationToken=`.
pub const PATH_EVENTS: &str = "/v2/events";
/// The query parameter of the next events page.
pub const QUERY_CONTINUATION_TOKEN: &str = "continuationToken";

/// The most recipient ids one mailbox check may carry.
pub const MAX_MAILBOX_IDS: usize = 10_000;
/// The most events one page holds.
pub const MAX_EVENTS_PER_PAGE: usize = 1000;
/// How long an uploaded attachment waits to be used, in hours.
pub const ATTACHMENT_TTL_HOURS: u32 = 24;
/// How long Suomi.fi keeps events and end users' messages, in days.
pub const RETENTION_DAYS: u32 = 60;
/// `409` on a send: the `externalId` was used before; the body is an
/// [`ApiError`] with the original `messageId`. Treat it as success.
pub const STATUS_DUPLICATE: u16 = 409;

/// The largest small body (token, answers, errors) Borderpost reads.
const MAX_SMALL_BYTES: u64 = 64 * 1024;
/// The largest mailbox check: 10,000 ids of at most 11 characters, with
/// room for escaping and spaces.
const MAX_MAILBOXES_BYTES: u64 = 2 * 1024 * 1024;
/// The largest events page: 1,000 events of at most 64 KiB would be more,
/// but real ones are a few hundred bytes; 16 MiB stops a runaway page.
const MAX_EVENTS_PAGE_BYTES: u64 = 16 * 1024 * 1024;

/// `GET /v2/messages/{id}`: an end user's message.
pub fn message_path(message_id: i64) -> String {
    format!("/v2/messages/{message_id}")
}

/// `GET /v1/attachments/{id}`: a file of an end user's message.
pub fn attachment_path(attachment_id: Uuid) -> String {
    format!("/v1/attachments/{}", attachment_id.hyphenated())
}

/// `POST /v1/token` request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The REST API user.
    pub username: String,
    /// Its password.
    pub password: String,
}

/// `POST /v1/token` answer (OAuth 2.0's shape).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// A refresh token, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The scope, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `POST /v1/change-password` request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// A current token.
    pub access_token: String,
    /// The password now.
    pub current_password: String,
    /// The new one (at least 32 characters with lower and upper case, a
    /// digit and a symbol).
    pub new_password: String,
}

/// `{id}`: a HETU or Business ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndUserId {
    /// `DDMMYYCZZZQ` or `NNNNNNN-T`.
    pub id: String,
}

/// `POST /v1/mailboxes/active` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailboxesActiveRequest {
    /// 1 to [`MAX_MAILBOX_IDS`] ids.
    pub end_users: Vec<EndUserId>,
}

/// `POST /v1/mailboxes/active` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxesActiveResponse {
    /// The ids asked for that have an active mailbox.
    pub end_users_with_active_mailbox: Vec<EndUserId>,
}

/// `POST /v2/attachments` answer (`201`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentResponse {
    /// The id to reference the file by.
    pub attachment_id: Uuid,
}

/// The answer to a send (`200`): the message's Suomi.fi id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageResponse {
    /// Store it: events name the message by it.
    pub message_id: i64,
}

/// `GET /v2/events` answer.
///
/// The events are kept as JSON objects, each read on its own with
/// [`EventsPage::event`]: one event of a type Borderpost does not know
/// must not stop the page (and its continuation token) from being read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    /// Where the next page starts (send it back as `continuationToken`).
    pub continuation_token: String,
    /// Up to [`MAX_EVENTS_PER_PAGE`] events; none means caught up.
    pub events: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// The error body of every endpoint (DVV's `ErrorResponseV1`,
/// `ValidationErrorResponseV1` and `MessageAlreadyExistsResponse` in one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// What went wrong.
    pub reason: String,
    /// Field errors (`400` on a send).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<ValidationError>>,
    /// `409`: the message sent before with the same `externalId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
}

/// One field error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    /// What is wrong.
    pub error: String,
    /// A machine-readable code (see [`ErrorCode`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

crate::wire::wire_enum! {
    /// The error codes DVV documents for `POST /v2/messages/electronic`.
    ErrorCode {
        /// The recipient has no active mailbox.
        MailboxNotInUse = "MAILBOX_NOT_IN_USE",
        /// `inReplyToMessageId` names no (longer existing) message.
        MessageBeingRepliedToNotFound = "MESSAGE_BEING_REPLIED_TO_NOT_FOUND",
        /// The sending service is not active.
        ServiceNotActive = "SERVICE_NOT_ACTIVE",
        /// The sending system is not active.
        SystemNotActive = "SYSTEM_NOT_ACTIVE",
    }
}

// === impl TokenRequest, TokenResponse, ChangePasswordRequest ===

impl TokenRequest {
    /// Parses a token request (a Finnish client logging in to Borderpost).
    pub fn parse(json: &[u8], limits: &Limits) -> Result<TokenRequest, AdapterError> {
        json::parse(json, limits, MAX_SMALL_BYTES)
    }
}

impl fmt::Debug for TokenRequest {
    // A password: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl TokenResponse {
    /// Parses Suomi.fi's answer.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<TokenResponse, AdapterError> {
        let token: TokenResponse = json::parse(json, limits, MAX_SMALL_BYTES)?;
        if token.access_token.is_empty() {
            return Err(AdapterError::schema("access_token", "must not be empty"));
        }
        Ok(token)
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.access_token)
    }
}

impl fmt::Debug for TokenResponse {
    // Bearer credentials: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

impl ChangePasswordRequest {
    /// Parses a password change.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<ChangePasswordRequest, AdapterError> {
        json::parse(json, limits, MAX_SMALL_BYTES)
    }
}

impl fmt::Debug for ChangePasswordRequest {
    // Credentials: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .finish_non_exhaustive()
    }
}

// === impl MailboxesActiveRequest, MailboxesActiveResponse ===

impl MailboxesActiveRequest {
    /// A check of `ids`: 1 to [`MAX_MAILBOX_IDS`] of them.
    pub fn new(
        ids: impl IntoIterator<Item = String>,
    ) -> Result<MailboxesActiveRequest, AdapterError> {
        let request = MailboxesActiveRequest {
            end_users: ids.into_iter().map(|id| EndUserId { id }).collect(),
        };
        request.validate()?;
        Ok(request)
    }

    /// Parses a check (a Finnish client asking Borderpost).
    pub fn parse(json: &[u8], limits: &Limits) -> Result<MailboxesActiveRequest, AdapterError> {
        let request: MailboxesActiveRequest = json::parse(json, limits, MAX_MAILBOXES_BYTES)?;
        request.validate()?;
        Ok(request)
    }

    /// 1 to [`MAX_MAILBOX_IDS`] ids of 9 to 11 characters.
    pub fn validate(&self) -> Result<(), AdapterError> {
        if self.end_users.is_empty() {
            return Err(AdapterError::schema("endUsers", "at least one id"));
        }
        if self.end_users.len() > MAX_MAILBOX_IDS {
            return Err(AdapterError::TooLarge {
                what: "endUsers".to_owned(),
                limit: MAX_MAILBOX_IDS as u64,
            });
        }
        for (i, user) in self.end_users.iter().enumerate() {
            json::text(&format!("endUsers[{i}].id"), &user.id, 9, 11)?;
        }
        Ok(())
    }

    /// The body as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }
}

impl MailboxesActiveResponse {
    /// Parses Suomi.fi's answer.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<MailboxesActiveResponse, AdapterError> {
        let response: MailboxesActiveResponse = json::parse(json, limits, MAX_MAILBOXES_BYTES)?;
        if response.end_users_with_active_mailbox.len() > MAX_MAILBOX_IDS {
            return Err(AdapterError::TooLarge {
                what: "endUsersWithActiveMailbox".to_owned(),
                limit: MAX_MAILBOX_IDS as u64,
            });
        }
        Ok(response)
    }

    /// Whether `id` has an active mailbox.
    pub fn is_active(&self, id: &str) -> bool {
        self.end_users_with_active_mailbox
            .iter()
            .any(|u| u.id == id)
    }
}

// === impl AttachmentResponse, MessageResponse ===

impl AttachmentResponse {
    /// Parses Suomi.fi's answer to an upload.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<AttachmentResponse, AdapterError> {
        json::parse(json, limits, MAX_SMALL_BYTES)
    }
}

impl MessageResponse {
    /// Parses Suomi.fi's answer to a send.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<MessageResponse, AdapterError> {
        json::parse(json, limits, MAX_SMALL_BYTES)
    }
}

// === impl EventsPage ===

impl EventsPage {
    /// Parses a page: its token, and each event as a JSON object.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<EventsPage, AdapterError> {
        let page: EventsPage = json::parse(json, limits, MAX_EVENTS_PAGE_BYTES)?;
        if page.events.len() > MAX_EVENTS_PER_PAGE {
            return Err(AdapterError::TooLarge {
                what: "events".to_owned(),
                limit: MAX_EVENTS_PER_PAGE as u64,
            });
        }
        Ok(page)
    }

    /// A page of `events` (a Finnish client polling Borderpost).
    pub fn new(continuation_token: String, events: &[Event]) -> Result<EventsPage, AdapterError> {
        if events.len() > MAX_EVENTS_PER_PAGE {
            return Err(AdapterError::TooLarge {
                what: "events".to_owned(),
                limit: MAX_EVENTS_PER_PAGE as u64,
            });
        }
        let events = events
            .iter()
            .map(|e| match serde_json::to_value(e) {
                Ok(serde_json::Value::Object(map)) => Ok(map),
                _ => Err(AdapterError::schema("events", "an event did not serialise")),
            })
            .collect::<Result<_, _>>()?;
        Ok(EventsPage {
            continuation_token,
            events,
        })
    }

    /// Whether the reader is caught up (no events on this page).
    pub fn is_caught_up(&self) -> bool {
        self.events.is_empty()
    }

    /// Event `i`'s JSON: the body of a receipt
    /// ([`crate::SuomiFi`]'s `decode_receipt`).
    pub fn event_json(&self, i: usize) -> Option<String> {
        self.events
            .get(i)
            .map(|e| serde_json::Value::Object(e.clone()).to_string())
    }

    /// Event `i`, read and checked on its own; errors name `events[i]`.
    pub fn event(&self, i: usize) -> Option<Result<Event, AdapterError>> {
        let raw = self.events.get(i)?;
        let prefix = format!("events[{i}]");
        Some(
            json::from_value::<Event>(serde_json::Value::Object(raw.clone()), &prefix).and_then(
                |event| {
                    event.validate().map_err(|e| match e {
                        AdapterError::Schema { path, detail } => AdapterError::Schema {
                            path: format!("{prefix}.{path}"),
                            detail,
                        },
                        other => other,
                    })?;
                    Ok(event)
                },
            ),
        )
    }

    /// The page as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }
}

// === impl ApiError ===

impl ApiError {
    /// Parses an error body.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<ApiError, AdapterError> {
        json::parse(json, limits, MAX_SMALL_BYTES)
    }

    /// The `409` answer to a repeated `externalId`.
    pub fn already_sent(message_id: i64) -> ApiError {
        ApiError {
            reason: "Message already sent".to_owned(),
            validation_errors: None,
            message_id: Some(message_id),
        }
    }

    /// The answer for an adapter error, in Suomi.fi's format: the reason
    /// is the error's stable code, the validation error its message (which
    /// names the JSON path and never echoes secrets).
    pub fn from_error(error: &AdapterError) -> ApiError {
        ApiError {
            reason: error.code().to_owned(),
            validation_errors: Some(vec![ValidationError {
                error: error.to_string(),
                error_code: None,
            }]),
            message_id: None,
        }
    }

    /// The documented codes among the validation errors.
    pub fn codes(&self) -> Vec<ErrorCode> {
        self.validation_errors
            .iter()
            .flatten()
            .filter_map(|e| e.error_code.as_deref())
            .filter_map(ErrorCode::from_str_exact)
            .collect()
    }

    /// The body as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // These shapes hold strings, integers, UUIDs and JSON values only.
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests;
