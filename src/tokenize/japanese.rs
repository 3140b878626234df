//! Japanese morphological analysis with Lindera and the offline-built IPADIC dictionary.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use lindera::dictionary::{Dictionary, WordId, load_fs_dictionary};
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;

use super::Normalized;

/// Where `build.rs` put the dictionary it built, and its checksum.
const BUILT_DICT_DIR: &str = env!("HAIRYO_TOKENIZER_DICT_DIR");
const BUILT_DICT_SHA256: &str = env!("HAIRYO_TOKENIZER_DICT_SHA256");

/// IPADIC detail fields (after surface and costs).
const POS: usize = 0;
const POS_SUB1: usize = 1;
const POS_SUB2: usize = 2;
const BASE_FORM: usize = 6;

/// Why the tokenizer could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// The dictionary folder is missing or unreadable.
    #[error("tokenizer dictionary could not be loaded from {path}")]
    Load {
        /// The folder that was tried.
        path: PathBuf,
    },
    /// Lindera failed on the text (it should not; treated as a scan failure).
    #[error("tokenizer failed")]
    Segment,
}

/// A loaded Japanese tokenizer. Immutable and shared: build it once, hand out `Arc`s.
pub struct Tokenizer {
    segmenter: Segmenter,
    checksum: String,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer").field("checksum", &self.checksum).finish()
    }
}

impl Tokenizer {
    /// Loads the dictionary that `build.rs` built, or the folder named by
    /// `HAIRYO_TOKENIZER_DICT` (with its own checksum), memory-mapped.
    pub fn load_default() -> Result<Self, TokenizerError> {
        match std::env::var_os("HAIRYO_TOKENIZER_DICT") {
            Some(dir) => Self::load(Path::new(&dir), None),
            None => Self::load(Path::new(BUILT_DICT_DIR), Some(BUILT_DICT_SHA256.to_string())),
        }
    }

    /// The process-wide tokenizer, loaded on first use and shared by every caller.
    pub fn shared() -> Result<Arc<Self>, TokenizerError> {
        static SHARED: OnceLock<Arc<Tokenizer>> = OnceLock::new();
        if let Some(t) = SHARED.get() {
            return Ok(t.clone());
        }
        let loaded = Arc::new(Self::load_default()?);
        Ok(SHARED.get_or_init(|| loaded).clone())
    }

    /// Loads a built Lindera dictionary from `dir`. Without a known checksum, one is computed
    /// from the folder's files.
    pub fn load(dir: &Path, checksum: Option<String>) -> Result<Self, TokenizerError> {
        let err = || TokenizerError::Load { path: dir.to_path_buf() };
        let dictionary: Dictionary = load_fs_dictionary(dir).map_err(|_| err())?;
        let checksum = match checksum {
            Some(c) => c,
            None => checksum_dir(dir).ok_or_else(err)?,
        };
        Ok(Self { segmenter: Segmenter::new(Mode::Normal, dictionary, None), checksum })
    }

    /// SHA-256 of the dictionary files: part of the detector version.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Segments normalised text into morphemes. Details (part of speech, base form) are
    /// read lazily through the returned [`Analysis`], only for the tokens that need them.
    pub fn analyze<'a>(&'a self, normalized: &'a Normalized) -> Result<Analysis<'a>, TokenizerError> {
        self.analyze_regions(normalized, &[(0, normalized.text.len())])
    }

    /// Segments only the given byte ranges of the normalised text (sorted, disjoint). Each
    /// range must start and end where Lindera itself cuts the text (after \n, \t, 。 or 、, or
    /// at either end; see [`Pieces`]): the morphemes are then exactly those a
    /// segmentation of the whole text has there.
    pub fn analyze_regions<'a>(
        &'a self,
        normalized: &'a Normalized,
        regions: &[(usize, usize)],
    ) -> Result<Analysis<'a>, TokenizerError> {
        let text = normalized.text.as_str();
        let mut morphemes = Vec::new();
        for &(a, b) in regions {
            let tokens = self.segmenter.segment(Cow::Borrowed(&text[a..b])).map_err(|_| TokenizerError::Segment)?;
            morphemes.extend(tokens.iter().map(|t| Morpheme {
                start: (a + t.byte_start) as u32,
                end: (a + t.byte_end) as u32,
                word: t.word_id,
            }));
        }
        let mut is_start = vec![false; normalized.text.len() + 1];
        let mut is_end = vec![false; normalized.text.len() + 1];
        for m in &morphemes {
            is_start[m.start as usize] = true;
            is_end[m.end as usize] = true;
        }
        Ok(Analysis { tokenizer: self, normalized, morphemes, is_start, is_end })
    }

    /// Detail field `k` of a word, read without allocating.
    fn detail(&self, word: WordId, k: usize) -> &str {
        let dict = &self.segmenter.dictionary;
        let id = word.id() as usize;
        let field = if word.is_unknown() {
            dict.unknown_word_details_iter(id).nth(k)
        } else {
            dict.word_details_iter(id).nth(k)
        };
        field.unwrap_or("*")
    }
}

/// One morpheme: a byte span of the normalised text and its dictionary entry.
#[derive(Debug, Clone, Copy)]
pub struct Morpheme {
    /// Start byte in the normalised text.
    pub start: u32,
    /// End byte in the normalised text.
    pub end: u32,
    word: WordId,
}

