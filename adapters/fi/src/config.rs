//! What a Suomi.fi adapter knows that a message does not: which service
//! ids belong to which organisation, and the Posti agreement paper mail
//! is printed under.

use std::fmt;

use borderpost_core::{AdapterError, PartyId, PostalAddress};

use crate::wire::{ContactDetails, PostiMessaging, PrintingAndEnvelopingService};

/// Settings of a [`crate::SuomiFi`] adapter.
///
/// A Suomi.fi request names its sender only by `sender.serviceId`, the id
/// DVV assigns to an organisation's service at onboarding. `services` says
/// which organisation each id belongs to: decoding maps a Finnish sender's
/// service id to the canonical `sender.id` (which the gateway then checks
/// against the client certificate), and encoding picks the service of the
/// message's sender, or `default_service_id` (Borderpost's own service,
/// for senders without one: Suomi.fi then shows that service's
/// organisation as the sender, a declared loss).
#[derive(Clone, Default)]
pub struct FiConfig {
    /// Service ids and the organisations they belong to. The first service
    /// of an organisation is the one its messages are sent with.
    pub services: Vec<Service>,
    /// The service to send with when the sender has none of its own.
    pub default_service_id: Option<String>,
    /// The Posti agreement paper mail is printed under. Without it the
    /// multichannel and paper routes fail with `missing-configuration`.
    pub printing: Option<Printing>,
}

/// A Suomi.fi service and its organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service id DVV assigned (`sender.serviceId`, 1–64 characters).
    pub service_id: String,
    /// The organisation that owns it.
    pub organisation: PartyId,
    /// The organisation's name as Suomi.fi shows it (the canonical
    /// `sender.name` of what it sends).
    pub name: Option<String>,
}

/// Borderpost's agreement with Posti for printing, enveloping and
/// delivery. These are Borderpost's credentials, written into every paper
/// part it sends; a Finnish sender's own credentials are never kept.
#[derive(Clone, PartialEq, Eq)]
pub struct Printing {
    /// The Posti Messaging account (6 characters).
    pub username: String,
    /// Its password (4 characters).
    pub password: String,
    /// Who Posti contacts (`contactDetails.email`).
    pub contact_email: String,
    /// The account's cost pool (`[A-Z0-9]{1,15}`), if any.
    pub cost_pool: Option<String>,
    /// Where letters come back to when the message does not say
    /// (`extensions.fi-suomifi.returnAddress`).
    pub return_address: ReturnAddress,
    /// Whether the agreement includes verifiable (signed-for) paper mail,
    /// which Posti configures separately and charges extra for. Without
    /// it, a message that asks for a receipt is printed as a normal letter
    /// (a declared loss).
    pub verifiable: bool,
}

/// A return address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnAddress {
    /// The name on the envelope.
    pub name: String,
    /// The address (one or two lines, postcode and city required).
    pub address: PostalAddress,
}

// === impl FiConfig ===

impl FiConfig {
    /// The service with id `service_id`.
    pub fn service(&self, service_id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.service_id == service_id)
    }

    /// The service `organisation` sends with (its first), if it has one.
    pub fn service_of(&self, organisation: &PartyId) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.organisation.same_party(organisation))
    }

    /// The printing agreement, or `missing-configuration`.
    pub(crate) fn printing(&self) -> Result<&Printing, AdapterError> {
        self.printing.as_ref().ok_or(AdapterError::Missing {
            what: "the Suomi.fi printing agreement (Posti credentials and return address)",
        })
    }
}

impl fmt::Debug for FiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FiConfig")
            .field("services", &self.services)
            .field("default_service_id", &self.default_service_id)
            .field("printing", &self.printing)
            .finish()
    }
}

// === impl Printing ===

impl Printing {
    /// The `printingAndEnvelopingService` of every paper part, checked.
    pub(crate) fn service(&self) -> Result<PrintingAndEnvelopingService, AdapterError> {
        let service = PrintingAndEnvelopingService {
            posti_messaging: PostiMessaging {
                contact_details: ContactDetails {
                    email: self.contact_email.clone(),
                },
                username: self.username.clone(),
                password: self.password.clone(),
            },
            cost_pool: self.cost_pool.clone(),
        };
        // A malformed agreement is the operator's to fix, not the sender's.
        service
            .validate("printing")
            .map_err(|_| AdapterError::Missing {
                what: "a valid Suomi.fi printing agreement (username 6, password 4 characters, an e-mail, cost pool A-Z0-9)",
            })?;
        Ok(service)
    }
}

impl fmt::Debug for Printing {
    // The password is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Printing")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("contact_email", &self.contact_email)
            .field("cost_pool", &self.cost_pool)
            .field("return_address", &self.return_address)
            .field("verifiable", &self.verifiable)
            .finish()
    }
}
