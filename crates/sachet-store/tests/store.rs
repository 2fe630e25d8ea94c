//! The store's guarantees, checked on a real database: SQLite in a
//! temporary folder, or a fresh database on the server that
//! `SACHET_TEST_DATABASE_URL` names (PostgreSQL or MySQL).

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

use sachet_core::PermissionSet;
use sachet_store::{
    Chunk, Claim, ContentPart, ContentSwitch, PageRequest, Store, StoreError, SwitchRule,
    UploadRecord, UploadRefusal,
};

/// Where a test keeps its data: a temporary folder, or a database of its
/// own that is dropped when the test ends.
struct Scratch {
    _dir: tempfile::TempDir,
    database: Option<(String, String)>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some((server, name)) = self.database.take() else {
            return;
        };
        // Dropping runs inside the test's runtime, which cannot block: a
        // thread of its own does the asynchronous work.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime
                .block_on(Store::drop_database(&server, &name))
                .map_err(std::io::Error::other)
        })
        .join();
    }
}

async fn store() -> (Store, Scratch) {
    let dir = tempfile::tempdir().unwrap();
    let mut database = None;
    let url = match std::env::var("SACHET_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    {
        Some(server) => {
            let name = format!("sachet_store_{}", uuid::Uuid::new_v4().simple());
            let url = Store::create_database(&server, &name).await.unwrap();
            database = Some((server, name));
            url
        }
        None => format!("sqlite://{}", dir.path().join("test.db").display()),
    };
    let dir = Scratch {
        _dir: dir,
        database,
    };
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    // Migrating twice is harmless.
    store.migrate().await.unwrap();
    (store, dir)
}

/// When doomed blobs of a test may go: an hour from now.
fn soon() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::hours(1)
}

fn chunk(index: u32, size: u64) -> Chunk {
    Chunk {
        index,
        blob_key: format!("chunks/{index}-{size}"),
        size,
    }
}

#[tokio::test]
async fn usernames_are_unique_and_case_sensitive() {
    let (store, _dir) = store().await;
    store
        .create_user("alice", "h", PermissionSet::EMPTY)
        .await
        .unwrap();
    let again = store.create_user("alice", "h", PermissionSet::EMPTY).await;
    assert!(matches!(again, Err(StoreError::Conflict("user"))));
    store
        .create_user("Alice", "h", PermissionSet::EMPTY)
        .await
        .unwrap();
    let bob = store
        .create_user("bob", "h", PermissionSet::EMPTY)
        .await
        .unwrap();
    let rename = sachet_store::UserUpdate {
        username: Some("alice".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.update_user(bob.id, rename).await,
        Err(StoreError::Conflict(_))
    ));
    // An update that changes nothing still finds the user.
    store.update_user(bob.id, Default::default()).await.unwrap();
}

#[tokio::test]
async fn revoking_twice_is_a_conflict_and_purging_keeps_live_tokens() {
    let (store, _dir) = store().await;
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    store.revoke_token("live", soon).await.unwrap();
    store.revoke_token("dead", past).await.unwrap();
    assert!(matches!(
        store.revoke_token("live", soon).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.purge_revocations(chrono::Utc::now()).await.unwrap(),
        1
    );
    assert!(store.is_revoked("live").await.unwrap());
    assert!(!store.is_revoked("dead").await.unwrap());
}

#[tokio::test]
async fn uploads_count_distinct_indexes_and_bytes() {
    let (store, _dir) = store().await;
    let share = store.create_share(None, Some("f")).await.unwrap();
    let upload = store
        .open_upload(share.id, "u", 3, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .open_upload(share.id, "u", 2, SwitchRule::FirstUpload)
            .await
            .unwrap()
            .unwrap_err(),
        UploadRefusal::TotalMismatch { expected: 3 }
    );

    let first = store
        .record_chunk(upload.id, &chunk(0, 10), 25)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.received, first.replaced), (1, None));
    let again = store
        .record_chunk(upload.id, &chunk(0, 12), 25)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.received, again.replaced.as_deref()),
        (1, Some("chunks/0-10"))
    );
    store
        .record_chunk(upload.id, &chunk(2, 13), 25)
        .await
        .unwrap()
        .unwrap();
    // 12 + 13 + 1 > 25.
    assert_eq!(
        store
            .record_chunk(upload.id, &chunk(1, 1), 25)
            .await
            .unwrap()
            .unwrap_err(),
        UploadRefusal::TooLarge
    );
    // Replacing chunk 2 with a smaller one makes room.
    store
        .record_chunk(upload.id, &chunk(2, 5), 25)
        .await
        .unwrap()
        .unwrap();
    let last = store
        .record_chunk(upload.id, &chunk(1, 1), 25)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.received, 3);
    let indexes: Vec<u32> = store
        .upload_chunks(upload.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.index)
        .collect();
    assert_eq!(indexes, [0, 1, 2]);
}

