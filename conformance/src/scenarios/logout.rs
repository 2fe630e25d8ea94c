//! Group 3, logout: `POST /users/logout` revokes a token everywhere; the
//! owner or an admin may revoke it, once.

use serde_json::{Value, json};

use super::support::{bad_request, forbidden, token_accepted, token_refused, unauthorized};
use crate::failure::Outcome;
use crate::jwt;
use crate::perm::Perm;
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx};

const GROUP: Group = Group::Logout;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, token_logout_revokes_token_everywhere),
        scenario!(GROUP, Core, token_logout_twice_is_bad_request),
        scenario!(GROUP, Core, token_logout_missing_token_is_bad_request),
        scenario!(GROUP, Core, token_logout_invalid_token_is_bad_request),
        scenario!(GROUP, Core, token_logout_expired_token_is_bad_request),
        scenario!(GROUP, Core, token_logout_other_users_token_is_forbidden),
        scenario!(GROUP, Core, token_logout_admin_revokes_any_token),
        scenario!(GROUP, Core, token_logout_anonymous_is_unauthorized),
    ]
}

fn logout(ctx: &Ctx, by: &Account, token: Value) -> crate::http::Call {
    ctx.post("/users/logout")
        .by(by)
        .json(json!({"token": token}))
}

async fn token_logout_revokes_token_everywhere(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create, Perm::Read]).await?;
    logout(&ctx, &user, json!(user.token))
        .send()
        .await?
        .expect_message(200, "Token revoked.")?;
    token_refused(&ctx, &user.name, &user.token, "the revoked token").await?;
    unauthorized(ctx.post("/files").by(&user).json(json!({"file_name": "x"}))).await?;
    unauthorized(ctx.post("/users/extend").by(&user)).await?;
    Ok(())
}

async fn token_logout_twice_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let other = ctx.login(&user.name, &user.password).await?;
    let witness = Account {
        token: other,
        ..user.clone()
    };
    logout(&ctx, &witness, json!(user.token))
        .send()
        .await?
        .expect(200)?;
    bad_request(logout(&ctx, &witness, json!(user.token))).await?;
    Ok(())
}

async fn token_logout_missing_token_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    bad_request(ctx.post("/users/logout").by(&user).json(json!({}))).await?;
    bad_request(logout(&ctx, &user, json!(""))).await?;
    token_accepted(&ctx, &user.name, &user.token, "the caller's token").await?;
    Ok(())
}

async fn token_logout_invalid_token_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    bad_request(logout(&ctx, &user, json!("garbage"))).await?;
    let forged = jwt::sign_hs256(
        &jwt::claims(&user.token).unwrap_or(Value::Null),
        b"another key entirely",
    );
    bad_request(logout(&ctx, &user, json!(forged))).await?;
    Ok(())
}

async fn token_logout_expired_token_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let expired = super::support::expired_token(&ctx, &user).await?;
    bad_request(logout(&ctx, &user, json!(expired))).await?;
    Ok(())
}

async fn token_logout_other_users_token_is_forbidden(ctx: Ctx) -> Outcome {
    let victim = ctx.user(&[]).await?;
    let other = ctx
        .user(&[
            Perm::Create,
            Perm::Delete,
            Perm::Lock,
            Perm::List,
            Perm::Read,
        ])
        .await?;
    forbidden(logout(&ctx, &other, json!(victim.token))).await?;
    token_accepted(
        &ctx,
        &victim.name,
        &victim.token,
        "the token another user tried to revoke",
    )
    .await?;
    Ok(())
}

async fn token_logout_admin_revokes_any_token(ctx: Ctx) -> Outcome {
    let victim = ctx.user(&[]).await?;
    let admin = ctx.user(&[Perm::Admin]).await?;
    logout(&ctx, &admin, json!(victim.token))
        .send()
        .await?
        .expect_message(200, "Token revoked.")?;
    token_refused(
        &ctx,
        &victim.name,
        &victim.token,
        "the token an admin revoked",
    )
    .await?;
    Ok(())
}

async fn token_logout_anonymous_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    unauthorized(ctx.post("/users/logout").json(json!({"token": user.token}))).await?;
    token_accepted(
        &ctx,
        &user.name,
        &user.token,
        "the token an anonymous caller tried to revoke",
    )
    .await?;
    Ok(())
}
