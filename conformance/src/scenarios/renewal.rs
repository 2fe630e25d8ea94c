//! Group 2, renewal: `POST /users/extend` issues a new token and leaves the
//! old one valid; the two are revoked separately.

use serde_json::json;

use super::support::{expect_field, token_accepted, token_refused, unauthorized};
use crate::failure::{Outcome, ensure};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx};

const GROUP: Group = Group::Renewal;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, token_extend_returns_new_token),
        scenario!(GROUP, Core, token_extend_keeps_old_token_valid),
        scenario!(GROUP, Core, token_extend_tokens_revoke_separately),
        scenario!(GROUP, Core, token_extend_anonymous_is_unauthorized),
    ]
}

/// Extends `user`'s token and returns the new one, checking the answer.
async fn extend(ctx: &Ctx, user: &Account) -> Result<String, crate::failure::Failure> {
    let reply = ctx
        .post("/users/extend")
        .by(user)
        .send()
        .await?
        .expect_message(200, "Renewed token.")?;
    expect_field(&reply, &reply.json()?, "username", &json!(user.name))?;
    let token = reply.string("auth_token")?;
    ensure(token != user.token, || {
        reply.fail("an auth_token different from the one used")
    })?;
    Ok(token)
}

async fn token_extend_returns_new_token(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let renewed = extend(&ctx, &user).await?;
    token_accepted(&ctx, &user.name, &renewed, "the renewed token").await?;
    Ok(())
}

async fn token_extend_keeps_old_token_valid(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    extend(&ctx, &user).await?;
    token_accepted(&ctx, &user.name, &user.token, "the token used to extend").await?;
    ctx.get(format!("/users/{}", user.name))
        .by(&user)
        .send()
        .await?
        .expect(200)?;
    Ok(())
}

async fn token_extend_tokens_revoke_separately(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let renewed = extend(&ctx, &user).await?;
    ctx.post("/users/logout")
        .token("the renewed token", &renewed)
        .json(json!({"token": user.token}))
        .send()
        .await?
        .expect(200)?;
    token_refused(&ctx, &user.name, &user.token, "the old, revoked token").await?;
    token_accepted(&ctx, &user.name, &renewed, "the renewed token").await?;
    ctx.post("/users/logout")
        .token("the renewed token", &renewed)
        .json(json!({"token": renewed}))
        .send()
        .await?
        .expect(200)?;
    token_refused(&ctx, &user.name, &renewed, "the renewed, revoked token").await?;
    Ok(())
}

async fn token_extend_anonymous_is_unauthorized(ctx: Ctx) -> Outcome {
    let reply = unauthorized(ctx.post("/users/extend")).await?;
    ensure(reply.json()?.get("auth_token").is_none(), || {
        reply.fail("no auth_token for an anonymous caller")
    })?;
    Ok(())
}
