#![no_main]

//! Mina meddelanden deliveries on arbitrary bytes: `MinaMeddelanden::decode`
//! (SOAP unwrapping, normal form, both signatures, chains to the example
//! Swedish CA) and `decode_unverified` (the v3 schema rules, identifiers,
//! checksums, the mapping). Whatever reads as content must encode again,
//! signed and sealed with the example keys, and that must verify: errors
//! are fine, panics and runaway memory are not.

use std::sync::OnceLock;

use borderpost_core::{Adapter, DecodeContext, EncodeContext, Wire};
use borderpost_se::delivery::SupportInfo;
use borderpost_se::{MinaMeddelanden, SeConfig, SenderProfile, SigningKey};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    adapter: MinaMeddelanden,
    sender: SigningKey,
    sealer: SigningKey,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ca = openssl::x509::X509::from_pem(include_bytes!("../../certs-example/ca-se.crt"))
            .and_then(|c| c.to_der())
            .unwrap_or_default();
        let sender = SigningKey::from_pem(
            include_bytes!("../../certs-example/sender-se.crt"),
            include_bytes!("../../certs-example/sender-se.key"),
        );
        let sealer = SigningKey::from_pem(
            include_bytes!("../../certs-example/postbox-se.crt"),
            include_bytes!("../../certs-example/postbox-se.key"),
        );
        let (Ok(sender), Ok(sealer)) = (sender, sealer) else {
            panic!("the example Swedish keys do not load");
        };
        let config = SeConfig {
            senders: vec![SenderProfile {
                sender: "se-orgnr:2021004748".parse().unwrap_or_else(|_| panic!("id")),
                registered_as: None,
                name: None,
                support_info: Some(SupportInfo {
                    text: "fuzz".to_owned(),
                    url: None,
                    phone_number: None,
                    email: None,
                }),
            }],
            trust_anchors: vec![ca],
            ..SeConfig::default()
        };
        Fixture {
            adapter: MinaMeddelanden::new(config),
            sender,
            sealer,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let at = time::macros::datetime!(2026-01-15 10:00 UTC);
    let ctx = DecodeContext::new(at, uuid::Uuid::from_u128(1));
    let wire = Wire::single(data);
    let _ = f.adapter.decode(&wire, &ctx);
    if let Ok(message) = f.adapter.decode_unverified(&wire, &ctx)
        && let Some(to) = message.recipients.first()
    {
        let mut encode = EncodeContext::new(at, message.id);
        encode.signer = Some(&f.sender);
        encode.sealer = Some(&f.sealer);
        if let Ok(encoded) = f.adapter.encode(&message, to, &encode)
            && message.sender.id.to_string() == "se-orgnr:2021004748"
        {
            assert!(f.adapter.decode(&encoded.as_wire(), &ctx).is_ok());
        }
    }
});
