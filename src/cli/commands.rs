//! The command line: clap definitions of the CLI contract and one handler per command. Handlers
//! log in, call the ledger and print; the rules are in `crate::ledger`.

use crate::cli::printing::CounterPrinter;
use crate::cli::{self, CmdResult, Ctx, Failure, output};
use crate::domain::{ItemKind, Role};
use crate::home::Home;
use crate::i18n::Lang;
use crate::ledger::{EarnRequest, InitRequest, ItemPatch, NewItem, NewResident, RedeemRequest};
use crate::passbook::qr;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "pointsdesk",
    version,
    about = "爱心超市积分柜台 — the counter of a community love supermarket"
)]
pub struct Cli {
    /// Home folder (ledger.db, config.toml, keys); default the XDG data dir.
    #[arg(long, env = "POINTSDESK_HOME", global = true)]
    home: Option<PathBuf>,
    /// zh-CN or en.
    #[arg(long, global = true)]
    lang: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    /// Operator number; the PIN comes from POINTSDESK_PIN or a prompt.
    #[arg(long, env = "POINTSDESK_OPERATOR", global = true)]
    operator: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new home: ledger, config, device key, first administrator.
    Init {
        #[arg(long)]
        community: String,
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        counter: String,
        #[arg(long)]
        admin: String,
        /// The counter's time zone as an offset from UTC.
        #[arg(long, default_value = "+08:00")]
        utc_offset: String,
    },
    /// The counter UI on a seeded throwaway home (or, with --walkthrough or without a terminal,
    /// a printed walk through issue → earn → redeem → reverse → verify).
    Demo {
        #[arg(long)]
        walkthrough: bool,
    },
    /// The counter UI (full screen) on this home.
    Counter,
    /// Operators (volunteers and administrators): add, list, disable, enable.
    #[command(subcommand)]
    Operator(OperatorCmd),
    /// Residents: add, list, show, import CSV/XLSX, erase personal data.
    #[command(subcommand)]
    Resident(ResidentCmd),
    /// Passbooks: issue (with QR), reissue a lost one, revoke, show.
    #[command(subcommand)]
    Passbook(PassbookCmd),
    /// Volunteering activities and their points per hour.
    #[command(subcommand)]
    Activity(ActivityCmd),
    /// Goods, services, venues and honours: add, list, update, restock, count.
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Credit points for volunteering.
    Earn {
        #[arg(long)]
        passbook: String,
        #[arg(long)]
        activity: String,
        #[arg(long)]
        hours: String,
        /// Event check-in: each passbook is credited once per event.
        #[arg(long)]
        event: Option<String>,
        #[arg(long)]
        txn: Option<Uuid>,
        /// Print the slip.
        #[arg(long)]
        print: bool,
    },
    /// Debit points for goods and services.
    Redeem {
        #[arg(long)]
        passbook: String,
        /// ITEM or ITEM:QTY (item code or barcode); repeat for several lines.
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// Client-made id: a retry with the same id returns the first result.
        #[arg(long)]
        txn: Option<Uuid>,
        /// Print the slip.
        #[arg(long)]
        print: bool,
    },
    /// Undo an earning or a redemption with compensating entries (administrators).
    Reverse {
        txn: String,
        #[arg(long)]
        reason: String,
        /// Id of this reversal, for safe retries.
        #[arg(long = "as-txn")]
        as_txn: Option<Uuid>,
        /// Print the reversal slip (冲正).
        #[arg(long)]
        print: bool,
    },
    /// Correct a balance with a reason (administrators).
    Adjust {
        #[arg(long)]
        passbook: String,
        #[arg(long, allow_hyphen_values = true)]
        points: i64,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        txn: Option<Uuid>,
    },
    /// Balance and this month's totals of a scanned passbook.
    Balance {
        #[arg(long)]
        passbook: String,
    },
    /// The latest entries of a scanned passbook.
    History {
        #[arg(long)]
        passbook: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Verify the log, or rebuild the projections from it.
    /// Print a copy (重印) of a txn's slip, or a slip that waits in the print queue.
    Reprint { txn: String },
    /// The day-close (Z) totals of a local day; --print for the slip.
    DayClose {
        /// YYYY-MM-DD, default today.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        print: bool,
    },
    /// Printer hardware: ports, status, test print, simulator.
    #[command(subcommand)]
    Hw(HwCmd),
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Copy the database while the counter runs (administrators).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Replace the database with a verified backup of this counter (administrators).
    Restore { file: PathBuf },
}

#[derive(Subcommand)]
enum OperatorCmd {
    Add {
        #[arg(long)]
        name: String,
        /// volunteer or admin
        #[arg(long, default_value = "volunteer")]
        role: String,
    },
    List,
    Disable {
        operator: String,
    },
    Enable {
        operator: String,
    },
}

#[derive(Args)]
struct ResidentFields {
    #[arg(long)]
    name: String,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Subcommand)]
