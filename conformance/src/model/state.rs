//! The in-memory model of the contract: given an operation, what request it
//! becomes and what a faithful server answers, and how the state changes.
//! Pure, so that its transitions are unit-tested without a server.

use std::collections::BTreeMap;

use super::ops::{Actor, Op, Target, Via, user_permissions};
use crate::perm::{Perm, PermSet};

/// One share as the model sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShareState {
    pub owner: Option<u8>,
    pub file_name: String,
    pub initialized: bool,
    pub locked: bool,
    pub deleted: bool,
    pub content: Vec<u8>,
    /// Incomplete uploads by (PUT?, slot): received chunks by index.
    uploads: BTreeMap<(bool, u8), BTreeMap<u8, Vec<u8>>>,
    /// How many uploads each (PUT?, slot) has completed; part of the dzuuid.
    epochs: BTreeMap<(bool, u8), u32>,
}

/// The request an operation becomes, with shares named by creation index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    CreateShare {
        actor: Actor,
        file_name: String,
    },
    Chunk {
        actor: Actor,
        share: usize,
        put: bool,
        dzuuid: String,
        index: u8,
        total: u8,
        bytes: Vec<u8>,
    },
    Rename {
        actor: Actor,
        share: usize,
        file_name: String,
    },
    Transfer {
        actor: Actor,
        share: usize,
        to: Target,
    },
    Lock {
        actor: Actor,
        share: usize,
        lock: bool,
    },
    Delete {
        actor: Actor,
        share: usize,
    },
    SetAnonymous {
        perms: PermSet,
    },
    ReadMeta {
        actor: Actor,
        share: usize,
    },
    ReadContent {
        actor: Actor,
        share: usize,
    },
}

/// What the answer must show beyond its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Nothing,
    /// A new share; the answer's url names its id.
    NewShare,
    Meta {
        owner: Option<u8>,
        file_name: String,
        initialized: bool,
        locked: bool,
    },
    Content(Vec<u8>),
}

/// A request and the answer the contract asks for. `None` means nothing is
/// sent: no share exists yet, or the contract leaves the answer open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub request: Request,
    pub status: u16,
    pub check: Check,
}

/// The whole model.
#[derive(Clone, Debug)]
pub struct Model {
    prefix: String,
    anonymous: PermSet,
    shares: Vec<ShareState>,
    renames: u32,
}

impl Model {
    /// A model whose file names and upload ids start with `prefix`.
    pub fn new(prefix: &str) -> Model {
        Model {
            prefix: prefix.to_string(),
            anonymous: PermSet::NONE,
            shares: Vec::new(),
            renames: 0,
        }
    }

    pub fn shares(&self) -> &[ShareState] {
        &self.shares
    }

    /// The step for `op`, with the model moved on as a faithful server
    /// would move.
    pub fn step(&mut self, op: &Op) -> Option<Step> {
        match *op {
            Op::Create { actor } => Some(self.create(actor)),
            Op::SetAnonymous { perms } => {
                self.anonymous = perms;
                Some(step(Request::SetAnonymous { perms }, 200))
            }
            Op::Chunk {
                actor,
                share,
                slot,
                index,
                via,
                variant,
            } => {
                let (actor, share) = self.resolve(actor, share)?;
                let put = match via {
                    Via::Auto => self.shares[share].initialized,
                    Via::Post => false,
                    Via::Put => true,
                };
                self.chunk(actor, share, slot, index, put, variant)
            }
            Op::Rename { actor, share } => {
                let (actor, share) = self.resolve(actor, share)?;
                Some(self.rename(actor, share))
            }
            Op::Transfer { actor, share, to } => {
                let (actor, share) = self.resolve(actor, share)?;
                Some(self.transfer(actor, share, to))
            }
            Op::Lock { actor, share } => {
                let (actor, share) = self.resolve(actor, share)?;
                Some(self.lock(actor, share, true))
            }
            Op::Unlock { actor, share } => {
                let (actor, share) = self.resolve(actor, share)?;
                Some(self.lock(actor, share, false))
            }
            Op::Delete { actor, share } => {
                let (actor, share) = self.resolve(actor, share)?;
                Some(self.delete(actor, share))
            }
            Op::ReadMeta { actor, share } => {
                let (actor, share) = self.resolve(actor, share)?;
                Some(self.read_meta(actor, share))
            }
            Op::ReadContent { actor, share } => {
                let (actor, share) = self.resolve(actor, share)?;
                Some(self.read_content(actor, share))
            }
        }
    }

