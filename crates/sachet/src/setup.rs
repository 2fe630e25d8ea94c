//! Opening what the server runs on: the data folder, the secret key, the
//! database (migrated), the blob store, and the first admin.

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context;
use rand::{Rng, distr::Alphanumeric};
use sachet_core::{Password, PermissionSet};
use sachet_server::{
    AppState, Limits,
    auth::{HashingParams, PasswordHasher, SecretKey, TokenIssuer},
};
use sachet_store::{LoginLimit, Store};

use crate::config::Config;

/// The name of the first admin.
const FIRST_ADMIN: &str = "admin";

/// Creates the data folder (private to its owner) when missing.
pub fn data_dir(config: &Config) -> anyhow::Result<PathBuf> {
    if !config.data_dir.exists() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
        restrict(&config.data_dir, 0o700)?;
        tracing::info!(path = %config.data_dir.display(), "created the data folder");
    }
    config.absolute_data_dir()
}

/// Opens the database and applies pending migrations.
pub async fn store(config: &Config) -> anyhow::Result<Store> {
    data_dir(config)?;
    let url = config.database_url()?;
    create_private_sqlite_file(&url)?;
    let store = Store::connect(&url).await.context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// Creates a missing SQLite file readable by its owner only: it holds the
/// password hashes. SQLite gives its journal files the same mode.
fn create_private_sqlite_file(url: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || Path::new(path).exists() {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err).with_context(|| format!("creating {path}")),
    }
}

/// The password hasher the configuration asks for.
pub fn hasher(config: &Config) -> anyhow::Result<PasswordHasher> {
    let params = HashingParams {
        memory_kib: config.argon2_memory_kib,
        iterations: config.argon2_iterations,
        parallelism: config.argon2_parallelism,
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    PasswordHasher::new(params, cores.max(2)).context("setting up Argon2id")
}

/// Everything a request handler needs.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let data_dir = data_dir(config)?;
    let store = store(config).await?;
    let blobs = sachet_blob::open(&config.storage_url()?)
        .await
        .context("opening the blob store")?;
    let secret = secret_key(config, &data_dir)?;
    let tokens = TokenIssuer::new(&secret, config.token_ttl, config.token_leeway)
        .map_err(|err| anyhow::anyhow!("setting up tokens: {err}"))?;
    let limits = Limits {
        max_chunk_size: config.max_chunk_size,
        max_upload_size: config.max_upload_size,
        max_chunks: config.max_chunks,
        max_per_page: config.max_per_page.max(1),
        token_leeway: config.token_leeway,
        revoke_tokens_on_password_change: config.revoke_tokens_on_password_change,
        blob_grace: config.orphan_grace,
        idle_timeout: config.idle_timeout,
        max_concurrent_uploads: config.max_concurrent_uploads,
        logins_per_user: LoginLimit {
            max_failures: config.login_max_failures,
            window: config.login_window,
            lockout: config.login_lockout,
        },
        logins_per_address: LoginLimit {
            max_failures: config.login_max_failures_per_address,
            window: config.login_window,
            lockout: config.login_lockout,
        },
    };
    Ok(AppState {
        store,
        blobs,
        tokens,
        passwords: hasher(config)?,
        upload_turns: Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent_uploads)),
        limits: Arc::new(limits),
    })
}

/// The secret from the configuration, or the one kept in the data folder,
/// generated on first use.
fn secret_key(config: &Config, data_dir: &Path) -> anyhow::Result<SecretKey> {
    if !config.secret_key.is_empty() {
        return SecretKey::new(config.secret_key.as_bytes().to_vec())
            .map_err(|reason| anyhow::anyhow!("SACHET_SECRET_KEY: {reason}"));
    }
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = decode_hex(text.trim())
                .with_context(|| format!("{} does not hold a hex secret", path.display()))?;
            SecretKey::new(bytes).map_err(|reason| anyhow::anyhow!("{}: {reason}", path.display()))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let bytes: Vec<u8> = (0..32).map(|_| rand::rng().random()).collect();
            write_private(&path, encode_hex(&bytes).as_bytes())?;
            tracing::info!(path = %path.display(), "generated a new secret key");
            SecretKey::new(bytes).map_err(|reason| anyhow::anyhow!(reason))
        }
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

/// On a database without users, creates `admin` with every permission.
pub async fn first_admin(state: &AppState, config: &Config) -> anyhow::Result<()> {
    if state.store.count_users().await? > 0 {
        return Ok(());
    }
    let (password, generated) = match config.initial_admin_password.as_str() {
        "" => (random_password(), true),
        given => (given.to_owned(), false),
    };
    let password = Password::parse(password).context("SACHET_INITIAL_ADMIN_PASSWORD")?;
    let hash = state.passwords.hash(password.clone()).await?;
    match state
        .store
        .create_user(FIRST_ADMIN, &hash, PermissionSet::ALL)
        .await
    {
        Ok(_) => {}
        // Another replica created it first.
        Err(sachet_store::StoreError::Conflict(_)) => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    tracing::info!(user.name = FIRST_ADMIN, "created the first admin");
    let mut out = std::io::stdout().lock();
    if generated {
        writeln!(
            out,
            "Created the first admin user \"{FIRST_ADMIN}\" with the password:"
        )?;
        writeln!(out, "    {}", password.expose())?;
        writeln!(
            out,
            "It is shown only this once; change it with POST /users/password."
        )?;
    } else {
        writeln!(
            out,
            "Created the first admin user \"{FIRST_ADMIN}\" with the password from SACHET_INITIAL_ADMIN_PASSWORD."
        )?;
    }
    Ok(())
}

/// A random password of 24 letters and digits.
pub fn random_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("restricting {}", path.display()))
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = vec![0, 1, 0xab, 0xff];
        assert_eq!(decode_hex(&encode_hex(&bytes)), Some(bytes));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
    }

    #[test]
    fn random_passwords_are_long_and_distinct() {
        let (a, b) = (random_password(), random_password());
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
    }
}