enum ResidentCmd {
    Add(ResidentFields),
    List {
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    Show {
        resident: String,
        /// The unmasked record (administrators).
        #[arg(long)]
        full: bool,
    },
    /// Import a CSV or XLSX file with a header row (姓名, 电话, 地址, 备注): all rows or none.
    Import {
        file: PathBuf,
    },
    /// Destroy the resident's personal data key (administrators).
    Erase {
        resident: String,
    },
}

#[derive(Args)]
struct QrFiles {
    /// Also write the QR code as PNG.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Also write the QR code as SVG.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Print the passbook slip (QR and number) to stick into the paper passbook.
    #[arg(long)]
    print: bool,
}

#[derive(Subcommand)]
enum PassbookCmd {
    Issue {
        resident: String,
        #[command(flatten)]
        qr: QrFiles,
    },
    /// A lost passbook: revoke its token, issue a new one on the same number.
    Reissue {
        passbook: String,
        #[arg(long, default_value = "遗失补办")]
        reason: String,
        #[command(flatten)]
        qr: QrFiles,
    },
    Revoke {
        passbook: String,
        #[arg(long)]
        reason: String,
    },
    Show {
        passbook: String,
    },
}

#[derive(Subcommand)]
enum ActivityCmd {
    Add {
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        points_per_hour: i64,
    },
    List,
}

#[derive(Subcommand)]
enum CatalogCmd {
    Add {
        code: String,
        #[arg(long)]
        name: String,
        /// goods, service, venue or honour
        #[arg(long, default_value = "goods")]
        kind: String,
        #[arg(long)]
        points: i64,
        #[arg(long)]
        barcode: Option<String>,
        /// Most units per resident per month.
        #[arg(long)]
        monthly_limit: Option<u32>,
    },
    List,
    Update {
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        points: Option<i64>,
        #[arg(long)]
        barcode: Option<String>,
        #[arg(long, conflicts_with = "barcode")]
        no_barcode: bool,
        #[arg(long)]
        monthly_limit: Option<u32>,
        #[arg(long, conflicts_with = "monthly_limit")]
        no_limit: bool,
        #[arg(long)]
        disable: bool,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
    },
    /// Goods received (a donation or a purchase).
    Restock {
        item: String,
        #[arg(long)]
        qty: i64,
        #[arg(long)]
        donor: Option<String>,
    },
    /// A shelf count: the stock becomes the counted number.
    Count {
        item: String,
        #[arg(long)]
        counted: i64,
    },
}

#[derive(Subcommand)]
enum HwCmd {
    /// Serial ports, with USB vendor:product where the system knows them.
    Ports,
    /// Ask the configured printer's status.
    Status,
    /// Print a test slip with Chinese text, alignment and a QR code.
    PrintTest,
    /// A simulated ESC/POS printer on a pseudo-terminal: decodes slips to text.
    PrinterSim {
        /// Where receipts are written as text (default: the home's sim-receipts).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Slips waiting in the print queue.
    Queue,
}

#[derive(Subcommand)]
enum LedgerCmd {
    /// Check chain, signatures, seqs, projections and postings.
    Verify,
    /// Recreate every projection from the log (administrators).
    Rebuild,
}

/// Runs one parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let lang = cli
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| {
            let home = Home::resolve(cli.home.clone());
            home.config()
                .ok()
                .and_then(|c| c.lang)
                .as_deref()
                .and_then(Lang::parse)
        })
        .unwrap_or_default();
    let ctx = Ctx {
        home: Home::resolve(cli.home),
        lang,
        json: cli.json,
        operator: cli.operator,
    };
    let result = dispatch(&ctx, cli.command);
    cli::finish(lang, ctx.json, result)
}

fn usage(lang: Lang, zh: &str, en: &str) -> Failure {
    Failure::Usage(lang.pick(zh, en).to_string())
}

/// "1.5" hours → 90 minutes; quarter hours at the finest.
fn parse_hours(lang: Lang, text: &str) -> Result<u32, Failure> {
    let hours: f64 = text.trim().parse().map_err(|_| {
        usage(
            lang,
            "时长请写成小时数，如 1.5",
            "Write hours as a number, e.g. 1.5",
        )
    })?;
    if !hours.is_finite() || !(0.0..=24.0).contains(&hours) {
        return Err(crate::ledger::LedgerError::BadHours(text.to_string()).into());
    }
    Ok((hours * 60.0).round() as u32)
}

/// "G001:2" → ("G001", 2); "G001" → ("G001", 1).
fn parse_item(lang: Lang, text: &str) -> Result<(String, u32), Failure> {
    match text.rsplit_once(':') {
        Some((item, qty)) => {
            let qty = qty.trim().parse().map_err(|_| {
                Failure::from(crate::ledger::LedgerError::BadQuantity(qty.to_string()))
            })?;
            Ok((item.to_string(), qty))
        }
        None if text.trim().is_empty() => Err(usage(lang, "商品编号为空", "Empty item code")),
        None => Ok((text.to_string(), 1)),
    }
}