/// A segmented text: morpheme spans, boundary tables, and lazy access to details.
pub struct Analysis<'a> {
    tokenizer: &'a Tokenizer,
    /// The text that was segmented.
    pub normalized: &'a Normalized,
    /// Morphemes in text order.
    pub morphemes: Vec<Morpheme>,
    is_start: Vec<bool>,
    is_end: Vec<bool>,
}

impl<'a> Analysis<'a> {
    /// Whether a morpheme starts at byte `at`.
    pub fn starts_token(&self, at: usize) -> bool {
        self.is_start.get(at).copied().unwrap_or(false)
    }

    /// Whether a morpheme ends at byte `at`.
    pub fn ends_token(&self, at: usize) -> bool {
        self.is_end.get(at).copied().unwrap_or(false)
    }

    /// Index of the morpheme containing byte `at` (or the first after it).
    pub fn morpheme_at(&self, at: usize) -> usize {
        self.morphemes.partition_point(|m| (m.end as usize) <= at)
    }

    /// The surface text of morpheme `i`.
    pub fn surface(&self, i: usize) -> &'a str {
        let m = self.morphemes[i];
        &self.normalized.text[m.start as usize..m.end as usize]
    }

    /// Part of speech, first subcategory and second subcategory of morpheme `i`.
    pub fn pos(&self, i: usize) -> (&'a str, &'a str, &'a str) {
        let w = self.morphemes[i].word;
        let t = self.tokenizer;
        (t.detail(w, POS), t.detail(w, POS_SUB1), t.detail(w, POS_SUB2))
    }

    /// The dictionary (base) form of morpheme `i`, or its surface for unknown words.
    pub fn base_form(&self, i: usize) -> &'a str {
        match self.tokenizer.detail(self.morphemes[i].word, BASE_FORM) {
            "*" => self.surface(i),
            b => b,
        }
    }
}

/// Where Lindera cuts its input: after every \n, \t, 。 and 、 (it segments the pieces
/// separately). Found once per text, so that looking up the piece around each of many
/// candidates costs a binary search, not a scan to the nearest cut: text without punctuation
/// would otherwise make detection quadratic.
#[derive(Debug, Clone)]
pub struct Pieces {
    /// The byte offset after each cut character, ascending.
    cuts: Vec<usize>,
    len: usize,
}

impl Pieces {
    /// The cuts of `text`.
    pub fn new(text: &str) -> Self {
        let cuts = text
            .char_indices()
            .filter(|&(_, c)| matches!(c, '\n' | '\t' | '。' | '、'))
            .map(|(i, c)| i + c.len_utf8())
            .collect();
        Pieces { cuts, len: text.len() }
    }

    /// The piece boundaries around `start..end`: the start of the piece holding `start` and
    /// the end of the piece holding `end - 1`.
    pub fn bounds(&self, start: usize, end: usize) -> (usize, usize) {
        let before = self.cuts.partition_point(|&c| c <= start);
        let s = before.checked_sub(1).map_or(0, |i| self.cuts[i]);
        // A span ending right after a cut ends its piece there; an empty one lies in the next.
        let after = if end > start {
            self.cuts.partition_point(|&c| c < end)
        } else {
            self.cuts.partition_point(|&c| c <= end)
        };
        let e = self.cuts.get(after).copied().unwrap_or(self.len);
        (s, e)
    }
}

fn checksum_dir(dir: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(name.as_bytes());
        hasher.update(std::fs::read(dir.join(&name)).ok()?);
    }
    Some(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::normalize;

    #[test]
    fn pieces_agree_with_a_scan_to_the_nearest_cut() {
        // The scan the piece look-up was before cuts were found once (quadratic over many
        // candidates).
        fn scanned(text: &str, start: usize, end: usize) -> (usize, usize) {
            let is_cut = |c: char| matches!(c, '\n' | '\t' | '。' | '、');
            let s = text[..start].char_indices().rev().find(|&(_, c)| is_cut(c)).map_or(0, |(i, c)| i + c.len_utf8());
            let e = if end > start && text[..end].chars().next_back().is_some_and(is_cut) {
                end
            } else {
                text[end..].char_indices().find(|&(_, c)| is_cut(c)).map_or(text.len(), |(i, c)| end + i + c.len_utf8())
            };
            (s, e)
        }
        for text in ["", "うつ病", "私は、うつ病で。通院\n中です\t。", "、、。\n", "前科なし。前科あり、"]
        {
            let pieces = Pieces::new(text);
            let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            for &start in &bounds {
                for &end in bounds.iter().filter(|&&e| e >= start) {
                    assert_eq!(pieces.bounds(start, end), scanned(text, start, end), "{text:?} {start}..{end}");
                }
            }
        }
    }

    #[test]
    fn tokenizer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Tokenizer>();
    }

    #[test]
    fn segments_on_word_boundaries() {
        let t = Tokenizer::shared().expect("tokenizer");
        let n = normalize("うつ病と診断され、がんばって通院しています");
        let a = t.analyze(&n).expect("analyze");
        let surfaces: Vec<_> = (0..a.morphemes.len()).map(|i| a.surface(i)).collect();
        assert!(surfaces.contains(&"診断"), "{surfaces:?}");
        // がん is not a word boundary inside がんばっ.
        let at = n.text.find("がんば").unwrap();
        assert!(a.starts_token(at));
        assert!(!a.ends_token(at + "がん".len()), "{surfaces:?}");
        let i = (0..a.morphemes.len()).find(|&i| a.surface(i).starts_with("がんば")).unwrap();
        assert_eq!(a.base_form(i), "がんばる");
        assert_eq!(t.checksum().len(), 64);
    }
}
