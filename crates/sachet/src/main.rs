//! The `sachet` command: run the file-sharing server, manage users, clean
//! up, migrate the database, print the OpenAPI document.

mod config;
mod serve;
mod setup;
mod users;

use std::{io::Write, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use sachet_core::PermissionSet;

use crate::config::Config;

/// Sachet: a self-hosted file-sharing server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML configuration file; `SACHET_*` variables override it.
    #[arg(long, global = true, env = "SACHET_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Manage users directly in the database.
    #[command(subcommand)]
    User(UserCommand),
    /// Purge abandoned uploads, empty shares, expired revocations and orphan blobs.
    Cleanup,
    /// Apply database migrations.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input, or prompted
    /// for on a terminal.
    Create {
        /// The new user's name.
        #[arg(long)]
        username: String,
        /// Grant every permission.
        #[arg(long, conflicts_with = "permissions")]
        admin: bool,
        /// Permissions to grant, such as CREATE,MODIFY,READ (the default).
        #[arg(long)]
        permissions: Option<String>,
        /// Read the password from standard input even on a terminal.
        #[arg(long)]
        password_stdin: bool,
        /// The password itself; visible to other users of the machine, so
        /// it needs --insecure-password-argument.
        #[arg(long, requires = "insecure_password_argument")]
        password: Option<String>,
        /// Accept --password despite the risk.
        #[arg(long)]
        insecure_password_argument: bool,
    },
    /// Delete a user; its shares become anonymous-owned.
    Delete {
        /// The user's name.
        username: String,
    },
    /// List users.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&anyhow::Error::new(err)),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Openapi = cli.command {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", sachet_server::openapi_document())?;
        return Ok(());
    }
    let config = Config::load(cli.config)?;
    init_logging(&config.log)?;

    match cli.command {
        Command::Serve => serve::run(config).await,
        Command::User(command) => user(config, command).await,
        Command::Cleanup => {
            let state = setup::state(&config).await?;
            let report = state.cleanup(&serve::cleanup_policy(&config)).await?;
            writeln!(std::io::stdout().lock(), "Cleanup {report}.")?;
            Ok(())
        }
        Command::Migrate => {
            setup::store(&config).await?;
            writeln!(std::io::stdout().lock(), "The database is up to date.")?;
            Ok(())
        }
        Command::Openapi => Ok(()),
    }
}

async fn user(config: Config, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            username,
            admin,
            permissions,
            password_stdin: _,
            password,
            ..
        } => {
            let permissions = match (admin, permissions) {
                (true, _) => PermissionSet::ALL,
                (false, Some(codes)) => users::parse_permissions(&codes)?,
                (false, None) => users::default_permissions(),
            };
            let source = match password {
                Some(password) => users::PasswordSource::Argument(password),
                None => users::PasswordSource::Stdin,
            };
            users::create(&config, &username, permissions, source).await
        }
        UserCommand::Delete { username } => users::delete(&config, &username).await,
        UserCommand::List => users::list(&config).await,
    }
}

fn init_logging(filter: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|err| anyhow::anyhow!("SACHET_LOG = {filter:?}: {err}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    Ok(())
}

fn fail(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {err:#}");
    ExitCode::FAILURE
}
