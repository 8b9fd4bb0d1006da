//! The SOAP wire: the sample answers decode, what Borderpost writes reads
//! back and is valid against the official schemas, faults are classified,
//! deliverability follows FaR's answer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

mod common;

use borderpost_core::xml::XmlLimits;
use borderpost_se::transport::{
    self, AccountStatus, AccountType, Answer, ApplicationFault, Deliverability, DeliveryResult,
    DeliveryStatus, Fault, FaultClass, ReachabilityStatus, ServiceSupplier, Unreachable,
};
use common::*;
use time::macros::date;

const TODAY: time::Date = date!(2026 - 01 - 15);

fn limits() -> XmlLimits {
    XmlLimits::default()
}

/// The body payload of a SOAP message Borderpost wrote, as a document.
fn payload(envelope: &str, name: &str) -> Vec<u8> {
    let root = borderpost_core::xml::parse(envelope.as_bytes(), &limits()).unwrap();
    let body = root.elements().next().unwrap();
    let p = body.elements().next().unwrap();
    assert_eq!(p.name, name);
    // Re-serialise the payload with the envelope's declarations in scope.
    let start = envelope
        .find(&format!("<{}", qualified(envelope, name)))
        .unwrap();
    let end = envelope.rfind("</soap:Body>").unwrap();
    let root = envelope.find("<soap:Envelope").unwrap();
    let declarations: String = envelope[root..root + envelope[root..].find('>').unwrap()]
        .split(' ')
        .filter(|a| a.starts_with("xmlns:"))
        .map(|a| format!(" {a}"))
        .collect();
    let fragment = &envelope[start..end];
    let close = fragment.find('>').unwrap();
    format!(
        "{}{}{}",
        &fragment[..close],
        declarations,
        &fragment[close..]
    )
    .into_bytes()
}

fn qualified(envelope: &str, name: &str) -> String {
    for prefix in ["rcp3", "svc3"] {
        if envelope.contains(&format!("<{prefix}:{name}")) {
            return format!("{prefix}:{name}");
        }
    }
    panic!("{name} not in {envelope}")
}

#[test]
fn the_sample_delivery_result_decodes() {
    let Answer::Ok(result) = transport::read_deliver_secure_response(
        &sample("samples/deliverSecureResponse.xml"),
        &limits(),
    )
    .unwrap() else {
        panic!("not a result")
    };
    assert_eq!(result.trans_id, "3832352f-fa74-4c17-ab6a-a6e3ab8324f3");
    assert_eq!(result.statuses.len(), 1);
    assert!(result.statuses[0].delivered);
    assert_eq!(result.statuses[0].recipient_id, "192301010168");
    // The XSD pattern passes it, the national rule does not: mock data.
    let err = result.statuses[0].recipient(TODAY).unwrap_err();
    assert_eq!(err.code(), "invalid-identifier");
    assert!(err.to_string().contains("check digit should be 7"), "{err}");
}

#[test]
fn the_sample_reachability_answers_decode_and_decide() {
    let Answer::Ok(multi) = transport::read_is_reachable_response(
        &sample("samples/isReachableResponse-multi.xml"),
        &limits(),
    )
    .unwrap() else {
        panic!("not a result")
    };
    assert_eq!(multi.len(), 3);
    let decisions: Vec<Deliverability> = multi.iter().map(transport::deliverability).collect();
    assert_eq!(
        decisions[0],
        Deliverability::Deliver {
            service_address: "https://mm.kivra.com/service/v3".to_owned(),
            supplier_id: "165568402266".to_owned(),
            supplier_name: "Kivra".to_owned(),
        }
    );
    assert_eq!(
        decisions[1],
        Deliverability::Not(Unreachable::SenderNotAccepted)
    );
    assert_eq!(decisions[2], Deliverability::Not(Unreachable::NoMailbox));
    // These ids pass Luhn.
    for status in &multi {
        status.account_status.recipient(TODAY).unwrap();
    }
    assert_eq!(
        multi[0]
            .account_status
            .service_supplier
            .as_ref()
            .unwrap()
            .internal_service_address,
        ""
    );

    let Answer::Ok(single) = transport::read_is_reachable_response(
        &sample("samples/isReachableResponse-single.xml"),
        &limits(),
    )
    .unwrap() else {
        panic!("not a result")
    };
    assert_eq!(single[0].account_status.kind, AccountType::Secure);
    // The mock id 192301010168 fails Luhn.
    assert_eq!(
        single[0]
            .account_status
            .recipient(TODAY)
            .unwrap_err()
            .code(),
        "invalid-identifier"
    );
}

#[test]
fn another_operations_answer_is_refused() {
    let err = transport::read_is_reachable_response(
        &sample("samples/isRegisteredResponse.xml"),
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "schema");
    let err = transport::read_deliver_secure_response(
        &sample("samples/isReachableResponse-multi.xml"),
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "schema");
}

