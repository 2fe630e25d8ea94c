//! The command line beside `serve`, the cleanup, and what the server logs.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, TestApp, expect_error, expect_json};

#[tokio::test]
async fn users_are_managed_from_the_command_line() {
    let app = TestApp::spawn().await;
    let (ok, out) = app
        .cli(
            &["user", "create", "--username", "carol"],
            "carol-password\n",
            &[],
        )
        .await;
    assert!(ok, "{out}");
    assert!(
        out.contains("Created user carol with CREATE,MODIFY,READ."),
        "{out}"
    );
    app.login("carol", "carol-password").await;

    let (ok, out) = app
        .cli(
            &[
                "user",
                "create",
                "--username",
                "dave",
                "--admin",
                "--password-stdin",
            ],
            "dave-pw\n",
            &[],
        )
        .await;
    assert!(ok, "{out}");
    let dave = app.login("dave", "dave-pw").await;
    let me = expect_json(dave.get("/whoami").send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(me["permissions"].as_array().unwrap().len(), 7);

    // A name that is taken, reserved or a password on the command line.
    let (ok, out) = app
        .cli(&["user", "create", "--username", "carol"], "x\n", &[])
        .await;
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, _) = app
        .cli(&["user", "create", "--username", "login"], "x\n", &[])
        .await;
    assert!(!ok);
    let (ok, out) = app
        .cli(
            &[
                "user",
                "create",
                "--username",
                "erin",
                "--password",
                "visible",
            ],
            "",
            &[],
        )
        .await;
    assert!(!ok && out.contains("insecure-password-argument"), "{out}");

    let (ok, out) = app.cli(&["user", "list"], "", &[]).await;
    assert!(ok);
    let names: Vec<&str> = out
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(names, ["admin", "carol", "dave"]);

    let (ok, _) = app.cli(&["user", "delete", "carol"], "", &[]).await;
    assert!(ok);
    let (ok, out) = app.cli(&["user", "delete", "carol"], "", &[]).await;
    assert!(!ok && out.contains("no user"), "{out}");
    expect_error(
        app.anonymous()
            .post("/users/login")
            .json(&json!({"username": "carol", "password": "carol-password"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn migrate_and_openapi_work_without_a_server() {
    let app = TestApp::spawn().await;
    let (ok, out) = app.cli(&["migrate"], "", &[]).await;
    assert!(ok && out.contains("up to date"), "{out}");
    let (ok, out) = app.cli(&["openapi"], "", &[]).await;
    assert!(ok);
    let document: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(document["info"]["title"], "Sachet");
    let (ok, out) = app
        .cli(&["serve"], "", &[("SACHET_TOKEN_TTL", "soon")])
        .await;
    assert!(!ok && out.contains("SACHET_TOKEN_TTL"), "{out}");
}

#[tokio::test]
async fn cleanup_purges_abandoned_uploads_empty_shares_and_orphans() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let kept = admin.share_with("kept.txt", b"keep me").await;
    let empty = admin.create_share("never-filled").await;
    let partial = admin.share_with("partial.txt", b"old").await;
    let chunk = admin.send_chunk(Method::PUT, &partial, "abandoned", 0, 2, b"half".to_vec());
    expect_json(chunk.await, StatusCode::OK).await;
    let progress = format!("{partial}/content/uploads/abandoned");
    expect_json(admin.get(&progress).send().await.unwrap(), StatusCode::OK).await;

    // In a folder, a stray blob of ours is an orphan; another file is not ours.
    let strays = app.blob_dir().map(|blobs| {
        let orphan = blobs.join("content").join(uuid::Uuid::new_v4().to_string());
        std::fs::write(&orphan, b"nobody refers to me").unwrap();
        let foreign = blobs.join("content").join("README.txt");
        std::fs::write(&foreign, b"not a blob of ours").unwrap();
        (orphan, foreign)
    });

    // With the default ages nothing is old enough yet.
    let (ok, out) = app.cli(&["cleanup"], "", &[]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("removed 0 abandoned uploads, 0 empty shares"),
        "{out}"
    );
    expect_json(admin.get(&progress).send().await.unwrap(), StatusCode::OK).await;

    let now = [
        ("SACHET_UPLOAD_EXPIRY", "0s"),
        ("SACHET_EMPTY_SHARE_EXPIRY", "0s"),
        ("SACHET_ORPHAN_GRACE", "0s"),
    ];
    let (ok, out) = app.cli(&["cleanup"], "", &now).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("removed 1 abandoned uploads, 1 empty shares"),
        "{out}"
    );
    if let Some((orphan, foreign)) = strays {
        assert!(out.contains("and 1 orphan blobs"), "{out}");
        assert!(!orphan.exists());
        assert!(
            foreign.exists(),
            "files that are no blob keys are left alone"
        );
        assert_eq!(app.count_blobs("chunks"), Some(0));
    }

    expect_error(
        admin.get(&empty).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        admin.get(&progress).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(admin.download(&kept).await, b"keep me");
    assert_eq!(admin.download(&partial).await, b"old");
}

#[tokio::test]
async fn the_server_cleans_up_periodically() {
    let app = TestApp::spawn_with(&[
        ("SACHET_CLEANUP_INTERVAL", "1s"),
        ("SACHET_UPLOAD_EXPIRY", "1s"),
        ("SACHET_EMPTY_SHARE_EXPIRY", "1h"),
    ])
    .await;
    let admin = app.admin().await;
    let share = admin.create_share("a.bin").await;
    let chunk = admin.send_chunk(Method::POST, &share, "slow", 0, 2, b"first".to_vec());
    expect_json(chunk.await, StatusCode::OK).await;
    let progress = format!("{share}/content/uploads/slow");
    let mut purged = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if admin.get(&progress).send().await.unwrap().status() == StatusCode::NOT_FOUND {
            purged = true;
            break;
        }
    }
    assert!(
        purged,
        "the abandoned upload was purged within five seconds"
    );
    if let Some(chunks) = app.count_blobs("chunks") {
        assert_eq!(chunks, 0);
    }
    expect_json(admin.get(&share).send().await.unwrap(), StatusCode::OK).await;
}

#[tokio::test]
async fn no_password_or_token_reaches_the_log() {
    let app = TestApp::spawn_with(&[("SACHET_LOG", "trace")]).await;
    let admin = app.admin().await;
    let alice = app.user("alice", &["READ"]).await;
    admin.get("/whoami").send().await.unwrap();
    let response = admin
        .post("/users/logout")
        .json(&json!({"token": alice.token()}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    admin
        .post("/users/password")
        .json(&json!({"old": ADMIN_PASSWORD, "new": "second-secret-pw"}))
        .send()
        .await
        .unwrap();
    app.anonymous()
        .post("/users/login")
        .json(&json!({"username": "admin", "password": "wrong-guess-pw"}))
        .send()
        .await
        .unwrap();

    let log = app.log();
    assert!(log.contains("request"), "the server logged requests: {log}");
    let secret_key = app.setting("SACHET_SECRET_KEY").unwrap().to_owned();
    for secret in [
        ADMIN_PASSWORD,
        "alicealice",
        "second-secret-pw",
        "wrong-guess-pw",
        admin.token(),
        alice.token(),
        secret_key.trim(),
    ] {
        assert!(!log.contains(secret), "the log holds a secret: {secret}");
    }
    // One line per request, with method, path and status.
    assert!(log.lines().any(|line| line.contains("POST")
        && line.contains("/users/logout")
        && line.contains("200")));
}

#[tokio::test]
async fn a_generated_secret_key_is_private_and_survives_a_restart() {
    let mut app = TestApp::spawn_with(&[("SACHET_SECRET_KEY", "")]).await;
    let admin = app.admin().await;
    let path = app.data_dir().join("secret.key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim().len(), 64);
    app.restart().await;
    let admin = crate::support::Actor {
        base: app.base.clone(),
        ..admin
    };
    assert_eq!(
        crate::support::status_of(admin.get("/whoami")).await,
        StatusCode::OK
    );
}
