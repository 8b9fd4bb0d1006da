//! The id each recipient's copy of a message carries on the wire, by a rule
//! a sender can compute.
//!
//! National systems know a message by one id per copy (MeMo's
//! `messageUUID`, DPI's `instanceIdentifier`), and that id is what their
//! receipts and status lists name. Borderpost fixes it once, when the
//! message is journaled, so every retry carries the same id:
//!
//! - **One recipient:** the message's own id, when the destination
//!   protocol can carry it. A MeMo relayed to Digital Post keeps its
//!   `messageUUID`; a message to one Norwegian recipient has the sender's
//!   id as its DPI `instanceIdentifier` (and ConversationId).
//! - **Several recipients** (or a message id the destination cannot carry,
//!   such as a UUIDv7 for MeMo, which takes version 4 only): the UUIDv5 of
//!   `"{message id}/{recipient}"` in the [`NAMESPACE`], where the message
//!   id is in lower-case hyphenated form and the recipient is written as in
//!   the status view (`dk-cpr:0707614285`, `postbox:no:…`, `address:DK`);
//!   a recipient written like an earlier one of the same message (possible
//!   only without an identifier) gets `#{index}` appended, its zero-based
//!   position in `recipients`.
//! - A destination that takes only version-4 UUIDs (MeMo) gets that UUIDv5
//!   with its version digit set to 4 ([`as_version_4`]): the same 122 bits.
//!
//! Should the id a copy would get already name a copy of another sender's
//! message on the same route (two senders used the same message id), it
//! gets [`sender_scoped`] instead, so neither sender's receipts reach the
//! other: the UUIDv5 of `"{sender}/{message id}/{recipient}"`, the sender in
//! its national form (`dk-cvr:55133018`). `GET /v1/messages/{id}` shows each
//! copy's id as `upstream_id`.

use uuid::Uuid;

use crate::model::Recipient;

/// Borderpost's namespace for the UUIDv5 ids of copies:
/// `e2bab4f9-fd6e-437f-ac50-55d608a6a7f1`.
pub const NAMESPACE: Uuid = Uuid::from_u128(0xe2ba_b4f9_fd6e_437f_ac50_55d6_08a6_a7f1);

/// The id the copy of a message for `recipients[index]` carries upstream:
/// the message id for a message with one recipient, else the derived
/// UUIDv5, in a form `accepts` takes (see the module docs).
pub fn upstream_id(
    message_id: Uuid,
    recipients: &[Recipient],
    index: usize,
    accepts: impl Fn(Uuid) -> bool,
) -> Uuid {
    if recipients.len() == 1 && accepts(message_id) {
        return message_id;
    }
    fitted(
        derived(&format!(
            "{}/{}",
            message_id.hyphenated(),
            recipient_name(recipients, index)
        )),
        accepts,
    )
}

/// The id a copy gets when [`upstream_id`] already names a copy of another
/// sender's message on the same route: the UUIDv5 of
/// `"{sender}/{message id}/{recipient}"`, in a form `accepts` takes.
/// `sender` is the sender's identifier in its national form.
pub fn sender_scoped(
    sender: &str,
    message_id: Uuid,
    recipients: &[Recipient],
    index: usize,
    accepts: impl Fn(Uuid) -> bool,
) -> Uuid {
    fitted(
        derived(&format!(
            "{sender}/{}/{}",
            message_id.hyphenated(),
            recipient_name(recipients, index)
        )),
        accepts,
    )
}

