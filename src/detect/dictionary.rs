//! The curated dictionaries: one reviewable TOML file per category plus `context.toml`,
//! loaded from `dictionaries/` (embedded at build time, or a folder given at run time).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Category;
use super::learned::Model;
use super::variants::{Variants, VariantsFile};

/// The file name of the learned sentence model among the dictionaries.
pub(crate) const LEARNED: &str = "learned.tsv";
/// The file name of the spelling variants among the dictionaries.
pub(crate) const VARIANTS: &str = "variants.toml";

/// The dictionaries compiled into the binary, by file name.
const EMBEDDED: &[(&str, &str)] = &[
    ("context.toml", include_str!("../../dictionaries/context.toml")),
    ("race.toml", include_str!("../../dictionaries/race.toml")),
    ("creed.toml", include_str!("../../dictionaries/creed.toml")),
    ("social_status.toml", include_str!("../../dictionaries/social_status.toml")),
    ("medical_history.toml", include_str!("../../dictionaries/medical_history.toml")),
    ("disability.toml", include_str!("../../dictionaries/disability.toml")),
    ("health_checkup.toml", include_str!("../../dictionaries/health_checkup.toml")),
    ("medical_care.toml", include_str!("../../dictionaries/medical_care.toml")),
    ("criminal_record.toml", include_str!("../../dictionaries/criminal_record.toml")),
    ("crime_victim.toml", include_str!("../../dictionaries/crime_victim.toml")),
    ("criminal_procedure.toml", include_str!("../../dictionaries/criminal_procedure.toml")),
    ("juvenile_procedure.toml", include_str!("../../dictionaries/juvenile_procedure.toml")),
    ("family_origin.toml", include_str!("../../dictionaries/family_origin.toml")),
    ("union_membership.toml", include_str!("../../dictionaries/union_membership.toml")),
    ("variants.toml", include_str!("../../dictionaries/variants.toml")),
    ("learned.tsv", include_str!("../../dictionaries/learned.tsv")),
];

/// Why the dictionaries could not be loaded. Messages name the file and entry, never text
/// from a document.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// A file could not be read.
    #[error("cannot read dictionary file {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not valid TOML of the expected shape.
    #[error("dictionary file {file} is invalid: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// An entry is inconsistent (unknown category, bad pattern, duplicate id, ...).
    #[error("dictionary file {file}, entry {entry}: {message}")]
    Entry {
        /// The file.
        file: String,
        /// The entry id.
        entry: String,
        /// What is wrong.
        message: String,
    },
}

/// Context rules that can cancel a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppressor {
    /// A negation or an empty field follows the term (前科はありません, 既往歴：なし).
    Negation,
    /// The term is about someone else (母の病気, 患者の, 被告人の).
    ThirdParty,
    /// Like `ThirdParty`, but a relative or other person counts only as the subject
    /// (妹が詐欺の被害に遭った), not as the owner (父の暴力 harms the candidate).
    ThirdPartySubject,
    /// The sentence describes the candidate's work in the field.
    Work,
    /// The sentence describes the candidate's studies of the field.
    Study,
}

/// Where a match must fall relative to the tokenizer's morphemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// Start and end on morpheme boundaries (がん in がんばる does not match).
    #[default]
    Token,
    /// Only the start on a boundary (for stems followed by inflection).
    Start,
    /// Anywhere (long kanji compounds that cannot be part of another word).
    None,
}

/// One category file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryFile {
    pub category: String,
    #[serde(default)]
    #[allow(dead_code)]
    pub description: String,
    /// Context rules applied to every entry unless the entry overrides them.
    #[serde(default)]
    pub suppress: Vec<Suppressor>,
    /// Résumé sections in which a match is more certain.
    #[serde(default)]
    pub sections: Vec<String>,
    #[serde(rename = "entry", default)]
    pub entries: Vec<EntrySpec>,
}

/// One dictionary entry: terms, patterns or base forms, with the context they need.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntrySpec {
    pub id: String,
    #[serde(default)]
    pub terms: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    #[serde(default)]
    pub lemmas: Vec<String>,
    #[serde(default = "default_confidence")]
    pub confidence: f32,
    #[serde(default)]
    pub boundary: Boundary,
    /// Cue sets of `context.toml`: at least one cue of one of them must be in the sentence.
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub suppress: Option<Vec<Suppressor>>,
    /// Phrases that cancel the entry when they occur in the same sentence (協同組合 for 組合員).
    #[serde(default)]
    pub unless: Vec<String>,
    /// The morpheme before the match (or before の/で/に) must be a place name, which then
    /// becomes part of the finding (名古屋生まれ, ブラジルの出身).
    #[serde(default)]
    pub place_before: bool,
    /// Patterns with a leading character class: start after the last line break or space the
    /// source had inside the match.
    #[serde(default)]
    pub trim_at_breaks: bool,
    #[serde(default)]
    #[allow(dead_code)]
    pub note: String,
}

