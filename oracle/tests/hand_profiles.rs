//! Small hand-written profiles with the answers AppArmor's documented semantics give.
//! Each expectation says which rule decides it.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use armorlab_oracle::{
    BinaryPolicy, Compiler, ExecTarget, Features, LinkDecision, OracleError, ProfileMode,
};

fn compile(text: &str) -> BinaryPolicy {
    Compiler::with_includes(["/etc/apparmor.d"])
        .compile_text(text)
        .unwrap_or_else(|e| panic!("compiling failed: {e}\n{text}"))
}

#[test]
fn owner_rules_only_grant_the_owner_half() {
    if !common::parser_or_skip("owner_rules_only_grant_the_owner_half") {
        return;
    }
    let p = compile(
        "profile t {\n  owner /home/*/** rw,\n  /home/*/pub/** r,\n  owner /srv/x w,\n  deny owner /srv/x a,\n}\n",
    );
    let own = p.file_perms("t", "/home/u/f", true).unwrap();
    let other = p.file_perms("t", "/home/u/f", false).unwrap();
    // `w` compiles to write and append.
    assert_eq!(own.allow, "rwa");
    assert_eq!(other.allow, "");
    // The non-owner rule applies to both halves; the owner rule adds to the owner half.
    assert_eq!(
        p.file_perms("t", "/home/u/pub/f", false).unwrap().allow,
        "r"
    );
    assert_eq!(
        p.file_perms("t", "/home/u/pub/f", true).unwrap().allow,
        "rwa"
    );
    // `deny owner ... a` removes append from the owner half; `w` survives there because
    // a deny of `a` does not deny `w`.
    let srv = p.file_perms("t", "/srv/x", true).unwrap();
    assert_eq!(srv.allow, "w");
    assert_eq!(srv.quiet, "a");
    assert_eq!(p.file_perms("t", "/srv/x", false).unwrap().allow, "");
}

#[test]
fn deny_audit_and_quiet() {
    if !common::parser_or_skip("deny_audit_and_quiet") {
        return;
    }
    let p = compile(
        "profile t {\n  /f rw,\n  deny /f w,\n  audit /g r,\n  audit deny /h w,\n  /h r,\n  /i rw,\n  audit deny /i w,\n}\n",
    );
    let f = p.file_perms("t", "/f", true).unwrap();
    // Deny wins over allow; a plain deny is silent (quiet), and denying `w` also takes
    // the append bit that `w` carried.
    assert_eq!(f.allow, "r");
    assert_eq!(f.quiet, "wa");
    assert_eq!(f.audit, "");
    let g = p.file_perms("t", "/g", true).unwrap();
    assert_eq!((g.allow.as_str(), g.audit.as_str()), ("r", "r"));
    // `audit deny` is logged: not quiet.
    let h = p.file_perms("t", "/h", false).unwrap();
    assert_eq!((h.allow.as_str(), h.quiet.as_str()), ("r", ""));
    let i = p.file_perms("t", "/i", true).unwrap();
    assert_eq!((i.allow.as_str(), i.quiet.as_str()), ("r", ""));
    // An unmatched path falls off the automaton: nothing allowed.
    let none = p.file_perms("t", "/nope", true).unwrap();
    assert_eq!(none.allow, "");
}

#[test]
fn exec_modes_decode_to_their_rule_letters() {
    if !common::parser_or_skip("exec_modes_decode_to_their_rule_letters") {
        return;
    }
    let p = compile(
        "profile t {\n  /p1 px,\n  /p2 Px,\n  /p3 pix,\n  /p4 Pux,\n  /p5 cx,\n  /p6 Cx -> kid,\n  /p7 px -> other,\n  /p8 ux,\n  /p9 Ux,\n  /p10 ix,\n  /p11 cix -> kid,\n  /p12 r,\n  profile kid { }\n}\n",
    );
    let cases = [
        ("/p1", "px"),
        ("/p2", "Px"),
        ("/p3", "pix"),
        ("/p4", "PUx"),
        ("/p5", "cx"),
        ("/p6", "Cx"),
        ("/p7", "px"),
        ("/p8", "ux"),
        ("/p9", "Ux"),
        ("/p10", "ix"),
        ("/p11", "cix"),
    ];
    for (path, letters) in cases {
        let perms = p.file_perms("t", path, true).unwrap();
        assert!(perms.allows("x"), "{path}: {perms:?}");
        assert_eq!(perms.exec_letters().as_deref(), Some(letters), "{path}");
        // Both halves carry the same transition for a rule without `owner`.
        let other = p.file_perms("t", path, false).unwrap();
        assert_eq!(other.exec_letters().as_deref(), Some(letters), "{path}");
    }
    // Named transitions go through the exec table; a child target is qualified.
    let kid = p.file_perms("t", "/p6", true).unwrap().exec.unwrap();
    assert_eq!(kid.target, ExecTarget::Named("t//kid".into()));
    let other = p.file_perms("t", "/p7", true).unwrap().exec.unwrap();
    assert_eq!(other.target, ExecTarget::Named("other".into()));
    assert_eq!(p.profile("t").unwrap().exec_table(), ["t//kid", "other"]);
    // Inherit modes imply mmap-exec (`m`), others do not.
    assert_eq!(p.file_perms("t", "/p10", true).unwrap().allow, "xm");
    assert_eq!(p.file_perms("t", "/p2", true).unwrap().allow, "x");
    assert!(p.file_perms("t", "/p12", true).unwrap().exec.is_none());
}

