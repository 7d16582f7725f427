//! The printer a home is configured with: its profile and transport from config.toml, or the
//! built-in simulator when no transport is set. One place for the CLI, the counter and the demo.

use super::print::{Opener, PrintService};
use super::profile::{DEFAULT_PROFILE, Profile};
use super::queue::Queue;
use super::sim::{SimConfig, SimState, Simulator};
use super::transport::{self, Flow, SerialConfig, SerialTransport, TransportConfig};
use crate::home::Home;
use std::path::Path;

/// Why the configured printer cannot be set up.
#[derive(Debug)]
pub enum SetupError {
    /// config.toml names an unknown profile or a bad transport.
    Config(String),
    Io(std::io::Error),
    Queue(rusqlite::Error),
}

impl SetupError {
    /// What went wrong setting the printer up, and what to do, for the operator.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        match self {
            SetupError::Config(detail) => format!(
                "{} {detail}",
                lang.pick(
                    "config.toml 的打印机设置有误：",
                    "The printer settings in config.toml are wrong:"
                )
            ),
            SetupError::Io(e) => format!(
                "{} ({e})",
                lang.pick(
                    "打印机（或模拟打印机）无法打开：请检查连接与权限",
                    "The printer (or its simulator) cannot be opened: check the connection and permissions"
                )
            ),
            SetupError::Queue(e) => format!(
                "{} ({e})",
                lang.pick(
                    "打印队列 print-queue.db 无法打开：请检查磁盘",
                    "The print queue print-queue.db cannot be opened: check the disk"
                )
            ),
        }
    }
}

/// A print service talking to the simulator on its pseudo-terminal.
pub fn simulated(
    profile: Profile,
    queue_path: &Path,
    out_dir: &Path,
) -> Result<(PrintService, Simulator), SetupError> {
    let sim = Simulator::start(SimConfig {
        out_dir: out_dir.to_path_buf(),
        state: SimState::Ready,
        paper_columns: profile.columns,
    })
    .map_err(SetupError::Io)?;
    let serial = SerialConfig {
        path: sim.path().to_string(),
        baud: 115_200,
        data_bits: 8,
        parity: 'N',
        stop_bits: 1,
        flow: Flow::None,
    };
    let opener: Opener = Box::new(move || {
        Ok(Box::new(SerialTransport::open(&serial)?) as Box<dyn transport::Transport>)
    });
    let queue = Queue::open(queue_path).map_err(SetupError::Queue)?;
    Ok((PrintService::new(profile, opener, queue), sim))
}

/// The profile config.toml names (the default one when it names none).
pub fn configured_profile(home: &Home) -> Result<Profile, SetupError> {
    let config = home
        .config()
        .map_err(|e| SetupError::Config(e.to_string()))?
        .printer;
    let name = config.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
    Profile::built_in(name).ok_or_else(|| {
        let known: Vec<&str> = Profile::names().collect();
        SetupError::Config(format!("profile {name:?} ({})", known.join(", ")))
    })
}

/// The home's configured printer; the simulator (returned too) when none is configured.
pub fn configured(home: &Home) -> Result<(PrintService, Option<Simulator>), SetupError> {
    let config = home
        .config()
        .map_err(|e| SetupError::Config(e.to_string()))?
        .printer;
    let profile = configured_profile(home)?;
    let transport = match config.transport.as_deref() {
        None => TransportConfig::Simulator,
        Some(spec) => transport::parse(spec).map_err(SetupError::Config)?,
    };
    match transport {
        TransportConfig::Simulator => {
            let (service, sim) =
                simulated(profile, &home.print_queue_path(), &home.sim_receipts_dir())?;
            Ok((service, Some(sim)))
        }
        other => {
            let queue = Queue::open(&home.print_queue_path()).map_err(SetupError::Queue)?;
            Ok((
                PrintService::new(profile, Box::new(move || transport::open(&other)), queue),
                None,
            ))
        }
    }
}
