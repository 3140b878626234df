//! Property tests: no input string makes normalisation, tokenisation or detection panic, and
//! every finding's offsets point at its text in the input.

use std::sync::OnceLock;

use hairyo::Detector;
use hairyo::tokenize::{Tokenizer, normalize};
use proptest::prelude::*;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::embedded().expect("dictionaries"))
}

/// Strings biased towards what résumés and broken extractions contain: kana, kanji,
/// full- and half-width forms, combining marks, digits with separators, line breaks.
fn resume_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("うつ病".to_string()),
        Just("前科はありません".to_string()),
        Just("賞罰　なし\n".to_string()),
        Just("ｶﾞﾝ".to_string()),
        Just("１２３４－５６７８－９０１８".to_string()),
        Just("母の".to_string()),
        Just("看護師として".to_string()),
        Just("\u{3099}\u{309A}\u{FF9E}".to_string()),
        Just("。、・■【】（）".to_string()),
        Just("\r\n\u{3000}\t ".to_string()),
        "[ぁ-んァ-ヶ一-龥０-９ａ-ｚA-Za-z0-9 \n。、]{0,40}",
        any::<String>(),
    ];
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn normalisation_maps_every_span_into_the_source(s in resume_like()) {
        let n = normalize(&s);
        for (i, _) in n.text.char_indices() {
            let (a, b) = n.source_span(i, i + n.text[i..].chars().next().map_or(0, char::len_utf8));
            prop_assert!(a <= b && b <= s.len());
            prop_assert!(s.is_char_boundary(a) && s.is_char_boundary(b));
        }
    }

    #[test]
    fn tokenisation_never_panics(s in resume_like()) {
        let t = Tokenizer::shared().expect("tokenizer");
        let n = normalize(&s);
        let a = t.analyze(&n).expect("analyze");
        for i in 0..a.morphemes.len() {
            let _ = a.pos(i);
            let _ = a.base_form(i);
        }
    }

    #[test]
    fn segmenting_only_candidate_sentences_changes_nothing(s in resume_like()) {
        let fast = detector().scan(&s).expect("scan");
        let full = detector().scan_exhaustive(&s).expect("scan");
        prop_assert_eq!(fast, full);
    }

    #[test]
    fn detection_never_panics_and_offsets_hold(s in resume_like()) {
        let d = detector().scan(&s).expect("scan");
        for f in &d.findings {
            prop_assert!(f.start <= f.end && f.end <= s.len());
            prop_assert_eq!(&s[f.start..f.end], f.text.as_str());
        }
    }
}
