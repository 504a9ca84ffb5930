//! The `wartesaal` binary: parses arguments, loads config, sets up logging and hands over to
//! the library. Nothing else lives here.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use wartesaal::access::ticket::Secret;
use wartesaal::clock::SystemClock;
use wartesaal::config::{Config, ConfigError};
use wartesaal::ops::api::{MessageChange, RoomChange};
use wartesaal::ops::letters::NotifyTestError;
use wartesaal::server::StartError;
use wartesaal::state::{OperatorState, StateError};

/// jemalloc instead of the system allocator: memory freed by connections that came and went
/// (thousands of slow clients) goes back to the system within a second or so (a background
/// thread purges it; see `.cargo/config.toml`), where glibc's arenas kept it for good.
#[cfg(all(target_os = "linux", feature = "jemalloc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Why the gateway, the demo or `notify-test` stopped with a failure: printed, exit code 1.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("cannot start the demo booking site: {0}")]
    DemoSite(std::io::Error),
    #[error(transparent)]
    DemoConfig(ConfigError),
    /// Most likely a port that is taken.
    #[error("{0} (try --listen 127.0.0.1:0 for any free port)")]
    DemoStart(StartError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Start(StartError),
    #[error("cannot watch signals: {0}")]
    Signals(std::io::Error),
    /// The demo's rooms could not be saved on the way out.
    #[error(transparent)]
    DemoStop(StateError),
    #[error("stopped, but the room state could not be saved: {0}")]
    Unsaved(StateError),
    #[error(transparent)]
    NotifyTest(#[from] NotifyTestError),
}

/// Exit code for a config that cannot be used (EX_USAGE).
const EXIT_CONFIG: u8 = 64;
const EXIT_FAILURE: u8 = 1;

#[derive(Parser)]
#[command(
    name = "wartesaal",
    version,
    about = "A virtual waiting room in front of a booking site"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Run {
        /// Config file [default: $WARTESAAL_CONFIG or config/wartesaal.toml]
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate a config file and print every problem with its key path.
    Check {
        /// Config file [default: $WARTESAAL_CONFIG or config/wartesaal.toml]
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a new random 256-bit secret (base64url, one line), or write it to a file.
    Keygen {
        /// Write it to FILE (created with mode 0600, readable only by its owner) instead of
        /// printing it; an existing file is not overwritten.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print the random order a room's pre-queue was put in at its opening, place by place,
    /// with the key and size it is recomputed from. Reads the state directory; works while
    /// the gateway runs.
    AuditOrder {
        /// Room id.
        #[arg(long)]
        room: String,
        /// Config file [default: $WARTESAAL_CONFIG or config/wartesaal.toml]
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print one-use invitation codes for a room with `[rooms.invitations]`, one per line,
    /// for letters to the eligible. Each batch continues where the last ended (kept in
    /// `<state.dir>/<room>.invitations`), so no two letters carry the same code.
    Invite {
        /// Room id.
        #[arg(long)]
        room: String,
        /// How many codes.
        #[arg(long)]
        count: u64,
        /// RFC 3339 time the codes stop drawing at (to the hour at or before it).
        #[arg(long)]
        valid_until: Option<String>,
        /// Index of the first code, instead of the next one kept in the state directory.
        #[arg(long)]
        first: Option<u64>,
        /// Config file [default: $WARTESAAL_CONFIG or config/wartesaal.toml]
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Send one test e-mail through a room's `[rooms.notify]` SMTP settings: what a waiting
    /// visitor would get, marked as a test.
    NotifyTest {
        /// Room id.
        #[arg(long)]
        room: String,
        /// Where the test e-mail goes.
        #[arg(long)]
        to: String,
        /// Config file [default: $WARTESAAL_CONFIG or config/wartesaal.toml]
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Read or change rooms through a running gateway's admin API.
    Ctl {
        /// The gateway's admin listener.
        #[arg(long, default_value = "http://127.0.0.1:9090")]
        admin: String,
        /// File holding the admin token [default: $WARTESAAL_ADMIN_TOKEN]
        #[arg(long)]
        token_file: Option<PathBuf>,
        #[command(subcommand)]
        action: CtlAction,
    },
    /// Run the gateway in front of a built-in, deliberately slow booking site.
    Demo {
        /// Public address of the gateway.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Address of the admin listener (metrics).
        #[arg(long, default_value = "127.0.0.1:9090")]
        admin: SocketAddr,
    },
    /// The dress rehearsal: measure what a room's booking site can take before the morning.
    /// Starts the room's gateway in-process in front of the room's upstream (a staging site:
    /// it gets real load), drives a synthetic crowd through it at rising admission rates and
    /// reports the knee with the settings to use.
    Rehearse(RehearseArgs),
    /// Serve only the demo's booking site, to put gateways in front of (compose, Kubernetes).
    DemoBackend {
        /// Address to serve it on.
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
    },
}

#[derive(clap::Args)]
struct RehearseArgs {
    /// Config file [default: $WARTESAAL_CONFIG or config/wartesaal.toml]
    #[arg(long)]
    config: Option<PathBuf>,
    /// Room id.
    #[arg(long)]
    room: String,
    /// What an admitted visitor does: one request per line, `METHOD PATH [urlencoded-body]`,
    /// `#` comments [default: one GET of the room's path]
    #[arg(long, value_name = "FILE")]
    journey: Option<PathBuf>,
    /// Highest admission rate tried [default: the room's adaptive max_per_minute, else four
    /// times its admit_per_minute, at least 600]
    #[arg(long, value_name = "N")]
    max_per_minute: Option<f64>,
    /// Appointments there are on the morning (with --visitors and --arrivals-over).
    #[arg(long, value_name = "N", requires_all = ["visitors", "arrivals_over"])]
    appointments: Option<u64>,
    /// People expected on the morning.
    #[arg(long, value_name = "N", requires_all = ["appointments", "arrivals_over"])]
    visitors: Option<u64>,
    /// How long their arrivals spread over, e.g. 30m.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration,
          requires_all = ["appointments", "visitors"])]
    arrivals_over: Option<Duration>,
    /// Write an HTML report with plots to FILE.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Print the findings as JSON on standard output instead of the table.
    #[arg(long)]
    json: bool,
    /// Do not ask before starting.
    #[arg(long)]
    yes: bool,
    /// Advanced: how long each step lasts, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 20.0)]
    step_seconds: f64,
    /// Advanced: the first step's rate [default: the highest over 1.5⁵]
    #[arg(long, value_name = "N")]
    start_per_minute: Option<f64>,
    /// Advanced: the longest a waiting visitor of the crowd waits between polls, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.5)]
    poll_seconds: f64,
}

#[derive(Subcommand)]
// Parsed once per command line: the size of a variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
enum CtlAction {
    /// List every room with its queue, sessions, rate and state.
    Rooms,
    /// Change a room at once; the change is saved and survives a restart.
    Set {
        /// Room id.
        room: String,
        /// New sessions per minute.
        #[arg(long)]
        rate: Option<f64>,
        /// Cap on concurrent sessions (0 = none).
        #[arg(long)]
        max_active: Option<u64>,
        /// Stop admissions; everyone keeps their place.
        #[arg(long, conflicts_with_all = ["close", "open"])]
        pause: bool,
        /// Nothing left: no new tickets, waiting visitors are told so.
        #[arg(long, conflicts_with_all = ["pause", "open"])]
        close: bool,
        /// Resume admissions.
        #[arg(long, conflicts_with_all = ["pause", "close"])]
        open: bool,
        /// `on`: everyone waits, even while there is room (nobody new is let in until `off`);
        /// passes in hand keep working.
        #[arg(long, value_parser = ["on", "off"])]
        queue_all: Option<String>,
        /// Message to visitors in the room's default language ("" removes it); languages
        /// without their own text are shown this one.
        #[arg(long)]
        message: Option<String>,
        /// Message to visitors in one language, as TAG=TEXT (`tr=Kısa bir ara`); repeat it
        /// for more languages ("TAG=" removes that one).
        #[arg(long, value_name = "TAG=TEXT")]
        message_in: Vec<String>,
        /// Message to visitors in German ("" removes it); the same as --message-in de=TEXT.
        #[arg(long)]
        message_de: Option<String>,
        /// Message to visitors in English ("" removes it); the same as --message-in en=TEXT.
        #[arg(long)]
        message_en: Option<String>,
        /// With [rooms.adaptive]: `on` lets the learnt rate apply again (lifting a --rate),
        /// `off` keeps the rate it reached as a manual one.
        #[arg(long, value_parser = ["on", "off"], conflicts_with = "rate")]
        adaptive: Option<String>,
        /// Appointments left to book (a room with [rooms.supply]); 0 sells out, more reopens.
        #[arg(long)]
        remaining: Option<u64>,
    },
}

/// Writes a secret to a new file only its owner may read.
fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{secret}")?;
    file.sync_all()
}

fn config_path(given: Option<PathBuf>) -> PathBuf {
    given
        .or_else(|| std::env::var_os("WARTESAAL_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("config/wartesaal.toml"))
}

fn init_logging() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|s| s.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| {
            tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO)
        });
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
}

fn report(err: &ConfigError) -> ExitCode {
    eprintln!("{err}");
    ExitCode::from(EXIT_CONFIG)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen { out } => match Secret::generate() {
            Ok(secret) => match out {
                None => {
                    println!("{}", secret.to_base64());
                    ExitCode::SUCCESS
                }
                Some(path) => match write_secret(&path, &secret.to_base64()) {
                    Ok(()) => {
                        eprintln!("wrote a new secret to {} (mode 0600)", path.display());
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("cannot write {}: {e}", path.display());
                        ExitCode::from(EXIT_FAILURE)
                    }
                },
            },
            Err(e) => {
                eprintln!("no randomness from the operating system: {e}");
                ExitCode::from(EXIT_FAILURE)
            }
        },
        Command::Check { config } => {
            let path = config_path(config);
            match load_config(&path) {
                Ok(c) => {
                    for warning in c.warnings() {
                        eprintln!("{}: warning: {warning}", path.display());
                    }
                    for line in certificate_lines(&c) {
                        println!("{}: {line}", path.display());
                    }
                    println!(
                        "{}: ok ({} room(s): {})",
                        path.display(),
                        c.rooms.len(),
                        c.rooms
                            .iter()
                            .map(|r| r.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => report(&e),
            }
        }
        Command::Run { config } => {
            init_logging();
            let path = config_path(config);
            let config = match load_config(&path) {
                Ok(c) => c,
                Err(e) => return report(&e),
            };
            tracing::info!(config = %path.display(), rooms = config.rooms.len(), "starting");
            for warning in config.warnings() {
                tracing::warn!("{warning}");
            }
            let threads = config.server.threads;
            runtime_and_with(threads, run(config, path))
        }
        Command::AuditOrder { room, config } => audit_order(&room, &config_path(config)),
        Command::Invite {
            room,
            count,
            valid_until,
            first,
            config,
        } => {
            let path = config_path(config);
            match load_config(&path) {
                Ok(c) => match wartesaal::ops::invite::run(
                    &c,
                    &room,
                    count,
                    valid_until.as_deref(),
                    first,
                ) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("{}: {e}", path.display());
                        ExitCode::from(EXIT_CONFIG)
                    }
                },
                Err(e) => report(&e),
            }
        }
        Command::NotifyTest { room, to, config } => {
            let path = config_path(config);
            match load_config(&path) {
                Ok(c) => runtime_and(async move {
                    let done = wartesaal::ops::letters::send_test(&c, &room, &to).await?;
                    println!("{done}");
                    Ok::<(), Failure>(())
                }),
                Err(e) => report(&e),
            }
        }
        Command::Ctl {
            admin,
            token_file,
            action,
        } => ctl(&admin, token_file, action),
        Command::Demo { listen, admin } => {
            init_logging();
            runtime_and(demo(listen, admin))
        }
        Command::DemoBackend { listen } => {
            init_logging();
            runtime_and(demo_backend(listen))
        }
        Command::Rehearse(args) => rehearse(args),
    }
}

/// The room's gateway cannot reach its upstream (EX_UNAVAILABLE).
const EXIT_UNAVAILABLE: u8 = 69;

fn rehearse(args: RehearseArgs) -> ExitCode {
    use wartesaal::rehearse::{self as r, RehearseError};
    let path = config_path(args.config.clone());
    let config = match load_config(&path) {
        Ok(c) => c,
        Err(e) => return report(&e),
    };
    let plan = match rehearsal_plan(&config, &args) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if !args.yes && !r::terminal::confirm(&r::describe(&config, &plan)) {
        eprintln!("not started");
        return ExitCode::from(EXIT_FAILURE);
    }
    let watch = r::terminal::Bars::new();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let found = rt.block_on(r::rehearse(&config, &plan, &watch));
    let code = |e: &RehearseError| match e {
        RehearseError::NoRoom { .. } | RehearseError::Journey(_) | RehearseError::Input(_) => {
            EXIT_CONFIG
        }
        RehearseError::UpstreamDown { .. } | RehearseError::UpstreamFailing { .. } => {
            EXIT_UNAVAILABLE
        }
        _ => EXIT_FAILURE,
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(code(&e));
        }
    };
    if let Some(file) = &args.report {
        if let Err(e) = std::fs::write(file, r::report::html(&found)) {
            eprintln!("cannot write the report {}: {e}", file.display());
            return ExitCode::from(EXIT_FAILURE);
        }
        eprintln!("report written to {}", file.display());
    }
    if args.json {
        match serde_json::to_string_pretty(&found) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("cannot write the findings as JSON: {e}");
                return ExitCode::from(EXIT_FAILURE);
            }
        }
    } else {
        print!("{}", r::report::summary(&found));
    }
    ExitCode::SUCCESS
}

