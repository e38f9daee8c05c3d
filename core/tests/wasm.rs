//! The core compiled to wasm32 and run in headless Chromium (wasm-bindgen-test): the same
//! pipeline the playground runs, from profile text to decisions, with includes served from
//! memory as the browser serves them.
//!
//! Run with `scripts/test.sh wasm` (natively these tests run too, as ordinary tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use armorlab_core::eval::{compile, parse_query, Verdict};
use armorlab_core::{analyze, MemoryProvider};

const DOCS: &str = include_str!("../../templates/docker-default.docs.apparmor");

/// The two includes docker-default needs, reduced to what decides these queries: `@{PROC}`
/// from tunables and a base abstraction that grants nothing under /proc or /sys.
fn provider() -> MemoryProvider {
    let mut p = MemoryProvider::new(["/etc/apparmor.d"]);
    p.insert("/etc/apparmor.d/tunables/global", "@{PROC}=/proc/\n");
    p.insert(
        "/etc/apparmor.d/abstractions/base",
        "/etc/ld.so.cache r,\n/{usr/,}lib{,32,64}/** mr,\n",
    );
    p
}

fn verdict(text: &str, query: &str) -> Verdict {
    let analysis = analyze("docker-default", text, &provider());
    assert!(
        !analysis.has_errors(),
        "unexpected diagnostics: {:?}",
        analysis.diagnostics
    );
    let compiled = compile(&analysis.policy, &analysis.sources).unwrap();
    let q = parse_query(query).unwrap();
    compiled.decide("docker-default", &q).unwrap().verdict
}

#[test]
fn docs_docker_default_decides_as_the_kernel_in_wasm() {
    assert_eq!(verdict(DOCS, "w /proc/sysrq-trigger"), Verdict::Deny);
    assert_eq!(
        verdict(DOCS, "w /proc/sys/kernel/core_pattern"),
        Verdict::Allow
    );
    assert_eq!(verdict(DOCS, "w /proc/sys/kernel/shmmax"), Verdict::Deny);
    assert_eq!(verdict(DOCS, "w /proc/uptime"), Verdict::Deny);
    assert_eq!(
        verdict(DOCS, "w /sys/fs/cgroup/cgroup.procs"),
        Verdict::Allow
    );
    assert_eq!(verdict(DOCS, "r /proc/kcore"), Verdict::Deny);
}

#[test]
fn an_edit_changes_the_verdict_in_wasm() {
    let edited = DOCS.replace("deny @{PROC}/sysrq-trigger rwklx,", "");
    // Without its own rule, /proc/sysrq-trigger is still denied by `@{PROC}/*`.
    assert_eq!(verdict(&edited, "w /proc/sysrq-trigger"), Verdict::Deny);
    // ...but reading it is then allowed by `file,`.
    assert_eq!(verdict(&edited, "r /proc/sysrq-trigger"), Verdict::Allow);
    assert_eq!(verdict(DOCS, "r /proc/sysrq-trigger"), Verdict::Deny);
}

#[test]
fn broken_input_gives_diagnostics_not_a_crash_in_wasm() {
    let analysis = analyze(
        "broken",
        "profile x {\n  /etc/passwd rw\n  deny /{a,b\n",
        &provider(),
    );
    assert!(analysis.has_errors());
    assert!(analysis.diagnostics.iter().all(|d| d.line >= 1));
}
