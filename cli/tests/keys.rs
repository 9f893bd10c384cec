//! `switchboard keys rotate` as an operator runs it: in key-file mode it replaces `<db>.key` with a
//! new key, in environment mode it moves the store from SWITCHBOARD_PREVIOUS_MASTER_KEY to
//! SWITCHBOARD_MASTER_KEY; either way every secret still opens, under the new key only.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use switchboard_runtime::account::Credential;
use switchboard_vault::{MasterKey, Store};

const SECRET: &str = "pat-na1-3c1d-ROTATE-ME-SECRET";
/// Base64 of 32 bytes of 1, and of 32 bytes of 2.
const KEY_A: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const KEY_B: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

struct Session {
    dir: tempfile::TempDir,
}

impl Session {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("switchboard.db")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `switchboard --db <tmp>/switchboard.db <args>` with the given key variables and no other
    /// Switchboard settings inherited.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.arg("--db").arg(self.db()).args(args);
        for var in [
            "SWITCHBOARD_DB",
            "SWITCHBOARD_MASTER_KEY",
            "SWITCHBOARD_PREVIOUS_MASTER_KEY",
            "SWITCHBOARD_PUBLIC_URL",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(env.iter().copied());
        cmd.current_dir(self.dir.path());
        cmd.output().unwrap()
    }

    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        assert!(
            out.status.success(),
            "`switchboard {}` failed ({:?}):\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!contains(&out.stdout, SECRET) && !contains(&out.stderr, SECRET));
        String::from_utf8(out.stdout).unwrap()
    }

    fn add_account(&self, env: &[(&str, &str)]) {
        let mut env = env.to_vec();
        env.push(("TEST_TOKEN", SECRET));
        self.ok(
            &[
                "accounts",
                "add",
                "--id",
                "acme-hubspot",
                "--integration",
                "hubspot",
                "--credential",
                "bearer",
                "--secret-env",
                "TEST_TOKEN",
            ],
            &env,
        );
    }

    /// The account's token, read back through the store with `key` alone.
    fn token_under(&self, key: &str) -> String {
        let store = Store::open_with_key(self.db(), MasterKey::from_base64(key).unwrap()).unwrap();
        match store.require_account("acme-hubspot").unwrap().credential {
            Credential::Bearer(token) => token,
            _ => panic!("not a bearer credential"),
        }
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn store_bytes(db: &Path) -> Vec<u8> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(PathBuf::from(name)).ok()
        })
        .flatten()
        .collect()
}

fn assert_listed(list: &str) {
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[1].starts_with("acme-hubspot "), "{list}");
    assert!(
        lines[1].contains("bearer") && lines[1].contains("active"),
        "{list}"
    );
}

