//! Group 11, content: the chunked upload protocol on `POST` and `PUT
//! /files/{id}/content` (joining by index, repeats, bad fields, uploads kept
//! apart, content unchanged until an upload completes).

use reqwest::Method;
use serde_json::Value;

use super::support::{bad_request, forbidden, locked, not_found};
use crate::failure::{Failure, Outcome, ensure};
use crate::http::Reply;
use crate::multipart::Form;
use crate::perm::{Perm, PermSet};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Account, Ctx, random_bytes, split};

const GROUP: Group = Group::Content;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, content_upload_single_chunk_completes),
        scenario!(GROUP, Core, content_upload_file_part_first_is_accepted),
        scenario!(
            GROUP,
            Core,
            content_upload_missing_upload_part_is_bad_request
        ),
        scenario!(GROUP, Core, content_upload_missing_field_is_bad_request),
        scenario!(GROUP, Core, content_upload_non_integer_field_is_bad_request),
        scenario!(GROUP, Core, content_upload_to_initialized_share_is_locked),
        scenario!(GROUP, Core, content_replace_fresh_share_is_locked),
        scenario!(GROUP, Core, content_replace_single_chunk_replaces_content),
        scenario!(GROUP, Core, content_patch_is_method_not_allowed),
        scenario!(GROUP, Core, content_upload_by_non_owner_is_forbidden),
        scenario!(GROUP, Core, content_replace_by_non_owner_is_forbidden),
        scenario!(GROUP, Core, content_upload_without_permission_is_forbidden),
        // Over real HTTP the older server completed only one-chunk uploads,
        // so everything with several chunks is strict.
        scenario!(GROUP, Strict, content_upload_several_chunk_sizes_complete),
        scenario!(
            GROUP,
            Strict,
            content_upload_chunks_out_of_order_join_by_index
        ),
        scenario!(GROUP, Strict, content_upload_repeated_chunk_counts_once),
        scenario!(
            GROUP,
            Strict,
            content_upload_index_out_of_range_is_bad_request
        ),
        scenario!(GROUP, Strict, content_upload_total_change_is_bad_request),
        scenario!(
            GROUP,
            Strict,
            content_upload_partial_leaves_content_unchanged
        ),
        scenario!(GROUP, Strict, content_upload_concurrent_uploads_never_mix),
        scenario!(
            GROUP,
            Strict,
            content_upload_same_dzuuid_on_other_share_is_separate
        ),
        scenario!(GROUP, Ext, content_upload_dropzone_aliases_are_accepted),
        scenario!(
            GROUP,
            Ext,
            content_upload_declared_oversize_is_payload_too_large
        ),
        scenario!(GROUP, Ext, content_upload_progress_lists_received_chunks),
    ]
}

fn dzuuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn content_path(id: &str) -> String {
    format!("/files/{id}/content")
}

/// A user who may create, change and read shares, and one of their fresh
/// shares.
async fn owner_and_share(ctx: &Ctx) -> Result<(Account, String), Failure> {
    let owner = ctx.user(&[Perm::Create, Perm::Modify, Perm::Read]).await?;
    let id = ctx.share(Some(&owner)).await?;
    Ok((owner, id))
}

async fn chunk(
    ctx: &Ctx,
    owner: &Account,
    method: Method,
    id: &str,
    form: &Form,
) -> Result<Reply, Failure> {
    ctx.send_chunk(Some(owner), method, id, form).await
}

async fn content_upload_single_chunk_completes(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let bytes = random_bytes(4000);
    let form = Form::chunk(&dzuuid(), 0, 1, &bytes);
    chunk(&ctx, &owner, Method::POST, &id, &form)
        .await?
        .expect_message(201, "Upload completed.")?;
    let info = ctx.share_info(&id).await?;
    ensure(info["initialized"] == Value::Bool(true), || {
        Failure::new("\"initialized\": true after the upload").with_actual(info.to_string())
    })?;
    ctx.expect_content(&id, &bytes).await?;
    Ok(())
}

