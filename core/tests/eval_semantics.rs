//! The rules of decision, one by one: priority, deny, owner, audit and quiet, exec modes and
//! their conflicts, implied bits, links, implicit rules, modes, ABI, other classes.
//! Where a fact comes from `apparmor_parser -D rule-exprs` output or the parser's source,
//! the test says so.
// Test code: panicking on a broken fixture is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod eval_common;

use armorlab_core::eval::{compile, parse_query, CompiledPolicy, Decision, EvalError, Verdict};
use armorlab_core::model::{Effect, ExecKind, ProfileMode};
use eval_common::{build, Spec};

/// Compiles a profile named `t` whose rules are the lines of `text` (one rule per line).
fn policy_with(text: &str, mode: ProfileMode, abi: Option<&str>) -> CompiledPolicy {
    let rules: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut spec = Spec::new("t", &rules);
    spec.mode = mode;
    let full = format!("profile t {{\n{text}\n}}\n");
    let (policy, sources) = build("t.apparmor", &full, spec, abi);
    compile(&policy, &sources).unwrap()
}

fn policy(text: &str) -> CompiledPolicy {
    policy_with(text, ProfileMode::Enforce, None)
}

fn ask(p: &CompiledPolicy, q: &str) -> Decision {
    p.decide("t", &parse_query(q).unwrap()).unwrap()
}

#[test]
fn every_matching_allow_adds_and_deny_removes() {
    let p = policy("/a/** r,\n/a/b w,\ndeny /a/b r,");
    let d = ask(&p, "rw /a/b");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.allowed, "w");
    assert_eq!(d.denied, "r");
    assert_eq!(d.rules.len(), 2);
    assert_eq!(d.rules[0].effect, Effect::Allow);
    assert_eq!(d.rules[0].perms, "w");
    assert_eq!(d.rules[1].effect, Effect::Deny);
    assert_eq!(d.rules[1].perms, "r");
}

#[test]
fn no_rule_means_denied_and_logged() {
    let p = policy("/a r,");
    let d = ask(&p, "w /a");
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.rules.is_empty());
    assert_eq!(d.audit, "", "no audit rule forces logging");
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("denial of `w` is logged")),
        "{:?}",
        d.notes
    );
    assert_eq!(d.quiet, "");
    assert!(d.notes.iter().any(|n| n.contains("no rule allows")));
}

#[test]
fn write_implies_append_but_not_the_reverse() {
    let p = policy("/w w,\n/a a,");
    assert_eq!(ask(&p, "a /w").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "w /a").verdict, Verdict::Deny);
    // `deny w` removes `a` too (the parser writes 0x2800a for `deny ... w`).
    let p = policy("/x rw,\ndeny /x w,");
    assert_eq!(ask(&p, "a /x").verdict, Verdict::Deny);
}

#[test]
fn plain_deny_is_quiet_and_audit_deny_is_logged() {
    let p = policy("deny /q w,\naudit deny /l w,\naudit /r r,\n/s r,");
    let q = ask(&p, "w /q");
    assert_eq!(q.quiet, "w");
    assert_eq!(q.audit, "");
    let l = ask(&p, "w /l");
    assert_eq!(l.quiet, "");
    assert_eq!(
        l.audit, "",
        "`audit` marks forced logging of allowed accesses only"
    );
    assert!(
        l.notes.iter().any(|n| n.contains("is logged")),
        "{:?}",
        l.notes
    );
    assert!(
        q.notes.iter().any(|n| n.contains("not logged")),
        "{:?}",
        q.notes
    );
    let r = ask(&p, "r /r");
    assert_eq!(r.verdict, Verdict::Allow);
    assert_eq!(r.audit, "r");
    assert_eq!(ask(&p, "r /s").audit, "");
}

#[test]
fn higher_priority_overrides_and_equal_priority_deny_wins() {
    let p =
        policy("priority=1 /x w,\ndeny /x w,\n/y w,\npriority=-1 deny /y w,\n/z w,\ndeny /z w,");
    assert_eq!(ask(&p, "w /x").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "w /y").verdict, Verdict::Allow);
    let z = ask(&p, "w /z");
    assert_eq!(z.verdict, Verdict::Deny);
    assert_eq!(z.rules.len(), 1);
    assert_eq!(z.rules[0].text, "deny /z w");
}

