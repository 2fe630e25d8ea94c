//! Shares and their metadata.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error, expect_json};

const ALL: [&str; 7] = [
    "CREATE", "MODIFY", "DELETE", "LOCK", "LIST", "ADMIN", "READ",
];

#[tokio::test]
async fn creating_a_share_answers_its_url_and_owner() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["CREATE", "READ"]).await;
    let response = alice
        .post("/files")
        .json(&json!({"file_name": "report.pdf"}))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(body["status"], "success");
    assert_eq!(body["url"], location);
    let share = expect_json(alice.get(&location).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(share["owner_name"], "alice");
    assert_eq!(share["file_name"], "report.pdf");
    assert_eq!(share["initialized"], false);
    assert_eq!(share["locked"], false);
    assert_eq!(share["size"], Value::Null);
    let id = share["share_id"].as_str().unwrap();
    assert_eq!(location, format!("/files/{id}"));
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
}

#[tokio::test]
async fn a_share_created_without_a_body_is_named_after_its_id() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for request in [admin.post("/files"), admin.post("/files").json(&json!({}))] {
        let body = expect_json(request.send().await.unwrap(), StatusCode::CREATED).await;
        let url = body["url"].as_str().unwrap();
        let share = expect_json(admin.get(url).send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(share["file_name"], share["share_id"]);
    }
}

