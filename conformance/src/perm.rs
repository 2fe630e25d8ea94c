//! The seven permission codes of the contract and their canonical order.

use std::fmt;

/// One permission code. The declaration order is the canonical order in which
/// a server writes permission arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Perm {
    Create,
    Modify,
    Delete,
    Lock,
    List,
    Admin,
    Read,
}

impl Perm {
    /// Every code, in canonical order.
    pub const ALL: [Perm; 7] = [
        Perm::Create,
        Perm::Modify,
        Perm::Delete,
        Perm::Lock,
        Perm::List,
        Perm::Admin,
        Perm::Read,
    ];

    /// The code as it appears in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Perm::Create => "CREATE",
            Perm::Modify => "MODIFY",
            Perm::Delete => "DELETE",
            Perm::Lock => "LOCK",
            Perm::List => "LIST",
            Perm::Admin => "ADMIN",
            Perm::Read => "READ",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A set of permissions, as the model and the fixtures reason about them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PermSet(u8);

impl PermSet {
    /// The empty set: what a fresh server grants anonymous callers.
    pub const NONE: PermSet = PermSet(0);

    pub fn of(perms: &[Perm]) -> PermSet {
        PermSet(perms.iter().fold(0, |bits, perm| bits | perm.bit()))
    }

    pub fn all() -> PermSet {
        PermSet::of(&Perm::ALL)
    }

    pub fn contains(self, perm: Perm) -> bool {
        self.0 & perm.bit() != 0
    }

    pub fn with(self, perm: Perm) -> PermSet {
        PermSet(self.0 | perm.bit())
    }

    pub fn without(self, perm: Perm) -> PermSet {
        PermSet(self.0 & !perm.bit())
    }

    /// The members in canonical order.
    pub fn perms(self) -> Vec<Perm> {
        Perm::ALL
            .into_iter()
            .filter(|perm| self.contains(*perm))
            .collect()
    }

    /// The JSON array a faithful server writes for this set.
    pub fn canonical_codes(self) -> Vec<&'static str> {
        self.perms().into_iter().map(Perm::code).collect()
    }
}

/// Codes in the order given, for request bodies that deliberately use a
/// non-canonical order.
pub fn codes(perms: &[Perm]) -> Vec<&'static str> {
    perms.iter().map(|perm| perm.code()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_codes_follow_the_table_order_whatever_the_input_order() {
        let set = PermSet::of(&[Perm::Read, Perm::Create, Perm::Lock, Perm::Read]);
        assert_eq!(set.canonical_codes(), vec!["CREATE", "LOCK", "READ"]);
    }

    #[test]
    fn without_removes_only_the_named_permission() {
        let set = PermSet::all().without(Perm::Admin);
        assert!(!set.contains(Perm::Admin));
        assert_eq!(set.perms().len(), 6);
        assert!(set.with(Perm::Admin) == PermSet::all());
    }

    #[test]
    fn codes_keep_the_given_order() {
        assert_eq!(codes(&[Perm::Read, Perm::Create]), vec!["READ", "CREATE"]);
    }
}
