//! Chunked uploads.

use reqwest::{Method, StatusCode, multipart};

use crate::support::{Actor, TestApp, expect_error, expect_json};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn owner(app: &TestApp) -> Actor {
    app.user("alice", &["CREATE", "MODIFY", "READ"]).await
}

#[tokio::test]
async fn uploads_in_several_chunk_sizes_round_trip() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    for (len, chunk) in [
        (0, 1),
        (1, 1),
        (10, 3),
        (1000, 1000),
        (4096, 1024),
        (100_000, 7_000),
    ] {
        let content = pattern(len, 1);
        let share = alice.create_share("data.bin").await;
        alice.upload(Method::POST, &share, &content, chunk).await;
        assert_eq!(
            alice.download(&share).await,
            content,
            "{len} bytes in chunks of {chunk}"
        );
    }
}

#[tokio::test]
async fn chunks_join_by_index_in_any_order_with_repeats() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.create_share("a.txt").await;
    let chunks = [b"AAAA".to_vec(), b"BBBB".to_vec(), b"CC".to_vec()];
    for (index, expected) in [
        (2, StatusCode::OK),
        (0, StatusCode::OK),
        (2, StatusCode::OK),
        (0, StatusCode::OK),
    ] {
        let response = alice
            .send_chunk(
                Method::POST,
                &share,
                "u1",
                index,
                3,
                chunks[index as usize].clone(),
            )
            .await;
        let body = expect_json(response, expected).await;
        assert_eq!(body["message"], "Chunk uploaded.");
    }
    // Readers see nothing until the upload completes.
    expect_error(
        alice.get(&format!("{share}/content")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let response = alice
        .send_chunk(Method::POST, &share, "u1", 1, 3, chunks[1].clone())
        .await;
    let body = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(
        body,
        serde_json::json!({"status": "success", "message": "Upload completed."})
    );
    assert_eq!(alice.download(&share).await, b"AAAABBBBCC");
    let meta = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(
        (meta["initialized"].as_bool(), meta["size"].as_u64()),
        (Some(true), Some(10))
    );
}

#[tokio::test]
async fn a_resent_chunk_replaces_the_earlier_one() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.create_share("a.txt").await;
    expect_json(
        alice
            .send_chunk(Method::POST, &share, "u", 0, 2, b"old-".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        alice
            .send_chunk(Method::POST, &share, "u", 0, 2, b"new-".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        alice
            .send_chunk(Method::POST, &share, "u", 1, 2, b"end".to_vec())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(alice.download(&share).await, b"new-end");
    // In a folder, completion joins the chunks into one blob and removes
    // them; the replaced chunk went at once.
    if let Some(chunks) = app.count_blobs("chunks") {
        assert_eq!(chunks, 0);
    }
}

#[tokio::test]
async fn malformed_chunks_are_bad_requests() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.create_share("a.txt").await;
    let form = |fields: &[(&str, &str)], with_file: bool| {
        let mut form = multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        if with_file {
            form = form.part("upload", multipart::Part::bytes(b"x".to_vec()));
        }
        form
    };
    let cases: Vec<(Vec<(&str, &str)>, bool)> = vec![
        (
            vec![
                ("dzuuid", "u"),
                ("dzchunkindex", "0"),
                ("dztotalchunks", "1"),
            ],
            false,
        ),
        (vec![("dzchunkindex", "0"), ("dztotalchunks", "1")], true),
        (vec![("dzuuid", "u"), ("dztotalchunks", "1")], true),
        (vec![("dzuuid", "u"), ("dzchunkindex", "0")], true),
        (
            vec![
                ("dzuuid", "u"),
                ("dzchunkindex", "x"),
                ("dztotalchunks", "1"),
            ],
            true,
        ),
        (
            vec![
                ("dzuuid", "u"),
                ("dzchunkindex", "0"),
                ("dztotalchunks", "1.5"),
            ],
            true,
        ),
        (
            vec![
                ("dzuuid", "u"),
                ("dzchunkindex", "0"),
                ("dztotalchunks", "0"),
            ],
            true,
        ),
        (
            vec![
                ("dzuuid", "u"),
                ("dzchunkindex", "-1"),
                ("dztotalchunks", "2"),
            ],
            true,
        ),
        (
            vec![
                ("dzuuid", "u"),
                ("dzchunkindex", "2"),
                ("dztotalchunks", "2"),
            ],
            true,
        ),
    ];
    for (fields, with_file) in cases {
        let response = alice
            .post(&format!("{share}/content"))
            .multipart(form(&fields, with_file))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST).await;
    }
    // Not multipart at all.
    let response = alice
        .post(&format!("{share}/content"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let response = alice
        .post(&format!("{share}/content"))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("garbage without the boundary")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST).await;
    // Nothing was stored.
    expect_error(
        alice.get(&format!("{share}/content")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_chunk_count_differing_from_the_first_chunk_is_refused() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.create_share("a.txt").await;
    expect_json(
        alice
            .send_chunk(Method::POST, &share, "u", 0, 3, b"a".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        alice
            .send_chunk(Method::POST, &share, "u", 1, 2, b"b".to_vec())
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // The upload itself goes on.
    expect_json(
        alice
            .send_chunk(Method::POST, &share, "u", 1, 3, b"b".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        alice
            .send_chunk(Method::POST, &share, "u", 2, 3, b"c".to_vec())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(alice.download(&share).await, b"abc");
}

#[tokio::test]
async fn the_same_upload_id_on_another_share_is_another_upload() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let one = alice.create_share("one").await;
    let two = alice.create_share("two").await;
    expect_json(
        alice
            .send_chunk(Method::POST, &one, "same", 0, 2, b"1a".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        alice
            .send_chunk(Method::POST, &two, "same", 1, 2, b"2b".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        alice
            .send_chunk(Method::POST, &two, "same", 0, 2, b"2a".to_vec())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(alice.download(&two).await, b"2a2b");
    expect_error(
        alice.get(&format!("{one}/content")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_json(
        alice
            .send_chunk(Method::POST, &one, "same", 1, 2, b"1b".to_vec())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(alice.download(&one).await, b"1a1b");
}

#[tokio::test]
async fn post_and_put_follow_the_contract_order() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let bob = app.user("bob", &["CREATE", "MODIFY", "READ", "LOCK"]).await;
    let fresh = alice.create_share("fresh").await;
    let full = alice.share_with("full", b"content").await;

    let message = expect_error(
        bob.send_chunk(Method::POST, &fresh, "u", 0, 1, b"x".to_vec())
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(message, "Share must be initialized by its owner.");
    let message = expect_error(
        alice
            .send_chunk(Method::POST, &full, "u", 0, 1, b"x".to_vec())
            .await,
        StatusCode::LOCKED,
    )
    .await;
    assert_eq!(message, "Use PUT to modify the share.");
    expect_error(
        alice
            .send_chunk(Method::PUT, &fresh, "u", 0, 1, b"x".to_vec())
            .await,
        StatusCode::LOCKED,
    )
    .await;
    let message = expect_error(
        bob.send_chunk(Method::PUT, &full, "u", 0, 1, b"x".to_vec())
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(message, "Share must be modified by its owner.");
    // Locked comes before the owner check on PUT.
    expect_json(
        bob.post(&format!("{full}/lock")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    expect_error(
        bob.send_chunk(Method::PUT, &full, "u", 0, 1, b"x".to_vec())
            .await,
        StatusCode::LOCKED,
    )
    .await;
    // Other methods on content.
    for method in [Method::PATCH, Method::DELETE] {
        let response = alice
            .request(method, &format!("{full}/content"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::METHOD_NOT_ALLOWED).await;
    }
    // Permissions: CREATE for POST, MODIFY for PUT.
    let reader = app.user("reader", &["READ"]).await;
    expect_error(
        reader
            .send_chunk(Method::POST, &fresh, "u", 0, 1, b"x".to_vec())
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(alice.download(&full).await, b"content");
}

#[tokio::test]
async fn an_interrupted_upload_leaves_the_content_unchanged() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.share_with("a.txt", b"original").await;
    expect_json(
        alice
            .send_chunk(Method::PUT, &share, "replacement", 0, 3, b"new".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        alice
            .send_chunk(Method::PUT, &share, "replacement", 2, 3, b"new".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(alice.download(&share).await, b"original");

    // A connection dropped in the middle of a chunk stores nothing either.
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes_of(
            "--B\r\ncontent-disposition: form-data; name=\"upload\"\r\n\r\npartial",
        )),
        Err(std::io::Error::other("the client went away")),
    ]));
    let _ = alice
        .put(&format!("{share}/content"))
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await;
    assert_eq!(alice.download(&share).await, b"original");
    let meta = expect_json(alice.get(&share).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(meta["size"], 8);
}

fn bytes_of(text: &str) -> bytes::Bytes {
    bytes::Bytes::from(text.to_owned())
}

#[tokio::test]
async fn concurrent_uploads_to_one_share_end_with_one_whole_upload() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.share_with("a.bin", b"start").await;
    let contents: Vec<Vec<u8>> = (0..4u8).map(|n| vec![b'a' + n; 40_000]).collect();
    let mut tasks = Vec::new();
    for (n, content) in contents.iter().cloned().enumerate() {
        let alice = alice.clone();
        let share = share.clone();
        tasks.push(tokio::spawn(async move {
            let upload = format!("upload-{n}");
            let chunks: Vec<Vec<u8>> = content.chunks(10_000).map(<[u8]>::to_vec).collect();
            let mut statuses = Vec::new();
            for (index, chunk) in chunks.into_iter().enumerate().rev() {
                let response = alice
                    .send_chunk(Method::PUT, &share, &upload, index as u64, 4, chunk)
                    .await;
                statuses.push(response.status());
            }
            statuses
        }));
    }
    for task in tasks {
        let statuses = task.await.unwrap();
        assert_eq!(statuses.last(), Some(&StatusCode::CREATED), "{statuses:?}");
    }
    let final_content = alice.download(&share).await;
    assert!(
        contents.contains(&final_content),
        "the content is one whole upload"
    );
}

#[tokio::test]
async fn concurrent_final_chunks_complete_once() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.create_share("a.bin").await;
    expect_json(
        alice
            .send_chunk(Method::POST, &share, "u", 0, 3, b"00".to_vec())
            .await,
        StatusCode::OK,
    )
    .await;
    let mut tasks = Vec::new();
    for index in [1, 2, 1, 2] {
        let alice = alice.clone();
        let share = share.clone();
        tasks.push(tokio::spawn(async move {
            let chunk = format!("{index}{index}").into_bytes();
            alice
                .send_chunk(Method::POST, &share, "u", index, 3, chunk)
                .await
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| [
            StatusCode::OK,
            StatusCode::CREATED,
            StatusCode::CONFLICT,
            StatusCode::LOCKED
        ]
        .contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    assert_eq!(alice.download(&share).await, b"001122");
}

#[tokio::test]
async fn size_limits_refuse_oversized_chunks_and_uploads() {
    let app = TestApp::spawn_with(&[
        ("SACHET_MAX_CHUNK_SIZE", "1KiB"),
        ("SACHET_MAX_UPLOAD_SIZE", "3KiB"),
    ])
    .await;
    let alice = owner(&app).await;
    let share = alice.create_share("a.bin").await;
    let response = alice
        .send_chunk(Method::POST, &share, "u", 0, 4, vec![1; 1025])
        .await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    for index in 0..3 {
        expect_json(
            alice
                .send_chunk(Method::POST, &share, "u", index, 4, vec![1; 1024])
                .await,
            StatusCode::OK,
        )
        .await;
    }
    let response = alice
        .send_chunk(Method::POST, &share, "u", 3, 4, vec![1; 1])
        .await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    // A declared total size is refused at the first chunk.
    let form = multipart::Form::new()
        .text("dzuuid", "declared")
        .text("dzchunkindex", "0")
        .text("dztotalchunkcount", "5")
        .text("dztotalfilesize", "5000")
        .part("file", multipart::Part::bytes(vec![1; 10]));
    let response = alice
        .post(&format!("{share}/content"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    // No chunk of the refused requests was kept.
    if let Some(chunks) = app.count_blobs("chunks") {
        assert_eq!(chunks, 3);
    }
}

#[tokio::test]
async fn dropzone_field_names_and_any_field_order_work() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let share = alice.create_share("dz.txt").await;
    // The file part first, then the fields, with Dropzone's names.
    let form = multipart::Form::new()
        .part(
            "file",
            multipart::Part::bytes(b"hello ".to_vec()).file_name("dz.txt"),
        )
        .text("dzuuid", "dz")
        .text("dzchunkindex", "0")
        .text("dztotalchunkcount", "2")
        .text("dztotalfilesize", "11")
        .text("dzchunksize", "6")
        .text("dzchunkbyteoffset", "0");
    expect_json(
        alice
            .post(&format!("{share}/content"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let form = multipart::Form::new()
        .text("dzuuid", "dz")
        .part("file", multipart::Part::bytes(b"world".to_vec()))
        .text("dzchunkindex", "1")
        .text("dztotalchunkcount", "2");
    expect_json(
        alice
            .post(&format!("{share}/content"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(alice.download(&share).await, b"hello world");
}

#[tokio::test]
async fn owners_read_the_progress_of_an_unfinished_upload() {
    let app = TestApp::spawn().await;
    let alice = owner(&app).await;
    let bob = app.user("bob", &["CREATE", "MODIFY", "READ"]).await;
    let share = alice.create_share("a.bin").await;
    for index in [2, 0] {
        expect_json(
            alice
                .send_chunk(Method::POST, &share, "resume-me", index, 4, b"x".to_vec())
                .await,
            StatusCode::OK,
        )
        .await;
    }
    let path = format!("{share}/content/uploads/resume-me");
    let body = expect_json(alice.get(&path).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(
        body,
        serde_json::json!({"status": "success", "dzuuid": "resume-me", "dztotalchunks": 4, "received": [0, 2]})
    );
    expect_error(bob.get(&path).send().await.unwrap(), StatusCode::FORBIDDEN).await;
    expect_error(
        app.anonymous().get(&path).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        alice
            .get(&format!("{share}/content/uploads/other"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        alice
            .get("/files/nope/content/uploads/resume-me")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    for index in [1, 3] {
        alice
            .send_chunk(Method::POST, &share, "resume-me", index, 4, b"x".to_vec())
            .await;
    }
    expect_error(
        alice.get(&path).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}
