//! Group 12, download: `GET /files/{id}/content` returns the exact bytes
//! with the right headers, honours ranges and conditional requests, and
//! never lets content run script on the server's origin.

use reqwest::Method;
use serde_json::json;

use super::support::{forbidden, not_found};
use crate::failure::{Failure, Outcome, ensure};
use crate::http::Reply;
use crate::perm::{Perm, PermSet};
use crate::range::{RangeAnswer, expected_answer};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::{Ctx, check_bytes, random_bytes};

const GROUP: Group = Group::Download;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, content_download_returns_exact_bytes),
        scenario!(GROUP, Core, content_download_disposition_has_plain_filename),
        scenario!(
            GROUP,
            Core,
            content_download_disposition_encodes_non_ascii_name
        ),
        scenario!(
            GROUP,
            Strict,
            content_download_disposition_quotes_name_with_space
        ),
        scenario!(GROUP, Strict, share_file_name_cannot_inject_header),
        scenario!(GROUP, Core, content_download_content_type_follows_name),
        scenario!(GROUP, Core, content_download_accepts_byte_ranges),
        scenario!(GROUP, Core, content_head_returns_headers_without_body),
        scenario!(GROUP, Core, content_download_uninitialized_is_not_found),
        scenario!(GROUP, Core, content_download_without_read_is_forbidden),
        scenario!(GROUP, Core, content_range_closed_is_partial),
        scenario!(GROUP, Core, content_range_open_ended_is_partial),
        scenario!(GROUP, Core, content_range_suffix_is_partial),
        scenario!(GROUP, Core, content_range_end_past_end_is_cut),
        scenario!(GROUP, Core, content_range_start_past_end_is_unsatisfiable),
        // The older server ignored these ranges and sent the whole content.
        scenario!(
            GROUP,
            Strict,
            content_range_suffix_longer_than_content_is_whole
        ),
        scenario!(GROUP, Strict, content_range_inverted_is_unsatisfiable),
        scenario!(GROUP, Strict, content_range_malformed_is_unsatisfiable),
        scenario!(GROUP, Strict, content_download_sets_validators),
        scenario!(
            GROUP,
            Strict,
            content_download_if_none_match_is_not_modified
        ),
        scenario!(
            GROUP,
            Strict,
            content_download_if_modified_since_is_not_modified
        ),
        scenario!(
            GROUP,
            Strict,
            content_download_if_range_decides_partial_or_whole
        ),
        scenario!(GROUP, Strict, content_download_never_runs_script),
        scenario!(GROUP, Ext, content_range_multiple_is_byteranges_or_whole),
    ]
}

fn content_path(id: &str) -> String {
    format!("/files/{id}/content")
}

/// A share named `file_name` holding `bytes`, owned by a fresh user.
async fn stored(ctx: &Ctx, file_name: &str, bytes: &[u8]) -> Result<String, Failure> {
    let owner = ctx.user(&[Perm::Create]).await?;
    ctx.share_with(Some(&owner), file_name, bytes).await
}

async fn download(ctx: &Ctx, id: &str, headers: &[(&str, &str)]) -> Result<Reply, Failure> {
    let mut call = ctx.get(content_path(id)).by(ctx.root());
    for (name, value) in headers {
        call = call.header(name, value);
    }
    call.send().await
}

fn expect_header(reply: &Reply, name: &str, expected: &str) -> Result<(), Failure> {
    let actual = reply.header(name);
    ensure(actual.as_deref() == Some(expected), || {
        reply.fail_header(name, format!("{name}: {expected}"))
    })
}

async fn content_download_returns_exact_bytes(ctx: Ctx) -> Outcome {
    let bytes = random_bytes(10_000);
    let id = stored(&ctx, &format!("{}.bin", ctx.name("x")), &bytes).await?;
    let reply = download(&ctx, &id, &[]).await?.expect(200)?;
    check_bytes(&reply, &bytes)?;
    expect_header(&reply, "content-length", "10000")?;
    Ok(())
}

