//! A cache in front of a [`Directory`]: what a request resolves (the server behind a capability
//! token with its accounts, the caller behind an API token, a user's own account) is kept in memory
//! and reused until the directory's generation changes, so a steady stream of calls costs one tiny
//! read (the generation) instead of several lookups each.
//!
//! The generation is bumped by every change to what a call resolves, whichever process made it (the
//! store's triggers), so a `servers revoke` or `api-tokens revoke` from the CLI or another replica
//! takes effect on the next request after `check_every`. With `check_every` at zero (the default)
//! that is the very next request: revocation stays immediate. Unknown tokens are never cached (a
//! flood of made-up tokens cannot fill memory), and entries are re-read at least once a minute, so
//! a server's last use is still recorded.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use switchboard_runtime::account::Account;
use switchboard_vault::{now_unix, token_hash};

use super::{ApiCaller, Directory, DirectoryError};
use crate::mcp::Binding;

/// Entries per map at most; past this the map starts over (tokens are secrets, so this only bounds
/// memory when there are that many live servers or users).
const MAX_ENTRIES: usize = 10_000;

/// How long an entry is trusted without re-reading it, whatever the generation says.
const MAX_AGE: Duration = Duration::from_secs(60);

/// A [`Directory`] with a cache in front.
pub struct CachedDirectory {
    inner: std::sync::Arc<dyn Directory>,
    check_every: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The generation the entries were read at; `None` before the first check.
    generation: Option<u64>,
    checked_at: Option<Instant>,
    servers: HashMap<[u8; 32], (Option<Binding>, Instant)>,
    callers: HashMap<[u8; 32], (Option<ApiCaller>, Instant)>,
    accounts: HashMap<(String, String), (Option<Account>, Instant)>,
}

impl State {
    fn clear(&mut self) {
        self.servers.clear();
        self.callers.clear();
        self.accounts.clear();
    }
}

impl CachedDirectory {
    /// Caches `inner`, checking its generation at most every `check_every`. A directory without a
    /// generation is not cached at all.
    pub fn new(inner: std::sync::Arc<dyn Directory>, check_every: Duration) -> Self {
        Self {
            inner,
            check_every,
            state: Mutex::new(State::default()),
        }
    }

    /// Locks the cache after forgetting everything if the directory changed since the last check;
    /// `None` when the directory has no generation (nothing may be cached).
    fn current(&self) -> Result<Option<MutexGuard<'_, State>>, DirectoryError> {
        let mut state = self.lock();
        let due = state
            .checked_at
            .is_none_or(|at| at.elapsed() >= self.check_every);
        if due {
            let Some(generation) = self.inner.generation()? else {
                return Ok(None);
            };
            if state.generation != Some(generation) {
                state.clear();
                state.generation = Some(generation);
            }
            state.checked_at = Some(Instant::now());
        }
        Ok(Some(state))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached answer for a key, or the inner directory's (remembered when `keep` says so). One
    /// generation check per call: a miss is read outside the lock and remembered only if the
    /// generation has not moved meanwhile, so a change made during the read is never cached.
    fn cached<K, V: Clone>(
        &self,
        map: fn(&mut State) -> &mut HashMap<K, (V, Instant)>,
        key: K,
        fresh: impl Fn(&V) -> bool,
        read: impl FnOnce() -> Result<V, DirectoryError>,
        keep: impl Fn(&V) -> bool,
    ) -> Result<V, DirectoryError>
    where
        K: std::hash::Hash + Eq,
    {
        let generation = match self.current()? {
            None => return read(),
            Some(mut state) => {
                if let Some((value, at)) = map(&mut state).get(&key)
                    && at.elapsed() < MAX_AGE
                    && fresh(value)
                {
                    return Ok(value.clone());
                }
                state.generation
            }
        };
        let value = read()?;
        if keep(&value) {
            let mut state = self.lock();
            if state.generation == generation {
                remember(map(&mut state), key, value.clone());
            }
        }
        Ok(value)
    }
}

/// Inserts into a bounded map.
fn remember<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, (V, Instant)>, key: K, value: V) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key, (value, Instant::now()));
}

impl Directory for CachedDirectory {
    fn resolve(&self, token: &str) -> Result<Option<Binding>, DirectoryError> {
        self.cached(
            |state| &mut state.servers,
            token_hash(token),
            |binding| {
                binding
                    .as_ref()
                    .is_some_and(|b| b.expires_at.is_none_or(|expires| expires > now_unix()))
            },
            || self.inner.resolve(token),
            // Unknown tokens are not remembered: made-up ones cannot fill memory.
            Option::is_some,
        )
    }

    fn api_caller(&self, token: &str) -> Result<Option<ApiCaller>, DirectoryError> {
        self.cached(
            |state| &mut state.callers,
            token_hash(token),
            |_| true,
            || self.inner.api_caller(token),
            // Live tokens only: a made-up one is not remembered.
            Option::is_some,
        )
    }

    fn user_account(
        &self,
        integration: &str,
        user: &str,
    ) -> Result<Option<Account>, DirectoryError> {
        // Users named by live API tokens only reach here, so "not connected yet" is remembered too
        // (until they connect: that bumps the generation).
        self.cached(
            |state| &mut state.accounts,
            (integration.to_owned(), user.to_owned()),
            |_| true,
            || self.inner.user_account(integration, user),
            |_| true,
        )
    }

    fn generation(&self) -> Result<Option<u64>, DirectoryError> {
        self.inner.generation()
    }
}
