//! Payloads at rest: AES-256-GCM with a key from a file.
//!
//! Message content (subjects, documents, names) is personal data; the
//! journal keeps it only sealed. Metadata needed for queries — ids,
//! routes, statuses — stays in clear.

use std::fs;
use std::path::Path;

use base64::Engine;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

const NONCE: usize = 12;
const TAG: usize = 16;
const FORMAT: u8 = 1;

/// Why a payload could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file does not hold a 256-bit key.
    #[error("key file {path} must hold 32 bytes (raw, 64 hex digits or base64)")]
    KeyFormat {
        /// The file.
        path: String,
    },
    /// The cipher failed (for opening: the payload or its binding was
    /// tampered with, or the key is wrong).
    #[error("cipher: {0}")]
    Cipher(String),
}

/// A 256-bit payload key.
#[derive(Clone)]
pub struct PayloadKey([u8; 32]);

impl std::fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadKey(…)")
    }
}

impl PayloadKey {
    /// Reads a key file: 32 raw bytes, 64 hex digits, or base64 of 32 bytes.
    pub fn load(path: &Path) -> Result<PayloadKey, SealError> {
        let bytes = fs::read(path).map_err(|source| SealError::KeyFile {
            path: path.display().to_string(),
            source,
        })?;
        PayloadKey::parse(&bytes).ok_or_else(|| SealError::KeyFormat {
            path: path.display().to_string(),
        })
    }

    fn parse(bytes: &[u8]) -> Option<PayloadKey> {
        if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
            return Some(PayloadKey(raw));
        }
        let text = std::str::from_utf8(bytes).ok()?.trim();
        let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?
        };
        <[u8; 32]>::try_from(decoded.as_slice())
            .ok()
            .map(PayloadKey)
    }

    /// Loads the key at `path`, creating a fresh random one (readable by
    /// the owner only) if there is none yet.
    pub fn load_or_create(path: &Path) -> Result<PayloadKey, SealError> {
        if path.exists() {
            return PayloadKey::load(path);
        }
        let mut key = [0u8; 32];
        openssl::rand::rand_bytes(&mut key).map_err(|e| SealError::Cipher(e.to_string()))?;
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        write_private(path, hex.as_bytes()).map_err(|source| SealError::KeyFile {
            path: path.display().to_string(),
            source,
        })?;
        Ok(PayloadKey(key))
    }

    /// Seals `plaintext`, bound to `context` (authenticated, not stored):
    /// opening with another context fails.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE];
        openssl::rand::rand_bytes(&mut nonce).map_err(|e| SealError::Cipher(e.to_string()))?;
        let mut tag = [0u8; TAG];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            context,
            plaintext,
            &mut tag,
        )
        .map_err(|e| SealError::Cipher(e.to_string()))?;
        let mut out = Vec::with_capacity(1 + NONCE + ciphertext.len() + TAG);
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens what [`seal`](PayloadKey::seal) produced with the same context.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 1 + NONCE + TAG || sealed[0] != FORMAT {
            return Err(SealError::Cipher("not a sealed payload".to_owned()));
        }
        let nonce = &sealed[1..1 + NONCE];
        let (ciphertext, tag) = sealed[1 + NONCE..].split_at(sealed.len() - 1 - NONCE - TAG);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(nonce),
            context,
            ciphertext,
            tag,
        )
        .map_err(|_| {
            SealError::Cipher("authentication failed (wrong key or tampered payload)".to_owned())
        })
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_context() {
        let key = PayloadKey([7; 32]);
        let sealed = key.seal(b"ctx", b"hello").unwrap();
        assert_eq!(key.open(b"ctx", &sealed).unwrap(), b"hello");
        assert!(key.open(b"other", &sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(key.open(b"ctx", &tampered).is_err());
        assert!(PayloadKey([8; 32]).open(b"ctx", &sealed).is_err());
    }

    #[test]
    fn key_files_in_three_forms() {
        assert!(PayloadKey::parse(&[1; 32]).is_some());
        assert!(PayloadKey::parse("ab".repeat(32).as_bytes()).is_some());
        let b64 = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        assert!(PayloadKey::parse(b64.as_bytes()).is_some());
        assert!(PayloadKey::parse(b"short").is_none());
    }
}