    /// The share an operation names (by creation index, modulo the count)
    /// and its caller, with `Actor::Owner` replaced by the current owner.
    fn resolve(&self, actor: Actor, share: u8) -> Option<(Actor, usize)> {
        if self.shares.is_empty() {
            return None;
        }
        let share = usize::from(share) % self.shares.len();
        let actor = match (actor, self.shares[share].owner) {
            (Actor::Owner, Some(user)) => Actor::User(user),
            (Actor::Owner, None) => Actor::Anonymous,
            (actor, _) => actor,
        };
        Some((actor, share))
    }

    fn perms(&self, actor: Actor) -> PermSet {
        match actor {
            Actor::User(user) => user_permissions(user),
            Actor::Anonymous | Actor::Owner => self.anonymous,
        }
    }

    /// 401 for an anonymous caller and 403 for a user lacking `perm`.
    fn lacks(&self, actor: Actor, perm: Perm) -> Option<u16> {
        if self.perms(actor).contains(perm) {
            return None;
        }
        Some(if let Actor::User(_) = actor { 403 } else { 401 })
    }

    fn owns(&self, actor: Actor, share: usize) -> bool {
        let owner = self.shares[share].owner;
        match actor {
            Actor::User(user) => owner == Some(user),
            Actor::Anonymous | Actor::Owner => owner.is_none(),
        }
    }

    fn create(&mut self, actor: Actor) -> Step {
        let file_name = format!("{}-m{}.bin", self.prefix, self.shares.len());
        let request = Request::CreateShare {
            actor,
            file_name: file_name.clone(),
        };
        if let Some(status) = self.lacks(actor, Perm::Create) {
            return step(request, status);
        }
        let owner = match actor {
            Actor::User(user) => Some(user),
            Actor::Anonymous | Actor::Owner => None,
        };
        self.shares.push(ShareState {
            owner,
            file_name,
            ..ShareState::default()
        });
        Step {
            request,
            status: 201,
            check: Check::NewShare,
        }
    }

    fn chunk(
        &mut self,
        actor: Actor,
        share: usize,
        slot: u8,
        index: u8,
        put: bool,
        variant: u8,
    ) -> Option<Step> {
        let total = slot + 1;
        let epoch = self.shares[share]
            .epochs
            .get(&(put, slot))
            .copied()
            .unwrap_or(0);
        let dzuuid = format!(
            "{}-s{share}-{}{slot}-e{epoch}",
            self.prefix,
            if put { "put" } else { "post" }
        );
        let bytes = format!("[s{share} {slot}.{epoch} #{index} v{variant}]").into_bytes();
        let request = Request::Chunk {
            actor,
            share,
            put,
            dzuuid,
            index,
            total,
            bytes: bytes.clone(),
        };
        let refusal = if put {
            self.put_refusal(actor, share)
        } else {
            self.post_refusal(actor, share)?
        };
        if let Some(status) = refusal {
            return Some(step(request, status));
        }
        let state = &mut self.shares[share];
        let received = state.uploads.entry((put, slot)).or_default();
        received.insert(index, bytes);
        if received.len() < usize::from(total) {
            return Some(step(request, 200));
        }
        state.content = received.values().flatten().copied().collect();
        state.initialized = true;
        state.uploads.remove(&(put, slot));
        *state.epochs.entry((put, slot)).or_default() += 1;
        Some(step(request, 201))
    }

    /// Why a POST chunk is refused, in the contract's order. `None` (outer)
    /// when the answer is open: the contract does not say how a lock
    /// affects a first upload.
    fn post_refusal(&self, actor: Actor, share: usize) -> Option<Option<u16>> {
        let state = &self.shares[share];
        let refusal = self
            .lacks(actor, Perm::Create)
            .or((state.deleted).then_some(404))
            .or((!self.owns(actor, share)).then_some(403))
            .or((state.initialized).then_some(423));
        if state.locked && !state.deleted {
            return None;
        }
        Some(refusal)
    }

