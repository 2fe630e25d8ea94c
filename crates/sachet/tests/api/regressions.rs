//! Regression tests for faults found by adversarial testing, each named
//! after the behaviour that was broken.

use futures_util::StreamExt;
use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::support::{TestApp, expect_error, expect_json, status_of};

#[tokio::test]
async fn huge_page_numbers_are_missing_pages_not_crashes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    admin.create_share("one").await;
    for query in [
        "page=614891469123651722",
        "page=9223372036854775807&per_page=100",
        "page=4611686018427387905&per_page=2",
    ] {
        for path in ["/files", "/users"] {
            expect_error(
                admin.get(&format!("{path}?{query}")).send().await.unwrap(),
                StatusCode::NOT_FOUND,
            )
            .await;
        }
    }
    // Beyond the document's `int64`: not a page number at all.
    for query in [
        "page=9223372036854775808",
        "page=18446744073709551616",
        "per_page=9223372036854775808",
    ] {
        let too_big = admin.get(&format!("/files?{query}")).send().await.unwrap();
        expect_error(too_big, StatusCode::BAD_REQUEST).await;
    }
}

/// Found by the TypeScript client: a chunk refused before its body was read
/// was answered at once and the connection closed, so a client that writes
/// its headers and its body separately failed with a broken pipe instead of
/// reading the 423.
#[tokio::test]
async fn a_refused_chunk_is_answered_after_its_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("locked.txt", b"content").await;
    expect_json(
        admin.post(&format!("{share}/lock")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;

    let body = "--B\r\nContent-Disposition: form-data; name=\"dzuuid\"\r\n\r\nu\r\n\
                --B\r\nContent-Disposition: form-data; name=\"dzchunkindex\"\r\n\r\n0\r\n\
                --B\r\nContent-Disposition: form-data; name=\"dztotalchunks\"\r\n\r\n1\r\n\
                --B\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"x\"\r\n\r\n\
                new content\r\n--B--\r\n";
    let head = format!(
        "PUT {share}/content HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=B\r\n\
         Content-Length: {}\r\n\r\n",
        admin.token(),
        body.len()
    );
    let address = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();

    // The server waits for the body before it answers.
    let mut early = [0u8; 1];
    let waited = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        socket.read(&mut early),
    )
    .await;
    assert!(waited.is_err(), "the server answered before the body came");

    socket.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buffer = [0u8; 1024];
        while !String::from_utf8_lossy(&answer).contains("Share is locked.") {
            let n = socket.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the connection closed before the answer");
            answer.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer: {}",
        String::from_utf8_lossy(&answer)
    );
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 423"));
    assert_eq!(admin.download(&share).await, b"content");
}

