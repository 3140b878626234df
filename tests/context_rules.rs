//! One test per context rule: what it cancels, and what it must leave alone.

use std::sync::OnceLock;

use hairyo::{Category, Detector};

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::embedded().expect("dictionaries"))
}

fn found(text: &str, category: Category) -> bool {
    detector().scan(text).expect("scan").findings.iter().any(|f| f.category == category)
}

fn suppressed_because(text: &str, category: Category) -> Vec<String> {
    let d = detector().scan(text).expect("scan");
    d.suppressed.iter().filter(|s| s.category == category).map(|s| s.reason.clone()).collect()
}

#[test]
fn negation_and_empty_fields_cancel() {
    for text in [
        "賞罰　なし",
        "既往歴：特になし",
        "前科はありません。",
        "持病はございません。",
        "通院の必要はありません。",
        "逮捕されたことはありません。",
    ] {
        let d = detector().scan(text).expect("scan");
        assert!(d.findings.is_empty(), "{text}: {:?}", d.findings);
    }
    assert!(suppressed_because("前科はありません。", Category::CriminalRecord).contains(&"negation".to_string()));
}

#[test]
fn negation_scope_stops_at_the_turn_of_the_sentence() {
    // The negation belongs to the second clause; the illness is still stated.
    assert!(found("以前はうつ病で通院していましたが、現在は通院の必要はありません。", Category::MedicalHistory));
    assert!(found("糖尿病がありますが、服薬でコントロールできており業務に支障はありません。", Category::MedicalCare));
    assert!(found("逮捕歴がありますが、有罪判決は受けていません。", Category::CriminalProcedure));
    assert!(!found("逮捕歴がありますが、有罪判決は受けていません。", Category::CriminalRecord));
}

#[test]
fn relatives_and_patients_are_third_parties() {
    assert!(!found("妻が糖尿病で通院しているため、通院日の送迎が必要です。", Category::MedicalHistory));
    assert!(!found("認知症の祖母を介護しています。", Category::MedicalHistory));
    assert!(!found("被告人の弁護人として公判に立ち会いました。", Category::CriminalProcedure));
    assert!(
        suppressed_because("父が心筋梗塞で入院しました。", Category::MedicalHistory)
            .contains(&"third_party".to_string())
    );
    // The candidate speaking of themself is not cancelled by a relative elsewhere.
    assert!(found("父の転勤で転校が多く、高校時代に適応障害と診断されました。", Category::MedicalHistory));
    assert!(found("母も私も喘息の持病があります。", Category::MedicalHistory));
}

#[test]
fn the_candidates_work_and_studies_are_not_findings() {
    assert!(!found("精神科病棟の看護師として、統合失調症の患者様の看護を担当しました。", Category::MedicalHistory));
    assert!(!found("法学部で刑事訴訟法のゼミに所属し、起訴便宜主義を研究しました。", Category::CriminalProcedure));
    assert!(!found("特別支援学校の教諭として、知的障害のある生徒の進路指導を担当しました。", Category::Disability));
    // Work vocabulary in another clause does not cancel the candidate's own statement.
    assert!(found("右足に義肢を使用していますが、日常業務に支障はありません。", Category::Disability));
}

#[test]
fn resume_sections_raise_confidence() {
    let plain = detector().scan("喘息があります。").expect("scan");
    let in_section = detector().scan("■健康状態\n喘息があります。").expect("scan");
    let c = |d: &hairyo::detect::Detection| {
        d.findings.iter().find(|f| f.category == Category::MedicalHistory).map(|f| (f.confidence, f.rule.clone()))
    };
    let (p, _) = c(&plain).expect("plain finding");
    let (s, rule) = c(&in_section).expect("section finding");
    assert!(s > p, "{s} > {p}");
    assert!(rule.contains("section:health"), "{rule}");
}

#[test]
fn indirect_statements_are_findings() {
    assert!(found("ブランク期間は治療に専念しておりました。", Category::MedicalCare));
    assert!(found("執行猶予期間は既に満了しています。", Category::CriminalRecord));
    assert!(found("障害者雇用枠での応募を希望します。", Category::Disability));
}

#[test]
fn matches_fall_on_word_boundaries() {
    assert!(!found("最後まであきらめずにがんばります。", Category::MedicalHistory));
    assert!(found("胃がんの手術を受けました。", Category::MedicalHistory));
    // 夫 inside 工夫 and 丈夫 is not a husband.
    assert!(found("工夫して乗り切りましたが、うつ病を患いました。", Category::MedicalHistory));
}

#[test]
fn my_number_needs_a_valid_check_digit_and_context_raises_confidence() {
    let with = detector().scan("個人番号：123456789018").expect("scan");
    let without = detector().scan("番号：123456789018").expect("scan");
    let conf = |d: &hairyo::detect::Detection| {
        d.findings.iter().find(|f| f.category == Category::MyNumber).map(|f| f.confidence)
    };
    assert!(conf(&with).expect("keyword") > conf(&without).expect("plain"));
    assert!(!found("個人番号：123456789012", Category::MyNumber));
    // Split across a line, as PDF extraction leaves it.
    assert!(found("マイナンバー 1234 5678\n9018", Category::MyNumber));
}

#[test]
fn detector_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();
}
