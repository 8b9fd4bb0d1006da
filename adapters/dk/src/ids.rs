//! MeMo's `idType` ↔ Borderpost's identifier schemes.
//!
//! | MeMo `idType` | `idTypeLabel` | Borderpost |
//! |---|---|---|
//! | `CPR` | — | `dk-cpr` |
//! | `CVR` | — | `dk-cvr` (and, on output, `iso6523` with ICD 0184/0198) |
//! | `Andet` | a Borderpost scheme name (`no-fnr`, `se-orgnr`, `iso6523`, …) | that scheme |
//!
//! `Andet` ("other") with a label is how MeMo names identifiers outside
//! CPR/CVR; Borderpost uses its own scheme names as labels, which is how a
//! Danish sender addresses, say, a Norwegian citizen through Borderpost.
//! Every identifier is validated by its national rule: a CVR whose check
//! digit is wrong is refused, not carried.

use borderpost_core::{AdapterError, PartyId, Scheme};

/// `idType` for CPR numbers.
pub const CPR: &str = "CPR";
/// `idType` for CVR numbers.
pub const CVR: &str = "CVR";
/// `idType` for any other identifier, named by `idTypeLabel`.
pub const OTHER: &str = "Andet";

/// Which party an identifier names, for the error variant and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Sender,
    Representative,
    Recipient,
}

/// The `PartyId` for a MeMo identifier. `path` is the id element's path.
pub(crate) fn decode(
    role: Role,
    raw: &str,
    id_type: &str,
    label: Option<&str>,
    today: time::Date,
    path: &str,
) -> Result<PartyId, AdapterError> {
    let scheme = match (id_type, label) {
        (CPR, _) => Scheme::DkCpr,
        (CVR, _) => Scheme::DkCvr,
        (OTHER, Some(label)) => label.trim().parse::<Scheme>().map_err(|_| {
            unknown(
                role,
                path,
                format!(
                    "idType Andet with idTypeLabel {:?}: Borderpost reads Andet only with one of its scheme names as the label (dk-cpr, dk-cvr, no-fnr, no-orgnr, se-pnr, se-orgnr, fi-hetu, fi-ytunnus, iso6523)",
                    crate::schema::truncate(label, 40)
                ),
            )
        })?,
        (OTHER, None) => {
            return Err(unknown(
                role,
                path,
                "idType Andet needs an idTypeLabel naming the identifier scheme".to_owned(),
            ));
        }
        (other, _) => {
            return Err(unknown(
                role,
                path,
                format!(
                    "unknown idType {:?}; MeMo uses CPR, CVR or Andet",
                    crate::schema::truncate(other, 40)
                ),
            ));
        }
    };
    PartyId::parse_on(scheme, raw, today).map_err(|error| AdapterError::InvalidId {
        path: path.to_owned(),
        error,
    })
}

fn unknown(role: Role, path: &str, detail: String) -> AdapterError {
    match role {
        Role::Recipient => AdapterError::Recipient {
            detail: format!("{path}: {detail}"),
        },
        Role::Sender | Role::Representative => AdapterError::schema(path, detail),
    }
}

/// The MeMo `(id, idType, idTypeLabel)` for `id`.
pub(crate) fn encode(id: &PartyId) -> (String, &'static str, Option<&'static str>) {
    let national = id.national();
    match national.scheme() {
        Scheme::DkCpr => (national.value().to_owned(), CPR, None),
        Scheme::DkCvr => (national.value().to_owned(), CVR, None),
        _ => (id.value().to_owned(), OTHER, Some(id.scheme().as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::macros::date!(2026 - 01 - 01)
    }

    #[test]
    fn both_ways() {
        for (qualified, memo) in [
            ("dk-cpr:2211771212", ("2211771212", CPR, None)),
            ("dk-cvr:55133018", ("55133018", CVR, None)),
            ("iso6523:0184:55133018", ("55133018", CVR, None)),
            ("no-fnr:31129956715", ("31129956715", OTHER, Some("no-fnr"))),
            (
                "iso6523:0192:991825827",
                ("0192:991825827", OTHER, Some("iso6523")),
            ),
        ] {
            let id: PartyId = qualified.parse().unwrap();
            let (value, id_type, label) = encode(&id);
            assert_eq!((value.as_str(), id_type, label), memo, "{qualified}");
            let back = decode(Role::Recipient, &value, id_type, label, today(), "p").unwrap();
            assert!(back.same_party(&id), "{qualified}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let e = decode(Role::Sender, "12345678", CVR, None, today(), "p").unwrap_err();
        assert_eq!(e.code(), "invalid-identifier");
        assert!(e.to_string().contains("check digit should be 4"), "{e}");
        let e = decode(Role::Recipient, "1", "MyndighedsID", None, today(), "p").unwrap_err();
        assert_eq!(e.code(), "recipient-unaddressable");
        let e = decode(Role::Sender, "1", OTHER, Some("eID"), today(), "p").unwrap_err();
        assert_eq!(e.code(), "schema");
        let e = decode(Role::Recipient, "1", OTHER, None, today(), "p").unwrap_err();
        assert_eq!(e.code(), "recipient-unaddressable");
    }
}
