//! The street office's administrators of the web pages: argon2 password hashes, logins that lock
//! after failures in a row, and sessions whose tokens the store keeps only as SHA-256 (a copy
//! of the store opens no session). Every decision that two hub processes could race on (a
//! failure counted, a lock) is one store statement.
//!
//! A login costs the hub an argon2 check (19 MiB, tens of ms of a core), so a [`LoginGuard`]
//! runs a few at a time, limits how often one address may try, and locks a name nobody has
//! after as many failures as a real one, so the answers never tell which names exist.

use super::service::HubService;
use super::store::{AdminRemoval, Attempt, Store, StoreError};
use crate::i18n::Lang;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, phc::PasswordHash};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};

/// Wrong passwords in a row that lock an administrator.
pub const ADMIN_FAILURES_MAX: i64 = 5;
/// How long a lock lasts.
pub const ADMIN_LOCK_MS: i64 = 15 * 60 * 1000;
/// How long a web session lasts: a working day.
pub const WEB_SESSION_MS: i64 = 8 * 60 * 60 * 1000;
/// Characters a password has at least.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// Password checks (argon2: 19 MiB and tens of ms of a core each) that run at once; more
/// logins wait their turn.
pub const LOGIN_CHECKS_MAX: usize = 2;
/// Logins one address may try in [`LOGIN_WINDOW_MS`]; more are answered 429 unchecked.
pub const LOGIN_ATTEMPTS_PER_ADDRESS_MAX: u32 = 20;
/// The window of [`LOGIN_ATTEMPTS_PER_ADDRESS_MAX`].
pub const LOGIN_WINDOW_MS: i64 = 60 * 1000;
/// Addresses, and names nobody has, whose attempts the hub remembers; beyond, the ones seen
/// longest ago are forgotten.
pub const LOGIN_TRACKED_MAX: usize = 10_000;

/// Why an administrator could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AdminProblem {
    #[error("bad name")]
    BadName,
    #[error("password too short")]
    ShortPassword,
    #[error("password among the common ones")]
    CommonPassword,
    #[error("no administrator of that name")]
    Unknown,
    #[error("the last administrator")]
    Last,
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
            (AdminProblem::CommonPassword, Lang::ZhCn) => {
                "这个密码太常见，别人一猜就中：请换一个，没有做任何更改。".into()
            }
            (AdminProblem::CommonPassword, Lang::En) => {
                "That password is one of the most common ones and is guessed first: choose another; nothing was changed."
                    .into()
            }
            (AdminProblem::Unknown, Lang::ZhCn) => {
                "没有这个网页管理员（hub admin list 列出全部），没有做任何更改。".into()
            }
            (AdminProblem::Unknown, Lang::En) => {
                "There is no web administrator of that name (hub admin list shows them); nothing was changed."
                    .into()
            }
            (AdminProblem::Last, Lang::ZhCn) => {
                "这是最后一位网页管理员，删除后就没人能登录网页了：请先用 hub admin add 添加另一位。".into()
            }
            (AdminProblem::Last, Lang::En) => {
                "This is the last web administrator; without one nobody can log in to the pages. Add another first with hub admin add."
                    .into()
            }
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
    /// This address tried too often lately.
    TooFast,
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
            (LoginRefusal::TooFast, Lang::ZhCn) => format!(
                "登录尝试太频繁，请 {} 分钟后再试。",
                LOGIN_WINDOW_MS / 60_000
            ),
            (LoginRefusal::TooFast, Lang::En) => format!(
                "Too many logins from this address: try again in {} minute.",
                LOGIN_WINDOW_MS / 60_000
            ),
            (LoginRefusal::Store(_), Lang::ZhCn) => {
                "街道中心的数据库暂时不可用，请稍后再试。".into()
            }
            (LoginRefusal::Store(_), Lang::En) => {
                "The hub's store is not available; try again later.".into()
            }
        }
    }
}

