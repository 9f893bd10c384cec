//! Sealing secrets at rest: XChaCha20-Poly1305 under a store's master key, with room for a second
//! key while the store moves from one master key to the next (`switchboard keys rotate`).
//!
//! The master key comes from `SWITCHBOARD_MASTER_KEY` (base64 of 32 bytes) when that variable is
//! set, otherwise from the key file next to the database (`<db>.key`), which is created on first use
//! with mode 0600 and holds the base64 of 32 random bytes. Keep the key file out of backups of the
//! database (or the backups are only as safe as the file system); losing it makes the stored
//! secrets unreadable.
//!
//! A store reads with a [`Keyring`]: the current key, which seals everything new, and optionally
//! the previous one, which only opens what was sealed before a rotation finished. With
//! `SWITCHBOARD_MASTER_KEY` set, `SWITCHBOARD_PREVIOUS_MASTER_KEY` supplies the previous key; in
//! key-file mode, a `<db>.key.next` left by an unfinished rotation becomes the current key and
//! `<db>.key` the previous one, until the rotation renames `<db>.key.next` over `<db>.key`.
//!
//! Sealed blobs come in two formats; both open, only format 2 is written:
//!
//! - format 2: `2 ‖ key id (4 bytes) ‖ nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`. The key id
//!   is the first 4 bytes of SHA-256 over `switchboard/master-key-id/v1\0` and the key; it names the
//!   key that opens the blob (it is a fingerprint, not a secret, and reveals nothing of the key).
//!   The AEAD's associated data is the 5-byte header (`2 ‖ key id`) followed by the caller's
//!   associated data, so neither the header nor the format can be changed without the blob failing.
//! - format 1 (stores written before key ids): `1 ‖ nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`,
//!   with the caller's associated data alone. It names no key: the current key is tried first, then
//!   the previous one. A key rotation rewrites every format-1 blob as format 2.
//!
//! The caller's associated data (for an account secret, the account id and the column) is
//! authenticated but not stored, so a blob copied into another row no longer opens.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use sha2::{Digest, Sha256};

/// Environment variable holding the base64 master key.
pub const MASTER_KEY_ENV: &str = "SWITCHBOARD_MASTER_KEY";

/// Environment variable holding the base64 of the master key being rotated away from: values
/// sealed under it still open until `switchboard keys rotate` has re-sealed them.
pub const PREVIOUS_MASTER_KEY_ENV: &str = "SWITCHBOARD_PREVIOUS_MASTER_KEY";

/// Bytes in a master key.
pub const MASTER_KEY_LEN: usize = 32;

/// First byte of blobs without a key id (still read, never written).
const SEAL_VERSION_1: u8 = 1;
/// First byte of every blob sealed now: a key id follows.
const SEAL_VERSION_2: u8 = 2;
/// Bytes of a key id.
const KEY_ID_LEN: usize = 4;
/// Domain separation of key ids.
const KEY_ID_DOMAIN: &[u8] = b"switchboard/master-key-id/v1\0";
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
    /// `SWITCHBOARD_PREVIOUS_MASTER_KEY` is not valid base64 of 32 bytes.
    #[error("{PREVIOUS_MASTER_KEY_ENV} must be the base64 of {MASTER_KEY_LEN} bytes ({reason})")]
    BadPreviousEnv {
        /// What is wrong (never the value).
        reason: String,
    },
    /// `SWITCHBOARD_PREVIOUS_MASTER_KEY` is set but `SWITCHBOARD_MASTER_KEY` is not.
    #[error(
        "{PREVIOUS_MASTER_KEY_ENV} is set but {MASTER_KEY_ENV} is not: the previous key only serves while rotating to the key in {MASTER_KEY_ENV}; set both, or unset {PREVIOUS_MASTER_KEY_ENV}"
    )]
    PreviousWithoutCurrent,
    /// A shared (PostgreSQL) store with no key in the environment: there is no file next to it.
    #[error(
        "{MASTER_KEY_ENV} is not set: a PostgreSQL store takes its master key from the environment, the same on every replica (base64 of {MASTER_KEY_LEN} bytes, e.g. `head -c 32 /dev/urandom | base64`)"
    )]
    EnvRequired,
    /// The key file exists but does not hold a key.
    #[error(
        "key file `{path}` must hold the base64 of {MASTER_KEY_LEN} bytes (or the {MASTER_KEY_LEN} raw bytes)"
    )]
    BadFile {
        /// The key file.
        path: PathBuf,
    },
    /// A key file could not be read, created, renamed or removed.
    #[error("cannot {action} key file `{path}`: {source}")]
    Io {
        /// `read`, `create`, `rename` or `remove`.
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
    /// The `SWITCHBOARD_PREVIOUS_MASTER_KEY` environment variable.
    PreviousEnv,
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
            Self::PreviousEnv => write!(f, "{PREVIOUS_MASTER_KEY_ENV}"),
            Self::File { path, .. } => write!(f, "key file `{}`", path.display()),
            Self::Explicit => f.write_str("the key passed in"),
        }
    }
}

