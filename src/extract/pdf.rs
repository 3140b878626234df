//! Reading the text layer of a PDF with lopdf and pdf-extract.
//!
//! The document is loaded once with lopdf, so the page count and encryption
//! can be checked before any text is extracted (a 5,000-page file is refused
//! without rendering it), and then each page is passed to pdf-extract's
//! plain-text output. pdf-extract panics on some damaged files; the caller
//! wraps this whole function in `catch_unwind`, and a panic anywhere makes the
//! whole document [`ExtractError::Corrupt`]: skipping a bad page would hand
//! the detector part of a résumé and risk a false all-clear.
//!
//! A PDF whose pages give no text at all is a scan or a picture of text, and
//! that is [`ExtractError::NoTextLayer`], never an empty success.
//!
//! pdf-extract is lenient where leniency loses text silently: a page content
//! stream that is missing is skipped, one that does not decompress is used up
//! to the damage (or raw), and parsing stops without a word at the first
//! operator it cannot read. Each hands the detector part of a page. So every
//! page's content is first checked here ([`check_page_content`]): all streams
//! present, decompressed to their end within a size budget, and parsed with
//! nothing left over; otherwise the document is [`ExtractError::Corrupt`].

use lopdf::content::Content;
use lopdf::{Document, Object, ObjectId, Stream};
use pdf_extract::{OutputError, PlainTextOutput};

use super::{DocKind, ExtractError, Extracted, Limits, check_text_size};

/// What goes between the texts of two pages.
const PAGE_SEPARATOR: &str = "\n\n";

/// Reads `bytes`, already sniffed as [`DocKind::Pdf`]. May panic (inside
/// pdf-extract): call it through the module's panic guard.
pub(super) fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let document = Document::load_mem(bytes).map_err(|error| map_load_error(&error))?;
    // lopdf decrypts on load when the user password is empty (permissions-only
    // protection, which readers open without asking); the Encrypt entry stays
    // only when a real password is needed.
    if document.is_encrypted() {
        return Err(ExtractError::Encrypted);
    }
    let pages = document.get_pages();
    let page_count = u32::try_from(pages.len()).map_err(|_| ExtractError::TooManyPages)?;
    if page_count > limits.max_pages {
        return Err(ExtractError::TooManyPages);
    }
    if page_count == 0 {
        // Not a scan: there is nothing at all, which no valid PDF producer writes.
        return Err(ExtractError::Corrupt(DocKind::Pdf));
    }

    let mut text = String::new();
    for (index, (&page_number, &page_id)) in pages.iter().enumerate() {
        check_page_content(&document, page_id, limits)?;
        if index > 0 {
            text.push_str(PAGE_SEPARATOR);
        }
        let mut output = PlainTextOutput::new(&mut text);
        pdf_extract::output_doc_page(&document, &mut output, page_number).map_err(|error| match error {
            OutputError::PdfError(ref e) => map_load_error(e),
            _ => ExtractError::Corrupt(DocKind::Pdf),
        })?;
        // Checked per page so a huge document stops early rather than at the end.
        check_text_size(&text, limits)?;
    }

    if text.trim().is_empty() {
        return Err(ExtractError::NoTextLayer);
    }
    if is_garbled(&text) {
        // A font without a usable Unicode map (or a damaged one) yields control
        // characters instead of text: scanning that would call the document clear.
        return Err(ExtractError::Corrupt(DocKind::Pdf));
    }
    Ok(Extracted { kind: DocKind::Pdf, text, pages: Some(page_count) })
}

/// Whether extracted text is mostly not text: more than 1 in 100 of its visible characters
/// are control characters (other than line breaks and tabs) or U+FFFD.
fn is_garbled(text: &str) -> bool {
    let mut visible = 0usize;
    let mut bad = 0usize;
    for c in text.chars().filter(|c| !matches!(c, '\n' | '\r' | '\t' | '\u{c}' | ' ')) {
        visible += 1;
        if c.is_control() || c == '\u{FFFD}' {
            bad += 1;
        }
    }
    visible > 0 && bad * 100 > visible
}