/// Passwords tried first by anyone guessing (the most common in published leaks, and the
/// obvious ones here), refused whatever their length. Compared ignoring case.
const COMMON_PASSWORDS: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "87654321",
    "11111111",
    "00000000",
    "88888888",
    "66666666",
    "11223344",
    "12341234",
    "123123123",
    "147258369",
    "1qaz2wsx",
    "qwertyui",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm1",
    "password",
    "password1",
    "password123",
    "passw0rd",
    "iloveyou",
    "abcd1234",
    "abc12345",
    "a1234567",
    "aa123456",
    "qwer1234",
    "1q2w3e4r",
    "admin123",
    "administrator",
    "admin1234",
    "welcome1",
    "woaini1314",
    "woaini520",
    "5201314520",
    "13141314",
    "52013141",
    "pointsdesk",
    "pointsdesk1",
];

/// Whether a password is among [`COMMON_PASSWORDS`].
pub fn is_common_password(password: &str) -> bool {
    let lower = password.trim().to_lowercase();
    COMMON_PASSWORDS.contains(&lower.as_str())
}

/// Failures in a row and the lock of one login name, as the store keeps them for a known name.
#[derive(Clone, Copy, Debug, Default)]
struct NameFailures {
    failures: i64,
    locked_until_ms: i64,
    seen_ms: i64,
}

/// Logins from one address in the current window.
#[derive(Clone, Copy, Debug)]
struct AddressWindow {
    started_ms: i64,
    attempts: u32,
}

/// What a hub process keeps about logins: the password checks running, each address's recent
/// attempts, and the failures of names nobody has (keyed by their SHA-256, so a long name costs
/// no more than a short one).
pub struct LoginGuard {
    checks: std::sync::Arc<tokio::sync::Semaphore>,
    addresses: Mutex<HashMap<IpAddr, AddressWindow>>,
    unknown: Mutex<HashMap<[u8; 32], NameFailures>>,
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard {
            checks: std::sync::Arc::new(tokio::sync::Semaphore::new(LOGIN_CHECKS_MAX)),
            addresses: Mutex::new(HashMap::new()),
            unknown: Mutex::new(HashMap::new()),
        }
    }
}

/// Makes room for one more key: forgets the entry seen longest ago when the map is full.
fn make_room<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    seen_ms: impl Fn(&V) -> i64,
) {
    if map.len() < LOGIN_TRACKED_MAX {
        return;
    }
    if let Some(oldest) = map
        .iter()
        .min_by_key(|(_, v)| seen_ms(v))
        .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
}

impl LoginGuard {
    /// Counts an attempt of `address`; false when it has tried too often in this window.
    fn admit(&self, address: IpAddr, now_ms: i64) -> bool {
        let mut addresses = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        if !addresses.contains_key(&address) {
            make_room(&mut addresses, |w| w.started_ms);
        }
        let window = addresses.entry(address).or_insert(AddressWindow {
            started_ms: now_ms,
            attempts: 0,
        });
        if now_ms - window.started_ms >= LOGIN_WINDOW_MS {
            *window = AddressWindow {
                started_ms: now_ms,
                attempts: 0,
            };
        }
        window.attempts += 1;
        window.attempts <= LOGIN_ATTEMPTS_PER_ADDRESS_MAX
    }

