//! Where to get help in a crisis: the deployment's list of crisis
//! resources (helplines, text lines, services) by region and language, and
//! the file format it is read from.
//!
//! The format is JSON Lines: one JSON object per line, each a resource.
//! Blank lines and lines starting with `#` are comments (the shipped list
//! cites its sources in them). A resource has a `name` and at least one of
//! `phone`, `sms` and `url`, and may have `hours`; `region` (ISO 3166-1
//! alpha-2, e.g. `"DE"`) and `language` (a BCP 47 tag, e.g. `"de"`) say
//! whom it is for. Resources without a region form the default list, which
//! must not be empty: it answers every region the file does not name.
//!
//! A request for a region and a language gets the region's resources in
//! that language (a resource for `"de"` serves `"de-AT"`; one without a
//! language serves every language), else all of the region's resources
//! (a helpline in the local language beats none); a region the file does
//! not name gets the default list, chosen by language the same way. The
//! answer is never empty.

use serde::Deserialize;

/// The list compiled in, used when the operator names no file: the
/// example in `docs/crisis-resources.jsonl`.
pub const BUILT_IN: &str = include_str!("../../docs/crisis-resources.jsonl");

/// Longest name, hours or contact, in characters.
const MAX_TEXT: usize = 200;
/// Longest URL, in characters.
const MAX_URL: usize = 500;

/// One place to get help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisResource {
    /// Its name, e.g. "TelefonSeelsorge".
    pub name: String,
    /// Number to call, as dialled in its region; empty if none.
    pub phone: String,
    /// Number (and keyword) to text; empty if none.
    pub sms: String,
    /// Web address (http or https); empty if none.
    pub url: String,
    /// When it answers, e.g. "24/7"; empty if not known.
    pub hours: String,
}

/// A region: an ISO 3166-1 alpha-2 code, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    /// The region `code` names: two ASCII letters, in either case.
    pub fn parse(code: &str) -> Result<Region, String> {
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Region(code.to_ascii_uppercase()))
        } else {
            Err(format!(
                "{code:?} is not an ISO 3166-1 alpha-2 region code like \"DE\""
            ))
        }
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.0
    }
}

/// A language: a well-formed BCP 47 tag, lower case (tags compare without
/// case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language(String);

impl Language {
    /// The language `tag` names: subtags of 1 to 8 letters or digits
    /// joined by `-`, the first 2, 3 or 5 to 8 letters.
    pub fn parse(tag: &str) -> Result<Language, String> {
        let mut subtags = tag.split('-');
        let primary = subtags.next().unwrap_or_default();
        let primary_ok = matches!(primary.len(), 2 | 3 | 5..=8)
            && primary.bytes().all(|b| b.is_ascii_alphabetic());
        let rest_ok = subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
        if primary_ok && rest_ok && tag.len() <= 35 {
            Ok(Language(tag.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{tag:?} is not a BCP 47 language tag like \"de\" or \"pt-BR\""
            ))
        }
    }

    /// Whether a resource for this language serves `wanted`: the same tag,
    /// or a prefix of it up to a `-` (RFC 4647 basic filtering).
    fn serves(&self, wanted: &Language) -> bool {
        wanted.0 == self.0
            || wanted
                .0
                .strip_prefix(&self.0)
                .is_some_and(|rest| rest.starts_with('-'))
    }
}

/// Whom a list is for: a region and a language, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locale {
    /// The region; `None` asks for the default list.
    pub region: Option<Region>,
    /// The language; `None` takes any.
    pub language: Option<Language>,
}

/// A resource and whom it is for.
#[derive(Debug, Clone)]
struct Entry {
    region: Option<Region>,
    language: Option<Language>,
    resource: CrisisResource,
}

/// The resources one request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisList {
    /// The region the list is for; `None` for the default list.
    pub region: Option<Region>,
    /// The resources, in the file's order; never empty.
    pub resources: Vec<CrisisResource>,
}

/// The deployment's crisis resources.
#[derive(Debug, Clone)]
pub struct CrisisDirectory {
    entries: Vec<Entry>,
}

