//! Group 9, anonymous access: each share operation is open to callers
//! without a token exactly when the anonymous permissions include what it
//! needs, and is a 401 otherwise. Every scenario here changes server-wide
//! settings, so each runs alone.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{bad_request, expect_field, forbidden, unauthorized};
use crate::failure::{Failure, Outcome};
use crate::multipart::Form;
use crate::perm::{Perm, PermSet};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::Ctx;

const GROUP: Group = Group::Anonymous;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, share_create_anonymous_needs_create).alone(),
        scenario!(GROUP, Core, share_read_anonymous_needs_read).alone(),
        scenario!(GROUP, Core, share_list_anonymous_needs_list).alone(),
        scenario!(GROUP, Core, share_patch_anonymous_needs_modify).alone(),
        scenario!(GROUP, Core, share_delete_anonymous_needs_delete).alone(),
        scenario!(GROUP, Core, share_lock_anonymous_needs_lock).alone(),
        scenario!(GROUP, Core, content_upload_anonymous_needs_create).alone(),
        scenario!(GROUP, Core, content_replace_anonymous_needs_modify).alone(),
        scenario!(GROUP, Core, users_list_anonymous_needs_admin).alone(),
        scenario!(GROUP, Core, token_invalid_is_not_downgraded_to_anonymous).alone(),
        scenario!(
            GROUP,
            Strict,
            share_create_anonymous_with_owner_name_is_bad_request
        )
        .alone(),
    ]
}

/// Every share permission but `missing`: proves the server looks at the one
/// permission the operation needs, not at "any permission at all".
async fn all_but(ctx: &Ctx, missing: Perm) -> Result<(), Failure> {
    let perms = PermSet::all().without(Perm::Admin).without(missing).perms();
    ctx.set_anonymous(&perms).await
}

async fn anonymous_share(ctx: &Ctx, content: Option<&[u8]>) -> Result<String, Failure> {
    ctx.set_anonymous(&[Perm::Create]).await?;
    let id = ctx.share(None).await?;
    if let Some(bytes) = content {
        ctx.upload(None, &id, Method::POST, bytes, bytes.len().max(1))
            .await?;
    }
    Ok(id)
}

async fn share_create_anonymous_needs_create(ctx: Ctx) -> Outcome {
    all_but(&ctx, Perm::Create).await?;
    unauthorized(
        ctx.post("/files")
            .json(json!({"file_name": ctx.name("anon")})),
    )
    .await?;
    ctx.set_anonymous(&[Perm::Create]).await?;
    let id = ctx.share(None).await?;
    let reply = ctx
        .get(format!("/files/{id}"))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    expect_field(&reply, &reply.json()?, "owner_name", &Value::Null)?;
    Ok(())
}

async fn share_read_anonymous_needs_read(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx
        .share_with(
            Some(&owner),
            &format!("{}.bin", ctx.name("r")),
            b"public bytes",
        )
        .await?;
    all_but(&ctx, Perm::Read).await?;
    unauthorized(ctx.get(format!("/files/{id}"))).await?;
    unauthorized(ctx.get(format!("/files/{id}/content"))).await?;
    ctx.set_anonymous(&[Perm::Read]).await?;
    ctx.get(format!("/files/{id}")).send().await?.expect(200)?;
    let reply = ctx
        .get(format!("/files/{id}/content"))
        .send()
        .await?
        .expect(200)?;
    crate::world::check_bytes(&reply, b"public bytes")?;
    Ok(())
}

async fn share_list_anonymous_needs_list(ctx: Ctx) -> Outcome {
    all_but(&ctx, Perm::List).await?;
    unauthorized(ctx.get("/files")).await?;
    ctx.set_anonymous(&[Perm::List]).await?;
    let reply = ctx.get("/files").send().await?.expect(200)?;
    if !reply.json()?["data"].is_array() {
        return Err(reply.fail("a \"data\" array").into());
    }
    Ok(())
}

async fn share_patch_anonymous_needs_modify(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let users_share = ctx.share(Some(&owner)).await?;
    let id = anonymous_share(&ctx, None).await?;
    all_but(&ctx, Perm::Modify).await?;
    let rename = json!({"file_name": ctx.name("renamed")});
    unauthorized(ctx.patch(format!("/files/{id}")).json(rename.clone())).await?;
    ctx.set_anonymous(&[Perm::Modify]).await?;
    ctx.patch(format!("/files/{id}"))
        .json(rename.clone())
        .send()
        .await?
        .expect_success(200)?;
    forbidden(ctx.patch(format!("/files/{users_share}")).json(rename)).await?;
    Ok(())
}