    fn put_refusal(&self, actor: Actor, share: usize) -> Option<u16> {
        let state = &self.shares[share];
        self.lacks(actor, Perm::Modify)
            .or((state.deleted).then_some(404))
            .or((state.locked).then_some(423))
            .or((!self.owns(actor, share)).then_some(403))
            .or((!state.initialized).then_some(423))
    }

    /// Why a metadata change is refused, up to the owner check.
    fn modify_refusal(&self, actor: Actor, share: usize) -> Option<u16> {
        self.lacks(actor, Perm::Modify)
            .or((self.shares[share].deleted).then_some(404))
            .or((!self.owns(actor, share)).then_some(403))
    }

    fn rename(&mut self, actor: Actor, share: usize) -> Step {
        self.renames += 1;
        let file_name = format!("{}-m{share}r{}.txt", self.prefix, self.renames);
        let request = Request::Rename {
            actor,
            share,
            file_name: file_name.clone(),
        };
        let refusal = self
            .modify_refusal(actor, share)
            .or((self.shares[share].locked).then_some(423));
        if let Some(status) = refusal {
            return step(request, status);
        }
        self.shares[share].file_name = file_name;
        step(request, 200)
    }

    fn transfer(&mut self, actor: Actor, share: usize, to: Target) -> Step {
        let request = Request::Transfer { actor, share, to };
        let refusal = self
            .modify_refusal(actor, share)
            .or((to == Target::Missing).then_some(400))
            .or((self.shares[share].locked).then_some(423));
        if let Some(status) = refusal {
            return step(request, status);
        }
        self.shares[share].owner = match to {
            Target::User(user) => Some(user),
            _ => None,
        };
        step(request, 200)
    }

    fn lock(&mut self, actor: Actor, share: usize, lock: bool) -> Step {
        let request = Request::Lock { actor, share, lock };
        let refusal = self
            .lacks(actor, Perm::Lock)
            .or((self.shares[share].deleted).then_some(404));
        if let Some(status) = refusal {
            return step(request, status);
        }
        self.shares[share].locked = lock;
        step(request, 200)
    }

    fn delete(&mut self, actor: Actor, share: usize) -> Step {
        let request = Request::Delete { actor, share };
        let state = &self.shares[share];
        let refusal = self
            .lacks(actor, Perm::Delete)
            .or((state.deleted).then_some(404))
            .or((state.locked).then_some(423));
        if let Some(status) = refusal {
            return step(request, status);
        }
        self.shares[share].deleted = true;
        step(request, 200)
    }

    fn read_meta(&self, actor: Actor, share: usize) -> Step {
        let request = Request::ReadMeta { actor, share };
        let state = &self.shares[share];
        if let Some(status) = self
            .lacks(actor, Perm::Read)
            .or((state.deleted).then_some(404))
        {
            return step(request, status);
        }
        let check = Check::Meta {
            owner: state.owner,
            file_name: state.file_name.clone(),
            initialized: state.initialized,
            locked: state.locked,
        };
        Step {
            request,
            status: 200,
            check,
        }
    }

    fn read_content(&self, actor: Actor, share: usize) -> Step {
        let request = Request::ReadContent { actor, share };
        let state = &self.shares[share];
        let refusal = self
            .lacks(actor, Perm::Read)
            .or((state.deleted || !state.initialized).then_some(404));
        if let Some(status) = refusal {
            return step(request, status);
        }
        Step {
            request,
            status: 200,
            check: Check::Content(state.content.clone()),
        }
    }
}

