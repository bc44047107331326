//! The `shoal-server` binary: `shoal-server [config-file] [--directive value ...]`,
//! like redis-server. Parses the configuration, sets up logging, starts the server and
//! waits for it.

use std::sync::atomic::Ordering;

use clap::Parser;

/// A Redis-compatible, thread-per-core in-memory data store.
#[derive(Parser)]
#[command(name = "shoal-server", version, about, long_about = None)]
#[command(
    override_usage = "shoal-server [/path/to/shoal.conf] [--directive value ...]\n       shoal-server --port 7777 --threads 4"
)]
#[command(
    after_help = "Any redis.conf directive can be given as --name value; it overrides the config file.\nExamples:\n  shoal-server (built-in defaults: 127.0.0.1:6379, one thread per core)\n  shoal-server config/shoal.conf --loglevel verbose"
)]
struct Cli {
    /// Config file (redis.conf syntax) followed by --directive value pairs.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<String>,
}

fn main() {
    let cli = Cli::parse();
    let (config, warnings) = match shoal::config::Config::from_args(&cli.args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let settings = config.settings().clone();
    init_logging(&settings);
    for w in warnings {
        tracing::warn!("{w}");
    }
    if settings.disable_thp && !shoal::alloc::disable_transparent_huge_pages() {
        tracing::warn!("could not disable transparent huge pages: latency spikes are possible");
    }
    let threads = shoal::server::shards_for(settings.threads);
    tracing::info!(
        "shoal {} (Redis {} compatible) starting: pid={}, threads={}, pinned={}, port={}",
        env!("CARGO_PKG_VERSION"),
        shoal::commands::server::REDIS_VERSION,
        std::process::id(),
        threads,
        if shoal::server::threads_pinned(&settings) {
            "yes"
        } else {
            "no"
        },
        settings.port
    );
    let server = match shoal::server::start(config) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let host = settings.bind.first().map_or("127.0.0.1", String::as_str);
            tracing::warn!(
                "Could not create server TCP listening socket {host}:{}: bind: {e}",
                settings.port
            );
            tracing::error!(
                "Failed listening on port {} (tcp), aborting.",
                settings.port
            );
            std::process::exit(1);
        }
        Err(e) => {
            tracing::error!("Failed to start: {e}");
            std::process::exit(1);
        }
    };
    server.state.exit_on_shutdown.store(true, Ordering::SeqCst);
    tracing::info!("Ready to accept connections tcp");
    server.wait();
}

fn init_logging(settings: &shoal::config::Settings) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = match settings.loglevel.as_str() {
        "debug" | "verbose" => tracing::Level::DEBUG,
        "warning" => tracing::Level::WARN,
        "nothing" => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    // glommio warns when it skips registering io buffers under a small memlock limit; it
    // works on without them, so only its errors are worth a user's attention.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("glommio", tracing::Level::ERROR)
        .with_default(level);
    let registry = tracing_subscriber::registry().with(filter);
    let layer = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(false);
    if settings.logfile.is_empty() {
        registry.with(layer.with_writer(std::io::stdout)).init();
        return;
    }
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&settings.logfile)
    {
        Ok(file) => registry
            .with(layer.with_writer(std::sync::Mutex::new(file)))
            .init(),
        Err(e) => {
            eprintln!("Can't open the log file: {e}");
            std::process::exit(1);
        }
    }
}
