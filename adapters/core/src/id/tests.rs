use proptest::prelude::*;
use time::macros::date;

use super::*;

fn ok(scheme: Scheme, raw: &str) -> String {
    match PartyId::parse_on(scheme, raw, date!(2026 - 11 - 25)) {
        Ok(id) => id.value().to_owned(),
        Err(e) => panic!("{scheme} {raw:?} should be valid: {e}"),
    }
}

fn err(scheme: Scheme, raw: &str) -> String {
    match PartyId::parse_on(scheme, raw, date!(2026 - 11 - 25)) {
        Ok(id) => panic!("{scheme} {raw:?} should be invalid, got {id}"),
        Err(e) => e.to_string(),
    }
}

// --- Worked examples from protocols/<cc>/NOTES.md ---

#[test]
fn dk_cpr_worked_examples() {
    // Passes modulus 11.
    assert_eq!(ok(Scheme::DkCpr, "0707614285"), "0707614285");
    assert_eq!(ok(Scheme::DkCpr, "070761-4285"), "0707614285");
    // The official MeMo examples' CPR fails modulus 11 and must be accepted.
    assert_eq!(ok(Scheme::DkCpr, "2211771212"), "2211771212");
    // Numbers without the modulus-11 check (issued since 2007).
    assert_eq!(ok(Scheme::DkCpr, "0101651234"), "0101651234");
    // Century rules: digit 7 = 4 and year 36 is 2036, 37 is 1937.
    assert_eq!(ok(Scheme::DkCpr, "2902364000"), "2902364000"); // 29 Feb 2036
    assert!(err(Scheme::DkCpr, "2902374000").contains("29 does not exist in February 1937"));
    // digit 7 = 5..8 and year 58 is 1858 (not a leap year).
    assert!(err(Scheme::DkCpr, "2902585000").contains("February 1858"));
    assert!(err(Scheme::DkCpr, "3201771212").contains("day 32"));
    assert!(err(Scheme::DkCpr, "0113771212").contains("month 13"));
    assert!(err(Scheme::DkCpr, "07076142851").contains("10 digits"));
}

#[test]
fn dk_cvr_worked_examples() {
    assert_eq!(ok(Scheme::DkCvr, "13748136"), "13748136");
    assert_eq!(ok(Scheme::DkCvr, "55133018"), "55133018");
    assert_eq!(ok(Scheme::DkCvr, "34485771"), "34485771");
    assert_eq!(err(Scheme::DkCvr, "13748137"), "check digit should be 6");
    // The MeMo examples' CVR is not checksum-valid.
    assert!(PartyId::parse(Scheme::DkCvr, "12345678").is_err());
}

#[test]
fn no_fnr_worked_examples() {
    assert_eq!(ok(Scheme::NoFnr, "31129956715"), "31129956715");
    // KRR test person (synthetic, month + 80).
    assert_eq!(ok(Scheme::NoFnr, "20914695016"), "20914695016");
    // The SDP sample's 17051400000 is not checksum-valid.
    assert!(err(Scheme::NoFnr, "17051400000").contains("check digit"));
    assert!(err(Scheme::NoFnr, "31129956716").contains("second check digit should be 5"));
    assert!(err(Scheme::NoFnr, "3112995671").contains("11 digits"));
}

#[test]
fn no_fnr_d_numbers_and_the_2032_rule() {
    // A D-number: first digit + 4.
    let d = no::complete_fnr("711299567").unwrap();
    assert_eq!(ok(Scheme::NoFnr, &d), d);
    // 2032 rule: k1 may leave remainder 0–3. 311299567 has Σ1 = 241 ≡ 10,
    // so k1 ∈ {1, 2, 3, 4}; with k1 = 2 the second digit is recomputed.
    for k1 in 1..=4u32 {
        let first10 = format!("311299567{k1}");
        let d = check::digits(&first10);
        let k2 = check::mod11_check_digit(check::weighted_sum(&d, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]));
        if let Some(k2) = k2 {
            let fnr = format!("{first10}{k2}");
            assert_eq!(ok(Scheme::NoFnr, &fnr), fnr);
        }
    }
    // k1 = 5 leaves remainder 4: invalid under both rules.
    assert!(
        err(Scheme::NoFnr, "31129956750").contains("first check digit should be 1 (or 2, 3, 4")
    );
}

#[test]
fn no_orgnr_worked_examples() {
    assert_eq!(ok(Scheme::NoOrgnr, "123456785"), "123456785");
    assert_eq!(ok(Scheme::NoOrgnr, "991825827"), "991825827");
    assert_eq!(ok(Scheme::NoOrgnr, "984661185"), "984661185");
    assert_eq!(ok(Scheme::NoOrgnr, "922020175"), "922020175");
    // The docs' placeholder is invalid.
    assert_eq!(err(Scheme::NoOrgnr, "123456789"), "check digit should be 5");
}