/// What is wrong with a crisis resources file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", .line.map(|n| format!("line {n}: ")).unwrap_or_default())]
pub struct CrisisFileError {
    /// The line (from 1), when one line is at fault.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// One line of the file, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    region: Option<String>,
    language: Option<String>,
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    sms: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    hours: String,
}

fn text(field: &str, value: String, most: usize) -> Result<String, String> {
    if value.chars().count() > most {
        return Err(format!("{field} is longer than {most} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} has control characters"));
    }
    Ok(value.trim().to_owned())
}

impl Line {
    fn entry(self) -> Result<Entry, String> {
        let region = self.region.as_deref().map(Region::parse).transpose()?;
        let language = self.language.as_deref().map(Language::parse).transpose()?;
        let resource = CrisisResource {
            name: text("name", self.name, MAX_TEXT)?,
            phone: text("phone", self.phone, MAX_TEXT)?,
            sms: text("sms", self.sms, MAX_TEXT)?,
            url: text("url", self.url, MAX_URL)?,
            hours: text("hours", self.hours, MAX_TEXT)?,
        };
        if resource.name.is_empty() {
            return Err("name must not be empty".into());
        }
        if [&resource.phone, &resource.sms, &resource.url]
            .iter()
            .all(|contact| contact.is_empty())
        {
            return Err("give at least one of phone, sms and url".into());
        }
        let web = ["https://", "http://"];
        if !resource.url.is_empty() && !web.iter().any(|s| resource.url.starts_with(s)) {
            return Err(format!("url {:?} must start with https://", resource.url));
        }
        Ok(Entry {
            region,
            language,
            resource,
        })
    }
}

impl CrisisDirectory {
    /// The list compiled in ([`BUILT_IN`]).
    pub fn built_in() -> CrisisDirectory {
        // A constant, checked by this module's tests.
        CrisisDirectory::parse(BUILT_IN).unwrap_or_else(|e| panic!("built-in crisis list: {e}"))
    }

    /// The list in `text`, in the format described in the module docs.
    pub fn parse(text: &str) -> Result<CrisisDirectory, CrisisFileError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at_line = |message: String| CrisisFileError {
                line: Some(index + 1),
                message,
            };
            let parsed: Line = serde_json::from_str(line).map_err(|e| at_line(e.to_string()))?;
            entries.push(parsed.entry().map_err(at_line)?);
        }
        if entries.iter().all(|e| e.region.is_some()) {
            return Err(CrisisFileError {
                line: None,
                message: "no default list: add at least one resource without a region".into(),
            });
        }
        Ok(CrisisDirectory { entries })
    }

    /// The resources for `locale` (see the module docs).
    pub fn for_locale(&self, locale: &Locale) -> CrisisList {
        let Locale { region, language } = locale;
        let (region, language) = (region.as_ref(), language.as_ref());
        let pick = |of: Option<&Region>| -> Vec<CrisisResource> {
            let of_region: Vec<&Entry> = self
                .entries
                .iter()
                .filter(|e| e.region.as_ref() == of)
                .collect();
            let spoken: Vec<&Entry> = of_region
                .iter()
                .copied()
                .filter(|e| match (&e.language, language) {
                    (Some(serves), Some(wanted)) => serves.serves(wanted),
                    _ => true,
                })
                .collect();
            let chosen = if spoken.is_empty() { of_region } else { spoken };
            chosen.into_iter().map(|e| e.resource.clone()).collect()
        };
        if let Some(region) = region {
            let resources = pick(Some(region));
            if !resources.is_empty() {
                return CrisisList {
                    region: Some(region.clone()),
                    resources,
                };
            }
        }
        CrisisList {
            region: None,
            resources: pick(None),
        }
    }

    /// How many resources the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Default for CrisisDirectory {
    fn default() -> Self {
        CrisisDirectory::built_in()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        Region::parse(code).expect("region")
    }

    fn language(tag: &str) -> Language {
        Language::parse(tag).expect("language")
    }

    const FILE: &str = r#"# a comment, then a blank line

