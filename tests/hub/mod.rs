//! A real hub for tests: the street office's home, its store (SQLite in the home, or a database
//! of a throwaway PostgreSQL cluster started from the machine's own binaries), and `hub serve`'s
//! server on a random loopback port in this process. Counters are libraries' ledgers in temp
//! homes that enrol and sync over HTTP like the nightly job.
//!
//! Every test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use pointsdesk::district::Head;
use pointsdesk::domain::ItemKind;
use pointsdesk::home::Home;
use pointsdesk::hub::HubHome;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{
    EarnRequest, InitRequest, Ledger, NewItem, NewResident, RedeemRequest, Session,
};
use pointsdesk::sync::client::HubClient;
use pointsdesk::sync::nightly::{self, Summary};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub mod proxy;

pub const ADMIN_PIN: &str = "1234";
pub const DISTRICT: &str = "桥西街道";
/// Longest a throwaway PostgreSQL may take to start.
const PG_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Which store a test hub runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

/// A PostgreSQL cluster for this test process, in a temp dir, on a free loopback port; stopped
/// when the process ends. As root (CI here), the server runs as the `postgres` user, since
/// initdb refuses root.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn start() -> PgCluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect(
                "PostgreSQL server binaries in /usr/lib/postgresql (Debian's postgresql package)",
            )
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let dir = std::env::temp_dir().join(format!(
            "pointsdesk-pg-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown of the cluster dir to postgres");
        }
        let port = free_port();
        let cluster = PgCluster {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = cluster.dir.join("data");
        let out = cluster
            .command("initdb")
            .args(["-D"])
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = cluster.dir.join("server.log");
        let out = cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=300",
                cluster.dir.display()
            ))
            .arg("start")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < PG_START_TIMEOUT,
                "PostgreSQL did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    /// A new empty database on the cluster; its URL.
    pub fn database(&self) -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "hub_{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect to the test cluster");
            tokio::spawn(connection);
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
        });
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The cluster of this test process (started on first use). A test process ends with
/// `exit`, which runs no destructors: a small shell process started with the cluster waits for
/// this process to end, then stops the server and removes its folder.
pub fn pg() -> &'static PgCluster {
    static CLUSTER: OnceLock<PgCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let cluster = PgCluster::start();
        let pg_ctl = cluster.bin.join("pg_ctl");
        let stop = format!(
            "{}{} -D {} -m immediate stop",
            if cluster.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl.display(),
            cluster.dir.join("data").display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = cluster.dir.display()
        );
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        cluster
    })
}

/// A hub serving on a loopback port, in this process.
pub struct TestHub {
    pub dir: TempDir,
    pub home: HubHome,
    pub url: String,
    pub store: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub service:
        std::sync::Arc<pointsdesk::hub::service::HubService<pointsdesk::hub::store::AnyStore>>,
}

impl TestHub {
    /// A new street office home on `kind`, served.
    pub fn start(kind: StoreKind) -> TestHub {
        let dir = TempDir::new().unwrap();
        let home = HubHome {
            dir: dir.path().join("street-office"),
        };
        home.init(DISTRICT, chrono::Utc::now()).unwrap();
        let store = match kind {
            StoreKind::Sqlite => None,
            StoreKind::Postgres => Some(pg().database()),
        };
        Self::serve(dir, home, store)
    }

    /// A hub served on a street office home that is already there (a copy of a fixture, a
    /// district's), on `store` (a PostgreSQL database's URL, or `None` for the home's own).
    pub fn on_store(home: HubHome, store: Option<String>) -> TestHub {
        Self::serve(TempDir::new().unwrap(), home, store)
    }

    /// Another hub process on the same home and store (a second server behind a balancer).
    pub fn another(&self) -> TestHub {
        let dir = TempDir::new().unwrap();
        Self::serve(
            dir,
            HubHome {
                dir: self.home.dir.clone(),
            },
            self.store.clone(),
        )
    }

    fn serve(dir: TempDir, home: HubHome, store: Option<String>) -> TestHub {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, addr) = std::sync::mpsc::channel();
        let home_dir = home.dir.clone();
        let url_store = store.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let home = HubHome { dir: home_dir };
                let service =
                    std::sync::Arc::new(home.service(url_store.as_deref()).await.unwrap());
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready
                    .send((
                        listener.local_addr().unwrap(),
                        std::sync::Arc::clone(&service),
                    ))
                    .unwrap();
                pointsdesk::hub::server::serve(service, listener, None, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let (addr, service) = addr
            .recv_timeout(Duration::from_secs(30))
            .expect("the hub starts");
        TestHub {
            dir,
            home,
            url: format!("http://{addr}"),
            store,
            stop: Some(stop),
            thread: Some(thread),
            service,
        }
    }

