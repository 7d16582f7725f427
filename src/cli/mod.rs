//! The command line: [`args`] is what clap parses, [`run`] dispatches to one handler per
//! command, grouped by concern (setup, people, passbooks, catalog, points, integrity,
//! hardware). A handler logs the operator in, calls the ledger and prints the result as text
//! in the operator's language or as JSON. Rules live in the ledger, wording in
//! [`crate::present`].

pub mod args;
mod catalog;
mod docs;
mod doctor;
mod hardware;
mod hub;
mod integrity;
pub mod output;
mod passbooks;
mod people;
mod points;
pub mod printing;
mod reports;
mod setup;
mod sync;
mod sync_job;

use crate::home::{self, Home};
use crate::i18n::Lang;
use crate::ledger::{ErrorKind, Ledger, LedgerError, Receipt, Session};
use args::{Cli, Command, LedgerCmd};
use printing::CounterPrinter;
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
    /// The street office's home refused or failed.
    Hub(crate::hub::HubError),
    /// The sync with the hub failed: the network, the hub's refusal (exit 3).
    Sync(String),
    /// The hub refused what was asked (a wrong or used enrolment code): exit 1.
    HubRefused(String),
}

impl From<crate::hub::HubError> for Failure {
    fn from(e: crate::hub::HubError) -> Self {
        Failure::Hub(e)
    }
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

    /// The ledger for a command that only reads: it works on a full disk.
    pub fn ledger_to_read(&self) -> Result<Ledger, Failure> {
        Ok(self.home.open_read_only()?)
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
        let session = ledger.login(&operator, &pin)?;
        // Every command that writes logs in first: the place to say the clock looks wrong.
        if let Ok(Some(warning)) = ledger.clock_warning() {
            eprintln!("{}", warning.message(self.lang));
        }
        Ok(session)
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
        Err(Failure::Sync(message)) => {
            output::error(json, "sync", &message);
            ExitCode::from(EXIT_SYSTEM)
        }
        Err(Failure::HubRefused(message)) => {
            output::error(json, "refused", &message);
            ExitCode::from(EXIT_REFUSED)
        }
        Err(Failure::Hub(error)) => {
            let (code, kind) = if error.is_refusal() {
                (EXIT_REFUSED, "refused")
            } else {
                (EXIT_SYSTEM, "system")
            };
            output::error(json, kind, &error.message(ctx_lang));
            ExitCode::from(code)
        }
        Err(Failure::Usage(message)) => {
            output::error(json, "usage", &message);
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::Ledger(error)) => {
            let (code, kind) = match error.kind() {
                ErrorKind::Refused => (EXIT_REFUSED, "refused"),
                ErrorKind::System => (EXIT_SYSTEM, "system"),
                ErrorKind::Config => (EXIT_USAGE, "config"),
            };
            output::error(json, kind, &error.message(ctx_lang));
            ExitCode::from(code)
        }
    }
}

/// Runs one parsed command line and returns the process exit code.
/// Output piped into a reader that stopped reading (`… --json | head`) ends the command
/// quietly, as with any Unix tool, instead of a panic and a backtrace: `println!` panics on a
/// closed pipe, and this hook turns that one panic into a plain exit. (The usual way, SIGPIPE's
/// default action, needs unsafe code, which this crate forbids.)
fn quiet_on_closed_output() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

