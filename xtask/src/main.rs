//! `cargo xtask`: repeatable chores of the Sachet workspace.
//!
//! - `cargo xtask test` runs every test of the workspace (with
//!   cargo-nextest when it is installed, else `cargo test`), then the
//!   conformance suite, every tier, against a fresh server.
//! - `cargo xtask conformance [--db sqlite|postgres|mysql] [--blobs fs|s3]
//!   [suite flags]` builds the server, starts it on a free port with a fresh
//!   data folder (and a fresh database or S3 prefix), runs the conformance
//!   suite against it, stops it, and exits with the suite's status.
//! - `cargo xtask openapi` rewrites `openapi/sachet.json` from the code;
//!   `cargo xtask openapi --check` fails when it is stale.

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool reports on standard output"
)]

use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
};

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("conformance") => conformance(&args[1..]),
        Some("openapi") => openapi(args.iter().any(|arg| arg == "--check")),
        _ => Err(USAGE.to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask test | cargo xtask conformance [suite flags] | cargo xtask openapi [--check]";

/// Runs every test of the workspace from one build.
fn test() -> Result<()> {
    let has_nextest = Command::new(env!("CARGO"))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    let args: &[&str] = match has_nextest {
        true => &["nextest", "run", "--workspace", "--no-fail-fast"],
        false => &["test", "--workspace", "--no-fail-fast"],
    };
    run(Command::new(env!("CARGO"))
        .args(args)
        .current_dir(workspace_root()))?;
    conformance(&["--tier".to_owned(), "ext".to_owned()])
}

/// The environment variable the suite reads the admin password from.
const PASSWORD_VARIABLE: &str = "SACHET_CONFORMANCE_ADMIN_PASSWORD";

/// The environment variable the suite reads the server's signing secret from.
const SECRET_VARIABLE: &str = "SACHET_CONFORMANCE_TOKEN_SECRET";

/// Runs the conformance suite against a fresh server of this workspace.
fn conformance(args: &[String]) -> Result<()> {
    let (backends, suite_args) = Backends::from_args(args)?;
    let root = workspace_root();
    run(Command::new(env!("CARGO"))
        .args([
            "build",
            "--package",
            "sachet",
            "--package",
            "sachet-conformance",
        ])
        .current_dir(&root))?;
    let binaries = target_dir(&root).join("debug");

    let run_id = random_hex(6)?;
    let data = std::env::temp_dir().join(format!("sachet-conformance-{run_id}"));
    std::fs::create_dir_all(&data).map_err(|err| format!("creating {}: {err}", data.display()))?;
    let database = backends.database.create(&run_id)?;
    let mut settings = vec![(
        "SACHET_DATA_DIR".to_owned(),
        data.join("data").display().to_string(),
    )];
    settings.extend(
        database
            .url
            .clone()
            .map(|url| ("SACHET_DATABASE_URL".to_owned(), url)),
    );
    settings.extend(
        backends
            .storage_url(&run_id)?
            .map(|url| ("SACHET_STORAGE_URL".to_owned(), url)),
    );

    let password = random_hex(16)?;
    let secret = random_hex(32)?;
    let outcome = Server::start(&binaries.join("sachet"), &settings, &password, &secret).and_then(
        |mut server| {
            println!(
                "conformance: {} + {} at {}",
                backends.database.name(),
                backends.blobs,
                server.url
            );
            // The signing secret lets the suite forge expired tokens.
            let status = Command::new(binaries.join("sachet-conformance"))
                .args(["--base-url", &server.url, "--admin-user", "admin"])
                .args(["--admin-password-env", PASSWORD_VARIABLE])
                .args(["--token-secret-env", SECRET_VARIABLE])
                .args(&suite_args)
                .env(PASSWORD_VARIABLE, &password)
                .env(SECRET_VARIABLE, &secret)
                .status();
            server.stop();
            status.map_err(|err| format!("running sachet-conformance: {err}"))
        },
    );
    database.drop_it();
    let _ = std::fs::remove_dir_all(&data);

    let status = outcome?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("the conformance suite failed: {status}")),
    }
}

/// The backends a conformance run uses: `--db sqlite|postgres|mysql` and
/// `--blobs fs|s3`.
struct Backends {
    database: DatabaseKind,
    blobs: String,
}

#[derive(Clone, Copy)]
enum DatabaseKind {
    Sqlite,
    Postgres,
    Mysql,
}

/// A database made for one run, dropped at its end.
struct RunDatabase {
    kind: DatabaseKind,
    name: String,
    url: Option<String>,
}

