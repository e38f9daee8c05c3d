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
