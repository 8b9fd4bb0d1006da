//! MeMo ("Meddelelsesmodel"), the message format of Danish Digital Post.
//!
//! [`Memo`] decodes MeMo 1.0, 1.1 and 1.2 (whichever its `memoVersion`
//! says) and encodes the version it was built for, which the gateway takes
//! from the receiving system's configuration (Digital Post lets each
//! system choose 1.1 or 1.2).

use borderpost_core::{
    Adapter, AdapterError, DecodeContext, EncodeContext, Encoded, Message, Protocol, Receipt,
    Recipient, Wire,
};

mod decode;
mod encode;
pub(crate) mod ext;
pub mod xsd;

pub use encode::MEDIA_TYPE;
pub(crate) use encode::{format_date, format_utc};
pub use ext::FAMILY as EXTENSION_FAMILY;

/// `dk-memo-1.1`: MeMo 1.1 out, any MeMo in.
pub const PROTOCOL_1_1: Protocol = Protocol("dk-memo-1.1");
/// `dk-memo-1.2`: MeMo 1.2 out, any MeMo in.
pub const PROTOCOL_1_2: Protocol = Protocol("dk-memo-1.2");

/// The MeMo version an adapter writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemoVersion {
    /// MeMo 1.1 (`memoVersion="1.1" memoSchVersion="1.1.0"`), the version
    /// with a published XSD.
    V1_1,
    /// MeMo 1.2 (`memoVersion="1.2"`, in production since March 2025).
    V1_2,
}

/// The MeMo adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memo {
    version: MemoVersion,
}

impl Memo {
    /// An adapter that writes `version` (and reads every version).
    pub fn new(version: MemoVersion) -> Memo {
        Memo { version }
    }

    /// The version it writes.
    pub fn version(&self) -> MemoVersion {
        self.version
    }
}

impl Adapter for Memo {
    fn protocol(&self) -> Protocol {
        match self.version {
            MemoVersion::V1_1 => PROTOCOL_1_1,
            MemoVersion::V1_2 => PROTOCOL_1_2,
        }
    }

    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        ctx.limits.check_body(wire)?;
        decode::decode(wire.body(), ctx)
    }

    /// `messageUUID` is a `memoUuidType`: version 4 only.
    fn accepts_message_id(&self, id: uuid::Uuid) -> bool {
        crate::schema::is_uuid4(&id.hyphenated().to_string())
    }

    fn encode(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        encode::encode(self.version, message, to, ctx)
    }

    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        ctx.limits.check_body(wire)?;
        crate::receipt::decode(wire.body(), ctx)
    }

    fn encode_receipt(
        &self,
        receipt: &Receipt,
        original: &Message,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        crate::receipt::encode(receipt, original, ctx)
    }
}
