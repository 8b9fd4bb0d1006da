//! Digital Post's business rules beyond the XSD ("øget validering",
//! digitaliser.dk, November 2024; enforced in production from 10 September
//! 2025, for MeMo 1.1 and 1.2 alike — `protocols/dk/NOTES.md` §1.2).
//!
//! Borderpost enforces them on ingress (so a Danish sender hears about a
//! fault at once, not hours later in a business receipt) and on egress (so
//! a message from another country is not sent to be refused).

use borderpost_core::AdapterError;

/// Rule name for file name characters.
pub const FILENAME_RULE: &str = "dk.filename-characters";
/// Rule name for `https://`-only action links.
pub const ACTION_HTTPS_RULE: &str = "dk.action-https";

/// Characters a Digital Post file name must not contain.
fn forbidden_in_filename(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' | '\r' | '\n' | '\u{00A0}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{205F}' | '\u{2060}' | '\u{3000}'
    )
}

/// Fails if `filename` has a character Digital Post refuses.
pub fn check_filename(filename: &str, path: &str) -> Result<(), AdapterError> {
    match filename.chars().find(|&c| forbidden_in_filename(c)) {
        Some(c) => Err(AdapterError::BusinessRule {
            rule: FILENAME_RULE,
            detail: format!(
                "{path}: a file name must not contain {} (U+{:04X})",
                if c.is_control() || c.is_whitespace() {
                    "this character".to_owned()
                } else {
                    format!("{c:?}")
                },
                c as u32
            ),
        }),
        None => Ok(()),
    }
}

/// `filename` with each character Digital Post refuses replaced by `_`, or
/// `None` if it has none. For messages from elsewhere: a file name is not
/// an address, so a Danish recipient gets the file under a name Digital
/// Post takes rather than no file at all (the encoder reports the loss).
pub fn fit_filename(filename: &str) -> Option<String> {
    filename.chars().any(forbidden_in_filename).then(|| {
        filename
            .chars()
            .map(|c| if forbidden_in_filename(c) { '_' } else { c })
            .collect()
    })
}

/// Fails unless `url` is an `https://` link.
pub fn check_action_url(url: &str, path: &str) -> Result<(), AdapterError> {
    let url = url.trim();
    let https = url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        && url.len() > 8;
    if https {
        Ok(())
    } else {
        Err(AdapterError::BusinessRule {
            rule: ACTION_HTTPS_RULE,
            detail: format!("{path}: an action link must start with https://"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames() {
        assert!(check_filename("Praktiske oplysninger.doc", "f").is_ok());
        assert!(check_filename("Pladsanvisning (1).pdf", "f").is_ok());
        for bad in [
            "a<b",
            "a>b",
            "a:b",
            "a\"b",
            "a/b",
            "a\\b",
            "a|b",
            "a?b",
            "a*b",
            "a\rb",
            "a\nb",
            "a\u{a0}b",
            "a\u{2000}b",
            "a\u{2005}b",
            "a\u{200a}b",
            "a\u{2028}b",
            "a\u{205f}b",
            "a\u{2060}b",
            "a\u{3000}b",
        ] {
            let e = check_filename(bad, "f").unwrap_err();
            assert_eq!(e.code(), "business-rule", "{bad:?}");
        }
        assert!(check_filename("a\u{200b}b", "f").is_ok());
    }

    #[test]
    fn fitted_filenames_pass_the_rule() {
        assert_eq!(fit_filename("Brev.pdf"), None);
        let fitted = fit_filename("Svar: 2025/09 \"endelig\"?.pdf").unwrap();
        assert_eq!(fitted, "Svar_ 2025_09 _endelig__.pdf");
        assert!(check_filename(&fitted, "f").is_ok());
        let fitted = fit_filename("a\u{a0}b\u{3000}c\nd").unwrap();
        assert_eq!(fitted, "a_b_c_d");
    }

    #[test]
    fn action_links() {
        assert!(check_action_url("https://www.tusindfryd.dk", "u").is_ok());
        assert!(check_action_url("HTTPS://x.dk", "u").is_ok());
        for bad in [
            "http://www.tusindfryd.dk",
            "https://",
            "ftp://x",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(
                check_action_url(bad, "u").unwrap_err().code(),
                "business-rule"
            );
        }
    }
}