fn parse_offset(lang: Lang, text: &str) -> Result<i32, Failure> {
    let bad = || {
        usage(
            lang,
            "时区请写成 +08:00 的形式",
            "Write the UTC offset as +08:00",
        )
    };
    let (sign, rest) = match text.trim().split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m))
}

fn write_qr_files(ctx: &Ctx, token: &str, files: &QrFiles) -> Result<(), Failure> {
    let code = qr::encode(token).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(path) = &files.png {
        let file = std::fs::File::create(path).map_err(crate::ledger::LedgerError::from)?;
        qr::write_png(&code, std::io::BufWriter::new(file))
            .map_err(|e| crate::ledger::LedgerError::Io(std::io::Error::other(e)))?;
    }
    if let Some(path) = &files.svg {
        std::fs::write(path, qr::to_svg(&code)).map_err(crate::ledger::LedgerError::from)?;
    }
    if !ctx.json {
        println!("{}", qr::to_terminal(&code));
    }
    Ok(())
}

fn show_issued(ctx: &Ctx, issued: &crate::ledger::IssuedPassbook, files: &QrFiles) -> CmdResult {
    if ctx.json {
        output::json(&serde_json::json!({
            "ok": true, "passbook": issued.passbook, "resident": issued.resident,
            "scan": issued.token.as_str(), "txn": issued.txn,
        }));
    } else {
        println!(
            "{} {}  {} {}",
            ctx.lang.pick("存折编号", "Passbook"),
            issued.passbook,
            ctx.lang.pick("居民", "resident"),
            issued.resident
        );
        println!(
            "{} {}",
            ctx.lang.pick(
                "扫码内容（只显示这一次，请立即打印或保存二维码）：",
                "Scan payload (shown only this once; print or save the QR now):"
            ),
            issued.token.as_str()
        );
    }
    write_qr_files(ctx, issued.token.as_str(), files)
}

