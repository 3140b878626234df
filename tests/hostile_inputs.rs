//! Damaged and hostile files through the real `hairyo scan --format json`.
//!
//! The binary parses PDF and DOCX in a child process with memory, CPU and
//! wall-clock limits. This test feeds it a deterministic corpus (a seeded
//! xorshift; no file depends on the clock) of well over 2,000 damaged PDF and
//! DOCX files, made from seed documents by truncation, flipped bits,
//! overwritten runs, deleted and duplicated chunks, plus hand-made hostile
//! files: zip bombs (honest and lying headers, too many entries, overlapping
//! entries), XML nested far too deep, an entity bomb, a content-stream bomb,
//! cyclic page trees, deep arrays, encrypted files, an empty file, 50 MB of
//! random bytes and of Japanese text, a PNG named `.pdf`, random binary.
//!
//! Every input must come back as exactly one JSON line, in order; every
//! failure must carry a known error code; a few hostile files must carry a
//! specific one; the process must exit 0 or 1 (never a signal, a panic or
//! exit 2); each batch must finish within a bound, and the peak resident
//! memory of the scanning process tree (the `hairyo scan` process and every
//! extraction worker it waited for, as `wait4` reports it) must stay bounded.
//!
//! Seeds: the fixtures in `samples/*.pdf` and `samples/*.docx` when present,
//! and always seeds built here (a two-page Japanese PDF with a Type0 font and
//! a ToUnicode CMap, compressed and uncompressed; a DOCX with body, table,
//! header and footnotes), so the test never depends on the samples.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Paths per `hairyo scan` invocation.
const BATCH: usize = 200;
/// Wall-clock bound for one invocation.
const BATCH_BOUND: Duration = Duration::from_secs(120);
/// The extractor's default per-file timeout is 20 s; one file may take that
/// plus the time to notice and reap the worker.
const FILE_BOUND_MS: u64 = 30_000;
/// Peak resident memory of one invocation's process tree.
const MAX_RSS_BYTES: u64 = 1536 << 20;
/// Damaged files to generate from the seeds, in total.
const DAMAGED_TARGET: usize = 2200;

/// Every code the scan can report (extraction, detection and CLI codes).
const KNOWN_CODES: &[&str] = &[
    "empty",
    "too_large",
    "unsupported_type",
    "corrupt_pdf",
    "corrupt_docx",
    "corrupt_text",
    "no_text_layer",
    "encrypted",
    "too_many_pages",
    "zip_bomb",
    "undecodable_text",
    "timeout",
    "parser_crashed",
    "io_error",
    "scan_failed",
    "dictionary_invalid",
    "tokenizer_failed",
];

// ---------------------------------------------------------------------------
// Deterministic randomness

/// xorshift64*: tiny, seeded, good enough to choose offsets and bytes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Uniform-ish in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }
}

// ---------------------------------------------------------------------------
// Seeds built here

const PAGE_ONE: &[&str] = &[
    "履歴書",
    "氏名 山田 花子（やまだ はなこ）",
    "生年月日 1990年4月1日",
    "現住所 東京都杉並区荻窪一丁目2番3号",
    "学歴",
    "2009年3月 県立青葉高等学校 卒業",
    "2013年3月 みなと大学 経済学部 卒業",
    "職歴",
    "2013年4月 株式会社サンプル商事 入社 営業部に配属",
    "2018年10月 同社 企画部 主任",
    "資格 普通自動車第一種運転免許 日商簿記検定2級",
];
const PAGE_TWO: &[&str] = &[
    "志望の動機",
    "これまでの営業企画の経験を生かし、貴社の新規事業に貢献したいと考えています。",
    "健康状態",
    "2019年にうつ病と診断され、現在は月に一度通院しながら就業しています。",
    "本人希望記入欄",
    "勤務地は首都圏を希望します。",
];