/// Checks that a page's content is whole: every content stream it names exists,
/// decompresses to its end within `limits.max_unzipped_bytes` (all streams of
/// the page together), and the result parses as content with nothing left
/// over. pdf-extract would otherwise skip, truncate or stop silently (see the
/// module documentation). A page over the budget is [`ExtractError::ZipBomb`]:
/// a few kilobytes of Flate data can expand to gigabytes.
fn check_page_content(document: &Document, page_id: ObjectId, limits: &Limits) -> Result<(), ExtractError> {
    let corrupt = ExtractError::Corrupt(DocKind::Pdf);
    let mut content = Vec::new();
    for id in page_content_ids(document, page_id)? {
        let stream = document.get_object(id).and_then(Object::as_stream).map_err(|_| corrupt.clone())?;
        let budget = limits.max_unzipped_bytes.saturating_sub(content.len() as u64);
        content.extend_from_slice(&decode_stream(stream, budget)?);
        // pdf-extract joins a page's streams the same way (lopdf's get_page_content).
        content.push(b'\n');
    }
    Content::decode_strict(&content).map_err(|_| corrupt)?;
    Ok(())
}

/// The content streams a page names in `/Contents`: a stream, or an array of
/// them, directly or by one reference. lopdf's `get_page_contents` quietly
/// returns nothing for an entry that resolves to anything else (an object
/// whose stream could not be parsed, say), which would read as a blank page.
fn page_content_ids(document: &Document, page_id: ObjectId) -> Result<Vec<ObjectId>, ExtractError> {
    let corrupt = || ExtractError::Corrupt(DocKind::Pdf);
    let page = document.get_dictionary(page_id).map_err(|_| corrupt())?;
    let references = |items: &[Object]| {
        items.iter().map(|item| item.as_reference().map_err(|_| corrupt())).collect::<Result<Vec<_>, _>>()
    };
    match page.get(b"Contents") {
        // No content at all: a blank page, which is not damage.
        Err(_) | Ok(Object::Null) => Ok(Vec::new()),
        Ok(Object::Array(items)) => references(items),
        Ok(Object::Reference(id)) => match document.get_object(*id) {
            Ok(Object::Stream(_)) => Ok(vec![*id]),
            Ok(Object::Array(items)) => references(items),
            _ => Err(corrupt()),
        },
        Ok(_) => Err(corrupt()),
    }
}

/// A stream's data after its filters, failing on damage instead of returning
/// what came before it. Flate without parameters, by far the most common
/// content filter, is inflated here (strictly, within `budget`); anything else
/// goes to lopdf's decoders.
fn decode_stream(stream: &Stream, budget: u64) -> Result<Vec<u8>, ExtractError> {
    let corrupt = || ExtractError::Corrupt(DocKind::Pdf);
    let data = match stream.dict.get(b"Filter") {
        Err(_) => stream.content.clone(),
        Ok(_) => {
            let filters = stream.filters().map_err(|_| corrupt())?;
            if filters == [b"FlateDecode".as_slice()] && stream.dict.get(b"DecodeParms").is_err() {
                inflate(&stream.content, budget)?
            } else {
                stream.decompressed_content().map_err(|_| corrupt())?
            }
        }
    };
    if data.len() as u64 > budget {
        return Err(ExtractError::ZipBomb);
    }
    Ok(data)
}

/// Inflates zlib data to its end-of-stream marker, never beyond `budget` bytes.
/// Like lopdf, a stream whose only fault is its Adler-32 checksum is accepted
/// (as raw DEFLATE after the 2-byte header); a truncated or damaged one is not.
fn inflate(data: &[u8], budget: u64) -> Result<Vec<u8>, ExtractError> {
    match inflate_to_end(data, true, budget) {
        Err(ExtractError::Corrupt(_)) if data.len() > 2 => inflate_to_end(&data[2..], false, budget),
        result => result,
    }
}

