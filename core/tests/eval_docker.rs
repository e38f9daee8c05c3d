//! Kernel-verified facts about Docker's `docker-default`, decided by the evaluator.
//!
//! The models are built by hand from the rule lines of the templates (the resolver is not
//! there yet); `abstractions/base` is left out because none of its rules grant or deny
//! write access under `/proc` or `/sys/fs/cgroup`, nor read access to `/proc/kcore`.
// Test code: panicking on a broken fixture is the point, and helpers are not API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod eval_common;

use armorlab_core::eval::{compile, parse_denial, parse_query, CompiledPolicy, Decision, Verdict};
use armorlab_core::model::Effect;
use eval_common::{build, Spec};

const DOCS: &str = include_str!("../../templates/docker-default.docs.apparmor");
const RENDERED: &str = include_str!("../../templates/docker-default.rendered.apparmor");

const DOCS_RULES: &[&str] = &[
    "network,",
    "capability,",
    "file,",
    "umount,",
    "deny @{PROC}/{*,**^[0-9*],sys/kernel/shm*} wkx,",
    "deny @{PROC}/sysrq-trigger rwklx,",
    "deny @{PROC}/mem rwklx,",
    "deny @{PROC}/kmem rwklx,",
    "deny @{PROC}/kcore rwklx,",
    "deny mount,",
    "deny /sys/[^f]*/** wklx,",
    "deny /sys/f[^s]*/** wklx,",
    "deny /sys/fs/[^c]*/** wklx,",
    "deny /sys/fs/c[^g]*/** wklx,",
    "deny /sys/fs/cg[^r]*/** wklx,",
    "deny /sys/firmware/efi/efivars/** rwklx,",
    "deny /sys/kernel/security/** rwklx,",
];

const RENDERED_RULES: &[&str] = &[
    "network,",
    "deny network alg,",
    "capability,",
    "file,",
    "umount,",
    "signal (receive) peer=unconfined,",
    "signal (receive) peer=runc,",
    "signal (receive) peer=crun,",
    "signal (receive) peer=\"unconfined\",",
    "signal (send,receive) peer=\"docker-default\",",
    "deny @{PROC}/* w,",
    "deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,",
    "deny @{PROC}/sys/[^k]** w,",
    "deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,",
    "deny @{PROC}/sysrq-trigger rwklx,",
    "deny @{PROC}/kcore rwklx,",
    "deny mount,",
    "deny /sys/[^f]*/** wklx,",
    "deny /sys/f[^s]*/** wklx,",
    "deny /sys/fs/[^c]*/** wklx,",
    "deny /sys/fs/c[^g]*/** wklx,",
    "deny /sys/fs/cg[^r]*/** wklx,",
    "deny /sys/firmware/** rwklx,",
    "deny /sys/devices/virtual/powercap/** rwklx,",
    "deny /sys/kernel/security/** rwklx,",
    "ptrace (trace,tracedby,read,readby) peer=\"docker-default\",",
];

fn docs() -> CompiledPolicy {
    let (policy, sources) = build(
        "docker-default.docs.apparmor",
        DOCS,
        Spec::new("docker-default", DOCS_RULES),
        None,
    );
    compile(&policy, &sources).unwrap()
}

fn rendered() -> CompiledPolicy {
    let (policy, sources) = build(
        "docker-default.rendered.apparmor",
        RENDERED,
        Spec::new("docker-default", RENDERED_RULES),
        Some("abi/3.0"),
    );
    compile(&policy, &sources).unwrap()
}

fn ask(p: &CompiledPolicy, q: &str) -> Decision {
    p.decide("docker-default", &parse_query(q).unwrap())
        .unwrap()
}

fn deciding_texts(d: &Decision) -> Vec<String> {
    d.rules.iter().map(|r| r.text.clone()).collect()
}