/// The UUIDv5 of `name` in the [`NAMESPACE`].
pub fn derived(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// `id` with its version digit set to 4, for protocols that take only
/// version-4 UUIDs (MeMo's `memoUuidType`). The variant bits of a UUIDv5
/// are already RFC 4122's, so nothing else changes.
pub fn as_version_4(id: Uuid) -> Uuid {
    let mut bytes = *id.as_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    Uuid::from_bytes(bytes)
}

/// How `recipients[index]` is named in its copy's derived id.
fn recipient_name(recipients: &[Recipient], index: usize) -> String {
    let Some(recipient) = recipients.get(index) else {
        return format!("#{index}");
    };
    let name = recipient.to_string();
    let repeated = recipients[..index]
        .iter()
        .any(|earlier| earlier.to_string() == name);
    if repeated {
        format!("{name}#{index}")
    } else {
        name
    }
}

fn fitted(id: Uuid, accepts: impl Fn(Uuid) -> bool) -> Uuid {
    if accepts(id) { id } else { as_version_4(id) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PostalAddress;

    fn recipient(id: &str) -> Recipient {
        Recipient::with_id(id.parse().unwrap())
    }

    fn any(_: Uuid) -> bool {
        true
    }

    fn v4_only(id: Uuid) -> bool {
        id.get_version_num() == 4
    }

    const MESSAGE: Uuid = Uuid::from_u128(0x8c2e_a15d_61fb_4ba9_9366_42f8_b194_c114);

    #[test]
    fn one_recipient_keeps_the_message_id_where_the_protocol_takes_it() {
        let one = [recipient("dk-cpr:0707614285")];
        assert_eq!(upstream_id(MESSAGE, &one, 0, any), MESSAGE);
        assert_eq!(upstream_id(MESSAGE, &one, 0, v4_only), MESSAGE);
        // A UUIDv7 cannot be a MeMo messageUUID: the derived id, as v4.
        let v7 = Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        let id = upstream_id(v7, &one, 0, v4_only);
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(
            id,
            as_version_4(derived(
                "01890a5d-ac96-774b-bcce-b302099a8057/dk-cpr:0707614285"
            ))
        );
    }

    #[test]
    fn several_recipients_get_the_published_uuidv5() {
        let two = [
            recipient("dk-cpr:0707614285"),
            recipient("no-fnr:31129956715"),
        ];
        // Computed independently: Python's
        // uuid.uuid5(uuid.UUID("e2bab4f9-fd6e-437f-ac50-55d608a6a7f1"),
        //            "8c2ea15d-61fb-4ba9-9366-42f8b194c114/no-fnr:31129956715")
        assert_eq!(
            upstream_id(MESSAGE, &two, 1, any).to_string(),
            "8a545430-f785-5b92-a99d-b43f2f9b9b58"
        );
        let dk = upstream_id(MESSAGE, &two, 0, v4_only);
        let plain = upstream_id(MESSAGE, &two, 0, any);
        assert_eq!(plain.to_string(), "3a3fcac1-a1fa-5723-877c-6d21acd132fd");
        // For MeMo: the same bits, version digit 4.
        assert_eq!(dk.to_string(), "3a3fcac1-a1fa-4723-877c-6d21acd132fd");
        assert_ne!(upstream_id(MESSAGE, &two, 1, any), plain);
    }

    #[test]
    fn recipients_without_an_identifier_are_told_apart() {
        let address = || Recipient {
            id: None,
            name: None,
            address: Some(PostalAddress {
                lines: vec!["Bakketoppen 6".to_owned()],
                postcode: Some("9000".to_owned()),
                city: Some("Aalborg".to_owned()),
                country: "DK".to_owned(),
            }),
            postbox: None,
        };
        let both = [address(), address()];
        let first = upstream_id(MESSAGE, &both, 0, any);
        let second = upstream_id(MESSAGE, &both, 1, any);
        assert_ne!(first, second);
        assert_eq!(
            second,
            derived("8c2ea15d-61fb-4ba9-9366-42f8b194c114/address:DK#1")
        );
    }

    #[test]
    fn a_taken_id_gives_way_to_one_scoped_by_the_sender() {
        let one = [recipient("dk-cpr:0707614285")];
        let scoped = sender_scoped("dk-cvr:55133018", MESSAGE, &one, 0, v4_only);
        assert_ne!(scoped, MESSAGE);
        assert_eq!(
            scoped,
            as_version_4(derived(
                "dk-cvr:55133018/8c2ea15d-61fb-4ba9-9366-42f8b194c114/dk-cpr:0707614285"
            ))
        );
    }
}
