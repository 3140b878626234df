//! Starting the real `hairyo` binary for end-to-end tests (`tests/leak.rs`,
//! `tests/service_crash.rs`): `serve` on a private data directory, `admin` commands, and an
//! HTTP client for 127.0.0.1.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hairyo"))
}

/// A command for the binary with an isolated environment: no `HAIRYO_*` from the caller, no
/// `hairyo.toml` (the working directory is `cwd`), temporary files under `tmp`.
pub fn command(cwd: &Path, tmp: &Path) -> Command {
    let mut cmd = Command::new(exe());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HAIRYO_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(cwd).env("TMPDIR", tmp).env("NO_COLOR", "1");
    cmd
}

/// A running `hairyo serve`.
pub struct Server {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where its standard error (the logs) goes.
    pub stderr_path: PathBuf,
}

impl Server {
    /// Starts `hairyo serve --data-dir data --listen 127.0.0.1:0`, logs at `log_level`
    /// appended to `stderr_path`, and waits for the `listening on` line.
    pub fn start(cwd: &Path, tmp: &Path, data: &Path, stderr_path: &Path, log_level: &str) -> Server {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(stderr_path).expect("log file");
        let mut child = command(cwd, tmp)
            .args(["serve", "--data-dir"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .env("HAIRYO_LOG", log_level)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start hairyo serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("hairyo serve did not print its address; logs in {}", stderr_path.display());
            }
        };
        let base = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim()
            .to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Server { child, base, stderr_path: stderr_path.to_path_buf() }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGTERM, then waits for a graceful exit (killed after 30 s).
    pub fn stop(mut self) -> std::process::ExitStatus {
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!("hairyo serve did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// kill -9.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed assertion must not leave a server behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `hairyo admin create-user`: returns the token.
pub fn create_user(cwd: &Path, tmp: &Path, data: &Path, name: &str, role: &str) -> String {
    let out = command(cwd, tmp)
        .args(["admin", "create-user", "--name", name, "--role", role, "--data-dir"])
        .arg(data)
        .output()
        .expect("run admin create-user");
    assert!(out.status.success(), "create-user failed: {}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("utf-8 token").trim().to_string();
    assert!(token.starts_with("hry_"), "{token}");
    token
}

/// `hairyo admin verify-audit`: (exit code, stdout).
pub fn verify_audit(cwd: &Path, tmp: &Path, data: &Path) -> (i32, String) {
    let out = command(cwd, tmp)
        .args(["admin", "verify-audit", "--data-dir"])
        .arg(data)
        .output()
        .expect("run admin verify-audit");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An HTTP client for the loopback server (never a proxy).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(120)).build().expect("client")
}

/// A multipart form with one `file` field.
pub fn file_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()))
}

/// The committed fixture `samples/<name>`.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(name))
        .unwrap_or_else(|e| panic!("samples/{name}: {e}"))
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}