impl Backends {
    /// Takes the backend flags out of the arguments; the rest go to the suite.
    fn from_args(args: &[String]) -> Result<(Backends, Vec<String>)> {
        let mut backends = Backends {
            database: DatabaseKind::Sqlite,
            blobs: "fs".to_owned(),
        };
        let mut rest = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--db" => {
                    backends.database = match args.next().map(String::as_str) {
                        Some("sqlite") => DatabaseKind::Sqlite,
                        Some("postgres") => DatabaseKind::Postgres,
                        Some("mysql") => DatabaseKind::Mysql,
                        other => {
                            return Err(format!(
                                "--db takes sqlite, postgres or mysql, not {other:?}"
                            ));
                        }
                    };
                }
                "--blobs" => match args.next().map(String::as_str) {
                    Some(kind @ ("fs" | "s3")) => backends.blobs = kind.to_owned(),
                    other => return Err(format!("--blobs takes fs or s3, not {other:?}")),
                },
                _ => rest.push(arg.clone()),
            }
        }
        Ok((backends, rest))
    }

    /// The storage URL of a run: a fresh prefix of the S3 test bucket.
    fn storage_url(&self, run_id: &str) -> Result<Option<String>> {
        if self.blobs != "s3" {
            return Ok(None);
        }
        let bucket = std::env::var("SACHET_TEST_S3_BUCKET").map_err(|_| {
            "--blobs s3 needs SACHET_TEST_S3_BUCKET and the AWS_* variables (see .ci/s3-server)"
                .to_owned()
        })?;
        Ok(Some(format!("s3://{bucket}/conformance-{run_id}")))
    }
}

impl DatabaseKind {
    fn name(self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
            DatabaseKind::Mysql => "mysql",
        }
    }

    /// Creates a fresh database with the server's own client; SQLite needs none.
    fn create(self, run_id: &str) -> Result<RunDatabase> {
        let name = format!("sachet_conformance_{run_id}");
        let url = match self {
            DatabaseKind::Sqlite => None,
            DatabaseKind::Postgres => {
                run(Command::new("psql")
                    .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc"])
                    .arg(format!("CREATE DATABASE {name}")))?;
                Some(format!("postgres://postgres@127.0.0.1/{name}"))
            }
            DatabaseKind::Mysql => {
                run(Command::new("mariadb")
                    .args(["-h", "127.0.0.1", "-u", "root", "-e"])
                    .arg(format!(
                        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    )))?;
                Some(format!("mysql://root@127.0.0.1/{name}"))
            }
        };
        Ok(RunDatabase {
            kind: self,
            name,
            url,
        })
    }
}

impl RunDatabase {
    fn drop_it(&self) {
        let outcome = match self.kind {
            DatabaseKind::Sqlite => return,
            DatabaseKind::Postgres => Command::new("psql")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc"])
                .arg(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .status(),
            DatabaseKind::Mysql => Command::new("mariadb")
                .args(["-h", "127.0.0.1", "-u", "root", "-e"])
                .arg(format!("DROP DATABASE IF EXISTS {}", self.name))
                .status(),
        };
        if !outcome.is_ok_and(|status| status.success()) {
            eprintln!("xtask: could not drop the database {}", self.name);
        }
    }
}

/// A `sachet serve` process started for a run.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Starts the server on a free loopback port and waits until it listens.
    fn start(
        binary: &Path,
        settings: &[(String, String)],
        password: &str,
        secret: &str,
    ) -> Result<Server> {
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SACHET_")) {
            command.env_remove(name);
        }
        let mut child = command
            .arg("serve")
            .envs(settings.iter().map(|(name, value)| (name, value)))
            .env("SACHET_BIND", "127.0.0.1:0")
            .env("SACHET_INITIAL_ADMIN_PASSWORD", password)
            .env("SACHET_SECRET_KEY", secret)
            .env("SACHET_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|err| format!("starting {}: {err}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the server has no output")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = lines
            .by_ref()
            .map_while(std::result::Result::ok)
            .find_map(|line| line.strip_prefix("Sachet listening on ").map(str::to_owned));
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        match url {
            Some(url) => Ok(Server { child, url }),
            None => {
                let _ = child.kill();
                Err("the server exited before listening".to_owned())
            }
        }
    }

    /// Stops the server with SIGTERM, as an operator would.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut buffer))
        .map_err(|err| format!("reading /dev/urandom: {err}"))?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Runs a command, failing when it fails.
fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .map_err(|err| format!("running {command:?}: {err}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("{command:?} failed: {status}")),
    }
}

/// The committed OpenAPI document.
fn document_path() -> PathBuf {
    workspace_root().join("openapi").join("sachet.json")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Regenerates the committed document, or checks it.
fn openapi(check: bool) -> Result<()> {
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--package", "sachet", "--", "openapi"])
        .current_dir(workspace_root())
        .output()
        .map_err(|err| format!("running cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "`sachet openapi` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let generated =
        String::from_utf8(output.stdout).map_err(|_| "the document is not UTF-8".to_owned())?;
    let path = document_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if check {
        return match committed == generated {
            true => Ok(()),
            false => Err(format!(
                "{} is stale: run `cargo xtask openapi`",
                path.display()
            )),
        };
    }
    std::fs::write(&path, generated).map_err(|err| format!("writing {}: {err}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
