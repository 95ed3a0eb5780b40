//! The shape of the code base, checked. Layers know only what is below
//! them, at every depth:
//!
//! - **No upward import.** A module does not name an item defined in one
//!   of its ancestors' own files (`super::Thing` where `Thing` is defined
//!   in the parent's `mod.rs`, or `crate::store::Store` from inside
//!   `store::kv`). Naming a *sibling* subtree through a parent's path
//!   (`super::keys::prefix_end`, `crate::store::kv::keys`) is not upward:
//!   it names the sibling, not the parent.
//! - **No import cycle at any depth.** For every module P, each child
//!   subtree of P is taken as one node, and an import from any module in
//!   one child subtree to any module in another is an edge between the two;
//!   those edges form no cycle. With P the crate root this is the old
//!   "top-level modules form no cycle"; with P = `store` it forbids
//!   `store::kv` and `store::page_token` leaning on each other.
//! - **The core is transport- and engine-free.** `domain`, `app` and
//!   `error` depend on no transport or storage engine, directly or through
//!   anything they use.
//! - **No layer skipped.** The gRPC handlers (`service`) speak to the use
//!   cases and the domain, never to the store: no module under `service`
//!   names anything of `store`, also not through a re-export ([`APART`]).
//!
//! Both crates of the package are checked: the library (`src/lib.rs` and
//! its modules) and the binary (`src/main.rs` and the `cli` tree), each
//! with its own `crate::` root. The binary's paths into the library
//! (`stepwise::…`) cross a crate boundary and are not part of its graph.
//!
//! How a path is resolved. Each file is parsed (with `syn`) and every path
//! it names (in `use` items, types, expressions and the arguments of macro
//! calls) is resolved from its `crate::`, `self::` or `super::` start, or
//! from a name the file imports or a child module, to the longest module
//! prefix. If the path goes on to an item of that module, the item is
//! looked up in the module's file: an item defined there resolves to that
//! module; an item the file only imports (a re-export facade such as
//! `pub use self::workload::Workload`, or a plain `use`, which children
//! see too) is followed to where it is defined, so a sibling using a
//! re-exported item through the parent depends on the sibling that defines
//! it, not on the parent. An item behind a glob re-export (`pub use
//! records::*`) is looked for in what the globs bring in; one made by a
//! macro is taken to be defined where a macro is called at the top level
//! (the file itself, else a module a glob brings in). An item still not
//! found counts as defined in the module's own file: the conservative
//! reading, so "the parent" is what the parent's file defines or what
//! cannot be traced elsewhere. A path that names a
//! module itself (`use super::keys;`) is an edge to that module for the
//! cycle check but names no item, so importing an ancestor as a namespace
//! is not upward; what the file then names through it is.
//!
//! Code compiled only for tests (`#[cfg(test)]`) is left out: tests may
//! reach for anything.
//!
//! The checks are functions of an in-memory crate (module path → source
//! text), so the tests at the end plant violations in small crates and
//! see each one reported. Imports not yet fixed are listed in
//! [`ALLOWED_IN_LIBRARY`] and [`ALLOWED_IN_BINARY`], each with who fixes
//! it; an entry whose import is gone fails the test, so the lists only
//! shrink.

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

/// Modules (by path) of the library that must not depend on
/// [`TRANSPORT_AND_ENGINES`].
const CORE: &[&str] = &["domain", "app", "error"];

/// Subtrees of the library whose modules must not import from another
/// subtree, even through a re-export: (importing subtree, subtree it must
/// not import from, why).
const APART: &[(&str, &str, &str)] = &[(
    "service",
    "store",
    "the handlers speak to the use cases (`app`) and the domain; what they need of \
     the store (a page request, a token's form) the use cases offer as their own",
)];

/// Which crate of the package an edge is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Krate {
    Library,
    Binary,
}

impl Krate {
    fn name(self) -> &'static str {
        match self {
            Krate::Library => "library",
            Krate::Binary => "binary",
        }
    }

    fn allowed(self) -> &'static [Allowed] {
        match self {
            Krate::Library => ALLOWED_IN_LIBRARY,
            Krate::Binary => ALLOWED_IN_BINARY,
        }
    }
}

