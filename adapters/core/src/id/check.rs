//! Check-digit arithmetic shared by the national schemes.

/// Converts ASCII digits to their values. The caller has already checked
/// that every byte is a digit.
pub(super) fn digits(s: &str) -> Vec<u32> {
    s.bytes().map(|b| u32::from(b - b'0')).collect()
}

/// Σ dᵢ·wᵢ over the leading digits (as many as there are weights).
pub(super) fn weighted_sum(d: &[u32], weights: &[u32]) -> u32 {
    d.iter().zip(weights).map(|(d, w)| d * w).sum()
}

/// The Luhn ("modulus 10 with weights 2,1,2,1…") check digit for `d`,
/// weights starting with 2 on the first digit.
pub(super) fn luhn_check_digit(d: &[u32]) -> u32 {
    let sum: u32 = d
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let p = if i % 2 == 0 { d * 2 } else { d };
            if p > 9 { p - 9 } else { p }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Modulus-11 check digit: `11 - (sum mod 11)`, remainder 0 giving 0.
/// `None` when the remainder is 1: no digit can complete such a number.
pub(super) fn mod11_check_digit(sum: u32) -> Option<u32> {
    match sum % 11 {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

pub(super) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1–12) of `year`; `None` for a month that does not exist.
pub(super) fn days_in_month(year: i32, month: u32) -> Option<u32> {
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return None,
    })
}

/// Two decimal digits at `at` as a number.
pub(super) fn pair(d: &[u32], at: usize) -> u32 {
    d[at] * 10 + d[at + 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_of_the_swedish_worked_example() {
        // 811218-987(6)
        assert_eq!(luhn_check_digit(&digits("811218987")), 6);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap(2000));
        assert!(!is_leap(1900));
        assert!(is_leap(1996));
        assert_eq!(days_in_month(1900, 2), Some(28));
        assert_eq!(days_in_month(2000, 2), Some(29));
        assert_eq!(days_in_month(2001, 13), None);
    }
}
