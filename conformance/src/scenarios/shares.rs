//! Group 10, shares: creating, reading, changing, replacing, transferring
//! and deleting share metadata, with the owner and permission checks and the
//! read-only fields.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{MALFORMED_IDS, bad_request, expect_field, forbidden, is_uuid, not_found};
use crate::failure::{Failure, Outcome, ensure};
use crate::http::{Call, Reply, share_id_of};
use crate::multipart::Form;
use crate::perm::{Perm, PermSet};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx, missing_id};

const GROUP: Group = Group::Shares;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, share_create_returns_url),
        scenario!(GROUP, Strict, share_create_sets_location_header),
        scenario!(GROUP, Core, share_create_without_create_is_forbidden),
        // The older server needed a JSON body.
        scenario!(GROUP, Strict, share_create_without_body_is_named_after_id),
        scenario!(GROUP, Strict, share_create_with_owner_name_is_bad_request),
        scenario!(
            GROUP,
            Strict,
            share_create_with_read_only_field_is_bad_request
        ),
        scenario!(GROUP, Core, share_get_returns_share_fields),
        scenario!(GROUP, Core, share_get_without_read_is_forbidden),
        scenario!(GROUP, Core, share_patch_file_name_by_owner),
        scenario!(GROUP, Core, share_patch_by_non_owner_is_forbidden),
        scenario!(GROUP, Core, share_patch_without_modify_is_forbidden),
        scenario!(GROUP, Strict, share_patch_malformed_body_is_bad_request),
        scenario!(
            GROUP,
            Strict,
            share_patch_changed_read_only_field_is_bad_request
        ),
        scenario!(GROUP, Core, share_put_replaces_metadata),
        scenario!(
            GROUP,
            Strict,
            share_put_unchanged_read_only_fields_are_accepted
        ),
        scenario!(GROUP, Strict, share_put_missing_field_is_bad_request),
        scenario!(GROUP, Core, share_transfer_to_other_user_and_back),
        scenario!(GROUP, Core, share_transfer_to_missing_user_is_bad_request),
        scenario!(GROUP, Core, share_transfer_to_anonymous_clears_owner),
        scenario!(GROUP, Core, share_patch_locked_by_non_owner_is_forbidden),
        scenario!(
            GROUP,
            Core,
            share_patch_locked_to_missing_owner_is_bad_request
        ),
        scenario!(GROUP, Core, share_delete_by_any_user_with_delete),
        scenario!(GROUP, Core, share_delete_without_delete_is_forbidden),
        scenario!(GROUP, Core, share_missing_id_is_not_found),
        // The older server answered 500 for these three on a missing share.
        scenario!(
            GROUP,
            Strict,
            share_missing_id_patch_put_delete_is_not_found
        ),
        scenario!(GROUP, Strict, share_malformed_id_is_not_found),
    ]
}

fn share_path(id: &str) -> String {
    format!("/files/{id}")
}

/// Every share permission except `missing`.
fn all_but(missing: Perm) -> Vec<Perm> {
    PermSet::all().without(Perm::Admin).without(missing).perms()
}

async fn share_create_returns_url(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create]).await?;
    let reply = ctx
        .post("/files")
        .by(&user)
        .json(json!({"file_name": format!("{}.txt", ctx.name("c"))}))
        .send()
        .await?
        .expect_success(201)?;
    let url = reply.string("url")?;
    let id = share_id_of(&reply.json()?).unwrap_or_default();
    ensure(url == format!("/files/{id}") && is_uuid(&id), || {
        reply.fail("\"url\": \"/files/<uuid>\"")
    })?;
    Ok(())
}

async fn share_create_sets_location_header(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create]).await?;
    let reply = ctx
        .post("/files")
        .by(&user)
        .json(json!({"file_name": ctx.name("loc")}))
        .send()
        .await?
        .expect(201)?;
    let url = reply.string("url")?;
    let location = reply.header("location").unwrap_or_default();
    ensure(!url.is_empty() && location.ends_with(&url), || {
        reply.fail_header("Location", format!("a Location header ending in {url}"))
    })?;
    Ok(())
}

async fn share_create_without_create_is_forbidden(ctx: Ctx) -> Outcome {
    let user = ctx.user(&all_but(Perm::Create)).await?;
    forbidden(
        ctx.post("/files")
            .by(&user)
            .json(json!({"file_name": ctx.name("no")})),
    )
    .await?;
    Ok(())
}

