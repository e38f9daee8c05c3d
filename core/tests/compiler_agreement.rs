//! Regressions found by the differential test against apparmor_parser 3.0.8: each test
//! goes from profile text through the resolver and the evaluator, and its expected values
//! were read off the masks the real compiler prints with `-Q -K -D rule-exprs` (the mask
//! is quoted next to each case).
// Test code: panicking on a broken fixture is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use armorlab_core::analysis::analyze;
use armorlab_core::eval::{compile, parse_query, CompiledPolicy, Decision};
use armorlab_core::NoIncludes;

fn compiled(text: &str) -> CompiledPolicy {
    let a = analyze("t.apparmor", text, &NoIncludes);
    let errors: Vec<_> = a.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    compile(&a.policy, &a.sources).unwrap()
}

fn ask(p: &CompiledPolicy, profile: &str, q: &str) -> Decision {
    p.decide(profile, &parse_query(q).unwrap()).unwrap()
}

/// The exec mode allowed for `x PATH` in profile `t` of `rules`.
fn exec_mode(rules: &str, path: &str) -> String {
    let p = compiled(&format!("profile t {{\n{rules}\n}}\nprofile bar {{}}\n"));
    let d = ask(&p, "t", &format!("x {path}"));
    d.exec.map(|e| e.mode).unwrap_or_default()
}

#[test]
fn perms_first_exec_rules_take_scrubbing_from_the_letter_case() {
    // `px /foo1,` and `/foo1 px,` both compile to 0x2404901 (unsafe bit set), `Px /foo1,`
    // and `/foo1 Px,` both to 0x2004801.
    assert_eq!(exec_mode("px /foo1,", "/foo1"), "px");
    assert_eq!(exec_mode("/foo1 px,", "/foo1"), "px");
    assert_eq!(exec_mode("Px /foo1,", "/foo1"), "Px");
    // `ux /foo3,` compiles like `/foo3 ux,`, `cx` like `/f cx`.
    assert_eq!(exec_mode("ux /foo3,", "/foo3"), "ux");
    assert_eq!(exec_mode("cx /bin/a,", "/bin/a"), "cx");
    // `pux` in front: 0x2604981, the same as `/bin/ls pux,`.
    assert_eq!(exec_mode("pux /bin/ls,", "/bin/ls"), "pux");
}

#[test]
fn safe_and_unsafe_override_the_letter_case() {
    // `safe /foo1 px,` and `safe px /foo1,` compile to 0x2004801 (scrubbing), `unsafe
    // /foo1 Px,` and `unsafe Px /foo1,` to 0x2404901 (no scrubbing).
    assert_eq!(exec_mode("safe /foo1 px,", "/foo1"), "Px");
    assert_eq!(exec_mode("safe px /foo1,", "/foo1"), "Px");
    assert_eq!(exec_mode("unsafe /foo1 Px,", "/foo1"), "px");
    assert_eq!(exec_mode("unsafe Px /foo1,", "/foo1"), "px");
    // `safe /foo1 pux,` compiles to 0x2204881, the mask of `/foo1 PUx,`.
    assert_eq!(exec_mode("safe /foo1 pux,", "/foo1"), "PUx");
}

#[test]
fn a_named_transition_keeps_only_the_fallback_and_unsafe_bits() {
    // `/t/a ix -> /target,` compiles to 0x4905241, the mask of `Pix -> /target`;
    // `unsafe ... ix -> /target` to 0x4d05341 (`pix`).
    assert_eq!(exec_mode("/t/a ix -> /target,", "/t/a"), "Pix");
    assert_eq!(exec_mode("unsafe /t/a ix -> /target,", "/t/a"), "pix");
    // `ux -> /target` compiles to 0x4405101 like `px -> /target`, `Ux` to 0x4005001
    // like `Px`: no unconfined fallback is left.
    assert_eq!(exec_mode("/t/a ux -> /target,", "/t/a"), "px");
    assert_eq!(exec_mode("/t/a Ux -> /target,", "/t/a"), "Px");
    assert_eq!(exec_mode("ix /t/a -> /target,", "/t/a"), "Pix");
    // The deprecated combined forms (upstream link/depricated2.sd and 3.sd): 0x4945251
    // and 0x4445111, the masks above plus `l`.
    assert_eq!(exec_mode("/link/** lix -> /target,", "/link/9"), "Pix");
    assert_eq!(exec_mode("/link/** lux -> /target,", "/link/1/2"), "px");
    let d = decide_rules("/t/a ix -> /target,", "x /t/a");
    assert_eq!(d.exec.unwrap().target.as_deref(), Some("/target"));
}

