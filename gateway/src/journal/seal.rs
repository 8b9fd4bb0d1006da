//! Personal data at rest: AES-256-GCM with a key from a file, and keyed
//! hashes for the identifiers look-ups need.
//!
//! Message content (subjects, documents, names) and everything else that
//! identifies a person — recipients, native receipts, status notes — is
//! kept only sealed; [`super::codec`] decides which stored fields those
//! are and what each is bound to. A value that must be found again by an
//! identifier (an `Idempotency-Key`) is indexed by its HMAC-SHA-256 under
//! a key derived from the payload key, never by the clear value.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

use super::Fault;
use super::files;

const NONCE: usize = 12;
const TAG: usize = 16;
const FORMAT: u8 = 1;
/// What sealing adds to a value: format byte, nonce and tag.
pub const SEAL_OVERHEAD: usize = 1 + NONCE + TAG;
/// The label the index key is derived with: distinct from every use of
/// the payload key itself, so a keyed hash never equals a cipher output.
const INDEX_KEY_LABEL: &[u8] = b"borderpost/journal/index-key/v1";

/// Why a value could not be sealed or opened, or the key not loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The key file could not be read, written or given owner-only
    /// permissions.
    #[error("key file {}: {source}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file does not hold a 256-bit key.
    #[error("key file {} must hold 32 bytes (raw, 64 hex digits or base64)", path.display())]
    KeyFormat {
        /// The file.
        path: PathBuf,
    },
    /// No random nonce (or key) could be drawn.
    #[error("random bytes: {0}")]
    Random(ErrorStack),
    /// The cipher or the MAC failed while sealing or hashing.
    #[error("cipher: {0}")]
    Cipher(ErrorStack),
    /// The bytes are not a sealed value (damaged, or never sealed).
    #[error("not a sealed value")]
    NotSealed,
    /// Opening failed: the key is not the one the value was sealed with, or
    /// the value or what it is bound to was altered or moved.
    #[error("authentication failed (wrong key, or the value was altered or moved)")]
    Authentication,
}

impl SealError {
    /// What kind of fault this is: a damaged value, or a problem with the
    /// key or the cipher.
    pub fn fault(&self) -> Fault {
        match self {
            SealError::NotSealed => Fault::Corrupt,
            SealError::KeyFile { .. }
            | SealError::KeyFormat { .. }
            | SealError::Random(_)
            | SealError::Cipher(_)
            | SealError::Authentication => Fault::Key,
        }
    }
}

/// A 256-bit payload key.
#[derive(Clone)]
pub struct PayloadKey([u8; 32]);

impl std::fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadKey(…)")
    }
}

/// The key of the journal's keyed hashes (HMAC-SHA-256), derived from the
/// payload key.
#[derive(Clone)]
pub(super) struct IndexKey([u8; 32]);

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexKey(…)")
    }
}

// === impl PayloadKey ===

