//! Conventions that hold on every route: the JSON error envelope for errors
//! the framework produces, CORS for browser clients, timestamp format, and
//! the extra endpoints of the extension tier.

use reqwest::Method;
use serde_json::json;

use super::support::is_rfc3339_utc;
use crate::failure::{Failure, Outcome, ensure};
use crate::http::Reply;
use crate::perm::Perm;
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::Ctx;

const GROUP: Group = Group::Conventions;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        // The older server let its framework answer these in HTML.
        scenario!(GROUP, Strict, error_unknown_route_uses_envelope),
        scenario!(GROUP, Strict, error_wrong_method_uses_envelope),
        scenario!(GROUP, Strict, error_malformed_json_is_bad_request),
        scenario!(GROUP, Strict, error_missing_body_is_bad_request),
        scenario!(GROUP, Strict, error_wrong_content_type_uses_envelope),
        scenario!(GROUP, Core, cors_preflight_allows_any_origin),
        scenario!(GROUP, Strict, cors_exposes_download_headers),
        scenario!(GROUP, Strict, timestamps_are_rfc3339_utc),
        scenario!(GROUP, Ext, health_and_ready_answer),
        scenario!(GROUP, Ext, openapi_document_is_served),
    ]
}

async fn error_unknown_route_uses_envelope(ctx: Ctx) -> Outcome {
    ctx.get("/sachetconf-no-such-route")
        .send()
        .await?
        .expect_error(404)?;
    ctx.get("/files/00000000-0000-4000-8000-000000000000/nothing-here")
        .by(ctx.root())
        .send()
        .await?
        .expect_error(404)?;
    Ok(())
}

async fn error_wrong_method_uses_envelope(ctx: Ctx) -> Outcome {
    ctx.call(Method::DELETE, "/whoami")
        .by(ctx.root())
        .send()
        .await?
        .expect_error(405)?;
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx
        .share_with(Some(&owner), &format!("{}.bin", ctx.name("w")), b"x")
        .await?;
    let path = format!("/files/{id}/content");
    ctx.call(Method::PATCH, path)
        .by(&owner)
        .send()
        .await?
        .expect_error(405)?;
    Ok(())
}

async fn error_malformed_json_is_bad_request(ctx: Ctx) -> Outcome {
    let broken = b"{\"username\": ".to_vec();
    ctx.post("/users/login")
        .raw(
            "application/json",
            broken.clone(),
            "body {\"username\": (cut short)",
        )
        .send()
        .await?
        .expect_error(400)?;
    let owner = ctx.user(&[Perm::Create]).await?;
    ctx.post("/files")
        .by(&owner)
        .raw(
            "application/json",
            broken,
            "body {\"username\": (cut short)",
        )
        .send()
        .await?
        .expect_error(400)?;
    Ok(())
}

async fn error_missing_body_is_bad_request(ctx: Ctx) -> Outcome {
    ctx.post("/users/login").send().await?.expect_error(400)?;
    let user = ctx.user(&[]).await?;
    ctx.post("/users/password")
        .by(&user)
        .send()
        .await?
        .expect_error(400)?;
    Ok(())
}

async fn error_wrong_content_type_uses_envelope(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let body = json!({"username": user.name, "password": user.password}).to_string();
    let reply = ctx
        .post("/users/login")
        .raw(
            "text/plain",
            body.into_bytes(),
            "a JSON login body sent as text/plain",
        )
        .send()
        .await?;
    expect_client_error_envelope(&reply)?;
    Ok(())
}

fn expect_client_error_envelope(reply: &Reply) -> Result<(), Failure> {
    ensure((400..500).contains(&reply.status), || {
        reply.fail("a 4xx status for a body of the wrong content type")
    })?;
    reply.error_message()?;
    Ok(())
}

fn preflight(ctx: &Ctx, path: &str) -> crate::http::Call {
    ctx.call(Method::OPTIONS, path)
        .header("Origin", "http://sachetconf.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
}

async fn cors_preflight_allows_any_origin(ctx: Ctx) -> Outcome {
    for path in ["/files", "/users/login"] {
        let reply = preflight(&ctx, path).send().await?;
        let allowed = reply
            .header("access-control-allow-origin")
            .unwrap_or_default();
        ensure((200..300).contains(&reply.status), || {
            reply.fail("a 2xx answer to the preflight")
        })?;
        ensure(
            allowed == "*" || allowed == "http://sachetconf.example",
            || {
                reply.fail_header(
                    "Access-Control-Allow-Origin",
                    "the origin allowed (* or echoed)",
                )
            },
        )?;
    }
    Ok(())
}

async fn cors_exposes_download_headers(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Read]).await?;
    let id = ctx
        .share_with(Some(&owner), &format!("{}.bin", ctx.name("c")), b"cors")
        .await?;
    let reply = ctx
        .get(format!("/files/{id}/content"))
        .by(&owner)
        .header("Origin", "http://sachetconf.example")
        .send()
        .await?
        .expect(200)?;
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let names = [
        "content-disposition",
        "content-range",
        "content-length",
        "accept-ranges",
        "location",
    ];
    let listed = |name: &str| exposed.split(',').any(|item| item.trim() == name);
    ensure(
        exposed.trim() == "*" || names.iter().all(|name| listed(name)),
        || {
            reply.fail_header(
            "Access-Control-Expose-Headers",
            "Content-Disposition, Content-Range, Content-Length, Accept-Ranges and Location exposed",
        )
        },
    )?;
    Ok(())
}

async fn timestamps_are_rfc3339_utc(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx.share(Some(&owner)).await?;
    let share = ctx
        .get(format!("/files/{id}"))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    let create_date = share.json()?["create_date"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ensure(is_rfc3339_utc(&create_date), || {
        share.fail("create_date in RFC 3339, UTC")
    })?;
    let user = ctx
        .get(format!("/users/{}", owner.name))
        .by(&owner)
        .send()
        .await?
        .expect(200)?;
    let register_date = user.json()?["register_date"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ensure(is_rfc3339_utc(&register_date), || {
        user.fail("register_date in RFC 3339, UTC")
    })?;
    Ok(())
}

async fn health_and_ready_answer(ctx: Ctx) -> Outcome {
    ctx.get("/health").send().await?.expect(200)?;
    ctx.get("/ready").send().await?.expect(200)?;
    Ok(())
}

async fn openapi_document_is_served(ctx: Ctx) -> Outcome {
    let reply = ctx.get("/openapi.json").send().await?.expect(200)?;
    let version = reply.json()?["openapi"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ensure(version.starts_with('3'), || {
        reply.fail("an OpenAPI 3 document (\"openapi\": \"3.x\")")
    })?;
    Ok(())
}