/// A PDF with one page per entry of `pages`, its text in a Type0 font
/// (Identity-H, CID = Unicode code point) with a ToUnicode CMap, so that
/// damage reaches lopdf, the CMap parser and pdf-extract's text paths.
fn seed_pdf(pages: &[&[&str]], compress: bool) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, StringFormat, dictionary};

    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();

    let highs: BTreeSet<u32> =
        pages.iter().flat_map(|lines| lines.iter()).flat_map(|line| line.chars()).map(|c| (c as u32) >> 8).collect();
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let highs: Vec<u32> = highs.into_iter().collect();
    for group in highs.chunks(100) {
        cmap.push_str(&format!("{} beginbfrange\n", group.len()));
        for h in group {
            cmap.push_str(&format!("<{h:02X}00> <{h:02X}FF> <{h:02X}00>\n"));
        }
        cmap.push_str("endbfrange\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "HairyoMincho",
        "Flags" => 4,
        "FontBBox" => vec![0.into(), (-140).into(), 1000.into(), 880.into()],
        "ItalicAngle" => 0,
        "Ascent" => 880,
        "Descent" => -120,
        "CapHeight" => 700,
        "StemV" => 80,
    });
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "HairyoMincho",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "DW" => 1000,
        "CIDToGIDMap" => "Identity",
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "HairyoMincho",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![cid_font.into()],
        "ToUnicode" => to_unicode,
    });
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font },
    });

    let mut kids = Vec::new();
    for lines in pages {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 10.5.into()]),
            Operation::new("Td", vec![56.into(), 780.into()]),
        ];
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                operations.push(Operation::new("Td", vec![0.into(), (-20).into()]));
            }
            let utf16: Vec<u8> = line.encode_utf16().flat_map(u16::to_be_bytes).collect();
            operations.push(Operation::new("Tj", vec![Object::String(utf16, StringFormat::Hexadecimal)]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations }.encode().unwrap();
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        kids.push(
            doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
            })
            .into(),
        );
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    if compress {
        doc.compress();
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn paragraphs(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("<w:p><w:r><w:t xml:space=\"preserve\">{l}</w:t></w:r></w:p>")).collect()
}

/// The résumé body as WordprocessingML: paragraphs, a table, a tab and a break.
fn seed_document_xml() -> String {
    let table: String = [5, 6, 8, 9]
        .iter()
        .map(|&i| {
            let l = PAGE_ONE[i];
            let (date, rest) = l.split_once(' ').unwrap();
            format!(
                "<w:tr><w:tc><w:p><w:r><w:t>{date}</w:t></w:r></w:p></w:tc>\
                 <w:tc><w:p><w:r><w:t>{rest}</w:t></w:r></w:p></w:tc></w:tr>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:document xmlns:w=\"{W_NS}\"><w:body>{}<w:tbl>{table}</w:tbl>\
         {}<w:p><w:r><w:t>資格</w:t><w:tab/><w:t>{}</w:t><w:br/></w:r></w:p>{}<w:sectPr/></w:body></w:document>",
        paragraphs(&PAGE_ONE[..5]),
        paragraphs(&PAGE_ONE[7..8]),
        PAGE_ONE[10].split_once(' ').unwrap().1,
        paragraphs(PAGE_TWO),
    )
}

fn seed_docx_parts(document_xml: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#
                .to_vec(),
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#
                .to_vec(),
        ),
        ("word/document.xml", document_xml.to_vec()),
        (
            "word/header1.xml",
            format!("<w:hdr xmlns:w=\"{W_NS}\">{}</w:hdr>", paragraphs(&["履歴書 2024年4月1日現在"]))
                .into_bytes(),
        ),
        (
            "word/footnotes.xml",
            format!(
                "<w:footnotes xmlns:w=\"{W_NS}\"><w:footnote w:id=\"1\">{}</w:footnote></w:footnotes>",
                paragraphs(&["通院は業務時間外です。"])
            )
            .into_bytes(),
        ),
    ]
}