/// The public fingerprint of a master key, stored in every format-2 blob: the first 4 bytes of
/// SHA-256 over a domain string and the key. Displayed as 8 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    fn of(bytes: &[u8; MASTER_KEY_LEN]) -> Self {
        let digest = Sha256::new()
            .chain_update(KEY_ID_DOMAIN)
            .chain_update(bytes)
            .finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Self(id)
    }

    /// The key id a format-2 blob names; `None` for format-1 blobs (and for bytes that are no
    /// sealed blob at all).
    pub fn of_sealed(sealed: &[u8]) -> Option<Self> {
        match sealed {
            [SEAL_VERSION_2, a, b, c, d, ..] => Some(Self([*a, *b, *c, *d])),
            _ => None,
        }
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// One master key. Its `Debug` shows where it came from and its key id, never the key.
#[derive(Clone)]
pub struct MasterKey {
    cipher: XChaCha20Poly1305,
    id: KeyId,
    source: KeySource,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
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

    /// The key's public fingerprint, as stored in the blobs it seals.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key for the store at `db`: `SWITCHBOARD_MASTER_KEY` if set, else `<db>.key`, which is
    /// created (mode 0600, base64 of 32 random bytes) when missing and `create` is true. This is
    /// one key; [`Keyring::load`] also finds the previous key of a rotation.
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
        let id = KeyId::of(&bytes);
        Self { cipher, id, source }
    }

    /// Encrypts `plaintext` as a format-2 blob naming this key, binding `aad` (authenticated, not
    /// stored).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(SealError::Random)?;
        let header = self.header();
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: &bound_aad(&header, aad),
                },
            )
            // Only messages beyond the cipher's limit (256 GiB) fail.
            .map_err(|_| SealError::TooLarge)?;
        let mut sealed = Vec::with_capacity(header.len() + NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&header);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts a blob made by [`MasterKey::seal`] (format 2, naming this key) or by earlier
    /// versions (format 1) with the same `aad`.
    pub fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, UnsealError> {
        let (rest, aad) = match sealed.split_first() {
            Some((&SEAL_VERSION_1, rest)) => (rest, aad.to_vec()),
            Some((&SEAL_VERSION_2, _)) => {
                let header = self.header();
                let rest = sealed.strip_prefix(header.as_slice()).ok_or(UnsealError)?;
                (rest, bound_aad(&header, aad))
            }
            _ => return Err(UnsealError),
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
                    aad: &aad,
                },
            )
            .map_err(|_| UnsealError)
    }

    /// Whether `sealed` is a format-2 blob under this key that opens with `aad`: nothing to
    /// re-seal.
    pub fn is_sealed_under(&self, sealed: &[u8], aad: &[u8]) -> bool {
        KeyId::of_sealed(sealed) == Some(self.id) && self.unseal(sealed, aad).is_ok()
    }

    /// `2 ‖ key id`.
    fn header(&self) -> [u8; 1 + KEY_ID_LEN] {
        let [a, b, c, d] = self.id.0;
        [SEAL_VERSION_2, a, b, c, d]
    }
}

/// The AEAD associated data of a format-2 blob: its header, then the caller's.
fn bound_aad(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut bound = Vec::with_capacity(header.len() + aad.len());
    bound.extend_from_slice(header);
    bound.extend_from_slice(aad);
    bound
}

/// The keys a store reads with: the current key, which seals everything, and optionally the
/// previous one, which only opens values sealed before a rotation re-sealed them. Its `Debug`
/// shows sources and key ids, never a key.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: MasterKey,
    previous: Option<MasterKey>,
}

impl From<MasterKey> for Keyring {
    fn from(current: MasterKey) -> Self {
        Self::new(current)
    }
}

impl Keyring {
    /// A keyring of one key.
    pub fn new(current: MasterKey) -> Self {
        Self {
            current,
            previous: None,
        }
    }

    /// The same keyring, also opening values sealed under `previous`.
    #[must_use]
    pub fn with_previous(mut self, previous: MasterKey) -> Self {
        self.previous = Some(previous);
        self
    }