fn dispatch(ctx: &Ctx, command: Command) -> CmdResult {
    let lang = ctx.lang;
    match command {
        Command::Init {
            community,
            prefix,
            counter,
            admin,
            utc_offset,
        } => {
            let offset = parse_offset(lang, &utc_offset)?;
            if ctx.home.exists() {
                return Err(crate::ledger::LedgerError::HomeExists(
                    ctx.home.dir.display().to_string(),
                )
                .into());
            }
            let pin = cli::read_pin(
                lang,
                lang.pick(
                    "管理员密码（4-8 位数字）: ",
                    "Administrator PIN (4-8 digits): ",
                ),
            )?;
            if std::env::var("POINTSDESK_PIN").is_err() {
                let again = cli::read_pin(lang, lang.pick("再输入一次: ", "Again: "))?;
                if again != pin {
                    return Err(usage(
                        lang,
                        "两次输入的密码不一致，未做任何更改。",
                        "The two PINs differ; nothing was changed.",
                    ));
                }
            }
            let request = InitRequest {
                community,
                prefix,
                counter,
                admin_name: admin,
                admin_pin: pin,
                utc_offset_minutes: offset,
            };
            let (ledger, session) = ctx.home.init(request, lang, Box::new(chrono::Utc::now))?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"ok": true, "home": ctx.home.dir, "admin": session.operator()}),
                );
            } else {
                println!(
                    "{} {}\n{} {} ({})  {} {}",
                    lang.pick("已创建", "Created"),
                    ctx.home.dir.display(),
                    lang.pick("社区", "community"),
                    ledger.series().community,
                    ledger.series().counter,
                    lang.pick("管理员工号", "administrator number"),
                    session.operator()
                );
            }
            Ok(())
        }
        Command::Demo { walkthrough } => {
            use std::io::IsTerminal;
            if walkthrough || !std::io::stdout().is_terminal() {
                return crate::demo::run(lang).map_err(Failure::from);
            }
            let (home, scans) = crate::demo::seed_for_counter()?;
            crate::counter::driver::run(&home, lang, Some(scans))
                .map_err(crate::ledger::LedgerError::from)?;
            println!(
                "{} {}",
                lang.pick("演示数据保存在", "The demo home is kept at"),
                home.dir.display()
            );
            Ok(())
        }
        Command::Counter => {
            crate::counter::driver::run(&ctx.home, lang, None)
                .map_err(crate::ledger::LedgerError::from)?;
            Ok(())
        }
        Command::Operator(cmd) => operator(ctx, cmd),
        Command::Resident(cmd) => resident(ctx, cmd),
        Command::Passbook(cmd) => passbook(ctx, cmd),
        Command::Activity(cmd) => activity(ctx, cmd),
        Command::Catalog(cmd) => catalog(ctx, cmd),
        Command::Earn {
            passbook,
            activity,
            hours,
            event,
            txn,
            print,
        } => {
            let minutes = parse_hours(lang, &hours)?;
            let mut printer = open_printer_if(ctx, print)?;
            let mut ledger = ctx.ledger()?;
            let session = ctx.session(&mut ledger)?;
            let receipt = ledger.earn(
                &session,
                &EarnRequest {
                    scan: passbook,
                    activity,
                    minutes,
                    event,
                    txn,
                },
            )?;
            show_receipt(ctx, &receipt);
            print_if(ctx, &ledger, &receipt, printer.as_mut())
        }
        Command::Redeem {
            passbook,
            items,
            txn,
            print,
        } => {
            let lines = items
                .iter()
                .map(|i| parse_item(lang, i))
                .collect::<Result<Vec<_>, _>>()?;
            let mut printer = open_printer_if(ctx, print)?;
            let mut ledger = ctx.ledger()?;
            let session = ctx.session(&mut ledger)?;
            let receipt = ledger.redeem(
                &session,
                &RedeemRequest {
                    scan: passbook,
                    lines,
                    txn,
                },
            )?;
            show_receipt(ctx, &receipt);
            print_if(ctx, &ledger, &receipt, printer.as_mut())
        }
        Command::Reverse {
            txn,
            reason,
            as_txn,
            print,
        } => {
            let txn = crate::printer::layout::parse_txn_qr(&txn).unwrap_or(txn);
            let mut printer = open_printer_if(ctx, print)?;
            let mut ledger = ctx.ledger()?;
            let session = ctx.admin_session(&mut ledger)?;
            let receipt = ledger.reverse(&session, &txn, &reason, as_txn)?;
            show_receipt(ctx, &receipt);
            print_if(ctx, &ledger, &receipt, printer.as_mut())
        }
        Command::Adjust {
            passbook,
            points,
            reason,
            txn,
        } => {
            let mut ledger = ctx.ledger()?;
            let session = ctx.admin_session(&mut ledger)?;
            let receipt = ledger.adjust(&session, &passbook, points, &reason, txn)?;
            show_receipt(ctx, &receipt);
            Ok(())
        }
        // A balance is the account without its history lines.
        Command::Balance { passbook } => show_account(ctx, &passbook, 0),
        Command::History { passbook, limit } => show_account(ctx, &passbook, limit),
        Command::Ledger(LedgerCmd::Verify) => {
            let ledger = ctx.ledger()?;
            let report = ledger.verify()?;
            if ctx.json {
                output::json(&report);
            } else if report.ok {
                println!(
                    "{} {} {}，{} {}",
                    lang.pick("账本校验通过：", "Ledger verified:"),
                    report.entries,
                    lang.pick("条记录", "entries"),
                    report.series,
                    lang.pick("个序列", "series")
                );
            } else {
                eprintln!(
                    "{} {}",
                    lang.pick("账本校验失败：", "Ledger verification FAILED:"),
                    report.problem.clone().unwrap_or_default()
                );
            }
            if report.ok {
                Ok(())
            } else {
                Err(Failure::Exit(cli::EXIT_SYSTEM))
            }
        }
        Command::Reprint { txn } => reprint(ctx, &txn),
        Command::DayClose { date, print } => day_close(ctx, date, print),
        Command::Hw(cmd) => hw(ctx, cmd),
        Command::Ledger(LedgerCmd::Rebuild) => {
            let mut ledger = ctx.ledger()?;
            ctx.admin_session(&mut ledger)?;
            let entries = ledger.rebuild()?;
            ctx.show(&serde_json::json!({"ok": true, "entries": entries}), || {
                println!(
                    "{} {entries}",
                    lang.pick(
                        "已从账本重建全部视图，记录数",
                        "Rebuilt all projections from entries:"
                    )
                );
            });
            Ok(())
        }
        Command::Backup { out } => {
            let mut ledger = ctx.ledger()?;
            ctx.admin_session(&mut ledger)?;
            ledger.backup(&out)?;
            ctx.show(&serde_json::json!({"ok": true, "backup": out}), || {
                println!(
                    "{} {}",
                    lang.pick("已备份到", "Backed up to"),
                    out.display()
                );
            });
            Ok(())
        }
        Command::Restore { file } => {
            let mut ledger = ctx.ledger()?;
            ctx.admin_session(&mut ledger)?;
            let aside = crate::home::aside(&ctx.home.db_path(), "before-restore");
            let entries = ledger.restore(&file, &aside)?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"ok": true, "entries": entries, "previous": aside}),
                );
            } else {
                println!(
                    "{} {entries}；{} {}",
                    lang.pick("已恢复并校验，记录数", "Restored and verified, entries"),
                    lang.pick("原数据库保存在", "previous database kept at"),
                    aside.display()
                );
            }
            Ok(())
        }
    }
}

fn show_account(ctx: &Ctx, scan: &str, history_lines: usize) -> CmdResult {
    let account = ctx.ledger()?.account(scan, history_lines)?;
    ctx.show(&account, || output::account(ctx.lang, &account));
    Ok(())
}

