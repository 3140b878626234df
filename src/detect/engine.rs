//! The compiled detector: automata built once from the dictionaries, shared read-only.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::context::{Context, Cue, CueSets, is_sentence_end};
use super::dictionary::{Boundary, DictionaryError, DictionarySet, Suppressor};
use super::learned::{self, Model, Scores};
use super::my_number;
use super::{Action, Category, Detection, Finding, Suppressed};
use crate::tokenize::{Analysis, Normalized, Tokenizer, TokenizerError, normalize, normalize_term};

/// Why a text could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// The dictionaries are invalid.
    #[error(transparent)]
    Dictionary(#[from] DictionaryError),
    /// The tokenizer could not be loaded or failed.
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
}

impl DetectError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DetectError::Dictionary(_) => "dictionary_invalid",
            DetectError::Tokenizer(_) => "tokenizer_failed",
        }
    }
}

/// Where a pattern's necessary literals stand in every match.
#[derive(Debug, Clone, Copy)]
enum AnchorKind {
    Prefix,
    Suffix,
}

/// A compiled pattern with the literals every match starts or ends with, if any, and the
/// longest match in bytes, if bounded.
#[derive(Debug)]
struct Pattern {
    rule: usize,
    re: Regex,
    anchor: Option<(AnchorKind, Vec<String>)>,
    max_len: Option<usize>,
}

/// The prefix (or else suffix) literals every match of `pattern` must start (end) with, and
/// its longest match. Patterns with look-around or unbounded repetition scan the whole text.
fn anchors_of(pattern: &str) -> (Option<(AnchorKind, Vec<String>)>, Option<usize>) {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else { return (None, None) };
    let props = hir.properties();
    if !props.look_set().is_empty() {
        return (None, None);
    }
    let max_len = props.maximum_len();
    for (kind, extract) in [(AnchorKind::Prefix, ExtractKind::Prefix), (AnchorKind::Suffix, ExtractKind::Suffix)] {
        let seq = Extractor::new().kind(extract).limit_total(500).extract(&hir);
        if let Some(lits) = seq.literals() {
            let words: Option<Vec<String>> =
                lits.iter().map(|l| String::from_utf8(l.as_bytes().to_vec()).ok().filter(|w| !w.is_empty())).collect();
            if let Some(words) = words.filter(|w| !w.is_empty()) {
                return (Some((kind, words)), max_len);
            }
        }
    }
    (None, max_len)
}

fn floor_boundary(t: &str, mut at: usize) -> usize {
    while at > 0 && !t.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(t: &str, mut at: usize) -> usize {
    while at < t.len() && !t.is_char_boundary(at) {
        at += 1;
    }
    at.min(t.len())
}

/// One compiled dictionary entry.
#[derive(Debug)]
struct Rule {
    category: Category,
    name: String,
    confidence: f32,
    boundary: Boundary,
    requires: Vec<usize>,
    suppress: Vec<Suppressor>,
    sections: Vec<usize>,
    unless: Vec<String>,
    place_before: bool,
    trim_at_breaks: bool,
}

/// The detector: compiled dictionaries plus the shared tokenizer. Build once, share by `Arc`.
pub struct Detector {
    tokenizer: Arc<Tokenizer>,
    rules: Vec<Rule>,
    terms: AhoCorasick,
    term_rule: Vec<usize>,
    patterns: Vec<Pattern>,
    anchors: AhoCorasick,
    anchor_owner: Vec<usize>,
    lemmas: HashMap<String, Vec<usize>>,
    lemma_first: Vec<char>,
    /// Literals one of which every text with a raw candidate contains (see
    /// [`Detector::necessary_literals`]).
    literals: Option<Vec<String>>,
    cues: AhoCorasick,
    cue_set: Vec<usize>,
    sets: CueSets,
    my_number_context: usize,
    other_number_context: usize,
    sections: AhoCorasick,
    section_of: Vec<usize>,
    section_names: Vec<String>,
    career_section: Option<usize>,
    negators: Vec<String>,
    light_verbs: Vec<String>,
    bridge_nouns: Vec<String>,
    topic_suffixes: Vec<String>,
    window: usize,
    model: Option<Model>,
    version: String,
    dictionary_hash: String,
    files: Arc<Vec<(String, String)>>,
}

/// The detection code's own version: findings depend on it as much as on the dictionaries.
/// Bump the revision whenever a change to the engine or the context rules can change a
/// finding; incremental rescans only diff dictionaries under the same engine.
pub const ENGINE: &str = concat!("hairyo-", env!("CARGO_PKG_VERSION"), "-r2");

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector").field("version", &self.version).field("rules", &self.rules.len()).finish()
    }
}

/// A candidate span in the normalised text.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
}

impl Detector {
    /// The detector with the built-in dictionaries and the shared tokenizer.
    pub fn embedded() -> Result<Self, DetectError> {
        Self::build(DictionarySet::embedded()?, Tokenizer::shared()?)
    }

    /// The detector with the dictionaries in `dir`.
    pub fn from_dir(dir: &Path) -> Result<Self, DetectError> {
        Self::build(DictionarySet::from_dir(dir)?, Tokenizer::shared()?)
    }