/// The rehearsal the arguments ask for.
fn rehearsal_plan(
    config: &Config,
    args: &RehearseArgs,
) -> Result<wartesaal::rehearse::RehearsalPlan, wartesaal::rehearse::RehearseError> {
    use wartesaal::rehearse::{Asked, Crowding};
    let morning = match (args.appointments, args.visitors, args.arrivals_over) {
        (Some(appointments), Some(visitors), Some(arrivals_over)) => Some(Crowding {
            appointments,
            visitors,
            arrivals_over,
        }),
        _ => None,
    };
    let asked = Asked {
        room: args.room.clone(),
        journey: args.journey.clone(),
        max_per_minute: args.max_per_minute,
        start_per_minute: args.start_per_minute,
        step_seconds: args.step_seconds,
        poll_seconds: args.poll_seconds,
        morning,
    };
    wartesaal::rehearse::plan(config, &asked)
}

/// The config file, and with it the rooms' templates, each tried for every state a page can be
/// in: what `check`, `run` and a reload accept is exactly what the gateway can serve.
fn load_config(path: &Path) -> Result<Config, ConfigError> {
    let config = Config::load(path)?;
    wartesaal::page::templates::load_rooms(&config)?;
    Ok(config)
}

fn audit_order(room: &str, path: &Path) -> ExitCode {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(e) => return report(&e),
    };
    let Some(cfg) = config.rooms.iter().find(|r| r.id == room) else {
        eprintln!("{}: no room `{room}`", path.display());
        return ExitCode::from(EXIT_CONFIG);
    };
    let Some(dir) = &config.state.dir else {
        eprintln!(
            "{}: state.dir is not set, so no draw was kept",
            path.display()
        );
        return ExitCode::from(EXIT_CONFIG);
    };
    let saved = match wartesaal::state::peek(dir, room) {
        Ok(Some(saved)) => saved,
        Ok(None) => {
            eprintln!("room `{room}` has no state in {} yet", dir.display());
            return ExitCode::from(EXIT_FAILURE);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let (Some(prequeue), offset) = (
        saved.prequeue,
        cfg.schedule.as_ref().map_or(0, |s| s.offset_minutes),
    ) else {
        eprintln!("room `{room}` has had no pre-queue (it needs [rooms.schedule])");
        return ExitCode::from(EXIT_FAILURE);
    };
    let Some(frozen) = prequeue.frozen else {
        eprintln!(
            "room `{room}`'s pre-queue is still gathering; its order is drawn at {}",
            wartesaal::queue::schedule::format_time(prequeue.opens_at, offset)
        );
        return ExitCode::from(EXIT_FAILURE);
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written =
        wartesaal::queue::schedule::write_audit(&mut out, room, &prequeue, &frozen, offset)
            .and_then(|()| std::io::Write::flush(&mut out));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error of the audit.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the order: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn runtime_and<E: std::fmt::Display>(
    fut: impl std::future::Future<Output = Result<(), E>>,
) -> ExitCode {
    runtime_and_with(0, fut)
}

/// Runs `fut` on a runtime with `threads` request threads (0: one per CPU).
fn runtime_and_with<E: std::fmt::Display>(
    threads: usize,
    fut: impl std::future::Future<Output = Result<(), E>>,
) -> ExitCode {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match rt.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

async fn demo(listen: SocketAddr, admin: SocketAddr) -> Result<(), Failure> {
    let backend = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(Failure::DemoSite)?;
    let backend_addr = backend.local_addr().map_err(Failure::DemoSite)?;
    let site = wartesaal::demo::BookingSite::new(Duration::from_millis(400));
    // Served beside the gateway, and still while it drains on shutdown.
    let serving = wartesaal::demo::serve_backend(backend, site);
    tokio::pin!(serving);
    let mut config = wartesaal::demo::config(backend_addr).map_err(Failure::DemoConfig)?;
    let token = config
        .admin
        .token
        .as_ref()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    config.server.listen = vec![listen];
    config.admin.listen = admin;
    let running = wartesaal::start(config, Arc::new(SystemClock))
        .await
        .map_err(Failure::DemoStart)?;
    let url = format!("http://{}/", running.public_addrs[0]);
    let banner = format!(
        "\n  wartesaal demo is running.\n  \
         Open {url} in two or three browsers (or private windows).\n  \
         The demo site lets in 6 people per minute and 2 at a time; booking a slot ends\n  \
         your session and lets the next person in.\n  \
         Ops dashboard: http://{admin}/  (admin token: {token})\n  \
         Metrics: http://{admin}/metrics\n  \
         Press Ctrl-C to stop.\n\n",
        admin = running.admin_addr,
    );
    // One write, and a closed stdout (piped into `head`, say) must not stop the demo.
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    let mut signals = Signals::new().map_err(Failure::Signals)?;
    // The demo has no config file to reload: any signal stops it.
    tokio::select! {
        _ = signals.next() => {}
        () = &mut serving => {}
    }
    let shutdown = running.shutdown();
    tokio::pin!(shutdown);
    let stopped = tokio::select! {
        stopped = &mut shutdown => stopped,
        () = &mut serving => shutdown.await,
    };
    stopped.map_err(Failure::DemoStop)
}

async fn demo_backend(listen: SocketAddr) -> Result<(), Failure> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| Failure::Listen {
            addr: listen,
            source,
        })?;
    let site = wartesaal::demo::BookingSite::new(Duration::from_millis(400));
    tracing::info!(local = %listen, "demo booking site ready");
    let mut signals = Signals::new().map_err(Failure::Signals)?;
    tokio::select! {
        _ = signals.next() => {}
        () = wartesaal::demo::serve_backend(listener, site) => {}
    }
    Ok(())
}

fn ctl(admin: &str, token_file: Option<PathBuf>, action: CtlAction) -> ExitCode {
    let token = match token_file {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(t) => Some(t.trim().to_string()),
            Err(e) => {
                eprintln!("cannot read token file {}: {e}", path.display());
                return ExitCode::from(EXIT_CONFIG);
            }
        },
        None => std::env::var("WARTESAAL_ADMIN_TOKEN")
            .ok()
            .map(|t| t.trim().to_string()),
    };
    let operator = std::env::var("USER").unwrap_or_else(|_| "ctl".into());
    let ctl = match wartesaal::ops::ctl::Ctl::new(admin, token, operator) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let CtlAction::Set { message_in, .. } = &action {
        if message_in.iter().any(|pair| !pair.contains('=')) {
            eprintln!("--message-in takes TAG=TEXT, as in tr=Kısa bir ara");
            return ExitCode::from(2);
        }
    }
    let work = async {
        match action {
            CtlAction::Rooms => ctl.rooms().await,
            CtlAction::Set {
                room,
                rate,
                max_active,
                pause,
                close,
                open,
                queue_all,
                message,
                message_in,
                message_de,
                message_en,
                adaptive,
                remaining,
            } => {
                let state = [
                    (pause, OperatorState::Paused),
                    (close, OperatorState::Closed),
                    (open, OperatorState::Open),
                ]
                .into_iter()
                .find_map(|(set, state)| set.then_some(state));
                let mut texts = std::collections::BTreeMap::new();
                for pair in message_in {
                    // Checked before: every one has its `=`.
                    let Some((tag, text)) = pair.split_once('=') else {
                        continue;
                    };
                    texts.insert(tag.trim().to_string(), text.to_string());
                }
                let named = [("", message), ("de", message_de), ("en", message_en)];
                for (tag, text) in named {
                    if let Some(text) = text {
                        texts.insert(tag.to_string(), text);
                    }
                }
                let message = (!texts.is_empty()).then_some(MessageChange {
                    texts,
                    clear: false,
                });
                let change = RoomChange {
                    adaptive: adaptive.map(|on| on == "on"),
                    admit_per_minute: rate.map(Some),
                    max_active: max_active.map(Some),
                    message,
                    queue_all: queue_all.map(|on| on == "on"),
                    state,
                    supply_remaining: remaining,
                };
                ctl.set(&room, &change).await
            }
        }
    };
    runtime_and(async { work.await.map(|text| print!("{text}")) })
}

/// Runs the gateway until SIGTERM or SIGINT; SIGHUP reloads the config file.
async fn run(config: Config, path: PathBuf) -> Result<(), Failure> {
    let mut running = wartesaal::start(config, Arc::new(SystemClock))
        .await
        .map_err(Failure::Start)?;
    let mut signals = Signals::new().map_err(Failure::Signals)?;
    while let Signal::Reload = signals.next().await {
        reload(&mut running, &path);
    }
    tracing::info!("shutting down: no new connections, finishing requests in flight");
    running.shutdown().await.map_err(Failure::Unsaved)?;
    tracing::info!("stopped; room state saved");
    Ok(())
}

/// Re-reads the config file. A file with problems changes nothing: the gateway keeps running
/// on the config it has and every problem is logged.
fn reload(running: &mut wartesaal::Running, path: &Path) {
    tracing::info!(config = %path.display(), "SIGHUP: reloading the config");
    let config = match load_config(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("reload refused, the running config stays: {e}");
            for p in e.problems() {
                tracing::error!(key = %p.key, hint = %p.hint, "{}", p.message);
            }
            return;
        }
    };
    let rooms = config.rooms.len();
    match running.reload(config) {
        Ok(restart) => {
            for key in restart {
                tracing::warn!(%key, "changed in the config file; takes effect after a restart");
            }
            tracing::info!(rooms, "config reloaded");
        }
        Err(e) => tracing::error!("reload refused, the running config stays: {e}"),
    }
}

enum Signal {
    Stop,
    Reload,
}

/// SIGTERM and SIGINT stop, SIGHUP reloads.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => Signal::Stop,
                _ = self.term.recv() => Signal::Stop,
                _ = self.hup.recv() => Signal::Reload,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Stop
        }
    }
}

/// For `check`: which names each certificate covers and when it expires, and what `state.dir`
/// holds for each ACME domain.
fn certificate_lines(c: &wartesaal::config::Config) -> Vec<String> {
    use wartesaal::tls::{x509, Served};
    let Some(tls) = &c.server.tls else {
        return Vec::new();
    };
    let mut lines: Vec<String> = tls
        .certificates
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let s = Served::new(file.certified.clone());
            let first = if i == 0 {
                " (also for names none covers)"
            } else {
                ""
            };
            format!(
                "certificate {}{first}: covers {}, expires {}",
                file.cert.display(),
                s.facts.names.join(", "),
                x509::show_time(s.facts.not_after)
            )
        })
        .collect();
    if let (Some(acme), Some(dir)) = (&tls.acme, &c.state.dir) {
        lines.extend(wartesaal::acme::describe_stored(acme, dir));
    }
    lines
}
