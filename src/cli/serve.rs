//! `hairyo serve` and `hairyo admin`: the service on its configured store.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::detect::Detector;
use crate::extract::{Extractor, Isolation, Limits};
use crate::http::{AppState, app};
use crate::pipeline::Pipeline;
use crate::review::{Role, Service};
use crate::store::{Store, StoreConfig};

/// Flags shared by `serve` and `admin`: they override the file and the environment.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct ConfigArgs {
    /// Configuration file.
    #[arg(long, default_value = "hairyo.toml")]
    #[serde(skip)]
    pub config: PathBuf,
    /// Data directory (SQLite database, master key).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to run on PostgreSQL instead of the embedded SQLite database.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// A folder of dictionary files to use instead of the built-in ones.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dictionaries_dir: Option<PathBuf>,
}

/// Arguments of `hairyo serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    /// Store and file settings.
    pub common: ConfigArgs,
    /// Address to listen on.
    #[arg(long)]
    pub listen: Option<String>,
}

/// `hairyo admin` commands.
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create a user and print its API token (shown once; only its hash is stored).
    CreateUser {
        /// Display name.
        #[arg(long)]
        name: String,
        /// candidate, advisor or admin.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        /// Store settings.
        common: ConfigArgs,
    },
    /// Verify the audit log's hash chain; exit 1 if it is broken.
    VerifyAudit {
        #[command(flatten)]
        /// Store settings.
        common: ConfigArgs,
    },
}

#[derive(Serialize)]
struct Overrides<'a> {
    #[serde(flatten)]
    common: &'a ConfigArgs,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<&'a str>,
}

/// Loads the layered configuration.
pub fn load_config(common: &ConfigArgs, listen: Option<&str>) -> anyhow::Result<Config> {
    Ok(Config::load(&common.config, Overrides { common, listen })?)
}

/// Opens the store and builds the service for a configuration: the detector from the
/// configured dictionaries (the built-in ones by default), the isolated extractor.
pub async fn build_service(config: &Config) -> anyhow::Result<Arc<Service>> {
    let store_config = StoreConfig {
        data_dir: config.data_dir.clone(),
        database_url: config.database_url.clone(),
        master_key: std::env::var("HAIRYO_MASTER_KEY").ok(),
    };
    let store = Store::open(&store_config).await?;
    let limits = Limits { max_bytes: config.max_upload_bytes as u64, ..Limits::default() };
    let extractor = Extractor { limits, isolation: Isolation::Subprocess { exe: std::env::current_exe()? } };
    let detector = match &config.dictionaries_dir {
        Some(dir) => Detector::from_dir(dir)?,
        None => Detector::embedded()?,
    };
    let pipeline = Pipeline::new(Arc::new(detector), extractor);
    Ok(Service::new(store, pipeline, Duration::from_secs(config.scan_timeout_secs)))
}

/// Runs the HTTP service until SIGINT or SIGTERM, then drains in-flight requests.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = load_config(&args.common, args.listen.as_deref())?;
    let service = build_service(&config).await?;
    service.register_detector().await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = super::rescan::spawn_workers(
        &service,
        config.workers,
        crate::rescan::LEASE,
        None,
        &stop_rx,
        Duration::from_secs(1),
    );
    let state = AppState::new(service, config.max_upload_bytes);
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    tracing::info!(listen = %listener.local_addr()?, data_dir = %config.data_dir.display(), workers = config.workers, "hairyo serving");
    // Printed for scripts that start the server on port 0.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    tracing::info!("shut down");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Runs an admin command; returns the exit code.
pub async fn admin(cmd: AdminCommand) -> anyhow::Result<i32> {
    match cmd {
        AdminCommand::CreateUser { name, role, common } => {
            let role =
                Role::from_id(&role).ok_or_else(|| anyhow::anyhow!("--role must be candidate, advisor or admin"))?;
            let service = build_service(&load_config(&common, None)?).await?;
            let (user, token) = service.create_user(None, &name, role).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("created {} {} ({})", role.id(), user.id, user.name);
            println!("{token}");
            Ok(0)
        }
        AdminCommand::VerifyAudit { common } => {
            let service = build_service(&load_config(&common, None)?).await?;
            match service.store.verify_audit().await? {
                Ok(n) => {
                    println!("audit chain ok: {n} entries");
                    Ok(0)
                }
                Err(b) => {
                    println!("audit chain BROKEN at entry {}: {}", b.seq, b.why);
                    Ok(1)
                }
            }
        }
    }
}

/// `hairyo dict` commands.
#[derive(Debug, clap::Subcommand)]
pub enum DictCommand {
    /// Show the current detector version (dictionaries + tokenizer dictionary) and how many
    /// stored documents were scanned with another one (stale: a rescan would look at them).
    Status {
        #[command(flatten)]
        /// Store settings.
        common: ConfigArgs,
    },
}

/// Runs a dictionary command; returns the exit code.
pub async fn dict(cmd: DictCommand) -> anyhow::Result<i32> {
    match cmd {
        DictCommand::Status { common } => {
            let service = build_service(&load_config(&common, None)?).await?;
            let status = service.dictionary_status().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("detector version: {}", status.current);
            println!("documents: {} held, {} stale", status.documents, status.stale);
            for (version, count) in &status.stale_by_version {
                println!("  {count} scanned with {version}");
            }
            Ok(0)
        }
    }
}