async fn share_create_without_body_is_named_after_id(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create, Perm::Read]).await?;
    let bare = ctx.post("/files").by(&user);
    let empty_object = ctx.post("/files").by(&user).json(json!({}));
    for call in [bare, empty_object] {
        let reply = call.send().await?.expect(201)?;
        let id = share_id_of(&reply.json()?).unwrap_or_default();
        let info = ctx
            .get(share_path(&id))
            .by(&user)
            .send()
            .await?
            .expect(200)?;
        expect_field(&info, &info.json()?, "file_name", &json!(id))?;
        expect_field(&info, &info.json()?, "owner_name", &json!(user.name))?;
    }
    Ok(())
}

async fn share_create_with_owner_name_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create]).await?;
    let victim = ctx.user(&[]).await?;
    let body = json!({"file_name": ctx.name("spoof"), "owner_name": victim.name});
    bad_request(ctx.post("/files").by(&user).json(body)).await?;
    Ok(())
}

async fn share_create_with_read_only_field_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create]).await?;
    let fields = [
        ("share_id", json!(missing_id())),
        ("initialized", json!(true)),
        ("locked", json!(true)),
        ("create_date", json!("2001-01-01T00:00:00Z")),
    ];
    for (field, value) in fields {
        let mut body = json!({"file_name": ctx.name("ro")});
        body[field] = value;
        bad_request(ctx.post("/files").by(&user).json(body)).await?;
    }
    Ok(())
}

async fn share_get_returns_share_fields(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create, Perm::Read]).await?;
    let file_name = format!("{}.txt", ctx.name("g"));
    let id = ctx.share_named(Some(&user), &file_name).await?;
    let reply = ctx
        .get(share_path(&id))
        .by(&user)
        .send()
        .await?
        .expect(200)?;
    let body = reply.json()?;
    expect_field(&reply, &body, "share_id", &json!(id))?;
    expect_field(&reply, &body, "owner_name", &json!(user.name))?;
    expect_field(&reply, &body, "file_name", &json!(file_name))?;
    expect_field(&reply, &body, "initialized", &json!(false))?;
    expect_field(&reply, &body, "locked", &json!(false))?;
    ensure(body["create_date"].is_string(), || {
        reply.fail("a \"create_date\" string")
    })?;
    Ok(())
}

async fn share_get_without_read_is_forbidden(ctx: Ctx) -> Outcome {
    let user = ctx.user(&all_but(Perm::Read)).await?;
    let id = ctx.share(Some(&user)).await?;
    forbidden(ctx.get(share_path(&id)).by(&user)).await?;
    forbidden(ctx.get(share_path(&missing_id())).by(&user)).await?;
    Ok(())
}

async fn patch(ctx: &Ctx, by: &Account, id: &str, body: Value) -> Result<Reply, Failure> {
    ctx.patch(share_path(id)).by(by).json(body).send().await
}

async fn share_patch_file_name_by_owner(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create, Perm::Modify, Perm::Read]).await?;
    let id = ctx.share(Some(&user)).await?;
    let new_name = format!("{}.txt", ctx.name("p"));
    patch(&ctx, &user, &id, json!({"file_name": new_name}))
        .await?
        .expect_success(200)?;
    let info = ctx
        .get(share_path(&id))
        .by(&user)
        .send()
        .await?
        .expect(200)?;
    expect_field(&info, &info.json()?, "file_name", &json!(new_name))?;
    expect_field(&info, &info.json()?, "owner_name", &json!(user.name))?;
    Ok(())
}

async fn share_patch_by_non_owner_is_forbidden(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let other = ctx.user(&all_but(Perm::Admin)).await?;
    let id = ctx.share(Some(&owner)).await?;
    let before = ctx.share_info(&id).await?;
    let reply = patch(&ctx, &other, &id, json!({"file_name": "stolen"})).await?;
    reply.expect_error(403)?;
    let steal = json!({"owner_name": other.name});
    patch(&ctx, &other, &id, steal).await?.expect_error(403)?;
    let put = json!({"file_name": "stolen", "owner_name": other.name});
    forbidden(ctx.put(share_path(&id)).by(&other).json(put)).await?;
    unchanged(&ctx, &id, &before).await?;
    Ok(())
}

/// Fails unless the share's metadata still equals `before`.
async fn unchanged(ctx: &Ctx, id: &str, before: &Value) -> Result<(), Failure> {
    let after = ctx.share_info(id).await?;
    ensure(&after == before, || {
        Failure::new(format!("share metadata unchanged: {before}"))
            .with_request(format!("GET /files/{id} as root"))
            .with_actual(format!("{after}"))
    })
}

