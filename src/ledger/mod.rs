//! The ledger: every command the counter, the CLI and the sync make on a home's data.
//!
//! Each write opens one `BEGIN IMMEDIATE` SQLite transaction, checks the request against
//! signed data (an entry of the log, never a projection row alone), appends its entries and
//! updates the projections, then commits: a refused
//! request writes nothing, an accepted one is durable before the caller prints anything.
//! Errors are typed ([`LedgerError`]) with a message in the operator's language.

mod catalog;
pub mod conflicts;
pub mod district;
pub mod error;
mod people;
pub mod points;
pub mod read;
pub mod reports;
pub mod restore;
mod seal;
pub mod views;

pub use error::{
    ErrorKind, FileProblem, ImportProblem, LedgerError, Record, Result, problem_message,
};
pub use points::short_txn;
pub use views::*;

use crate::domain::ids::Numbering;
use crate::domain::{Body, Role, text};
use crate::keys::Device;
use crate::store::anchor::{Anchor, AnchorFile};
use crate::store::log::{self, Appended, SeriesInfo, SqlKeys};
use crate::store::{self, verify};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::path::Path;

/// Where the time comes from; tests move it to try lockouts and month boundaries.
pub type Clock = Box<dyn Fn() -> DateTime<Utc> + Send>;

/// Limits an administrator may tune in config.toml.
#[derive(Clone, Debug)]
pub struct Policy {
    pub pin_failures_max: u32,
    pub lockout_minutes: i64,
    /// Points a passbook of another counter may spend here per local day (`None`: no limit).
    pub away_daily_limit: Option<i64>,
}

/// The default of `[district] away_daily_limit`: a week's shopping of one resident.
pub const AWAY_DAILY_LIMIT_DEFAULT: i64 = 200;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            pin_failures_max: 5,
            lockout_minutes: 5,
            away_daily_limit: Some(AWAY_DAILY_LIMIT_DEFAULT),
        }
    }
}

/// How far behind this counter's newest entry the clock may be before it is called wrong
/// (two processes of one counter stamp entries a few milliseconds apart).
pub const CLOCK_BEHIND_TOLERANCE_SECONDS: i64 = 60;
/// A clock this far past the newest entry is probably set to the wrong year or month.
pub const CLOCK_AHEAD_DAYS_MAX: i64 = 180;

/// The counter's clock looks wrong. Entries are stamped with it (and reports cut days by it),
/// so the operator is told; nothing is refused.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "clock")]
pub enum ClockWarning {
    /// Earlier than the newest entry this counter wrote.
    BehindNewestEntry { now: String, newest: String },
    /// Far later than the newest entry.
    FarAhead {
        now: String,
        newest: String,
        days: i64,
    },
}

impl ClockWarning {
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        let zh = lang == crate::i18n::Lang::ZhCn;
        match self {
            ClockWarning::BehindNewestEntry { now, newest } => {
                if zh {
                    format!(
                        "电脑时钟可能不准：现在显示 {now}，早于本柜台最新一条记录的时间 {newest}。记录照常保存，但日期可能记错；请管理员校准时间。"
                    )
                } else {
                    format!(
                        "The computer's clock may be wrong: it says {now}, earlier than this counter's newest entry ({newest}). Entries are still kept, but their dates may be wrong; ask an administrator to set the clock."
                    )
                }
            }
            ClockWarning::FarAhead { now, newest, days } => {
                if zh {
                    format!(
                        "电脑时钟可能不准：现在显示 {now}，比本柜台最新一条记录（{newest}）晚 {days} 天。记录照常保存，但日期可能记错；请管理员核对日期。"
                    )
                } else {
                    format!(
                        "The computer's clock may be wrong: it says {now}, {days} days after this counter's newest entry ({newest}). Entries are still kept, but their dates may be wrong; ask an administrator to check the date."
                    )
                }
            }
        }
    }
}

/// Proof that an operator logged in; only [`Ledger::login`] and [`Ledger::create`] make one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    operator: String,
    name: String,
    role: Role,
}

