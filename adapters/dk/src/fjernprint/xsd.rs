//! The Fjernprint (SF1600) `ForsendelseI` schema, transcribed from
//! `protocols/dk/fjernprint-sf1600/oio/ForsendelseI.xsd` and the files it
//! includes and imports.

use crate::schema::{AttrDecl, Content, Decl, Particle, Simple, leaf, many, one, opt, seq};

/// `urn:oio:fjernprint:1.0.0`.
pub const FJERNPRINT: &str = "urn:oio:fjernprint:1.0.0";
/// `urn:oio:dkal:1.0.0`.
pub const DKAL: &str = "urn:oio:dkal:1.0.0";
/// `urn:oio:sagdok:3.0.0`.
pub const SAGDOK: &str = "urn:oio:sagdok:3.0.0";
/// `urn:oio:adir:dagpenge:2009.07.01` (CPR/CVR number elements).
pub const ADIR: &str = "urn:oio:adir:dagpenge:2009.07.01";
/// ITST person name.
pub const ITST: &str = "http://rep.oio.dk/itst.dk/xml/schemas/2006/01/17/";
/// DKCC 2003 (building, floor, country code).
pub const DKCC: &str = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2003/02/13/";
/// DKCC 2005-03 (street name, postcode).
pub const DKCC2005: &str = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/03/15/";
/// DKCC 2005-05-13 (post office box).
pub const DKCC2005_2: &str = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/05/13/";
/// DKCC 2005-05-19 (postal label lines).
pub const DKCC2005_3: &str = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/05/19/";

/// The prefixes Borderpost declares on a `ForsendelseI`.
pub const PREFIXES: [(&str, &str); 9] = [
    ("fjernprint", FJERNPRINT),
    ("dkal", DKAL),
    ("sd", SAGDOK),
    ("adir", ADIR),
    ("itst", ITST),
    ("dkcc", DKCC),
    ("dkcc2005", DKCC2005),
    ("dkcc2005-2", DKCC2005_2),
    ("dkcc2005-3", DKCC2005_3),
];

const fn text(min: usize, max: usize) -> Simple {
    Simple::Text { min, max }
}
const UNLIMITED: usize = usize::MAX;
const NON_NEGATIVE: Simple = Simple::Integer {
    min: 0,
    max: i64::MAX,
};
const POSITIVE: Simple = Simple::Integer {
    min: 1,
    max: i64::MAX,
};
/// `FilformatNavnType`.
pub(crate) const FILE_FORMAT: Simple = text(0, 10);
/// A postal label line (`CompletePostalLabelTextType`).
pub(crate) const LABEL_LINE_MAX: usize = 34;
const LABEL_LINE: Simple = text(0, LABEL_LINE_MAX);
/// `PersonNameType`.
pub(crate) const PERSON_NAME_MAX: usize = 130;

/// `PersonCivilRegistrationIdentifierType`: a DDMM date and six digits, or
/// ten zeros.
pub(crate) fn is_cpr(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if s == "0000000000" {
        return true;
    }
    let day = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let month = u32::from(b[2] - b'0') * 10 + u32::from(b[3] - b'0');
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => 29,
        _ => 0,
    };
    (1..=days).contains(&day)
}

