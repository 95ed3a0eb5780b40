//! One bad field of a request, as the domain rules of the newer record kinds
//! ([`super::instruments`], [`super::attainment`], [`super::skills`],
//! [`super::thoughts`]) report it.
//!
//! The rules check a whole value and report every bad field at once, so an
//! app can mark all of them in one round trip. The path is relative to the
//! value checked (`answers[3]`, `bands[1].min_score`); the caller prefixes
//! it with the request's path (`result.answers[3]`) and maps the list to its
//! own error type (a `google.rpc.BadRequest` in the API).

use std::fmt;

/// A bad field: where, and what is wrong with it in words a user understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field relative to the value checked, such as `answers[3]`.
    pub field: String,
    /// What is wrong, for example "must be between 0 and 3, got 5".
    pub description: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }

    /// The same violation under a parent path: `items[2]` + `text` gives
    /// `items[2].text`.
    pub fn under(self, parent: &str) -> Self {
        Self {
            field: format!("{parent}.{}", self.field),
            description: self.description,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Checks free text: surrounding whitespace trimmed, `min_chars` to
/// `max_chars` characters (counted as Unicode scalar values, as the API's
/// other text limits are). Returns the trimmed text.
pub fn text(value: &str, min_chars: usize, max_chars: usize) -> Result<String, String> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars < min_chars {
        return Err(if min_chars == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min_chars} characters, got {chars}")
        });
    }
    if chars > max_chars {
        return Err(format!(
            "must be at most {max_chars} characters, got {chars}"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Checks a rating on a 0 to 100 scale (SUDS, emotion intensity, belief).
pub fn percent(value: i32) -> Result<u8, String> {
    u8::try_from(value)
        .ok()
        .filter(|v| *v <= 100)
        .ok_or_else(|| format!("must be between 0 and 100, got {value}"))
}

/// Collects violations while a value is checked field by field.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value of a check that passed; records the violation of one
    /// that failed and returns `None`.
    pub fn check<T>(&mut self, field: impl Into<String>, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(description) => {
                self.0.push(Violation::new(field, description));
                None
            }
        }
    }

    /// Records a violation.
    pub fn push(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    /// Records the violations of a nested value under `parent`.
    pub fn extend_under(&mut self, parent: &str, nested: Vec<Violation>) {
        self.0.extend(nested.into_iter().map(|v| v.under(parent)));
    }

    /// `Ok(value)` when nothing was recorded, else every violation.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<Violation>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }

    /// Whether nothing was recorded so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations recorded.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(
            text("  Box breathing ", 1, 200).as_deref(),
            Ok("Box breathing")
        );
        assert_eq!(text("   ", 1, 200), Err("must not be empty".to_owned()));
        assert!(text(&"ü".repeat(200), 1, 200).is_ok());
        assert!(text(&"ü".repeat(201), 1, 200).is_err());
        assert_eq!(text("", 0, 10).as_deref(), Ok(""));
    }

    #[test]
    fn percent_is_zero_to_one_hundred() {
        assert_eq!(percent(0), Ok(0));
        assert_eq!(percent(100), Ok(100));
        assert!(percent(101).is_err());
        assert!(percent(-1).is_err());
        assert!(percent(i32::MAX).is_err());
    }

    #[test]
    fn nested_violations_carry_their_parent_path() {
        let mut v = Violations::new();
        assert_eq!(v.check("title", Ok::<_, String>(1)), Some(1));
        v.extend_under(
            "items[2]",
            vec![Violation::new("text", "must not be empty")],
        );
        assert_eq!(
            v.finish(|| ()),
            Err(vec![Violation::new("items[2].text", "must not be empty")])
        );
    }
}
