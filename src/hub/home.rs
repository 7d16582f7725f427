//! The street office's home: the district key (`keys/district.key`), the hub's settings
//! (`hub.toml`) and, by default, the store (`hub.db`). `hub init` makes it; every other `hub`
//! command and `hub serve` open it. [`Hub`] is the blocking face of the hub's service for the
//! command line and tests.

use super::service::{EnrolProblem, Enrolment, HubReport, HubService, OneTimeCode};
use super::store::postgres::PgStore;
use super::store::sqlite::SqliteStore;
use super::store::{AnyStore, CodeProblem, CounterRow, Store, StoreError};
use crate::district::DistrictKey;
use crate::domain::ids::{self, IdProblem};
use crate::domain::text::{self, TextProblem};
use crate::i18n::Lang;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

/// Longest an enrolment file may be valid.
pub const ENROLMENT_VALID_DAYS_MAX: i64 = 90;
/// A one-time enrolment code's validity unless `hub.toml` says otherwise.
pub const ENROL_CODE_HOURS_DEFAULT: i64 = 24;

/// Why a hub command cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0} already holds a home")]
    Exists(String),
    #[error("{0} holds no street office home")]
    Missing(String),
    #[error("bad {field}")]
    BadText {
        field: &'static str,
        problem: TextProblem,
    },
    #[error("bad code")]
    BadCode(IdProblem),
    #[error("code {code} belongs to {counter}")]
    CodeTaken { code: String, counter: String },
    #[error("{counter} has code {code}")]
    CounterHasCode { counter: String, code: String },
    #[error("no counter code is left")]
    CodesUsedUp,
    /// Counters of several communities go by this name: (community, code) of each.
    #[error("{counter} is the name of counters in several communities")]
    AmbiguousCounter {
        counter: String,
        candidates: Vec<(String, String)>,
    },
    #[error("no counter has code {0}")]
    NoSuchCounter(String),
    #[error("an enrolment is valid 1 to {ENROLMENT_VALID_DAYS_MAX} days, not {0}")]
    BadValidity(i64),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("the district key {0} is damaged")]
    KeyDamaged(String),
    /// `hub.toml` has a mistake: the file, and what the TOML reader says (line and key).
    #[error("{path}: {problem}")]
    Config { path: String, problem: String },
    /// `hub.toml` names one of the TLS certificate and key without the other: the hub would
    /// serve plain HTTP where TLS was meant.
    #[error("{path}: {given} without {missing}")]
    TlsHalf {
        path: String,
        given: &'static str,
        missing: &'static str,
    },
    /// A `--store` that is neither `sqlite:PATH` nor `postgres://…`.
    #[error("store {0}")]
    BadStore(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Random(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Report(#[from] super::reports::ReportError),
    #[error(transparent)]
    Admin(#[from] super::admins::AdminProblem),
}

impl HubError {
    /// Whether the request was refused (exit 1) rather than the system failing (exit 3).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            HubError::File { .. }
                | HubError::KeyDamaged(_)
                | HubError::Store(_)
                | HubError::Random(_)
                | HubError::Config { .. }
                | HubError::TlsHalf { .. }
                | HubError::Report(super::reports::ReportError::Store(_))
                | HubError::Admin(super::admins::AdminProblem::Store(_))
                | HubError::Admin(super::admins::AdminProblem::Random)
        )
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::ZhCn;
        let pick = |z: String, e: String| if zh { z } else { e };
        match self {
            HubError::Exists(dir) => pick(
                format!("{dir} 里已经有一个家目录，没有做任何更改。请换一个文件夹（--home）。"),
                format!(
                    "{dir} already holds a home; nothing was changed. Choose another folder (--home)."
                ),
            ),
            HubError::Missing(dir) => pick(
                format!(
                    "{dir} 不是街道的家目录：请先运行 pointsdesk hub init --district 街道名称。"
                ),
                format!(
                    "{dir} is not a street office home: run pointsdesk hub init --district NAME first."
                ),
            ),
            HubError::BadText { field, problem } => {
                let field_zh = match *field {
                    "district" => "街道名称",
                    _ => "服务点名称",
                };
                match problem {
                    TextProblem::Empty => pick(
                        format!("{field_zh}不能为空。"),
                        format!("The {field} name must not be empty."),
                    ),
                    TextProblem::TooLong => pick(
                        format!("{field_zh}太长（最多 200 字）。"),
                        format!("The {field} name is too long (200 characters at most)."),
                    ),
                    TextProblem::ControlCharacter => pick(
                        format!("{field_zh}含有控制字符或不允许的符号，请重新输入。"),
                        format!(
                            "The {field} name contains control characters or characters that are not allowed; type it again."
                        ),
                    ),
                }
            }
            HubError::BadCode(IdProblem::BadCode(code)) => pick(
                format!(
                    "服务点代码“{code}”不对：代码是 1 到 2 个字母，取自 {}。",
                    ids::CODE_LETTERS
                ),
                format!(
                    "The counter code {code:?} is not valid: one or two letters from {}.",
                    ids::CODE_LETTERS
                ),
            ),
            HubError::BadCode(_) => pick(
                "服务点代码不对：代码是 1 到 2 个字母。".to_string(),
                "The counter code is not valid: one or two letters.".to_string(),
            ),
            HubError::CodeTaken { code, counter } => pick(
                format!(
                    "代码 {code} 已经给了“{counter}”：每个服务点的代码必须不同，否则编号会重复。请换一个代码，或不写 --code 自动分配。"
                ),
                format!(
                    "Code {code} already belongs to {counter}: every counter needs its own code, or numbers would repeat. Choose another, or leave out --code to be given the next free one."
                ),
            ),
            HubError::CounterHasCode { counter, code } => pick(
                format!(
                    "“{counter}”已登记为代码 {code}；一个服务点只有一个代码。重新登记时请不写 --code，或写 --code {code}。"
                ),
                format!(
                    "{counter} is enrolled with code {code}; a counter has one code. To enrol it again leave out --code, or give --code {code}."
                ),
            ),
            HubError::CodesUsedUp => lang
                .pick("所有服务点代码都已用完。", "Every counter code is taken.")
                .into(),
            HubError::AmbiguousCounter {
                counter,
                candidates,
            } => {
                let list = |sep: &str| {
                    candidates
                        .iter()
                        .map(|(community, code)| format!("{community} {code}"))
                        .collect::<Vec<_>>()
                        .join(sep)
                };
                pick(
                    format!(
                        "有几个社区的服务点都叫“{counter}”（{}）：请用 --community 写明是哪个社区的，例如 pointsdesk hub enroll --counter {counter} --community {}。",
                        list("，"),
                        candidates.first().map(|c| c.0.as_str()).unwrap_or("社区")
                    ),
                    format!(
                        "Counters of several communities are called {counter} ({}): say which community with --community, e.g. pointsdesk hub enroll --counter {counter} --community {}.",
                        list(", "),
                        candidates
                            .first()
                            .map(|c| c.0.as_str())
                            .unwrap_or("COMMUNITY")
                    ),
                )
            }
            HubError::NoSuchCounter(code) => pick(
                format!("没有代码为 {code} 的服务点：请用 pointsdesk hub counters 查看代码。"),
                format!("No counter has code {code}: see the codes with pointsdesk hub counters."),
            ),
            HubError::BadValidity(n) => pick(
                format!(
                    "有效期 {n} 不对：登记文件 1 到 {ENROLMENT_VALID_DAYS_MAX} 天，登记码 1 到 {} 小时。",
                    super::service::ENROL_CODE_HOURS_MAX
                ),
                format!(
                    "A validity of {n} is not allowed: 1 to {ENROLMENT_VALID_DAYS_MAX} days for a file, 1 to {} hours for a code.",
                    super::service::ENROL_CODE_HOURS_MAX
                ),
            ),
            HubError::File { path, source } => pick(
                format!("无法读写 {path}：{source}"),
                format!("Cannot read or write {path}: {source}"),
            ),
            HubError::KeyDamaged(path) => pick(
                format!("街道密钥文件 {path} 已损坏。请从备份恢复。"),
                format!("The district key file {path} is damaged. Restore it from a backup."),
            ),
            HubError::Config { path, problem } => pick(
                format!("{path} 有错误，未启动：{problem}"),
                format!("{path} has a mistake; nothing was started: {problem}"),
            ),
            HubError::TlsHalf {
                path,
                given,
                missing,
            } => pick(
                format!(
                    "{path} 有错误，未启动：写了 {given} 却没有 {missing}。启用 TLS（HTTPS）要两个都写；都不写才是明文 HTTP。"
                ),
                format!(
                    "{path} has a mistake; nothing was started: {given} is set without {missing}. TLS (HTTPS) needs both; plain HTTP is neither."
                ),
            ),
            HubError::BadStore(store) => pick(
                format!(
                    "存储位置“{store}”不对：请写 sqlite:文件路径 或 postgres://用户@主机/数据库。"
                ),
                format!(
                    "The store {store:?} is not valid: write sqlite:PATH or postgres://user@host/database."
                ),
            ),
            HubError::Store(StoreError::OtherDistrict(name)) => pick(
                format!("这个存储里是“{name}”的账本，不是本街道的：请换一个存储。"),
                format!(
                    "This store holds the ledger of {name}, not of this district: use another store."
                ),
            ),
            HubError::Store(e) => pick(
                format!("街道中心的数据库出错：{e}"),
                format!("The hub's database failed: {e}"),
            ),
            HubError::Random(e) => e.to_string(),
            HubError::Report(e) => e.message(lang),
            HubError::Admin(e) => e.message(lang),
        }
    }
}

impl From<EnrolProblem> for HubError {
    fn from(problem: EnrolProblem) -> Self {
        match problem {
            EnrolProblem::Code(CodeProblem::Taken { counter }) => HubError::CodeTaken {
                code: String::new(),
                counter,
            },
            EnrolProblem::Code(CodeProblem::CounterHas { code }) => HubError::CounterHasCode {
                counter: String::new(),
                code,
            },
            EnrolProblem::Code(CodeProblem::UsedUp) => HubError::CodesUsedUp,
            EnrolProblem::Code(CodeProblem::Ambiguous { candidates }) => {
                HubError::AmbiguousCounter {
                    counter: String::new(),
                    candidates,
                }
            }
            EnrolProblem::BadCode(problem) => HubError::BadCode(problem),
            EnrolProblem::BadText(problem) => HubError::BadText {
                field: "counter",
                problem,
            },
            EnrolProblem::BadValidity(n) => HubError::BadValidity(n),
            EnrolProblem::Store(e) => HubError::Store(e),
            EnrolProblem::Random(e) => HubError::Random(e),
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
    /// Data keys before the last `hub rekey`, newest first (hex): resident keys sealed with
    /// them still open here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    earlier_data_keys: Vec<String>,
}

/// `hub.toml`: where the ledger is kept and the street office's time zone.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// `sqlite:hub.db` (a path relative to the home) or `postgres://user@host/db`.
    #[serde(default = "default_store")]
    pub store: String,
    #[serde(default = "default_offset")]
    pub utc_offset: String,
    #[serde(default = "default_code_hours")]
    pub enrol_code_hours: i64,
    /// `hub serve`'s address when `--listen` is not given.
    #[serde(default)]
    pub listen: Option<String>,
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
}

fn default_store() -> String {
    "sqlite:hub.db".into()
}

fn default_offset() -> String {
    "+08:00".into()
}

fn default_code_hours() -> i64 {
    ENROL_CODE_HOURS_DEFAULT
}

const CONFIG_TEMPLATE: &str = r#"# pointsdesk — the street office's hub (街道中心配置). Restart `hub serve` after a change.

# Where the district ledger is kept (账本存储): a SQLite file beside this one, or a PostgreSQL
# database for several hub processes (postgres://user@host:5432/pointsdesk).
store = "sqlite:hub.db"

# The street office's time zone, for times shown to people (时区).
utc_offset = "+08:00"

# Hours a one-time enrolment code from `hub enroll` stays valid (登记码有效小时数).
enrol_code_hours = 24

# The address `hub serve` listens on when --listen is not given (监听地址).
# listen = "0.0.0.0:8443"
# TLS: the certificate and key (PEM) when --tls-cert / --tls-key are not given.
# tls_cert = "/etc/pointsdesk/hub.crt"
# tls_key = "/etc/pointsdesk/hub.key"
"#;

/// The folder of the street office's home.
pub struct HubHome {
    pub dir: PathBuf,
}

impl HubHome {
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("keys").join("district.key")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join("hub.db")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("hub.toml")
    }

    fn holds_anything(&self) -> bool {
        self.key_path().exists()
            || self.db_path().exists()
            || self.dir.join("ledger.db").exists()
            || self.dir.join("keys").join("device.key").exists()
    }

    fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> HubError + '_ {
        move |source| HubError::File {
            path: path.display().to_string(),
            source,
        }
    }

    /// Creates the street office's home with a new district key, `hub.toml` and `hub.db`.
    /// Refuses, changing nothing, where a home (a counter's or a street office's) already is.
    pub fn init(&self, district: &str, now: DateTime<Utc>) -> HubResult<Hub> {
        let name = text::clean_text(district).map_err(|problem| HubError::BadText {
            field: "district",
            problem,
        })?;
        if self.holds_anything() {
            return Err(HubError::Exists(self.dir.display().to_string()));
        }
        crate::home::create_private_dir(&self.dir.join("keys"))
            .map_err(Self::file_error(&self.dir))?;
        crate::home::create_private_dir(&self.dir).map_err(Self::file_error(&self.dir))?;
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
            earlier_data_keys: Vec::new(),
        };
        let key_path = self.key_path();
        write_private_new(
            &key_path,
            serde_json::to_string_pretty(&file)
                .expect("plain struct serialises")
                .as_bytes(),
        )
        .map_err(Self::file_error(&key_path))?;
        let config_path = self.config_path();
        if !config_path.exists() {
            write_private_new(&config_path, CONFIG_TEMPLATE.as_bytes())
                .map_err(Self::file_error(&config_path))?;
        }
        let hub = self.open_at(None)?;
        hub.rt.block_on(hub.service.store.claim(
            &key.district_id.to_string(),
            &key.name,
            &crate::store::log::format_time(now),
        ))?;
        Ok(hub)
    }

    /// The settings in `hub.toml` (all defaults when it is missing).
    pub fn config(&self) -> HubResult<HubConfig> {
        let path = self.config_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Self::file_error(&path)(e)),
        };
        let config: HubConfig = toml::from_str(&text).map_err(|e| HubError::Config {
            path: path.display().to_string(),
            problem: e.to_string().trim().to_string(),
        })?;
        if text::parse_utc_offset(&config.utc_offset).is_none() {
            return Err(HubError::Config {
                path: path.display().to_string(),
                problem: format!(
                    "utc_offset = {:?}: write the offset as \"+08:00\"",
                    config.utc_offset
                ),
            });
        }
        match (&config.tls_cert, &config.tls_key) {
            (Some(_), None) | (None, Some(_)) => {
                let (given, missing) = if config.tls_cert.is_some() {
                    ("tls_cert", "tls_key")
                } else {
                    ("tls_key", "tls_cert")
                };
                return Err(HubError::TlsHalf {
                    path: path.display().to_string(),
                    given,
                    missing,
                });
            }
            _ => {}
        }
        if !(1..=super::service::ENROL_CODE_HOURS_MAX).contains(&config.enrol_code_hours) {
            return Err(HubError::Config {
                path: path.display().to_string(),
                problem: format!(
                    "enrol_code_hours = {}: 1 to {}",
                    config.enrol_code_hours,
                    super::service::ENROL_CODE_HOURS_MAX
                ),
            });
        }
        Ok(config)
    }

    /// The district key.
    pub fn key(&self) -> HubResult<DistrictKey> {
        let path = self.key_path();
        if !path.exists() {
            return Err(HubError::Missing(self.dir.display().to_string()));
        }
        let text = std::fs::read_to_string(&path).map_err(Self::file_error(&path))?;
        let damaged = || HubError::KeyDamaged(path.display().to_string());
        let file: KeyFile = serde_json::from_str(&text).map_err(|_| damaged())?;
        let bytes =
            |hex_text: &str| -> Option<[u8; 32]> { hex::decode(hex_text).ok()?.try_into().ok() };
        let seed = bytes(&file.secret_key).ok_or_else(damaged)?;
        let data_key = bytes(&file.data_key).ok_or_else(damaged)?;
        let earlier_data_keys = file
            .earlier_data_keys
            .iter()
            .map(|k| bytes(k))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(damaged)?;
        let mut key = DistrictKey::new(file.district_id, file.name, seed, data_key);
        key.earlier_data_keys = earlier_data_keys;
        Ok(key)
    }

    /// `hub rekey`: a new district data key, the current one kept among the earlier ones (so
    /// what it sealed still opens here). Enrolment files made from now on carry the new key;
    /// enrolled counters that are not revoked learn it at their next sync; a leaked enrolment
    /// file does not open what is sealed with it. The key file is replaced whole (written
    /// beside it, then renamed), so a crash leaves the old file or the new one. Returns how
    /// many data keys the district has had.
    pub fn rekey(&self) -> HubResult<usize> {
        let key = self.key()?;
        let path = self.key_path();
        let file = KeyFile {
            district_id: key.district_id,
            name: key.name.clone(),
            secret_key: hex::encode(key.seed()),
            data_key: hex::encode(crate::keys::random_bytes::<32>()?),
            earlier_data_keys: key.data_keys().map(hex::encode).collect(),
        };
        let next = path.with_extension("key.new");
        let _ = std::fs::remove_file(&next);
        write_private_new(
            &next,
            serde_json::to_string_pretty(&file)
                .expect("plain struct serialises")
                .as_bytes(),
        )
        .map_err(Self::file_error(&next))?;
        std::fs::rename(&next, &path).map_err(Self::file_error(&path))?;
        if let Some(dir) = path.parent()
            && let Ok(dir) = std::fs::File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(1 + file.earlier_data_keys.len())
    }

    /// Opens the store `url` (or the one `hub.toml` names): `sqlite:PATH` relative to the
    /// home, or `postgres://…`. Must run inside a tokio runtime.
    pub async fn store(&self, url: Option<&str>) -> HubResult<AnyStore> {
        let config = self.config()?;
        let url = url.map(str::to_string).unwrap_or(config.store);
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = Path::new(path);
            let path = if path.is_absolute() {
                path.to_path_buf()
            } else {
                self.dir.join(path)
            };
            return Ok(AnyStore::Sqlite(SqliteStore::open(&path)?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(AnyStore::Postgres(PgStore::connect(&url).await?));
        }
        Err(HubError::BadStore(url))
    }

    /// The hub's service on the store `url` (or `hub.toml`'s), inside a tokio runtime.
    pub async fn service(&self, url: Option<&str>) -> HubResult<HubService<AnyStore>> {
        let key = self.key()?;
        let config = self.config()?;
        let store = self.store(url).await?;
        store
            .claim(
                &key.district_id.to_string(),
                &key.name,
                &crate::store::log::format_time(Utc::now()),
            )
            .await?;
        Ok(HubService {
            store,
            key,
            utc_offset_minutes: text::parse_utc_offset(&config.utc_offset).unwrap_or(480),
            metrics: Default::default(),
        })
    }

    /// The hub on its configured store, for the command line.
    pub fn open(&self) -> HubResult<Hub> {
        self.open_at(None)
    }

    /// The hub on the store `url` (`None`: the one `hub.toml` names).
    pub fn open_at(&self, url: Option<&str>) -> HubResult<Hub> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Self::file_error(&self.dir))?;
        let service = rt.block_on(self.service(url))?;
        Ok(Hub {
            service: Arc::new(service),
            rt,
            enrol_code_hours: self.config()?.enrol_code_hours,
        })
    }
}