#[test]
fn owner_and_other_rules() {
    let p = policy("owner /o r,\nother /o w,\n/any k,");
    assert_eq!(ask(&p, "r /o").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "w /o").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "other w /o").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "other r /o").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "other k /any").verdict, Verdict::Allow);
}

#[test]
fn exact_path_exec_dominates_glob_exec() {
    // apparmor_parser accepts `/d/* Px` with `/d/e ix`: the exact rule wins for /d/e.
    let p = policy("/d/* Px,\n/d/e ix,");
    let e = ask(&p, "x /d/e");
    assert_eq!(e.exec.as_ref().unwrap().mode, "ix");
    assert_eq!(e.exec.as_ref().unwrap().kind, ExecKind::Inherit);
    let f = ask(&p, "x /d/f");
    let x = f.exec.unwrap();
    assert_eq!(x.mode, "Px");
    assert!(x.scrub);
    assert_eq!(f.rules[0].perms, "Px");
}

#[test]
fn conflicting_glob_exec_modes_are_a_load_error() {
    // apparmor_parser 3.0.8: "profile has merged rule with conflicting x modifiers" for
    // `/d/* Px` with `/d/[e] ix`, for `file,` with `/usr/bin/* Px`, and still when an
    // exact `/d/e Px` or a `deny /usr/bin/* x` would decide the overlap.
    for (text, witness) in [
        ("/d/* Px,\n/d/[e] ix,", "`/d/e`"),
        ("file,\n/usr/bin/* Px,", "/usr/bin/"),
        ("/d/* Px,\n/d/[e] ix,\n/d/e Px,", "`/d/e`"),
        ("file,\n/usr/bin/* Px,\ndeny /usr/bin/* x,", "/usr/bin/"),
        ("owner /o/* Px,\n/o/[a] ix,", "`/o/a`"),
    ] {
        let rules: Vec<&str> = text.lines().collect();
        let full = format!("profile t {{\n{text}\n}}\n");
        let (pol, sources) = build("t.apparmor", &full, Spec::new("t", &rules), None);
        let errs = compile(&pol, &sources).unwrap_err();
        assert_eq!(errs[0].code, "conflicting-x-modifiers", "{text}");
        assert!(errs[0].message.contains(witness), "{}", errs[0].message);
    }
    // An alternation of literals is still an exact path for the parser: it dominates
    // (apparmor_parser accepts `/** ix` with `/{,usr/}bin/bzip2 Px`).
    let p = policy("/** ix,\n/{,usr/}bin/bzip2 Px,");
    assert_eq!(ask(&p, "x /usr/bin/bzip2").exec.unwrap().mode, "Px");
    assert_eq!(ask(&p, "x /usr/bin/gzip").exec.unwrap().mode, "ix");
    // Globs that never meet, and owner against other, are fine.
    let p = policy("/d/* Px,\n/e/* ix,\nowner /o/* Px,\nother /o/[a] ix,");
    assert_eq!(ask(&p, "x /d/f").exec.unwrap().mode, "Px");
    assert_eq!(ask(&p, "other x /o/a").exec.unwrap().mode, "ix");
    // Different priorities do not conflict: the higher one decides (AppArmor 4.1).
    let p = policy("file,\npriority=1 /usr/bin/* Px,");
    assert_eq!(ask(&p, "x /usr/bin/ls").exec.unwrap().mode, "Px");
    assert_eq!(ask(&p, "x /bin/ls").exec.unwrap().mode, "ix");
}

#[test]
fn same_path_exec_conflict_fails_compilation() {
    // apparmor_parser: "profile t10: has merged rule /o/* with conflicting x modifiers",
    // also when one of them is an owner rule.
    for text in ["/d Px,\n/d ix,", "owner /o/* Px,\n/o/* ix,"] {
        let rules: Vec<&str> = text.lines().collect();
        let full = format!("profile t {{\n{text}\n}}\n");
        let (pol, sources) = build("t.apparmor", &full, Spec::new("t", &rules), None);
        let errs = compile(&pol, &sources).unwrap_err();
        assert_eq!(errs[0].code, "conflicting-x-modifiers");
        assert_eq!(errs[0].line, 3, "{errs:?}");
    }
    // `owner` against `other` do not overlap.
    let p = policy("owner /o/* Px,\nother /o/* ix,");
    assert_eq!(ask(&p, "x /o/a").exec.unwrap().mode, "Px");
    assert_eq!(ask(&p, "other x /o/a").exec.unwrap().mode, "ix");
}

