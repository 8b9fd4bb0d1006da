//! The CMS (RFC 5652) envelope around the document package, exactly as the
//! DPI profile prescribes (docs.digdir.no, "dokumentpakke – sikkerhet"):
//!
//! ```text
//! ContentInfo { id-envelopedData,
//!   EnvelopedData { version 0, (no originatorInfo),
//!     recipientInfos SET { KeyTransRecipientInfo { version 0,
//!         rid issuerAndSerialNumber (of the postbox provider's certificate),
//!         keyEncryptionAlgorithm id-RSAES-OAEP { hashFunc sha256, maskGenFunc mgf1(sha256) },
//!         encryptedKey } },
//!     encryptedContentInfo { id-data, aes256-CBC (16-byte IV), [0] ciphertext }
//!     (no unprotectedAttrs) } }
//! ```
//!
//! OAEP parameters: the current DPI page requires SHA-256 with MGF1-SHA-256
//! and the empty pSource, and all four Digdir sample packages encode exactly
//! `hashFunc [0] {sha256, NULL}`, `maskGenFunc [1] {mgf1, {sha256, NULL}}`
//! with pSource left at its default — so that is what Borderpost writes.
//! The legacy SDP page named SHA-1/MGF1-SHA-1 (the OAEP defaults); packages
//! in that form are still accepted on input.
//!
//! The ASN.1 is built and read by the crate's small `asn1` module; OpenSSL does the RSA and
//! AES primitives (its safe CMS API cannot choose OAEP for key transport).
//! The content-encryption key and IV come from OpenSSL's CSPRNG — the one
//! source of randomness in this crate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::{AdapterError, Opened};
use openssl::encrypt::{Decrypter, Encrypter};
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::symm::{Cipher, Crypter, Mode, encrypt as aes_encrypt};

use crate::asn1::{self, oid, tag};
use crate::cert::{self, crypto};

/// The `digestMethod` of `dokumentpakkefingeravtrykk`.
pub const DIGEST_METHOD_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// `dokumentpakkefingeravtrykk.digestValue`: base64 of the SHA-256 of the
/// CMS bytes exactly as sent.
pub fn fingerprint(cms: &[u8]) -> Result<String, AdapterError> {
    let digest = hash(MessageDigest::sha256(), cms).map_err(crypto)?;
    Ok(STANDARD.encode(digest))
}

/// Encrypts `content` (the ASiC-E) to the holder of `recipient_cert_der`.
pub fn encrypt(content: &[u8], recipient_cert_der: &[u8]) -> Result<Vec<u8>, AdapterError> {
    let recipient = openssl::x509::X509::from_der(recipient_cert_der).map_err(|_| {
        AdapterError::Recipient {
            detail: "the recipient's encryption certificate (KRR `sertifikat`) is not a valid X.509 certificate"
                .to_owned(),
        }
    })?;
    let (issuer, serial) =
        cert::issuer_and_serial(recipient_cert_der).map_err(|_| AdapterError::Recipient {
            detail: "the recipient's encryption certificate cannot be read".to_owned(),
        })?;
    let public = recipient.public_key().map_err(crypto)?;
    if public.id() != openssl::pkey::Id::RSA {
        return Err(AdapterError::Recipient {
            detail: "the recipient's encryption certificate has no RSA key".to_owned(),
        });
    }

    let mut cek = [0u8; 32];
    let mut iv = [0u8; 16];
    openssl::rand::rand_bytes(&mut cek).map_err(crypto)?;
    openssl::rand::rand_bytes(&mut iv).map_err(crypto)?;
    let ciphertext =
        aes_encrypt(Cipher::aes_256_cbc(), &cek, Some(&iv), content).map_err(crypto)?;

    let mut encrypter = Encrypter::new(&public).map_err(crypto)?;
    encrypter
        .set_rsa_padding(Padding::PKCS1_OAEP)
        .map_err(crypto)?;
    encrypter
        .set_rsa_oaep_md(MessageDigest::sha256())
        .map_err(crypto)?;
    encrypter
        .set_rsa_mgf1_md(MessageDigest::sha256())
        .map_err(crypto)?;
    let mut encrypted_key = vec![0; encrypter.encrypt_len(&cek).map_err(crypto)?];
    let n = encrypter
        .encrypt(&cek, &mut encrypted_key)
        .map_err(crypto)?;
    encrypted_key.truncate(n);

    let sha256_alg = asn1::seq(&[oid::SHA256, asn1::NULL]);
    let mgf1_alg = asn1::seq(&[oid::MGF1, &sha256_alg]);
    let oaep_params = asn1::seq(&[
        &asn1::tlv(tag::CTX0, &sha256_alg),
        &asn1::tlv(tag::CTX1, &mgf1_alg),
    ]);
    let key_encryption_alg = asn1::seq(&[oid::RSAES_OAEP, &oaep_params]);
    let ktri = asn1::seq(&[
        &asn1::uint(0),
        &asn1::seq(&[&issuer, &serial]),
        &key_encryption_alg,
        &asn1::tlv(tag::OCTET_STRING, &encrypted_key),
    ]);
    let content_alg = asn1::seq(&[oid::AES256_CBC, &asn1::tlv(tag::OCTET_STRING, &iv)]);
    let encrypted_content_info = asn1::seq(&[
        oid::DATA,
        &content_alg,
        &asn1::tlv(tag::CTX0_PRIM, &ciphertext),
    ]);
    let enveloped = asn1::seq(&[
        &asn1::uint(0),
        &asn1::constructed(tag::SET, &[&ktri]),
        &encrypted_content_info,
    ]);
    Ok(asn1::seq(&[
        oid::ENVELOPED_DATA,
        &asn1::tlv(tag::CTX0, &enveloped),
    ]))
}

