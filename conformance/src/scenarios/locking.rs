//! Group 13, locking: a locked share refuses content changes, metadata
//! changes and deletion until it is unlocked; LOCK is needed for both.

use reqwest::Method;
use serde_json::json;

use super::support::{forbidden, locked, not_found};
use crate::failure::{Failure, Outcome, ensure};
use crate::multipart::Form;
use crate::perm::{Perm, PermSet};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx};

const GROUP: Group = Group::Locking;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, share_lock_blocks_changes_and_deletion),
        scenario!(GROUP, Core, share_unlock_restores_changes_and_deletion),
        scenario!(GROUP, Core, share_lock_is_idempotent),
        scenario!(GROUP, Core, share_lock_without_lock_is_forbidden),
        scenario!(GROUP, Core, share_lock_by_any_user_with_lock),
        scenario!(GROUP, Core, share_lock_keeps_content_readable),
        scenario!(GROUP, Strict, share_lock_malformed_id_is_not_found),
    ]
}

/// An owner with every share permission and their share holding `bytes`.
async fn owned_share(ctx: &Ctx, bytes: &[u8]) -> Result<(Account, String), Failure> {
    let owner = ctx
        .user(&PermSet::all().without(Perm::Admin).perms())
        .await?;
    let id = ctx
        .share_with(Some(&owner), &format!("{}.bin", ctx.name("l")), bytes)
        .await?;
    Ok((owner, id))
}

async fn lock(ctx: &Ctx, by: &Account, id: &str) -> Result<(), Failure> {
    let reply = ctx.post(format!("/files/{id}/lock")).by(by).send().await?;
    reply.expect_message(200, "Share has been locked.")?;
    Ok(())
}

async fn unlock(ctx: &Ctx, by: &Account, id: &str) -> Result<(), Failure> {
    let reply = ctx
        .post(format!("/files/{id}/unlock"))
        .by(by)
        .send()
        .await?;
    reply.expect_message(200, "Share has been unlocked.")?;
    Ok(())
}

async fn expect_locked_flag(ctx: &Ctx, id: &str, expected: bool) -> Result<(), Failure> {
    let info = ctx.share_info(id).await?;
    ensure(info["locked"] == json!(expected), || {
        Failure::new(format!("\"locked\": {expected}"))
            .with_request(format!("GET /files/{id} as root"))
            .with_actual(info.to_string())
    })
}

async fn share_lock_blocks_changes_and_deletion(ctx: Ctx) -> Outcome {
    let (owner, id) = owned_share(&ctx, b"locked content").await?;
    lock(&ctx, &owner, &id).await?;
    expect_locked_flag(&ctx, &id, true).await?;
    let form = Form::chunk(&uuid::Uuid::new_v4().to_string(), 0, 1, b"changed");
    locked(
        ctx.call(Method::PUT, format!("/files/{id}/content"))
            .by(&owner)
            .form(&form),
    )
    .await?;
    locked(
        ctx.patch(format!("/files/{id}"))
            .by(&owner)
            .json(json!({"file_name": "x"})),
    )
    .await?;
    let put = json!({"file_name": "x", "owner_name": owner.name});
    locked(ctx.put(format!("/files/{id}")).by(&owner).json(put)).await?;
    locked(ctx.delete(format!("/files/{id}")).by(&owner)).await?;
    ctx.expect_content(&id, b"locked content").await?;
    Ok(())
}

async fn share_unlock_restores_changes_and_deletion(ctx: Ctx) -> Outcome {
    let (owner, id) = owned_share(&ctx, b"first").await?;
    lock(&ctx, &owner, &id).await?;
    unlock(&ctx, &owner, &id).await?;
    expect_locked_flag(&ctx, &id, false).await?;
    ctx.upload(Some(&owner), &id, Method::PUT, b"second", 64)
        .await?;
    ctx.expect_content(&id, b"second").await?;
    let rename = json!({"file_name": ctx.name("unlocked")});
    ctx.patch(format!("/files/{id}"))
        .by(&owner)
        .json(rename)
        .send()
        .await?
        .expect(200)?;
    ctx.delete(format!("/files/{id}"))
        .by(&owner)
        .send()
        .await?
        .expect(200)?;
    Ok(())
}

async fn share_lock_is_idempotent(ctx: Ctx) -> Outcome {
    let (owner, id) = owned_share(&ctx, b"x").await?;
    lock(&ctx, &owner, &id).await?;
    lock(&ctx, &owner, &id).await?;
    expect_locked_flag(&ctx, &id, true).await?;
    unlock(&ctx, &owner, &id).await?;
    unlock(&ctx, &owner, &id).await?;
    expect_locked_flag(&ctx, &id, false).await?;
    Ok(())
}

async fn share_lock_without_lock_is_forbidden(ctx: Ctx) -> Outcome {
    let owner = ctx
        .user(
            &PermSet::all()
                .without(Perm::Admin)
                .without(Perm::Lock)
                .perms(),
        )
        .await?;
    let id = ctx.share(Some(&owner)).await?;
    forbidden(ctx.post(format!("/files/{id}/lock")).by(&owner)).await?;
    expect_locked_flag(&ctx, &id, false).await?;
    ctx.post(format!("/files/{id}/lock"))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    forbidden(ctx.post(format!("/files/{id}/unlock")).by(&owner)).await?;
    expect_locked_flag(&ctx, &id, true).await?;
    Ok(())
}

async fn share_lock_by_any_user_with_lock(ctx: Ctx) -> Outcome {
    let (_, id) = owned_share(&ctx, b"x").await?;
    let locker = ctx.user(&[Perm::Lock]).await?;
    lock(&ctx, &locker, &id).await?;
    expect_locked_flag(&ctx, &id, true).await?;
    unlock(&ctx, &locker, &id).await?;
    Ok(())
}

async fn share_lock_keeps_content_readable(ctx: Ctx) -> Outcome {
    let (owner, id) = owned_share(&ctx, b"still readable").await?;
    lock(&ctx, &owner, &id).await?;
    let reply = ctx
        .get(format!("/files/{id}/content"))
        .by(&owner)
        .send()
        .await?
        .expect(200)?;
    crate::world::check_bytes(&reply, b"still readable")?;
    ctx.get(format!("/files/{id}"))
        .by(&owner)
        .send()
        .await?
        .expect(200)?;
    Ok(())
}

async fn share_lock_malformed_id_is_not_found(ctx: Ctx) -> Outcome {
    for id in super::support::MALFORMED_IDS {
        not_found(ctx.post(format!("/files/{id}/lock")).by(ctx.root())).await?;
        not_found(ctx.post(format!("/files/{id}/unlock")).by(ctx.root())).await?;
    }
    Ok(())
}
