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

use lopdf::Document;
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
    for (index, &page_number) in pages.keys().enumerate() {
        if index > 0 {
            text.push_str(PAGE_SEPARATOR);
        }
        let mut output = PlainTextOutput::new(&mut text);
        pdf_extract::output_doc_page(&document, &mut output, page_number).map_err(|error| {
            match error {
                OutputError::PdfError(ref e) => map_load_error(e),
                _ => ExtractError::Corrupt(DocKind::Pdf),
            }
        })?;
        // Checked per page so a huge document stops early rather than at the end.
        check_text_size(&text, limits)?;
    }

    if text.trim().is_empty() {
        return Err(ExtractError::NoTextLayer);
    }
    Ok(Extracted {
        kind: DocKind::Pdf,
        text,
        pages: Some(page_count),
    })
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
        assert_eq!(
            extract_bytes(&bytes, &Limits::default()).unwrap_err(),
            ExtractError::NoTextLayer
        );
        let bytes = pdf_bytes(&[Some("   ")]);
        assert_eq!(
            extract_bytes(&bytes, &Limits::default()).unwrap_err(),
            ExtractError::NoTextLayer
        );
    }

    #[test]
    fn too_many_pages() {
        let bytes = pdf_bytes(&[Some("a"), Some("b"), Some("c")]);
        let limits = Limits {
            max_pages: 2,
            ..Limits::default()
        };
        assert_eq!(
            extract_bytes(&bytes, &limits).unwrap_err(),
            ExtractError::TooManyPages
        );
    }

    #[test]
    fn text_limit_applies() {
        let bytes = pdf_bytes(&[Some("Hello hairyo")]);
        let limits = Limits {
            max_text_bytes: 4,
            ..Limits::default()
        };
        assert_eq!(
            extract_bytes(&bytes, &limits).unwrap_err(),
            ExtractError::TooLarge
        );
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
        assert_eq!(
            extract_bytes(&encrypt("secret"), &Limits::default()).unwrap_err(),
            ExtractError::Encrypted
        );
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
                assert!(
                    matches!(
                        error,
                        ExtractError::Corrupt(DocKind::Pdf) | ExtractError::NoTextLayer
                    ),
                    "{error:?}"
                );
            }
        }
        assert_eq!(
            extract_bytes(b"%PDF-1.4\n\x00\x01\x02 garbage", &Limits::default()).unwrap_err(),
            ExtractError::Corrupt(DocKind::Pdf)
        );
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
