//! A new PC for an existing counter (the old one's disk is lost): enrolled again with a
//! one-time code, it takes its counter's ledger back from the hub.
//!
//! Either way the new PC starts a new series, with a new key, whose first entry continues the
//! counter's newest series and numbers in a block of its own: the old PC's newest entries may
//! have reached another counter in a bundle and never the hub, so nothing the new PC signs or
//! hands out can meet them (going on in the old series at the hub's head would sign those seqs
//! a second time, a fork every counter then refuses for good).
//!
//! - **With the old key** (from the administrator's backup of `keys/device.key`): the old key
//!   endorses the new series, and is kept among the retired keys for later introductions.
//! - **Without it**: the grant, which names the counter's origin, is what makes the district
//!   admit it.
//!
//! Either way the counter's operators come back with the log, but PINs are local: the
//! administrator named gets a new PIN here, and gives the others theirs.

use super::client::HubClient;
use super::nightly::{self, Step, Summary, SyncError};
use crate::district::protocol::EnrollRequest;
use crate::home::Home;
use crate::i18n::Lang;
use crate::keys::Device;
use crate::ledger::{Ledger, LedgerError};
use crate::store::log::SeriesInfo;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What a recovery did.
#[derive(Clone, Debug, Serialize)]
pub struct Recovered {
    pub district: String,
    pub counter: String,
    pub code: String,
    /// The old key was given: it endorsed the new series.
    pub endorsed: bool,
    /// The hub's head of the counter's newest series when it was taken back.
    pub head: i64,
    pub pulled: u64,
}

/// Takes the counter named by the one-time `code` back from the hub into the empty `origin`.
/// `key` is the old device key file, if the administrator kept it; `admin` and `pin` give an
/// existing administrator of the counter a PIN here.
#[allow(clippy::too_many_arguments)]
pub fn recover(
    home: &Home,
    client: &HubClient,
    code: &str,
    key: Option<&Path>,
    admin: &str,
    pin: &str,
    ca_pem: Option<&str>,
    lang: Lang,
    progress: &mut dyn FnMut(Step),
) -> Result<Recovered, SyncError> {
    let answer = client.enroll(&EnrollRequest {
        code: code.to_string(),
        counter: None,
    })?;
    let (_, grant) = answer.file.open().map_err(LedgerError::Enrolment)?;
    let Some(recovery) = answer.recovery else {
        return Err(LedgerError::NothingToRecover {
            counter: grant.counter,
        }
        .into());
    };
    let endorser = match key {
        Some(path) => {
            let old = Device::load(path).map_err(LedgerError::from)?;
            if old.series_id != recovery.series.series_id {
                return Err(LedgerError::KeyOfOtherSeries {
                    key: path.display().to_string(),
                    counter: recovery.counter.clone(),
                }
                .into());
            }
            Some(old)
        }
        None => None,
    };
    // What the recovery makes in the home goes again if it fails (the network, mostly): the
    // administrator tries again in the same folder, with a new code if the hub took this one.
    let made = Made::before(home, endorser.as_ref());
    let taken = (|| -> Result<Summary, SyncError> {
        let device = Device::generate().map_err(LedgerError::from)?;
        home.prepare_for_recovery(
            lang,
            &recovery.community,
            &recovery.counter,
            &recovery.prefix,
        )?;
        device
            .save_new(&home.key_path())
            .map_err(LedgerError::from)?;
        let series = SeriesInfo {
            community: recovery.community.clone(),
            prefix: recovery.prefix.clone(),
            counter: recovery.counter.clone(),
            public_key: device.public_key().to_bytes().to_vec(),
            utc_offset_minutes: recovery.utc_offset_minutes,
            origin: recovery.origin.clone(),
            code: Some(grant.code.clone()),
            continues: None,
            number_block: 0,
        };
        if let Some(old) = &endorser {
            home.retire_key(old)?;
        }
        let mut summary = Summary::default();
        {
            let mut ledger = Ledger::recovering(&home.db_path(), device.clone(), series)?;
            ledger.install_enrolment(&answer.file)?;
            let certificate = ledger.own_certificate()?.ok_or(LedgerError::NotEnrolled)?;
            client.register_certificate(&certificate)?;
            ledger.set_hub(client.base(), ca_pem)?;
            let to_pull = client
                .heads(&device)?
                .heads
                .iter()
                .map(|h| h.seq as u64)
                .sum();
            nightly::pull_all(
                &mut ledger,
                client,
                &device,
                to_pull,
                &mut summary,
                progress,
            )?;
        }
        {
            // The new series continues the counter's newest one, endorsed by its key when the
            // administrator kept it, else by the district through the grant.
            let mut conn = crate::store::open(&home.db_path()).map_err(LedgerError::from)?;
            crate::ledger::restore::begin_successor(
                &mut conn,
                &device,
                recovery.series.series_id,
                recovery.series.seq,
                endorser.as_ref(),
                admin,
                chrono::Utc::now(),
            )?;
        }
        let mut ledger = home.open()?;
        ledger.anchor_from_log(&home.db_path(), recovery.series.seq)?;
        ledger.set_recovered_pin(admin, pin)?;
        for resident in &summary.erased {
            home.record_erasure(resident)?;
        }
        Ok(summary)
    })();
    if taken.is_err() {
        made.remove();
    }
    let summary = taken?;
    Ok(Recovered {
        district: grant.district_name,
        counter: recovery.counter,
        code: grant.code,
        endorsed: endorser.is_some(),
        head: recovery.series.seq,
        pulled: summary.pulled_new,
    })
}

/// The files and folders of a home a recovery may make that were not there before it
/// began, deepest first. Only those are removed when it fails: never a file it did not make
/// (the old key the administrator brought, another home's database).
struct Made {
    absent: Vec<PathBuf>,
}

impl Made {
    fn before(home: &Home, endorser: Option<&Device>) -> Made {
        let db = home.db_path();
        let keys = home.key_path().parent().map(Path::to_path_buf);
        let mut paths = vec![
            home.key_path(),
            home.config_path(),
            PathBuf::from(format!("{}-wal", db.display())),
            PathBuf::from(format!("{}-shm", db.display())),
            crate::store::anchor::path_for(&db),
            home.erasures_path(),
            db,
        ];
        if let Some(old) = endorser {
            let retired = home.retired_key_path(&old.series_id);
            paths.extend(retired.parent().map(Path::to_path_buf));
            paths.insert(0, retired);
        }
        paths.extend(keys);
        paths.push(home.dir.clone());
        Made {
            absent: paths.into_iter().filter(|p| !p.exists()).collect(),
        }
    }

    /// Removes what the recovery made; a folder only when nothing else is left in it.
    fn remove(self) {
        for path in self.absent {
            if path.is_dir() {
                let _ = std::fs::remove_dir(&path);
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}
