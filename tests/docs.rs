//! The documentation's links, checked: every relative link and every
//! `#anchor` in README.md and docs/ resolves.
//!
//! A link's path is taken relative to the file that holds it (a leading `/`
//! means the repository's root, as on GitHub) and must name a file or
//! directory of the repository; an anchor must name a heading of the target
//! (or of the linking file itself, for a bare `#anchor`) as GitHub slugs it,
//! or an explicit `<a id="...">` / `<a name="...">`. Links to `http(s)://`
//! and `mailto:` are not followed, and fenced code blocks and code spans
//! hold no links. Only ATX headings (`## Title`) are read, which is all the
//! docs use. Every broken link is reported, not only the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// What a link's path names, as far as the checker needs to know.
enum Entry {
    Missing,
    /// A directory, or a file other than Markdown (its anchors are not read).
    Other,
    /// A Markdown file, with its text.
    Markdown(String),
}

/// Where the checker looks link targets up: the repository on disk, or a
/// test's few files in memory.
trait Files {
    /// `path` is relative to the repository's root and normalised.
    fn entry(&self, path: &Path) -> Entry;
}

/// The repository on disk.
struct Disk(PathBuf);

impl Files for Disk {
    fn entry(&self, path: &Path) -> Entry {
        let full = self.0.join(path);
        if full.is_dir() {
            Entry::Other
        } else if !full.is_file() {
            Entry::Missing
        } else if is_markdown(path) {
            let text = std::fs::read_to_string(&full)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
            Entry::Markdown(text)
        } else {
            Entry::Other
        }
    }
}

/// Files in memory, by path; a directory is any prefix of a path.
struct Memory(BTreeMap<PathBuf, String>);

impl Files for Memory {
    fn entry(&self, path: &Path) -> Entry {
        match self.0.get(path) {
            Some(text) if is_markdown(path) => Entry::Markdown(text.clone()),
            Some(_) => Entry::Other,
            None if self.0.keys().any(|file| file.starts_with(path)) => Entry::Other,
            None => Entry::Missing,
        }
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "md")
}

/// A link that does not resolve.
#[derive(Debug, PartialEq)]
struct Broken {
    /// The file that holds the link, relative to the root.
    file: PathBuf,
    line: usize,
    target: String,
    problem: String,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, line, target, problem) =
            (self.file.display(), self.line, &self.target, &self.problem);
        write!(f, "{file}:{line}: ({target}) {problem}")
    }
}

/// Every broken link in `docs` (paths relative to the root, with their
/// text), looking targets up in `files`.
fn broken_links(docs: &[(PathBuf, String)], files: &dyn Files) -> Vec<Broken> {
    let mut anchors_of: HashMap<PathBuf, Option<HashSet<String>>> = HashMap::new();
    let mut broken = Vec::new();
    for (file, text) in docs {
        anchors_of.insert(file.clone(), Some(anchors(text)));
        for link in links(text) {
            if let Err(problem) = resolve(file, &link.target, files, &mut anchors_of) {
                broken.push(Broken {
                    file: file.clone(),
                    line: link.line,
                    target: link.target,
                    problem,
                });
            }
        }
    }
    broken
}

/// Resolves one link target written in `file`; the error says what is
/// wrong.
fn resolve(
    file: &Path,
    target: &str,
    files: &dyn Files,
    anchors_of: &mut HashMap<PathBuf, Option<HashSet<String>>>,
) -> Result<(), String> {
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(percent_decode(anchor))),
        None => (target, None),
    };
    let path = percent_decode(path.split('?').next().unwrap_or_default());
    let resolved = if path.is_empty() {
        file.to_path_buf()
    } else if let Some(from_root) = path.strip_prefix('/') {
        normalise(Path::new(from_root)).ok_or("leaves the repository")?
    } else {
        let dir = file.parent().unwrap_or(Path::new(""));
        normalise(&dir.join(&path)).ok_or("leaves the repository")?
    };
    if !anchors_of.contains_key(&resolved) {
        let anchors = match files.entry(&resolved) {
            Entry::Missing => return Err(format!("no file {}", resolved.display())),
            Entry::Other => None,
            Entry::Markdown(text) => Some(anchors(&text)),
        };
        anchors_of.insert(resolved.clone(), anchors);
    }
    match (anchor, &anchors_of[&resolved]) {
        (Some(anchor), Some(known)) if !known.contains(&anchor) => Err(format!(
            "no heading or anchor \"{anchor}\" in {}",
            resolved.display()
        )),
        _ => Ok(()),
    }
}

/// `path` without `.` and `..`, or `None` when it climbs above the root.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// `%20` and the like, as a browser decodes them before looking the path
/// or anchor up; anything malformed is left as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A link found in a document.
#[derive(Debug)]
struct Link {
    line: usize,
    target: String,
}

