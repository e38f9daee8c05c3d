//! The differential harness on its own: two oracles built from different feature sets
//! must agree everywhere, and a deliberately wrong implementation must be caught.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use armorlab_oracle::differential::{compare, query_paths, Answer};
use armorlab_oracle::{Compiler, Features};

fn glob_features() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/glob-features.apparmor")
}

#[test]
fn oracles_for_two_feature_sets_agree_everywhere() {
    if !common::parser_or_skip("oracles_for_two_feature_sets_agree_everywhere") {
        return;
    }
    let pinned = Compiler::default();
    let compat = Compiler {
        features: Features::Compat,
        ..Compiler::default()
    };
    for file in [
        common::template("docker-default.docs.apparmor"),
        common::template("docker-default.rendered.apparmor"),
        glob_features(),
    ] {
        let a = pinned.compile_file(&file).unwrap();
        let b = compat.compile_file(&file).unwrap();
        let paths = query_paths(&pinned, &file, 4, 3000, 1).unwrap();
        assert!(
            paths.len() > 100,
            "{}: only {} paths",
            file.display(),
            paths.len()
        );
        let (stats, bad) = compare(
            &file.display().to_string(),
            &a,
            &paths,
            |profile, path, owner| {
                let r = b.file_perms(profile, path, owner).ok()?;
                Some(Answer {
                    exec: r.exec_letters(),
                    audit: Some(r.audit),
                    quiet: Some(r.quiet),
                    allow: r.allow,
                })
            },
        )
        .unwrap();
        println!(
            "{}: {} profiles, {} paths, {}/{} queries agree",
            stats.subject, stats.profiles, stats.paths, stats.agreed, stats.queries
        );
        assert!(bad.is_empty(), "{:?}", bad.first());
        assert_eq!(stats.agreed, stats.queries);
        assert_eq!(stats.unknown_profiles, 0);
    }
}

#[test]
fn a_wrong_implementation_is_caught() {
    if !common::parser_or_skip("a_wrong_implementation_is_caught") {
        return;
    }
    let compiler = Compiler::default();
    let file = common::template("docker-default.docs.apparmor");
    let policy = compiler.compile_file(&file).unwrap();
    let paths = query_paths(&compiler, &file, 2, 500, 2).unwrap();
    // A naive evaluator that ignores deny rules: `file,` allows everything.
    let (stats, bad) = compare("naive", &policy, &paths, |_, _, _| {
        Some(Answer {
            allow: "rwaxmkl".into(),
            exec: None,
            audit: None,
            quiet: None,
        })
    })
    .unwrap();
    assert!(!bad.is_empty());
    assert!(bad
        .iter()
        .any(|d| d.path == "/proc/sysrq-trigger" && d.oracle.allow == "ml"));
    assert_eq!(stats.agreed + bad.len(), stats.queries);
    // A side that does not know the profile is skipped, not compared.
    let (stats, bad) = compare("unknown", &policy, &paths, |_, _, _| None).unwrap();
    assert_eq!(
        (stats.queries, stats.unknown_profiles, bad.len()),
        (0, 1, 0)
    );
}