fn inflate_to_end(data: &[u8], zlib_header: bool, budget: u64) -> Result<Vec<u8>, ExtractError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let corrupt = || ExtractError::Corrupt(DocKind::Pdf);
    let mut inflater = Decompress::new(zlib_header);
    let mut out: Vec<u8> = Vec::new();
    loop {
        if out.len() == out.capacity() {
            let room = budget.saturating_sub(out.len() as u64);
            if room == 0 {
                return Err(ExtractError::ZipBomb);
            }
            let grow = (out.len() as u64).max(64 * 1024).min(room);
            out.reserve_exact(usize::try_from(grow).map_err(|_| ExtractError::ZipBomb)?);
        }
        let consumed = usize::try_from(inflater.total_in()).map_err(|_| corrupt())?;
        let produced = out.len();
        let status =
            inflater.decompress_vec(&data[consumed..], &mut out, FlushDecompress::None).map_err(|_| corrupt())?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
        // No progress with room to write: the input ended before the stream did.
        if inflater.total_in() as usize == consumed && out.len() == produced {
            return Err(corrupt());
        }
    }
}

/// Sorts lopdf's errors into "needs a password" and "damaged".
fn map_load_error(error: &lopdf::Error) -> ExtractError {
    match error {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => ExtractError::Encrypted,
        _ => ExtractError::Corrupt(DocKind::Pdf),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::extract::extract_bytes;
    use lopdf::content::{Content, Operation};
    use lopdf::{Object, Stream, dictionary};
    use proptest::prelude::*;

    /// A PDF with one page per entry of `lines`; `None` is a page without text.
    pub(crate) fn build_pdf(lines: &[Option<&str>]) -> Document {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
        });
        let resources_id = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font_id },
        });
        let mut kids = Vec::new();
        for line in lines {
            let operations = match line {
                Some(line) => vec![
                    Operation::new("BT", vec![]),
                    Operation::new("Tf", vec!["F1".into(), 24.into()]),
                    Operation::new("Td", vec![72.into(), 700.into()]),
                    Operation::new("Tj", vec![Object::string_literal(*line)]),
                    Operation::new("ET", vec![]),
                ],
                // A drawn rectangle: the page has content, but no text.
                None => vec![
                    Operation::new("re", vec![72.into(), 72.into(), 100.into(), 100.into()]),
                    Operation::new("f", vec![]),
                ],
            };
            let content = Content { operations };
            let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
            });
            kids.push(page_id.into());
        }
        let count = kids.len() as i64;
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => count,
                "Resources" => resources_id,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog_id = doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
        });
        doc.trailer.set("Root", catalog_id);
        doc
    }

    pub(crate) fn pdf_bytes(lines: &[Option<&str>]) -> Vec<u8> {
        let mut doc = build_pdf(lines);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    fn squash(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn extracts_a_text_line() {
        let bytes = pdf_bytes(&[Some("Hello hairyo")]);
        let got = extract_bytes(&bytes, &Limits::default()).unwrap();
        assert_eq!(got.kind, DocKind::Pdf);
        assert_eq!(got.pages, Some(1));
        assert_eq!(squash(&got.text), "Hello hairyo");
    }

    #[test]
    fn pages_are_joined_in_order() {
        let bytes = pdf_bytes(&[Some("first page"), None, Some("third page")]);
        let got = extract_bytes(&bytes, &Limits::default()).unwrap();
        assert_eq!(got.pages, Some(3));
        let first = got.text.find("first page").unwrap();
        let third = got.text.find("third page").unwrap();
        assert!(first < third);
        assert!(got.text[first..third].contains(PAGE_SEPARATOR));
    }

    #[test]
    fn a_page_without_text_is_no_text_layer() {
        let bytes = pdf_bytes(&[None]);
        assert_eq!(extract_bytes(&bytes, &Limits::default()).unwrap_err(), ExtractError::NoTextLayer);
        let bytes = pdf_bytes(&[Some("   ")]);
        assert_eq!(extract_bytes(&bytes, &Limits::default()).unwrap_err(), ExtractError::NoTextLayer);
    }

    #[test]
    fn too_many_pages() {
        let bytes = pdf_bytes(&[Some("a"), Some("b"), Some("c")]);
        let limits = Limits { max_pages: 2, ..Limits::default() };
        assert_eq!(extract_bytes(&bytes, &limits).unwrap_err(), ExtractError::TooManyPages);
    }

    #[test]
    fn text_limit_applies() {
        let bytes = pdf_bytes(&[Some("Hello hairyo")]);
        let limits = Limits { max_text_bytes: 4, ..Limits::default() };
        assert_eq!(extract_bytes(&bytes, &limits).unwrap_err(), ExtractError::TooLarge);
    }

    #[test]
    fn password_protected_is_encrypted() {
        use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
        let encrypt = |user_password: &str| {
            let mut doc = build_pdf(&[Some("Hello hairyo")]);
            doc.trailer.set(
                "ID",
                Object::Array(vec![
                    Object::string_literal(b"0123456789abcdef".to_vec()),
                    Object::string_literal(b"0123456789abcdef".to_vec()),
                ]),
            );
            let version = EncryptionVersion::V2 {
                document: &doc,
                owner_password: "owner",
                user_password,
                key_length: 128,
                permissions: Permissions::all(),
            };
            let state = EncryptionState::try_from(version).unwrap();
            doc.encrypt(&state).unwrap();
            let mut bytes = Vec::new();
            doc.save_to(&mut bytes).unwrap();
            bytes
        };
        assert_eq!(extract_bytes(&encrypt("secret"), &Limits::default()).unwrap_err(), ExtractError::Encrypted);
        // An empty user password only restricts permissions: readers open it, and so do we.
        let got = extract_bytes(&encrypt(""), &Limits::default()).unwrap();
        assert_eq!(squash(&got.text), "Hello hairyo");
    }

    #[test]
    fn damaged_pdfs_are_errors_not_panics() {
        let bytes = pdf_bytes(&[Some("Hello hairyo"), Some("second")]);
        for cut in [8, bytes.len() / 3, bytes.len() / 2, bytes.len() - 10] {
            let result = extract_bytes(&bytes[..cut], &Limits::default());
            // lopdf can sometimes recover a truncated file; what matters is no panic
            // escapes and a failure is reported as a PDF failure.
            if let Err(error) = result {
                assert!(matches!(error, ExtractError::Corrupt(DocKind::Pdf) | ExtractError::NoTextLayer), "{error:?}");
            }
        }
        assert_eq!(
            extract_bytes(b"%PDF-1.4\n\x00\x01\x02 garbage", &Limits::default()).unwrap_err(),
            ExtractError::Corrupt(DocKind::Pdf)
        );
    }

    /// A one-page PDF whose content stream is `content` with `filter` (`None`: no
    /// filter); returns the document so tests can change it further.
    fn pdf_with_content(content: &[u8], filter: Option<&str>) -> Document {
        let mut doc = build_pdf(&[Some("Hello hairyo")]);
        let page_id = *doc.get_pages().values().next().unwrap();
        let content_id = doc.get_page_contents(page_id)[0];
        let mut dict = dictionary! {};
        if let Some(filter) = filter {
            dict.set("Filter", Object::Name(filter.as_bytes().to_vec()));
        }
        doc.objects.insert(content_id, Object::Stream(Stream::new(dict, content.to_vec())));
        doc
    }

    fn save(doc: &mut Document) -> Vec<u8> {
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    const HELLO_OPS: &[u8] = b"BT /F1 24 Tf 72 700 Td (Hello hairyo) Tj ET";

    #[test]
    fn a_compressed_content_stream_is_read() {
        let bytes = save(&mut pdf_with_content(&zlib(HELLO_OPS), Some("FlateDecode")));
        let got = extract_bytes(&bytes, &Limits::default()).unwrap();
        assert_eq!(squash(&got.text), "Hello hairyo");
        // A wrong Adler-32 checksum alone is tolerated, as lopdf and viewers do.
        let mut bad_sum = zlib(HELLO_OPS);
        let n = bad_sum.len();
        bad_sum[n - 4..].copy_from_slice(&[0, 0, 0, 0]);
        let bytes = save(&mut pdf_with_content(&bad_sum, Some("FlateDecode")));
        let got = extract_bytes(&bytes, &Limits::default()).unwrap();
        assert_eq!(squash(&got.text), "Hello hairyo");
    }

    #[test]
    fn a_content_stream_cut_short_is_corrupt() {
        // pdf-extract would read the operators before the cut and say nothing.
        let mut ops = HELLO_OPS.to_vec();
        for i in 0..200 {
            ops.extend_from_slice(format!(" BT /F1 12 Tf 72 {} Td (line {i}) Tj ET", 600 - i).as_bytes());
        }
        let compressed = zlib(&ops);
        let cut = &compressed[..compressed.len() / 2];
        let bytes = save(&mut pdf_with_content(cut, Some("FlateDecode")));
        assert_eq!(extract_bytes(&bytes, &Limits::default()).unwrap_err(), ExtractError::Corrupt(DocKind::Pdf));
    }

    #[test]
    fn an_operator_that_does_not_parse_is_corrupt() {
        // The lenient parser stops here and keeps "Hello hairyo": half a page.
        let mut ops = HELLO_OPS.to_vec();
        ops.extend_from_slice(b" BT <4E0Z> Tj ET BT (after the damage) Tj ET");
        let bytes = save(&mut pdf_with_content(&ops, None));
        assert_eq!(extract_bytes(&bytes, &Limits::default()).unwrap_err(), ExtractError::Corrupt(DocKind::Pdf));
    }

    #[test]
    fn a_missing_or_wrong_content_object_is_corrupt() {
        let mut doc = build_pdf(&[Some("Hello hairyo")]);
        let page_id = *doc.get_pages().values().next().unwrap();
        let content_id = doc.get_page_contents(page_id)[0];
        // The stream replaced by a plain dictionary: lopdf lists no content.
        doc.objects.insert(content_id, Object::Dictionary(dictionary! { "Length" => 10 }));
        assert_eq!(
            extract_bytes(&save(&mut doc), &Limits::default()).unwrap_err(),
            ExtractError::Corrupt(DocKind::Pdf)
        );
        // Removed altogether.
        doc.objects.remove(&content_id);
        assert_eq!(
            extract_bytes(&save(&mut doc), &Limits::default()).unwrap_err(),
            ExtractError::Corrupt(DocKind::Pdf)
        );
    }

    #[test]
    fn a_content_stream_bomb_is_refused_within_the_budget() {
        let spaces = vec![b' '; 4 << 20];
        let bytes = save(&mut pdf_with_content(&zlib(&spaces), Some("FlateDecode")));
        let limits = Limits { max_unzipped_bytes: 1 << 20, ..Limits::default() };
        assert_eq!(extract_bytes(&bytes, &limits).unwrap_err(), ExtractError::ZipBomb);
        // Within the budget it is merely a page without text.
        assert_eq!(extract_bytes(&bytes, &Limits::default()).unwrap_err(), ExtractError::NoTextLayer);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn mutated_pdfs_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        ) {
            let mut bytes = pdf_bytes(&[Some("Hello hairyo")]);
            for (index, byte) in edits {
                let i = index.index(bytes.len());
                bytes[i] = byte;
            }
            let _ = extract_bytes(&bytes, &Limits::default());
        }
    }
}
