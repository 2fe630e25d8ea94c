//! Group 6, users: reading, changing, replacing, deleting and creating user
//! accounts, and who may do each.

use serde_json::{Value, json};

use super::password::expect_login;
use super::support::{
    bad_request, expect_field, expect_permissions, forbidden, not_found, token_refused,
    unauthorized,
};
use crate::failure::{Failure, Outcome, ensure};
use crate::http::Reply;
use crate::perm::{Perm, codes};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx};

const GROUP: Group = Group::Users;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, user_get_self_returns_user_fields),
        scenario!(GROUP, Core, user_get_other_is_forbidden),
        scenario!(GROUP, Core, user_get_missing_is_forbidden),
        scenario!(GROUP, Core, user_get_other_as_admin_succeeds),
        scenario!(GROUP, Core, user_get_anonymous_is_unauthorized),
        scenario!(GROUP, Core, user_patch_permissions_as_admin),
        scenario!(GROUP, Core, user_patch_password_as_admin),
        scenario!(GROUP, Core, user_patch_as_non_admin_is_forbidden),
        scenario!(GROUP, Core, user_patch_missing_user_is_not_found),
        scenario!(GROUP, Core, user_patch_unknown_permission_is_bad_request),
        scenario!(GROUP, Strict, user_patch_malformed_body_is_bad_request),
        // Renames: the older server answered 500 on a clash and kept
        // accepting the old name's tokens.
        scenario!(GROUP, Strict, user_patch_rename_onto_existing_is_conflict),
        scenario!(GROUP, Strict, user_patch_rename_moves_shares),
        scenario!(GROUP, Strict, user_patch_rename_old_token_is_unauthorized),
        scenario!(GROUP, Core, user_put_as_admin_replaces_user),
        scenario!(GROUP, Core, user_put_as_non_admin_is_forbidden),
        scenario!(GROUP, Strict, user_put_without_password_keeps_password),
        scenario!(GROUP, Strict, user_put_register_date_must_stay),
        scenario!(GROUP, Strict, user_put_missing_field_is_bad_request),
        scenario!(GROUP, Core, user_delete_as_admin_revokes_access),
        scenario!(GROUP, Core, user_delete_missing_is_not_found),
        scenario!(GROUP, Core, user_delete_as_non_admin_is_forbidden),
        scenario!(GROUP, Strict, user_delete_keeps_shares_owner_less),
        scenario!(GROUP, Strict, user_recreated_name_old_token_is_unauthorized),
        scenario!(GROUP, Core, user_create_returns_url),
        scenario!(GROUP, Strict, user_create_sets_location_header),
        scenario!(GROUP, Core, user_create_as_non_admin_is_forbidden),
        scenario!(GROUP, Core, user_create_unknown_permission_is_bad_request),
        scenario!(GROUP, Strict, user_create_duplicate_is_conflict),
        scenario!(GROUP, Strict, user_create_missing_field_is_bad_request),
        scenario!(GROUP, Strict, user_create_invalid_name_is_bad_request),
    ]
}

fn user_path(name: &str) -> String {
    format!("/users/{}", crate::http::segment(name))
}

/// The user's record as the suite's root user reads it.
async fn read_user(ctx: &Ctx, name: &str) -> Result<Reply, Failure> {
    ctx.get(user_path(name))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)
}

async fn user_get_self_returns_user_fields(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read, Perm::Create]).await?;
    let reply = ctx
        .get(user_path(&user.name))
        .by(&user)
        .send()
        .await?
        .expect(200)?;
    let body = reply.json()?;
    expect_field(&reply, &body, "username", &json!(user.name))?;
    expect_permissions(&reply, &["CREATE", "READ"])?;
    ensure(
        body.get("register_date").is_some_and(Value::is_string),
        || reply.fail("a \"register_date\" string"),
    )?;
    ensure(body.get("password").is_none(), || {
        reply.fail("no \"password\" field: it is write-only")
    })?;
    Ok(())
}

async fn user_get_other_is_forbidden(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read, Perm::List]).await?;
    let other = ctx.user(&[]).await?;
    forbidden(ctx.get(user_path(&other.name)).by(&user)).await?;
    Ok(())
}

async fn user_get_missing_is_forbidden(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let admin = ctx.user(&[Perm::Admin]).await?;
    let missing = ctx.name("nobody");
    forbidden(ctx.get(user_path(&missing)).by(&user)).await?;
    forbidden(ctx.get(user_path(&missing)).by(&admin)).await?;
    Ok(())
}

