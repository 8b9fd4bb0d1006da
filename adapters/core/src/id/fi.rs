//! Finland: henkilötunnus (HETU) and Business ID (Y-tunnus).
//! Rules: `protocols/fi/NOTES.md` §2.5.

use super::check::{digits, pair, weighted_sum};
use super::{IdError, check_date, require_digits};

/// The HETU check characters, indexed by `DDMMYYZZZ mod 31` (G, I, O, Q and
/// Z are left out).
const HETU_CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// HETU `DDMMYYCZZZQ`, normalised to upper case. The century sign is part of
/// the identity (since 2023 two codes may differ only in it), so it is kept
/// as given: `+` 1800s; `-`, `Y`, `X`, `W`, `V`, `U` 1900s; `A`–`F` 2000s.
pub(super) fn hetu(raw: &str) -> Result<String, IdError> {
    let upper = raw.to_ascii_uppercase();
    let chars: Vec<char> = upper.chars().collect();
    if chars.len() != 11 {
        return Err(IdError::Length {
            expected: "11 characters (DDMMYYCZZZQ)",
            found: chars.len(),
        });
    }
    let date: String = chars[..6].iter().collect();
    let individual: String = chars[7..10].iter().collect();
    require_digits(&date, 6, "11 characters (DDMMYYCZZZQ)")?;
    require_digits(&individual, 3, "11 characters (DDMMYYCZZZQ)").map_err(|e| match e {
        IdError::Character {
            position,
            found,
            expected,
        } => IdError::Character {
            position: position + 7,
            found,
            expected,
        },
        other => other,
    })?;
    let century = match chars[6] {
        '+' => 1800,
        '-' | 'Y' | 'X' | 'W' | 'V' | 'U' => 1900,
        'A'..='F' => 2000,
        found => {
            return Err(IdError::Character {
                position: 7,
                found,
                expected: "a century sign (+ - Y X W V U A B C D E F)",
            });
        }
    };
    let d = digits(&date);
    check_date(century + pair(&d, 4) as i32, pair(&d, 2), pair(&d, 0))?;

    let number: u64 = format!("{date}{individual}").parse().unwrap_or(0);
    let expected = char::from(HETU_CHECK[(number % 31) as usize]);
    if chars[10] != expected {
        return Err(IdError::CheckDigit {
            which: "check character",
            expected: expected.to_string(),
        });
    }
    Ok(upper)
}

/// Y-tunnus `NNNNNNN-T` (also accepted without the hyphen), weights
/// 7,9,10,5,8,4,2, modulus 11; remainder 1 is never issued.
pub(super) fn ytunnus(raw: &str) -> Result<String, IdError> {
    let compact: String = match raw.as_bytes().get(7) {
        Some(b'-') if raw.len() == 9 => raw.chars().filter(|&c| c != '-').collect(),
        _ => raw.to_owned(),
    };
    require_digits(&compact, 8, "NNNNNNN-T (7 digits, hyphen, check digit)")?;
    let d = digits(&compact);
    let expected = match weighted_sum(&d[..7], &[7, 9, 10, 5, 8, 4, 2]) % 11 {
        0 => 0,
        1 => return Err(IdError::NeverIssued),
        r => 11 - r,
    };
    if expected != d[7] {
        return Err(IdError::CheckDigit {
            which: "check digit",
            expected: expected.to_string(),
        });
    }
    Ok(format!("{}-{}", &compact[..7], &compact[7..]))
}

/// Test support: the HETU check character for `DDMMYYZZZ`.
#[cfg(test)]
pub(super) fn hetu_check(date_and_individual: &str) -> char {
    let n: u64 = date_and_individual.parse().unwrap();
    char::from(HETU_CHECK[(n % 31) as usize])
}

/// Test support: completes seven digits into a Y-tunnus, if one exists.
#[cfg(test)]
pub(super) fn complete_ytunnus(first7: &str) -> Option<String> {
    match weighted_sum(&digits(first7), &[7, 9, 10, 5, 8, 4, 2]) % 11 {
        0 => Some(format!("{first7}-0")),
        1 => None,
        r => Some(format!("{first7}-{}", 11 - r)),
    }
}
