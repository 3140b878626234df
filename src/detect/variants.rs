//! Spelling variants (表記ゆれ, 異体字, kana and kanji spellings) of the dictionaries' terms,
//! from `dictionaries/variants.toml`, which `scripts/make-variants.py` generates from UniDic's
//! lemma groups. A term is matched in each of its spellings: 障害者手帳 also as 障がい者手帳 and
//! 障碍者手帳, 癲癇 also as てんかん, 生まれ育っ also as 生れ育っ. Expanding the terms, rather than
//! rewriting the text, keeps every offset and every morpheme as the document has them.

use serde::Deserialize;

use crate::tokenize::normalize_term;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariantsFile {
    #[allow(dead_code)]
    pub source: String,
    #[serde(default)]
    pub group: Vec<Group>,
}

/// Forms of one word: `forms` stand for each other; `homographs` also spell another word, so
/// a term is matched with them but a term holding one is not rewritten.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Group {
    #[allow(dead_code)]
    pub lemma: String,
    pub forms: Vec<String>,
    #[serde(default)]
    pub homographs: Vec<String>,
}

/// The variant groups, normalised like the terms they rewrite.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Variants {
    groups: Vec<(Vec<String>, Vec<String>)>,
}

impl Variants {
    pub fn new(file: &VariantsFile) -> Self {
        let norm = |v: &[String]| v.iter().map(|f| normalize_term(f)).filter(|f| !f.is_empty()).collect();
        Self { groups: file.group.iter().map(|g| (norm(&g.forms), norm(&g.homographs))).collect() }
    }

    /// `term` and its spellings: for each group with a form in `term`, the term with that form
    /// replaced by each other form of the group. One group at a time, so the count stays small.
    pub fn expand(&self, term: &str) -> Vec<String> {
        let mut out = vec![term.to_string()];
        for (forms, homographs) in &self.groups {
            for source in forms.iter().filter(|f| term.contains(f.as_str())) {
                for other in forms.iter().chain(homographs).filter(|o| *o != source) {
                    let v = term.replace(source.as_str(), other);
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants() -> Variants {
        let file: VariantsFile = toml::from_str(
            r#"
            source = "test"
            [[group]]
            lemma = "障害"
            forms = ["障害", "障がい"]
            homographs = ["障碍"]
            [[group]]
            lemma = "癲癇"
            forms = ["癲癇", "てんかん"]
            "#,
        )
        .unwrap();
        Variants::new(&file)
    }

    #[test]
    fn expands_each_group_and_keeps_homographs_as_targets_only() {
        let v = variants();
        assert_eq!(v.expand("障害者手帳"), ["障害者手帳", "障がい者手帳", "障碍者手帳"]);
        assert_eq!(v.expand("障碍"), ["障碍"]);
        assert_eq!(v.expand("てんかん発作"), ["てんかん発作", "癲癇発作"]);
        assert_eq!(v.expand("前科"), ["前科"]);
    }
}