async fn user_get_other_as_admin_succeeds(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let other = ctx.user(&[Perm::Lock]).await?;
    let reply = ctx
        .get(user_path(&other.name))
        .by(&admin)
        .send()
        .await?
        .expect(200)?;
    expect_field(&reply, &reply.json()?, "username", &json!(other.name))?;
    expect_permissions(&reply, &["LOCK"])?;
    Ok(())
}

async fn user_get_anonymous_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    unauthorized(ctx.get(user_path(&user.name))).await?;
    Ok(())
}

async fn user_patch_permissions_as_admin(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let user = ctx.user(&[]).await?;
    ctx.patch(user_path(&user.name))
        .by(&admin)
        .json(json!({"permissions": ["READ", "LOCK", "CREATE"]}))
        .send()
        .await?
        .expect_success(200)?;
    let reply = read_user(&ctx, &user.name).await?;
    expect_permissions(&reply, &["CREATE", "LOCK", "READ"])?;
    ctx.get("/whoami")
        .by(&user)
        .send()
        .await
        .and_then(|reply| {
            reply
                .expect(200)
                .and_then(|reply| expect_permissions(&reply, &["CREATE", "LOCK", "READ"]))
        })?;
    Ok(())
}

async fn user_patch_password_as_admin(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let user = ctx.user(&[]).await?;
    ctx.patch(user_path(&user.name))
        .by(&admin)
        .json(json!({"password": "set-by-admin"}))
        .send()
        .await?
        .expect_success(200)?;
    expect_login(&ctx, &user.name, "set-by-admin", 200, "new").await?;
    expect_login(&ctx, &user.name, &user.password, 401, "old").await?;
    Ok(())
}

async fn user_patch_as_non_admin_is_forbidden(ctx: Ctx) -> Outcome {
    let perms = [
        Perm::Create,
        Perm::Modify,
        Perm::Delete,
        Perm::Lock,
        Perm::List,
        Perm::Read,
    ];
    let user = ctx.user(&perms).await?;
    let other = ctx.user(&[]).await?;
    let escalate = json!({"permissions": ["ADMIN"]});
    forbidden(
        ctx.patch(user_path(&user.name))
            .by(&user)
            .json(escalate.clone()),
    )
    .await?;
    forbidden(ctx.patch(user_path(&other.name)).by(&user).json(escalate)).await?;
    let reply = read_user(&ctx, &user.name).await?;
    expect_permissions(
        &reply,
        &["CREATE", "MODIFY", "DELETE", "LOCK", "LIST", "READ"],
    )?;
    Ok(())
}

async fn user_patch_missing_user_is_not_found(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let body = json!({"permissions": ["READ"]});
    not_found(
        ctx.patch(user_path(&ctx.name("nobody")))
            .by(&admin)
            .json(body),
    )
    .await?;
    Ok(())
}

async fn user_patch_unknown_permission_is_bad_request(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"permissions": ["READ", "FLY"]});
    bad_request(ctx.patch(user_path(&user.name)).by(&admin).json(body)).await?;
    expect_permissions(&read_user(&ctx, &user.name).await?, &["READ"])?;
    Ok(())
}

async fn user_patch_malformed_body_is_bad_request(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let user = ctx.user(&[Perm::Read]).await?;
    let bodies = [
        json!("hello"),
        json!([1, 2]),
        json!({"permissions": "READ"}),
        json!({"password": 123}),
        json!({"username": 5}),
    ];
    for body in bodies {
        bad_request(ctx.patch(user_path(&user.name)).by(&admin).json(body)).await?;
    }
    expect_permissions(&read_user(&ctx, &user.name).await?, &["READ"])?;
    expect_login(&ctx, &user.name, &user.password, 200, "unchanged").await?;
    Ok(())
}

async fn user_patch_rename_onto_existing_is_conflict(ctx: Ctx) -> Outcome {
    let first = ctx.user(&[]).await?;
    let second = ctx.user(&[]).await?;
    let body = json!({"username": second.name});
    let reply = ctx
        .patch(user_path(&first.name))
        .by(ctx.root())
        .json(body)
        .send()
        .await?;
    reply.expect_error(409)?;
    read_user(&ctx, &first.name).await?;
    expect_login(&ctx, &second.name, &second.password, 200, "untouched").await?;
    Ok(())
}

async fn rename(ctx: &Ctx, user: &Account) -> Result<String, Failure> {
    let new_name = ctx.name("renamed");
    ctx.patch(user_path(&user.name))
        .by(ctx.root())
        .json(json!({"username": new_name}))
        .send()
        .await?
        .expect_success(200)?;
    Ok(new_name)
}

