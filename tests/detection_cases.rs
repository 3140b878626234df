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

// A third batch: euphemisms, negations in varied forms, relatives/patients/clients,
// harmless words with sensitive substrings, and My Number variants.
cases! {
    // race
    b3_race_nikkei_brazil: "日系ブラジル人三世で、ポルトガル語と日本語のバイリンガルです。" => ["race"];
    b3_race_ainu_grandmother: "母方の祖母がアイヌで、私もアイヌ文様の刺繍を受け継いでいます。" => ["race"];
    b3_race_half_ghana: "父がガーナ人、母が日本人のハーフです。" => ["race"];
    b3_race_neg_folk_costume: "趣味は世界の民族衣装の収集と民族音楽の鑑賞です。" => [];
    b3_race_neg_special_resident: "国籍：韓国（特別永住者）" => [];
    b3_race_neg_seminar: "ゼミでは在日外国人の就労問題をテーマに卒業論文を執筆しました。" => [];

    // creed
    b3_creed_food: "宗教上の理由で豚肉とアルコールを口にできないため、会食の際はご配慮いただけますと幸いです。" => ["creed"];
    b3_creed_party_branch: "大学卒業後から、ある政党の地域支部で党員として街頭活動をしています。" => ["creed"];
    b3_creed_ordained: "実家は浄土真宗の寺で、私自身も得度を受けて僧籍を持っています。" => ["creed"];
    b3_creed_neg_religious_art: "美術館の学芸員として、ルネサンス期の宗教画の企画展を担当しました。" => [];
    b3_creed_neg_political_office: "衆議院議員事務所で政策秘書として3年間勤務しました。" => [];
    b3_creed_neg_mission_school: "ミッション系の女子高校を卒業しました。" => [];
    b3_creed_neg_none: "特定の宗教団体や政党への所属はございません。" => [];

    // social_status
    b3_social_status_roots: "被差別部落にルーツを持つ家庭で育ち、差別のない職場づくりに関心があります。" => ["social_status"];
    b3_social_status_dowa_born: "同和地区の出身であることを、これまで隠さずに生きてきました。" => ["social_status"];
    b3_social_status_neg_city_hall: "市役所の人権啓発課で、部落差別解消推進法に関する研修資料を作成しました。" => [];
    b3_social_status_neg_standing: "社会的地位の高い仕事よりも、現場で人の役に立てる仕事を志望しています。" => [];

    // medical_history
    b3_mh_convalescence_gap: "2021年5月〜2022年2月　療養期間（現在は就業に支障ありません）" => ["medical_history"];
    b3_mh_chronic_visits: "持病の管理のため、月に一度の通院が必要です。" => ["medical_history", "medical_care"];
    b3_mh_type1_insulin: "1型糖尿病のため、勤務中にインスリン注射をさせていただきます。" => ["medical_history", "medical_care"];
    b3_mh_panic: "パニック障害を抱えており、満員電車を避けるため時差出勤を希望します。" => ["medical_history"];
    b3_mh_hiv_meds: "HIV陽性ですが、服薬によりウイルスは検出限界以下で、業務に制限はありません。" => ["medical_history", "medical_care"];
    b3_mh_depression_leave: "うつ病と診断され、約4か月間休職して治療に専念しました。" => ["medical_history", "medical_care"];
    b3_mh_neg_cancer_institute: "2016年4月　財団法人癌研究所　研究補助員として入所" => [];
    b3_mh_neg_husband: "夫が脳梗塞で倒れたため、在宅介護と両立できる勤務形態を希望します。" => [];
    b3_mh_neg_translation: "医療翻訳者として、がん臨床試験のプロトコルや糖尿病の論文を英訳しました。" => [];
    b3_mh_neg_never_ill: "これまで大きな病気をしたことは一度もありません。" => [];
    b3_mh_neg_ganbariya: "部活動では「がんばり屋」と呼ばれ、最後まで練習に残るタイプでした。" => [];
    b3_mh_neg_care_worker: "介護福祉士として、脳梗塞の後遺症で片麻痺のある利用者様の入浴介助を担当しました。" => [];

    // disability
    b3_dis_ryoiku: "療育手帳（B2）を取得しており、障害者枠での応募となります。" => ["disability"];
    b3_dis_hearing_aid: "両耳に補聴器をつけていますので、面接ではゆっくりお話しいただけると助かります。" => ["disability"];
    b3_dis_grade: "障害者手帳の等級は2級（下肢機能障害）です。" => ["disability"];
    b3_dis_low_vision: "弱視のため、画面拡大ソフトを使用して業務を行っています。" => ["disability"];
    b3_dis_neg_it_incident: "本番環境の障害対応でオンコールを担当し、障害報告書の作成も行いました。" => [];
    b3_dis_neg_teacher: "特別支援学校の教諭として、知的障害のある生徒の進路指導を担当しました。" => [];
    b3_dis_neg_son: "長男に発達障害があり、療育への送迎のため週1回の在宅勤務を希望します。" => [];
    b3_dis_neg_none: "障害の有無：該当なし" => [];

    // health_checkup
    b3_hc_liver_e: "会社の定期健診で肝機能がE判定となり、精密検査を勧められました。" => ["health_checkup"];
    b3_hc_blood_sugar: "健康状態：良好（ただし昨年の健康診断で血糖値がやや高いと指摘あり）" => ["health_checkup"];
    b3_hc_genetic: "遺伝子検査で乳がんのリスクが高いという結果が出ています。" => ["health_checkup"];
    b3_hc_neg_public_health_nurse: "企業の保健師として、健康診断結果に基づく保健指導を担当しました。" => [];
    b3_hc_neg_empty: "健康状態：特記事項なし" => [];
    b3_hc_neg_never_flagged: "毎年の人間ドックで指摘を受けたことはありません。" => [];

    // medical_care
    b3_mc_hospitalised: "2019年の夏に3か月ほど入院していた時期があり、その間は学業を休んでいました。" => ["medical_care"];
    b3_mc_rehab: "手術後のリハビリも終わり、現在は通常どおり勤務できます。" => ["medical_care"];
    b3_mc_medication: "服薬治療を続けながら勤務しておりますが、業務に支障はございません。" => ["medical_care"];
    b3_mc_counselling: "休職中は臨床心理士のカウンセリングに通い、復職プログラムを修了しました。" => ["medical_care"];
    b3_mc_neg_drugstore: "ドラッグストアの登録販売者として、一般用医薬品の相談対応を行いました。" => [];
    b3_mc_neg_claims: "生命保険会社で入院給付金・手術給付金の査定業務を担当しました。" => [];
    b3_mc_neg_father: "父の通院の付き添いがあるため、月に2日ほど有給休暇を使う予定です。" => [];
    b3_mc_neg_none: "これまでに入院や手術をしたことはございません。" => [];

    // criminal_record
    b3_cr_served: "刑務所での服役を経て、出所後は建設会社で真面目に働いてきました。" => ["criminal_record"];
    b3_cr_fine: "賞罰：平成30年　過失運転致傷により罰金刑" => ["criminal_record"];
    b3_cr_one_prior: "前科が一件あります。" => ["criminal_record"];
    b3_cr_arrest_and_sentence: "逮捕・起訴され、懲役1年執行猶予3年の判決を受けました。" => ["criminal_procedure", "criminal_record"];
    b3_cr_neg_novel: "最近読んだ小説は『前科五犯の探偵』というミステリーです。" => [];
    b3_cr_neg_award: "賞罰　令和3年　社内MVP賞受賞" => [];
    b3_cr_neg_never: "これまで罰金以上の刑に処せられたことは一度もありません。" => [];
    b3_cr_neg_reporter: "新聞社の社会部記者として、殺人事件の公判や受刑者への取材を担当しました。" => [];

    // crime_victim
    b3_cv_dv_shelter: "配偶者からの暴力を逃れてシェルターに避難した経緯があり、現住所は非公開でお願いします。" => ["crime_victim"];
    b3_cv_burglary: "昨年自宅に空き巣が入り、通帳や資格証を盗まれたため、現在再発行の手続き中です。" => ["crime_victim"];
    b3_cv_police_report: "前職で上司から性的な嫌がらせを受け、警察に被害届を提出しました。" => ["crime_victim"];
    b3_cv_neg_paralegal: "法律事務所のパラリーガルとして、詐欺被害の損害賠償請求の書類作成を担当しました。" => [];
    b3_cv_neg_sister: "妹が特殊詐欺の被害に遭ったことから、防犯啓発の活動に関心を持ちました。" => [];
    b3_cv_neg_bad_debt: "取引先の倒産で売掛金が回収できない損害を受けた経験から、与信管理を学びました。" => [];

    // criminal_procedure
    b3_cp_arrest_non_prosecution: "20歳の頃に傷害の容疑で逮捕されましたが、示談が成立し不起訴処分となりました。" => ["criminal_procedure"];
    b3_cp_papers_sent: "前職で交通事故を起こし、書類送検されたことがあります。" => ["criminal_procedure"];
    b3_cp_detained_gap: "勾留されていた期間があり、その間の職歴は空白となっています。" => ["criminal_procedure"];
    b3_cp_neg_clerk: "裁判所書記官として、刑事部で公判調書の作成と勾留状の管理を担当しました。" => [];
    b3_cp_neg_guard: "警備員として商業施設を巡回し、万引き犯を警察に引き渡したことが何度もあります。" => [];
    b3_cp_neg_never: "逮捕歴・起訴歴はいずれもございません。" => [];
    b3_cp_neg_editor: "出版社の編集者として、冤罪事件と刑事裁判を扱うノンフィクションを担当しました。" => [];

    // juvenile_procedure
    b3_jp_probation_period: "17歳から1年間の保護観察期間中に定時制高校へ通い、卒業しました。" => ["juvenile_procedure"];
    b3_jp_family_court: "中学生のときに家庭裁判所での審判を受け、児童自立支援施設で生活していました。" => ["juvenile_procedure"];
    b3_jp_sent_to_school: "10代の頃に少年院送致となり、院内で簿記3級を取得しました。" => ["juvenile_procedure"];
    b3_jp_neg_child_guidance: "児童相談所の児童福祉司として、非行相談や家庭裁判所との連絡調整を担当しました。" => [];
    b3_jp_neg_probation_officer: "保護観察官として、保護観察中の少年との面接と指導を行いました。" => [];
    b3_jp_neg_teacher: "中学校の教員として生活指導主任を務め、補導された生徒の保護者対応も行いました。" => [];
    b3_jp_neg_inheritance: "父の死去に伴い、家庭裁判所で相続放棄の申述を行いました。" => [];

    // family_origin
    b3_fo_okinawa: "生まれは沖縄で、高校卒業後に上京しました。" => ["family_origin"];
    b3_fo_honseki: "本籍地：北海道旭川市（現住所と同じ）" => ["family_origin"];
    b3_fo_old_family: "実家は江戸時代から続く旧家で、祖父は村長を務めていました。" => ["family_origin"];
    b3_fo_birthplace_abroad: "出生地：ブラジル・サンパウロ" => ["family_origin"];
    b3_fo_neg_year_rikei: "平成8年生まれの28歳、理系出身でIT系の企業を志望しています。" => [];
    b3_fo_neg_work_location: "入社後は地元である長野の支店での勤務を希望します。" => [];
    b3_fo_neg_new_business: "社内ベンチャーから生まれた新規事業の立ち上げに携わりました。" => [];
    b3_fo_neg_school: "高校卒業まで京都の私立高校に通っていました。" => [];

    // union_membership
    b3_um_chair: "2019年から2年間、労働組合の執行委員長を務め、賃上げ交渉の先頭に立ちました。" => ["union_membership"];
    b3_um_branch_head: "入社以来ユニオンに加入しており、現在は職場の分会長を務めています。" => ["union_membership"];
    b3_um_general_union: "個人加盟の合同労組に入り、未払い残業代について会社と交渉しました。" => ["union_membership"];
    b3_um_neg_ja: "農業協同組合で、組合員の営農指導と融資業務を担当しました。" => [];
    b3_um_neg_labour_relations: "人事労務課で、労使協議会の議事録作成と就業規則の改定を担当しました。" => [];
    b3_um_neg_kenpo: "健康保険組合で、加入者の資格取得・喪失の手続きを担当しました。" => [];
    b3_um_neg_none: "労働組合に加入したことはありません。" => [];

    // my_number (valid: 482917365029, 730184629516, 271828182840, 205861394779)
    b3_mn_fullwidth_hyphen: "マイナンバー：４８２９－１７３６－５０２９" => ["my_number"];
    b3_mn_spaces: "個人番号 7301 8462 9516" => ["my_number"];
    b3_mn_unlabelled: "備考：271828182840" => ["my_number"];
    b3_mn_card_note: "2058-6139-4779（マイナンバーカード記載の番号）" => ["my_number"];
    b3_mn_neg_order_number: "注文番号 482917365021 の件でお客様対応を行いました。" => [];
    b3_mn_neg_fullwidth_bad: "個人番号　７３０１　８４６２　９５１３" => [];
    b3_mn_neg_card_only: "マイナンバーカードは取得済みです（番号の記載は控えます）。" => [];

    // plain résumé fields
    b3_neutral_request: "本人希望記入欄：貴社の規定に従います。" => [];
    b3_neutral_awards_none: "賞罰　特記事項なし" => [];
}

