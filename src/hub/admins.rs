//! The street office's administrators of the web pages: argon2 password hashes, logins that lock
//! after failures in a row, and sessions whose tokens the store keeps only as SHA-256 (a copy
//! of the store opens no session). Every decision that two hub processes could race on (a
//! failure counted, a lock) is one store statement.

use super::service::HubService;
use super::store::{Attempt, Store, StoreError};
use crate::i18n::Lang;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// Wrong passwords in a row that lock an administrator.
pub const ADMIN_FAILURES_MAX: i64 = 5;
/// How long a lock lasts.
pub const ADMIN_LOCK_MS: i64 = 15 * 60 * 1000;
/// How long a web session lasts: a working day.
pub const WEB_SESSION_MS: i64 = 8 * 60 * 60 * 1000;
/// Characters a password has at least.
pub const PASSWORD_CHARS_MIN: usize = 8;

/// Why an administrator could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AdminProblem {
    #[error("bad name")]
    BadName,
    #[error("password too short")]
    ShortPassword,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("random numbers")]
    Random,
}

impl AdminProblem {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (AdminProblem::BadName, Lang::ZhCn) => {
                "管理员名称不能为空，也不能含控制字符或不可见字符。".into()
            }
            (AdminProblem::BadName, Lang::En) => {
                "An administrator's name may not be empty or hold control or invisible characters."
                    .into()
            }
            (AdminProblem::ShortPassword, Lang::ZhCn) => {
                format!("密码至少要 {PASSWORD_CHARS_MIN} 个字符，没有做任何更改。")
            }
            (AdminProblem::ShortPassword, Lang::En) => format!(
                "A password has at least {PASSWORD_CHARS_MIN} characters; nothing was changed."
            ),
            (AdminProblem::Store(e), Lang::ZhCn) => format!("街道中心的数据库出错：{e}"),
            (AdminProblem::Store(e), Lang::En) => format!("The hub's store failed: {e}"),
            (AdminProblem::Random, Lang::ZhCn) => "系统无法生成随机数。".into(),
            (AdminProblem::Random, Lang::En) => "The system gave no random numbers.".into(),
        }
    }
}

/// Why a login was refused. An unknown name and a wrong password are the same refusal.
#[derive(Debug)]
pub enum LoginRefusal {
    Wrong,
    /// Locked until then (the street office's local time).
    Locked {
        until: String,
    },
    Store(StoreError),
}

impl From<StoreError> for LoginRefusal {
    fn from(e: StoreError) -> Self {
        LoginRefusal::Store(e)
    }
}

impl LoginRefusal {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (LoginRefusal::Wrong, Lang::ZhCn) => format!(
                "用户名或密码不对。连续 {ADMIN_FAILURES_MAX} 次输错将锁定 {} 分钟。",
                ADMIN_LOCK_MS / 60_000
            ),
            (LoginRefusal::Wrong, Lang::En) => format!(
                "Wrong name or password. {ADMIN_FAILURES_MAX} wrong passwords in a row lock the account for {} minutes.",
                ADMIN_LOCK_MS / 60_000
            ),
            (LoginRefusal::Locked { until }, Lang::ZhCn) => {
                format!("密码输错次数过多，已锁定到 {until}。请稍后再试。")
            }
            (LoginRefusal::Locked { until }, Lang::En) => {
                format!("Too many wrong passwords: locked until {until}. Try again later.")
            }
            (LoginRefusal::Store(_), Lang::ZhCn) => {
                "街道中心的数据库暂时不可用，请稍后再试。".into()
            }
            (LoginRefusal::Store(_), Lang::En) => {
                "The hub's store is not available; try again later.".into()
            }
        }
    }
}

/// A hash to check a password against when the name is unknown, so that an unknown name
/// takes as long as a wrong password.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"decoy password nobody has")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The SHA-256 of a session token, as the store keeps it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl<S: Store> HubService<S> {
    /// Adds an administrator, or gives one a new password (which unlocks it and ends its
    /// sessions). `true` when it is new.
    pub async fn set_admin(
        &self,
        name: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AdminProblem> {
        let name = crate::domain::text::clean_text(name).map_err(|_| AdminProblem::BadName)?;
        if password.chars().count() < PASSWORD_CHARS_MIN {
            return Err(AdminProblem::ShortPassword);
        }
        let password = password.to_string();
        let phc = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
        })
        .await
        .map_err(|_| AdminProblem::Random)?
        .map_err(|_| AdminProblem::Random)?;
        let new = !self.store.admins().await?.contains(&name);
        self.store
            .put_admin(&name, &phc, &crate::store::log::format_time(now))
            .await?;
        Ok(new)
    }

    /// Checks a name and password; a session token for the cookie on success.
    pub async fn web_login(
        &self,
        name: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<String, LoginRefusal> {
        let name = name.trim().to_string();
        let now_ms = now.timestamp_millis();
        let attempt = self
            .store
            .admin_attempt(&name, now_ms, ADMIN_FAILURES_MAX, ADMIN_LOCK_MS)
            .await?;
        let phc = match attempt {
            Attempt::Locked { until_ms } => {
                let until = DateTime::from_timestamp_millis(until_ms)
                    .map(|t| self.local_time(&crate::store::log::format_time(t)))
                    .unwrap_or_default();
                return Err(LoginRefusal::Locked { until });
            }
            Attempt::Unknown => None,
            Attempt::Check { password } => Some(password),
        };
        let known = phc.is_some();
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || {
            password_matches(&password, phc.as_deref().unwrap_or(DECOY.as_str()))
        })
        .await
        .unwrap_or(false);
        if !(known && matches) {
            tracing::warn!(admin = %name, "web login refused");
            return Err(LoginRefusal::Wrong);
        }
        self.store.admin_passed(&name).await?;
        let token = hex::encode(
            crate::keys::random_bytes::<32>()
                .map_err(|_| LoginRefusal::Store(StoreError::Other("random".into())))?,
        );
        self.store
            .put_web_session(&token_hash(&token), &name, now_ms + WEB_SESSION_MS, now_ms)
            .await?;
        tracing::info!(admin = %name, "web login");
        Ok(token)
    }

    /// The administrator of a session token, if it is open.
    pub async fn web_admin(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        self.store
            .web_session(&token_hash(token), now.timestamp_millis())
            .await
    }

    pub async fn web_logout(&self, token: &str) -> Result<(), StoreError> {
        self.store.drop_web_session(&token_hash(token)).await
    }
}
