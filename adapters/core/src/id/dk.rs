//! Denmark: CPR (personnummer) and CVR (business register) numbers.
//! Rules: `protocols/dk/NOTES.md` §1.5.

use super::check::{digits, mod11_check_digit, pair, weighted_sum};
use super::{IdError, check_date, require_digits};

/// CPR: `DDMMYY-SSSS` or 10 digits; the date must exist in the century the
/// seventh digit gives. Deliberately no modulus-11 check: CPR numbers without
/// it have been issued since 1 October 2007 and CPR-kontoret requires systems
/// to accept them.
pub(super) fn cpr(raw: &str) -> Result<String, IdError> {
    let compact: String = match raw.as_bytes().get(6) {
        Some(b'-') if raw.len() == 11 => raw.chars().filter(|&c| c != '-').collect(),
        _ => raw.to_owned(),
    };
    require_digits(&compact, 10, "10 digits (DDMMYYSSSS or DDMMYY-SSSS)")?;
    let d = digits(&compact);
    let (day, month, yy) = (pair(&d, 0), pair(&d, 2), pair(&d, 4));
    let year = cpr_century(d[6], yy) + yy as i32;
    check_date(year, month, day)?;
    Ok(compact)
}

/// The century of a CPR number from its seventh digit and two-digit year
/// (cpr.dk "Personnummeret i CPR-systemet").
fn cpr_century(seventh: u32, yy: u32) -> i32 {
    match seventh {
        0..=3 => 1900,
        4 | 9 if yy <= 36 => 2000,
        4 | 9 => 1900,
        _ if yy <= 57 => 2000,
        _ => 1800,
    }
}

/// CVR: 8 digits, weights 2,7,6,5,4,3,2,1, sum ≡ 0 (mod 11).
pub(super) fn cvr(raw: &str) -> Result<String, IdError> {
    require_digits(raw, 8, "8 digits")?;
    let d = digits(raw);
    let expected = mod11_check_digit(weighted_sum(&d[..7], &[2, 7, 6, 5, 4, 3, 2]))
        .ok_or(IdError::NeverIssued)?;
    if expected != d[7] {
        return Err(IdError::CheckDigit {
            which: "check digit",
            expected: expected.to_string(),
        });
    }
    Ok(raw.to_owned())
}

/// Test support: a valid CVR from its first seven digits, if one exists.
#[cfg(test)]
pub(super) fn complete_cvr(first7: &str) -> Option<String> {
    let d = digits(first7);
    mod11_check_digit(weighted_sum(&d, &[2, 7, 6, 5, 4, 3, 2])).map(|c| format!("{first7}{c}"))
}