fn reprint(ctx: &Ctx, scan: &str) -> CmdResult {
    let txn = crate::printer::layout::parse_txn_qr(scan)
        .unwrap_or_else(|| scan.trim().to_ascii_lowercase());
    let mut printer = CounterPrinter::open(ctx)?;
    let mut ledger = ctx.ledger()?;
    ctx.session(&mut ledger)?;
    match ledger.receipt(&txn) {
        Ok(receipt) => printer.print_receipt(ctx, &ledger, &receipt, true)?,
        Err(crate::ledger::LedgerError::TxnUnknown(_)) => {
            // Not a points txn: a slip of its own that waits in the queue (a passbook slip).
            let waiting = printer
                .service()
                .queue()
                .waiting_for(&txn)
                .map_err(crate::ledger::LedgerError::from)?;
            let job = waiting
                .last()
                .ok_or(crate::ledger::LedgerError::TxnUnknown(txn.clone()))?;
            let blocks = crate::printer::print::mark_copy(&job.blocks, ctx.lang);
            let kind = job.kind.clone();
            let outcome = printer
                .service()
                .reprint(&txn, &kind, &blocks)
                .map_err(crate::ledger::LedgerError::from)?;
            printer.report(ctx, Some(&txn), outcome)?;
        }
        Err(e) => return Err(e.into()),
    }
    done(ctx, ctx.lang.pick("已重印", "Reprinted"), &txn);
    Ok(())
}

fn day_close(ctx: &Ctx, date: Option<String>, print: bool) -> CmdResult {
    let lang = ctx.lang;
    let mut printer = open_printer_if(ctx, print)?;
    let mut ledger = ctx.ledger()?;
    let day = date.unwrap_or_else(|| ledger.today());
    let totals = ledger.day_totals(&day)?;
    ctx.show(&totals, || {
        let mut rows = vec![vec![
            lang.pick("类型", "kind").to_string(),
            lang.pick("笔数", "count").to_string(),
            lang.pick("积分", "points").to_string(),
        ]];
        for t in &totals {
            rows.push(vec![
                daily_label(lang, &t.kind).to_string(),
                t.count.to_string(),
                t.points.to_string(),
            ]);
        }
        println!("{} {day}", lang.pick("日结", "Day close"));
        output::table(&rows);
    });
    if let Some(printer) = printer.as_mut() {
        let session = ctx.session(&mut ledger)?;
        let now = crate::store::log::format_time(ledger.now());
        let header = crate::cli::printing::header(&ledger, Some(session.operator()), &now);
        let close = crate::printer::layout::DayClose {
            day: day.clone(),
            rows: totals
                .iter()
                .map(|t| (daily_label(lang, &t.kind).to_string(), t.count, t.points.0))
                .collect(),
        };
        printer.print_blocks(
            ctx,
            "day_close",
            &crate::printer::layout::day_close_slip(&header, &close, lang, false),
        )?;
    }
    Ok(())
}

fn daily_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "earned" => lang.pick("获得", "earned"),
        "redeemed" => lang.pick("兑换", "redeemed"),
        "reversed" => lang.pick("冲正", "reversed"),
        "adjusted" => lang.pick("调整", "adjusted"),
        _ => lang.pick("其他", "other"),
    }
}

fn hw(ctx: &Ctx, cmd: HwCmd) -> CmdResult {
    let lang = ctx.lang;
    match cmd {
        HwCmd::Ports => {
            let ports =
                crate::printer::transport::ports().map_err(crate::ledger::LedgerError::from)?;
            let list: Vec<serde_json::Value> = ports
                .iter()
                .map(|(p, k)| serde_json::json!({"port": p, "kind": k}))
                .collect();
            ctx.show(&list, || {
                if ports.is_empty() {
                    println!("{}", lang.pick("没有找到串口。", "No serial ports found."));
                }
                let mut rows = vec![vec![
                    lang.pick("端口", "port").to_string(),
                    lang.pick("类型", "kind").to_string(),
                ]];
                rows.extend(ports.iter().map(|(p, k)| vec![p.clone(), k.clone()]));
                output::table(&rows);
            });
        }
        HwCmd::Status => {
            let mut printer = CounterPrinter::open(ctx)?;
            match printer.service().status() {
                crate::printer::status::Verdict::Ready { paper_near_end } => {
                    println!("{}", lang.pick("打印机正常。", "The printer is ready."));
                    if paper_near_end {
                        println!("{}", crate::printer::status::near_end_warning(lang));
                    }
                }
                crate::printer::status::Verdict::Problem(problem) => {
                    return Err(Failure::Printer(problem.message(lang).to_string()));
                }
            }
        }
        HwCmd::PrintTest => {
            let mut printer = CounterPrinter::open(ctx)?;
            let blocks = crate::printer::layout::test_slip(&printer.service().profile, lang);
            printer.print_blocks(ctx, "test", &blocks)?;
            done(
                ctx,
                lang.pick("测试页已打印", "Test slip printed"),
                &printer.service().profile.name.clone(),
            );
        }
        HwCmd::PrinterSim { out } => {
            let out_dir = out.unwrap_or_else(|| ctx.home.sim_receipts_dir());
            crate::printer::sim::run_foreground(
                crate::printer::sim::SimConfig {
                    out_dir,
                    state: crate::printer::sim::SimState::Ready,
                },
                lang,
            )
            .map_err(crate::ledger::LedgerError::from)?;
        }
        HwCmd::Queue => {
            let queue = crate::printer::queue::Queue::open(&ctx.home.print_queue_path())
                .map_err(crate::ledger::LedgerError::from)?;
            let waiting = queue.waiting().map_err(crate::ledger::LedgerError::from)?;
            let list: Vec<serde_json::Value> = waiting
                .iter()
                .map(|j| serde_json::json!({"job": j.id, "txn": j.txn, "kind": j.kind, "problem": j.problem, "attempts": j.attempts, "created_at": j.created_at}))
                .collect();
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "job").to_string(),
                    lang.pick("交易号", "txn").to_string(),
                    lang.pick("类型", "kind").to_string(),
                    lang.pick("原因", "problem").to_string(),
                ]];
                for j in &waiting {
                    rows.push(vec![
                        j.id.to_string(),
                        j.txn.clone().unwrap_or_default(),
                        j.kind.clone(),
                        j.problem.clone().unwrap_or_default(),
                    ]);
                }
                output::table(&rows);
            });
        }
    }
    Ok(())
}