/// The links of a document that the checker follows: inline links and
/// images (`[text](target)`, `![alt](target)`) and reference definitions
/// (`[name]: target`), outside code; external ones are left out.
fn links(text: &str) -> Vec<Link> {
    let prose = without_code(text);
    let mut found = Vec::new();
    let mut rest = prose.as_str();
    let mut offset = 0;
    while let Some(at) = rest.find("](") {
        let start = at + 2;
        let target = destination(&rest[start..]);
        let line = prose[..offset + at].matches('\n').count() + 1;
        found.push(Link { line, target });
        offset += start;
        rest = &rest[start..];
    }
    for (index, line) in prose.lines().enumerate() {
        let trimmed = line.trim_start();
        let definition = trimmed
            .strip_prefix('[')
            .and_then(|after| after.split_once("]:"))
            .filter(|(name, _)| !name.is_empty() && line.len() - trimmed.len() <= 3);
        if let Some((_, target)) = definition {
            let target = target.split_whitespace().next().unwrap_or_default();
            let target = target.trim_start_matches('<').trim_end_matches('>');
            found.push(Link {
                line: index + 1,
                target: target.to_owned(),
            });
        }
    }
    found.retain(|link| !is_external(&link.target));
    found
}

/// The destination at the start of `after` (what follows `](`): in angle
/// brackets, or up to the whitespace before a title or the closing
/// parenthesis, allowing balanced parentheses inside.
fn destination(after: &str) -> String {
    let after = after.trim_start();
    if let Some(bracketed) = after.strip_prefix('<') {
        return bracketed.split('>').next().unwrap_or_default().to_owned();
    }
    let mut depth = 0;
    let end = after
        .char_indices()
        .find(|&(_, c)| match c {
            '(' => {
                depth += 1;
                false
            }
            ')' if depth == 0 => true,
            ')' => {
                depth -= 1;
                false
            }
            c => c.is_whitespace(),
        })
        .map_or(after.len(), |(i, _)| i);
    after[..end].to_owned()
}

fn is_external(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// `text` with fenced code blocks and code spans blanked out (line breaks
/// kept, so that line numbers stay right).
fn without_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The opening fence's character and length, while inside a block.
    let mut fence: Option<(char, usize)> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |c| trimmed.chars().take_while(|&x| x == c).count());
        match (fence, marker) {
            (None, Some(c)) if run >= 3 => {
                fence = Some((c, run));
                out.push('\n');
            }
            (Some((c, length)), Some(m))
                if m == c && run >= length && trimmed[run..].trim().is_empty() =>
            {
                fence = None;
                out.push('\n');
            }
            (Some(_), _) => out.push_str(if line.ends_with('\n') { "\n" } else { "" }),
            (None, _) => out.push_str(line),
        }
    }
    without_code_spans(&out)
}

