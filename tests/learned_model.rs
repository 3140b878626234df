//! The learned second opinion, spelling variants and layout-proof text, through the detector:
//! what the model adds, what it keeps against a context rule and what it never overrules;
//! that spellings and PDF spacing give the same findings; that a changed model or variant
//! table makes rescans start over.
//!
//! Models here are trained on a few toy sentences written for the test, so each assertion
//! depends on the mechanism, not on the shipped weights.

use std::sync::OnceLock;

use hairyo::detect::{Delta, ENGINE, Model, Sample, TrainOptions, train};
use hairyo::tokenize::normalize;
use hairyo::{Category, Detector};

fn embedded() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::embedded().expect("built-in dictionaries compile"))
}

/// The built-in dictionaries with `model` (thresholds set) in place of the shipped one.
fn with_model(model: &Model) -> Detector {
    let mut files: Vec<(String, String)> =
        embedded().dictionary_files().iter().filter(|(n, _)| n != "learned.tsv").cloned().collect();
    files.push(("learned.tsv".into(), model.to_text("test model")));
    Detector::from_files(files).expect("dictionaries with a test model compile")
}

/// A model that reads going to one of four made-up places (no dictionary knows them) as the
/// candidate's medical care, and working at their front desk as work.
fn toy_model(add: f32, keep: f32) -> Model {
    let mut samples = Vec::new();
    for place in ["ふわふわ庵", "もくもく堂", "きらきら舎", "ぽかぽか亭"] {
        for when in ["毎月", "週に一度", "二年前から", "いまも"] {
            samples.push(Sample {
                text: normalize(&format!("私は{when}{place}に通っています")).text,
                labels: vec![Category::MedicalCare],
            });
            samples.push(Sample {
                text: normalize(&format!("{place}の受付として{when}勤務しました")).text,
                labels: vec![],
            });
            samples
                .push(Sample { text: normalize(&format!("{when}ジムに通っています")).text, labels: vec![] });
        }
    }
    let mut model = train(&samples, &TrainOptions { epochs: 30, ..TrainOptions::default() });
    model.add = add;
    model.keep = hairyo::detect::OVERRULABLE.iter().map(|r| (r.to_string(), keep)).collect();
    model
}

#[test]
fn the_model_adds_what_the_dictionaries_miss_and_explains_it() {
    let text = "自己紹介\n\n私は毎週もくもく堂に通っています。";
    let without = with_model(&toy_model(1.0, 1.0)).scan(text).unwrap();
    assert!(without.findings.iter().all(|f| f.category != Category::MedicalCare), "{without:?}");

    let d = with_model(&toy_model(0.7, 1.0)).scan(text).unwrap();
    let f = d.findings.iter().find(|f| f.category == Category::MedicalCare).expect("a learned finding");
    assert_eq!(f.rule, "learned.medical_care", "the rule names the model, never the text");
    assert_eq!(f.text, "私は毎週もくもく堂に通っています。", "the finding is the sentence");
    assert_eq!(&text[f.start..f.end], f.text);
    assert!(f.explanation.starts_with("sentence model p="), "{}", f.explanation);
    assert!(f.confidence >= 0.7 && f.confidence <= 0.95, "{}", f.confidence);
}

#[test]
fn the_model_adds_nothing_to_short_lines_or_a_category_held_back() {
    // "私はもくもく堂" has too few letters to be read as a statement by the model.
    let short = with_model(&toy_model(0.0, 1.0)).scan("自己紹介\n\n私はもくもく堂\n").unwrap();
    assert!(short.findings.iter().all(|f| !f.rule.starts_with("learned.")), "{short:?}");
    // A category whose own add threshold is 1.0 adds nothing, whatever the pooled threshold.
    let mut model = toy_model(0.0, 1.0);
    model.add_category.insert(Category::MedicalCare, 1.0);
    let d = with_model(&model).scan("自己紹介\n\n私は毎週もくもく堂に通っています。").unwrap();
    assert!(d.findings.iter().all(|f| f.category != Category::MedicalCare), "{d:?}");
}

#[test]
fn the_model_keeps_a_candidate_a_nearby_work_cue_would_cancel() {
    // 通院 is a dictionary term; 看護師 and 勤務 are work cues in the same clause.
    let text = "看護師として勤務しつつ通院を続けました。";
    let rules = with_model(&toy_model(1.0, 1.0)).scan(text).unwrap();
    assert!(
        rules.suppressed.iter().any(|s| s.category == Category::MedicalCare && s.reason == "work_clause"),
        "the work rule cancels it: {rules:?}"
    );
    assert!(rules.findings.iter().all(|f| f.category != Category::MedicalCare));
    // keep = 0: the model reads every sentence as the candidate's own.
    let kept = with_model(&toy_model(1.0, 0.0)).scan(text).unwrap();
    let f = kept.findings.iter().find(|f| f.category == Category::MedicalCare).expect("kept against the cue");
    assert_eq!(f.rule, "medical_care.treatment+kept:work_clause");
    assert!(f.confidence <= 0.6, "kept findings are left to the reviewer: {}", f.confidence);
    assert!(f.explanation.contains("a work_clause cue is near"), "{}", f.explanation);
}

