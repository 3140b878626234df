//! The learned second opinion: a sentence classifier that says, per category, whether a
//! sentence discloses it about the candidate.
//!
//! The dictionaries find what is named; this model reads how it is said. It is a multi-label
//! logistic regression over the character n-grams (1 to `max_n` characters) of a sentence in
//! its normalised form, with digits folded to `0`. Character n-grams need no tokenizer, cost
//! a few hash look-ups per character (linear in the text whatever its punctuation), and carry
//! both vocabulary (通院, 鑑別) and frame (私は, の母が, として勤務).
//!
//! The model is data: `dictionaries/learned.tsv`, written by `cargo run --release --example
//! train_model` from the project's own labelled sentences (`training/sentences/*.jsonl`), and
//! part of the dictionary hash, so a retrained model changes the detector version and rescans
//! follow. Training and inference share [`features`], so they cannot drift apart.
//!
//! The detector uses the model twice (see ARCHITECTURE.md, "Decision policy"):
//! * a sentence with no finding and no negation, of ten letters or more, scoring at least the
//!   add threshold of a special-care category (`add`, or that category's own in
//!   `add_category`), gets a finding of its own, explained by the n-grams that weighed most;
//! * a candidate that a rule of measured, imperfect precision would cancel ([`OVERRULABLE`])
//!   is kept, with lower confidence, when its sentence scores at least that rule's `keep`
//!   threshold for the category. Negation, a named other owner in the term's clause and an
//!   `unless` phrase holding the match are never overruled, and the model never cancels a
//!   finding.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::Category;

/// Why a model file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("learned model: {0}")]
pub struct ModelError(String);

/// Context rules the model can overrule: those whose cue may be merely nearby (a work word
/// in the clause or framing the term, a study or topic word, a label, an entry's `unless`
/// phrase elsewhere in the clause, another person named in an earlier clause, a general
/// statement) and `requires` (an ambiguous word without its cue), each measured by
/// `train_model` as cancelling rightly well short of always. Negation, another person named as
/// the subject or owner in the term's own clause (`third_party`) and an `unless` phrase that
/// holds the match say who or what the words are about, and always stand: character n-grams
/// cannot tell 父が入院 from 私が入院 as reliably.
pub const OVERRULABLE: [&str; 9] =
    ["work", "work_clause", "study", "topic", "label", "unless_near", "requires", "third_party_near", "generic"];

/// The categories the model scores, in column order.
pub const CATEGORIES: [Category; 13] = [
    Category::Race,
    Category::Creed,
    Category::SocialStatus,
    Category::MedicalHistory,
    Category::Disability,
    Category::HealthCheckup,
    Category::MedicalCare,
    Category::CriminalRecord,
    Category::CrimeVictim,
    Category::CriminalProcedure,
    Category::JuvenileProcedure,
    Category::FamilyOrigin,
    Category::UnionMembership,
];

/// The column of `category`, if the model scores it.
pub(crate) fn column(category: Category) -> Option<usize> {
    CATEGORIES.iter().position(|c| *c == category)
}