fn kivra() -> ServiceSupplier {
    ServiceSupplier {
        id: "165568402266".to_owned(),
        name: "Kivra".to_owned(),
        logo: None,
        service_address: "https://mm.kivra.example/service/v3".to_owned(),
        ui_address: Some("https://www.kivra.example".to_owned()),
        internal_service_address: String::new(),
    }
}

fn status(
    kind: AccountType,
    accepted: bool,
    supplier: Option<ServiceSupplier>,
) -> ReachabilityStatus {
    ReachabilityStatus {
        account_status: AccountStatus {
            recipient_id: "198112189876".to_owned(),
            kind,
            pending: false,
            service_supplier: supplier,
            last_registration: Some("2016-10-30T15:38:49.517+01:00".to_owned()),
        },
        sender_accepted: accepted,
        last_sender_accept_change: None,
    }
}

#[test]
fn deliver_only_to_secure_accepting_accounts_with_an_address() {
    use Deliverability::Not;
    assert!(matches!(
        transport::deliverability(&status(AccountType::Secure, true, Some(kivra()))),
        Deliverability::Deliver { .. }
    ));
    assert_eq!(
        transport::deliverability(&status(AccountType::Anonymous, true, Some(kivra()))),
        Not(Unreachable::Anonymous)
    );
    assert_eq!(
        transport::deliverability(&status(AccountType::Secure, false, Some(kivra()))),
        Not(Unreachable::SenderNotAccepted)
    );
    assert_eq!(
        transport::deliverability(&status(AccountType::Secure, true, None)),
        Not(Unreachable::NoServiceAddress)
    );
    let mut empty = kivra();
    empty.service_address = " ".to_owned();
    assert_eq!(
        transport::deliverability(&status(AccountType::Secure, true, Some(empty))),
        Not(Unreachable::NoServiceAddress)
    );
    assert_eq!(
        transport::deliverability(&status(AccountType::Not, true, None)),
        Not(Unreachable::NoMailbox)
    );
}

#[test]
fn is_reachable_round_trips_and_is_schema_valid() {
    let sender = party("se-orgnr:2021004748");
    let recipients = vec![party("se-pnr:198112189876"), party("se-pnr:701063-2391")];
    let request = transport::is_reachable_request(&sender, &recipients).unwrap();
    xmllint(
        &protocols().join("contracts-v3/schema/v3/Recipient.xsd"),
        &payload(&request, "isReachable"),
    )
    .unwrap_or_else(|e| panic!("{e}\n{request}"));
    let query = transport::read_is_reachable_request(request.as_bytes(), &limits(), TODAY).unwrap();
    assert_eq!(query.sender, sender);
    assert_eq!(query.recipients, recipients);

    let statuses = vec![
        status(AccountType::Secure, true, Some(kivra())),
        status(AccountType::Not, false, None),
    ];
    let response = transport::is_reachable_response(&statuses).unwrap();
    xmllint(
        &protocols().join("contracts-v3/schema/v3/Recipient.xsd"),
        &payload(&response, "isReachableResponse"),
    )
    .unwrap_or_else(|e| panic!("{e}\n{response}"));
    let Answer::Ok(back) =
        transport::read_is_reachable_response(response.as_bytes(), &limits()).unwrap()
    else {
        panic!("not a result")
    };
    assert_eq!(back, statuses);
}

#[test]
fn at_most_1000_recipients_per_lookup() {
    let sender = party("se-orgnr:2021004748");
    let one = party("se-pnr:198112189876");
    let recipients = vec![one; transport::MAX_RECIPIENTS_PER_LOOKUP];
    transport::is_reachable_request(&sender, &recipients).unwrap();
    let mut over = recipients.clone();
    over.push(party("se-pnr:198112189876"));
    assert_eq!(
        transport::is_reachable_request(&sender, &over)
            .unwrap_err()
            .code(),
        "too-large"
    );
    // Nor is a sender without a Swedish organisationsnummer asked about.
    assert_eq!(
        transport::is_reachable_request(&party("dk-cvr:55133018"), &[])
            .unwrap_err()
            .code(),
        "schema"
    );
}

#[test]
fn delivery_results_round_trip_and_are_schema_valid() {
    let result = DeliveryResult {
        trans_id: "3832352f-fa74-4c17-ab6a-a6e3ab8324f3".to_owned(),
        statuses: vec![DeliveryStatus {
            recipient_id: "198112189876".to_owned(),
            delivered: true,
        }],
    };
    let response = transport::deliver_secure_response(&result).unwrap();
    xmllint(
        &protocols().join("contracts-v3/schema/v3/Service.xsd"),
        &payload(&response, "deliverSecureResponse"),
    )
    .unwrap_or_else(|e| panic!("{e}\n{response}"));
    assert_eq!(
        transport::read_deliver_secure_response(response.as_bytes(), &limits()).unwrap(),
        Answer::Ok(result)
    );
}

