//! Sealing secrets at rest: XChaCha20-Poly1305 under one master key per store.
//!
//! The master key comes from `SWITCHBOARD_MASTER_KEY` (base64 of 32 bytes) when that variable is
//! set, otherwise from the key file next to the database (`<db>.key`), which is created on first use
//! with mode 0600 and holds the base64 of 32 random bytes. Keep the key file out of backups of the
//! database (or the backups are only as safe as the file system); losing it makes the stored secrets
//! unreadable.
//!
//! A sealed blob is `version (1 byte) ‖ nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`. The caller's
//! associated data (the account id, for account secrets) is authenticated but not stored, so a blob
//! copied into another row no longer opens.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};

/// Environment variable holding the base64 master key.
pub const MASTER_KEY_ENV: &str = "SWITCHBOARD_MASTER_KEY";

/// Bytes in a master key.
pub const MASTER_KEY_LEN: usize = 32;

/// First byte of every sealed blob: the format version.
const SEAL_VERSION: u8 = 1;
/// XChaCha20 nonce length.
const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
const TAG_LEN: usize = 16;

/// Why a master key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable is not valid base64 of 32 bytes.
    #[error("{MASTER_KEY_ENV} must be the base64 of {MASTER_KEY_LEN} bytes ({reason})")]
    BadEnv {
        /// What is wrong (never the value).
        reason: String,
    },
    /// The key file exists but does not hold a key.
    #[error(
        "key file `{path}` must hold the base64 of {MASTER_KEY_LEN} bytes (or the {MASTER_KEY_LEN} raw bytes)"
    )]
    BadFile {
        /// The key file.
        path: PathBuf,
    },
    /// The key file could not be read or created.
    #[error("cannot {action} key file `{path}`: {source}")]
    Io {
        /// `read` or `create`.
        action: &'static str,
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The store already holds secrets but no key was supplied.
    #[error(
        "the store holds secrets sealed under a master key, but {MASTER_KEY_ENV} is not set and `{path}` does not exist; set {MASTER_KEY_ENV} or restore the key file"
    )]
    Missing {
        /// The key file that was looked for.
        path: PathBuf,
    },
    /// The operating system's random source failed.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(getrandom::Error),
}

/// Where a master key came from, for logs and error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The `SWITCHBOARD_MASTER_KEY` environment variable.
    Env,
    /// A key file (created now when `created`).
    File {
        /// The key file.
        path: PathBuf,
        /// Whether this run created it.
        created: bool,
    },
    /// Passed in by the program (tests, embedding).
    Explicit,
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env => write!(f, "{MASTER_KEY_ENV}"),
            Self::File { path, .. } => write!(f, "key file `{}`", path.display()),
            Self::Explicit => f.write_str("the key passed in"),
        }
    }
}

/// The key every secret of a store is sealed under. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct MasterKey {
    cipher: XChaCha20Poly1305,
    source: KeySource,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A secret could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// No nonce: the operating system's random source failed.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(getrandom::Error),
    /// The secret is longer than the cipher allows.
    #[error("secret too large to seal")]
    TooLarge,
}

/// A sealed blob did not open: wrong key, another row's blob, or altered bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sealed secret does not open under this master key")]
pub struct UnsealError;

impl MasterKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        Self::with_source(bytes, KeySource::Explicit)
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, KeyError> {
        Ok(Self::from_bytes(random_key()?))
    }

    /// A key from base64 text (standard or URL-safe alphabet, padding optional).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        decode_key(text)
            .map(Self::from_bytes)
            .map_err(|reason| KeyError::BadEnv { reason })
    }

    /// Where the key came from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The key for the store at `db`: `SWITCHBOARD_MASTER_KEY` if set, else `<db>.key`, which is
    /// created (mode 0600, base64 of 32 random bytes) when missing and `create` is true.
    pub fn load(db: &Path, create: bool) -> Result<Self, KeyError> {
        if let Some(value) = std::env::var_os(MASTER_KEY_ENV) {
            let text = value.to_str().ok_or_else(|| KeyError::BadEnv {
                reason: "not UTF-8".to_owned(),
            })?;
            let bytes = decode_key(text).map_err(|reason| KeyError::BadEnv { reason })?;
            return Ok(Self::with_source(bytes, KeySource::Env));
        }
        let path = key_file_path(db);
        match read_key_file(&path) {
            Err(KeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                if create {
                    create_key_file(&path)
                } else {
                    Err(KeyError::Missing { path })
                }
            }
            other => other,
        }
    }

    fn with_source(bytes: [u8; MASTER_KEY_LEN], source: KeySource) -> Self {
        let cipher = XChaCha20Poly1305::new(&bytes.into());
        Self { cipher, source }
    }

    /// Encrypts `plaintext`, binding `aad` (authenticated, not stored).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(SealError::Random)?;
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            // Only messages beyond the cipher's limit (256 GiB) fail.
            .map_err(|_| SealError::TooLarge)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(SEAL_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts a blob made by [`MasterKey::seal`] with the same `aad`.
    pub fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, UnsealError> {
        let Some((&SEAL_VERSION, rest)) = sealed.split_first() else {
            return Err(UnsealError);
        };
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(UnsealError);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| UnsealError)?;
        self.cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| UnsealError)
    }
}