    /// The key new values are sealed under.
    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The key of an unfinished rotation's previous generation, if any.
    pub fn previous(&self) -> Option<&MasterKey> {
        self.previous.as_ref()
    }

    /// Every key, current first.
    pub fn keys(&self) -> impl Iterator<Item = &MasterKey> {
        std::iter::once(&self.current).chain(&self.previous)
    }

    /// The keys from base64 texts: `current` as from `SWITCHBOARD_MASTER_KEY`, `previous` as from
    /// `SWITCHBOARD_PREVIOUS_MASTER_KEY`.
    pub fn from_env_values(current: &str, previous: Option<&str>) -> Result<Self, KeyError> {
        let current = decode_key(current).map_err(|reason| KeyError::BadEnv { reason })?;
        let keyring = Self::new(MasterKey::with_source(current, KeySource::Env));
        Ok(match previous {
            Some(text) => {
                let previous =
                    decode_key(text).map_err(|reason| KeyError::BadPreviousEnv { reason })?;
                keyring.with_previous(MasterKey::with_source(previous, KeySource::PreviousEnv))
            }
            None => keyring,
        })
    }

    /// The keys for the store at `db`.
    ///
    /// With `SWITCHBOARD_MASTER_KEY` set: that key, and `SWITCHBOARD_PREVIOUS_MASTER_KEY` as the
    /// previous key when set. Otherwise `<db>.key` (created, mode 0600, when missing and `create`
    /// is true); when `<db>.key.next` exists (a rotation is under way) it becomes the current key
    /// and `<db>.key` the previous one.
    pub fn load(db: &Path, create: bool) -> Result<Self, KeyError> {
        if let Some(keys) = Self::from_env()? {
            return Ok(keys);
        }
        // `<db>.key.next` first: a rotation renaming it over `<db>.key` between the two reads
        // then leaves the new key in both, never the old key alone.
        let next = match read_key_file(&next_key_file_path(db)) {
            Ok(next) => Some(next),
            Err(KeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let key = MasterKey::load(db, create)?;
        Ok(match next {
            Some(next) => Self::new(next).with_previous(key),
            None => Self::new(key),
        })
    }

    /// The keys from the environment alone: `SWITCHBOARD_MASTER_KEY`, and
    /// `SWITCHBOARD_PREVIOUS_MASTER_KEY` as the previous key when set; `None` when neither is set.
    /// What every replica of a shared store uses, since no key file can sit next to it.
    pub fn from_env() -> Result<Option<Self>, KeyError> {
        let previous = env_text(PREVIOUS_MASTER_KEY_ENV, |reason| KeyError::BadPreviousEnv {
            reason,
        })?;
        if let Some(current) = env_text(MASTER_KEY_ENV, |reason| KeyError::BadEnv { reason })? {
            return Self::from_env_values(&current, previous.as_deref()).map(Some);
        }
        if previous.is_some() {
            return Err(KeyError::PreviousWithoutCurrent);
        }
        Ok(None)
    }

    /// Seals under the current key.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        self.current.seal(plaintext, aad)
    }

    /// Opens a blob sealed under any key of the ring: a format-2 blob under the key it names, a
    /// format-1 blob under the current key, else the previous one.
    pub fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, UnsealError> {
        self.keys()
            .find_map(|key| key.unseal(sealed, aad).ok())
            .ok_or(UnsealError)
    }
}

/// The value of an environment variable, `None` when unset.
fn env_text(name: &str, bad: impl Fn(String) -> KeyError) -> Result<Option<String>, KeyError> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(value) => value
            .into_string()
            .map(Some)
            .map_err(|_| bad("not UTF-8".to_owned())),
    }
}

/// `<db>.key`: the key file that goes with the database at `db`.
pub fn key_file_path(db: &Path) -> PathBuf {
    with_suffix(db, ".key")
}

/// `<db>.key.next`: the key a key-file rotation is moving the store to, until it replaces
/// `<db>.key`.
pub fn next_key_file_path(db: &Path) -> PathBuf {
    with_suffix(db, ".key.next")
}

/// `<db>.key.old`: the copy of `<db>.key` kept while `<db>.key.next` is renamed over it.
pub fn old_key_file_path(db: &Path) -> PathBuf {
    with_suffix(db, ".key.old")
}

