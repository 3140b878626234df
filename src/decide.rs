//! Findings + policy -> a verdict.
//!
//! The taxonomy's default actions decide: any special-care finding or a My Number quarantines
//! the document; employment-screening findings alone flag it for an advisor; nothing found
//! clears it. A document that could not be read or scanned is never clear: it is `error`,
//! which every caller treats as held (fail closed).

use serde::{Deserialize, Serialize};

use crate::detect::{Action, Finding};

/// What happens to a scanned document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Special-care information or a My Number: held until consent, redaction or deletion.
    Quarantine,
    /// Only employment-screening items: released with a warning for advisors.
    Flag,
    /// Nothing found.
    Clear,
    /// Could not be read or scanned: held for review.
    Error,
}

impl Status {
    /// The status id used in JSON and the database.
    pub fn id(self) -> &'static str {
        match self {
            Status::Quarantine => "quarantine",
            Status::Flag => "flag",
            Status::Clear => "clear",
            Status::Error => "error",
        }
    }

    /// Whether a document with this status may be shown to advisors without consent.
    pub fn releasable(self) -> bool {
        matches!(self, Status::Flag | Status::Clear)
    }
}

/// Decides the status of a successfully scanned document from its findings.
pub fn decide(findings: &[Finding]) -> Status {
    let mut status = Status::Clear;
    for f in findings {
        match f.category.action() {
            Action::Quarantine | Action::Reject => return Status::Quarantine,
            Action::Flag => status = Status::Flag,
        }
    }
    status
}

/// Whether the findings include a My Number (refused outright on upload).
pub fn has_my_number(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.category.action() == Action::Reject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Category;

    fn finding(category: Category) -> Finding {
        Finding {
            category,
            start: 0,
            end: 3,
            text: "x".into(),
            confidence: 0.9,
            rule: "t".into(),
            explanation: String::new(),
        }
    }

    #[test]
    fn special_care_quarantines_screening_flags_nothing_clears() {
        assert_eq!(decide(&[]), Status::Clear);
        assert_eq!(decide(&[finding(Category::UnionMembership)]), Status::Flag);
        assert_eq!(decide(&[finding(Category::FamilyOrigin), finding(Category::MedicalHistory)]), Status::Quarantine);
        assert_eq!(decide(&[finding(Category::MyNumber)]), Status::Quarantine);
        assert!(has_my_number(&[finding(Category::MyNumber)]));
        assert!(!has_my_number(&[finding(Category::Race)]));
    }

    #[test]
    fn every_special_care_category_quarantines() {
        for &c in Category::ALL {
            let expected = match c.action() {
                Action::Flag => Status::Flag,
                _ => Status::Quarantine,
            };
            assert_eq!(decide(&[finding(c)]), expected, "{c}");
        }
        assert!(!Status::Error.releasable());
        assert!(!Status::Quarantine.releasable());
    }
}
