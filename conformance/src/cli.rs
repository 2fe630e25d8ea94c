//! The command line: flags, reading the admin password from an environment
//! variable or stdin (never from an argument), printing one line per
//! scenario and the closing tally, and writing the reports.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use regex::Regex;

use crate::report::{Tally, json_report, junit_xml, result_text};
use crate::runner::{RunConfig, RunSummary, run, select};
use crate::scenario::{Isolation, Tier};
use crate::world::{Knobs, SecretKey};

/// Judges a Sachet server against the API contract, scenario by scenario.
#[derive(Debug, Parser)]
#[command(name = "sachet-conformance", version)]
pub struct Args {
    /// Base URL of the server, such as http://127.0.0.1:5000 (plain HTTP).
    #[arg(long, required_unless_present = "list")]
    pub base_url: Option<String>,
    /// An existing user with the ADMIN permission.
    #[arg(long, required_unless_present = "list")]
    pub admin_user: Option<String>,
    /// Name of the environment variable holding the admin's password.
    #[arg(long, value_name = "VAR", conflicts_with = "admin_password_stdin")]
    pub admin_password_env: Option<String>,
    /// Read the admin's password from the first line of standard input.
    #[arg(long)]
    pub admin_password_stdin: bool,
    /// Run this tier and every tier below it (core < strict < ext).
    #[arg(long, value_enum, default_value_t = TierArg::Strict)]
    pub tier: TierArg,
    /// Run only scenarios whose `group/name` matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// How many scenarios may run at once (those that change server-wide
    /// settings always run alone).
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// List the selected scenarios and exit.
    #[arg(long)]
    pub list: bool,
    /// Cases of the model-based scenario.
    #[arg(long, default_value_t = 64)]
    pub cases: u32,
    /// Seed of the model-based scenario (random when absent; printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Name of an environment variable holding the server's token signing
    /// key; enables the scenarios that need forged expired tokens.
    #[arg(long, value_name = "VAR")]
    pub token_secret_env: Option<String>,
    /// Seconds before a single request counts as failed.
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
}

/// `--tier` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    Core,
    Strict,
    Ext,
}

impl From<TierArg> for Tier {
    fn from(tier: TierArg) -> Tier {
        match tier {
            TierArg::Core => Tier::Core,
            TierArg::Strict => Tier::Strict,
            TierArg::Ext => Tier::Ext,
        }
    }
}

/// Exit status: 0 all passed, 1 some failed, 2 the run could not start,
/// 130 interrupted.
pub fn main() -> ExitCode {
    let args = Args::parse();
    match execute(args) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(io::stderr(), "sachet-conformance: {message}");
            ExitCode::from(2)
        }
    }
}

fn execute(args: Args) -> Result<ExitCode, String> {
    let filter = args
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|err| format!("--filter is not a valid regex: {err}"))?;
    let selected = select(&crate::scenarios::all(), args.tier.into(), filter.as_ref());
    if args.list {
        print_list(&selected);
        return Ok(ExitCode::SUCCESS);
    }
    let config = run_config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    say(&format!(
        "sachet-conformance: {} scenarios (tier {}) against {}; model seed {}",
        selected.len(),
        Tier::from(args.tier),
        config.base_url,
        config.knobs.seed
    ));
    let base_url = config.base_url.clone();
    let summary = runtime.block_on(run(config, selected, |result| say(&result_text(result))))?;
    finish(&args, &summary, &base_url)
}

fn run_config(args: &Args) -> Result<RunConfig, String> {
    let admin_password = read_password(args)?;
    let token_secret = match &args.token_secret_env {
        Some(var) => Some(SecretKey(env_value(var)?.into_bytes())),
        None => None,
    };
    Ok(RunConfig {
        base_url: args.base_url.clone().unwrap_or_default(),
        admin_user: args.admin_user.clone().unwrap_or_default(),
        admin_password,
        jobs: args.jobs,
        knobs: Knobs {
            cases: args.cases,
            seed: args.seed.unwrap_or_else(rand::random),
            token_secret,
        },
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
    })
}

