//! Configuration: built-in defaults, then a TOML file, then `SACHET_*`
//! environment variables, each overriding the one before.
//!
//! Every setting has one name: `token_ttl` in the file is `SACHET_TOKEN_TTL`
//! in the environment.

use std::{collections::BTreeMap, fmt, path::PathBuf, time::Duration};

use anyhow::{Context, bail};

/// Every setting the configuration knows, with its default.
const SETTINGS: &[(&str, &str)] = &[
    ("bind", "127.0.0.1:5000"),
    ("data_dir", "./sachet-data"),
    ("database_url", ""),
    ("storage_url", ""),
    ("secret_key", ""),
    ("initial_admin_password", ""),
    ("token_ttl", "7d"),
    ("token_leeway", "0s"),
    ("revoke_tokens_on_password_change", "false"),
    ("login_max_failures", "10"),
    ("login_max_failures_per_address", "100"),
    ("login_window", "15m"),
    ("login_lockout", "5m"),
    ("log", "info"),
    ("cors_origins", ""),
    ("max_chunk_size", "100MiB"),
    ("max_upload_size", "16GiB"),
    ("max_chunks", "100000"),
    ("max_per_page", "100"),
    ("argon2_memory_kib", "19456"),
    ("argon2_iterations", "2"),
    ("argon2_parallelism", "1"),
    ("idle_timeout", "60s"),
    ("max_concurrent_uploads", "32"),
    ("cleanup_interval", "1h"),
    ("upload_expiry", "24h"),
    ("empty_share_expiry", "24h"),
    ("orphan_grace", "1h"),
];