#[test]
fn docs_sysrq_trigger_write_is_denied_by_its_deny_rules() {
    let d = ask(&docs(), "w /proc/sysrq-trigger");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.denied, "w");
    // Both the catch-all `{*,...}` rule and the sysrq rule deny it; plain deny is quiet.
    let texts = deciding_texts(&d);
    assert!(
        texts.contains(&"deny @{PROC}/sysrq-trigger rwklx".to_owned()),
        "{texts:?}"
    );
    assert!(texts.contains(&"deny @{PROC}/{*,**^[0-9*],sys/kernel/shm*} wkx".to_owned()));
    assert!(d.rules.iter().all(|r| r.effect == Effect::Deny));
    assert_eq!(d.quiet, "w");
    let sysrq = d.rules.iter().find(|r| r.text.contains("sysrq")).unwrap();
    assert_eq!(sysrq.file, "docker-default.docs.apparmor");
    assert_eq!(sysrq.line, 15);
    assert_eq!(sysrq.column, 3);
}

#[test]
fn docs_core_pattern_write_is_allowed_because_caret_is_literal() {
    // `**^[0-9*]` needs a literal `^` in the path, so nothing denies core_pattern and
    // `file,` allows it (kernel-verified: the docs profile leaves core_pattern writable).
    let d = ask(&docs(), "w /proc/sys/kernel/core_pattern");
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
    assert_eq!(deciding_texts(&d), vec!["file".to_owned()]);
}

#[test]
fn docs_shmmax_write_is_denied_by_the_shm_alternative() {
    let d = ask(&docs(), "w /proc/sys/kernel/shmmax");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(
        deciding_texts(&d),
        vec!["deny @{PROC}/{*,**^[0-9*],sys/kernel/shm*} wkx".to_owned()]
    );
}

#[test]
fn docs_uptime_write_is_denied_by_star() {
    let d = ask(&docs(), "w /proc/uptime");
    assert_eq!(d.verdict, Verdict::Deny);
}

#[test]
fn docs_cgroup_procs_write_is_allowed() {
    let d = ask(&docs(), "w /sys/fs/cgroup/cgroup.procs");
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.allowed, "w");
}

#[test]
fn docs_kcore_read_is_denied() {
    let d = ask(&docs(), "r /proc/kcore");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(
        deciding_texts(&d),
        vec!["deny @{PROC}/kcore rwklx".to_owned()]
    );
}

#[test]
fn rendered_sysrq_trigger_write_is_denied() {
    // `deny @{PROC}/* w` and `deny @{PROC}/sysrq-trigger rwklx` both match.
    let d = ask(&rendered(), "w /proc/sysrq-trigger");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.rules.len(), 2, "{:?}", deciding_texts(&d));
}

#[test]
fn rendered_core_pattern_write_is_denied() {
    // `core_pattern` starts `c`,`o`,`r`: it matches `[^s][^h][^m]**` in
    // `deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w`, which spares only names
    // starting with `shm` (and the first component `sys` escapes the other rules).
    let d = ask(&rendered(), "w /proc/sys/kernel/core_pattern");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(
        deciding_texts(&d),
        vec!["deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w".to_owned()]
    );
}

#[test]
fn rendered_shmmax_write_is_allowed() {
    // `shmmax` begins with `shm`, so `[^s][^h][^m]**` fails on the first letter, `?` and
    // `??` are too short, `sys/[^k]**` fails on `kernel`, and the `{...}/**` rule's
    // alternatives all reject the first component `sys`: only `file,` matches.
    let d = ask(&rendered(), "w /proc/sys/kernel/shmmax");
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(deciding_texts(&d), vec!["file".to_owned()]);
}

#[test]
fn rendered_uptime_write_is_denied() {
    let d = ask(&rendered(), "w /proc/uptime");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(deciding_texts(&d), vec!["deny @{PROC}/* w".to_owned()]);
}

#[test]
fn rendered_cgroup_procs_write_is_allowed() {
    let d = ask(&rendered(), "w /sys/fs/cgroup/cgroup.procs");
    assert_eq!(d.verdict, Verdict::Allow);
}