impl Session {
    pub fn operator(&self) -> &str {
        &self.operator
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What `init` needs to create a counter.
pub struct InitRequest {
    pub community: String,
    pub prefix: String,
    pub counter: String,
    pub admin_name: String,
    pub admin_pin: String,
    pub utc_offset_minutes: i32,
    /// The counter code its numbers carry (`A` in `SQ-A000001`), as the street office gives
    /// it at enrolment; a counter alone in its district keeps the default `A`.
    pub code: String,
}

pub struct Ledger {
    conn: Connection,
    device: Device,
    series: SeriesInfo,
    /// How this counter numbers residents and passbooks (its prefix and counter code).
    numbering: Numbering,
    clock: Clock,
    policy: Policy,
    /// `ledger.head` beside the database; `None` when it is missing (verify says so).
    anchor: Option<AnchorFile>,
    /// A new PC taking its counter's ledger back from the hub: its own series arrives from
    /// outside (see [`Ledger::recovering`]).
    recovering: bool,
}

/// One write transaction: appends entries of this counter's series.
pub(crate) struct Writer<'a> {
    pub tx: Transaction<'a>,
    device: &'a Device,
    pub series: &'a SeriesInfo,
    pub numbering: &'a Numbering,
    pub policy: &'a Policy,
    pub now: DateTime<Utc>,
    operator: Option<String>,
    /// The newest entry appended in this transaction, for the head anchor after the commit.
    last: std::cell::RefCell<Option<Appended>>,
}

impl Writer<'_> {
    pub fn append(&self, txn: Option<&str>, body: Body) -> Result<Appended> {
        // A points entry leaves its passbook's balance sealed, for the next debit to trust.
        let passbook = body.passbook_balance_after().map(|(p, _)| p.to_string());
        let appended = log::append(
            &self.tx,
            self.device,
            Some(self.series),
            self.now,
            self.operator.as_deref(),
            txn,
            body,
            &SqlKeys(&self.tx),
        )?;
        if let Some(passbook) = passbook {
            seal::write(
                &self.tx,
                &self.device.seal_key(),
                &crate::domain::effects::passbook_account(&passbook),
            )?;
        }
        *self.last.borrow_mut() = Some(appended.clone());
        Ok(appended)
    }

    /// Local calendar month of now, `YYYY-MM`.
    pub fn month(&self) -> String {
        self.series.local_day_month(&log::format_time(self.now)).1
    }

    /// The start of today (local midnight) as a stored UTC time.
    pub fn local_day_start(&self) -> String {
        let offset = self.series.offset();
        let midnight = self
            .now
            .with_timezone(&offset)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists");
        chrono::TimeZone::from_local_datetime(&offset, &midnight)
            .single()
            .map(|t| log::format_time(t.with_timezone(&Utc)))
            .unwrap_or_default()
    }
}

/// Operator numbers are local to a counter: `001`, `002`, … of its own operators.
fn next_operator_number(conn: &Connection, origin: &str) -> Result<String> {
    let highest: Option<String> = conn
        .prepare_cached(
            "SELECT operator FROM operators WHERE origin = ?1 AND length(operator) = 3
             ORDER BY operator DESC LIMIT 1",
        )?
        .query_row([origin], |r| r.get(0))
        .optional()?;
    let next = highest.and_then(|h| h.parse::<u32>().ok()).unwrap_or(0) + 1;
    Ok(format!("{next:03}"))
}

pub fn hash_pin(pin: &str) -> Result<String> {
    if !(4..=8).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(LedgerError::BadPin);
    }
    Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| LedgerError::Key(crate::keys::KeyError::Random))
}

