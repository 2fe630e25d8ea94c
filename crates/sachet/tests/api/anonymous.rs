//! Anonymous callers: allowed exactly when the anonymous permissions allow.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, expect_error, expect_json, status_of};

#[tokio::test]
async fn anonymous_callers_need_the_anonymous_permissions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let anonymous = app.anonymous();
    let share = admin.share_with("a.txt", b"hello").await;

    let attempts = [
        (Method::POST, "/files".to_owned()),
        (Method::GET, "/files".to_owned()),
        (Method::GET, share.clone()),
        (Method::GET, format!("{share}/content")),
        (Method::POST, format!("{share}/lock")),
        (Method::DELETE, share.clone()),
        (Method::GET, "/users".to_owned()),
        (Method::GET, "/admin/settings".to_owned()),
    ];
    for (method, path) in &attempts {
        let response = anonymous
            .request(method.clone(), path)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED).await;
    }

    app.set_anonymous(&["CREATE", "LIST", "READ", "LOCK"]).await;
    expect_json(
        anonymous.post("/files").send().await.unwrap(),
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        anonymous.get("/files").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_json(anonymous.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(anonymous.download(&share).await, b"hello");
    expect_json(
        anonymous
            .post(&format!("{share}/lock"))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_json(
        anonymous
            .post(&format!("{share}/unlock"))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    // Still no DELETE, no ADMIN.
    expect_error(
        anonymous.delete(&share).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        anonymous.get("/users").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Taking the permissions back applies at once.
    app.set_anonymous(&[]).await;
    assert_eq!(
        status_of(anonymous.get("/files")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn anonymous_shares_belong_to_every_anonymous_caller() {
    let app = TestApp::spawn().await;
    app.set_anonymous(&["CREATE", "MODIFY", "READ"]).await;
    let anonymous = app.anonymous();
    let share = anonymous.share_with("anon.txt", b"one").await;
    let body = expect_json(anonymous.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["owner_name"], serde_json::Value::Null);

    anonymous.upload(Method::PUT, &share, b"two", 10).await;
    assert_eq!(anonymous.download(&share).await, b"two");
    let rename = json!({"file_name": "renamed.txt"});
    expect_json(
        anonymous.patch(&share).json(&rename).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;

    // A signed-in user is not the owner of an anonymous share.
    let alice = app.user("alice", &["MODIFY", "READ"]).await;
    expect_error(
        alice.patch(&share).json(&rename).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn anonymous_admins_manage_users_and_settings() {
    let app = TestApp::spawn().await;
    app.set_anonymous(&["ADMIN"]).await;
    let anonymous = app.anonymous();
    let body = json!({"username": "eve", "password": "pw", "permissions": ["READ"]});
    expect_json(
        anonymous.post("/users").json(&body).send().await.unwrap(),
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        anonymous.get("/users").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_json(
        anonymous.get("/admin/settings").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    // The per-user routes stay closed to anonymous callers.
    expect_error(
        anonymous.get("/users/eve").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        anonymous.delete("/users/eve").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
