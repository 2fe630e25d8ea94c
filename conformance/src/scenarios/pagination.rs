//! Group 14, pagination: `GET /files` and `GET /users` in pages whose
//! `pages`, `next` and `prev` agree, walked both ways with each item seen
//! once. Walks need a quiet server, so they run alone.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::support::{bad_request, forbidden, not_found};
use crate::failure::{Failure, Outcome, ensure};
use crate::http::Reply;
use crate::perm::{Perm, PermSet};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::Ctx;

const GROUP: Group = Group::Pagination;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, share_list_walks_each_share_once).alone(),
        scenario!(GROUP, Core, user_list_walks_each_user_once).alone(),
        scenario!(GROUP, Core, share_list_page_past_last_is_not_found).alone(),
        scenario!(GROUP, Core, share_list_defaults_to_fifteen_per_page).alone(),
        scenario!(GROUP, Core, share_list_non_integer_parameter_is_bad_request),
        scenario!(GROUP, Core, share_list_without_list_is_forbidden),
        // The older server answered 404 for values below 1.
        scenario!(GROUP, Strict, share_list_parameter_below_one_is_bad_request),
        scenario!(GROUP, Strict, share_list_huge_per_page_is_clamped).alone(),
        scenario!(GROUP, Ext, share_list_reports_total).alone(),
    ]
}

/// What a full walk of a listing saw.
#[derive(Debug, Default)]
struct Walk {
    pages: u64,
    forward: Vec<String>,
    backward: Vec<String>,
    first_page: Option<Value>,
}

async fn page(
    ctx: &Ctx,
    path: &str,
    number: u64,
    per_page: u64,
) -> Result<(Reply, Value), Failure> {
    let reply = ctx
        .get(format!("{path}?page={number}&per_page={per_page}"))
        .by(ctx.root())
        .send()
        .await?
        .expect(200)?;
    let body = reply.json()?;
    Ok((reply, body))
}

/// Checks one page's `prev`, `next`, `pages` and size; returns its keys.
fn check_page(
    reply: &Reply,
    body: &Value,
    number: u64,
    per_page: u64,
    pages: u64,
    key: &str,
) -> Result<Vec<String>, Failure> {
    let data = body["data"]
        .as_array()
        .ok_or_else(|| reply.fail("a \"data\" array"))?;
    let expected_prev = if number > 1 {
        Value::from(number - 1)
    } else {
        Value::Null
    };
    let expected_next = if number < pages {
        Value::from(number + 1)
    } else {
        Value::Null
    };
    let full = number < pages;
    let size_ok = if full {
        data.len() as u64 == per_page
    } else {
        data.len() as u64 <= per_page
    };
    let consistent = body["prev"] == expected_prev
        && body["next"] == expected_next
        && body["pages"] == pages
        && size_ok;
    ensure(consistent, || {
        reply.fail(format!(
            "page {number} of {pages}: prev {expected_prev}, next {expected_next}, {} items",
            if full {
                format!("{per_page}")
            } else {
                format!("at most {per_page}")
            }
        ))
    })?;
    Ok(data
        .iter()
        .filter_map(|item| item[key].as_str().map(String::from))
        .collect())
}

async fn walk(ctx: &Ctx, path: &str, per_page: u64, key: &str) -> Result<Walk, Failure> {
    let (reply, first) = page(ctx, path, 1, per_page).await?;
    let pages = first["pages"]
        .as_u64()
        .ok_or_else(|| reply.fail("a numeric \"pages\""))?;
    let mut result = Walk {
        pages,
        first_page: Some(first.clone()),
        ..Walk::default()
    };
    result.forward = check_page(&reply, &first, 1, per_page, pages, key)?;
    for number in 2..=pages {
        let (reply, body) = page(ctx, path, number, per_page).await?;
        result
            .forward
            .extend(check_page(&reply, &body, number, per_page, pages, key)?);
    }
    for number in (1..=pages).rev() {
        let (reply, body) = page(ctx, path, number, per_page).await?;
        let mut keys = check_page(&reply, &body, number, per_page, pages, key)?;
        keys.reverse();
        result.backward.extend(keys);
    }
    result.backward.reverse();
    Ok(result)
}

/// Fails unless the walk saw every item once, the same way both ways, and
/// every one of `ours` among them.
fn check_walk(walk: &Walk, ours: &[String], per_page: u64, path: &str) -> Result<(), Failure> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for key in &walk.forward {
        *counts.entry(key).or_default() += 1;
    }
    let duplicates: Vec<&&str> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k)
        .collect();
    let missing: Vec<&String> = ours
        .iter()
        .filter(|key| !counts.contains_key(key.as_str()))
        .collect();
    let expected_pages = (walk.forward.len() as u64).div_ceil(per_page);
    let request = format!(
        "GET {path}?page=1..{}&per_page={per_page} as root",
        walk.pages
    );
    ensure(duplicates.is_empty() && missing.is_empty(), || {
        Failure::new("each item exactly once, the suite's own items included")
            .with_request(request.clone())
            .with_actual(format!("duplicates {duplicates:?}, missing {missing:?}"))
    })?;
    ensure(walk.forward == walk.backward, || {
        Failure::new("the same items in the same order walking backwards")
            .with_request(request.clone())
    })?;
    ensure(walk.pages == expected_pages, || {
        Failure::new(format!(
            "\"pages\": {expected_pages} for {} items",
            walk.forward.len()
        ))
        .with_request(request.clone())
        .with_actual(format!("\"pages\": {}", walk.pages))
    })
}