/// The `Content-Disposition` of a download of a share named `file_name`.
async fn disposition(ctx: &Ctx, file_name: &str) -> Result<(Reply, String), Failure> {
    let id = stored(ctx, file_name, b"named").await?;
    let reply = download(ctx, &id, &[]).await?.expect(200)?;
    let value = reply.header("content-disposition").unwrap_or_default();
    Ok((reply, value))
}

async fn content_download_disposition_has_plain_filename(ctx: Ctx) -> Outcome {
    let (reply, value) = disposition(&ctx, "content.bin").await?;
    ensure(
        value
            .split("; ")
            .any(|element| element == "filename=content.bin"),
        || reply.fail_header("Content-Disposition", "an element filename=content.bin"),
    )?;
    Ok(())
}

async fn content_download_disposition_encodes_non_ascii_name(ctx: Ctx) -> Outcome {
    let name = "r\u{e9}sum\u{e9} \u{2713}.txt";
    let (reply, value) = disposition(&ctx, name).await?;
    ensure(extended_filename(&value).as_deref() == Some(name), || {
        reply.fail_header(
            "Content-Disposition",
            format!("filename*=UTF-8''<{name} percent-encoded>"),
        )
    })?;
    Ok(())
}

async fn content_download_disposition_quotes_name_with_space(ctx: Ctx) -> Outcome {
    let name = "my file;1.txt";
    let (reply, value) = disposition(&ctx, name).await?;
    let quoted = value.contains(&format!("filename=\"{name}\""));
    ensure(
        quoted && extended_filename(&value).as_deref() == Some(name),
        || {
            reply.fail_header(
                "Content-Disposition",
                format!("filename=\"{name}\" and filename*=UTF-8''<percent-encoded>"),
            )
        },
    )?;
    Ok(())
}

/// The decoded `filename*=UTF-8''...` parameter of a disposition value.
pub fn extended_filename(value: &str) -> Option<String> {
    let start = value.find("filename*=")? + "filename*=".len();
    let encoded = value[start..].split(';').next()?.trim();
    let (charset, rest) = encoded.split_once('\'')?;
    let (_language, text) = rest.split_once('\'')?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    String::from_utf8(percent_decode(text)?).ok()
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    Some(out)
}

async fn share_file_name_cannot_inject_header(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create, Perm::Modify]).await?;
    let id = ctx
        .share_with(Some(&owner), &format!("{}.txt", ctx.name("i")), b"safe")
        .await?;
    let evil = json!({"file_name": "evil.txt\r\nX-Injected: yes"});
    let reply = ctx
        .patch(format!("/files/{id}"))
        .by(&owner)
        .json(evil)
        .send()
        .await?;
    let reply = reply.expect_any(&[200, 400])?;
    if reply.status == 400 {
        return Ok(());
    }
    let download = download(&ctx, &id, &[]).await?.expect(200)?;
    ensure(download.header("x-injected").is_none(), || {
        download.fail_header("X-Injected", "no header injected through the file name")
    })?;
    Ok(())
}

async fn content_download_content_type_follows_name(ctx: Ctx) -> Outcome {
    let text = stored(&ctx, &format!("{}.txt", ctx.name("t")), b"plain text").await?;
    let reply = download(&ctx, &text, &[]).await?.expect(200)?;
    let content_type = reply.header("content-type").unwrap_or_default();
    ensure(content_type.starts_with("text/plain"), || {
        reply.fail_header("Content-Type", "Content-Type text/plain for a .txt name")
    })?;
    let odd = stored(&ctx, &format!("{}.sachetnoext", ctx.name("o")), b"\x00\x01").await?;
    let reply = download(&ctx, &odd, &[]).await?.expect(200)?;
    expect_header(&reply, "content-type", "application/octet-stream")?;
    Ok(())
}

async fn content_download_accepts_byte_ranges(ctx: Ctx) -> Outcome {
    let id = stored(&ctx, &format!("{}.bin", ctx.name("a")), b"ranges").await?;
    let reply = download(&ctx, &id, &[]).await?.expect(200)?;
    expect_header(&reply, "accept-ranges", "bytes")?;
    Ok(())
}