async fn content_upload_file_part_first_is_accepted(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"file part first").files_first();
    chunk(&ctx, &owner, Method::POST, &id, &form)
        .await?
        .expect(201)?;
    ctx.expect_content(&id, b"file part first").await?;
    Ok(())
}

async fn content_upload_missing_upload_part_is_bad_request(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"x").without("upload");
    chunk(&ctx, &owner, Method::POST, &id, &form)
        .await?
        .expect_error(400)?;
    not_found(ctx.get(content_path(&id)).by(ctx.root())).await?;
    Ok(())
}

async fn content_upload_missing_field_is_bad_request(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    for field in ["dzuuid", "dzchunkindex", "dztotalchunks"] {
        let form = Form::chunk(&dzuuid(), 0, 1, b"x").without(field);
        chunk(&ctx, &owner, Method::POST, &id, &form)
            .await?
            .expect_error(400)?;
    }
    not_found(ctx.get(content_path(&id)).by(ctx.root())).await?;
    Ok(())
}

async fn content_upload_non_integer_field_is_bad_request(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let forms = [
        Form::chunk(&dzuuid(), "one", 1, b"x"),
        Form::chunk(&dzuuid(), 0, "two", b"x"),
        Form::chunk(&dzuuid(), 0, "1.5", b"x"),
    ];
    for form in forms {
        chunk(&ctx, &owner, Method::POST, &id, &form)
            .await?
            .expect_error(400)?;
    }
    Ok(())
}

async fn content_upload_to_initialized_share_is_locked(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    ctx.upload(Some(&owner), &id, Method::POST, b"first", 5)
        .await?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"second");
    locked(
        ctx.call(Method::POST, content_path(&id))
            .by(&owner)
            .form(&form),
    )
    .await?;
    ctx.expect_content(&id, b"first").await?;
    Ok(())
}

async fn content_replace_fresh_share_is_locked(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"too early");
    locked(
        ctx.call(Method::PUT, content_path(&id))
            .by(&owner)
            .form(&form),
    )
    .await?;
    not_found(ctx.get(content_path(&id)).by(ctx.root())).await?;
    Ok(())
}

async fn content_replace_single_chunk_replaces_content(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    ctx.upload(Some(&owner), &id, Method::POST, b"first version", 64)
        .await?;
    ctx.upload(Some(&owner), &id, Method::PUT, b"second version", 64)
        .await?;
    ctx.expect_content(&id, b"second version").await?;
    Ok(())
}

async fn content_patch_is_method_not_allowed(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    ctx.upload(Some(&owner), &id, Method::POST, b"content", 64)
        .await?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"patched");
    let reply = ctx
        .call(Method::PATCH, content_path(&id))
        .by(&owner)
        .form(&form)
        .send()
        .await?;
    reply.expect(405)?;
    ctx.expect_content(&id, b"content").await?;
    Ok(())
}

async fn content_upload_by_non_owner_is_forbidden(ctx: Ctx) -> Outcome {
    let (_, id) = owner_and_share(&ctx).await?;
    let other = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"intruder");
    forbidden(
        ctx.call(Method::POST, content_path(&id))
            .by(&other)
            .form(&form),
    )
    .await?;
    not_found(ctx.get(content_path(&id)).by(ctx.root())).await?;
    Ok(())
}

async fn content_replace_by_non_owner_is_forbidden(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    ctx.upload(Some(&owner), &id, Method::POST, b"owner's", 64)
        .await?;
    let other = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"intruder");
    forbidden(
        ctx.call(Method::PUT, content_path(&id))
            .by(&other)
            .form(&form),
    )
    .await?;
    ctx.expect_content(&id, b"owner's").await?;
    Ok(())
}

