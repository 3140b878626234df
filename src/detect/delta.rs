//! What a dictionary change can affect, for incremental rescans.
//!
//! A finding depends on the text, the context rules (`context.toml`), the engine, the
//! tokenizer dictionary, and the raw candidates: the spans where some entry's term, pattern
//! or base form matched. Each entry's raw matches are independent of every other entry
//! (overlapping term matches, one regular expression per pattern, base forms per morpheme),
//! and [`Detector::scan`] equals the exhaustive scan whichever regions it segments. So when
//! the context, engine and tokenizer are unchanged, a text in which no added, changed or
//! removed entry has a raw match (in its old or its new form) has exactly the raw candidates
//! it had before, and therefore the same findings and the same cancelled candidates. Only the
//! texts where such an entry matches need the full scan; a [`Delta`] finds them with a
//! detector built from those entries alone.
//!
//! Within one entry, each term, pattern and base form matches on its own too. So an entry
//! whose only change is in its lists (a term added, as most dictionary edits are) keeps the
//! raw candidates of the items both versions list, and the prefilter needs only the items
//! that were added or removed.

use std::collections::{HashMap, HashSet};

use super::dictionary::{CategoryFile, DictionarySet, EntrySpec, LEARNED, Suppressor};
use super::engine::{DetectError, Detector, ENGINE};
use super::sketch::Sketch;
use crate::tokenize::normalize;

/// The entries that differ between two dictionary versions, compiled into a prefilter.
pub struct Delta {
    prefilter: Option<Detector>,
    entries: usize,
}

impl std::fmt::Debug for Delta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delta").field("entries", &self.entries).finish()
    }
}

/// An entry as it acts on detection: its spec without the note, and the file-level rules it
/// inherits.
#[derive(Clone, PartialEq)]
struct Effective {
    spec: EntrySpec,
    suppress: Vec<Suppressor>,
    sections: Vec<String>,
}

fn effective(set: &DictionarySet) -> (Vec<String>, HashMap<String, Effective>) {
    let mut order = Vec::new();
    let mut map = HashMap::new();
    for (_, category, file) in &set.categories {
        for entry in &file.entries {
            let name = format!("{}.{}", category.id(), entry.id);
            let mut spec = entry.clone();
            spec.note.clear();
            let suppress = entry.suppress.clone().unwrap_or_else(|| file.suppress.clone());
            order.push(name.clone());
            map.insert(name, Effective { spec, suppress, sections: file.sections.clone() });
        }
    }
    (order, map)
}

impl Effective {
    /// Everything but the terms, patterns and base forms.
    fn conditions(&self) -> Self {
        let spec = EntrySpec { terms: Vec::new(), patterns: Vec::new(), lemmas: Vec::new(), ..self.spec.clone() };
        Self { spec, ..self.clone() }
    }
}

