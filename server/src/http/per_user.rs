//! Per-user integrations: once the second factor has named the user, each per-user integration of
//! the server gets that user's own account, or, when they have not connected it, the signed link
//! that connects an account for exactly this user.

use switchboard_oauth::{ConnectLinks, DEFAULT_LINK_TTL_SECS, LinkTarget};
use switchboard_runtime::executor::Executor;
use switchboard_vault::{now_unix, per_user_account_id};

use super::{Directory, DirectoryError};
use crate::mcp::{Access, Binding, UserAccount};

/// Fills in the calling user's accounts. Without a user (no API token, or one that names no user)
/// per-user integrations stay [`UserAccount::Unresolved`]: their calls answer `auth_required`.
/// Blocking (the directory may be).
pub(crate) fn resolve(
    directory: &dyn Directory,
    executor: &Executor,
    links: Option<&ConnectLinks>,
    binding: &mut Binding,
) -> Result<(), DirectoryError> {
    let Some(user) = binding.user.clone() else {
        return Ok(());
    };
    for bound in &mut binding.integrations {
        if !matches!(bound.access, Access::PerUser(UserAccount::Unresolved)) {
            continue;
        }
        bound.access =
            Access::PerUser(match directory.user_account(&bound.integration, &user)? {
                Some(account) => UserAccount::Connected(account),
                None => UserAccount::NotConnected {
                    connect_url: links.map(|links| {
                        // Ask for exactly what this role needs of the integration.
                        let scopes = executor
                            .integration(&bound.integration)
                            .map(|table| binding.filter.needed_scopes(table))
                            .unwrap_or_default();
                        links.link(&LinkTarget {
                            integration: bound.integration.clone(),
                            account: per_user_account_id(&user, &bound.integration),
                            user: Some(user.clone()),
                            scopes: scopes.into_iter().map(str::to_owned).collect(),
                            expires_at: now_unix().saturating_add(DEFAULT_LINK_TTL_SECS),
                        })
                    }),
                },
            });
    }
    Ok(())
}