cases! {
    // race
    b4_race_ryukyu: "琉球民族としての誇りを持ち、三線と島言葉を祖母から受け継ぎました。" => ["race"];
    b4_race_zainichi_chosen: "在日朝鮮人二世として大阪の生野区で育ちました。" => ["race"];
    b4_race_mixed_roots: "父がアフリカ系アメリカ人、母が日本人のミックスルーツです。" => ["race"];
    b4_race_nikkei_peru_self: "日系ペルー人三世で、2015年に家族と来日しました。" => ["race"];
    b4_race_ainu_roots: "母方がアイヌにルーツを持ち、アイヌ語の学習を続けています。" => ["race"];
    // Parents' naturalisation is a legal status (taxonomy: excluded), not a lineage statement.
    b4_race_parents_naturalized: "両親とも中国から帰化しており、家では中国語で話しています。" => [];
    b4_race_neg_own_naturalization: "2020年に日本国籍を取得しました（帰化）。" => [];
    b4_race_neg_nikkei_work: "人材会社で日系ブラジル人労働者の就労支援と通訳を担当しました。" => [];
    b4_race_neg_ainu_study: "大学でアイヌ文化を研究し、卒業論文は口承文芸をテーマにしました。" => [];
    b4_race_neg_ryukyu_univ: "琉球大学工学部を卒業しました。" => [];
    b4_race_neg_mixed_doubles: "テニスのミックスダブルスで県大会に出場しました。" => [];

    // creed
    b4_creed_monto: "浄土真宗の門徒として、毎朝仏壇にお勤めをしています。" => ["creed"];
    b4_creed_jw: "エホバの証人の信者のため、輸血を伴う業務や選挙活動には関われません。" => ["creed"];
    b4_creed_joined_party: "20歳で日本共産党に入党し、現在も党員として活動しています。" => ["creed"];
    b4_creed_activism: "反原発の市民運動に長く参加し、デモの企画も担ってきました。" => ["creed"];
    b4_creed_hijab: "信仰上の理由からヒジャブを着用して勤務したいと考えています。" => ["creed"];
    b4_creed_neg_mission_teacher: "ミッション系の中学校で英語科教諭として5年間勤務しました。" => [];
    b4_creed_neg_shrine_trip: "旅行が好きで、伊勢神宮や出雲大社を訪れました。" => [];
    b4_creed_neg_politics_study: "政治学科で政党政治を学び、選挙の投票行動についてゼミ論文を書きました。" => [];
    b4_creed_neg_secretary: "衆議院議員の事務所で公設秘書として勤務しました。" => [];
    b4_creed_neg_no_religion: "特定の宗教は信仰していません。" => [];

    // social_status
    b4_ss_dowa_origin: "同和地区の出身で、就職差別を受けた経験から人権問題に関心を持ちました。" => ["social_status"];
    b4_ss_buraku_home: "実家が被差別部落にあることを理由に、交際相手の親から反対されました。" => ["social_status"];
    b4_ss_buraku_self: "部落出身であることを隠さずに生きてきました。" => ["social_status"];
    b4_ss_neg_training: "人事部で同和問題を含む人権研修の企画と講師を担当しました。" => [];
    b4_ss_neg_consultation: "市の人権啓発センターで部落差別解消推進法に関する相談業務に従事しました。" => [];

    // juvenile_procedure
    b4_jp_reformatory: "16歳から1年間、少年院で過ごし、出院後に高卒認定試験に合格しました。" => ["juvenile_procedure"];
    b4_jp_probation_disposition: "中学3年のときに保護観察処分を受けましたが、現在は更生しています。" => ["juvenile_procedure"];
    b4_jp_kasai_sent: "高校1年の冬に家裁送致となり、試験観察を経て不処分となりました。" => ["juvenile_procedure"];
    b4_jp_neg_houmu_kyoukan: "法務教官として少年院に勤務し、矯正教育と生活指導を担当しました。" => [];
    b4_jp_neg_hogoshi: "地域で保護司を務め、保護観察中の少年の面接を月2回行っています。" => [];
    b4_jp_neg_shelter_staff: "児童相談所で一時保護所の児童指導員として勤務しました。" => [];
    b4_jp_neg_court_investigator: "家庭裁判所調査官補として、少年事件の社会調査を担当しました。" => [];

    // health_checkup
    b4_hc_dock_liver: "昨年の人間ドックで肝機能の数値が基準値を超えていると指摘されました。" => ["health_checkup"];
    b4_hc_high_stress: "前職のストレスチェックで高ストレス者と判定されました。" => ["health_checkup"];
    b4_hc_ecg: "会社の定期健診で心電図に異常所見があり、要精密検査となりました。" => ["health_checkup"];
    b4_hc_blood_sugar: "特定健診で血糖値がやや高めとの結果でした。" => ["health_checkup"];
    b4_hc_neg_center_staff: "健診センターで受付と人間ドックの予約管理を担当しました。" => [];
    b4_hc_neg_kenko_keiei: "健康経営優良法人の認定取得に向け、社内の健診受診率向上施策を推進しました。" => [];
    b4_hc_neg_no_findings: "健康状態：良好（直近の健康診断で異常なし）" => [];
    b4_hc_neg_stresscheck_admin: "衛生管理者としてストレスチェック制度の実施事務を担当しました。" => [];

    // crime_victim
    b4_cv_stalking: "前職を辞めた理由の一つは、元交際相手からのつきまとい被害で転居を余儀なくされたことです。" => ["crime_victim"];
    b4_cv_dv: "配偶者からの暴力を受け、シェルターを経て現在は新しい住所で生活しています。" => ["crime_victim"];
    b4_cv_fraud: "投資詐欺に遭い、貯蓄の大半を失った経験があります。" => ["crime_victim"];
    b4_cv_burglary: "大学在学中に自宅へ空き巣に入られ、警察に被害届を提出しました。" => ["crime_victim"];
    b4_cv_assault: "駅で見知らぬ男性から暴行を受け、全治2週間の怪我を負いました。" => ["crime_victim"];
    b4_cv_neg_support: "犯罪被害者支援センターの相談員として、被害者の裁判付き添いを担当しました。" => [];
    b4_cv_neg_insurance: "損害保険会社で盗難・事故の保険金請求の査定業務を担当しました。" => [];
    b4_cv_neg_disaster: "東日本大震災で実家が被災し、半年間避難生活を送りました。" => [];
    b4_cv_neg_fraud_prevention: "銀行の窓口で、高齢のお客様の特殊詐欺被害を防ぐための声かけを徹底しました。" => [];
}