const K: usize = CATEGORIES.len();

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// One character more of an FNV-1a-style hash taken a character (not a byte) at a time: one
/// multiplication per character, stable across builds and platforms. Only ever compared with
/// hashes made by this function (the model file stores the n-grams themselves).
fn fnv_extend(h: u64, c: char) -> u64 {
    (h ^ u64::from(c as u32)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// FNV-1a over the characters of an n-gram.
fn hash_chars(chars: &[char]) -> u64 {
    chars.iter().fold(FNV_OFFSET, |h, &c| fnv_extend(h, c))
}

/// A hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type IdMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<IdentityHasher>>;

/// The characters a sentence is read as: whitespace dropped, digits folded to `0`.
pub(crate) fn fold(sentence: &str) -> Vec<char> {
    sentence.chars().filter(|c| !c.is_whitespace()).map(|c| if c.is_ascii_digit() { '0' } else { c }).collect()
}

/// n-grams made only of these (kana endings, particles, digits, punctuation) are not
/// features: they occur in every sentence, and summed over a long one they would make a
/// finding of nothing. They still count inside an n-gram with a content character (逮捕され,
/// 私は).
fn is_function_char(c: char) -> bool {
    match c {
        // Kanji and katakana first: most of the text, and Unicode's alphabetic table is slow.
        '\u{4E00}'..='\u{9FFF}' | '\u{30A1}'..='\u{30FA}' => false,
        // CJK punctuation, but not 々 〆 〇 (U+3005–3007), which are letters.
        '\u{3041}'..='\u{3096}'
        | 'ー'
        | '0'
        | '\u{3000}'..='\u{3004}'
        | '\u{3008}'..='\u{303F}'
        | '\u{FF01}'..='\u{FF0F}' => true,
        _ if c.is_ascii() => !c.is_ascii_alphanumeric(),
        _ => !c.is_alphanumeric(),
    }
}

/// Calls `f(start, len, hash)` for every n-gram of `chars` with `min_n` <= n <= `max_n` that
/// holds a content character and no digit, and is not a lone kana or letter (start and len in
/// characters). The hash of each n-gram extends that of the one before it at the same start,
/// so a position costs one pass over at most `max_n` characters.
pub(crate) fn features(chars: &[char], (min_n, max_n): (usize, usize), mut f: impl FnMut(usize, usize, u64)) {
    for i in 0..chars.len() {
        let mut h = FNV_OFFSET;
        let mut content = false;
        for n in 1..=max_n.min(chars.len() - i) {
            let c = chars[i + n - 1];
            // Digits (folded to 0) are in every date and count: an n-gram holding one says more
            // about the layout than the person (0年 is any year), and so do longer ones.
            if c == '0' {
                break;
            }
            h = fnv_extend(h, c);
            content |= !is_function_char(c);
            // A single character is a feature only if it is a kanji (病, 癌): a lone kana or
            // letter means nothing by itself.
            let single_ok = n > 1 || matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}');
            if n >= min_n && content && single_ok {
                f(i, n, h);
            }
        }
    }
}

/// A trained model: weights per n-gram and category, a bias per category, and the two
/// decision thresholds.
#[derive(Debug, Clone)]
pub struct Model {
    min_n: usize,
    max_n: usize,
    bias: [f32; K],
    /// n-gram hash -> index into `weights` (K weights per feature).
    index: IdMap<u32>,
    weights: Vec<f32>,
    /// The n-gram text of each feature, for explanations.
    names: Vec<String>,
    /// A sentence scoring at least this adds a finding.
    pub add: f32,
    /// Per category where there was data enough to measure it: the add threshold of that
    /// category (one column can be less precise than the pool).
    pub add_category: BTreeMap<Category, f32>,
    /// Per context rule (see [`OVERRULABLE`]), and per rule and category (`work/medical_care`)
    /// where there was data enough to measure: a sentence scoring at least this keeps a
    /// candidate that rule would cancel. A rule not listed is never overruled.
    pub keep: BTreeMap<String, f32>,
}

/// One sentence's scores.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scores(pub [f32; K]);

impl Model {
    /// Parses the model file (see [`Model::to_text`]).
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let err = |line: usize, what: &str| ModelError(format!("line {}: {what}", line + 1));
        let mut model = Model::empty(1, 0, [0.0; K]);
        let mut columns: Option<Vec<Option<usize>>> = None;
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, rest) = line.split_once('\t').ok_or_else(|| err(n, "expected a tab"))?;
            let number = |s: &str| s.parse::<f32>().map_err(|_| err(n, "bad number"));
            match key {
                "@categories" => {
                    columns = Some(rest.split('\t').map(|id| Category::from_id(id).and_then(column)).collect());
                }
                "@max_n" => model.max_n = rest.parse().map_err(|_| err(n, "bad max_n"))?,
                "@min_n" => model.min_n = rest.parse().map_err(|_| err(n, "bad min_n"))?,
                "@add" => model.add = number(rest)?,
                "@add_category" => {
                    for pair in rest.split(' ').filter(|p| !p.is_empty()) {
                        let (id, t) = pair.split_once('=').ok_or_else(|| err(n, "expected category=threshold"))?;
                        let category =
                            Category::from_id(id).ok_or_else(|| err(n, "unknown category in an add threshold"))?;
                        model.add_category.insert(category, number(t)?);
                    }
                }
                "@keep" => {
                    for pair in rest.split(' ').filter(|p| !p.is_empty()) {
                        let (key, t) = pair.split_once('=').ok_or_else(|| err(n, "expected rule=threshold"))?;
                        let (reason, category) = key.split_once('/').map_or((key, None), |(r, c)| (r, Some(c)));
                        if category.is_some_and(|c| Category::from_id(c).is_none()) {
                            return Err(err(n, "unknown category in a keep threshold"));
                        }
                        if !OVERRULABLE.contains(&reason) {
                            return Err(err(
                                n,
                                "only work, work_clause, study, topic, label, unless_near, requires, third_party_near and generic can be overruled",
                            ));
                        }
                        model.keep.insert(key.to_string(), number(t)?);
                    }
                }
                "@bias" => {
                    let cols = columns.as_ref().ok_or_else(|| err(n, "@categories must come first"))?;
                    for (c, w) in cols.iter().zip(rest.split('\t')) {
                        if let Some(c) = c {
                            model.bias[*c] = number(w)?;
                        }
                    }
                }
                _ if key.starts_with('@') => return Err(err(n, "unknown header")),
                gram => {
                    let cols = columns.as_ref().ok_or_else(|| err(n, "@categories must come first"))?;
                    let chars: Vec<char> = gram.chars().collect();
                    if chars.is_empty() || chars.len() > model.max_n {
                        return Err(err(n, "n-gram longer than @max_n"));
                    }
                    let mut weights = [0.0; K];
                    for pair in rest.split(' ') {
                        let (c, w) = pair.split_once(':').ok_or_else(|| err(n, "expected column:weight"))?;
                        let c: usize = c.parse().map_err(|_| err(n, "bad column"))?;
                        let c = cols.get(c).ok_or_else(|| err(n, "column out of range"))?;
                        if let Some(c) = c {
                            weights[*c] = number(w)?;
                        }
                    }
                    if !model.push_feature(hash_chars(&chars), gram.to_string(), weights) {
                        return Err(err(n, "duplicate n-gram"));
                    }
                }
            }
        }
        if model.max_n == 0 || columns.is_none() {
            return Err(ModelError("missing @max_n or @categories".into()));
        }
        Ok(model)
    }

    /// A model with no features and thresholds that never fire.
    fn empty(min_n: usize, max_n: usize, bias: [f32; K]) -> Self {
        Model {
            min_n,
            max_n,
            bias,
            index: IdMap::default(),
            weights: Vec::new(),
            names: Vec::new(),
            add: 1.0,
            add_category: BTreeMap::new(),
            keep: BTreeMap::new(),
        }
    }

    /// Adds a feature: the n-gram's hash, its text and its weight per column. False if the
    /// hash is already a feature.
    fn push_feature(&mut self, hash: u64, name: String, weights: [f32; K]) -> bool {
        if self.index.insert(hash, self.names.len() as u32).is_some() {
            return false;
        }
        self.names.push(name);
        self.weights.extend(weights);
        true
    }

    /// The model file: headers, then one line per n-gram with its non-zero weights.
    pub fn to_text(&self, comment: &str) -> String {
        let mut out = String::new();
        for line in comment.lines() {
            let _ = writeln!(out, "# {line}");
        }
        let ids: Vec<&str> = CATEGORIES.iter().map(|c| c.id()).collect();
        let _ = writeln!(out, "@categories\t{}", ids.join("\t"));
        let _ = writeln!(out, "@min_n\t{}", self.min_n);
        let _ = writeln!(out, "@max_n\t{}", self.max_n);
        let _ = writeln!(out, "@add\t{}", self.add);
        let add: Vec<String> = self.add_category.iter().map(|(c, t)| format!("{}={t}", c.id())).collect();
        let _ = writeln!(out, "@add_category\t{}", add.join(" "));
        let keep: Vec<String> = self.keep.iter().map(|(r, t)| format!("{r}={t}")).collect();
        let _ = writeln!(out, "@keep\t{}", keep.join(" "));
        let bias: Vec<String> = self.bias.iter().map(|b| format!("{b:.3}")).collect();
        let _ = writeln!(out, "@bias\t{}", bias.join("\t"));
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by(|&a, &b| self.names[a].cmp(&self.names[b]));
        for i in order {
            let ws: Vec<String> = (0..K)
                .filter(|&c| self.weights[i * K + c] != 0.0)
                .map(|c| format!("{c}:{:.3}", self.weights[i * K + c]))
                .collect();
            if !ws.is_empty() {
                let _ = writeln!(out, "{}\t{}", self.names[i], ws.join(" "));
            }
        }
        out
    }

    /// Scores one sentence (normalised text).
    pub(crate) fn score(&self, sentence: &str) -> Scores {
        let chars = fold(sentence);
        let mut z = self.bias;
        features(&chars, (self.min_n, self.max_n), |_, _, h| {
            if let Some(&i) = self.index.get(&h) {
                let w = &self.weights[i as usize * K..i as usize * K + K];
                for (z, w) in z.iter_mut().zip(w) {
                    *z += w;
                }
            }
        });
        Scores(z.map(sigmoid))
    }

    /// The score at which a sentence gets a finding of `category` of the model's own.
    pub fn add_threshold(&self, category: Category) -> f32 {
        self.add_category.get(&category).copied().unwrap_or(self.add)
    }

    /// The score at which a candidate of `category` that context rule `reason` cancels is
    /// kept, if the model may overrule that rule: the rule's threshold for the category where
    /// one was measured, else the rule's.
    pub fn keep_threshold(&self, reason: &str, category: Category) -> Option<f32> {
        self.keep.get(&format!("{reason}/{}", category.id())).or_else(|| self.keep.get(reason)).copied()
    }

    /// One sentence's score per category, in the order of [`CATEGORIES`].
    pub fn scores(&self, sentence: &str) -> [f32; K] {
        self.score(sentence).0
    }

    /// The n-grams of `sentence` that weigh most towards `column`, strongest first.
    pub(crate) fn explain(&self, sentence: &str, column: usize, limit: usize) -> Vec<String> {
        let chars = fold(sentence);
        let mut fired: Vec<(f32, usize)> = Vec::new();
        features(&chars, (self.min_n, self.max_n), |_, _, h| {
            if let Some(&i) = self.index.get(&h) {
                let w = self.weights[i as usize * K + column];
                if w > 0.0 && !fired.iter().any(|&(_, j)| j == i as usize) {
                    fired.push((w, i as usize));
                }
            }
        });
        fired.sort_by(|a, b| b.0.total_cmp(&a.0));
        // Longer n-grams first among near-equals would repeat characters: keep those not
        // contained in a stronger one.
        let mut out: Vec<String> = Vec::new();
        for (_, i) in fired {
            let name = &self.names[i];
            if out.iter().any(|o| o.contains(name.as_str()) || name.contains(o.as_str())) {
                continue;
            }
            out.push(name.clone());
            if out.len() == limit {
                break;
            }
        }
        out
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// One labelled training sentence.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The sentence, normalised like document text.
    pub text: String,
    /// The categories it discloses about the candidate.
    pub labels: Vec<Category>,
}

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Shortest n-gram, in characters.
    pub min_n: usize,
    /// Longest n-gram, in characters.
    pub max_n: usize,
    /// An n-gram must occur in at least this many sentences to be a feature.
    pub min_count: usize,
    /// Passes over the data.
    pub epochs: usize,
    /// L2 penalty per update.
    pub l2: f32,
    /// Weight of a positive example relative to a negative one (recall first).
    pub positive_weight: f32,
    /// Weights smaller than this in magnitude are dropped from the model file.
    pub prune: f32,
    /// Seed of the example order.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { min_n: 1, max_n: 4, min_count: 2, epochs: 12, l2: 1e-5, positive_weight: 1.0, prune: 0.02, seed: 7 }
    }
}

