//! Organisation identifiers as certificates carry them.
//!
//! eIDAS qualified certificates for legal persons carry
//! `organizationIdentifier` (X.520 2.5.4.97, ETSI EN 319 412-1 §5.1.4):
//! three letters for the kind of register (`NTR` national trade register,
//! `VAT`), the ISO 3166 country code, `-`, and the number. Older national
//! certificates put the number in `serialNumber` (2.5.4.5) instead, each
//! country in its own way.

use super::{Country, IdError, PartyId, Scheme, truncate};

/// Parses `NTRDK-55133018`, `NTRNO-991825827`, `NTRSE-556036-0793`,
/// `NTRFI-1366959-8` and the `VAT` forms of the same four countries.
pub(super) fn organization_identifier(raw: &str) -> Result<PartyId, IdError> {
    let raw = raw.trim();
    if raw.len() > super::MAX_RAW_LEN {
        return Err(IdError::TooLong {
            len: raw.chars().count(),
            max: super::MAX_RAW_LEN,
        });
    }
    let (Some(kind), Some(country), Some(b'-')) =
        (raw.get(..3), raw.get(3..5), raw.as_bytes().get(5).copied())
    else {
        return Err(IdError::Format(format!(
            "{:?} is not an organizationIdentifier of the form NTRDK-55133018",
            truncate(raw, 40)
        )));
    };
    let number = &raw[6..];
    let kind = kind.to_ascii_uppercase();
    let country = Country::from_code(country).ok_or_else(|| {
        IdError::Format(format!(
            "organizationIdentifier country {country:?} is not one Borderpost serves (DK, NO, SE, FI)"
        ))
    })?;
    match (kind.as_str(), country) {
        ("NTR", Country::Dk) | ("VAT", Country::Dk) => {
            PartyId::parse(Scheme::DkCvr, number.strip_prefix("DK").unwrap_or(number))
        }
        ("NTR", Country::No) => PartyId::parse(Scheme::NoOrgnr, number),
        ("VAT", Country::No) => {
            let number = number.strip_prefix("NO").unwrap_or(number);
            PartyId::parse(
                Scheme::NoOrgnr,
                number.strip_suffix("MVA").unwrap_or(number),
            )
        }
        ("NTR", Country::Se) => PartyId::parse(Scheme::SeOrgnr, number),
        ("VAT", Country::Se) => {
            // Swedish VAT numbers are SE + organisationsnummer + 01.
            let number = number.strip_prefix("SE").unwrap_or(number);
            match number.strip_suffix("01") {
                Some(orgnr) if number.len() == 12 => PartyId::parse(Scheme::SeOrgnr, orgnr),
                _ => Err(IdError::Format(
                    "a Swedish VAT number is the 10-digit organisationsnummer followed by 01"
                        .to_owned(),
                )),
            }
        }
        ("NTR", Country::Fi) | ("VAT", Country::Fi) => PartyId::parse(
            Scheme::FiYtunnus,
            number.strip_prefix("FI").unwrap_or(number),
        ),
        (other, _) => Err(IdError::Format(format!(
            "organizationIdentifier type {other:?} is not supported (NTR or VAT)"
        ))),
    }
}

/// Reads an organisation number from a certificate subject's `serialNumber`
/// the way `country`'s certificate authorities write it:
///
/// - Sweden: `16` + 10-digit organisationsnummer (or the bare 10 digits);
/// - Norway: the 9-digit organisasjonsnummer (Buypass and Commfides);
/// - Denmark: OCES `CVR:55133018-UID:…` / `-FID:…` / `-RID:…` (or 8 digits);
/// - Finland: the Business ID.
pub fn parse_certificate_serial_number(country: Country, raw: &str) -> Result<PartyId, IdError> {
    let raw = raw.trim();
    match country {
        Country::Se => PartyId::parse(Scheme::SeOrgnr, raw),
        Country::No => PartyId::parse(Scheme::NoOrgnr, raw),
        Country::Dk => {
            let cvr = raw
                .strip_prefix("CVR:")
                .map(|rest| rest.split('-').next().unwrap_or(rest))
                .unwrap_or(raw);
            PartyId::parse(Scheme::DkCvr, cvr)
        }
        Country::Fi => PartyId::parse(Scheme::FiYtunnus, raw),
    }
}
