//! Group 1, authentication: logging in, and how the `Authorization` header
//! of a request is judged (scheme, malformed headers, forged and expired
//! tokens).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::support::{token_accepted, token_refused, unauthorized};
use crate::failure::{Failure, Outcome, ensure, skip};
use crate::jwt;
use crate::perm::Perm;
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::Ctx;

const GROUP: Group = Group::Authentication;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, login_valid_credentials_returns_token),
        scenario!(GROUP, Strict, token_claims_follow_the_contract),
        scenario!(GROUP, Core, login_wrong_password_is_unauthorized),
        scenario!(GROUP, Core, login_unknown_user_matches_wrong_password),
        // The older server skipped the hash for unknown users.
        scenario!(
            GROUP,
            Strict,
            login_unknown_user_costs_as_much_as_wrong_password
        )
        .alone(),
        scenario!(GROUP, Strict, login_malformed_body_is_bad_request),
        scenario!(GROUP, Core, token_scheme_is_case_insensitive),
        scenario!(GROUP, Core, token_malformed_header_is_unauthorized),
        // The older server read the second word whatever the scheme.
        scenario!(GROUP, Strict, token_other_scheme_is_unauthorized),
        scenario!(GROUP, Core, token_garbage_is_unauthorized),
        scenario!(GROUP, Core, token_signed_with_other_key_is_unauthorized),
        scenario!(GROUP, Core, token_alg_none_is_unauthorized),
        scenario!(GROUP, Core, token_tampered_payload_is_unauthorized),
        scenario!(GROUP, Core, token_expired_is_unauthorized),
        scenario!(GROUP, Ext, login_repeated_failures_are_throttled).last(),
    ]
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

async fn login_valid_credentials_returns_token(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let reply = ctx
        .post("/users/login")
        .json(json!({"username": user.name, "password": user.password}))
        .send()
        .await?
        .expect_message(200, "Logged in.")?;
    let body = reply.json()?;
    super::support::expect_field(&reply, &body, "username", &json!(user.name))?;
    let token = reply.string("auth_token")?;
    ensure(token.split('.').count() == 3, || {
        reply.fail("an auth_token in JWT form (three dot-separated parts)")
    })?;
    token_accepted(&ctx, &user.name, &token, "the new token").await?;
    Ok(())
}

async fn token_claims_follow_the_contract(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let second = ctx.login(&user.name, &user.password).await?;
    let first = jwt::claims(&user.token).unwrap_or(Value::Null);
    let expected = "claims sub = the username, integer iat < exp, and a jti unique per token";
    let shape_ok = first["sub"] == json!(user.name)
        && first["iat"]
            .as_i64()
            .zip(first["exp"].as_i64())
            .is_some_and(|(iat, exp)| iat < exp)
        && first["jti"].is_string();
    let second_jti = jwt::claims(&second).map(|claims| claims["jti"].clone());
    let unique = second_jti.is_some_and(|jti| jti != first["jti"]);
    ensure(shape_ok && unique, || {
        Failure::new(expected)
            .with_request("POST /users/login (twice)")
            .with_actual(format!("claims {first}"))
    })?;
    Ok(())
}

async fn login_wrong_password_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let reply = ctx
        .post("/users/login")
        .json(json!({"username": user.name, "password": "wrong-password"}))
        .send()
        .await?
        .expect_error(401)?;
    ensure(reply.json()?.get("auth_token").is_none(), || {
        reply.fail("no auth_token in a refused login")
    })?;
    Ok(())
}

async fn login_unknown_user_matches_wrong_password(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let wrong = ctx
        .post("/users/login")
        .json(json!({"username": user.name, "password": "wrong-password"}))
        .send()
        .await?
        .expect_error(401)?;
    let unknown = ctx
        .post("/users/login")
        .json(json!({"username": ctx.name("nobody"), "password": "wrong-password"}))
        .send()
        .await?
        .expect_error(401)?;
    let (wrong_message, unknown_message) = (wrong.error_message()?, unknown.error_message()?);
    ensure(wrong_message == unknown_message, || {
        unknown.fail(format!(
            "401 with the same message as a wrong password: {wrong_message:?}"
        ))
    })?;
    Ok(())
}

async fn login_unknown_user_costs_as_much_as_wrong_password(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let nobody = ctx.name("nobody");
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        wrong.push(timed_login(&ctx, &user.name).await?);
        unknown.push(timed_login(&ctx, &nobody).await?);
    }
    let (wrong, unknown) = (median(wrong), median(unknown));
    if wrong < Duration::from_millis(5) {
        return Err(skip(
            "password checks take under 5 ms here; timing cannot tell them apart",
        ));
    }
    ensure(unknown * 3 >= wrong, || {
        Failure::new("a login for an unknown user to cost about as much as a wrong password")
            .with_request(format!(
                "POST /users/login for {nobody} and for {} (5 each)",
                user.name
            ))
            .with_actual(format!(
                "median {unknown:?} for the unknown user, {wrong:?} for the wrong password"
            ))
    })?;
    Ok(())
}