/// Opens the printer before anything is booked, so a wrong printer setting is found before
/// the points move, not after.
fn open_printer_if(ctx: &Ctx, print: bool) -> Result<Option<CounterPrinter>, Failure> {
    if print {
        CounterPrinter::open(ctx).map(Some)
    } else {
        Ok(None)
    }
}

fn print_if(
    ctx: &Ctx,
    ledger: &crate::ledger::Ledger,
    receipt: &crate::ledger::Receipt,
    printer: Option<&mut CounterPrinter>,
) -> CmdResult {
    match printer {
        // A replayed request already printed its slip the first time: a copy needs `reprint`.
        Some(printer) if !receipt.replayed => printer.print_receipt(ctx, ledger, receipt, false),
        _ => Ok(()),
    }
}

fn show_receipt(ctx: &Ctx, receipt: &crate::ledger::Receipt) {
    ctx.show(receipt, || {
        output::receipt(ctx.lang, receipt);
    });
}

fn operator(ctx: &Ctx, cmd: OperatorCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    match cmd {
        OperatorCmd::Add { name, role } => {
            let role = Role::parse(&role).ok_or_else(|| {
                usage(
                    lang,
                    "角色只能是 volunteer 或 admin",
                    "Role is volunteer or admin",
                )
            })?;
            let session = ctx.admin_session(&mut ledger)?;
            let pin = new_operator_pin(lang)?;
            let view = ledger.add_operator(&session, &name, role, &pin)?;
            ctx.show(&view, || {
                println!(
                    "{} {} {}",
                    lang.pick("已添加操作员", "Added operator"),
                    view.operator,
                    view.name
                );
            });
        }
        OperatorCmd::List => {
            let list = ledger.operators()?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("工号", "no").to_string(),
                    lang.pick("姓名", "name").to_string(),
                    lang.pick("角色", "role").to_string(),
                    lang.pick("状态", "status").to_string(),
                ]];
                for o in list.iter().cloned() {
                    rows.push(vec![
                        o.operator,
                        o.name,
                        o.role.as_str().to_string(),
                        if o.enabled {
                            lang.pick("启用", "enabled")
                        } else {
                            lang.pick("停用", "disabled")
                        }
                        .to_string(),
                    ]);
                }
                output::table(&rows);
            });
        }
        OperatorCmd::Disable { operator } => {
            let session = ctx.admin_session(&mut ledger)?;
            ledger.set_operator_enabled(&session, &operator, false)?;
            done(ctx, lang.pick("已停用", "Disabled"), &operator);
        }
        OperatorCmd::Enable { operator } => {
            let session = ctx.admin_session(&mut ledger)?;
            ledger.set_operator_enabled(&session, &operator, true)?;
            done(ctx, lang.pick("已启用", "Enabled"), &operator);
        }
    }
    Ok(())
}

/// The new operator's PIN: `POINTSDESK_NEW_PIN`, else prompted twice without echo.
fn new_operator_pin(lang: Lang) -> Result<String, Failure> {
    if let Ok(pin) = std::env::var("POINTSDESK_NEW_PIN") {
        return Ok(pin.trim().to_string());
    }
    let prompt = |text: &str| {
        rpassword::prompt_password(text)
            .map(|p| p.trim().to_string())
            .map_err(|_| {
                usage(
                    lang,
                    "无法读取密码：请在终端中运行，或设置 POINTSDESK_NEW_PIN。",
                    "Cannot read the PIN: run in a terminal or set POINTSDESK_NEW_PIN.",
                )
            })
    };
    let pin = prompt(lang.pick(
        "新操作员的密码（4-8 位数字）: ",
        "New operator's PIN (4-8 digits): ",
    ))?;
    if prompt(lang.pick("再输入一次: ", "Again: "))? != pin {
        return Err(usage(
            lang,
            "两次输入的密码不一致，未做任何更改。",
            "The two PINs differ; nothing was changed.",
        ));
    }
    Ok(pin)
}