async fn user_patch_rename_moves_shares(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create]).await?;
    let id = ctx.share(Some(&user)).await?;
    let new_name = rename(&ctx, &user).await?;
    let reply = ctx
        .get(format!("/files/{id}"))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    expect_field(&reply, &reply.json()?, "owner_name", &json!(new_name))?;
    expect_login(&ctx, &new_name, &user.password, 200, "same").await?;
    forbidden(ctx.get(user_path(&user.name)).by(ctx.root())).await?;
    Ok(())
}

async fn user_patch_rename_old_token_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[]).await?;
    let new_name = rename(&ctx, &user).await?;
    token_refused(
        &ctx,
        &new_name,
        &user.token,
        "a token issued before the rename",
    )
    .await?;
    Ok(())
}

async fn user_put_as_admin_replaces_user(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"username": user.name, "password": "put-password", "permissions": ["LIST", "CREATE"]});
    ctx.put(user_path(&user.name))
        .by(&admin)
        .json(body)
        .send()
        .await?
        .expect_success(200)?;
    expect_permissions(&read_user(&ctx, &user.name).await?, &["CREATE", "LIST"])?;
    expect_login(&ctx, &user.name, "put-password", 200, "replaced").await?;
    Ok(())
}

async fn user_put_as_non_admin_is_forbidden(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"username": user.name, "password": "x", "permissions": ["ADMIN", "READ"]});
    forbidden(ctx.put(user_path(&user.name)).by(&user).json(body)).await?;
    expect_permissions(&read_user(&ctx, &user.name).await?, &["READ"])?;
    Ok(())
}

async fn user_put_without_password_keeps_password(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"username": user.name, "permissions": ["LOCK"]});
    ctx.put(user_path(&user.name))
        .by(ctx.root())
        .json(body)
        .send()
        .await?
        .expect(200)?;
    expect_permissions(&read_user(&ctx, &user.name).await?, &["LOCK"])?;
    expect_login(&ctx, &user.name, &user.password, 200, "kept").await?;
    Ok(())
}

async fn user_put_register_date_must_stay(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let current = read_user(&ctx, &user.name).await?.json()?;
    let register_date = current["register_date"].clone();
    let same =
        json!({"username": user.name, "permissions": ["READ"], "register_date": register_date});
    ctx.put(user_path(&user.name))
        .by(ctx.root())
        .json(same)
        .send()
        .await?
        .expect(200)?;
    let changed = json!({"username": user.name, "permissions": ["READ"], "register_date": "2001-01-01T00:00:00Z"});
    bad_request(ctx.put(user_path(&user.name)).by(ctx.root()).json(changed)).await?;
    let after = read_user(&ctx, &user.name).await?;
    expect_field(&after, &after.json()?, "register_date", &register_date)?;
    Ok(())
}

async fn user_put_missing_field_is_bad_request(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let bodies = [
        json!({"username": user.name}),
        json!({"permissions": ["READ"]}),
        json!("hello"),
    ];
    for body in bodies {
        bad_request(ctx.put(user_path(&user.name)).by(ctx.root()).json(body)).await?;
    }
    Ok(())
}

async fn user_delete_as_admin_revokes_access(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let user = ctx.user(&[Perm::Read]).await?;
    ctx.delete(user_path(&user.name))
        .by(&admin)
        .send()
        .await?
        .expect_success(200)?;
    token_refused(&ctx, &user.name, &user.token, "the deleted user's token").await?;
    expect_login(&ctx, &user.name, &user.password, 401, "deleted user's").await?;
    Ok(())
}

async fn user_delete_missing_is_not_found(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    not_found(ctx.delete(user_path(&ctx.name("nobody"))).by(&admin)).await?;
    Ok(())
}

async fn user_delete_as_non_admin_is_forbidden(ctx: Ctx) -> Outcome {
    let perms = [
        Perm::Create,
        Perm::Modify,
        Perm::Delete,
        Perm::Lock,
        Perm::List,
        Perm::Read,
    ];
    let user = ctx.user(&perms).await?;
    let other = ctx.user(&[]).await?;
    forbidden(ctx.delete(user_path(&other.name)).by(&user)).await?;
    read_user(&ctx, &other.name).await?;
    Ok(())
}