    /// The detector with dictionaries given as (file name, TOML text), as
    /// [`Detector::dictionary_files`] returns them.
    pub fn from_files(files: Vec<(String, String)>) -> Result<Self, DetectError> {
        Self::build(DictionarySet::parse(files)?, Tokenizer::shared()?)
    }

    pub(super) fn build(set: DictionarySet, tokenizer: Arc<Tokenizer>) -> Result<Self, DetectError> {
        let entry_err = |file: &str, entry: &str, message: String| DictionaryError::Entry {
            file: file.to_string(),
            entry: entry.to_string(),
            message,
        };
        // Cue sets and sections from context.toml.
        let cue_names: Vec<String> = set.context.cues.keys().cloned().collect();
        let cue_index = |name: &str| cue_names.iter().position(|n| n == name);
        let builtin = |name: &str| {
            cue_index(name).ok_or_else(|| entry_err("context.toml", name, "required cue set is missing".into()))
        };
        let sets = CueSets {
            family: builtin("family")?,
            third_party: builtin("third_party")?,
            work: builtin("work")?,
            work_local: builtin("work_local")?,
            person: builtin("person")?,
            study: builtin("study")?,
            self_ref: builtin("self")?,
            generic: builtin("generic")?,
        };
        let my_number_context = builtin("my_number")?;
        let other_number_context = builtin("other_number")?;
        let mut cue_words = Vec::new();
        let mut cue_set = Vec::new();
        for (i, words) in set.context.cues.values().enumerate() {
            for w in words {
                cue_words.push(normalize_term(w));
                cue_set.push(i);
            }
        }
        let section_names: Vec<String> = set.context.sections.keys().cloned().collect();
        let mut section_words = Vec::new();
        let mut section_of = Vec::new();
        for (i, words) in set.context.sections.values().enumerate() {
            for w in words {
                section_words.push(normalize_term(w));
                section_of.push(i);
            }
        }

        let mut rules = Vec::new();
        let mut terms = Vec::new();
        let mut term_rule = Vec::new();
        let mut patterns = Vec::new();
        let mut lemmas: HashMap<String, Vec<usize>> = HashMap::new();
        let mut seen = HashSet::new();
        // (rule, term) pairs already listed: a spelling may come from two terms of one entry.
        let mut listed: HashSet<(usize, String)> = HashSet::new();
        for (file, category, spec) in &set.categories {
            for entry in &spec.entries {
                let name = format!("{}.{}", category.id(), entry.id);
                if !seen.insert(name.clone()) {
                    return Err(entry_err(file, &entry.id, "duplicate entry id".into()).into());
                }
                if entry.terms.is_empty() && entry.patterns.is_empty() && entry.lemmas.is_empty() {
                    return Err(entry_err(file, &entry.id, "no terms, patterns or lemmas".into()).into());
                }
                if !(0.0..=1.0).contains(&entry.confidence) {
                    return Err(entry_err(file, &entry.id, "confidence must be in [0, 1]".into()).into());
                }
                let requires = entry
                    .requires
                    .iter()
                    .map(|r| cue_index(r).ok_or_else(|| entry_err(file, &entry.id, format!("unknown cue set {r:?}"))))
                    .collect::<Result<Vec<_>, _>>()?;
                let sections = spec
                    .sections
                    .iter()
                    .map(|s| {
                        section_names
                            .iter()
                            .position(|n| n == s)
                            .ok_or_else(|| entry_err(file, "-", format!("unknown section {s:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let idx = rules.len();
                rules.push(Rule {
                    category: *category,
                    name,
                    confidence: entry.confidence,
                    boundary: entry.boundary,
                    requires,
                    suppress: entry.suppress.clone().unwrap_or_else(|| spec.suppress.clone()),
                    sections,
                    unless: entry.unless.iter().map(|u| normalize_term(u)).collect(),
                    place_before: entry.place_before,
                    trim_at_breaks: entry.trim_at_breaks,
                });
                for t in &entry.terms {
                    let t = normalize_term(t);
                    if t.is_empty() {
                        return Err(entry_err(file, &entry.id, "empty term".into()).into());
                    }
                    for spelling in set.variants.expand(&t) {
                        if listed.insert((idx, spelling.clone())) {
                            terms.push(spelling);
                            term_rule.push(idx);
                        }
                    }
                }
                for p in &entry.patterns {
                    let re = Regex::new(p).map_err(|e| entry_err(file, &entry.id, format!("bad pattern: {e}")))?;
                    let (anchor, max_len) = anchors_of(p);
                    patterns.push(Pattern { rule: idx, re, anchor, max_len });
                }
                for l in &entry.lemmas {
                    lemmas.entry(l.clone()).or_default().push(idx);
                }
            }
        }
        let build_ac = |words: &[String]| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(words)
                .map_err(|e| entry_err("-", "-", format!("automaton: {e}")))
        };
        let mut lemma_first: Vec<char> = lemmas.keys().filter_map(|l| l.chars().next()).collect();
        lemma_first.sort_unstable();
        lemma_first.dedup();
        let mut anchor_words = Vec::new();
        let mut anchor_owner = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            if let Some((_, words)) = &p.anchor {
                for w in words {
                    anchor_words.push(w.clone());
                    anchor_owner.push(i);
                }
            }
        }

        let mut literals = Some(terms.clone());
        for p in &patterns {
            match (&p.anchor, literals.as_mut()) {
                (Some((_, words)), Some(l)) => l.extend(words.iter().cloned()),
                _ => literals = None,
            }
        }
        if let Some(l) = literals.as_mut() {
            l.extend(lemma_first.iter().map(|c| c.to_string()));
        }

        let version = format!(
            "dict-{}.ipadic-{}",
            &set.hash[..16.min(set.hash.len())],
            &tokenizer.checksum()[..16.min(tokenizer.checksum().len())]
        );
        Ok(Self {
            terms: build_ac(&terms)?,
            term_rule,
            patterns,
            anchors: build_ac(&anchor_words)?,
            anchor_owner,
            lemmas,
            lemma_first,
            literals,
            cues: build_ac(&cue_words)?,
            cue_set,
            sets,
            my_number_context,
            other_number_context,
            sections: build_ac(&section_words)?,
            section_of,
            career_section: section_names.iter().position(|n| n == "career"),
            section_names,
            negators: set.context.negation.negators.clone(),
            light_verbs: set.context.negation.light_verbs.clone(),
            bridge_nouns: set.context.negation.bridge_nouns.clone(),
            topic_suffixes: set.context.topic_suffixes.clone(),
            window: set.context.negation.window,
            model: set.model,
            rules,
            tokenizer,
            version,
            dictionary_hash: set.hash,
            files: Arc::new(set.files),
        })
    }

    /// The detector version: the dictionaries' content hash and the tokenizer dictionary's
    /// checksum. Findings depend on both, so rescans compare it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The content hash of the dictionary files alone.
    pub fn dictionary_hash(&self) -> &str {
        &self.dictionary_hash
    }

    /// The dictionary files this detector was built from, sorted by name.
    pub fn dictionary_files(&self) -> &[(String, String)] {
        &self.files
    }

    /// Literals of which a normalised text with a raw candidate contains at least one: every
    /// term, the prefix or suffix literals of every pattern, the first character of every
    /// base form. `None` when some pattern has no such literals (it can match anywhere).
    pub(super) fn necessary_literals(&self) -> Option<&[String]> {
        self.literals.as_deref()
    }

    /// Whether any entry could match in normalised text: a term or pattern match, or a
    /// character that starts a base form (the cheap first stage of [`Detector::scan`]).
    pub(super) fn has_raw_candidate(&self, ntext: &str) -> bool {
        !self.raw_candidates(ntext).is_empty() || ntext.chars().any(|c| self.lemma_first.contains(&c))
    }

    /// The shared tokenizer.
    pub fn tokenizer(&self) -> &Arc<Tokenizer> {
        &self.tokenizer
    }

    /// Scans extracted text. Offsets in the result point into `text`.
    pub fn scan(&self, text: &str) -> Result<Detection, DetectError> {
        self.scan_with(text, false)
    }

    /// Scans with the whole text segmented: the reference that [`Detector::scan`] must equal
    /// (it segments only the sentences where something can be found).
    pub fn scan_exhaustive(&self, text: &str) -> Result<Detection, DetectError> {
        self.scan_with(text, true)
    }

    fn scan_with(&self, text: &str, exhaustive: bool) -> Result<Detection, DetectError> {
        let normalized = normalize(text);
        let ntext = normalized.text.as_str();
        let raw = self.raw_candidates(ntext);
        let numbers = my_number::find_candidates(ntext);
        // Only sentences that hold a candidate need morphemes: segment those, on the
        // boundaries where Lindera cuts the text anyway, so the morphemes are the same.
        let regions = if exhaustive {
            vec![(0, ntext.len())]
        } else {
            let mut spots: Vec<(usize, usize)> = raw.iter().map(|c| (c.start, c.end)).collect();
            spots.extend(numbers.iter().map(|m| (m.start, m.end)));
            spots.extend(
                ntext.char_indices().filter(|(_, c)| self.lemma_first.contains(c)).map(|(i, c)| (i, i + c.len_utf8())),
            );
            regions_around(ntext, spots)
        };
        let analysis = self.tokenizer.analyze_regions(&normalized, &regions)?;
        let cues = self.find_cues(&analysis, &regions);
        let ctx = Context {
            analysis: &analysis,
            cues: &cues,
            sets: &self.sets,
            negators: &self.negators,
            light_verbs: &self.light_verbs,
            bridge_nouns: &self.bridge_nouns,
            window: self.window,
        };
        let headings = self.find_sections(ntext, text, &normalized);

        // Judge every candidate, then let a cancelled list item cancel the items before it.
        let mut judged: Vec<(Candidate, Option<String>)> = Vec::new();
        for mut cand in self.candidates(&analysis, raw) {
            let rule = &self.rules[cand.rule];
            if rule.place_before {
                match place_before(&analysis, cand.start) {
                    Some(start) => cand.start = start,
                    None => continue,
                }
            }
            if rule.trim_at_breaks {
                match trim_at_breaks(&analysis, &normalized, text, cand.start, cand.end, rule.boundary) {
                    Some(start) => cand.start = start,
                    None => continue,
                }
            }
            let reason = self.judge(&ctx, rule, cand, &headings);
            judged.push((cand, reason));
        }
        propagate_through_lists(ntext, &mut judged);
        propagate_to_nested(&mut judged, |c| self.rules[c.rule].category);
        // The model's opinion of every sentence (not only those with candidates).
        let sentences = self.model.as_ref().map(|m| score_sentences(m, ntext)).unwrap_or_default();

        let mut found: Vec<Hit> = Vec::new();
        let mut suppressed = Vec::new();
        // Cancelled candidates in normalised offsets: where a rule has spoken, the model's
        // opinion counts only through the keep thresholds.
        let mut suppressed_spans: Vec<(Category, usize, usize, bool)> = Vec::new();
        for (cand, reason) in judged {
            let rule = &self.rules[cand.rule];
            let mut confidence = rule.confidence;
            let mut name = rule.name.clone();
            let mut explanation = format!("matched {}", rule.name);
            if let Some(reason) = reason {
                // Recall first: a cue that is only nearby (a job or study word, a topic word, a
                // label, an entry's phrase elsewhere in the clause) does not cancel what the
                // model reads as the candidate's own.
                // Under a career heading (職務経歴, 業務内容) the lines describe jobs, with the
                // candidate as the actor: every context rule stands there.
                let career = self.career_section.is_some() && section_at(&headings, cand.start) == self.career_section;
                // A work cue elsewhere in the sentence, not framing the term, cancels rightly
                // about a quarter of the time (train_model's report, "work_near"): outside a
                // career section it only lowers the confidence, and the reviewer decides.
                let why = if reason == "work_near" && !career {
                    Some(format!(
                        "matched {}; a work cue elsewhere in the sentence does not frame it as a job: kept for review",
                        rule.name
                    ))
                } else {
                    let threshold =
                        self.model.as_ref().filter(|_| !career).and_then(|m| m.keep_threshold(&reason, rule.category));
                    threshold
                        .and_then(|t| {
                            self.sentence_score(ntext, &sentences, cand.start, rule.category).filter(|&p| p >= t)
                        })
                        .map(|p| {
                            format!(
                                "matched {}; a {reason} cue is near, but the sentence model reads the sentence as the candidate's own (p={p:.2}): kept for review",
                                rule.name
                            )
                        })
                };
                let Some(why) = why else {
                    suppressed_spans.push((rule.category, cand.start, cand.end, reason == "negation"));
                    let (start, end) = normalized.source_span(cand.start, cand.end);
                    suppressed.push(Suppressed {
                        category: rule.category,
                        start,
                        end,
                        rule: rule.name.clone(),
                        reason,
                    });
                    continue;
                };
                confidence = confidence.min(KEPT_CONFIDENCE);
                name.push_str("+kept:");
                name.push_str(&reason);
                explanation = why;
            }
            if let Some(section) = section_at(&headings, cand.start) {
                if rule.sections.contains(&section) {
                    confidence = (confidence + 0.1).min(1.0);
                    name.push_str("+section:");
                    name.push_str(&self.section_names[section]);
                    explanation.push_str("; in section ");
                    explanation.push_str(&self.section_names[section]);
                }
            }
            found.push(Hit {
                category: rule.category,
                start: cand.start,
                end: cand.end,
                confidence,
                rule: name,
                explanation,
            });
        }
        self.find_my_numbers(&ctx, &mut found, &mut suppressed, numbers, &normalized);
        if let Some(model) = &self.model {
            add_learned(model, ntext, &sentences, &suppressed_spans, &mut found);
        }

        let findings = merge(found)
            .into_iter()
            .map(|h| {
                let (start, end) = normalized.source_span(h.start, h.end);
                let confidence = (f64::from(h.confidence) * 100.0).round() / 100.0;
                Finding {
                    category: h.category,
                    start,
                    end,
                    text: text[start..end].to_string(),
                    confidence,
                    rule: h.rule,
                    explanation: h.explanation,
                }
            })
            .collect();
        suppressed.sort_by_key(|s| (s.start, s.end));
        Ok(Detection { findings, suppressed })
    }

    /// The model's score for `category` of the sentence holding `at`, if the model scores it
    /// and the sentence does not deny what it names.
    fn sentence_score(
        &self,
        text: &str,
        sentences: &[(usize, usize, Scores)],
        at: usize,
        category: Category,
    ) -> Option<f32> {
        let col = learned::column(category)?;
        let i = sentences.partition_point(|s| s.1 <= at);
        sentences.get(i).filter(|s| s.0 <= at && !denies(&text[s.0..s.1])).map(|s| s.2.0[col])
    }

    /// Why the context cancels a candidate, if it does.
    fn judge(&self, ctx: &Context<'_>, rule: &Rule, cand: Candidate, headings: &[(usize, usize)]) -> Option<String> {
        let ntext = ctx.analysis.normalized.text.as_str();
        let scopes = ctx.scopes(cand.start, cand.end);
        if !rule.unless.is_empty() {
            // A phrase that holds the match is about the word itself (がんばる for がん): it
            // always cancels. One elsewhere in the clause is a context cue like any other, which
            // the model may overrule ("unless_near").
            let (s, e) = scopes.role;
            let mut near = false;
            for u in &rule.unless {
                for (at, _) in ntext[s..e].match_indices(u.as_str()) {
                    let (us, ue) = (s + at, s + at + u.len());
                    if us < cand.end && ue > cand.start {
                        return Some("unless".into());
                    }
                    near = true;
                }
            }
            if near {
                return Some("unless_near".into());
            }
        }
        if !rule.requires.is_empty() {
            let (s, e) = scopes.sentence;
            if !rule.requires.iter().any(|&set| ctx.has_cue(set, s, e, cand.start, cand.end)) {
                return Some("requires".into());
            }
        }
        if rule.category != Category::FamilyOrigin && ctx.is_label(cand.start, cand.end) {
            return Some("label".into());
        }
        if ctx.is_topic(cand.end, &self.topic_suffixes) {
            return Some("topic".into());
        }
        if let Some(s) = ctx.suppressed_by(&rule.suppress, cand.start, cand.end, &scopes) {
            if s == Suppressor::Work {
                return Some(ctx.work_frame(cand.start, cand.end, &scopes).into());
            }
            return Some(suppressor_name(s).to_string());
        }
        let owner_rule =
            rule.suppress.iter().find(|s| matches!(s, Suppressor::ThirdParty | Suppressor::ThirdPartySubject));
        if let Some(&owner) = owner_rule {
            if ctx.someone_else_earlier(cand.start, cand.end, &scopes, owner == Suppressor::ThirdPartySubject) {
                return Some("third_party_near".into());
            }
        }
        if ctx.generic(cand.start, cand.end, &scopes) {
            return Some("generic".into());
        }
        // A bulleted line under a career heading (■職務内容 ・…) lists duties: a term there is
        // work vocabulary unless the candidate speaks of themself (休職, 私, 療養に専念).
        let (ss, se) = scopes.sentence;
        let bullet = ntext[ss..].starts_with(['・', '･', '-', '•', '●', '○', '◦', '▪', '*']);
        if bullet
            && rule.suppress.contains(&Suppressor::Work)
            && self.career_section.is_some()
            && section_at(headings, cand.start) == self.career_section
            && !ctx.has_cue(self.sets.self_ref, ss, se, cand.start, cand.end)
        {
            return Some("work".into());
        }
        None
    }

    fn boundary_ok(&self, analysis: &Analysis<'_>, boundary: Boundary, start: usize, end: usize) -> bool {
        match boundary {
            Boundary::Token => analysis.starts_token(start) && analysis.ends_token(end),
            Boundary::Start => analysis.starts_token(start),
            Boundary::None => true,
        }
    }

    /// Term and pattern matches before any morpheme is known.
    fn raw_candidates(&self, text: &str) -> Vec<Candidate> {
        let mut out = Vec::new();
        for m in self.terms.find_overlapping_iter(text) {
            out.push(Candidate { rule: self.term_rule[m.pattern().as_usize()], start: m.start(), end: m.end() });
        }
        // Patterns with necessary literals run only in windows around them (found in one
        // automaton pass); the rest scan the whole text. A combined RegexSet over these
        // Unicode classes falls back to the PikeVM and costs more than everything else.
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.patterns.len()];
        for m in self.anchors.find_overlapping_iter(text) {
            let i = self.anchor_owner[m.pattern().as_usize()];
            let p = &self.patterns[i];
            let (Some((kind, _)), Some(max)) = (&p.anchor, p.max_len) else { continue };
            let (s, e) = match kind {
                AnchorKind::Prefix => (m.start(), (m.start() + max).min(text.len())),
                AnchorKind::Suffix => (m.end().saturating_sub(max), m.end()),
            };
            windows[i].push((floor_boundary(text, s), ceil_boundary(text, e)));
        }
        for (i, p) in self.patterns.iter().enumerate() {
            if p.anchor.is_none() || p.max_len.is_none() {
                out.extend(p.re.find_iter(text).filter(|m| m.start() < m.end()).map(|m| Candidate {
                    rule: p.rule,
                    start: m.start(),
                    end: m.end(),
                }));
                continue;
            }
            let w = &mut windows[i];
            w.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::new();
            for &(s, e) in w.iter() {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            for (s, e) in merged {
                out.extend(p.re.find_iter(&text[s..e]).filter(|m| m.start() < m.end()).map(|m| Candidate {
                    rule: p.rule,
                    start: s + m.start(),
                    end: s + m.end(),
                }));
            }
        }
        out
    }

    /// Raw matches that fall on morpheme boundaries, plus base-form matches of verbs.
    fn candidates(&self, analysis: &Analysis<'_>, raw: Vec<Candidate>) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = raw
            .into_iter()
            .filter(|c| self.boundary_ok(analysis, self.rules[c.rule].boundary, c.start, c.end))
            .collect();
        if !self.lemmas.is_empty() {
            for (i, m) in analysis.morphemes.iter().enumerate() {
                let first = analysis.surface(i).chars().next();
                if !first.is_some_and(|c| self.lemma_first.contains(&c)) {
                    continue;
                }
                if let Some(rules) = self.lemmas.get(analysis.base_form(i)) {
                    for &rule in rules {
                        out.push(Candidate { rule, start: m.start as usize, end: m.end as usize });
                    }
                }
            }
        }
        out.sort_by_key(|c| (c.start, c.end, c.rule));
        out
    }

    fn find_cues(&self, analysis: &Analysis<'_>, regions: &[(usize, usize)]) -> Vec<Cue> {
        let text = analysis.normalized.text.as_str();
        let mut cues = Vec::new();
        for &(a, b) in regions {
            cues.extend(
                self.cues
                    .find_overlapping_iter(&text[a..b])
                    .map(|m| (a + m.start(), a + m.end(), m.pattern().as_usize()))
                    .filter(|&(s, e, _)| analysis.starts_token(s) && analysis.ends_token(e))
                    .map(|(start, end, p)| Cue { start, end, set: self.cue_set[p] }),
            );
        }
        cues.sort_by_key(|c| (c.start, c.end));
        cues
    }

    /// Section headings: a heading word standing alone on its line or marked (■賞罰, 【賞罰】,
    /// 賞罰：). Returns (position, section index) in text order.
    fn find_sections(&self, text: &str, source: &str, normalized: &Normalized) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for m in self.sections.find_iter(text) {
            // Judged on the source: normalisation joins a table cell's heading to its content.
            let (s, e) = normalized.source_span(m.start(), m.end());
            let before = source[..s].chars().rev().find(|c| *c != ' ' && *c != '\u{3000}' && *c != '\t');
            let after = source[e..].chars().find(|c| *c != ' ' && *c != '\u{3000}' && *c != '\t');
            let marked_before = before.is_none_or(|c| {
                matches!(c, '\n' | '\r' | '■' | '□' | '●' | '◆' | '【' | '[' | '〔' | '<' | '《' | '＜' | '［')
            });
            let marked_after =
                after.is_none_or(|c| matches!(c, '\n' | '\r' | ':' | '：' | '】' | ']' | '〕' | '>' | '》' | '＞'));
            if marked_before || marked_after {
                out.push((m.start(), self.section_of[m.pattern().as_usize()]));
            }
        }
        out
    }

    fn find_my_numbers(
        &self,
        ctx: &Context<'_>,
        found: &mut Vec<Hit>,
        suppressed: &mut Vec<Suppressed>,
        numbers: Vec<my_number::NumberMatch>,
        normalized: &Normalized,
    ) {
        for m in numbers {
            if !my_number::check_digit_ok(&m.digits) {
                let (start, end) = normalized.source_span(m.start, m.end);
                suppressed.push(Suppressed {
                    category: Category::MyNumber,
                    start,
                    end,
                    rule: "my_number.check_digit".into(),
                    reason: "check_digit".into(),
                });
                continue;
            }
            let (ss, se) = ctx.sentence(m.start, m.end);
            let keyword = ctx.has_cue(self.my_number_context, ss, se, m.start, m.end);
            let other = ctx.has_cue(self.other_number_context, ss, m.start, m.start, m.end);
            let (confidence, rule, explanation) = match (keyword, other) {
                (true, _) => (
                    0.99,
                    "my_number.check_digit+keyword",
                    "twelve digits with a valid check digit, labelled as a My Number",
                ),
                (false, false) => (0.8, "my_number.check_digit", "twelve digits with a valid check digit"),
                // A valid check digit under another number's label (顧客番号, 電話): one in
                // eleven random numbers passes, so still reported, with less confidence.
                (false, true) => (
                    0.55,
                    "my_number.check_digit+other_label",
                    "twelve digits with a valid check digit, though labelled as another number",
                ),
            };
            found.push(Hit {
                category: Category::MyNumber,
                start: m.start,
                end: m.end,
                confidence,
                rule: rule.into(),
                explanation: explanation.into(),
            });
        }
    }
}

/// The start of the place name right before `at` (skipping one の, で or に), if the
/// morphemes there are place names (名詞,固有名詞,地域 or a 地域 suffix such as 県, 市).
fn place_before(analysis: &Analysis<'_>, at: usize) -> Option<usize> {
    let mut i = analysis.morpheme_at(at);
    if i == 0 || analysis.morphemes.get(i).is_none_or(|m| m.start as usize != at) {
        return None;
    }
    i -= 1;
    if matches!(analysis.surface(i), "の" | "で" | "に") {
        i = i.checked_sub(1)?;
    }
    let is_place = |i: usize| analysis.pos(i).2 == "地域";
    if !is_place(i) {
        return None;
    }
    let mut start = analysis.morphemes[i].start as usize;
    while i > 0 && is_place(i - 1) {
        i -= 1;
        start = analysis.morphemes[i].start as usize;
    }
    Some(start)
}

/// The Lindera pieces holding the sentences around `spots`, merged: everything a candidate's
/// context rules can look at.
fn regions_around(text: &str, mut spots: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spots.sort_unstable();
    let pieces = crate::tokenize::Pieces::new(text);
    let mut regions: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spots {
        let (ss, se) = super::context::sentence_bounds(text, s, e);
        let (a, b) = pieces.bounds(ss, se.max(e));
        match regions.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => regions.push((a, b)),
        }
    }
    regions
}

/// Moves a pattern match's start past the last whitespace the source had inside it, so a
/// pattern with a leading character class cannot swallow the end of the previous line or
/// table cell (健康状態\n持病 is 持病). `None` when what remains is not a valid match.
fn trim_at_breaks(
    analysis: &Analysis<'_>,
    normalized: &Normalized,
    source: &str,
    start: usize,
    end: usize,
    boundary: Boundary,
) -> Option<usize> {
    let (s, e) = normalized.source_span(start, end);
    let Some(ws) = source[s..e].rfind(|c: char| c.is_whitespace()) else { return Some(start) };
    let cut = s + ws + source[s + ws..].chars().next().map_or(1, char::len_utf8);
    let mut at = start;
    while at < end && normalized.source_span(at, at + 1).0 < cut {
        at += 1;
    }
    while at < end && !normalized.text.is_char_boundary(at) {
        at += 1;
    }
    let ok = at < end && (boundary == Boundary::None || analysis.starts_token(at));
    ok.then_some(at)
}

/// 胃がん、大腸がんの手術を受ける患者様: the context that cancels the last item of a list
/// (joined by 、 や と ・ 及び) cancels the items before it, which share its predicate.
fn propagate_through_lists(text: &str, judged: &mut [(Candidate, Option<String>)]) {
    const JOINERS: &[&str] = &["、", ",", "や", "と", "・", "及び", "および", "または", "又は", "、また"];
    // The candidates by start (then index), so that finding the next one after a candidate is
    // a binary search: a text with many candidates must not cost their square.
    let mut by_start: Vec<(usize, usize)> = judged.iter().enumerate().map(|(i, (c, _))| (c.start, i)).collect();
    by_start.sort_unstable();
    for i in (0..judged.len()).rev() {
        if judged[i].1.is_some() {
            continue;
        }
        let end = judged[i].0.end;
        // The first candidate after this one's end, among those after it in `judged`.
        let from = by_start.partition_point(|&(s, _)| s < end);
        let next = by_start[from..].iter().find(|&&(_, j)| j > i).map(|&(_, j)| &judged[j]).filter(|(c, _)| {
            let gap = text[end..c.start].trim_end_matches(['等', 'な', 'ど']);
            JOINERS.contains(&gap)
        });
        if let Some((_, Some(reason))) = next {
            if !matches!(reason.as_str(), "unless" | "unless_near" | "requires") {
                judged[i].1 = Some(reason.clone());
            }
        }
    }
}

/// 障害者 inside 障害者雇用推進室: a term inside a longer match of the same category is read
/// as that match is. Where a context rule cancels the longer one, the shorter is cancelled for
/// the same reason, unless a rule of its own cancels it or it has no more than a nearby work
/// cue against it (work_near), which the longer reading settles.
fn propagate_to_nested(judged: &mut [(Candidate, Option<String>)], category: impl Fn(&Candidate) -> Category) {
    let mut order: Vec<usize> = (0..judged.len()).collect();
    order.sort_by_key(|&i| (judged[i].0.start, std::cmp::Reverse(judged[i].0.end)));
    for (k, &outer) in order.iter().enumerate() {
        let (o, reason) = (judged[outer].0, judged[outer].1.clone());
        let Some(reason) = reason.filter(|r| r != "work_near") else { continue };
        let inside: Vec<usize> = order[k + 1..].iter().copied().take_while(|&i| judged[i].0.start < o.end).collect();
        for inner in inside {
            let c = judged[inner].0;
            let nested = c.end <= o.end && c.end - c.start < o.end - o.start;
            if nested && category(&c) == category(&o) && judged[inner].1.as_deref().is_none_or(|r| r == "work_near") {
                judged[inner].1 = Some(reason.clone());
            }
        }
    }
}

fn suppressor_name(s: Suppressor) -> &'static str {
    match s {
        Suppressor::Negation => "negation",
        Suppressor::ThirdParty | Suppressor::ThirdPartySubject => "third_party",
        Suppressor::Work => "work",
        Suppressor::Study => "study",
    }
}