/// An import that breaks a rule and is not fixed yet: (from module, to
/// module, why it is still there and who removes it). It is left out of
/// the graph the rules are checked on.
type Allowed = (&'static str, &'static str, &'static str);

/// Imports of the library that break a rule today, each to be fixed by
/// the work named.
const ALLOWED_IN_LIBRARY: &[Allowed] = &[];

/// Imports of the binary that break a rule today: none.
const ALLOWED_IN_BINARY: &[Allowed] = &[];

// ---------------------------------------------------------------------
// Reading a crate.

/// One crate's sources: module path (`store::kv::poller`, `""` for the
/// crate root) → source text.
type Sources = BTreeMap<String, String>;

/// What a file declares and names, outside `#[cfg(test)]` code.
#[derive(Default)]
struct Facts {
    /// The module's path.
    module: String,
    /// Every path named, and whether it is a glob import (`use x::*`).
    paths: Vec<(Vec<String>, bool)>,
    /// Submodules declared `#[cfg(test)] mod x;` (files only for tests).
    test_modules: Vec<String>,
    /// Names the file imports, anywhere in it → the imported paths.
    imports: BTreeMap<String, Vec<Vec<String>>>,
    /// Names its top level imports: what other modules see through it.
    top_imports: BTreeMap<String, Vec<Vec<String>>>,
    /// Paths its top level glob-imports.
    top_globs: Vec<Vec<String>>,
    /// Items its top level defines.
    defines: BTreeSet<String>,
    /// Names its top level defines or imports for other modules (`pub`,
    /// `pub(crate)`…): what a glob import of it brings in.
    exports: BTreeSet<String>,
    /// Macros it exports (`#[macro_export]`), which live at the crate root.
    exported_macros: BTreeSet<String>,
    /// Whether its top level calls a macro, which may define items.
    calls_item_macros: bool,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// The paths a `use` tree imports: (name bound, path, is a glob).
fn use_tree(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Option<String>, Vec<String>, bool)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_tree(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            let name = n.ident.to_string();
            // `use a::b::{self}` imports `a::b` as `b`.
            let bound = match name.as_str() {
                "self" => prefix.last().cloned(),
                _ => {
                    path.push(name.clone());
                    Some(name)
                }
            };
            out.push((bound, path, false));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            let bound = Some(r.rename.to_string()).filter(|n| n != "_");
            out.push((bound, path, false));
        }
        syn::UseTree::Glob(_) => out.push((None, prefix.clone(), true)),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                use_tree(item, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Facts {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if is_test_only(item_attrs(item)) {
            if let syn::Item::Mod(m) = item {
                self.test_modules.push(m.ident.to_string());
            }
            return;
        }
        if let syn::Item::Macro(m) = item
            && let Some(name) = &m.ident
            && m.attrs.iter().any(|a| a.path().is_ident("macro_export"))
        {
            self.exported_macros.insert(name.to_string());
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => return syn::visit::visit_impl_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_impl_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut imported = Vec::new();
        use_tree(&item.tree, &mut Vec::new(), &mut imported);
        for (bound, path, glob) in imported {
            if let Some(name) = bound {
                self.imports.entry(name).or_default().push(path.clone());
            }
            self.paths.push((path, glob));
        }
    }

    // `pub(super)`, `pub(crate)`: where an item is visible, not a use.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.paths.push((
            path.segments.iter().map(|s| s.ident.to_string()).collect(),
            false,
        ));
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

fn facts(module: &str, source: &str) -> Facts {
    let ast = syn::parse_file(source).unwrap_or_else(|e| panic!("module `{module}`: {e}"));
    let mut facts = Facts {
        module: module.to_owned(),
        ..Facts::default()
    };
    facts.visit_file(&ast);
    for item in &ast.items {
        if is_test_only(item_attrs(item)) {
            continue;
        }
        let exported = match item {
            syn::Item::Use(u) => !matches!(u.vis, syn::Visibility::Inherited),
            _ => true,
        };
        let defined = match item {
            syn::Item::Const(i) => Some(&i.ident),
            syn::Item::Enum(i) => Some(&i.ident),
            syn::Item::Fn(i) => Some(&i.sig.ident),
            syn::Item::Macro(i) => i.ident.as_ref(),
            syn::Item::Mod(i) => Some(&i.ident),
            syn::Item::Static(i) => Some(&i.ident),
            syn::Item::Struct(i) => Some(&i.ident),
            syn::Item::Trait(i) => Some(&i.ident),
            syn::Item::TraitAlias(i) => Some(&i.ident),
            syn::Item::Type(i) => Some(&i.ident),
            syn::Item::Union(i) => Some(&i.ident),
            syn::Item::Use(u) => {
                let mut imported = Vec::new();
                use_tree(&u.tree, &mut Vec::new(), &mut imported);
                for (bound, path, glob) in imported {
                    if glob {
                        facts.top_globs.push(path);
                    } else if let Some(name) = bound {
                        if exported {
                            facts.exports.insert(name.clone());
                        }
                        facts.top_imports.entry(name).or_default().push(path);
                    }
                }
                None
            }
            _ => None,
        };
        if let Some(ident) = defined {
            // Private items are not exported, but nothing may name them
            // from outside either: counting them does no harm.
            facts.defines.insert(ident.to_string());
            facts.exports.insert(ident.to_string());
        }
        if let syn::Item::Macro(m) = item
            && m.ident.is_none()
        {
            facts.calls_item_macros = true;
        }
    }
    facts
}

/// Where a path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A module of the crate; `item` if the path names an item defined in
    /// the module's own file, not just the module.
    Module { module: String, item: bool },
    /// One of [`TRANSPORT_AND_ENGINES`].
    Extern(String),
}

/// How deep a chain of re-exports is followed.
const MAX_HOPS: usize = 16;

struct Resolver<'a> {
    facts: &'a BTreeMap<String, Facts>,
    /// Exported macro → the module that defines it.
    macros: BTreeMap<&'a str, &'a str>,
}

