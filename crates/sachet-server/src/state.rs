//! What every request handler shares: the stores, the token issuer, the
//! password hasher and the limits. It holds no request state of its own, so
//! replicas of the server are interchangeable.

use std::{sync::Arc, time::Duration};

use sachet_blob::BlobStore;
use sachet_store::{LoginLimit, Store};

use crate::auth::{PasswordHasher, TokenIssuer};

/// Limits and policies of the API.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest chunk, in bytes.
    pub max_chunk_size: u64,
    /// Largest whole upload, in bytes.
    pub max_upload_size: u64,
    /// Most chunks in one upload.
    pub max_chunks: u32,
    /// Largest `per_page`; larger values are clamped to it.
    pub max_per_page: u64,
    /// Clock leeway when checking token expiry.
    pub token_leeway: Duration,
    /// Whether a password change revokes the user's existing tokens.
    pub revoke_tokens_on_password_change: bool,
    /// How long blobs that content no longer needs stay for readers still
    /// streaming them.
    pub blob_grace: Duration,
    /// How long an upload may send nothing before it is refused.
    pub idle_timeout: Duration,
    /// Chunks received at once; more wait for a turn.
    pub max_concurrent_uploads: usize,
    /// Failed logins allowed per username.
    pub logins_per_user: LoginLimit,
    /// Failed logins allowed per client address.
    pub logins_per_address: LoginLimit,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_chunk_size: 100 * 1024 * 1024,
            max_upload_size: 16 * 1024 * 1024 * 1024,
            max_chunks: 100_000,
            max_per_page: 100,
            token_leeway: Duration::ZERO,
            revoke_tokens_on_password_change: false,
            blob_grace: Duration::from_secs(3600),
            idle_timeout: Duration::from_secs(60),
            max_concurrent_uploads: 32,
            logins_per_user: LoginLimit {
                max_failures: 10,
                window: Duration::from_secs(15 * 60),
                lockout: Duration::from_secs(5 * 60),
            },
            logins_per_address: LoginLimit {
                max_failures: 100,
                window: Duration::from_secs(15 * 60),
                lockout: Duration::from_secs(5 * 60),
            },
        }
    }
}

/// The shared state of the API.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Metadata.
    pub store: Store,
    /// Content.
    pub blobs: Arc<dyn BlobStore>,
    /// Issues and verifies tokens.
    pub tokens: TokenIssuer,
    /// Hashes and verifies passwords.
    pub passwords: PasswordHasher,
    /// Limits and policies.
    pub limits: Arc<Limits>,
    /// Turns for receiving chunks, `limits.max_concurrent_uploads` of them:
    /// each chunk in flight holds buffers, so their number bounds memory.
    pub upload_turns: Arc<tokio::sync::Semaphore>,
}