fn section_at(headings: &[(usize, usize)], at: usize) -> Option<usize> {
    let i = headings.partition_point(|&(p, _)| p <= at);
    i.checked_sub(1).map(|i| headings[i].1)
}

/// A finding in normalised offsets, before merging.
#[derive(Debug, Clone)]
struct Hit {
    category: Category,
    start: usize,
    end: usize,
    confidence: f32,
    rule: String,
    explanation: String,
}

/// The confidence of a candidate kept against a context cue: the reviewer decides.
const KEPT_CONFIDENCE: f32 = 0.6;
/// The fewest letters (kanji, kana, Latin; not digits or punctuation) of a sentence the model
/// adds a finding of its own to.
const MIN_ADD_LETTERS: usize = 10;

/// The longest sentence the model scores at once, in bytes (text without punctuation is cut
/// into pieces of this size, so scoring stays linear).
const MAX_SCORED: usize = 600;

/// Splits `text` into sentence-like units (as the context rules cut them) and scores each.
/// Returns (start, end, scores) in text order.
fn score_sentences(model: &Model, text: &str) -> Vec<(usize, usize, Scores)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut push = |s: usize, e: usize| {
        let piece = &text[s..e];
        let lead = piece.len() - piece.trim_start_matches(|c: char| c.is_whitespace() || "・･-•*".contains(c)).len();
        let piece = piece[lead..].trim_end();
        if piece.chars().count() >= 4 {
            out.push((s + lead, s + lead + piece.len(), model.score(piece)));
        }
    };
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if is_sentence_end(c) || end - start >= MAX_SCORED {
            push(start, end);
            start = end;
        }
    }
    push(start, text.len());
    out
}

