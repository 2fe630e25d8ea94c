//! Group 5, wrong-method pitfalls: a GET on the four POST-only user routes is
//! a lookup of the user of that name, and never logs in, renews, revokes or
//! changes anything. The four names are reserved.

use serde_json::json;

use super::password::expect_login;
use super::support::{bad_request, forbidden, token_accepted, unauthorized};
use crate::failure::{Outcome, ensure};
use crate::http::Reply;
use crate::perm::Perm;
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::session::RESERVED;
use crate::world::Ctx;

const GROUP: Group = Group::WrongMethod;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, user_get_login_is_a_user_lookup),
        scenario!(GROUP, Core, user_get_extend_is_a_user_lookup),
        scenario!(GROUP, Core, user_get_logout_is_a_user_lookup),
        scenario!(GROUP, Core, user_get_password_is_a_user_lookup),
        scenario!(GROUP, Strict, user_create_reserved_name_is_bad_request),
        scenario!(GROUP, Strict, user_rename_to_reserved_name_is_bad_request),
    ]
}

fn issued_no_token(reply: &Reply) -> Result<(), crate::failure::Failure> {
    let has_token = reply
        .json()
        .is_ok_and(|body| body.get("auth_token").is_some());
    ensure(!has_token, || {
        reply.fail("a user lookup, with no auth_token in the answer")
    })
}

async fn user_get_login_is_a_user_lookup(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"username": user.name, "password": user.password});
    let anonymous = unauthorized(ctx.get("/users/login").json(body.clone())).await?;
    issued_no_token(&anonymous)?;
    let signed_in = forbidden(ctx.get("/users/login").by(&user).json(body)).await?;
    issued_no_token(&signed_in)?;
    Ok(())
}

async fn user_get_extend_is_a_user_lookup(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let anonymous = unauthorized(ctx.get("/users/extend")).await?;
    issued_no_token(&anonymous)?;
    let signed_in = forbidden(ctx.get("/users/extend").by(&user)).await?;
    issued_no_token(&signed_in)?;
    Ok(())
}

async fn user_get_logout_is_a_user_lookup(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"token": user.token});
    unauthorized(ctx.get("/users/logout").json(body.clone())).await?;
    forbidden(ctx.get("/users/logout").by(&user).json(body)).await?;
    token_accepted(
        &ctx,
        &user.name,
        &user.token,
        "the token named in the GET body",
    )
    .await?;
    Ok(())
}

async fn user_get_password_is_a_user_lookup(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"old": user.password, "new": "changed-by-a-get"});
    unauthorized(ctx.get("/users/password").json(body.clone())).await?;
    forbidden(ctx.get("/users/password").by(&user).json(body)).await?;
    expect_login(&ctx, &user.name, &user.password, 200, "unchanged").await?;
    expect_login(&ctx, &user.name, "changed-by-a-get", 401, "never set").await?;
    Ok(())
}

async fn user_create_reserved_name_is_bad_request(ctx: Ctx) -> Outcome {
    for name in RESERVED {
        let body = json!({"username": name, "password": "pw-reserved", "permissions": []});
        bad_request(ctx.post("/users").by(ctx.root()).json(body)).await?;
    }
    Ok(())
}

async fn user_rename_to_reserved_name_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    for name in RESERVED {
        let path = format!("/users/{}", user.name);
        bad_request(
            ctx.patch(path)
                .by(ctx.root())
                .json(json!({"username": name})),
        )
        .await?;
    }
    token_accepted(
        &ctx,
        &user.name,
        &user.token,
        "the token of the user not renamed",
    )
    .await?;
    Ok(())
}
