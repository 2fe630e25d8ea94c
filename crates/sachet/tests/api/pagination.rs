//! Pagination of shares and users.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Actor, TestApp, expect_error, expect_json};

async fn page(actor: &Actor, path: &str, page: u64, per_page: u64) -> Value {
    let url = format!("{path}?page={page}&per_page={per_page}");
    expect_json(actor.get(&url).send().await.unwrap(), StatusCode::OK).await
}

/// Walks every page forwards and backwards, checking the links, and returns
/// the ids seen going forwards.
async fn walk(actor: &Actor, path: &str, per_page: u64, key: &str) -> Vec<String> {
    let first = page(actor, path, 1, per_page).await;
    let pages = first["pages"].as_u64().unwrap();
    let mut seen = Vec::new();
    let mut current = 1;
    let mut body = first;
    loop {
        assert_eq!(body["pages"].as_u64(), Some(pages));
        assert_eq!(body["prev"].as_u64(), (current > 1).then(|| current - 1));
        assert!(body["data"].as_array().unwrap().len() as u64 <= per_page);
        seen.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item[key].as_str().unwrap().to_owned()),
        );
        match body["next"].as_u64() {
            Some(next) => {
                assert_eq!(next, current + 1);
                current = next;
                body = page(actor, path, current, per_page).await;
            }
            None => break,
        }
    }
    assert_eq!(current, pages.max(1));
    let mut backwards = Vec::new();
    for number in (1..=pages).rev() {
        let body = page(actor, path, number, per_page).await;
        let ids: Vec<String> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[key].as_str().unwrap().to_owned())
            .collect();
        backwards.splice(0..0, ids);
    }
    assert_eq!(backwards, seen, "walking backwards sees the same order");
    seen
}

#[tokio::test]
async fn walking_shares_shows_each_once_in_creation_order() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut created = Vec::new();
    for n in 0..23 {
        let share = admin.create_share(&format!("f{n}")).await;
        created.push(share.trim_start_matches("/files/").to_owned());
    }
    for per_page in [1, 5, 10, 23, 100] {
        let seen = walk(&admin, "/files", per_page, "share_id").await;
        assert_eq!(seen, created, "per_page {per_page}");
    }
    let body = page(&admin, "/files", 3, 10).await;
    assert_eq!(
        (body["pages"].as_u64(), body["total"].as_u64()),
        (Some(3), Some(23))
    );
    assert_eq!(body["next"], Value::Null);
    expect_error(
        admin.get("/files?page=4&per_page=10").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn walking_users_shows_each_once() {
    let app = TestApp::spawn().await;
    for n in 0..7 {
        app.user(&format!("user{n}"), &[]).await;
    }
    let admin = app.admin().await;
    let seen = walk(&admin, "/users", 3, "username").await;
    assert_eq!(seen.len(), 8);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 8);
    assert_eq!(seen[0], "admin");
}

#[tokio::test]
async fn an_empty_list_has_an_empty_first_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = page(&admin, "/files", 1, 15).await;
    assert_eq!(body["data"], serde_json::json!([]));
    assert_eq!(body["pages"], 0);
    assert_eq!(body["prev"], Value::Null);
    assert_eq!(body["next"], Value::Null);
    expect_error(
        admin.get("/files?page=2").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn bad_page_parameters_are_bad_requests() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for query in [
        "page=0",
        "page=-1",
        "page=x",
        "per_page=0",
        "per_page=1.5",
        "page=",
        "per_page=abc",
    ] {
        for path in ["/files", "/users"] {
            let response = admin.get(&format!("{path}?{query}")).send().await.unwrap();
            expect_error(response, StatusCode::BAD_REQUEST).await;
        }
    }
}

#[tokio::test]
async fn large_pages_are_clamped_to_the_maximum() {
    let app = TestApp::spawn_with(&[("SACHET_MAX_PER_PAGE", "4")]).await;
    let admin = app.admin().await;
    for n in 0..6 {
        admin.create_share(&format!("f{n}")).await;
    }
    let body = page(&admin, "/files", 1, 1000).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 4);
    assert_eq!(body["pages"], 2);
    // Defaults: page 1, 15 per page (clamped to 4 here).
    let body = expect_json(admin.get("/files").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn permission_comes_before_parameter_checks() {
    let app = TestApp::spawn().await;
    let response = app.anonymous().get("/files?page=x").send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
}
