//! Table-driven detection cases per category: positives and hard negatives.
//!
//! Written for this project from the taxonomy (`shared/taxonomy.md`), in wordings of our own;
//! the evaluation set's samples are deliberately not reused here, so these cases measure
//! whether the rules generalise.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use hairyo::Detector;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::embedded().expect("built-in dictionaries compile"))
}

fn categories(text: &str) -> BTreeSet<&'static str> {
    let d = detector().scan(text).expect("scan");
    for f in &d.findings {
        assert_eq!(&text[f.start..f.end], f.text, "offsets point into the input");
        assert!((0.0..=1.0).contains(&f.confidence));
        assert!(!f.rule.is_empty());
    }
    d.findings.iter().map(|f| f.category.id()).collect()
}

/// `cases! { name: "text" => [categories...], ... }` — the exact set of categories expected.
macro_rules! cases {
    ($($name:ident: $text:expr => [$($cat:expr),*];)*) => {
        $(
            #[test]
            fn $name() {
                let expected: BTreeSet<&str> = [$($cat),*].into_iter().collect();
                assert_eq!(categories($text), expected, "text: {}", $text);
            }
        )*
    };
}

cases! {
    // race
    race_lineage: "父はペルー出身の日系二世で、家では日本語とスペイン語を使っていました。" => ["race"];
    race_mixed: "母がフィリピン人のハーフで、幼少期はマニラで育ちました。" => ["race"];
    race_ethnic_group: "アイヌ民族の文化を受け継ぐ家庭に生まれ、伝統工芸にも親しんできました。" => ["race"];
    race_korean_resident: "在日コリアン三世として生まれ、韓国語も日常会話程度なら話せます。" => ["race"];
    race_neg_nationality: "国籍：ベトナム　在留資格：技術・人文知識・国際業務" => [];
    race_neg_language: "中国語と韓国語を学び、台湾の大学に1年間留学しました。" => [];
    race_neg_halfmarathon: "趣味はハーフマラソンで、昨年は自己ベストを更新しました。" => [];

    // creed
    creed_baptised: "高校生のときにカトリック教会で洗礼を受け、今も日曜のミサに通っています。" => ["creed"];
    creed_muslim: "ムスリムのため、1日数回のお祈りの時間をいただけると助かります。" => ["creed"];
    creed_party: "学生時代から革新系政党の党員として地域の活動に参加しています。" => ["creed"];
    creed_sect: "祖父の代から創価学会の会員で、私も地域の座談会に参加しています。" => ["creed"];
    creed_neg_study: "文学部で宗教学を専攻し、仏教の伝来について卒業論文を書きました。" => [];
    creed_neg_school: "2018年4月　学校法人カトリック聖心学園　事務職員として入職" => [];
    creed_neg_temple_tour: "趣味は神社仏閣巡りと御朱印集めです。" => [];

    // social_status
    social_status_origin: "被差別部落の出身であることを理由に、結婚を反対された経験があります。" => ["social_status"];
    social_status_dowa: "生まれ育った町が同和地区だったこともあり、人権問題には関心があります。" => ["social_status"];
    social_status_neg_training: "人事部で同和問題を含む人権研修の企画と運営を担当しました。" => [];

    // medical_history
    medical_history_depression: "前職在籍中にうつ病を発症し、半年間休職しました。現在は回復しています。" => ["medical_history"];
    medical_history_cancer: "2021年に乳がんが見つかりましたが、治療を終えて経過は順調です。" => ["medical_history", "medical_care"];
    medical_history_asthma: "持病の喘息があり、季節の変わり目は体調に注意しています。" => ["medical_history"];
    medical_history_past_still_counts: "以前は適応障害で通院していましたが、現在は完治しております。" => ["medical_history", "medical_care"];
    medical_history_sick_leave: "2022年10月　病気療養のため休職（2023年3月復職）" => ["medical_history"];
    medical_history_neg_none: "既往歴：特になし" => [];
    medical_history_neg_healthy: "健康状態：良好" => [];
    medical_history_neg_mother: "母ががんで入院しているため、平日の夕方は病院に寄る必要があります。" => [];
    medical_history_neg_nurse: "循環器内科病棟の看護師として、心不全の患者様の看護を担当しました。" => [];
    medical_history_neg_ganbaru: "どんな仕事も最後までがんばる粘り強さが私の強みです。" => [];
    medical_history_neg_pregnancy: "2020年6月　産前産後休業・育児休業を取得（2021年4月復職）" => [];
    medical_history_neg_research: "大学院では糖尿病の新薬候補について研究していました。" => [];

    // disability
    disability_certificate: "身体障害者手帳（4級）を所持しています。" => ["disability"];
    disability_employment: "障害者雇用枠での採用を希望いたします。" => ["disability"];
    disability_hearing: "感音性難聴のため補聴器を使用しており、会議では文字起こしツールを使っています。" => ["disability"];
    disability_adhd: "ADHDの診断を受けており、タスク管理ツールで抜け漏れを防いでいます。" => ["disability", "medical_care"];
    disability_wheelchair: "車椅子を使用しているため、エレベーターのある職場を希望します。" => ["disability"];
    disability_neg_support_job: "就労支援員として、発達障害のある利用者様の職場定着を支援しました。" => [];
    disability_neg_barrier_free: "公共施設のバリアフリー設計と車椅子用スロープの施工管理を担当。" => [];
    disability_neg_it_outage: "サーバ障害の一次対応と再発防止策の立案を担当しました。" => [];

    // health_checkup
    health_checkup_bp: "今年の健康診断で血圧が高めと言われ、減塩を心がけています。" => ["health_checkup"];
    health_checkup_retest: "人間ドックで肝機能の数値に引っかかり、再検査を受ける予定です。" => ["health_checkup"];
    health_checkup_stress: "昨年のストレスチェックで高ストレス者と判定されました。" => ["health_checkup"];
    health_checkup_neg_good: "健康診断の結果はすべて異常なしでした。" => [];
    health_checkup_neg_job: "健診センターの受付として、受診者の案内と問診票の回収を担当しました。" => [];
    health_checkup_neg_certificate: "健康管理能力検定2級（2022年取得）" => [];

    // medical_care
    medical_care_outpatient: "月に1度、心療内科に通っています。" => ["medical_care"];
    medical_care_surgery: "昨年、膝の手術を受け、現在はリハビリ中です。" => ["medical_care"];
    medical_care_medication: "毎朝、薬を飲んでいますが業務には影響ありません。" => ["medical_care"];
    medical_care_counselling: "産業医の勧めでカウンセリングを受けています。" => ["medical_care"];
    medical_care_neg_pharmacist: "調剤薬局の薬剤師として、処方箋に基づく調剤と服薬指導を担当しました。" => [];
    medical_care_neg_doctor_role: "医療機器メーカーで手術用ロボットの営業を担当しました。" => [];
    medical_care_neg_none: "通院歴はありません。" => [];

    // criminal_record
    criminal_record_prison: "20代で窃盗罪により懲役2年の判決を受け、服役しました。" => ["criminal_record"];
    criminal_record_fine: "賞罰　令和4年　道路交通法違反（酒気帯び運転）により罰金30万円" => ["criminal_record"];
    criminal_record_suspended: "執行猶予の期間は昨年満了しております。" => ["criminal_record"];
    criminal_record_neg_none: "賞罰：なし" => [];
    criminal_record_neg_traffic: "賞罰　なし（スピード違反で反則金を納めたことがあります）" => [];
    criminal_record_neg_officer: "刑務官として、受刑者の処遇と刑務作業の監督を担当しました。" => [];
    criminal_record_neg_no_record: "前科・前歴はございません。" => [];

    // crime_victim
    crime_victim_stalking: "前の職場で同僚からストーカー被害を受け、警察に相談したうえで退職しました。" => ["crime_victim"];
    crime_victim_dv: "元夫からのDVを受け、現在は保護命令のもとで生活しています。" => ["crime_victim"];
    crime_victim_fraud: "投資詐欺の被害に遭ったことをきっかけに、金融リテラシーの啓発に関心を持ちました。" => ["crime_victim"];
    crime_victim_neg_support: "犯罪被害者支援センターで相談員として被害者の方の支援を担当しています。" => [];
    crime_victim_neg_disaster: "台風の被害を受けた地域で災害ボランティアに参加しました。" => [];
    crime_victim_neg_insurance: "損害保険会社で盗難被害の保険金査定を担当しました。" => [];

    // criminal_procedure
    criminal_procedure_arrest: "大学生の頃に一度逮捕されましたが、不起訴となっています。" => ["criminal_procedure"];
    criminal_procedure_trial: "現在、刑事裁判の被告人として公判中のため、判決が出るまで出張ができません。" => ["criminal_procedure"];
    criminal_procedure_search: "昨年、私の自宅に家宅捜索が入りましたが、起訴はされていません。" => ["criminal_procedure"];
    criminal_procedure_neg_lawyer: "弁護士として刑事事件の弁護を担当し、被疑者の接見や保釈請求を行いました。" => [];
    criminal_procedure_neg_study: "法科大学院で刑事訴訟法を学び、起訴裁量についてレポートを書きました。" => [];
    criminal_procedure_neg_witness: "事故の目撃者として警察に協力したことがあります。" => [];
    criminal_procedure_neg_police: "警察官として、逮捕術の指導と交番勤務を担当しました。" => [];

    // juvenile_procedure
    juvenile_procedure_training_school: "16歳のときに少年院に入り、そこで溶接の資格を取りました。" => ["juvenile_procedure"];
    juvenile_procedure_probation: "中学3年の時に保護観察処分を受けましたが、その後は真面目に過ごしています。" => ["juvenile_procedure"];
    juvenile_procedure_family_court: "高校1年の秋に家庭裁判所で審判を受けました。" => ["juvenile_procedure"];
    juvenile_procedure_neg_officer: "法務教官として少年院に勤務し、生活指導と職業指導を担当しました。" => [];
    juvenile_procedure_neg_hogoshi: "地域で保護司として活動し、保護観察中の少年の面接を担当しています。" => [];

    // family_origin
    family_origin_domicile: "本籍：鹿児島県鹿児島市" => ["family_origin"];
    family_origin_born: "札幌生まれで、大学進学を機に上京しました。" => ["family_origin"];
    family_origin_lineage: "代々続く庄屋の家柄で、地域の行事には今も関わっています。" => ["family_origin"];
    family_origin_neg_birth_year: "1995年生まれ、29歳です。" => [];
    family_origin_neg_university: "出身大学：東北大学　工学部" => [];
    family_origin_neg_address: "現住所：大阪府大阪市北区梅田" => [];

    // union_membership
    union_secretary: "在職中は労働組合の執行委員を3年間務めました。" => ["union_membership"];
    union_member: "入社と同時に労組に加入し、組合員として春闘にも参加しました。" => ["union_membership"];
    union_neg_hr: "人事労務担当として、労働組合との団体交渉に会社側の立場で出席しました。" => [];
    union_neg_coop: "生活協同組合で組合員向けの宅配サービスの企画を担当しました。" => [];

    // my_number
    my_number_keyword: "マイナンバー：1234 5678 9018" => ["my_number"];
    my_number_plain: "123456789018" => ["my_number"];
    my_number_fullwidth: "個人番号　１２３４－５６７８－９０１８" => ["my_number"];
    my_number_neg_bad_check_digit: "個人番号 1234 5678 9012" => [];
    my_number_neg_phone: "携帯：090-1234-5678" => [];
    my_number_neg_mention: "給与担当としてマイナンバーの取得と保管のルールを整備しました。" => [];

    // plain résumé text
    neutral_career: "2015年4月　株式会社サンプル物産　入社（営業部）\n2020年3月　一身上の都合により退職" => [];
    neutral_pr: "私の強みは、相手の立場に立って課題を整理し、解決策を提案できることです。" => [];
}

