//! National party identifiers and their validation.
//!
//! A [`PartyId`] is a scheme plus a value that has passed the scheme's
//! national rule (lengths, dates, check digits) and been normalised to one
//! canonical string, so two spellings of one identifier compare equal. The
//! scheme, never the digits alone, fixes the identifier's country.
//!
//! The rules, with their sources and worked examples, are in
//! `protocols/<cc>/NOTES.md`. Two of them are easy to get wrong and matter:
//! Danish CPR numbers are *not* modulus-11 checked (numbers without the check
//! have been issued since 2007 and must be accepted), and Norwegian
//! fødselsnumre issued from 2032 may carry a first check digit whose remainder
//! is 0–3 rather than exactly 0 (both rules are accepted).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod check;
mod dk;
mod eidas;
mod fi;
mod iso6523;
mod no;
mod se;

pub use eidas::parse_certificate_serial_number;
pub use iso6523::Icd;

/// How a deserialisation error from an invalid identifier begins, so the
/// canonical decoder can report it as `invalid-identifier` with its path.
pub const INVALID_ID_PREFIX: &str = "invalid identifier: ";

/// The longest raw input any scheme accepts. Longer input is rejected before
/// it is looked at, so a hostile 10 MB "identifier" costs nothing.
pub const MAX_RAW_LEN: usize = 64;

// === Country ===

/// A country Borderpost has a national adapter for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Country {
    /// Denmark.
    Dk,
    /// Norway.
    No,
    /// Sweden.
    Se,
    /// Finland.
    Fi,
}

impl Country {
    /// Every country, in a stable order.
    pub const ALL: [Country; 4] = [Country::Dk, Country::No, Country::Se, Country::Fi];

    /// The lower-case ISO 3166-1 alpha-2 code (`dk`, `no`, `se`, `fi`).
    pub fn as_str(self) -> &'static str {
        match self {
            Country::Dk => "dk",
            Country::No => "no",
            Country::Se => "se",
            Country::Fi => "fi",
        }
    }

    /// Parses an ISO 3166-1 alpha-2 code in either case.
    pub fn from_code(code: &str) -> Option<Country> {
        match code.to_ascii_lowercase().as_str() {
            "dk" => Some(Country::Dk),
            "no" => Some(Country::No),
            "se" => Some(Country::Se),
            "fi" => Some(Country::Fi),
            _ => None,
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Country {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::from_code(s)
            .ok_or_else(|| format!("unknown country {s:?} (known: dk, no, se, fi)"))
    }
}

// === Scheme ===

/// An identifier scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// Danish CPR number (personnummer), 10 digits.
    DkCpr,
    /// Danish CVR number (business register), 8 digits, modulus 11.
    DkCvr,
    /// Norwegian fødselsnummer or D-number, 11 digits, two check digits.
    NoFnr,
    /// Norwegian organisasjonsnummer, 9 digits, modulus 11.
    NoOrgnr,
    /// Swedish personnummer or samordningsnummer, normalised to 12 digits.
    SePnr,
    /// Swedish organisationsnummer, 10 digits, Luhn.
    SeOrgnr,
    /// Finnish henkilötunnus (HETU), `DDMMYYCZZZQ`.
    FiHetu,
    /// Finnish Business ID (Y-tunnus), `NNNNNNN-T`.
    FiYtunnus,
    /// An ISO 6523 organisation identifier `ICD:value`.
    Iso6523,
}

impl Scheme {
    /// Every scheme, in a stable order.
    pub const ALL: [Scheme; 9] = [
        Scheme::DkCpr,
        Scheme::DkCvr,
        Scheme::NoFnr,
        Scheme::NoOrgnr,
        Scheme::SePnr,
        Scheme::SeOrgnr,
        Scheme::FiHetu,
        Scheme::FiYtunnus,
        Scheme::Iso6523,
    ];

    /// The scheme's stable name, as used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::DkCpr => "dk-cpr",
            Scheme::DkCvr => "dk-cvr",
            Scheme::NoFnr => "no-fnr",
            Scheme::NoOrgnr => "no-orgnr",
            Scheme::SePnr => "se-pnr",
            Scheme::SeOrgnr => "se-orgnr",
            Scheme::FiHetu => "fi-hetu",
            Scheme::FiYtunnus => "fi-ytunnus",
            Scheme::Iso6523 => "iso6523",
        }
    }

    /// The country a national scheme belongs to. `None` for `iso6523`, whose
    /// country depends on the ICD (see [`PartyId::country`]).
    pub fn country(self) -> Option<Country> {
        match self {
            Scheme::DkCpr | Scheme::DkCvr => Some(Country::Dk),
            Scheme::NoFnr | Scheme::NoOrgnr => Some(Country::No),
            Scheme::SePnr | Scheme::SeOrgnr => Some(Country::Se),
            Scheme::FiHetu | Scheme::FiYtunnus => Some(Country::Fi),
            Scheme::Iso6523 => None,
        }
    }

    /// Whether the scheme identifies organisations (rather than persons).
    pub fn is_organisation(self) -> bool {
        !matches!(
            self,
            Scheme::DkCpr | Scheme::NoFnr | Scheme::SePnr | Scheme::FiHetu
        )
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|scheme| scheme.as_str() == s)
            .ok_or_else(|| IdError::UnknownScheme(truncate(s, MAX_RAW_LEN)))
    }
}