#[test]
fn rotating_the_key_file_replaces_it_and_every_secret_still_opens() {
    let s = Session::new();
    s.add_account(&[]);
    let key_file = s.file("switchboard.db.key");
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(s.token_under(&old_key), SECRET);

    let out = s.ok(&["keys", "rotate"], &[]);
    // The account's secret, the cursor key, the connect key and the key check.
    assert!(
        out.contains("re-sealed 4 values under the master key from key file"),
        "{out}"
    );
    assert!(
        out.contains("1 account secret, 3 store keys and key check"),
        "{out}"
    );
    assert!(out.contains("switchboard.db.key.next"), "{out}");
    assert!(out.contains("replaced"), "{out}");

    // The key file holds a new key; nothing else is left next to the store.
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new_key.trim(), old_key.trim());
    assert!(!s.file("switchboard.db.key.next").exists());
    assert!(!s.file("switchboard.db.key.old").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The key id printed is the new key's.
    let new_id = MasterKey::from_base64(&new_key).unwrap().id().to_string();
    assert!(out.contains(&format!("key id {new_id}")), "{out}");

    // The store works through the new key file, and the secret is sealed, not stored in clear.
    assert_listed(&s.ok(&["accounts", "list"], &[]));
    assert!(contains(&store_bytes(&s.db()), "acme-hubspot"));
    assert!(!contains(&store_bytes(&s.db()), SECRET));
    assert_eq!(s.token_under(&new_key), SECRET);

    // The old key no longer opens the store.
    let out = s.run(
        &["accounts", "list"],
        &[("SWITCHBOARD_MASTER_KEY", old_key.trim())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not open the store"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(old_key.trim()), "{}", stderr(&out));
    assert_listed(&s.ok(
        &["accounts", "list"],
        &[("SWITCHBOARD_MASTER_KEY", new_key.trim())],
    ));

    // Rotating again starts a new rotation.
    let out = s.ok(&["keys", "rotate"], &[]);
    assert!(out.contains("re-sealed 4 values"), "{out}");
    let newer_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(newer_key, new_key);
    assert_eq!(s.token_under(&newer_key), SECRET);
}

#[test]
fn rotating_in_environment_mode_moves_the_store_from_the_previous_key() {
    let s = Session::new();
    s.add_account(&[("SWITCHBOARD_MASTER_KEY", KEY_A)]);
    assert!(!s.file("switchboard.db.key").exists());

    // The new key alone does not open a store sealed under the old one, and says what to set.
    let out = s.run(&["keys", "rotate"], &[("SWITCHBOARD_MASTER_KEY", KEY_B)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("SWITCHBOARD_PREVIOUS_MASTER_KEY"),
        "{}",
        stderr(&out)
    );
    // The previous key alone is a mistake, named as such.
    let out = s.run(
        &["accounts", "list"],
        &[("SWITCHBOARD_PREVIOUS_MASTER_KEY", KEY_A)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("SWITCHBOARD_PREVIOUS_MASTER_KEY is set but SWITCHBOARD_MASTER_KEY is not"),
        "{}",
        stderr(&out)
    );

    let both = [
        ("SWITCHBOARD_MASTER_KEY", KEY_B),
        ("SWITCHBOARD_PREVIOUS_MASTER_KEY", KEY_A),
    ];
    // During the rotation both keys open the store.
    assert_listed(&s.ok(&["accounts", "list"], &both));
    let out = s.ok(&["keys", "rotate"], &both);
    assert!(
        out.contains("re-sealed 4 values under the master key from SWITCHBOARD_MASTER_KEY"),
        "{out}"
    );
    assert!(
        out.contains("SWITCHBOARD_PREVIOUS_MASTER_KEY is no longer needed"),
        "{out}"
    );
    assert!(!s.file("switchboard.db.key").exists());
    assert!(!s.file("switchboard.db.key.next").exists());

    // Afterwards the new key alone opens it, the old one does not.
    assert_listed(&s.ok(&["accounts", "list"], &[("SWITCHBOARD_MASTER_KEY", KEY_B)]));
    assert_eq!(s.token_under(KEY_B), SECRET);
    let out = s.run(&["accounts", "list"], &[("SWITCHBOARD_MASTER_KEY", KEY_A)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not open the store"),
        "{}",
        stderr(&out)
    );

    // Nothing is left to do, and it says so.
    let out = s.ok(&["keys", "rotate"], &both);
    assert!(out.contains("nothing to re-seal"), "{out}");
    let out = s.ok(&["keys", "rotate"], &[("SWITCHBOARD_MASTER_KEY", KEY_B)]);
    assert!(out.contains("nothing to re-seal"), "{out}");
    assert!(!contains(&store_bytes(&s.db()), SECRET));
}

#[test]
fn an_interrupted_key_file_rotation_is_finished_by_running_it_again() {
    let s = Session::new();
    s.add_account(&[]);
    for id in ["second", "third"] {
        s.ok(
            &[
                "accounts",
                "add",
                "--id",
                id,
                "--integration",
                "hubspot",
                "--credential",
                "bearer",
                "--secret-env",
                "TEST_TOKEN",
            ],
            &[("TEST_TOKEN", "another-token")],
        );
    }
    let old_key = std::fs::read_to_string(s.file("switchboard.db.key")).unwrap();

    // An earlier run created `<db>.key.next` and re-sealed one row before it was stopped.
    let next_file = s.file("switchboard.db.key.next");
    let next = switchboard_vault::load_or_create_next_key_file(&s.db()).unwrap();
    let next_key = std::fs::read_to_string(&next_file).unwrap();
    let keys = switchboard_vault::Keyring::new(next.clone())
        .with_previous(MasterKey::from_base64(&old_key).unwrap());
    let mut store = Store::open_with_keys(s.db(), keys).unwrap();
    let report = store
        .rotate_keys(&next, |_| std::ops::ControlFlow::Break(()))
        .unwrap();
    assert!(!report.finished);
    assert_eq!(report.resealed.total(), 1);
    drop(store);

    // Meanwhile the store opens with both key files, and a run finishes the job with that key.
    assert_eq!(s.ok(&["accounts", "list"], &[]).lines().count(), 4);
    let out = s.ok(&["keys", "rotate"], &[]);
    assert!(out.contains("resuming the unfinished rotation"), "{out}");
    // 3 account secrets and 3 store values, one of them already done.
    assert!(out.contains("re-sealed 5 values"), "{out}");
    let key_now = std::fs::read_to_string(s.file("switchboard.db.key")).unwrap();
    assert_eq!(key_now, next_key);
    assert!(!next_file.exists());
    assert_eq!(s.token_under(&next_key), SECRET);
    let out = s.run(
        &["accounts", "list"],
        &[("SWITCHBOARD_MASTER_KEY", old_key.trim())],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}
