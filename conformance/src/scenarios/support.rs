//! Checks that several scenario groups share: status-and-envelope shortcuts,
//! shapes of ids and timestamps, and reading permission arrays.

use std::time::{SystemTime, UNIX_EPOCH};

use regex::Regex;
use serde_json::Value;

use crate::failure::{Failure, Stop, skip};
use crate::http::{Call, Reply};
use crate::jwt;
use crate::world::{Account, Ctx};

/// Sends the call and expects a 401 with the error envelope.
pub async fn unauthorized(call: Call) -> Result<Reply, Failure> {
    call.send().await?.expect_error(401)
}

/// Sends the call and expects a 403 with the error envelope.
pub async fn forbidden(call: Call) -> Result<Reply, Failure> {
    call.send().await?.expect_error(403)
}

/// Sends the call and expects a 404 with the error envelope.
pub async fn not_found(call: Call) -> Result<Reply, Failure> {
    call.send().await?.expect_error(404)
}

/// Sends the call and expects a 400 with the error envelope.
pub async fn bad_request(call: Call) -> Result<Reply, Failure> {
    call.send().await?.expect_error(400)
}

/// Sends the call and expects a 423 with the error envelope.
pub async fn locked(call: Call) -> Result<Reply, Failure> {
    call.send().await?.expect_error(423)
}

/// Expects the token to be refused (401) on `/whoami` and on the user's own
/// record, the two routes every signed-in caller may use.
pub async fn token_refused(ctx: &Ctx, name: &str, token: &str, label: &str) -> Result<(), Failure> {
    unauthorized(ctx.get("/whoami").token(label, token)).await?;
    unauthorized(ctx.get(format!("/users/{name}")).token(label, token)).await?;
    Ok(())
}

/// A token of `user` that expired an hour ago, signed with the key the
/// operator gave (`--token-secret-env`). Skips when no key was given or the
/// key does not sign tokens this server accepts.
pub async fn expired_token(ctx: &Ctx, user: &Account) -> Result<String, Stop> {
    let Some(secret) = ctx.knobs().token_secret.clone() else {
        return Err(skip(
            "needs the server's signing key (--token-secret-env) to forge an expired token",
        ));
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let fresh = jwt::resigned(&user.token, &secret.0, now, now + 3600);
    let accepted = token_accepted(
        ctx,
        &user.name,
        &fresh,
        "a fresh token signed with the given key",
    )
    .await;
    if accepted.is_err() {
        return Err(skip(
            "the key given with --token-secret-env does not sign tokens this server accepts",
        ));
    }
    Ok(jwt::resigned(
        &user.token,
        &secret.0,
        now - 7200,
        now - 3600,
    ))
}

/// Expects the token to authenticate `name` on `/whoami`.
pub async fn token_accepted(
    ctx: &Ctx,
    name: &str,
    token: &str,
    label: &str,
) -> Result<(), Failure> {
    let reply = ctx
        .get("/whoami")
        .token(label, token)
        .send()
        .await?
        .expect(200)?;
    let body = reply.json()?;
    if body["username"] != name {
        return Err(reply.fail(format!("status 200 with \"username\": \"{name}\"")));
    }
    Ok(())
}

/// Whether `account` can still sign in with `password`.
pub async fn login_status(ctx: &Ctx, name: &str, password: &str) -> Result<u16, Failure> {
    let reply = ctx
        .post("/users/login")
        .json(serde_json::json!({"username": name, "password": password}))
        .send()
        .await?;
    Ok(reply.status)
}

/// The `permissions` array of a body, as strings in the order written.
pub fn permissions(reply: &Reply, body: &Value) -> Result<Vec<String>, Failure> {
    body.get("permissions")
        .and_then(Value::as_array)
        .and_then(|codes| {
            codes
                .iter()
                .map(|code| code.as_str().map(String::from))
                .collect()
        })
        .ok_or_else(|| reply.fail("a \"permissions\" array of codes"))
}

/// Fails unless the body's `permissions` equal `expected`, order included.
pub fn expect_permissions(reply: &Reply, expected: &[&str]) -> Result<(), Failure> {
    let actual = permissions(reply, &reply.json()?)?;
    if actual == expected {
        return Ok(());
    }
    let mut failure = reply.fail(format!("\"permissions\": {expected:?} in canonical order"));
    failure.actual = Some(format!(
        "status {}, \"permissions\": {actual:?}",
        reply.status
    ));
    Err(failure)
}

/// Fails unless `body[field] == expected`.
pub fn expect_field(
    reply: &Reply,
    body: &Value,
    field: &str,
    expected: &Value,
) -> Result<(), Failure> {
    if body.get(field) == Some(expected) {
        return Ok(());
    }
    let mut failure = reply.fail(format!("\"{field}\": {expected}"));
    let actual = body
        .get(field)
        .map_or("absent".to_string(), Value::to_string);
    failure.actual = Some(format!("status {}, \"{field}\": {actual}", reply.status));
    Err(failure)
}

/// An RFC 3339 timestamp in UTC (`Z` or `+00:00`).
pub fn is_rfc3339_utc(text: &str) -> bool {
    let pattern = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|\+00:00)$";
    Regex::new(pattern).is_ok_and(|regex| regex.is_match(text))
}

/// A UUID in its hyphenated text form.
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::parse_str(text).is_ok()
}

/// Malformed share ids, each of which must be treated as a missing share.
pub const MALFORMED_IDS: [&str; 3] = ["not-a-uuid", "1234", "00000000-0000-0000-0000-00000000000g"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_utc_accepts_the_contract_example_and_rejects_local_times() {
        assert!(is_rfc3339_utc("2026-05-20T23:05:31.546561Z"));
        assert!(is_rfc3339_utc("2026-05-20T23:05:31+00:00"));
        assert!(!is_rfc3339_utc("2026-05-20T23:05:31.546561"));
        assert!(!is_rfc3339_utc("2026-05-20 23:05:31Z"));
        assert!(!is_rfc3339_utc("2026-05-20T23:05:31+02:00"));
    }

    #[test]
    fn uuid_check_wants_the_hyphenated_form() {
        assert!(is_uuid("9ae90f06-a751-409c-a9fe-8277575b9914"));
        assert!(!is_uuid("9ae90f06a751409ca9fe8277575b9914"));
        for id in MALFORMED_IDS {
            assert!(!is_uuid(id), "{id}");
        }
    }
}
