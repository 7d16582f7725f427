//! The street office's home: the district key that certifies counters, and the register of
//! the counters it enrolled (name, counter code, enrolment files given out). `hub init` makes
//! it; `hub enroll` writes an enrolment file for one counter, to carry to it without a
//! network. The hub server (next) serves from the same home.

use crate::district::trust::TRUST_VERSION;
use crate::district::{DistrictKey, EnrolmentFile, GrantBody};
use crate::domain::ids::{self, IdProblem};
use crate::domain::text::{self, TextProblem};
use crate::i18n::Lang;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Longest an enrolment file may be valid.
pub const ENROLMENT_VALID_DAYS_MAX: i64 = 90;

const MIGRATIONS: &[&str] = &["
CREATE TABLE district (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    district_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
-- Every enrolment file given out: a counter's name keeps its code across files (a new file
-- after a restore, a renewed one), and a code belongs to one counter.
CREATE TABLE enrolments (
    grant_id   TEXT PRIMARY KEY,
    counter    TEXT NOT NULL,
    code       TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX enrolments_by_code ON enrolments (code);
CREATE INDEX enrolments_by_counter ON enrolments (counter);
"];

/// Why a hub command cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0} already holds a home")]
    Exists(String),
    #[error("{0} holds no street office home")]
    Missing(String),
    #[error("bad {field}: {problem:?}")]
    BadText {
        field: &'static str,
        problem: TextProblem,
    },
    #[error("bad code: {0:?}")]
    BadCode(IdProblem),
    #[error("code {code} belongs to {counter}")]
    CodeTaken { code: String, counter: String },
    #[error("{counter} has code {code}")]
    CounterHasCode { counter: String, code: String },
    #[error("no counter code is left")]
    CodesUsedUp,
    #[error("an enrolment is valid 1 to {ENROLMENT_VALID_DAYS_MAX} days, not {0}")]
    BadValidity(i64),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("the district key {0} is damaged")]
    KeyDamaged(String),
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("{0}")]
    Random(#[from] crate::keys::KeyError),
}

impl HubError {
    /// Whether the request was refused (exit 1) rather than the system failing (exit 3).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            HubError::File { .. }
                | HubError::KeyDamaged(_)
                | HubError::Database(_)
                | HubError::Random(_)
        )
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::ZhCn;
        match self {
            HubError::Exists(dir) => {
                if zh {
                    format!("{dir} 里已经有一个家目录，没有做任何更改。请换一个文件夹（--home）。")
                } else {
                    format!(
                        "{dir} already holds a home; nothing was changed. Choose another folder (--home)."
                    )
                }
            }
            HubError::Missing(dir) => {
                if zh {
                    format!(
                        "{dir} 不是街道的家目录：请先运行 pointsdesk hub init --district 街道名称。"
                    )
                } else {
                    format!(
                        "{dir} is not a street office home: run pointsdesk hub init --district NAME first."
                    )
                }
            }
            HubError::BadText { field, problem } => {
                if zh {
                    format!("{field} 不对（{problem:?}）：不能为空，也不能含控制字符。")
                } else {
                    format!(
                        "The {field} is not valid ({problem:?}): it may not be empty or hold control characters."
                    )
                }
            }
            HubError::BadCode(IdProblem::BadCode(code)) => {
                if zh {
                    format!(
                        "服务点代码“{code}”不对：代码是 1 到 2 个字母，取自 {}。",
                        ids::CODE_LETTERS
                    )
                } else {
                    format!(
                        "The counter code {code:?} is not valid: one or two letters from {}.",
                        ids::CODE_LETTERS
                    )
                }
            }
            HubError::BadCode(other) => format!("{other:?}"),
            HubError::CodeTaken { code, counter } => {
                if zh {
                    format!(
                        "代码 {code} 已经给了“{counter}”：每个服务点的代码必须不同，否则编号会重复。请换一个代码，或不写 --code 自动分配。"
                    )
                } else {
                    format!(
                        "Code {code} already belongs to {counter}: every counter needs its own code, or numbers would repeat. Choose another, or leave out --code to be given the next free one."
                    )
                }
            }
            HubError::CounterHasCode { counter, code } => {
                if zh {
                    format!(
                        "“{counter}”已登记为代码 {code}；一个服务点只有一个代码。重新登记时请不写 --code，或写 --code {code}。"
                    )
                } else {
                    format!(
                        "{counter} is enrolled with code {code}; a counter has one code. To enrol it again leave out --code, or give --code {code}."
                    )
                }
            }
            HubError::CodesUsedUp => lang
                .pick("所有服务点代码都已用完。", "Every counter code is taken.")
                .into(),
            HubError::BadValidity(days) => {
                if zh {
                    format!("有效期 {days} 天不对：应为 1 到 {ENROLMENT_VALID_DAYS_MAX} 天。")
                } else {
                    format!(
                        "A validity of {days} days is not allowed: 1 to {ENROLMENT_VALID_DAYS_MAX}."
                    )
                }
            }
            HubError::File { path, source } => {
                if zh {
                    format!("无法读写 {path}：{source}")
                } else {
                    format!("Cannot read or write {path}: {source}")
                }
            }
            HubError::KeyDamaged(path) => {
                if zh {
                    format!("街道密钥文件 {path} 已损坏。请从备份恢复。")
                } else {
                    format!("The district key file {path} is damaged. Restore it from a backup.")
                }
            }
            HubError::Database(e) => {
                if zh {
                    format!("数据库错误：{e}")
                } else {
                    format!("Database error: {e}")
                }
            }
            HubError::Random(e) => e.to_string(),
        }
    }
}

