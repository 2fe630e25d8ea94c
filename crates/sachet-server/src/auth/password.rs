//! Argon2id password hashing, off the async executor and bounded in how
//! much memory concurrent hashes may take.

use std::{fmt, sync::Arc};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use sachet_core::Password;
use tokio::sync::Semaphore;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingParams {
    /// Memory per hash, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashingParams {
    /// OWASP's current recommendation for Argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> HashingParams {
        HashingParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// Verified against when the user does not exist, so that an unknown
    /// name costs as much time as a wrong password.
    dummy_hash: Arc<str>,
    /// Hashes running at once; each holds `memory_kib` of memory.
    permits: Arc<Semaphore>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Hashing failed; only invalid parameters or a lost worker cause this.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl PasswordHasher {
    /// A hasher with the given costs, running at most `concurrency` hashes
    /// at once.
    pub fn new(params: HashingParams, concurrency: usize) -> Result<PasswordHasher, HashError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|err| HashError(err.to_string()))?;
        let dummy_hash = hash_with(&params, uuid::Uuid::new_v4().to_string().as_bytes())?;
        Ok(PasswordHasher {
            params,
            dummy_hash: dummy_hash.into(),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        })
    }

    /// The PHC string of a new salted hash of `password`.
    pub async fn hash(&self, password: Password) -> Result<String, HashError> {
        let params = self.params.clone();
        self.run(move || hash_with(&params, password.expose().as_bytes()))
            .await?
    }

    /// Whether `password` matches `hash`. With no hash (an unknown user) it
    /// spends the same time on a dummy hash and answers `false`.
    pub async fn verify(
        &self,
        password: Password,
        hash: Option<String>,
    ) -> Result<bool, HashError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run(move || {
                Argon2::default()
                    .verify_password(password.expose().as_bytes(), hash.as_str())
                    .is_ok()
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError("the hashing pool is closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|err| HashError(err.to_string()))
    }
}

fn hash_with(params: &Params, password: &[u8]) -> Result<String, HashError> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        let params = HashingParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        PasswordHasher::new(params, 2).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hasher = cheap();
        let password = Password::parse("correct horse").unwrap();
        let hash = hasher.hash(password.clone()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(hasher.verify(password, Some(hash.clone())).await.unwrap());
        let wrong = Password::parse("wrong").unwrap();
        assert!(!hasher.verify(wrong, Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = cheap();
        let password = Password::parse("anything").unwrap();
        assert!(!hasher.verify(password, None).await.unwrap());
    }

    #[test]
    fn defaults_follow_owasp() {
        let params = HashingParams::default();
        assert_eq!(
            (params.memory_kib, params.iterations, params.parallelism),
            (19456, 2, 1)
        );
    }
}
