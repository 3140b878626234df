//! Long text without sentence delimiters.
//!
//! PDF extraction often yields text with no 。、 and, after line breaks between
//! Japanese characters are joined, no newlines either: one "sentence" of the
//! whole document. Lindera once slowed down by a factor of twenty on such text
//! (fixed upstream), and the context rules look at the sentence around a
//! candidate, so a rule that scans the whole sentence per candidate would turn
//! quadratic. This test only checks that such a text completes and that a
//! sensitive term in the middle is reported with the right offsets; the
//! benchmark (`benches/pipeline.rs`) covers speed.

use hairyo::{Category, Detector};

/// Neutral words (no dictionary term, no context cue, no negator), written
/// one after another with nothing between them.
const FILLER: &[&str] = &[
    "東京",
    "大阪",
    "京都",
    "札幌",
    "福岡",
    "横浜",
    "神戸",
    "仙台",
    "広島",
    "金沢",
    "春",
    "夏",
    "秋",
    "冬",
    "山",
    "川",
    "海",
    "空",
    "花",
    "鳥",
    "風",
    "月",
    "森",
    "雪",
    "電車",
    "時計",
    "地図",
    "窓",
    "机",
    "黒板",
    "鉛筆",
    "公園",
    "図書館",
    "美術館",
    "駅前",
    "商店街",
    "ひまわり",
    "さくら",
    "カメラ",
    "パソコン",
    "コーヒー",
    "テーブル",
];

/// At least `chars` characters of filler, chosen by a small deterministic generator.
fn filler(chars: usize, seed: u64) -> String {
    let mut state = seed;
    let mut out = String::new();
    let mut count = 0;
    while count < chars {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let word = FILLER[(state % FILLER.len() as u64) as usize];
        out.push_str(word);
        count += word.chars().count();
    }
    out
}

#[test]
fn a_term_in_300k_characters_without_delimiters_is_found_at_its_offsets() {
    let detector = Detector::embedded().expect("built-in dictionaries compile");
    let before = filler(150_000, 0x9E37_79B9_7F4A_7C15);
    let after = filler(150_000, 0xD1B5_4A32_D192_ED03);
    // The term stands between two filler words; a word that Lindera would glue
    // onto it is avoided by the marker 既往歴 ("medical history") before it.
    let term = "うつ病";
    let lead = "既往歴";
    let text = format!("{before}{lead}{term}{after}");
    assert!(text.chars().count() >= 300_000);
    assert!(!text.contains(['。', '、', '\n', ' ']));

    let detection = detector.scan(&text).expect("scan completes");

    let start = before.len() + lead.len();
    let end = start + term.len();
    for f in &detection.findings {
        assert_eq!(&text[f.start..f.end], f.text, "offsets point into the input");
    }
    let hits: Vec<_> = detection.findings.iter().filter(|f| f.start < end && start < f.end).collect();
    assert_eq!(hits.len(), 1, "one finding for the term: {:?}", detection.findings);
    let hit = hits[0];
    assert_eq!((hit.start, hit.end), (start, end), "{hit:?}");
    assert_eq!(hit.text, term);
    assert_eq!(hit.category, Category::MedicalHistory);
    // The filler itself is neutral: nothing else is reported.
    assert_eq!(detection.findings.len(), 1, "{:?}", detection.findings);
}

#[test]
fn a_term_at_the_very_end_of_a_long_run_is_found() {
    // The last morpheme of a long undelimited run: the end of the lattice.
    let detector = Detector::embedded().expect("built-in dictionaries compile");
    let before = filler(100_000, 42);
    let text = format!("{before}既往歴統合失調症");
    let detection = detector.scan(&text).expect("scan completes");
    let start = text.len() - "統合失調症".len();
    assert!(
        detection
            .findings
            .iter()
            .any(|f| (f.start, f.end) == (start, text.len()) && f.category == Category::MedicalHistory),
        "{:?}",
        detection.findings
    );
}
