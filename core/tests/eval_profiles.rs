//! Decisions from profile text: the templates go through `analyze` (parser and resolver,
//! with the real `/etc/apparmor.d` includes) and then through the evaluator, and must give
//! the kernel-verified answers.
//!
//! When `/etc/apparmor.d` is absent the tests that need it say so and return.
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
use armorlab_core::eval::{compile, parse_query, CompiledPolicy, Verdict};
use armorlab_core::MemoryProvider;
use std::path::Path;

const DOCS: &str = include_str!("../../templates/docker-default.docs.apparmor");
const RENDERED: &str = include_str!("../../templates/docker-default.rendered.apparmor");

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

/// The includes of `/etc/apparmor.d` (tunables, abstractions, abi), or `None` when the
/// machine has none.
fn etc_provider() -> Option<MemoryProvider> {
    let root = Path::new("/etc/apparmor.d");
    if !root.join("tunables/global").exists() {
        println!("/etc/apparmor.d is absent: the include-based tests are skipped");
        return None;
    }
    let mut p = MemoryProvider::new(["/etc/apparmor.d"]);
    for sub in ["tunables", "abstractions", "abi"] {
        load_dir(&mut p, &root.join(sub));
    }
    Some(p)
}

fn compiled(name: &str, text: &str, provider: &MemoryProvider) -> CompiledPolicy {
    let a = analyze(name, text, provider);
    let errors: Vec<_> = a.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    compile(&a.policy, &a.sources).unwrap()
}

fn verdict(p: &CompiledPolicy, q: &str) -> Verdict {
    p.decide("docker-default", &parse_query(q).unwrap())
        .unwrap()
        .verdict
}

#[test]
fn docs_profile_from_text_gives_the_kernel_answers() {
    let Some(provider) = etc_provider() else {
        return;
    };
    let p = compiled("docker-default.docs.apparmor", DOCS, &provider);
    for (q, want) in [
        ("w /proc/sysrq-trigger", Verdict::Deny),
        ("w /proc/sys/kernel/core_pattern", Verdict::Allow),
        ("w /proc/sys/kernel/shmmax", Verdict::Deny),
        ("w /proc/uptime", Verdict::Deny),
        ("w /sys/fs/cgroup/cgroup.procs", Verdict::Allow),
        ("r /proc/kcore", Verdict::Deny),
    ] {
        assert_eq!(verdict(&p, q), want, "{q}");
    }
    // The deciding rule points into the template, line and column included.
    let d = p
        .decide("docker-default", &parse_query("r /proc/kcore").unwrap())
        .unwrap();
    assert_eq!(d.rules.len(), 1, "{:?}", d.rules);
    assert_eq!(d.rules[0].file, "docker-default.docs.apparmor");
    assert_eq!(d.rules[0].line, 18);
    // A rule from abstractions/base decides reading /etc/ld.so.cache? No: `file,` already
    // allows it, and both are reported as allow rules.
    let d = p
        .decide("docker-default", &parse_query("r /dev/urandom").unwrap())
        .unwrap();
    assert_eq!(d.verdict, Verdict::Allow);
    assert!(
        d.rules
            .iter()
            .any(|r| r.file.ends_with("abstractions/base") && r.text.contains("/dev/urandom")),
        "{:?}",
        d.rules
    );
}

#[test]
fn rendered_profile_from_text_gives_the_answers_its_rules_imply() {
    let Some(provider) = etc_provider() else {
        return;
    };
    let p = compiled("docker-default.rendered.apparmor", RENDERED, &provider);
    // Reasoning in eval_docker.rs: core_pattern falls to `[^s][^h][^m]**`, shmmax escapes
    // every deny rule, `/proc/*` covers uptime and sysrq-trigger.
    for (q, want) in [
        ("w /proc/sysrq-trigger", Verdict::Deny),
        ("w /proc/sys/kernel/core_pattern", Verdict::Deny),
        ("w /proc/sys/kernel/shmmax", Verdict::Allow),
        ("w /proc/uptime", Verdict::Deny),
        ("w /sys/fs/cgroup/cgroup.procs", Verdict::Allow),
        ("r /proc/kcore", Verdict::Deny),
        ("network alg seqpacket", Verdict::Deny),
        ("signal receive set=term peer=runc", Verdict::Allow),
        ("ptrace read peer=docker-default", Verdict::Allow),
        ("mount /dev/sda1 -> /mnt", Verdict::Deny),
    ] {
        assert_eq!(verdict(&p, q), want, "{q}");
    }
}

#[test]
fn profile_text_without_includes() {
    let text = "abi <abi/4.0>,\nprofile t flags=(complain) {\n  network,\n  /usr/bin/* Px,\n  /usr/bin/sh ix,\n  deny /etc/shadow r,\n  ^hat {\n    /tmp/** rw,\n  }\n}\n";
    // The abi file must exist for the resolver; its content (a feature list) does not
    // matter to the evaluator, which reads the declared version.
    let mut provider = MemoryProvider::new(["/etc/apparmor.d"]);
    provider.insert("/etc/apparmor.d/abi/4.0", "# abi 4.0 features\n");
    let a = analyze("t.apparmor", text, &provider);
    assert!(!a.has_errors(), "{:#?}", a.diagnostics);
    let p = compile(&a.policy, &a.sources).unwrap();
    assert_eq!(p.profile_names(), vec!["t".to_owned(), "t//hat".to_owned()]);
    let ask = |prof: &str, q: &str| p.decide(prof, &parse_query(q).unwrap()).unwrap();
    assert_eq!(ask("t", "x /usr/bin/ls").exec.unwrap().mode, "Px");
    assert_eq!(ask("t", "x /usr/bin/sh").exec.unwrap().mode, "ix");
    let shadow = ask("t", "r /etc/shadow");
    assert_eq!(shadow.verdict, Verdict::Deny);
    assert!(shadow.complain_note.is_some());
    assert_eq!(shadow.rules[0].line, 6);
    // Complain mode lets the rest through.
    assert_eq!(ask("t", "w /etc/passwd").verdict, Verdict::Allow);
    // abi 4.0: `network,` does not cover unix sockets.
    assert!(ask("t", "unix connect")
        .notes
        .iter()
        .any(|n| n.contains("abi/4.0")));
    // The hat has the change_hat rules.
    let h = ask("t//hat", "w /proc/42/attr/current");
    assert_eq!(h.verdict, Verdict::Allow);
    assert!(h.rules.iter().any(|r| r.implicit));
    assert_eq!(ask("t//hat", "w /tmp/a/b").verdict, Verdict::Allow);
}
