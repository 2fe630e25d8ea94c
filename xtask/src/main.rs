//! `cargo xtask`: repeatable chores of the Sachet workspace.
//!
//! - `cargo xtask test` runs every test of the workspace (with
//!   cargo-nextest when it is installed, else `cargo test`).
//! - `cargo xtask openapi` rewrites `openapi/sachet.json` from the code;
//!   `cargo xtask openapi --check` fails when it is stale.

#![allow(clippy::print_stdout, reason = "a command-line tool reports on standard output")]

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("test") => test(),
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

const USAGE: &str = "usage: cargo xtask test | cargo xtask openapi [--check]";

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
        .current_dir(workspace_root()))
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