async fn share_delete_anonymous_needs_delete(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx.share(Some(&owner)).await?;
    all_but(&ctx, Perm::Delete).await?;
    unauthorized(ctx.delete(format!("/files/{id}"))).await?;
    ctx.set_anonymous(&[Perm::Delete]).await?;
    ctx.delete(format!("/files/{id}"))
        .send()
        .await?
        .expect_success(200)?;
    let gone = ctx
        .get(format!("/files/{id}"))
        .by(ctx.root())
        .send()
        .await?;
    gone.expect_error(404)?;
    Ok(())
}

async fn share_lock_anonymous_needs_lock(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx.share(Some(&owner)).await?;
    all_but(&ctx, Perm::Lock).await?;
    unauthorized(ctx.post(format!("/files/{id}/lock"))).await?;
    unauthorized(ctx.post(format!("/files/{id}/unlock"))).await?;
    ctx.set_anonymous(&[Perm::Lock]).await?;
    ctx.post(format!("/files/{id}/lock"))
        .send()
        .await?
        .expect_success(200)?;
    ctx.post(format!("/files/{id}/unlock"))
        .send()
        .await?
        .expect_success(200)?;
    Ok(())
}

async fn content_upload_anonymous_needs_create(ctx: Ctx) -> Outcome {
    let id = anonymous_share(&ctx, None).await?;
    all_but(&ctx, Perm::Create).await?;
    let form = Form::chunk(&uuid::Uuid::new_v4().to_string(), 0, 1, b"anonymous upload");
    unauthorized(
        ctx.call(Method::POST, format!("/files/{id}/content"))
            .form(&form),
    )
    .await?;
    ctx.set_anonymous(&[Perm::Create]).await?;
    ctx.send_chunk(None, Method::POST, &id, &form)
        .await?
        .expect(201)?;
    ctx.expect_content(&id, b"anonymous upload").await?;
    Ok(())
}

async fn content_replace_anonymous_needs_modify(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let users_share = ctx
        .share_with(Some(&owner), &format!("{}.bin", ctx.name("u")), b"user's")
        .await?;
    let id = anonymous_share(&ctx, Some(b"first")).await?;
    all_but(&ctx, Perm::Modify).await?;
    let form = Form::chunk(&uuid::Uuid::new_v4().to_string(), 0, 1, b"second");
    unauthorized(
        ctx.call(Method::PUT, format!("/files/{id}/content"))
            .form(&form),
    )
    .await?;
    ctx.set_anonymous(&[Perm::Modify]).await?;
    ctx.send_chunk(None, Method::PUT, &id, &form)
        .await?
        .expect(201)?;
    ctx.expect_content(&id, b"second").await?;
    forbidden(
        ctx.call(Method::PUT, format!("/files/{users_share}/content"))
            .form(&form),
    )
    .await?;
    ctx.expect_content(&users_share, b"user's").await?;
    Ok(())
}

async fn users_list_anonymous_needs_admin(ctx: Ctx) -> Outcome {
    all_but(&ctx, Perm::Admin).await?;
    unauthorized(ctx.get("/users")).await?;
    unauthorized(ctx.get("/admin/settings")).await?;
    ctx.set_anonymous(&[Perm::Admin]).await?;
    ctx.get("/users").send().await?.expect(200)?;
    ctx.get("/admin/settings").send().await?.expect(200)?;
    Ok(())
}

async fn token_invalid_is_not_downgraded_to_anonymous(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx.share(Some(&owner)).await?;
    ctx.set_anonymous(&PermSet::all().without(Perm::Admin).perms())
        .await?;
    ctx.get(format!("/files/{id}")).send().await?.expect(200)?;
    let garbage = "a garbage token";
    unauthorized(ctx.get(format!("/files/{id}")).token(garbage, "garbage")).await?;
    unauthorized(ctx.get("/files").token(garbage, "garbage")).await?;
    unauthorized(
        ctx.post("/files")
            .token(garbage, "garbage")
            .json(json!({"file_name": "x"})),
    )
    .await?;
    Ok(())
}

async fn share_create_anonymous_with_owner_name_is_bad_request(ctx: Ctx) -> Outcome {
    let victim = ctx.user(&[Perm::Read]).await?;
    ctx.set_anonymous(&[Perm::Create]).await?;
    let body = json!({"file_name": ctx.name("spoof"), "owner_name": victim.name});
    bad_request(ctx.post("/files").json(body)).await?;
    Ok(())
}