/// The OAEP hash (and MGF1 hash) a package was encrypted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OaepHash {
    Sha1,
    Sha256,
}

/// Decrypts a package addressed to `own_cert_der` with `key`. The envelope
/// must follow the DPI profile (BER or DER); anything else is refused
/// before the key is used.
pub(crate) fn decrypt(
    input: &[u8],
    own_cert_der: &[u8],
    key: &PKey<Private>,
) -> Result<Vec<u8>, AdapterError> {
    let opened = open(input, own_cert_der, key)?;
    if opened.intact {
        Ok(opened.content)
    } else {
        Err(decryption(
            "the content-encryption key cannot be recovered, or the content does not decrypt",
        ))
    }
}

/// Decrypts the way [`borderpost_core::Decrypter::open_cms`] describes: the
/// same work whether the key transport, the padding or neither fails, and
/// the verdict beside the content rather than an early return.
pub(crate) fn open(
    input: &[u8],
    own_cert_der: &[u8],
    key: &PKey<Private>,
) -> Result<Opened, AdapterError> {
    let envelope = Envelope::parse(input)?;
    let (issuer, serial) = cert::issuer_and_serial(own_cert_der)?;
    if !same_name(&envelope.issuer, &issuer) || envelope.serial != serial {
        return Err(decryption(
            "the package is encrypted to another certificate than this gateway's",
        ));
    }

    let mut decrypter = Decrypter::new(key).map_err(crypto)?;
    let md = match envelope.oaep {
        OaepHash::Sha1 => MessageDigest::sha1(),
        OaepHash::Sha256 => MessageDigest::sha256(),
    };
    decrypter
        .set_rsa_padding(Padding::PKCS1_OAEP)
        .map_err(crypto)?;
    decrypter.set_rsa_oaep_md(md).map_err(crypto)?;
    decrypter.set_rsa_mgf1_md(md).map_err(crypto)?;
    let mut cek = vec![
        0;
        decrypter
            .decrypt_len(&envelope.encrypted_key)
            .map_err(crypto)?
    ];
    // A key that cannot be recovered does not end the work early (that
    // would tell an OAEP failure from a later one): the content is
    // decrypted with a throw-away key and reported as not intact.
    let recovered = match decrypter.decrypt(&envelope.encrypted_key, &mut cek) {
        Ok(n) => {
            cek.truncate(n);
            cek.len() == 32
        }
        Err(_) => false,
    };
    if !recovered {
        cek = vec![0; 32];
        openssl::rand::rand_bytes(&mut cek).map_err(crypto)?;
    }
    let mut content = aes_cbc_unpadded(&cek, &envelope.iv, &envelope.ciphertext)?;
    let padding = pkcs7_padding(&content);
    // Strip the padding when it is right; when it is not, strip nothing:
    // the caller reads the content either way and refuses it afterwards.
    content.truncate(content.len() - padding.unwrap_or(0));
    Ok(Opened {
        content,
        intact: recovered && padding.is_some(),
    })
}

