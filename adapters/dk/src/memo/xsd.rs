//! The MeMo schema, transcribed from the official v1.1 XSD
//! (`protocols/dk/memo-1.1/xsd/MeMo_core.xsd` and its imports), with the
//! differences of 1.0 and 1.2 marked per element.
//!
//! No 1.0 or 1.2 XSD is public. What differs is taken from the official
//! examples and Digst's change notes (`protocols/dk/NOTES.md` §1.2):
//!
//! - 1.0: the document ids are all called `documentID`;
//!   `ForwardData/originalMessageDateTime` did not exist yet (optional here).
//! - 1.2: `mandatory` and `legalNotification` are optional,
//!   `Sender/Representative` and `ForwardData/originalRepresentative` are new.

use crate::schema::{
    Content, Decl, Particle, Simple, UNBOUNDED, V1_0, V1_1, V1_2, leaf, many, one, opt, seq,
};

/// `https://DigitalPost.dk/MeMo-1`: MeMo core.
pub const MEMO: &str = "https://DigitalPost.dk/MeMo-1";
/// `https://data.gov.dk/model/core/`: addresses, CPR/CVR data, EID, …
pub const GRD: &str = "https://data.gov.dk/model/core/";
/// GS1 global location numbers.
pub const GLN: &str =
    "https://www.gs1.dk/gs1-standarder/identifikation/gln-global-location-number/";
/// Danmarks Statistik's education codes.
pub const UDD: &str = "https://www.dst.dk/da/TilSalg/Forskningsservice/Dokumentation/hoejkvalitetsvariable/elevregister-2/udd#";
/// FORM (the public task key).
pub const FORM: &str = "http://www.form-online.dk/";
/// KLE (the municipal classification).
pub const KLE: &str = "http://kle-online.dk/";
/// The Danish motor register.
pub const DMV: &str = "https://motorregister.skat.dk/";
/// SOR (the health-care organisation register).
pub const SOR: &str = "https://services.nsi.dk/en/Services/SOR";

/// The prefixes Borderpost writes, as MeMo-lib declares them on the root.
pub const PREFIXES: [(&str, &str); 8] = [
    ("memo", MEMO),
    ("grd", GRD),
    ("gln", GLN),
    ("udd", UDD),
    ("form", FORM),
    ("kle", KLE),
    ("dmv", DMV),
    ("sor", SOR),
];

/// `memoTextType`.
pub(crate) const TEXT: Simple = Simple::Text { min: 0, max: 256 };
/// `memoCommentType`.
const COMMENT: Simple = Simple::Text { min: 0, max: 512 };
/// `memoNotificationType`.
pub(crate) const NOTIFICATION: Simple = Simple::Text { min: 0, max: 150 };
/// `memoUriType` (`xs:anyURI`, at most 256 characters).
const URI: Simple = Simple::Text { min: 0, max: 256 };
/// `memoLicenseNumberType`.
const LICENSE: Simple = Simple::Text { min: 0, max: 7 };
/// `memoGLNType`: `xs:long` ≤ 9999999999999.
const GLN_NUMBER: Simple = Simple::Integer {
    min: i64::MIN,
    max: 9_999_999_999_999,
};
/// `memoPNumberType`: `xs:long` ≤ 9999999999.
const P_NUMBER: Simple = Simple::Integer {
    min: i64::MIN,
    max: 9_999_999_999,
};
/// `memoMessageType`.
const MESSAGE_TYPE: Simple = Simple::Enum(&["DIGITALPOST", "NEMSMS"]);

// === grd, gln, udd, form, kle, dmv, sor ===

