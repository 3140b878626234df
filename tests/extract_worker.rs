//! The subprocess isolation of `hairyo::extract`, through the real binary.

use std::io::{Cursor, Write};
use std::path::PathBuf;
use std::time::Duration;

use hairyo::extract::{DocKind, ExtractError, Extractor, Isolation, Limits};

fn isolated(limits: Limits) -> Extractor {
    Extractor { limits, isolation: Isolation::Subprocess { exe: PathBuf::from(env!("CARGO_BIN_EXE_hairyo")) } }
}

fn pdf(line: &str) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let content = Content {
        operations: vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 24.into()]),
            Operation::new("Td", vec![72.into(), 700.into()]),
            Operation::new("Tj", vec![Object::string_literal(line)]),
            Operation::new("ET", vec![]),
        ],
    };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

fn docx(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const DOCUMENT: &str = r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>既往歴: うつ病</w:t></w:r></w:p></w:body></w:document>"#;

#[test]
fn pdf_and_docx_are_extracted_in_the_worker() {
    let extractor = isolated(Limits::default());
    let got = extractor.extract(&pdf("Hello hairyo")).unwrap();
    assert_eq!(got.kind, DocKind::Pdf);
    assert_eq!(got.pages, Some(1));
    assert!(got.text.contains("Hello hairyo"));

    let got = extractor.extract(&docx(&[("word/document.xml", DOCUMENT.as_bytes())])).unwrap();
    assert_eq!(got.kind, DocKind::Docx);
    assert_eq!(got.text, "既往歴: うつ病\n");
}

#[test]
fn worker_errors_come_back_as_errors() {
    let extractor = isolated(Limits::default());
    let not_docx = docx(&[("xl/workbook.xml", b"<workbook/>")]);
    assert_eq!(extractor.extract(&not_docx).unwrap_err(), ExtractError::UnsupportedType);
    assert_eq!(extractor.extract(b"%PDF-1.4 garbage").unwrap_err(), ExtractError::Corrupt(DocKind::Pdf));
    // Limits reach the worker through the environment.
    let few_pages = isolated(Limits { max_text_bytes: 4, ..Limits::default() });
    assert_eq!(few_pages.extract(&pdf("Hello hairyo")).unwrap_err(), ExtractError::TooLarge);
}

#[test]
fn memory_limit_kills_a_worker_that_allocates_too_much() {
    // Inflating 200 MB is legal under these limits, but the address space is not.
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..200 {
        writer.write_all(&chunk).unwrap();
    }
    let bomb = writer.finish().unwrap().into_inner();
    let limits = Limits {
        max_unzipped_bytes: 400 << 20,
        max_text_bytes: 400 << 20,
        memory_bytes: 96 << 20,
        ..Limits::default()
    };
    assert_eq!(isolated(limits.clone()).extract(&bomb).unwrap_err(), ExtractError::Crashed);
    // The same file with room to breathe: only blanks, so Empty. The crash above
    // was the memory limit, not the file.
    let roomy = Limits { memory_bytes: 1 << 30, ..limits };
    assert_eq!(isolated(roomy).extract(&bomb).unwrap_err(), ExtractError::Empty);
}

#[test]
fn text_stays_in_process() {
    let extractor = Extractor {
        limits: Limits { timeout: Duration::from_secs(1), ..Limits::default() },
        isolation: Isolation::Subprocess { exe: PathBuf::from("/nonexistent") },
    };
    assert_eq!(extractor.extract("履歴書".as_bytes()).unwrap().text, "履歴書");
}