async fn share_patch_without_modify_is_forbidden(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&all_but(Perm::Modify)).await?;
    let id = ctx.share(Some(&owner)).await?;
    forbidden(
        ctx.patch(share_path(&id))
            .by(&owner)
            .json(json!({"file_name": "x"})),
    )
    .await?;
    Ok(())
}

async fn share_patch_malformed_body_is_bad_request(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx.share(Some(&owner)).await?;
    let before = ctx.share_info(&id).await?;
    for body in [
        json!("hello"),
        json!([1]),
        json!(7),
        json!({"file_name": 5}),
    ] {
        bad_request(ctx.patch(share_path(&id)).by(&owner).json(body)).await?;
    }
    unchanged(&ctx, &id, &before).await?;
    Ok(())
}

async fn share_patch_changed_read_only_field_is_bad_request(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx.share(Some(&owner)).await?;
    let before = ctx.share_info(&id).await?;
    let fields = [
        ("share_id", json!(missing_id())),
        ("initialized", json!(true)),
        ("locked", json!(true)),
        ("create_date", json!("2001-01-01T00:00:00Z")),
    ];
    for (field, value) in fields {
        let reply = patch(&ctx, &owner, &id, json!({field: value}))
            .await?
            .expect_error(400)?;
        let message = reply.error_message()?;
        ensure(message.contains(field), || {
            reply.fail(format!("a 400 whose message names the field {field}"))
        })?;
    }
    unchanged(&ctx, &id, &before).await?;
    Ok(())
}

async fn share_put_replaces_metadata(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx.share(Some(&owner)).await?;
    let new_name = format!("{}.txt", ctx.name("put"));
    let body = json!({"file_name": new_name, "owner_name": owner.name});
    ctx.put(share_path(&id))
        .by(&owner)
        .json(body)
        .send()
        .await?
        .expect_success(200)?;
    let info = ctx.share_info(&id).await?;
    ensure(info["file_name"] == json!(new_name), || {
        Failure::new(format!("file_name {new_name} after the PUT")).with_actual(info.to_string())
    })?;
    Ok(())
}

async fn share_put_unchanged_read_only_fields_are_accepted(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx.share(Some(&owner)).await?;
    let mut body = ctx.share_info(&id).await?;
    let new_name = ctx.name("roundtrip");
    body["file_name"] = json!(new_name);
    ctx.put(share_path(&id))
        .by(&owner)
        .json(body.clone())
        .send()
        .await?
        .expect(200)?;
    patch(&ctx, &owner, &id, body).await?.expect(200)?;
    let info = ctx.share_info(&id).await?;
    ensure(info["file_name"] == json!(new_name), || {
        Failure::new(format!("file_name {new_name} after the round trip"))
            .with_actual(info.to_string())
    })?;
    Ok(())
}

async fn share_put_missing_field_is_bad_request(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx.share(Some(&owner)).await?;
    let before = ctx.share_info(&id).await?;
    for body in [
        json!({"file_name": "only-name"}),
        json!({"owner_name": owner.name}),
    ] {
        bad_request(ctx.put(share_path(&id)).by(&owner).json(body)).await?;
    }
    unchanged(&ctx, &id, &before).await?;
    Ok(())
}

async fn share_transfer_to_other_user_and_back(ctx: Ctx) -> Outcome {
    let first = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let second = ctx.user(&[Perm::Modify]).await?;
    let id = ctx.share(Some(&first)).await?;
    patch(&ctx, &first, &id, json!({"owner_name": second.name}))
        .await?
        .expect_success(200)?;
    patch(&ctx, &first, &id, json!({"file_name": "x"}))
        .await?
        .expect_error(403)?;
    patch(&ctx, &second, &id, json!({"owner_name": first.name}))
        .await?
        .expect_success(200)?;
    patch(&ctx, &second, &id, json!({"file_name": "y"}))
        .await?
        .expect_error(403)?;
    let reply = patch(&ctx, &first, &id, json!({"file_name": ctx.name("back")})).await?;
    reply.expect_success(200)?;
    let info = ctx.share_info(&id).await?;
    ensure(info["owner_name"] == json!(first.name), || {
        Failure::new(format!("owner_name {} after the transfer back", first.name))
            .with_actual(info.to_string())
    })?;
    Ok(())
}

