//! The taxonomy's category ids, names and default actions (`shared/taxonomy.md`).

use serde::{Deserialize, Serialize};

/// What a finding of a category triggers by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 要配慮個人情報: held until the candidate consents.
    Quarantine,
    /// 職業安定法 指針 items: shown to an advisor as a warning.
    Flag,
    /// An identifier that must not be collected at all (My Number).
    Reject,
}

macro_rules! categories {
    ($( $variant:ident = $id:literal, $ja:literal, $en:literal, $action:ident, $why:literal; )*) => {
        /// A category of sensitive information. The ids are fixed strings shared by the API,
        /// CLI output, database and UI.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Category { $( #[doc = $en] $variant, )* }

        impl Category {
            /// Every category, in taxonomy order.
            pub const ALL: &'static [Category] = &[$(Category::$variant),*];

            /// The fixed id (`medical_history`, ...).
            pub fn id(self) -> &'static str { match self { $(Category::$variant => $id,)* } }

            /// The Japanese name used in the UI and reports.
            pub fn name_ja(self) -> &'static str { match self { $(Category::$variant => $ja,)* } }

            /// The English name.
            pub fn name_en(self) -> &'static str { match self { $(Category::$variant => $en,)* } }

            /// The default action from the taxonomy.
            pub fn action(self) -> Action { match self { $(Category::$variant => Action::$action,)* } }

            /// A one-line explanation for the candidate, in Japanese.
            pub fn explanation_ja(self) -> &'static str { match self { $(Category::$variant => $why,)* } }

            /// Parses a category id.
            pub fn from_id(id: &str) -> Option<Category> {
                match id { $($id => Some(Category::$variant),)* _ => None }
            }
        }
    };
}

categories! {
    Race = "race", "人種・民族", "race or ethnicity", Quarantine,
        "人種・民族：要配慮個人情報にあたります";
    Creed = "creed", "信条", "creed", Quarantine,
        "信条（宗教・政治的信条）：要配慮個人情報にあたります";
    SocialStatus = "social_status", "社会的身分", "social status", Quarantine,
        "社会的身分：要配慮個人情報にあたります";
    MedicalHistory = "medical_history", "病歴", "medical history", Quarantine,
        "病歴：要配慮個人情報にあたります";
    Disability = "disability", "心身の機能の障害", "disability", Quarantine,
        "心身の機能の障害：要配慮個人情報にあたります";
    HealthCheckup = "health_checkup", "健康診断等の結果", "health-check results", Quarantine,
        "健康診断等の結果：要配慮個人情報にあたります";
    MedicalCare = "medical_care", "医師等による指導・診療・調剤", "medical care", Quarantine,
        "診療・調剤等を受けた事実：要配慮個人情報にあたります";
    CriminalRecord = "criminal_record", "犯罪の経歴", "criminal record", Quarantine,
        "犯罪の経歴：要配慮個人情報にあたります";
    CrimeVictim = "crime_victim", "犯罪により害を被った事実", "crime victim", Quarantine,
        "犯罪の被害を受けた事実：要配慮個人情報にあたります";
    CriminalProcedure = "criminal_procedure", "刑事事件に関する手続", "criminal procedure", Quarantine,
        "刑事事件に関する手続：要配慮個人情報にあたります";
    JuvenileProcedure = "juvenile_procedure", "少年の保護事件に関する手続", "juvenile protection case", Quarantine,
        "少年の保護事件に関する手続：要配慮個人情報にあたります";
    FamilyOrigin = "family_origin", "本籍・出生地・門地", "family origin", Flag,
        "本籍・出生地：採用選考で収集すべきでない事項です（職業安定法の指針）";
    UnionMembership = "union_membership", "労働組合への加入状況", "union membership", Flag,
        "労働組合への加入状況：採用選考で収集すべきでない事項です（職業安定法の指針）";
    MyNumber = "my_number", "個人番号", "My Number", Reject,
        "個人番号（マイナンバー）：番号法により収集できません";
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_serde() {
        for &c in Category::ALL {
            assert_eq!(Category::from_id(c.id()), Some(c));
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{}\"", c.id()));
        }
        assert_eq!(Category::ALL.len(), 14);
        assert_eq!(Category::from_id("nationality"), None);
    }

    #[test]
    fn actions_follow_the_taxonomy() {
        let quarantine = Category::ALL.iter().filter(|c| c.action() == Action::Quarantine).count();
        assert_eq!(quarantine, 11);
        assert_eq!(Category::FamilyOrigin.action(), Action::Flag);
        assert_eq!(Category::UnionMembership.action(), Action::Flag);
        assert_eq!(Category::MyNumber.action(), Action::Reject);
    }
}
