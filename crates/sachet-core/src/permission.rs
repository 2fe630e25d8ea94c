//! Permission codes and sets of them, with their canonical order and bit encoding.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One permission a caller may hold. The discriminant order is the canonical
/// order in which sets are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Create shares and upload their first content.
    Create,
    /// Change the content and metadata of shares one owns.
    Modify,
    /// Delete any share.
    Delete,
    /// Lock and unlock any share.
    Lock,
    /// List all shares of all users.
    List,
    /// Manage users and server settings.
    Admin,
    /// Read any share's metadata and content.
    Read,
}

impl Permission {
    /// Every permission, in canonical order.
    pub const ALL: [Permission; 7] = [
        Permission::Create,
        Permission::Modify,
        Permission::Delete,
        Permission::Lock,
        Permission::List,
        Permission::Admin,
        Permission::Read,
    ];

    /// The bit of this permission in the stored bitmask.
    pub const fn bit(self) -> u8 {
        match self {
            Permission::Create => 1,
            Permission::Modify => 2,
            Permission::Delete => 4,
            Permission::Lock => 8,
            Permission::List => 16,
            Permission::Admin => 32,
            Permission::Read => 64,
        }
    }

    /// The code of this permission on the wire, such as `CREATE`.
    pub const fn code(self) -> &'static str {
        match self {
            Permission::Create => "CREATE",
            Permission::Modify => "MODIFY",
            Permission::Delete => "DELETE",
            Permission::Lock => "LOCK",
            Permission::List => "LIST",
            Permission::Admin => "ADMIN",
            Permission::Read => "READ",
        }
    }

    /// Parses a wire code. Codes are case-sensitive, as the contract writes them.
    pub fn from_code(code: &str) -> Result<Permission, UnknownPermission> {
        Permission::ALL
            .into_iter()
            .find(|permission| permission.code() == code)
            .ok_or_else(|| UnknownPermission(code.to_owned()))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code that names no permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission code {0:?}")]
pub struct UnknownPermission(pub String);

/// A set of permissions, stored as a bitmask and written in canonical order.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u8);

impl PermissionSet {
    /// No permission at all.
    pub const EMPTY: PermissionSet = PermissionSet(0);
    /// All seven permissions.
    pub const ALL: PermissionSet = PermissionSet(0x7f);

    /// The set holding exactly `permission`.
    pub const fn only(permission: Permission) -> PermissionSet {
        PermissionSet(permission.bit())
    }

    /// Decodes a stored bitmask. Bits that name no permission are dropped, so a
    /// database value written by a newer server cannot grant anything unknown.
    pub fn from_bits(bits: i64) -> PermissionSet {
        PermissionSet((bits & i64::from(Self::ALL.0)) as u8)
    }

    /// The bitmask to store.
    pub const fn bits(self) -> i64 {
        self.0 as i64
    }

    /// Whether `permission` is in the set.
    pub const fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Whether every permission of `other` is in the set.
    pub const fn contains_all(self, other: PermissionSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set with `permission` added.
    #[must_use]
    pub const fn with(self, permission: Permission) -> PermissionSet {
        PermissionSet(self.0 | permission.bit())
    }

    /// The permissions of the set, in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |permission| self.contains(*permission))
    }

    /// The wire codes of the set, in canonical order.
    pub fn codes(self) -> Vec<&'static str> {
        self.iter().map(Permission::code).collect()
    }

    /// Parses wire codes; duplicates collapse, an unknown code is an error.
    pub fn from_codes<S: AsRef<str>>(
        codes: impl IntoIterator<Item = S>,
    ) -> Result<PermissionSet, UnknownPermission> {
        codes
            .into_iter()
            .try_fold(PermissionSet::EMPTY, |set, code| {
                Ok(set.with(Permission::from_code(code.as_ref())?))
            })
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> PermissionSet {
        iter.into_iter()
            .fold(PermissionSet::EMPTY, PermissionSet::with)
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Permission::code))
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let codes = Vec::<String>::deserialize(deserializer)?;
        PermissionSet::from_codes(&codes).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn bits_follow_the_contract_table() {
        let bits: Vec<u8> = Permission::ALL.iter().map(|p| p.bit()).collect();
        assert_eq!(bits, [1, 2, 4, 8, 16, 32, 64]);
    }

    #[test]
    fn codes_round_trip_and_are_case_sensitive() {
        for permission in Permission::ALL {
            assert_eq!(Permission::from_code(permission.code()), Ok(permission));
        }
        assert!(Permission::from_code("read").is_err());
        assert!(Permission::from_code("WRITE").is_err());
    }

    #[test]
    fn sets_are_written_in_canonical_order_without_duplicates() {
        let set = PermissionSet::from_codes(["READ", "CREATE", "ADMIN", "READ"]).unwrap();
        assert_eq!(set.codes(), ["CREATE", "ADMIN", "READ"]);
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"["CREATE","ADMIN","READ"]"#
        );
    }

    #[test]
    fn an_unknown_code_is_refused() {
        let err = PermissionSet::from_codes(["READ", "FLY"]).unwrap_err();
        assert_eq!(err, UnknownPermission("FLY".into()));
        assert!(serde_json::from_str::<PermissionSet>(r#"["FLY"]"#).is_err());
    }

    #[test]
    fn stored_bits_outside_the_table_grant_nothing() {
        assert_eq!(PermissionSet::from_bits(0xff80), PermissionSet::EMPTY);
        assert_eq!(PermissionSet::from_bits(-1), PermissionSet::ALL);
    }

    fn any_set() -> impl Strategy<Value = PermissionSet> {
        (0u8..128).prop_map(|bits| PermissionSet::from_bits(i64::from(bits)))
    }

    proptest! {
        #[test]
        fn bits_round_trip(set in any_set()) {
            prop_assert_eq!(PermissionSet::from_bits(set.bits()), set);
        }

        #[test]
        fn codes_round_trip_in_any_order(set in any_set(), seed in any::<u64>()) {
            let mut codes = set.codes();
            // A cheap deterministic shuffle: rotate by the seed.
            let len = codes.len().max(1);
            codes.rotate_left((seed as usize) % len);
            let parsed = PermissionSet::from_codes(&codes).unwrap();
            prop_assert_eq!(parsed, set);
            let mut sorted = parsed.iter().collect::<Vec<_>>();
            sorted.sort();
            prop_assert_eq!(parsed.iter().collect::<Vec<_>>(), sorted);
        }

        #[test]
        fn contains_all_is_subset(a in any_set(), b in any_set()) {
            let subset = b.iter().all(|p| a.contains(p));
            prop_assert_eq!(a.contains_all(b), subset);
        }
    }
}
