//! The formatter is sound and stable: its output analyses to the same policy as its
//! input (locations and source text aside), and formatting twice changes nothing. Run
//! over the upstream PASS tests and every file under /etc/apparmor.d.

// Tests read the conformance data and the system's profiles, and print a summary.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "fixtures/fs_provider.rs"]
mod fs_provider;

use armorlab_core::format::format_source;
use armorlab_core::model::{Policy, Profile};
use armorlab_core::source::{IncludeStyle, Resolved, SourceError, SourceProvider};
use armorlab_core::{analyze, Analysis, Location};
use fs_provider::{shared_dir, walk, FsProvider};
use std::path::{Path, PathBuf};

/// Serves includes from the file system, except one file replaced by given text: so an
/// include file can be checked in place, through the profiles that include it.
struct Override<'a> {
    inner: &'a FsProvider,
    path: String,
    text: String,
}

impl SourceProvider for Override<'_> {
    fn resolve(&self, name: &str, style: IncludeStyle) -> Option<Resolved> {
        self.inner.resolve(name, style)
    }
    fn read(&self, path: &str) -> Result<String, SourceError> {
        if path == self.path {
            Ok(self.text.clone())
        } else {
            self.inner.read(path)
        }
    }
    fn list_dir(&self, path: &str) -> Result<Vec<String>, SourceError> {
        self.inner.list_dir(path)
    }
}

/// The policy with everything that depends on where text sits removed.
fn normalized(p: &Policy) -> Policy {
    fn walk(p: &mut Profile) {
        p.location = Location::default();
        for r in p.rules.iter_mut() {
            r.location = Location::default();
            r.included_from.clear();
            r.text.clear();
        }
        p.children.iter_mut().for_each(walk);
    }
    let mut p = p.clone();
    p.profiles.iter_mut().for_each(walk);
    p
}

fn codes(a: &Analysis) -> Vec<String> {
    let mut c: Vec<String> = a.diagnostics.iter().map(|d| d.code.clone()).collect();
    c.sort();
    c
}

/// Formats `text`, checks idempotence and that `analyze` sees the same policy and the
/// same diagnostics. Returns false when the text does not format (syntax errors).
fn check(name: &str, text: &str, provider: &dyn SourceProvider) -> bool {
    let Ok(once) = format_source(text) else {
        return false;
    };
    let twice = format_source(&once)
        .unwrap_or_else(|e| panic!("{name}: output does not reparse: {e:?}\n{once}"));
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    let before = analyze(name, text, provider);
    let after = analyze(name, &once, provider);
    assert_eq!(
        normalized(&before.policy),
        normalized(&after.policy),
        "{name}: formatted text means something else\n{once}"
    );
    assert_eq!(
        codes(&before),
        codes(&after),
        "{name}: diagnostics differ\n{once}"
    );
    true
}

#[test]
fn small_examples_format_canonically() {
    let cases = [
        (
            "profile p {\n/tmp/**   rw,  # scratch\n}\n",
            "profile p {\n  /tmp/** rw, # scratch\n}\n",
        ),
        (
            "#include <tunables/global>\n@{X}=a   b\nprofile p flags=(complain,attach_disconnected){ # hdr\n  signal (send,receive) peer = foo,\n\n\n  owner /a r,}\n",
            "#include <tunables/global>\n@{X} = a b\nprofile p flags=(complain, attach_disconnected) { # hdr\n  signal (send, receive) peer=foo,\n\n  owner /a r,\n}\n",
        ),
        (
            "$B=true\nprofile p {\n if not $B {\n/a r,\n} else {\n/b r,\n}\n}\n",
            "$B = true\nprofile p {\n  if not $B {\n    /a r,\n  } else {\n    /b r,\n  }\n}\n",
        ),
        (
            "profile p {\n  network # why\n    inet,\n  ^hat {\n  }\n}\n",
            "profile p {\n  # why\n  network inet,\n  ^hat {\n  }\n}\n",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(format_source(input).unwrap(), want);
        assert!(check("t", input, &armorlab_core::NoIncludes));
    }
}

/// Older parsers accept fewer spellings: the formatter keeps the one the author chose.
#[test]
fn include_spellings_are_kept() {
    let cases = [
        (
            "profile p {\n#include   <abstractions/base>\n}\n",
            "profile p {\n  #include <abstractions/base>\n}\n",
        ),
        (
            "profile p {\ninclude <abstractions/base>\n}\n",
            "profile p {\n  include <abstractions/base>\n}\n",
        ),
        (
            "profile p {\n  include if exists <local/p>\n  #include if  exists \"/etc/x\"\n}\n",
            "profile p {\n  include if exists <local/p>\n  #include if exists \"/etc/x\"\n}\n",
        ),
        (
            "#include <tunables/global>\n",
            "#include <tunables/global>\n",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(format_source(input).unwrap(), want, "{input}");
        assert!(check("t", input, &armorlab_core::NoIncludes));
    }
}

/// Include fragments are indented like a profile body (Debian's convention), or keep
/// an indentation they already use consistently; comments at the margin stay there.
#[test]
fn fragments_keep_their_indentation() {
    let cases = [
        // Mixed indentation: the conventional two spaces.
        (
            "# header\n/a r,\n    /b r,\n  # note\nowner {\n/c r,\n}\n",
            "# header\n  /a r,\n  /b r,\n  # note\n  owner {\n    /c r,\n  }\n",
        ),
        // Consistent indentation is kept, tabs included.
        (
            "\tabi <abi/3.0>,\n\n\t/a r,\n\t#include <abstractions/base>\n",
            "\tabi <abi/3.0>,\n\n\t/a r,\n\t#include <abstractions/base>\n",
        ),
        (
            "    /a   r,\n    if $B {\n  /b r,\n}\n",
            "    /a r,\n    if $B {\n      /b r,\n    }\n",
        ),
        // Only variables: not a fragment of a profile body, written at the margin.
        ("  @{A}=/x\n", "@{A} = /x\n"),
    ];
    for (input, want) in cases {
        let once = format_source(input).unwrap();
        assert_eq!(once, want, "{input:?}");
        assert_eq!(format_source(&once).unwrap(), once);
    }
}

#[test]
fn debian_abstractions_keep_two_space_indentation() {
    let path = Path::new("/etc/apparmor.d/abstractions/base");
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("/etc/apparmor.d/abstractions/base absent: skipping");
        return;
    };
    let out = format_source(&text).unwrap();
    let statements: Vec<&str> = out
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    assert!(statements.len() > 50);
    for l in statements {
        assert!(
            l.starts_with("  ") && !l.starts_with("   "),
            "not indented by two spaces: {l:?}"
        );
    }
    // Every include line keeps its spelling.
    let spellings = |t: &str| {
        t.lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("#include") || l.starts_with("include"))
            .map(|l| l.split_whitespace().next().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(spellings(&text), spellings(&out));
}

#[test]
fn syntax_errors_are_returned_not_formatted() {
    let errs = format_source("profile p {\n  /a r\n}\n").unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].code, "missing-comma");
    assert_eq!(errs[0].line, 2);
}