fn pin_matches(pin: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

impl Ledger {
    /// Creates the database of a new counter: its first entry, and the first administrator.
    pub fn create(
        db_path: &Path,
        device: Device,
        request: InitRequest,
        clock: Clock,
    ) -> Result<(Ledger, Session)> {
        let community =
            text::clean_text(&request.community).map_err(LedgerError::bad_text("community"))?;
        let counter =
            text::clean_text(&request.counter).map_err(LedgerError::bad_text("counter"))?;
        let prefix = text::clean_code(&request.prefix).map_err(LedgerError::bad_text("prefix"))?;
        let numbering = crate::domain::ids::Numbering::new(&prefix, &request.code)
            .map_err(LedgerError::BadNumbering)?;
        let admin_name =
            text::clean_text(&request.admin_name).map_err(LedgerError::bad_text("name"))?;
        let pin_hash = hash_pin(&request.admin_pin)?;
        let mut conn = store::open(db_path)?;
        let now = clock();
        let genesis = Body::CounterInitialized {
            community,
            prefix,
            counter,
            public_key: hex::encode(device.public_key().to_bytes()),
            utc_offset_minutes: request.utc_offset_minutes,
            code: numbering.code.clone(),
            continues: None,
            number_block: None,
        };
        let series = SeriesInfo::from_body(&device.series_id, &genesis)
            .expect("genesis body describes its series");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('series_id', ?1)",
            [device.series_id.to_string()],
        )?;
        log::append(&tx, &device, None, now, None, None, genesis, &SqlKeys(&tx))?;
        let operator = "001".to_string();
        let last = {
            let writer = Writer {
                tx,
                device: &device,
                series: &series,
                numbering: &numbering,
                policy: &Policy::default(),
                now,
                operator: Some(operator.clone()),
                last: std::cell::RefCell::new(None),
            };
            let last = writer.append(
                None,
                Body::OperatorAdded {
                    operator: operator.clone(),
                    name: admin_name.clone(),
                    role: Role::Admin,
                },
            )?;
            writer.tx.execute(
                "INSERT INTO operator_secrets (operator, pin_hash) VALUES (?1, ?2)",
                rusqlite::params![operator, pin_hash],
            )?;
            writer.tx.commit()?;
            last
        };
        let mut anchor = Anchor::default();
        anchor.advance(last.series_id, last.seq, &last.hash, &last.signature);
        let anchor = AnchorFile::create(db_path, &anchor)
            .map_err(|e| LedgerError::file(&crate::store::anchor::path_for(db_path), &e))?;
        let session = Session {
            operator,
            name: admin_name,
            role: Role::Admin,
        };
        let ledger = Ledger {
            conn,
            device,
            series,
            numbering,
            clock,
            policy: Policy::default(),
            anchor: Some(anchor),
            recovering: false,
        };
        Ok((ledger, session))
    }

    /// Opens an existing counter database with its device key.
    pub fn open(db_path: &Path, device: Device) -> Result<Ledger> {
        if !db_path.exists() {
            return Err(LedgerError::HomeMissing(db_path.display().to_string()));
        }
        Self::open_on(store::open(db_path)?, db_path, device)
    }

    /// Opens a ledger for reading only (see [`store::open_read_only`]): writes through it fail.
    pub fn open_read_only(db_path: &Path, device: Device) -> Result<Ledger> {
        if !db_path.exists() {
            return Err(LedgerError::HomeMissing(db_path.display().to_string()));
        }
        Self::open_on(store::open_read_only(db_path)?, db_path, device)
    }

    fn open_on(conn: Connection, db_path: &Path, device: Device) -> Result<Ledger> {
        // Who this counter is comes from its signed first entry, not from a projection row
        // that the sqlite3 shell could change or delete.
        let series = log::series_of(&conn, &device.series_id)?
            .filter(|s| s.public_key == device.public_key().to_bytes())
            .ok_or_else(|| LedgerError::HomeMissing(db_path.display().to_string()))?;
        let anchor = AnchorFile::open(db_path)
            .map_err(|e| LedgerError::file(&crate::store::anchor::path_for(db_path), &e))?;
        let numbering = district::numbering_of(&conn, &series, &device.series_id)?;
        Ok(Ledger {
            conn,
            device,
            series,
            numbering,
            clock: Box::new(Utc::now),
            policy: Policy::default(),
            anchor,
            recovering: false,
        })
    }

    /// A ledger on a new PC, before its counter's entries came back from the hub: `series` is
    /// what the hub says of the counter (its first entry arrives with the rest). Only an
    /// import may run on it; open the home again once it is done.
    pub fn recovering(db_path: &Path, device: Device, series: SeriesInfo) -> Result<Ledger> {
        let conn = store::open(db_path)?;
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('series_id', ?1)",
            [device.series_id.to_string()],
        )?;
        let numbering = match &series.code {
            Some(code) => crate::domain::ids::Numbering::new(&series.prefix, code)
                .map(|n| n.in_block(series.number_block))
                .unwrap_or_else(|_| series.numbering()),
            None => series.numbering(),
        };
        Ok(Ledger {
            conn,
            device,
            series,
            numbering,
            clock: Box::new(Utc::now),
            policy: Policy::default(),
            anchor: None,
            recovering: true,
        })
    }

    /// Whether this ledger is being recovered from the hub (its own series may arrive).
    pub fn is_recovering(&self) -> bool {
        self.recovering
    }

    /// Writes the head anchor of this counter's current series as the log holds it, when there
    /// is none (a new PC: the anchor was lost with the old one). `used_seq` is the highest seq
    /// known to be signed.
    pub fn anchor_from_log(&mut self, db_path: &Path, used_seq: i64) -> Result<()> {
        if self.anchor.is_some() {
            return Ok(());
        }
        let Some(head) = log::own_heads(&self.conn, &[self.device.series_id])?.pop() else {
            return Ok(());
        };
        let mut anchor = Anchor::default();
        anchor.advance(head.series_id, head.seq, &head.hash, &head.signature);
        for h in &mut anchor.heads {
            h.used_seq = h.used_seq.max(used_seq);
        }
        self.anchor = Some(
            AnchorFile::create(db_path, &anchor)
                .map_err(|e| LedgerError::file(&crate::store::anchor::path_for(db_path), &e))?,
        );
        Ok(())
    }

    /// An administrator gives an operator of this counter a new PIN (a local secret: nothing
    /// goes into the log). The operator's count of wrong PINs starts again.
    pub fn set_operator_pin(&mut self, session: &Session, operator: &str, pin: &str) -> Result<()> {
        Self::require_admin(session)?;
        let operator = operator.trim();
        let row = read::operator(&self.conn, &self.series.origin, operator)?
            .ok_or_else(|| LedgerError::OperatorUnknown(operator.to_string()))?;
        let pin_hash = hash_pin(pin)?;
        self.conn.execute(
            "INSERT OR REPLACE INTO operator_secrets (operator, pin_hash, failures) VALUES (?1, ?2, 0)",
            rusqlite::params![row.operator, pin_hash],
        )?;
        Ok(())
    }

    /// Gives an existing, enabled administrator of this counter a PIN on this PC (PINs are
    /// local and were lost with the old PC). Only for a recovered home.
    pub fn set_recovered_pin(&mut self, operator: &str, pin: &str) -> Result<()> {
        let operator = operator.trim();
        let row = read::operator(&self.conn, &self.series.origin, operator)?
            .ok_or_else(|| LedgerError::OperatorUnknown(operator.to_string()))?;
        if !row.enabled {
            return Err(LedgerError::OperatorDisabled(row.operator));
        }
        if row.role != Role::Admin {
            return Err(LedgerError::NotAdmin(row.operator));
        }
        let pin_hash = hash_pin(pin)?;
        self.conn.execute(
            "INSERT OR REPLACE INTO operator_secrets (operator, pin_hash) VALUES (?1, ?2)",
            rusqlite::params![row.operator, pin_hash],
        )?;
        Ok(())
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    pub fn series(&self) -> &SeriesInfo {
        &self.series
    }

    /// This counter's device key (a bundle's closing signature is made with it).
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// How this counter numbers residents and passbooks.
    pub fn numbering(&self) -> &Numbering {
        &self.numbering
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// When this counter's own newest entry was recorded (its device clock), if any.
    pub fn newest_own_entry_at(&self) -> Result<Option<DateTime<Utc>>> {
        let newest: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT recorded_at FROM entries WHERE series_id = ?1 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([self.device.series_id.as_bytes().as_slice()], |r| r.get(0))
            .optional()?;
        Ok(newest
            .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
            .map(|at| at.with_timezone(&Utc)))
    }

    /// When entries last came in from the district (a pull from the hub or a bundle), if ever.
    pub fn last_import_at(&self) -> Result<Option<DateTime<Utc>>> {
        let at: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT at FROM sync_log WHERE direction = 'import' ORDER BY position DESC LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(at
            .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
            .map(|at| at.with_timezone(&Utc)))
    }

    /// Whether the clock looks wrong against the newest entry of this counter's own series.
    pub fn clock_warning(&self) -> Result<Option<ClockWarning>> {
        let Some(newest) = self.newest_own_entry_at()? else {
            return Ok(None);
        };
        let newest_text = log::format_time(newest);
        let now = self.now();
        let (now_local, newest_local) = (
            self.local_time(&log::format_time(now)),
            self.local_time(&newest_text),
        );
        if now < newest - Duration::seconds(CLOCK_BEHIND_TOLERANCE_SECONDS) {
            return Ok(Some(ClockWarning::BehindNewestEntry {
                now: now_local,
                newest: newest_local,
            }));
        }
        let days = (now - newest).num_days();
        if days > CLOCK_AHEAD_DAYS_MAX {
            return Ok(Some(ClockWarning::FarAhead {
                now: now_local,
                newest: newest_local,
                days,
            }));
        }
        Ok(None)
    }

    /// Read access for reports and tests; writes go through the commands.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A local time for messages, `YYYY-MM-DD HH:MM`.
    pub fn local_time(&self, utc: &str) -> String {
        self.series.local_time(utc)
    }

    /// Runs `work` in one immediate transaction and commits it if `work` succeeds.
    pub(crate) fn write<T>(
        &mut self,
        operator: Option<&str>,
        work: impl FnOnce(&Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        self.write_answering(operator, |w| work(w).map(Ok))
    }

    /// Like [`Ledger::write`], but `work` may commit what it wrote and still answer with a
    /// refusal: the outer error rolls back, the inner answer is given after the commit (a
    /// wrong PIN is refused and counted).
    pub(crate) fn write_answering<T>(
        &mut self,
        operator: Option<&str>,
        work: impl FnOnce(&Writer<'_>) -> Result<Result<T>>,
    ) -> Result<T> {
        let now = (self.clock)();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let writer = Writer {
            tx,
            device: &self.device,
            series: &self.series,
            numbering: &self.numbering,
            policy: &self.policy,
            now,
            operator: operator.map(str::to_string),
            last: std::cell::RefCell::new(None),
        };
        let answer = work(&writer)?;
        let last = writer.last.take();
        writer.tx.commit()?;
        if let (Some(appended), Some(anchor)) = (last, &self.anchor) {
            // The entry is committed: an anchor that cannot be moved only lags, which verify
            // tolerates (a log ahead of its anchor); the booking stands.
            let _ = anchor.advance(
                appended.series_id,
                appended.seq,
                &appended.hash,
                &appended.signature,
            );
        }
        answer
    }

    fn require_admin(session: &Session) -> Result<()> {
        if session.is_admin() {
            Ok(())
        } else {
            Err(LedgerError::NotAdmin(session.operator.clone()))
        }
    }

    // ----- operators -----

    /// Checks an operator's PIN. Five wrong PINs in a row (the policy's number) lock the
    /// operator for five minutes; the lock is an entry in the log.
    ///
    /// The check runs inside the write transaction, so PIN checks of one counter happen one
    /// after another: however many attempts arrive at once (parallel processes), each sees the
    /// count the previous one left, and at most `pin_failures_max` PINs are checked before the
    /// lock. An argon2 check takes a few tens of milliseconds, which is what a redemption may
    /// wait behind a login.
    pub fn login(&mut self, operator: &str, pin: &str) -> Result<Session> {
        let operator = operator.trim().to_string();
        let policy = self.policy.clone();
        let offset_series = self.series.clone();
        self.write_answering(Some(&operator), |w| {
            let row = read::operator(&w.tx, &w.series.origin, &operator)?
                .ok_or_else(|| LedgerError::OperatorUnknown(operator.clone()))?;
            if !row.enabled {
                return Err(LedgerError::OperatorDisabled(row.operator));
            }
            if let Some(until) = &row.locked_until
                && log::format_time(w.now) < *until
            {
                return Err(LedgerError::OperatorLocked {
                    operator: row.operator,
                    until: offset_series.local_time(until),
                });
            }
            let (pin_hash, failures): (String, u32) = w.tx.query_row(
                "SELECT pin_hash, failures FROM operator_secrets WHERE operator = ?1",
                [&row.operator],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if pin_matches(pin, &pin_hash) {
                if failures > 0 {
                    w.tx.execute(
                        "UPDATE operator_secrets SET failures = 0 WHERE operator = ?1",
                        [&row.operator],
                    )?;
                }
                return Ok(Ok(Session {
                    operator: row.operator,
                    name: row.name,
                    role: row.role,
                }));
            }
            let failures = failures + 1;
            if failures < policy.pin_failures_max {
                w.tx.execute(
                    "UPDATE operator_secrets SET failures = ?2 WHERE operator = ?1",
                    rusqlite::params![row.operator, failures],
                )?;
                return Ok(Err(LedgerError::WrongPin {
                    failures_left: policy.pin_failures_max - failures,
                }));
            }
            let until = log::format_time(w.now + Duration::minutes(policy.lockout_minutes));
            w.tx.execute(
                "UPDATE operator_secrets SET failures = 0 WHERE operator = ?1",
                [&row.operator],
            )?;
            w.append(
                None,
                Body::OperatorLocked {
                    operator: row.operator.clone(),
                    failures,
                    until: until.clone(),
                },
            )?;
            Ok(Err(LedgerError::OperatorLocked {
                operator: row.operator,
                until: offset_series.local_time(&until),
            }))
        })
    }

    pub fn add_operator(
        &mut self,
        session: &Session,
        name: &str,
        role: Role,
        pin: &str,
    ) -> Result<OperatorView> {
        Self::require_admin(session)?;
        let name = text::clean_text(name).map_err(LedgerError::bad_text("name"))?;
        let pin_hash = hash_pin(pin)?;
        self.write(Some(&session.operator), |w| {
            let operator = next_operator_number(&w.tx, &w.series.origin)?;
            w.append(
                None,
                Body::OperatorAdded {
                    operator: operator.clone(),
                    name: name.clone(),
                    role,
                },
            )?;
            w.tx.execute(
                "INSERT INTO operator_secrets (operator, pin_hash) VALUES (?1, ?2)",
                rusqlite::params![operator, pin_hash],
            )?;
            Ok(OperatorView {
                operator,
                name: name.clone(),
                role,
                enabled: true,
                locked: false,
                locked_until: None,
            })
        })
    }

    pub fn set_operator_enabled(
        &mut self,
        session: &Session,
        operator: &str,
        enabled: bool,
    ) -> Result<()> {
        Self::require_admin(session)?;
        self.write(Some(&session.operator), |w| {
            let row = read::operator(&w.tx, &w.series.origin, operator.trim())?
                .ok_or_else(|| LedgerError::OperatorUnknown(operator.trim().to_string()))?;
            if !enabled && row.operator == session.operator {
                return Err(LedgerError::DisableSelf(row.operator));
            }
            let other_admins_enabled = read::operators(&w.tx, &w.series.origin)?
                .iter()
                .filter(|o| o.enabled && o.role == Role::Admin && o.operator != row.operator)
                .count();
            if !enabled && row.role == Role::Admin && other_admins_enabled == 0 {
                return Err(LedgerError::LastAdmin(row.operator));
            }
            w.append(
                None,
                Body::OperatorUpdated {
                    operator: row.operator,
                    name: row.name,
                    role: row.role,
                    enabled,
                },
            )?;
            Ok(())
        })
    }

    pub fn operators(&self) -> Result<Vec<OperatorView>> {
        let now = log::format_time(self.now());
        Ok(read::operators(&self.conn, &self.series.origin)?
            .into_iter()
            .map(|r| OperatorView {
                operator: r.operator,
                name: r.name,
                role: r.role,
                enabled: r.enabled,
                locked: r.locked_until.as_ref().is_some_and(|u| *u > now),
                locked_until: r.locked_until.map(|u| self.local_time(&u)),
            })
            .collect())
    }

    /// Moves committed WAL pages into the database file without waiting for readers; the
    /// counter calls it when idle so that commits rarely pay for a checkpoint.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")?;
        Ok(())
    }

    // ----- integrity -----

    pub fn verify(&self) -> Result<VerifyView> {
        let anchor = self.anchor.as_ref().map(AnchorFile::read).transpose();
        let own = self.own_series();
        let anchor_state = match &anchor {
            Ok(Some(anchor)) => verify::AnchorState::Present(anchor),
            Ok(None) => verify::AnchorState::Missing,
            Err(e) => verify::AnchorState::Unreadable(e.to_string()),
        };
        let claims_up_to = self.claims_up_to(&own)?;
        let mut report = verify::verify(
            &self.conn,
            &verify::Expect {
                own_series: &own,
                claims_up_to: &claims_up_to,
                anchor: anchor_state,
            },
        )?;
        if !report.problems.iter().any(verify::Problem::breaks_the_log) {
            report.problems.extend(self.trust_problems(&own)?);
        }
        Ok(VerifyView {
            ok: report.problems.is_empty(),
            entries: report.entries,
            series: report.series,
            problems: report.problems,
            anchor_lag: report.anchor_lag,
            forks: self.forks()?,
            overdrafts: self.overdrafts()?,
            duplicates: self.duplicates()?,
        })
    }

    /// The quick integrity look of `doctor`: SQLite's `quick_check` of the file's structure and
    /// the head anchor against the log's heads (no fold: milliseconds at a million entries).
    /// Each line is a problem in the operator's language; none means both hold.
    pub fn quick_check(&self, lang: crate::i18n::Lang) -> Result<Vec<String>> {
        let mut problems: Vec<String> = self
            .conn
            .prepare("PRAGMA quick_check(10)")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|line| line != "ok")
            .collect();
        let anchor = self.anchor.as_ref().map(AnchorFile::read).transpose();
        let anchor_state = match &anchor {
            Ok(Some(anchor)) => verify::AnchorState::Present(anchor),
            Ok(None) => verify::AnchorState::Missing,
            Err(e) => verify::AnchorState::Unreadable(e.to_string()),
        };
        let own = self.own_series();
        let no_claims = std::collections::HashMap::new();
        let anchor_problems = verify::check_anchor_quick(
            &self.conn,
            &verify::Expect {
                own_series: &own,
                claims_up_to: &no_claims,
                anchor: anchor_state,
            },
        )?;
        problems.extend(
            anchor_problems
                .iter()
                .map(|p| crate::ledger::problem_message(p, lang)),
        );
        Ok(problems)
    }

    /// For each own series that a later own series continues, the seq it was continued from:
    /// entries of it after that seq came back from other counters (see `verify::Expect`).
    fn claims_up_to(
        &self,
        own: &[uuid::Uuid],
    ) -> Result<std::collections::HashMap<uuid::Uuid, i64>> {
        let mut limits = std::collections::HashMap::new();
        for id in own {
            if let Some(link) = log::series_of(&self.conn, id)?.and_then(|s| s.continues)
                && let Ok(earlier) = uuid::Uuid::parse_str(&link.series_id)
            {
                limits.insert(earlier, link.seq);
            }
        }
        Ok(limits)
    }

    /// The series this counter signs or signed: the current one and those it continued after a
    /// restore (listed in the head anchor).
    fn own_series(&self) -> Vec<uuid::Uuid> {
        let mut own = vec![self.device.series_id];
        if let Some(Ok(anchor)) = self.anchor.as_ref().map(AnchorFile::read) {
            own.extend(
                anchor
                    .heads
                    .iter()
                    .map(|h| h.series_id)
                    .filter(|id| *id != self.device.series_id),
            );
        }
        own
    }

    /// Recreates every projection from the log (refused if the log itself is broken). With no
    /// head anchor, one is made at the log's head: the administrator asked for it, after
    /// verify said the anchor was missing.
    pub fn rebuild(&mut self) -> Result<u64> {
        let entries = verify::rebuild(&mut self.conn)?.map_err(LedgerError::LedgerBroken)?;
        // The rebuilt rows are a fresh fold: the next debit checks each against the log again.
        seal::clear(&self.conn)?;
        if self.anchor.is_none() {
            let db_path = self.db_path();
            let mut anchor = Anchor::default();
            for head in log::own_heads(&self.conn, &self.own_series())? {
                anchor.advance(head.series_id, head.seq, &head.hash, &head.signature);
            }
            self.anchor =
                Some(AnchorFile::create(&db_path, &anchor).map_err(|e| {
                    LedgerError::file(&crate::store::anchor::path_for(&db_path), &e)
                })?);
        }
        Ok(entries)
    }

    fn db_path(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.conn.path().unwrap_or_default())
    }

    /// A consistent copy of the database, taken with SQLite's online backup while others write.
    pub fn backup(&self, out: &Path) -> Result<()> {
        if out.exists() {
            return Err(LedgerError::FileExists(out.display().to_string()));
        }
        // The copy holds resident keys and PIN hashes: owner-only from the first byte.
        crate::keys::create_private_file(out)?;
        self.conn
            .backup(
                rusqlite::MAIN_DB,
                out,
                None::<fn(rusqlite::backup::Progress)>,
            )
            .map_err(LedgerError::from)
    }
}
