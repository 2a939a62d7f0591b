//! DESIGN §2: imports point down the list of layers only — host and store at the bottom, then
//! db, py, tasks, and canister and cli at the top (neither importing the other). Every
//! `crate::LAYER` path in a file under `src/L/` is checked; the upward ones that remain are
//! listed below, to be moved (issue 30, stage 2) until the list is empty.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::repo;

/// Each layer's level (a layer may use those below it and itself).
const LEVELS: &[(&str, u8)] = &[("host", 0), ("store", 0), ("db", 2), ("py", 3), ("tasks", 5), ("canister", 6), ("cli", 7)];

/// Upward imports still to move: (file under `src/`, the layer it reaches up to).
const NOT_YET_MOVED: &[(&str, &str)] = &[];

fn level(layer: &str) -> Option<u8> {
    LEVELS.iter().find(|l| l.0 == layer).map(|l| l.1)
}

/// The top-level modules a line of Rust names through `crate::` (`crate::a::b`, and each path
/// of `crate::{a::b, c}`).
fn crate_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (0, 0);
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(group[start..j].to_owned());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(group[start..j].to_owned());
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(rest.to_owned());
        }
    }
    out.iter()
        .map(|p| p.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|p| !p.is_empty())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every Rust file under `src/`: its path relative to `src/`, and its text.
fn src_files() -> Vec<(String, String)> {
    let src = repo("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|file| (file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/"), std::fs::read_to_string(&file).unwrap()))
        .collect()
}

/// Every (file under `src/`, layer above its own) that a file imports.
fn upward_imports() -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (rel, text) in src_files() {
        let Some(own) = rel.split('/').next().filter(|_| rel.contains('/')).and_then(level) else { continue };
        let own_layer = rel.split('/').next().unwrap().to_owned();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for target in crate_paths(line) {
                let Some(to) = level(&target) else { continue };
                // Above, or beside at the top (canister and cli do not import each other).
                if to > own || (to == own && target != own_layer && own >= 6) {
                    found.insert((rel.clone(), target));
                }
            }
        }
    }
    found
}

#[test]
fn crate_paths_are_read_from_plain_and_grouped_uses() {
    assert_eq!(crate_paths("use crate::db::{keys, Table};"), ["db"]);
    assert_eq!(crate_paths("use crate::{py::x, tasks::{a, b}, store};"), ["py", "tasks", "store"]);
    assert_eq!(crate_paths("let b = crate::host::with(|h| crate::py::f(h));"), ["host", "py"]);
    assert!(crate_paths("use super::names;").is_empty());
}

#[test]
fn layers_import_only_downward() {
    let found = upward_imports();
    let allowed: BTreeSet<(String, String)> = NOT_YET_MOVED.iter().map(|(f, l)| (f.to_string(), l.to_string())).collect();
    let new: Vec<_> = found.difference(&allowed).collect();
    assert!(
        new.is_empty(),
        "imports from a layer above (DESIGN §2); take what is needed as a parameter or a call-back registered at boot:\n{new:#?}"
    );
    let moved: Vec<_> = allowed.difference(&found).collect();
    assert!(moved.is_empty(), "these upward imports are gone: take them off NOT_YET_MOVED:\n{moved:#?}");
}

/// Issue 30, stage 3: the scheduler's Python is called by name in one place. Everything else
/// goes through the typed functions of `tasks::scheduler` and `tasks::realms`.
#[test]
fn only_the_scheduler_module_calls_the_schedulers_python_by_name() {
    let mut callers = BTreeSet::new();
    for (rel, text) in src_files() {
        let code = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        if ["call_text(", "ApiArg::"].iter().any(|p| code.contains(p)) {
            callers.insert(rel);
        }
    }
    let expected: BTreeSet<String> = ["tasks/scheduler.rs", "tasks/realms.rs"].iter().map(|s| s.to_string()).collect();
    assert_eq!(callers, expected, "call the scheduler through tasks::scheduler's (or tasks::realms') typed functions");
}