#[tokio::test]
async fn one_claim_wins_and_chunks_freeze_while_completing() {
    let (store, _dir) = store().await;
    let share = store.create_share(None, None).await.unwrap();
    let upload = store
        .open_upload(share.id, "u", 1, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    store
        .record_chunk(upload.id, &chunk(0, 1), 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Claimed);
    assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Busy);
    assert_eq!(
        store
            .record_chunk(upload.id, &chunk(0, 2), 10)
            .await
            .unwrap()
            .unwrap_err(),
        UploadRefusal::Completing
    );
    store.release_upload(upload.id).await.unwrap();
    assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Claimed);

    let switch = ContentSwitch {
        parts: vec![("content/a".into(), 1)],
    };
    store
        .complete_upload(&upload, SwitchRule::FirstUpload, &switch, soon())
        .await
        .unwrap()
        .unwrap();
    let share = store.share(share.id).await.unwrap().unwrap();
    assert!(share.initialized);
    assert_eq!(share.size, Some(1));
    let parts = store
        .content_parts(share.content_id.unwrap(), 0..1)
        .await
        .unwrap();
    let expected = ContentPart {
        blob_key: "content/a".into(),
        start: 0,
        end: 1,
    };
    assert_eq!(parts, [expected]);
    // The upload is done: its chunks belong to the content, and a late
    // retry is recognised rather than taken for a new upload.
    assert!(store.upload_chunks(upload.id).await.unwrap().is_empty());
    let retry = store
        .record_chunk(upload.id, &chunk(0, 1), 10)
        .await
        .unwrap();
    assert_eq!(retry.unwrap_err(), UploadRefusal::Completed);
    let reopened = store
        .open_upload(share.id, "u", 1, SwitchRule::FirstUpload)
        .await
        .unwrap();
    assert_eq!(reopened.unwrap_err(), UploadRefusal::Completed);
    assert_eq!(
        store.claim_upload(upload.id).await.unwrap(),
        Claim::Completed
    );
    assert!(
        store
            .received_indexes(share.id, "u")
            .await
            .unwrap()
            .is_none()
    );
    // The cleanup forgets it in the end.
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(store.purge_completed_uploads(later).await.unwrap(), 1);
    assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Gone);
}