#[test]
fn inherit_exec_implies_mmap() {
    // The parser compiles `/e ix` to 0x904241 (m included) and `/d Px` to 0x2004801.
    let p = policy("/e ix,\n/f pix,\n/d Px,");
    assert_eq!(ask(&p, "m /e").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "m /f").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "m /d").verdict, Verdict::Deny);
}

#[test]
fn exec_transitions_are_reported() {
    let p = policy("/a cx -> foo,\n/b Cix,\n/c PUx,\n/u Ux,\n/j px -> bar,");
    let a = ask(&p, "x /a").exec.unwrap();
    assert_eq!(a.kind, ExecKind::Child);
    assert_eq!(a.target.as_deref(), Some("t//foo"));
    assert!(!a.scrub);
    let b = ask(&p, "x /b").exec.unwrap();
    assert_eq!(b.mode, "Cix");
    assert_eq!(b.fallback, Some(ExecKind::Inherit));
    assert!(b.explanation.contains("stays in the current profile"));
    let c = ask(&p, "x /c").exec.unwrap();
    assert_eq!(c.mode, "PUx");
    assert_eq!(c.fallback, Some(ExecKind::Unconfined));
    assert_eq!(ask(&p, "x /u").exec.unwrap().kind, ExecKind::Unconfined);
    assert_eq!(ask(&p, "x /j").exec.unwrap().target.as_deref(), Some("bar"));
    // Denied x has no transition.
    assert!(ask(&p, "x /nope").exec.is_none());
}

#[test]
fn deny_x_removes_every_exec_mode() {
    let p = policy("/bin/* ix,\ndeny /bin/su x,");
    let d = ask(&p, "x /bin/su");
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.exec.is_none());
    assert_eq!(ask(&p, "x /bin/ls").verdict, Verdict::Allow);
}

#[test]
fn hats_get_the_change_hat_proc_rules() {
    // apparmor_parser adds `/proc/[0-9]*/attr/{apparmor/,}current w`,
    // `/proc/*/attr/apparmor/ r` and `/sys/module/apparmor/parameters/enabled r` to a
    // profile with hats and to each hat.
    let text = "profile t {\n  /f r,\n  ^hat1 {\n    /g r,\n  }\n}\n";
    let mut spec = Spec::new("t", &["/f r,"]);
    let mut hat = Spec::new("hat1", &["/g r,"]);
    hat.is_hat = true;
    spec.children.push(hat);
    let (pol, sources) = build("t.apparmor", text, spec, None);
    let p = compile(&pol, &sources).unwrap();
    assert_eq!(
        p.profile_names(),
        vec!["t".to_owned(), "t//hat1".to_owned()]
    );
    for prof in ["t", "t//hat1"] {
        let d = p
            .decide(prof, &parse_query("w /proc/1234/attr/current").unwrap())
            .unwrap();
        assert_eq!(d.verdict, Verdict::Allow, "{prof}");
        assert!(d.rules[0].implicit);
        assert_eq!(
            d.rules[0].text,
            "owner /proc/[0-9]*/attr/{apparmor/,}current w"
        );
        // Only for files the process owns, and without the `a` a written `w` implies.
        let other = p
            .decide(
                prof,
                &parse_query("other w /proc/1234/attr/current").unwrap(),
            )
            .unwrap();
        assert_eq!(other.verdict, Verdict::Deny);
        let append = p
            .decide(prof, &parse_query("a /proc/1234/attr/current").unwrap())
            .unwrap();
        assert_eq!(append.verdict, Verdict::Deny);
        assert!(
            d.notes.iter().any(|n| n.contains("change_hat")),
            "{:?}",
            d.notes
        );
        let e = p
            .decide(
                prof,
                &parse_query("r /sys/module/apparmor/parameters/enabled").unwrap(),
            )
            .unwrap();
        assert_eq!(e.verdict, Verdict::Allow);
    }
    // A profile without hats has none of them.
    let q = policy("/f r,");
    assert_eq!(ask(&q, "w /proc/1234/attr/current").verdict, Verdict::Deny);
}