{"name": "Anywhere", "url": "https://findahelpline.com"}
{"region": "CH", "language": "de", "name": "Dargebotene Hand", "phone": "143"}
{"region": "CH", "language": "fr", "name": "La Main Tendue", "phone": "143"}
{"region": "GB", "name": "Samaritans", "phone": "116 123", "hours": "24/7"}
"#;

    fn names(list: &CrisisList) -> Vec<&str> {
        list.resources.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn the_built_in_list_is_valid_and_has_a_default() {
        let built_in = CrisisDirectory::built_in();
        assert!(!built_in.for_locale(&Locale::default()).resources.is_empty());
    }

    #[test]
    fn a_region_gets_its_resources_in_its_language_else_all_of_them() {
        let directory = CrisisDirectory::parse(FILE).expect("parses");
        let at = |region: Option<&str>, tag: Option<&str>| {
            directory.for_locale(&Locale {
                region: region.map(self::region),
                language: tag.map(self::language),
            })
        };
        let swiss = |tag: &str| at(Some("ch"), Some(tag));
        assert_eq!(names(&swiss("de-CH")), ["Dargebotene Hand"]);
        assert_eq!(names(&swiss("FR")), ["La Main Tendue"]);
        assert_eq!(names(&swiss("it")), ["Dargebotene Hand", "La Main Tendue"]);
        let british = at(Some("GB"), Some("de"));
        assert_eq!(
            (british.region.as_ref().map(Region::code), names(&british)),
            (Some("GB"), vec!["Samaritans"])
        );
        let elsewhere = at(Some("NZ"), None);
        assert_eq!(
            (&elsewhere.region, names(&elsewhere)),
            (&None, vec!["Anywhere"])
        );
        assert_eq!(names(&at(None, None)), ["Anywhere"]);
    }

    #[test]
    fn a_bad_file_is_refused_naming_the_line() {
        let refused = |text: &str| CrisisDirectory::parse(text).expect_err("refused");
        let default = r#"{"name": "Anywhere", "phone": "112"}"#;
        let cases = [
            (
                format!("{default}\n{{\"name\": \"x\"}}"),
                2,
                "at least one of",
            ),
            (format!("# c\n{default}\nnot json"), 3, "expected"),
            (
                format!("{default}\n{{\"name\": \"x\", \"phnoe\": \"1\"}}"),
                2,
                "phnoe",
            ),
            (
                format!("{default}\n{{\"region\": \"DEU\", \"name\": \"x\", \"phone\": \"1\"}}"),
                2,
                "region",
            ),
            (
                format!("{default}\n{{\"language\": \"d\", \"name\": \"x\", \"phone\": \"1\"}}"),
                2,
                "language",
            ),
            (
                format!("{default}\n{{\"name\": \"x\", \"url\": \"ftp://x\"}}"),
                2,
                "https://",
            ),
            (
                format!("{default}\n{{\"name\": \"\", \"phone\": \"1\"}}"),
                2,
                "name",
            ),
        ];
        for (text, line, says) in cases {
            let error = refused(&text);
            assert_eq!(error.line, Some(line), "{text}");
            assert!(
                error.to_string().starts_with(&format!("line {line}: ")),
                "{error}"
            );
            assert!(
                error.message.contains(says),
                "{error} should mention {says}"
            );
        }
        let no_default = refused(r#"{"region": "DE", "name": "x", "phone": "1"}"#);
        assert_eq!(no_default.line, None);
        assert!(no_default.message.contains("default"));
    }

    #[test]
    fn tags_are_checked_and_compared_without_case() {
        assert_eq!(region("de").code(), "DE");
        for bad in ["", "D", "DEU", "1A"] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
        for good in ["de", "pt-BR", "zh-Hant-TW", "es-419"] {
            assert!(Language::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "d", "de_DE", "de-", "-de", "deutschland-x"] {
            assert!(Language::parse(bad).is_err(), "{bad}");
        }
        assert!(language("pt").serves(&language("pt-BR")));
        assert!(!language("pt-BR").serves(&language("pt")));
        assert!(!language("de").serves(&language("dsb")));
    }
}
