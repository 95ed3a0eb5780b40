//! The shape of the code base, checked: the library's modules form no
//! import cycle, and the domain and the use cases stay free of transports
//! and storage engines, directly or through anything they use.
//!
//! Each library file is parsed (with `syn`), every path it names is
//! resolved to a file of the crate or an external crate, and the rules are
//! checked on that graph. Code compiled only for tests (`#[cfg(test)]`) is
//! left out: tests may reach for anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// External crates of transports (gRPC, HTTP) and storage engines.
const TRANSPORT_AND_ENGINES: &[&str] = &[
    "tonic",
    "tonic_health",
    "tonic_reflection",
    "tonic_types",
    "tonic_web",
    "tonic_prost",
    "http",
    "hyper",
    "tower",
    "tower_http",
    "axum",
    "prost",
    "prost_types",
    "sled",
    "tokio_postgres",
];

/// Modules (by path) that must not depend on [`TRANSPORT_AND_ENGINES`].
const CORE: &[&str] = &["domain", "app", "error"];

/// A module of the crate: its path (`app::sync`) and file.
#[derive(Debug)]
struct Module {
    file: PathBuf,
    /// Crate modules it names (resolved to module paths).
    uses: BTreeSet<String>,
    /// External crates it names.
    externs: BTreeSet<String>,
}

fn module_path(file: &Path) -> String {
    let relative = file.strip_prefix("src").expect("under src");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts.join("::")
}

/// Every path named in a file, outside `#[cfg(test)]` code.
#[derive(Default)]
struct Paths {
    paths: Vec<Vec<String>>,
    /// Submodules declared `#[cfg(test)] mod x;` (files only for tests).
    test_modules: Vec<String>,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

fn use_tree(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_tree(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                use_tree(item, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Macro(m) => &m.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if is_test_only(attrs) {
            if let syn::Item::Mod(m) = item {
                self.test_modules.push(m.ident.to_string());
            }
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        use_tree(&item.tree, &mut Vec::new(), &mut self.paths);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.paths
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        // Paths inside macro calls (`matches!`, `format!`, ...) are tokens;
        // parse what parses as expressions separated by commas.
        if let Ok(exprs) = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) {
            for expr in exprs {
                self.visit_expr(&expr);
            }
        }
    }
}

/// Every library file, and the files compiled only for tests.
fn library_files() -> (Vec<PathBuf>, BTreeSet<PathBuf>) {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                // The binary's commands are not the library.
                if path != Path::new("src/cli") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs")
                && path != Path::new("src/main.rs")
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("src"), &mut files);
    files.sort();
    (files, BTreeSet::new())
}

fn parse_modules() -> BTreeMap<String, Module> {
    let (files, _) = library_files();
    let mut modules = BTreeMap::new();
    let mut test_only: BTreeSet<String> = BTreeSet::new();
    let mut parsed = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read file");
        let ast = syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut paths = Paths::default();
        paths.visit_file(&ast);
        let path = module_path(&file);
        for test_module in &paths.test_modules {
            test_only.insert(join(&path, test_module));
        }
        parsed.push((file, path, paths.paths));
    }
    let known: BTreeSet<String> = parsed.iter().map(|(_, path, _)| path.clone()).collect();
    for (file, path, paths) in parsed {
        if test_only
            .iter()
            .any(|t| path == *t || path.starts_with(&format!("{t}::")))
        {
            continue;
        }
        let (mut uses, mut externs) = (BTreeSet::new(), BTreeSet::new());
        for named in paths {
            match resolve(&path, &named, &known) {
                Some(Resolved::Module(target)) if target != path => {
                    uses.insert(target);
                }
                Some(Resolved::Extern(name)) => {
                    externs.insert(name);
                }
                _ => {}
            }
        }
        modules.insert(
            path,
            Module {
                file,
                uses,
                externs,
            },
        );
    }
    modules
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}::{child}")
    }
}

enum Resolved {
    Module(String),
    Extern(String),
}

/// The module (the longest known prefix) or external crate a path names,
/// as seen from module `from`.
fn resolve(from: &str, path: &[String], known: &BTreeSet<String>) -> Option<Resolved> {
    let first = path.first()?;
    let mut absolute: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => from
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        "super" => {
            let mut parts: Vec<String> = from
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            parts.pop();
            parts
        }
        name if TRANSPORT_AND_ENGINES.contains(&name) => {
            return Some(Resolved::Extern(name.to_owned()));
        }
        name => {
            // A submodule of `from` named without `self::`.
            let child = join(from, name);
            if known.contains(&child) {
                return Some(Resolved::Module(child));
            }
            return None;
        }
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        absolute.pop();
        rest = &rest[1..];
    }
    absolute.extend(rest.iter().cloned());
    // The longest prefix that is a module of the crate.
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].join("::"))
        .find(|candidate| known.contains(candidate))
        .map(Resolved::Module)
}

/// The top-level module of a module path.
fn top(path: &str) -> &str {
    path.split("::").next().unwrap_or(path)
}

#[test]
fn the_top_level_modules_form_no_import_cycle() {
    let modules = parse_modules();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (path, module) in &modules {
        let from = top(path);
        for used in &module.uses {
            let to = top(used);
            if from != to && !from.is_empty() && !to.is_empty() {
                graph.entry(from).or_default().insert(to);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = stack.iter().position(|n| *n == node) {
            let cycle: Vec<&str> = stack[at..].iter().copied().chain([node]).collect();
            panic!("import cycle: {}", cycle.join(" → "));
        }
        if done.contains(node) {
            return;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, stack, done);
        }
        stack.pop();
        done.insert(node);
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_domain_and_the_use_cases_depend_on_no_transport_or_engine() {
    let modules = parse_modules();
    for core in CORE {
        for (path, _) in modules.iter().filter(|(path, _)| top(path) == *core) {
            // Everything the module reaches, through any chain of uses.
            let mut reached = BTreeSet::new();
            let mut queue = vec![path.clone()];
            while let Some(next) = queue.pop() {
                if !reached.insert(next.clone()) {
                    continue;
                }
                if let Some(module) = modules.get(&next) {
                    queue.extend(module.uses.iter().cloned());
                }
            }
            for through in &reached {
                let module = &modules[through];
                assert!(
                    module.externs.is_empty(),
                    "{path} depends on {:?} through {} ({})",
                    module.externs,
                    through,
                    module.file.display()
                );
            }
        }
    }
}

#[test]
fn the_check_sees_what_it_is_meant_to_see() {
    // A guard against a check that cannot fail: the server's modules do
    // use tonic, and the use cases do use the store's interface.
    let modules = parse_modules();
    assert!(modules["server"].externs.contains("tonic"));
    assert!(modules["app"].uses.contains("store"));
    assert!(
        !modules["app"]
            .uses
            .iter()
            .any(|m| m.starts_with("store::kv"))
    );
}
