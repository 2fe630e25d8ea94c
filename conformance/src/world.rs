//! The world a scenario acts in: the server, the suite's root user, and
//! fixtures that create users and shares under the run's random prefix.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;
use reqwest::Method;
use serde_json::{Value, json};

use crate::failure::Failure;
use crate::http::{Call, Http, Reply, share_id_of};
use crate::multipart::Form;
use crate::perm::{Perm, codes};

/// A user the suite can act as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub password: String,
    pub token: String,
}

/// A signing key handed to the suite; it never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub Vec<u8>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

/// Knobs that some scenarios read.
#[derive(Clone, Debug)]
pub struct Knobs {
    /// Cases of the model-based scenario.
    pub cases: u32,
    /// Seed of the model-based scenario.
    pub seed: u64,
    /// The server's token signing key, when the operator gave it.
    pub token_secret: Option<SecretKey>,
}

/// What every scenario receives.
#[derive(Clone, Debug)]
pub struct Ctx {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    http: Http,
    prefix: String,
    root: Account,
    knobs: Knobs,
    counter: AtomicU64,
}

impl Ctx {
    /// `root` holds all seven permissions and does the suite's own setup.
    pub fn new(http: Http, prefix: String, root: Account, knobs: Knobs) -> Ctx {
        let shared = Shared {
            http,
            prefix,
            root,
            knobs,
            counter: AtomicU64::new(0),
        };
        Ctx {
            shared: Arc::new(shared),
        }
    }

    pub fn http(&self) -> &Http {
        &self.shared.http
    }

    pub fn root(&self) -> &Account {
        &self.shared.root
    }

    pub fn knobs(&self) -> &Knobs {
        &self.shared.knobs
    }

    pub fn call(&self, method: Method, path: impl Into<String>) -> Call {
        self.shared.http.call(method, path)
    }

    pub fn get(&self, path: impl Into<String>) -> Call {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: impl Into<String>) -> Call {
        self.call(Method::POST, path)
    }

    pub fn put(&self, path: impl Into<String>) -> Call {
        self.call(Method::PUT, path)
    }

    pub fn patch(&self, path: impl Into<String>) -> Call {
        self.call(Method::PATCH, path)
    }

    pub fn delete(&self, path: impl Into<String>) -> Call {
        self.call(Method::DELETE, path)
    }

    /// A fresh name under the run's prefix, such as `sachetconf-1a2b3c4d-u7`.
    pub fn name(&self, tag: &str) -> String {
        let number = self.shared.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{tag}{number}", self.shared.prefix)
    }

    /// A fresh user with these permissions, logged in.
    pub async fn user(&self, perms: &[Perm]) -> Result<Account, Failure> {
        let name = self.name("u");
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        self.post("/users")
            .by(self.root())
            .json(json!({"username": name, "password": password, "permissions": codes(perms)}))
            .send()
            .await?
            .expect(201)?;
        let token = self.login(&name, &password).await?;
        Ok(Account {
            name,
            password,
            token,
        })
    }

    /// A token for these credentials.
    pub async fn login(&self, name: &str, password: &str) -> Result<String, Failure> {
        self.post("/users/login")
            .json(json!({"username": name, "password": password}))
            .send()
            .await?
            .expect(200)?
            .string("auth_token")
    }

    /// A fresh share owned by `owner` (anonymous for `None`), with a file name
    /// under the run's prefix. Returns its id.
    pub async fn share(&self, owner: Option<&Account>) -> Result<String, Failure> {
        let file_name = format!("{}.bin", self.name("s"));
        self.share_named(owner, &file_name).await
    }

    pub async fn share_named(
        &self,
        owner: Option<&Account>,
        file_name: &str,
    ) -> Result<String, Failure> {
        let reply = self
            .post("/files")
            .by_opt(owner)
            .json(json!({"file_name": file_name}))
            .send()
            .await?
            .expect(201)?;
        share_id_of(&reply.json()?).ok_or_else(|| reply.fail("a \"url\" of the form /files/<id>"))
    }

