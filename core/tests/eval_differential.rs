//! The evaluator against the kernel's view: each subject profile is compiled by the real
//! `apparmor_parser` (through the oracle, which walks the binary policy's DFA as the kernel
//! does) and analysed + compiled by armorlab; both are asked for the permissions on many
//! paths (instances of every rule glob plus special paths), owned and not owned.
//!
//! Compared: allowed, audited and quiet letters without `l` (the kernel keeps a deny rule's
//! `l` on the link pair only, so the path's own state is not where links are decided), and
//! the exec mode when `x` is allowed. Skipped with a message when the parser is absent.
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
use armorlab_core::eval::{compile, Query, Verdict};
use armorlab_core::model::FilePerms;
use armorlab_core::resolve::tables::CAPABILITIES;
use armorlab_core::MemoryProvider;
use armorlab_oracle::differential::query_paths;
use armorlab_oracle::{parser_available, Compiler, LinkDecision};
use std::path::{Path, PathBuf};

fn load_dir(provider: &mut MemoryProvider, dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            load_dir(provider, &p);
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            provider.insert(p.to_string_lossy().into_owned(), text);
        }
    }
}

fn fix_value_slashes(profiles: &mut [armorlab_core::model::Profile]) {
    for p in profiles {
        for r in &mut p.rules {
            if let armorlab_core::model::RuleKind::File(f) = &mut r.kind {
                if let Some(path) = &mut f.path {
                    *path = strip_before_slash(path);
                }
            }
        }
        fix_value_slashes(&mut p.children);
    }
}

