//! Which of Suomi.fi's three sending endpoints a copy takes.
//!
//! The canonical `channel` decides, as the gateway's other routes do:
//!
//! | channel | the recipient has | route |
//! |---|---|---|
//! | `digital-only` | a HETU or Business ID | electronic (`POST /v2/messages/electronic`) |
//! | `digital-else-print` | a Finnish id and a postal address | multichannel (`POST /v2/messages`): Suomi.fi prints if there is no active mailbox |
//! | `digital-else-print` | a Finnish id, no address (or nothing printable) | electronic; the print fallback is a declared loss |
//! | `digital-else-print` | an address, no Finnish id | paper mail without id: no Finnish mailbox can be found without an id |
//! | `print-only` | a postal address | paper mail without id (`POST /v2/paper-mail-without-id`) |
//!
//! Posti prints one PDF, so print needs a PDF among the documents.
//! Anything else cannot be sent through Suomi.fi.

use std::fmt;

use borderpost_core::{AdapterError, Channel, Message, PartyId, Recipient, Scheme};

use crate::attachments::{PRINTABLE_MEDIA_TYPE, essence};

/// A sending endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    /// `POST /v2/messages`: electronic, or paper if there is no mailbox.
    Multichannel,
    /// `POST /v2/messages/electronic`: electronic only.
    Electronic,
    /// `POST /v2/paper-mail-without-id`: paper only, by address.
    PaperMailWithoutId,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 3] = [
        Route::Multichannel,
        Route::Electronic,
        Route::PaperMailWithoutId,
    ];

    /// The path the body is posted to.
    pub fn path(self) -> &'static str {
        match self {
            Route::Multichannel => "/v2/messages",
            Route::Electronic => "/v2/messages/electronic",
            Route::PaperMailWithoutId => "/v2/paper-mail-without-id",
        }
    }

    /// The route posted to at `path`.
    pub fn from_path(path: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.path() == path)
    }

    /// Whether the body has an electronic part.
    pub fn is_electronic(self) -> bool {
        !matches!(self, Route::PaperMailWithoutId)
    }

    /// Whether the body has a paper part.
    pub fn is_paper(self) -> bool {
        !matches!(self, Route::Electronic)
    }

    /// The canonical channel a message sent this way has.
    pub fn channel(self) -> Channel {
        match self {
            Route::Multichannel => Channel::DigitalElsePrint,
            Route::Electronic => Channel::DigitalOnly,
            Route::PaperMailWithoutId => Channel::PrintOnly,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "POST {}", self.path())
    }
}

/// The route `message`'s copy for `to` takes (see the module's table).
/// The gateway posts the encoded body to this route's path.
pub fn route(message: &Message, to: &Recipient) -> Result<Route, AdapterError> {
    let finnish = finnish_id(to).is_some();
    let printable = to.address.is_some()
        && message
            .documents
            .iter()
            .any(|d| essence(&d.media_type) == PRINTABLE_MEDIA_TYPE);
    let no_print = || {
        if to.address.is_none() {
            AdapterError::Recipient {
                detail: format!("print needs a postal address; {to} has none"),
            }
        } else {
            AdapterError::BusinessRule {
                rule: "fi.paper-pdf",
                detail: "Suomi.fi paper mail prints one PDF, and the message has none".to_owned(),
            }
        }
    };
    match (message.channel, finnish, printable) {
        (Channel::PrintOnly, _, true) => Ok(Route::PaperMailWithoutId),
        (Channel::PrintOnly, _, false) => Err(no_print()),
        (Channel::DigitalOnly, true, _) => Ok(Route::Electronic),
        (Channel::DigitalElsePrint, true, true) => Ok(Route::Multichannel),
        (Channel::DigitalElsePrint, true, false) => Ok(Route::Electronic),
        (Channel::DigitalElsePrint, false, true) => Ok(Route::PaperMailWithoutId),
        (Channel::DigitalElsePrint, false, false) if to.address.is_some() => Err(no_print()),
        (Channel::DigitalOnly | Channel::DigitalElsePrint, false, _) => {
            Err(AdapterError::Recipient {
                detail: format!(
                    "Suomi.fi addresses mailboxes by HETU (fi-hetu) or Business ID (fi-ytunnus); {to} has neither"
                ),
            })
        }
    }
}

