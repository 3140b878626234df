//! Context rules: sentence and clause scope, negation, third parties, work and studies,
//! résumé sections.

use super::dictionary::Suppressor;
use crate::tokenize::Analysis;

/// A cue occurrence in the normalised text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cue {
    pub start: usize,
    pub end: usize,
    /// Index into the cue-set names.
    pub set: usize,
}

/// Indices of the built-in cue sets the rules below consult.
#[derive(Debug, Clone, Default)]
pub(crate) struct CueSets {
    pub family: usize,
    pub third_party: usize,
    pub work: usize,
    pub work_local: usize,
    pub person: usize,
    pub study: usize,
    pub self_ref: usize,
    pub generic: usize,
}

/// How far a sentence may reach on each side of a match, in bytes (about 200 characters).
const MAX_SENTENCE: usize = 600;

fn floor_char_boundary(t: &str, mut at: usize) -> usize {
    while at > 0 && !t.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Characters that end a sentence-like unit, after normalisation.
pub(crate) fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '!' | '?' | '\n' | '■' | '□' | '●' | '◆' | '◇' | '【' | '】' | '※' | '★' | '☆' | '▼' | '▶')
}

/// Characters that end a clause within a sentence.
fn is_clause_end(c: char) -> bool {
    // Not ・: it joins coordinated nouns (前科・前歴はありません); bullets follow a line break.
    is_sentence_end(c) || matches!(c, '、' | ',' | ';' | '/')
}

/// The sentence around `start..end` in normalised text `t`: cut at 。!? line breaks and
/// headings, at most [`MAX_SENTENCE`] bytes each side.
pub(crate) fn sentence_bounds(t: &str, start: usize, end: usize) -> (usize, usize) {
    // Text without punctuation (PDF tables, pasted lists) must not make every candidate
    // scan the whole document: a sentence is at most MAX_SENTENCE bytes each side.
    let lo = floor_char_boundary(t, start.saturating_sub(MAX_SENTENCE));
    let hi = floor_char_boundary(t, (end + MAX_SENTENCE).min(t.len()));
    let s =
        t[lo..start].char_indices().rev().find(|&(_, c)| is_sentence_end(c)).map_or(lo, |(i, c)| lo + i + c.len_utf8());
    let e = t[end..hi].char_indices().find(|&(_, c)| is_sentence_end(c)).map_or(hi, |(i, _)| end + i);
    (s, e)
}

/// What may follow a person named before a term for the term to be theirs: subject, owner,
/// or the one who has it (長男に発達障害があり).
const PERSON_PARTICLES: &[&str] =
    &["が", "は", "の", "も", "に", "には", "にも", "とも", "さんが", "さんの", "さんは", "("];
/// What follows a person word when it names a time of the candidate's own life (子供の頃から
/// 喘息で, 子どものころ, 少年時代に).
const TIME_OF_LIFE: &[&str] = &["の頃", "のころ", "の時", "のとき", "時代", "期"];
/// Words after which 「…」 is the title of a work, not speech.
const TITLE_LEADS: &[&str] = &[
    "発表",
    "発表会",
    "研究",
    "研究会",
    "論文",
    "卒論",
    "演題",
    "講演",
    "口演",
    "テーマ",
    "題目",
    "著書",
    "寄稿",
    "連載",
    "セミナー",
    "研修",
];
/// The candidate naming themself.
const FIRST_PERSON: &[&str] = &["私", "わたし", "わたくし", "僕", "ぼく", "俺", "自分", "当方", "小生"];
/// Only the subject (妹が被害に遭った), for harms a relative may have done (父の暴力).
const SUBJECT_PARTICLES: &[&str] = &["が", "は", "も", "さんが", "さんは"];

/// The scopes a candidate is judged in, innermost last.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scopes {
    /// Cut at 。!? line breaks and headings.
    pub sentence: (usize, usize),
    /// The sentence cut where it turns to another statement (が, けど, ものの, のに): where
    /// strong work cues count.
    pub segment: (usize, usize),
    /// The segment cut at commas: where negation reaches.
    pub clause: (usize, usize),
    /// The clause, and the one before it when that one names a role (看護師として、…).
    pub role: (usize, usize),
}

