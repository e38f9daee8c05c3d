//! Helpers shared by the oracle's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Whether the real parser is here; prints why a test is skipped when it is not.
pub fn parser_or_skip(test: &str) -> bool {
    if armorlab_oracle::parser_available() {
        true
    } else {
        eprintln!(
            "{test}: skipped: {} is absent, the oracle cannot run",
            armorlab_oracle::DEFAULT_PARSER
        );
        false
    }
}

/// A template shipped in the repository's `templates/` directory.
pub fn template(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("templates")
        .join(name)
}

/// The shared conformance data folder (`shared/conformance`), if present: from env
/// `ARMORLAB_SHARED` (the `shared` folder or `shared/conformance` itself), else next to
/// the repository root (`../shared/conformance`), else next to the folder holding a
/// worktree. Prints plainly when it is absent.
pub fn conformance_dir(test: &str) -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut candidates = Vec::new();
    if let Some(env) = std::env::var_os("ARMORLAB_SHARED") {
        let env = PathBuf::from(env);
        candidates.push(env.join("conformance"));
        candidates.push(env);
    }
    candidates.push(manifest.join("../../shared/conformance"));
    candidates.push(manifest.join("../../../shared/conformance"));
    let found = candidates
        .into_iter()
        .find(|c| c.join("apparmor-parser-tests").is_dir());
    if found.is_none() {
        eprintln!("{test}: the shared conformance data is absent; that part is skipped");
    }
    found
}