/// Settings that hold secrets: never printed.
const SECRET_SETTINGS: &[&str] = &["secret_key", "initial_admin_password"];

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// Folder for the SQLite file, the blob folder and the secret key.
    pub data_dir: PathBuf,
    /// Metadata database; empty for the SQLite file in the data folder.
    pub database_url: String,
    /// Blob store; empty for the blob folder in the data folder.
    pub storage_url: String,
    /// Signing secret; empty for the one kept in the data folder.
    pub secret_key: String,
    /// Password of the first admin; empty to generate one.
    pub initial_admin_password: String,
    /// Lifetime of tokens.
    pub token_ttl: Duration,
    /// Clock leeway when checking token expiry.
    pub token_leeway: Duration,
    /// Whether a password change revokes the user's existing tokens.
    pub revoke_tokens_on_password_change: bool,
    /// Failed logins allowed per username in a window (0: no limit).
    pub login_max_failures: u32,
    /// Failed logins allowed per client address in a window (0: no limit).
    pub login_max_failures_per_address: u32,
    /// The window failed logins are counted in.
    pub login_window: Duration,
    /// How long a username or address stays refused once over its limit.
    pub login_lockout: Duration,
    /// Log filter, in tracing's syntax.
    pub log: String,
    /// Allowed browser origins; empty for any.
    pub cors_origins: Vec<String>,
    /// Largest chunk, in bytes.
    pub max_chunk_size: u64,
    /// Largest upload, in bytes.
    pub max_upload_size: u64,
    /// Most chunks per upload.
    pub max_chunks: u32,
    /// Largest page size.
    pub max_per_page: u64,
    /// Argon2id memory, in KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// How long a connection or an upload may stay silent.
    pub idle_timeout: Duration,
    /// Chunks received at once; more wait for a turn.
    pub max_concurrent_uploads: usize,
    /// How often `serve` runs the cleanup.
    pub cleanup_interval: Duration,
    /// Age at which an upload without new chunks is abandoned.
    pub upload_expiry: Duration,
    /// Age at which a share that never got content is removed.
    pub empty_share_expiry: Duration,
    /// Age below which an unreferenced blob is left alone.
    pub orphan_grace: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("token_ttl", &self.token_ttl)
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Loads the configuration from `file` (if any) and the environment.
    pub fn load(file: Option<PathBuf>) -> anyhow::Result<Config> {
        let mut raw: BTreeMap<String, String> = SETTINGS
            .iter()
            .map(|(name, default)| ((*name).to_owned(), (*default).to_owned()))
            .collect();
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the configuration file {}", path.display()))?;
            merge_file(&mut raw, &text).with_context(|| format!("in {}", path.display()))?;
        }
        for (name, value) in raw.iter_mut() {
            if let Ok(from_env) = std::env::var(env_name(name)) {
                *value = from_env;
            }
        }
        Config::from_raw(&raw)
    }

    fn from_raw(raw: &BTreeMap<String, String>) -> anyhow::Result<Config> {
        let get = |name: &str| raw.get(name).cloned().unwrap_or_default();
        let config = Config {
            bind: get("bind"),
            data_dir: PathBuf::from(get("data_dir")),
            database_url: get("database_url"),
            storage_url: get("storage_url"),
            secret_key: get("secret_key"),
            initial_admin_password: get("initial_admin_password"),
            token_ttl: parsed(raw, "token_ttl", parse_duration)?,
            token_leeway: parsed(raw, "token_leeway", parse_duration)?,
            revoke_tokens_on_password_change: parsed(
                raw,
                "revoke_tokens_on_password_change",
                parse_bool,
            )?,
            login_max_failures: parsed(raw, "login_max_failures", parse_number)?,
            login_max_failures_per_address: parsed(
                raw,
                "login_max_failures_per_address",
                parse_number,
            )?,
            login_window: parsed(raw, "login_window", parse_duration)?,
            login_lockout: parsed(raw, "login_lockout", parse_duration)?,
            log: get("log"),
            cors_origins: get("cors_origins")
                .split(',')
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(str::to_owned)
                .collect(),
            max_chunk_size: parsed(raw, "max_chunk_size", parse_size)?,
            max_upload_size: parsed(raw, "max_upload_size", parse_size)?,
            max_chunks: parsed(raw, "max_chunks", parse_number)?,
            max_per_page: parsed(raw, "max_per_page", parse_number)?,
            argon2_memory_kib: parsed(raw, "argon2_memory_kib", parse_number)?,
            argon2_iterations: parsed(raw, "argon2_iterations", parse_number)?,
            argon2_parallelism: parsed(raw, "argon2_parallelism", parse_number)?,
            idle_timeout: parsed(raw, "idle_timeout", parse_duration)?,
            max_concurrent_uploads: parsed(raw, "max_concurrent_uploads", parse_number)?,
            cleanup_interval: parsed(raw, "cleanup_interval", parse_duration)?,
            upload_expiry: parsed(raw, "upload_expiry", parse_duration)?,
            empty_share_expiry: parsed(raw, "empty_share_expiry", parse_duration)?,
            orphan_grace: parsed(raw, "orphan_grace", parse_duration)?,
        };
        config.validate()?;
        Ok(config)
    }

    /// Refuses values that would break the server later rather than now.
    fn validate(&self) -> anyhow::Result<()> {
        const DAY: Duration = Duration::from_secs(86_400);
        const YEAR: Duration = Duration::from_secs(366 * 86_400);
        let within = |name: &str, value: Duration, min: Duration, max: Duration| {
            if value < min || value > max {
                bail!(
                    "{} must lie between {} and {} seconds",
                    env_name(name),
                    min.as_secs(),
                    max.as_secs()
                );
            }
            Ok(())
        };
        within("token_ttl", self.token_ttl, Duration::from_secs(1), YEAR)?;
        within("token_leeway", self.token_leeway, Duration::ZERO, DAY)?;
        within(
            "idle_timeout",
            self.idle_timeout,
            Duration::from_secs(1),
            DAY,
        )?;
        within(
            "cleanup_interval",
            self.cleanup_interval,
            Duration::from_secs(1),
            YEAR,
        )?;
        for (name, value) in [
            ("login_window", self.login_window),
            ("login_lockout", self.login_lockout),
            ("upload_expiry", self.upload_expiry),
            ("empty_share_expiry", self.empty_share_expiry),
            ("orphan_grace", self.orphan_grace),
        ] {
            within(name, value, Duration::ZERO, 10 * YEAR)?;
        }
        if !(8..=1024 * 1024).contains(&self.argon2_memory_kib) {
            bail!("SACHET_ARGON2_MEMORY_KIB must lie between 8 and 1048576 (1 GiB)");
        }
        if !(1..=100).contains(&self.argon2_iterations) {
            bail!("SACHET_ARGON2_ITERATIONS must lie between 1 and 100");
        }
        if !(1..=64).contains(&self.argon2_parallelism) {
            bail!("SACHET_ARGON2_PARALLELISM must lie between 1 and 64");
        }
        if self.max_concurrent_uploads == 0 {
            bail!("SACHET_MAX_CONCURRENT_UPLOADS must be at least 1");
        }
        if let Some(origin) = self
            .cors_origins
            .iter()
            .find(|origin| !origin.bytes().all(|b| b.is_ascii_graphic()))
        {
            bail!("SACHET_CORS_ORIGINS holds {origin:?}, which is no origin");
        }
        Ok(())
    }

    /// The database URL, defaulting to the SQLite file in the data folder.
    pub fn database_url(&self) -> anyhow::Result<String> {
        match self.database_url.is_empty() {
            false => Ok(self.database_url.clone()),
            true => Ok(format!(
                "sqlite://{}",
                self.absolute_data_dir()?.join("sachet.db").display()
            )),
        }
    }

    /// The storage URL, defaulting to the blob folder in the data folder.
    pub fn storage_url(&self) -> anyhow::Result<String> {
        match self.storage_url.is_empty() {
            false => Ok(self.storage_url.clone()),
            true => Ok(format!(
                "file://{}",
                self.absolute_data_dir()?.join("blobs").display()
            )),
        }
    }

    /// The data folder as an absolute path (it must exist).
    pub fn absolute_data_dir(&self) -> anyhow::Result<PathBuf> {
        std::fs::canonicalize(&self.data_dir)
            .with_context(|| format!("resolving the data folder {}", self.data_dir.display()))
    }
}

