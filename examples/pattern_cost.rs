//! Times each dictionary pattern over a text (a profiling aid).
fn main() {
    let pats: Vec<(String, String)> = serde_json::from_str(&std::fs::read_to_string("/tmp/pats.json").unwrap()).unwrap();
    let text = hairyo::tokenize::normalize(&std::fs::read_to_string("/tmp/prof.txt").unwrap()).text;
    let mut rows = Vec::new();
    for (name, p) in pats {
        let re = regex::Regex::new(&p).unwrap();
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..50 { n += re.find_iter(&text).count(); }
        rows.push((t.elapsed().as_micros() / 50, name, n / 50));
    }
    rows.sort();
    for r in rows.iter().rev().take(15) { println!("{:>6}us {} ({} matches)", r.0, r.1, r.2); }
    println!("total {}us", rows.iter().map(|r| r.0).sum::<u128>());
}