impl PayloadKey {
    /// Reads a key file: 32 raw bytes, 64 hex digits, or base64 of 32 bytes.
    /// A file others may read is made owner-only first; if that is not
    /// possible, the key is refused (a key others can read seals nothing).
    pub fn load(path: &Path) -> Result<PayloadKey, SealError> {
        let key_file = |source| SealError::KeyFile {
            path: path.to_owned(),
            source,
        };
        files::private_file(path).map_err(key_file)?;
        let bytes = fs::read(path).map_err(key_file)?;
        PayloadKey::parse(&bytes).ok_or_else(|| SealError::KeyFormat {
            path: path.to_owned(),
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
    /// the owner only, in a directory created owner-only) if there is none
    /// yet.
    pub fn load_or_create(path: &Path) -> Result<PayloadKey, SealError> {
        if path.exists() {
            return PayloadKey::load(path);
        }
        let mut key = [0u8; 32];
        openssl::rand::rand_bytes(&mut key).map_err(SealError::Random)?;
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        files::create_private(path, hex.as_bytes()).map_err(|source| SealError::KeyFile {
            path: path.to_owned(),
            source,
        })?;
        Ok(PayloadKey(key))
    }

    /// A key from raw bytes.
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> PayloadKey {
        PayloadKey(bytes)
    }

    /// Seals `plaintext`, bound to `context` (authenticated, not stored):
    /// opening with another context fails. Every call draws a fresh random
    /// nonce.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE];
        openssl::rand::rand_bytes(&mut nonce).map_err(SealError::Random)?;
        let mut tag = [0u8; TAG];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            context,
            plaintext,
            &mut tag,
        )
        .map_err(SealError::Cipher)?;
        let mut out = Vec::with_capacity(SEAL_OVERHEAD + ciphertext.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens what [`seal`](PayloadKey::seal) produced with the same context.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < SEAL_OVERHEAD || sealed[0] != FORMAT {
            return Err(SealError::NotSealed);
        }
        let nonce = &sealed[1..1 + NONCE];
        let (ciphertext, tag) = sealed[1 + NONCE..].split_at(sealed.len() - SEAL_OVERHEAD);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(nonce),
            context,
            ciphertext,
            tag,
        )
        .map_err(|_| SealError::Authentication)
    }

    /// The key of the journal's keyed hashes: HMAC-SHA-256 of a fixed label
    /// under this key.
    pub(super) fn index_key(&self) -> Result<IndexKey, SealError> {
        hmac(&self.0, &[INDEX_KEY_LABEL]).map(IndexKey)
    }
}

// === impl IndexKey ===

impl IndexKey {
    /// HMAC-SHA-256 of `parts`, each length-prefixed so that no two lists
    /// of parts hash alike.
    pub(super) fn hash(&self, parts: &[&[u8]]) -> Result<[u8; 32], SealError> {
        hmac(&self.0, parts)
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], SealError> {
    let pkey = PKey::hmac(key).map_err(SealError::Cipher)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &pkey).map_err(SealError::Cipher)?;
    for part in parts {
        signer
            .update(&(part.len() as u64).to_be_bytes())
            .map_err(SealError::Cipher)?;
        signer.update(part).map_err(SealError::Cipher)?;
    }
    let mut out = [0u8; 32];
    let written = signer.sign(&mut out).map_err(SealError::Cipher)?;
    if written != out.len() {
        // HMAC-SHA-256 is 32 bytes; anything else is the library failing.
        return Err(SealError::Cipher(ErrorStack::get()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_context() {
        let key = PayloadKey([7; 32]);
        let sealed = key.seal(b"ctx", b"hello").unwrap();
        assert_eq!(sealed.len(), SEAL_OVERHEAD + 5);
        assert_eq!(key.open(b"ctx", &sealed).unwrap(), b"hello");
        assert!(matches!(
            key.open(b"other", &sealed),
            Err(SealError::Authentication)
        ));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(key.open(b"ctx", &tampered).is_err());
        let wrong = PayloadKey([8; 32]).open(b"ctx", &sealed).unwrap_err();
        assert_eq!(wrong.fault(), Fault::Key);
        let garbage = key.open(b"ctx", b"plain").unwrap_err();
        assert_eq!(garbage.fault(), Fault::Corrupt);
        // Two seals of the same value differ (fresh nonces).
        assert_ne!(key.seal(b"ctx", b"hello").unwrap(), sealed);
    }

    #[test]
    fn keyed_hashes_depend_on_the_key_and_the_split_of_parts() {
        let a = PayloadKey([1; 32]).index_key().unwrap();
        let b = PayloadKey([2; 32]).index_key().unwrap();
        let h = a.hash(&[b"dk-cvr:55133018", b"key-1"]).unwrap();
        assert_eq!(h, a.hash(&[b"dk-cvr:55133018", b"key-1"]).unwrap());
        assert_ne!(h, b.hash(&[b"dk-cvr:55133018", b"key-1"]).unwrap());
        assert_ne!(h, a.hash(&[b"dk-cvr:55133018key-1"]).unwrap());
        assert_ne!(h, a.hash(&[b"dk-cvr:55133018k", b"ey-1"]).unwrap());
    }

    #[test]
    fn key_files_in_three_forms() {
        assert!(PayloadKey::parse(&[1; 32]).is_some());
        assert!(PayloadKey::parse("ab".repeat(32).as_bytes()).is_some());
        let b64 = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        assert!(PayloadKey::parse(b64.as_bytes()).is_some());
        assert!(PayloadKey::parse(b"short").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_created_key_is_owner_only_and_a_loose_one_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("borderpost-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("keys").join("payload.key");
        let created = PayloadKey::load_or_create(&path).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let loaded = PayloadKey::load(&path).unwrap();
        assert_eq!(loaded.0, created.0);
        assert_eq!(mode(&path), 0o600);
        fs::remove_dir_all(dir).unwrap();
    }
}