/// Findings of the model's own, for the special-care categories (those that hold a document;
/// the employment-screening flags stay with the dictionaries): in a sentence with no finding
/// and nothing negated, each category that scores at least `add` and that
/// no context rule cancelled there (where one did, the keep thresholds decide).
fn add_learned(
    model: &Model,
    text: &str,
    sentences: &[(usize, usize, Scores)],
    cancelled: &[(Category, usize, usize, bool)],
    found: &mut Vec<Hit>,
) {
    // What the rules said of each sentence, marked in one pass over the spans (linear in the
    // text, however many findings it has).
    let overlapping = |start: usize, end: usize| {
        let first = sentences.partition_point(|s| s.1 <= start);
        (first..sentences.len()).take_while(move |&i| sentences[i].0 < end)
    };
    let mut closed = vec![false; sentences.len()];
    // Any finding closes its sentence, a flag too: 出生地はブラジル… is a birthplace, which the
    // model would read as ethnicity.
    for h in found.iter() {
        overlapping(h.start, h.end).for_each(|i| closed[i] = true);
    }
    let mut spoken: Vec<Vec<Category>> = vec![Vec::new(); sentences.len()];
    for &(category, start, end, negated) in cancelled {
        for i in overlapping(start, end) {
            closed[i] |= negated;
            spoken[i].push(category);
        }
    }
    let mut added = Vec::new();
    for (i, &(s, e, scores)) in sentences.iter().enumerate() {
        // A heading, a date or a short field (自己PR, 2025年2月1日現在) gives the model a handful
        // of n-grams to go on, unlike the sentences it was trained and measured on.
        let letters = text[s..e].chars().filter(|c| c.is_alphabetic()).count();
        if closed[i] || letters < MIN_ADD_LETTERS || denies(&text[s..e]) {
            continue;
        }
        for (col, category) in learned::CATEGORIES.iter().enumerate() {
            let p = scores.0[col];
            if p < model.add_threshold(*category)
                || spoken[i].contains(category)
                || category.action() != Action::Quarantine
            {
                continue;
            }
            let words = model.explain(&text[s..e], col, 4);
            added.push(Hit {
                category: *category,
                start: s,
                end: e,
                confidence: p.min(0.95),
                rule: format!("learned.{}", category.id()),
                explanation: format!("sentence model p={p:.2}; weighed most: {}", words.join(", ")),
            });
        }
    }
    found.extend(added);
}

