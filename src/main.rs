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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HAIRYO_LOG")
                .unwrap_or_else(|_| "warn,pdf_extract=off,lopdf=off".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = match cli.command {
        Command::Scan(args) => hairyo::cli::scan::run(args),
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
