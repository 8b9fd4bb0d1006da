//! Norway: fødselsnummer (incl. D-, H- and synthetic numbers) and
//! organisasjonsnummer. Rules: `protocols/no/NOTES.md` §2.8.

use super::check::{digits, mod11_check_digit, pair, weighted_sum};
use super::{IdError, check_date, require_digits};

const K1_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// Fødselsnummer: 11 digits, `DDMMYY` + individnummer + two check digits.
///
/// - D-numbers add 4 to the first digit of the day; H-numbers add 4 and
///   synthetic test numbers (Skatteetaten's Tenor) add 8 to the first digit
///   of the month.
/// - First check digit: today `(Σ + k1) mod 11 = 0`; numbers issued from
///   1 January 2032 may leave a remainder of 0, 1, 2 or 3 (Skatteetaten,
///   "nytt fødselsnummer fra 2032"). Both are accepted. The second check
///   digit is unchanged, so every single-digit error is still caught.
pub(super) fn fnr(raw: &str) -> Result<String, IdError> {
    require_digits(raw, 11, "11 digits")?;
    let d = digits(raw);

    let mut day = pair(&d, 0);
    if day > 40 {
        day -= 40; // D-number
    }
    let mut month = pair(&d, 2);
    if month > 80 {
        month -= 80; // synthetic (Tenor)
    } else if month > 40 {
        month -= 40; // H-number
    }
    let yy = pair(&d, 4);
    let individ = d[6] * 100 + d[7] * 10 + d[8];
    match fnr_century(individ, yy) {
        Some(century) => check_date(century + yy as i32, month, day)?,
        // An individnummer/year pair no register has issued yet: check the
        // date in a leap-year-friendly century rather than guess.
        None => check_date(2000 + yy as i32, month, day)?,
    }

    let sum1 = weighted_sum(&d[..9], &K1_WEIGHTS);
    let k1 = d[9];
    if !(0..=3).contains(&((sum1 + k1) % 11)) {
        let accepted: Vec<String> = (0..=3u32)
            .filter_map(|rest| {
                let k = (11 + rest - sum1 % 11) % 11;
                (k < 10).then(|| k.to_string())
            })
            .collect();
        return Err(match accepted.split_first() {
            Some((today, [])) => IdError::CheckDigit {
                which: "first check digit",
                expected: today.clone(),
            },
            Some((today, later)) if (sum1 % 11) != 1 => IdError::CheckDigit {
                which: "first check digit",
                expected: format!("{today} (or {} under the 2032 rule)", later.join(", ")),
            },
            Some((_, later)) => IdError::CheckDigit {
                which: "first check digit",
                expected: format!("{} (2032 rule)", later.join(" or ")),
            },
            None => IdError::NeverIssued,
        });
    }
    let k2 = mod11_check_digit(weighted_sum(&d[..10], &K2_WEIGHTS)).ok_or(IdError::NeverIssued)?;
    if k2 != d[10] {
        return Err(IdError::CheckDigit {
            which: "second check digit",
            expected: k2.to_string(),
        });
    }
    Ok(raw.to_owned())
}

/// The century from the individnummer and the two-digit year
/// (matematikk.org, "Dagens system med individ- og kontrollnummer").
fn fnr_century(individ: u32, yy: u32) -> Option<i32> {
    match individ {
        0..=499 => Some(1900),
        500..=749 if yy > 54 => Some(1800),
        900..=999 if yy > 39 => Some(1900),
        500..=999 if yy < 40 => Some(2000),
        _ => None,
    }
}

/// Organisasjonsnummer: 9 digits, weights 3,2,7,6,5,4,3,2, modulus 11.
pub(super) fn orgnr(raw: &str) -> Result<String, IdError> {
    require_digits(raw, 9, "9 digits")?;
    let d = digits(raw);
    let expected = mod11_check_digit(weighted_sum(&d[..8], &[3, 2, 7, 6, 5, 4, 3, 2]))
        .ok_or(IdError::NeverIssued)?;
    if expected != d[8] {
        return Err(IdError::CheckDigit {
            which: "check digit",
            expected: expected.to_string(),
        });
    }
    Ok(raw.to_owned())
}

/// Test support: completes nine digits into a fødselsnummer with today's
/// rule, if both check digits exist.
#[cfg(test)]
pub(super) fn complete_fnr(first9: &str) -> Option<String> {
    let d = digits(first9);
    let k1 = mod11_check_digit(weighted_sum(&d, &K1_WEIGHTS))?;
    let mut d10 = d.clone();
    d10.push(k1);
    let k2 = mod11_check_digit(weighted_sum(&d10, &K2_WEIGHTS))?;
    Some(format!("{first9}{k1}{k2}"))
}

/// Test support: completes eight digits into an organisasjonsnummer.
#[cfg(test)]
pub(super) fn complete_orgnr(first8: &str) -> Option<String> {
    let d = digits(first8);
    mod11_check_digit(weighted_sum(&d, &[3, 2, 7, 6, 5, 4, 3, 2])).map(|c| format!("{first8}{c}"))
}