async fn content_upload_without_permission_is_forbidden(ctx: Ctx) -> Outcome {
    let everything = PermSet::all().without(Perm::Admin);
    let no_create = ctx.user(&everything.without(Perm::Create).perms()).await?;
    // Without CREATE the user cannot make a share; the root user hands one over.
    let fresh = ctx.share(Some(ctx.root())).await?;
    let body = serde_json::json!({"owner_name": no_create.name});
    ctx.patch(format!("/files/{fresh}"))
        .by(ctx.root())
        .json(body)
        .send()
        .await?
        .expect(200)?;
    let form = Form::chunk(&dzuuid(), 0, 1, b"x");
    forbidden(
        ctx.call(Method::POST, content_path(&fresh))
            .by(&no_create)
            .form(&form),
    )
    .await?;

    let no_modify = ctx.user(&everything.without(Perm::Modify).perms()).await?;
    let id = ctx
        .share_with(Some(&no_modify), &format!("{}.bin", ctx.name("m")), b"kept")
        .await?;
    forbidden(
        ctx.call(Method::PUT, content_path(&id))
            .by(&no_modify)
            .form(&form),
    )
    .await?;
    ctx.expect_content(&id, b"kept").await?;
    Ok(())
}

async fn content_upload_several_chunk_sizes_complete(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let plans = [
        (3, 1),
        (100_000, 30_000),
        ((1 << 20) + 17, 256 * 1024),
        (10, 10),
    ];
    let mut method = Method::POST;
    for (size, chunk_size) in plans {
        let bytes = random_bytes(size);
        ctx.upload(Some(&owner), &id, method.clone(), &bytes, chunk_size)
            .await?;
        ctx.expect_content(&id, &bytes).await?;
        method = Method::PUT;
    }
    Ok(())
}

/// Sends the chunks of `bytes` (split in `count`) in the given index order;
/// every answer but the last must be 200, the last 201.
async fn send_in_order(
    ctx: &Ctx,
    owner: &Account,
    id: &str,
    method: Method,
    chunks: &[&[u8]],
    order: &[usize],
) -> Result<(), Failure> {
    let upload = dzuuid();
    for (step, index) in order.iter().enumerate() {
        let form = Form::chunk(&upload, index, chunks.len(), chunks[*index]);
        let reply = chunk(ctx, owner, method.clone(), id, &form).await?;
        if step + 1 == order.len() {
            reply.expect_message(201, "Upload completed.")?;
        } else {
            reply.expect_message(200, "Chunk uploaded.")?;
        }
    }
    Ok(())
}

async fn content_upload_chunks_out_of_order_join_by_index(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let bytes = random_bytes(4 * 1000);
    let chunks = split(&bytes, 1000);
    send_in_order(&ctx, &owner, &id, Method::POST, &chunks, &[2, 0, 3, 1]).await?;
    ctx.expect_content(&id, &bytes).await?;
    Ok(())
}

async fn content_upload_repeated_chunk_counts_once(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let bytes = random_bytes(3 * 500);
    let chunks = split(&bytes, 500);
    send_in_order(&ctx, &owner, &id, Method::POST, &chunks, &[0, 0, 1, 1, 2]).await?;
    ctx.expect_content(&id, &bytes).await?;

    let upload = dzuuid();
    let first_try = random_bytes(500);
    let sends = [(0, &first_try[..]), (1, chunks[1]), (0, chunks[0])];
    for (index, part) in sends {
        let form = Form::chunk(&upload, index, 3, part);
        chunk(&ctx, &owner, Method::PUT, &id, &form)
            .await?
            .expect(200)?;
    }
    let form = Form::chunk(&upload, 2, 3, chunks[2]);
    chunk(&ctx, &owner, Method::PUT, &id, &form)
        .await?
        .expect(201)?;
    ctx.expect_content(&id, &bytes).await?;
    Ok(())
}

