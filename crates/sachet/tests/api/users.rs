//! User accounts, settings and whoami.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, expect_error, expect_json, status_of};

#[tokio::test]
async fn users_read_themselves_and_admins_read_anyone() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["READ", "CREATE"]).await;
    app.user("bob", &[]).await;
    let me = expect_json(
        alice.get("/users/alice").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["permissions"], json!(["CREATE", "READ"]));
    assert!(me["register_date"].as_str().unwrap().ends_with('Z'));
    assert!(me.get("password").is_none() && me.get("password_hash").is_none());

    let message = expect_error(
        alice.get("/users/bob").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(message, "You are not authorized to view this page.");
    // A user that does not exist looks the same: no enumeration.
    expect_error(
        alice.get("/users/nobody").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let admin = app.admin().await;
    expect_error(
        admin.get("/users/nobody").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let bob = expect_json(
        admin.get("/users/bob").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(bob["permissions"], json!([]));
    expect_error(
        app.anonymous().get("/users/alice").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn creating_a_user_answers_its_url() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let response = admin
        .post("/users")
        .json(&json!({"username": "carol", "password": "pw", "permissions": ["READ", "CREATE", "READ"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/users/carol");
    let body = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(body, json!({"status": "success", "url": "/users/carol"}));
    let carol = expect_json(
        admin.get("/users/carol").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(carol["permissions"], json!(["CREATE", "READ"]));

    let spaced = admin
        .post("/users")
        .json(&json!({"username": "d e?f", "password": "pw", "permissions": []}))
        .send()
        .await
        .unwrap();
    let body = expect_json(spaced, StatusCode::CREATED).await;
    assert_eq!(body["url"], "/users/d%20e%3Ff");
    expect_json(
        admin.get("/users/d%20e%3Ff").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn bad_new_users_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user("taken", &[]).await;
    let cases = [
        (
            json!({"username": "taken", "password": "pw", "permissions": []}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"password": "pw", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "x", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "x", "password": "pw"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "x", "password": "pw", "permissions": ["FLY"]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "x", "password": "pw", "permissions": "READ"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "", "password": "pw", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "a/b", "password": "pw", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "a\nb", "password": "pw", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "x".repeat(65), "password": "pw", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": "x", "password": "", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"username": 7, "password": "pw", "permissions": []}),
            StatusCode::BAD_REQUEST,
        ),
        (json!(["x"]), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let response = admin.post("/users").json(&body).send().await.unwrap();
        expect_error(response, status).await;
    }
    for reserved in ["login", "extend", "logout", "password"] {
        let body = json!({"username": reserved, "password": "pw", "permissions": []});
        expect_error(
            admin.post("/users").json(&body).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

#[tokio::test]
async fn only_admins_manage_users() {
    let app = TestApp::spawn().await;
    let alice = app
        .user(
            "alice",
            &["CREATE", "MODIFY", "DELETE", "LOCK", "LIST", "READ"],
        )
        .await;
    let body = json!({"username": "x", "password": "pw", "permissions": []});
    expect_error(
        alice.post("/users").json(&body).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        alice.get("/users").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let patch = json!({"permissions": ["ADMIN"]});
    expect_error(
        alice
            .patch("/users/alice")
            .json(&patch)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let put = json!({"username": "alice", "permissions": ["ADMIN"]});
    expect_error(
        alice.put("/users/alice").json(&put).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        alice.delete("/users/admin").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        app.anonymous().delete("/users/alice").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn patching_a_user_changes_only_the_given_fields() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user("alice", &["READ"]).await;
    let response = admin
        .patch("/users/alice")
        .json(&json!({"permissions": ["LIST", "READ"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        json!({"status": "success"})
    );
    let alice = expect_json(
        admin.get("/users/alice").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(alice["permissions"], json!(["LIST", "READ"]));
    app.login("alice", "alicealice").await;

    let response = admin
        .patch("/users/alice")
        .json(&json!({"password": "changed"}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    app.login("alice", "changed").await;

    // The read-only register date is accepted unchanged only.
    let same = json!({"register_date": alice["register_date"]});
    expect_json(
        admin
            .patch("/users/alice")
            .json(&same)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let other = json!({"register_date": "2001-01-01T00:00:00Z"});
    let message = expect_error(
        admin
            .patch("/users/alice")
            .json(&other)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("register_date"), "{message}");
}

#[tokio::test]
async fn patching_refuses_unknown_users_bad_bodies_and_taken_names() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user("alice", &[]).await;
    app.user("bob", &[]).await;
    let body = json!({"permissions": []});
    expect_error(
        admin
            .patch("/users/nobody")
            .json(&body)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    for bad in [
        json!("hello"),
        json!({"permissions": ["FLY"]}),
        json!({"username": "login"}),
        json!({"username": 3}),
    ] {
        expect_error(
            admin.patch("/users/alice").json(&bad).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let taken = json!({"username": "bob"});
    expect_error(
        admin
            .patch("/users/alice")
            .json(&taken)
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn replacing_a_user_needs_name_and_permissions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.user("alice", &["READ"]).await;
    for bad in [json!({"permissions": []}), json!({"username": "alice"})] {
        expect_error(
            admin.put("/users/alice").json(&bad).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let whole = json!({"username": "alice", "permissions": ["CREATE"]});
    expect_json(
        admin.put("/users/alice").json(&whole).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let alice = expect_json(
        admin.get("/users/alice").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(alice["permissions"], json!(["CREATE"]));
    // The password was kept.
    app.login("alice", "alicealice").await;
    expect_error(
        admin
            .put("/users/nobody")
            .json(&whole)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_rename_moves_the_users_shares() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.user("alice", &["CREATE", "READ"]).await;
    let share = alice.create_share("a.txt").await;
    expect_json(
        admin
            .patch("/users/alice")
            .json(&json!({"username": "alicia"}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let body = expect_json(admin.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["owner_name"], "alicia");
}

#[tokio::test]
async fn deleting_a_user_keeps_its_shares_without_owner() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.user("alice", &["CREATE", "READ"]).await;
    let share = alice.create_share("a.txt").await;
    expect_error(
        admin.delete("/users/nobody").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_json(
        admin.delete("/users/alice").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let body = expect_json(admin.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["owner_name"], serde_json::Value::Null);
    assert_eq!(
        status_of(alice.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    expect_error(
        admin.delete("/users/alice").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn whoami_names_users_and_the_anonymous_caller() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["READ", "CREATE"]).await;
    let me = expect_json(alice.get("/whoami").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(
        me,
        json!({"username": "alice", "permissions": ["CREATE", "READ"]})
    );
    let anonymous = expect_json(
        app.anonymous().get("/whoami").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(anonymous, json!({"username": null, "permissions": []}));
    app.set_anonymous(&["READ", "LIST"]).await;
    let anonymous = expect_json(
        app.anonymous().get("/whoami").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(anonymous["permissions"], json!(["LIST", "READ"]));
}

#[tokio::test]
async fn settings_hold_the_anonymous_permissions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let fresh = expect_json(
        admin.get("/admin/settings").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(fresh, json!({"default_permissions": []}));

    let patch = json!({"default_permissions": ["READ", "CREATE"]});
    assert_eq!(
        expect_json(
            admin
                .patch("/admin/settings")
                .json(&patch)
                .send()
                .await
                .unwrap(),
            StatusCode::OK
        )
        .await,
        json!({"status": "success"})
    );
    let now = expect_json(
        admin.get("/admin/settings").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(now["default_permissions"], json!(["CREATE", "READ"]));
    // An empty patch changes nothing; PUT needs every field.
    expect_json(
        admin
            .patch("/admin/settings")
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_error(
        admin
            .put("/admin/settings")
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    for bad in [
        json!("hello"),
        json!([]),
        json!({"default_permissions": ["FLY"]}),
        json!({"default_permissions": "READ"}),
    ] {
        expect_error(
            admin
                .patch("/admin/settings")
                .json(&bad)
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        expect_error(
            admin
                .put("/admin/settings")
                .json(&bad)
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }

    let alice = app.user("alice", &["READ"]).await;
    expect_error(
        alice.get("/admin/settings").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        alice
            .put("/admin/settings")
            .json(&patch)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        app.anonymous().get("/admin/settings").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