/// The context of one text: its analysis and cue occurrences, sorted by start.
pub(crate) struct Context<'a> {
    pub analysis: &'a Analysis<'a>,
    pub cues: &'a [Cue],
    pub sets: &'a CueSets,
    pub negators: &'a [String],
    pub light_verbs: &'a [String],
    pub bridge_nouns: &'a [String],
    pub window: usize,
}

impl<'a> Context<'a> {
    fn text(&self) -> &'a str {
        &self.analysis.normalized.text
    }

    /// The sentence around `start..end`.
    pub fn sentence(&self, start: usize, end: usize) -> (usize, usize) {
        sentence_bounds(self.text(), start, end)
    }

    /// Every scope a candidate is judged in, computed once.
    pub fn scopes(&self, start: usize, end: usize) -> Scopes {
        let sentence = self.sentence(start, end);
        let t = self.text();
        // Conjunctive particles that turn to another statement: found once per candidate.
        let a = self.analysis;
        let (mut seg_s, mut seg_e) = sentence;
        let mut i = a.morpheme_at(sentence.0);
        while i < a.morphemes.len() && (a.morphemes[i].start as usize) < sentence.1 {
            let m = a.morphemes[i];
            if matches!(a.surface(i), "が" | "けど" | "けれど" | "けれども" | "ものの" | "のに") {
                let (pos, sub, _) = a.pos(i);
                if pos == "助詞" && sub == "接続助詞" {
                    if (m.end as usize) <= start {
                        seg_s = m.end as usize;
                    } else if (m.start as usize) >= end {
                        seg_e = m.start as usize;
                        break;
                    }
                }
            }
            i += 1;
        }
        let segment = (seg_s, seg_e);
        let cut_before = |from: usize, to: usize| {
            t[from..to]
                .char_indices()
                .rev()
                .find(|&(_, c)| is_clause_end(c))
                .map_or(from, |(i, c)| from + i + c.len_utf8())
        };
        let cut_after = |from: usize, to: usize| {
            t[from..to].char_indices().find(|&(_, c)| is_clause_end(c)).map_or(to, |(i, _)| from + i)
        };
        let clause = (cut_before(seg_s, start), cut_after(end, seg_e));
        // The clause before, when it introduces a role (看護師として、…を担当).
        let before = t[..clause.0].trim_end_matches(['、', ',', ' ']);
        let role = if before.len() < clause.0
            && before.len() >= sentence.0
            && (before.ends_with("として")
                || before.ends_with("にて")
                || (before.ends_with('で') && !before.ends_with("ので")))
        {
            (cut_before(sentence.0, before.len()).min(clause.0), clause.1)
        } else {
            clause
        };
        Scopes { sentence, segment, clause, role }
    }

    /// A cue that strictly contains the span: the term is part of a job compound
    /// (服薬 in 服薬指導, 看護 in 訪問看護).
    pub fn inside_longer_cue(&self, set: usize, start: usize, end: usize) -> bool {
        let first = self.cues.partition_point(|c| c.start + 64 < start);
        self.cues[first..]
            .iter()
            .take_while(|c| c.start <= start)
            .any(|c| c.set == set && c.start <= start && c.end >= end && c.end - c.start > end - start)
    }

    fn cues_in(&self, set: usize, from: usize, to: usize) -> impl Iterator<Item = &'a Cue> + '_ {
        let first = self.cues.partition_point(|c| c.start < from);
        self.cues[first..].iter().take_while(move |c| c.start < to).filter(move |c| c.set == set && c.end <= to)
    }

    /// Whether any cue of `set` lies in `from..to` outside the match `start..end`.
    pub fn has_cue(&self, set: usize, from: usize, to: usize, start: usize, end: usize) -> bool {
        self.cues_in(set, from, to).any(|c| c.end <= start || c.start >= end)
    }

    /// The first context rule of `rules` that cancels `start..end`, if any.
    pub fn suppressed_by(&self, rules: &[Suppressor], start: usize, end: usize, scopes: &Scopes) -> Option<Suppressor> {
        let Scopes { sentence, clause, role, segment } = *scopes;
        let self_ref = self.has_cue(self.sets.self_ref, sentence.0, sentence.1, start, end);
        rules.iter().copied().find(|rule| match rule {
            Suppressor::Negation => self.negated(end, clause.1),
            Suppressor::ThirdParty => self.about_someone_else(start, end, clause, sentence, false, false),
            Suppressor::ThirdPartySubject => self.about_someone_else(start, end, clause, sentence, true, false),
            Suppressor::Work => {
                !self_ref
                    && (self.has_cue(self.sets.work, segment.0, segment.1, start, end)
                        || self.has_cue(self.sets.work_local, role.0, role.1, start, end)
                        || self.inside_longer_cue(self.sets.work, start, end)
                        || self.inside_longer_cue(self.sets.work_local, start, end))
            }
            Suppressor::Study => !self_ref && self.has_cue(self.sets.study, role.0, role.1, start, end),
        })
    }

    /// How closely a work cue frames the term, for the work rule (train_model reports how
    /// often each cancels rightly; ARCHITECTURE.md, "Decision policy"):
    /// * `work`: an explicit frame with the candidate as the actor: the term is part of a job
    ///   compound (服薬指導), the clause before names the role (看護師として、…), or a role
    ///   named with として earlier in the sentence (法務教官として…勤務し、在院者の…);
    /// * `work_clause`: a work cue in the term's own clause (精神科病棟で勤務), which the
    ///   sentence model may overrule;
    /// * `work_near`: a work cue only elsewhere in the sentence, which does not cancel
    ///   (入院していた頃、看護師の方々に…).
    pub fn work_frame(&self, start: usize, end: usize, scopes: &Scopes) -> &'static str {
        let (rs, re) = scopes.role;
        let (cs, _) = scopes.clause;
        let compound = self.inside_longer_cue(self.sets.work, start, end)
            || self.inside_longer_cue(self.sets.work_local, start, end);
        let role = rs < cs && (self.has_cue(self.sets.work, rs, cs, start, end) || self.has_cue(self.sets.work_local, rs, cs, start, end))
            // The sentence opens with the candidate's role (法務教官として少年院に勤務し、…).
            || self.cues_in(self.sets.work, scopes.segment.0, cs).any(|c| self.text()[c.end..].starts_with("として"));
        if compound || role {
            "work"
        } else if self.has_cue(self.sets.work, rs, re, start, end)
            || self.has_cue(self.sets.work_local, rs, re, start, end)
        {
            "work_clause"
        } else {
            "work_near"
        }
    }

    /// The term names a field or an organisation rather than a condition: a topic word
    /// follows it (障害者雇用・推進室, 再発・防止, がん・領域, 通院・に関する助言, 刑事事件・では).
    pub fn is_topic(&self, end: usize, topic_suffixes: &[String]) -> bool {
        let t = self.text();
        let rest = &t[end..];
        if [
            "では",
            "において",
            "に関する",
            "に関して",
            "に関わる",
            "に係る",
            "をテーマ",
            "の分野",
            "の領域",
            "のリスク",
            "リスク",
            "の予防",
            "の啓発",
        ]
        .iter()
        .any(|p| rest.starts_with(p))
        {
            return true;
        }
        let a = self.analysis;
        let i = a.morpheme_at(end);
        i < a.morphemes.len()
            && a.morphemes[i].start as usize == end
            && topic_suffixes.iter().any(|s| s == a.surface(i))
    }

    /// The term stands alone as a heading or label (＜少年事件＞, 【刑事事件】): it names a
    /// practice area, not something that happened to the candidate.
    pub fn is_label(&self, start: usize, end: usize) -> bool {
        let t = self.text();
        // Inside a title (『前科五犯の探偵』): a work's name, not a statement.
        let (ls, le) = sentence_bounds(t, start, end);
        if t[ls..start].rfind('『').is_some_and(|o| !t[ls + o..start].contains('』')) && t[end..le].contains('』') {
            return true;
        }
        // The title of a talk, paper or report in 「」 (研究発表会「入院早期からの…」): 「」 also
        // quotes speech, so only after a word that introduces a title.
        if let Some(o) = t[ls..start].rfind('「').filter(|&o| !t[ls + o..start].contains('」')) {
            let lead = t[ls..ls + o].trim_end();
            if t[end..le].contains('」') && TITLE_LEADS.iter().any(|w| lead.ends_with(w)) {
                return true;
            }
        }
        let before = t[..start].chars().next_back();
        let after = t[end..].chars().next();
        let opens = |c: char| matches!(c, '<' | '【' | '[' | '《' | '〈' | '『' | '〔' | '■' | '●' | '◆' | '□');
        let closes = |c: char| matches!(c, '>' | '】' | ']' | '》' | '〉' | '』' | '〕' | '\n');
        before.is_some_and(opens) && after.is_none_or(closes)
    }

    /// A negator follows within the clause, with only particles, auxiliaries, adverbs,
    /// symbols, dependent nouns and light verbs between (前科は・ありません, 既往歴：特に・なし,
    /// 有罪判決は・受けて・おりません). A content word in between ends the search
    /// (服薬で・コントロール… 支障はありません is not a negation of 服薬).
    fn negated(&self, end: usize, clause_end: usize) -> bool {
        let a = self.analysis;
        let mut i = a.morpheme_at(end);
        let mut seen = 0;
        // Nouns right after the term continue its compound (有罪・判決は受けておりません).
        let mut in_compound = true;
        while i < a.morphemes.len() && (a.morphemes[i].start as usize) < clause_end && seen < self.window {
            let surface = a.surface(i);
            // ん negates as an auxiliary (ありません) but not as the nominaliser of のだ
            // (出てるんです) or a particle.
            if self.negators.iter().any(|n| n == surface) && !matches!(a.pos(i), ("名詞", "非自立", _) | ("助詞", _, _))
            {
                return true;
            }
            if surface.chars().all(|c| !c.is_alphanumeric()) {
                // Punctuation the dictionary does not know (an ASCII colon is a noun to IPADIC).
                seen += 1;
                i += 1;
                continue;
            }
            let (pos, sub, _) = a.pos(i);
            if pos == "名詞" && in_compound {
                seen += 1;
                i += 1;
                continue;
            }
            in_compound = false;
            // Coordinated nouns share the predicate (前科も・逮捕歴も・ありません): skip a run of
            // nouns that ends with the same particle as the one after the term.
            if pos == "助詞" && matches!(surface, "も" | "や" | "とか") {
                let mut j = i + 1;
                while j < a.morphemes.len() && (a.morphemes[j].start as usize) < clause_end && a.pos(j).0 == "名詞" {
                    j += 1;
                }
                if j > i + 1 && j < a.morphemes.len() && a.surface(j) == surface {
                    seen += j - i;
                    i = j + 1;
                    continue;
                }
            }
            let base = a.base_form(i);
            if self.negators.iter().any(|n| *n == base) && pos != "名詞" {
                return true;
            }
            let passes = match pos {
                "助詞" | "助動詞" | "副詞" | "記号" | "連体詞" => true,
                "名詞" => {
                    matches!(sub, "非自立" | "接尾" | "代名詞" | "副詞可能" | "数")
                        || self.bridge_nouns.iter().any(|n| n == surface)
                }
                "動詞" => sub == "非自立" || sub == "接尾" || self.light_verbs.iter().any(|v| *v == base),
                _ => false,
            };
            if !passes {
                return false;
            }
            seen += 1;
            i += 1;
        }
        false
    }

    /// The sentence speaks in general (the term defined: うつ病とは; a `generic` cue: 一般的に,
    /// 原則として, 統計) and refers nowhere to the candidate.
    pub fn generic(&self, start: usize, end: usize, scopes: &Scopes) -> bool {
        let (ss, se) = scopes.sentence;
        // 〜とは defines the term right before it (うつ病とは…); elsewhere it is と + は (家族とは
        //話します), and a sentence holding 〜とは、 measured as a canceller of every term in it
        // was right only 75 % of the time.
        let defined = self.text()[end..].starts_with("とは");
        (defined || self.has_cue(self.sets.generic, ss, se, start, end))
            && !self.has_cue(self.sets.self_ref, ss, se, start, end)
    }

    /// Another person is the subject or owner earlier in the sentence, before the term's clause
    /// and up to a turn (が, けど), with the candidate named nowhere between: 夫ががんの治療中で、
    /// 週に一度通院の付き添いが…. Zero anaphora makes this only a nearby cue ("third_party_near"):
    /// the sentence model may overrule it.
    pub fn someone_else_earlier(&self, start: usize, end: usize, scopes: &Scopes, subject_only: bool) -> bool {
        let (ss, _) = scopes.segment;
        let (cs, _) = scopes.clause;
        if cs <= ss {
            return false;
        }
        self.about_someone_else(start, end, (ss, cs), scopes.sentence, subject_only, true)
    }

    /// The clause names another person as the one concerned: a relative or a third party
    /// before the term (夫がうつ病で…, 患者の…), or right after it (うつ病の母, 障害のある利用者).
    fn about_someone_else(
        &self,
        start: usize,
        end: usize,
        clause: (usize, usize),
        sentence: (usize, usize),
        subject_only: bool,
        before_only: bool,
    ) -> bool {
        let t = self.text();
        // 母も私も…, 私も…: the candidate says it of themself too.
        let shared = self.cues_in(self.sets.self_ref, sentence.0, sentence.1).any(|c| t[c.end..].starts_with('も'));
        if shared {
            return false;
        }
        // The person must be the subject or owner of what follows (夫が, 母の, 患者は), with
        // nothing said of the candidate in between: 上司からのパワハラ is not the boss's.
        let before = |set| {
            self.cues_in(set, clause.0, start).any(|c| {
                let rest = &t[c.end..start];
                // 子供の頃, 学生時代: a time of the candidate's life, not another person.
                if TIME_OF_LIFE.iter().any(|p| rest.starts_with(p)) {
                    return false;
                }
                (if subject_only { SUBJECT_PARTICLES } else { PERSON_PARTICLES }).iter().any(|p| rest.starts_with(p))
                    && !self.has_cue(self.sets.self_ref, c.end, start, start, end)
            })
        };
        if before(self.sets.family) || before(self.sets.third_party) {
            return true;
        }
        if subject_only || before_only {
            return false;
        }
        // A relative clause or の-phrase that ends on a person: うつ病の母, 障害のある利用者,
        // 化学療法を受ける患者様, 家庭裁判所に送致された少年, DV被害者.
        let after_limit = floor_char_boundary(t, (end + 48).min(clause.1).max(end));
        [self.sets.family, self.sets.third_party, self.sets.person].into_iter().any(|set| {
            self.cues_in(set, end, after_limit).any(|c| {
                let gap = &t[end..c.start];
                gap.is_empty() && set == self.sets.person
                    || !gap.is_empty()
                        && !gap.contains(['、', ',', '(', ')', ' '])
                        // 前科のある私を雇ってくれた社長: the candidate is named in between.
                        && !FIRST_PERSON.iter().any(|p| gap.contains(p))
                        && ["の", "のある", "がある", "を持つ", "を抱える", "を抱えた", "た", "る", "い", "中の"]
                            .iter()
                            .any(|p| gap.ends_with(p))
            })
        })
    }
}