fn done(ctx: &Ctx, what: &str, subject: &str) {
    ctx.show(&serde_json::json!({"ok": true, "subject": subject}), || {
        println!("{what} {subject}");
    });
}

fn resident(ctx: &Ctx, cmd: ResidentCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    match cmd {
        ResidentCmd::Add(fields) => {
            let session = ctx.session(&mut ledger)?;
            let view = ledger.add_resident(
                &session,
                &NewResident {
                    name: fields.name,
                    phone: fields.phone,
                    address: fields.address,
                    note: fields.note,
                },
            )?;
            ctx.show(&view, || {
                println!(
                    "{} {} {}",
                    lang.pick("已登记居民", "Registered resident"),
                    view.resident,
                    view.name
                );
            });
        }
        ResidentCmd::List { search, limit } => {
            let list = ledger.residents(search.as_deref(), limit)?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "resident").to_string(),
                    lang.pick("姓名", "name").to_string(),
                    lang.pick("电话", "phone").to_string(),
                    lang.pick("存折", "passbook").to_string(),
                    lang.pick("余额", "balance").to_string(),
                ]];
                for r in list.iter().cloned() {
                    rows.push(vec![
                        r.resident,
                        r.name,
                        r.phone.unwrap_or_default(),
                        r.passbook.unwrap_or_default(),
                        r.balance.to_string(),
                    ]);
                }
                output::table(&rows);
            });
        }
        ResidentCmd::Show { resident, full } => {
            let view = if full {
                let session = ctx.admin_session(&mut ledger)?;
                ledger.resident_full(&session, &resident)?
            } else {
                ledger.resident(&resident, false)?
            };
            ctx.show(&view, || {
                let rows = vec![
                    vec![
                        lang.pick("编号", "resident").to_string(),
                        view.resident.clone(),
                    ],
                    vec![lang.pick("姓名", "name").to_string(), view.name.clone()],
                    vec![
                        lang.pick("电话", "phone").to_string(),
                        view.phone.clone().unwrap_or_default(),
                    ],
                    vec![
                        lang.pick("地址", "address").to_string(),
                        view.address.clone().unwrap_or_default(),
                    ],
                    vec![
                        lang.pick("备注", "note").to_string(),
                        view.note.clone().unwrap_or_default(),
                    ],
                    vec![
                        lang.pick("登记时间", "registered").to_string(),
                        view.registered_at.clone(),
                    ],
                    vec![
                        lang.pick("存折", "passbook").to_string(),
                        format!(
                            "{} {}",
                            view.passbook.clone().unwrap_or_default(),
                            view.passbook_status.clone().unwrap_or_default()
                        ),
                    ],
                    vec![
                        lang.pick("余额", "balance").to_string(),
                        view.balance.to_string(),
                    ],
                ];
                output::table(&rows);
            });
        }
        ResidentCmd::Import { file } => {
            let rows = crate::import::read_residents(&file)?;
            let session = ctx.session(&mut ledger)?;
            let ids = ledger.import_residents(&session, &rows)?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"ok": true, "imported": ids.len(), "residents": ids}),
                );
            } else {
                println!(
                    "{} {}",
                    lang.pick("已导入居民人数：", "Residents imported:"),
                    ids.len()
                );
            }
        }
        ResidentCmd::Erase { resident } => {
            let session = ctx.admin_session(&mut ledger)?;
            ledger.erase_resident(&session, &resident)?;
            done(
                ctx,
                lang.pick("已删除个人信息：", "Personal data erased:"),
                &resident,
            );
        }
    }
    Ok(())
}

fn passbook(ctx: &Ctx, cmd: PassbookCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    match cmd {
        PassbookCmd::Issue { resident, qr } => {
            let mut printer = open_printer_if(ctx, qr.print)?;
            let session = ctx.session(&mut ledger)?;
            let issued = ledger.issue_passbook(&session, &resident)?;
            show_issued(ctx, &issued, &qr)?;
            if let Some(printer) = printer.as_mut() {
                printer.print_passbook(ctx, &ledger, &session, &issued)?;
            }
        }
        PassbookCmd::Reissue {
            passbook,
            reason,
            qr,
        } => {
            let mut printer = open_printer_if(ctx, qr.print)?;
            let session = ctx.session(&mut ledger)?;
            let issued = ledger.reissue_passbook(&session, &passbook, &reason)?;
            if !ctx.json {
                println!(
                    "{}",
                    lang.pick("旧存折已作废。", "The old passbook is revoked.")
                );
            }
            show_issued(ctx, &issued, &qr)?;
            if let Some(printer) = printer.as_mut() {
                printer.print_passbook(ctx, &ledger, &session, &issued)?;
            }
        }
        PassbookCmd::Revoke { passbook, reason } => {
            let session = ctx.session(&mut ledger)?;
            ledger.revoke_passbook(&session, &passbook, &reason)?;
            done(ctx, lang.pick("已作废存折", "Revoked passbook"), &passbook);
        }
        PassbookCmd::Show { passbook } => {
            let view = ledger.passbook(&passbook)?;
            ctx.show(&view, || {
                output::table(&[
                    vec![
                        lang.pick("存折", "passbook").to_string(),
                        view.passbook.clone(),
                    ],
                    vec![
                        lang.pick("居民", "resident").to_string(),
                        format!("{} {}", view.resident, view.resident_name),
                    ],
                    vec![lang.pick("状态", "status").to_string(), view.status.clone()],
                    vec![
                        lang.pick("发放时间", "issued").to_string(),
                        view.issued_at.clone(),
                    ],
                    vec![
                        lang.pick("余额", "balance").to_string(),
                        view.balance.to_string(),
                    ],
                ]);
            });
        }
    }
    Ok(())
}