async fn share_transfer_to_missing_user_is_bad_request(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx.share(Some(&owner)).await?;
    let before = ctx.share_info(&id).await?;
    let nobody = json!({"owner_name": ctx.name("nobody")});
    bad_request(ctx.patch(share_path(&id)).by(&owner).json(nobody)).await?;
    unchanged(&ctx, &id, &before).await?;
    Ok(())
}

async fn share_transfer_to_anonymous_clears_owner(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx.share(Some(&owner)).await?;
    patch(&ctx, &owner, &id, json!({"owner_name": null}))
        .await?
        .expect_success(200)?;
    let info = ctx.share_info(&id).await?;
    ensure(info["owner_name"].is_null(), || {
        Failure::new("owner_name null after handing the share to anonymous callers")
            .with_actual(info.to_string())
    })?;
    patch(&ctx, &owner, &id, json!({"file_name": "x"}))
        .await?
        .expect_error(403)?;
    Ok(())
}

async fn locked_share(ctx: &Ctx, owner: &Account) -> Result<String, Failure> {
    let id = ctx.share(Some(owner)).await?;
    ctx.post(format!("/files/{id}/lock"))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    Ok(id)
}

async fn share_patch_locked_by_non_owner_is_forbidden(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let other = ctx.user(&[Perm::Modify]).await?;
    let id = locked_share(&ctx, &owner).await?;
    patch(&ctx, &other, &id, json!({"file_name": "x"}))
        .await?
        .expect_error(403)?;
    Ok(())
}

async fn share_patch_locked_to_missing_owner_is_bad_request(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = locked_share(&ctx, &owner).await?;
    let nobody = json!({"owner_name": ctx.name("nobody")});
    patch(&ctx, &owner, &id, nobody).await?.expect_error(400)?;
    Ok(())
}

async fn share_delete_by_any_user_with_delete(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let deleter = ctx.user(&[Perm::Delete]).await?;
    let id = ctx
        .share_with(Some(&owner), &format!("{}.bin", ctx.name("d")), b"bye")
        .await?;
    ctx.delete(share_path(&id))
        .by(&deleter)
        .send()
        .await?
        .expect_success(200)?;
    not_found(ctx.get(share_path(&id)).by(ctx.root())).await?;
    not_found(ctx.get(format!("/files/{id}/content")).by(ctx.root())).await?;
    Ok(())
}

async fn share_delete_without_delete_is_forbidden(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&all_but(Perm::Delete)).await?;
    let id = ctx.share(Some(&owner)).await?;
    forbidden(ctx.delete(share_path(&id)).by(&owner)).await?;
    ctx.share_info(&id).await?;
    Ok(())
}

/// Requests on `id` for every share route the older server already
/// answered 404 for a missing share.
fn core_routes(ctx: &Ctx, id: &str) -> Vec<Call> {
    let root = ctx.root();
    let form = Form::chunk(&uuid::Uuid::new_v4().to_string(), 0, 1, b"x");
    vec![
        ctx.get(share_path(id)).by(root),
        ctx.get(format!("/files/{id}/content")).by(root),
        ctx.call(Method::POST, format!("/files/{id}/content"))
            .by(root)
            .form(&form),
        ctx.call(Method::PUT, format!("/files/{id}/content"))
            .by(root)
            .form(&form),
        ctx.post(format!("/files/{id}/lock")).by(root),
        ctx.post(format!("/files/{id}/unlock")).by(root),
    ]
}

fn metadata_routes(ctx: &Ctx, id: &str) -> Vec<Call> {
    let root = ctx.root();
    vec![
        ctx.patch(share_path(id))
            .by(root)
            .json(json!({"file_name": "x"})),
        ctx.put(share_path(id))
            .by(root)
            .json(json!({"file_name": "x", "owner_name": null})),
        ctx.delete(share_path(id)).by(root),
    ]
}

async fn share_missing_id_is_not_found(ctx: Ctx) -> Outcome {
    for call in core_routes(&ctx, &missing_id()) {
        not_found(call).await?;
    }
    Ok(())
}

async fn share_missing_id_patch_put_delete_is_not_found(ctx: Ctx) -> Outcome {
    for call in metadata_routes(&ctx, &missing_id()) {
        not_found(call).await?;
    }
    Ok(())
}

async fn share_malformed_id_is_not_found(ctx: Ctx) -> Outcome {
    for id in MALFORMED_IDS {
        for call in core_routes(&ctx, id)
            .into_iter()
            .chain(metadata_routes(&ctx, id))
        {
            not_found(call).await?;
        }
    }
    Ok(())
}
