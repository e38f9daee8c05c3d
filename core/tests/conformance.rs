//! Conformance: upstream's parser test profiles against their expected results, and every
//! real profile under /etc/apparmor.d against apparmor_parser.

// Tests read the conformance data and the system's profiles, and print their tables.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

#[path = "fixtures/fs_provider.rs"]
mod fs_provider;

use armorlab_core::analyze;
use fs_provider::{shared_dir, walk, FsProvider};
use std::collections::BTreeMap;
use std::path::Path;

/// Tests where we knowingly disagree with `#=EXRESULT`, each with the reason. Keep short.
const KNOWN_MISMATCHES: &[(&str, &str)] = &[(
    "xtrans/x-conflict.sd",
    "exec modes that conflict only where two different globs overlap (`/b* px` vs `/* Pix`) \
     show up when the DFA is built, which is the glob compiler's job, not the resolver's",
)];

#[derive(Default)]
struct Row {
    total: usize,
    agree: usize,
    disagree: usize,
}

#[test]
fn simple_tests_agree_with_exresult() {
    let Some(root) = shared_dir() else {
        println!("conformance data absent (../shared/conformance): skipping");
        return;
    };
    let simple = root.join("simple_tests");
    let provider = FsProvider::new([simple.clone()], root.clone());
    let mut files = Vec::new();
    walk(&simple, &mut files);
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut known_hit = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "sd"))
    {
        let text = match std::fs::read(f) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => continue,
        };
        if text.contains("#=DISABLED") {
            continue;
        }
        let expect_pass = if text.contains("#=EXRESULT PASS") {
            true
        } else if text.contains("#=EXRESULT FAIL") {
            false
        } else {
            continue;
        };
        let rel = f
            .strip_prefix(&simple)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let folder = rel.split('/').next().unwrap_or("").to_owned();
        let a = analyze(&rel, &text, &provider);
        let passed = !a.has_errors();
        let row = table.entry(folder).or_default();
        row.total += 1;
        if passed == expect_pass {
            row.agree += 1;
        } else {
            row.disagree += 1;
            if let Some((_, why)) = KNOWN_MISMATCHES.iter().find(|(n, _)| *n == rel) {
                known_hit.push(format!("{rel}: {why}"));
            } else {
                let first = a
                    .diagnostics
                    .iter()
                    .find(|d| d.is_error())
                    .map(|d| format!("{}:{}: {} [{}]", d.file, d.line, d.message, d.code))
                    .unwrap_or_default();
                failures.push(format!(
                    "{rel}: expected {}, got {} {first}",
                    if expect_pass { "PASS" } else { "FAIL" },
                    if passed { "PASS" } else { "FAIL" }
                ));
            }
        }
    }
    println!(
        "{:<22} {:>6} {:>6} {:>9}",
        "folder", "total", "agree", "disagree"
    );
    let (mut t, mut ag, mut dis) = (0, 0, 0);
    for (k, r) in &table {
        println!("{:<22} {:>6} {:>6} {:>9}", k, r.total, r.agree, r.disagree);
        t += r.total;
        ag += r.agree;
        dis += r.disagree;
    }
    println!("{:<22} {:>6} {:>6} {:>9}", "TOTAL", t, ag, dis);
    if !known_hit.is_empty() {
        println!("known mismatches ({}):", known_hit.len());
        for k in &known_hit {
            println!("  {k}");
        }
    }
    for f in &failures {
        println!("DISAGREE {f}");
    }
    // A known mismatch that no longer happens must leave the list, so it stays honest.
    assert_eq!(
        known_hit.len(),
        KNOWN_MISMATCHES.len(),
        "a known mismatch now agrees: remove it from KNOWN_MISMATCHES"
    );
    assert!(
        failures.is_empty(),
        "{} unexpected disagreements",
        failures.len()
    );
}