#[test]
fn the_model_never_overrules_a_negation_or_a_named_owner() {
    for (text, reason) in
        [("私は心療内科への通院はしていません。", "negation"), ("父が心筋梗塞で入院しました。", "third_party")]
    {
        let d = with_model(&toy_model(0.0, 0.0)).scan(text).unwrap();
        let cancelled: Vec<_> = d.suppressed.iter().filter(|s| s.reason == reason).map(|s| s.category).collect();
        assert!(!cancelled.is_empty(), "{text}: {d:?}");
        for c in cancelled {
            assert!(d.findings.iter().all(|f| f.category != c), "{text}: {d:?}");
        }
    }
}

#[test]
fn the_shipped_model_is_valid_and_every_finding_is_explained() {
    let files = embedded().dictionary_files();
    let (_, text) = files.iter().find(|(n, _)| n == "learned.tsv").expect("a model ships with the dictionaries");
    let model = Model::parse(text).expect("the shipped model parses");
    assert!(model.add > 0.5 && model.add < 1.0, "add threshold {}", model.add);
    for (key, t) in &model.keep {
        let reason = key.split('/').next().unwrap();
        assert!(hairyo::detect::OVERRULABLE.contains(&reason), "{key}");
        assert!((0.0..=1.0).contains(t), "keep threshold {key}={t}");
    }
    assert_eq!(model.keep_threshold("negation", Category::MedicalCare), None, "a negation is never overruled");
    assert_eq!(model.keep_threshold("third_party", Category::MedicalCare), None, "nor a named owner");
    let d =
        embedded().scan("健康状態：持病の喘息で月に一度通院しています。\n賞罰：なし\n個人番号 1234 5678 9018").unwrap();
    assert!(!d.findings.is_empty());
    for f in &d.findings {
        assert!(!f.explanation.is_empty(), "{f:?}");
        assert!(!f.rule.contains("喘息"), "rules never quote the text: {}", f.rule);
    }
}

#[test]
fn spelling_variants_from_the_variant_table_match() {
    for (text, category) in [
        ("身体障碍者手帳の2級を持っています。", Category::Disability),
        ("若い頃から癲癇の持病があります。", Category::MedicalHistory),
        // 子供の頃: a time of the candidate's life, not a child of theirs.
        ("子供の頃から喘息で、今も吸入薬を使っています。", Category::MedicalHistory),
        ("抑鬱状態と言われ、半年間休職しました。", Category::MedicalHistory),
    ] {
        let d = embedded().scan(text).unwrap();
        assert!(d.findings.iter().any(|f| f.category == category), "{text}: {d:?}");
    }
}

#[test]
fn pdf_spacing_gives_the_same_findings_as_the_text() {
    let cats = |t: &str| {
        let mut c: Vec<Category> = embedded().scan(t).unwrap().findings.iter().map(|f| f.category).collect();
        c.sort();
        c.dedup();
        c
    };
    for (clean, spaced) in [
        ("3年前にHIV陽性と分かり、通院しています。", "3 年 前 に H I V 陽 性 と 分 か り 、 通 院 し て い ま す 。"),
        ("2型糖尿病の治療中です。", "2 型糖尿病の治療中です。"),
        ("ADHDと診断されています。", "A D H D と 診 断 さ れ て い ま す 。"),
        ("マイナンバー：123456789018", "マ イ ナ ン バ ー ： 1 2 3 4 5 6 7 8 9 0 1 8"),
    ] {
        let expected = cats(clean);
        assert!(!expected.is_empty(), "{clean}");
        assert_eq!(cats(spaced), expected, "{spaced}");
    }
}

#[test]
fn a_changed_model_or_variant_table_means_a_full_rescan() {
    let old = embedded();
    let retrained = with_model(&toy_model(0.9, 0.9));
    assert!(Delta::between(old.dictionary_files().to_vec(), old.version(), ENGINE, &retrained).unwrap().is_none());
    assert_ne!(old.version(), retrained.version(), "the model is part of the detector version");

    let mut files = old.dictionary_files().to_vec();
    for (name, text) in &mut files {
        if name == "variants.toml" {
            text.push_str("\n[[group]]\nlemma = \"test\"\nforms = [\"持病\", \"じびょう\"]\n");
        }
    }
    let new = Detector::from_files(files).unwrap();
    assert!(Delta::between(old.dictionary_files().to_vec(), old.version(), ENGINE, &new).unwrap().is_none());
}
