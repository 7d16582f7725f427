//! The command line's handlers: log an operator in, call the ledger, print the result as text in
//! the operator's language or as JSON. Rules live in the ledger.

pub mod commands;
pub mod output;
pub mod printing;

use crate::home::Home;
use crate::i18n::Lang;
use crate::ledger::{ErrorKind, Ledger, LedgerError, Session};
use std::process::ExitCode;

/// Exit codes of the CLI contract.
pub const EXIT_REFUSED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_SYSTEM: u8 = 3;

/// What every command knows: where the home is, the language, the output form, who operates.
pub struct Ctx {
    pub home: Home,
    pub lang: Lang,
    pub json: bool,
    pub operator: Option<String>,
}

/// A failure of a command, ready to be shown.
pub enum Failure {
    Ledger(LedgerError),
    Usage(String),
    /// The command already said what went wrong; exit with this code.
    Exit(u8),
    /// The ledger part succeeded but the slip did not print (exit 3).
    Printer(String),
}

impl From<LedgerError> for Failure {
    fn from(e: LedgerError) -> Self {
        Failure::Ledger(e)
    }
}

pub type CmdResult = std::result::Result<(), Failure>;

impl Ctx {
    /// Prints `value` as JSON, or runs `text` to print it for a person.
    pub fn show<T: serde::Serialize>(&self, value: &T, text: impl FnOnce()) {
        if self.json {
            output::json(value);
        } else {
            text();
        }
    }

    pub fn ledger(&self) -> Result<Ledger, Failure> {
        Ok(self.home.open()?)
    }

    /// Logs the operator in with the PIN from `POINTSDESK_PIN` or a no-echo prompt.
    pub fn session(&self, ledger: &mut Ledger) -> Result<Session, Failure> {
        let Some(operator) = self.operator.clone() else {
            return Err(Failure::Usage(
                self.lang
                    .pick(
                        "此命令需要操作员：请加 --operator 工号（或设置 POINTSDESK_OPERATOR）。",
                        "This command needs an operator: add --operator NO (or set POINTSDESK_OPERATOR).",
                    )
                    .to_string(),
            ));
        };
        let pin = read_pin(self.lang, self.lang.pick("密码 PIN: ", "PIN: "))?;
        Ok(ledger.login(&operator, &pin)?)
    }

    pub fn admin_session(&self, ledger: &mut Ledger) -> Result<Session, Failure> {
        let session = self.session(ledger)?;
        if !session.is_admin() {
            return Err(LedgerError::NotAdmin(session.operator().to_string()).into());
        }
        Ok(session)
    }
}

/// `POINTSDESK_PIN`, else a prompt without echo on the terminal.
pub fn read_pin(lang: Lang, prompt: &str) -> Result<String, Failure> {
    if let Ok(pin) = std::env::var("POINTSDESK_PIN") {
        return Ok(pin.trim().to_string());
    }
    rpassword::prompt_password(prompt)
        .map(|p| p.trim().to_string())
        .map_err(|_| {
            Failure::Usage(
                lang.pick(
                    "无法读取密码：请在终端中运行，或设置 POINTSDESK_PIN。",
                    "Cannot read the PIN: run in a terminal or set POINTSDESK_PIN.",
                )
                .to_string(),
            )
        })
}

/// Prints a failure on stderr (or as JSON on stdout) and picks the exit code.
pub fn finish(ctx_lang: Lang, json: bool, result: CmdResult) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Printer(message)) => {
            output::error(json, "printer", &message);
            ExitCode::from(EXIT_SYSTEM)
        }
        Err(Failure::Usage(message)) => {
            output::error(json, "usage", &message);
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::Ledger(error)) => {
            let (code, kind) = match error.kind() {
                ErrorKind::Refused => (EXIT_REFUSED, "refused"),
                ErrorKind::System => (EXIT_SYSTEM, "system"),
            };
            output::error(json, kind, &error.message(ctx_lang));
            ExitCode::from(code)
        }
    }
}