// === IdError ===

/// Why a value is not a valid identifier. The `Display` text is written for
/// the person who typed the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Nothing was given.
    #[error("empty")]
    Empty,
    /// The input is longer than any identifier; it was not examined.
    #[error("too long: {len} characters, at most {max}")]
    TooLong {
        /// Length of the input, in characters.
        len: usize,
        /// The longest accepted input.
        max: usize,
    },
    /// Wrong number of digits or characters.
    #[error("{expected} expected, got {found} characters")]
    Length {
        /// What the scheme wants, e.g. "10 digits".
        expected: &'static str,
        /// How many characters were given.
        found: usize,
    },
    /// A character that the format does not allow at this position.
    #[error("{found:?} at position {position} is not allowed: {expected} expected")]
    Character {
        /// 1-based position in the input.
        position: usize,
        /// The offending character.
        found: char,
        /// What belongs there.
        expected: &'static str,
    },
    /// The embedded date does not exist.
    #[error("{0}")]
    Date(String),
    /// A check digit does not match.
    #[error("{which} should be {expected}")]
    CheckDigit {
        /// Which digit, e.g. "check digit" or "second check digit".
        which: &'static str,
        /// The expected value(s).
        expected: String,
    },
    /// No check digit can complete the number (modulus-11 remainder 1):
    /// such numbers are never issued.
    #[error(
        "no check digit can complete this number (its weighted sum leaves remainder 1 modulo 11), so it is never issued"
    )]
    NeverIssued,
    /// Other format rules (separators, prefixes, ranges).
    #[error("{0}")]
    Format(String),
    /// The scheme name is not one Borderpost knows.
    #[error(
        "unknown identifier scheme {0:?}; known: dk-cpr, dk-cvr, no-fnr, no-orgnr, se-pnr, se-orgnr, fi-hetu, fi-ytunnus, iso6523"
    )]
    UnknownScheme(String),
}

// === PartyId ===

/// A validated, normalised party identifier.
///
/// In JSON and on the command line a `PartyId` is the string
/// `"<scheme>:<value>"` (for example `"dk-cvr:55133018"` or
/// `"iso6523:0192:991825827"`); the object form
/// `{"scheme": "dk-cvr", "value": "55133018"}` is accepted as input too.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartyId {
    scheme: Scheme,
    value: String,
}

impl PartyId {
    /// Validates `raw` by `scheme`'s national rule and normalises it.
    ///
    /// Swedish 10-digit personnummer (`YYMMDD-NNNC`) only say which century
    /// they belong to relative to today (`+` from the year a person turns
    /// 100); this function resolves them against the system clock. Use
    /// [`PartyId::parse_on`] to give the date explicitly.
    pub fn parse(scheme: Scheme, raw: &str) -> Result<PartyId, IdError> {
        let today = time::OffsetDateTime::now_utc().date();
        PartyId::parse_on(scheme, raw, today)
    }

    /// Like [`PartyId::parse`], resolving Swedish 10-digit personnummer
    /// against `today`.
    pub fn parse_on(scheme: Scheme, raw: &str, today: time::Date) -> Result<PartyId, IdError> {
        let raw = raw.trim();
        let len = raw.chars().count();
        if len > MAX_RAW_LEN {
            return Err(IdError::TooLong {
                len,
                max: MAX_RAW_LEN,
            });
        }
        if raw.is_empty() {
            return Err(IdError::Empty);
        }
        let value = match scheme {
            Scheme::DkCpr => dk::cpr(raw)?,
            Scheme::DkCvr => dk::cvr(raw)?,
            Scheme::NoFnr => no::fnr(raw)?,
            Scheme::NoOrgnr => no::orgnr(raw)?,
            Scheme::SePnr => se::pnr(raw, today)?,
            Scheme::SeOrgnr => se::orgnr(raw)?,
            Scheme::FiHetu => fi::hetu(raw)?,
            Scheme::FiYtunnus => fi::ytunnus(raw)?,
            Scheme::Iso6523 => iso6523::parse(raw)?,
        };
        Ok(PartyId { scheme, value })
    }

