//! ISO 6523 organisation identifiers, `ICD:value`.
//!
//! The ICDs of the national business registers Borderpost knows are validated
//! as the national number they carry (ISO 6523 ICD list / Peppol code list):
//!
//! | ICD | register | value |
//! |---|---|---|
//! | 0184 | Denmark, CVR (DIGSTORG) | 8-digit CVR |
//! | 0198 | Denmark, VAT (ERSTORG) | `DK` + CVR |
//! | 0192 | Norway, Enhetsregisteret | 9-digit organisasjonsnummer |
//! | 9908 | Norway, Enhetsregisteret (legacy, SDP) | 9-digit organisasjonsnummer |
//! | 0007 | Sweden, organisationsnummer | 10 digits |
//! | 0212 | Finland, Business ID (Y-tunnus) | `NNNNNNN-T` |
//! | 0213 | Finland, VAT | `FI` + Y-tunnus digits |
//! | 0216 | Finland, OVT code | `0037` + Y-tunnus digits + optional suffix |
//!
//! Other ICDs are accepted with a syntax check only: Borderpost cannot verify
//! what it does not know, and does not route on them.

use super::{IdError, Scheme, dk, fi, no, require_digits, se, truncate};
use crate::id::Country;

/// An ISO 6523 International Code Designator Borderpost validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Icd {
    /// 0184: Danish CVR number.
    DkCvr,
    /// 0198: Danish VAT number (`DK` + CVR).
    DkVat,
    /// 0192: Norwegian organisasjonsnummer.
    NoOrgnr,
    /// 9908: Norwegian organisasjonsnummer, the ICD legacy SDP uses.
    NoOrgnrLegacy,
    /// 0007: Swedish organisationsnummer.
    SeOrgnr,
    /// 0212: Finnish Business ID (Y-tunnus).
    FiOrganisation,
    /// 0213: Finnish VAT number (`FI` + Y-tunnus digits).
    FiVat,
    /// 0216: Finnish OVT code (`0037` + Y-tunnus digits + suffix).
    FiOvt,
}

impl Icd {
    const ALL: [Icd; 8] = [
        Icd::DkCvr,
        Icd::DkVat,
        Icd::NoOrgnr,
        Icd::NoOrgnrLegacy,
        Icd::SeOrgnr,
        Icd::FiOrganisation,
        Icd::FiVat,
        Icd::FiOvt,
    ];

    /// The four-digit code.
    pub fn code(self) -> &'static str {
        match self {
            Icd::DkCvr => "0184",
            Icd::DkVat => "0198",
            Icd::NoOrgnr => "0192",
            Icd::NoOrgnrLegacy => "9908",
            Icd::SeOrgnr => "0007",
            Icd::FiOrganisation => "0212",
            Icd::FiVat => "0213",
            Icd::FiOvt => "0216",
        }
    }

    /// The ICD with this four-digit code, if Borderpost knows it.
    pub fn from_code(code: &str) -> Option<Icd> {
        Icd::ALL.into_iter().find(|icd| icd.code() == code)
    }

    /// The country of the register.
    pub fn country(self) -> Option<Country> {
        Some(match self {
            Icd::DkCvr | Icd::DkVat => Country::Dk,
            Icd::NoOrgnr | Icd::NoOrgnrLegacy => Country::No,
            Icd::SeOrgnr => Country::Se,
            Icd::FiOrganisation | Icd::FiVat | Icd::FiOvt => Country::Fi,
        })
    }
}

/// Parses and normalises `ICD:value`.
pub(super) fn parse(raw: &str) -> Result<String, IdError> {
    let Some((icd, value)) = raw.split_once(':') else {
        return Err(IdError::Format(format!(
            "{:?} is not of the form ICD:value (for example 0192:991825827)",
            truncate(raw, 40)
        )));
    };
    require_digits(icd, 4, "a four-digit ICD before ':'")?;
    let value = value.trim();
    match Icd::from_code(icd) {
        Some(known) => {
            let (_, national) = validate_national(known, value)?;
            Ok(format!("{icd}:{}", icd_value(known, value, &national)))
        }
        None => {
            if value.is_empty() || value.len() > 35 {
                return Err(IdError::Format(
                    "the value after the ICD must be 1 to 35 characters".to_owned(),
                ));
            }
            if let Some((position, found)) = value
                .chars()
                .enumerate()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
            {
                return Err(IdError::Character {
                    position: position + 6,
                    found,
                    expected: "a letter, digit, '-', '.' or '_'",
                });
            }
            Ok(format!("{icd}:{value}"))
        }
    }
}

/// Validates a known ICD's value, returning the national scheme and the
/// national normalised number.
fn validate_national(icd: Icd, value: &str) -> Result<(Scheme, String), IdError> {
    let upper = value.to_ascii_uppercase();
    Ok(match icd {
        Icd::DkCvr => (Scheme::DkCvr, dk::cvr(value)?),
        Icd::DkVat => (Scheme::DkCvr, dk::cvr(strip_prefix(&upper, "DK")?)?),
        Icd::NoOrgnr | Icd::NoOrgnrLegacy => (Scheme::NoOrgnr, no::orgnr(value)?),
        Icd::SeOrgnr => (Scheme::SeOrgnr, se::orgnr(value)?),
        Icd::FiOrganisation => (Scheme::FiYtunnus, fi::ytunnus(value)?),
        Icd::FiVat => (Scheme::FiYtunnus, fi::ytunnus(strip_prefix(&upper, "FI")?)?),
        Icd::FiOvt => {
            let rest = strip_prefix(&upper, "0037")?;
            if rest.len() < 8 || rest.len() > 13 || !rest.is_char_boundary(8) {
                return Err(IdError::Format(
                    "an OVT code is 0037, the 8 Business ID digits and at most 5 more characters"
                        .to_owned(),
                ));
            }
            (Scheme::FiYtunnus, fi::ytunnus(&rest[..8])?)
        }
    })
}

/// The value in the form the ICD uses, from the validated national number.
fn icd_value(icd: Icd, raw: &str, national: &str) -> String {
    match icd {
        Icd::DkVat => format!("DK{national}"),
        Icd::FiVat => format!("FI{}", national.replace('-', "")),
        // An OVT code is the Business ID digits plus a free suffix: keep it.
        Icd::FiOvt => raw.to_ascii_uppercase(),
        _ => national.to_owned(),
    }
}

fn strip_prefix<'a>(value: &'a str, prefix: &'static str) -> Result<&'a str, IdError> {
    value
        .strip_prefix(prefix)
        .ok_or_else(|| IdError::Format(format!("the value must start with {prefix}")))
}

/// The national scheme and number inside a normalised value of a known ICD.
/// `None` if the value does not validate (it always does for a `PartyId`).
pub(super) fn national_value(icd: Icd, value: &str) -> Option<(Scheme, String)> {
    validate_national(icd, value).ok()
}
