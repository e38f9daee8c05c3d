//! Defects a review found in the evaluator, each pinned by a test: queries that must be
//! refused instead of decided, non-canonical paths, notes that must match the profile's
//! mode, and exec explanations for targets the policy lacks.
// Test code: panicking on a broken fixture is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod eval_common;

use armorlab_core::eval::{compile, parse_query, CompiledPolicy, Decision, Query, Verdict};
use armorlab_core::model::ProfileMode;
use eval_common::{build, Spec};

fn policy_with(text: &str, mode: ProfileMode) -> CompiledPolicy {
    let rules: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut spec = Spec::new("t", &rules);
    spec.mode = mode;
    let full = format!("profile t {{\n{text}\n}}\n");
    let (policy, sources) = build("t.apparmor", &full, spec, None);
    compile(&policy, &sources).unwrap()
}

fn ask(p: &CompiledPolicy, q: &str) -> Decision {
    p.decide("t", &parse_query(q).unwrap()).unwrap()
}

/// Asserts that `text` is refused, that the span covers `at`, and that the help mentions
/// every word of `help_has`.
fn refused(text: &str, at: &str, help_has: &[&str]) {
    let e = match parse_query(text) {
        Ok(q) => panic!("`{text}` was accepted as {q:?}"),
        Err(e) => e,
    };
    assert_eq!(&text[e.span.range()], at, "span for `{text}`: {e:?}");
    let help = e.help.clone().unwrap_or_default();
    for h in help_has {
        assert!(help.contains(h), "help for `{text}` lacks `{h}`: {help}");
    }
    assert!(
        !e.message.ends_with('.') && e.message.chars().next().is_some_and(|c| !c.is_uppercase()),
        "{}",
        e.message
    );
}

#[test]
fn network_words_are_checked_against_the_parser_tables() {
    refused("network bogus", "bogus", &["`inet`", "`netlink`"]);
    refused("network inet bogus", "bogus", &["`stream`", "`tcp`"]);
    refused("network inet stream bogus", "bogus", &["`tcp`", "`udp`"]);
    refused("network inet tcp stream", "stream", &[]);
    // Under `network,` the bad ones were decided allow; the good ones still are.
    let p = policy_with("network,", ProfileMode::Enforce);
    for ok in [
        "network inet",
        "network inet stream",
        "network inet tcp",
        "network inet6 dgram udp",
        "network netlink raw",
    ] {
        assert_eq!(ask(&p, ok).verdict, Verdict::Allow, "{ok}");
    }
    // A protocol alone is read as a protocol, so it selects the type it implies.
    assert_eq!(
        parse_query("network inet tcp").unwrap(),
        Query::Network {
            domain: "inet".into(),
            sock_type: None,
            protocol: Some("tcp".into())
        }
    );
    let s = policy_with("network inet stream,", ProfileMode::Enforce);
    assert_eq!(ask(&s, "network inet tcp").verdict, Verdict::Allow);
    assert_eq!(ask(&s, "network inet udp").verdict, Verdict::Deny);
}

#[test]
fn signals_are_checked_like_apparmor_parser_does() {
    refused(
        "signal send set=bogus peer=x",
        "bogus",
        &["`kill`", "rtmin+N"],
    );
    // apparmor_parser 3.0.8 takes rtmin+0 up to rtmin+32 and refuses rtmin+33.
    refused("signal send set=rtmin+33 peer=x", "rtmin+33", &["32"]);
    refused("signal send set=rtmin+x peer=x", "rtmin+x", &[]);
    for (text, sig) in [
        ("signal send set=kill peer=x", "kill"),
        ("signal send set=SIGTERM peer=x", "term"),
        ("signal send set=rtmin+0 peer=x", "rtmin+0"),
        ("signal send set=rtmin+032 peer=x", "rtmin+32"),
    ] {
        match parse_query(text).unwrap() {
            Query::Signal { signal, .. } => assert_eq!(signal.as_deref(), Some(sig), "{text}"),
            q => panic!("{q:?}"),
        }
    }
    let p = policy_with("signal send set=rtmin+32,", ProfileMode::Enforce);
    assert_eq!(
        ask(&p, "signal send set=rtmin+032 peer=x").verdict,
        Verdict::Allow
    );
}