#[tokio::test]
async fn a_claim_whose_holder_died_lapses_after_its_lease() {
    let (store, _dir) = store().await;
    let store = store.with_claim_lease(std::time::Duration::from_millis(300));
    let share = store.create_share(None, None).await.unwrap();
    let upload = store
        .open_upload(share.id, "u", 1, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    store
        .record_chunk(upload.id, &chunk(0, 1), 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Claimed);
    // A renewed claim holds.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    store.renew_claim(upload.id).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Busy);
    // One left alone lapses: chunks may change again, and another claims it.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    store
        .record_chunk(upload.id, &chunk(0, 2), 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Claimed);
}

/// Found by adversarial testing: a new upload that reused the client id of
/// a completed one was taken for a late retry, answered 201, and dropped.
#[tokio::test]
async fn a_completed_uploads_id_is_free_again_after_a_lease_or_with_another_count() {
    let (store, _dir) = store().await;
    let store = store.with_claim_lease(std::time::Duration::from_millis(300));
    let share = store.create_share(None, None).await.unwrap();
    let complete = |upload: UploadRecord, rule: SwitchRule, key: &'static str| {
        let store = store.clone();
        async move {
            store
                .record_chunk(upload.id, &chunk(0, 1), 10)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(store.claim_upload(upload.id).await.unwrap(), Claim::Claimed);
            let switch = ContentSwitch {
                parts: vec![(key.into(), 1)],
            };
            store
                .complete_upload(&upload, rule, &switch, soon())
                .await
                .unwrap()
                .unwrap();
        }
    };
    let first = store
        .open_upload(share.id, "u", 1, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    complete(first.clone(), SwitchRule::FirstUpload, "content/a").await;

    // Within a lease, the same count is a late retry.
    let retry = store
        .open_upload(share.id, "u", 1, SwitchRule::FirstUpload)
        .await
        .unwrap();
    assert_eq!(retry.unwrap_err(), UploadRefusal::Completed);
    // A replacement cannot be a retry of a first upload: a new upload starts.
    let replacement = store
        .open_upload(share.id, "u", 1, SwitchRule::Replace)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(replacement.id, first.id);

    let second = store
        .open_upload(share.id, "v", 1, SwitchRule::Replace)
        .await
        .unwrap()
        .unwrap();
    complete(second.clone(), SwitchRule::Replace, "content/b").await;
    // Another count cannot be a retry either.
    let other = store
        .open_upload(share.id, "v", 2, SwitchRule::Replace)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(other.id, second.id);
    assert_eq!(other.total_chunks, 2);

    let third = store
        .open_upload(share.id, "w", 1, SwitchRule::Replace)
        .await
        .unwrap()
        .unwrap();
    complete(third.clone(), SwitchRule::Replace, "content/c").await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    // After a lease, the same count and method start a new upload too.
    let fourth = store
        .open_upload(share.id, "w", 1, SwitchRule::Replace)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(fourth.id, third.id);
    complete(fourth, SwitchRule::Replace, "content/d").await;
    let share = store.share(share.id).await.unwrap().unwrap();
    let parts = store
        .content_parts(share.content_id.unwrap(), 0..1)
        .await
        .unwrap();
    assert_eq!(parts[0].blob_key, "content/d");
}

#[tokio::test]
async fn switches_respect_their_rule() {
    let (store, _dir) = store().await;
    let share = store.create_share(None, None).await.unwrap();
    let one_content = ContentSwitch {
        parts: vec![("content/one".into(), 1)],
    };
    let two_content = ContentSwitch {
        parts: vec![("content/two".into(), 1)],
    };
    let one = store
        .open_upload(share.id, "one", 1, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    let first = store.complete_upload(&one, SwitchRule::FirstUpload, &one_content, soon());
    first.await.unwrap().unwrap();

    let two = store
        .open_upload(share.id, "two", 1, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    let again = store.complete_upload(&two, SwitchRule::FirstUpload, &two_content, soon());
    assert_eq!(
        again.await.unwrap().unwrap_err(),
        UploadRefusal::AlreadyInitialized
    );

    store.set_locked(share.id, true).await.unwrap();
    let locked = store.complete_upload(&two, SwitchRule::Replace, &two_content, soon());
    assert_eq!(
        locked.await.unwrap().unwrap_err(),
        UploadRefusal::ShareLocked
    );
    store.set_locked(share.id, false).await.unwrap();
    let replace = store.complete_upload(&two, SwitchRule::Replace, &two_content, soon());
    replace.await.unwrap().unwrap();

    // The replaced content keeps its parts, still referenced, through its
    // grace period.
    let keys = ["content/one".to_owned()];
    assert_eq!(store.referenced_blobs(&keys).await.unwrap(), keys);
    let now = chrono::Utc::now();
    assert!(store.due_doomed_contents(now, 10).await.unwrap().is_empty());
    let later = now + chrono::Duration::hours(2);
    let due = store.due_doomed_contents(later, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(store.content_blobs(due[0]).await.unwrap(), keys);
    store.forget_content(due[0]).await.unwrap();
    assert!(store.referenced_blobs(&keys).await.unwrap().is_empty());
    assert!(
        store
            .due_doomed_contents(later, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn deleting_a_share_returns_every_blob_it_held() {
    let (store, _dir) = store().await;
    let share = store.create_share(None, None).await.unwrap();
    let upload = store
        .open_upload(share.id, "u", 2, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    store
        .record_chunk(upload.id, &chunk(0, 1), 10)
        .await
        .unwrap()
        .unwrap();
    store.set_locked(share.id, true).await.unwrap();
    assert!(matches!(
        store.delete_share(share.id, soon()).await,
        Err(StoreError::Locked)
    ));
    store.set_locked(share.id, false).await.unwrap();
    let blobs = store.delete_share(share.id, soon()).await.unwrap();
    assert_eq!(blobs, ["chunks/0-1"]);
    assert!(matches!(
        store.delete_share(share.id, soon()).await,
        Err(StoreError::NotFound("share"))
    ));
    assert!(
        store
            .referenced_blobs(&["chunks/0-1".into()])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn deleting_a_user_leaves_its_shares_without_owner() {
    let (store, _dir) = store().await;
    let alice = store
        .create_user("alice", "h", PermissionSet::ALL)
        .await
        .unwrap();
    let share = store.create_share(Some(alice.id), Some("a")).await.unwrap();
    assert_eq!(share.owner_name.as_deref(), Some("alice"));
    store.delete_user(alice.id).await.unwrap();
    let share = store.share(share.id).await.unwrap().unwrap();
    assert_eq!((share.owner_id, share.owner_name), (None, None));
    assert!(matches!(
        store.delete_user(alice.id).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn content_parts_cover_the_range_asked_for() {
    let (store, _dir) = store().await;
    let share = store.create_share(None, None).await.unwrap();
    let upload = store
        .open_upload(share.id, "u", 3, SwitchRule::FirstUpload)
        .await
        .unwrap()
        .unwrap();
    let parts = vec![
        ("a".to_owned(), 10),
        ("b".to_owned(), 0),
        ("c".to_owned(), 5),
    ];
    store
        .complete_upload(
            &upload,
            SwitchRule::FirstUpload,
            &ContentSwitch { parts },
            soon(),
        )
        .await
        .unwrap()
        .unwrap();
    let content = store
        .share(share.id)
        .await
        .unwrap()
        .unwrap()
        .content_id
        .unwrap();
    let keys = |range| {
        let store = store.clone();
        async move {
            let parts = store.content_parts(content, range).await.unwrap();
            parts
                .into_iter()
                .map(|p| (p.blob_key, p.start, p.end))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        keys(0..15).await,
        [("a".into(), 0, 10), ("c".into(), 10, 15)]
    );
    assert_eq!(
        keys(9..11).await,
        [("a".into(), 0, 10), ("c".into(), 10, 15)]
    );
    assert_eq!(keys(10..11).await, [("c".into(), 10, 15)]);
    assert_eq!(keys(0..10).await, [("a".into(), 0, 10)]);
}

#[tokio::test]
async fn pages_follow_creation_order() {
    let (store, _dir) = store().await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(
            store
                .create_share(None, Some(&format!("f{n}")))
                .await
                .unwrap()
                .id,
        );
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let list = store
            .list_shares(PageRequest { page, per_page: 3 })
            .await
            .unwrap();
        assert_eq!(list.total, 7);
        seen.extend(list.items.into_iter().map(|share| share.id));
    }
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn an_unknown_or_uncompiled_backend_is_a_clear_error() {
    let err = Store::connect("redis://localhost")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unsupported database URL"), "{err}");
    if !cfg!(feature = "postgres") && std::env::var("SACHET_TEST_DATABASE_URL").is_err() {
        let err = Store::connect("postgres://u@127.0.0.1/db")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("--features postgres"), "{err}");
    }
}