#[test]
fn se_pnr_worked_examples() {
    assert_eq!(ok(Scheme::SePnr, "811218-9876"), "198112189876");
    assert_eq!(ok(Scheme::SePnr, "8112189876"), "198112189876");
    assert_eq!(ok(Scheme::SePnr, "198112189876"), "198112189876");
    assert_eq!(ok(Scheme::SePnr, "19811218-9876"), "198112189876");
    // Samordningsnummer: day + 60.
    assert_eq!(ok(Scheme::SePnr, "701063-2391"), "197010632391");
    // '+' marks a person of 100 or more.
    assert_eq!(ok(Scheme::SePnr, "811218+9876"), "188112189876");
    // A 10-digit number whose date lies ahead this century is last century's.
    assert_eq!(&ok(Scheme::SePnr, "261231-0009")[..4], "1926");
    assert_eq!(&ok(Scheme::SePnr, "261124-0009")[..4], "2026");
    assert_eq!(err(Scheme::SePnr, "811218-9875"), "check digit should be 6");
    assert!(err(Scheme::SePnr, "5560360793").contains("use se-orgnr"));
    assert!(err(Scheme::SePnr, "170229-0000").contains("February"));
}

#[test]
fn se_pnr_public_mock_ids_fail_luhn() {
    // Mina meddelanden's XSD pattern admits these; their check digits are
    // wrong (protocols/se/NOTES.md §1.9), so the scheme refuses them.
    assert_eq!(
        err(Scheme::SePnr, "192301010168"),
        "check digit should be 7"
    );
    assert_eq!(
        err(Scheme::SePnr, "190101010159"),
        "check digit should be 5"
    );
    // A samordningsnummer's day is the birth day + 60, and still a date.
    assert!(err(Scheme::SePnr, "197002902391").contains("February"));
    assert_eq!(ok(Scheme::SePnr, "197010912397"), "197010912397");
}

#[test]
fn se_orgnr_worked_examples() {
    assert_eq!(ok(Scheme::SeOrgnr, "556036-0793"), "5560360793");
    assert_eq!(ok(Scheme::SeOrgnr, "2120000142"), "2120000142");
    assert_eq!(ok(Scheme::SeOrgnr, "162021004748"), "2021004748");
    assert_eq!(
        err(Scheme::SeOrgnr, "5560360794"),
        "check digit should be 3"
    );
    assert!(err(Scheme::SeOrgnr, "8112189876").contains("use se-pnr"));
}

#[test]
fn fi_hetu_worked_examples() {
    assert_eq!(ok(Scheme::FiHetu, "131052-308T"), "131052-308T");
    assert_eq!(ok(Scheme::FiHetu, "131052-308t"), "131052-308T");
    assert_eq!(ok(Scheme::FiHetu, "010594Y9021"), "010594Y9021");
    assert_eq!(ok(Scheme::FiHetu, "020502E902X"), "020502E902X");
    // The telp.fi illustration is not valid.
    assert_eq!(
        err(Scheme::FiHetu, "010190-999K"),
        "check character should be W"
    );
    assert!(err(Scheme::FiHetu, "131052G308T").contains("century sign"));
}

#[test]
fn fi_ytunnus_worked_examples() {
    assert_eq!(ok(Scheme::FiYtunnus, "0245437-2"), "0245437-2");
    assert_eq!(ok(Scheme::FiYtunnus, "02454372"), "0245437-2");
    assert_eq!(ok(Scheme::FiYtunnus, "1366959-8"), "1366959-8");
    assert_eq!(
        err(Scheme::FiYtunnus, "0737546-1"),
        "check digit should be 2"
    );
}

#[test]
fn iso6523_validates_the_national_number_it_carries() {
    assert_eq!(ok(Scheme::Iso6523, "0184:55133018"), "0184:55133018");
    assert_eq!(ok(Scheme::Iso6523, "0192:991825827"), "0192:991825827");
    assert_eq!(ok(Scheme::Iso6523, "9908:991825827"), "9908:991825827");
    assert_eq!(ok(Scheme::Iso6523, "0007:556036-0793"), "0007:5560360793");
    assert_eq!(ok(Scheme::Iso6523, "0212:13669598"), "0212:1366959-8");
    assert_eq!(ok(Scheme::Iso6523, "0213:fi13669598"), "0213:FI13669598");
    assert_eq!(
        ok(Scheme::Iso6523, "0088:5798000012345"),
        "0088:5798000012345"
    );
    assert_eq!(
        err(Scheme::Iso6523, "0192:123456789"),
        "check digit should be 5"
    );
    assert!(err(Scheme::Iso6523, "192:991825827").contains("four-digit ICD"));
    assert!(err(Scheme::Iso6523, "991825827").contains("ICD:value"));

    let iso: PartyId = "iso6523:0192:991825827".parse().unwrap();
    assert_eq!(iso.country(), Some(Country::No));
    assert_eq!(iso.national().to_string(), "no-orgnr:991825827");
    let national: PartyId = "no-orgnr:991825827".parse().unwrap();
    assert!(iso.same_party(&national));
    assert_eq!(national.to_iso6523(), Some(iso));
}

