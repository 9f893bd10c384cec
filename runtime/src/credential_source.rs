//! The one narrow door through which credentials reach the runtime: "give me a usable credential for
//! this account" and "the vendor rejected this one". The runtime never reads a store or refreshes a
//! token itself; OAuth (over the vault) implements this for real accounts.

use std::future::Future;
use std::pin::Pin;

use crate::account::{Account, Credential};
use crate::outcome::ToolError;

/// What a [`CredentialSource`] answers, later.
pub type CredentialFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ToolError>> + Send + 'a>>;

/// Supplies the credential each upstream request is sent with.
pub trait CredentialSource: Send + Sync {
    /// A credential usable now for `account` (an implementation may refresh first); errors are what
    /// the caller sees, typically [`ToolError::AuthRequired`].
    fn usable<'a>(&'a self, account: &'a Account) -> CredentialFuture<'a, Credential>;

    /// The vendor answered 401 to `rejected`: a fresh credential to replay the request with once, or
    /// `None` when there is nothing better (the 401 then goes back to the caller).
    fn rejected<'a>(
        &'a self,
        account: &'a Account,
        rejected: &'a Credential,
    ) -> CredentialFuture<'a, Option<Credential>>;

    /// Where a person connects `account` again, for `auth_required` errors that do not carry one.
    fn reconnect_url(&self, _account: &Account) -> Option<String> {
        None
    }
}

/// The credential the account already holds, as is: static tokens, API keys, Basic, and tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountCredential;

impl CredentialSource for AccountCredential {
    fn usable<'a>(&'a self, account: &'a Account) -> CredentialFuture<'a, Credential> {
        Box::pin(std::future::ready(Ok(account.credential.clone())))
    }

    fn rejected<'a>(
        &'a self,
        _account: &'a Account,
        _rejected: &'a Credential,
    ) -> CredentialFuture<'a, Option<Credential>> {
        Box::pin(std::future::ready(Ok(None)))
    }
}
