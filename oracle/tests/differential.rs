//! Differential test: armorlab's evaluator against the oracle (the real `apparmor_parser`
//! and a kernel-style walk of its DFA), on docker-default (both templates), every
//! profile in `/etc/apparmor.d` the parser compiles, and a profile exercising every glob
//! feature. Query paths come from the rules' globs as the parser expands them (instances,
//! prefixes, mutations, special characters) plus a fixed list; each is asked for the
//! owner and for another user, and the allowed letters, exec transition, audit and
//! quiet sets must agree, as must hard-link decisions on link pairs and every
//! capability. Agreement figures are printed; any disagreement fails with the
//! profile, path and both answers.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use armorlab_core::eval::{self, CompiledPolicy, Query};
use armorlab_core::model::FilePerms;
use armorlab_core::{analyze, MemoryProvider};
use armorlab_oracle::differential::{
    compare, compare_links, query_paths, Answer, Disagreement, LinkDisagreement, Stats,
};
use armorlab_oracle::{Compiler, CAPABILITIES};

/// Generated instances per rule glob.
const PER_GLOB: usize = 10;
/// At most this many paths per profile file.
const CAP: usize = 4000;
/// Link names sampled per profile for the link-pair comparison.
const LINK_SAMPLE: usize = 150;
/// Print at most this many disagreements in full per subject.
const SHOW_PER_SUBJECT: usize = 4;

/// Every readable text file under `root`, keyed by absolute path, for the resolver.
fn provider_for(root: &Path, search_dirs: &[String]) -> MemoryProvider {
    let mut p = MemoryProvider::new(search_dirs.iter().cloned());
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                p.insert(path.display().to_string(), text);
            }
        }
    }
    p
}

/// armorlab's side: analyze and compile the file, or say why not.
fn armorlab(file: &Path, provider: &MemoryProvider) -> Result<CompiledPolicy, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let analysis = analyze(&file.display().to_string(), &text, provider);
    if analysis.has_errors() {
        let errors: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{d:?}"))
            .collect();
        return Err(format!("analysis errors: {}", errors.join("; ")));
    }
    eval::compile(&analysis.policy, &analysis.sources)
        .map_err(|ds| format!("compile errors: {ds:?}"))
}

fn ask(policy: &CompiledPolicy, profile: &str, path: &str, owner: bool) -> Option<Answer> {
    if !policy.profile_names().iter().any(|n| n == profile) {
        return None;
    }
    let query = Query::File {
        path: path.to_string(),
        perms: FilePerms(0x7f),
        owner,
        link_target: None,
    };
    Some(match policy.decide(profile, &query) {
        Ok(d) => Answer {
            allow: d.allowed,
            exec: d.exec.map(|e| e.mode),
            audit: Some(d.audit),
            quiet: Some(d.quiet),
        },
        // An evaluation error where the parser compiled the profile is itself a
        // disagreement: it shows up as an impossible allow string.
        Err(e) => Answer {
            allow: format!("error: {e}"),
            exec: None,
            audit: None,
            quiet: None,
        },
    })
}

fn ask_link(
    policy: &CompiledPolicy,
    profile: &str,
    link: &str,
    target: &str,
    owner: bool,
) -> Option<bool> {
    if !policy.profile_names().iter().any(|n| n == profile) {
        return None;
    }
    let query = Query::File {
        path: link.to_string(),
        perms: FilePerms::LINK,
        owner,
        link_target: Some(target.to_string()),
    };
    // An evaluation error counts as "not allowed", which the comparison then reports.
    Some(
        policy
            .decide(profile, &query)
            .is_ok_and(|d| d.allowed.contains('l')),
    )
}

struct Subject {
    label: String,
    file: PathBuf,
    /// The folder whose files the resolver may include.
    include_root: PathBuf,
    /// The resolver's search directories (the first is also the base of relative
    /// quoted includes).
    search_dirs: Vec<String>,
    compiler: Compiler,
}

fn subjects() -> Vec<Subject> {
    let etc = PathBuf::from("/etc/apparmor.d");
    let subject = |label: String, file: PathBuf| Subject {
        label,
        file,
        include_root: etc.clone(),
        search_dirs: vec![etc.display().to_string()],
        compiler: Compiler::default(),
    };
    let mut out = vec![
        subject(
            "docker-default (docs)".into(),
            common::template("docker-default.docs.apparmor"),
        ),
        subject(
            "docker-default (rendered moby template)".into(),
            common::template("docker-default.rendered.apparmor"),
        ),
        subject(
            "glob-features".into(),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/glob-features.apparmor"),
        ),
    ];
    let mut system: Vec<PathBuf> = std::fs::read_dir(&etc)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    system.sort();
    for file in system {
        out.push(subject(file.display().to_string(), file));
    }
    out
}