#[tokio::test]
async fn creation_refuses_owners_read_only_fields_and_bad_names() {
    let app = TestApp::spawn().await;
    app.set_anonymous(&["CREATE"]).await;
    app.user("alice", &[]).await;
    let admin = app.admin().await;
    for body in [
        json!({"file_name": "x", "owner_name": "alice"}),
        json!({"owner_name": null}),
        json!({"locked": true}),
        json!({"initialized": false}),
        json!({"share_id": "9ae90f06-a751-409c-a9fe-8277575b9914"}),
        json!({"file_name": 5}),
        json!({"file_name": "a\r\nb"}),
        json!({"file_name": ""}),
        json!("hello"),
    ] {
        expect_error(
            app.anonymous()
                .post("/files")
                .json(&body)
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        expect_error(
            admin.post("/files").json(&body).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

#[tokio::test]
async fn missing_and_malformed_ids_are_missing_shares_on_every_route() {
    let app = TestApp::spawn().await;
    let admin = app.user("root", &ALL).await;
    for id in [
        "9ae90f06-a751-409c-a9fe-8277575b9914",
        "not-a-uuid",
        "1",
        "%20",
    ] {
        let share = format!("/files/{id}");
        let routes = [
            (Method::GET, share.clone()),
            (Method::PATCH, share.clone()),
            (Method::PUT, share.clone()),
            (Method::DELETE, share.clone()),
            (Method::POST, format!("{share}/lock")),
            (Method::POST, format!("{share}/unlock")),
            (Method::GET, format!("{share}/content")),
            (Method::POST, format!("{share}/content")),
            (Method::PUT, format!("{share}/content")),
        ];
        for (method, path) in routes {
            let response = admin
                .request(method.clone(), &path)
                .json(&json!({"file_name": "x", "owner_name": null}))
                .send()
                .await
                .unwrap();
            expect_error(response, StatusCode::NOT_FOUND).await;
        }
    }
}

#[tokio::test]
async fn permission_checks_come_before_existence() {
    let app = TestApp::spawn().await;
    let nobody = app.user("nobody", &[]).await;
    let missing = "/files/9ae90f06-a751-409c-a9fe-8277575b9914";
    expect_error(
        nobody.get(missing).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        app.anonymous().get(missing).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        app.anonymous().get("/files/garbage").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        nobody.delete(missing).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        nobody
            .post(&format!("{missing}/lock"))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn owners_patch_and_transfer_their_shares() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["CREATE", "MODIFY", "READ"]).await;
    let bob = app.user("bob", &["CREATE", "MODIFY", "READ"]).await;
    let share = alice.create_share("a.txt").await;

    expect_json(
        alice
            .patch(&share)
            .json(&json!({"file_name": "b.txt"}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let body = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(
        (body["file_name"].as_str(), body["owner_name"].as_str()),
        (Some("b.txt"), Some("alice"))
    );

    // Bob is not the owner.
    let message = expect_error(
        bob.patch(&share)
            .json(&json!({"file_name": "x"}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(message, "Share must be modified by its owner.");

    // Transfer to bob, and back.
    expect_json(
        alice
            .patch(&share)
            .json(&json!({"owner_name": "bob"}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_error(
        alice
            .patch(&share)
            .json(&json!({"file_name": "x"}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_json(
        bob.patch(&share)
            .json(&json!({"owner_name": "alice"}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let body = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["owner_name"], "alice");

    // A missing owner is a bad request; null hands the share to anonymous callers.
    let message = expect_error(
        alice
            .patch(&share)
            .json(&json!({"owner_name": "nobody"}))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("nobody"), "{message}");
    expect_json(
        alice
            .patch(&share)
            .json(&json!({"owner_name": null}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let body = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["owner_name"], Value::Null);
}

#[tokio::test]
async fn read_only_fields_pass_only_unchanged() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["CREATE", "MODIFY", "READ"]).await;
    let share = alice.share_with("a.txt", b"abc").await;
    let mut current = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;

    // GET, change a field, PUT back.
    current["file_name"] = json!("renamed.txt");
    expect_json(
        alice.put(&share).json(&current).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_json(
        alice.patch(&share).json(&current).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;

    let changes = [
        ("share_id", json!("9ae90f06-a751-409c-a9fe-8277575b9914")),
        ("initialized", json!(false)),
        ("locked", json!(true)),
        ("create_date", json!("2001-01-01T00:00:00Z")),
        ("size", json!(99)),
        ("size", Value::Null),
    ];
    for (field, value) in changes {
        let mut body = current.clone();
        body[field] = value;
        let message = expect_error(
            alice.patch(&share).json(&body).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(message.contains(field), "{message}");
        expect_error(
            alice.put(&share).json(&body).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let body = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["file_name"], "renamed.txt");
}

#[tokio::test]
async fn replacing_a_share_needs_its_name_and_owner() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice", &["CREATE", "MODIFY", "READ"]).await;
    let share = alice.create_share("a.txt").await;
    for body in [
        json!({"file_name": "x"}),
        json!({"owner_name": "alice"}),
        json!({}),
    ] {
        expect_error(
            alice.put(&share).json(&body).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let whole = json!({"file_name": "x.txt", "owner_name": "alice"});
    expect_json(
        alice.put(&share).json(&whole).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn the_contract_orders_share_checks() {
    let app = TestApp::spawn().await;
    let root = app.user("root", &ALL).await;
    let alice = app.user("alice", &["CREATE", "MODIFY", "READ"]).await;
    let share = alice.create_share("a.txt").await;
    expect_json(
        root.post(&format!("{share}/lock")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;

    // Not the owner comes before a missing new owner and before the lock.
    let body = json!({"owner_name": "nobody"});
    expect_error(
        root.patch(&share).json(&body).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    // A missing new owner comes before the lock.
    expect_error(
        alice.patch(&share).json(&body).send().await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    // The lock comes before a malformed body or read-only fields.
    let message = expect_error(
        alice
            .patch(&share)
            .json(&json!("garbage"))
            .send()
            .await
            .unwrap(),
        StatusCode::LOCKED,
    )
    .await;
    assert_eq!(message, "Share is locked.");
    expect_error(
        alice
            .patch(&share)
            .json(&json!({"locked": false}))
            .send()
            .await
            .unwrap(),
        StatusCode::LOCKED,
    )
    .await;
    expect_error(
        alice
            .put(&share)
            .json(&json!({"file_name": "y"}))
            .send()
            .await
            .unwrap(),
        StatusCode::LOCKED,
    )
    .await;
}

#[tokio::test]
async fn deleting_removes_unlocked_shares_with_their_content() {
    let app = TestApp::spawn_with(&[("SACHET_ORPHAN_GRACE", "0s")]).await;
    let root = app.user("root", &ALL).await;
    let alice = app.user("alice", &["CREATE", "READ"]).await;
    let share = alice.share_with("a.txt", b"bytes").await;
    let content_blobs = || app.count_blobs("content");
    if app.blob_dir().is_some() {
        assert_eq!(content_blobs(), Some(1));
    }

    expect_error(
        alice.delete(&share).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_json(
        root.post(&format!("{share}/lock")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_error(
        root.delete(&share).send().await.unwrap(),
        StatusCode::LOCKED,
    )
    .await;
    expect_json(
        root.post(&format!("{share}/unlock")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    // Anyone with DELETE deletes any share.
    assert_eq!(
        expect_json(root.delete(&share).send().await.unwrap(), StatusCode::OK).await,
        json!({"status": "success"})
    );
    expect_error(
        root.get(&share).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        root.delete(&share).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    // The content stays for readers still streaming it, until the cleanup
    // after its grace period (none here).
    if app.blob_dir().is_some() {
        assert_eq!(content_blobs(), Some(1));
    }
    let (ok, out) = app.cli(&["cleanup"], "", &[]).await;
    assert!(ok && out.contains("1 blobs of replaced content"), "{out}");
    if app.blob_dir().is_some() {
        assert_eq!(content_blobs(), Some(0));
    }
}

#[tokio::test]
async fn locking_is_idempotent_and_needs_the_lock_permission() {
    let app = TestApp::spawn().await;
    let root = app.user("root", &ALL).await;
    let alice = app.user("alice", &["CREATE", "MODIFY", "READ"]).await;
    let share = alice.share_with("a.txt", b"x").await;
    expect_error(
        alice.post(&format!("{share}/lock")).send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    for _ in 0..2 {
        let body = expect_json(
            root.post(&format!("{share}/lock")).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            body,
            json!({"status": "success", "message": "Share has been locked."})
        );
    }
    let body = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(body["locked"], true);
    let response = alice
        .send_chunk(Method::PUT, &share, "u", 0, 1, b"new".to_vec())
        .await;
    expect_error(response, StatusCode::LOCKED).await;
    let body = expect_json(
        root.post(&format!("{share}/unlock")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["message"], "Share has been unlocked.");
    alice.upload(Method::PUT, &share, b"new", 2).await;
    assert_eq!(alice.download(&share).await, b"new");
}
