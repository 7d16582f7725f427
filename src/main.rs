//! `pointsdesk`: parses the command line and hands it to `pointsdesk::cli::commands`.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    pointsdesk::cli::commands::run(pointsdesk::cli::commands::Cli::parse())
}