fn default_confidence() -> f32 {
    0.85
}

/// `context.toml`: cue word lists and section headings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContextFile {
    /// Named cue sets (family, work, study, self, faith, ...).
    pub cues: BTreeMap<String, Vec<String>>,
    /// Section id -> headings.
    pub sections: BTreeMap<String, Vec<String>>,
    pub negation: NegationSpec,
    /// Nouns that, right after a term, make it a field or an organisation (推進, 防止, 領域).
    #[serde(default)]
    pub topic_suffixes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NegationSpec {
    /// Surfaces or base forms that negate what precedes them.
    pub negators: Vec<String>,
    /// Verbs (base forms) that may stand between a term and its negator (受けて-おりません).
    pub light_verbs: Vec<String>,
    /// Nouns that may stand between a term and its negator (通院の必要はありません).
    #[serde(default)]
    pub bridge_nouns: Vec<String>,
    /// How many morphemes after the term to look.
    pub window: usize,
}

/// All dictionary files, parsed, with their content hash and their text (kept so that a
/// later version can be diffed against this one).
#[derive(Debug)]
pub(crate) struct DictionarySet {
    pub context: ContextFile,
    pub categories: Vec<(String, Category, CategoryFile)>,
    /// The learned sentence model, when the set has one.
    pub model: Option<Model>,
    /// Spelling variants of the terms (`variants.toml`; none when absent).
    pub variants: Variants,
    pub hash: String,
    pub files: Vec<(String, String)>,
}

impl DictionarySet {
    /// The dictionaries built into the binary.
    pub fn embedded() -> Result<Self, DictionaryError> {
        Self::parse(EMBEDDED.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect())
    }

    /// Every `*.toml` file in `dir` (one `context.toml` and one file per category) and the
    /// learned model `learned.tsv`, if there is one.
    pub fn from_dir(dir: &Path) -> Result<Self, DictionaryError> {
        let read_err = |source| DictionaryError::Read { file: dir.display().to_string(), source };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            if path.extension().is_some_and(|e| e == "toml") || path.file_name().is_some_and(|n| n == LEARNED) {
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| DictionaryError::Read { file: name.clone(), source })?;
                files.push((name, text));
            }
        }
        Self::parse(files)
    }

    /// Parses dictionary files given as (file name, TOML text).
    pub fn parse(mut files: Vec<(String, String)>) -> Result<Self, DictionaryError> {
        files.sort();
        let texts = files.clone();
        let mut hasher = Sha256::new();
        for (name, text) in &files {
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        let hash = hex::encode(hasher.finalize());
        let mut context = None;
        let mut categories = Vec::new();
        let mut model = None;
        let mut variants = Variants::default();
        for (name, text) in files {
            if name == LEARNED {
                let m = Model::parse(&text)
                    .map_err(|e| DictionaryError::Parse { file: name.clone(), message: e.to_string() })?;
                model = Some(m);
                continue;
            }
            let parse_err =
                |e: toml::de::Error| DictionaryError::Parse { file: name.clone(), message: e.message().to_string() };
            if name == VARIANTS {
                variants = Variants::new(&toml::from_str::<VariantsFile>(&text).map_err(parse_err)?);
                continue;
            }
            if name == "context.toml" {
                context = Some(toml::from_str::<ContextFile>(&text).map_err(parse_err)?);
                continue;
            }
            let file: CategoryFile = toml::from_str(&text).map_err(parse_err)?;
            let category = Category::from_id(&file.category).ok_or_else(|| DictionaryError::Entry {
                file: name.clone(),
                entry: "-".into(),
                message: format!("unknown category id {:?}", file.category),
            })?;
            categories.push((name, category, file));
        }
        let context =
            context.ok_or_else(|| DictionaryError::Parse { file: "context.toml".into(), message: "missing".into() })?;
        Ok(Self { context, categories, model, variants, hash, files: texts })
    }
}
