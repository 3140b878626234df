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
fn a_work_cue_cancels_by_how_closely_it_frames_the_term() {
    // The clause before names the candidate's role: an explicit frame, which stands.
    let framed = "ソーシャルワーカーとして、うつ病の復職支援を行いました。";
    assert!(!found(framed, Category::MedicalHistory));
    assert!(suppressed_because(framed, Category::MedicalHistory).contains(&"work".to_string()));
    // A work cue only elsewhere in the sentence does not cancel: the finding stays, with lower
    // confidence and the cue named, for the reviewer.
    let text = "入院していた頃、支えてくれた看護師の方々の姿を見て、この仕事を志しました。";
    let d = detector().scan(text).expect("scan");
    let f = d.findings.iter().find(|f| f.category == Category::MedicalCare).expect("kept, not cancelled");
    assert!(f.rule.ends_with("+kept:work_near"), "{}", f.rule);
    assert!(f.confidence <= 0.6, "{}", f.confidence);
    assert!(f.explanation.contains("work cue"), "{}", f.explanation);
    assert!(suppressed_because(text, Category::MedicalCare).is_empty());
}

#[test]
fn a_negation_reaches_back_over_coordinated_nouns() {
    for text in ["前科も逮捕歴もありません。", "持病も既往症もございません。"] {
        let d = detector().scan(text).expect("scan");
        assert!(
            d.findings.iter().all(|f| f.category != Category::CriminalRecord && f.category != Category::MedicalHistory),
            "{text}: {:?}",
            d.findings
        );
    }
    // Coordination needs the same particle on both nouns: here the negation is of the work.
    assert!(found("喘息もあり、業務も多くはありません。", Category::MedicalHistory));
}

#[test]
fn a_term_inside_a_longer_match_is_read_as_that_match() {
    // 障害者 alone has only a nearby work cue (携わり); the longer match 障害者雇用 names a
    // department (topic), and the shorter one follows it.
    let text = "貴社の障害者雇用推進室で、定着支援の仕組みづくりに携わりたいと考えております。";
    assert!(!found(text, Category::Disability));
    let reasons = suppressed_because(text, Category::Disability);
    assert_eq!(reasons, vec!["topic".to_string(), "topic".to_string()], "{reasons:?}");
}

#[test]
fn general_statements_are_not_about_the_candidate() {
    let text = "一般的に、前科があると就職で不利になると言われます。";
    let d = detector().scan(text).expect("scan");
    assert!(d.findings.is_empty(), "{text}: {:?}", d.findings);
    assert!(d.suppressed.iter().all(|s| s.reason == "generic"), "{text}: {:?}", d.suppressed);
    // The term defined (〜とは) is not the candidate's.
    let text = "うつ病とは、気分の落ち込みが続く状態のことです。";
    assert!(!found(text, Category::MedicalHistory));
    assert_eq!(suppressed_because(text, Category::MedicalHistory), vec!["generic".to_string()]);
    // The same words with the candidate in the sentence stay findings.
    assert!(found("一般的な治療を受けましたが、私は今もうつ病で通院しています。", Category::MedicalHistory));
    // と + は is not a definition.
    assert!(found("ミャンマーのカチン族の家庭で育ち、家族とは今もカチン語で話します。", Category::Race));
}

#[test]
fn another_person_named_earlier_in_the_sentence_owns_what_follows() {
    let text = "妻が乳がんの治療中で、毎週通院の送迎があるため時短勤務を希望します。";
    assert!(!found(text, Category::MedicalCare));
    assert!(suppressed_because(text, Category::MedicalCare).contains(&"third_party_near".to_string()));
    // Not when the candidate is named between them.
    assert!(found("妻が乳がんの治療中で、私自身も毎週通院しています。", Category::MedicalCare));
    // Nor when the candidate is named inside a relative clause on another person.
    assert!(found("前科のある私を採用してくれた社長に恩返ししたいです。", Category::CriminalRecord));
}

#[test]
fn a_quoted_title_of_a_talk_or_paper_is_a_label() {
    let text = "学会発表「通院中の高齢者における服薬の自己管理」";
    assert!(!found(text, Category::MedicalCare));
    assert!(suppressed_because(text, Category::MedicalCare).iter().all(|r| r == "label"));
    // 「」 after other words quotes speech, which can be the candidate's own.
    assert!(found("主治医に「入院が必要です」と言われました。", Category::MedicalCare));
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