fn parts(module: &str) -> Vec<String> {
    module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl Resolver<'_> {
    fn known(&self, module: &str) -> bool {
        self.facts.contains_key(module)
    }

    /// What `path`, named in module `from`, leads to.
    fn resolve(&self, from: &str, path: &[String], glob: bool, hops: usize) -> Option<Target> {
        let first = path.first()?;
        let mut absolute = match first.as_str() {
            "crate" => Vec::new(),
            "self" => parts(from),
            "super" => {
                let mut parts = parts(from);
                parts.pop();
                parts
            }
            name if TRANSPORT_AND_ENGINES.contains(&name) => {
                return Some(Target::Extern(name.to_owned()));
            }
            name => {
                if self.known(&join(from, name)) {
                    // A child module named without `self::`.
                    let mut absolute = parts(from);
                    absolute.extend(path.iter().cloned());
                    return self.lookup(absolute, glob, hops);
                }
                // A name the file imports: continue from what it imports.
                let imported = self.facts.get(from)?.imports.get(name)?;
                if hops >= MAX_HOPS {
                    return None;
                }
                return imported.iter().find_map(|import| {
                    let mut path_through = import.clone();
                    path_through.extend(path[1..].iter().cloned());
                    self.resolve(from, &path_through, glob, hops + 1)
                });
            }
        };
        let mut rest = &path[1..];
        while rest.first().is_some_and(|s| s == "super") {
            absolute.pop();
            rest = &rest[1..];
        }
        absolute.extend(rest.iter().cloned());
        self.lookup(absolute, glob, hops)
    }

    /// What an absolute path (from the crate root) leads to: the longest
    /// module prefix, and where the item after it is defined.
    fn lookup(&self, absolute: Vec<String>, glob: bool, hops: usize) -> Option<Target> {
        let n = (0..=absolute.len())
            .rev()
            .find(|n| self.known(&absolute[..*n].join("::")))?;
        let module = absolute[..n].join("::");
        let Some(name) = absolute.get(n) else {
            return Some(Target::Module { module, item: glob });
        };
        let here = Target::Module {
            module: module.clone(),
            item: true,
        };
        let facts = &self.facts[&module];
        if facts.defines.contains(name) || hops >= MAX_HOPS {
            return Some(here);
        }
        if let Some(imported) = facts.top_imports.get(name) {
            // A re-export (or an import children see): follow it. If it
            // leads out of the crate, the path names nothing of the crate.
            return imported.iter().find_map(|import| {
                let mut path = import.clone();
                path.extend(absolute[n + 1..].iter().cloned());
                self.resolve(&module, &path, glob, hops + 1)
            });
        }
        if module.is_empty()
            && let Some(defined_in) = self.macros.get(name.as_str())
        {
            return Some(Target::Module {
                module: (*defined_in).to_owned(),
                item: true,
            });
        }
        // Behind a glob import: in the module that names it, else (an item
        // made by a macro) in one whose top level calls a macro, unless
        // this file calls one itself.
        let globbed: Vec<&Facts> = facts
            .top_globs
            .iter()
            .filter_map(
                |glob_import| match self.resolve(&module, glob_import, false, hops + 1) {
                    Some(Target::Module {
                        module: through,
                        item: false,
                    }) => Some(&self.facts[&through]),
                    _ => None,
                },
            )
            .collect();
        let names = |f: &Facts| f.exports.contains(name);
        let makes = |f: &Facts| !facts.calls_item_macros && f.calls_item_macros;
        if let Some(through) = globbed
            .iter()
            .find(|f| names(f))
            .or_else(|| globbed.iter().find(|f| makes(f)))
        {
            let mut path = parts(&through.module);
            path.extend(absolute[n..].iter().cloned());
            return self.lookup(path, glob, hops + 1);
        }
        // Not found (made by a macro, say): count it as the module's own.
        Some(here)
    }
}