fn with_suffix(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The key of the rotation under way for the store at `db`: `<db>.key.next` when it exists (an
/// interrupted rotation, resumed with its key), else a fresh random key written to it (mode 0600).
///
/// The new file appears complete or not at all: the key is written and synced to a temporary file
/// first, then linked into place only if `<db>.key.next` is still absent (so two rotations started
/// at once agree on one key). A crash can leave only that temporary file
/// (`<db>.key.next.<hex>.tmp`, mode 0600, never read), which may be deleted.
pub fn load_or_create_next_key_file(db: &Path) -> Result<MasterKey, KeyError> {
    let path = next_key_file_path(db);
    match read_key_file(&path) {
        Err(KeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let bytes = random_key()?;
    let mut text = STANDARD.encode(bytes);
    text.push('\n');
    let mut tag = [0u8; 8];
    getrandom::fill(&mut tag).map_err(KeyError::Random)?;
    let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = with_suffix(db, &format!(".key.next.{tag}.tmp"));
    write_new_key_file(&tmp, text.as_bytes())?;
    let linked = fs::hard_link(&tmp, &path);
    let linked = match linked {
        // File systems without hard links: a plain exclusive create instead.
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            remove_if_present(&tmp)?;
            return create_key_file(&path);
        }
        other => other,
    };
    remove_if_present(&tmp)?;
    match linked {
        Ok(()) => {
            sync_parent(&path);
            Ok(MasterKey::with_source(
                bytes,
                KeySource::File {
                    path,
                    created: true,
                },
            ))
        }
        // Another rotation created it first: use theirs.
        Err(_) => read_key_file(&path),
    }
}

/// Ends a key-file rotation of the store at `db`, once every value is sealed under the key in
/// `<db>.key.next`: copies `<db>.key` to `<db>.key.old`, renames `<db>.key.next` over `<db>.key`
/// (atomic), then removes `<db>.key.old`. `next` is the rotation's key: when `<db>.key.next` is
/// gone because `<db>.key` already holds it (another run finished first), there is nothing to do.
pub fn commit_next_key_file(db: &Path, next: &MasterKey) -> Result<(), KeyError> {
    let key_path = key_file_path(db);
    let next_path = next_key_file_path(db);
    let old_path = old_key_file_path(db);
    if !next_path.exists() {
        let current = read_key_file(&key_path)?;
        if current.id() == next.id() {
            return Ok(());
        }
        return Err(KeyError::Io {
            action: "rename",
            path: next_path,
            source: io::ErrorKind::NotFound.into(),
        });
    }
    let old = fs::read(&key_path).map_err(|source| KeyError::Io {
        action: "read",
        path: key_path.clone(),
        source,
    })?;
    remove_if_present(&old_path)?;
    write_new_key_file(&old_path, &old)?;
    fs::rename(&next_path, &key_path).map_err(|source| KeyError::Io {
        action: "rename",
        path: next_path.clone(),
        source,
    })?;
    sync_parent(&key_path);
    remove_if_present(&old_path)?;
    Ok(())
}

/// Removes `<db>.key.old` left by a rotation that stopped between its rename and its clean-up;
/// `true` when there was one. Call it only once the store opens without it.
pub fn remove_stale_old_key_file(db: &Path) -> Result<bool, KeyError> {
    let path = old_key_file_path(db);
    let existed = path.exists();
    remove_if_present(&path)?;
    Ok(existed)
}

fn remove_if_present(path: &Path) -> Result<(), KeyError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(KeyError::Io {
            action: "remove",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Makes a rename in the directory durable (best effort: a failure is only logged).
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if let Err(error) = fs::File::open(dir).and_then(|d| d.sync_all()) {
            tracing::warn!(dir = %dir.display(), %error, "cannot sync the key file's directory");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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
    let mut text = STANDARD.encode(bytes);
    text.push('\n');
    match write_new_key_file(path, text.as_bytes()) {
        Ok(()) => {}
        // Another process created it between our read and now: use theirs.
        Err(KeyError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {
            return read_key_file(path);
        }
        Err(e) => return Err(e),
    }
    Ok(MasterKey::with_source(
        bytes,
        KeySource::File {
            path: path.to_owned(),
            created: true,
        },
    ))
}

/// Writes `contents` to a new file (mode 0600 on Unix) and syncs it; fails if it exists.
fn write_new_key_file(path: &Path, contents: &[u8]) -> Result<(), KeyError> {
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
    let mut file = options.open(path).map_err(io_err)?;
    file.write_all(contents).map_err(io_err)?;
    file.sync_all().map_err(io_err)
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
    fn blobs_name_their_key_and_bind_their_header() {
        let key = MasterKey::from_bytes([7; 32]);
        let sealed = key.seal(b"hunter2", b"acct-a").unwrap_or_default();
        assert_eq!(sealed.first(), Some(&2));
        assert_eq!(KeyId::of_sealed(&sealed), Some(key.id()));
        assert_eq!(sealed.len(), 1 + 4 + 24 + 7 + 16);
        // Another key's id in the header: the blob names a key that does not open it.
        let mut renamed = sealed.clone();
        if let Some(byte) = renamed.get_mut(1) {
            *byte ^= 1;
        }
        assert_eq!(key.unseal(&renamed, b"acct-a"), Err(UnsealError));
        // Stripped down to format 1, the ciphertext no longer opens: the header is authenticated.
        let mut downgraded = vec![1u8];
        downgraded.extend_from_slice(sealed.get(5..).unwrap_or_default());
        assert_eq!(key.unseal(&downgraded, b"acct-a"), Err(UnsealError));
        assert!(key.is_sealed_under(&sealed, b"acct-a"));
        assert!(!key.is_sealed_under(&sealed, b"acct-b"));
        assert!(!MasterKey::from_bytes([8; 32]).is_sealed_under(&sealed, b"acct-a"));
        // Key ids differ between keys and are stable for one key.
        assert_ne!(key.id(), MasterKey::from_bytes([8; 32]).id());
        assert_eq!(key.id(), MasterKey::from_bytes([7; 32]).id());
    }

    /// A blob written by the format-1 code (before key ids), under the key `[0x11; 32]`.
    const FORMAT_1_BLOB: &str = "011c754b3c4ce2f87e4cb15797b76f969f797a31fc2a257b885601c0c650d276dfcf709ab390ea60fdb1ec8182f35cec1ce6d57a1d2f5c05efc08060694de2a7d1ac545251c0bde603e2";
    const FORMAT_1_AAD: &[u8] = b"switchboard/account/v1\0legacy\0bearer";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect()
    }

    #[test]
    fn format_1_blobs_still_open_under_either_key_of_a_ring() {
        let legacy = hex(FORMAT_1_BLOB);
        let old = MasterKey::from_bytes([0x11; 32]);
        let new = MasterKey::from_bytes([0x22; 32]);
        let plaintext = b"{\"token\":\"legacy-format-1-token\"}".to_vec();
        assert_eq!(KeyId::of_sealed(&legacy), None);
        assert_eq!(old.unseal(&legacy, FORMAT_1_AAD), Ok(plaintext.clone()));
        assert_eq!(new.unseal(&legacy, FORMAT_1_AAD), Err(UnsealError));
        assert!(!old.is_sealed_under(&legacy, FORMAT_1_AAD));
        let ring = Keyring::new(new.clone()).with_previous(old.clone());
        assert_eq!(ring.unseal(&legacy, FORMAT_1_AAD), Ok(plaintext));
        assert_eq!(
            Keyring::new(new).unseal(&legacy, FORMAT_1_AAD),
            Err(UnsealError)
        );
    }

    #[test]
    fn a_keyring_seals_under_its_current_key_and_opens_under_both() {
        let old = MasterKey::from_bytes([1; 32]);
        let new = MasterKey::from_bytes([2; 32]);
        let ring = Keyring::new(new.clone()).with_previous(old.clone());
        let fresh = ring.seal(b"s", b"aad").unwrap_or_default();
        assert_eq!(KeyId::of_sealed(&fresh), Some(new.id()));
        let before = old.seal(b"t", b"aad").unwrap_or_default();
        assert_eq!(ring.unseal(&before, b"aad"), Ok(b"t".to_vec()));
        assert_eq!(ring.unseal(&fresh, b"aad"), Ok(b"s".to_vec()));
        assert_eq!(Keyring::new(new).unseal(&before, b"aad"), Err(UnsealError));
        assert_eq!(ring.unseal(&before, b"other"), Err(UnsealError));
    }

    #[test]
    fn debug_output_and_errors_never_show_key_material() {
        let bytes = [0x5a; 32];
        let encoded = STANDARD.encode(bytes);
        let ring = Keyring::from_env_values(&encoded, Some(&encoded))
            .unwrap_or_else(|_| Keyring::new(MasterKey::from_bytes(bytes)));
        let debug = format!("{ring:?}");
        assert!(debug.contains("PreviousEnv"), "{debug}");
        for needle in [encoded.as_str(), "5a, 5a", "90, 90", "5a5a5a5a"] {
            assert!(!debug.contains(needle), "{debug}");
        }
        let error = Keyring::from_env_values(&encoded, Some("c2hvcnQ="))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains(PREVIOUS_MASTER_KEY_ENV), "{error}");
        assert!(
            !error.contains("c2hvcnQ") && !error.contains(&encoded),
            "{error}"
        );
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