/// Trains a model (thresholds left at 1.0: choose them with [`tally`] on held-out scores).
pub fn train(samples: &[Sample], opts: &TrainOptions) -> Model {
    // Vocabulary: n-grams in at least min_count sentences, named by their first occurrence.
    let mut counts: IdMap<(u32, String)> = IdMap::default();
    let folded: Vec<Vec<char>> = samples.iter().map(|s| fold(&s.text)).collect();
    for chars in &folded {
        let mut seen: Vec<u64> = Vec::new();
        features(chars, (opts.min_n, opts.max_n), |i, n, h| {
            if !seen.contains(&h) {
                seen.push(h);
                counts.entry(h).or_insert_with(|| (0, chars[i..i + n].iter().collect())).0 += 1;
            }
        });
    }
    let mut grams: Vec<(u64, String)> =
        counts.into_iter().filter(|(_, (c, _))| *c as usize >= opts.min_count).map(|(h, (_, s))| (h, s)).collect();
    grams.sort_by(|a, b| a.1.cmp(&b.1));
    let mut index = IdMap::default();
    for (i, (h, _)) in grams.iter().enumerate() {
        index.insert(*h, i as u32);
    }
    let rows: Vec<Vec<u32>> = folded
        .iter()
        .map(|chars| {
            let mut row = Vec::new();
            features(chars, (opts.min_n, opts.max_n), |_, _, h| {
                if let Some(&i) = index.get(&h) {
                    row.push(i);
                }
            });
            row
        })
        .collect();
    let targets: Vec<[bool; K]> = samples
        .iter()
        .map(|s| {
            let mut t = [false; K];
            for c in &s.labels {
                if let Some(c) = column(*c) {
                    t[c] = true;
                }
            }
            t
        })
        .collect();

    // AdaGrad on the logistic loss, one binary model per column over shared features.
    let nf = grams.len();
    let mut w = vec![0.0f32; nf * K];
    let mut g2 = vec![1e-6f32; nf * K];
    // The bias starts at each category's base rate (log-odds), so that a sentence with little
    // evidence either way scores as rarely as the category occurs, not at one half.
    let mut bias = [0.0f32; K];
    for (c, b) in bias.iter_mut().enumerate() {
        let pos = targets.iter().filter(|t| t[c]).count() as f32;
        let rate = (pos + 1.0) / (samples.len() as f32 + 2.0);
        *b = (rate / (1.0 - rate)).ln();
    }
    let mut bias_g2 = [1e-6f32; K];
    let rate = 0.2f32;
    let mut order: Vec<usize> = (0..samples.len()).collect();
    let mut rng = opts.seed | 1;
    for _ in 0..opts.epochs {
        // Fisher-Yates with xorshift64: reproducible on every platform.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &s in &order {
            let row = &rows[s];
            let mut z = bias;
            for &f in row {
                for c in 0..K {
                    z[c] += w[f as usize * K + c];
                }
            }
            for c in 0..K {
                let y = targets[s][c];
                let p = sigmoid(z[c]);
                let scale = if y { opts.positive_weight } else { 1.0 };
                let g = (p - if y { 1.0 } else { 0.0 }) * scale;
                bias_g2[c] += g * g;
                bias[c] -= rate * g / bias_g2[c].sqrt();
                for &f in row {
                    let j = f as usize * K + c;
                    let gj = g + opts.l2 * w[j];
                    g2[j] += gj * gj;
                    w[j] -= rate * gj / g2[j].sqrt();
                }
            }
        }
    }
    for x in &mut w {
        if x.abs() < opts.prune {
            *x = 0.0;
        }
    }
    // Keep only features with some weight left.
    let mut model = Model::empty(opts.min_n, opts.max_n, bias);
    for (i, (h, name)) in grams.into_iter().enumerate() {
        let ws = &w[i * K..i * K + K];
        if ws.iter().any(|x| *x != 0.0) {
            model.push_feature(h, name, std::array::from_fn(|c| (ws[c] * 1000.0).round() / 1000.0));
        }
    }
    model.bias = model.bias.map(|b| (b * 1000.0).round() / 1000.0);
    model
}

