//! `pointsdesk`: parses the command line and hands it to `pointsdesk::cli::run`.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    pointsdesk::cli::run(pointsdesk::cli::args::Cli::parse())
}