/// `<db>.key`: the key file that goes with the database at `db`.
pub fn key_file_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn random_key() -> Result<[u8; MASTER_KEY_LEN], KeyError> {
    let mut bytes = [0u8; MASTER_KEY_LEN];
    getrandom::fill(&mut bytes).map_err(KeyError::Random)?;
    Ok(bytes)
}

fn decode_key(text: &str) -> Result<[u8; MASTER_KEY_LEN], String> {
    let text = text.trim().trim_end_matches('=');
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
        .map_err(|_| "not base64".to_owned())?;
    let len = decoded.len();
    decoded
        .try_into()
        .map_err(|_| format!("decodes to {len} bytes"))
}

fn key_from_file(contents: &[u8]) -> Option<[u8; MASTER_KEY_LEN]> {
    if let Ok(text) = std::str::from_utf8(contents)
        && let Ok(bytes) = decode_key(text)
    {
        return Some(bytes);
    }
    contents.try_into().ok()
}

fn read_key_file(path: &Path) -> Result<MasterKey, KeyError> {
    let contents = fs::read(path).map_err(|source| KeyError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    let bytes = key_from_file(&contents).ok_or_else(|| KeyError::BadFile {
        path: path.to_owned(),
    })?;
    warn_if_readable_by_others(path);
    Ok(MasterKey::with_source(
        bytes,
        KeySource::File {
            path: path.to_owned(),
            created: false,
        },
    ))
}

fn create_key_file(path: &Path) -> Result<MasterKey, KeyError> {
    let bytes = random_key()?;
    let io_err = |source| KeyError::Io {
        action: "create",
        path: path.to_owned(),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        // Another process created it between our read and now: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return read_key_file(path),
        Err(source) => return Err(io_err(source)),
    };
    let mut text = STANDARD.encode(bytes);
    text.push('\n');
    file.write_all(text.as_bytes()).map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok(MasterKey::with_source(
        bytes,
        KeySource::File {
            path: path.to_owned(),
            created: true,
        },
    ))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{:o}", mode & 0o777),
                "master key file is readable by other users; run chmod 600 on it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE;

    use super::*;

    #[test]
    fn seal_round_trips_and_binds_associated_data() {
        let key = MasterKey::from_bytes([7; 32]);
        let sealed = key.seal(b"hunter2", b"acct-a").unwrap_or_default();
        assert_eq!(
            key.unseal(&sealed, b"acct-a").ok(),
            Some(b"hunter2".to_vec())
        );
        assert_eq!(key.unseal(&sealed, b"acct-b"), Err(UnsealError));
        let other = MasterKey::from_bytes([8; 32]);
        assert_eq!(other.unseal(&sealed, b"acct-a"), Err(UnsealError));
        assert_eq!(key.unseal(&sealed[..10], b"acct-a"), Err(UnsealError));
        assert_eq!(key.unseal(&[], b"acct-a"), Err(UnsealError));
    }

    #[test]
    fn keys_decode_from_both_base64_alphabets() {
        let bytes = [0xfb; 32];
        assert_eq!(decode_key(&STANDARD.encode(bytes)), Ok(bytes));
        assert_eq!(decode_key(&URL_SAFE.encode(bytes)), Ok(bytes));
        assert!(decode_key("c2hvcnQ=").is_err_and(|e| e.contains("5 bytes")));
        assert!(decode_key("not base64!").is_err());
    }
}
