//! What the rescan tests share: dictionary folders made from this repository's, a service on
//! a store with given dictionaries, and `hairyo rescan` run as the operator would.
//!
//! Include it with `#[path = "support/rescan.rs"] mod rescan_support;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use hairyo::detect::Detector;
use hairyo::extract::{Extractor, Isolation, Limits};
use hairyo::pipeline::Pipeline;
use hairyo::review::Service;
use hairyo::store::{Store, StoreConfig};
use serde_json::Value;

fn repository_dictionaries() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries")
}

/// The dictionaries of this repository with `term` added to the terms of entry `entry` of
/// `file` (a one-term change, as an editor would make it).
pub fn dictionaries_with(dir: &Path, file: &str, entry: &str, term: &str) {
    std::fs::create_dir_all(dir).unwrap();
    for e in rule_files() {
        let mut text = std::fs::read_to_string(e.path()).unwrap();
        if e.file_name() == file {
            let at = text.find(&format!("id = \"{entry}\"")).expect("entry");
            let terms = at + text[at..].find("terms = [").expect("terms") + "terms = [".len();
            text.insert_str(terms, &format!("\"{term}\", "));
        }
        std::fs::write(dir.join(e.file_name()), text).unwrap();
    }
}

/// The repository's dictionary files without the learned model: these tests follow what a
/// change of the rules uncovers, which the model's own findings would blur (a term it already
/// reads as a condition would be held before the change). That a changed model means a full
/// rescan is tested in tests/learned_model.rs.
fn rule_files() -> impl Iterator<Item = std::fs::DirEntry> {
    std::fs::read_dir(repository_dictionaries()).unwrap().map(Result::unwrap).filter(|e| e.file_name() != "learned.tsv")
}

/// An unchanged copy of this repository's dictionaries (without the learned model).
pub fn dictionaries_copy(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for e in rule_files() {
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
}

/// The service on the store in `data` (SQLite there, or `database_url`) with the dictionaries
/// in `dictionaries`.
pub async fn service_with(data: &Path, database_url: Option<String>, dictionaries: &Path) -> Arc<Service> {
    let store = Store::open(&StoreConfig { data_dir: data.to_path_buf(), database_url, master_key: None })
        .await
        .expect("store");
    let extractor = Extractor {
        limits: Limits::default(),
        isolation: Isolation::Subprocess { exe: PathBuf::from(env!("CARGO_BIN_EXE_hairyo")) },
    };
    let detector = Arc::new(Detector::from_dir(dictionaries).expect("dictionaries"));
    Service::new(store, Pipeline::new(detector, extractor), Duration::from_secs(60))
}

/// Runs `hairyo rescan ARGS --format json` with two workers on the store; returns the
/// summary object.
pub fn rescan_cli(data: &Path, database_url: Option<String>, dictionaries: &Path, args: &[&str]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hairyo"));
    cmd.arg("rescan")
        .args(args)
        .args(["--format", "json", "--workers", "2", "--config", "/nonexistent/hairyo.toml"])
        .arg("--data-dir")
        .arg(data)
        .arg("--dictionaries-dir")
        .arg(dictionaries);
    if let Some(url) = database_url {
        cmd.args(["--database-url", &url]);
    }
    let out = cmd.output().expect("run hairyo rescan");
    assert!(out.status.success(), "rescan failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}