    /// Parses the `"<scheme>:<value>"` form.
    pub fn parse_qualified(s: &str) -> Result<PartyId, IdError> {
        if s.len() > MAX_RAW_LEN + 16 {
            return Err(IdError::TooLong {
                len: s.chars().count(),
                max: MAX_RAW_LEN,
            });
        }
        let (scheme, value) = s.split_once(':').ok_or_else(|| {
            IdError::Format(format!(
                "{:?} is not of the form SCHEME:VALUE (for example dk-cvr:55133018)",
                truncate(s, MAX_RAW_LEN)
            ))
        })?;
        PartyId::parse(scheme.parse()?, value)
    }

    /// Parses an eIDAS `organizationIdentifier` (X.520 2.5.4.97) such as
    /// `NTRDK-55133018` or `VATNO-991825827MVA` into the national
    /// organisation number it carries.
    pub fn from_organization_identifier(s: &str) -> Result<PartyId, IdError> {
        eidas::organization_identifier(s)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The normalised value (without the scheme).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The country the identifier belongs to. For `iso6523` this is the
    /// country of the ICD, if it is a national register Borderpost knows.
    pub fn country(&self) -> Option<Country> {
        match self.scheme {
            Scheme::Iso6523 => self.icd().and_then(|icd| icd.country()),
            scheme => scheme.country(),
        }
    }

    /// For `iso6523` identifiers, the ICD if it is one Borderpost knows.
    pub fn icd(&self) -> Option<Icd> {
        match self.scheme {
            Scheme::Iso6523 => self
                .value
                .split_once(':')
                .and_then(|(icd, _)| Icd::from_code(icd)),
            _ => None,
        }
    }

    /// The national form of an organisation identifier: `iso6523` with a
    /// known ICD becomes the national scheme (`0184:55133018` →
    /// `dk-cvr:55133018`); anything else is returned as it is. Use this to
    /// decide whether two identifiers name the same party.
    pub fn national(&self) -> PartyId {
        match self.icd() {
            Some(icd) => {
                let value = self.value.split_once(':').map_or("", |(_, v)| v);
                match iso6523::national_value(icd, value) {
                    Some((scheme, value)) => PartyId { scheme, value },
                    None => self.clone(),
                }
            }
            None => self.clone(),
        }
    }

    /// The ISO 6523 form of a national organisation number
    /// (`no-orgnr:991825827` → `iso6523:0192:991825827`). `None` for person
    /// identifiers; `iso6523` identifiers are returned as they are.
    pub fn to_iso6523(&self) -> Option<PartyId> {
        let icd = match self.scheme {
            Scheme::Iso6523 => return Some(self.clone()),
            Scheme::DkCvr => Icd::DkCvr,
            Scheme::NoOrgnr => Icd::NoOrgnr,
            Scheme::SeOrgnr => Icd::SeOrgnr,
            Scheme::FiYtunnus => Icd::FiOrganisation,
            _ => return None,
        };
        Some(PartyId {
            scheme: Scheme::Iso6523,
            value: format!("{}:{}", icd.code(), self.value),
        })
    }

    /// Whether `self` and `other` name the same party, looking through
    /// ISO 6523 wrappers.
    pub fn same_party(&self, other: &PartyId) -> bool {
        self.national() == other.national()
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.value)
    }
}

impl FromStr for PartyId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartyId::parse_qualified(s)
    }
}

impl Serialize for PartyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Qualified(String),
            Object { scheme: String, value: String },
        }
        let id = match Repr::deserialize(deserializer)? {
            Repr::Qualified(s) => PartyId::parse_qualified(&s),
            Repr::Object { scheme, value } => scheme
                .parse()
                .and_then(|scheme| PartyId::parse(scheme, &value)),
        };
        id.map_err(|e| serde::de::Error::custom(format!("{INVALID_ID_PREFIX}{e}")))
    }
}

/// The first `max` characters of `s`, for quoting untrusted input in errors.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// Checks that `s` is exactly `n` ASCII digits.
pub(super) fn require_digits(s: &str, n: usize, expected: &'static str) -> Result<(), IdError> {
    if let Some((position, found)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(IdError::Character {
            position: position + 1,
            found,
            expected: "a digit",
        });
    }
    if s.len() != n {
        return Err(IdError::Length {
            expected,
            found: s.chars().count(),
        });
    }
    Ok(())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Checks that `day`/`month`/`year` is a calendar date, explaining why not.
pub(super) fn check_date(year: i32, month: u32, day: u32) -> Result<(), IdError> {
    let Some(days) = check::days_in_month(year, month) else {
        return Err(IdError::Date(format!("month {month:02} does not exist")));
    };
    if day == 0 || day > days {
        let name = MONTHS[(month - 1) as usize];
        return Err(IdError::Date(format!(
            "day {day:02} does not exist in {name} {year}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