async fn content_upload_index_out_of_range_is_bad_request(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let forms = [
        Form::chunk(&dzuuid(), 2, 2, b"x"),
        Form::chunk(&dzuuid(), 5, 2, b"x"),
        Form::chunk(&dzuuid(), -1, 2, b"x"),
        Form::chunk(&dzuuid(), 0, 0, b"x"),
        Form::chunk(&dzuuid(), 0, -3, b"x"),
    ];
    for form in forms {
        bad_request(
            ctx.call(Method::POST, content_path(&id))
                .by(&owner)
                .form(&form),
        )
        .await?;
    }
    not_found(ctx.get(content_path(&id)).by(ctx.root())).await?;
    Ok(())
}

async fn content_upload_total_change_is_bad_request(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let upload = dzuuid();
    let form = Form::chunk(&upload, 0, 3, b"aa");
    chunk(&ctx, &owner, Method::POST, &id, &form)
        .await?
        .expect(200)?;
    for total in [4, 2, 1] {
        let form = Form::chunk(&upload, 1, total, b"bb");
        bad_request(
            ctx.call(Method::POST, content_path(&id))
                .by(&owner)
                .form(&form),
        )
        .await?;
    }
    for (index, part) in [(1, b"bb"), (2, b"cc")] {
        let form = Form::chunk(&upload, index, 3, part);
        let reply = chunk(&ctx, &owner, Method::POST, &id, &form).await?;
        reply.expect(if index == 2 { 201 } else { 200 })?;
    }
    ctx.expect_content(&id, b"aabbcc").await?;
    Ok(())
}

async fn content_upload_partial_leaves_content_unchanged(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let form = Form::chunk(&dzuuid(), 0, 2, b"half of the first");
    chunk(&ctx, &owner, Method::POST, &id, &form)
        .await?
        .expect(200)?;
    not_found(ctx.get(content_path(&id)).by(ctx.root())).await?;
    let info = ctx.share_info(&id).await?;
    ensure(info["initialized"] == Value::Bool(false), || {
        Failure::new("\"initialized\": false while the first upload is incomplete")
            .with_actual(info.to_string())
    })?;

    let (owner, id) = owner_and_share(&ctx).await?;
    ctx.upload(Some(&owner), &id, Method::POST, b"old content", 64)
        .await?;
    let form = Form::chunk(&dzuuid(), 1, 3, b"new but partial");
    chunk(&ctx, &owner, Method::PUT, &id, &form)
        .await?
        .expect(200)?;
    ctx.expect_content(&id, b"old content").await?;
    Ok(())
}

async fn content_upload_concurrent_uploads_never_mix(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    ctx.upload(Some(&owner), &id, Method::POST, b"initial", 64)
        .await?;
    let first = vec![b'A'; 4 * 2000];
    let second = vec![b'B'; 4 * 2000];
    let (one, two) = tokio::join!(
        send_all(&ctx, &owner, &id, &first, [3, 1, 0, 2]),
        send_all(&ctx, &owner, &id, &second, [0, 2, 3, 1]),
    );
    one?;
    two?;
    let reply = ctx.content(&id).await?.expect(200)?;
    ensure(reply.body == first || reply.body == second, || {
        let mut failure = reply.fail("the whole content of one of the two uploads, never a mix");
        failure.body = Some(crate::failure::excerpt(&reply.body, 80));
        failure
    })?;
    Ok(())
}

/// Sends one whole upload in the given order, each chunk concurrently with
/// whatever else runs; checks only that each chunk is accepted.
async fn send_all(
    ctx: &Ctx,
    owner: &Account,
    id: &str,
    bytes: &[u8],
    order: [usize; 4],
) -> Result<(), Failure> {
    let upload = dzuuid();
    let chunks = split(bytes, bytes.len() / 4);
    for index in order {
        let form = Form::chunk(&upload, index, 4, chunks[index]);
        chunk(ctx, owner, Method::PUT, id, &form)
            .await?
            .expect_any(&[200, 201])?;
        tokio::task::yield_now().await;
    }
    Ok(())
}