static ADDRESS_POINT: Decl = seq!(
    GRD,
    "AddressPoint",
    [
        opt(leaf!(GRD, "geographicEastingMeasure", TEXT)),
        opt(leaf!(GRD, "geographicNorthingMeasure", TEXT)),
        opt(leaf!(GRD, "geographicHeightMeasure", TEXT)),
    ]
);
static ADDRESS: Decl = seq!(
    GRD,
    "Address",
    [
        opt(leaf!(GRD, "id", TEXT)),
        opt(leaf!(GRD, "addressLabel", TEXT)),
        opt(leaf!(GRD, "houseNumber", TEXT)),
        opt(leaf!(GRD, "door", TEXT)),
        opt(leaf!(GRD, "floor", TEXT)),
        opt(leaf!(GRD, "co", TEXT)),
        opt(leaf!(GRD, "zipCode", TEXT)),
        opt(leaf!(GRD, "city", TEXT)),
        opt(leaf!(GRD, "country", TEXT)),
        opt(&ADDRESS_POINT),
    ]
);
static UNSTRUCTURED_ADDRESS: Decl = seq!(
    GRD,
    "UnstructuredAddress",
    [one(leaf!(GRD, "unstructured", TEXT))]
);
static CPR_DATA: Decl = seq!(
    GRD,
    "CPRdata",
    [
        one(leaf!(GRD, "cprNumber", TEXT)),
        opt(leaf!(GRD, "name", TEXT))
    ]
);
static CVR_DATA: Decl = seq!(
    GRD,
    "CVRdata",
    [
        one(leaf!(GRD, "cvrNumber", TEXT)),
        opt(leaf!(GRD, "companyName", TEXT)),
    ]
);
static EID: Decl = seq!(
    GRD,
    "EID",
    [one(leaf!(GRD, "eID", TEXT)), opt(leaf!(GRD, "label", TEXT))]
);
static PRODUCTION_UNIT: Decl = seq!(
    GRD,
    "ProductionUnit",
    [
        one(leaf!(GRD, "productionUnitNumber", P_NUMBER)),
        opt(leaf!(GRD, "productionUnitName", TEXT)),
    ]
);
static SE_NUMBER: Decl = seq!(
    GRD,
    "SEnumber",
    [
        one(leaf!(GRD, "seNumber", TEXT)),
        opt(leaf!(GRD, "companyName", TEXT)),
    ]
);
static PROPERTY_NUMBER: Decl = seq!(
    GRD,
    "PropertyNumber",
    [one(leaf!(GRD, "propertyNumber", TEXT))]
);
static GLOBAL_LOCATION_NUMBER: Decl = seq!(
    GLN,
    "GlobalLocationNumber",
    [
        one(leaf!(GLN, "globalLocationNumber", GLN_NUMBER)),
        opt(leaf!(GLN, "location", TEXT)),
    ]
);
static EDUCATION: Decl = seq!(
    UDD,
    "Education",
    [
        one(leaf!(UDD, "educationCode", TEXT)),
        opt(leaf!(UDD, "educationName", TEXT)),
    ]
);
static FORM_DATA: Decl = seq!(
    FORM,
    "FORMdata",
    [
        one(leaf!(FORM, "taskKey", TEXT)),
        one(leaf!(FORM, "version", TEXT)),
        opt(leaf!(FORM, "activityFacet", TEXT)),
        one(leaf!(FORM, "label", TEXT)),
    ]
);
static KLE_DATA: Decl = seq!(
    KLE,
    "KLEdata",
    [
        one(leaf!(KLE, "subjectKey", TEXT)),
        one(leaf!(KLE, "version", TEXT)),
        opt(leaf!(KLE, "activityFacet", TEXT)),
        one(leaf!(KLE, "label", TEXT)),
    ]
);
static MOTOR_VEHICLE: Decl = seq!(
    DMV,
    "MotorVehicle",
    [
        one(leaf!(DMV, "licenseNumber", LICENSE)),
        opt(leaf!(DMV, "chassisNumber", TEXT)),
    ]
);
static SOR_DATA: Decl = seq!(
    SOR,
    "SORdata",
    [
        one(leaf!(SOR, "sorIdentifier", TEXT)),
        opt(leaf!(SOR, "entryName", TEXT)),
    ]
);

// === memo: parties ===

