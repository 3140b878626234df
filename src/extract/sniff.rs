//! Deciding what a file is from its bytes.
//!
//! File names and MIME types come from the uploader and are routinely wrong
//! (a scan saved as `.pdf` that is really a JPEG, a `.doc` renamed `.docx`), so
//! they are never consulted. Sniffing is deliberately cheap and conservative:
//! it looks at magic numbers and, for text, at NUL bytes; the text decoder
//! makes the final call on encodings and control characters.

use super::{DocKind, ExtractError};

/// How far into the file a PDF header may start. Some producers put junk
/// before `%PDF-`; readers accept it within the first kilobyte.
const PDF_HEADER_WINDOW: usize = 1024;

/// Magic numbers at offset 0 of formats we refuse. Many binary formats would
/// also be caught by the NUL-byte rule below, but naming them keeps the
/// decision independent of what happens to follow the magic.
const BINARY_MAGICS: &[&[u8]] = &[
    b"\x89PNG\r\n\x1a\n",
    b"\xFF\xD8\xFF", // JPEG
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",    // TIFF, little endian
    b"MM\x00*",    // TIFF, big endian
    b"PK\x05\x06", // empty ZIP
    b"PK\x07\x08", // spanned ZIP
    b"PK\x01\x02", // ZIP central directory without local headers
    b"\x7FELF",
    b"\x1F\x8B",     // gzip
    b"\xFD7zXZ\x00", // xz
    b"7z\xBC\xAF\x27\x1C",
    b"Rar!\x1A\x07",
    b"\x28\xB5\x2F\xFD", // zstd
    b"\xCA\xFE\xBA\xBE", // Mach-O fat / Java class
    b"\xFE\xED\xFA\xCE", // Mach-O
    b"\xFE\xED\xFA\xCF",
    b"\xCE\xFA\xED\xFE",
    b"\xCF\xFA\xED\xFE",
    b"\x00asm", // WebAssembly
    b"wOFF",
    b"wOF2",
    b"OggS",
    b"fLaC",
    b"ID3",    // MP3
    b"{\\rtf", // RTF: text, but its Japanese is escaped, so reading it as text would miss everything
];

/// The OLE2 compound file header: legacy `.doc`/`.xls`, and also the container
/// that password-protected `.docx` files are wrapped in.
const OLE2_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The stream name (UTF-16LE, as stored in an OLE2 directory) that marks an
/// encrypted Office Open XML document.
const ENCRYPTED_PACKAGE_UTF16: &[u8] = b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";

/// Decides what `bytes` is from its content alone.
///
/// Returns [`DocKind::Pdf`] for `%PDF-` within the first 1024 bytes,
/// [`DocKind::Docx`] for a ZIP local header (whether the ZIP is really a DOCX
/// is decided when it is opened), [`DocKind::Text`] for anything that is not a
/// known binary format and has no NUL bytes (UTF-16 with a BOM excepted).
///
/// # Errors
/// [`ExtractError::Empty`] for empty or ASCII-whitespace-only input,
/// [`ExtractError::Encrypted`] for a password-protected Office document,
/// [`ExtractError::UnsupportedType`] for known binary formats and binary data.
/// Size limits are not checked here: they are part of [`super::Limits`].
pub fn sniff(bytes: &[u8]) -> Result<DocKind, ExtractError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ExtractError::Empty);
    }
    if bytes.starts_with(OLE2_MAGIC) {
        return Err(if contains(bytes, ENCRYPTED_PACKAGE_UTF16) {
            ExtractError::Encrypted
        } else {
            ExtractError::UnsupportedType
        });
    }
    if BINARY_MAGICS.iter().any(|magic| bytes.starts_with(magic)) || is_riff_or_bmp(bytes) {
        return Err(ExtractError::UnsupportedType);
    }
    if contains(&bytes[..bytes.len().min(PDF_HEADER_WINDOW)], b"%PDF-") {
        return Ok(DocKind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(DocKind::Docx);
    }
    // UTF-16 legitimately contains NUL bytes; everything else with one is binary.
    let utf16 = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    if !utf16 && bytes.contains(&0) {
        return Err(ExtractError::UnsupportedType);
    }
    Ok(DocKind::Text)
}

/// RIFF containers (WebP, WAV, AVI) and BMP have short magics that could begin
/// a text file, so they need their second marker too.
fn is_riff_or_bmp(bytes: &[u8]) -> bool {
    let riff = bytes.len() >= 12 && bytes.starts_with(b"RIFF");
    // BMP: "BM", a 4-byte size, then 4 reserved bytes that are zero.
    let bmp = bytes.len() >= 10 && bytes.starts_with(b"BM") && bytes[6..10] == [0, 0, 0, 0];
    riff || bmp
}

/// Whether `needle` occurs in `haystack`.
pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_documents() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(DocKind::Pdf));
        let mut late = vec![b' '; 500];
        late.extend_from_slice(b"%PDF-1.4");
        assert_eq!(sniff(&late), Ok(DocKind::Pdf));
        let mut too_late = vec![b'x'; 2000];
        too_late.extend_from_slice(b"%PDF-1.4");
        assert_eq!(sniff(&too_late), Ok(DocKind::Text));
        assert_eq!(sniff(b"PK\x03\x04rest"), Ok(DocKind::Docx));
        assert_eq!(sniff("履歴書".as_bytes()), Ok(DocKind::Text));
        assert_eq!(sniff(b"\xFF\xFEa\x00"), Ok(DocKind::Text));
    }

    #[test]
    fn refuses_binaries_whatever_their_name() {
        for magic in BINARY_MAGICS {
            let mut bytes = magic.to_vec();
            bytes.extend_from_slice(b"some more bytes here");
            assert_eq!(sniff(&bytes), Err(ExtractError::UnsupportedType), "{magic:?}");
        }
        assert_eq!(sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 "), Err(ExtractError::UnsupportedType));
        assert_eq!(sniff(b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36"), Err(ExtractError::UnsupportedType));
        assert_eq!(sniff(b"BMW 320i"), Ok(DocKind::Text));
        assert_eq!(sniff(b"abc\x00def"), Err(ExtractError::UnsupportedType));
    }

    #[test]
    fn ole2_is_legacy_or_encrypted() {
        let mut doc = OLE2_MAGIC.to_vec();
        doc.extend_from_slice(&[0; 64]);
        assert_eq!(sniff(&doc), Err(ExtractError::UnsupportedType));
        doc.extend_from_slice(ENCRYPTED_PACKAGE_UTF16);
        assert_eq!(sniff(&doc), Err(ExtractError::Encrypted));
    }

    #[test]
    fn empty_and_blank() {
        assert_eq!(sniff(b""), Err(ExtractError::Empty));
        assert_eq!(sniff(b" \r\n\t "), Err(ExtractError::Empty));
    }
}