#[test]
fn rlimit_values_need_the_parsers_units() {
    refused("rlimit nofile abc", "abc", &["plain number", "infinity"]);
    refused("rlimit nofile 10K", "10K", &["plain number"]);
    refused("rlimit fsize 10kb", "10kb", &["`KB`", "`MB`"]);
    refused("rlimit cpu 10ms", "10ms", &["`min`"]);
    refused("rlimit nice 20", "20", &["-20 to 19"]);
    refused("rlimit nofile -1", "-1", &[]);
    for ok in [
        "rlimit nofile 1024",
        "rlimit nofile infinity",
        "rlimit fsize 10MB",
        "rlimit cpu 2min",
        "rlimit rttime 10ms",
        "rlimit nice -20",
    ] {
        parse_query(ok).unwrap_or_else(|e| panic!("`{ok}`: {e:?}"));
    }
}

#[test]
fn rlimit_ofile_is_nofile() {
    assert_eq!(
        parse_query("rlimit ofile 10").unwrap(),
        parse_query("rlimit nofile 10").unwrap()
    );
    let p = policy_with("set rlimit nofile <= 1024,", ProfileMode::Enforce);
    assert_eq!(ask(&p, "rlimit ofile 4096").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "rlimit ofile 512").verdict, Verdict::Allow);
    // A rule written with `ofile` caps `nofile` as well.
    let o = policy_with("set rlimit ofile <= 1024,", ProfileMode::Enforce);
    assert_eq!(ask(&o, "rlimit nofile 4096").verdict, Verdict::Deny);
    assert_eq!(ask(&o, "rlimit nofile 512").verdict, Verdict::Allow);
}

#[test]
fn rlimit_values_compare_in_the_kernels_units() {
    // apparmor_parser 3.0.8 compiles `cpu <= 60`, `cpu <= 1min` and `cpu <= 60s` to the
    // same policy: a bare cpu number is seconds. For rttime a bare number is microseconds.
    let p = policy_with("set rlimit cpu <= 1min,", ProfileMode::Enforce);
    assert_eq!(ask(&p, "rlimit cpu 60").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "rlimit cpu 61").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "rlimit cpu 2min").verdict, Verdict::Deny);
    let r = policy_with("set rlimit rttime <= 1s,", ProfileMode::Enforce);
    assert_eq!(ask(&r, "rlimit rttime 1000000").verdict, Verdict::Allow);
    assert_eq!(ask(&r, "rlimit rttime 1001ms").verdict, Verdict::Deny);
    let f = policy_with("set rlimit fsize <= 1M,", ProfileMode::Enforce);
    assert_eq!(ask(&f, "rlimit fsize 1024KB").verdict, Verdict::Allow);
    assert_eq!(ask(&f, "rlimit fsize 1048577").verdict, Verdict::Deny);
}

#[test]
fn a_link_query_needs_its_target() {
    refused("l /a", "l /a", &["-> TARGET"]);
    refused("rl /a", "rl /a", &["-> TARGET"]);
    refused("l /a -> b", "b", &["`/`"]);
    assert!(parse_query("l /a -> /b").is_ok());
}

#[test]
fn non_canonical_paths_are_refused_with_the_canonical_one() {
    for (text, at, canonical) in [
        ("r /etc//passwd", "/etc//passwd", "`/etc/passwd`"),
        ("r //etc/passwd", "//etc/passwd", "`/etc/passwd`"),
        ("r /a/./b", "/a/./b", "`/a/b`"),
        ("r /a/../b", "/a/../b", "`/b`"),
        ("r /a/b/..", "/a/b/..", "`/a/`"),
        ("r /a/.", "/a/.", "`/a/`"),
        ("r /..", "/..", "`/`"),
        ("l /x -> /a//b", "/a//b", "`/a/b`"),
    ] {
        refused(text, at, &[canonical]);
    }
    refused("r etc/passwd", "etc/passwd", &["`/`"]);
    // Canonical paths, directories (trailing `/`) and names with dots stay accepted.
    for ok in ["r /", "r /a/", "r /a/.b", "r /a/..b/c...", "r /a/b."] {
        parse_query(ok).unwrap_or_else(|e| panic!("`{ok}`: {e:?}"));
    }
}

fn notes(d: &Decision) -> String {
    d.notes.join(" | ")
}