    /// A share whose content is `bytes`, uploaded in one chunk.
    pub async fn share_with(
        &self,
        owner: Option<&Account>,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<String, Failure> {
        let id = self.share_named(owner, file_name).await?;
        self.upload(owner, &id, Method::POST, bytes, bytes.len().max(1))
            .await?;
        Ok(id)
    }

    /// Uploads `bytes` in chunks of `chunk_size`, in index order, and checks
    /// every answer: 200 for each chunk but the last, 201 for the last.
    pub async fn upload(
        &self,
        owner: Option<&Account>,
        id: &str,
        method: Method,
        bytes: &[u8],
        chunk_size: usize,
    ) -> Result<(), Failure> {
        let chunks = split(bytes, chunk_size);
        let dzuuid = uuid::Uuid::new_v4().to_string();
        for (index, chunk) in chunks.iter().enumerate() {
            let form = Form::chunk(&dzuuid, index, chunks.len(), chunk);
            let reply = self.send_chunk(owner, method.clone(), id, &form).await?;
            if index + 1 == chunks.len() {
                reply.expect_message(201, "Upload completed.")?;
            } else {
                reply.expect_message(200, "Chunk uploaded.")?;
            }
        }
        Ok(())
    }

    /// Sends one chunk form to `/files/{id}/content`.
    pub async fn send_chunk(
        &self,
        caller: Option<&Account>,
        method: Method,
        id: &str,
        form: &Form,
    ) -> Result<Reply, Failure> {
        self.call(method, format!("/files/{id}/content"))
            .by_opt(caller)
            .form(form)
            .send()
            .await
    }

    /// The share's JSON as the root user reads it.
    pub async fn share_info(&self, id: &str) -> Result<Value, Failure> {
        self.get(format!("/files/{id}"))
            .by(self.root())
            .send()
            .await?
            .expect(200)?
            .json()
    }

    /// The share's content as the root user reads it (any status).
    pub async fn content(&self, id: &str) -> Result<Reply, Failure> {
        self.get(format!("/files/{id}/content"))
            .by(self.root())
            .send()
            .await
    }

    /// Checks that the share's content is exactly `expected`.
    pub async fn expect_content(&self, id: &str, expected: &[u8]) -> Result<(), Failure> {
        let reply = self.content(id).await?.expect(200)?;
        check_bytes(&reply, expected)
    }

    /// Sets the anonymous permissions. Only scenarios that run alone may call
    /// this; the runner puts the run's baseline back after each of them.
    pub async fn set_anonymous(&self, perms: &[Perm]) -> Result<(), Failure> {
        self.patch("/admin/settings")
            .by(self.root())
            .json(json!({"default_permissions": codes(perms)}))
            .send()
            .await?
            .expect(200)?;
        Ok(())
    }
}

/// Fails unless the body equals `expected`, naming the first differing byte.
pub fn check_bytes(reply: &Reply, expected: &[u8]) -> Result<(), Failure> {
    if reply.body == expected {
        return Ok(());
    }
    let first_difference = reply
        .body
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(reply.body.len().min(expected.len()));
    let mut failure = reply.fail(format!("exactly the {} bytes uploaded", expected.len()));
    failure.actual = Some(format!(
        "status {}, {} bytes, first difference at byte {first_difference}",
        reply.status,
        reply.body.len()
    ));
    Err(failure)
}

/// `len` random bytes.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// Splits `bytes` into chunks of `size`; empty content is one empty chunk.
pub fn split(bytes: &[u8], size: usize) -> Vec<&[u8]> {
    if bytes.is_empty() {
        return vec![bytes];
    }
    bytes.chunks(size.max(1)).collect()
}

/// A valid v4 UUID that names no share.
pub fn missing_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_every_byte_in_order() {
        let bytes: Vec<u8> = (0..10).collect();
        let chunks = split(&bytes, 4);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks.concat(), bytes);
        assert_eq!(split(&[], 4), vec![&[] as &[u8]]);
    }

    #[test]
    fn secret_key_never_prints() {
        let knobs = Knobs {
            cases: 1,
            seed: 1,
            token_secret: Some(SecretKey(b"hunter2".to_vec())),
        };
        assert!(!format!("{knobs:?}").contains("hunter2"));
    }
}