    /// The hub's blocking face on the same store, for enrolment codes and reports.
    pub fn hub(&self) -> pointsdesk::hub::Hub {
        self.home.open_at(self.store.as_deref()).unwrap()
    }

    /// A one-time enrolment code for `counter`.
    pub fn code(&self, counter: &str) -> String {
        self.hub()
            .enrol_code(counter, None, 24, chrono::Utc::now())
            .unwrap()
            .one_time_code
    }

    /// A one-time enrolment code for the counter `counter` of `community` (a name two
    /// communities use is ambiguous without it).
    pub fn code_in(&self, community: &str, counter: &str) -> String {
        self.hub()
            .enrol_code_in(Some(community), counter, None, 24, chrono::Utc::now())
            .unwrap()
            .one_time_code
    }

    pub fn client(&self) -> HubClient {
        HubClient::new(&self.url, None).unwrap()
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A counter in a temp home, enrolled with a hub over the network.
pub struct Counter {
    pub dir: TempDir,
    pub home: Home,
    pub ledger: Ledger,
    pub admin: Session,
    pub name: String,
}

/// (community, prefix, name) of counter `index`.
pub fn setup(index: usize) -> (String, String, String) {
    const SETUPS: &[(&str, &str, &str)] = &[
        ("三桥社区", "SQ", "三桥爱心超市"),
        ("二桥社区", "EQ", "二桥爱心超市"),
        ("桥西社区", "QX", "桥西爱心超市"),
        ("柳岸社区", "LA", "柳岸爱心超市"),
        ("南门社区", "NM", "南门爱心超市"),
        ("北街社区", "BJ", "北街爱心超市"),
        ("东湖社区", "DH", "东湖爱心超市"),
        ("西湖社区", "XH", "西湖爱心超市"),
    ];
    let (community, prefix, name) = SETUPS[index % SETUPS.len()];
    let round = index / SETUPS.len();
    let name = if round == 0 {
        name.to_string()
    } else {
        format!("{name}{round}")
    };
    (community.into(), prefix.into(), name)
}

impl Counter {
    /// Initialises counter `index` (see [`setup`]) with activity A01 and items G001, S01, and
    /// enrols it with `hub` over the network.
    pub fn enrolled(hub: &TestHub, index: usize) -> Counter {
        let (_, _, name) = setup(index);
        Self::enrolled_at(&hub.url, &hub.code(&name), index)
    }

    /// Like [`Counter::enrolled`], with the hub at `url` (its own process, say) and a one-time
    /// code for counter `index`'s name.
    pub fn enrolled_at(url: &str, code: &str, index: usize) -> Counter {
        let mut counter = Counter::unenrolled(index);
        let client = HubClient::new(url, None).unwrap();
        nightly::enroll(&mut counter.ledger, &counter.admin, &client, code, None).unwrap();
        counter
    }

    /// The counter `name` of `community` (numbers beginning `prefix`), set up like
    /// [`Counter::unenrolled`] and enrolled with `hub` by a code for that community: two
    /// communities may each have a counter of that name.
    pub fn enrolled_as(hub: &TestHub, community: &str, prefix: &str, name: &str) -> Counter {
        let mut counter = Counter::unenrolled_as(community, prefix, name);
        let client = HubClient::new(&hub.url, None).unwrap();
        let code = hub.code_in(community, name);
        nightly::enroll(&mut counter.ledger, &counter.admin, &client, &code, None).unwrap();
        counter
    }

    /// Counter `index` (see [`setup`]) with activity A01 and items G001, S01, not enrolled.
    pub fn unenrolled(index: usize) -> Counter {
        let (community, prefix, name) = setup(index);
        Counter::unenrolled_as(&community, &prefix, &name)
    }

    /// Like [`Counter::unenrolled`], of the counter `name` of `community`.
    pub fn unenrolled_as(community: &str, prefix: &str, name: &str) -> Counter {
        let (community, prefix, name) =
            (community.to_string(), prefix.to_string(), name.to_string());
        let dir = TempDir::new().unwrap();
        let home = Home {
            dir: dir.path().join("home"),
        };
        let (mut ledger, admin) = home
            .init(
                InitRequest {
                    community,
                    prefix,
                    counter: name.clone(),
                    admin_name: "管理员".into(),
                    admin_pin: ADMIN_PIN.into(),
                    utc_offset_minutes: 480,
                    code: "A".into(),
                },
                Lang::ZhCn,
                Box::new(chrono::Utc::now),
            )
            .unwrap();
        ledger
            .define_activity(&admin, "A01", "垃圾分类", 10)
            .unwrap();
        for (item, item_name, kind, points) in [
            ("G001", "洗衣皂", ItemKind::Goods, 5),
            ("S01", "理发", ItemKind::Service, 20),
        ] {
            ledger
                .define_item(
                    &admin,
                    &NewItem {
                        item: item.into(),
                        name: item_name.into(),
                        kind,
                        points,
                        barcode: None,
                        monthly_limit: None,
                    },
                )
                .unwrap();
        }
        ledger.restock(&admin, "G001", 1000, None).unwrap();
        Counter {
            dir,
            home,
            ledger,
            admin,
            name,
        }
    }

    /// The counter whose home is already in `dir/home` (a copy of a fixture), opened with
    /// today's code, its administrator 001 logged in.
    pub fn opened(dir: TempDir, name: &str) -> Counter {
        let home = Home {
            dir: dir.path().join("home"),
        };
        let mut ledger = home.open().unwrap();
        let admin = ledger.login("001", ADMIN_PIN).unwrap();
        Counter {
            dir,
            home,
            ledger,
            admin,
            name: name.to_string(),
        }
    }

    /// A resident with a passbook: (passbook number, scan).
    pub fn resident(&mut self, name: &str) -> (String, String) {
        let resident = self
            .ledger
            .add_resident(
                &self.admin,
                &NewResident {
                    name: name.into(),
                    ..NewResident::default()
                },
            )
            .unwrap()
            .resident;
        let issued = self.ledger.issue_passbook(&self.admin, &resident).unwrap();
        (issued.passbook, issued.token.as_str().to_string())
    }

    pub fn earn(&mut self, scan: &str, minutes: u32) {
        self.ledger
            .earn(
                &self.admin,
                &EarnRequest {
                    scan: scan.into(),
                    activity: "A01".into(),
                    minutes,
                    event: None,
                    txn: None,
                    confirmed_by: None,
                },
            )
            .unwrap();
    }

    pub fn redeem(
        &mut self,
        scan: &str,
        item: &str,
    ) -> pointsdesk::ledger::Result<pointsdesk::ledger::Receipt> {
        self.ledger.redeem(
            &self.admin,
            &RedeemRequest {
                scan: scan.into(),
                lines: vec![(item.into(), 1)],
                txn: None,
                confirmed_by: None,
            },
        )
    }

    /// The nightly sync with `url`.
    pub fn sync_with(&mut self, url: &str) -> Result<Summary, nightly::SyncError> {
        let client = HubClient::new(url, None).unwrap();
        nightly::sync(&self.home, &mut self.ledger, &client, 3, &mut |_| {})
    }

    pub fn sync(&mut self, hub: &TestHub) -> Summary {
        self.sync_with(&hub.url).unwrap()
    }

    pub fn balance(&self, passbook: &str) -> i64 {
        self.ledger
            .connection()
            .query_row(
                "SELECT points FROM balances WHERE account = ?1",
                [format!("passbook:{passbook}")],
                |r| r.get(0),
            )
            .unwrap_or(0)
    }

    pub fn heads(&self) -> Vec<Head> {
        let mut heads = self.ledger.heads().unwrap();
        heads.sort_by_key(|h| h.series_id);
        heads
    }

    pub fn assert_verifies(&mut self) {
        let report = self.ledger.verify().unwrap();
        assert!(report.ok, "{}: {report:?}", self.name);
    }
}

/// Copies the device key of `from` to the new home `to` (a new PC), and with `retired_too` the
/// keys of its earlier series (`keys/retired/`) as well: the kiosk guide's way copies the
/// whole `keys/` folder.
pub fn copy_keys(from: &Home, to: &Home, retired_too: bool) {
    let keys = to.key_path().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::copy(from.key_path(), to.key_path()).unwrap();
    let retired = from.key_path().parent().unwrap().join("retired");
    if retired_too && retired.exists() {
        std::fs::create_dir_all(keys.join("retired")).unwrap();
        for key in std::fs::read_dir(&retired).unwrap() {
            let key = key.unwrap().path();
            std::fs::copy(&key, keys.join("retired").join(key.file_name().unwrap())).unwrap();
        }
    }
}

/// The heads the hub holds, sorted.
pub fn hub_heads(hub: &TestHub) -> Vec<Head> {
    let mut heads = hub
        .hub()
        .block_on(pointsdesk::hub::store::Store::heads(&hub.service.store))
        .unwrap();
    heads.sort_by_key(|h| h.series_id);
    heads
}

/// Waits (bounded) until `f` holds.
pub fn eventually(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(
            started.elapsed() < timeout,
            "{what} did not happen within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Copies the folder `from` into `to`, every file and folder in it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
