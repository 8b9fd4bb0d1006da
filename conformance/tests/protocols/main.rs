//! The vendored official material is byte for byte what its `SOURCES.md`
//! names: every file a country's `SHA256SUMS` lists has that digest, and no
//! file besides Borderpost's own notes is unlisted (a file added or edited
//! to make a test pass shows here).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed expectation is a failed test"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The folder of each national system (and the EU layer).
const COUNTRIES: [&str; 5] = ["dk", "no", "se", "fi", "eu"];

/// Files in a country folder written by Borderpost, not by the protocol's
/// owners: not in `SHA256SUMS`.
const OWN_FILES: [&str; 3] = ["NOTES.md", "SOURCES.md", "SHA256SUMS"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols")
}

fn files_below(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_below(&path, base, out);
        } else {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every problem with one country folder, and how many files were checked.
fn check(dir: &Path) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let sums = match std::fs::read_to_string(dir.join("SHA256SUMS")) {
        Ok(sums) => sums,
        Err(e) => return (vec![format!("SHA256SUMS: {e}")], 0),
    };
    let mut listed = BTreeSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let Some((digest, name)) = line.split_once("  ") else {
            problems.push(format!("SHA256SUMS: bad line {line:?}"));
            continue;
        };
        let name = name.trim_start_matches("./");
        match std::fs::read(dir.join(name)) {
            Ok(bytes) if hex(&openssl::sha::sha256(&bytes)) == digest => {}
            Ok(_) => problems.push(format!("{name} differs from the official file")),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
        listed.insert(name.to_owned());
    }
    let mut present = BTreeSet::new();
    files_below(dir, dir, &mut present);
    for file in present {
        if !listed.contains(&file) && !OWN_FILES.contains(&file.as_str()) {
            problems.push(format!("{file} is not in SHA256SUMS"));
        }
    }
    (problems, listed.len())
}

#[test]
fn every_vendored_file_matches_its_checksum_and_none_is_unlisted() {
    let mut checked = 0;
    for country in COUNTRIES {
        let (problems, n) = check(&root().join(country));
        assert!(problems.is_empty(), "{country}: {problems:#?}");
        checked += n;
    }
    assert_eq!(checked, 343, "the vendored files listed in SHA256SUMS");
}

#[test]
fn an_edited_or_added_file_is_reported() {
    let copy = std::env::temp_dir().join(format!("borderpost-protocols-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let source = root().join("fi");
    std::fs::create_dir_all(copy.join("ws-viranomaispalvelut")).unwrap();
    for name in [
        "SHA256SUMS",
        "ws-viranomaispalvelut/Viranomaispalvelut.wsdl",
        "ws-viranomaispalvelut/Viranomaispalvelut.xsd",
    ] {
        std::fs::copy(source.join(name), copy.join(name)).unwrap();
    }
    assert_eq!(check(&copy).0, Vec::<String>::new());

    let xsd = copy.join("ws-viranomaispalvelut/Viranomaispalvelut.xsd");
    let mut bytes = std::fs::read(&xsd).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&xsd, bytes).unwrap();
    std::fs::write(copy.join("extra.xml"), "<x/>").unwrap();
    let (problems, _) = check(&copy);
    std::fs::remove_dir_all(&copy).unwrap();
    assert_eq!(
        problems,
        [
            "ws-viranomaispalvelut/Viranomaispalvelut.xsd differs from the official file",
            "extra.xml is not in SHA256SUMS",
        ]
    );
}
