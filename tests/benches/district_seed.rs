//! A district of five counters, 200,000 entries each, cached in `target/bench-data/district-*`
//! (building it takes minutes), and the bare Ed25519 batch-verification rate of this machine.
//! Shared by the `district` and `hub` benchmarks through `#[path]`.
#![allow(dead_code)]

use super::seed::{PIN, bench_dir, fill, ledger_entries};
use pointsdesk::home::Home;
use pointsdesk::hub::HubHome;
use pointsdesk::i18n::Lang;
use pointsdesk::ledger::{InitRequest, Ledger};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const SERIES: usize = 5;
const BARE_SIGNATURES: usize = 40_000;

const COUNTERS: [(&str, &str, &str); SERIES] = [
    ("三桥社区", "SQ", "三桥爱心超市"),
    ("二桥社区", "EQ", "二桥爱心超市"),
    ("桥西社区", "QX", "桥西爱心超市"),
    ("柳岸社区", "LA", "柳岸爱心超市"),
    ("南门社区", "NM", "南门爱心超市"),
];

pub fn size() -> u64 {
    std::env::var("POINTSDESK_BENCH_DISTRICT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

/// A counter of the district, initialised in `dir` and enrolled.
pub fn new_counter(
    hub: &HubHome,
    dir: &Path,
    index: usize,
    name: &str,
) -> (Ledger, pointsdesk::ledger::Session) {
    let (community, prefix, _) = COUNTERS[index % SERIES];
    let enrolment = hub
        .open()
        .unwrap()
        .enroll(name, None, 14, chrono::Utc::now())
        .unwrap();
    let home = Home {
        dir: dir.to_path_buf(),
    };
    let (mut ledger, admin) = home
        .init(
            InitRequest {
                community: community.into(),
                prefix: prefix.into(),
                counter: name.into(),
                admin_name: "管理员".into(),
                admin_pin: PIN.into(),
                utc_offset_minutes: 480,
                code: enrolment.code.clone(),
            },
            Lang::ZhCn,
            Box::new(chrono::Utc::now),
        )
        .unwrap();
    ledger.enroll(&admin, &enrolment.file).unwrap();
    (ledger, admin)
}

/// Five counters of `entries / 5` entries each; counter 0 holds all five series and the
/// bundle of everything it holds.
pub fn seeded(entries: u64) -> (PathBuf, PathBuf) {
    let root = bench_dir().join(format!("district-{entries}"));
    let bundle = root.join("all.bundle");
    if bundle.exists() {
        return (root, bundle);
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let started = Instant::now();
    let hub = HubHome {
        dir: root.join("street-office"),
    };
    hub.init("桥西街道", chrono::Utc::now()).unwrap();
    let mut counters = Vec::new();
    for (index, (_, _, name)) in COUNTERS.iter().enumerate() {
        let (mut ledger, admin) =
            new_counter(&hub, &root.join(format!("counter-{index}")), index, name);
        fill(&mut ledger, &admin, entries / SERIES as u64, started);
        eprintln!(
            "  counter {index}: {} entries ({:.0?})",
            ledger_entries(ledger.connection()),
            started.elapsed()
        );
        counters.push(ledger);
    }
    let (first, others) = counters.split_first_mut().unwrap();
    for other in others {
        let (_, bytes) = pointsdesk::sync::export_bundle(other, &[], "seed", Vec::new()).unwrap();
        pointsdesk::sync::import_bundle(first, "seed", bytes.as_slice()).unwrap();
    }
    first
        .connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let out = std::fs::File::create(&bundle).unwrap();
    let (_, out) =
        pointsdesk::sync::export_bundle(first, &[], "all", std::io::BufWriter::new(out)).unwrap();
    out.into_inner().unwrap().sync_all().unwrap();
    eprintln!("seeded the district in {:.0?}", started.elapsed());
    (root, bundle)
}

/// Batch verification of Ed25519 signatures over 32-byte hashes, 5 keys, on `threads` threads:
/// signatures per second.
pub fn bare_rate(threads: usize) -> f64 {
    use ed25519_dalek::{Signer, SigningKey};
    let keys: Vec<SigningKey> = (0..5u8)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect();
    let items: Vec<(
        [u8; 32],
        ed25519_dalek::Signature,
        ed25519_dalek::VerifyingKey,
    )> = (0..BARE_SIGNATURES)
        .map(|i| {
            let key = &keys[i % keys.len()];
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&(i as u64).to_be_bytes());
            (hash, key.sign(&hash), key.verifying_key())
        })
        .collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for part in items.chunks(items.len().div_ceil(threads)) {
            scope.spawn(move || {
                for batch in part.chunks(256) {
                    let messages: Vec<&[u8]> = batch.iter().map(|(h, _, _)| h.as_slice()).collect();
                    let signatures: Vec<_> = batch.iter().map(|(_, s, _)| *s).collect();
                    let keys: Vec<_> = batch.iter().map(|(_, _, k)| *k).collect();
                    ed25519_dalek::verify_batch(&messages, &signatures, &keys).unwrap();
                }
            });
        }
    });
    BARE_SIGNATURES as f64 / started.elapsed().as_secs_f64()
}
