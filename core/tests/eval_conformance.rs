//! Soundness of the evaluator's compile step against upstream's parser tests: every test
//! profile that the real `apparmor_parser` accepts (`#=EXRESULT PASS`) and that the
//! resolver accepts must compile, and a profile the parser rejects for conflicting exec
//! modes must not. The data lives outside the repository (see the brief); when it is
//! absent the test says so and returns.
// Test code: panicking on a broken fixture is the point, and tests may read files.
// The oracle and the file system are native-only.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    clippy::disallowed_macros
)]

use armorlab_core::analysis::analyze;
use armorlab_core::eval::compile;
use armorlab_core::MemoryProvider;
use std::path::{Path, PathBuf};

fn data_dir() -> Option<PathBuf> {
    if let Ok(base) = std::env::var("ARMORLAB_SHARED") {
        let d = PathBuf::from(base).join("conformance/apparmor-parser-tests");
        return d.join("simple_tests").is_dir().then_some(d);
    }
    // `$CARGO_MANIFEST_DIR/../../shared` in the main checkout; worktrees sit deeper.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(2)
        .take(3)
        .map(|a| a.join("shared/conformance/apparmor-parser-tests"))
        .find(|d| d.join("simple_tests").is_dir())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn accepted_profiles_compile_and_exec_conflicts_are_caught() {
    let Some(dir) = data_dir() else {
        println!("conformance data is absent (../shared/conformance): test skipped");
        return;
    };
    let root = dir.join("simple_tests");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    // Includes resolve as upstream runs the suite: `<...>` in simple_tests/, quoted paths
    // relative to the folder holding simple_tests/.
    let mut provider = MemoryProvider::new([
        root.to_string_lossy().into_owned(),
        dir.to_string_lossy().into_owned(),
    ]);
    for f in &files {
        if let Ok(t) = std::fs::read_to_string(f) {
            provider.insert(f.to_string_lossy().into_owned(), t);
        }
    }
    let mut checked = 0;
    let mut wrongly_rejected = Vec::new();
    let mut conflicts_caught = 0;
    let mut conflicts_missed = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "sd"))
    {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        if text.contains("#=TODO") || text.contains("#=DISABLED") {
            continue;
        }
        let pass = text.contains("#=EXRESULT PASS");
        let fail = text.contains("#=EXRESULT FAIL");
        let name = f.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
        let a = analyze(&name, &text, &provider);
        if a.has_errors() {
            continue;
        }
        checked += 1;
        let r = compile(&a.policy, &a.sources);
        let desc = text
            .lines()
            .find(|l| l.starts_with("#=DESCRIPTION"))
            .unwrap_or("")
            .to_lowercase();
        match (&r, pass, fail) {
            (Err(e), true, _) => wrongly_rejected.push(format!("{name}: {}", e[0].message)),
            (Err(e), _, true) if e.iter().any(|d| d.code == "conflicting-x-modifiers") => {
                conflicts_caught += 1
            }
            // Flag conflicts are the resolver's to report; exec-mode conflicts are ours.
            (Ok(_), _, true) if desc.contains("conflict") && !name.contains("/flags/") => {
                conflicts_missed.push(name.clone())
            }
            _ => {}
        }
    }
    println!("{checked} profiles checked; {conflicts_caught} exec conflicts caught; missed: {conflicts_missed:#?}");
    assert!(wrongly_rejected.is_empty(), "{wrongly_rejected:#?}");
    assert!(conflicts_missed.is_empty(), "{conflicts_missed:#?}");
    assert!(checked > 1000, "only {checked} profiles were checked");
}
