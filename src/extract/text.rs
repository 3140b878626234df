//! Decoding plain-text files.
//!
//! Japanese text files still arrive in legacy encodings: Shift_JIS (really
//! Windows' CP932) from older Windows editors, EUC-JP from Unix systems,
//! ISO-2022-JP from mail. Decoding them as UTF-8 with replacement characters
//! would silently destroy exactly the words the detector looks for, so a
//! decoding error is an error ([`ExtractError::Undecodable`]), never a lossy
//! result.
//!
//! Order of decisions: a BOM is authoritative; then valid UTF-8 is UTF-8
//! (ASCII included), unless it carries ISO-2022-JP escape sequences; then
//! chardetng picks between the Japanese legacy encodings, each tried strictly.
//! The text is otherwise returned as decoded (no line-ending normalisation):
//! findings are offsets into it.

use std::borrow::Cow;

use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8};

use super::{DocKind, ExtractError, Extracted, Limits, check_text_size};

/// Reads `bytes`, already sniffed as [`DocKind::Text`], as text.
pub(super) fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let text = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    if looks_binary(&text) {
        return Err(ExtractError::UnsupportedType);
    }
    check_text_size(&text, limits)?;
    Ok(Extracted { kind: DocKind::Text, text: text.into_owned(), pages: None })
}

/// Decodes `bytes` strictly, stripping a BOM if there is one.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ExtractError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_strict(encoding, &bytes[bom_len..]);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        // ISO-2022-JP is 7-bit and so valid UTF-8; its escape sequences give it away.
        if is_iso_2022_jp(bytes) {
            return decode_strict(ISO_2022_JP, bytes);
        }
        return Ok(Cow::Borrowed(text));
    }
    decode_legacy_japanese(bytes)
}

/// Decodes text that is not UTF-8 as Shift_JIS or EUC-JP.
///
/// chardetng's guess (with the `.jp` hint) decides which to try first. The
/// other is tried as well, because on short texts a guess can be wrong while
/// one of the two decodes cleanly. Non-Japanese legacy encodings are not
/// considered: this crate reads Japanese documents, and a wrong single-byte
/// guess would produce plausible-looking garbage rather than an error.
fn decode_legacy_japanese(bytes: &[u8]) -> Result<Cow<'_, str>, ExtractError> {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let guess = detector.guess(Some(b"jp"), false);
    let order: [&'static Encoding; 2] = if guess == EUC_JP { [EUC_JP, SHIFT_JIS] } else { [SHIFT_JIS, EUC_JP] };
    order.into_iter().find_map(|encoding| decode_strict(encoding, bytes).ok()).ok_or(ExtractError::Undecodable)
}

/// Decodes without BOM sniffing and without replacement characters.
fn decode_strict<'a>(encoding: &'static Encoding, bytes: &'a [u8]) -> Result<Cow<'a, str>, ExtractError> {
    if encoding == UTF_8 {
        return std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|_| ExtractError::Undecodable);
    }
    encoding.decode_without_bom_handling_and_without_replacement(bytes).ok_or(ExtractError::Undecodable)
}

/// Whether 7-bit `bytes` switch into a JIS X 0208 / 0212 / JIS-Roman set.
fn is_iso_2022_jp(bytes: &[u8]) -> bool {
    const ESCAPES: [&[u8]; 4] = [b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b$(D"];
    ESCAPES.iter().any(|escape| super::sniff::contains(bytes, escape))
}

/// Whether decoded text is really binary data: a NUL anywhere, or more than
/// a few percent control characters. Tabs, line breaks and form feeds are
/// ordinary in text files and do not count.
fn looks_binary(text: &str) -> bool {
    let mut chars = 0usize;
    let mut controls = 0usize;
    for c in text.chars() {
        if c == '\0' {
            return true;
        }
        chars += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0b' | '\x0c') {
            controls += 1;
        }
    }
    controls * 50 > chars
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "履歴書\r\n氏名: 山田 太郎\n既往歴: なし。趣味は読書と登山です。\n";

    fn extract_default(bytes: &[u8]) -> Result<Extracted, ExtractError> {
        extract(bytes, &Limits::default())
    }

    #[test]
    fn utf8_is_kept_as_is() {
        let got = extract_default(SAMPLE.as_bytes()).unwrap();
        assert_eq!(got.kind, DocKind::Text);
        assert_eq!(got.text, SAMPLE, "CRLF must survive: offsets refer to this text");
        assert_eq!(got.pages, None);
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(SAMPLE.as_bytes());
        assert_eq!(extract_default(&bytes).unwrap().text, SAMPLE);
    }

    #[test]
    fn utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in SAMPLE.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(super::super::sniff(&le), Ok(DocKind::Text));
        assert_eq!(extract_default(&le).unwrap().text, SAMPLE);
        assert_eq!(extract_default(&be).unwrap().text, SAMPLE);
        // An odd number of bytes cannot be UTF-16.
        le.push(0x41);
        assert_eq!(extract_default(&le).unwrap_err(), ExtractError::Undecodable);
    }

    #[test]
    fn shift_jis_and_euc_jp() {
        for encoding in [SHIFT_JIS, EUC_JP, ISO_2022_JP] {
            let (bytes, _, unmappable) = encoding.encode(SAMPLE);
            assert!(!unmappable);
            assert_ne!(&bytes[..], SAMPLE.as_bytes());
            let got = extract_default(&bytes).unwrap();
            assert_eq!(got.text, SAMPLE, "{}", encoding.name());
        }
    }

    #[test]
    fn short_legacy_texts() {
        for text in ["病歴", "障害者手帳を所持", "カタカナ"] {
            for encoding in [SHIFT_JIS, EUC_JP] {
                let (bytes, _, _) = encoding.encode(text);
                assert_eq!(extract_default(&bytes).unwrap().text, text, "{}", encoding.name());
            }
        }
    }

    #[test]
    fn undecodable_and_binary() {
        // Not UTF-8, not Shift_JIS (0x80 and 0xA0 are invalid leads there), not EUC-JP.
        assert_eq!(extract_default(b"\x80\xA0\x80\xA0\xFF").unwrap_err(), ExtractError::Undecodable);
        assert_eq!(extract_default(b"\x01\x02\x03abc").unwrap_err(), ExtractError::UnsupportedType);
        assert_eq!(extract_default(b"a\tb\x0cc\r\n").unwrap().text, "a\tb\x0cc\r\n");
    }

    #[test]
    fn blank_and_too_large() {
        assert_eq!(extract_default(" \u{3000}\n".as_bytes()).unwrap_err(), ExtractError::Empty);
        assert_eq!(extract_default(b"\xEF\xBB\xBF").unwrap_err(), ExtractError::Empty);
        let limits = Limits { max_text_bytes: 8, ..Limits::default() };
        assert_eq!(extract("123456789".as_bytes(), &limits).unwrap_err(), ExtractError::TooLarge);
        assert_eq!(extract("12345678".as_bytes(), &limits).unwrap().text, "12345678");
    }

    proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = extract_default(&bytes);
        }

        #[test]
        fn valid_utf8_round_trips(text in "[^\\x00-\\x1f\\x7f-\\x9f\\x{feff}]{1,64}") {
            prop_assume!(!text.trim().is_empty());
            let got = extract_default(text.as_bytes());
            prop_assert_eq!(got.map(|e| e.text), Ok(text));
        }
    }
}