fn read_password(args: &Args) -> Result<String, String> {
    if let Some(var) = &args.admin_password_env {
        return env_value(var);
    }
    if args.admin_password_stdin {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|err| format!("cannot read the password from stdin: {err}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    Err("give the admin password with --admin-password-env VAR or --admin-password-stdin".into())
}

fn env_value(var: &str) -> Result<String, String> {
    std::env::var(var).map_err(|_| format!("the environment variable {var} is not set"))
}

fn finish(args: &Args, summary: &RunSummary, base_url: &str) -> Result<ExitCode, String> {
    for problem in &summary.problems {
        let _ = writeln!(io::stderr(), "warning: cleanup: {problem}");
    }
    if let Some(path) = &args.junit {
        write_file(path, &junit_xml(&summary.results, summary.duration))?;
    }
    if let Some(path) = &args.json {
        write_file(
            path,
            &json_report(&summary.results, summary.duration, base_url),
        )?;
    }
    if summary.interrupted {
        say("interrupted: cleaned up and restored the anonymous permissions");
    }
    let tally = Tally::of(&summary.results);
    say(&format!(
        "finished in {:.1} s",
        summary.duration.as_secs_f64()
    ));
    say(&tally.line());
    Ok(exit_code(tally, summary.interrupted))
}

/// 0 only when nothing failed and the run was not interrupted.
pub fn exit_code(tally: Tally, interrupted: bool) -> ExitCode {
    if interrupted {
        ExitCode::from(130)
    } else if tally.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn write_file(path: &PathBuf, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

fn print_list(selected: &[crate::scenario::Scenario]) {
    for scenario in selected {
        let alone = match scenario.isolation {
            Isolation::Shared => "",
            Isolation::Alone => " (alone)",
            Isolation::Last => " (alone, last)",
        };
        say(&format!("{} [{}]{alone}", scenario.path(), scenario.tier));
    }
    say(&format!("{} scenarios", selected.len()));
}

/// Prints one line to stdout; a closed pipe is not an error worth a panic.
fn say(line: &str) {
    let _ = writeln!(io::stdout().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_on_the_command_line_is_not_accepted() {
        let parsed = Args::try_parse_from([
            "sachet-conformance",
            "--base-url",
            "http://127.0.0.1:1",
            "--admin-user",
            "admin",
            "--admin-password",
            "secret",
        ]);
        assert!(parsed.is_err());
    }

    #[test]
    fn defaults_are_strict_tier_and_four_jobs() {
        let args = Args::try_parse_from([
            "sachet-conformance",
            "--base-url",
            "http://127.0.0.1:1",
            "--admin-user",
            "admin",
            "--admin-password-env",
            "PW",
        ])
        .unwrap();
        assert_eq!(args.tier, TierArg::Strict);
        assert_eq!(args.jobs, 4);
    }

    #[test]
    fn list_needs_no_server() {
        let args =
            Args::try_parse_from(["sachet-conformance", "--list", "--tier", "core"]).unwrap();
        assert!(args.list);
        assert_eq!(Tier::from(args.tier), Tier::Core);
    }

    #[test]
    fn both_password_sources_at_once_are_refused() {
        let parsed = Args::try_parse_from([
            "sachet-conformance",
            "--list",
            "--admin-password-env",
            "PW",
            "--admin-password-stdin",
        ]);
        assert!(parsed.is_err());
    }

    #[test]
    fn exit_code_is_zero_only_without_failures() {
        let clean = Tally {
            passed: 3,
            failed: 0,
            skipped: 1,
        };
        let failed = Tally {
            passed: 3,
            failed: 1,
            skipped: 0,
        };
        assert_eq!(exit_code(clean, false), ExitCode::SUCCESS);
        assert_eq!(exit_code(failed, false), ExitCode::FAILURE);
        assert_eq!(exit_code(clean, true), ExitCode::from(130));
    }
}
