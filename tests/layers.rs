//! The crate's layers hold: every top-level module sits in one layer and imports only its
//! own layer and those below, and no two modules import each other, directly or around a
//! cycle. docs/architecture.md explains the layers; a new module is placed here first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom to top. Parsers (layer 2) never reach the report, the driver, the Hub client or
/// the CLI.
const LAYERS: &[&[&str]] = &[
    // 0: vocabulary and byte sources, importing nothing above
    &[
        "rules", "limits", "findings", "facts", "display", "source", "license", "json",
    ],
    // 1: what a pickle global means, what a format is
    &["policy", "format"],
    // 2: parsers: one module per format or container, and Hugging Face repository files;
    //    the configuration file, which names formats and builds the policy
    &["containers", "formats", "hf", "config"],
    // 3: the report model and its renderers, and the verdict cache that stores report
    //    artifacts
    &["report", "verdict_cache"],
    // 4: the driver: walk, dispatch, model grouping, local and remote targets
    &["scan"],
    // 5: provenance, the Hub, the inventory of application code (which vets Hub
    //    references through the Hub client), and object stores (read through the Hub's
    //    remote source)
    &["provenance", "hub", "inventory", "object_stores"],
    // 6: the AI-BOM
    &["bom"],
    // 7: the command line, and the fuzzing entry points (one per parser)
    &["cli", "fuzzing"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Source without comments (doc links are not imports).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
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

/// module -> (imported module -> first file that imports it)
fn imports() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let module = top_module(&src, &file);
        if module == "lib" || module == "main" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let entry = graph.entry(module.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                entry
                    .entry(name)
                    .or_insert_with(|| file.display().to_string());
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer_and_imports_only_downwards() {
    let graph = imports();
    let mut violations = Vec::new();
    for (module, deps) in &graph {
        let Some(own) = layer_of(module) else {
            violations.push(format!("module `{module}` has no layer in tests/layers.rs"));
            continue;
        };
        for (dep, file) in deps {
            match layer_of(dep) {
                Some(l) if l <= own => {}
                Some(l) => violations.push(format!(
                    "`{module}` (layer {own}) imports `{dep}` (layer {l}) in {file}"
                )),
                None => violations.push(format!("`{dep}` (imported in {file}) has no layer")),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layer violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn no_module_cycle() {
    let graph = imports();
    let edges: BTreeMap<&str, BTreeSet<&str>> = graph
        .iter()
        .map(|(m, deps)| (m.as_str(), deps.keys().map(String::as_str).collect()))
        .collect();
    // Depth-first search with colours; report the first cycle found.
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|n| *n == node).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(node);
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node, 1);
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(node, 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut state, &mut Vec::new()) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_imports() {
    // Guards the test itself: a parser module is seen importing the vocabulary.
    let graph = imports();
    assert!(graph["formats"].contains_key("findings"));
    assert!(graph["scan"].contains_key("formats"));
    assert!(graph["cli"].contains_key("scan"));
}
