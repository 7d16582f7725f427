//! # pointsdesk — the counter of a community love supermarket (爱心超市)
//!
//! Residents earn points by volunteering and spend them on goods and services; a volunteer at
//! the counter scans the resident's passbook QR, the points ledger is debited, a slip prints.
//! This crate is the whole counter: a library that the command line (and the counter UI, the
//! printer and the sync) call, and the `pointsdesk` binary.
//!
//! ## The one idea
//! Every change is an immutable, signed **entry** appended to this counter's log
//! ([`store::log`]). Everything else — balances, passbooks, stock, monthly use, daily totals —
//! is a **projection**: a table derived from the log by one pure function,
//! [`domain::effects()`]. That function runs inside the commit's SQLite transaction (so an entry
//! and its projections land together or not at all) and again, in memory, when
//! `ledger verify` compares the tables with a fresh fold of the log or `ledger rebuild`
//! recreates them. A mistake is corrected by a new entry (a reversal, an adjustment), never by
//! an update.
//!
//! ## Who is who
//! One word for each, in the code, the databases, the wire and on screen:
//! - a **counter** is a place (a community's 爱心超市, or its event stand), known in the
//!   district by its community and code (`SQ` + `A`), shown by its name;
//! - a **series** (`series_id`) is one device key's gapless log; a counter has one series at a
//!   time and may have had several (a restore, a lost PC, a new PC);
//! - a counter's **origin** is its lasting id: the id of its first series, kept by every later
//!   one. What a counter keeps (its residents, passbooks, items, activities, operators, stock,
//!   its txn ids) carries its origin;
//! - the **device key** signs a series; the **home** is the folder on a PC (`--home`) that
//!   holds the ledger, config.toml and the keys.
//!
//! ## Where things are
//! | module | owns | must not |
//! |---|---|---|
//! | [`domain`] | points, the hours rule, entry bodies, effects on projections (and what a reversal undoes), text rules (masking, control and invisible characters) | do IO or read a clock |
//! | [`store`] | SQLite: durability settings, migrations, the entry log (hash chain, signatures), projection tables, verify, rebuild, the head anchor beside the database, read-only opening on a full disk | know business rules |
//! | [`ledger`] | the commands (login, earn, redeem, reverse, …): checks a request against signed data (never a projection row alone), appends entries, returns views; the district side of a counter (enrol, export, an import that checks every entry and applies it through the same fold, overdrafts, forks); typed errors with zh-CN/en messages; what a restore needs of the database | print, or touch files other than the database and its anchor |
//! | [`district`] | many counters in one ledger, as pure data and cryptography: the district key, enrolment grants and certificates, which series a replica admits, entries on the wire (pages), heads and the ranges one side sends the other, the hub's protocol (version, signed requests, bodies, refusals), batch signature checks | do IO |
//! | [`sync`] | moving the district ledger: the signed bundle file (`sync export`/`sync import`), the hub client (signed requests), the nightly job (backup, push, pull, apply), a new PC taking its counter back | decide what an entry means (the ledger's import checks and applies it) |
//! | [`hub`] | the street office: its home (district key, `hub.toml`), the store trait with its SQLite and PostgreSQL stores, ingest of pushes, the service (enrolment codes, signed-request checks, push, pull, report), the HTTP server (axum, rustls), metrics and OpenAPI, the district's reports, the street office's web pages and their administrators (argon2, sessions) | keep state outside the store (hub processes are interchangeable) |
//! | [`passbook`] | token format (`PD1` + 26 base32 + check), scan parsing, the slip QR that names a txn (`PDT` + UUID), QR pictures | know about balances |
//! | [`keys`] | the device Ed25519 key, per-resident sealing keys | |
//! | [`home`] | the home folder: init, config.toml (read and checked), paths, restoring a backup without reusing a seq, the erasures list | |
//! | [`import`] | resident lists and catalogues from CSV (UTF-8, GBK/GB18030) and XLSX, with row numbers | write anything |
//! | [`report`] | reports as data (day, month, items, activities, statement, overdrafts) built from tallies, and their renderings: a table, CSV, a slip, an Excel workbook with charts, SVG charts | read the ledger or the hub (they hand it the figures) |
//! | [`printer`] | ESC/POS bytes, the GBK text layer, slip layouts, printer profiles, transports (serial, TCP 9100, device file), status, the print queue, the pty printer simulator and the paper a decoded slip makes | touch the ledger (a slip is made from a committed receipt) |
//! | [`scanner`] | telling a keyboard-wedge scan from typing, what a scan means, serial and evdev scanners | know screens or printers |
//! | [`doctor`] | whether a counter PC is ready: facts gathered read-only (clock, hub clock, disk, quick_check and head anchor, permissions, printer status, scanner device, backups, last sync, a Chinese font) and a pure assessment with named limits into findings and an exit code | change anything |
//! | [`logs`] | where log lines go: a rotating file in the home (size and count from config.toml) and, under systemd, the journal; never the terminal a screen is drawn on | decide what is logged |
//! | [`present`] | wording shared by the CLI, the counter and the demo: labels, receipt and account texts, slip header, width-aware columns | print or draw |
//! | [`counter`] | the terminal UI: model, messages, `update` → effects, pure `view`, strings (zh-CN, en), the driver and its worker thread | block on IO in the UI thread |
//! | [`cli`] | the command line: clap definitions (`args`), one handler module per concern, output (text or JSON), exit codes | hold rules; be imported by anything but `main.rs` |
//! | [`demo`] | the seeded throwaway home and the terminal walk-through | |
//! | [`i18n`] | the operator's language | |
//!
//! `src/main.rs` only parses the command line (clap) and hands it to [`cli::run`].
//!
//! ## Finding your way
//! Each module's story is told by its tests, as a user would meet it:
//! - `domain`, `store`, `ledger`: `tests/ledger_properties.rs` (property tests of the fold and
//!   the postings), `ledger_refusals.rs` (every refusal, in words), `ledger_tamper.rs` (a log
//!   cut, edited or replayed), `crash.rs` (kill -9 mid-redemption), `concurrency.rs`;
//! - `district`, `sync`: `district_ledger.rs`, `district_claims.rs`, `district_ids.rs`,
//!   `district_convergence.rs`, `cli_district.rs` (bundles between counters);
//! - `hub`: `hub_sync.rs` (the nightly sync story), `hub_recovery.rs` (restore, lost PC, new PC),
//!   `hub_enrolment.rs`, `hub_attacks.rs`, `hub_claims.rs`, `hub_clocks.rs`,
//!   `hub_concurrency.rs`, `hub_reports.rs`, `hub_simulation.rs` (counters through a faulty
//!   network), `web_pages.rs` (a real browser);
//! - `report`: `reports.rs`, `cli_reports.rs`; `printer`: `printer_sim.rs`, `printer_faults.rs`,
//!   `printer_slips.rs`, `printer_golden.rs` (slips byte for byte), `printer_file.rs`;
//!   `scanner`: `scanner_timing.rs`;
//! - `counter`: `counter_flows.rs` (whole sales through the UI's update), `counter_screens.rs`
//!   (insta snapshots of screens), `counter_tmux.rs` (the real binary in tmux);
//! - `cli`: `cli_commands.rs`, `cli_trust.rs`; `doctor`: `doctor.rs`; the kiosk:
//!   `kiosk_package.rs`, `kiosk_screen.rs`, `systemd_units.rs`.
//!
//! Helpers the test files share are in `tests/support` (a throwaway home, running the binary),
//! `tests/common` (a ledger in a temp dir), `tests/district` (counters of one district) and
//! `tests/hub` (a hub process, a throwaway PostgreSQL cluster). `cargo test` is the hermetic
//! tier (the Rust toolchain alone); `tests/run-all` adds the system tier (PostgreSQL,
//! Chromium, the kiosk, tmux: the `system-tests` feature), installing what it needs. One file:
//! `cargo test --test hub_sync`. The benchmarks are `tests/benches/*.rs`, run with
//! `cargo bench --bench NAME`; their figures, machine and date are in the README.
//!
//! Imports point down: `cli`, `counter` and `demo` use `ledger`, `present`, `printer` and
//! `scanner`; `counter` and `demo` import nothing from `cli` (the CLI starts them), and what two
//! of them share lives in `present` or below.
//!
//! ## Guarantees a caller can rely on
//! - A write is one `BEGIN IMMEDIATE` transaction, durable (WAL, `synchronous=FULL`) before the
//!   call returns; a refused request writes nothing to the log.
//! - A txn id made by the client makes a retry safe: the same id and content returns the first
//!   result (`replayed = true`); the same id with other content is refused.
//! - Passbook balances never go below zero at commit; the postings of every entry sum to zero.
//! - No seq of a series is signed twice: after a restore that lost entries the counter goes
//!   on in a new series whose first entry links to the old one.
//! - PIN checks are counted one after another, so no concurrency checks more PINs than the
//!   lockout allows.

#![forbid(unsafe_code)]

pub mod cli;
pub mod counter;
pub mod demo;
pub mod district;
pub mod doctor;
pub mod domain;
pub mod home;
pub mod hub;
pub mod i18n;
pub mod import;
pub mod keys;
pub mod ledger;
pub mod logs;
pub mod passbook;
pub mod present;
pub mod printer;
pub mod report;
pub mod scanner;
pub mod store;
pub mod sync;
