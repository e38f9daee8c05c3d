//! Conformance: upstream's parser test profiles against their expected results, and every
//! real profile under /etc/apparmor.d against apparmor_parser.

// Tests read the conformance data and the system's profiles, and print their tables.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

#[path = "fixtures/fs_provider.rs"]
mod fs_provider;

use armorlab_core::analyze;
use armorlab_core::eval::compile;
use fs_provider::{shared_dir, walk, FsProvider};
use std::collections::BTreeMap;
use std::path::Path;

/// Tests where we knowingly disagree with `#=EXRESULT`, each with the reason. Keep short.
const KNOWN_MISMATCHES: &[(&str, &str)] = &[];

#[derive(Default)]
struct Row {
    total: usize,
    agree: usize,
    disagree: usize,
}

/// The installed apparmor_parser, or `None` (after saying so) when it is absent.
fn installed_parser() -> Option<&'static Path> {
    let parser = Path::new("/usr/sbin/apparmor_parser");
    if parser.exists() {
        Some(parser)
    } else {
        println!("apparmor_parser absent: skipping");
        None
    }
}

/// Writes `text` to `file` and asks the installed parser whether it compiles it (no kernel).
#[expect(
    clippy::unwrap_used,
    reason = "a test helper: failing to write the file or start the parser fails the test"
)]
fn parser_accepts(parser: &Path, file: &Path, text: &str) -> bool {
    std::fs::write(file, text).unwrap();
    std::process::Command::new(parser)
        .args(["-Q", "-K", "-I", "/etc/apparmor.d"])
        .arg(file)
        .output()
        .unwrap()
        .status
        .success()
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
        // apparmor_parser accepts a file only when it also compiles: exec modes that
        // conflict where two different globs overlap show up only then.
        let compiled = if a.has_errors() {
            None
        } else {
            Some(compile(&a.policy, &a.sources))
        };
        let passed = matches!(compiled, Some(Ok(_)));
        let row = table.entry(folder).or_default();
        row.total += 1;
        if passed == expect_pass {
            row.agree += 1;
        } else {
            row.disagree += 1;
            if let Some((_, why)) = KNOWN_MISMATCHES.iter().find(|(n, _)| *n == rel) {
                known_hit.push(format!("{rel}: {why}"));
            } else {
                let compile_errors = match &compiled {
                    Some(Err(diags)) => diags.as_slice(),
                    _ => &[],
                };
                let first = a
                    .diagnostics
                    .iter()
                    .chain(compile_errors)
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
    let Some(parser) = installed_parser() else {
        return;
    };
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
                assert_eq!(f.path.as_deref(), Some("/proc/sysrq-trigger"));
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
    let Some(parser) = installed_parser() else {
        return;
    };
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

/// Hand-written one-rule profiles across every rule class, accepted or rejected as the
/// installed apparmor_parser does. Where 3.0.8 predates the upstream test suite's
/// expectations (which win, see the README of the conformance data), the case says so.
#[test]
fn single_rules_agree_with_installed_apparmor_parser() {
    let Some(parser) = installed_parser() else {
        return;
    };
    // Rules where apparmor_parser 3.0.8 differs from the newer upstream tests we follow.
    const NEWER: &[(&str, &str)] = &[
        ("all,", "`all` arrived after 3.0"),
        (
            "mount options=(ro, rw) /a -> /b,",
            "newer parsers reject conflicting options (mount/bad_1.sd)",
        ),
        (
            "mount options=(private) /a -> /b,",
            "newer parsers reject a source with propagation options (mount/bad_opt_10.sd)",
        ),
    ];
    let rules = [
        "owner deny /a r,",
        "deny owner /a r,",
        "audit owner /a r,",
        "owner audit /a r,",
        "/a rwa,",
        "/a ra,",
        "/a Ux,",
        "/a pux,",
        "/a PUx,",
        "/a Pux,",
        "/a pUx,",
        "/a cix,",
        "/a CIx,",
        "/a rix -> foo,",
        "/a px -> foo,",
        "/a l -> /b,",
        "/a rl -> /b,",
        "l /a -> /b,",
        "rl /a -> /b,",
        "link /a -> /b,",
        "deny /a ix,",
        "deny /a x,",
        "/a x,",
        "/a mk,",
        "/a rwlkm,",
        "/a k,",
        "capability CHOWN,",
        "capability chown setuid,",
        "capability foo,",
        "network inet6 raw,",
        "network inet tcp,",
        "network inet icmp,",
        "network unix stream,",
        "network netlink raw,",
        "network bluetooth,",
        "network inet stream tcp,",
        "network raw,",
        "network tcp,",
        "network bogus,",
        "unix,",
        "unix (send) peer=(label=foo),",
        "unix bind addr=@foo,",
        "unix (bind) peer=(label=foo),",
        "unix listen type=stream,",
        "unix connect addr=@foo peer=(label=x),",
        "dbus bind name=org.foo,",
        "dbus bind member=foo,",
        "dbus eavesdrop bus=system,",
        "dbus (send receive) bus=session interface=org.foo member=Bar peer=(name=org.x label=y),",
        "dbus send name=org.foo,",
        "signal (send) set=(hup, int, usr1),",
        "signal (send) set=(bogus),",
        "signal peer=foo,",
        "signal (send receive) peer=/usr/bin/foo,",
        "ptrace (read trace),",
        "ptrace peer=foo,",
        "ptrace (trace) peer=(label=foo),",
        "mount,",
        "mount -> /mnt/,",
        "mount options=(rw,nosuid) /dev/a -> /b/,",
        "mount options=(bind) /a/ -> /b/,",
        "mount options=(rbind) /a/ -> /b/,",
        "mount options=(remount) /a/,",
        "mount options=(ro, rw) /a -> /b,",
        "mount options in (ro, rw) /a -> /b,",
        "mount fstype=ext4 -> /b,",
        "mount options=(make-private) -> /b,",
        "mount options=(private) /a -> /b,",
        "remount /a/,",
        "umount /a/,",
        "pivot_root /new/,",
        "pivot_root oldroot=/old/ /new/,",
        "change_profile,",
        "change_profile -> foo,",
        "change_profile /bin/a -> foo,",
        "change_profile safe /bin/a -> foo,",
        "set rlimit nofile <= 1024,",
        "set rlimit cpu <= 10s,",
        "set rlimit as <= 1GB,",
        "set rlimit data <= 10KB,",
        "set rlimit nice <= -10,",
        "set rlimit nice <= 30,",
        "set rlimit bogus <= 1,",
        "/a{b,c} r,",
        "/a{b} r,",
        "/a[] r,",
        "/a[b r,",
        "/a] r,",
        "@{NOPE}/x r,",
        "file /a r,",
        "file r /a,",
        "file,",
        "all,",
        // Keywords are case-sensitive; file permission letters partly are not.
        "network INET,",
        "signal (SEND),",
        "signal set=(HUP),",
        "ptrace (TRACE),",
        "set rlimit NOFILE <= 1,",
        "mount options=(RO) -> /b,",
        "AUDIT /a r,",
        "Capability,",
        "/a RW,",
        "/a L -> /b,",
        "/a PX,",
        "/a pIx,",
        "/a K,",
        "/a A,",
        "/a ix -> foo,",
        "/a ux -> foo,",
    ];
    let dir = std::env::temp_dir().join(format!("armorlab-single-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut disagree = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let text = format!("profile t {{\n  {rule}\n}}\n");
        let f = dir.join(format!("r{i}.sd"));
        let theirs = parser_accepts(parser, &f, &text);
        let ours = !analyze("t", &text, &armorlab_core::NoIncludes).has_errors();
        let newer = NEWER.iter().find(|(r, _)| r == rule);
        match (ours == theirs, newer) {
            (true, None) => {}
            (false, Some((_, why))) => println!("expected difference: {rule} ({why})"),
            (true, Some(_)) => {
                disagree.push(format!("{rule}: listed as a 3.0.8 difference but agrees"))
            }
            (false, None) => disagree.push(format!(
                "{rule}: apparmor_parser {} it, armorlab {}",
                if theirs { "accepts" } else { "rejects" },
                if ours { "accepts" } else { "rejects" }
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    for d in &disagree {
        println!("{d}");
    }
    assert!(disagree.is_empty(), "{} disagreements", disagree.len());
}

/// The `needs-newer-parser` warning is given exactly for the rules we accept that the
/// installed apparmor_parser (3.0.8 on Debian 12) rejects, and it is a warning: the
/// rules still resolve without errors.
#[test]
fn needs_newer_parser_warnings_match_installed_apparmor_parser() {
    let Some(parser) = installed_parser() else {
        return;
    };
    let rules = [
        "priority=1 /x r,",
        "priority=-5 deny /x w,",
        "priority=0 audit owner /x r,",
        "all,",
        "userns,",
        "userns create,",
        "io_uring,",
        "io_uring sqpoll,",
        "mqueue,",
        "mqueue r type=posix /foo,",
        "network (send) inet stream,",
        "network (create, connect) inet,",
        "network inet stream peer=(ip=127.0.0.1),",
        "network inet ip=127.0.0.1,",
        "network,",
        "network inet stream,",
        "network unix,",
        "/x r,",
        "audit deny /x w,",
        "owner /x r,",
        "capability,",
        "capability sys_admin,",
        "unix (send) peer=(label=foo),",
        "signal (send) set=(hup),",
        "ptrace (read),",
        "dbus send bus=session,",
        "set rlimit nofile <= 10,",
        "change_profile -> foo,",
        "mount,",
        "umount /a/,",
        "mount options=(lazytime) /a -> /b,",
        "mount options=(nolazytime) /a -> /b,",
        "mount options=(strictatime) /a -> /b,",
        "mount options=(nostrictatime) /a -> /b,",
        "mount options in (ro, symfollow) /a -> /b,",
        "mount options=(nosymfollow) /a -> /b,",
        "mount options=(relatime, noiversion) /a -> /b,",
        "mount options=(make-private) /b,",
        "pivot_root,",
        "file,",
        "link /a -> /b,",
    ];
    let flags = [
        "complain",
        "enforce",
        "audit",
        "kill",
        "unconfined",
        "mediate_deleted",
        "delegate_deleted",
        "attach_disconnected",
        "no_attach_disconnected",
        "chroot_relative",
        "namespace_relative",
        "chroot_attach",
        "chroot_no_attach",
        "prompt",
        "default_allow",
        "interruptible",
        "debug",
        "error=EPERM",
        "kill.signal=hup",
        "attach_disconnected.path=/x",
        "attach_disconnected, complain",
    ];
    let texts = rules
        .iter()
        .map(|rule| (rule.to_string(), format!("profile t {{\n  {rule}\n}}\n")))
        .chain(flags.iter().map(|f| {
            (
                format!("flags=({f})"),
                format!("profile t flags=({f}) {{\n}}\n"),
            )
        }))
        .chain(["=", "+=", "?=", ":="].iter().map(|op| {
            let def = if *op == "+=" { "@{A} = /y\n" } else { "" };
            (
                format!("@{{A}} {op}"),
                format!("{def}@{{A}} {op} /x\nprofile t {{\n  @{{A}} r,\n}}\n"),
            )
        }))
        .chain(
            [
                "$A",
                "not $A",
                "defined $A",
                "defined @{V}",
                "not defined $A",
                "$A and $B",
                "$A or $B",
                "($A)",
                "not ($A or $B)",
                "true",
                "$A and false",
            ]
            .iter()
            .map(|c| {
                (
                    format!("if {c}"),
                    format!(
                        "$A = true\n$B = false\n@{{V}} = /v\nprofile t {{\n  if {c} {{\n    /x r,\n  }} else if $B {{\n    /y r,\n  }}\n}}\n"
                    ),
                )
            }),
        )
        .chain(
            [
                "profile t /bin/foo {\n  @{exec_path} r,\n}\n",
                "profile t /bin/foo {\n  /run/@{attach_path}/** r,\n}\n",
                "profile t /bin/foo {\n  /x r,\n}\n",
                "@{exec_path} = /bin/foo\nprofile t /bin/foo {\n  @{exec_path} r,\n}\n",
                "profile t + identities=(foo) {\n  file,\n}\n",
                "profile t /bin/t + identities=(a, b) flags=(complain) {\n}\n",
            ]
            .iter()
            .map(|t| (t.replace('\n', " "), t.to_string())),
        )
        .chain(["=", "?=", ":="].iter().map(|op| {
            (
                format!("$B {op}"),
                format!("$B {op} true\nprofile t {{\n  if $B {{\n    /x r,\n  }}\n}}\n"),
            )
        }));
    let dir = std::env::temp_dir().join(format!("armorlab-newer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut disagree = Vec::new();
    let mut warned = 0;
    for (i, (rule, text)) in texts.enumerate() {
        let f = dir.join(format!("r{i}.sd"));
        let theirs = parser_accepts(parser, &f, &text);
        let a = analyze("t", &text, &armorlab_core::NoIncludes);
        assert!(!a.has_errors(), "{rule}: {:?}", a.diagnostics);
        let warns = a.diagnostics.iter().any(|d| d.code == "needs-newer-parser");
        warned += usize::from(warns);
        if warns == theirs {
            disagree.push(format!(
                "{rule}: apparmor_parser {} it, armorlab {}",
                if theirs { "accepts" } else { "rejects" },
                if warns { "warns" } else { "does not warn" }
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    for d in &disagree {
        println!("{d}");
    }
    assert!(disagree.is_empty(), "{} disagreements", disagree.len());
    assert!(warned >= 36);
}

/// Small whole files (preamble, headers, blocks, includes, variables), accepted or
/// rejected as the installed apparmor_parser does.
#[test]
fn small_files_agree_with_installed_apparmor_parser() {
    let parser = Path::new("/usr/sbin/apparmor_parser");
    if !parser.exists() || !Path::new("/etc/apparmor.d/tunables/global").exists() {
        println!("apparmor_parser or /etc/apparmor.d absent: skipping");
        return;
    }
    // Where we knowingly differ from 3.0.8, and why.
    const KNOWN: &[(&str, &str)] = &[
        (
            "profile t { network (send), }",
            "fine-grained network access arrived after 3.0 (network/perms tests)",
        ),
        (
            "profile t { network inet (send), }",
            "fine-grained network access arrived after 3.0 (network/perms tests)",
        ),
        (
            "profile a { priority=1 /b r, }",
            "rule priorities arrived in 4.1 (file/priority tests)",
        ),
        (
            "profile a { priority=-1 deny /b r, }",
            "rule priorities arrived in 4.1 (file/priority tests)",
        ),
        (
            "profile a { priority = 1 /b r, }",
            "rule priorities arrived in 4.1 (file/priority tests)",
        ),
        (
            "profile a { priority=1 capability, }",
            "rule priorities arrived in 4.1 (file/priority tests)",
        ),
    ];
    let files = [
        "profile t flags=(COMPLAIN) { }",
        "profile t flags=(complain,audit) { }",
        "profile t flags=(complain enforce) { }",
        "profile t flags=(complain) flags=(audit) { }",
        "profile t xattrs=(a=b) { }",
        "profile t /a xattrs=(a=b) flags=(complain) { }",
        "profile t { ^h { } ^h { } }",
        "profile t { hat h { } }",
        "hat h { }",
        "^h { }",
        "profile t { profile c { } }",
        "profile t { profile c { profile d { } } }",
        "/usr/bin/t { }",
        "/usr/bin/t { } /usr/bin/t { }",
        "profile t { } profile t { }",
        "profile t//x { }",
        "profile :ns:t { }",
        ":ns:t { }",
        "profile t /usr/bin/{a,b} { }",
        "profile t @{x} { }",
        "@{x}=/a\nprofile t @{x} { }",
        "@{x}=/a /b\nprofile t { @{x}/c r, }",
        "@{x}=/a\n@{x}+=/b\nprofile t { @{x} r, }",
        "@{x}+=/b\nprofile t { @{x} r, }",
        "@{x}=/a\n@{x}=/b\nprofile t { }",
        "@{x}=\nprofile t { }",
        "@{x}=/a,\nprofile t { }",
        "@{x}=\"/a b\"\nprofile t { @{x} r, }",
        "profile t { @{x}=/a\n }",
        "alias /a/ -> /b/,\nprofile t { /a/x r, }",
        "alias /a/ -> /b/\nprofile t { }",
        "profile t { alias /a/ -> /b/, }",
        "$b=true\nprofile t { }",
        "$b=maybe\nprofile t { }",
        "profile t { /a r /b r, }",
        "profile t { /a r,, }",
        "profile t { , }",
        "profile t { /a r, } }",
        "profile t { /a r,",
        "profile t { include <tunables/global> }",
        "include <tunables/global>\nprofile t { @{HOME}/a r, }",
        "include <nope>\nprofile t { }",
        "include if exists <nope>\nprofile t { }",
        "#include <tunables/global>\nprofile t { }",
        "include \"/etc/apparmor.d/tunables/global\"\nprofile t { }",
        "include /etc/apparmor.d/tunables/global\nprofile t { }",
        "abi <abi/3.0>,\nprofile t { }",
        "abi <abi/3.0>\nprofile t { }",
        "profile t { abi <abi/3.0>, }",
        "profile t { /a r, # c\n }",
        "profile t { owner { /a r, } }",
        "profile t { audit { /a r, } }",
        "profile t { deny { /a r, } }",
        "profile t { owner { owner /a r, } }",
        "profile t { owner { capability, } }",
        "profile t { /a r, deny /a r, audit /a w, }",
        "profile t { /a px, /a ix, }",
        "profile t { /a px, deny /a x, }",
        "profile t { /a px, /a px, }",
        "profile t { /a px -> b, /a px -> c, }",
        "profile t { /a rw, /a a, }",
        "profile t { /a w, /a a, }",
        "profile t { \"/a b\" r, }",
        "profile t { /a\\ b r, }",
        "profile t { /a\"b\" r, }",
        "profile t { r /a, }",
        "profile t { /a r -> /b, }",
        "profile t { deny link /a -> /b, }",
        "profile t { audit deny capability chown, }",
        "profile \"t t\" { }",
        "profile t { ^\"h h\" { } }",
        "profile t { allow { /a r, } }",
        "profile t { audit deny { /a r, } }",
        "profile t { other { /a r, } }",
        "profile t { audit owner { /a r, } }",
        "profile t { owner { owner { /a r, } } }",
        "profile t { owner { signal, } }",
        "profile t { owner { deny /a r, } }",
        "^h { /a r, }",
        "profile t { /a w -> /b, }",
        "profile t { /a rw -> /b, }",
        "profile t { /b ix, ^h { /b px, } }",
        "profile t { owner /a px, /a ix, }",
        "profile t { /a,b r, }",
        "profile t { /a, r, }",
        "profile t {/a r,}",
        "profile t{/a r,}",
        "profile t { /a r,}",
        "profile t {capability,}",
        "profile t { capability chown,capability setuid, }",
        "profile t { /a r,/b r, }",
        "profile t { /a#b r, }",
        "profile t { /a r,#c\n }",
        "profile t { \"/a\" \"r\", }",
        "profile t { \"/a\\\"b\" r, }",
        "profile t { /a \"r\", }",
        "profile t { /a r, } # c",
        "# c\nprofile t { }",
        "profile t { #include <abstractions/base>\n }",
        "profile t { include <abstractions/base> }",
        "profile t { include <abstractions/base>, }",
        "profile t { #include<abstractions/base>\n }",
        "profile t { include<abstractions/base>\n }",
        "profile t { include \"abstractions/base\"\n }",
        "profile t { include if exists <abstractions/nope>\n }",
        "profile t { include if exists \"/nope\"\n }",
        "profile t { include if exists abstractions/base\n }",
        "profile /a/b { }",
        "profile /a/b /c { }",
        "profile a b { }",
        "profile a/b { }",
        "profile a { } profile b { }",
        "/a { } /b { }",
        "/a { }\n:ns:/b { }",
        ":ns { }",
        ":ns: { }",
        ":ns:a:b { }",
        "profile :ns:/a flags=(complain) { }",
        "profile a flags=complain { }",
        "profile a flags=(complain) /b { }",
        "profile a /b flags=(complain) xattrs=(a=b) { }",
        "profile a (complain) { }",
        "profile a { ^b flags=(complain) { } }",
        "profile a { ^b /c { } }",
        "profile a { hat b /c { } }",
        "profile a { profile b /c flags=(complain) { } }",
        "profile a { /b { } }",
        "profile a { ^ b { } }",
        "profile a { ^b { ^c { } } }",
        "profile a { profile b { ^c { } } }",
        "profile a { ^b { profile c { } } }",
        "profile a//b { }",
        "profile a { profile a { } }",
        "profile a { ^a { } }",
        "profile a { ^b { } profile b { } }",
        "profile \"a b\" /c { }",
        "profile a \"/b c\" { }",
        "profile a @{HOME} { }",
        "include <tunables/global>\nprofile a @{HOME}/x { }",
        "include <tunables/global>\n@{HOME}/x { }",
        "profile unconfined { }",
        "profile a { priority=1 /b r, }",
        "profile a { priority=1001 /b r, }",
        "profile a { priority=-1 deny /b r, }",
        "profile a { audit priority=1 /b r, }",
        "profile a { priority = 1 /b r, }",
        "profile a { priority=1 capability, }",
        "profile a { priority=x /b r, }",
        "profile a { audit audit /b r, }",
        "profile a { deny allow /b r, }",
        "profile a { allow /b r, }",
        "profile a { allow deny /b r, }",
        "profile a { owner other /b r, }",
        "profile a { other /b r, }",
        "profile a { user /b r, }",
        "profile a { quiet /b r, }",
        "profile a { audit { audit /b r, } }",
        "profile a { owner { other /b r, } }",
        "profile a { allow { deny /b r, } }",
        "profile a { audit { owner { /b r, } } }",
        "profile a { owner { ^h { } } }",
        "profile a { owner { include <abstractions/base>\n } }",
        "$b=true\nprofile t { if $b { /a r, } }",
        "$b=true\nprofile t { if not $b { /a r, } else { /b r, } }",
        "profile t { if $nope { /a r, } }",
        "@{v}=x\nprofile t { if defined @{v} { /a r, } }",
        "profile t { if defined @{nope} { /a r, } }",
        "$b=true\nif $b { profile t { } }",
        "$b=false\n$b=true\nprofile t { }",
        "@{A}=a\n@{B}=@{A}b\nprofile t { /@{B} r, }",
        "@{A}=@{B}\n@{B}=@{A}\nprofile t { /@{A} r, }",
        "@{A}=a\nprofile t { /@{A}@{A} r, }",
        "@{A}=a b\nprofile t { /x@{A} r, }",
        "@{A-B}=a\nprofile t { }",
        "@{1A}=a\nprofile t { }",
        "@A=a\nprofile t { /@{A} r, }",
        "@{A}=a\nprofile t { /@A r, }",
        "@{A} = \"a b\" c\nprofile t { /@{A} r, }",
        "@{A}=a # comment\nprofile t { /@{A} r, }",
        "@{A}=a \\\n b\nprofile t { /@{A} r, }",
        "profile t { /a{,b} r, }",
        "profile t { /a{b,{c,d}} r, }",
        "profile t { /a** r, }",
        "profile t { /a? r, }",
        "profile t { /a[^b] r, }",
        "profile t { /a[a-z] r, }",
        "profile t { /a\\* r, }",
        "profile t { /a/ r, }",
        "profile t { a r, }",
        "profile t { /a r, /b w, /c a, /d k, /e m, /f l, }",
        "profile t { /a lk, }",
        "profile t { /a wl -> /b, }",
        "profile t { /a rcx, }",
        "profile t { /a rcx -> c, profile c { } }",
        "profile t { /a rCx -> c, }",
        "profile t { /a pix -> c, }",
        "profile t { /a rPix, }",
        "profile t { /a Cux, }",
        "profile t { deny /a Ux, }",
        "profile t { audit deny /a rwlkm, }",
        "profile t { deny /a rx, }",
        "profile t { /a ix, /a rix, }",
        "profile t { /a ix, /a Ix, }",
        "profile t { /a Px, /a px, }",
        "profile t { /a px, /a pix, }",
        "profile t { owner /a px, other /a ix, }",
        "profile t { link subset /a -> /b, }",
        "profile t { link /a /b, }",
        "profile t { link /a -> , }",
        "profile t { network inet stream, network inet6 dgram, }",
        "profile t { network inet raw icmp, }",
        "profile t { network inet dgram udp, }",
        "profile t { network packet, }",
        "profile t { network route, }",
        "profile t { network local, }",
        "profile t { network unspec, }",
        "profile t { network alg seqpacket, }",
        "profile t { network inet seqpacket, }",
        "profile t { network inet rdm, }",
        "profile t { network (send), }",
        "profile t { network inet (send), }",
        "profile t { deny network, }",
        "profile t { audit network inet, }",
        "profile t { unix (connect) type=stream addr=@x, }",
        "profile t { unix type=dgram, }",
        "profile t { unix type=bogus, }",
        "profile t { unix (accept) peer=(label=x), }",
        "profile t { unix (shutdown), }",
        "profile t { unix addr=none, }",
        "profile t { unix (send receive) type=seqpacket, }",
        "profile t { unix protocol=0, }",
        "profile t { dbus, }",
        "profile t { dbus bus=system, }",
        "profile t { dbus send bus=system path=/a interface=b member=c, }",
        "profile t { dbus receive peer=(label=x), }",
        "profile t { dbus (bind) bus=session name=org.x, }",
        "profile t { dbus bind peer=(name=x), }",
        "profile t { dbus eavesdrop, }",
        "profile t { dbus (send, bind) bus=session, }",
        "profile t { dbus send bus=session bus=system, }",
        "profile t { dbus send foo=bar, }",
        "profile t { dbus (r), }",
        "profile t { dbus (rw) peer=(label=x), }",
        "profile t { signal (send) set=(hup) peer=x, }",
        "profile t { signal set=(rtmin+0), }",
        "profile t { signal set=(rtmin+32), }",
        "profile t { signal set=(rtmin+33), }",
        "profile t { signal set=(exists), }",
        "profile t { signal set=(stkflt emt), }",
        "profile t { signal (send) set=hup, }",
        "profile t { signal send set=hup, }",
        "profile t { signal (send) set=(hup) set=(int), }",
        "profile t { signal foo, }",
        "profile t { ptrace (tracedby readby), }",
        "profile t { ptrace trace peer=x, }",
        "profile t { ptrace (read, trace) peer=/usr/bin/x, }",
        "profile t { ptrace peer=(a b), }",
        "profile t { mount options=ro /a -> /b, }",
        "profile t { mount options=(ro) fstype=(ext3 ext4) /a -> /b, }",
        "profile t { mount vfstype=ext4, }",
        "profile t { mount options=(bogus), }",
        "profile t { mount options=(rw) options=(nosuid) -> /b, }",
        "profile t { mount /a, }",
        "profile t { mount /a /b, }",
        "profile t { mount -> /b -> /c, }",
        "profile t { remount options=(ro) /a, }",
        "profile t { remount /a -> /b, }",
        "profile t { umount options=(bind) /a, }",
        "profile t { pivot_root oldroot=/o/ /n/ -> t, }",
        "profile t { pivot_root /a /b, }",
        "profile t { change_profile /a, }",
        "profile t { change_profile -> a b, }",
        "profile t { change_profile unsafe /a -> b, }",
        "profile t { change_profile unsafe -> b, }",
        "profile t { change_profile -> :ns:b, }",
        "profile t { change_profile -> @{nope}, }",
        "profile t { set rlimit nproc <= 10, }",
        "profile t { set rlimit rttime <= 10ms, }",
        "profile t { set rlimit fsize <= 1M, }",
        "profile t { set rlimit fsize <= 1T, }",
        "profile t { set rlimit cpu <= 1h, }",
        "profile t { set rlimit stack <= infinity, }",
        "profile t { set rlimit nofile < 10, }",
        "profile t { set rlimit nofile <= -1, }",
        "profile t { set rlimit sigpending <= 10, }",
        "profile t { set rlimit core <= 0, }",
        "profile t { capability audit_read, }",
        "profile t { capability checkpoint_restore, }",
        "profile t { capability bpf perfmon, }",
        "profile t { capability sys_admin sys_admin, }",
        "profile t { deny capability, }",
        "profile t { rlimit nofile <= 1, }",
        "profile t { set nofile <= 1, }",
        "profile t { /a r }\nprofile u { /b r, }",
        "profile t { /a r, }\n/b r,",
    ];
    let provider = FsProvider::new(["/etc/apparmor.d".into()], "/".into());
    let dir = std::env::temp_dir().join(format!("armorlab-small-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut disagree = Vec::new();
    for (i, text) in files.iter().enumerate() {
        let f = dir.join(format!("f{i}.sd"));
        let theirs = parser_accepts(parser, &f, text);
        let a = analyze("t", text, &provider);
        let ours = !a.has_errors();
        let known = KNOWN.iter().find(|(t, _)| t == text);
        match (ours == theirs, known) {
            (true, None) => {}
            (false, Some((_, why))) => println!("expected difference: {text:?} ({why})"),
            (true, Some(_)) => {
                disagree.push(format!("{text:?}: listed as a difference but agrees"))
            }
            (false, None) => disagree.push(format!(
                "{text:?}: apparmor_parser {}, armorlab {} {:?}",
                if theirs { "accepts" } else { "rejects" },
                if ours { "accepts" } else { "rejects" },
                a.diagnostics
                    .iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    for d in &disagree {
        println!("{d}");
    }
    assert!(disagree.is_empty(), "{} disagreements", disagree.len());
}

/// Every file rule glob we resolve (variables expanded, aliases applied) is one that
/// apparmor_parser compiles for the same file (`-D rule-exprs` prints each as `aare: GLOB`,
/// after collapsing repeated slashes as it does).
#[test]
fn file_rule_globs_match_apparmor_parser_rule_exprs() {
    let Some(parser) = installed_parser() else {
        return;
    };
    fn collapse(s: &str) -> String {
        let mut o = String::with_capacity(s.len());
        for c in s.chars() {
            if c == '/' && o.ends_with('/') {
                continue;
            }
            o.push(c);
        }
        o
    }
    let provider = FsProvider::new(["/etc/apparmor.d".into()], "/".into());
    let mut files = etc_profiles();
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    files.push(templates.join("docker-default.rendered.apparmor"));
    files.push(templates.join("docker-default.docs.apparmor"));
    let (mut matched, mut missing) = (0, Vec::new());
    for f in &files {
        let out = std::process::Command::new(parser)
            .args(["-Q", "-K", "-I", "/etc/apparmor.d", "-D", "rule-exprs"])
            .arg(f)
            .output()
            .unwrap();
        if !out.status.success() {
            continue;
        }
        let dump = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: std::collections::HashSet<&str> = dump
            .lines()
            .filter_map(|l| l.strip_prefix("aare: "))
            .filter_map(|l| l.split("   ->   ").next())
            .collect();
        let text = std::fs::read_to_string(f).unwrap();
        let a = analyze("x", &text, &provider);
        // Everything of ours that apparmor_parser compiles to a regex, for the reverse check.
        let mut ours = std::collections::HashSet::new();
        for p in a.policy.all_profiles() {
            // apparmor_parser's implicit /proc rules for hats and change_profile are not
            // in the model: the evaluator adds them (see eval's implicit rules).
            let hats = p.is_hat || !p.children.is_empty();
            let cp = p
                .rules
                .iter()
                .any(|r| matches!(r.kind, armorlab_core::model::RuleKind::ChangeProfile(_)));
            if hats || cp {
                ours.insert("/proc/*/attr/apparmor/".to_owned());
                ours.insert("/sys/module/apparmor/parameters/enabled".to_owned());
            }
            if hats {
                ours.insert("/proc/[0-9]*/attr/{apparmor/,}current".to_owned());
            }
            if cp {
                ours.insert("/proc/*/attr/{apparmor/,}{current,exec}".to_owned());
            }
            ours.insert(p.name.clone());
            ours.extend(p.attachment.iter().map(|x| collapse(x)));
            for r in &p.rules {
                use armorlab_core::model::RuleKind;
                match &r.kind {
                    RuleKind::File(fr) => {
                        match &fr.path {
                            Some(path) => {
                                if theirs.contains(collapse(path).as_str()) {
                                    matched += 1;
                                } else {
                                    missing.push(format!("{}: {path}", f.display()));
                                }
                                ours.insert(collapse(path));
                            }
                            // The bare `file,` rule is upstream's `/{**,}`.
                            None => {
                                ours.insert("/{**,}".to_owned());
                            }
                        }
                        ours.extend(fr.exec.iter().filter_map(|e| e.target.clone()));
                    }
                    RuleKind::Link(l) => {
                        ours.insert(collapse(&l.link));
                        ours.insert(collapse(&l.target));
                    }
                    RuleKind::ChangeProfile(c) => {
                        ours.extend(c.exec_cond.iter().cloned());
                        ours.extend(c.target.iter().cloned());
                    }
                    _ => {}
                }
            }
        }
        // Nothing apparmor_parser compiled is missing from our model (hidden rules such
        // as the implicit /proc access for hats included).
        for g in &theirs {
            if !ours.contains(*g) {
                missing.push(format!(
                    "{}: apparmor_parser has `{g}`, we do not",
                    f.display()
                ));
            }
        }
    }
    println!("{matched} file rule globs match apparmor_parser's");
    for m in missing.iter().take(20) {
        println!("not compiled by apparmor_parser: {m}");
    }
    assert!(missing.is_empty(), "{} globs differ", missing.len());
    assert!(matched > 1000);
}