#[test]
fn eidas_organization_identifiers() {
    let cases = [
        ("NTRDK-55133018", "dk-cvr:55133018"),
        ("VATDK-55133018", "dk-cvr:55133018"),
        ("NTRNO-991825827", "no-orgnr:991825827"),
        ("VATNO-991825827MVA", "no-orgnr:991825827"),
        ("NTRSE-2021004748", "se-orgnr:2021004748"),
        ("NTRSE-556036-0793", "se-orgnr:5560360793"),
        ("VATSE-556036079301", "se-orgnr:5560360793"),
        ("NTRFI-1366959-8", "fi-ytunnus:1366959-8"),
        ("NTRFI-13669598", "fi-ytunnus:1366959-8"),
    ];
    for (raw, want) in cases {
        assert_eq!(
            PartyId::from_organization_identifier(raw)
                .unwrap()
                .to_string(),
            want,
            "{raw}"
        );
    }
    assert!(PartyId::from_organization_identifier("NTRDE-HRB12345").is_err());
    assert!(PartyId::from_organization_identifier("PSDDK-55133018").is_err());
    assert!(PartyId::from_organization_identifier("NTRDK-55133019").is_err());
}

#[test]
fn certificate_serial_numbers() {
    let se = parse_certificate_serial_number(Country::Se, "162021004748").unwrap();
    assert_eq!(se.to_string(), "se-orgnr:2021004748");
    let dk = parse_certificate_serial_number(Country::Dk, "CVR:55133018-UID:1234").unwrap();
    assert_eq!(dk.to_string(), "dk-cvr:55133018");
}

#[test]
fn malformed_input_gets_a_reason_and_no_panic() {
    for scheme in Scheme::ALL {
        assert_eq!(err(scheme, ""), "empty");
        assert_eq!(err(scheme, "   "), "empty");
        let huge = "1".repeat(10 * 1024 * 1024);
        assert_eq!(
            err(scheme, &huge),
            "too long: 10485760 characters, at most 64"
        );
        assert!(!err(scheme, "abcdefghij").is_empty());
        assert!(!err(scheme, "12345678901234567890").is_empty());
        assert!(!err(scheme, "ææææææææææ").is_empty());
        assert!(!err(scheme, "-----------").is_empty());
        assert!(!err(scheme, "::::").is_empty());
    }
}

