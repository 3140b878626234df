//! Load benchmark of the upload service over real HTTP on loopback.
//!
//! `cargo build --release && cargo bench --bench load` starts the release binary
//! (`target/release/hairyo serve`) on a temporary data directory on 127.0.0.1, creates a
//! candidate, and for `HAIRYO_LOAD_SECS` seconds (default 30) keeps `HAIRYO_LOAD_CONCURRENCY`
//! uploads (default twice the number of cores) of `samples/resume_two_pages.docx` in flight.
//! It reports uploads/s, p50/p99/max latency and the error count (anything but `201` with the
//! expected verdict; must be 0), then, with the server stopped, the throughput of the
//! in-process pipeline on the same file (`Pipeline::scan_bytes` with subprocess isolation and
//! the same binary as worker) for `HAIRYO_LOAD_PIPELINE_SECS` seconds (default 10), in one
//! thread and in as many threads as the load's concurrency, and the ratio of the service's
//! throughput to the in-process pipeline's (goal ≥ 0.5). The result is a markdown table.
//!
//! The service does more than the pipeline per document: multipart parsing, encryption, two
//! fsynced blob writes, one SQLite transaction (fsynced WAL) with the audit entry, and it
//! shares the cores with this load generator.
//!
//! Built but not run by `cargo test --benches` (which does not pass `--bench`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hairyo::extract::{Extractor, Isolation, Limits};
use hairyo::{Detector, Pipeline, Status};

const SAMPLE: &str = "samples/resume_two_pages.docx";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The release binary: the one this bench was built with (`cargo bench` builds it into the
/// release directory), which must exist.
fn release_binary() -> PathBuf {
    let exe = std::env::var_os("HAIRYO_LOAD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_hairyo")));
    if !exe.is_file() {
        eprintln!(
            "load bench: {} does not exist. Build it first:\n    cargo build --release\nthen run\n    cargo bench --bench load",
            exe.display()
        );
        std::process::exit(1);
    }
    if !exe.components().any(|c| c.as_os_str() == "release") {
        eprintln!("load bench: warning: {} is not a release build", exe.display());
    }
    exe
}