async fn content_upload_same_dzuuid_on_other_share_is_separate(ctx: Ctx) -> Outcome {
    let (owner, first) = owner_and_share(&ctx).await?;
    let second = ctx.share(Some(&owner)).await?;
    let upload = dzuuid();
    let form = Form::chunk(&upload, 0, 2, b"first-0|");
    chunk(&ctx, &owner, Method::POST, &first, &form)
        .await?
        .expect(200)?;
    let form = Form::chunk(&upload, 1, 2, b"second-1");
    chunk(&ctx, &owner, Method::POST, &second, &form)
        .await?
        .expect(200)?;
    not_found(ctx.get(content_path(&first)).by(ctx.root())).await?;
    not_found(ctx.get(content_path(&second)).by(ctx.root())).await?;
    let form = Form::chunk(&upload, 1, 2, b"first-1");
    chunk(&ctx, &owner, Method::POST, &first, &form)
        .await?
        .expect(201)?;
    ctx.expect_content(&first, b"first-0|first-1").await?;
    not_found(ctx.get(content_path(&second)).by(ctx.root())).await?;
    Ok(())
}

async fn content_upload_dropzone_aliases_are_accepted(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let upload = dzuuid();
    let parts: [&[u8]; 2] = [b"dropzone ", b"style"];
    for (index, part) in parts.iter().enumerate() {
        let form = Form::default()
            .text("dzuuid", &upload)
            .text("dzchunkindex", index.to_string())
            .text("dztotalfilesize", "14")
            .text("dzchunksize", "9")
            .text("dztotalchunkcount", "2")
            .text("dzchunkbyteoffset", (index * 9).to_string())
            .file("file", part);
        let reply = chunk(&ctx, &owner, Method::POST, &id, &form).await?;
        reply.expect(if index == 1 { 201 } else { 200 })?;
    }
    ctx.expect_content(&id, b"dropzone style").await?;
    Ok(())
}

async fn content_upload_declared_oversize_is_payload_too_large(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let form = Form::chunk(&dzuuid(), 0, 1000, b"the start of a huge file")
        .text("dztotalfilesize", (1u64 << 50).to_string());
    let reply = chunk(&ctx, &owner, Method::POST, &id, &form).await?;
    reply.expect_error(413)?;
    Ok(())
}

async fn content_upload_progress_lists_received_chunks(ctx: Ctx) -> Outcome {
    let (owner, id) = owner_and_share(&ctx).await?;
    let upload = dzuuid();
    for index in [0, 2] {
        let form = Form::chunk(&upload, index, 4, b"part");
        chunk(&ctx, &owner, Method::POST, &id, &form)
            .await?
            .expect(200)?;
    }
    let path = format!("/files/{id}/content/uploads/{upload}");
    let reply = ctx.get(&path).by(&owner).send().await?.expect(200)?;
    ensure(has_index_list(&reply.json()?, &[0, 2]), || {
        reply.fail("a JSON answer listing the received chunk indexes [0, 2]")
    })?;
    let other = ctx
        .user(&PermSet::all().without(Perm::Admin).perms())
        .await?;
    forbidden(ctx.get(&path).by(&other)).await?;
    Ok(())
}

/// Whether some array of integers anywhere in `value` equals `wanted`.
fn has_index_list(value: &Value, wanted: &[u64]) -> bool {
    match value {
        Value::Array(items) => {
            let numbers: Option<Vec<u64>> = items.iter().map(Value::as_u64).collect();
            numbers.is_some_and(|numbers| numbers == wanted)
                || items.iter().any(|item| has_index_list(item, wanted))
        }
        Value::Object(fields) => fields.values().any(|field| has_index_list(field, wanted)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn index_list_is_found_at_any_depth() {
        assert!(has_index_list(&json!({"received": [0, 2]}), &[0, 2]));
        assert!(has_index_list(
            &json!({"upload": {"chunks": [0, 2], "total": 4}}),
            &[0, 2]
        ));
        assert!(!has_index_list(&json!({"received": [0, 1, 2]}), &[0, 2]));
        assert!(!has_index_list(&json!({"received": "0,2"}), &[0, 2]));
    }
}
