//! Logging in, tokens, logging out and passwords.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, TestApp, expect_error, expect_json, status_of};

#[tokio::test]
async fn login_answers_the_contract_fields() {
    let app = TestApp::spawn().await;
    let response = app
        .anonymous()
        .post("/users/login")
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let body = expect_json(response, StatusCode::OK).await;
    assert_eq!(body["status"], "success");
    assert_eq!(body["message"], "Logged in.");
    assert_eq!(body["username"], "admin");
    assert_eq!(body["auth_token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let anonymous = app.anonymous();
    let mut messages = Vec::new();
    for (username, password) in [("admin", "wrong"), ("nobody", "wrong"), ("admin", "")] {
        let response = anonymous
            .post("/users/login")
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        messages.push(expect_error(response, StatusCode::UNAUTHORIZED).await);
    }
    assert!(
        messages.iter().all(|m| m == "Invalid credentials."),
        "{messages:?}"
    );
}

#[tokio::test]
async fn login_bodies_that_are_not_objects_of_strings_are_bad_requests() {
    let app = TestApp::spawn().await;
    let anonymous = app.anonymous();
    let bodies = [
        "[]",
        "\"hello\"",
        "42",
        "null",
        "{",
        r#"{"username": "admin"}"#,
        r#"{"username": "admin", "password": 5}"#,
        r#"{"username": ["admin"], "password": "x"}"#,
    ];
    for body in bodies {
        let response = anonymous
            .post("/users/login")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST).await;
    }
    let missing = anonymous.post("/users/login").send().await.unwrap();
    expect_error(missing, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn the_bearer_scheme_word_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let token = app.admin().await.token().to_owned();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let response = app
            .http
            .get(format!("{}/whoami", app.base))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        let body = expect_json(response, StatusCode::OK).await;
        assert_eq!(body["username"], "admin");
    }
}

#[tokio::test]
async fn bad_credentials_are_refused_even_where_anonymous_callers_are_welcome() {
    let app = TestApp::spawn().await;
    app.set_anonymous(&["CREATE", "LIST", "READ"]).await;
    let admin = app.admin().await;
    let payload = admin.token().split('.').nth(1).unwrap().to_owned();
    let headers = [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Basic YWRtaW46eA==".to_owned(),
        "Bearer garbage".to_owned(),
        "Bearer a.b.c".to_owned(),
        // alg: none with the admin's claims and no signature.
        format!("Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."),
    ];
    for header in headers {
        for path in ["/whoami", "/files"] {
            let response = app
                .http
                .get(format!("{}{path}", app.base))
                .header("authorization", &header)
                .send()
                .await
                .unwrap();
            expect_error(response, StatusCode::UNAUTHORIZED).await;
        }
    }
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let one = TestApp::spawn().await;
    let other = TestApp::spawn().await;
    let foreign = other.admin().await.token().to_owned();
    let response = one
        .anonymous()
        .with_token(Some(&foreign))
        .get("/whoami")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn expired_tokens_are_refused_without_leeway() {
    let app = TestApp::spawn_with(&[("SACHET_TOKEN_TTL", "1s")]).await;
    let admin = app.admin().await;
    assert_eq!(status_of(admin.get("/whoami")).await, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let message = expect_error(
        admin.get("/whoami").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(message, "Token has expired.");
}

#[tokio::test]
async fn renewal_issues_a_new_token_and_keeps_the_old_one() {
    let app = TestApp::spawn().await;
    let old = app.admin().await;
    let body = expect_json(
        old.post("/users/extend").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["message"], "Renewed token.");
    assert_eq!(body["username"], "admin");
    let new_token = body["auth_token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, old.token());
    let new = old.with_token(Some(&new_token));
    assert_eq!(status_of(old.get("/whoami")).await, StatusCode::OK);
    assert_eq!(status_of(new.get("/whoami")).await, StatusCode::OK);

    // Each can be revoked on its own.
    let response = new
        .post("/users/logout")
        .json(&json!({"token": new_token}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    assert_eq!(
        status_of(new.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status_of(old.get("/whoami")).await, StatusCode::OK);
}

#[tokio::test]
async fn renewal_needs_a_token() {
    let app = TestApp::spawn().await;
    app.set_anonymous(&[
        "CREATE", "MODIFY", "DELETE", "LOCK", "LIST", "ADMIN", "READ",
    ])
    .await;
    let response = app.anonymous().post("/users/extend").send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn logout_revokes_a_token_everywhere_and_for_good() {
    let mut app = TestApp::spawn().await;
    let admin = app.admin().await;
    let victim = app.admin().await;
    let response = admin
        .post("/users/logout")
        .json(&json!({"token": victim.token()}))
        .send()
        .await
        .unwrap();
    let body = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        body,
        json!({"status": "success", "message": "Token revoked."})
    );
    for path in ["/whoami", "/files", "/users/admin"] {
        assert_eq!(
            status_of(victim.get(path)).await,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }

    // Revoking again is a bad request.
    let again = admin
        .post("/users/logout")
        .json(&json!({"token": victim.token()}))
        .send()
        .await
        .unwrap();
    expect_error(again, StatusCode::BAD_REQUEST).await;

    // And the revocation survives a restart.
    app.restart().await;
    let victim = victim.with_token(victim.token.as_deref());
    let victim = crate::support::Actor {
        base: app.base.clone(),
        ..victim
    };
    assert_eq!(
        status_of(victim.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    let admin = crate::support::Actor {
        base: app.base.clone(),
        ..admin
    };
    assert_eq!(status_of(admin.get("/whoami")).await, StatusCode::OK);
}

#[tokio::test]
async fn logout_refuses_missing_invalid_and_foreign_tokens() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["READ"]).await;
    let bob = app.user("bob", &["READ"]).await;
    for body in [json!({}), json!({"token": "garbage"}), json!({"token": 5})] {
        let response = alice
            .post("/users/logout")
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST).await;
    }
    let response = alice
        .post("/users/logout")
        .json(&json!({"token": bob.token()}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN).await;
    assert_eq!(status_of(bob.get("/whoami")).await, StatusCode::OK);

    // An admin may revoke anyone's.
    let admin = app.admin().await;
    let response = admin
        .post("/users/logout")
        .json(&json!({"token": bob.token()}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    assert_eq!(
        status_of(bob.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_of_an_expired_token_is_a_bad_request() {
    let app = TestApp::spawn_with(&[("SACHET_TOKEN_TTL", "1s")]).await;
    let old = app.admin().await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let fresh = app.admin().await;
    let response = fresh
        .post("/users/logout")
        .json(&json!({"token": old.token()}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_wrong_old_password_is_forbidden_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["READ"]).await;
    let response = alice
        .post("/users/password")
        .json(&json!({"old": "wrong", "new": "brand-new-password"}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN).await;
    app.login("alice", "alicealice").await;
    let refused = app
        .anonymous()
        .post("/users/login")
        .json(&json!({"username": "alice", "password": "brand-new-password"}))
        .send()
        .await
        .unwrap();
    expect_error(refused, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_password_change_lets_only_the_new_password_in() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["READ"]).await;
    let response = alice
        .post("/users/password")
        .json(&json!({"old": "alicealice", "new": "brand-new-password"}))
        .send()
        .await
        .unwrap();
    let body = expect_json(response, StatusCode::OK).await;
    assert_eq!(body["message"], "Password changed.");
    app.login("alice", "brand-new-password").await;
    let old = app
        .anonymous()
        .post("/users/login")
        .json(&json!({"username": "alice", "password": "alicealice"}))
        .send()
        .await
        .unwrap();
    expect_error(old, StatusCode::UNAUTHORIZED).await;
    // Existing tokens stay valid.
    assert_eq!(status_of(alice.get("/whoami")).await, StatusCode::OK);
}

#[tokio::test]
async fn password_changes_need_both_fields() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["READ"]).await;
    for body in [
        json!({"new": "x"}),
        json!({"old": "alicealice"}),
        json!({"old": "", "new": "x"}),
        json!({"old": "alicealice", "new": ""}),
        json!({"old": 1, "new": "x"}),
    ] {
        let response = alice
            .post("/users/password")
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST).await;
    }
    app.login("alice", "alicealice").await;
}

#[tokio::test]
async fn get_on_the_authentication_routes_is_a_user_lookup_without_side_effects() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["READ"]).await;
    for name in ["login", "extend", "logout", "password"] {
        let path = format!("/users/{name}");
        expect_error(
            app.anonymous().get(&path).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let response = alice
            .get(&path)
            .json(&json!({"token": alice.token()}))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::FORBIDDEN).await;
        // Even an admin only looks up a user that cannot exist.
        let admin = app.admin().await;
        expect_error(
            admin.get(&path).send().await.unwrap(),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // Nothing was revoked and the password is unchanged.
    assert_eq!(status_of(alice.get("/whoami")).await, StatusCode::OK);
    app.login("alice", "alicealice").await;
}

#[tokio::test]
async fn a_token_only_authenticates_the_account_it_was_issued_to() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.user("alice", &["READ"]).await;

    // Deleted, then created again under the same name.
    expect_json(
        admin.delete("/users/alice").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        status_of(alice.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    let again = app.user("alice", &["READ"]).await;
    assert_eq!(
        status_of(alice.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status_of(again.get("/whoami")).await, StatusCode::OK);

    // Renamed.
    let response = admin
        .patch("/users/alice")
        .json(&json!({"username": "alicia"}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    assert_eq!(
        status_of(again.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    app.login("alicia", "alicealice").await;
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = TestApp::spawn_with(&[
        ("SACHET_LOGIN_MAX_FAILURES", "3"),
        ("SACHET_LOGIN_LOCKOUT", "2s"),
    ])
    .await;
    app.user("alice", &["READ"]).await;
    let attempt = |password: &'static str| {
        app.anonymous()
            .post("/users/login")
            .json(&json!({"username": "alice", "password": password}))
            .send()
    };
    for _ in 0..3 {
        expect_error(attempt("wrong").await.unwrap(), StatusCode::UNAUTHORIZED).await;
    }
    let throttled = attempt("alicealice").await.unwrap();
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    expect_error(throttled, StatusCode::TOO_MANY_REQUESTS).await;
    // Other users are not affected.
    app.login("admin", ADMIN_PASSWORD).await;

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    app.login("alice", "alicealice").await;
    // A success forgets the earlier failures.
    for _ in 0..2 {
        expect_error(attempt("wrong").await.unwrap(), StatusCode::UNAUTHORIZED).await;
    }
    app.login("alice", "alicealice").await;
}

#[tokio::test]
async fn failures_from_one_address_are_throttled_across_usernames() {
    let app = TestApp::spawn_with(&[("SACHET_LOGIN_MAX_FAILURES_PER_ADDRESS", "4")]).await;
    for n in 0..4 {
        let body = json!({"username": format!("guess{n}"), "password": "x"});
        expect_error(
            app.anonymous()
                .post("/users/login")
                .json(&body)
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD});
    expect_error(
        app.anonymous()
            .post("/users/login")
            .json(&body)
            .send()
            .await
            .unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
}

#[tokio::test]
async fn all_tokens_of_a_user_can_be_revoked_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.user("alice", &["READ"]).await;
    let alice_again = app.login("alice", "alicealice").await;
    let bob = app.user("bob", &["READ"]).await;

    expect_error(
        bob.delete("/users/alice/tokens").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        admin.delete("/users/nobody/tokens").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let body = expect_json(
        admin.delete("/users/alice/tokens").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["message"], "Tokens revoked.");
    assert_eq!(
        status_of(alice.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(alice_again.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status_of(bob.get("/whoami")).await, StatusCode::OK);
    // A new login works at once.
    let fresh = app.login("alice", "alicealice").await;
    assert_eq!(status_of(fresh.get("/whoami")).await, StatusCode::OK);
    // Users may log themselves out everywhere.
    expect_json(
        fresh.delete("/users/alice/tokens").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        status_of(fresh.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_password_change_can_be_set_to_revoke_older_tokens() {
    let app = TestApp::spawn_with(&[("SACHET_REVOKE_TOKENS_ON_PASSWORD_CHANGE", "true")]).await;
    let alice = app.user("alice", &["READ"]).await;
    let other = app.login("alice", "alicealice").await;
    let body = json!({"old": "alicealice", "new": "next-password"});
    expect_json(
        alice
            .post("/users/password")
            .json(&body)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        status_of(other.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(alice.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.login("alice", "next-password").await;
    assert_eq!(status_of(fresh.get("/whoami")).await, StatusCode::OK);
}
