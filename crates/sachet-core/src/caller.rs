//! The caller of a request, and the permission decision every endpoint makes.

use std::fmt;

use crate::{PermissionSet, Username};

/// The stable identity of a user account. A rename keeps it; a user deleted
/// and created again under the same name gets a new one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub [u8; 16]);

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Who is making a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No token was sent; the server's anonymous permissions apply.
    Anonymous {
        /// The anonymous permissions at the time of the request.
        permissions: PermissionSet,
    },
    /// A valid token for an existing user was sent.
    User {
        /// The account.
        id: UserId,
        /// Its current name.
        name: Username,
        /// Its permissions.
        permissions: PermissionSet,
    },
}

/// Why a caller may not do something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// Anonymous and the anonymous permissions fall short: sign in (401).
    Unauthenticated,
    /// Signed in but lacking a permission (403).
    Forbidden,
}

impl Caller {
    /// The caller's permissions.
    pub fn permissions(&self) -> PermissionSet {
        match self {
            Caller::Anonymous { permissions } | Caller::User { permissions, .. } => *permissions,
        }
    }

    /// The account, or `None` for the anonymous caller.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Caller::Anonymous { .. } => None,
            Caller::User { id, .. } => Some(*id),
        }
    }

    /// The username, or `None` for the anonymous caller.
    pub fn username(&self) -> Option<&Username> {
        match self {
            Caller::Anonymous { .. } => None,
            Caller::User { name, .. } => Some(name),
        }
    }

    /// Checks that the caller holds every permission of `needed`.
    pub fn require(&self, needed: PermissionSet) -> Result<(), Denial> {
        if self.permissions().contains_all(needed) {
            return Ok(());
        }
        match self {
            Caller::Anonymous { .. } => Err(Denial::Unauthenticated),
            Caller::User { .. } => Err(Denial::Forbidden),
        }
    }

    /// Whether the caller owns a share whose owner is `owner`: an anonymous
    /// caller owns exactly the owner-less shares.
    pub fn owns(&self, owner: Option<UserId>) -> bool {
        self.user_id() == owner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Permission;

    fn user(permissions: PermissionSet) -> Caller {
        Caller::User {
            id: UserId([1; 16]),
            name: Username::parse("alice").unwrap(),
            permissions,
        }
    }

    #[test]
    fn anonymous_callers_lacking_a_permission_must_sign_in() {
        let anonymous = Caller::Anonymous {
            permissions: PermissionSet::only(Permission::Read),
        };
        assert_eq!(
            anonymous.require(PermissionSet::only(Permission::Read)),
            Ok(())
        );
        assert_eq!(
            anonymous.require(PermissionSet::only(Permission::Create)),
            Err(Denial::Unauthenticated)
        );
    }

    #[test]
    fn users_lacking_a_permission_are_forbidden() {
        let alice = user(PermissionSet::only(Permission::Read));
        assert_eq!(
            alice.require(PermissionSet::only(Permission::Lock)),
            Err(Denial::Forbidden)
        );
        assert_eq!(alice.require(PermissionSet::EMPTY), Ok(()));
    }

    #[test]
    fn anonymous_callers_own_owner_less_shares_only() {
        let anonymous = Caller::Anonymous {
            permissions: PermissionSet::EMPTY,
        };
        assert!(anonymous.owns(None));
        assert!(!anonymous.owns(Some(UserId([1; 16]))));
        let alice = user(PermissionSet::EMPTY);
        assert!(alice.owns(Some(UserId([1; 16]))));
        assert!(!alice.owns(Some(UserId([2; 16]))));
        assert!(!alice.owns(None));
    }
}