/// AES-256-CBC decryption without the padding check (done separately, in
/// constant time, by [`pkcs7_padding`]).
fn aes_cbc_unpadded(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, AdapterError> {
    let cipher = Cipher::aes_256_cbc();
    let mut crypter = Crypter::new(cipher, Mode::Decrypt, key, Some(iv)).map_err(crypto)?;
    crypter.pad(false);
    let mut out = vec![0; ciphertext.len() + cipher.block_size()];
    let mut n = crypter.update(ciphertext, &mut out).map_err(crypto)?;
    n += crypter.finalize(&mut out[n..]).map_err(crypto)?;
    out.truncate(n);
    Ok(out)
}

/// The length of the PKCS#7 padding at the end of `content`, if it is
/// well formed. Every byte of the last block is looked at whatever the
/// result, so the time taken does not depend on where the padding breaks.
fn pkcs7_padding(content: &[u8]) -> Option<usize> {
    const BLOCK: usize = 16;
    if content.len() < BLOCK || !content.len().is_multiple_of(BLOCK) {
        return None;
    }
    let last = &content[content.len() - BLOCK..];
    let n = last[BLOCK - 1];
    // 1 ≤ n ≤ 16, without a data-dependent branch.
    let mut bad = u8::from(n == 0) | u8::from(usize::from(n) > BLOCK);
    for (i, &byte) in last.iter().enumerate() {
        // Position i is padding when i ≥ 16 − n; there it must equal n.
        let in_padding = u8::from(i + usize::from(n) >= BLOCK);
        bad |= in_padding & u8::from(byte != n);
    }
    (bad == 0).then_some(usize::from(n))
}

/// The fields of an EnvelopedData this crate needs.
struct Envelope {
    issuer: Vec<u8>,
    serial: Vec<u8>,
    oaep: OaepHash,
    encrypted_key: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl Envelope {
    fn parse(input: &[u8]) -> Result<Envelope, AdapterError> {
        let content_info = asn1::parse_one(input).map_err(|e| decryption(&e.to_string()))?;
        if content_info.tag != tag::SEQUENCE {
            return Err(decryption("not a CMS ContentInfo"));
        }
        let ci = content_info.children()?;
        let content_type = asn1::expect(&ci, 0, tag::OID, "contentType")?;
        if content_type.raw != oid::ENVELOPED_DATA {
            return Err(decryption("the CMS content is not EnvelopedData"));
        }
        let explicit = asn1::expect(&ci, 1, tag::CTX0, "content")?;
        let inner = explicit.children()?;
        let [enveloped] = inner.as_slice() else {
            return Err(decryption("malformed EnvelopedData"));
        };
        let ed = enveloped.children()?;
        if asn1::small_uint(&asn1::expect(&ed, 0, tag::INTEGER, "version")?)? != 0 {
            return Err(decryption(
                "EnvelopedData version must be 0 (no originatorInfo, one KeyTransRecipientInfo)",
            ));
        }
        if ed.len() != 3 {
            return Err(decryption(
                "EnvelopedData must hold exactly recipientInfos and encryptedContentInfo (no originatorInfo or unprotectedAttrs)",
            ));
        }
        let recipients = asn1::expect(&ed, 1, tag::SET, "recipientInfos")?.children()?;
        let [ktri] = recipients.as_slice() else {
            return Err(decryption("exactly one recipient is required"));
        };
        if ktri.tag != tag::SEQUENCE {
            return Err(decryption(
                "the recipient must be a KeyTransRecipientInfo (RSA key transport)",
            ));
        }
        let k = ktri.children()?;
        if asn1::small_uint(&asn1::expect(&k, 0, tag::INTEGER, "recipient version")?)? != 0 {
            return Err(decryption(
                "KeyTransRecipientInfo version must be 0 (issuerAndSerialNumber)",
            ));
        }
        let rid = asn1::expect(&k, 1, tag::SEQUENCE, "issuerAndSerialNumber")?.children()?;
        let issuer = asn1::expect(&rid, 0, tag::SEQUENCE, "issuer")?;
        let serial = asn1::expect(&rid, 1, tag::INTEGER, "serialNumber")?;
        let alg = asn1::expect(&k, 2, tag::SEQUENCE, "keyEncryptionAlgorithm")?;
        let oaep = oaep_hash(&alg)?;
        let encrypted_key = asn1::expect(&k, 3, tag::OCTET_STRING, "encryptedKey")
            .or_else(|_| asn1::expect(&k, 3, tag::OCTET_STRING | 0x20, "encryptedKey"))?
            .octets()?;

        let eci = asn1::expect(&ed, 2, tag::SEQUENCE, "encryptedContentInfo")?.children()?;
        let inner_type = asn1::expect(&eci, 0, tag::OID, "contentType")?;
        if inner_type.raw != oid::DATA {
            return Err(decryption("the encrypted content type must be id-data"));
        }
        let content_alg =
            asn1::expect(&eci, 1, tag::SEQUENCE, "contentEncryptionAlgorithm")?.children()?;
        let alg_oid = asn1::expect(&content_alg, 0, tag::OID, "content algorithm")?;
        if alg_oid.raw != oid::AES256_CBC || content_alg.len() != 2 {
            return Err(decryption("the content must be encrypted with aes256-CBC"));
        }
        let iv = asn1::expect(&content_alg, 1, tag::OCTET_STRING, "IV")?.octets()?;
        if iv.len() != 16 {
            return Err(decryption("the aes256-CBC IV must be 16 bytes"));
        }
        let ciphertext = match eci.get(2) {
            Some(c) if c.tag == tag::CTX0_PRIM || c.tag == tag::CTX0 => c.octets()?,
            _ => return Err(decryption("the encrypted content is missing")),
        };
        if eci.len() != 3 || ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
            return Err(decryption("the encrypted content is not whole AES blocks"));
        }
        Ok(Envelope {
            issuer: issuer.raw.to_vec(),
            serial: serial.raw.to_vec(),
            oaep,
            encrypted_key,
            iv,
            ciphertext,
        })
    }
}

/// Reads the RSAES-OAEP parameters: the hash and the MGF1 hash must agree
/// (SHA-1, the defaults, or SHA-256) and pSource must be the empty default.
fn oaep_hash(alg: &asn1::Tlv<'_>) -> Result<OaepHash, AdapterError> {
    let parts = alg.children()?;
    let id = asn1::expect(&parts, 0, tag::OID, "key transport algorithm")?;
    if id.raw != oid::RSAES_OAEP {
        return Err(decryption(
            "the key must be transported with RSAES-OAEP (id-RSAES-OAEP)",
        ));
    }
    let Some(params) = parts.get(1) else {
        return Ok(OaepHash::Sha1);
    };
    if params.tag == tag::NULL {
        return Ok(OaepHash::Sha1);
    }
    let mut hash = OaepHash::Sha1;
    let mut mgf = OaepHash::Sha1;
    for field in params.children()? {
        let inner = field.children()?;
        let [alg] = inner.as_slice() else {
            return Err(decryption("malformed RSAES-OAEP parameters"));
        };
        match field.tag {
            tag::CTX0 => hash = digest_alg(alg)?,
            tag::CTX1 => {
                let m = alg.children()?;
                let mgf_id = asn1::expect(&m, 0, tag::OID, "maskGenFunc")?;
                let mgf_hash = asn1::expect(&m, 1, tag::SEQUENCE, "MGF1 hash")?;
                if mgf_id.raw != oid::MGF1 {
                    return Err(decryption("the OAEP mask generation must be MGF1"));
                }
                mgf = digest_alg(&mgf_hash)?;
            }
            tag::CTX2 => {
                let p = alg.children()?;
                let p_id = asn1::expect(&p, 0, tag::OID, "pSourceFunc")?;
                let label = p.get(1).map(|l| l.octets()).transpose()?;
                if p_id.raw != oid::P_SPECIFIED || label.is_some_and(|l| !l.is_empty()) {
                    return Err(decryption("the OAEP label (pSource) must be empty"));
                }
            }
            _ => return Err(decryption("malformed RSAES-OAEP parameters")),
        }
    }
    if hash != mgf {
        return Err(decryption(
            "the OAEP hash and MGF1 hash must be the same (SHA-256, or SHA-1 in legacy SDP)",
        ));
    }
    Ok(hash)
}

fn digest_alg(alg: &asn1::Tlv<'_>) -> Result<OaepHash, AdapterError> {
    let parts = alg.children()?;
    let id = asn1::expect(&parts, 0, tag::OID, "hash algorithm")?;
    if parts.len() > 2 || parts.get(1).is_some_and(|p| p.raw != asn1::NULL) {
        return Err(decryption("unexpected hash algorithm parameters"));
    }
    match id.raw {
        oid::SHA256 => Ok(OaepHash::Sha256),
        oid::SHA1 => Ok(OaepHash::Sha1),
        _ => Err(decryption("the OAEP hash must be SHA-256 (or SHA-1)")),
    }
}

/// Whether two DER names are the same. Names are compared as encoded:
/// the issuer in a package is copied from the certificate by the sender.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    a == b
}