#[test]
fn change_profile_rules_imply_proc_exec_access() {
    let p = policy("change_profile -> foo,");
    let d = ask(&p, "w /proc/77/attr/exec");
    assert_eq!(d.verdict, Verdict::Allow);
    assert!(d.rules[0].implicit);
    assert_eq!(ask(&p, "change_profile -> foo").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "change_profile -> bar").verdict, Verdict::Deny);
}

#[test]
fn links_need_the_pair_and_subset_links_need_a_subset() {
    let p = policy("/src/** rl,\n/dst/** r,\n/wsrc/** rwl,\nlink /l2 -> /t2,\nlink subset /s -> /t/**,\n/s rw,\n/t/ro r,");
    // `l` in a file rule: any target, but the link may not carry more than the target.
    assert_eq!(ask(&p, "l /src/a -> /dst/b").verdict, Verdict::Allow);
    let w = ask(&p, "l /wsrc/a -> /dst/b");
    assert_eq!(w.verdict, Verdict::Deny);
    assert!(
        w.notes.iter().any(|n| n.contains("subset")),
        "{:?}",
        w.notes
    );
    // A plain link rule names its target and needs no subset.
    assert_eq!(ask(&p, "l /l2 -> /t2").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "l /l2 -> /t3").verdict, Verdict::Deny);
    // `link subset`: `/s` has rw, `/t/ro` only r.
    assert_eq!(ask(&p, "l /s -> /t/ro").verdict, Verdict::Deny);
    let p = policy("/a l,\ndeny /a l,");
    assert_eq!(ask(&p, "l /a -> /b").verdict, Verdict::Deny);
}

#[test]
fn bare_file_rule_grants_everything_with_ix() {
    let p = policy("file,");
    let d = ask(&p, "rwaxmkl /anything -> /elsewhere");
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
    assert_eq!(d.exec.unwrap().mode, "ix");
    assert_eq!(ask(&p, "r /").verdict, Verdict::Allow);
}

#[test]
fn complain_mode_allows_what_no_rule_allows_and_explains_explicit_denies() {
    let p = policy_with(
        "/a r,\ndeny /b w,\naudit deny /c w,\nowner /d r,\ndeny /d w,\naudit deny /d r,",
        ProfileMode::Complain,
        None,
    );
    // No rule covers it: allowed, logged as ALLOWED.
    let d = ask(&p, "w /a");
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.mode, ProfileMode::Complain);
    assert!(d.complain_note.as_deref().unwrap().contains("ALLOWED"));
    assert!(
        d.notes.iter().any(|n| n.contains("apparmor=\"ALLOWED\"")),
        "{:?}",
        d.notes
    );
    assert!(
        !d.notes.iter().any(|n| n.contains("DENIED")),
        "{:?}",
        d.notes
    );

    // A plain deny is quiet: Linux 6.1 blocks it silently even in complain mode.
    let e = ask(&p, "w /b");
    assert_eq!(e.verdict, Verdict::Deny, "{e:?}");
    assert_eq!(e.quiet, "w");
    let note = e.complain_note.unwrap();
    assert!(note.contains("Debian 12"), "{note}");
    assert!(note.contains("blocked and nothing is logged"), "{note}");
    assert!(note.contains("noquiet"), "{note}");
    assert!(note.contains("Newer kernels"), "{note}");

    // An audit deny is not quiet: Linux 6.1 lets it through, logged as ALLOWED.
    let c = ask(&p, "w /c");
    assert_eq!(c.verdict, Verdict::Allow, "{c:?}");
    assert!(c.quiet.is_empty());
    let note = c.complain_note.unwrap();
    assert!(
        note.contains("goes through and is logged as ALLOWED"),
        "{note}"
    );
    assert!(note.contains("Newer kernels"), "{note}");

    // `rw /d`: `w` is quiet, `r` is an audit deny; the logged part makes the kernel take
    // the complain path for the whole access.
    let m = ask(&p, "rw /d");
    assert_eq!(m.denied, "rw", "{m:?}");
    assert_eq!(m.quiet, "w", "{m:?}");
    assert_eq!(m.verdict, Verdict::Allow, "{m:?}");
    assert!(m.complain_note.unwrap().contains("quiet part"));

    // The same rules in enforce mode block all three, and say nothing of complain mode.
    let q = policy_with(
        "/a r,\ndeny /b w,\naudit deny /c w,",
        ProfileMode::Enforce,
        None,
    );
    for query in ["w /a", "w /b", "w /c"] {
        let d = ask(&q, query);
        assert_eq!(d.verdict, Verdict::Deny, "{query}: {d:?}");
        assert!(d.complain_note.is_none(), "{query}");
    }
    assert!(ask(&q, "w /c")
        .notes
        .iter()
        .any(|n| n.contains("apparmor=\"DENIED\"")));

    // Allowed accesses need no note.
    assert!(ask(&p, "r /a").complain_note.is_none());
}