static ATTENTION_PERSON: Decl = seq!(
    MEMO,
    "AttentionPerson",
    [
        opt(leaf!(MEMO, "personID", TEXT)),
        opt(leaf!(MEMO, "label", TEXT)),
    ]
);
static EMAIL: Decl = seq!(
    MEMO,
    "EMail",
    [
        one(leaf!(MEMO, "emailAddress", TEXT)),
        opt(leaf!(MEMO, "relatedAgent", TEXT)),
    ]
);
static TELEPHONE: Decl = seq!(
    MEMO,
    "Telephone",
    [
        one(leaf!(MEMO, "telephoneNumber", TEXT)),
        opt(leaf!(MEMO, "relatedAgent", TEXT)),
    ]
);
static CONTENT_RESPONSIBLE: Decl = seq!(
    MEMO,
    "ContentResponsible",
    [
        opt(leaf!(MEMO, "contentResponsibleID", TEXT)),
        opt(leaf!(MEMO, "label", TEXT)),
    ]
);
static GENERATING_SYSTEM: Decl = seq!(
    MEMO,
    "GeneratingSystem",
    [
        one(leaf!(MEMO, "generatingSystemID", TEXT)),
        opt(leaf!(MEMO, "label", TEXT)),
    ]
);
/// `AttentionData` (kept verbatim).
pub(crate) static ATTENTION_DATA: Decl = seq!(
    MEMO,
    "AttentionData",
    [
        opt(&ATTENTION_PERSON),
        opt(&PRODUCTION_UNIT),
        opt(&GLOBAL_LOCATION_NUMBER),
        opt(&EMAIL),
        opt(&SE_NUMBER),
        opt(&TELEPHONE),
        opt(&EID),
        opt(&CONTENT_RESPONSIBLE),
        opt(&GENERATING_SYSTEM),
        opt(&SOR_DATA),
        opt(&ADDRESS),
        opt(&UNSTRUCTURED_ADDRESS),
    ]
);
static CONTACT_INFO: Decl = seq!(
    MEMO,
    "ContactInfo",
    [
        one(leaf!(MEMO, "label", TEXT)),
        one(leaf!(MEMO, "value", TEXT)),
    ]
);
/// `ContactPoint` (kept verbatim).
pub(crate) static CONTACT_POINT: Decl = seq!(
    MEMO,
    "ContactPoint",
    [
        opt(leaf!(MEMO, "contactGroup", TEXT)),
        one(leaf!(MEMO, "contactPointID", TEXT)),
        opt(leaf!(MEMO, "label", TEXT)),
        many(&CONTACT_INFO, 0, 2),
    ]
);
/// `Representative` (1.2). Only `representativeID`, `idType` and `label`
/// are attested (the 1.2 example); `idTypeLabel` is accepted by analogy with
/// `Sender`, and `label` is not required since nothing says it is.
static REPRESENTATIVE: Decl = seq!(
    MEMO,
    "Representative",
    [
        one(leaf!(MEMO, "representativeID", TEXT)),
        one(leaf!(MEMO, "idType", TEXT)),
        opt(leaf!(MEMO, "idTypeLabel", TEXT)),
        opt(leaf!(MEMO, "label", TEXT)),
    ]
);
static SENDER: Decl = seq!(
    MEMO,
    "Sender",
    [
        one(leaf!(MEMO, "senderID", TEXT)),
        one(leaf!(MEMO, "idType", TEXT)),
        opt(leaf!(MEMO, "idTypeLabel", TEXT)),
        one(leaf!(MEMO, "label", TEXT)),
        opt(&ATTENTION_DATA),
        opt(&CONTACT_POINT),
        opt(&REPRESENTATIVE).only(V1_2),
    ]
);
static RECIPIENT: Decl = seq!(
    MEMO,
    "Recipient",
    [
        one(leaf!(MEMO, "recipientID", TEXT)),
        one(leaf!(MEMO, "idType", TEXT)),
        opt(leaf!(MEMO, "idTypeLabel", TEXT)),
        opt(leaf!(MEMO, "label", TEXT)),
        opt(&ATTENTION_DATA),
        opt(&CONTACT_POINT),
    ]
);

// === memo: header data ===

