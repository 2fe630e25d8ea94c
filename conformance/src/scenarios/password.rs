//! Group 4, password change: `POST /users/password` needs the right old
//! password; afterwards only the new one signs in, and tokens stay valid.

use serde_json::{Value, json};

use super::support::{bad_request, forbidden, login_status, token_accepted, unauthorized};
use crate::failure::{Failure, Outcome, ensure};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx};

const GROUP: Group = Group::Password;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, password_change_wrong_old_is_forbidden),
        scenario!(GROUP, Core, password_change_switches_login_to_new_password),
        scenario!(GROUP, Core, password_change_keeps_existing_tokens_valid),
        scenario!(GROUP, Core, password_change_anonymous_is_unauthorized),
        // Missing fields made the older server answer 500.
        scenario!(GROUP, Strict, password_change_missing_field_is_bad_request),
    ]
}

fn change(ctx: &Ctx, user: &Account, body: Value) -> crate::http::Call {
    ctx.post("/users/password").by(user).json(body)
}

/// Fails unless logging in as `name` with `password` answers `status`.
pub async fn expect_login(
    ctx: &Ctx,
    name: &str,
    password: &str,
    status: u16,
    which: &str,
) -> Result<(), Failure> {
    let actual = login_status(ctx, name, password).await?;
    ensure(actual == status, || {
        Failure::new(format!(
            "status {status} for a login with the {which} password"
        ))
        .with_request(format!(
            "POST /users/login as {name} with the {which} password"
        ))
        .with_actual(format!("status {actual}"))
    })
}

async fn password_change_wrong_old_is_forbidden(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    forbidden(change(
        &ctx,
        &user,
        json!({"old": "not-the-password", "new": "new-password-1"}),
    ))
    .await?;
    expect_login(&ctx, &user.name, &user.password, 200, "unchanged old").await?;
    expect_login(&ctx, &user.name, "new-password-1", 401, "refused new").await?;
    Ok(())
}

async fn password_change_switches_login_to_new_password(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    change(
        &ctx,
        &user,
        json!({"old": user.password, "new": "new-password-2"}),
    )
    .send()
    .await?
    .expect_message(200, "Password changed.")?;
    expect_login(&ctx, &user.name, "new-password-2", 200, "new").await?;
    expect_login(&ctx, &user.name, &user.password, 401, "old").await?;
    Ok(())
}

async fn password_change_keeps_existing_tokens_valid(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    change(
        &ctx,
        &user,
        json!({"old": user.password, "new": "new-password-3"}),
    )
    .send()
    .await?
    .expect(200)?;
    token_accepted(
        &ctx,
        &user.name,
        &user.token,
        "the token from before the change",
    )
    .await?;
    Ok(())
}

async fn password_change_anonymous_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let body = json!({"old": user.password, "new": "new-password-4"});
    unauthorized(ctx.post("/users/password").json(body)).await?;
    expect_login(&ctx, &user.name, &user.password, 200, "unchanged old").await?;
    Ok(())
}

async fn password_change_missing_field_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let bodies = [
        json!({"old": user.password}),
        json!({"new": "new-password-5"}),
        json!({"old": user.password, "new": ""}),
        json!({"old": "", "new": "new-password-5"}),
        json!({"old": user.password, "new": 12345}),
        json!(["old", "new"]),
    ];
    for body in bodies {
        bad_request(change(&ctx, &user, body)).await?;
    }
    expect_login(&ctx, &user.name, &user.password, 200, "unchanged old").await?;
    Ok(())
}