/// A path for messages, with a leading imported name replaced by what it
/// imports (`App` → `super::App`), so one import is not listed twice.
fn as_imported(facts: &Facts, path: &[String], glob: bool) -> String {
    let mut full: Vec<String> = match path
        .first()
        .and_then(|first| facts.imports.get(first))
        .and_then(|imports| imports.first())
    {
        Some(import) => import.iter().chain(&path[1..]).cloned().collect(),
        None => path.to_vec(),
    };
    if glob {
        full.push("*".to_owned());
    }
    full.join("::")
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}::{child}")
    }
}

/// A module of a crate and what it uses.
#[derive(Debug, Default)]
struct Module {
    /// Crate modules it names → the paths that name them, and whether
    /// any of those names an item defined in that module's own file.
    uses: BTreeMap<String, Use>,
    /// External crates of [`TRANSPORT_AND_ENGINES`] it names.
    externs: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct Use {
    /// The paths, as written (`super::keys::prefix_end`).
    named: BTreeSet<String>,
    /// Names an item of the module's own file, not only the module.
    item: bool,
}

/// A crate's modules and the imports between them.
struct Graph {
    krate: Krate,
    modules: BTreeMap<String, Module>,
}

impl Graph {
    fn new(krate: Krate, sources: &Sources) -> Self {
        let all: BTreeMap<String, Facts> = sources
            .iter()
            .map(|(module, source)| (module.clone(), facts(module, source)))
            .collect();
        // Modules declared `#[cfg(test)]` and everything under them.
        let test_only: BTreeSet<String> = all
            .iter()
            .flat_map(|(module, facts)| facts.test_modules.iter().map(|t| join(module, t)))
            .collect();
        let facts: BTreeMap<String, Facts> = all
            .into_iter()
            .filter(|(module, _)| {
                !test_only
                    .iter()
                    .any(|t| module == t || module.starts_with(&format!("{t}::")))
            })
            .collect();
        let resolver = Resolver {
            facts: &facts,
            macros: facts
                .iter()
                .flat_map(|(module, facts)| {
                    facts
                        .exported_macros
                        .iter()
                        .map(move |m| (m.as_str(), module.as_str()))
                })
                .collect(),
        };
        let mut modules = BTreeMap::new();
        for (path, module_facts) in &facts {
            let mut module = Module::default();
            for (named, glob) in &module_facts.paths {
                match resolver.resolve(path, named, *glob, 0) {
                    Some(Target::Module {
                        module: target,
                        item,
                    }) if target != *path => {
                        let used = module.uses.entry(target).or_default();
                        let child = named
                            .first()
                            .is_some_and(|n| facts.contains_key(&join(path, n)));
                        used.named.insert(match child {
                            true => named.join("::"),
                            false => as_imported(module_facts, named, *glob),
                        });
                        used.item |= item;
                    }
                    Some(Target::Extern(name)) => {
                        module.externs.insert(name);
                    }
                    _ => {}
                }
            }
            modules.insert(path.clone(), module);
        }
        Graph { krate, modules }
    }