#[test]
fn an_unconfined_profile_notes_no_denial_and_no_log() {
    let p = policy_with("deny /b w,", ProfileMode::Unconfined);
    for q in [
        "w /etc/x",
        "w /b",
        "capability sys_admin",
        "signal send peer=x",
    ] {
        let d = ask(&p, q);
        assert_eq!(d.verdict, Verdict::Allow, "{q}");
        let n = notes(&d);
        for wrong in [
            "DENIED",
            "ALLOWED",
            "AppArmor denies",
            "is logged",
            "is refused",
        ] {
            assert!(!n.contains(wrong), "{q}: `{wrong}` in {n}");
        }
        assert!(n.contains("unconfined"), "{q}: {n}");
    }
    assert!(notes(&ask(&p, "w /etc/x")).contains("refuses nothing and logs nothing"));
    assert!(notes(&ask(&p, "w /b")).contains("does not enforce it"));
}

#[test]
fn complain_mode_notes_agree_with_the_complain_verdict() {
    let p = policy_with(
        "deny /b w,\naudit deny /c w,\nowner /d r,\ndeny /d w,\naudit deny /d r,",
        ProfileMode::Complain,
    );
    // Nothing allows it: it goes through, logged as ALLOWED; nothing claims it is denied.
    let a = ask(&p, "w /etc/x");
    assert_eq!(a.verdict, Verdict::Allow);
    let n = notes(&a);
    assert!(!n.contains("AppArmor denies"), "{n}");
    assert!(!n.contains("DENIED"), "{n}");
    assert!(n.contains("apparmor=\"ALLOWED\""), "{n}");
    assert!(n.contains("complain mode does not enforce"), "{n}");
    // A plain deny is quiet: blocked, nothing logged, so no note may say ALLOWED.
    let b = ask(&p, "w /b");
    assert_eq!(b.verdict, Verdict::Deny);
    let n = notes(&b);
    assert!(!n.contains("ALLOWED"), "{n}");
    assert!(n.contains("blocked and nothing is logged"), "{n}");
    // An audit deny goes through, logged as ALLOWED.
    let c = ask(&p, "w /c");
    assert_eq!(c.verdict, Verdict::Allow);
    assert!(notes(&c).contains("apparmor=\"ALLOWED\""), "{}", notes(&c));
    // Mixed: the logged part lets the whole access through; the quiet part is unlogged.
    let d = ask(&p, "rw /d");
    assert_eq!(d.verdict, Verdict::Allow);
    let n = notes(&d);
    assert!(n.contains("`r` is logged (apparmor=\"ALLOWED\")"), "{n}");
    assert!(n.contains("`w` is left out of the log"), "{n}");
    assert!(!n.contains("blocked"), "{n}");
    // Other classes: no claim that AppArmor denies it.
    let k = ask(&p, "capability sys_admin");
    assert_eq!(k.verdict, Verdict::Allow);
    assert!(!notes(&k).contains("AppArmor denies"), "{}", notes(&k));
}

#[test]
fn kill_mode_logs_killed_and_spares_quiet_denials() {
    let p = policy_with("deny /b w,", ProfileMode::Kill);
    let a = ask(&p, "w /etc/x");
    assert_eq!(a.verdict, Verdict::Deny);
    let n = notes(&a);
    assert!(n.contains("apparmor=\"KILLED\""), "{n}");
    assert!(n.contains("the process is killed"), "{n}");
    let b = ask(&p, "w /b");
    assert_eq!(b.verdict, Verdict::Deny);
    let n = notes(&b);
    assert!(!n.contains("the process is killed"), "{n}");
    assert!(n.contains("without logging it or killing"), "{n}");
}

fn exec_text(p: &CompiledPolicy, q: &str) -> String {
    let d = ask(p, q);
    assert_eq!(d.verdict, Verdict::Allow, "{q}: {d:?}");
    d.exec.unwrap().explanation
}