/// A sentence whose final predicate is negated (…への所属はございません, 持病なし) denies what it
/// names: the model neither adds nor keeps anything there. Not when the sentence turns first
/// (…通院していますが、…) or the negation is of an effect on work (業務に支障はありません): then
/// the negation is about something else.
fn denies(sentence: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "ません",
        "ない",
        "なし",
        "無し",
        "無い",
        "ないです",
        "なかった",
        "なかったです",
        "ませんでした",
        "おりません",
        "ございません",
        "ありません",
        "ず",
    ];
    const ABOUT_ELSE: &[&str] = &["が、", "が,", "けど", "ものの", "支障", "差し支え", "差し障り", "影響", "問題"];
    let t = sentence.trim_end_matches(|c: char| c.is_whitespace() || "。.!?)」』】".contains(c));
    ENDINGS.iter().any(|e| t.ends_with(e)) && !ABOUT_ELSE.iter().any(|w| t.contains(w))
}

/// Keeps one finding per overlapping group of the same category: the longest span, then the
/// most confident.
fn merge(mut found: Vec<Hit>) -> Vec<Hit> {
    found.sort_by(|a, b| {
        (a.category, a.start)
            .cmp(&(b.category, b.start))
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(b.confidence.total_cmp(&a.confidence))
    });
    let mut out: Vec<Hit> = Vec::new();
    for f in found {
        if let Some(last) = out.last_mut().filter(|l| l.category == f.category && f.start < l.end) {
            // Overlap: widen to the union, keep the stronger rule.
            if f.confidence > last.confidence {
                last.confidence = f.confidence;
                last.rule = f.rule;
                last.explanation = f.explanation;
            }
            last.end = last.end.max(f.end);
            continue;
        }
        out.push(f);
    }
    out.sort_by_key(|f| (f.start, f.end, f.category));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_denies_only_when_its_final_predicate_is_negated_and_about_itself() {
        assert!(denies("特定の宗教団体への所属はございません。"));
        assert!(denies("既往歴：なし"));
        assert!(!denies("持病の喘息で通院していますが、業務に支障はありません。"));
        assert!(!denies("月に一度通院しています。"));
        assert!(!denies("服薬を続けており、日常業務に影響はございません。"));
    }

    #[test]
    fn sentences_are_scored_in_bounded_pieces() {
        let model = Model::parse("@categories\trace\n@max_n\t2\n").unwrap();
        let text = "あ".repeat(1000);
        let pieces = score_sentences(&model, &text);
        assert!(pieces.len() >= 5, "{}", pieces.len());
        assert!(pieces.iter().all(|&(s, e, _)| e - s <= MAX_SCORED));
        let text = "一文目です。二文目です。\n三行目の文";
        let spans: Vec<&str> = score_sentences(&model, text).iter().map(|&(s, e, _)| &text[s..e]).collect();
        assert_eq!(spans, ["一文目です。", "二文目です。", "三行目の文"]);
    }
}