// A second batch: indirect wording, inflection, and field vocabulary in jobs.
cases! {
    b2_mental_unwell: "メンタル面の不調により、前職を退職いたしました。" => ["medical_history"];
    b2_bipolar_meds: "双極性障害の診断を受け、現在も服薬を継続しています。" => ["medical_history", "medical_care"];
    b2_dropout_treatment: "大学を中退したのは、統合失調症の治療に専念するためでした。" => ["medical_history", "medical_care"];
    b2_dialysis: "人工透析を週3回受けているため、火・木・土は定時で退社させてください。" => ["medical_care"];
    b2_cancer_chemo: "昨年末に胃がんの手術をし、現在は抗がん剤治療を続けています。" => ["medical_history", "medical_care"];
    b2_mental_certificate: "精神障害者保健福祉手帳2級を取得しています。" => ["disability"];
    b2_hearing_inflected: "聴覚に障害があるため、電話応対は難しいです。" => ["disability"];
    b2_asd_diagnosis: "自閉スペクトラム症の診断を受けています。" => ["disability", "medical_care"];
    b2_faith_church: "キリスト教の信仰を持っており、日曜日は教会の礼拝に出席しています。" => ["creed"];
    b2_faith_believer: "幸福の科学の信者です。" => ["creed"];
    b2_neg_father_shrine: "父が宮司を務める神社で、年末年始の手伝いをしています。" => [];
    b2_neg_buddhist_univ: "仏教系の大学を卒業し、一般企業に就職しました。" => [];
    b2_race_zainichi: "在日韓国人三世です。" => ["race"];
    b2_victim_deceived: "詐欺グループに騙されて多額の借金を負った経験があります。" => ["crime_victim"];
    b2_victim_violence: "元交際相手から暴力を受け、警察に相談したことがあります。" => ["crime_victim"];
    b2_victim_groping: "通勤中に痴漢の被害に遭い、時差出勤を希望しております。" => ["crime_victim"];
    b2_procedure_indicted: "業務上横領で懲戒解雇となり、その後起訴されました。" => ["criminal_procedure"];
    b2_record_ongoing: "現在、執行猶予中の身です。" => ["criminal_record"];
    b2_record_summary: "罰金30万円の略式命令を受けたことがあります。" => ["criminal_record"];
    b2_record_released: "刑務所を出所してから5年になります。" => ["criminal_record"];
    b2_neg_licence_points: "交通違反で違反点数が累積し、免許停止処分を受けました。" => [];
    b2_juvenile_left: "少年院を出た後、高卒認定試験に合格しました。" => ["juvenile_procedure"];
    b2_juvenile_hearing: "少年審判で不処分となりました。" => ["juvenile_procedure"];
    b2_neg_divorce_court: "現在、家庭裁判所で離婚調停中です。" => [];
    b2_origin_domicile: "本籍地は熊本県です。" => ["family_origin"];
    b2_origin_prefecture: "大阪府出身です。" => ["family_origin"];
    b2_origin_born_in: "福岡で生まれ、東京で育ちました。" => ["family_origin"];
    b2_origin_stated: "出身は広島です。" => ["family_origin"];
    b2_union_youth: "労働組合の青年部で活動していました。" => ["union_membership"];
    b2_neg_sharoushi: "社会保険労務士事務所で、労働組合との団体交渉の準備を会社側として支援しました。" => [];
    b2_neg_diabetes_class: "管理栄養士として、糖尿病教室の運営を担当しました。" => [];
    b2_neg_mr: "製薬会社でがん領域のMRとして勤務しました。" => [];
    b2_neg_billing: "病院の医事課で入院費の請求業務を担当しました。" => [];
    b2_neg_dementia_care: "介護施設で認知症の方のケアを担当しました。" => [];
    b2_neg_msw: "医療ソーシャルワーカーとして、がん患者の就労支援に携わりました。" => [];
    b2_neg_pension_support: "社労士事務所で障害年金の請求手続きをサポートしました。" => [];
    b2_neg_wheelchair_rental: "福祉用具専門相談員として、車椅子や介護ベッドのレンタルを提案しました。" => [];
    b2_neg_detective_drama: "趣味は刑事ドラマの鑑賞と推理小説です。" => [];
    b2_neg_religious_corp: "宗教法人の経理事務を担当しました。" => [];
    b2_neg_para_sports: "大学では障害者スポーツのボランティアサークルに所属していました。" => [];
    b2_neg_hiv_volunteer: "HIV検査の啓発イベントでボランティアをしていました。" => [];
    b2_neg_checkup_sales: "健康診断の受診率向上に向けた企画営業を担当しました。" => [];
}
