//! Downloads: ranges, validators, headers.

use futures_util::StreamExt;
use reqwest::{StatusCode, header};

use crate::support::{TestApp, expect_error, expect_json};

#[tokio::test]
async fn whole_downloads_carry_the_contract_headers() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("content.bin", b"0123456789").await;
    let response = admin.get(&format!("{share}/content")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_LENGTH], "10");
    assert_eq!(headers[header::ACCEPT_RANGES], "bytes");
    assert_eq!(headers[header::CONTENT_TYPE], "application/octet-stream");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key(header::ETAG) && headers.contains_key(header::LAST_MODIFIED));
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition
            .split("; ")
            .any(|part| part == "filename=content.bin"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"0123456789");

    let head = admin
        .request(reqwest::Method::HEAD, &format!("{share}/content"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[header::CONTENT_LENGTH], "10");
    assert_eq!(head.headers()[header::ETAG], headers[header::ETAG]);
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_range_matrix() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("r.bin", b"0123456789").await;
    let cases: [(&str, u16, Option<&str>, &[u8]); 12] = [
        ("bytes=0-0", 206, Some("bytes 0-0/10"), b"0"),
        ("bytes=2-5", 206, Some("bytes 2-5/10"), b"2345"),
        ("bytes=7-", 206, Some("bytes 7-9/10"), b"789"),
        ("bytes=-3", 206, Some("bytes 7-9/10"), b"789"),
        ("bytes=8-100", 206, Some("bytes 8-9/10"), b"89"),
        ("bytes=-100", 206, Some("bytes 0-9/10"), b"0123456789"),
        ("bytes=10-", 416, Some("bytes */10"), b""),
        ("bytes=15-20", 416, Some("bytes */10"), b""),
        ("bytes=5-2", 416, Some("bytes */10"), b""),
        ("bytes=-1-0", 416, Some("bytes */10"), b""),
        ("bytes=abc", 416, Some("bytes */10"), b""),
        ("bytes=0-1,4-5", 200, None, b"0123456789"),
    ];
    for (range, status, content_range, body) in cases {
        let response = admin
            .get(&format!("{share}/content"))
            .header(header::RANGE, range)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{range}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_RANGE)
                .map(|v| v.to_str().unwrap()),
            content_range,
            "{range}"
        );
        if status == 416 {
            expect_error(response, StatusCode::RANGE_NOT_SATISFIABLE).await;
        } else {
            assert_eq!(
                response.headers()[header::CONTENT_LENGTH],
                body.len().to_string().as_str()
            );
            assert_eq!(response.bytes().await.unwrap().as_ref(), body, "{range}");
        }
    }
}

#[tokio::test]
async fn conditional_requests() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.share_with("c.txt", b"hello").await;
    let path = format!("{share}/content");
    let first = admin.get(&path).send().await.unwrap();
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    let modified = first.headers()[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_owned();

    let response = admin
        .get(&path)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.headers()[header::ETAG], etag.as_str());
    let response = admin
        .get(&path)
        .header(header::IF_NONE_MATCH, "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = admin
        .get(&path)
        .header(header::IF_MODIFIED_SINCE, &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let response = admin
        .get(&path)
        .header(header::IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // If-Range: a current validator keeps the range, a stale one gets everything.
    let response = admin
        .get(&path)
        .header(header::RANGE, "bytes=1-2")
        .header(header::IF_RANGE, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    let response = admin
        .get(&path)
        .header(header::RANGE, "bytes=1-2")
        .header(header::IF_RANGE, "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"hello");

    // New content, new validator.
    admin
        .upload(reqwest::Method::PUT, &share, b"changed", 100)
        .await;
    let response = admin
        .get(&path)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_ne!(response.headers()[header::ETAG], etag.as_str());
}

#[tokio::test]
async fn names_and_types_follow_the_file_name_safely() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let cases = [
        ("page.html", "text/html", true),
        ("logo.svg", "image/svg+xml", true),
        ("notes.txt", "text/plain", false),
        ("photo.png", "image/png", false),
    ];
    for (name, content_type, sandboxed) in cases {
        let share = admin.share_with(name, b"<script>alert(1)</script>").await;
        let response = admin.get(&format!("{share}/content")).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], content_type, "{name}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(
            headers.get("content-security-policy").is_some(),
            sandboxed,
            "{name}"
        );
    }

    let share = admin.share_with("my résumé \"final\".pdf", b"%PDF").await;
    let response = admin.get(&format!("{share}/content")).send().await.unwrap();
    let disposition = response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''my%20r%C3%A9sum%C3%A9%20%22final%22.pdf"),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename=\"my r_sum_ \\\"final\\\".pdf\""),
        "{disposition}"
    );
}

#[tokio::test]
async fn shares_without_content_have_nothing_to_download() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let share = admin.create_share("empty").await;
    let message = expect_error(
        admin.get(&format!("{share}/content")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(message.contains("no content"), "{message}");
    let head = admin
        .request(reqwest::Method::HEAD, &format!("{share}/content"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    let reader = app.user("nobody", &[]).await;
    expect_error(
        reader
            .get(&format!("{share}/content"))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_json(admin.get(&share).send().await.unwrap(), StatusCode::OK).await;
}

#[tokio::test]
async fn a_download_in_progress_survives_replacement_and_cleanup() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let old: Vec<u8> = (0..8_000_000u32).map(|i| (i % 251) as u8).collect();
    let share = admin.create_share("big.bin").await;
    admin
        .upload(reqwest::Method::POST, &share, &old, 1 << 20)
        .await;

    let response = admin.get(&format!("{share}/content")).send().await.unwrap();
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    received.extend_from_slice(&body.next().await.unwrap().unwrap());

    admin
        .upload(reqwest::Method::PUT, &share, b"new content", 100)
        .await;
    let (ok, out) = app.cli(&["cleanup"], "", &[]).await;
    assert!(ok, "{out}");

    while let Some(piece) = body.next().await {
        received.extend_from_slice(&piece.unwrap());
    }
    assert!(received == old, "the old content arrived whole");
    assert_eq!(admin.download(&share).await, b"new content");
}
