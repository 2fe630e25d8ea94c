//! The operations the model-based scenario generates, and the proptest
//! strategies that generate them. Shares are named by their creation index
//! modulo the number created, so a shrunk sequence still makes sense.

use std::fmt;

use proptest::prelude::*;

use crate::perm::{Perm, PermSet};

/// Who sends a request: one of the model's users, or an anonymous caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    User(u8),
    Anonymous,
    /// Whoever owns the share at that point (a user, or anonymous callers);
    /// the model resolves it, so that sequences reach the success paths.
    Owner,
}

/// Which method a chunk is sent with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// POST while the share has no content, PUT afterwards.
    Auto,
    Post,
    Put,
}

/// The new owner in a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    User(u8),
    Anonymous,
    /// A user name that does not exist.
    Missing,
}

/// One generated operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Create {
        actor: Actor,
    },
    /// One chunk of the upload in `slot` (slot `k` has `k + 1` chunks);
    /// `variant` changes the bytes of a repeated chunk.
    Chunk {
        actor: Actor,
        share: u8,
        slot: u8,
        index: u8,
        via: Via,
        variant: u8,
    },
    Rename {
        actor: Actor,
        share: u8,
    },
    Transfer {
        actor: Actor,
        share: u8,
        to: Target,
    },
    Lock {
        actor: Actor,
        share: u8,
    },
    Unlock {
        actor: Actor,
        share: u8,
    },
    Delete {
        actor: Actor,
        share: u8,
    },
    SetAnonymous {
        perms: PermSet,
    },
    ReadMeta {
        actor: Actor,
        share: u8,
    },
    ReadContent {
        actor: Actor,
        share: u8,
    },
}

/// How many users the model has.
pub const USERS: u8 = 3;

/// Upload slots; slot `k` uploads in `k + 1` chunks.
pub const SLOTS: u8 = 3;

/// The permissions of the model's users: each lacks something.
pub fn user_permissions(user: u8) -> PermSet {
    match user {
        0 => PermSet::of(&[
            Perm::Create,
            Perm::Modify,
            Perm::Delete,
            Perm::Lock,
            Perm::Read,
        ]),
        1 => PermSet::of(&[Perm::Create, Perm::Modify, Perm::Read]),
        _ => PermSet::of(&[Perm::Delete, Perm::Lock, Perm::Read]),
    }
}

/// The name the replay text uses for a model user.
pub fn user_alias(user: u8) -> &'static str {
    ["alice", "bob", "carol"]
        .get(usize::from(user))
        .copied()
        .unwrap_or("user")
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(user) => f.write_str(user_alias(*user)),
            Actor::Anonymous => f.write_str("anonymous"),
            Actor::Owner => f.write_str("owner"),
        }
    }
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        3 => (0..USERS).prop_map(Actor::User),
        1 => Just(Actor::Anonymous),
    ]
}

/// The caller of an operation on a share: mostly its owner.
fn share_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        3 => Just(Actor::Owner),
        2 => actor(),
    ]
}

fn via() -> impl Strategy<Value = Via> {
    prop_oneof![
        4 => Just(Via::Auto),
        1 => Just(Via::Post),
        1 => Just(Via::Put),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        3 => (0..USERS).prop_map(Target::User),
        1 => Just(Target::Anonymous),
        1 => Just(Target::Missing),
    ]
}

/// Anonymous permissions drawn from the five share permissions.
fn anonymous_perms() -> impl Strategy<Value = PermSet> {
    let share_perms = [
        Perm::Create,
        Perm::Modify,
        Perm::Delete,
        Perm::Lock,
        Perm::Read,
    ];
    proptest::sample::subsequence(share_perms.to_vec(), 0..=share_perms.len())
        .prop_map(|perms| PermSet::of(&perms))
}

fn chunk() -> impl Strategy<Value = Op> {
    (
        share_actor(),
        any::<u8>(),
        0..SLOTS,
        any::<u8>(),
        via(),
        0u8..2,
    )
        .prop_map(|(actor, share, slot, index, via, variant)| Op::Chunk {
            actor,
            share,
            slot,
            index: index % (slot + 1),
            via,
            variant,
        })
}

/// One operation, weighted towards creating shares and uploading.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => actor().prop_map(|actor| Op::Create { actor }),
        8 => chunk(),
        1 => (share_actor(), any::<u8>()).prop_map(|(actor, share)| Op::Rename { actor, share }),
        2 => (share_actor(), any::<u8>(), target())
            .prop_map(|(actor, share, to)| Op::Transfer { actor, share, to }),
        1 => (share_actor(), any::<u8>()).prop_map(|(actor, share)| Op::Lock { actor, share }),
        1 => (share_actor(), any::<u8>()).prop_map(|(actor, share)| Op::Unlock { actor, share }),
        1 => (share_actor(), any::<u8>()).prop_map(|(actor, share)| Op::Delete { actor, share }),
        1 => anonymous_perms().prop_map(|perms| Op::SetAnonymous { perms }),
        1 => (share_actor(), any::<u8>()).prop_map(|(actor, share)| Op::ReadMeta { actor, share }),
        2 => (share_actor(), any::<u8>()).prop_map(|(actor, share)| Op::ReadContent { actor, share }),
    ]
}

/// A sequence of up to `max` operations.
pub fn sequence(max: usize) -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 1..=max.max(1))
}
