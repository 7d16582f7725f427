//! Setting a counter up and opening it: `init`, `demo`, `counter`.

use super::args::InitArgs;
use super::{CmdResult, Ctx, Failure, output, usage};
use crate::i18n::Lang;
use crate::ledger::InitRequest;

pub fn init(ctx: &Ctx, args: InitArgs) -> CmdResult {
    let lang = ctx.lang;
    let InitArgs {
        community,
        prefix,
        counter,
        admin,
        utc_offset,
        code,
    } = args;
    let offset = parse_offset(lang, &utc_offset)?;
    if ctx.home.exists() {
        return Err(
            crate::ledger::LedgerError::HomeExists(ctx.home.dir.display().to_string()).into(),
        );
    }
    let pin = super::read_pin(
        lang,
        lang.pick(
            "管理员密码（4-8 位数字）: ",
            "Administrator PIN (4-8 digits): ",
        ),
    )?;
    if std::env::var("POINTSDESK_PIN").is_err() {
        let again = super::read_pin(lang, lang.pick("再输入一次: ", "Again: "))?;
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
        code,
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

pub fn demo(ctx: &Ctx, walkthrough: bool) -> CmdResult {
    use std::io::IsTerminal;
    let lang = ctx.lang;
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

pub fn counter(ctx: &Ctx) -> CmdResult {
    crate::counter::driver::run(&ctx.home, ctx.lang, None)
        .map_err(crate::ledger::LedgerError::from)?;
    Ok(())
}

fn parse_offset(lang: Lang, text: &str) -> Result<i32, Failure> {
    crate::domain::text::parse_utc_offset(text).ok_or_else(|| {
        usage(
            lang,
            "时区请写成 +08:00 的形式",
            "Write the UTC offset as +08:00",
        )
    })
}