fn zip_parts(parts: &[(&str, Vec<u8>)], stored: bool) -> Vec<u8> {
    let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in parts {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn seed_docx(stored: bool) -> Vec<u8> {
    zip_parts(&seed_docx_parts(seed_document_xml().as_bytes()), stored)
}

// ---------------------------------------------------------------------------
// Damage

const MUTATIONS: &[&str] = &["truncate", "flip", "overwrite", "delete", "duplicate", "mixed"];

/// Damages `seed` with mutation `kind`; `i` spreads truncation offsets evenly.
fn mutate(rng: &mut Rng, seed: &[u8], kind: &str, i: usize, of: usize) -> Vec<u8> {
    let len = seed.len();
    match kind {
        "truncate" => {
            // Half evenly spaced over the file, half random; never the whole file.
            let cut = if i % 2 == 0 { (len * (i / 2 + 1) / (of / 2 + 2)).max(1) } else { rng.range(1, len - 1) };
            seed[..cut.min(len - 1)].to_vec()
        }
        "flip" => {
            let mut out = seed.to_vec();
            for _ in 0..rng.range(1, 8) {
                let at = rng.below(len);
                out[at] ^= 1 << rng.below(8);
            }
            out
        }
        "overwrite" => {
            let mut out = seed.to_vec();
            let n = rng.range(1, 512.min(len));
            let at = rng.below(len - n + 1);
            rng.fill(&mut out[at..at + n]);
            out
        }
        "delete" => {
            let n = rng.range(1, 4096.min(len / 2));
            let at = rng.below(len - n + 1);
            let mut out = seed[..at].to_vec();
            out.extend_from_slice(&seed[at + n..]);
            out
        }
        "duplicate" => {
            let n = rng.range(1, 2048.min(len / 2));
            let from = rng.below(len - n + 1);
            let to = rng.below(len + 1);
            let mut out = seed[..to].to_vec();
            out.extend_from_slice(&seed[from..from + n]);
            out.extend_from_slice(&seed[to..]);
            out
        }
        _ => {
            let mut out = seed.to_vec();
            for _ in 0..rng.range(2, 4) {
                let kind = MUTATIONS[rng.below(MUTATIONS.len() - 2) + 1];
                out = mutate(rng, &out, kind, 0, 1);
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------
// Hostile files

/// A raw DEFLATE stream (fixed Huffman) that inflates to `1 + 258 * (1 + 8 * groups)`
/// copies of `byte`, in about `13 * groups` bytes: one literal, then length-258
/// distance-1 matches. Eight matches are 104 bits, a whole number of bytes, so the
/// stream is a prefix, a repeated 13-byte unit and a suffix.
fn deflate_bomb(byte: u8, groups: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `value`'s low `len` bits, least significant first (block header).
        fn lsb(&mut self, value: u64, len: u32) {
            self.acc |= value << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            for i in (0..len).rev() {
                self.lsb((code >> i) & 1, 1);
            }
        }
        fn matched(&mut self) {
            self.code(0b1100_0101, 8); // length symbol 285: 258 bytes
            self.code(0, 5); // distance symbol 0: distance 1
        }
    }
    assert!(byte <= 143, "fixed-Huffman 8-bit literal range");
    let mut bits = Bits { out: Vec::new(), acc: 0, n: 0 };
    bits.lsb(1, 1); // BFINAL
    bits.lsb(1, 2); // BTYPE = fixed Huffman
    bits.code(0x30 + u64::from(byte), 8);
    bits.matched(); // 3 + 8 + 13 = 24 bits: byte aligned
    assert_eq!(bits.n, 0);
    let mut unit = Bits { out: Vec::new(), acc: 0, n: 0 };
    for _ in 0..8 {
        unit.matched();
    }
    assert_eq!((unit.out.len(), unit.n), (13, 0));
    for _ in 0..groups {
        bits.out.extend_from_slice(&unit.out);
    }
    bits.code(0, 7); // end of block
    bits.lsb(0, 7); // pad
    bits.out
}

/// A ZIP written by hand, so headers can say what the test wants. Each entry:
/// (name, method, crc, declared uncompressed size, data); `local_offset`
/// overrides where the central directory says the entry is.
struct RawEntry<'a> {
    name: String,
    method: u16,
    crc: u32,
    declared: u32,
    data: &'a [u8],
    local_offset: Option<u32>,
}

fn raw_zip(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        if e.local_offset.is_some() {
            offsets.push(None);
            continue;
        }
        offsets.push(Some(out.len() as u32));
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&e.declared.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(e.data);
    }
    let cd_start = out.len() as u32;
    for (e, own) in entries.iter().zip(&offsets) {
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // made by
        out.extend_from_slice(&20u16.to_le_bytes()); // needed
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x21u16.to_le_bytes());
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&e.declared.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        out.extend_from_slice(&own.or(e.local_offset).unwrap().to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
    }
    let cd_len = out.len() as u32 - cd_start;
    let count = entries.len().min(usize::from(u16::MAX - 1)) as u16;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PDF written by hand with a correct cross-reference table, from object
/// bodies (object `i + 1` is `objects[i]`) and a trailer dictionary body.
fn raw_pdf(objects: &[Vec<u8>], trailer: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} {trailer} >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

fn stream_obj(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    v
}

const HELLO_CONTENT: &[u8] = b"BT /F1 24 Tf 72 700 Td (Hello hairyo) Tj ET";
const FONT: &[u8] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

fn password_pdf() -> Vec<u8> {
    use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
    use lopdf::{Document, Object};
    let mut doc = Document::load_mem(&seed_pdf(&[PAGE_ONE], false)).unwrap();
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
        user_password: "secret",
        key_length: 128,
        permissions: Permissions::all(),
    };
    let state = EncryptionState::try_from(version).unwrap();
    doc.encrypt(&state).unwrap();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// What a file must come back as.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Damaged: any status, but a failure must carry a known code.
    Any,
    /// Must fail, with any known code.
    Error,
    /// Must fail with exactly this code.
    Code(&'static str),
    /// Must be read (an undamaged seed).
    Readable,
}

struct Case {
    path: PathBuf,
    expect: Expect,
    /// For the tally: the seed and mutation, or the hostile file's name.
    group: String,
}

/// The hostile files, written into `dir`.
fn hostile_cases(dir: &Path, rng: &mut Rng) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: &str, bytes: &[u8], expect: Expect| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        cases.push(Case { path, expect, group: format!("hostile/{name}") });
    };

    add("empty.pdf", b"", Expect::Code("empty"));
    add("blank.txt", b" \n\t\r\n  ", Expect::Code("empty"));

    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02\x00\x00\x00".to_vec();
    png.extend(rng.bytes(4096));
    add("photo_renamed.pdf", &png, Expect::Code("unsupported_type"));
    add("png_renamed.docx", &png, Expect::Code("unsupported_type"));
    add("random.bin", &rng.bytes(64 << 10), Expect::Code("unsupported_type"));
    let mut random_docx = rng.bytes(64 << 10);
    random_docx[0] = 0; // binary, whatever the random bytes say
    add("random.docx", &random_docx, Expect::Code("unsupported_type"));
    add("big_random.pdf", &rng.bytes(50 << 20), Expect::Code("too_large"));
    // 50 MB of Japanese-looking text: over the 20 MiB input limit.
    let phrase = "職務経歴書 株式会社において法人営業を担当し、新規顧客の開拓と既存顧客の深耕に努めました。\n";
    let big_text = phrase.repeat((50 << 20) / phrase.len() + 1);
    add("big_japanese.txt", big_text.as_bytes(), Expect::Code("too_large"));
    // 9 MiB of text: under the input limit, over the 8 MiB text limit.
    let mut nine = 9 << 20;
    while !big_text.is_char_boundary(nine) {
        nine -= 1;
    }
    add("nine_mib_japanese.txt", &big_text.as_bytes()[..nine], Expect::Code("too_large"));

    // Zip bombs. The stream inflates to 1 + 258 * (1 + 8 * 525_000) bytes, about 1.08 GB.
    let bomb = deflate_bomb(b' ', 525_000);
    let inflated: u64 = 1 + 258 * (1 + 8 * 525_000);
    assert!(inflated > 1 << 30 && bomb.len() < 8 << 20);
    let bomb_entry = |declared: u32| RawEntry {
        name: "word/document.xml".into(),
        method: 8,
        crc: 0,
        declared,
        data: &bomb,
        local_offset: None,
    };
    add("zip_bomb_honest.docx", &raw_zip(&[bomb_entry(inflated as u32)]), Expect::Code("zip_bomb"));
    add("zip_bomb_lying_header.docx", &raw_zip(&[bomb_entry(2000)]), Expect::Code("zip_bomb"));
    // The same stream zlib-wrapped (wrong checksum) as a PDF content stream.
    let mut zlib = vec![0x78, 0x01];
    zlib.extend_from_slice(&bomb);
    zlib.extend_from_slice(&[0; 4]);
    add(
        "pdf_content_stream_bomb.pdf",
        &raw_pdf(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_vec(),
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
                stream_obj("/Filter /FlateDecode", &zlib),
                FONT.to_vec(),
            ],
            "/Root 1 0 R",
        ),
        // Refused by the page-content budget before anything inflates it in full.
        Expect::Code("zip_bomb"),
    );
    drop(bomb);
    // Too many entries: 5,000 tiny files.
    let tiny = b"<x/>";
    let many: Vec<RawEntry<'_>> = (0..5000)
        .map(|i| RawEntry {
            name: if i == 0 { "word/document.xml".into() } else { format!("word/media/p{i}.xml") },
            method: 0,
            crc: crc32(tiny),
            declared: tiny.len() as u32,
            data: tiny,
            local_offset: None,
        })
        .collect();
    add("zip_bomb_many_entries.docx", &raw_zip(&many), Expect::Code("zip_bomb"));
    // Overlapping entries: 100 central-directory records, one 1 MiB stored body.
    let mib = vec![b' '; 1 << 20];
    let mut overlapping = vec![RawEntry {
        name: "word/document.xml".into(),
        method: 0,
        crc: crc32(&mib),
        declared: mib.len() as u32,
        data: &mib,
        local_offset: None,
    }];
    for i in 1..100 {
        overlapping.push(RawEntry {
            name: format!("word/header{i}.xml"),
            method: 0,
            crc: crc32(&mib),
            declared: mib.len() as u32,
            data: &mib,
            local_offset: Some(0),
        });
    }
    add("zip_bomb_overlapping.docx", &raw_zip(&overlapping), Expect::Code("zip_bomb"));

    // XML nested a million levels deep (3 MB, compresses to a few KB).
    let depth = 1_000_000;
    let mut deep = format!("<w:document xmlns:w=\"{W_NS}\"><w:body>");
    deep.push_str(&"<w:p>".repeat(depth));
    deep.push_str(&"</w:p>".repeat(depth));
    deep.push_str("</w:body></w:document>");
    add("deeply_nested.docx", &zip_parts(&seed_docx_parts(deep.as_bytes()), false), Expect::Code("corrupt_docx"));
    // Nested deeply in unknown elements, each declaring a namespace.
    let mut deep_ns = format!("<w:document xmlns:w=\"{W_NS}\"><w:body>");
    for i in 0..100_000 {
        deep_ns.push_str(&format!("<x{i}:e xmlns:x{i}=\"urn:x{i}\">"));
    }
    deep_ns.push_str("</w:body></w:document>");
    add("deeply_nested_namespaces.docx", &zip_parts(&seed_docx_parts(deep_ns.as_bytes()), false), Expect::Error);
    // An entity bomb ("billion laughs"): entities must not be expanded.
    let mut laughs = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE w:document [\n<!ENTITY l0 \"ははは\">\n");
    for i in 1..10 {
        let prev = format!("&l{};", i - 1);
        laughs.push_str(&format!("<!ENTITY l{i} \"{}\">\n", prev.repeat(10)));
    }
    laughs.push_str(&format!(
        "]>\n<w:document xmlns:w=\"{W_NS}\"><w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>"
    ));
    add("billion_laughs.docx", &zip_parts(&seed_docx_parts(laughs.as_bytes()), false), Expect::Any);
    // Another ZIP-based format, and a legacy encrypted Office file.
    add(
        "spreadsheet.docx",
        &zip_parts(&[("xl/workbook.xml", b"<workbook/>".to_vec())], false),
        Expect::Code("unsupported_type"),
    );
    let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole.extend_from_slice(&[0; 504]);
    ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    ole.extend_from_slice(&[0; 512]);
    add("password.docx", &ole, Expect::Code("encrypted"));

    // Hand-made hostile PDFs.
    let mut arrays = b"<< /Type /Catalog /Pages 2 0 R /Deep ".to_vec();
    arrays.extend(std::iter::repeat_n(b'[', 200_000));
    arrays.extend(std::iter::repeat_n(b']', 200_000));
    arrays.extend_from_slice(b" >>");
    add(
        "pdf_deep_arrays.pdf",
        &raw_pdf(
            &[
                arrays,
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
                stream_obj("", HELLO_CONTENT),
                FONT.to_vec(),
            ],
            "/Root 1 0 R",
        ),
        Expect::Any,
    );
    let mut dicts = b"<< /Type /Catalog /Pages 2 0 R /Deep ".to_vec();
    dicts.extend(b"<< /A ".iter().cycle().take(6 * 100_000));
    dicts.extend(b" >>".iter().cycle().take(3 * 100_000));
    dicts.extend_from_slice(b" >>");
    add(
        "pdf_deep_dictionaries.pdf",
        &raw_pdf(
            &[
                dicts,
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
                stream_obj("", HELLO_CONTENT),
                FONT.to_vec(),
            ],
            "/Root 1 0 R",
        ),
        Expect::Any,
    );
    add(
        "pdf_page_tree_cycle.pdf",
        &raw_pdf(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
                b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>".to_vec(),
                b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>".to_vec(),
            ],
            "/Root 1 0 R",
        ),
        Expect::Error,
    );
    // The trailer's /Prev points at its own cross-reference table (the trailer
    // comes after the table, so adding /Prev does not move it).
    let loop_objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        stream_obj("", HELLO_CONTENT),
        FONT.to_vec(),
    ];
    let plain = raw_pdf(&loop_objects, "/Root 1 0 R");
    let xref_at = plain.windows(6).rposition(|w| w == b"\nxref\n").unwrap() + 1;
    let xref_loop = raw_pdf(&loop_objects, &format!("/Root 1 0 R /Prev {xref_at}"));
    add("pdf_xref_prev_loop.pdf", &xref_loop, Expect::Any);
    // Content streams that call themselves as form XObjects.
    add(
        "pdf_recursive_xobject.pdf",
        &raw_pdf(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources 6 0 R >>".to_vec(),
                stream_obj("", b"/X1 Do BT /F1 24 Tf 72 700 Td (Hello hairyo) Tj ET"),
                FONT.to_vec(),
                b"<< /Font << /F1 5 0 R >> /XObject << /X1 7 0 R >> >>".to_vec(),
                stream_obj("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources 6 0 R", b"/X1 Do"),
            ],
            "/Root 1 0 R",
        ),
        Expect::Any,
    );
    // 150 pages sharing one content stream: over the 100-page limit.
    let mut objects =
        vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(), Vec::new(), stream_obj("", HELLO_CONTENT), FONT.to_vec()];
    let kids: Vec<String> = (0..150).map(|i| format!("{} 0 R", 5 + i)).collect();
    objects[1] =
        format!("<< /Type /Pages /Kids [{}] /Count 150 /MediaBox [0 0 595 842] >>", kids.join(" ")).into_bytes();
    for _ in 0..150 {
        objects
            .push(b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>".to_vec());
    }
    add("pdf_150_pages.pdf", &raw_pdf(&objects, "/Root 1 0 R"), Expect::Code("too_many_pages"));
    add("pdf_password.pdf", &password_pdf(), Expect::Code("encrypted"));
    add(
        "pdf_no_text.pdf",
        &raw_pdf(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_vec(),
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
                stream_obj("", b"72 72 100 100 re f"),
            ],
            "/Root 1 0 R",
        ),
        Expect::Code("no_text_layer"),
    );
    add("pdf_header_only.pdf", b"%PDF-1.7\n", Expect::Code("corrupt_pdf"));
    let mut pdf_garbage = b"%PDF-1.4\n".to_vec();
    pdf_garbage.extend(rng.bytes(256 << 10));
    add("pdf_header_then_random.pdf", &pdf_garbage, Expect::Error);
    cases
}