/// The profile files under /etc/apparmor.d (not the include folders).
fn etc_profiles() -> Vec<std::path::PathBuf> {
    let root = Path::new("/etc/apparmor.d");
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(root) else {
        return out;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_file() && !armorlab_core::resolve::skipped_include_entry(&name) {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn etc_apparmor_profiles_resolve_without_errors() {
    let files = etc_profiles();
    if files.is_empty() {
        println!("/etc/apparmor.d absent: skipping");
        return;
    }
    let provider = FsProvider::new(["/etc/apparmor.d".into()], "/".into());
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let a = analyze(&f.to_string_lossy(), &text, &provider);
        for d in a.diagnostics.iter().filter(|d| d.is_error()) {
            bad.push(format!(
                "{}:{}:{}: {} [{}]",
                d.file, d.line, d.column, d.message, d.code
            ));
        }
        assert!(
            !a.policy.profiles.is_empty(),
            "{} has no profile",
            f.display()
        );
    }
    println!("{} profiles checked", files.len());
    for b in &bad {
        println!("{b}");
    }
    assert!(bad.is_empty(), "{} errors", bad.len());
}

/// Profile names as apparmor_parser prints them with `-N`.
#[test]
fn etc_apparmor_profile_names_match_apparmor_parser() {
    let parser = Path::new("/usr/sbin/apparmor_parser");
    if !parser.exists() {
        println!("apparmor_parser absent: skipping");
        return;
    }
    let files = etc_profiles();
    let provider = FsProvider::new(["/etc/apparmor.d".into()], "/".into());
    let mut mismatches = Vec::new();
    for f in &files {
        let out = std::process::Command::new(parser)
            .args(["-Q", "-K", "-I", "/etc/apparmor.d", "-N"])
            .arg(f)
            .output()
            .unwrap();
        if !out.status.success() {
            println!("apparmor_parser rejects {}: skipped", f.display());
            continue;
        }
        let mut theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        theirs.sort();
        let text = std::fs::read_to_string(f).unwrap();
        let a = analyze(&f.to_string_lossy(), &text, &provider);
        let mut ours: Vec<String> = a
            .policy
            .all_profiles()
            .iter()
            .map(|p| p.full_name.clone())
            .collect();
        ours.sort();
        if ours != theirs {
            mismatches.push(format!("{}: ours {ours:?} theirs {theirs:?}", f.display()));
        }
    }
    for m in &mismatches {
        println!("{m}");
    }
    assert!(mismatches.is_empty());
}

/// The shipped docker-default templates resolve against /etc/apparmor.d with the model
/// the evaluator needs.
#[test]
fn docker_default_templates_resolve() {
    if !Path::new("/etc/apparmor.d/tunables/global").exists() {
        println!("/etc/apparmor.d absent: skipping");
        return;
    }
    let provider = FsProvider::new(["/etc/apparmor.d".into()], "/".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    for name in [
        "docker-default.rendered.apparmor",
        "docker-default.docs.apparmor",
    ] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        let a = analyze(name, &text, &provider);
        for d in &a.diagnostics {
            println!(
                "{}:{}:{}: {} [{}]",
                d.file, d.line, d.column, d.message, d.code
            );
        }
        assert!(!a.has_errors(), "{name}");
        let p = a.policy.find("docker-default").unwrap();
        assert_eq!(p.flags, vec!["attach_disconnected", "mediate_deleted"]);
        // The `@{PROC}` variable comes from tunables/proc and expands to `/proc/`.
        let deny_proc = p
            .rules
            .iter()
            .find(|r| r.text == "deny @{PROC}/sysrq-trigger rwklx")
            .unwrap();
        match &deny_proc.kind {
            armorlab_core::model::RuleKind::File(f) => {
                assert_eq!(f.path.as_deref(), Some("/proc//sysrq-trigger"));
                assert_eq!(f.perms.letters(), "rwxkl");
                assert_eq!(
                    deny_proc.qualifiers.effect,
                    armorlab_core::model::Effect::Deny
                );
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(deny_proc.location.file, armorlab_core::FileId(0));
        // Rules from abstractions/base carry the include chain.
        assert!(p.rules.iter().any(|r| !r.included_from.is_empty()));
        assert!(p.rules.iter().any(|r| matches!(r.kind, armorlab_core::model::RuleKind::File(ref f) if f.path.is_none())) || name.contains("docs"));
    }
}

/// Differential check of include resolution: apparmor_parser's `-p` output (every include
/// spliced in by upstream) must resolve to the same policy as the original file resolved
/// through our own include handling (order, directory includes, skipped entries).
#[test]
fn etc_apparmor_includes_expand_like_apparmor_parser_p() {
    let parser = Path::new("/usr/sbin/apparmor_parser");
    if !parser.exists() {
        println!("apparmor_parser absent: skipping");
        return;
    }
    let provider = FsProvider::new(["/etc/apparmor.d".into()], "/".into());
    let mut checked = 0;
    let mut mismatches = Vec::new();
    let mut files = etc_profiles();
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    files.push(templates.join("docker-default.rendered.apparmor"));
    files.push(templates.join("docker-default.docs.apparmor"));
    for f in &files {
        let out = std::process::Command::new(parser)
            .args(["-Q", "-K", "-I", "/etc/apparmor.d", "-p"])
            .arg(f)
            .output()
            .unwrap();
        if !out.status.success() {
            println!("apparmor_parser rejects {}: skipped", f.display());
            continue;
        }
        let pre = String::from_utf8_lossy(&out.stdout).into_owned();
        let text = std::fs::read_to_string(f).unwrap();
        let ours = analyze("x", &text, &provider);
        let theirs = analyze("x", &pre, &provider);
        assert!(
            !theirs.has_errors(),
            "{}: -p output: {:?}",
            f.display(),
            theirs.diagnostics
        );
        let (a, b) = (normalized(&ours.policy), normalized(&theirs.policy));
        if a != b {
            let (pa, pb) = (a.all_profiles(), b.all_profiles());
            let mut what = format!("{} profiles vs {}", pa.len(), pb.len());
            for (x, y) in pa.iter().zip(pb.iter()) {
                if x.rules.len() != y.rules.len() {
                    what = format!(
                        "{}: {} rules vs {}",
                        x.full_name,
                        x.rules.len(),
                        y.rules.len()
                    );
                }
                if let Some((r1, r2)) = x.rules.iter().zip(y.rules.iter()).find(|(r1, r2)| r1 != r2)
                {
                    what = format!("{}: {:?} vs {:?}", x.full_name, r1.kind, r2.kind);
                    break;
                }
            }
            mismatches.push(format!("{}: {what}", f.display()));
        }
        checked += 1;
    }
    println!("{checked} files compared with apparmor_parser -p");
    assert!(mismatches.is_empty(), "policies differ: {mismatches:?}");
}

/// The policy without locations, include chains and source text.
fn normalized(p: &armorlab_core::model::Policy) -> armorlab_core::model::Policy {
    fn walk(p: &mut armorlab_core::model::Profile) {
        p.location = Default::default();
        for r in p.rules.iter_mut() {
            r.location = Default::default();
            r.included_from.clear();
            r.text.clear();
        }
        p.children.iter_mut().for_each(walk);
    }
    let mut p = p.clone();
    p.profiles.iter_mut().for_each(walk);
    // `-p` output carries the abi lines of included files into the main text.
    p.abi = None;
    p
}
