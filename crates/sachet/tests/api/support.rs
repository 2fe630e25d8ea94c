//! The test harness: a real `sachet serve` process on a free port with a
//! fresh data folder, and typed HTTP actors that talk to it.
//!
//! By default a server keeps its metadata in SQLite and its blobs in a
//! folder. `SACHET_TEST_DATABASE_URL` (a PostgreSQL or MySQL server) gives
//! each test server a fresh database of its own there instead, and
//! `SACHET_TEST_S3_BUCKET` a fresh prefix in that bucket, reached with the
//! `AWS_*` variables.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use reqwest::{Method, RequestBuilder, Response, StatusCode, multipart};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// The first admin's password in every test server.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// A running server with its own data folder, and its backends.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    child: Child,
    /// More servers on the same backends, started by `spawn_replica`.
    replicas: Vec<Child>,
    /// Holds the data folder; kept across restarts.
    data: tempfile::TempDir,
    /// The settings of every process of this app: backends, secret, and
    /// what the test asked for.
    env: HashMap<String, String>,
    /// The database made for this app on a shared server, dropped at the end.
    database: Option<(String, String)>,
}

impl TestApp {
    /// A server with default settings.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(&[]).await
    }

    /// A server with extra `SACHET_*` settings.
    pub async fn spawn_with(settings: &[(&str, &str)]) -> TestApp {
        let data = tempfile::tempdir().expect("a temporary folder");
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert(
            "SACHET_DATA_DIR".into(),
            data.path().join("data").display().to_string(),
        );
        env.insert(
            "SACHET_SECRET_KEY".into(),
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
        );
        let mut database = None;
        if let Some(server) = test_setting("SACHET_TEST_DATABASE_URL") {
            let name = format!("sachet_api_{}", uuid::Uuid::new_v4().simple());
            let url = sachet_store::Store::create_database(&server, &name)
                .await
                .expect("a test database");
            env.insert("SACHET_DATABASE_URL".into(), url);
            database = Some((server, name));
        }
        if let Some(bucket) = test_setting("SACHET_TEST_S3_BUCKET") {
            let prefix = format!("api-{}", uuid::Uuid::new_v4().simple());
            env.insert(
                "SACHET_STORAGE_URL".into(),
                format!("s3://{bucket}/{prefix}"),
            );
        }
        env.extend(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let (child, base) = start(data.path(), &env).await;
        TestApp {
            base,
            http: client(),
            child,
            replicas: Vec::new(),
            data,
            env,
            database,
        }
    }

    /// Starts another server on the same database, blobs and secret, as a
    /// replica behind a load balancer would be; returns its base URL.
    pub async fn spawn_replica(&mut self) -> String {
        let (child, base) = start(self.data.path(), &self.env).await;
        self.replicas.push(child);
        base
    }

    /// Stops the server and starts it again on the same data folder.
    pub async fn restart(&mut self) {
        stop(&mut self.child).await;
        let (child, base) = start(self.data.path(), &self.env).await;
        self.child = child;
        self.base = base;
    }

    /// The server's process id, to read its memory use.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    /// The data folder.
    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("data")
    }

    /// The blob folder, when blobs are kept in a folder (not in S3).
    pub fn blob_dir(&self) -> Option<PathBuf> {
        (!self.env.contains_key("SACHET_STORAGE_URL")).then(|| self.data_dir().join("blobs"))
    }

    /// How many blobs of a kind (`chunks`, `content`) the blob folder holds;
    /// `None` when blobs are kept in S3, where the test cannot look.
    pub fn count_blobs(&self, kind: &str) -> Option<usize> {
        let dir = self.blob_dir()?.join(kind);
        Some(
            std::fs::read_dir(dir)
                .map(|entries| entries.count())
                .unwrap_or(0),
        )
    }

    /// A setting this app's processes run with.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// Whether blobs are kept in S3.
    pub fn uses_s3(&self) -> bool {
        self.blob_dir().is_none()
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    /// Runs `sachet <args>` on this server's data folder, with `stdin` as
    /// its input; returns whether it succeeded and its standard output.
    pub async fn cli(
        &self,
        args: &[&str],
        stdin: &str,
        settings: &[(&str, &str)],
    ) -> (bool, String) {
        use tokio::io::AsyncWriteExt;
        let mut command = Command::new(env!("CARGO_BIN_EXE_sachet"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SACHET_")) {
            command.env_remove(name);
        }
        let mut child = command
            .args(args)
            .current_dir(self.data.path())
            .env("SACHET_LOG", "warn")
            .envs(&self.env)
            .envs(settings.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run sachet");
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(stdin.as_bytes())
            .await
            .expect("write stdin");
        drop(input);
        let output = child.wait_with_output().await.expect("sachet output");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        (output.status.success(), format!("{stdout}{stderr}"))
    }

    /// A caller without a token.
    pub fn anonymous(&self) -> Actor {
        Actor {
            base: self.base.clone(),
            http: self.http.clone(),
            token: None,
        }
    }

    /// The first admin, logged in.
    pub async fn admin(&self) -> Actor {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Logs in; panics when the credentials are refused.
    pub async fn login(&self, username: &str, password: &str) -> Actor {
        let response = self
            .anonymous()
            .post("/users/login")
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        let body = expect_json(response, StatusCode::OK).await;
        Actor {
            base: self.base.clone(),
            http: self.http.clone(),
            token: Some(body["auth_token"].as_str().expect("a token").to_owned()),
        }
    }

    /// Creates a user with `permissions` (password: its name twice) and logs it in.
    pub async fn user(&self, username: &str, permissions: &[&str]) -> Actor {
        let password = format!("{username}{username}");
        let response = self
            .admin()
            .await
            .post("/users")
            .json(&json!({"username": username, "password": password, "permissions": permissions}))
            .send()
            .await
            .expect("create user");
        expect_json(response, StatusCode::CREATED).await;
        self.login(username, &password).await
    }

    /// Sets the anonymous permissions.
    pub async fn set_anonymous(&self, permissions: &[&str]) {
        let response = self
            .admin()
            .await
            .put("/admin/settings")
            .json(&json!({"default_permissions": permissions}))
            .send()
            .await
            .expect("settings");
        expect_json(response, StatusCode::OK).await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        for replica in &mut self.replicas {
            let _ = replica.start_kill();
        }
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
                .block_on(sachet_store::Store::drop_database(&server, &name))
                .map_err(std::io::Error::other)
        })
        .join();
    }
}

/// A test setting from the environment, when set and not empty.
fn test_setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Someone calling the API: a token, or none.
#[derive(Clone)]
pub struct Actor {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

impl Actor {
    /// The same caller with another token (or none).
    pub fn with_token(&self, token: Option<&str>) -> Actor {
        Actor {
            token: token.map(str::to_owned),
            ..self.clone()
        }
    }

    /// The token.
    pub fn token(&self) -> &str {
        self.token.as_deref().expect("a signed-in actor")
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Creates a share and returns its path, `/files/<id>`.
    pub async fn create_share(&self, file_name: &str) -> String {
        let response = self
            .post("/files")
            .json(&json!({"file_name": file_name}))
            .send()
            .await
            .unwrap();
        let body = expect_json(response, StatusCode::CREATED).await;
        body["url"].as_str().unwrap().to_owned()
    }

    /// Sends one chunk of an upload with the given method.
    pub async fn send_chunk(
        &self,
        method: Method,
        share: &str,
        upload: &str,
        index: u64,
        total: u64,
        bytes: Vec<u8>,
    ) -> Response {
        let form = multipart::Form::new()
            .text("dzuuid", upload.to_owned())
            .text("dzchunkindex", index.to_string())
            .text("dztotalchunks", total.to_string())
            .part("upload", multipart::Part::bytes(bytes).file_name("blob"));
        self.request(method, &format!("{share}/content"))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads `content` in chunks of `chunk_size` bytes (in order) and
    /// checks the answers.
    pub async fn upload(&self, method: Method, share: &str, content: &[u8], chunk_size: usize) {
        let chunks: Vec<&[u8]> = match content.is_empty() {
            true => vec![&[][..]],
            false => content.chunks(chunk_size).collect(),
        };
        let upload = uuid::Uuid::new_v4().to_string();
        let total = chunks.len() as u64;
        for (index, chunk) in chunks.into_iter().enumerate() {
            let response = self
                .send_chunk(
                    method.clone(),
                    share,
                    &upload,
                    index as u64,
                    total,
                    chunk.to_vec(),
                )
                .await;
            let expected = match index as u64 + 1 == total {
                true => StatusCode::CREATED,
                false => StatusCode::OK,
            };
            expect_json(response, expected).await;
        }
    }

    /// Creates a share with `content` and returns its path.
    pub async fn share_with(&self, file_name: &str, content: &[u8]) -> String {
        let share = self.create_share(file_name).await;
        self.upload(Method::POST, &share, content, 1 << 20).await;
        share
    }

    /// The content of a share.
    pub async fn download(&self, share: &str) -> Vec<u8> {
        let response = self.get(&format!("{share}/content")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap().to_vec()
    }
}

/// Checks the status and returns the JSON body.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let url = response.url().clone();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "{url}: unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{url}: body is not JSON: {text}"))
}

/// Checks that the answer is an error envelope with `status`, and returns
/// its message.
pub async fn expect_error(response: Response, status: StatusCode) -> String {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let body = expect_json(response, status).await;
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    assert_eq!(body["status"], "fail", "{body}");
    let message = body["message"].as_str().expect("a message").to_owned();
    assert!(!message.is_empty());
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
    message
}

/// The status of a request.
pub async fn status_of(request: RequestBuilder) -> StatusCode {
    request.send().await.expect("request").status()
}

/// The server's log, appended to across restarts.
fn log_file(folder: &Path) -> Stdio {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(folder.join("server.log"))
        .expect("a log file");
    Stdio::from(file)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("an HTTP client")
}

async fn start(folder: &Path, env: &HashMap<String, String>) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sachet"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SACHET_")) {
        command.env_remove(name);
    }
    command
        .arg("serve")
        .current_dir(folder)
        .env("SACHET_BIND", "127.0.0.1:0")
        .env("SACHET_INITIAL_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SACHET_LOG", "warn")
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file(folder))
        .kill_on_drop(true);
    let mut child = command.spawn().expect("start sachet serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("server output") {
            if let Some(address) = line.strip_prefix("Sachet listening on ") {
                return address.trim().to_owned();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server starts within a minute");
    // Keep draining the output so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, address)
}

async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        // SIGTERM, so the server shuts down as it would in production.
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
    let _ = tokio::time::timeout(Duration::from_secs(15), child.wait()).await;
    let _ = child.start_kill();
}