/// Upstream parser tests about file rules, links, exec transitions and variables that
/// are expected to compile (`#=EXRESULT PASS`, not TODO or DISABLED). They are run like
/// upstream runs them: includes from `simple_tests/`, quoted includes relative to its
/// parent folder.
fn conformance_subjects(root: &Path) -> Vec<Subject> {
    let tst = root.join("apparmor-parser-tests");
    let simple = tst.join("simple_tests");
    let mut files = Vec::new();
    for dir in ["file", "link", "xtrans", "vars"] {
        let mut stack = vec![simple.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "sd") {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            text.contains("#=EXRESULT PASS")
                && !text.contains("#=TODO")
                && !text.contains("#=DISABLED")
        })
        .map(|file| Subject {
            label: file
                .strip_prefix(&simple)
                .unwrap_or(&file)
                .display()
                .to_string(),
            file,
            include_root: tst.clone(),
            search_dirs: vec![tst.display().to_string(), simple.display().to_string()],
            compiler: Compiler {
                include_dirs: vec![simple.clone()],
                workdir: Some(tst.clone()),
                ..Compiler::default()
            },
        })
        .collect()
}

fn show(d: &Disagreement) -> String {
    format!(
        "{} | profile `{}` | path `{}` | owner {} | oracle: allow `{}` exec {:?} audit {:?} quiet {:?} | armorlab: allow `{}` exec {:?} audit {:?} quiet {:?}",
        d.subject,
        d.profile,
        d.path,
        d.owner,
        d.oracle.allow,
        d.oracle.exec,
        d.oracle.audit,
        d.oracle.quiet,
        d.other.allow,
        d.other.exec,
        d.other.audit,
        d.other.quiet
    )
}