/// The recipient's Finnish identifier as Suomi.fi writes it: a HETU as
/// normalised (`131052-308T`), a Business ID as `NNNNNNN-T` (also from
/// its ISO 6523 forms `0212:`, `0213:`, `0216:`).
pub fn finnish_id(to: &Recipient) -> Option<PartyId> {
    let id = to.id.as_ref()?.national();
    matches!(id.scheme(), Scheme::FiHetu | Scheme::FiYtunnus).then_some(id)
}

#[cfg(test)]
mod tests {
    use borderpost_core::PostalAddress;

    use super::*;

    fn recipient(id: Option<&str>, address: bool) -> Recipient {
        Recipient {
            id: id.map(|s| s.parse().unwrap()),
            name: Some("Maija Meikäläinen".to_owned()),
            address: address.then(|| PostalAddress {
                lines: vec!["Mannerheimintie 1".to_owned()],
                postcode: Some("00100".to_owned()),
                city: Some("Helsinki".to_owned()),
                country: "FI".to_owned(),
            }),
            postbox: None,
        }
    }

    fn message(channel: Channel) -> Message {
        let json = format!(
            r#"{{"id":"8c2ea15d-61fb-4ba9-9366-42f8b194c114","sender":{{"id":"fi-ytunnus:0245437-2"}},
            "recipients":[{{"id":"fi-hetu:131052-308T"}}],"subject":"s","channel":"{}",
            "documents":[{{"filename":"a.pdf","media_type":"application/pdf","content":""}}]}}"#,
            match channel {
                Channel::DigitalOnly => "digital-only",
                Channel::DigitalElsePrint => "digital-else-print",
                Channel::PrintOnly => "print-only",
            }
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn the_channel_decides() {
        use Route::*;
        let hetu = Some("fi-hetu:131052-308T");
        let ytunnus = Some("iso6523:0216:00370245437200001");
        let danish = Some("dk-cpr:0707614285");
        let cases = [
            (Channel::DigitalOnly, hetu, false, Some(Electronic)),
            (Channel::DigitalOnly, ytunnus, true, Some(Electronic)),
            (Channel::DigitalOnly, danish, true, None),
            (Channel::DigitalOnly, None, true, None),
            (Channel::DigitalElsePrint, hetu, true, Some(Multichannel)),
            (Channel::DigitalElsePrint, hetu, false, Some(Electronic)),
            (
                Channel::DigitalElsePrint,
                danish,
                true,
                Some(PaperMailWithoutId),
            ),
            (
                Channel::DigitalElsePrint,
                None,
                true,
                Some(PaperMailWithoutId),
            ),
            (Channel::DigitalElsePrint, danish, false, None),
            (Channel::PrintOnly, hetu, true, Some(PaperMailWithoutId)),
            (Channel::PrintOnly, hetu, false, None),
        ];
        for (channel, id, address, expected) in cases {
            let got = route(&message(channel), &recipient(id, address));
            match expected {
                Some(r) => assert_eq!(got.unwrap(), r, "{channel:?} {id:?} {address}"),
                None => assert_eq!(
                    got.unwrap_err().code(),
                    "recipient-unaddressable",
                    "{channel:?} {id:?} {address}"
                ),
            }
        }
    }

    #[test]
    fn print_needs_a_pdf() {
        let mut m = message(Channel::DigitalElsePrint);
        m.documents[0].media_type = "image/png".to_owned();
        let hetu = Some("fi-hetu:131052-308T");
        assert_eq!(
            route(&m, &recipient(hetu, true)).unwrap(),
            Route::Electronic
        );
        assert_eq!(
            route(&m, &recipient(None, true)).unwrap_err().code(),
            "business-rule"
        );
        m.channel = Channel::PrintOnly;
        assert_eq!(
            route(&m, &recipient(hetu, true)).unwrap_err().code(),
            "business-rule"
        );
        assert_eq!(
            route(&m, &recipient(hetu, false)).unwrap_err().code(),
            "recipient-unaddressable"
        );
    }

    #[test]
    fn paths_both_ways() {
        for r in Route::ALL {
            assert_eq!(Route::from_path(r.path()), Some(r));
            assert_eq!(r.channel() == Channel::PrintOnly, !r.is_electronic());
            assert_eq!(r.channel() == Channel::DigitalOnly, !r.is_paper());
        }
        assert_eq!(Route::from_path("/v2/messages/"), None);
        assert_eq!(
            finnish_id(&recipient(Some("iso6523:0212:0245437-2"), false))
                .unwrap()
                .to_string(),
            "fi-ytunnus:0245437-2"
        );
    }
}