/// `text` with every code span (a run of backticks up to the next run of
/// the same length) replaced by spaces, line breaks kept.
fn without_code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        out.push_str(&rest[..open]);
        let ticks = rest[open..].chars().take_while(|&c| c == '`').count();
        let after = &rest[open + ticks..];
        let closing = find_run(after, ticks);
        match closing {
            Some(close) => {
                let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
                out.extend(rest[open..open + ticks + close + ticks].chars().map(blank));
                rest = &after[close + ticks..];
            }
            None => {
                out.push_str(&rest[open..open + ticks]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where in `text` a run of exactly `ticks` backticks starts.
fn find_run(text: &str, ticks: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == ticks {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// The anchors a document offers: its headings' slugs, a repeated one with
/// `-1`, `-2`, ... as GitHub numbers them, and explicit `<a id>`/`<a name>`.
fn anchors(text: &str) -> HashSet<String> {
    let prose = without_code(text);
    let mut anchors = HashSet::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for heading in text.lines().zip(prose.lines()).filter_map(|(raw, prose)| {
        // A fenced line is blank in `prose`; a heading's code spans are
        // read from the raw line, as GitHub keeps their text.
        heading_text(prose).and_then(|_| heading_text(raw))
    }) {
        let slug = slug(heading);
        let count = seen.entry(slug.clone()).or_insert(0);
        anchors.insert(match *count {
            0 => slug,
            n => format!("{slug}-{n}"),
        });
        *count += 1;
    }
    for tag in prose.split("<a ").skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        for attribute in tag.split_whitespace() {
            let value = attribute
                .strip_prefix("id=")
                .or_else(|| attribute.strip_prefix("name="));
            if let Some(value) = value {
                let value = value.trim_end_matches('/').trim_matches(['"', '\'']);
                anchors.insert(value.to_owned());
            }
        }
    }
    anchors
}

/// The text of an ATX heading (`## Title ##`), if `line` is one.
fn heading_text(line: &str) -> Option<&str> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let trimmed = &line[indent..];
    let level = trimmed.chars().take_while(|&c| c == '#').count();
    let rest = &trimmed[level..];
    let is_heading = indent <= 3
        && (1..=6).contains(&level)
        && (rest.is_empty() || rest.starts_with([' ', '\t']));
    if !is_heading {
        return None;
    }
    let text = rest.trim();
    // A closing sequence of #s, if it stands apart.
    let without_closing = text.trim_end_matches('#');
    Some(
        if without_closing.is_empty() || without_closing.ends_with([' ', '\t']) {
            without_closing.trim_end()
        } else {
            text
        },
    )
}

/// The anchor GitHub gives a heading: its text (a link's text in place of
/// the link), lower-cased, without characters other than letters, digits,
/// spaces, hyphens and underscores, spaces made hyphens.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    // `[text](target)` reads as its text.
    while let Some(open) = rest.find('[') {
        let Some((inner, after)) = rest[open + 1..].split_once("](") else {
            break;
        };
        let destination = destination(after);
        let close = after[destination.len()..].find(')');
        let Some(close) = close else { break };
        text.push_str(&rest[..open]);
        text.push_str(inner);
        rest = &after[destination.len() + close + 1..];
    }
    text.push_str(rest);
    text.to_lowercase()
        .chars()
        .filter(|&c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// README.md and every Markdown file under docs/, relative to the root.
fn documentation(root: &Path) -> Vec<(PathBuf, String)> {
    let mut paths = vec![PathBuf::from("README.md")];
    let mut dirs = vec![PathBuf::from("docs")];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(root.join(&dir))
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            let path = dir.join(entry.file_name());
            if entry.path().is_dir() {
                dirs.push(path);
            } else if is_markdown(&path) {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(root.join(&path))
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path, text)
        })
        .collect()
}

#[test]
fn every_link_in_the_readme_and_docs_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = documentation(root);
    assert!(
        docs.len() > 1,
        "docs/ holds no Markdown files next to the README"
    );
    let broken = broken_links(&docs, &Disk(root.to_path_buf()));
    let report: Vec<String> = broken.iter().map(ToString::to_string).collect();
    assert!(
        broken.is_empty(),
        "{} broken links:\n{}",
        broken.len(),
        report.join("\n")
    );
}

#[test]
fn the_checker_reports_every_broken_link_and_anchor() {
    let readme = "\
# Demo

See [the guide](docs/guide.md), [its setup](docs/guide.md#setup-the-serve-command), [the
second overview](docs/guide.md#overview-1), [a marked place](docs/guide.md#kept),
a [picture](web/shot.png), a [folder](web/) and [this page's end](#the-end).
Broken: [a missing file](docs/missing.md) and [a missing heading](docs/guide.md#nowhere).
Not followed: [the web](https://example.org/#x), [mail](mailto:a@example.org),
`[code](docs/in-code-span.md)`.

```sh
echo '[fenced](docs/in-a-fence.md)'
```

## The end
";
    let guide = "\
# Guide

## Overview
## Overview
### Setup (the `serve` command) ###
<a id=\"kept\"></a>
Back to [the start](../README.md#demo), and [astray](../README.md#the-start).

[ref]: ../nowhere.md
";
    let files = Memory(BTreeMap::from([
        (PathBuf::from("README.md"), readme.to_owned()),
        (PathBuf::from("docs/guide.md"), guide.to_owned()),
        (PathBuf::from("web/shot.png"), String::new()),
    ]));
    let docs = vec![
        (PathBuf::from("README.md"), readme.to_owned()),
        (PathBuf::from("docs/guide.md"), guide.to_owned()),
    ];

    let broken = broken_links(&docs, &files);

    let summary: Vec<(String, usize, &str)> = broken
        .iter()
        .map(|b| (b.file.display().to_string(), b.line, b.target.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("README.md".to_owned(), 6, "docs/missing.md"),
            ("README.md".to_owned(), 6, "docs/guide.md#nowhere"),
            ("docs/guide.md".to_owned(), 7, "../README.md#the-start"),
            ("docs/guide.md".to_owned(), 9, "../nowhere.md"),
        ],
        "{broken:#?}"
    );
    assert_eq!(broken[0].problem, "no file docs/missing.md");
    assert_eq!(
        broken[1].problem,
        "no heading or anchor \"nowhere\" in docs/guide.md"
    );
}

#[test]
fn headings_are_slugged_as_github_does() {
    assert_eq!(
        slug("Sync protocol (for app developers)"),
        "sync-protocol-for-app-developers"
    );
    assert_eq!(
        slug("Erasure, and the keys that make it final"),
        "erasure-and-the-keys-that-make-it-final"
    );
    assert_eq!(slug("Backup & restore"), "backup--restore");
    assert_eq!(slug("The `Engine` trait"), "the-engine-trait");
    assert_eq!(slug("snake_case and Über"), "snake_case-and-über");
    assert_eq!(slug("See [the API](api.md#errors) now"), "see-the-api-now");
    assert_eq!(heading_text("## Closed ##"), Some("Closed"));
    assert_eq!(heading_text("#hashtag"), None);
    assert_eq!(heading_text("    # indented code"), None);
}