fn hairyo(exe: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(exe);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HAIRYO_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(cwd);
    cmd
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

struct LoadResult {
    uploads: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    first_error: Option<String>,
}

async fn run_load(base: &str, token: &str, bytes: Arc<Vec<u8>>, concurrency: usize, secs: u64) -> LoadResult {
    let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(concurrency).build().expect("client");
    let url = format!("{base}/api/v1/documents");
    // Warm-up: the first uploads open connections and fault pages in.
    for _ in 0..3 {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("resume_two_pages.docx"));
        let r = http.post(&url).bearer_auth(token).multipart(form).send().await.expect("warm-up upload");
        assert_eq!(r.status(), reqwest::StatusCode::CREATED, "warm-up upload failed");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, token, bytes) = (http.clone(), url.clone(), token.to_string(), bytes.clone());
        let (stop, errors, first_error) = (stop.clone(), errors.clone(), first_error.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let form = reqwest::multipart::Form::new()
                    .part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("resume_two_pages.docx"));
                let t = Instant::now();
                let outcome = match http.post(&url).bearer_auth(&token).multipart(form).send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.json::<serde_json::Value>().await {
                            Ok(body) if status == reqwest::StatusCode::CREATED && body["verdict"] == "quarantine" => {
                                Ok(())
                            }
                            Ok(body) => Err(format!("{status}: {body}")),
                            Err(e) => Err(format!("{status}: {e}")),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                match outcome {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        first_error.lock().unwrap().get_or_insert(e);
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.expect("worker"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let first_error = first_error.lock().unwrap().take();
    LoadResult {
        uploads: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        latencies,
        first_error,
    }
}

/// Documents per second of `Pipeline::scan_bytes` in `threads` threads for `secs` seconds.
fn pipeline_throughput(pipeline: &Pipeline, bytes: &[u8], threads: usize, secs: u64) -> (f64, u64) {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let report = pipeline.scan_bytes(bytes);
                    assert_eq!(report.status, Status::Quarantine, "in-process verdict: {:?}", report.error);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let n = done.load(Ordering::Relaxed);
    (n as f64 / started.elapsed().as_secs_f64(), n)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: build, don't run.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load bench: skipped (run `cargo bench --bench load`)");
        return;
    }
    let exe = release_binary();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = Arc::new(std::fs::read(manifest.join(SAMPLE)).expect(SAMPLE));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let concurrency = env_num("HAIRYO_LOAD_CONCURRENCY", 2 * cores as u64).max(1) as usize;
    let secs = env_num("HAIRYO_LOAD_SECS", 30).max(1);
    let pipeline_secs = env_num("HAIRYO_LOAD_PIPELINE_SECS", 10).max(1);

    let scratch = tempfile::tempdir().expect("temp dir");
    let data = scratch.path().join("data");
    let log_path = scratch.path().join("server.log");

    let out = hairyo(&exe, scratch.path())
        .args(["admin", "create-user", "--name", "load", "--role", "candidate", "--data-dir"])
        .arg(&data)
        .output()
        .expect("admin create-user");
    assert!(out.status.success(), "create-user: {}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("token").trim().to_string();

    let mut server = hairyo(&exe, scratch.path())
        .args(["serve", "--data-dir"])
        .arg(&data)
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&log_path).expect("log file")))
        .spawn()
        .expect("start hairyo serve");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let Some(base) = first.strip_prefix("listening on ").map(str::to_string) else {
        let _ = server.kill();
        panic!("hairyo serve did not start: {first:?}; see {}", log_path.display());
    };
    std::thread::spawn(move || for _ in lines {});

    eprintln!(
        "load bench: {concurrency} concurrent uploads of {SAMPLE} for {secs} s against {base} ({})",
        exe.display()
    );
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let load = rt.block_on(run_load(&base, &token, bytes.clone(), concurrency, secs));
    drop(rt);

    unsafe {
        libc::kill(server.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = server.wait().expect("wait for the server");
    let db_size = std::fs::metadata(data.join("hairyo.db")).map(|m| m.len()).unwrap_or(0);

    eprintln!("load bench: in-process pipeline for {pipeline_secs} s (1 and {concurrency} threads)");
    let pipeline = Pipeline::new(
        Arc::new(Detector::embedded().expect("detector")),
        Extractor { limits: Limits::default(), isolation: Isolation::Subprocess { exe: exe.clone() } },
    );
    // Warm-up (dictionary pages, the worker binary in the page cache).
    for _ in 0..3 {
        pipeline.scan_bytes(&bytes);
    }
    let (one, _) = pipeline_throughput(&pipeline, &bytes, 1, pipeline_secs);
    let (many, _) = pipeline_throughput(&pipeline, &bytes, concurrency, pipeline_secs);

    let rate = load.uploads as f64 / load.elapsed.as_secs_f64();
    println!();
    println!("| {SAMPLE} ({} bytes), {cores} cores | value |", bytes.len());
    println!("|---|---|");
    println!("| concurrency | {concurrency} |");
    println!("| duration | {:.1} s |", load.elapsed.as_secs_f64());
    println!("| uploads (201, verdict quarantine) | {} |", load.uploads);
    println!("| **uploads/s** | **{rate:.1}** |");
    println!("| latency p50 | {} |", ms(percentile(&load.latencies, 0.50)));
    println!("| latency p99 | {} |", ms(percentile(&load.latencies, 0.99)));
    println!("| latency max | {} |", ms(load.latencies.last().copied().unwrap_or_default()));
    println!("| **errors** | **{}** |", load.errors);
    println!("| in-process pipeline, 1 thread | {one:.1} docs/s |");
    println!("| in-process pipeline, {concurrency} threads | {many:.1} docs/s |");
    println!("| **ratio service / in-process ({concurrency} threads)** | **{:.2}** (goal ≥ 0.5) |", rate / many);
    println!("| ratio service / in-process (1 thread) | {:.2} |", rate / one);
    println!("| database size after the run | {:.1} MiB |", db_size as f64 / (1024.0 * 1024.0));
    println!();
    if !status.success() {
        eprintln!("load bench: the server exited with {status:?} on SIGTERM; log {}", log_path.display());
    }
    if load.errors > 0 {
        eprintln!("load bench: {} errors; first: {}", load.errors, load.first_error.unwrap_or_default());
        std::process::exit(1);
    }
}