    /// Leaves out the imports `allowed`; returns the entries that name no
    /// import (fixed, so to be taken off the list).
    fn allow(&mut self, allowed: &[Allowed]) -> Vec<String> {
        let mut stale = Vec::new();
        for (from, to, why) in allowed {
            let removed = self.modules.get_mut(*from).and_then(|m| m.uses.remove(*to));
            if removed.is_none() {
                stale.push(format!(
                    "[{}] `{from}` no longer imports `{to}`: take it off the allowed list ({why})",
                    self.krate.name(),
                ));
            }
        }
        stale
    }

    /// Every module that names an item defined in an ancestor's own file.
    fn upward_imports(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (from, module) in &self.modules {
            for (to, used) in &module.uses {
                if used.item && is_ancestor(to, from) {
                    let named: Vec<&str> = used.named.iter().map(String::as_str).collect();
                    found.push(format!(
                        "[{}] `{from}` imports from its ancestor `{}`: {}",
                        self.krate.name(),
                        display(to),
                        named.join(", ")
                    ));
                }
            }
        }
        found
    }

    /// Every import from a module of one subtree to a module of another
    /// that `apart` keeps apart.
    fn imports_across(&self, apart: &[(&str, &str, &str)]) -> Vec<String> {
        let mut found = Vec::new();
        for (from, module) in &self.modules {
            for (to, used) in &module.uses {
                for (importer, imported, why) in apart {
                    if within(importer, from) && within(imported, to) {
                        let named: Vec<&str> = used.named.iter().map(String::as_str).collect();
                        found.push(format!(
                            "[{}] `{from}` imports from `{to}`: {} ({why})",
                            self.krate.name(),
                            named.join(", ")
                        ));
                    }
                }
            }
        }
        found
    }

    /// For every module P, the cycles among the subtrees of P's children.
    fn cycles(&self) -> Vec<String> {
        let mut found = Vec::new();
        for parent in self.modules.keys() {
            // Child subtree → child subtree → the imports between them.
            let mut edges: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
            for (from, module) in &self.modules {
                let Some(a) = child_of(parent, from) else {
                    continue;
                };
                for (to, used) in &module.uses {
                    if let Some(b) = child_of(parent, to)
                        && a != b
                    {
                        let named: Vec<&str> = used.named.iter().map(String::as_str).collect();
                        edges
                            .entry(a)
                            .or_default()
                            .entry(b)
                            .or_default()
                            .push(format!("`{from}` → `{to}` ({})", named.join(", ")));
                    }
                }
            }
            for component in strongly_connected(&edges) {
                let mut because = Vec::new();
                for a in &component {
                    for (b, imports) in edges.get(a).into_iter().flatten() {
                        if component.contains(b) {
                            because.extend(imports.iter().cloned());
                        }
                    }
                }
                let members: Vec<&str> = component.iter().copied().collect();
                found.push(format!(
                    "[{}] the children of `{}` import each other in a cycle ({}):\n    {}",
                    self.krate.name(),
                    display(parent),
                    members.join(", "),
                    because.join("\n    ")
                ));
            }
        }
        found
    }
}

/// A module path for messages: the root has none.
fn display(module: &str) -> &str {
    if module.is_empty() { "crate" } else { module }
}

/// Whether `ancestor` is a strict ancestor of `module`.
fn is_ancestor(ancestor: &str, module: &str) -> bool {
    ancestor != module && (ancestor.is_empty() || module.starts_with(&format!("{ancestor}::")))
}

/// Whether `module` is `subtree` or below it.
fn within(subtree: &str, module: &str) -> bool {
    module == subtree || is_ancestor(subtree, module)
}

/// The child of `parent` whose subtree holds `module` (strictly below
/// `parent`).
fn child_of<'a>(parent: &str, module: &'a str) -> Option<&'a str> {
    let below = if parent.is_empty() {
        module
    } else {
        module.strip_prefix(parent)?.strip_prefix("::")?
    };
    below.split("::").next().filter(|c| !c.is_empty())
}