fn decide_rules(rules: &str, q: &str) -> Decision {
    let p = compiled(&format!("profile t {{\n{rules}\n}}\n"));
    ask(&p, "t", q)
}

#[test]
fn a_path_first_arrow_does_not_restrict_the_link_target() {
    // `/tmp/foo l -> /tmp/bar,` compiles to `/tmp/foo\x00/[^/].*` (any target), while
    // `l /tmp/foo -> /tmp/bar,` compiles to `/tmp/foo\x00/tmp/bar`.
    let d = decide_rules("/tmp/foo l -> /tmp/bar,", "l /tmp/foo -> /etc/shadow");
    assert_eq!(d.verdict, armorlab_core::eval::Verdict::Allow);
    // `/link/** lpx -> /target,` (upstream link/depricated1.sd): 0x4445111 on the path and
    // the any-target pair; for a file the task does not own any target will do, for an
    // owned one the subset marker of the owner half refuses a target without `x`.
    let rule = "/link/** lpx -> /target,";
    let d = decide_rules(rule, "other l /link/a/b -> /etc/shadow");
    assert_eq!(d.verdict, armorlab_core::eval::Verdict::Allow);
    let d = decide_rules(rule, "owner l /link/a/b -> /etc/shadow");
    assert_eq!(d.verdict, armorlab_core::eval::Verdict::Deny);
    let d = decide_rules(rule, "owner l /link/a/b -> /link/a/c");
    assert_eq!(d.verdict, armorlab_core::eval::Verdict::Allow);
    let d = decide_rules("l /tmp/foo -> /tmp/bar,", "l /tmp/foo -> /etc/shadow");
    assert_eq!(d.verdict, armorlab_core::eval::Verdict::Deny);
    let d = decide_rules("l /tmp/foo -> /tmp/bar,", "l /tmp/foo -> /tmp/bar");
    assert_eq!(d.verdict, armorlab_core::eval::Verdict::Allow);
    // The dropped target is worth a warning, not an error: the parser accepts the rule.
    let a = analyze(
        "t.apparmor",
        "profile t {\n/tmp/foo l -> /tmp/bar,\n}\n",
        &NoIncludes,
    );
    assert!(a.diagnostics.iter().all(|d| !d.is_error()));
    assert!(a
        .diagnostics
        .iter()
        .any(|d| d.code == "ignored-exec-target"));
}

#[test]
fn a_global_exec_path_keeps_its_value_inside_an_attached_profile() {
    // Upstream vars/vars_auto_exec_path_09.sd: with `@{exec_path}=/path` defined,
    // apparmor_parser 3.0.8 compiles `@{exec_path} rwk,` to `/path` (mask 0xb802e, `rwak`)
    // and leaves only `rix` on the attachment (0x914245).
    for var in ["exec_path", "attach_path"] {
        let text = format!(
            "@{{{var}}}=/path\nprofile /a/test/profile {{\n  /a/test/profile rix,\n  @{{{var}}} rwk,\n}}\n"
        );
        let p = compiled(&text);
        let d = ask(&p, "/a/test/profile", "rwk /path");
        assert_eq!(d.allowed, "rwk", "{var}");
        let d = ask(&p, "/a/test/profile", "w /a/test/profile");
        assert_eq!(d.allowed, "", "{var}");
    }
    // Undefined, the name stands for the attachment, as in apparmor_parser 4.0 and later.
    let p = compiled("profile /a/test/profile {\n  @{exec_path} rwk,\n}\n");
    let d = ask(&p, "/a/test/profile", "w /a/test/profile");
    assert_eq!(d.allowed, "w");
}

#[test]
fn a_global_exec_path_used_in_an_attached_profile_is_flagged() {
    let text = "@{exec_path}=/path\nprofile /a/test/profile {\n  @{exec_path} rwk,\n}\n";
    let a = analyze("t.apparmor", text, &NoIncludes);
    let w: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.code == "version-dependent-variable")
        .collect();
    assert_eq!(w.len(), 1, "{:#?}", a.diagnostics);
    assert!(!w[0].is_error());
    assert_eq!(w[0].line, 3);
    // Without an attachment, or when the value is the attachment, nothing differs.
    for quiet in [
        "@{exec_path}=/path\nprofile p {\n  @{exec_path} rwk,\n}\n",
        "@{exec_path}=/path\nprofile @{exec_path} {\n  @{exec_path} rwk,\n}\n",
    ] {
        let a = analyze("t.apparmor", quiet, &NoIncludes);
        assert!(
            a.diagnostics
                .iter()
                .all(|d| d.code != "version-dependent-variable"),
            "{quiet}: {:#?}",
            a.diagnostics
        );
    }
}
