use super::*;

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn token_both_ways_and_never_printed() {
    let request = TokenRequest::parse(
        br#"{"username":"borderpost","password":"s3cret!"}"#,
        &limits(),
    )
    .unwrap();
    assert_eq!(request.username, "borderpost");
    assert!(!format!("{request:?}").contains("s3cret"));
    assert!(TokenRequest::parse(br#"{"username":"u","password":"p","otp":1}"#, &limits()).is_err());

    let response = TokenResponse::parse(
        br#"{"access_token":"eyJ.abc","token_type":"Bearer","expires_in":3600,"extra":true}"#,
        &limits(),
    )
    .unwrap();
    assert_eq!(response.authorization(), "Bearer eyJ.abc");
    assert_eq!(response.expires_in, Some(3600));
    assert!(!format!("{response:?}").contains("eyJ.abc"));
    assert!(
        TokenResponse::parse(br#"{"access_token":"","token_type":"Bearer"}"#, &limits()).is_err()
    );
    assert!(TokenResponse::parse(br#"{"token_type":"Bearer"}"#, &limits()).is_err());

    let change = ChangePasswordRequest::parse(
        br#"{"accessToken":"t","currentPassword":"old","newPassword":"new"}"#,
        &limits(),
    )
    .unwrap();
    assert!(!format!("{change:?}").contains("old"));
}

#[test]
fn mailbox_checks_hold_one_to_ten_thousand_ids() {
    assert_eq!(MAX_MAILBOX_IDS, 10_000);
    let ids = |n: usize| (0..n).map(|_| "131052-308T".to_owned());
    let full = MailboxesActiveRequest::new(ids(MAX_MAILBOX_IDS)).unwrap();
    let json = full.to_json();
    assert_eq!(
        MailboxesActiveRequest::parse(&json, &limits()).unwrap(),
        full
    );
    assert_eq!(
        MailboxesActiveRequest::new(ids(MAX_MAILBOX_IDS + 1))
            .unwrap_err()
            .code(),
        "too-large"
    );
    let over = MailboxesActiveRequest {
        end_users: ids(MAX_MAILBOX_IDS + 1)
            .map(|id| EndUserId { id })
            .collect(),
    };
    assert_eq!(
        MailboxesActiveRequest::parse(&over.to_json(), &limits())
            .unwrap_err()
            .code(),
        "too-large"
    );
    assert_eq!(
        MailboxesActiveRequest::new(ids(0)).unwrap_err().code(),
        "schema"
    );
    let e = MailboxesActiveRequest::new(["12345678".to_owned()]).unwrap_err();
    assert!(e.to_string().contains("endUsers[0].id"), "{e}");
    assert!(
        MailboxesActiveRequest::parse(br#"{"endUsers":[{"id":"0245437-2"}],"x":1}"#, &limits())
            .is_err()
    );

    let answer = MailboxesActiveResponse::parse(
        br#"{"endUsersWithActiveMailbox":[{"id":"0245437-2"}]}"#,
        &limits(),
    )
    .unwrap();
    assert!(answer.is_active("0245437-2") && !answer.is_active("131052-308T"));
}

#[test]
fn upload_and_send_answers() {
    let upload = AttachmentResponse::parse(
        br#"{"attachmentId":"0f8fad5b-d9cb-469f-a165-70867728950e"}"#,
        &limits(),
    )
    .unwrap();
    assert_eq!(
        upload.attachment_id,
        Uuid::parse_str("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap()
    );
    assert!(AttachmentResponse::parse(br#"{"attachmentId":"nope"}"#, &limits()).is_err());
    let sent = MessageResponse::parse(br#"{"messageId":1234567890123}"#, &limits()).unwrap();
    assert_eq!(sent.message_id, 1_234_567_890_123);
    assert!(MessageResponse::parse(br#"{"messageId":"12"}"#, &limits()).is_err());
    assert_eq!(message_path(42), "/v2/messages/42");
    assert_eq!(
        attachment_path(upload.attachment_id),
        "/v1/attachments/0f8fad5b-d9cb-469f-a165-70867728950e"
    );
}

#[test]
fn events_pages_read_each_event_on_its_own() {
    let json = br#"{"continuationToken":"abc","events":[
        {"type":"Electronic message read","eventTime":"2025-06-01T10:00:00.123+03:00",
         "metadata":{"messageId":7,"serviceId":"borderpost","externalId":"x-1","new":1}},
        {"type":"Electronic message archived","eventTime":"2025-06-01T10:00:00Z",
         "metadata":{"messageId":8,"serviceId":"borderpost"}},
        {"type":"Receipt confirmed","eventTime":"2025-06-01T10:00:00Z",
         "metadata":{"messageId":9,"serviceId":"borderpost"}}
    ]}"#;
    let page = EventsPage::parse(json, &limits()).unwrap();
    assert_eq!(page.continuation_token, "abc");
    assert!(!page.is_caught_up());
    let first = page.event(0).unwrap().unwrap();
    assert_eq!(first.metadata.external_id.as_deref(), Some("x-1"));
    let unknown = page.event(1).unwrap().unwrap_err();
    assert!(unknown.to_string().contains("events[1].type"), "{unknown}");
    let incomplete = page.event(2).unwrap().unwrap_err();
    assert!(
        incomplete
            .to_string()
            .contains("events[2].metadata.receiptConfirmedBy"),
        "{incomplete}"
    );
    assert!(page.event(3).is_none());
    let again = Event::parse(page.event_json(0).unwrap().as_bytes(), &limits()).unwrap();
    assert_eq!(again, first);

    let empty =
        EventsPage::parse(br#"{"continuationToken":"abc","events":[]}"#, &limits()).unwrap();
    assert!(empty.is_caught_up());
    assert!(EventsPage::parse(br#"{"events":[]}"#, &limits()).is_err());
    assert!(EventsPage::parse(br#"{"continuationToken":"a","events":[1]}"#, &limits()).is_err());

    let many: Vec<Event> = (0..=MAX_EVENTS_PER_PAGE).map(|_| first.clone()).collect();
    assert_eq!(
        EventsPage::new("t".to_owned(), &many).unwrap_err().code(),
        "too-large"
    );
    let page = EventsPage::new("t".to_owned(), &many[..MAX_EVENTS_PER_PAGE]).unwrap();
    assert_eq!(EventsPage::parse(&page.to_json(), &limits()).unwrap(), page);
    let over = EventsPage {
        continuation_token: "t".to_owned(),
        events: vec![page.events[0].clone(); MAX_EVENTS_PER_PAGE + 1],
    };
    assert_eq!(
        EventsPage::parse(&over.to_json(), &limits())
            .unwrap_err()
            .code(),
        "too-large"
    );
}

#[test]
fn error_bodies() {
    let duplicate = ApiError::parse(
        br#"{"reason":"Message already sent","messageId":12}"#,
        &limits(),
    )
    .unwrap();
    assert_eq!(duplicate, ApiError::already_sent(12));
    let invalid = ApiError::parse(
        br#"{"reason":"Bad request","validationErrors":[{"error":"not active","errorCode":"MAILBOX_NOT_IN_USE"},{"error":"x","errorCode":"SOMETHING_NEW"},{"error":"y"}]}"#,
        &limits(),
    )
    .unwrap();
    assert_eq!(invalid.codes(), [ErrorCode::MailboxNotInUse]);
    let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        all,
        [
            "MAILBOX_NOT_IN_USE",
            "MESSAGE_BEING_REPLIED_TO_NOT_FOUND",
            "SERVICE_NOT_ACTIVE",
            "SYSTEM_NOT_ACTIVE"
        ]
    );
    let ours = ApiError::from_error(&AdapterError::schema(
        "electronic.title",
        "must not be empty",
    ));
    assert_eq!(ours.reason, "schema");
    assert!(
        String::from_utf8(ours.to_json())
            .unwrap()
            .contains("electronic.title")
    );
    assert!(ApiError::parse(br#"{"validationErrors":[]}"#, &limits()).is_err());
}

#[test]
fn hostile_bodies_are_bounded() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for parse in [
        |b: &[u8]| EventsPage::parse(b, &Limits::default()).map(drop),
        |b: &[u8]| TokenResponse::parse(b, &Limits::default()).map(drop),
        |b: &[u8]| MailboxesActiveRequest::parse(b, &Limits::default()).map(drop),
        |b: &[u8]| ApiError::parse(b, &Limits::default()).map(drop),
    ] {
        assert_eq!(parse(deep.as_bytes()).unwrap_err().code(), "too-deep");
        assert_eq!(parse(&[0xff, b'{', b'}']).unwrap_err().code(), "encoding");
    }
    let huge = format!(r#"{{"reason":"{}"}}"#, "x".repeat(100_000));
    assert_eq!(
        ApiError::parse(huge.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "too-large"
    );
}