fn step(request: Request, status: u16) -> Step {
    Step {
        request,
        status,
        check: Check::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: Actor = Actor::User(0);
    const BOB: Actor = Actor::User(1);
    const CAROL: Actor = Actor::User(2);

    fn status(model: &mut Model, op: Op) -> u16 {
        model.step(&op).map(|step| step.status).unwrap_or(0)
    }

    fn chunk(actor: Actor, slot: u8, index: u8, put: bool) -> Op {
        Op::Chunk {
            actor,
            share: 0,
            slot,
            index,
            via: if put { Via::Put } else { Via::Post },
            variant: 0,
        }
    }

    fn content(model: &mut Model, actor: Actor) -> Vec<u8> {
        match model
            .step(&Op::ReadContent { actor, share: 0 })
            .map(|step| step.check)
        {
            Some(Check::Content(bytes)) => bytes,
            other => panic!("no content: {other:?}"),
        }
    }

    #[test]
    fn create_needs_create_and_anonymous_gets_401() {
        let mut model = Model::new("p");
        assert_eq!(status(&mut model, Op::Create { actor: CAROL }), 403);
        assert_eq!(
            status(
                &mut model,
                Op::Create {
                    actor: Actor::Anonymous
                }
            ),
            401
        );
        assert_eq!(status(&mut model, Op::Create { actor: ALICE }), 201);
        assert_eq!(model.shares().len(), 1);
    }

    #[test]
    fn operations_without_any_share_send_nothing() {
        let mut model = Model::new("p");
        assert_eq!(
            model.step(&Op::Delete {
                actor: ALICE,
                share: 3
            }),
            None
        );
    }

    #[test]
    fn chunks_join_by_index_and_repeats_count_once() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: ALICE });
        assert_eq!(status(&mut model, chunk(ALICE, 2, 2, false)), 200);
        assert_eq!(status(&mut model, chunk(ALICE, 2, 2, false)), 200);
        assert_eq!(status(&mut model, chunk(ALICE, 2, 0, false)), 200);
        assert_eq!(status(&mut model, chunk(ALICE, 2, 1, false)), 201);
        let bytes = String::from_utf8(content(&mut model, ALICE)).unwrap();
        assert_eq!(bytes, "[s0 2.0 #0 v0][s0 2.0 #1 v0][s0 2.0 #2 v0]");
    }

    #[test]
    fn a_repeated_chunk_replaces_the_earlier_bytes() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: ALICE });
        let first = Op::Chunk {
            actor: ALICE,
            share: 0,
            slot: 1,
            index: 0,
            via: Via::Post,
            variant: 0,
        };
        let again = Op::Chunk {
            actor: ALICE,
            share: 0,
            slot: 1,
            index: 0,
            via: Via::Post,
            variant: 1,
        };
        status(&mut model, first);
        status(&mut model, again);
        assert_eq!(status(&mut model, chunk(ALICE, 1, 1, false)), 201);
        let bytes = String::from_utf8(content(&mut model, ALICE)).unwrap();
        assert!(bytes.starts_with("[s0 1.0 #0 v1]"), "{bytes}");
    }

    #[test]
    fn post_on_initialized_and_put_on_fresh_are_locked() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: ALICE });
        assert_eq!(status(&mut model, chunk(ALICE, 0, 0, true)), 423);
        assert_eq!(status(&mut model, chunk(ALICE, 0, 0, false)), 201);
        assert_eq!(status(&mut model, chunk(ALICE, 0, 0, false)), 423);
        assert_eq!(status(&mut model, chunk(ALICE, 0, 0, true)), 201);
    }

    #[test]
    fn content_stays_old_until_an_upload_completes() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: ALICE });
        assert_eq!(
            status(
                &mut model,
                Op::ReadContent {
                    actor: ALICE,
                    share: 0
                }
            ),
            404
        );
        status(&mut model, chunk(ALICE, 0, 0, false));
        let before = content(&mut model, ALICE);
        assert_eq!(status(&mut model, chunk(ALICE, 1, 0, true)), 200);
        assert_eq!(content(&mut model, ALICE), before);
    }

    #[test]
    fn non_owner_is_forbidden_and_lock_blocks_delete() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: ALICE });
        assert_eq!(
            status(
                &mut model,
                Op::Rename {
                    actor: BOB,
                    share: 0
                }
            ),
            403
        );
        assert_eq!(
            status(
                &mut model,
                Op::Lock {
                    actor: BOB,
                    share: 0
                }
            ),
            403
        );
        assert_eq!(
            status(
                &mut model,
                Op::Lock {
                    actor: CAROL,
                    share: 0
                }
            ),
            200
        );
        assert_eq!(
            status(
                &mut model,
                Op::Delete {
                    actor: CAROL,
                    share: 0
                }
            ),
            423
        );
        assert_eq!(
            status(
                &mut model,
                Op::Rename {
                    actor: ALICE,
                    share: 0
                }
            ),
            423
        );
        assert_eq!(
            status(
                &mut model,
                Op::Unlock {
                    actor: ALICE,
                    share: 0
                }
            ),
            200
        );
        assert_eq!(
            status(
                &mut model,
                Op::Delete {
                    actor: CAROL,
                    share: 0
                }
            ),
            200
        );
        assert_eq!(
            status(
                &mut model,
                Op::ReadMeta {
                    actor: ALICE,
                    share: 0
                }
            ),
            404
        );
    }

    #[test]
    fn transfer_to_a_missing_user_is_400_before_the_lock() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: ALICE });
        status(
            &mut model,
            Op::Lock {
                actor: ALICE,
                share: 0,
            },
        );
        let to_missing = Op::Transfer {
            actor: ALICE,
            share: 0,
            to: Target::Missing,
        };
        assert_eq!(status(&mut model, to_missing), 400);
        let to_bob = Op::Transfer {
            actor: ALICE,
            share: 0,
            to: Target::User(1),
        };
        assert_eq!(status(&mut model, to_bob), 423);
    }

    #[test]
    fn anonymous_callers_follow_the_anonymous_permissions() {
        let mut model = Model::new("p");
        let perms = PermSet::of(&[Perm::Create, Perm::Modify]);
        status(&mut model, Op::SetAnonymous { perms });
        assert_eq!(
            status(
                &mut model,
                Op::Create {
                    actor: Actor::Anonymous
                }
            ),
            201
        );
        assert_eq!(
            status(
                &mut model,
                Op::Rename {
                    actor: Actor::Anonymous,
                    share: 0
                }
            ),
            200
        );
        assert_eq!(
            status(
                &mut model,
                Op::Rename {
                    actor: ALICE,
                    share: 0
                }
            ),
            403
        );
        assert_eq!(
            status(
                &mut model,
                Op::ReadMeta {
                    actor: Actor::Anonymous,
                    share: 0
                }
            ),
            401
        );
        let to_alice = Op::Transfer {
            actor: Actor::Anonymous,
            share: 0,
            to: Target::User(0),
        };
        assert_eq!(status(&mut model, to_alice), 200);
        assert_eq!(
            status(
                &mut model,
                Op::Rename {
                    actor: ALICE,
                    share: 0
                }
            ),
            200
        );
    }

    #[test]
    fn owner_resolves_to_the_current_owner_and_auto_picks_the_method() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: BOB });
        let auto = |index| Op::Chunk {
            actor: Actor::Owner,
            share: 0,
            slot: 0,
            index,
            via: Via::Auto,
            variant: 0,
        };
        let first = model.step(&auto(0)).unwrap();
        assert_eq!(first.status, 201);
        assert!(matches!(
            first.request,
            Request::Chunk {
                actor: Actor::User(1),
                put: false,
                ..
            }
        ));
        let second = model.step(&auto(0)).unwrap();
        assert!(matches!(second.request, Request::Chunk { put: true, .. }));
        let to_anonymous = Op::Transfer {
            actor: Actor::Owner,
            share: 0,
            to: Target::Anonymous,
        };
        assert_eq!(status(&mut model, to_anonymous), 200);
        let rename = model
            .step(&Op::Rename {
                actor: Actor::Owner,
                share: 0,
            })
            .unwrap();
        assert_eq!(rename.status, 401);
        assert!(matches!(
            rename.request,
            Request::Rename {
                actor: Actor::Anonymous,
                ..
            }
        ));
    }

    #[test]
    fn first_upload_on_a_locked_share_is_left_open() {
        let mut model = Model::new("p");
        status(&mut model, Op::Create { actor: ALICE });
        status(
            &mut model,
            Op::Lock {
                actor: ALICE,
                share: 0,
            },
        );
        assert_eq!(model.step(&chunk(ALICE, 0, 0, false)), None);
        assert_eq!(status(&mut model, chunk(ALICE, 0, 0, true)), 423);
    }
}