pub type HubResult<T> = std::result::Result<T, HubError>;

#[derive(Serialize, Deserialize)]
struct KeyFile {
    district_id: Uuid,
    name: String,
    secret_key: String,
    data_key: String,
}

/// The folder of the street office's home.
pub struct HubHome {
    pub dir: PathBuf,
}

/// A counter in the register, as `hub counters` lists it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EnrolledCounter {
    pub counter: String,
    pub code: String,
    /// Enrolment files given out for it.
    pub files: u32,
    pub last_issued_at: String,
    pub last_expires_at: String,
}

/// An enrolment file just made.
#[derive(Clone, Debug, Serialize)]
pub struct Enrolment {
    pub district: String,
    pub counter: String,
    pub code: String,
    pub grant_id: String,
    pub expires_at: String,
    #[serde(skip)]
    pub file: EnrolmentFile,
}

/// The open street office home.
pub struct Hub {
    conn: Connection,
    key: DistrictKey,
}

impl HubHome {
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("keys").join("district.key")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join("hub.db")
    }

    fn holds_anything(&self) -> bool {
        self.key_path().exists()
            || self.db_path().exists()
            || self.dir.join("ledger.db").exists()
            || self.dir.join("keys").join("device.key").exists()
    }

    /// Creates the street office's home with a new district key. Refuses, changing nothing,
    /// where a home (a counter's or a street office's) already is.
    pub fn init(&self, district: &str, now: DateTime<Utc>) -> HubResult<Hub> {
        let name = text::clean_text(district).map_err(|problem| HubError::BadText {
            field: "district",
            problem,
        })?;
        if self.holds_anything() {
            return Err(HubError::Exists(self.dir.display().to_string()));
        }
        let file_error = |path: &Path| {
            let path = path.display().to_string();
            move |source| HubError::File { path, source }
        };
        crate::home::create_private_dir(&self.dir.join("keys")).map_err(file_error(&self.dir))?;
        crate::home::create_private_dir(&self.dir).map_err(file_error(&self.dir))?;
        let key = DistrictKey::new(
            Uuid::now_v7(),
            name,
            crate::keys::random_bytes::<32>()?,
            crate::keys::random_bytes::<32>()?,
        );
        let file = KeyFile {
            district_id: key.district_id,
            name: key.name.clone(),
            secret_key: hex::encode(key.seed()),
            data_key: hex::encode(key.data_key),
        };
        write_private_new(
            &self.key_path(),
            serde_json::to_string_pretty(&file)
                .expect("plain struct serialises")
                .as_bytes(),
        )
        .map_err(file_error(&self.key_path()))?;
        crate::keys::create_private_file(&self.db_path()).map_err(file_error(&self.db_path()))?;
        let conn = open_db(&self.db_path())?;
        conn.execute(
            "INSERT INTO district (id, district_id, name, created_at) VALUES (1, ?1, ?2, ?3)",
            params![
                key.district_id.to_string(),
                key.name,
                crate::store::log::format_time(now)
            ],
        )?;
        Ok(Hub { conn, key })
    }

    pub fn open(&self) -> HubResult<Hub> {
        if !self.key_path().exists() || !self.db_path().exists() {
            return Err(HubError::Missing(self.dir.display().to_string()));
        }
        let path = self.key_path();
        let text = std::fs::read_to_string(&path).map_err(|source| HubError::File {
            path: path.display().to_string(),
            source,
        })?;
        let damaged = || HubError::KeyDamaged(path.display().to_string());
        let file: KeyFile = serde_json::from_str(&text).map_err(|_| damaged())?;
        let seed: [u8; 32] = hex::decode(&file.secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(damaged)?;
        let data_key: [u8; 32] = hex::decode(&file.data_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(damaged)?;
        Ok(Hub {
            conn: open_db(&self.db_path())?,
            key: DistrictKey::new(file.district_id, file.name, seed, data_key),
        })
    }
}

fn open_db(path: &Path) -> HubResult<Connection> {
    let mut conn = Connection::open(path)?;
    crate::store::configure(&conn)?;
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
    }
    tx.commit()?;
    Ok(conn)
}

