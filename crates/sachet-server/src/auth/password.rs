//! Argon2id password hashing, off the async executor and bounded in how
//! much memory concurrent hashes may take.
//!
//! Hashes run on a few dedicated threads, each with one working memory that
//! it reuses for every hash. Allocating the memory cost afresh per hash (19
//! MiB by default, 64-byte aligned) fragments the allocator's arenas: the
//! resident size then grew by a hash's cost per login, up to hundreds of
//! MiB. Reused memory keeps it at one hash's cost per thread.

use std::{
    fmt,
    sync::{Arc, Mutex, mpsc},
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use sachet_core::Password;
use tokio::sync::oneshot;

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
    /// The queue of the hashing threads; each holds `memory_kib` of memory
    /// while it works.
    jobs: mpsc::Sender<Job>,
}

/// Work for a hashing thread, given the thread's working memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

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
    /// at once, each on its own thread.
    pub fn new(params: HashingParams, concurrency: usize) -> Result<PasswordHasher, HashError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|err| HashError(err.to_string()))?;
        let dummy_password = uuid::Uuid::new_v4().to_string();
        let dummy_hash = hash_with(&params, dummy_password.as_bytes(), &mut Vec::new())?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for worker in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("sachet-hash-{worker}"))
                .spawn(move || work(&queue))
                .map_err(|err| HashError(format!("starting a hashing thread: {err}")))?;
        }
        Ok(PasswordHasher {
            params,
            dummy_hash: dummy_hash.into(),
            jobs,
        })
    }

    /// The PHC string of a new salted hash of `password`.
    pub async fn hash(&self, password: Password) -> Result<String, HashError> {
        let params = self.params.clone();
        self.run(move |memory| hash_with(&params, password.expose().as_bytes(), memory))
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
            .run(move |memory| verify_with(password.expose().as_bytes(), &hash, memory))
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // The caller may have gone away; its answer is then unwanted.
            let _ = reply.send(work(memory));
        });
        self.jobs
            .send(job)
            .map_err(|_| HashError("the hashing threads stopped".into()))?;
        answer
            .await
            .map_err(|_| HashError("a hashing thread failed".into()))
    }
}

/// The loop of a hashing thread: it ends when every hasher is dropped.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    let mut memory = Vec::new();
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

/// The bytes of a new salted Argon2id hash, as a PHC string.
fn hash_with(
    params: &Params,
    password: &[u8],
    memory: &mut Vec<Block>,
) -> Result<String, HashError> {
    let failed = |err: &dyn fmt::Display| HashError(err.to_string());
    let salt: [u8; 16] = rand::random();
    let mut output = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut output, blocks(memory, params))
        .map_err(|err| failed(&err))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|err| failed(&err))?,
        salt: Some(Salt::new(&salt).map_err(|err| failed(&err))?),
        hash: Some(Output::new(&output).map_err(|err| failed(&err))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches a PHC hash string, with the hash's own
/// parameters. A hash that does not parse never matches.
fn verify_with(password: &[u8], hash: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str());
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, Params::try_from(&parsed))
    else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    if argon2
        .hash_password_into_with_memory(
            password,
            salt.as_ref(),
            &mut output,
            blocks(memory, &params),
        )
        .is_err()
    {
        return false;
    }
    // `Output` compares in constant time.
    Output::new(&output).is_ok_and(|computed| computed == *expected)
}

/// The first `params.block_count()` blocks of the thread's memory, grown
/// when a hash needs more than any before it.
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    &mut memory[..needed]
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