#[test]
fn unconfined_mode_allows_everything() {
    let p = policy_with("deny /b w,", ProfileMode::Unconfined, None);
    assert_eq!(ask(&p, "w /b").verdict, Verdict::Allow);
}

#[test]
fn abi_decides_whether_network_covers_unix_sockets() {
    let old = policy_with("network,", ProfileMode::Enforce, Some("abi/3.0"));
    assert_eq!(
        ask(&old, "unix connect type=stream").verdict,
        Verdict::Allow
    );
    let new = policy_with("network,", ProfileMode::Enforce, Some("abi/4.0"));
    let d = ask(&new, "unix connect type=stream");
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(
        d.notes.iter().any(|n| n.contains("abi/4.0")),
        "{:?}",
        d.notes
    );
    let with_unix = policy_with(
        "network,\nunix (connect),",
        ProfileMode::Enforce,
        Some("abi/4.0"),
    );
    assert_eq!(ask(&with_unix, "unix connect").verdict, Verdict::Allow);
    assert_eq!(ask(&with_unix, "unix bind").verdict, Verdict::Deny);
    // Inet sockets are unaffected.
    assert_eq!(ask(&new, "network inet6 dgram").verdict, Verdict::Allow);
}

#[test]
fn all_grants_every_class() {
    let p = policy("all,");
    for q in [
        "rw /etc/shadow",
        "capability sys_module",
        "network packet raw",
        "mount /dev/sda1 -> /mnt",
        "signal send set=kill peer=foo",
        "userns create",
    ] {
        assert_eq!(ask(&p, q).verdict, Verdict::Allow, "{q}");
    }
}

#[test]
fn capability_network_and_mount_rules() {
    let p = policy(
        "capability chown dac_override,\ndeny capability sys_admin,\nnetwork inet tcp,\nmount fstype=tmpfs -> /tmp/**,\numount /mnt/**,",
    );
    assert_eq!(ask(&p, "capability chown").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "capability sys_admin").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "capability net_raw").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "network inet stream").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "network inet stream tcp").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "network inet dgram").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "network inet6 stream").verdict, Verdict::Deny);
    assert_eq!(
        ask(&p, "mount fstype=tmpfs none -> /tmp/x").verdict,
        Verdict::Allow
    );
    assert_eq!(
        ask(&p, "mount fstype=ext4 /dev/sda1 -> /tmp/x").verdict,
        Verdict::Deny
    );
    assert_eq!(ask(&p, "umount /mnt/a").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "umount /srv").verdict, Verdict::Deny);
}

#[test]
fn rlimits_cap_the_value() {
    let p = policy("set rlimit nofile <= 1024,");
    assert_eq!(ask(&p, "rlimit nofile 512").verdict, Verdict::Allow);
    let d = ask(&p, "rlimit nofile 4096");
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(d.rules.len(), 1);
    assert_eq!(ask(&p, "rlimit nproc 100000").verdict, Verdict::Allow);
}