fn application_fault(code: u16) -> Fault {
    Fault {
        code: "Server".to_owned(),
        string: "Recipient not registered".to_owned(),
        application: Some(ApplicationFault {
            error_code: code,
            description: "Recipient not registered".to_owned(),
            call_id: "3832352f-fa74-4c17-ab6a".to_owned(),
        }),
    }
}

#[test]
fn faults_round_trip_and_are_classified() {
    let fault = application_fault(5002);
    let text = transport::fault_response(&fault).unwrap();
    assert_eq!(
        transport::read_deliver_secure_response(text.as_bytes(), &limits()).unwrap(),
        Answer::Fault(fault.clone())
    );
    assert_eq!(
        transport::read_is_reachable_response(text.as_bytes(), &limits()).unwrap(),
        Answer::Fault(fault.clone())
    );
    // Meanings are not public: Server → retry, Client → rejected, and
    // codes the operator configured → rejected.
    assert_eq!(transport::classify_fault(&fault, &[]), FaultClass::Retry);
    assert_eq!(
        transport::classify_fault(&fault, &[5002]),
        FaultClass::Rejected
    );
    let client = Fault {
        code: "Client".to_owned(),
        ..fault.clone()
    };
    assert_eq!(
        transport::classify_fault(&client, &[]),
        FaultClass::Rejected
    );
    let plain = Fault {
        code: "Server".to_owned(),
        string: "busy".to_owned(),
        application: None,
    };
    assert_eq!(
        transport::classify_fault(&plain, &[5002]),
        FaultClass::Retry
    );
}

#[test]
fn a_fault_with_any_prefix_is_read() {
    let text = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>S:Client</faultcode><faultstring>bad</faultstring><detail><x:applicationFault xmlns:x="http://minameddelanden.gov.se/schema/Common/v3"><x:ErrorCode>5000</x:ErrorCode><x:Description>Invalid message</x:Description><x:CallId>0123456789abcdefghij</x:CallId></x:applicationFault></detail></S:Fault></S:Body></S:Envelope>"#;
    let Answer::Fault(fault) =
        transport::read_deliver_secure_response(text.as_bytes(), &limits()).unwrap()
    else {
        panic!("not a fault")
    };
    assert_eq!(fault.code, "Client");
    assert_eq!(fault.application.as_ref().unwrap().error_code, 5000);
    // A CallId outside 20–50 characters is not the schema's.
    let short = text.replace("0123456789abcdefghij", "short");
    assert_eq!(
        transport::read_deliver_secure_response(short.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "schema"
    );
    let zero = text.replace(">5000<", ">0<");
    assert_eq!(
        transport::read_deliver_secure_response(zero.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "schema"
    );
}

#[test]
fn answers_are_pre_screened_before_serde_xml_rs_sees_them() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x>&b;</x></soap:Body></soap:Envelope>"#;
    assert_eq!(
        transport::read_deliver_secure_response(bomb.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "forbidden-construct"
    );
    // Unknown elements are refused, not ignored.
    let extra = transport::deliver_secure_response(&DeliveryResult {
        trans_id: "t".to_owned(),
        statuses: vec![DeliveryStatus {
            recipient_id: "198112189876".to_owned(),
            delivered: false,
        }],
    })
    .unwrap()
    .replace("</svc:TransId>", "</svc:TransId><svc:Extra>1</svc:Extra>");
    assert_eq!(
        transport::read_deliver_secure_response(extra.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "schema"
    );
    // An element of another namespace under a known prefix name is refused.
    let other_ns = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><a:deliverSecureResponse xmlns:a="http://minameddelanden.gov.se/schema/Service/v3"><a:return><b:TransId xmlns:b="urn:evil">t</b:TransId><c:Status xmlns:c="http://minameddelanden.gov.se/schema/Service"><c:RecipientId>198112189876</c:RecipientId><c:Delivered>true</c:Delivered></c:Status></a:return></a:deliverSecureResponse></soap:Body></soap:Envelope>"#;
    assert_eq!(
        transport::read_deliver_secure_response(other_ns.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "schema"
    );
    // A header entry that must be understood is not ignored.
    let header = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><h:Security xmlns:h="urn:x" soap:mustUnderstand="1"/></soap:Header><soap:Body/></soap:Envelope>"#;
    assert_eq!(
        transport::read_deliver_secure_response(header.as_bytes(), &limits())
            .unwrap_err()
            .code(),
        "unsupported"
    );
}