#[test]
fn link_rules_follow_the_kernel_pair_walk() {
    if !common::parser_or_skip("link_rules_follow_the_kernel_pair_walk") {
        return;
    }
    let p = compile(
        "profile t {\n  /a/** rwl,\n  deny /a/x l,\n  link /b -> /c,\n  link subset /d -> /e/**,\n  /d r,\n  /e/ok r,\n}\n",
    );
    let t = p.profile("t").unwrap();
    // `l` in a file rule: link to any target that has at least the link's permissions
    // (the parser compiles it as a link pair with the subset test).
    assert_eq!(
        t.link_allowed("/a/y", "/a/z", true).unwrap(),
        LinkDecision::Allowed
    );
    assert_eq!(
        t.link_allowed("/a/y", "/etc/shadow", true).unwrap(),
        LinkDecision::Denied("link not subset of target")
    );
    // A deny of `l` on the link name wins.
    assert!(matches!(
        t.link_allowed("/a/x", "/a/z", true).unwrap(),
        LinkDecision::Denied(_)
    ));
    // `link /b -> /c` allows exactly that pair.
    assert_eq!(
        t.link_allowed("/b", "/c", true).unwrap(),
        LinkDecision::Allowed
    );
    assert_eq!(
        t.link_allowed("/b", "/d", true).unwrap(),
        LinkDecision::Denied("target restricted")
    );
    // No `l` at all for the name.
    assert_eq!(
        t.link_allowed("/c", "/b", true).unwrap(),
        LinkDecision::Denied("link name lacks `l`")
    );
    // `subset`: the link may not carry more than the target has: /d has `r`.
    assert_eq!(
        t.link_allowed("/d", "/e/ok", true).unwrap(),
        LinkDecision::Allowed
    );
    assert_eq!(
        t.link_allowed("/d", "/e/other", true).unwrap(),
        LinkDecision::Denied("link not subset of target")
    );
    // Parser quirk: the subset marker is only set in the owner half of the pair entry
    // (LINK_TO_LINK_SUBSET shifts the link bit of the user half only), so the kernel
    // skips the subset test when the task does not own the target.
    assert_eq!(
        t.link_allowed("/d", "/e/other", false).unwrap(),
        LinkDecision::Allowed
    );
    let (name, pair) = p.link_perms("t", "/b", "/c", true).unwrap();
    assert!(name.allows("l") && pair.allows("l"));
}

#[test]
fn capabilities_profiles_and_flags() {
    if !common::parser_or_skip("capabilities_profiles_and_flags") {
        return;
    }
    let p = compile(
        "profile t /usr/bin/t flags=(complain) {\n  capability chown,\n  capability net_raw,\n  deny capability net_raw,\n  audit capability setuid,\n  ^hat { /h r, }\n  profile kid { /k r, }\n}\n",
    );
    let mut names = p.profiles();
    names.sort();
    assert_eq!(names, ["t", "t//hat", "t//kid"]);
    let t = p.profile("t").unwrap();
    assert_eq!(t.mode, ProfileMode::Complain);
    assert!(t.has_xmatch(), "an attachment compiles to an xmatch dfa");
    assert!(t.capability_allowed(0), "chown");
    assert!(!t.capability_allowed(13), "net_raw is denied");
    assert!(t.capability_allowed(7), "setuid");
    assert_eq!(t.caps.audit, 1 << 7);
    let hat = p.profile("t//hat").unwrap();
    assert!(hat.hat);
    assert_eq!(hat.file_perms("/h", true).unwrap().allow, "r");
    // The parent's rules do not leak into children and vice versa.
    assert_eq!(p.file_perms("t//kid", "/h", true).unwrap().allow, "");
    assert_eq!(p.file_perms("t//kid", "/k", true).unwrap().allow, "r");
    assert_eq!(p.file_perms("t", "/k", true).unwrap().allow, "");
    assert!(matches!(
        p.file_perms("nope", "/k", true),
        Err(OracleError::UnknownProfile { .. })
    ));
    // An empty profile has no file DFA; the kernel then grants nothing.
    let e = compile("profile e { }\n");
    assert!(!e.profile("e").unwrap().has_file_dfa());
    assert_eq!(e.file_perms("e", "/anything", true).unwrap().allow, "");
}

