//! Normalisation and Japanese morphology.
//!
//! Extracted text is first normalised ([`normalize`]): NFKC, width folding, ASCII lower-casing,
//! and joining of line breaks and spaces that PDF extraction and table layouts put between
//! Japanese characters. Every normalised byte keeps a pointer back to the extracted text, so
//! findings can be reported against what the candidate actually wrote. The normalised text is
//! then segmented into morphemes ([`Tokenizer`]) with Lindera and an IPADIC dictionary built
//! offline by `build.rs`.

mod japanese;
mod normalize;

pub use japanese::{Analysis, Morpheme, Pieces, Tokenizer, TokenizerError};
pub use normalize::{Normalized, normalize, normalize_term};
