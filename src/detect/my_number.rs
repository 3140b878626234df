//! マイナンバー (個人番号): twelve digits whose last is the check digit (番号法施行令 第8条).

/// A twelve-digit run found in normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberMatch {
    /// Byte span in the normalised text.
    pub start: usize,
    pub end: usize,
    pub digits: [u8; 12],
}

/// Whether the twelfth digit is the check digit of the first eleven.
pub(crate) fn check_digit_ok(d: &[u8; 12]) -> bool {
    // P_n is the n-th digit counted from the right, excluding the check digit.
    let sum: u32 = (1..=11)
        .map(|n| {
            let p = u32::from(d[11 - n]);
            let q = if n <= 6 { n as u32 + 1 } else { n as u32 - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    u32::from(d[11]) == check
}

/// Finds runs of exactly twelve digits written the way people type a My Number: contiguous,
/// grouped 4-4-4 with spaces or hyphens, or broken by a line break anywhere. Runs that are
/// part of a longer number are ignored.
pub(crate) fn find_candidates(text: &str) -> Vec<NumberMatch> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        // Walk digits and single separators between digits.
        let start = i;
        let mut digits = Vec::with_capacity(16);
        let mut seps_ok = true;
        let mut j = i;
        let mut end = i;
        while j < b.len() {
            if b[j].is_ascii_digit() {
                digits.push(b[j] - b'0');
                j += 1;
                end = j;
            } else if matches!(b[j], b' ' | b'-' | b'\n') && j + 1 < b.len() && b[j + 1].is_ascii_digit() {
                let at = digits.len();
                if b[j] != b'\n' && at != 4 && at != 8 {
                    seps_ok = false;
                }
                j += 1;
            } else {
                break;
            }
            if digits.len() > 12 {
                break;
            }
        }
        let followed_by_digit = end < b.len() && b[end].is_ascii_digit();
        if digits.len() == 12 && seps_ok && !followed_by_digit {
            let mut d = [0u8; 12];
            d.copy_from_slice(&digits);
            out.push(NumberMatch { start, end, digits: d });
        }
        i = end.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> [u8; 12] {
        let v: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).map(|c| c - b'0').collect();
        v.try_into().unwrap()
    }

    #[test]
    fn check_digit() {
        // Computed by hand from the statutory formula.
        assert!(check_digit_ok(&digits("123456789018")));
        assert!(!check_digit_ok(&digits("123456789012")));
        assert!(check_digit_ok(&digits("000000000000")));
    }

    #[test]
    fn forms_people_type() {
        for text in ["番号 123456789018 です", "1234-5678-9018", "1234 5678 9018", "12345\n6789018"] {
            let found = find_candidates(text);
            assert_eq!(found.len(), 1, "{text}");
            assert_eq!(found[0].digits, digits("123456789018"));
            assert_eq!(&text[found[0].start..found[0].end].chars().filter(char::is_ascii_digit).count(), &12);
        }
    }

    #[test]
    fn not_part_of_longer_numbers_or_odd_groupings() {
        assert!(find_candidates("1234567890181").is_empty());
        assert!(find_candidates("91234567890 18").is_empty());
        assert!(find_candidates("123-4567-89018").is_empty());
        assert!(find_candidates("090-1234-5678").is_empty());
        assert!(find_candidates("3.123456789018").is_empty());
    }
}
