//! Group 8, server settings: `/admin/settings` holds the anonymous
//! permissions; only admins read or write it, and a change applies at once.

use serde_json::json;

use super::support::{bad_request, expect_permissions, forbidden, unauthorized};
use crate::failure::{Failure, Outcome};
use crate::perm::Perm;
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx};

const GROUP: Group = Group::Settings;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(
            GROUP,
            Core,
            settings_get_as_admin_returns_default_permissions
        ),
        scenario!(GROUP, Core, settings_get_as_non_admin_is_forbidden),
        scenario!(GROUP, Core, settings_get_anonymous_is_unauthorized),
        scenario!(GROUP, Core, settings_write_as_non_admin_is_forbidden).alone(),
        scenario!(GROUP, Core, settings_patch_takes_effect_immediately).alone(),
        scenario!(GROUP, Core, settings_put_replaces_default_permissions).alone(),
        scenario!(GROUP, Core, settings_unknown_code_is_bad_request).alone(),
        // Non-object bodies made the older server answer 500.
        scenario!(GROUP, Strict, settings_non_object_body_is_bad_request).alone(),
        scenario!(GROUP, Strict, settings_put_missing_field_is_bad_request).alone(),
    ]
}

/// The anonymous permissions as `by` reads them; fails unless they equal
/// `expected`.
async fn expect_anonymous(ctx: &Ctx, by: &Account, expected: &[&str]) -> Result<(), Failure> {
    let reply = ctx
        .get("/admin/settings")
        .by(by)
        .send()
        .await?
        .expect(200)?;
    let body = reply.json()?;
    let wrapped = json!({"permissions": body.get("default_permissions")});
    let view = crate::http::Reply {
        body: wrapped.to_string().into_bytes(),
        ..reply
    };
    expect_permissions(&view, expected)
}

async fn settings_get_as_admin_returns_default_permissions(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    expect_anonymous(&ctx, &admin, &[]).await?;
    Ok(())
}

async fn settings_get_as_non_admin_is_forbidden(ctx: Ctx) -> Outcome {
    let perms = [
        Perm::Create,
        Perm::Modify,
        Perm::Delete,
        Perm::Lock,
        Perm::List,
        Perm::Read,
    ];
    let user = ctx.user(&perms).await?;
    forbidden(ctx.get("/admin/settings").by(&user)).await?;
    Ok(())
}

async fn settings_get_anonymous_is_unauthorized(ctx: Ctx) -> Outcome {
    unauthorized(ctx.get("/admin/settings")).await?;
    Ok(())
}

async fn settings_write_as_non_admin_is_forbidden(ctx: Ctx) -> Outcome {
    let perms = [
        Perm::Create,
        Perm::Modify,
        Perm::Delete,
        Perm::Lock,
        Perm::List,
        Perm::Read,
    ];
    let user = ctx.user(&perms).await?;
    let body = json!({"default_permissions": ["READ"]});
    forbidden(ctx.patch("/admin/settings").by(&user).json(body.clone())).await?;
    forbidden(ctx.put("/admin/settings").by(&user).json(body)).await?;
    unauthorized(
        ctx.patch("/admin/settings")
            .json(json!({"default_permissions": ["ADMIN"]})),
    )
    .await?;
    expect_anonymous(&ctx, ctx.root(), &[]).await?;
    Ok(())
}

async fn settings_patch_takes_effect_immediately(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx.share(Some(&owner)).await?;
    unauthorized(ctx.get(format!("/files/{id}"))).await?;
    ctx.patch("/admin/settings")
        .by(ctx.root())
        .json(json!({"default_permissions": ["READ"]}))
        .send()
        .await?
        .expect_success(200)?;
    expect_anonymous(&ctx, ctx.root(), &["READ"]).await?;
    ctx.get(format!("/files/{id}")).send().await?.expect(200)?;
    ctx.patch("/admin/settings")
        .by(ctx.root())
        .json(json!({"default_permissions": []}))
        .send()
        .await?
        .expect_success(200)?;
    unauthorized(ctx.get(format!("/files/{id}"))).await?;
    Ok(())
}

async fn settings_put_replaces_default_permissions(ctx: Ctx) -> Outcome {
    ctx.put("/admin/settings")
        .by(ctx.root())
        .json(json!({"default_permissions": ["LIST", "CREATE"]}))
        .send()
        .await?
        .expect_success(200)?;
    expect_anonymous(&ctx, ctx.root(), &["CREATE", "LIST"]).await?;
    ctx.get("/files").send().await?.expect(200)?;
    Ok(())
}

async fn settings_unknown_code_is_bad_request(ctx: Ctx) -> Outcome {
    let body = json!({"default_permissions": ["READ", "FLY"]});
    bad_request(ctx.patch("/admin/settings").by(ctx.root()).json(body)).await?;
    expect_anonymous(&ctx, ctx.root(), &[]).await?;
    Ok(())
}

async fn settings_non_object_body_is_bad_request(ctx: Ctx) -> Outcome {
    for body in [
        json!("hello"),
        json!(["READ"]),
        json!(5),
        json!({"default_permissions": "READ"}),
    ] {
        bad_request(
            ctx.patch("/admin/settings")
                .by(ctx.root())
                .json(body.clone()),
        )
        .await?;
        bad_request(ctx.put("/admin/settings").by(ctx.root()).json(body)).await?;
    }
    expect_anonymous(&ctx, ctx.root(), &[]).await?;
    Ok(())
}

async fn settings_put_missing_field_is_bad_request(ctx: Ctx) -> Outcome {
    bad_request(ctx.put("/admin/settings").by(ctx.root()).json(json!({}))).await?;
    expect_anonymous(&ctx, ctx.root(), &[]).await?;
    Ok(())
}