/// Writes a new file readable by its owner only; an existing file is not overwritten.
pub fn write_private_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    crate::keys::create_private_file(path)?;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The hub's service, blocking, for the command line and tests.
pub struct Hub {
    pub service: Arc<HubService<AnyStore>>,
    rt: tokio::runtime::Runtime,
    /// A one-time code's validity, from `hub.toml`.
    pub enrol_code_hours: i64,
}

impl Hub {
    pub fn district_name(&self) -> &str {
        &self.service.key.name
    }

    pub fn district_id(&self) -> Uuid {
        self.service.key.district_id
    }

    /// Runs a future of the hub's service to its end.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }

    fn named(error: HubError, counter: &str, code: Option<&str>) -> HubError {
        match error {
            HubError::CodeTaken { counter: owner, .. } => HubError::CodeTaken {
                code: code.unwrap_or_default().to_string(),
                counter: owner,
            },
            HubError::CounterHasCode { code: has, .. } => HubError::CounterHasCode {
                counter: counter.to_string(),
                code: has,
            },
            HubError::AmbiguousCounter { candidates, .. } => HubError::AmbiguousCounter {
                counter: counter.to_string(),
                candidates,
            },
            other => other,
        }
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
        self.enroll_in(None, counter, code, valid_days, now)
    }