/// The groups of two or more nodes that reach each other.
fn strongly_connected<'a, T>(
    edges: &BTreeMap<&'a str, BTreeMap<&'a str, T>>,
) -> Vec<BTreeSet<&'a str>> {
    let reach = |start: &'a str| {
        let mut seen = BTreeSet::new();
        let mut queue = vec![start];
        while let Some(node) = queue.pop() {
            for next in edges.get(node).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(*next) {
                    queue.push(next);
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&str, BTreeSet<&str>> = edges.keys().map(|n| (*n, reach(n))).collect();
    let mut components: Vec<BTreeSet<&str>> = Vec::new();
    for (node, from_node) in &reached {
        if !from_node.contains(node) || components.iter().any(|c| c.contains(node)) {
            continue;
        }
        let component = from_node
            .iter()
            .copied()
            .filter(|other| reached.get(other).is_some_and(|r| r.contains(node)))
            .collect();
        components.push(component);
    }
    components
}

// ---------------------------------------------------------------------
// The package on disk.

/// The module path of a file under `src`, in its crate.
fn module_path(file: &Path) -> String {
    let relative = file.strip_prefix("src").expect("under src");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file");
    let stem = last.trim_end_matches(".rs");
    let root = parts.is_empty() && (stem == "lib" || stem == "main");
    if stem != "mod" && !root {
        parts.push(stem.to_owned());
    }
    parts.join("::")
}

/// The sources of one crate of the package.
fn read_crate(krate: Krate) -> Sources {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("src"), &mut files);
    // The binary is `main.rs` and the `cli` tree; the library all else.
    let binary = |file: &Path| file == Path::new("src/main.rs") || file.starts_with("src/cli");
    files
        .into_iter()
        .filter(|file| binary(file) == (krate == Krate::Binary))
        .map(|file| {
            let source = std::fs::read_to_string(&file).expect("read file");
            (module_path(&file), source)
        })
        .collect()
}

fn package() -> Vec<Graph> {
    [Krate::Library, Krate::Binary]
        .into_iter()
        .map(|krate| Graph::new(krate, &read_crate(krate)))
        .collect()
}

/// Fails with every violation found, one per paragraph.
fn assert_none(what: &str, violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "{} {what}:\n\n{}\n",
        violations.len(),
        violations.join("\n\n")
    );
}

/// What `check` finds in both crates, the allowed imports left out.
fn in_package(check: fn(&Graph) -> Vec<String>) -> Vec<String> {
    let mut violations = Vec::new();
    for mut graph in package() {
        graph.allow(graph.krate.allowed());
        violations.extend(check(&graph));
    }
    violations
}

#[test]
fn no_module_imports_from_its_ancestors() {
    assert_none("upward imports", in_package(Graph::upward_imports));
}

#[test]
fn no_import_cycle_at_any_depth() {
    assert_none("import cycles", in_package(Graph::cycles));
}