/// The items of `a` that `b` does not list as many times (a multiset difference).
fn missing_from(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest: Vec<&String> = b.iter().collect();
    a.iter()
        .filter(|x| match rest.iter().position(|y| y == x) {
            Some(i) => {
                rest.swap_remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

/// The items either list has and the other lacks.
fn either_only(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = missing_from(a, b);
    out.extend(missing_from(b, a));
    out
}

/// The tokenizer part of a detector version (`dict-….ipadic-…`).
fn tokenizer_part(version: &str) -> Option<&str> {
    version.split_once(".ipadic-").map(|(_, t)| t)
}

impl Delta {
    /// What changed from the dictionaries `old_files` (of detector version `old_version`,
    /// built by engine `old_engine`) to `new`'s. `None` when the change can affect any text:
    /// a different engine, tokenizer, context file, variant table or learned model, or entries
    /// that swapped places.
    pub fn between(
        old_files: Vec<(String, String)>,
        old_version: &str,
        old_engine: &str,
        new: &Detector,
    ) -> Result<Option<Self>, DetectError> {
        if old_engine != ENGINE || tokenizer_part(old_version) != tokenizer_part(new.version()) {
            return Ok(None);
        }
        let old = DictionarySet::parse(old_files)?;
        let cur = DictionarySet::parse(new.dictionary_files().to_vec())?;
        // A retrained model, like the context rules, can change findings in any text.
        let model_text = |files: &[(String, String)]| files.iter().find(|(n, _)| n == LEARNED).map(|(_, t)| t.clone());
        if old.context != cur.context
            || old.variants != cur.variants
            || model_text(&old.files) != model_text(&cur.files)
        {
            return Ok(None);
        }
        let (old_order, old_map) = effective(&old);
        let (new_order, new_map) = effective(&cur);
        // Entries both versions have with the same conditions (unchanged, or changed only in
        // their terms, patterns or base forms).
        let stays: HashSet<&String> = old_map
            .keys()
            .filter(|n| new_map.get(*n).is_some_and(|e| e.conditions() == old_map[*n].conditions()))
            .collect();
        // Candidates are ordered by rule index on equal spans: those entries must keep their
        // relative order.
        if !old_order.iter().filter(|n| stays.contains(n)).eq(new_order.iter().filter(|n| stays.contains(n))) {
            return Ok(None);
        }
        // The prefilter: entries that do not stay, from both versions (old forms renamed so both
        // forms fit in one detector), and of those that stay the items only one version lists.
        // Raw matching only needs terms, patterns and base forms, so conditions are dropped.
        let mut categories = Vec::new();
        let mut entries = 0;
        for (set, suffix) in [(&cur, ""), (&old, "~old")] {
            for (file_name, category, file) in &set.categories {
                let changed: Vec<EntrySpec> = file
                    .entries
                    .iter()
                    .filter_map(|e| {
                        let name = format!("{}.{}", category.id(), e.id);
                        let spec = if !stays.contains(&name) {
                            e.clone()
                        } else if suffix.is_empty() {
                            let (o, n) = (&old_map[&name].spec, &e);
                            EntrySpec {
                                terms: either_only(&n.terms, &o.terms),
                                patterns: either_only(&n.patterns, &o.patterns),
                                lemmas: either_only(&n.lemmas, &o.lemmas),
                                ..e.clone()
                            }
                        } else {
                            // Listed once, with the new version.
                            return None;
                        };
                        let empty = spec.terms.is_empty() && spec.patterns.is_empty() && spec.lemmas.is_empty();
                        (!empty).then(|| EntrySpec {
                            id: format!("{}{suffix}", e.id),
                            requires: Vec::new(),
                            unless: Vec::new(),
                            ..spec
                        })
                    })
                    .collect();
                if changed.is_empty() {
                    continue;
                }
                entries += changed.len();
                let file = CategoryFile { sections: Vec::new(), entries: changed, ..file.clone() };
                categories.push((format!("{file_name}{suffix}"), *category, file));
            }
        }
        let prefilter = if entries == 0 {
            None
        } else {
            let set = DictionarySet {
                context: cur.context.clone(),
                categories,
                model: None,
                variants: cur.variants.clone(),
                hash: String::from("delta"),
                files: Vec::new(),
            };
            Some(Detector::build(set, new.tokenizer().clone())?)
        };
        Ok(Some(Self { prefilter, entries }))
    }

    /// How many entries the prefilter holds (added, changed or removed; an entry whose lists
    /// alone changed counts once, with only the items that differ).
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Whether the change can alter this text's findings: some differing entry matches it.
    /// When this is false, the text's findings under the new dictionaries are the old ones.
    pub fn may_affect(&self, text: &str) -> bool {
        match &self.prefilter {
            None => false,
            Some(p) => p.has_raw_candidate(&normalize(text).text),
        }
    }

    /// Whether the change can alter the findings of the text `sketch` was made from. False
    /// is exact: no differing item's necessary literal occurs in the text (a [`Sketch`] has
    /// no false negatives). True means the text must be read and tried with
    /// [`Delta::may_affect`].
    pub fn may_affect_sketch(&self, sketch: &Sketch) -> bool {
        match &self.prefilter {
            None => false,
            Some(p) => p.necessary_literals().is_none_or(|lits| lits.iter().any(|l| sketch.may_contain(l))),
        }
    }
}
