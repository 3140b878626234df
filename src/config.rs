//! One typed configuration, layered: defaults → `hairyo.toml` → `HAIRYO_*` environment →
//! command-line flags. Every key is documented in `hairyo.example.toml`.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The service configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Data directory: SQLite database, encrypted blobs, master key file.
    pub data_dir: PathBuf,
    /// `postgres://…` for the scaled mode; unset for the embedded SQLite database.
    pub database_url: Option<String>,
    /// Largest upload accepted, in bytes.
    pub max_upload_bytes: usize,
    /// How long one document's scan may take before it is held as unscannable, in seconds.
    pub scan_timeout_secs: u64,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// A folder of dictionary files (`*.toml`, as in `dictionaries/`) to use instead of the
    /// built-in ones; unset for the built-in dictionaries.
    pub dictionaries_dir: Option<PathBuf>,
    /// Rescan workers run inside `hairyo serve` (0: only separate `hairyo worker` processes).
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./hairyo-data"),
            database_url: None,
            max_upload_bytes: 20 * 1024 * 1024,
            scan_timeout_secs: 60,
            log_format: "text".into(),
            dictionaries_dir: None,
            workers: 1,
        }
    }
}

/// Why the configuration could not be loaded: the message names the offending key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Config {
    /// Loads defaults, then `file` (if it exists), then `HAIRYO_*` variables, then `overrides`
    /// (already-parsed flags, only the keys that were given).
    pub fn load(file: &Path, overrides: impl Serialize) -> Result<Self, ConfigError> {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("HAIRYO_").only(&[
                "listen",
                "data_dir",
                "database_url",
                "max_upload_bytes",
                "scan_timeout_secs",
                "log_format",
                "dictionaries_dir",
                "workers",
            ]))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| ConfigError(Box::new(e)))
    }
}
