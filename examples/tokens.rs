//! Prints the morphemes of a text with part of speech and base form (a debugging aid).
fn main() {
    let text = std::env::args().nth(1).unwrap_or_default();
    let t = hairyo::tokenize::Tokenizer::shared().expect("tokenizer");
    let n = hairyo::tokenize::normalize(&text);
    let a = t.analyze(&n).expect("analyze");
    for i in 0..a.morphemes.len() {
        println!("{}\t{:?}\t{}", a.surface(i), a.pos(i), a.base_form(i));
    }
}