#[test]
fn no_layer_imports_from_one_it_must_skip() {
    assert_none(
        "imports across layers kept apart",
        in_package(|graph| graph.imports_across(APART)),
    );
}

#[test]
fn every_allowed_import_still_exists() {
    let mut stale = Vec::new();
    for mut graph in package() {
        stale.extend(graph.allow(graph.krate.allowed()));
    }
    assert_none("allowed imports that are gone", stale);
}

#[test]
fn the_domain_and_the_use_cases_depend_on_no_transport_or_engine() {
    let library = Graph::new(Krate::Library, &read_crate(Krate::Library));
    let modules = &library.modules;
    let mut violations = Vec::new();
    for path in modules
        .keys()
        .filter(|path| CORE.iter().any(|core| child_of("", path) == Some(core)))
    {
        // Everything the module reaches, through any chain of uses.
        let mut reached = BTreeSet::new();
        let mut queue = vec![path.clone()];
        while let Some(next) = queue.pop() {
            if !reached.insert(next.clone()) {
                continue;
            }
            if let Some(module) = modules.get(&next) {
                queue.extend(module.uses.keys().cloned());
            }
        }
        for through in &reached {
            let module = &modules[through];
            if !module.externs.is_empty() {
                violations.push(format!(
                    "`{path}` depends on {:?} through `{through}`",
                    module.externs
                ));
            }
        }
    }
    assert_none("core modules that reach a transport or engine", violations);
}

#[test]
fn the_check_sees_what_it_is_meant_to_see() {
    // A guard against a check that cannot fail: the server's modules do
    // use tonic, the use cases do use the store's interface, and the
    // binary's commands are read too.
    let graphs = package();
    let library = &graphs[0].modules;
    assert!(library["server"].externs.contains("tonic"));
    assert!(library["app::base"].uses.contains_key("store"));
    assert!(
        !library["app::base"]
            .uses
            .keys()
            .any(|m| m.starts_with("store::kv"))
    );
    let binary = &graphs[1].modules;
    assert!(binary[""].uses.contains_key("cli"));
    assert!(
        binary["cli::bench"]
            .uses
            .contains_key("cli::bench::fixture")
    );
}

// ---------------------------------------------------------------------
// The checks themselves, on small planted crates.

fn planted(modules: &[(&str, &str)]) -> Graph {
    let sources = modules
        .iter()
        .map(|(path, source)| (path.to_string(), source.to_string()))
        .collect();
    Graph::new(Krate::Library, &sources)
}

#[test]
fn a_planted_cycle_is_reported_at_any_depth() {
    let graph = planted(&[
        ("", "pub mod a; pub mod p;"),
        ("a", "pub mod x; pub mod y;"),
        ("a::x", "pub fn f() { crate::a::y::g() }"),
        ("a::y", "use crate::a::x; pub fn g() { x::f() }"),
        // Deeper: q's child imports s, and s imports another child of q.
        ("p", "pub mod q; pub mod s;"),
        ("p::q", "pub mod r; pub mod t;"),
        ("p::q::r", "use super::super::s::S; pub fn r(_: S) {}"),
        ("p::q::t", "pub struct T;"),
        ("p::s", "pub struct S(crate::p::q::t::T);"),
    ]);
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 2, "{cycles:#?}");
    assert_eq!(
        cycles[0],
        "[library] the children of `a` import each other in a cycle (x, y):\n    \
         `a::x` → `a::y` (crate::a::y::g)\n    \
         `a::y` → `a::x` (crate::a::x, crate::a::x::f)"
    );
    assert_eq!(
        cycles[1],
        "[library] the children of `p` import each other in a cycle (q, s):\n    \
         `p::q::r` → `p::s` (super::super::s::S)\n    \
         `p::s` → `p::q::t` (crate::p::q::t::T)"
    );
    assert_eq!(graph.upward_imports(), Vec::<String>::new());
}

