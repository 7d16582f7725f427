//! A street office and its counters in one test process, through the library: the hub's home
//! enrols each counter, counters trade bundles (in memory, the same bytes `sync export` writes).
//!
//! Every test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use pointsdesk::district::Head;
use pointsdesk::domain::{ItemKind, Role};
use pointsdesk::home::Home;
use pointsdesk::hub::HubHome;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::district::ImportReport;
use pointsdesk::ledger::{InitRequest, Ledger, NewItem, NewResident, Session};
use std::sync::{Arc, Mutex};
use tempfile::TempDir;

pub const ADMIN_PIN: &str = "1234";
pub const DISTRICT: &str = "桥西街道";

pub type Now = Arc<Mutex<DateTime<Utc>>>;

/// 2026-11-30 09:00 at the counters (UTC+8).
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap()
}

pub struct Counter {
    pub name: String,
    pub home: Home,
    pub ledger: Ledger,
    pub admin: Session,
}

/// The street office and its counters, with one clock for all.
pub struct District {
    pub dir: TempDir,
    pub hub: HubHome,
    /// The street office's store when it is not its home's SQLite file (a PostgreSQL URL).
    pub store: Option<String>,
    pub counters: Vec<Counter>,
    pub now: Now,
}

/// The counters' (community, prefix, name): two share the prefix SQ (one community's second
/// counter, for events), so only the counter code keeps their numbers apart.
pub fn setup(index: usize) -> (String, String, String) {
    const SETUPS: &[(&str, &str, &str)] = &[
        ("三桥社区", "SQ", "三桥爱心超市"),
        ("三桥社区", "SQ", "三桥活动点"),
        ("二桥社区", "EQ", "二桥爱心超市"),
        ("桥西社区", "QX", "桥西爱心超市"),
        ("柳岸社区", "LA", "柳岸爱心超市"),
        ("南门社区", "NM", "南门爱心超市"),
        ("北街社区", "BJ", "北街爱心超市"),
        ("东湖社区", "DH", "东湖爱心超市"),
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

impl District {
    /// A street office home and `counters` counters, each initialised, enrolled (codes A, B,
    /// … in order) and given activity A01 (10 points an hour) and two items: G001 soap (goods,
    /// 5 points, stock 1000) and S01 a haircut (service, 20 points).
    pub fn new(counters: usize) -> District {
        District::starting_on(counters, start_time(), None)
    }

    /// Like [`District::new`], its clock starting at `start` (the wall clock's now, for a
    /// district whose enrolments a real hub must still find valid), the street office keeping
    /// its enrolments in `store` (`None`: its home's SQLite file).
    pub fn starting_on(counters: usize, start: DateTime<Utc>, store: Option<String>) -> District {
        let dir = TempDir::new().unwrap();
        let now: Now = Arc::new(Mutex::new(start));
        let hub = HubHome {
            dir: dir.path().join("street-office"),
        };
        hub.init(DISTRICT, start).unwrap();
        let mut district = District {
            dir,
            hub,
            store,
            counters: Vec::new(),
            now,
        };
        for index in 0..counters {
            district.add_counter(index);
        }
        district
    }

    /// Initialises and enrols counter `index` (see [`setup`]).
    pub fn add_counter(&mut self, index: usize) -> usize {
        let (community, prefix, name) = setup(index);
        let mut hub = self.hub.open_at(self.store.as_deref()).unwrap();
        let enrolment = hub.enroll(&name, None, 14, self.now()).unwrap();
        let home = Home {
            dir: self
                .dir
                .path()
                .join(format!("counter-{}", self.counters.len())),
        };
        let clock = Arc::clone(&self.now);
        let (mut ledger, admin) = home
            .init(
                InitRequest {
                    community,
                    prefix,
                    counter: name.clone(),
                    admin_name: "管理员".into(),
                    admin_pin: ADMIN_PIN.into(),
                    utc_offset_minutes: 8 * 60,
                    code: enrolment.code.clone(),
                },
                Lang::ZhCn,
                Box::new(move || *clock.lock().unwrap()),
            )
            .unwrap();
        ledger.enroll(&admin, &enrolment.file).unwrap();
        ledger
            .define_activity(&admin, "A01", "垃圾分类", 10)
            .unwrap();
        ledger
            .define_item(
                &admin,
                &NewItem {
                    item: "G001".into(),
                    name: "洗衣皂".into(),
                    kind: ItemKind::Goods,
                    points: 5,
                    barcode: None,
                    monthly_limit: None,
                },
            )
            .unwrap();
        ledger.restock(&admin, "G001", 1000, None).unwrap();
        ledger
            .define_item(
                &admin,
                &NewItem {
                    item: "S01".into(),
                    name: "理发".into(),
                    kind: ItemKind::Service,
                    points: 20,
                    barcode: None,
                    monthly_limit: None,
                },
            )
            .unwrap();
        self.counters.push(Counter {
            name,
            home,
            ledger,
            admin,
        });
        self.counters.len() - 1
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }

    /// The bundle counter `from` writes for a side holding `since` (everything for none).
    pub fn bundle(&mut self, from: usize, since: &[Head]) -> Vec<u8> {
        let (_, bytes) = pointsdesk::sync::export_bundle(
            &mut self.counters[from].ledger,
            since,
            "test",
            Vec::new(),
        )
        .unwrap();
        bytes
    }

    /// What counter `from` sends counter `to`: what `to` lacks by its heads.
    pub fn bundle_for(&mut self, from: usize, to: usize) -> Vec<u8> {
        let heads = self.counters[to].ledger.heads().unwrap();
        self.bundle(from, &heads)
    }

    pub fn import(&mut self, to: usize, bytes: &[u8]) -> ImportReport {
        self.try_import(to, bytes).unwrap()
    }

    pub fn try_import(
        &mut self,
        to: usize,
        bytes: &[u8],
    ) -> Result<ImportReport, pointsdesk::ledger::LedgerError> {
        pointsdesk::sync::import_bundle(&mut self.counters[to].ledger, "test", bytes)
    }

    /// `from` sends `to` what it lacks.
    pub fn send(&mut self, from: usize, to: usize) -> ImportReport {
        let bytes = self.bundle_for(from, to);
        self.import(to, &bytes)
    }

    /// Every counter sends every other what it lacks, twice round: then all hold the same.
    pub fn exchange_all(&mut self) {
        for _ in 0..2 {
            for from in 0..self.counters.len() {
                for to in 0..self.counters.len() {
                    if from != to {
                        self.send(from, to);
                    }
                }
            }
        }
    }

    pub fn ledger(&mut self, index: usize) -> &mut Ledger {
        &mut self.counters[index].ledger
    }

    pub fn admin(&self, index: usize) -> Session {
        self.counters[index].admin.clone()
    }

    /// Registers a resident at `at`, without a passbook: their resident number.
    pub fn register(&mut self, at: usize, name: &str) -> String {
        let admin = self.admin(at);
        self.ledger(at)
            .add_resident(
                &admin,
                &NewResident {
                    name: name.into(),
                    phone: Some("13800001111".into()),
                    ..NewResident::default()
                },
            )
            .unwrap()
            .resident
    }

    /// Registers a resident at `at` and issues their passbook: (resident, passbook, scan).
    pub fn resident(&mut self, at: usize, name: &str) -> (String, String, String) {
        let resident = self.register(at, name);
        let admin = self.admin(at);
        let issued = self.ledger(at).issue_passbook(&admin, &resident).unwrap();
        (resident, issued.passbook, issued.token.as_str().to_string())
    }

    pub fn balance(&mut self, at: usize, passbook: &str) -> i64 {
        self.ledger(at).passbook(passbook).unwrap().balance.0
    }

    /// A volunteer at counter `at` (for tests that want a non-administrator).
    pub fn volunteer(&mut self, at: usize) -> Session {
        let admin = self.admin(at);
        let ledger = self.ledger(at);
        let added = ledger
            .add_operator(&admin, "志愿者", Role::Volunteer, "2468")
            .unwrap();
        ledger.login(&added.operator, "2468").unwrap()
    }
}

/// The digest of every projection table of a counter (see `store::projection::replica_digest`).
pub fn digest(ledger: &Ledger) -> Vec<(&'static str, u64, String)> {
    pointsdesk::store::projection::replica_digest(ledger.connection()).unwrap()
}

impl District {
    pub fn earn(&mut self, at: usize, scan: &str, minutes: u32) -> pointsdesk::ledger::Receipt {
        let admin = self.admin(at);
        self.ledger(at)
            .earn(
                &admin,
                &pointsdesk::ledger::EarnRequest {
                    scan: scan.into(),
                    activity: "A01".into(),
                    minutes,
                    event: None,
                    txn: None,
                    confirmed_by: None,
                },
            )
            .unwrap()
    }

    pub fn redeem(
        &mut self,
        at: usize,
        scan: &str,
        lines: &[(&str, u32)],
    ) -> Result<pointsdesk::ledger::Receipt, pointsdesk::ledger::LedgerError> {
        let admin = self.admin(at);
        self.ledger(at).redeem(
            &admin,
            &pointsdesk::ledger::RedeemRequest {
                scan: scan.into(),
                lines: lines.iter().map(|(i, q)| (i.to_string(), *q)).collect(),
                txn: None,
                confirmed_by: None,
            },
        )
    }

    /// `ledger verify` at counter `at` passes (no problem, no fork).
    pub fn assert_verifies(&mut self, at: usize) {
        let report = self.ledger(at).verify().unwrap();
        assert!(
            report.ok && report.forks.is_empty(),
            "counter {at}: {report:?}"
        );
    }
}

/// Every table's digest is the same at every counter.
pub fn assert_converged(district: &District) {
    let first = digest(&district.counters[0].ledger);
    for (index, counter) in district.counters.iter().enumerate().skip(1) {
        let other = digest(&counter.ledger);
        for (a, b) in first.iter().zip(&other) {
            assert_eq!(a, b, "table {} differs between counter 0 and {index}", a.0);
        }
    }
}
