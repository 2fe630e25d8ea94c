//! `sachet user create|delete|list`: direct management of accounts in the
//! database, for a first admin or a locked-out team.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use sachet_core::{Password, Permission, PermissionSet, Username};

use crate::{config::Config, setup};

/// How the password of a new user arrives.
#[derive(Debug)]
pub enum PasswordSource {
    /// One line on standard input (a prompt when it is a terminal).
    Stdin,
    /// Given on the command line, which other users of the machine can see.
    Argument(String),
}

/// Creates a user.
pub async fn create(
    config: &Config,
    username: &str,
    permissions: PermissionSet,
    source: PasswordSource,
) -> anyhow::Result<()> {
    let username = Username::parse(username)?;
    let password = Password::parse(read_password(source)?).context("the password")?;
    let store = setup::store(config).await?;
    let hash = setup::hasher(config)?.hash(password).await?;
    match store
        .create_user(username.as_str(), &hash, permissions)
        .await
    {
        Ok(_) => {}
        Err(sachet_store::StoreError::Conflict(_)) => bail!("user {username} already exists"),
        Err(err) => return Err(err.into()),
    }
    println_out(&format!(
        "Created user {username} with {}.",
        describe(permissions)
    ))
}

/// Deletes a user; its shares become anonymous-owned.
pub async fn delete(config: &Config, username: &str) -> anyhow::Result<()> {
    let store = setup::store(config).await?;
    let user = store
        .user_by_name(username)
        .await?
        .with_context(|| format!("no user {username:?}"))?;
    store.delete_user(user.id).await?;
    println_out(&format!("Deleted user {username}."))
}

/// Lists every user.
pub async fn list(config: &Config) -> anyhow::Result<()> {
    let store = setup::store(config).await?;
    let mut out = std::io::stdout().lock();
    let mut page = 1;
    loop {
        let request = sachet_store::PageRequest {
            page,
            per_page: 100,
        };
        let users = store.list_users(request).await?;
        for user in &users.items {
            let date = user.register_date.format("%Y-%m-%d %H:%M:%S UTC");
            writeln!(
                out,
                "{:<32} {date}  {}",
                user.username,
                describe(user.permissions)
            )?;
        }
        if users.items.len() < 100 {
            return Ok(());
        }
        page += 1;
    }
}

/// Parses `CREATE,READ`-style permission lists.
pub fn parse_permissions(codes: &str) -> anyhow::Result<PermissionSet> {
    let codes = codes
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty());
    Ok(PermissionSet::from_codes(
        codes.map(str::to_ascii_uppercase),
    )?)
}

/// The permissions of a user created without `--admin` or `--permissions`.
pub fn default_permissions() -> PermissionSet {
    [Permission::Create, Permission::Modify, Permission::Read]
        .into_iter()
        .collect()
}

fn describe(permissions: PermissionSet) -> String {
    match permissions.is_empty() {
        true => "no permissions".into(),
        false => permissions.codes().join(","),
    }
}

fn read_password(source: PasswordSource) -> anyhow::Result<String> {
    match source {
        PasswordSource::Argument(password) => Ok(password),
        PasswordSource::Stdin if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("Password: ")?;
            let second = rpassword::prompt_password("Again: ")?;
            if first != second {
                bail!("the passwords differ");
            }
            Ok(first)
        }
        PasswordSource::Stdin => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password")?;
            Ok(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    }
}

fn println_out(line: &str) -> anyhow::Result<()> {
    writeln!(std::io::stdout().lock(), "{line}")?;
    Ok(())
}