    /// [`Hub::enroll`] for the counter `counter` of `community` (needed when counters of two
    /// communities share a name).
    pub fn enroll_in(
        &mut self,
        community: Option<&str>,
        counter: &str,
        code: Option<&str>,
        valid_days: i64,
        now: DateTime<Utc>,
    ) -> HubResult<Enrolment> {
        self.rt
            .block_on(
                self.service
                    .enrol_file(community, counter, code, valid_days, now),
            )
            .map_err(|e| Self::named(e.into(), counter, code))
    }

    /// A one-time code for `counter` to enrol over the network.
    pub fn enrol_code(
        &mut self,
        counter: &str,
        code: Option<&str>,
        valid_hours: i64,
        now: DateTime<Utc>,
    ) -> HubResult<OneTimeCode> {
        self.enrol_code_in(None, counter, code, valid_hours, now)
    }

    /// [`Hub::enrol_code`] for the counter `counter` of `community`.
    pub fn enrol_code_in(
        &mut self,
        community: Option<&str>,
        counter: &str,
        code: Option<&str>,
        valid_hours: i64,
        now: DateTime<Utc>,
    ) -> HubResult<OneTimeCode> {
        self.rt
            .block_on(
                self.service
                    .enrol_code(community, counter, code, valid_hours, now),
            )
            .map_err(|e| Self::named(e.into(), counter, code))
    }

