//! Key material: the counter's Ed25519 device key (signs every entry) and the per-resident keys
//! that seal personal data (ChaCha20-Poly1305, the resident id as associated data so a sealed
//! record cannot be moved to another resident).

use crate::domain::{PersonalData, Sealed};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::path::Path;
use uuid::Uuid;

/// This counter: its series id and signing key.
#[derive(Clone)]
pub struct Device {
    pub series_id: Uuid,
    signing: SigningKey,
}

#[derive(Serialize, Deserialize)]
struct DeviceFile {
    #[serde(alias = "counter_id")]
    series_id: Uuid,
    secret_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write the device key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the device key file {0} is damaged")]
    Damaged(String),
    #[error("the operating system's random generator failed")]
    Random,
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| KeyError::Random)?;
    Ok(bytes)
}

impl Device {
    pub fn generate() -> Result<Device, KeyError> {
        Ok(Device {
            series_id: Uuid::now_v7(),
            signing: SigningKey::from_bytes(&random_bytes::<32>()?),
        })
    }

    /// A device from fixed bytes (tests and benchmarks).
    pub fn from_seed(series_id: Uuid, seed: [u8; 32]) -> Device {
        Device {
            series_id,
            signing: SigningKey::from_bytes(&seed),
        }
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    pub fn sign(&self, hash: &[u8; 32]) -> Signature {
        self.signing.sign(hash)
    }

    /// The key of the local balance seals, derived from the device key (whoever cannot sign for
    /// this counter cannot seal for it either).
    pub fn seal_key(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::new()
            .chain_update(b"pointsdesk balance seal key v1")
            .chain_update(self.signing.to_bytes())
            .finalize()
            .into()
    }

    /// Signs a statement other than an entry hash (the link to a series this one continues).
    pub fn sign_bytes(&self, bytes: &[u8]) -> Signature {
        self.signing.sign(bytes)
    }

    /// Writes the key with mode 0600, refusing to overwrite an existing key.
    pub fn save_new(&self, path: &Path) -> Result<(), KeyError> {
        use std::io::Write;
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = DeviceFile {
            series_id: self.series_id,
            secret_key: hex::encode(self.signing.to_bytes()),
        };
        let text = serde_json::to_string_pretty(&file).expect("plain struct serialises");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options.open(path).map_err(io)?;
        out.write_all(text.as_bytes()).map_err(io)?;
        out.sync_all().map_err(io)
    }

    /// Writes the key to `path` owner-only, replacing any file there only once the new one is
    /// whole on disk (written beside it, synced, renamed over it).
    pub fn save_replacing(&self, path: &Path) -> Result<(), KeyError> {
        let next = path.with_extension("key.next");
        let _ = std::fs::remove_file(&next);
        self.save_new(&next)?;
        std::fs::rename(&next, path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    pub fn load(path: &Path) -> Result<Device, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let damaged = || KeyError::Damaged(path.display().to_string());
        let file: DeviceFile = serde_json::from_str(&text).map_err(|_| damaged())?;
        let secret: [u8; 32] = hex::decode(&file.secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(damaged)?;
        Ok(Device::from_seed(file.series_id, secret))
    }
}

/// Creates an empty file readable by its owner only (mode 0600), refusing to overwrite: the
/// database and its backups hold resident keys and PIN hashes.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

/// Creates or truncates a file readable by its owner only, for a file the operator named (a
/// passbook's QR picture holds its secret). An existing file is made owner-only too.
pub fn create_private_file_replacing(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Seals a resident's personal data with their own 32-byte key.
pub fn seal(key: &[u8; 32], resident: &str, data: &PersonalData) -> Result<Sealed, KeyError> {
    let cipher = ChaCha20Poly1305::new(&Key::from(*key));
    let nonce_bytes = random_bytes::<12>()?;
    let plain = serde_json::to_vec(data).expect("plain struct serialises");
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce_bytes),
            Payload {
                msg: &plain,
                aad: resident.as_bytes(),
            },
        )
        .expect("encryption of a small buffer cannot fail");
    Ok(Sealed {
        nonce: hex::encode(nonce_bytes),
        ciphertext: hex::encode(ciphertext),
    })
}

/// Opens sealed data; `None` if the key is wrong or the data was altered.
pub fn unseal(key: &[u8; 32], resident: &str, sealed: &Sealed) -> Option<PersonalData> {
    let cipher = ChaCha20Poly1305::new(&Key::from(*key));
    let nonce: [u8; 12] = hex::decode(&sealed.nonce).ok()?.try_into().ok()?;
    let ciphertext = hex::decode(&sealed.ciphertext).ok()?;
    let plain = cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &ciphertext,
                aad: resident.as_bytes(),
            },
        )
        .ok()?;
    serde_json::from_slice(&plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_resident() {
        let key = [3u8; 32];
        let data = PersonalData {
            name: "张三明".into(),
            phone: Some("13812345678".into()),
            address: None,
            note: None,
        };
        let sealed = seal(&key, "R000001", &data).unwrap();
        assert_eq!(unseal(&key, "R000001", &sealed), Some(data));
        assert_eq!(unseal(&[4u8; 32], "R000001", &sealed), None);
        assert_eq!(unseal(&key, "R000002", &sealed), None);
        assert!(!sealed.ciphertext.contains(&hex::encode("张三明")));
    }
}
