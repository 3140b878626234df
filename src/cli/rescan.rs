//! `hairyo rescan` and `hairyo worker`: rescans from the command line, and standalone workers
//! that take rescan jobs from the shared queue.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use super::serve::{ConfigArgs, build_service, load_config, shutdown_signal};
use crate::rescan::{LEASE, Mode, Progress, RescanRequest, Worker};
use crate::review::Service;

/// Output of the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people (Japanese).
    Text,
    /// One JSON object: the rescan, its progress and its summary.
    Json,
}

/// Arguments of `hairyo rescan`.
#[derive(Debug, clap::Args)]
pub struct RescanArgs {
    #[command(flatten)]
    /// Store settings.
    pub common: ConfigArgs,
    /// Documents scanned with another detector version (the default).
    #[arg(long, conflicts_with = "all")]
    pub stale: bool,
    /// Every stored document.
    #[arg(long)]
    pub all: bool,
    /// Report what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Parse the original files again instead of using the stored text.
    #[arg(long)]
    pub reextract: bool,
    /// Scan every document in full, not only what the dictionary change can affect.
    #[arg(long)]
    pub full: bool,
    /// Workers in this process (more can join from `hairyo worker` on other machines).
    #[arg(long, default_value_t = default_workers())]
    pub workers: usize,
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Seconds a claimed batch stays leased without renewal (a dead worker's batch is taken
    /// over after this).
    #[arg(long, default_value_t = LEASE.as_secs(), hide = true)]
    pub lease_secs: u64,
}

/// Arguments of `hairyo worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    /// Store settings.
    pub common: ConfigArgs,
    /// Jobs run at once by this process.
    #[arg(long, default_value_t = default_workers())]
    pub concurrency: usize,
    /// Seconds a claimed batch stays leased without renewal.
    #[arg(long, default_value_t = LEASE.as_secs(), hide = true)]
    pub lease_secs: u64,
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Starts `n` workers on `service`; they stop when `stop` turns true.
pub fn spawn_workers(
    service: &Arc<Service>,
    n: usize,
    lease: Duration,
    only: Option<String>,
    stop: &watch::Receiver<bool>,
    idle: Duration,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            let worker = Worker::new(service.clone(), lease, only.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                match worker.run(stop, idle).await {
                    Ok(stats) => tracing::debug!(worker = worker.id(), jobs = stats.jobs, "worker stopped"),
                    Err(e) => tracing::error!(worker = worker.id(), error = %e, "worker failed"),
                }
            })
        })
        .collect()
}

/// Runs a rescan to its end with a progress bar, resuming an interrupted one with the same
/// options. Exit code 0 when every document has an outcome, 1 when some batch failed, 130
/// when interrupted (run the same command again to resume).
pub async fn rescan(args: RescanArgs) -> anyhow::Result<i32> {
    let config = load_config(&args.common, None)?;
    let service = build_service(&config).await?;
    let req = RescanRequest {
        mode: if args.all { Mode::All } else { Mode::Stale },
        dry_run: args.dry_run,
        reextract: args.reextract,
        full: args.full,
        batch_size: None,
    };
    let rescan = match service.resumable_rescan(req).await? {
        Some(r) => {
            eprintln!("中断された再スキャン {} を再開します", r.id);
            r
        }
        None => service.start_rescan(None, req, "cli").await?,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let lease = Duration::from_secs(args.lease_secs.max(3));
    let workers = spawn_workers(
        &service,
        args.workers.max(1),
        lease,
        Some(rescan.id.clone()),
        &stop_rx,
        Duration::from_millis(200),
    );
    let bar = ProgressBar::new(rescan.total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} 件 {per_sec} 残り {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let interrupted = {
        let interrupt = shutdown_signal();
        tokio::pin!(interrupt);
        loop {
            let counts = service.rescan_counts(&rescan.id).await?;
            bar.set_position((counts.done + counts.failed) as u64);
            if service.rescan(&rescan.id).await?.state != "running" {
                break false;
            }
            tokio::select! {
                _ = &mut interrupt => break true,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    };
    // Workers finish the batch in hand (it commits or is given back), then stop.
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    bar.finish_and_clear();
    let progress = service.rescan_progress(None, &rescan.id).await?;
    if interrupted {
        eprintln!(
            "中断しました: {}/{} 件が完了しています。同じコマンドで再開できます。",
            progress.progress.done, progress.rescan.total
        );
        return Ok(130);
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&progress)?),
        Format::Text => print_summary(&progress)?,
    }
    Ok(if progress.progress.failed > 0 { 1 } else { 0 })
}

fn print_summary(p: &Progress) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let s = &p.summary;
    let kind = if p.rescan.dry_run { "（ドライラン: 文書は変更していません）" } else { "" };
    writeln!(out, "再スキャン {} {} {kind}", p.rescan.id, p.rescan.state)?;
    writeln!(out, "  検出器バージョン: {}", p.rescan.target_version)?;
    writeln!(out, "  対象文書: {}  完了: {}  失敗: {}", p.rescan.total, p.progress.done, p.progress.failed)?;
    writeln!(
        out,
        "  全文スキャン: {}  変更の影響なし: {}  スキップ: {}  読み取り不能: {}",
        s.scanned, s.unaffected, s.skipped, s.errors
    )?;
    let verb = if p.rescan.dry_run { "（予定）" } else { "" };
    writeln!(out, "  所見が変わった文書: {}  再隔離した文書: {}{verb}", s.changed, s.requarantined)?;
    for (label, map) in [("追加された所見", &s.added), ("削除された所見", &s.removed)] {
        let items: Vec<String> = map.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let items = if items.is_empty() { "なし".to_string() } else { items.join(", ") };
        writeln!(out, "  {label}: {items}")?;
    }
    Ok(())
}

/// Runs rescan workers until SIGINT or SIGTERM.
pub async fn worker(args: WorkerArgs) -> anyhow::Result<i32> {
    let config = load_config(&args.common, None)?;
    let service = build_service(&config).await?;
    service.register_detector().await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let lease = Duration::from_secs(args.lease_secs.max(3));
    let n = args.concurrency.max(1);
    let workers = spawn_workers(&service, n, lease, None, &stop_rx, Duration::from_secs(1));
    tracing::info!(workers = n, version = service.pipeline.detector().version(), "hairyo worker running");
    eprintln!("worker running: {n} (detector {})", service.pipeline.detector().version());
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    Ok(0)
}
