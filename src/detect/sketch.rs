//! A document's gram sketch: a Bloom filter of the characters and character pairs of its
//! normalised text, kept (sealed with the document's key, like its text) so that an
//! incremental rescan can tell that a dictionary change cannot affect a document without
//! reading, decrypting and normalising its text.
//!
//! The idea is Goh's *secure index* (2003): a per-document Bloom filter of the document's
//! words, readable only with the document's key. A dictionary item can match a text only if
//! the literal every match contains (a term itself, a pattern's prefix or suffix literals,
//! a base form's first character) occurs in it, and a literal occurs only if every one of
//! its characters (for one character) or character pairs does. A Bloom filter has no false
//! negatives, so "absent" is exact; "present" may be wrong, and then the text is read.
//!
//! The grams are taken from the text as [`normalize`](crate::tokenize::normalize) leaves it,
//! which is what the detector matches on. A sketch names the engine that normalised the text
//! ([`ENGINE`]); one from another engine is never trusted.

use super::engine::ENGINE;

/// Probes per gram.
const PROBES: u32 = 3;
/// Filter bits per character of text (about 3 distinct grams per 8 bits in résumés).
const BITS_PER_CHAR: usize = 8;
const MIN_BITS: usize = 1 << 10;
const MAX_BITS: usize = 1 << 22;
/// Layout version of [`Sketch::to_bytes`].
const FORMAT: u8 = 1;
/// Marks a one-character gram (no Unicode scalar value is this large).
const SINGLE: u64 = 0x1F_FFFF;

/// A Bloom filter over the one- and two-character grams of a normalised text.
#[derive(Clone, PartialEq, Eq)]
pub struct Sketch {
    /// `2^log2` bits.
    bits: Vec<u64>,
    log2: u32,
}

impl std::fmt::Debug for Sketch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sketch").field("bits", &(1usize << self.log2)).finish()
    }
}

/// The 64-bit finaliser of SplitMix64: a bijection that spreads every input bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn gram(a: char, b: Option<char>) -> u64 {
    (u64::from(a) << 21) | b.map_or(SINGLE, u64::from)
}

/// A short tag of the engine, stored with each sketch (computed once: every sketch read
/// compares it).
fn engine_tag() -> [u8; 8] {
    static TAG: std::sync::LazyLock<[u8; 8]> = std::sync::LazyLock::new(|| {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(ENGINE.as_bytes());
        let mut tag = [0; 8];
        tag.copy_from_slice(&digest[..8]);
        tag
    });
    *TAG
}

impl Sketch {
    /// The sketch of an extracted text (normalised here as the detector normalises it).
    pub fn of_text(text: &str) -> Self {
        Self::of(&crate::tokenize::normalize(text).text)
    }

    /// The sketch of a normalised text.
    pub fn of(ntext: &str) -> Self {
        let chars = ntext.chars().count();
        let bits = (chars * BITS_PER_CHAR).next_power_of_two().clamp(MIN_BITS, MAX_BITS);
        let mut sketch = Self { bits: vec![0; bits / 64], log2: bits.trailing_zeros() };
        let mut prev = None;
        for c in ntext.chars() {
            sketch.insert(gram(c, None));
            if let Some(p) = prev {
                sketch.insert(gram(p, Some(c)));
            }
            prev = Some(c);
        }
        sketch
    }

    fn probes(&self, g: u64) -> impl Iterator<Item = usize> {
        let h = mix(g);
        let (h1, h2) = (h as u32, ((h >> 32) as u32) | 1);
        let mask = (1u32 << self.log2).wrapping_sub(1);
        (0..PROBES).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) & mask) as usize)
    }

    fn insert(&mut self, g: u64) {
        let mut at = [0; PROBES as usize];
        for (slot, i) in at.iter_mut().zip(self.probes(g)) {
            *slot = i;
        }
        for i in at {
            self.bits[i / 64] |= 1 << (i % 64);
        }
    }

    fn has(&self, g: u64) -> bool {
        self.probes(g).all(|i| self.bits[i / 64] & (1 << (i % 64)) != 0)
    }

    /// Whether `literal` may occur in the text: false means it certainly does not.
    pub fn may_contain(&self, literal: &str) -> bool {
        let mut chars = literal.chars().peekable();
        let Some(first) = chars.peek().copied() else { return true };
        if literal[first.len_utf8()..].is_empty() {
            return self.has(gram(first, None));
        }
        let mut prev = first;
        chars.next();
        chars.all(|c| {
            let present = self.has(gram(prev, Some(c)));
            prev = c;
            present
        })
    }

    /// The stored form: format, engine tag, size, bits (little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10 + self.bits.len() * 8);
        out.push(FORMAT);
        out.extend_from_slice(&engine_tag());
        out.push(self.log2 as u8);
        for w in &self.bits {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// A stored sketch, if it is well formed and was made by this engine's normalisation.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (&format, rest) = bytes.split_first()?;
        let (tag, rest) = rest.split_at_checked(8)?;
        let (&log2, words) = rest.split_first()?;
        let log2 = u32::from(log2);
        if format != FORMAT || tag != engine_tag() || !(10..=22).contains(&log2) {
            return None;
        }
        if words.len() != (1usize << log2) / 8 {
            return None;
        }
        let bits = words.chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default())).collect();
        Some(Self { bits, log2 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_substring_is_reported_present() {
        let text = "持病の喘息で月に一度通院しています。\n身体障害者手帳を所持";
        let s = Sketch::of(text);
        let chars: Vec<char> = text.chars().collect();
        for i in 0..chars.len() {
            for j in i + 1..=chars.len().min(i + 6) {
                let lit: String = chars[i..j].iter().collect();
                assert!(s.may_contain(&lit), "{lit}");
            }
        }
    }

    #[test]
    fn absent_literals_are_mostly_reported_absent() {
        let text = "法人営業として新規顧客を年間二十社開拓し、売上を前年比百二十パーセントに伸ばしました。".repeat(20);
        let s = Sketch::of(&text);
        let absent = ["ジストニア", "統合失調症", "前科", "創価学会", "被害届", "鬱", "癌"];
        let hits = absent.iter().filter(|a| s.may_contain(a)).count();
        assert_eq!(hits, 0, "a near-empty filter should not report these");
    }

    #[test]
    fn round_trips_and_refuses_other_layouts() {
        let s = Sketch::of("うつ病で通院");
        let bytes = s.to_bytes();
        assert_eq!(Sketch::from_bytes(&bytes), Some(s));
        let mut other_engine = bytes.clone();
        other_engine[1] ^= 1;
        assert_eq!(Sketch::from_bytes(&other_engine), None);
        assert_eq!(Sketch::from_bytes(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Sketch::from_bytes(&[]), None);
    }

    proptest! {
        /// No false negatives, for any text and any of its substrings.
        #[test]
        fn no_false_negatives(text in "[a-zあ-ん漢字病院\\n ]{0,200}", start in 0usize..200, len in 1usize..8) {
            let s = Sketch::of(&text);
            let chars: Vec<char> = text.chars().collect();
            prop_assume!(start < chars.len());
            let lit: String = chars[start..(start + len).min(chars.len())].iter().collect();
            prop_assert!(s.may_contain(&lit));
        }
    }
}