/// Seeds: (name, extension, bytes, whether they must be readable).
fn seeds() -> Vec<(String, &'static str, Vec<u8>, bool)> {
    let mut seeds = vec![
        ("built_plain_pdf".to_string(), "pdf", seed_pdf(&[PAGE_ONE, PAGE_TWO], false), true),
        ("built_flate_pdf".to_string(), "pdf", seed_pdf(&[PAGE_ONE, PAGE_TWO], true), true),
        ("built_deflate_docx".to_string(), "docx", seed_docx(false), true),
        ("built_stored_docx".to_string(), "docx", seed_docx(true), true),
    ];
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    if let Ok(dir) = std::fs::read_dir(&samples) {
        let mut found: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        found.sort();
        for path in found {
            let ext = match path.extension().and_then(|e| e.to_str()) {
                Some("pdf") => "pdf",
                Some("docx") => "docx",
                _ => continue,
            };
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if bytes.len() < 16 || bytes.len() > 4 << 20 {
                continue;
            }
            let name = format!("sample_{}_{ext}", path.file_stem().unwrap().to_string_lossy());
            // A sample may be unreadable on purpose (a scan, a password): no expectation.
            seeds.push((name, ext, bytes, false));
        }
    }
    seeds
}

// ---------------------------------------------------------------------------
// Running the binary

