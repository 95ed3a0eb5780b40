//! The binary as a newcomer first meets it: its `--help`, the documentation
//! of the environment variables the help names, the log line that says
//! where it serves, and what its documented commands leave in a checkout.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::binary::{STEPWISE, ServerProcess, serve_args};

/// The repository's root (where README.md is).
fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What `stepwise <args> --help` prints, with `env` set.
fn help(args: &[&str], env: &[(&str, &str)]) -> String {
    let run = Command::new(STEPWISE)
        .args(args)
        .arg("--help")
        .envs(env.iter().copied())
        .output()
        .expect("stepwise --help runs");
    assert!(run.status.success(), "{args:?} --help failed");
    String::from_utf8(run.stdout).expect("help is UTF-8")
}

/// The subcommands the top-level help lists (but `help`).
fn subcommands(top: &str) -> Vec<String> {
    top.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The help of the binary and of every subcommand, by command line.
fn every_help(env: &[(&str, &str)]) -> Vec<(String, String)> {
    let top = help(&[], env);
    let mut helps: Vec<(String, String)> = subcommands(&top)
        .into_iter()
        .map(|command| {
            let text = help(&[&command], env);
            (format!("stepwise {command} --help"), text)
        })
        .collect();
    assert!(helps.len() >= 5, "serve, bench, backup, restore, export");
    helps.insert(0, ("stepwise --help".to_owned(), top));
    helps
}

#[test]
fn the_help_is_plain_text_without_rustdoc_links_or_line_continuations() {
    for (command, text) in every_help(&[]) {
        for leak in ["[`", "`]", "\\"] {
            let lines: Vec<&str> = text.lines().filter(|line| line.contains(leak)).collect();
            assert!(
                lines.is_empty(),
                "{command} prints {leak:?}:\n{}",
                lines.join("\n")
            );
        }
    }
}

#[test]
fn the_help_says_what_stepwise_keeps() {
    let top = help(&[], &[]);
    let description = top.split("Usage:").next().expect("a description");
    for kept in [
        "goals",
        "action steps",
        "check-ins",
        "self-efficacy ratings",
        "questionnaires",
        "skills",
        "thought records",
        "care team",
        "dashboard",
    ] {
        assert!(description.contains(kept), "{kept:?} in:\n{description}");
    }
}

#[test]
fn the_heartbeat_flag_names_both_kinds_of_stream() {
    let serve = help(&["serve"], &[]);
    let heartbeat = serve
        .split("--heartbeat-ms")
        .nth(1)
        .and_then(|rest| rest.split("\n      --").next())
        .expect("--heartbeat-ms is documented");
    for stream in ["Subscribe", "WatchClients"] {
        assert!(heartbeat.contains(stream), "{stream} in:\n{heartbeat}");
    }
}

#[test]
fn the_help_never_prints_the_database_password_from_the_environment() {
    let url = "postgres://stepwise:hunter2@db.internal/stepwise";
    for (command, text) in every_help(&[("STEPWISE_DATABASE_URL", url)]) {
        assert!(!text.contains("hunter2"), "{command} prints the password");
    }
}

/// README.md and every docs/*.md, as one text.
fn documentation() -> String {
    let mut files = vec![repository().join("README.md")];
    if let Ok(entries) = std::fs::read_dir(repository().join("docs")) {
        files.extend(
            entries
                .map(|entry| entry.expect("docs entry").path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "md")),
        );
    }
    files
        .iter()
        .map(|file| std::fs::read_to_string(file).expect("read documentation"))
        .collect()
}

/// Every `STEPWISE_*` name in `text`.
fn environment_variables(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .filter(|word| word.starts_with("STEPWISE_") && word.len() > "STEPWISE_".len())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_environment_variable_the_help_names_is_documented() {
    let documented = environment_variables(&documentation());
    let named: BTreeSet<String> = every_help(&[])
        .iter()
        .flat_map(|(_, text)| environment_variables(text))
        .collect();
    assert!(
        named.contains("STEPWISE_LISTEN"),
        "the check sees the help's names"
    );
    let undocumented: Vec<&String> = named.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "named by --help but in neither README.md nor docs/*.md: {undocumented:?}"
    );
}