/// Writes a new file readable by its owner only; an existing file is not overwritten.
pub fn write_private_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    crate::keys::create_private_file(path)?;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

impl Hub {
    pub fn district_name(&self) -> &str {
        &self.key.name
    }

    pub fn district_id(&self) -> Uuid {
        self.key.district_id
    }

    /// An enrolment file for the counter `counter`: its code is the one it already has, else
    /// `code` if free, else the next free one. Valid `valid_days` days from `now`.
    pub fn enroll(
        &mut self,
        counter: &str,
        code: Option<&str>,
        valid_days: i64,
        now: DateTime<Utc>,
    ) -> HubResult<Enrolment> {
        let counter = text::clean_text(counter).map_err(|problem| HubError::BadText {
            field: "counter",
            problem,
        })?;
        if !(1..=ENROLMENT_VALID_DAYS_MAX).contains(&valid_days) {
            return Err(HubError::BadValidity(valid_days));
        }
        let wanted = code
            .map(ids::clean_counter_code)
            .transpose()
            .map_err(HubError::BadCode)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT code FROM enrolments WHERE counter = ?1 LIMIT 1",
                [&counter],
                |r| r.get(0),
            )
            .optional()?;
        let code = match (existing, wanted) {
            (Some(has), Some(want)) if has != want => {
                return Err(HubError::CounterHasCode { counter, code: has });
            }
            (Some(has), _) => has,
            (None, Some(want)) => {
                let owner: Option<String> = tx
                    .query_row(
                        "SELECT counter FROM enrolments WHERE code = ?1 LIMIT 1",
                        [&want],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(owner) = owner {
                    return Err(HubError::CodeTaken {
                        code: want,
                        counter: owner,
                    });
                }
                want
            }
            (None, None) => {
                let taken: Vec<String> = tx
                    .prepare("SELECT DISTINCT code FROM enrolments")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                ids::next_counter_code(&taken).ok_or(HubError::CodesUsedUp)?
            }
        };
        let grant_id = Uuid::now_v7().to_string();
        let issued_at = crate::store::log::format_time(now);
        let expires_at = crate::store::log::format_time(now + Duration::days(valid_days));
        let body = GrantBody {
            v: TRUST_VERSION,
            district_id: self.key.district_id.to_string(),
            district_name: self.key.name.clone(),
            district_public_key: hex::encode(self.key.public_key().to_bytes()),
            grant_id: grant_id.clone(),
            counter: counter.clone(),
            code: code.clone(),
            issued_at: issued_at.clone(),
            expires_at: expires_at.clone(),
            grant_public_key: String::new(),
            home: None,
        };
        let file = self.key.enrol(body, crate::keys::random_bytes::<32>()?);
        tx.execute(
            "INSERT INTO enrolments (grant_id, counter, code, issued_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![grant_id, counter, code, issued_at, expires_at],
        )?;
        tx.commit()?;
        Ok(Enrolment {
            district: self.key.name.clone(),
            counter,
            code,
            grant_id,
            expires_at,
            file,
        })
    }

    /// The counters enrolled, by code.
    pub fn counters(&self) -> HubResult<Vec<EnrolledCounter>> {
        let mut stmt = self.conn.prepare(
            "SELECT counter, code, COUNT(*), MAX(issued_at), MAX(expires_at) FROM enrolments
             GROUP BY counter, code ORDER BY length(code), code",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(EnrolledCounter {
                    counter: r.get(0)?,
                    code: r.get(1)?,
                    files: r.get(2)?,
                    last_issued_at: r.get(3)?,
                    last_expires_at: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