#[test]
fn a_planted_upward_import_is_reported() {
    let graph = planted(&[
        ("", "pub mod b;"),
        ("b", "pub mod c; pub struct Thing;"),
        ("b::c", "pub mod d; use super::Thing; pub fn f(_: Thing) {}"),
        // Two levels up, through the crate's root.
        (
            "b::c::d",
            "pub fn g() -> crate::b::Thing { crate::b::Thing }",
        ),
    ]);
    assert_eq!(
        graph.upward_imports(),
        [
            "[library] `b::c` imports from its ancestor `b`: super::Thing",
            "[library] `b::c::d` imports from its ancestor `b`: crate::b::Thing",
        ]
    );
    assert_eq!(graph.cycles(), Vec::<String>::new());
}

#[test]
fn a_parent_s_path_to_a_sibling_or_a_re_export_is_not_upward() {
    let graph = planted(&[
        ("", "pub mod b;"),
        (
            "b",
            "pub mod c; pub mod keys; pub mod made; mod thing;
             pub use self::thing::Thing;
             pub use made::*;
             use std::sync::Arc;
             #[cfg(test)] pub struct OnlyForTests;",
        ),
        (
            "b::c",
            "use super::{Arc, Thing, keys};
             use crate::b::keys::Key;
             pub fn f(_: Thing, _: Key, _: Arc<u8>, _: super::Made) {}
             #[cfg(test)] fn t(_: super::OnlyForTests) {}",
        ),
        ("b::keys", "pub struct Key;"),
        ("b::thing", "pub struct Thing;"),
        // An item made by a macro, re-exported by a glob.
        ("b::made", "make! { Made }"),
    ]);
    assert_eq!(graph.upward_imports(), Vec::<String>::new());
    let uses: Vec<&str> = graph.modules["b::c"]
        .uses
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(uses, ["b::keys", "b::made", "b::thing"]);
}

#[test]
fn allowed_imports_are_left_out_and_gone_ones_are_named() {
    let mut graph = planted(&[
        ("", "pub mod a;"),
        ("a", "pub mod x; pub mod y; pub struct Up;"),
        ("a::x", "pub fn f(_: super::Up) { crate::a::y::g() }"),
        ("a::y", "pub fn g() { crate::a::x::f(super::Up) }"),
    ]);
    let allowed = [
        ("a::y", "a::x", "planted"),
        ("a::x", "a", "planted"),
        ("a::x", "a::z", "planted"),
    ];
    assert_eq!(
        graph.allow(&allowed),
        ["[library] `a::x` no longer imports `a::z`: take it off the allowed list (planted)"]
    );
    assert_eq!(graph.cycles(), Vec::<String>::new());
    assert_eq!(
        graph.upward_imports(),
        ["[library] `a::y` imports from its ancestor `a`: super::Up"]
    );
}

#[test]
fn a_planted_import_across_layers_kept_apart_is_reported() {
    let graph = planted(&[
        ("", "pub mod app; pub mod service; pub mod store;"),
        (
            "app",
            "pub mod page;
             pub use page::PageRequest;
             pub use crate::store::Page;",
        ),
        ("app::page", "pub struct PageRequest;"),
        ("store", "pub struct Page; pub struct Token;"),
        ("service", "pub mod list; pub mod token;"),
        // Directly, and through a re-export of the layer in between.
        (
            "service::token",
            "use crate::store::Token; pub fn f(_: Token) {}",
        ),
        (
            "service::list",
            "use crate::app::{Page, PageRequest}; pub fn f(_: PageRequest) -> Page { Page }",
        ),
    ]);
    let apart = [("service", "store", "planted")];
    assert_eq!(
        graph.imports_across(&apart),
        [
            "[library] `service::list` imports from `store`: crate::app::Page (planted)",
            "[library] `service::token` imports from `store`: crate::store::Token (planted)",
        ]
    );
    // The use cases may import from the store, and the handlers from the
    // use cases' own types.
    assert!(graph.modules["app"].uses.contains_key("store"));
    assert!(
        graph.modules["service::list"]
            .uses
            .contains_key("app::page")
    );
}