#[test]
fn unknown_profile_is_an_error_listing_the_known_ones() {
    let p = policy("/a r,");
    match p.decide("nope", &parse_query("r /a").unwrap()) {
        Err(EvalError::UnknownProfile { name, known }) => {
            assert_eq!(name, "nope");
            assert_eq!(known, vec!["t".to_owned()]);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn fast_path_agrees_with_decide() {
    let p = policy("/a/** rw,\ndeny /a/secret w,\npriority=2 /a/override w,\ndeny /a/override w,");
    let mut scratch = Vec::new();
    for (path, perms) in [
        ("/a/x", "rw"),
        ("/a/secret", "w"),
        ("/a/override", "w"),
        ("/b", "r"),
    ] {
        let q = parse_query(&format!("{perms} {path}")).unwrap();
        let d = p.decide("t", &q).unwrap();
        let armorlab_core::eval::Query::File { perms, .. } = q else {
            unreachable!()
        };
        let v = p.check_file("t", path, perms, true, &mut scratch).unwrap();
        assert_eq!(v.allowed.letters(), d.allowed, "{path}");
    }
}

#[test]
fn link_subset_follows_the_compiled_pair_state() {
    // Checked against the kernel's view of apparmor_parser's output (oracle): the subset
    // marker sits in the owner half of the pair only, and a negated class in an ordinary
    // deny rule matches the NUL between link and target, removing the marker.
    let p = policy("file,\ndeny /proc/* w,\ndeny /sys/[^f]*/** wk,");
    let d = ask(&p, "l /etc/x -> /proc/x");
    assert_eq!(
        d.verdict,
        Verdict::Deny,
        "`/etc/x` has w that `/proc/x` lacks"
    );
    assert_eq!(ask(&p, "other l /etc/x -> /proc/x").verdict, Verdict::Allow);
    assert_eq!(ask(&p, "l /sys/ -> /proc/x").verdict, Verdict::Allow);
    // The target `/` is outside `/[^/].*`, the any-target pattern.
    assert_eq!(ask(&p, "l /etc/x -> /").verdict, Verdict::Deny);
}

#[test]
fn stacking_transitions_and_onexec_only_change_profile() {
    // From /etc/apparmor.d/usr.bin.man: `Cx -> &man_filter` stacks the child profile.
    let p = policy("/usr/bin/bzip2 rmCx -> &man_filter,\nchange_profile /bin/sh -> other,");
    let x = ask(&p, "x /usr/bin/bzip2").exec.unwrap();
    assert_eq!(x.target.as_deref(), Some("t//&t//man_filter"));
    assert!(x.explanation.contains("stack"), "{}", x.explanation);
    // A change_profile rule with an exec condition only allows change_onexec.
    assert_eq!(ask(&p, "change_profile -> other").verdict, Verdict::Deny);
}

#[test]
fn a_child_profile_peer_keeps_its_double_slash() {
    let p = policy("signal peer=a//b,");
    let d = ask(&p, "signal send peer=a//b");
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(ask(&p, "signal send peer=a/b").verdict, Verdict::Deny);
}

#[test]
fn complain_mode_blocks_only_quiet_denials_in_other_classes_too() {
    let p = policy_with(
        "deny capability sys_admin,\naudit deny capability sys_module,\nnetwork,\ndeny network alg,",
        ProfileMode::Complain,
        None,
    );
    // Linux 6.1's capability and socket checks return a quiet denial's error before the
    // complain-mode conversion, like file.c.
    let quiet = ask(&p, "capability sys_admin");
    assert_eq!(quiet.verdict, Verdict::Deny, "{quiet:?}");
    assert!(quiet
        .complain_note
        .unwrap()
        .contains("blocked and nothing is logged"));
    let logged = ask(&p, "capability sys_module");
    assert_eq!(logged.verdict, Verdict::Allow, "{logged:?}");
    assert!(logged.complain_note.unwrap().contains("logged as ALLOWED"));
    assert_eq!(ask(&p, "network alg seqpacket").verdict, Verdict::Deny);
    assert_eq!(ask(&p, "capability chown").verdict, Verdict::Allow);
}

#[test]
fn network_note_says_linux_6_1_enforces_family_rules() {
    // With an abi rule the rules hold whatever parser.conf says (booted and tested).
    let p = policy_with(
        "network inet,\ndeny network alg,",
        ProfileMode::Enforce,
        Some("abi/3.0"),
    );
    let d = ask(&p, "network alg seqpacket");
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("Linux 6.1 enforces these family and type rules")),
        "{:?}",
        d.notes
    );
    assert!(!d.notes.iter().any(|n| n.contains("every socket")));
}

#[test]
fn network_note_warns_when_no_abi_is_declared() {
    let without = policy("network inet,\ndeny network alg,");
    let note = |p: &CompiledPolicy| {
        ask(p, "network alg seqpacket")
            .notes
            .iter()
            .any(|n| n.contains("names no policy features"))
    };
    assert!(note(&without));
    let with = policy_with(
        "network inet,\ndeny network alg,",
        ProfileMode::Enforce,
        Some("abi/3.0"),
    );
    assert!(!note(&with));
}