async fn timed_login(ctx: &Ctx, name: &str) -> Result<Duration, Failure> {
    let started = Instant::now();
    ctx.post("/users/login")
        .json(json!({"username": name, "password": "wrong-password"}))
        .send()
        .await?
        .expect(401)?;
    Ok(started.elapsed())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

async fn login_malformed_body_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let bodies = [
        json!([user.name, user.password]),
        json!("hello"),
        json!(42),
        json!({"username": user.name, "password": 12345}),
        json!({"username": 7, "password": "x"}),
        json!({"username": user.name}),
    ];
    for body in bodies {
        super::support::bad_request(ctx.post("/users/login").json(body)).await?;
    }
    Ok(())
}

async fn token_scheme_is_case_insensitive(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let reply = ctx
            .get("/whoami")
            .authorization(
                &format!("{scheme} <token of {}>", user.name),
                &format!("{scheme} {}", user.token),
            )
            .send()
            .await?
            .expect(200)?;
        super::support::expect_field(&reply, &reply.json()?, "username", &json!(user.name))?;
    }
    Ok(())
}

async fn token_malformed_header_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    for value in ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz"] {
        let label = format!("a malformed header {value:?}");
        unauthorized(
            ctx.get(format!("/users/{}", user.name))
                .authorization(&label, value),
        )
        .await?;
        unauthorized(ctx.get("/whoami").authorization(&label, value)).await?;
    }
    Ok(())
}

async fn token_other_scheme_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    for scheme in ["Token", "Basic", "JWT"] {
        let label = format!("scheme {scheme} with a valid token");
        let value = format!("{scheme} {}", user.token);
        unauthorized(ctx.get("/whoami").authorization(&label, &value)).await?;
    }
    Ok(())
}

async fn token_garbage_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    for garbage in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"] {
        token_refused(
            &ctx,
            &user.name,
            garbage,
            &format!("garbage token {garbage:?}"),
        )
        .await?;
    }
    Ok(())
}

async fn token_signed_with_other_key_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let claims = jwt::claims(&user.token)
        .unwrap_or_else(|| jwt::claims_for(&user.name, now(), now() + 3600));
    let forged = jwt::sign_hs256(&claims, uuid::Uuid::new_v4().as_bytes());
    token_refused(
        &ctx,
        &user.name,
        &forged,
        "the user's claims signed with another key",
    )
    .await?;
    Ok(())
}

async fn token_alg_none_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let claims = jwt::claims(&user.token)
        .unwrap_or_else(|| jwt::claims_for(&user.name, now(), now() + 3600));
    let forged = jwt::unsigned(&claims);
    token_refused(&ctx, &user.name, &forged, "the user's claims with alg none").await?;
    Ok(())
}

async fn token_tampered_payload_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let victim = ctx.user(&[Perm::Admin]).await?;
    let Some(mut claims) = jwt::claims(&user.token) else {
        return Err(skip("the server's tokens are not JWTs with a JSON payload"));
    };
    claims["sub"] = json!(victim.name);
    let tampered = jwt::with_payload(&user.token, &claims);
    token_refused(
        &ctx,
        &victim.name,
        &tampered,
        "a token whose sub was changed",
    )
    .await?;
    Ok(())
}

async fn token_expired_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let expired = super::support::expired_token(&ctx, &user).await?;
    token_refused(
        &ctx,
        &user.name,
        &expired,
        "a token that expired an hour ago",
    )
    .await?;
    Ok(())
}

async fn login_repeated_failures_are_throttled(ctx: Ctx) -> Outcome {
    let name = ctx.name("throttled");
    for _ in 0..30 {
        let reply = ctx
            .post("/users/login")
            .json(json!({"username": name, "password": "wrong-password"}))
            .send()
            .await?
            .expect_any(&[401, 429])?;
        if reply.status == 429 {
            ensure(reply.header("retry-after").is_some(), || {
                reply.fail_header("Retry-After", "429 with a Retry-After header")
            })?;
            return Ok(());
        }
    }
    Err(
        Failure::new("a 429 with Retry-After within 30 failed logins for one username")
            .with_request(format!(
                "POST /users/login for {name} with a wrong password, 30 times"
            ))
            .with_actual("401 every time")
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_sample() {
        let samples = [5, 1, 9].map(Duration::from_millis).to_vec();
        assert_eq!(median(samples), Duration::from_millis(5));
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }
}
