//! Encryption at rest: a master key wraps one random data key per document; the data key
//! seals the document's blobs (AES-256-GCM) and keys the MACs of finding spans.
//!
//! Deleting a document destroys its wrapped data key (crypto-erasure): its blobs, wherever
//! copies survive, can no longer be read, and its span MACs can no longer be linked.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::StoreError;

const NONCE_LEN: usize = 12;

/// The master key. Never leaves memory except in its key file.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// The key from `HAIRYO_MASTER_KEY` (64 hex digits) when given, else from `path`, which is
    /// created with mode 0600 on first start.
    pub fn load_or_create(from_env: Option<&str>, path: &Path) -> Result<Self, StoreError> {
        if let Some(hex_key) = from_env {
            return Self::from_hex(hex_key.trim()).ok_or(StoreError::Key("HAIRYO_MASTER_KEY must be 64 hex digits"));
        }
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(text.trim()).ok_or(StoreError::Key("master key file is not 64 hex digits")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = Zeroizing::new([0u8; 32]);
                rand::rngs::OsRng.fill_bytes(key.as_mut());
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(hex::encode(key.as_ref()).as_bytes())?;
                        file.sync_all()?;
                        Ok(Self(key))
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load_or_create(None, path),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text).ok()?;
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(arr)))
    }

    /// Wraps a data key for document `doc_id` (bound to it as associated data).
    pub fn wrap(&self, key: &DataKey, doc_id: &str) -> Vec<u8> {
        seal(&self.0, key.0.as_ref(), &aad("dk", doc_id))
    }

    /// Unwraps a document's data key.
    pub fn unwrap(&self, wrapped: &[u8], doc_id: &str) -> Result<DataKey, StoreError> {
        let plain = Zeroizing::new(open(&self.0, wrapped, &aad("dk", doc_id))?);
        let arr: [u8; 32] = plain.as_slice().try_into().map_err(|_| StoreError::Crypto)?;
        Ok(DataKey(Zeroizing::new(arr)))
    }
}

/// A document's data key.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Encrypts `plain` as blob `what` of document `doc_id`.
    pub fn seal(&self, plain: &[u8], doc_id: &str, what: &str) -> Vec<u8> {
        seal(&self.0, plain, &aad(what, doc_id))
    }

    /// Decrypts blob `what` of document `doc_id`.
    pub fn open(&self, sealed: &[u8], doc_id: &str, what: &str) -> Result<Vec<u8>, StoreError> {
        open(&self.0, sealed, &aad(what, doc_id))
    }

    /// A keyed MAC of a finding's span: equal spans in one document compare equal, nothing
    /// can be learnt from it without the key (a plain hash of 「うつ病」 could be guessed).
    pub fn span_mac(&self, span: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref()).expect("HMAC takes any key length");
        mac.update(b"hairyo-span\0");
        mac.update(span.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn aad(what: &str, doc_id: &str) -> Vec<u8> {
    format!("hairyo\0{what}\0{doc_id}").into_bytes()
}

fn seal(key: &[u8; 32], plain: &[u8], aad: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .expect("AES-GCM encryption does not fail for in-memory buffers");
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

fn open(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
    if sealed.len() < NONCE_LEN {
        return Err(StoreError::Crypto);
    }
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| StoreError::Crypto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_seal_round_trip_and_binding() {
        let dir = tempfile::tempdir().unwrap();
        let mk = MasterKey::load_or_create(None, &dir.path().join("master.key")).unwrap();
        let again = MasterKey::load_or_create(None, &dir.path().join("master.key")).unwrap();
        let dk = DataKey::generate();
        let wrapped = mk.wrap(&dk, "doc-1");
        let dk2 = again.unwrap(&wrapped, "doc-1").unwrap();
        let sealed = dk.seal("うつ病".as_bytes(), "doc-1", "text");
        assert_eq!(dk2.open(&sealed, "doc-1", "text").unwrap(), "うつ病".as_bytes());
        assert!(!sealed.windows(9).any(|w| w == "うつ病".as_bytes()));
        // Bound to the document and the blob kind.
        assert!(mk.unwrap(&wrapped, "doc-2").is_err());
        assert!(dk.open(&sealed, "doc-1", "original").is_err());
        assert_eq!(dk.span_mac("うつ病"), dk2.span_mac("うつ病"));
        assert_ne!(dk.span_mac("うつ病"), DataKey::generate().span_mac("うつ病"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn env_key_must_be_hex() {
        let dir = tempfile::tempdir().unwrap();
        assert!(MasterKey::load_or_create(Some("zz"), &dir.path().join("k")).is_err());
        assert!(MasterKey::load_or_create(Some(&"ab".repeat(32)), &dir.path().join("k")).is_ok());
    }
}