async fn content_head_returns_headers_without_body(ctx: Ctx) -> Outcome {
    let bytes = random_bytes(1234);
    let id = stored(&ctx, &format!("{}.bin", ctx.name("h")), &bytes).await?;
    let reply = ctx
        .call(Method::HEAD, content_path(&id))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    expect_header(&reply, "content-length", "1234")?;
    ensure(reply.body.is_empty(), || {
        reply.fail("an empty body for HEAD")
    })?;
    Ok(())
}

async fn content_download_uninitialized_is_not_found(ctx: Ctx) -> Outcome {
    let owner = ctx.user(&[Perm::Create]).await?;
    let id = ctx.share(Some(&owner)).await?;
    not_found(ctx.get(content_path(&id)).by(ctx.root())).await?;
    Ok(())
}

async fn content_download_without_read_is_forbidden(ctx: Ctx) -> Outcome {
    let perms = PermSet::all()
        .without(Perm::Admin)
        .without(Perm::Read)
        .perms();
    let user = ctx.user(&perms).await?;
    let id = ctx
        .share_with(Some(&user), &format!("{}.bin", ctx.name("n")), b"secret")
        .await?;
    forbidden(ctx.get(content_path(&id)).by(&user)).await?;
    Ok(())
}

/// Sends `Range: header` for a 100-byte share and checks the answer the
/// contract gives for it.
async fn check_range(ctx: &Ctx, header: &str) -> Result<(), Failure> {
    let bytes: Vec<u8> = (0..100).collect();
    let id = stored(ctx, &format!("{}.bin", ctx.name("rg")), &bytes).await?;
    let answer = expected_answer(header, bytes.len() as u64);
    let reply = download(ctx, &id, &[("Range", header)]).await?;
    let reply = reply.expect_any(answer.status())?;
    if let Some(content_range) = answer.content_range(bytes.len() as u64) {
        expect_header(&reply, "content-range", &content_range)?;
    }
    if let RangeAnswer::Partial { first, last } = answer {
        check_bytes(&reply, &bytes[first as usize..=last as usize])?;
    }
    Ok(())
}

async fn content_range_closed_is_partial(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=2-5").await?;
    check_range(&ctx, "bytes=0-0").await?;
    Ok(())
}

async fn content_range_open_ended_is_partial(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=90-").await?;
    Ok(())
}

async fn content_range_suffix_is_partial(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=-7").await?;
    Ok(())
}

async fn content_range_end_past_end_is_cut(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=95-5000").await?;
    Ok(())
}

async fn content_range_start_past_end_is_unsatisfiable(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=100-").await?;
    check_range(&ctx, "bytes=150-200").await?;
    Ok(())
}

async fn content_range_suffix_longer_than_content_is_whole(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=-500").await?;
    Ok(())
}

async fn content_range_inverted_is_unsatisfiable(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=9-3").await?;
    Ok(())
}

async fn content_range_malformed_is_unsatisfiable(ctx: Ctx) -> Outcome {
    check_range(&ctx, "bytes=-1-0").await?;
    check_range(&ctx, "bytes=abc").await?;
    Ok(())
}

async fn validators(ctx: &Ctx) -> Result<(String, String, String), Failure> {
    let id = stored(ctx, &format!("{}.bin", ctx.name("v")), b"validated content").await?;
    let reply = download(ctx, &id, &[]).await?.expect(200)?;
    let etag = reply
        .header("etag")
        .ok_or_else(|| reply.fail_header("ETag", "an ETag header"))?;
    let modified = reply
        .header("last-modified")
        .ok_or_else(|| reply.fail_header("Last-Modified", "a Last-Modified header"))?;
    Ok((id, etag, modified))
}

async fn content_download_sets_validators(ctx: Ctx) -> Outcome {
    validators(&ctx).await?;
    Ok(())
}

async fn content_download_if_none_match_is_not_modified(ctx: Ctx) -> Outcome {
    let (id, etag, _) = validators(&ctx).await?;
    download(&ctx, &id, &[("If-None-Match", &etag)])
        .await?
        .expect(304)?;
    let other = download(&ctx, &id, &[("If-None-Match", "\"sachetconf-other\"")]).await?;
    other.expect(200)?;
    Ok(())
}