/// Runs the comparison over `subjects` and fails on any disagreement.
fn run(title: &str, subjects: Vec<Subject>, per_glob: usize, cap: usize, link_sample: usize) {
    let started = Instant::now();
    let mut all_stats: Vec<Stats> = Vec::new();
    let mut disagreements: Vec<Disagreement> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut providers: Vec<(Vec<String>, MemoryProvider)> = Vec::new();
    let mut link_bad: Vec<LinkDisagreement> = Vec::new();
    let (mut link_compared, mut link_agreed) = (0usize, 0usize);
    let (mut caps_compared, mut caps_agreed) = (0usize, 0usize);
    let mut caps_bad: Vec<String> = Vec::new();

    for (i, s) in subjects.into_iter().enumerate() {
        let compiler = &s.compiler;
        let oracle = match compiler.compile_file(&s.file) {
            Ok(p) => p,
            Err(e) => {
                // Files the real parser refuses are not part of the comparison.
                let why: String = e.to_string().chars().take(160).collect();
                println!("  {}: skipped, apparmor_parser refuses it: {why}", s.label);
                continue;
            }
        };
        if !providers.iter().any(|(r, _)| r == &s.search_dirs) {
            providers.push((
                s.search_dirs.clone(),
                provider_for(&s.include_root, &s.search_dirs),
            ));
        }
        let provider = &providers
            .iter()
            .find(|(r, _)| r == &s.search_dirs)
            .unwrap()
            .1;
        let ours = match armorlab(&s.file, provider) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!(
                    "{}: the parser compiles it but armorlab does not: {e}",
                    s.label
                ));
                continue;
            }
        };
        let paths = query_paths(compiler, &s.file, per_glob, cap, 0x5eed + i as u64).unwrap();
        let (stats, bad) = compare(&s.label, &oracle, &paths, |profile, path, owner| {
            ask(&ours, profile, path, owner)
        })
        .unwrap();
        if stats.unknown_profiles > 0 {
            failures.push(format!(
                "{}: armorlab lacks {} of the parser's profiles ({:?} vs {:?})",
                s.label,
                stats.unknown_profiles,
                oracle.profiles(),
                ours.profile_names()
            ));
        }
        all_stats.push(stats);
        disagreements.extend(bad);
        let (c, a, lb) = compare_links(&s.label, &oracle, &paths, link_sample, |p, l, t, o| {
            ask_link(&ours, p, l, t, o)
        })
        .unwrap();
        link_compared += c;
        link_agreed += a;
        link_bad.extend(lb);
        // Capabilities: the mask the kernel reads against the rules' answer.
        for profile in oracle.profiles() {
            let Ok(compiled) = oracle.profile(&profile) else {
                continue;
            };
            if !ours.profile_names().contains(&profile) {
                continue;
            }
            for name in CAPABILITIES {
                let query = Query::Capability {
                    name: name.to_string(),
                };
                let theirs = ours.decide(&profile, &query).map(|d| !d.allowed.is_empty());
                let mine = compiled.capability_allowed_by_name(name);
                caps_compared += 1;
                if theirs.as_ref().ok() == mine.as_ref() {
                    caps_agreed += 1;
                } else {
                    caps_bad.push(format!(
                        "{} | profile `{profile}` | capability {name} | oracle {mine:?} | armorlab {theirs:?}",
                        s.label
                    ));
                }
            }
        }
    }

    println!("differential ({title}): armorlab eval vs apparmor_parser + kernel DFA walk");
    let (mut q, mut a) = (0usize, 0usize);
    for s in &all_stats {
        println!(
            "  {}: {} profiles, {} paths, {}/{} queries agree ({:.2}%)",
            s.subject,
            s.profiles,
            s.paths,
            s.agreed,
            s.queries,
            100.0 * s.agreed as f64 / s.queries.max(1) as f64
        );
        q += s.queries;
        a += s.agreed;
    }
    println!(
        "  total: {a}/{q} queries agree, {} disagreements, {:.1}s",
        disagreements.len(),
        started.elapsed().as_secs_f64()
    );
    // A few per subject, so that one broken subject does not hide the others.
    let mut shown: Vec<(&str, usize)> = Vec::new();
    for d in &disagreements {
        let n = match shown.iter_mut().find(|(s, _)| *s == d.subject) {
            Some((_, n)) => n,
            None => {
                shown.push((&d.subject, 0));
                &mut shown.last_mut().unwrap().1
            }
        };
        if *n < SHOW_PER_SUBJECT {
            println!("  DISAGREE {}", show(d));
        }
        *n += 1;
    }
    println!(
        "  links: {link_agreed}/{link_compared} link pairs agree, {} disagreements",
        link_bad.len()
    );
    for d in link_bad.iter().take(SHOW_PER_SUBJECT * 3) {
        println!("  DISAGREE link {d:?}");
    }
    println!(
        "  capabilities: {caps_agreed}/{caps_compared} agree, {} disagreements",
        caps_bad.len()
    );
    for d in caps_bad.iter().take(SHOW_PER_SUBJECT * 3) {
        println!("  DISAGREE capability {d}");
    }
    for f in &failures {
        println!("  FAILURE {}", f.chars().take(400).collect::<String>());
    }
    assert!(q > 0, "nothing was compared");
    assert!(
        disagreements.is_empty()
            && failures.is_empty()
            && link_bad.is_empty()
            && caps_bad.is_empty(),
        "{} disagreements, {} link disagreements, {} capability disagreements, {} failures; first: {}",
        disagreements.len(),
        link_bad.len(),
        caps_bad.len(),
        failures.len(),
        disagreements
            .first()
            .map(show)
            .or_else(|| failures.first().cloned())
            .unwrap_or_default()
    );
}

#[test]
fn armorlab_agrees_with_the_kernel_walk() {
    if !common::parser_or_skip("armorlab_agrees_with_the_kernel_walk") {
        return;
    }
    run(
        "docker-default, /etc/apparmor.d, glob features",
        subjects(),
        PER_GLOB,
        CAP,
        LINK_SAMPLE,
    );
}

#[test]
fn armorlab_agrees_on_conformance_file_profiles() {
    if !common::parser_or_skip("armorlab_agrees_on_conformance_file_profiles") {
        return;
    }
    let Some(root) = common::conformance_dir("armorlab_agrees_on_conformance_file_profiles") else {
        return;
    };
    // Many small profiles: fewer paths each keeps the run short.
    run(
        "upstream parser tests: file, link, xtrans, vars",
        conformance_subjects(&root),
        6,
        300,
        20,
    );
}