/// `CaseID`.
pub(crate) static CASE_ID: Decl = seq!(
    MEMO,
    "CaseID",
    [
        one(leaf!(MEMO, "caseID", TEXT)),
        one(leaf!(MEMO, "caseSystem", TEXT)),
    ]
);
static ADDITIONAL_CONTENT_DATA: Decl = seq!(
    MEMO,
    "AdditionalContentData",
    [
        opt(leaf!(MEMO, "contentDataType", TEXT)),
        one(leaf!(MEMO, "contentDataName", TEXT)),
        one(leaf!(MEMO, "contentDataValue", TEXT)),
    ]
);
/// `ContentData` (kept verbatim).
pub(crate) static CONTENT_DATA: Decl = seq!(
    MEMO,
    "ContentData",
    [
        opt(&CPR_DATA),
        opt(&CVR_DATA),
        opt(&MOTOR_VEHICLE),
        opt(&PROPERTY_NUMBER),
        opt(&CASE_ID),
        opt(&KLE_DATA),
        opt(&FORM_DATA),
        opt(&PRODUCTION_UNIT),
        opt(&EDUCATION),
        opt(&ADDRESS),
        opt(&UNSTRUCTURED_ADDRESS),
        many(&ADDITIONAL_CONTENT_DATA, 0, 10),
    ]
);
/// `ForwardData` (kept verbatim).
pub(crate) static FORWARD_DATA: Decl = seq!(
    MEMO,
    "ForwardData",
    [
        one(leaf!(MEMO, "messageUUID", Simple::Uuid4)),
        one(leaf!(MEMO, "originalMessageDateTime", Simple::DateTimeZ)).optional_in(V1_0),
        one(leaf!(MEMO, "originalSender", TEXT)),
        opt(leaf!(MEMO, "originalContentResponsible", TEXT)),
        opt(leaf!(MEMO, "originalRepresentative", TEXT)).only(V1_2),
        opt(leaf!(MEMO, "contactPointID", TEXT)),
        opt(leaf!(MEMO, "comment", COMMENT)),
    ]
);
static ADDITIONAL_REPLY_DATA: Decl = seq!(
    MEMO,
    "AdditionalReplyData",
    [
        one(leaf!(MEMO, "label", TEXT)),
        one(leaf!(MEMO, "value", TEXT)),
    ]
);
/// `ReplyData` (kept verbatim).
pub(crate) static REPLY_DATA: Decl = seq!(
    MEMO,
    "ReplyData",
    [
        opt(leaf!(MEMO, "messageID", TEXT)),
        one(leaf!(MEMO, "messageUUID", Simple::Uuid4)),
        opt(leaf!(MEMO, "replyUUID", Simple::Uuid4)),
        opt(leaf!(MEMO, "senderID", TEXT)),
        opt(leaf!(MEMO, "recipientID", TEXT)),
        opt(leaf!(MEMO, "caseID", TEXT)),
        opt(leaf!(MEMO, "contactPointID", TEXT)),
        opt(leaf!(MEMO, "generatingSystemID", TEXT)),
        opt(leaf!(MEMO, "comment", COMMENT)),
        many(&ADDITIONAL_REPLY_DATA, 0, 4),
    ]
);
static HEADER: Decl = seq!(
    MEMO,
    "MessageHeader",
    [
        one(leaf!(MEMO, "messageType", MESSAGE_TYPE)),
        one(leaf!(MEMO, "messageUUID", Simple::Uuid4)),
        opt(leaf!(MEMO, "messageID", TEXT)),
        opt(leaf!(MEMO, "messageCode", TEXT)),
        one(leaf!(MEMO, "label", TEXT)),
        opt(leaf!(MEMO, "notification", NOTIFICATION)),
        opt(leaf!(MEMO, "additionalNotification", TEXT)),
        opt(leaf!(MEMO, "reply", Simple::Boolean)),
        opt(leaf!(MEMO, "replyByDateTime", Simple::DateTimeZ)),
        opt(leaf!(MEMO, "doNotDeliverUntilDate", Simple::Date)),
        one(leaf!(MEMO, "mandatory", Simple::Boolean)).optional_in(V1_2),
        one(leaf!(MEMO, "legalNotification", Simple::Boolean)).optional_in(V1_2),
        opt(leaf!(MEMO, "postType", TEXT)),
        one(&SENDER),
        one(&RECIPIENT),
        opt(&CONTENT_DATA),
        opt(&FORWARD_DATA),
        many(&REPLY_DATA, 0, UNBOUNDED),
    ]
);

// === memo: body ===