#[test]
fn conformance_pass_files_round_trip() {
    let Some(root) = shared_dir() else {
        println!("conformance data absent (../shared/conformance): skipping");
        return;
    };
    let simple = root.join("simple_tests");
    let provider = FsProvider::new([simple.clone()], root.clone());
    let mut files = Vec::new();
    walk(&simple, &mut files);
    let (mut n, mut skipped) = (0, 0);
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "sd"))
    {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        if !text.contains("#=EXRESULT PASS") {
            continue;
        }
        if check(&f.to_string_lossy(), &text, &provider) {
            n += 1;
        } else {
            println!("does not format: {}", f.display());
            skipped += 1;
        }
    }
    println!("{n} PASS files round-trip; {skipped} do not format (syntax errors)");
    assert_eq!(skipped, 0);
    assert!(n > 1000);
}

/// Every file under /etc/apparmor.d: profiles directly, include files in place (through
/// every profile, by substituting the formatted text for the original).
#[test]
fn etc_apparmor_files_round_trip() {
    let root = Path::new("/etc/apparmor.d");
    if !root.is_dir() {
        println!("/etc/apparmor.d absent: skipping");
        return;
    }
    let fs = FsProvider::new([root.to_path_buf()], "/".into());
    let mut all: Vec<PathBuf> = Vec::new();
    walk(root, &mut all);
    let profiles: Vec<(PathBuf, String)> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    let baseline: Vec<Analysis> = profiles
        .iter()
        .map(|(p, t)| analyze(&p.to_string_lossy(), t, &fs))
        .collect();
    let mut n = 0;
    let mut compared = 0;
    // The abi folder holds feature descriptions, not policy.
    for f in all.iter().filter(|f| !f.starts_with(root.join("abi"))) {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let formatted = format_source(&text)
            .unwrap_or_else(|e| panic!("{}: does not format: {e:?}", f.display()));
        assert_eq!(
            format_source(&formatted).unwrap(),
            formatted,
            "{}",
            f.display()
        );
        let over = Override {
            inner: &fs,
            path: f.to_string_lossy().into_owned(),
            text: formatted.clone(),
        };
        let key = f.to_string_lossy().into_owned();
        for ((p, ptext), before) in profiles.iter().zip(&baseline) {
            // Only the profiles that read this file can change.
            if p != f && before.sources.find(&key).is_none() {
                continue;
            }
            let name = p.to_string_lossy();
            let main = if p == f { &formatted } else { ptext };
            let after = analyze(&name, main, &over);
            compared += 1;
            assert_eq!(
                normalized(&before.policy),
                normalized(&after.policy),
                "{} formatted changes {}",
                f.display(),
                p.display()
            );
        }
        n += 1;
    }
    println!("{n} files under /etc/apparmor.d round-trip ({compared} profile analyses compared)");
    // Include files were checked through the profiles that use them, not only profiles.
    assert!(compared > 2 * profiles.len());
}

#[test]
fn docker_default_templates_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    let fs = FsProvider::new(["/etc/apparmor.d".into()], "/".into());
    for name in [
        "docker-default.rendered.apparmor",
        "docker-default.docs.apparmor",
    ] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        assert!(check(name, &text, &fs), "{name} does not format");
    }
}
