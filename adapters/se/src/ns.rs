//! The namespaces of Mina meddelanden v3 (`protocols/se/NOTES.md` §1.3).
//!
//! A delivery mixes them element by element: `elementFormDefault` is
//! `qualified` everywhere and v3 reuses v1 and v2 types, so each element
//! is in the namespace of the schema that declares it, not of its parent.

/// `http://minameddelanden.gov.se/schema/Message` (v1): `MessageBody`,
/// `Attachment`, `Seal`, `MetaData` children.
pub const M1: &str = "http://minameddelanden.gov.se/schema/Message";
/// `…/Message/v2`: the children of `SecureDeliveryHeader`.
pub const M2: &str = "http://minameddelanden.gov.se/schema/Message/v2";
/// `…/Message/v3`: `SealedDelivery`, `SignedDelivery`, `Delivery`,
/// `Message` and the message header.
pub const M3: &str = "http://minameddelanden.gov.se/schema/Message/v3";
/// `…/Sender`: `Sender/Id`, `Name`, `Attention`.
pub const SENDER: &str = "http://minameddelanden.gov.se/schema/Sender";
/// `…/Recipient`: reachability and account types.
pub const RECIPIENT: &str = "http://minameddelanden.gov.se/schema/Recipient";
/// `…/Recipient/v3`: the `isReachable` operation.
pub const RECIPIENT_V3: &str = "http://minameddelanden.gov.se/schema/Recipient/v3";
/// `…/OfficialMatter/v3`: the children of `OfficialMatterExtension`.
pub const OFFICIAL_MATTER: &str = "http://minameddelanden.gov.se/schema/OfficialMatter/v3";
/// `…/Service`: `DeliveryResult` and its children.
pub const SERVICE: &str = "http://minameddelanden.gov.se/schema/Service";
/// `…/Service/v3`: the `deliverSecure` operation.
pub const SERVICE_V3: &str = "http://minameddelanden.gov.se/schema/Service/v3";
/// `…/Common/v3`: `applicationFault`.
pub const COMMON_V3: &str = "http://minameddelanden.gov.se/schema/Common/v3";
/// `…/Receipt`: receipts and `ReceiptOptions`.
pub const RECEIPT: &str = "http://minameddelanden.gov.se/schema/Receipt";
/// XML-DSig.
pub const DS: &str = borderpost_core::xml::dsig::DS_NS;
/// SOAP 1.1 envelope.
pub const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