static FILE: Decl = seq!(
    MEMO,
    "File",
    [
        one(leaf!(MEMO, "encodingFormat", TEXT)),
        one(leaf!(MEMO, "filename", TEXT)),
        one(leaf!(MEMO, "language", Simple::Language)),
        one(leaf!(MEMO, "content", Simple::Base64)),
    ]
);
static RESERVATION: Decl = seq!(
    MEMO,
    "Reservation",
    [
        one(leaf!(MEMO, "description", TEXT)),
        one(leaf!(MEMO, "reservationUUID", Simple::Uuid4)),
        one(leaf!(MEMO, "abstract", TEXT)),
        one(leaf!(MEMO, "location", TEXT)),
        one(leaf!(MEMO, "startDateTime", Simple::DateTimeZ)),
        one(leaf!(MEMO, "endDateTime", Simple::DateTimeZ)),
        opt(leaf!(MEMO, "organizerMail", TEXT)),
        opt(leaf!(MEMO, "organizerName", TEXT)),
    ]
);
static ENTRY_POINT: Decl = seq!(MEMO, "EntryPoint", [one(leaf!(MEMO, "url", URI))]);
/// `Action` (kept verbatim).
pub(crate) static ACTION: Decl = seq!(
    MEMO,
    "Action",
    [
        one(leaf!(MEMO, "label", TEXT)),
        one(leaf!(MEMO, "actionCode", TEXT)),
        opt(leaf!(MEMO, "startDateTime", Simple::DateTimeZ)),
        opt(leaf!(MEMO, "endDateTime", Simple::DateTimeZ)),
        Particle::Choice {
            branches: &[&[opt(&RESERVATION)], &[opt(&ENTRY_POINT)]],
            min: 0,
        },
    ]
);
static MAIN_DOCUMENT: Decl = seq!(
    MEMO,
    "MainDocument",
    [
        opt(leaf!(MEMO, "mainDocumentID", TEXT)).only(V1_1 | V1_2),
        opt(leaf!(MEMO, "documentID", TEXT)).only(V1_0),
        opt(leaf!(MEMO, "label", TEXT)),
        many(&FILE, 1, UNBOUNDED),
        many(&ACTION, 0, UNBOUNDED),
    ]
);
static ADDITIONAL_DOCUMENT: Decl = seq!(
    MEMO,
    "AdditionalDocument",
    [
        opt(leaf!(MEMO, "additionalDocumentID", TEXT)).only(V1_1 | V1_2),
        opt(leaf!(MEMO, "documentID", TEXT)).only(V1_0),
        opt(leaf!(MEMO, "label", TEXT)),
        many(&FILE, 1, UNBOUNDED),
        many(&ACTION, 0, UNBOUNDED),
    ]
);
static TECHNICAL_DOCUMENT: Decl = seq!(
    MEMO,
    "TechnicalDocument",
    [
        opt(leaf!(MEMO, "technicalDocumentID", TEXT)).only(V1_1 | V1_2),
        opt(leaf!(MEMO, "documentID", TEXT)).only(V1_0),
        opt(leaf!(MEMO, "label", TEXT)),
        many(&FILE, 1, UNBOUNDED),
    ]
);
static BODY: Decl = seq!(
    MEMO,
    "MessageBody",
    [
        one(leaf!(MEMO, "createdDateTime", Simple::DateTimeZ)),
        one(&MAIN_DOCUMENT),
        many(&ADDITIONAL_DOCUMENT, 0, UNBOUNDED),
        many(&TECHNICAL_DOCUMENT, 0, UNBOUNDED),
    ]
);

/// The root's content; its attributes are checked by the decoder, which
/// must read `memoVersion` before it knows which schema applies.
pub(crate) static MESSAGE: Decl = Decl {
    ns: MEMO,
    name: "Message",
    content: Content::Sequence(&[one(&HEADER), opt(&BODY)]),
    attrs: &[],
};

/// The deepest a valid MeMo document nests (Message / MessageHeader /
/// Sender / AttentionData / grd:Address / AddressPoint / leaf = 7), with
/// room to spare; anything deeper is refused while parsing.
pub(crate) const MAX_DEPTH: usize = 12;