struct BatchRun {
    lines: Vec<Value>,
    exit_code: Option<i32>,
    signal: Option<i32>,
    elapsed: Duration,
    /// Peak RSS of the process and its waited-for descendants (wait4), bytes.
    tree_max_rss: u64,
    /// Peak RSS of the scan process itself (VmHWM, polled), bytes.
    own_max_rss: u64,
    stderr: String,
}

fn vm_hwm(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn run_batch(paths: &[&Path]) -> BatchRun {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hairyo"))
        .args(["scan", "--format", "json"])
        .args(paths)
        .env("HAIRYO_LOG", "warn,hairyo::cli::scan=info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hairyo");
    let pid = child.id() as i32;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    // Watchdog: polls the scan process's own high-water mark, kills it past the bound.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let mut hwm = 0;
        loop {
            if let Some(v) = vm_hwm(pid) {
                hwm = hwm.max(v);
            }
            match done_rx.recv_timeout(Duration::from_millis(25)) {
                Err(mpsc::RecvTimeoutError::Timeout) if started.elapsed() > BATCH_BOUND => {
                    // SAFETY: plain kill(2) of our own unreaped child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                _ => return hwm,
            }
        }
    });
    // wait4 rather than Child::wait, for the child's resource usage, which on
    // Linux includes the peak RSS of the workers it waited for.
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let elapsed = started.elapsed();
    done_tx.send(()).ok();
    let own_max_rss = watchdog.join().unwrap();
    drop(child); // already reaped; dropping does not wait again
    let stdout = out_reader.join().unwrap().expect("stdout is UTF-8");
    let stderr = err_reader.join().unwrap();
    let (exit_code, signal) = if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (Some(libc::WEXITSTATUS(status)), None)
    };
    let lines =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    BatchRun { lines, exit_code, signal, elapsed, tree_max_rss: usage.ru_maxrss as u64 * 1024, own_max_rss, stderr }
}