/// In every `{...}` followed by `/`, drops a `/` that ends an alternative; in every
/// `{...}` preceded by `/`, drops a `/` that starts one.
fn strip_before_slash(path: &str) -> String {
    let b: Vec<char> = path.chars().collect();
    let mut drop = vec![false; b.len()];
    let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        match c {
            '{' => {
                stack.push((i, Vec::new()));
                if i > 0 && b[i - 1] == '/' && b.get(i + 1) == Some(&'/') {
                    drop[i + 1] = true;
                }
            }
            ',' => {
                if let Some((open, ends)) = stack.last_mut() {
                    ends.push(i);
                    if *open > 0 && b[*open - 1] == '/' && b.get(i + 1) == Some(&'/') {
                        drop[i + 1] = true;
                    }
                }
            }
            '}' => {
                if let Some((_, mut ends)) = stack.pop() {
                    ends.push(i);
                    if b.get(i + 1) == Some(&'/') {
                        for e in ends {
                            if e > 0 && b[e - 1] == '/' {
                                drop[e - 1] = true;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    b.iter()
        .zip(drop)
        .filter(|(_, d)| !d)
        .map(|(c, _)| *c)
        .collect()
}

fn no_l(s: &str) -> String {
    s.chars().filter(|&c| c != 'l').collect()
}

/// Compares one subject; returns (queries, disagreements as text).
fn compare_subject(
    file: &Path,
    provider: &MemoryProvider,
    compiler: &Compiler,
) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(file).unwrap();
    let oracle = match compiler.compile_file(file) {
        Ok(p) => p,
        Err(e) => {
            println!(
                "{}: apparmor_parser refuses it ({e}); skipped",
                file.display()
            );
            return (0, Vec::new());
        }
    };
    let a = analyze(&file.to_string_lossy(), &text, provider);
    if a.has_errors() {
        // The parser and resolver have their own conformance tests; here it only means
        // the evaluator cannot be compared on this subject.
        let first = a.diagnostics.iter().find(|d| d.is_error()).unwrap();
        println!(
            "{}: analyze rejects what apparmor_parser accepts ({}); not compared",
            file.display(),
            first.message
        );
        return (0, Vec::new());
    }
    // The parser drops a variable value's trailing `/` before a `/` (`@{etc_ro}/passwd`
    // becomes `{/etc,/usr/etc}/passwd`), and its leading `/` after one; the resolver does not yet, and then every such
    // rule needs a doubled slash. Until it does, the test applies the parser's step itself
    // (a no-op once the resolver is fixed), so that what is compared is the evaluator.
    let mut policy = a.policy.clone();
    fix_value_slashes(&mut policy.profiles);
    let ours = match compile(&policy, &a.sources) {
        Ok(c) => c,
        Err(e) => {
            return (
                0,
                vec![format!(
                    "{}: eval::compile rejects what apparmor_parser accepts: {}",
                    file.display(),
                    e[0].message
                )],
            )
        }
    };
    let paths = query_paths(compiler, file, 3, 1500, 7).unwrap();
    let mut n = 0;
    let mut bad = Vec::new();
    for profile in oracle.profiles() {
        let theirs = oracle.profile(&profile).unwrap();
        for path in &paths {
            for owner in [true, false] {
                let o = theirs.file_perms(path, owner).unwrap();
                let m = match ours.file_perms(&profile, path, owner) {
                    Ok(m) => m,
                    Err(e) => {
                        bad.push(format!("{}: {profile}: {e}", file.display()));
                        break;
                    }
                };
                n += 1;
                let want = (
                    no_l(&o.allow),
                    no_l(&o.audit),
                    no_l(&o.quiet),
                    o.exec_letters(),
                );
                let got = (
                    no_l(&m.allow.letters()),
                    no_l(&m.audit.letters()),
                    no_l(&m.quiet.letters()),
                    m.exec.clone(),
                );
                if want != got {
                    let line = format!(
                        "{} {profile} {path} owner={owner}: kernel {want:?}, armorlab {got:?}",
                        file.display()
                    );
                    bad.push(line);
                }
            }
        }
    }
    // Links: pairs of paths, decided like the kernel's `__aa_path_link`.
    let sample: Vec<&String> = paths.iter().step_by((paths.len() / 120).max(1)).collect();
    for profile in oracle.profiles() {
        let theirs = oracle.profile(&profile).unwrap();
        for (i, link) in sample.iter().enumerate() {
            for target in sample.iter().skip(i % 7).step_by(11) {
                for owner in [true, false] {
                    let kernel = matches!(
                        theirs.link_allowed(link, target, owner).unwrap(),
                        LinkDecision::Allowed
                    );
                    let q = Query::File {
                        path: (*link).clone(),
                        perms: FilePerms::LINK,
                        owner,
                        link_target: Some((*target).clone()),
                    };
                    let Ok(d) = ours.decide(&profile, &q) else {
                        continue;
                    };
                    n += 1;
                    let mine = d.allowed.contains('l');
                    if kernel != mine {
                        bad.push(format!(
                            "{} {profile} l {link} -> {target} owner={owner}: kernel {kernel}, armorlab {mine}",
                            file.display()
                        ));
                    }
                }
            }
        }
        // Signals and ptrace, from the policydb: class byte, (signal number,) peer label;
        // the accept entry's low bits are MAY_WRITE (send, trace), MAY_READ (receive,
        // read), MAY_APPEND (tracedby), MAY_CREATE (readby).
        let peers = [
            "unconfined",
            profile.as_str(),
            "docker-default",
            "runc",
            "foo",
            "a//b",
        ];
        for peer in peers {
            for (sig, num) in [
                ("hup", 1u8),
                ("kill", 9),
                ("usr1", 10),
                ("term", 15),
                ("cont", 18),
            ] {
                for (access, bit) in [("send", 2u32), ("receive", 4)] {
                    let Some((accept, _)) =
                        theirs.policydb_accept(&[&[10u8, num][..], peer.as_bytes()].concat())
                    else {
                        continue;
                    };
                    let q = Query::Signal {
                        access: access.to_owned(),
                        signal: Some(sig.to_owned()),
                        peer: peer.to_owned(),
                    };
                    let Ok(d) = ours.decide(&profile, &q) else {
                        continue;
                    };
                    n += 1;
                    let kernel = accept & bit != 0;
                    let mine = !d.allowed.is_empty();
                    if kernel != mine {
                        bad.push(format!(
                            "{} {profile} signal {access} set={sig} peer={peer}: kernel {kernel}, armorlab {mine}",
                            file.display()
                        ));
                    }
                }
            }
            for (access, bit) in [
                ("trace", 2u32),
                ("read", 4),
                ("tracedby", 8),
                ("readby", 0x10),
            ] {
                let Some((accept, _)) =
                    theirs.policydb_accept(&[&[9u8][..], peer.as_bytes()].concat())
                else {
                    continue;
                };
                let q = Query::Ptrace {
                    access: access.to_owned(),
                    peer: peer.to_owned(),
                };
                let Ok(d) = ours.decide(&profile, &q) else {
                    continue;
                };
                n += 1;
                let kernel = accept & bit != 0;
                let mine = !d.allowed.is_empty();
                if kernel != mine {
                    bad.push(format!(
                        "{} {profile} ptrace {access} peer={peer}: kernel {kernel}, armorlab {mine}",
                        file.display()
                    ));
                }
            }
        }
        // Mount and umount, from the policydb: class byte, mount point, NUL, device,
        // NUL, type, NUL, one byte (bit + 1) per flag set; MAY_MOUNT is 2, MAY_UMOUNT 4.
        for mp in ["/mnt/", "/tmp/x/", "/", "/proc/"] {
            for dev in ["/dev/sda1", "none", "tmpfs"] {
                for ty in ["ext4", "tmpfs", "proc"] {
                    for flags in [
                        &[][..],
                        &[("ro", 0u8)][..],
                        &[("nosuid", 1), ("nodev", 2)][..],
                    ] {
                        let mut bytes = vec![7u8];
                        bytes.extend_from_slice(mp.as_bytes());
                        bytes.push(0);
                        bytes.extend_from_slice(dev.as_bytes());
                        bytes.push(0);
                        bytes.extend_from_slice(ty.as_bytes());
                        bytes.push(0);
                        bytes.extend(flags.iter().map(|(_, bit)| bit + 1));
                        let Some((accept, _)) = theirs.policydb_accept(&bytes) else {
                            continue;
                        };
                        let q = Query::Mount {
                            fstype: Some(ty.to_owned()),
                            options: flags.iter().map(|(n, _)| (*n).to_owned()).collect(),
                            source: dev.to_owned(),
                            target: mp.to_owned(),
                        };
                        let Ok(d) = ours.decide(&profile, &q) else {
                            continue;
                        };
                        n += 1;
                        let kernel = accept & 2 != 0;
                        let mine = !d.allowed.is_empty();
                        if kernel != mine {
                            bad.push(format!(
                                "{} {profile} {q}: kernel {kernel}, armorlab {mine}",
                                file.display()
                            ));
                        }
                    }
                }
            }
            let Some((accept, _)) = theirs.policydb_accept(&[&[7u8][..], mp.as_bytes()].concat())
            else {
                continue;
            };
            let q = Query::Umount {
                target: mp.to_owned(),
            };
            let Ok(d) = ours.decide(&profile, &q) else {
                continue;
            };
            n += 1;
            let kernel = accept & 4 != 0;
            let mine = !d.allowed.is_empty();
            if kernel != mine {
                bad.push(format!(
                    "{} {profile} {q}: kernel {kernel}, armorlab {mine}",
                    file.display()
                ));
            }
        }
        // Capabilities, by number: the core's table must be in kernel number order, which
        // the oracle reads from the compiled policy's capability masks.
        for (num, name) in CAPABILITIES.iter().enumerate() {
            let kernel = theirs.capability_allowed(num as u32);
            let q = Query::Capability {
                name: (*name).to_owned(),
            };
            let Ok(d) = ours.decide(&profile, &q) else {
                continue;
            };
            n += 1;
            let mine = d.verdict == Verdict::Allow;
            // Complain and unconfined profiles allow at decision time, not in the mask.
            if kernel != mine && d.mode == armorlab_core::model::ProfileMode::Enforce {
                bad.push(format!(
                    "{} {profile} capability {name}: kernel {kernel}, armorlab {mine}",
                    file.display()
                ));
            }
        }
    }
    (n, bad)
}

/// Removes the temporary subject file when the test ends.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const RICH: &str = r#"
include <tunables/global>
profile rich flags=(attach_disconnected) {
  include <abstractions/base>
  capability chown dac_override,
  deny capability sys_admin,
  audit capability net_raw,
  mount fstype=tmpfs -> /tmp/**,
  mount options=(ro) /dev/sda1 -> /mnt/,
  mount options in (ro, nosuid, nodev) fstype=ext4 /dev/sd* -> /media/**,
  deny mount fstype=proc,
  umount /mnt/,
  umount /tmp/**,
  signal (send) set=(kill, term) peer=foo,
  signal (receive) peer=unconfined,
  deny signal (send) set=(kill) peer=runc,
  ptrace (read, readby) peer=docker-default,
  ptrace (trace) peer=foo,
  /etc/** r,
  owner /home/*/** rwl,
  other /srv/** r,
  audit /var/log/** w,
  deny /etc/shadow rwl,
  audit deny /etc/gshadow r,
  /usr/bin/* Px,
  /usr/bin/sh ix,
  /usr/local/bin/** Cx -> helper,
  /opt/** pix,
  /srv/bin/* Ux,
  link subset /tmp/l* -> /tmp/t*,
  link /run/a -> /run/b,
  /tmp/** rwk,
  /proc/sys/** r,
  deny /proc/sys/kernel/** w,
  profile helper {
    /usr/local/** r,
  }
  ^hat1 {
    /data/** rw,
  }
}
"#;

/// Network rules, against the `net_allowed_af` table that the parser writes for a feature
/// set with af_mask network mediation (the conformance suite's `features.all`). Compiled
/// with Debian's pinned set and no kernel to read features from, the parser writes no
/// network rules at all; loaded on Linux 6.1 it does (tests/kernel/run.sh).
fn compare_network(
    file: &Path,
    provider: &MemoryProvider,
    compiler: &Compiler,
) -> (usize, Vec<String>) {
    let Ok(oracle) = compiler.compile_file(file) else {
        return (0, Vec::new());
    };
    let text = std::fs::read_to_string(file).unwrap();
    let a = analyze(&file.to_string_lossy(), &text, provider);
    if a.has_errors() {
        return (0, Vec::new());
    }
    let Ok(ours) = compile(&a.policy, &a.sources) else {
        return (0, Vec::new());
    };
    let families = [
        ("unix", 1u16),
        ("inet", 2),
        ("inet6", 10),
        ("netlink", 16),
        ("packet", 17),
        ("bluetooth", 31),
        ("alg", 38),
        ("vsock", 40),
    ];
    let types = [
        ("stream", 1u16),
        ("dgram", 2),
        ("raw", 3),
        ("rdm", 4),
        ("seqpacket", 5),
        ("packet", 10),
    ];
    let mut n = 0;
    let mut bad = Vec::new();
    for profile in oracle.profiles() {
        let theirs = oracle.profile(&profile).unwrap();
        for (fname, f) in families {
            for (tname, t) in types {
                let Some(kernel) = theirs.net_allowed_af(f, t) else {
                    continue;
                };
                let q = Query::Network {
                    domain: fname.to_owned(),
                    sock_type: Some(tname.to_owned()),
                    protocol: None,
                };
                let Ok(d) = ours.decide(&profile, &q) else {
                    continue;
                };
                n += 1;
                let mine = !d.allowed.is_empty();
                if kernel != mine {
                    bad.push(format!(
                        "{} {profile} {q}: kernel {kernel}, armorlab {mine}",
                        file.display()
                    ));
                }
            }
        }
    }
    (n, bad)
}

#[test]
fn file_decisions_agree_with_the_compiled_policy() {
    if !parser_available() {
        println!("apparmor_parser is absent: the differential test is skipped");
        return;
    }
    let etc = Path::new("/etc/apparmor.d");
    if !etc.join("tunables/global").exists() {
        println!("/etc/apparmor.d is absent: the differential test is skipped");
        return;
    }
    let mut provider = MemoryProvider::new(["/etc/apparmor.d"]);
    load_dir(&mut provider, etc);
    let compiler = Compiler::with_includes(["/etc/apparmor.d"]);
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    let mut subjects: Vec<PathBuf> = vec![
        templates.join("docker-default.docs.apparmor"),
        templates.join("docker-default.rendered.apparmor"),
    ];
    // A profile exercising what the real profiles use little: mount options, ptrace and
    // signal sets, owner rules, exec modes, links, hats and children, audit and priority-free
    // deny combinations.
    let rich = std::env::temp_dir().join(format!(
        "armorlab-eval-rich-{}.apparmor",
        std::process::id()
    ));
    std::fs::write(&rich, RICH).unwrap();
    subjects.push(rich.clone());
    let mut etc_profiles: Vec<PathBuf> = std::fs::read_dir(etc)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    etc_profiles.sort();
    subjects.extend(etc_profiles);
    let mut total = 0;
    let _cleanup = Cleanup(rich);
    let mut all_bad = Vec::new();
    for s in &subjects {
        let (n, bad) = compare_subject(s, &provider, &compiler);
        println!("{}: {n} queries, {} disagreements", s.display(), bad.len());
        total += n;
        all_bad.extend(bad);
    }
    // Network, when the conformance data (with its feature file) is here.
    let features = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(2)
        .take(3)
        .map(|a| a.join("shared/conformance/apparmor-parser-tests/features_files/features.all"))
        .chain(std::env::var("ARMORLAB_SHARED").ok().map(|b| {
            PathBuf::from(b).join("conformance/apparmor-parser-tests/features_files/features.all")
        }))
        .find(|p| p.is_file());
    match features {
        Some(f) => {
            let all = Compiler {
                features: armorlab_oracle::Features::File(f),
                ..Compiler::with_includes(["/etc/apparmor.d"])
            };
            let mut net = 0;
            for s in &subjects {
                let (n, bad) = compare_network(s, &provider, &all);
                net += n;
                all_bad.extend(bad);
            }
            println!("network: {net} queries compared against net_allowed_af");
            total += net;
        }
        None => println!("features.all is absent: network is not compared"),
    }
    println!("{total} queries compared");
    // Every refusal, then a sample of the differing answers.
    for b in all_bad.iter().filter(|b| b.contains("rejects")) {
        println!("{b}");
    }
    for b in all_bad.iter().filter(|b| !b.contains("rejects")).take(40) {
        println!("{b}");
    }
    assert!(total > 10_000, "only {total} queries were compared");
    assert!(all_bad.is_empty(), "{} disagreements", all_bad.len());
}