#[test]
fn exec_to_a_profile_the_policy_lacks_says_what_happens() {
    let p = policy_with(
        "/usr/bin/ls px -> nothere,\n/usr/bin/cat pix -> nothere,\n/usr/bin/id pux -> nothere,\n\
         /usr/bin/df px,\n/usr/bin/du pix,\n/usr/bin/ps cx -> kid,\n/usr/bin/top cix -> kid,\n\
         /usr/bin/tee px -> t,",
        ProfileMode::Enforce,
    );
    let ls = exec_text(&p, "x /usr/bin/ls");
    assert!(
        ls.contains("`nothere`, which is not in this policy"),
        "{ls}"
    );
    assert!(ls.contains("the exec fails unless"), "{ls}");
    let cat = exec_text(&p, "x /usr/bin/cat");
    assert!(cat.contains("not in this policy"), "{cat}");
    assert!(cat.contains("`i` fallback"), "{cat}");
    assert!(cat.contains("stays in the current profile `t`"), "{cat}");
    assert!(!cat.contains("exec fails"), "{cat}");
    let id = exec_text(&p, "x /usr/bin/id");
    assert!(id.contains("`u` fallback"), "{id}");
    assert!(id.contains("runs unconfined"), "{id}");
    // No profile attaches to the path: the same, with or without a fallback.
    let df = exec_text(&p, "x /usr/bin/df");
    assert!(df.contains("the exec fails unless"), "{df}");
    let du = exec_text(&p, "x /usr/bin/du");
    assert!(du.contains("`i` fallback"), "{du}");
    assert!(!du.contains("exec fails"), "{du}");
    // A missing child profile.
    let ps = exec_text(&p, "x /usr/bin/ps");
    assert!(ps.contains("`t//kid`, which is not defined"), "{ps}");
    assert!(ps.contains("the exec fails unless"), "{ps}");
    let top = exec_text(&p, "x /usr/bin/top");
    assert!(top.contains("`i` fallback"), "{top}");
    // A target that is in the policy is not called missing.
    let tee = exec_text(&p, "x /usr/bin/tee");
    assert!(tee.contains("runs under profile `t`"), "{tee}");
    assert!(!tee.contains("not in this policy"), "{tee}");
}

#[test]
fn denial_lines_read_as_queries_that_parse_back() {
    use armorlab_core::eval::parse_denial;
    // ICMPv6 has no protocol keyword in apparmor_parser; the type carries the decision.
    let (_, q) = parse_denial(
        r#"apparmor="DENIED" operation="create" profile="p" pid=1 comm="ping" family="inet6" sock_type="raw" protocol=58 requested_mask="create" denied_mask="create""#,
    )
    .unwrap();
    assert_eq!(q.to_string(), "network inet6 raw");
    assert_eq!(parse_query(&q.to_string()).unwrap(), q);
    // A link record without its target cannot be decided.
    let e = parse_denial(
        r#"apparmor="DENIED" operation="link" profile="p" name="/tmp/l" pid=3 comm="ln" requested_mask="l" denied_mask="l" fsuid=0 ouid=0"#,
    )
    .unwrap_err();
    assert!(e.message.contains("target="), "{e:?}");
    // A signal name the parser does not know is refused with the query's advice.
    let e = parse_denial(
        r#"apparmor="DENIED" operation="signal" profile="p" pid=9 comm="x" requested_mask="send" denied_mask="send" signal=bogus peer="unconfined""#,
    )
    .unwrap_err();
    assert!(e.message.contains("signal send set=bogus"), "{e:?}");
    assert!(e.help.unwrap_or_default().contains("rtmin+N"));
}

#[test]
fn very_long_rlimit_numbers_are_read_not_refused() {
    // apparmor_parser 3.0.8 accepts `set rlimit nofile <= 99999999999999999999999`.
    let long = "9".repeat(60);
    let p = policy_with("set rlimit nofile <= 1024,", ProfileMode::Enforce);
    let d = ask(&p, &format!("rlimit nofile {long}"));
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(!notes(&d).contains("cannot read"), "{}", notes(&d));
    assert_eq!(ask(&p, "rlimit nofile infinity").verdict, Verdict::Deny);
}

#[test]
fn a_missing_exec_target_outside_enforce_mode_names_the_mode() {
    let p = policy_with("/usr/bin/ls px -> nothere,", ProfileMode::Complain);
    let d = ask(&p, "x /usr/bin/ls");
    let text = d.exec.unwrap().explanation;
    assert!(text.contains("not in this policy"), "{text}");
    assert!(text.contains("in enforce mode the exec fails"), "{text}");
    assert!(text.contains("complain mode"), "{text}");
}

#[test]
fn an_unconfined_profile_ignores_its_exec_rules() {
    let p = policy_with(
        "/usr/bin/ls px -> nothere,\n/usr/bin/id ix,",
        ProfileMode::Unconfined,
    );
    for q in ["x /usr/bin/ls", "x /usr/bin/id", "x /usr/bin/df"] {
        let d = ask(&p, q);
        assert_eq!(d.verdict, Verdict::Allow, "{q}");
        let x = d.exec.unwrap_or_else(|| panic!("{q}: no exec explanation"));
        assert!(
            x.explanation.contains("exec rules do not apply"),
            "{q}: {}",
            x.explanation
        );
        assert!(!x.explanation.contains("nothere"), "{q}: {}", x.explanation);
        assert_eq!(x.target.as_deref(), Some("t"), "{q}");
    }
}
