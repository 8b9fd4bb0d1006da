//! Sweden: personnummer / samordningsnummer and organisationsnummer.
//! Rules: `protocols/se/NOTES.md` §1.9.

use super::check::{digits, luhn_check_digit, pair};
use super::{IdError, check_date, require_digits};

/// Personnummer or samordningsnummer (day + 60), normalised to the 12-digit
/// register form `YYYYMMDDNNNC`.
///
/// Accepted: `YYYYMMDDNNNC`, `YYYYMMDD-NNNC`, `YYMMDDNNNC`, `YYMMDD-NNNC` and
/// `YYMMDD+NNNC` (`+` from the year the person turns 100). The 10-digit forms
/// carry no century; it is the latest one that puts the birth date on or
/// before `today`, minus a hundred years for `+`.
pub(super) fn pnr(raw: &str, today: time::Date) -> Result<String, IdError> {
    let (body, century, plus) = split_pnr(raw)?;
    let d = digits(&body);
    let (yy, month, day) = (pair(&d, 0), pair(&d, 2), pair(&d, 4));
    if month >= 20 {
        return Err(IdError::Format(format!(
            "month {month:02} does not exist; digits 3–4 of 20 or more mark an organisationsnummer (use se-orgnr)"
        )));
    }
    let birth_day = if day > 60 { day - 60 } else { day };
    let year = match century {
        Some(c) => c + yy as i32,
        None => resolve_century(yy, month, birth_day, plus, today),
    };
    check_date(year, month, birth_day)?;

    let expected = luhn_check_digit(&d[..9]);
    if expected != d[9] {
        return Err(IdError::CheckDigit {
            which: "check digit",
            expected: expected.to_string(),
        });
    }
    Ok(format!("{year:04}{}", &body[2..]))
}

/// Splits the accepted spellings into the 10-digit body, an explicit
/// century if the input had one, and whether the separator was `+`.
fn split_pnr(raw: &str) -> Result<(String, Option<i32>, bool), IdError> {
    const EXPECTED: &str = "YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDDNNNC or YYMMDD-NNNC";
    let chars: Vec<char> = raw.chars().collect();
    let (compact, plus) = match chars.len() {
        11 | 13 => {
            let sep = chars[chars.len() - 5];
            if sep != '-' && !(sep == '+' && chars.len() == 11) {
                return Err(IdError::Character {
                    position: chars.len() - 4,
                    found: sep,
                    expected: "'-' or '+' before the last four digits",
                });
            }
            let mut s: String = chars.iter().collect();
            s.remove(chars.len() - 5);
            (s, sep == '+')
        }
        _ => (raw.to_owned(), false),
    };
    match compact.len() {
        12 => {
            require_digits(&compact, 12, EXPECTED)?;
            let century: i32 = compact[..2].parse().unwrap_or(0);
            if !(18..=20).contains(&century) {
                return Err(IdError::Format(format!(
                    "century {century} is not 18, 19 or 20"
                )));
            }
            Ok((compact[2..].to_owned(), Some(century * 100), false))
        }
        _ => {
            require_digits(&compact, 10, EXPECTED)?;
            Ok((compact, None, plus))
        }
    }
}

/// The full year for a two-digit year: the latest year not after `today`
/// (or a century earlier for `+`).
fn resolve_century(yy: u32, month: u32, day: u32, plus: bool, today: time::Date) -> i32 {
    let this_year = today.year();
    let mut year = this_year - this_year.rem_euclid(100) + yy as i32;
    let born_after_today =
        (year, month, day) > (this_year, today.month() as u32, u32::from(today.day()));
    if born_after_today {
        year -= 100;
    }
    if plus {
        year -= 100;
    }
    year
}

/// Organisationsnummer, normalised to 10 digits. Accepts `NNNNNNNNNN`,
/// `NNNNNN-NNNN` and the 12-digit `16NNNNNNNNNN` form used by Mina
/// meddelanden and in Swedish certificates.
pub(super) fn orgnr(raw: &str) -> Result<String, IdError> {
    const EXPECTED: &str = "10 digits (NNNNNN-NNNN), or 12 digits starting 16";
    let compact: String = if raw.len() == 11 && raw.as_bytes()[6] == b'-' {
        raw.chars().filter(|&c| c != '-').collect()
    } else {
        raw.to_owned()
    };
    let body = match compact.len() {
        12 => {
            require_digits(&compact, 12, EXPECTED)?;
            if !compact.starts_with("16") {
                return Err(IdError::Format(
                    "a 12-digit organisationsnummer starts with 16".to_owned(),
                ));
            }
            compact[2..].to_owned()
        }
        _ => {
            require_digits(&compact, 10, EXPECTED)?;
            compact
        }
    };
    let d = digits(&body);
    if pair(&d, 2) < 20 {
        return Err(IdError::Format(format!(
            "digits 3–4 are {:02}; an organisationsnummer has 20 or more there (this looks like a personnummer: use se-pnr)",
            pair(&d, 2)
        )));
    }
    let expected = luhn_check_digit(&d[..9]);
    if expected != d[9] {
        return Err(IdError::CheckDigit {
            which: "check digit",
            expected: expected.to_string(),
        });
    }
    Ok(body)
}

/// Test support: completes nine digits with their Luhn digit.
#[cfg(test)]
pub(super) fn complete_luhn(first9: &str) -> String {
    format!("{first9}{}", luhn_check_digit(&digits(first9)))
}