#[test]
fn rendered_kcore_read_is_denied() {
    let d = ask(&rendered(), "r /proc/kcore");
    assert_eq!(d.verdict, Verdict::Deny);
}

#[test]
fn rendered_other_classes() {
    let p = rendered();
    assert_eq!(ask(&p, "capability sys_admin").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "network inet stream").verdict, Verdict::Allow);
    let alg = ask(&p, "network alg seqpacket");
    assert_eq!(alg.verdict, Verdict::Deny);
    assert_eq!(deciding_texts(&alg), vec!["deny network alg".to_owned()]);
    assert_eq!(ask(&p, "mount /dev/sda1 -> /mnt").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "umount /mnt").verdict, Verdict::Allow);
    assert_eq!(
        ask(&p, "signal receive set=kill peer=runc").verdict,
        Verdict::Allow
    );
    assert_eq!(
        ask(&p, "signal send set=kill peer=unconfined").verdict,
        Verdict::Deny
    );
    assert_eq!(
        ask(&p, "ptrace trace peer=docker-default").verdict,
        Verdict::Allow
    );
    assert_eq!(
        ask(&p, "ptrace trace peer=unconfined").verdict,
        Verdict::Deny
    );
    // Under abi 3.0, `network,` still covers unix sockets.
    let u = ask(&p, "unix connect type=stream");
    assert_eq!(u.verdict, Verdict::Allow);
    assert!(u.notes.iter().any(|n| n.contains("abi")), "{:?}", u.notes);
    // Nothing allows change_profile or userns.
    assert_eq!(ask(&p, "change_profile -> foo").verdict, Verdict::Deny);
}

#[test]
fn docs_x_on_a_regular_binary_inherits() {
    let d = ask(&docs(), "x /usr/bin/ls");
    assert_eq!(d.verdict, Verdict::Allow);
    let x = d.exec.unwrap();
    assert_eq!(x.mode, "ix");
    assert_eq!(x.target.as_deref(), Some("docker-default"));
}

#[test]
fn a_kernel_denial_line_is_explained() {
    // What `dmesg` shows when a container writes sysrq-trigger under the docs profile.
    let line = r#"[ 8512.116340] audit: type=1400 audit(1732530000.123:77): apparmor="DENIED" operation="open" class="file" profile="docker-default" name="/proc/sysrq-trigger" pid=31337 comm="sh" requested_mask="w" denied_mask="w" fsuid=0 ouid=0"#;
    let (profile, q) = parse_denial(line).unwrap();
    let d = docs().decide(&profile, &q).unwrap();
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(deciding_texts(&d).contains(&"deny @{PROC}/sysrq-trigger rwklx".to_owned()));
}

// proptest is a native-only dev-dependency.
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any query text that parses gets a decision or a clean error, never a panic;
        /// and a file decision's letters partition the request.
        #[test]
        fn any_parsed_query_is_decided(text in "(r|w|rw|x|l|m|k|a|other w) /[a-z/.*?\\[\\]{}^-]{0,30}( -> /[a-z/]{0,10})?|capability [a-z_]{1,12}|network [a-z0-9]{1,8}( [a-z]{1,6})?|signal (send|receive) peer=[a-z/&]{1,10}|ptrace (read|trace) peer=[a-z]{1,8}|umount /[a-z/]{0,10}|mount /dev/[a-z]{1,5} -> /[a-z/]{0,10}|change_profile -> [a-z/]{1,10}|rlimit nofile [0-9a-zA-Z]{1,8}") {
            let p = rendered();
            if let Ok(q) = parse_query(&text) {
                if let Ok(d) = p.decide("docker-default", &q) {
                    if let armorlab_core::eval::Query::File { perms, .. } = &q {
                        let mut both: Vec<char> = d.allowed.chars().chain(d.denied.chars()).collect();
                        both.sort_unstable();
                        let mut want: Vec<char> = perms.letters().chars().collect();
                        want.sort_unstable();
                        prop_assert_eq!(both, want);
                    }
                }
            }
        }
    }
}
