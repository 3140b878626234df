//! NFKC normalisation with a byte-level offset map back to the source text.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

/// Text prepared for matching, with a map from each of its bytes to the source text.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The normalised text that dictionaries and the tokenizer see.
    pub text: String,
    /// For each byte of `text` (plus one past the end), the source byte it came from.
    src_start: Vec<u32>,
    /// For each byte of `text`, the end of the source span it came from.
    src_end: Vec<u32>,
}

impl Normalized {
    /// Maps a byte span of the normalised text to the source span it was made from.
    ///
    /// Spans always land on character boundaries of the source, because every source
    /// chunk (a starter and its combining marks) maps as a whole.
    pub fn source_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.text.is_empty() || start >= end {
            let at = self.src_start.get(start).copied().unwrap_or(0) as usize;
            return (at, at);
        }
        let s = self.src_start[start] as usize;
        let e = self.src_end[end - 1] as usize;
        (s, e.max(s))
    }
}

/// Characters that are written in Japanese text without spaces between words.
pub(crate) fn is_japanese(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // hiragana, katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0x3005..=0x3007 // 々 〆 〇
        | 0x3001..=0x3002 // 、。
        | 0x300C..=0x300F // 「」『』
        | 0xFF08 | 0xFF09 // full-width brackets survive only before NFKC
    ) || matches!(c, '（' | '）' | '(' | ')' | '・' | '：' | ':')
}

