//! Several server processes on one database and one blob store behave as
//! one server: nothing that matters lives in a process's memory.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Actor, TestApp, expect_error, expect_json, status_of};

/// The same caller, talking to another replica.
fn via(actor: &Actor, base: &str) -> Actor {
    Actor {
        base: base.to_owned(),
        ..actor.clone()
    }
}

#[tokio::test]
async fn chunks_of_one_upload_may_go_to_either_replica() {
    let mut app = TestApp::spawn().await;
    let other = app.spawn_replica().await;
    let admin = app.admin().await;
    let share = admin.create_share("split.bin").await;
    let parts: Vec<Vec<u8>> = (0..6u8).map(|n| vec![b'a' + n; 10_000]).collect();
    for index in [5, 0, 3, 1, 4, 2] {
        let replica = if index % 2 == 0 {
            admin.clone()
        } else {
            via(&admin, &other)
        };
        let response = replica
            .send_chunk(
                Method::POST,
                &share,
                "u",
                index as u64,
                6,
                parts[index].clone(),
            )
            .await;
        let expected = if index == 2 {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        expect_json(response, expected).await;
    }
    let whole = parts.concat();
    assert_eq!(admin.download(&share).await, whole);
    assert_eq!(via(&admin, &other).download(&share).await, whole);
}

#[tokio::test]
async fn a_token_revoked_on_one_replica_is_refused_by_the_other_at_once() {
    let mut app = TestApp::spawn().await;
    let other = app.spawn_replica().await;
    let admin = app.admin().await;
    let victim = app.login("admin", crate::support::ADMIN_PASSWORD).await;
    assert_eq!(
        status_of(via(&victim, &other).get("/whoami")).await,
        StatusCode::OK
    );
    let response = admin
        .post("/users/logout")
        .json(&json!({"token": victim.token()}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    assert_eq!(
        status_of(via(&victim, &other).get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    // And a token issued by one replica works on the other.
    let fresh = app.admin().await;
    assert_eq!(
        status_of(via(&fresh, &other).get("/whoami")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn anonymous_permissions_changed_on_one_replica_apply_on_the_other() {
    let mut app = TestApp::spawn().await;
    let other = app.spawn_replica().await;
    let anonymous = via(&app.anonymous(), &other);
    assert_eq!(
        status_of(anonymous.get("/files")).await,
        StatusCode::UNAUTHORIZED
    );
    app.set_anonymous(&["LIST"]).await;
    assert_eq!(status_of(anonymous.get("/files")).await, StatusCode::OK);
    app.set_anonymous(&[]).await;
    assert_eq!(
        status_of(anonymous.get("/files")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn concurrent_completes_locks_and_deletes_through_both_replicas_stay_consistent() {
    let mut app = TestApp::spawn().await;
    let other = app.spawn_replica().await;
    let admin = app.admin().await;
    let replicas = [admin.clone(), via(&admin, &other)];
    for round in 0..6 {
        let share = admin.share_with("race.bin", b"original").await;
        let mut tasks = Vec::new();
        for (n, replica) in replicas.iter().enumerate() {
            for upload in 0..2 {
                let replica = replica.clone();
                let share = share.clone();
                tasks.push(tokio::spawn(async move {
                    let content = vec![b'0' + (n * 2 + upload) as u8; 30_000];
                    let id = format!("upload-{n}-{upload}");
                    let mut last = StatusCode::OK;
                    for (index, chunk) in content.chunks(10_000).enumerate().rev() {
                        let response = replica
                            .send_chunk(Method::PUT, &share, &id, index as u64, 3, chunk.to_vec())
                            .await;
                        last = response.status();
                    }
                    last
                }));
            }
            let replica = replica.clone();
            let share = share.clone();
            tasks.push(tokio::spawn(async move {
                let lock = replica
                    .post(&format!("{share}/lock"))
                    .send()
                    .await
                    .unwrap()
                    .status();
                let unlock = replica
                    .post(&format!("{share}/unlock"))
                    .send()
                    .await
                    .unwrap()
                    .status();
                if lock == unlock {
                    lock
                } else {
                    StatusCode::BAD_GATEWAY
                }
            }));
        }
        for task in tasks {
            let status = task.await.unwrap();
            assert!(!status.is_server_error(), "round {round}: {status}");
        }
        // Whatever won, both replicas see one whole content.
        let seen = [
            admin.download(&share).await,
            replicas[1].download(&share).await,
        ];
        assert_eq!(seen[0], seen[1], "round {round}");
        let whole = seen[0].len() == 30_000 && seen[0].iter().all(|b| *b == seen[0][0]);
        assert!(
            whole || seen[0] == b"original",
            "round {round}: a mixed content"
        );

        let (left, right) = tokio::join!(
            replicas[0].delete(&share).send(),
            replicas[1].delete(&share).send()
        );
        let mut statuses = [left.unwrap().status(), right.unwrap().status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::NOT_FOUND],
            "round {round}"
        );
        for replica in &replicas {
            expect_error(
                replica.get(&share).send().await.unwrap(),
                StatusCode::NOT_FOUND,
            )
            .await;
            expect_error(
                replica
                    .get(&format!("{share}/content"))
                    .send()
                    .await
                    .unwrap(),
                StatusCode::NOT_FOUND,
            )
            .await;
        }
    }
}
