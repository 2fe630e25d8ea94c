//! The error envelope for framework errors, CORS, the document and health.

use reqwest::{Method, StatusCode, header};

use crate::support::{TestApp, expect_error, expect_json};

#[tokio::test]
async fn framework_errors_use_the_envelope() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    expect_error(
        admin.get("/no/such/route").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        admin
            .request(Method::DELETE, "/whoami")
            .send()
            .await
            .unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
    expect_error(
        admin
            .request(Method::PATCH, "/users/login")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        admin
            .request(Method::GET, "/users/logout")
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let wrong_type = admin
        .post("/files")
        .header("content-type", "text/plain")
        .body("file_name=x")
        .send()
        .await
        .unwrap();
    expect_error(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let malformed = admin
        .post("/files")
        .header("content-type", "application/json")
        .body("{\"file_name\":")
        .send()
        .await
        .unwrap();
    expect_error(malformed, StatusCode::BAD_REQUEST).await;
    let huge = admin
        .post("/files")
        .header("content-type", "application/json")
        .body(vec![b' '; 200_000])
        .send()
        .await
        .unwrap();
    expect_error(huge, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn cors_answers_preflights_and_exposes_headers() {
    let app = TestApp::spawn().await;
    let preflight = app
        .anonymous()
        .request(Method::OPTIONS, "/files")
        .header(header::ORIGIN, "https://app.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::OK);
    assert_eq!(
        preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example"
    );

    let admin = app.admin().await;
    let share = admin.share_with("a.txt", b"abc").await;
    let response = admin
        .get(&format!("{share}/content"))
        .header(header::ORIGIN, "https://app.example")
        .send()
        .await
        .unwrap();
    let exposed = response.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "content-disposition",
        "content-range",
        "content-length",
        "accept-ranges",
        "location",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    // Errors carry the CORS headers too.
    let error = app
        .anonymous()
        .get("/files")
        .header(header::ORIGIN, "https://app.example")
        .send()
        .await
        .unwrap();
    assert!(
        error
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

#[tokio::test]
async fn configured_origins_are_the_only_ones_allowed() {
    let app = TestApp::spawn_with(&[("SACHET_CORS_ORIGINS", "https://good.example")]).await;
    let good = app
        .anonymous()
        .get("/health")
        .header(header::ORIGIN, "https://good.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        good.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://good.example"
    );
    let bad = app
        .anonymous()
        .get("/health")
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(bad.status().is_client_error());
    assert!(
        !bad.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

#[tokio::test]
async fn the_document_swagger_and_health_are_served() {
    let app = TestApp::spawn().await;
    let anonymous = app.anonymous();
    let document = expect_json(
        anonymous.get("/openapi.json").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert!(document["paths"]["/files/{id}/content"].is_object());
    // All three show the completed document, links included.
    let link = "$response.body#/share_id";
    let served_link =
        &document["paths"]["/files"]["post"]["responses"]["201"]["links"]["read_share"];
    assert_eq!(served_link["parameters"]["id"], link);
    let yaml = anonymous.get("/openapi.yaml").send().await.unwrap();
    assert_eq!(yaml.status(), StatusCode::OK);
    let yaml = yaml.text().await.unwrap();
    assert!(yaml.contains("openapi: 3.") && yaml.contains(link));
    let swagger = anonymous.get("/swagger").send().await.unwrap();
    assert_eq!(swagger.status(), StatusCode::OK);
    let swagger = swagger.text().await.unwrap();
    assert!(swagger.contains("SwaggerUIBundle") && swagger.contains(link));
    let health = expect_json(
        anonymous.get("/health").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(health["status"], "ok");
    let ready = expect_json(
        anonymous.get("/ready").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (ready["database"].as_bool(), ready["storage"].as_bool()),
        (Some(true), Some(true))
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app.anonymous().get("/health").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"].len(), 12);
}