pub fn run(cli: Cli) -> ExitCode {
    quiet_on_closed_output();
    let home = Home::resolve(cli.home.clone());
    let config = home.config();
    let lang = cli
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| match &config {
            Ok(config) => config.lang.as_deref().and_then(Lang::parse),
            // A config.toml with a mistake may still say its language.
            Err(_) => home::config::lang_of(&home.config_path()),
        })
        .unwrap_or_default();
    // Commands on a counter's home log into it; the hub's home and the generated texts do not.
    if let Ok(config) = &config
        && !matches!(
            cli.command,
            Command::Init(_)
                | Command::Demo { .. }
                | Command::Hub(_)
                | Command::Completions { .. }
                | Command::Man { .. }
        )
    {
        crate::logs::init(&home, &config.log);
    }
    // A mistake in config.toml stops every command that uses the home, before anything runs.
    if let (Err(error), false) = (
        config,
        matches!(
            cli.command,
            Command::Init(_)
                | Command::Demo { .. }
                | Command::Hub(_)
                | Command::Doctor
                | Command::Completions { .. }
                | Command::Man { .. }
        ),
    ) {
        return finish(lang, cli.json, Err(LedgerError::Config(error).into()));
    }
    let ctx = Ctx {
        home,
        lang,
        json: cli.json,
        operator: cli.operator,
    };
    let result = dispatch(&ctx, cli.command);
    finish(lang, ctx.json, result)
}

fn dispatch(ctx: &Ctx, command: Command) -> CmdResult {
    match command {
        Command::Init(args) => setup::init(ctx, args),
        Command::Demo { walkthrough } => setup::demo(ctx, walkthrough),
        Command::Counter => setup::counter(ctx),
        Command::Operator(cmd) => people::operator(ctx, cmd),
        Command::Resident(cmd) => people::resident(ctx, cmd),
        Command::Passbook(cmd) => passbooks::passbook(ctx, cmd),
        Command::Activity(cmd) => catalog::activity(ctx, cmd),
        Command::Catalog(cmd) => catalog::catalog(ctx, cmd),
        Command::Earn(args) => points::earn(ctx, args),
        Command::Redeem(args) => points::redeem(ctx, args),
        Command::Reverse(args) => points::reverse(ctx, args),
        Command::Adjust(args) => points::adjust(ctx, args),
        Command::Balance { passbook } => points::show_account(ctx, &passbook, 0),
        Command::History { passbook, limit } => points::show_account(ctx, &passbook, limit),
        Command::Reprint { txn } => points::reprint(ctx, &txn),
        Command::DayClose { date, print } => points::day_close(ctx, date, print),
        Command::Report(args) => reports::report(ctx, args),
        Command::Hw(cmd) => hardware::hw(ctx, cmd),
        Command::Ledger(LedgerCmd::Verify) => integrity::verify(ctx),
        Command::Ledger(LedgerCmd::Rebuild) => integrity::rebuild(ctx),
        Command::Backup { out } => integrity::backup(ctx, out),
        Command::Restore { file, yes } => integrity::restore(ctx, file, yes),
        Command::Sync(cmd) => sync::sync(ctx, cmd),
        Command::Hub(cmd) => hub::hub(ctx, cmd),
        Command::Doctor => doctor::doctor(ctx),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { out } => docs::man(ctx, out),
    }
}

pub(crate) fn usage(lang: Lang, zh: &str, en: &str) -> Failure {
    Failure::Usage(lang.pick(zh, en).to_string())
}

/// Opens the printer before anything is booked, so a wrong printer setting is found before
/// the points move, not after.
pub(crate) fn open_printer_if(ctx: &Ctx, print: bool) -> Result<Option<CounterPrinter>, Failure> {
    if print {
        CounterPrinter::open(ctx).map(Some)
    } else {
        Ok(None)
    }
}

pub(crate) fn print_if(
    ctx: &Ctx,
    ledger: &Ledger,
    receipt: &Receipt,
    printer: Option<&mut CounterPrinter>,
) -> CmdResult {
    match printer {
        // A replayed request already printed its slip the first time: a copy needs `reprint`.
        Some(printer) if !receipt.replayed => printer.print_receipt(ctx, ledger, receipt, false),
        _ => Ok(()),
    }
}

pub(crate) fn show_receipt(ctx: &Ctx, receipt: &Receipt) {
    receipt.log_booked("");
    ctx.show(receipt, || {
        output::lines(&crate::present::receipt_lines(ctx.lang, receipt));
    });
}

pub(crate) fn done(ctx: &Ctx, what: &str, subject: &str) {
    ctx.show(&serde_json::json!({"ok": true, "subject": subject}), || {
        println!("{what} {subject}");
    });
}
