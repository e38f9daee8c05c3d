//! Facts about Docker's documented `docker-default` that were observed on a real kernel
//! (Debian 12, Linux 6.1) with the profile loaded. The oracle must reproduce every one
//! of them from its own walk of the compiled file DFA; this is what validates it.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use armorlab_oracle::{BinaryPolicy, Compiler, LinkDecision};

fn docs_policy() -> BinaryPolicy {
    Compiler::with_includes(["/etc/apparmor.d"])
        .compile_file(&common::template("docker-default.docs.apparmor"))
        .unwrap()
}

/// (request, path, allowed on the kernel).
const FACTS: [(&str, &str, bool); 6] = [
    ("w", "/proc/sysrq-trigger", false),
    ("w", "/proc/sys/kernel/core_pattern", true),
    ("w", "/proc/sys/kernel/shmmax", false),
    ("w", "/proc/uptime", false),
    ("w", "/sys/fs/cgroup/cgroup.procs", true),
    ("r", "/proc/kcore", false),
];

#[test]
fn docker_default_docs_matches_the_kernel() {
    if !common::parser_or_skip("docker_default_docs_matches_the_kernel") {
        return;
    }
    let policy = docs_policy();
    assert_eq!(policy.profiles(), vec!["docker-default".to_string()]);
    // Inside a container the task is root and so are these files: owner. The facts do
    // not depend on ownership in this profile, so both halves must agree.
    for owner in [true, false] {
        for (req, path, allowed) in FACTS {
            let perms = policy.file_perms("docker-default", path, owner).unwrap();
            assert_eq!(
                perms.allows(req),
                allowed,
                "`{req}` on `{path}` (owner {owner}): oracle says allow `{}`",
                perms.allow
            );
            // A kernel denial by a plain `deny` rule is silent: the quiet bit is set.
            if !allowed {
                assert!(
                    perms.quiet.contains(req),
                    "denial of `{req}` on `{path}` should be quiet, quiet is `{}`",
                    perms.quiet
                );
            }
        }
    }
}

#[test]
fn docker_default_docs_other_answers() {
    if !common::parser_or_skip("docker_default_docs_other_answers") {
        return;
    }
    let policy = docs_policy();
    let p = policy.profile("docker-default").unwrap();
    // `file,` grants everything with inherit exec where no deny applies.
    let etc = p.file_perms("/etc/passwd", true).unwrap();
    assert_eq!(etc.allow, "rwaxmkl");
    assert_eq!(etc.exec_letters().as_deref(), Some("ix"));
    // `deny @{PROC}/* wkx`: /proc/uptime keeps r, m and l (l is decided on the pair).
    let up = p.file_perms("/proc/uptime", true).unwrap();
    assert_eq!(up.allow, "rml");
    assert!(up.exec.is_none());
    // The glob `**^[0-9*]` is a parser quirk: the `*` inside the brackets expands to
    // `[^/\x00]*`, which closes the class early, so (per `apparmor_parser -D rule-exprs`)
    // the alternative compiles to `[^\x00]*\^[\x00/0-9\[^]*\]`: a literal `^`, any run
    // of NUL, `/`, digits, `[` or `^`, then a literal `]`. So `x^5` in a subdirectory is
    // NOT denied, while `b^5]` is.
    let caret = p.file_perms("/proc/sys/kernel/x^5", true).unwrap();
    assert!(caret.allows("w"), "{caret:?}");
    let closed = p.file_perms("/proc/a/b^5]", true).unwrap();
    assert!(!closed.allows("w"), "{closed:?}");
    let slashes = p.file_perms("/proc/a/b^1/2]", true).unwrap();
    assert!(!slashes.allows("w"), "{slashes:?}");
    let letter = p.file_perms("/proc/a/b^x]", true).unwrap();
    assert!(letter.allows("w"), "{letter:?}");
    // `/sys/kernel/security/**` is denied `rwklx`. The single-path entry keeps `l`
    // (and `m`, which the rule does not name): `l` in a file rule compiles to a
    // link-pair rule, so the denial shows up when the kernel walks the pair.
    let sec = p
        .file_perms("/sys/kernel/security/apparmor/profiles", true)
        .unwrap();
    assert_eq!(sec.allow, "ml");
    assert_eq!(
        p.link_allowed("/sys/kernel/security/x", "/tmp/target", true)
            .unwrap(),
        LinkDecision::Denied("target restricted")
    );
    assert_eq!(
        p.link_allowed("/tmp/link", "/tmp/target", true).unwrap(),
        LinkDecision::Allowed
    );
    // Every capability is allowed (`capability,`).
    assert!(p.capability_allowed(0));
    assert!(p.capability_allowed(21));
    assert!(
        p.has_policydb(),
        "Debian's feature set has mount rules in a policydb"
    );
}