#[test]
fn bad_profiles_and_queries_are_clear_errors() {
    if !common::parser_or_skip("bad_profiles_and_queries_are_clear_errors") {
        return;
    }
    let err = Compiler::default()
        .compile_text("profile t {\n  /x rw\n}\n")
        .unwrap_err();
    match err {
        OracleError::Rejected { stderr, .. } => assert!(!stderr.is_empty()),
        other => panic!("expected a rejection, got {other:?}"),
    }
    let p = compile("profile t { /x r, }\n");
    assert!(matches!(
        p.file_perms("t", "/x\0y", true),
        Err(OracleError::Query { .. })
    ));
    let missing = Compiler {
        features: Features::File("/nonexistent/features".into()),
        ..Compiler::default()
    };
    assert!(matches!(
        missing.compile_text("profile t { }"),
        Err(OracleError::MissingFeatures { .. })
    ));
    let no_parser = Compiler {
        parser: "/nonexistent/apparmor_parser".into(),
        ..Compiler::default()
    };
    assert!(matches!(
        no_parser.compile_text("profile t { }"),
        Err(OracleError::Spawn { .. })
    ));
}

#[test]
fn file_dfa_is_the_same_for_every_feature_set() {
    if !common::parser_or_skip("file_dfa_is_the_same_for_every_feature_set") {
        return;
    }
    let file = common::template("docker-default.docs.apparmor");
    let mut sets = vec![Features::DebianPinned, Features::Compat];
    if let Some(dir) = common::conformance_dir("file_dfa_is_the_same_for_every_feature_set") {
        sets.push(Features::File(
            dir.join("apparmor-parser-tests/features_files/features.all"),
        ));
    }
    let policies: Vec<BinaryPolicy> = sets
        .iter()
        .map(|f| {
            Compiler {
                features: f.clone(),
                ..Compiler::default()
            }
            .compile_file(&file)
            .unwrap()
        })
        .collect();
    let paths = [
        "/proc/sysrq-trigger",
        "/proc/sys/kernel/core_pattern",
        "/proc/1/mem",
        "/proc/self/attr/current",
        "/sys/fs/cgroup/x",
        "/sys/kernel/security/a",
        "/etc/ld.so.cache",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/dev/null",
        "/tmp/x",
    ];
    for path in paths {
        for owner in [true, false] {
            let answers: Vec<_> = policies
                .iter()
                .map(|p| p.file_perms("docker-default", path, owner).unwrap())
                .map(|r| (r.exec_letters(), r.allow, r.audit, r.quiet))
                .collect();
            assert!(
                answers.windows(2).all(|w| w[0] == w[1]),
                "{path} (owner {owner}): {answers:?}"
            );
        }
    }
}

#[test]
fn rule_globs_are_the_parser_expansions() {
    if !common::parser_or_skip("rule_globs_are_the_parser_expansions") {
        return;
    }
    let mut globs = Compiler::default()
        .rule_globs_text(
            "#include <tunables/global>\nprofile t {\n  @{PROC}/*/x w,\n  /a/{b,c}/** r,\n  /a/{b,c}/** w,\n}\n",
        )
        .unwrap();
    // Variables are substituted, alternations kept, the profile name left out, and the
    // repeated glob listed once (the parser dumps them in its own order).
    globs.sort();
    assert_eq!(globs, ["/a/{b,c}/**", "/proc/*/x"]);
}

#[test]
fn network_mediation_depends_on_the_feature_set() {
    if !common::parser_or_skip("network_mediation_depends_on_the_feature_set") {
        return;
    }
    let file = common::template("docker-default.rendered.apparmor");
    // Debian's pinned features: 3.0.8 writes no network mediation at all.
    let pinned = Compiler::default().compile_file(&file).unwrap();
    let p = pinned.profile("docker-default").unwrap();
    assert!(!p.policydb_mediates(4));
    assert_eq!(p.net_allowed_af(38, 5), None);
    // With the `network` af_mask feature the per-family table appears (and a policydb
    // network class for unix rules): `deny network alg` (AF_ALG = 38) takes effect while
    // `network,` allows inet.
    let Some(dir) = common::conformance_dir("network_mediation_depends_on_the_feature_set") else {
        return;
    };
    let all = Compiler {
        features: Features::File(dir.join("apparmor-parser-tests/features_files/features.all")),
        ..Compiler::default()
    }
    .compile_file(&file)
    .unwrap();
    let p = all.profile("docker-default").unwrap();
    assert!(p.policydb_mediates(4));
    assert_eq!(p.net_allowed_af(38, 5), Some(false), "alg seqpacket");
    assert_eq!(p.net_allowed_af(2, 1), Some(true), "inet stream");
    assert_eq!(p.net_allowed_af(10, 2), Some(true), "inet6 dgram");
}
