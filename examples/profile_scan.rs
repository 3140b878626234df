//! Scans (or only tokenises) a file many times: a profiling aid for
//! `valgrind --tool=callgrind`, whose instruction counts do not depend on machine load.
//!
//! `profile_scan FILE N [scan|tokenize]`
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("path");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let mode = args.next().unwrap_or_else(|| "scan".into());
    let text = std::fs::read_to_string(path).expect("read");
    let d = hairyo::Detector::embedded().expect("detector");
    let mut total = 0;
    if mode == "tokenize" {
        let normalized = hairyo::tokenize::normalize(&text);
        for _ in 0..n {
            total += d.tokenizer().analyze(&normalized).expect("analyze").morphemes.len();
        }
    } else {
        for _ in 0..n {
            total += d.scan(&text).expect("scan").findings.len();
        }
    }
    println!("{total}");
}
