//! The Rust client generated from the committed OpenAPI document, against
//! a real server: the same scenario the Python and TypeScript clients run.

use futures_util::TryStreamExt;
use sachet_client::{
    Chunk, ChunkMethod, Client, Error,
    types::{LoginRequest, LogoutRequest, NewShare, NewUser, PermissionCode},
    with_token,
};

use crate::support::{ADMIN_PASSWORD, TestApp};

/// The status and body of a documented error answer.
fn typed_error<T: std::fmt::Debug>(
    result: Result<T, Error<sachet_client::types::ErrorBody>>,
) -> (u16, String) {
    match result {
        Err(Error::ErrorResponse(error)) => {
            let status = error.status().as_u16();
            let body = error.into_inner();
            assert_eq!(body.status, "fail");
            (status, body.message)
        }
        other => panic!("expected a documented error answer, got {other:?}"),
    }
}

#[tokio::test]
async fn the_generated_rust_client_runs_the_whole_scenario() {
    let app = TestApp::spawn().await;
    let anonymous = Client::new(&app.base);

    // Log in and read whoami.
    let login = LoginRequest {
        username: "admin".into(),
        password: ADMIN_PASSWORD.into(),
    };
    let token = anonymous
        .login(&login)
        .await
        .unwrap()
        .into_inner()
        .auth_token;
    let admin = with_token(&app.base, &token).unwrap();
    let me = admin.whoami().await.unwrap().into_inner();
    assert_eq!(me.username.as_deref(), Some("admin"));
    assert_eq!(me.permissions.len(), 7);

    // Create a user and a share.
    let user = NewUser {
        username: "carol".parse().unwrap(),
        password: "carol-password".parse().unwrap(),
        permissions: vec![PermissionCode::Create, PermissionCode::Read],
    };
    let created = admin.create_user(&user).await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.into_inner().url, "/users/carol");
    let share = NewShare {
        file_name: Some("notes.txt".parse().unwrap()),
    };
    let url = admin.create_share(&share).await.unwrap().into_inner().url;
    let id: uuid::Uuid = url.trim_start_matches("/files/").parse().unwrap();

    // Upload in two chunks, the second first.
    let chunk = |index, bytes: &[u8]| Chunk {
        upload_id: "rust-client",
        index,
        total: 2,
        bytes: bytes.to_vec(),
    };
    let first = admin
        .send_chunk(ChunkMethod::Upload, &id, chunk(1, b"world"))
        .await
        .unwrap();
    assert_eq!(
        (first.status().as_u16(), first.into_inner().message.as_str()),
        (200, "Chunk uploaded.")
    );
    let last = admin
        .send_chunk(ChunkMethod::Upload, &id, chunk(0, b"hello "))
        .await
        .unwrap();
    assert_eq!(
        (last.status().as_u16(), last.into_inner().message.as_str()),
        (201, "Upload completed.")
    );

    // Read the share, download it whole and by range.
    let read = admin.read_share(&id).await.unwrap().into_inner();
    assert!(read.initialized);
    assert_eq!(
        (read.file_name.as_str(), read.size),
        ("notes.txt", Some(11))
    );
    let whole = admin
        .read_content(&id, None, None, None, None)
        .await
        .unwrap();
    assert_eq!(whole.status().as_u16(), 200);
    let bytes: Vec<bytes::Bytes> = whole.into_inner().into_inner().try_collect().await.unwrap();
    assert_eq!(bytes.concat(), b"hello world");
    let part = admin
        .read_content(&id, None, None, None, Some("bytes=6-10"))
        .await
        .unwrap();
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 6-10/11");
    let bytes: Vec<bytes::Bytes> = part.into_inner().into_inner().try_collect().await.unwrap();
    assert_eq!(bytes.concat(), b"world");

    // Lock it: replacing is the typed 423.
    admin.lock_share(&id).await.unwrap();
    let replaced = admin
        .send_chunk(ChunkMethod::Replace, &id, chunk(0, b"x"))
        .await;
    assert_eq!(typed_error(replaced), (423, "Share is locked.".to_owned()));

    // Log out: the old token is the typed 401.
    admin
        .logout(&LogoutRequest {
            token: token.clone(),
        })
        .await
        .unwrap();
    let (status, _) = typed_error(admin.whoami().await);
    assert_eq!(status, 401);
}