/// Normalises `source` for matching.
///
/// * NFKC per character cluster, so full-width ASCII, half-width katakana (with its voicing
///   marks) and compatibility ideographs fold to one form;
/// * ASCII letters lower-cased;
/// * a run of spaces or a single line break between two Japanese characters is removed
///   (PDF extraction breaks lines inside words: `うつ\n病`), and so are spaces (not line
///   breaks) between a Latin letter or digit and a Japanese character (`HIV 陽性`) and between
///   characters that each stand alone (text spaced out letter by letter: `A D H D`,
///   `1 2 3 4`); a blank line is kept as `\n\n`, other whitespace collapses to one space or
///   one `\n`.
pub fn normalize(source: &str) -> Normalized {
    let mut out = Normalized {
        text: String::with_capacity(source.len()),
        src_start: Vec::with_capacity(source.len() + 1),
        src_end: Vec::with_capacity(source.len() + 1),
    };
    let mut chars = source.char_indices().peekable();
    let mut buf = String::new();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() || c == '\u{3000}' {
            // Collect the whole whitespace run.
            let mut end = i + c.len_utf8();
            let mut newlines = usize::from(c == '\n');
            while let Some(&(j, d)) = chars.peek() {
                if d.is_whitespace() || d == '\u{3000}' {
                    newlines += usize::from(d == '\n');
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let prev = out.text.chars().next_back();
            let next = chars.peek().map(|&(_, d)| d);
            let japanese_next = next.is_some_and(|d| d != '・' && d != '･' && is_japanese(fold_one(d)));
            let join = newlines <= 1 && prev.is_some_and(is_japanese) && japanese_next
                // Layout spaces PDF extraction puts between scripts (ＨＩＶ 陽性, 2 型糖尿病)...
                || newlines == 0
                    && (prev.is_some_and(|p| p.is_ascii_alphanumeric()) && japanese_next
                        || prev.is_some_and(is_japanese) && next.is_some_and(|d| fold_one(d).is_ascii_alphanumeric()))
                // ...or between every character (う つ 病, 1 2 3 4, a d h d).
                || newlines == 0 && letter_spaced(source, i, end);
            if join || prev.is_none() {
                continue;
            }
            let replacement = match newlines {
                0 => " ",
                1 => "\n",
                _ => "\n\n",
            };
            push(&mut out, replacement, i, end);
            continue;
        }
        // Fast path: most résumé text is kana, kanji and ASCII that NFKC leaves alone.
        let next = chars.peek().map(|&(_, d)| d);
        if let Some(a) = fullwidth_ascii(c) {
            // Full-width ASCII (１２３, ＡＢＣ, （）：) is NFKC-equivalent to ASCII.
            out.text.push(a.to_ascii_lowercase());
            out.src_start.push(i as u32);
            out.src_end.push((i + c.len_utf8()) as u32);
            continue;
        }
        if is_stable(c) && !next.is_some_and(maybe_combining) {
            let len = c.len_utf8();
            if c.is_ascii_uppercase() {
                push_ascii(&mut out, c.to_ascii_lowercase(), i);
            } else {
                out.text.push(c);
                out.src_start.extend(std::iter::repeat_n(i as u32, len));
                out.src_end.extend(std::iter::repeat_n((i + len) as u32, len));
            }
            continue;
        }
        // A starter and the combining marks (or half-width voicing marks) that follow it.
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if canonical_combining_class(d) != 0 || matches!(d, '\u{FF9E}' | '\u{FF9F}') {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        buf.clear();
        let cluster = &source[i..end];
        if cluster.is_ascii() {
            buf.extend(cluster.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            buf.extend(cluster.nfkc().map(fold_char));
        }
        if buf.chars().all(|c| c.is_whitespace()) {
            // NFKC turned it into a space (e.g. U+3000 handled above, but also U+00A0 variants).
            if !out.text.ends_with(' ') && !out.text.is_empty() {
                push(&mut out, " ", i, end);
            }
            continue;
        }
        let piece = std::mem::take(&mut buf);
        push(&mut out, &piece, i, end);
        buf = piece;
    }
    out.src_start.push(source.len() as u32);
    out
}

/// Whether the whitespace at `start..end` of `source` stands between two characters that each
/// stand alone between whitespace (or the text's edge): text spaced out letter by letter.
fn letter_spaced(source: &str, start: usize, end: usize) -> bool {
    let alone_before = {
        let mut back = source[..start].chars().rev();
        back.next().is_some_and(|c| !c.is_whitespace()) && back.next().is_none_or(char::is_whitespace)
    };
    let alone_after = {
        let mut ahead = source[end..].chars();
        ahead.next().is_some_and(|c| !c.is_whitespace()) && ahead.next().is_none_or(char::is_whitespace)
    };
    alone_before && alone_after
}

/// Characters NFKC maps to themselves (up to ASCII case, folded separately).
fn is_stable(c: char) -> bool {
    matches!(c as u32,
        0x21..=0x7E
        | 0x3041..=0x3096 // hiragana
        | 0x30A1..=0x30FA // katakana
        | 0x30FC          // ー
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0x3001..=0x3002 // 、。
        | 0x300C..=0x300F // 「」『』
    ) && c != '~'
}

/// Whether `d` may combine with the character before it (cheap range test first).
fn maybe_combining(d: char) -> bool {
    let u = d as u32;
    if u < 0x300 || (0x3041..=0x3096).contains(&u) || (0x30A1..=0x30FA).contains(&u) || (0x4E00..=0x9FFF).contains(&u) {
        return false;
    }
    canonical_combining_class(d) != 0 || matches!(d, '\u{FF9E}' | '\u{FF9F}')
}

fn push_ascii(out: &mut Normalized, c: char, at: usize) {
    out.text.push(c);
    out.src_start.push(at as u32);
    out.src_end.push(at as u32 + 1);
}

/// Normalises a dictionary term the same way as document text.
pub fn normalize_term(term: &str) -> String {
    normalize(term).text
}

fn fold_one(c: char) -> char {
    if let Some(a) = fullwidth_ascii(c) {
        return a;
    }
    if c.is_ascii() || is_stable(c) {
        return c;
    }
    let mut s = String::new();
    s.extend(std::iter::once(c).nfkc());
    s.chars().next().map(fold_char).unwrap_or(c)
}

/// U+FF01..U+FF5E map to ASCII under NFKC.
fn fullwidth_ascii(c: char) -> Option<char> {
    let u = c as u32;
    (0xFF01..=0xFF5E).contains(&u).then(|| char::from_u32(u - 0xFEE0)).flatten().filter(|a| *a != '~')
}

/// Folds characters NFKC leaves apart but people type interchangeably.
fn fold_char(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        // Dashes and minus signs that NFKC keeps distinct.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => '-',
        '〜' | '～' => '~',
        _ => c,
    }
}

fn push(out: &mut Normalized, piece: &str, src_start: usize, src_end: usize) {
    out.text.push_str(piece);
    for _ in 0..piece.len() {
        out.src_start.push(src_start as u32);
        out.src_end.push(src_end as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(src: &str, needle: &str) -> String {
        let n = normalize(src);
        let at = n.text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {:?}", n.text));
        let (s, e) = n.source_span(at, at + needle.len());
        src[s..e].to_string()
    }

    #[test]
    fn folds_width_and_case() {
        let n = normalize("ＨＩＶ陽性、ｶﾞﾝ");
        assert_eq!(n.text, "hiv陽性、ガン");
    }

    #[test]
    fn joins_line_breaks_inside_japanese_words() {
        let n = normalize("うつ\n病と診断");
        assert_eq!(n.text, "うつ病と診断");
        assert_eq!(roundtrip("うつ\n病と診断", "うつ病"), "うつ\n病");
    }

    #[test]
    fn keeps_blank_lines_and_spaces_between_latin_words() {
        assert_eq!(normalize("賞罰\n\nなし").text, "賞罰\n\nなし");
        assert_eq!(normalize("Web  Director").text, "web director");
        assert_eq!(normalize("賞罰　なし").text, "賞罰なし");
    }

    #[test]
    fn joins_layout_spaces_between_scripts_and_spaced_out_letters() {
        assert_eq!(normalize("ＨＩＶ 陽性").text, "hiv陽性");
        assert_eq!(normalize("2 型糖尿病と ADHD と").text, "2型糖尿病とadhdと");
        assert_eq!(normalize("個人番号 1 2 3 4 5 6 7 8 9 0 1 8").text, "個人番号123456789018");
        assert_eq!(normalize("a d h d の診断").text, "adhdの診断");
        assert_eq!(roundtrip("H I V 陽性", "hiv"), "H I V");
        // Words of Latin text keep their spaces; a line break between scripts stays.
        assert_eq!(normalize("Web Director as a team lead").text, "web director as a team lead");
        assert_eq!(normalize("TOEIC\n800点").text, "toeic\n800点");
    }

    #[test]
    fn offsets_point_into_the_source() {
        let src = "個人番号：１２３４　５６７８";
        assert_eq!(roundtrip(src, "1234"), "１２３４");
        assert_eq!(roundtrip("ﾃﾞｰﾀ入力", "デ"), "ﾃﾞ");
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert_eq!(normalize("").text, "");
        assert_eq!(normalize(" \n\t ").text, "");
        assert_eq!(normalize("").source_span(0, 0), (0, 0));
    }
}