async fn content_download_if_modified_since_is_not_modified(ctx: Ctx) -> Outcome {
    let (id, _, modified) = validators(&ctx).await?;
    download(&ctx, &id, &[("If-Modified-Since", &modified)])
        .await?
        .expect(304)?;
    let old = "Mon, 01 Jan 2001 00:00:00 GMT";
    download(&ctx, &id, &[("If-Modified-Since", old)])
        .await?
        .expect(200)?;
    Ok(())
}

async fn content_download_if_range_decides_partial_or_whole(ctx: Ctx) -> Outcome {
    let (id, etag, _) = validators(&ctx).await?;
    let fresh = download(&ctx, &id, &[("Range", "bytes=0-4"), ("If-Range", &etag)]).await?;
    check_bytes(&fresh.expect(206)?, b"valid")?;
    let stale = [("Range", "bytes=0-4"), ("If-Range", "\"sachetconf-stale\"")];
    let whole = download(&ctx, &id, &stale).await?.expect(200)?;
    check_bytes(&whole, b"validated content")?;
    Ok(())
}

async fn content_download_never_runs_script(ctx: Ctx) -> Outcome {
    let plain = stored(&ctx, &format!("{}.bin", ctx.name("p")), b"data").await?;
    let reply = download(&ctx, &plain, &[]).await?.expect(200)?;
    expect_header(&reply, "x-content-type-options", "nosniff")?;
    let active: [(&str, &[u8]); 4] = [
        ("html", b"<script>alert(1)</script>"),
        (
            "svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        ),
        ("xml", b"<?xml version=\"1.0\"?><a/>"),
        ("js", b"alert(1)"),
    ];
    for (extension, bytes) in active {
        let id = stored(&ctx, &format!("{}.{extension}", ctx.name("act")), bytes).await?;
        let reply = download(&ctx, &id, &[]).await?.expect(200)?;
        expect_header(&reply, "x-content-type-options", "nosniff")?;
        let sandboxed = reply
            .header("content-security-policy")
            .is_some_and(|policy| policy.to_ascii_lowercase().contains("sandbox"));
        let attachment = reply.header("content-disposition").is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("attachment")
        });
        ensure(sandboxed || attachment, || {
            reply.fail_header(
                "Content-Security-Policy",
                format!(
                    "Content-Security-Policy: sandbox or an attachment disposition for .{extension}"
                ),
            )
        })?;
    }
    Ok(())
}

async fn content_range_multiple_is_byteranges_or_whole(ctx: Ctx) -> Outcome {
    let bytes: Vec<u8> = b"0123456789abcdefghij".to_vec();
    let id = stored(&ctx, &format!("{}.bin", ctx.name("mr")), &bytes).await?;
    let reply = download(&ctx, &id, &[("Range", "bytes=0-1,5-6")])
        .await?
        .expect_any(&[200, 206])?;
    if reply.status == 200 {
        return Ok(check_bytes(&reply, &bytes)?);
    }
    let content_type = reply.header("content-type").unwrap_or_default();
    let body = String::from_utf8_lossy(&reply.body);
    let parts_present = body.contains("bytes 0-1/20") && body.contains("bytes 5-6/20");
    ensure(
        content_type.starts_with("multipart/byteranges") && parts_present,
        || reply.fail("206 multipart/byteranges with parts bytes 0-1/20 and 5-6/20"),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_filename_decodes_the_rfc_6266_form() {
        let value = "inline; filename=\"r?sum?.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt";
        assert_eq!(
            extended_filename(value).as_deref(),
            Some("r\u{e9}sum\u{e9}.txt")
        );
        assert_eq!(extended_filename("inline; filename=a.txt"), None);
        assert_eq!(extended_filename("inline; filename*=latin1''a"), None);
        assert_eq!(extended_filename("inline; filename*=UTF-8''%zz"), None);
    }
}