fn decryption(detail: &str) -> AdapterError {
    AdapterError::Decryption {
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../certs-example/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn round_trip_and_wrong_key() {
        let cert_pem = example("postbox-no.crt");
        let cert = openssl::x509::X509::from_pem(&cert_pem).unwrap();
        let key = PKey::private_key_from_pem(&example("postbox-no.key")).unwrap();
        let der = encrypt(b"hello package", &cert.to_der().unwrap()).unwrap();
        let plain = decrypt(&der, &cert.to_der().unwrap(), &key).unwrap();
        assert_eq!(plain, b"hello package");

        let other = openssl::x509::X509::from_pem(&example("sender-no.crt")).unwrap();
        let other_key = PKey::private_key_from_pem(&example("sender-no.key")).unwrap();
        let err = decrypt(&der, &other.to_der().unwrap(), &other_key).unwrap_err();
        assert_eq!(err.code(), "decryption-failed");
    }

    #[test]
    fn reads_the_digdir_sample_envelopes() {
        // The samples cannot be decrypted (Digdir's keystore is not
        // published), but their BER envelope must parse, with the OAEP
        // parameters Borderpost also writes.
        for name in ["digital", "utskrift", "digital-pa-vegne-av"] {
            let path = format!(
                "{}/../../conformance/protocols/no/dpi-2022/eksempler/komplette/{name}-dokumentpakke.cms",
                env!("CARGO_MANIFEST_DIR")
            );
            let bytes = std::fs::read(path).unwrap();
            let envelope = Envelope::parse(&bytes).unwrap();
            assert_eq!(envelope.oaep, OaepHash::Sha256);
            assert_eq!(envelope.iv.len(), 16);
            assert_eq!(envelope.ciphertext.len() % 16, 0);
        }
    }

    #[test]
    fn padding_is_checked_whole() {
        let mut block = vec![7u8; 32];
        block[31] = 1;
        assert_eq!(pkcs7_padding(&block), Some(1));
        let full = vec![16u8; 16];
        assert_eq!(pkcs7_padding(&full), Some(16));
        let mut three = vec![0u8; 16];
        three[13..].copy_from_slice(&[3, 3, 3]);
        assert_eq!(pkcs7_padding(&three), Some(3));
        three[13] = 2;
        assert_eq!(pkcs7_padding(&three), None);
        assert_eq!(pkcs7_padding(&[0u8; 16]), None);
        assert_eq!(pkcs7_padding(&[17u8; 16]), None);
        assert_eq!(pkcs7_padding(&[1u8; 15]), None);
    }

    #[test]
    fn a_bad_key_or_bad_padding_still_yields_content_marked_not_intact() {
        let cert = openssl::x509::X509::from_pem(&example("postbox-no.crt")).unwrap();
        let der_cert = cert.to_der().unwrap();
        let key = PKey::private_key_from_pem(&example("postbox-no.key")).unwrap();
        let der = encrypt(&[b'x'; 100], &der_cert).unwrap();
        let good = open(&der, &der_cert, &key).unwrap();
        assert!(good.intact);
        assert_eq!(good.content, [b'x'; 100]);

        // Flipping a byte of the next-to-last block garbles the padding
        // (the classic padding-oracle probe).
        let envelope = Envelope::parse(&der).unwrap();
        let at = der
            .windows(envelope.ciphertext.len())
            .position(|w| w == envelope.ciphertext.as_slice())
            .unwrap();
        let mut probe = der.clone();
        probe[at + envelope.ciphertext.len() - 17] ^= 0x01;
        let opened = open(&probe, &der_cert, &key).unwrap();
        assert!(!opened.intact);
        assert_eq!(opened.content.len(), 112, "nothing stripped");
        assert_eq!(
            decrypt(&probe, &der_cert, &key).unwrap_err().code(),
            "decryption-failed"
        );

        // A garbled encrypted key: the content is decrypted with a
        // throw-away key all the same.
        let mut wrong_key = der.clone();
        let key_at = der
            .windows(envelope.encrypted_key.len())
            .position(|w| w == envelope.encrypted_key.as_slice())
            .unwrap();
        wrong_key[key_at + 5] ^= 0x01;
        let opened = open(&wrong_key, &der_cert, &key).unwrap();
        assert!(!opened.intact);
        assert_eq!(opened.content.len() % 16, 0);
        assert!(opened.content.len() >= 96);
    }
}
