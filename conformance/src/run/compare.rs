//! Translation fidelity: what was sent against what the national system
//! decoded, field by field, with the adapters' documented losses named
//! (and not compared) rather than silently ignored.

use std::fmt::Debug;

use borderpost_core::{Document, Message};

/// A field-by-field comparison.
#[derive(Debug, Default)]
pub struct Comparison {
    rows: Vec<String>,
    mismatches: Vec<String>,
}

impl Comparison {
    /// Compares one field.
    pub fn field<T: PartialEq + Debug>(&mut self, name: &str, sent: &T, got: &T) {
        if sent == got {
            self.rows
                .push(format!("= {name}: {}", short(&format!("{sent:?}"))));
        } else {
            let line = format!(
                "{name}: sent {}, arrived {}",
                short(&format!("{sent:?}")),
                short(&format!("{got:?}"))
            );
            self.rows.push(format!("≠ {line}"));
            self.mismatches.push(line);
        }
    }

    /// Records a documented loss: not compared.
    pub fn lost(&mut self, name: &str, why: &str) {
        self.rows.push(format!("~ {name}: documented loss ({why})"));
    }

    /// Compares the documents: count, then each one's file name, media
    /// type, bytes, and (if `metadata`) title and language.
    pub fn documents(&mut self, sent: &[Document], got: &[Document], metadata: bool) {
        self.field("documents.len", &sent.len(), &got.len());
        for (i, (a, b)) in sent.iter().zip(got).enumerate() {
            self.field(
                &format!("documents[{i}].filename"),
                &a.filename,
                &b.filename,
            );
            self.field(
                &format!("documents[{i}].media_type"),
                &a.media_type,
                &b.media_type,
            );
            let digest = |d: &Document| {
                format!(
                    "{} bytes, sha256 {}",
                    d.content.len(),
                    hex(&openssl::sha::sha256(&d.content)[..8])
                )
            };
            self.field(&format!("documents[{i}].content"), &digest(a), &digest(b));
            if metadata {
                self.field(&format!("documents[{i}].title"), &a.title, &b.title);
                self.field(
                    &format!("documents[{i}].language"),
                    &a.language,
                    &b.language,
                );
            }
        }
    }

    /// Compares the sender's identifier as a party (any spelling of one
    /// organisation is the same).
    pub fn sender(&mut self, sent: &Message, got: &Message) {
        self.field(
            "sender.id",
            &sent.sender.id.national().to_string(),
            &got.sender.id.national().to_string(),
        );
    }

    /// Whether every compared field matched.
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// The table, one line per field.
    pub fn table(&self) -> String {
        self.rows.join("\n")
    }

    /// The fields that differ.
    pub fn mismatches(&self) -> &[String] {
        &self.mismatches
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn short(text: &str) -> String {
    let mut out: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatches_are_listed_and_losses_are_not() {
        let mut c = Comparison::default();
        c.field("subject", &"a", &"a");
        c.lost("read_receipt", "Digital Post sends none");
        assert!(c.ok());
        c.field("subject", &"a", &"b");
        assert!(!c.ok());
        assert_eq!(c.mismatches().len(), 1);
        assert_eq!(c.table().lines().count(), 3);
    }
}