/// Sentence-level counts at one threshold, pooled over categories.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Category-sentence pairs predicted and labelled.
    pub tp: usize,
    /// Predicted, not labelled.
    pub fp: usize,
    /// Labelled, not predicted.
    pub fn_: usize,
}

impl Counts {
    /// tp / (tp + fp).
    pub fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    /// tp / (tp + fn).
    pub fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

/// Counts of held-out sentence scores against their labels at `threshold`, pooled over
/// `columns` (categories the model scores): `scores[i]` is [`Model::scores`] of `samples[i]`.
/// Scoring once and counting at every threshold and column is what cross-validation needs.
pub fn tally(scores: &[[f32; K]], samples: &[Sample], columns: &[Category], threshold: f32) -> Counts {
    let mut counts = Counts::default();
    for (row, s) in scores.iter().zip(samples) {
        for &category in columns {
            let Some(c) = column(category) else { continue };
            match (row[c] >= threshold, s.labels.contains(&category)) {
                (true, true) => counts.tp += 1,
                (true, false) => counts.fp += 1,
                (false, true) => counts.fn_ += 1,
                (false, false) => {}
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, labels: &[Category]) -> Sample {
        Sample { text: text.into(), labels: labels.to_vec() }
    }

    fn toy() -> Vec<Sample> {
        let mut out = Vec::new();
        for i in 0..20 {
            out.push(sample(&format!("私は{i}年前から心療内科に通っています"), &[Category::MedicalCare]));
            out.push(sample(&format!("心療内科の受付として{i}年勤務しました"), &[]));
            out.push(sample(&format!("趣味は登山で{i}座に登りました"), &[]));
        }
        out
    }

    #[test]
    fn learns_owner_and_frame_and_round_trips() {
        let model = train(&toy(), &TrainOptions { epochs: 20, ..TrainOptions::default() });
        let col = column(Category::MedicalCare).unwrap();
        let own = model.score("私は心療内科に通っています").0[col];
        let work = model.score("心療内科の受付として勤務しました").0[col];
        assert!(own > 0.8, "{own}");
        assert!(work < 0.2, "{work}");
        let text = model.to_text("toy");
        let back = Model::parse(&text).unwrap();
        let again = back.score("私は心療内科に通っています").0[col];
        assert!((again - own).abs() < 0.01, "{again} vs {own}");
        assert!(!back.explain("私は心療内科に通っています", col, 3).is_empty());
    }

    #[test]
    fn the_fast_paths_agree_with_unicode() {
        for c in ['、', '。', '「', '々', '〆', '〇', '！', 'あ', 'ア', '病', 'a', '!', '0', '5', 'ー'] {
            let slow = matches!(c, '\u{3041}'..='\u{3096}' | 'ー' | '0') || !c.is_alphanumeric();
            assert_eq!(is_function_char(c), slow, "{c}");
        }
    }

    #[test]
    fn digits_fold_and_whitespace_is_ignored() {
        assert_eq!(fold("令和 5年"), fold("令和3年"));
    }

    #[test]
    fn rejects_malformed_files() {
        assert!(Model::parse("").is_err());
        assert!(Model::parse("@max_n\t2\nab\t0:1").is_err());
        assert!(Model::parse("@categories\trace\n@max_n\t1\nabc\t0:1").is_err());
        assert!(Model::parse("@categories\trace\n@max_n\t2\nab\t0:x").is_err());
        assert!(Model::parse("@categories\trace\n@max_n\t2\n@keep\tnegation=0.5").is_err());
        assert!(Model::parse("@categories\trace\n@max_n\t2\n@keep\twork/nothing=0.5").is_err());
        let m = Model::parse("@categories\trace\n@max_n\t2\n@keep\twork=0.3 topic=0.8 work/race=0.9").unwrap();
        assert_eq!(m.keep_threshold("work", Category::Creed), Some(0.3));
        assert_eq!(m.keep_threshold("work", Category::Race), Some(0.9));
        assert_eq!(m.keep_threshold("negation", Category::Race), None);
    }

    #[test]
    fn add_thresholds_per_category_round_trip() {
        assert!(Model::parse("@categories\trace\n@max_n\t2\n@add_category\tnothing=0.5").is_err());
        let m = Model::parse("@categories\trace\n@max_n\t2\n@add\t0.75\n@add_category\tcreed=0.9 race=1").unwrap();
        assert_eq!(m.add_threshold(Category::Creed), 0.9);
        assert_eq!(m.add_threshold(Category::Race), 1.0);
        assert_eq!(m.add_threshold(Category::MedicalCare), 0.75);
        let back = Model::parse(&m.to_text("again")).unwrap();
        assert_eq!(back.add_category, m.add_category);
    }
}
