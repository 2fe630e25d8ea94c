//! The `sachet-conformance` command: judges a Sachet server over HTTP.

use std::process::ExitCode;

fn main() -> ExitCode {
    sachet_conformance::cli::main()
}