    /// Takes an attempt at a name nobody has exactly as the store takes one at a known name
    /// ([`Store::admin_attempt`]): locked, or counted as a failure (the fifth locks it).
    fn unknown_attempt(&self, name: &str, now_ms: i64) -> Attempt {
        let key: [u8; 32] = Sha256::digest(name.as_bytes()).into();
        let mut unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        if !unknown.contains_key(&key) {
            make_room(&mut unknown, |f| f.seen_ms);
        }
        let entry = unknown.entry(key).or_default();
        entry.seen_ms = now_ms;
        if entry.locked_until_ms > now_ms {
            return Attempt::Locked {
                until_ms: entry.locked_until_ms,
            };
        }
        if entry.failures + 1 >= ADMIN_FAILURES_MAX {
            *entry = NameFailures {
                failures: 0,
                locked_until_ms: now_ms + ADMIN_LOCK_MS,
                seen_ms: now_ms,
            };
        } else {
            entry.failures += 1;
            entry.locked_until_ms = 0;
        }
        Attempt::Unknown
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

/// Blocks (1 KiB each) reserved for one password check: more than glibc's largest threshold
/// for giving an allocation its own mapping (32 MiB), so the check's memory is always its own
/// mapping and goes back to the system when the check ends. Only the hash's memory cost (19
/// MiB by default) is ever touched. Left to the allocator, argon2's 19 MiB raised that
/// threshold and stayed in the process's heaps after a crowd of logins.
const CHECK_MEMORY_BLOCKS: usize = 33 * 1024;

/// Whether `password` is the one of the argon2 PHC string `phc`, checked in a constant time.
fn password_matches(password: &str, phc: &str) -> bool {
    use argon2::{Algorithm, Block, Params, Version};
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(hash.algorithm.as_str()),
        Params::try_from(&hash),
    ) else {
        return false;
    };
    let Ok(version) = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let blocks = params.block_count();
    let mut memory: Vec<Block> = Vec::with_capacity(blocks.max(CHECK_MEMORY_BLOCKS));
    memory.resize(blocks, Block::default());
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, &mut memory)
        .is_ok()
        && computed
            .iter()
            .zip(expected.as_ref())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
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
        if is_common_password(password) {
            return Err(AdminProblem::CommonPassword);
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

    /// Removes an administrator and ends its sessions; never the last one.
    pub async fn remove_admin(&self, name: &str) -> Result<(), AdminProblem> {
        match self.store.remove_admin(name.trim()).await? {
            AdminRemoval::Removed => {
                tracing::info!(admin = ?name.trim(), "administrator removed");
                Ok(())
            }
            AdminRemoval::Unknown => Err(AdminProblem::Unknown),
            AdminRemoval::Last => Err(AdminProblem::Last),
        }
    }

    /// Checks a name and password from `address`; a session token for the cookie on success.
    /// A name nobody has is answered as a known one with a wrong password is: after the same
    /// argon2 work, and locked after as many failures.
    pub async fn web_login(
        &self,
        guard: &LoginGuard,
        address: IpAddr,
        name: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<String, LoginRefusal> {
        let name = name.trim().to_string();
        let now_ms = now.timestamp_millis();
        if !guard.admit(address, now_ms) {
            tracing::warn!(%address, admin = ?name, "web login refused: too many from the address");
            return Err(LoginRefusal::TooFast);
        }
        let mut attempt = self
            .store
            .admin_attempt(&name, now_ms, ADMIN_FAILURES_MAX, ADMIN_LOCK_MS)
            .await?;
        if let Attempt::Unknown = attempt {
            attempt = guard.unknown_attempt(&name, now_ms);
        }
        let phc = match attempt {
            Attempt::Locked { until_ms } => {
                let until = DateTime::from_timestamp_millis(until_ms)
                    .map(|t| self.local_time(&crate::store::log::format_time(t)))
                    .unwrap_or_default();
                tracing::warn!(%address, admin = ?name, "web login refused: locked");
                return Err(LoginRefusal::Locked { until });
            }
            Attempt::Unknown => None,
            Attempt::Check { password } => Some(password),
        };
        let known = phc.is_some();
        let password = password.to_string();
        // The turn goes into the check, so that a client gone away does not free it early.
        let turn = guard.checks.clone().acquire_owned().await;
        let matches = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            password_matches(&password, phc.as_deref().unwrap_or(DECOY.as_str()))
        })
        .await
        .unwrap_or(false);
        if !(known && matches) {
            tracing::warn!(%address, admin = ?name, "web login refused");
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
        tracing::info!(%address, admin = ?name, "web login");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_own_hash_only() {
        let phc = Argon2::default()
            .hash_password(b"qiao-2026-counter")
            .unwrap()
            .to_string();
        assert!(password_matches("qiao-2026-counter", &phc));
        assert!(!password_matches("qiao-2026-counteR", &phc));
        assert!(!password_matches("qiao-2026-counter", DECOY.as_str()));
        assert!(!password_matches("qiao-2026-counter", "not a hash"));
    }

    #[test]
    fn common_passwords_are_told_whatever_their_case() {
        assert!(is_common_password("12345678"));
        assert!(is_common_password("PassWord1"));
        assert!(!is_common_password("qiao-2026-counter"));
    }
}