/// `text` without ANSI escape sequences (the log output may be coloured).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-byte (0x40..=0x7E).
            for d in chars.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The largest `ms=` of the per-file `scanned` log lines.
fn slowest_file_ms(stderr: &str) -> u64 {
    strip_ansi(stderr)
        .lines()
        .filter(|l| l.contains("scanned"))
        .filter_map(|l| l.split(" ms=").nth(1))
        .filter_map(|v| v.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .max()
        .unwrap_or(0)
}

#[test]
fn damaged_and_hostile_files_fail_closed_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0x6861_6972_796f); // "hairyo"
    let mut cases = Vec::new();

    let seeds = seeds();
    let per_seed = DAMAGED_TARGET.div_ceil(seeds.len());
    for (s, (name, ext, bytes, readable)) in seeds.iter().enumerate() {
        let path = dir.path().join(format!("seed{s:02}_{name}.{ext}"));
        std::fs::write(&path, bytes).unwrap();
        cases.push(Case {
            path,
            expect: if *readable { Expect::Readable } else { Expect::Any },
            group: format!("seed/{name}"),
        });
        // The stored-DOCX seed is damaged inside its XML and re-zipped with
        // correct checksums, so the damage reaches the XML reader.
        let xml = seed_document_xml();
        for i in 0..per_seed {
            let kind = MUTATIONS[i % MUTATIONS.len()];
            let damaged = if name == "built_stored_docx" {
                let xml = mutate(&mut rng, xml.as_bytes(), kind, i / MUTATIONS.len(), per_seed / MUTATIONS.len());
                zip_parts(&seed_docx_parts(&xml), true)
            } else {
                mutate(&mut rng, bytes, kind, i / MUTATIONS.len(), per_seed / MUTATIONS.len())
            };
            let path = dir.path().join(format!("d{s:02}_{i:04}_{kind}.{ext}"));
            std::fs::write(&path, damaged).unwrap();
            cases.push(Case { path, expect: Expect::Any, group: format!("{name}/{kind}") });
        }
    }
    let damaged = cases.len() - seeds.len();
    cases.extend(hostile_cases(dir.path(), &mut rng));
    eprintln!(
        "hostile_inputs: {} files ({} seeds, {} damaged, {} hostile)",
        cases.len(),
        seeds.len(),
        damaged,
        cases.len() - seeds.len() - damaged
    );
    assert!(damaged >= 2000);

    // Interleave so each batch mixes seeds, damage and hostile files (the slow
    // hostile ones are spread out rather than all in the last batch).
    let mut order: Vec<usize> = (0..cases.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }

    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_group: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut peak_tree, mut peak_own, mut slowest_batch, mut slowest_file) = (0, 0, Duration::ZERO, 0);
    let total_started = Instant::now();
    for batch in order.chunks(BATCH) {
        let paths: Vec<&Path> = batch.iter().map(|&i| cases[i].path.as_path()).collect();
        let run = run_batch(&paths);
        peak_tree = peak_tree.max(run.tree_max_rss);
        peak_own = peak_own.max(run.own_max_rss);
        slowest_batch = slowest_batch.max(run.elapsed);
        slowest_file = slowest_file.max(slowest_file_ms(&run.stderr));
        let logged = strip_ansi(&run.stderr).lines().filter(|l| l.contains(" ms=")).count();
        assert_eq!(logged, paths.len(), "one `scanned` log line per input");

        assert!(run.signal.is_none(), "hairyo killed by signal {:?} after {:?}", run.signal, run.elapsed);
        assert!(
            matches!(run.exit_code, Some(0 | 1)),
            "hairyo exited {:?}; stderr tail: {}",
            run.exit_code,
            &run.stderr[run.stderr.len().saturating_sub(2000)..]
        );
        assert!(run.elapsed < BATCH_BOUND, "a batch took {:?}", run.elapsed);
        assert!(
            !run.stderr.contains("internal error") && !run.stderr.contains("panicked"),
            "a panic in the scan process: {}",
            &run.stderr[run.stderr.len().saturating_sub(2000)..]
        );
        assert_eq!(run.lines.len(), paths.len(), "one JSON line per input");

        let mut any_error = false;
        for (&i, line) in batch.iter().zip(&run.lines) {
            let case = &cases[i];
            assert_eq!(line["path"].as_str(), case.path.to_str(), "lines in input order");
            let status = line["status"].as_str().expect("status").to_string();
            let code = line["error"]["code"].as_str().map(str::to_string);
            let name = case.path.file_name().unwrap().to_string_lossy();
            if status == "error" {
                any_error = true;
                match &code {
                    Some(c) if KNOWN_CODES.contains(&c.as_str()) => {}
                    other => failures.push(format!("{name}: error with code {other:?}")),
                }
                if line["error"]["message"].as_str().is_none_or(str::is_empty) {
                    failures.push(format!("{name}: error without a message"));
                }
            } else {
                if code.is_some() {
                    failures.push(format!("{name}: status {status} with an error"));
                }
                if !["quarantine", "flag", "clear"].contains(&status.as_str()) {
                    failures.push(format!("{name}: unknown status {status}"));
                }
            }
            match case.expect {
                Expect::Any => {}
                Expect::Readable if status == "error" => failures.push(format!("{name}: seed not readable ({code:?})")),
                Expect::Readable => {}
                Expect::Error if status != "error" => failures.push(format!("{name}: expected an error, got {status}")),
                Expect::Error => {}
                Expect::Code(want) if code.as_deref() != Some(want) => {
                    failures.push(format!("{name}: expected {want}, got {status} {code:?}"))
                }
                Expect::Code(_) => {}
            }
            let key = match &code {
                Some(c) => format!("error/{c}"),
                None => status.clone(),
            };
            *tally.entry(key.clone()).or_default() += 1;
            let group = case.group.split('/').next().unwrap_or("").to_string();
            *by_group.entry(group).or_default().entry(key).or_default() += 1;
            if case.group.starts_with("hostile/") {
                eprintln!("  {name}: {}", code.as_deref().unwrap_or(&status));
            }
            if std::env::var_os("HAIRYO_HOSTILE_KEEP").is_some() && status == "clear" {
                let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/hostile-clear");
                std::fs::create_dir_all(&keep).unwrap();
                std::fs::copy(&case.path, keep.join(&*name)).unwrap();
            }
        }
        assert_eq!(run.exit_code, Some(i32::from(any_error)), "exit code 1 exactly when an input failed");
    }

    eprintln!("hostile_inputs: outcomes over {} files:", cases.len());
    for (key, n) in &tally {
        eprintln!("  {key:<24} {n}");
    }
    for (group, outcomes) in &by_group {
        let parts: Vec<String> = outcomes.iter().map(|(k, n)| format!("{k}={n}")).collect();
        eprintln!("  [{group}] {}", parts.join(" "));
    }
    eprintln!(
        "hostile_inputs: total {:?}, slowest batch {:?}, slowest file {} ms, \
         peak RSS scan process {} MiB, process tree (incl. workers) {} MiB",
        total_started.elapsed(),
        slowest_batch,
        slowest_file,
        peak_own >> 20,
        peak_tree >> 20
    );
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(slowest_file <= FILE_BOUND_MS, "a file took {slowest_file} ms");
    assert!(peak_tree < MAX_RSS_BYTES, "peak RSS {} MiB", peak_tree >> 20);
    assert!(peak_own < MAX_RSS_BYTES, "peak RSS {} MiB", peak_own >> 20);
}