    /// Revokes the counter with `code`; how many of its series and certificates.
    pub fn revoke(&self, code: &str, now: DateTime<Utc>) -> HubResult<i64> {
        if !self.counters()?.iter().any(|c| c.code == code) {
            return Err(HubError::NoSuchCounter(code.to_string()));
        }
        Ok(self.rt.block_on(self.service.revoke(code, now))?)
    }

    /// The counters enrolled, by code, with what the hub holds of them.
    pub fn counters(&self) -> HubResult<Vec<CounterRow>> {
        Ok(self.rt.block_on(self.service.report())?.counters)
    }

    pub fn report(&self) -> HubResult<HubReport> {
        Ok(self.rt.block_on(self.service.report())?)
    }

    /// One of the district's reports.
    pub fn district_report(
        &self,
        request: &crate::report::Request,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> HubResult<crate::report::Report> {
        Ok(self
            .rt
            .block_on(self.service.district_report(request, lang, now))?)
    }

    /// Adds a web administrator or sets a new password; `true` when new.
    pub fn set_admin(&self, name: &str, password: &str, now: DateTime<Utc>) -> HubResult<bool> {
        Ok(self
            .rt
            .block_on(self.service.set_admin(name, password, now))?)
    }

    pub fn admins(&self) -> HubResult<Vec<String>> {
        Ok(self.rt.block_on(self.service.store.admins())?)
    }

    pub fn remove_admin(&self, name: &str) -> HubResult<()> {
        Ok(self.rt.block_on(self.service.remove_admin(name))?)
    }
}