#[test]
fn json_forms() {
    let id: PartyId = serde_json::from_str(r#""dk-cvr:55133018""#).unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), r#""dk-cvr:55133018""#);
    let id: PartyId = serde_json::from_str(r#"{"scheme":"se-pnr","value":"811218-9876"}"#).unwrap();
    assert_eq!(id.to_string(), "se-pnr:198112189876");
    let e = serde_json::from_str::<PartyId>(r#""dk-cvr:55133019""#).unwrap_err();
    assert!(e.to_string().contains("check digit should be 8"), "{e}");
    assert!(serde_json::from_str::<PartyId>(r#""xx-foo:1""#).is_err());
}

// --- Generated numbers: every valid one passes, every one-digit change fails ---

/// A date as DDMMYY plus its full year.
fn date_strategy(years: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = (u32, u32, i32)> {
    (years, 1u32..=12).prop_flat_map(|(year, month)| {
        let days = check::days_in_month(year, month).unwrap();
        (1u32..=days).prop_map(move |day| (day, month, year))
    })
}

fn fnr_strategy() -> impl Strategy<Value = String> {
    (date_strategy(1900..=1999), 0u32..500, any::<bool>()).prop_filter_map(
        "no check digit",
        |((day, month, year), individ, d_number)| {
            let day = if d_number { day + 40 } else { day };
            no::complete_fnr(&format!("{day:02}{month:02}{:02}{individ:03}", year % 100))
        },
    )
}

fn orgnr_strategy() -> impl Strategy<Value = String> {
    (10_000_000u32..100_000_000)
        .prop_filter_map("remainder 1", |n| no::complete_orgnr(&n.to_string()))
}

fn cvr_strategy() -> impl Strategy<Value = String> {
    (1_000_000u32..10_000_000).prop_filter_map("remainder 1", |n| dk::complete_cvr(&n.to_string()))
}

fn se_pnr_strategy() -> impl Strategy<Value = String> {
    (date_strategy(1900..=2020), 0u32..1000, any::<bool>()).prop_map(
        |((day, month, year), n, samordning)| {
            let day = if samordning { day + 60 } else { day };
            let body = se::complete_luhn(&format!("{:02}{month:02}{day:02}{n:03}", year % 100));
            format!("{}{body}", year / 100)
        },
    )
}

fn se_orgnr_strategy() -> impl Strategy<Value = String> {
    (1u32..10, 0u32..10, 20u32..100, 0u32..1_000_000).prop_map(|(a, b, c, rest)| {
        se::complete_luhn(
            &format!("{a}{b}{c:02}{rest:05}")
                .chars()
                .take(9)
                .collect::<String>(),
        )
    })
}

fn hetu_strategy() -> impl Strategy<Value = String> {
    (date_strategy(1900..=2025), 2u32..1000, 0usize..6).prop_map(|((day, month, year), n, sign)| {
        let signs: &[char] = if year >= 2000 {
            &['A', 'B', 'C', 'D', 'E', 'F']
        } else {
            &['-', 'Y', 'X', 'W', 'V', 'U']
        };
        let date = format!("{day:02}{month:02}{:02}", year % 100);
        let check = fi::hetu_check(&format!("{date}{n:03}"));
        format!("{date}{}{n:03}{check}", signs[sign])
    })
}

fn ytunnus_strategy() -> impl Strategy<Value = String> {
    (0u32..10_000_000).prop_filter_map("remainder 1", |n| fi::complete_ytunnus(&format!("{n:07}")))
}

/// Every value that differs from `valid` in exactly one digit at or after
/// byte `from` (digits before it, such as a Swedish century or an ISO 6523
/// ICD, are not covered by a check digit).
fn one_digit_mutations(valid: &str, from: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in valid.char_indices().skip(from) {
        let Some(d) = c.to_digit(10) else { continue };
        for other in (0..10).filter(|&o| o != d) {
            let mut s = valid.to_owned();
            s.replace_range(i..i + 1, &other.to_string());
            out.push(s);
        }
    }
    out
}

fn check_property(scheme: Scheme, valid: &str) -> Result<(), TestCaseError> {
    let checked_from = match scheme {
        Scheme::SePnr => 2,
        Scheme::Iso6523 => 5,
        _ => 0,
    };
    let today = date!(2026 - 11 - 25);
    prop_assert!(
        PartyId::parse_on(scheme, valid, today).is_ok(),
        "{valid} should be valid"
    );
    for mutated in one_digit_mutations(valid, checked_from) {
        prop_assert!(
            PartyId::parse_on(scheme, &mutated, today).is_err(),
            "{mutated} (from {valid}) should be invalid"
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn generated_fnr(v in fnr_strategy()) { check_property(Scheme::NoFnr, &v)?; }

    #[test]
    fn generated_no_orgnr(v in orgnr_strategy()) { check_property(Scheme::NoOrgnr, &v)?; }

    #[test]
    fn generated_dk_cvr(v in cvr_strategy()) { check_property(Scheme::DkCvr, &v)?; }

    #[test]
    fn generated_se_pnr(v in se_pnr_strategy()) { check_property(Scheme::SePnr, &v)?; }

    #[test]
    fn generated_se_orgnr(v in se_orgnr_strategy()) { check_property(Scheme::SeOrgnr, &v)?; }

    #[test]
    fn generated_fi_hetu(v in hetu_strategy()) { check_property(Scheme::FiHetu, &v)?; }

    #[test]
    fn generated_fi_ytunnus(v in ytunnus_strategy()) { check_property(Scheme::FiYtunnus, &v)?; }

    #[test]
    fn generated_iso6523(v in orgnr_strategy()) {
        check_property(Scheme::Iso6523, &format!("0192:{v}"))?;
    }

    /// CPR has no checksum, but every real date with any serial is valid.
    #[test]
    fn generated_cpr((day, month, year) in date_strategy(1937..=1999), serial in 0u32..4000) {
        let cpr = format!("{day:02}{month:02}{:02}{serial:04}", year % 100);
        prop_assert!(PartyId::parse(Scheme::DkCpr, &cpr).is_ok(), "{cpr}");
    }

    /// Arbitrary input never panics, for any scheme.
    #[test]
    fn arbitrary_input_never_panics(s in ".{0,80}") {
        for scheme in Scheme::ALL {
            let _ = PartyId::parse(scheme, &s);
        }
        let _ = PartyId::parse_qualified(&s);
        let _ = PartyId::from_organization_identifier(&s);
    }
}
