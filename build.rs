//! Builds the Lindera IPADIC dictionary from Debian's `mecab-ipadic` source at build time.
//!
//! Lindera's own `embed-ipadic` feature downloads its source archive from the project's web
//! site, which this project must not depend on. Debian's `mecab-ipadic` package ships the same
//! word lists (EUC-JP encoded); we convert them to UTF-8 and run Lindera's builder. The result
//! is written under `OUT_DIR` and its path and SHA-256 are handed to the crate as environment
//! variables; the checksum becomes part of the detector version.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const DEFAULT_SOURCE: &str = "/usr/share/mecab/dic/ipadic";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/ipadic-metadata.json");
    println!("cargo:rerun-if-env-changed=HAIRYO_IPADIC_SOURCE");

    let source =
        std::env::var_os("HAIRYO_IPADIC_SOURCE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEFAULT_SOURCE));
    if !source.join("matrix.def").is_file() {
        panic!(
            "IPADIC source not found at {}: install Debian's `mecab-ipadic` package \
             (scripts/setup.sh does) or set HAIRYO_IPADIC_SOURCE to a folder holding its *.csv and *.def files",
            source.display()
        );
    }
    println!("cargo:rerun-if-changed={}", source.display());

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let utf8_dir = out_dir.join("ipadic-src-utf8");
    let dict_dir = out_dir.join("ipadic");
    let metadata_json = fs::read("assets/ipadic-metadata.json").expect("read assets/ipadic-metadata.json");

    let source_hash = convert_source(&source, &utf8_dir, &metadata_json);
    let stamp = dict_dir.join(".source-sha256");
    let fresh = fs::read_to_string(&stamp).map(|s| s == source_hash).unwrap_or(false);
    if !fresh {
        let _ = fs::remove_dir_all(&dict_dir);
        let metadata: lindera::dictionary::Metadata =
            serde_json::from_slice(&metadata_json).expect("parse assets/ipadic-metadata.json");
        lindera::dictionary::DictionaryBuilder::new(metadata)
            .build_dictionary(&utf8_dir, &dict_dir)
            .expect("build the Lindera IPADIC dictionary");
        fs::write(&stamp, &source_hash).expect("write dictionary stamp");
    }

    let checksum = hash_dir(&dict_dir);
    println!("cargo:rustc-env=HAIRYO_TOKENIZER_DICT_DIR={}", dict_dir.display());
    println!("cargo:rustc-env=HAIRYO_TOKENIZER_DICT_SHA256={checksum}");
}

/// Decodes every `*.csv` and `*.def` file from EUC-JP to UTF-8 into `dest` and returns a hash
/// of the inputs, so the expensive build runs only when the source changes.
fn convert_source(source: &Path, dest: &Path, metadata_json: &[u8]) -> String {
    fs::create_dir_all(dest).expect("create UTF-8 source folder");
    let mut names: Vec<_> = fs::read_dir(source)
        .expect("list IPADIC source")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") || n.ends_with(".def"))
        .collect();
    names.sort();
    let mut hasher = Sha256::new();
    hasher.update(metadata_json);
    for name in &names {
        let raw = fs::read(source.join(name)).expect("read IPADIC source file");
        hasher.update(name.as_bytes());
        hasher.update(&raw);
        let (text, _, had_errors) = encoding_rs::EUC_JP.decode(&raw);
        assert!(!had_errors, "IPADIC file {name} is not valid EUC-JP");
        let target = dest.join(name);
        if fs::read(&target).map(|old| old != text.as_bytes()).unwrap_or(true) {
            fs::write(&target, text.as_bytes()).expect("write UTF-8 source file");
        }
    }
    hex::encode(hasher.finalize())
}

/// SHA-256 over the built dictionary's files, in name order.
fn hash_dir(dir: &Path) -> String {
    let mut names: Vec<_> = fs::read_dir(dir)
        .expect("list built dictionary")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(name.as_bytes());
        hasher.update(fs::read(dir.join(&name)).expect("read built dictionary file"));
    }
    hex::encode(hasher.finalize())
}