async fn make_shares(ctx: &Ctx, count: usize) -> Result<Vec<String>, Failure> {
    let owner = ctx.user(&[Perm::Create]).await?;
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.push(ctx.share(Some(&owner)).await?);
    }
    Ok(ids)
}

async fn share_list_walks_each_share_once(ctx: Ctx) -> Outcome {
    let ours = make_shares(&ctx, 7).await?;
    for per_page in [3, 100] {
        let walk = walk(&ctx, "/files", per_page, "share_id").await?;
        check_walk(&walk, &ours, per_page, "/files")?;
    }
    Ok(())
}

async fn user_list_walks_each_user_once(ctx: Ctx) -> Outcome {
    let mut ours = Vec::new();
    for _ in 0..4 {
        ours.push(ctx.user(&[]).await?.name);
    }
    let walk = walk(&ctx, "/users", 2, "username").await?;
    check_walk(&walk, &ours, 2, "/users")?;
    Ok(())
}

async fn share_list_page_past_last_is_not_found(ctx: Ctx) -> Outcome {
    make_shares(&ctx, 1).await?;
    let (reply, first) = page(&ctx, "/files", 1, 5).await?;
    let pages = first["pages"]
        .as_u64()
        .ok_or_else(|| reply.fail("a numeric \"pages\""))?;
    let path = format!("/files?page={}&per_page=5", pages + 1);
    not_found(ctx.get(path).by(ctx.root())).await?;
    Ok(())
}

async fn share_list_defaults_to_fifteen_per_page(ctx: Ctx) -> Outcome {
    make_shares(&ctx, 16).await?;
    let reply = ctx.get("/files").by(ctx.root()).send().await?.expect(200)?;
    let body = reply.json()?;
    let count = body["data"].as_array().map_or(0, Vec::len);
    ensure(count == 15 && body["next"] == 2, || {
        reply.fail("15 items and \"next\": 2 on the default first page of 16 or more shares")
    })?;
    Ok(())
}

async fn share_list_non_integer_parameter_is_bad_request(ctx: Ctx) -> Outcome {
    for path in ["/files", "/users"] {
        for query in ["page=abc", "per_page=x", "page=1.5"] {
            bad_request(ctx.get(format!("{path}?{query}")).by(ctx.root())).await?;
        }
    }
    Ok(())
}

async fn share_list_without_list_is_forbidden(ctx: Ctx) -> Outcome {
    let user = ctx
        .user(&PermSet::all().without(Perm::List).perms())
        .await?;
    forbidden(ctx.get("/files").by(&user)).await?;
    Ok(())
}

async fn share_list_parameter_below_one_is_bad_request(ctx: Ctx) -> Outcome {
    for path in ["/files", "/users"] {
        for query in ["page=0", "page=-1", "per_page=0", "per_page=-5"] {
            bad_request(ctx.get(format!("{path}?{query}")).by(ctx.root())).await?;
        }
    }
    Ok(())
}

async fn share_list_huge_per_page_is_clamped(ctx: Ctx) -> Outcome {
    make_shares(&ctx, 2).await?;
    let (reply, body) = page(&ctx, "/files", 1, 1_000_000).await?;
    let count = body["data"].as_array().map_or(0, Vec::len) as u64;
    let pages = body["pages"].as_u64().unwrap_or(0);
    ensure((2..=1_000_000).contains(&count) && pages >= 1, || {
        reply.fail("200 with the page clamped to the server's maximum, not an error")
    })?;
    if pages > 1 {
        let walk = walk(&ctx, "/files", count, "share_id").await?;
        check_walk(&walk, &[], count, "/files")?;
    }
    Ok(())
}

async fn share_list_reports_total(ctx: Ctx) -> Outcome {
    make_shares(&ctx, 3).await?;
    let walk = walk(&ctx, "/files", 50, "share_id").await?;
    let first = walk.first_page.unwrap_or_default();
    let unique: BTreeSet<&String> = walk.forward.iter().collect();
    ensure(first["total"] == unique.len(), || {
        Failure::new(format!("\"total\": {} (the items walked)", unique.len()))
            .with_request("GET /files?page=1&per_page=50 as root")
            .with_actual(format!("\"total\": {}", first["total"]))
    })?;
    Ok(())
}