async fn user_delete_keeps_shares_owner_less(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Create]).await?;
    let id = ctx
        .share_with(
            Some(&user),
            &format!("{}.txt", ctx.name("kept")),
            b"kept content",
        )
        .await?;
    ctx.delete(user_path(&user.name))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    let reply = ctx
        .get(format!("/files/{id}"))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    expect_field(&reply, &reply.json()?, "owner_name", &Value::Null)?;
    ctx.expect_content(&id, b"kept content").await?;
    Ok(())
}

async fn user_recreated_name_old_token_is_unauthorized(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    ctx.delete(user_path(&user.name))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    let body = json!({"username": user.name, "password": "reborn", "permissions": ["READ"]});
    ctx.post("/users")
        .by(ctx.root())
        .json(body)
        .send()
        .await?
        .expect(201)?;
    token_refused(
        &ctx,
        &user.name,
        &user.token,
        "a token of the deleted namesake",
    )
    .await?;
    Ok(())
}

fn new_user_body(ctx: &Ctx, perms: &[Perm]) -> (String, Value) {
    let name = ctx.name("new");
    let body = json!({"username": name, "password": "pw-new-user", "permissions": codes(perms)});
    (name, body)
}

async fn user_create_returns_url(ctx: Ctx) -> Outcome {
    let admin = ctx.user(&[Perm::Admin]).await?;
    let (name, body) = new_user_body(&ctx, &[Perm::Read]);
    let reply = ctx
        .post("/users")
        .by(&admin)
        .json(body)
        .send()
        .await?
        .expect_success(201)?;
    expect_field(
        &reply,
        &reply.json()?,
        "url",
        &json!(format!("/users/{name}")),
    )?;
    expect_login(&ctx, &name, "pw-new-user", 200, "chosen").await?;
    Ok(())
}

async fn user_create_sets_location_header(ctx: Ctx) -> Outcome {
    let (name, body) = new_user_body(&ctx, &[]);
    let reply = ctx
        .post("/users")
        .by(ctx.root())
        .json(body)
        .send()
        .await?
        .expect(201)?;
    let wanted = format!("/users/{name}");
    let location = reply.header("location").unwrap_or_default();
    ensure(location.ends_with(&wanted), || {
        reply.fail_header("Location", format!("a Location header ending in {wanted}"))
    })?;
    Ok(())
}

async fn user_create_as_non_admin_is_forbidden(ctx: Ctx) -> Outcome {
    let perms = [
        Perm::Create,
        Perm::Modify,
        Perm::Delete,
        Perm::Lock,
        Perm::List,
        Perm::Read,
    ];
    let user = ctx.user(&perms).await?;
    let (name, body) = new_user_body(&ctx, &[Perm::Admin]);
    forbidden(ctx.post("/users").by(&user).json(body)).await?;
    expect_login(&ctx, &name, "pw-new-user", 401, "never created user's").await?;
    Ok(())
}

async fn user_create_unknown_permission_is_bad_request(ctx: Ctx) -> Outcome {
    let (name, mut body) = new_user_body(&ctx, &[]);
    body["permissions"] = json!(["READ", "FLY"]);
    bad_request(ctx.post("/users").by(ctx.root()).json(body)).await?;
    expect_login(&ctx, &name, "pw-new-user", 401, "never created user's").await?;
    Ok(())
}

async fn user_create_duplicate_is_conflict(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read]).await?;
    let body = json!({"username": user.name, "password": "other", "permissions": ["ADMIN"]});
    ctx.post("/users")
        .by(ctx.root())
        .json(body)
        .send()
        .await?
        .expect_error(409)?;
    expect_login(&ctx, &user.name, &user.password, 200, "original").await?;
    expect_permissions(&read_user(&ctx, &user.name).await?, &["READ"])?;
    Ok(())
}

async fn user_create_missing_field_is_bad_request(ctx: Ctx) -> Outcome {
    for missing in ["username", "password", "permissions"] {
        let (_, mut body) = new_user_body(&ctx, &[]);
        if let Some(object) = body.as_object_mut() {
            object.remove(missing);
        }
        bad_request(ctx.post("/users").by(ctx.root()).json(body)).await?;
    }
    bad_request(ctx.post("/users").by(ctx.root()).json(json!("hello"))).await?;
    Ok(())
}

async fn user_create_invalid_name_is_bad_request(ctx: Ctx) -> Outcome {
    let base = ctx.name("bad");
    let names = [
        String::new(),
        format!("{base}/x"),
        format!("{base}\u{1}x"),
        format!("{base}{}", "x".repeat(65)),
    ];
    for name in names {
        let body = json!({"username": name, "password": "pw", "permissions": []});
        bad_request(ctx.post("/users").by(ctx.root()).json(body)).await?;
    }
    Ok(())
}