/// The environment variable of a setting.
pub fn env_name(setting: &str) -> String {
    format!("SACHET_{}", setting.to_ascii_uppercase())
}

fn merge_file(raw: &mut BTreeMap<String, String>, text: &str) -> anyhow::Result<()> {
    let table: toml::Table = toml::from_str(text).context("the file is not valid TOML")?;
    for (name, value) in table {
        let Some(slot) = raw.get_mut(&name) else {
            bail!("unknown setting `{name}`");
        };
        *slot = match value {
            toml::Value::String(text) => text,
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Boolean(flag) => flag.to_string(),
            toml::Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .context("expected a list of strings")
                })
                .collect::<anyhow::Result<Vec<_>>>()
                .with_context(|| format!("setting `{name}`"))?
                .join(","),
            other => bail!(
                "setting `{name}`: expected a string or a number, found {}",
                other.type_str()
            ),
        };
    }
    Ok(())
}

fn parsed<T>(
    raw: &BTreeMap<String, String>,
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> anyhow::Result<T> {
    let value = raw.get(name).map(String::as_str).unwrap_or_default();
    let shown = match SECRET_SETTINGS.contains(&name) {
        true => "<hidden>",
        false => value,
    };
    parse(value)
        .map_err(|reason| anyhow::anyhow!("{} ({name}) = {shown:?}: {reason}", env_name(name)))
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

fn parse_number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| "expected a whole number".to_owned())
}

/// Parses `90`, `45s`, `30m`, `12h`, `7d` or `2w`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| "expected a duration such as 30s, 15m, 12h or 7d".to_owned())?;
    let seconds = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        other => return Err(format!("unknown unit {other:?}: use s, m, h, d or w")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| "duration too long".to_owned())
}

/// Parses `1048576`, `512KiB`, `100MiB`, `16GiB`, or the decimal `KB`, `MB`, `GB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| "expected a size such as 100MiB".to_owned())?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use B, KiB, MiB, GiB or TiB"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| "size too large".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> BTreeMap<String, String> {
        SETTINGS
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_duration("7 days").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100MiB"), Ok(100 << 20));
        assert_eq!(parse_size("2KB"), Ok(2000));
        assert_eq!(parse_size("17"), Ok(17));
        assert!(parse_size("1.5GiB").is_err());
        assert!(parse_size("-1").is_err());
    }

    #[test]
    fn defaults_make_a_working_configuration() {
        let config = Config::from_raw(&defaults()).unwrap();
        assert_eq!(config.bind, "127.0.0.1:5000");
        assert_eq!(config.token_ttl, Duration::from_secs(7 * 86_400));
        assert_eq!(config.token_leeway, Duration::ZERO);
        assert!(config.cors_origins.is_empty());
        assert!(!config.revoke_tokens_on_password_change);
    }

    #[test]
    fn files_override_defaults_and_refuse_unknown_settings() {
        let mut raw = defaults();
        merge_file(&mut raw, "bind = \"127.0.0.1:8080\"\nmax_chunks = 10\ncors_origins = [\"https://a\", \"https://b\"]").unwrap();
        let config = Config::from_raw(&raw).unwrap();
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert_eq!(config.max_chunks, 10);
        assert_eq!(config.cors_origins, ["https://a", "https://b"]);
        assert!(
            merge_file(&mut raw, "bnid = \"x\"")
                .unwrap_err()
                .to_string()
                .contains("bnid")
        );
    }

    #[test]
    fn values_that_would_break_the_server_later_are_refused_now() {
        for (name, value) in [
            ("token_leeway", "2d"),
            ("token_ttl", "0"),
            ("token_ttl", "20000000w"),
            ("upload_expiry", "20000000w"),
            ("login_window", "20000000w"),
            ("argon2_memory_kib", "4000000000"),
            ("cors_origins", "https://x\u{1}y"),
            ("max_concurrent_uploads", "0"),
        ] {
            let mut raw = defaults();
            raw.insert(name.into(), value.into());
            let err = Config::from_raw(&raw).unwrap_err().to_string();
            assert!(err.contains(&env_name(name)), "{name}={value}: {err}");
        }
    }

    #[test]
    fn bad_values_name_their_variable() {
        let mut raw = defaults();
        raw.insert("token_ttl".into(), "soon".into());
        let err = Config::from_raw(&raw).unwrap_err().to_string();
        assert!(
            err.starts_with("SACHET_TOKEN_TTL (token_ttl) = \"soon\""),
            "{err}"
        );
    }
}
