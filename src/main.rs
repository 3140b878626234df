//! The `hairyo` binary: parse the command line and dispatch.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hairyo", version, about = "要配慮個人情報 detection for Japanese résumés")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan PDF, DOCX or text files and report special-care information.
    Scan(hairyo::cli::scan::ScanArgs),
    /// Run the upload service (HTTP API) on the configured store.
    Serve(hairyo::cli::serve::ServeArgs),
    /// Administration: users, audit verification.
    #[command(subcommand)]
    Admin(hairyo::cli::serve::AdminCommand),
    /// Dictionaries: versions and stale documents.
    #[command(subcommand)]
    Dict(hairyo::cli::serve::DictCommand),
    /// Scan stored documents again after a detector change (resumable; progress bar).
    Rescan(hairyo::cli::rescan::RescanArgs),
    /// Run rescan workers that take jobs from the shared queue until SIGTERM.
    Worker(hairyo::cli::rescan::WorkerArgs),
    /// Internal: extract one document from standard input in a bounded child process.
    #[command(name = "__extract-worker", hide = true)]
    ExtractWorker {
        /// Where to write the result.
        result: std::path::PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Command::ExtractWorker { result } = &cli.command {
        std::process::exit(hairyo::extract::run_worker(result));
    }
    // A caught panic's message could quote document bytes: never print it.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("hairyo: internal error at {at} (details withheld: they may contain document text)");
    }));
    // Parser crates log through `log`; their records can quote document content.
    let default_level = if matches!(cli.command, Command::Serve(_) | Command::Worker(_)) { "info" } else { "warn" };
    // Parser crates log through `log` and may quote document content: they stay off
    // whatever HAIRYO_LOG says.
    let user = std::env::var("HAIRYO_LOG").unwrap_or_else(|_| format!("{default_level},sqlx=warn"));
    // Lindera warns once per 32 KB of text without a sentence delimiter that it cut the text
    // there: expected on PDF text, and noise on the CLI's standard error.
    let fixed = "pdf_extract=off,lopdf=off,lindera::segmenter=error";
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{user},{fixed}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default_level},{fixed}")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("HAIRYO_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let code = match cli.command {
        Command::Scan(args) => hairyo::cli::scan::run(args),
        Command::Serve(args) => runtime().and_then(|rt| rt.block_on(hairyo::cli::serve::serve(args))).map(|()| 0),
        Command::Admin(cmd) => runtime().and_then(|rt| rt.block_on(hairyo::cli::serve::admin(cmd))),
        Command::Dict(cmd) => runtime().and_then(|rt| rt.block_on(hairyo::cli::serve::dict(cmd))),
        Command::Rescan(args) => runtime().and_then(|rt| rt.block_on(hairyo::cli::rescan::rescan(args))),
        Command::Worker(args) => runtime().and_then(|rt| rt.block_on(hairyo::cli::rescan::worker(args))),
        Command::ExtractWorker { .. } => unreachable!("handled above"),
    };
    match code {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("hairyo: {e:#}");
            std::process::exit(2);
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