/// The fields of the JSON log event "serving" of `stepwise serve` on a new
/// data dir with the extra `flags`.
fn serving_event(flags: &[&str]) -> serde_json::Value {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(STEPWISE)
        .args(serve_args(data_dir.path()))
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let _server = ServerProcess(child);
    BufReader::new(stdout)
        .lines()
        .map(|line| line.expect("log line"))
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
        .find(|event| event["message"] == "serving")
        .expect("the server logs \"serving\" before it exits")
}

#[test]
fn the_start_up_log_names_the_dashboards_url_beside_the_grpc_address() {
    let event = serving_event(&[]);
    let address = event["address"].as_str().expect("the address field");
    assert_eq!(
        event["dashboard"].as_str(),
        Some(format!("http://{address}/").as_str()),
        "{event}"
    );
}

#[test]
fn with_tls_the_dashboards_url_is_https() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    let path = |p: &PathBuf| p.to_str().expect("utf-8").to_owned();

    let event = serving_event(&["--tls-cert", &path(&cert), "--tls-key", &path(&key)]);

    let address = event["address"].as_str().expect("the address field");
    assert_eq!(
        event["dashboard"].as_str(),
        Some(format!("https://{address}/").as_str()),
        "{event}"
    );
}

/// The relative paths that the documentation's commands write to: what
/// follows `--to`, `--data-dir` and `--file=` in README.md and docs/*.md,
/// the files written on the way (`FILE.partial`), and the default data dir.
fn documented_outputs() -> BTreeSet<String> {
    let docs = documentation();
    let mut outputs = BTreeSet::from(["stepwise-data".to_owned()]);
    for (flag, partial) in [("--to ", true), ("--data-dir ", false), ("--file=", false)] {
        for after in docs.split(flag).skip(1) {
            let path = after
                .split(|c: char| c.is_whitespace() || c == '`' || c == '|')
                .next()
                .unwrap_or_default()
                .trim_start_matches("./");
            let placeholder = path.is_empty()
                || path.starts_with(['/', '$', '<', '-'])
                || path.chars().any(|c| c.is_ascii_uppercase());
            if !placeholder {
                outputs.insert(path.to_owned());
                if partial {
                    outputs.insert(format!("{path}.partial"));
                }
            }
        }
    }
    outputs
}

/// Which of `paths` git ignores in the checkout at `root` (`None` when this
/// is not a git checkout or git is missing).
fn git_ignored(root: &Path, paths: &BTreeSet<String>) -> Option<BTreeSet<String>> {
    let run = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["check-ignore", "--no-index", "--"])
        .args(paths)
        .output()
        .ok()?;
    // 0: some are ignored; 1: none is; anything else: not a checkout.
    if !matches!(run.status.code(), Some(0 | 1)) {
        return None;
    }
    Some(
        String::from_utf8_lossy(&run.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn what_the_documented_commands_write_in_a_checkout_is_ignored_by_git() {
    let outputs = documented_outputs();
    for expected in ["stepwise.backup", "restored-data", "ada.jsonl"] {
        assert!(outputs.contains(expected), "{expected} in {outputs:?}");
    }
    let Some(ignored) = git_ignored(repository(), &outputs) else {
        eprintln!("not a git checkout: nothing to check");
        return;
    };
    let committed: Vec<&String> = outputs.difference(&ignored).collect();
    assert!(
        committed.is_empty(),
        "`git add .` in the checkout would commit: {committed:?}"
    );
    let sources = BTreeSet::from(["README.md".to_owned(), "src/main.rs".to_owned()]);
    assert_eq!(
        git_ignored(repository(), &sources),
        Some(BTreeSet::new()),
        "the check tells ignored from kept"
    );
}