#[tokio::test]
async fn deleting_a_share_while_its_last_chunk_arrives_never_fails_the_server() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for round in 0..12 {
        let share = admin.create_share("race").await;
        for index in 0..3 {
            admin
                .send_chunk(Method::POST, &share, "u", index, 4, vec![b'a'; 50_000])
                .await;
        }
        let (last, deleted) = tokio::join!(
            admin.send_chunk(Method::POST, &share, "u", 3, 4, vec![b'b'; 50_000]),
            admin.delete(&share).send(),
        );
        let last = last.status();
        let deleted = deleted.unwrap().status();
        assert!(
            [StatusCode::OK, StatusCode::CREATED, StatusCode::NOT_FOUND].contains(&last),
            "round {round}: {last}\n{}",
            app.log()
        );
        assert_eq!(deleted, StatusCode::OK, "round {round}");
        expect_error(
            admin.get(&share).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn a_date_validator_never_splices_content_replaced_in_the_same_second() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("a.bin", b"AAAAAAAAAA").await;
    let path = format!("{share}/content");
    let first = admin.get(&path).send().await.unwrap();
    let modified = first.headers()[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_owned();
    admin.upload(Method::PUT, &share, &[b'B'; 20], 100).await;

    let resumed = admin
        .get(&path)
        .header(header::RANGE, "bytes=5-")
        .header(header::IF_RANGE, &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resumed.status(),
        StatusCode::OK,
        "a stale date gives the whole new content"
    );
    assert_eq!(resumed.bytes().await.unwrap().as_ref(), &[b'B'; 20]);
    let cached = admin
        .get(&path)
        .header(header::IF_MODIFIED_SINCE, &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(
        cached.status(),
        StatusCode::OK,
        "the content did change since that date"
    );
}

#[tokio::test]
async fn undecodable_path_segments_name_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let alice = app.user("alice", &[]).await;
    for path in [
        "/files/%ff%fe",
        "/files/%C0%AF",
        "/files/%ff/lock",
        "/files/%ff%fe/content",
    ] {
        let method = if path.ends_with("lock") {
            Method::POST
        } else {
            Method::GET
        };
        expect_error(
            admin.request(method.clone(), path).send().await.unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
        expect_error(
            app.anonymous().request(method, path).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    expect_error(
        admin.delete("/files/%ff").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        alice.get("/users/%ff").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        admin.get("/users/%ff").send().await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        admin.delete("/users/%ff").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// The `exp` claim of a token, read without checking it.
fn expiry_of(token: &str) -> i64 {
    let payload = token.split('.').nth(1).unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in payload.bytes() {
        let value = alphabet.iter().position(|a| *a == c).unwrap() as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["exp"].as_i64().unwrap()
}

#[tokio::test]
async fn a_token_is_refused_from_the_instant_it_expires() {
    let app = TestApp::spawn_with(&[("SACHET_TOKEN_TTL", "2s")]).await;
    let admin = app.admin().await;
    let exp = expiry_of(admin.token());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let until = std::time::Duration::from_secs(exp as u64).saturating_sub(now)
        + std::time::Duration::from_millis(150);
    tokio::time::sleep(until).await;
    assert_eq!(
        status_of(admin.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_revocation_outlives_a_cleanup_run_with_another_leeway() {
    let app =
        TestApp::spawn_with(&[("SACHET_TOKEN_TTL", "1s"), ("SACHET_TOKEN_LEEWAY", "60s")]).await;
    let admin = app.admin().await;
    let victim = app.admin().await;
    expect_json(
        admin
            .post("/users/logout")
            .json(&json!({"token": victim.token()}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (ok, out) = app.cli(&["cleanup"], "", &[]).await;
    assert!(ok, "{out}");
    assert_eq!(
        status_of(victim.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn chunk_retries_racing_the_completion_are_accepted() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.create_share("retries").await;
    let mut tasks = Vec::new();
    for attempt in 0..3 {
        for index in 0..6u64 {
            let admin = admin.clone();
            let share = share.clone();
            tasks.push(tokio::spawn(async move {
                let chunk = vec![b'0' + index as u8; 1000];
                let _ = attempt;
                admin
                    .send_chunk(Method::POST, &share, "u", index, 6, chunk)
                    .await
                    .status()
            }));
        }
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::CREATED, StatusCode::LOCKED].contains(s)),
        "{statuses:?}"
    );
    // One request completes the upload; retries that arrive after it are
    // told it is complete.
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    let content: Vec<u8> = (0..6u8).flat_map(|i| vec![b'0' + i; 1000]).collect();
    assert_eq!(admin.download(&share).await, content);
}

#[tokio::test]
async fn a_token_stays_refused_after_a_rename_and_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let bob = app.user("bob", &["READ"]).await;
    expect_json(
        admin
            .patch("/users/bob")
            .json(&json!({"username": "bob2"}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_json(
        admin
            .patch("/users/bob2")
            .json(&json!({"username": "bob"}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        status_of(bob.get("/whoami")).await,
        StatusCode::UNAUTHORIZED
    );
    app.login("bob", "bobbob").await;
}

#[tokio::test]
async fn read_only_fields_sent_as_null_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.create_share("a").await;
    for field in ["share_id", "locked", "initialized", "create_date"] {
        let message = expect_error(
            admin
                .patch(&share)
                .json(&json!({field: null}))
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(message.contains(field), "{message}");
    }
    // A null size is the current value of a share without content.
    expect_json(
        admin
            .patch(&share)
            .json(&json!({"size": null}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    app.user("carol", &[]).await;
    expect_error(
        admin
            .patch("/users/carol")
            .json(&json!({"register_date": null}))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    let body = json!({"username": "dave", "password": "pw", "permissions": [], "register_date": "2001-01-01T00:00:00Z"});
    expect_error(
        admin.post("/users").json(&body).send().await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn commas_stay_verbatim_in_plain_file_names() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("a,b.txt", b"x").await;
    let response = admin.get(&format!("{share}/content")).send().await.unwrap();
    assert_eq!(
        response.headers()[header::CONTENT_DISPOSITION],
        "inline; filename=a,b.txt"
    );
}

#[tokio::test]
async fn wrong_methods_name_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.create_share("a").await;
    let response = admin
        .request(Method::PATCH, &format!("{share}/content"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[header::ALLOW], "GET, HEAD, POST, PUT");
    expect_error(response, StatusCode::METHOD_NOT_ALLOWED).await;
    let response = admin
        .request(Method::TRACE, "/users/login")
        .send()
        .await
        .unwrap();
    // The document's route for the path, as schemathesis checks: a fixed
    // segment beats the `{username}` parameter.
    assert_eq!(response.headers()[header::ALLOW], "POST");
    expect_error(response, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn two_authorization_headers_are_malformed() {
    let app = TestApp::spawn().await;
    let token = app.admin().await.token().to_owned();
    let response = app
        .http
        .get(format!("{}/whoami", app.base))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::AUTHORIZATION, "Bearer garbage")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn chunk_numbers_with_spaces_are_not_integers() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.create_share("a").await;
    let form = reqwest::multipart::Form::new()
        .text("dzuuid", "u")
        .text("dzchunkindex", " 0")
        .text("dztotalchunks", "1")
        .part("upload", reqwest::multipart::Part::bytes(b"x".to_vec()));
    let response = admin
        .post(&format!("{share}/content"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn concurrent_wrong_passwords_cannot_slip_past_the_limit() {
    let app = TestApp::spawn_with(&[("SACHET_LOGIN_MAX_FAILURES", "3")]).await;
    app.user("target", &["READ"]).await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let anonymous = app.anonymous();
        tasks.push(tokio::spawn(async move {
            let password = if n == 15 {
                "targettarget".to_owned()
            } else {
                format!("guess{n}")
            };
            let body = json!({"username": "target", "password": password});
            anonymous
                .post("/users/login")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        checked <= 3,
        "only three attempts are checked: {statuses:?}"
    );
}

#[tokio::test]
async fn downloads_while_the_content_is_replaced_get_one_whole_content() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let contents: Vec<Vec<u8>> = (0..4u8).map(|n| vec![b'a' + n; 200_000]).collect();
    let share = admin.share_with("busy.bin", &contents[0]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut tasks = Vec::new();
    for writer in 0..2usize {
        let (admin, share, contents) = (admin.clone(), share.clone(), contents.clone());
        tasks.push(tokio::spawn(async move {
            let mut round = 0;
            while std::time::Instant::now() < deadline {
                let content = &contents[(writer + round) % contents.len()];
                admin.upload(Method::PUT, &share, content, 64_000).await;
                round += 1;
            }
            Vec::new()
        }));
    }
    for _ in 0..6 {
        let (admin, share) = (admin.clone(), share.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while std::time::Instant::now() < deadline {
                let response = admin.get(&format!("{share}/content")).send().await.unwrap();
                let status = response.status();
                let body = response.bytes().await.unwrap().to_vec();
                seen.push((status, body));
            }
            seen
        }));
    }
    for task in tasks {
        for (status, body) in task.await.unwrap() {
            assert_eq!(status, StatusCode::OK);
            assert!(
                contents.contains(&body),
                "a download returned a mix of contents"
            );
        }
    }
}

#[tokio::test]
async fn a_late_retry_of_a_completed_upload_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("a.txt", b"first").await;
    let replace = |upload: &'static str, bytes: &'static [u8]| {
        admin.send_chunk(Method::PUT, &share, upload, 0, 1, bytes.to_vec())
    };
    expect_json(replace("one", b"AAA").await, StatusCode::CREATED).await;
    expect_json(replace("two", b"BBB").await, StatusCode::CREATED).await;
    // A client that lost the answer to "one" sends it again.
    let body = expect_json(replace("one", b"AAA").await, StatusCode::CREATED).await;
    assert_eq!(body["message"], "Upload completed.");
    assert_eq!(admin.download(&share).await, b"BBB");
    let progress = format!("{share}/content/uploads/one");
    expect_error(
        admin.get(&progress).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn an_upload_that_stalls_is_refused_and_frees_its_turn() {
    let app = TestApp::spawn_with(&[
        ("SACHET_IDLE_TIMEOUT", "1s"),
        ("SACHET_MAX_CONCURRENT_UPLOADS", "1"),
    ])
    .await;
    let admin = app.admin().await;
    let share = admin.create_share("slow.bin").await;
    let head = "--B\r\ncontent-disposition: form-data; name=\"dzuuid\"\r\n\r\nu\r\n--B\r\ncontent-disposition: form-data; name=\"upload\"; filename=\"x\"\r\n\r\nsome";
    let stalled =
        futures_util::stream::once(
            async move { Ok::<_, std::io::Error>(head.as_bytes().to_vec()) },
        )
        .chain(futures_util::stream::once(async {
            tokio::time::sleep(std::time::Duration::from_secs(4)).await;
            Ok(b"more".to_vec())
        }));
    let response = admin
        .post(&format!("{share}/content"))
        .header("content-type", "multipart/form-data; boundary=B")
        .body(reqwest::Body::wrap_stream(stalled))
        .send()
        .await;
    if let Ok(response) = response {
        expect_error(response, StatusCode::REQUEST_TIMEOUT).await;
    }
    // The only turn is free again.
    admin.upload(Method::POST, &share, b"fine", 10).await;
    assert_eq!(admin.download(&share).await, b"fine");
}

#[tokio::test]
async fn logging_out_a_token_that_no_longer_works_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let eve = app.user("eve", &["READ"]).await;
    expect_json(
        admin.delete("/users/eve/tokens").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let response = admin
        .post("/users/logout")
        .json(&json!({"token": eve.token()}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
    let gone = app.user("gone", &["READ"]).await;
    expect_json(
        admin.delete("/users/gone").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let response = admin
        .post("/users/logout")
        .json(&json!({"token": gone.token()}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn data_files_are_private_even_in_an_existing_folder() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    admin.share_with("a.txt", b"secret").await;
    let mode = |path: &std::path::Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions())
            & 0o777
    };
    if app.setting("SACHET_DATABASE_URL").is_none() {
        assert_eq!(mode(&app.data_dir().join("sachet.db")), 0o600);
    }
    if let Some(blobs) = app.blob_dir() {
        assert_eq!(mode(&blobs.join("content")), 0o700);
        let blob = std::fs::read_dir(blobs.join("content"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(mode(&blob), 0o600);
    }
}

/// Found by adversarial testing: a replacement that reused the upload id of
/// the share's first upload was taken for a late retry of it, answered 201
/// "Upload completed." and dropped.
#[tokio::test]
async fn a_replacement_may_reuse_the_upload_id_of_the_first_upload() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.create_share("notes.txt").await;
    let send = |method: Method, bytes: &'static [u8]| {
        admin.send_chunk(method, &share, "first-upload", 0, 1, bytes.to_vec())
    };
    expect_json(send(Method::POST, b"v1").await, StatusCode::CREATED).await;
    expect_json(send(Method::PUT, b"v2").await, StatusCode::CREATED).await;
    assert_eq!(admin.download(&share).await, b"v2");
    // With another chunk count, the id starts a new upload too.
    let two = |index, bytes: &'static [u8]| {
        admin.send_chunk(
            Method::PUT,
            &share,
            "first-upload",
            index,
            2,
            bytes.to_vec(),
        )
    };
    expect_json(two(1, b"-b").await, StatusCode::OK).await;
    expect_json(two(0, b"a").await, StatusCode::CREATED).await;
    assert_eq!(admin.download(&share).await, b"a-b");
}

/// Found by adversarial testing: JSON errors and 416 answers were sent
/// without `X-Content-Type-Options: nosniff`.
#[tokio::test]
async fn every_answer_forbids_sniffing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("a.txt", b"abc").await;
    let answers = [
        admin.get("/nowhere").send().await.unwrap(),
        admin.get("/files/not-an-id").send().await.unwrap(),
        app.anonymous().get("/users").send().await.unwrap(),
        admin.get("/whoami").send().await.unwrap(),
        admin
            .get(&format!("{share}/content"))
            .header(header::RANGE, "bytes=10-20")
            .send()
            .await
            .unwrap(),
    ];
    for answer in answers {
        assert_eq!(
            answer.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{} {}",
            answer.status(),
            answer.url()
        );
    }
}