fn activity(ctx: &Ctx, cmd: ActivityCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    match cmd {
        ActivityCmd::Add {
            code,
            name,
            points_per_hour,
        } => {
            let session = ctx.admin_session(&mut ledger)?;
            let view = ledger.define_activity(&session, &code, &name, points_per_hour)?;
            ctx.show(&view, || {
                println!(
                    "{} {} {}",
                    lang.pick("已添加活动", "Added activity"),
                    view.activity,
                    view.name
                );
            });
        }
        ActivityCmd::List => {
            let list = ledger.activities()?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "code").to_string(),
                    lang.pick("名称", "name").to_string(),
                    lang.pick("每小时积分", "points/hour").to_string(),
                ]];
                for a in list.iter().cloned() {
                    rows.push(vec![a.activity, a.name, a.points_per_hour.to_string()]);
                }
                output::table(&rows);
            });
        }
    }
    Ok(())
}

fn catalog(ctx: &Ctx, cmd: CatalogCmd) -> CmdResult {
    let lang = ctx.lang;
    let mut ledger = ctx.ledger()?;
    let view = match cmd {
        CatalogCmd::Add {
            code,
            name,
            kind,
            points,
            barcode,
            monthly_limit,
        } => {
            let kind = ItemKind::parse(&kind).ok_or_else(|| {
                usage(
                    lang,
                    "种类只能是 goods、service、venue 或 honour",
                    "Kind is goods, service, venue or honour",
                )
            })?;
            let session = ctx.admin_session(&mut ledger)?;
            ledger.define_item(
                &session,
                &NewItem {
                    item: code,
                    name,
                    kind,
                    points,
                    barcode,
                    monthly_limit,
                },
            )?
        }
        CatalogCmd::List => {
            let list = ledger.items()?;
            ctx.show(&list, || {
                let mut rows = vec![vec![
                    lang.pick("编号", "code").to_string(),
                    lang.pick("名称", "name").to_string(),
                    lang.pick("种类", "kind").to_string(),
                    lang.pick("积分", "points").to_string(),
                    lang.pick("库存", "stock").to_string(),
                    lang.pick("每月限额", "monthly limit").to_string(),
                    lang.pick("条码", "barcode").to_string(),
                ]];
                for i in list.iter().cloned() {
                    rows.push(vec![
                        i.item,
                        if i.enabled {
                            i.name
                        } else {
                            format!("{} ({})", i.name, lang.pick("下架", "off"))
                        },
                        i.kind.as_str().to_string(),
                        i.points.to_string(),
                        i.stock.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        i.monthly_limit
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "-".into()),
                        i.barcode.unwrap_or_default(),
                    ]);
                }
                output::table(&rows);
            });
            return Ok(());
        }
        CatalogCmd::Update {
            code,
            name,
            points,
            barcode,
            no_barcode,
            monthly_limit,
            no_limit,
            disable,
            enable,
        } => {
            let session = ctx.admin_session(&mut ledger)?;
            let patch = ItemPatch {
                name,
                points,
                barcode: if no_barcode {
                    Some(None)
                } else {
                    barcode.map(Some)
                },
                monthly_limit: if no_limit {
                    Some(None)
                } else {
                    monthly_limit.map(Some)
                },
                enabled: if disable {
                    Some(false)
                } else if enable {
                    Some(true)
                } else {
                    None
                },
            };
            ledger.update_item(&session, &code, &patch)?
        }
        CatalogCmd::Restock { item, qty, donor } => {
            let session = ctx.session(&mut ledger)?;
            ledger.restock(&session, &item, qty, donor.as_deref())?
        }
        CatalogCmd::Count { item, counted } => {
            let session = ctx.session(&mut ledger)?;
            ledger.count_stock(&session, &item, counted)?
        }
    };
    ctx.show(&view, || {
        println!(
            "{} {} {}  {} {}  {} {}",
            lang.pick("商品", "Item"),
            view.item,
            view.name,
            lang.pick("积分", "points"),
            view.points,
            lang.pick("库存", "stock"),
            view.stock
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into())
        );
    });
    Ok(())
}
