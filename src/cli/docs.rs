//! Shell completions and the manual page, both generated from the one clap definition in
//! [`super::args`], so they never fall behind the commands.

use super::args::{Cli, CompletionShell};
use super::{CmdResult, Ctx, Failure};
use clap::CommandFactory;
use std::path::PathBuf;

pub fn completions(shell: CompletionShell) -> CmdResult {
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "pointsdesk", &mut std::io::stdout());
    Ok(())
}

pub fn man(ctx: &Ctx, out: Option<PathBuf>) -> CmdResult {
    let command = Cli::command();
    let failed = |e: std::io::Error| {
        Failure::Ledger(crate::ledger::LedgerError::file(
            out.as_deref().unwrap_or(std::path::Path::new("-")),
            &e,
        ))
    };
    match &out {
        None => clap_mangen::Man::new(command)
            .render(&mut std::io::stdout())
            .map_err(failed),
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(failed)?;
            clap_mangen::generate_to(command, dir).map_err(failed)?;
            if !ctx.json {
                println!(
                    "{} {}",
                    ctx.lang.pick("手册页已写入", "Manual pages written to"),
                    dir.display()
                );
            }
            Ok(())
        }
    }
}