fn is_postcode(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_building(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_uppercase());
    (s.len() - digits.len()) <= 1
        && (1..=3).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn is_floor(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(s, "KL" | "ST" | "kl" | "st")
        || (b.len() == 2 && matches!(b[0], b'k' | b'K') && (b'2'..=b'9').contains(&b[1]))
        || (!s.is_empty()
            && s.len() <= 2
            && !s.starts_with('0')
            && b.iter().all(u8::is_ascii_digit))
}

fn is_country_code(s: &str) -> bool {
    let letters = |b: &u8| b.is_ascii_alphabetic() || *b == b',';
    let b = s.as_bytes();
    ((b.len() == 2 || b.len() == 3) && b.iter().all(letters))
        || ((b.len() == 3 || b.len() == 4) && b.iter().all(u8::is_ascii_digit))
}

fn is_email(s: &str) -> bool {
    let bad = |c: char| "<>()[]\\,;:@".contains(c) || c.is_whitespace();
    match s.split_once('@') {
        Some((local, domain)) => {
            local.chars().count() <= 191
                && (1..=64).contains(&domain.chars().count())
                && !local.chars().any(bad)
                && !domain.chars().any(bad)
                && !s.contains('>')
        }
        None => false,
    }
}

fn is_lower_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

const KONTAKT_OPLYSNING: &[Particle] = &[
    one(leaf!(ITST, "PersonName", text(1, PERSON_NAME_MAX))),
    Particle::Choice {
        branches: &[
            &[
                opt(leaf!(FJERNPRINT, "CoNavn", text(1, PERSON_NAME_MAX))),
                one(leaf!(DKCC2005, "StreetName", text(1, 40))),
                one(leaf!(
                    DKCC,
                    "StreetBuildingIdentifier",
                    Simple::Pattern(is_building, "a house number such as 7 or 7A")
                )),
                opt(leaf!(
                    DKCC,
                    "FloorIdentifier",
                    Simple::Pattern(is_floor, "a floor such as 3, ST or KL")
                )),
                opt(leaf!(DKCC, "SuiteIdentifier", text(1, 4))),
                opt(leaf!(
                    DKCC,
                    "MailDeliverySublocationIdentifier",
                    text(1, 34)
                )),
                one(leaf!(
                    DKCC2005,
                    "PostCodeIdentifier",
                    Simple::Pattern(is_postcode, "a four-digit postcode")
                )),
                opt(leaf!(
                    DKCC2005,
                    "DistrictSubdivisionIdentifier",
                    text(1, 34)
                )),
                opt(leaf!(
                    DKCC2005_2,
                    "PostOfficeBoxIdentifier",
                    Simple::Integer { min: 1, max: 9999 }
                )),
            ],
            &[
                one(leaf!(DKCC2005_3, "PostalAddressFirstLineText", LABEL_LINE)),
                opt(leaf!(DKCC2005_3, "PostalAddressSecondLineText", LABEL_LINE)),
                opt(leaf!(DKCC2005_3, "PostalAddressThirdLineText", LABEL_LINE)),
                opt(leaf!(DKCC2005_3, "PostalAddressFourthLineText", LABEL_LINE)),
                opt(leaf!(DKCC2005_3, "PostalAddressFifthLineText", LABEL_LINE)),
                opt(leaf!(DKCC2005_3, "PostalAddressSixthLineText", LABEL_LINE)),
                opt(leaf!(
                    DKCC2005,
                    "PostCodeIdentifier",
                    Simple::Pattern(is_postcode, "a four-digit postcode")
                )),
            ],
        ],
        min: 1,
    },
    one(&Decl {
        ns: DKCC,
        name: "CountryIdentificationCode",
        content: Content::Simple(Simple::Pattern(
            is_country_code,
            "a country code such as DK",
        )),
        attrs: &[AttrDecl {
            name: "scheme",
            simple: Simple::Enum(&["iso3166-alpha2", "iso3166-alpha3", "un-numeric3", "imk"]),
            required: true,
        }],
    }),
];

/// The postal label line elements, in order.
pub(crate) const LINES: [&str; 6] = [
    "PostalAddressFirstLineText",
    "PostalAddressSecondLineText",
    "PostalAddressThirdLineText",
    "PostalAddressFourthLineText",
    "PostalAddressFifthLineText",
    "PostalAddressSixthLineText",
];

static MODTAGER_ADRESSE: Decl = Decl {
    ns: FJERNPRINT,
    name: "ModtagerAdresse",
    content: Content::Sequence(KONTAKT_OPLYSNING),
    attrs: &[],
};
static AFSENDER_ADRESSE: Decl = Decl {
    ns: FJERNPRINT,
    name: "AfsenderAdresse",
    content: Content::Sequence(KONTAKT_OPLYSNING),
    attrs: &[],
};
static AFSENDELSE_MODTAGER: Decl = seq!(
    DKAL,
    "AfsendelseModtager",
    [Particle::Choice {
        branches: &[
            &[one(leaf!(
                ADIR,
                "CPRnummerIdentifikator",
                Simple::Pattern(is_cpr, "a CPR number")
            ))],
            &[one(leaf!(ADIR, "CVRnummerIdentifikator", text(8, 8)))],
        ],
        min: 1,
    }]
);
static FORSENDELSE_MODTAGER: Decl = seq!(
    FJERNPRINT,
    "ForsendelseModtager",
    [opt(&AFSENDELSE_MODTAGER), opt(&MODTAGER_ADRESSE)]
);
static TRANSAKTIONS_PARAMETRE: Decl = seq!(
    FJERNPRINT,
    "TransaktionsParametreI",
    [
        opt(leaf!(FJERNPRINT, "TransaktionsDatoTid", Simple::DateTime)),
        opt(leaf!(
            FJERNPRINT,
            "MasseForsendelseIdentifikator",
            text(1, 38)
        )),
        opt(leaf!(
            FJERNPRINT,
            "KvitteringsTypeKode",
            Simple::Enum(&["Alle", "Ingen", "Kun fejl"])
        )),
        opt(leaf!(
            FJERNPRINT,
            "KvitteringsEmail",
            Simple::Pattern(is_email, "an e-mail address")
        )),
    ]
);
static DOKUMENT_PARAMETRE: Decl = seq!(
    FJERNPRINT,
    "DokumentParametre",
    [
        opt(leaf!(SAGDOK, "TitelTekst", text(0, UNLIMITED))),
        opt(leaf!(SAGDOK, "UUIDIdentifikator", text(0, UNLIMITED))),
        opt(leaf!(SAGDOK, "BrevDato", Simple::Date)),
        opt(&Decl {
            ns: FJERNPRINT,
            name: "MeddelelsesFormatObjekt",
            content: Content::Any,
            attrs: &[],
        }),
    ]
);
static FORSENDELSE_AFSENDER: Decl =
    seq!(FJERNPRINT, "ForsendelseAfsender", [opt(&AFSENDER_ADRESSE)]);
static KANAL_UAFHAENGIGE: Decl = seq!(
    FJERNPRINT,
    "KanalUafhaengigeParametreI",
    [
        opt(leaf!(FJERNPRINT, "EnhedTekst", text(0, 2000))),
        one(leaf!(FJERNPRINT, "BrugerNavn", text(1, 2000))),
        opt(leaf!(FJERNPRINT, "KonteringsGruppeTekst", text(0, 2000))),
        opt(&FORSENDELSE_AFSENDER),
        opt(leaf!(
            FJERNPRINT,
            "PaatrykAfsenderAdresseIndikator",
            Simple::Boolean
        )),
        opt(leaf!(
            FJERNPRINT,
            "PaatrykModtagerAdresseIndikator",
            Simple::Boolean
        )),
        opt(leaf!(
            FJERNPRINT,
            "PaatrykBrevdatoIndikator",
            Simple::Boolean
        )),
        opt(leaf!(
            FJERNPRINT,
            "KanalKode",
            Simple::Enum(&["Digital Post", "Fysisk Post"])
        )),
        opt(leaf!(FJERNPRINT, "HasteBrevIndikator", Simple::Boolean)),
    ]
);
static PRINT_PARAMETRE: Decl = seq!(
    FJERNPRINT,
    "PrintParametre",
    [
        opt(leaf!(
            FJERNPRINT,
            "SimplexDuplexKode",
            Simple::Enum(&["Simplex", "Duplex"])
        )),
        opt(leaf!(
            FJERNPRINT,
            "FarveSHKode",
            Simple::Enum(&["SH", "Farve"])
        )),
        opt(leaf!(
            FJERNPRINT,
            "KuvertTypeKode",
            Simple::Enum(&["C4", "C5", "MA"])
        )),
    ]
);
static FESD: Decl = seq!(
    DKAL,
    "MeddelelseFESDmetadata",
    [
        opt(leaf!(
            DKAL,
            "FESDdokumentIdentifikator",
            Simple::Pattern(is_lower_uuid, "a UUID")
        )),
        opt(leaf!(
            DKAL,
            "FESDaktoerIdentifikator",
            Simple::Pattern(is_lower_uuid, "a UUID")
        )),
        opt(leaf!(
            DKAL,
            "FESDsagIdentifikator",
            Simple::Pattern(is_lower_uuid, "a UUID")
        )),
        opt(leaf!(
            DKAL,
            "FESDsagsklassifikationIdentifikator",
            Simple::Pattern(is_lower_uuid, "a UUID")
        )),
    ]
);
static DIGITAL_POST_PARAMETRE: Decl = seq!(
    FJERNPRINT,
    "DigitalPostParametre",
    [
        opt(leaf!(DKAL, "AfsendelseDatoTid", Simple::DateTime)),
        opt(leaf!(
            DKAL,
            "MeddelelseIndholdstypeIdentifikator",
            NON_NEGATIVE
        )),
        opt(leaf!(
            DKAL,
            "MeddelelseSvarTypeNavn",
            Simple::Enum(&["angivet", "ikkeMuligt", "standard"])
        )),
        opt(leaf!(
            DKAL,
            "MeddelelseSvarPostkasseIdentifikator",
            NON_NEGATIVE
        )),
        opt(leaf!(DKAL, "MeddelelseSvarEmneIdentifikator", NON_NEGATIVE)),
        opt(&FESD),
        one(leaf!(
            FJERNPRINT,
            "MedsendDokumentRegistreringIndikator",
            Simple::Boolean
        )),
    ]
);
static POST_PARAMETRE: Decl = seq!(
    FJERNPRINT,
    "PostParametre",
    [
        opt(leaf!(
            FJERNPRINT,
            "PostKategoriKode",
            Simple::Enum(&[
                "Prioritaire",
                "Economique",
                "Bulk",
                "Rekommanderet",
                "Rekommanderet med modtagerbevis",
                "Forkyndelse",
            ])
        )),
        opt(leaf!(FJERNPRINT, "AllokeringsIdentifikator", POSITIVE)),
        opt(leaf!(
            FJERNPRINT,
            "ReturposthaandteringHosLeverandoerIndikator",
            Simple::Boolean
        )),
        opt(leaf!(
            FJERNPRINT,
            "InformationVedAdresseAendringIndikator",
            Simple::Boolean
        )),
        opt(leaf!(FJERNPRINT, "SideKvantitet", NON_NEGATIVE)),
    ]
);
static BILAG: Decl = seq!(
    FJERNPRINT,
    "Bilag",
    [
        one(leaf!(FJERNPRINT, "BilagNavn", text(0, 300))),
        one(leaf!(DKAL, "FilformatNavn", FILE_FORMAT)),
        one(leaf!(
            FJERNPRINT,
            "BilagSorteringsIndeksIdentifikator",
            NON_NEGATIVE
        )),
        Particle::Choice {
            branches: &[
                &[one(leaf!(DKAL, "BilagIdentifikator", text(0, 10)))],
                &[one(leaf!(DKAL, "VedhaeftningIndholdData", Simple::Base64))],
                &[
                    one(leaf!(
                        DKAL,
                        "VedhaeftningIndholdURLreference",
                        text(0, UNLIMITED)
                    )),
                    one(leaf!(
                        FJERNPRINT,
                        "VedhaeftSomIndholdDataIndikator",
                        Simple::Boolean
                    )),
                ],
            ],
            min: 0,
        },
    ]
);
/// The most attachments (`Bilag`) one `ForsendelseI` takes.
pub(crate) const MAX_BILAG: usize = 100;
static BILAG_SAMLING: Decl = seq!(
    FJERNPRINT,
    "BilagSamling",
    [many(&BILAG, 1, MAX_BILAG as u32)]
);

/// `ForsendelseI`.
pub(crate) static FORSENDELSE_I: Decl = seq!(
    FJERNPRINT,
    "ForsendelseI",
    [
        one(leaf!(FJERNPRINT, "AfsendelseIdentifikator", text(1, 38))),
        opt(leaf!(FJERNPRINT, "ForsendelseTypeIdentifikator", POSITIVE)),
        opt(&FORSENDELSE_MODTAGER),
        one(leaf!(DKAL, "FilformatNavn", FILE_FORMAT)),
        one(leaf!(DKAL, "MeddelelseIndholdData", Simple::Base64)),
        opt(&TRANSAKTIONS_PARAMETRE),
        one(&DOKUMENT_PARAMETRE),
        opt(&KANAL_UAFHAENGIGE),
        opt(&PRINT_PARAMETRE),
        opt(&DIGITAL_POST_PARAMETRE),
        opt(&POST_PARAMETRE),
        opt(&BILAG_SAMLING),
    ]
);

/// The deepest a valid `ForsendelseI` nests (ForsendelseI /
/// KanalUafhaengigeParametreI / ForsendelseAfsender / AfsenderAdresse /
/// leaf = 5), with room to spare.
pub(crate) const MAX_DEPTH: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_cpr("2211771212"));
        assert!(is_cpr("0000000000"));
        assert!(!is_cpr("3211771212"));
        assert!(is_building("7") && is_building("7A") && is_building("123B"));
        assert!(!is_building("07") && !is_building("1234") && !is_building("7AB"));
        assert!(is_floor("3") && is_floor("ST") && is_floor("k2") && !is_floor("k1"));
        assert!(is_country_code("DK") && is_country_code("208") && !is_country_code("D"));
        assert!(is_email("a@b.dk") && !is_email("a b@c") && !is_email("ab"));
    }
}
