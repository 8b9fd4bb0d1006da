//! The `fi-suomifi` extension: what a Suomi.fi request holds that the
//! canonical model has no field for, kept so that Finland → Borderpost →
//! Finland loses nothing.
//!
//! Only values that differ from what the encoder writes by default are
//! kept, so a message that never was Finnish gains no extension on a
//! round trip, and a Finnish one comes back exactly. The extension can
//! also arrive from a canonical-JSON sender, so on encode it is read
//! strictly and every value checked again, never pasted.

use borderpost_core::{AdapterError, Message};
use serde::{Deserialize, Serialize};

use crate::json;
use crate::wire::{
    Address, CustomisedNotification, MessageServiceType, Reminder, SenderDetailsInNotifications,
    Visibility,
};

/// The extension family key.
pub const FAMILY: &str = "fi-suomifi";

/// Print settings the encoder writes unless the extension says otherwise.
pub(crate) const DEFAULT_COLOR_PRINTING: bool = false;
/// An address page makes any PDF printable: Borderpost cannot know where a
/// foreign sender's PDF puts the address.
pub(crate) const DEFAULT_CREATE_ADDRESS_PAGE: bool = true;
pub(crate) const DEFAULT_TWO_SIDED_PRINTING: bool = false;
pub(crate) const DEFAULT_ROTATE_LANDSCAPE_PAGES: bool = false;

/// The `fi-suomifi` extension, as JSON (DVV's field names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FiExtension {
    /// `externalId` as the sender wrote it (the canonical `id` is it when
    /// it is a UUID). Always kept on decode: a Finnish sender polling its
    /// events finds its message by it, and it marks the message as
    /// Finnish. The encoder writes the copy's id instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) external_id: Option<String>,
    /// `sender.serviceId`, when it is not the first service configured
    /// for the sender's organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) service_id: Option<String>,
    /// `electronic.visibility` when `Recipient only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) visibility: Option<Visibility>,
    /// `electronic.notifications.senderDetailsInNotifications` when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sender_details_in_notifications: Option<SenderDetailsInNotifications>,
    /// `electronic.notifications.unreadMessageNotification.reminder` when
    /// `No reminders`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reminder: Option<Reminder>,
    /// `customisedNewMessageNotification` when it is not the one the
    /// canonical `subject` and `notification` make (the same text in all
    /// three languages, titled with the subject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) customised_new_message_notification: Option<CustomisedNotification>,
    /// `paperMail.messageServiceType` when it differs from the electronic
    /// part's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) paper_message_service_type: Option<MessageServiceType>,
    /// `paperMail.colorPrinting` when not the default (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) color_printing: Option<bool>,
    /// `paperMail.createAddressPage` when not the default (`true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) create_address_page: Option<bool>,
    /// `paperMail.twoSidedPrinting` when not the default (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) two_sided_printing: Option<bool>,
    /// `paperMail.rotateLandscapePages` when not the default (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rotate_landscape_pages: Option<bool>,
    /// `paperMail.sender.address`, when it is not the configured return
    /// address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) return_address: Option<Address>,
    /// Which of `documents` is the printed PDF, when it is not the first
    /// PDF (after the body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) printed_document: Option<usize>,
    /// The printed document is printed only, not attached to the
    /// electronic part.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) print_only: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl FiExtension {
    /// The message's extension, read strictly; the default if it has none.
    pub(crate) fn of(message: &Message) -> Result<FiExtension, AdapterError> {
        let Some(value) = message.extensions.get(FAMILY) else {
            return Ok(FiExtension::default());
        };
        let prefix = format!("extensions.{FAMILY}");
        let ext: FiExtension = json::from_value(value.clone(), &prefix)?;
        if let Some(id) = &ext.external_id {
            json::text(&format!("{prefix}.externalId"), id, 1, 256)?;
        }
        if let Some(id) = &ext.service_id {
            json::text(&format!("{prefix}.serviceId"), id, 1, 64)?;
        }
        if let Some(custom) = &ext.customised_new_message_notification {
            custom.validate(&format!("{prefix}.customisedNewMessageNotification"))?;
        }
        if let Some(address) = &ext.return_address {
            address.validate(&format!("{prefix}.returnAddress"))?;
        }
        Ok(ext)
    }

    /// The extension as JSON.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        // Strings, booleans, integers and enums always serialise.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use borderpost_core::Extensions;

    use super::*;

    fn with(value: serde_json::Value) -> Message {
        let mut m: Message = serde_json::from_str(
            r#"{"sender":{"id":"fi-ytunnus:0245437-2"},"recipients":[{"id":"fi-hetu:131052-308T"}],"subject":"s"}"#,
        )
        .unwrap();
        let mut ext = Extensions::default();
        ext.insert(FAMILY, value);
        m.extensions = ext;
        m
    }

    #[test]
    fn read_strictly_with_paths() {
        let ok = FiExtension::of(&with(serde_json::json!({
            "visibility": "Recipient only", "reminder": "No reminders", "printOnly": true
        })))
        .unwrap();
        assert_eq!(ok.visibility, Some(Visibility::RecipientOnly));
        assert!(ok.print_only);
        assert_eq!(
            FiExtension::of(&ok_message_roundtrip(&ok)).unwrap(),
            ok,
            "to_json reads back"
        );
        for (bad, path) in [
            (serde_json::json!({"visibility": "Everyone"}), "visibility"),
            (serde_json::json!({"colour": true}), "colour"),
            (serde_json::json!({"serviceId": ""}), "serviceId"),
            (
                serde_json::json!({"returnAddress": {"name":"n","streetAddress":"s","zipCode":"1","city":"c","countryCode":"ZZ"}}),
                "returnAddress.countryCode",
            ),
            (
                serde_json::json!({"customisedNewMessageNotification": {"title":{"fi":"","sv":"s","en":"e"},"content":{"fi":"","sv":"","en":""}}}),
                "customisedNewMessageNotification.title.fi",
            ),
        ] {
            let e = FiExtension::of(&with(bad)).unwrap_err();
            assert_eq!(e.code(), "schema");
            assert!(
                e.to_string()
                    .contains(&format!("extensions.fi-suomifi.{path}")),
                "{e}"
            );
        }
    }

    fn ok_message_roundtrip(ext: &FiExtension) -> Message {
        with(ext.to_json())
    }
}
