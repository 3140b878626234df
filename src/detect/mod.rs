//! Detection: dictionaries, matchers, context rules and identifiers -> findings.
//!
//! A [`Detector`] is compiled once from the dictionaries (`dictionaries/*.toml`) and shared.
//! For each text it normalises, segments with Lindera, finds candidate spans (aho-corasick
//! over terms, regular expressions, base forms of verbs), checks them against morpheme
//! boundaries, and then asks the context rules ([`context`]) whether the span is about the
//! candidate: not negated, not a relative or a patient, not the candidate's job or studies.
//! A learned sentence model ([`learned`]) gives a second opinion: it adds findings the
//! dictionaries miss and keeps candidates a context rule would cancel on a mere nearby cue.
//! Every finding keeps the rule that fired and byte offsets into the extracted text.

mod category;
mod context;
mod delta;
mod dictionary;
mod engine;
mod learned;
mod my_number;
mod sketch;
mod variants;

pub use category::{Action, Category};
pub use delta::Delta;
pub use dictionary::{Boundary, DictionaryError, Suppressor};
pub use engine::{DetectError, Detector, ENGINE};
pub use learned::{
    CATEGORIES as MODEL_CATEGORIES, Counts, Model, ModelError, OVERRULABLE, Sample, TrainOptions, tally, train,
};
pub use sketch::Sketch;

use serde::{Deserialize, Serialize};

/// One piece of evidence: what was found, where, how sure, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The taxonomy category.
    pub category: Category,
    /// Start byte offset into the extracted text.
    pub start: usize,
    /// End byte offset (exclusive) into the extracted text.
    pub end: usize,
    /// The extracted text at `start..end`.
    pub text: String,
    /// Confidence in [0, 1], two decimals.
    pub confidence: f64,
    /// The dictionary entry or rule that fired, e.g. `medical_history.mental`, or
    /// `learned.<category>` for the sentence model. Never holds document text: it is stored
    /// and logged as it is.
    pub rule: String,
    /// Why, in words a reviewer can check: the entry and section, the context cue that
    /// almost cancelled it, or the n-grams that weighed most in the model. It quotes the
    /// document, so it is shown with the finding and never stored or logged.
    #[serde(default)]
    pub explanation: String,
}

/// A candidate that a context rule cancelled, kept so reports can explain silence too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    /// The category the candidate would have had.
    pub category: Category,
    /// Start byte offset into the extracted text.
    pub start: usize,
    /// End byte offset into the extracted text.
    pub end: usize,
    /// The rule that matched.
    pub rule: String,
    /// The context rule that cancelled it (`negation`, `third_party`, `work`, `study`,
    /// `topic`, `label`, `requires`, `unless` (a phrase holding the match), `unless_near` (an
    /// entry's phrase elsewhere in the clause), `check_digit`).
    pub reason: String,
}

/// The result of scanning one text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Findings in text order.
    pub findings: Vec<Finding>,
    /// Cancelled candidates in text order.
    pub suppressed: Vec<Suppressed>,
}
