//! Hostile and broken input: every case gets an error with a location, never a panic, a
//! hang or unbounded memory. And the error messages themselves: code, message, help and
//! the exact text they underline.

// Helpers of a test file may unwrap and index: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use armorlab_core::model::RuleKind;
use armorlab_core::{analyze, Analysis, Diagnostic, MemoryProvider, NoIncludes, Severity};

/// The text a diagnostic underlines.
fn underlined<'a>(a: &'a Analysis, d: &Diagnostic) -> &'a str {
    a.sources
        .get(d.location.file)
        .unwrap()
        .slice(d.location.span)
}

/// Every diagnostic has a position filled in.
fn assert_positioned(a: &Analysis) {
    for d in &a.diagnostics {
        assert!(!d.file.is_empty(), "{d:?}");
        assert!(d.line >= 1 && d.column >= 1, "{d:?}");
    }
}

fn only_error(a: &Analysis) -> &Diagnostic {
    let errs: Vec<&Diagnostic> = a.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errs.len(), 1, "{:#?}", a.diagnostics);
    errs[0]
}

fn file_paths(a: &Analysis, profile: &str) -> Vec<String> {
    a.policy
        .find(profile)
        .unwrap()
        .rules
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::File(f) => f.path.clone(),
            _ => None,
        })
        .collect()
}

#[test]
fn unclosed_brace_points_at_the_brace_and_keeps_the_rules() {
    let a = analyze("t", "profile p {\n  /a r,\n  /b w,\n", &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "unclosed-brace");
    assert_eq!(d.message, "unclosed `{`");
    assert_eq!(underlined(&a, d), "{");
    assert_eq!((d.line, d.column), (1, 11));
    assert_eq!(file_paths(&a, "p"), vec!["/a", "/b"]);
}

#[test]
fn stray_closing_brace_is_reported_where_it_is() {
    let a = analyze("t", "profile p {\n  /a r,\n}\n}\n", &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "unexpected-close-brace");
    assert_eq!(underlined(&a, d), "}");
    assert_eq!((d.line, d.column), (4, 1));
    assert_positioned(&a);
}

#[test]
fn a_broken_rule_does_not_hide_its_neighbours() {
    let text = "profile p {\n  /a r,\n  /b rz,\n  capability chown,\n  /c w,\n}\n";
    let a = analyze("t", text, &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "invalid-mode");
    assert_eq!(d.message, "invalid permission `z` in `rz`");
    assert_eq!(underlined(&a, d), "rz");
    assert_eq!(d.line, 3);
    assert_eq!(file_paths(&a, "p"), vec!["/a", "/c"]);
    let p = a.policy.find("p").unwrap();
    assert!(p
        .rules
        .iter()
        .any(|r| matches!(&r.kind, RuleKind::Capability { names } if names == &["chown"])));
}

#[test]
fn missing_comma_is_reported_on_the_rule() {
    let a = analyze("t", "profile p {\n  /a r\n}\n", &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "missing-comma");
    assert_eq!(d.message, "expected `,` at the end of the rule");
    assert_eq!(underlined(&a, d), "/a r");
    assert_eq!(d.help.as_deref(), Some("every rule ends with `,`"));
}

/// A deterministic stream of bytes (no dependency on a random crate).
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

#[test]
fn binary_garbage_gives_located_errors() {
    for seed in 0..50 {
        let bytes = garbage(4096, seed);
        let text = String::from_utf8_lossy(&bytes);
        let a = analyze("garbage", &text, &NoIncludes);
        assert!(a.has_errors(), "seed {seed}");
        assert_positioned(&a);
    }
}

#[test]
fn nul_bytes_are_errors_with_locations() {
    let a = analyze("t", "profile p {\n  /a\0 r,\n  \0\0\0,\n}\n", &NoIncludes);
    assert!(a.has_errors());
    assert_positioned(&a);
    let all_nul = "\0".repeat(10_000);
    let a = analyze("t", &all_nul, &NoIncludes);
    assert!(a.has_errors());
    assert_positioned(&a);
}

#[test]
fn ten_megabyte_profile_parses_with_its_one_error() {
    let mut text = String::from("profile big {\n");
    let mut n = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&format!("  /srv/data/{n}/** rw,\n"));
        n += 1;
    }
    text.push_str("  /broken rqq,\n}\n");
    let a = analyze("big", &text, &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "invalid-mode");
    assert_eq!(d.line as usize, n + 2);
    assert_eq!(a.policy.find("big").unwrap().rules.len(), n);
}

#[test]
fn alternations_nested_past_fifty_are_rejected() {
    let deep = format!("/{}x{} r", "{a,".repeat(51), "}".repeat(51));
    let a = analyze("t", &format!("profile p {{\n  {deep},\n}}\n"), &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "brace-nesting");
    assert_eq!(d.message, "`{}` nested more than 50 levels deep in a glob");
    assert_eq!(underlined(&a, d), deep);
    // Fifty levels are fine.
    let ok = format!("/{}x{} r", "{a,".repeat(50), "}".repeat(50));
    let a = analyze("t", &format!("profile p {{\n  {ok},\n}}\n"), &NoIncludes);
    assert!(!a.has_errors(), "{:#?}", a.diagnostics);
}

#[test]
fn blocks_nested_thousands_deep_do_not_overflow_the_stack() {
    let text = format!(
        "profile p {{\n{}{}",
        "owner {\n".repeat(5000),
        "}\n".repeat(5001)
    );
    let a = analyze("t", &text, &NoIncludes);
    assert!(a
        .diagnostics
        .iter()
        .any(|d| d.code == "nesting-too-deep" && d.is_error()));
    assert_positioned(&a);
    let cond = format!(
        "$B = true\nprofile p {{\n  if {}$B {{\n  }}\n}}\n",
        "not ".repeat(100_000)
    );
    let a = analyze("t", &cond, &NoIncludes);
    assert!(a.diagnostics.iter().any(|d| d.code == "invalid-condition"));
    let parens = format!("profile p {{ signal {}, }}", "(".repeat(100_000));
    let a = analyze("t", &parens, &NoIncludes);
    assert!(a.has_errors());
    assert_positioned(&a);
}

#[test]
fn include_cycles_are_reported_and_broken() {
    let mut p = MemoryProvider::new(["/etc/apparmor.d"]);
    p.insert("/etc/apparmor.d/a", "  /from/a r,\n  include <b>\n");
    p.insert("/etc/apparmor.d/b", "  /from/b r,\n  include <a>\n");
    let a = analyze("main", "profile p {\n  include <a>\n}\n", &p);
    assert!(!a.has_errors(), "{:#?}", a.diagnostics);
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == "include-cycle")
        .unwrap();
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.file, "/etc/apparmor.d/b");
    assert_eq!(d.line, 2);
    assert_eq!(underlined(&a, d), "include <a>");
    assert_eq!(d.included_from.len(), 2);
    assert_eq!(file_paths(&a, "p"), vec!["/from/a", "/from/b"]);
}

#[test]
fn missing_include_is_an_error_unless_if_exists() {
    let text = "profile p {\n  include <abstractions/nope>\n  include if exists <local/p>\n}\n";
    let a = analyze("t", text, &MemoryProvider::new(["/etc/apparmor.d"]));
    let d = only_error(&a);
    assert_eq!(d.code, "missing-include");
    assert_eq!(d.message, "could not open include <abstractions/nope>");
    assert_eq!(underlined(&a, d), "include <abstractions/nope>");
    assert_eq!((d.line, d.column), (2, 3));
}

#[test]
fn undefined_variable_underlines_the_reference() {
    let a = analyze("t", "profile p {\n  @{NOPE}/bin/x r,\n}\n", &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "undefined-variable");
    assert_eq!(d.message, "variable `@{NOPE}` is not defined");
    assert_eq!(underlined(&a, d), "@{NOPE}");
    assert_eq!((d.line, d.column), (2, 3));
    assert!(d.help.is_some());
}

#[test]
fn exploding_variables_are_bounded() {
    // Each level doubles the expansion: 2^40 without a bound.
    let mut text = String::from("@{v0} = a b\n");
    for i in 1..40 {
        text.push_str(&format!(
            "@{{v{i}}} = @{{v{p}}}@{{v{p}}}x @{{v{p}}}y\n",
            p = i - 1
        ));
    }
    text.push_str("profile p {\n  /@{v39} r,\n}\n");
    let a = analyze("t", &text, &NoIncludes);
    assert!(a.has_errors());
    assert_positioned(&a);
    let recursive = "@{a} = @{b}\n@{b} = @{a}\nprofile p {\n  /@{a} r,\n}\n";
    let a = analyze("t", recursive, &NoIncludes);
    let d = only_error(&a);
    assert_eq!(d.code, "recursive-variable");
}

#[test]
fn error_messages_for_common_mistakes() {
    // (profile text, code, message, underlined text)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "profile p { capability chwon, }",
            "unknown-capability",
            "unknown capability `chwon`",
            "chwon",
        ),
        (
            "profile p { network inet9, }",
            "unknown-network-family",
            "unknown network family `inet9`",
            "inet9",
        ),
        (
            "profile p flags=(complian) { }",
            "unknown-flag",
            "unknown profile flag `complian`",
            "complian",
        ),
        (
            "profile p { /bin/x pxix, }",
            "conflicting-exec-modes",
            "conflicting exec modes in `pxix`",
            "pxix",
        ),
        (
            "profile p { /bin/x px, /bin/x ix, }",
            "conflicting-exec-modes",
            "conflicting exec modes for `/bin/x`: `px` and `ix`",
            "/bin/x ix",
        ),
        (
            "profile p { } profile p { }",
            "duplicate-profile",
            "profile `p` is defined more than once",
            "profile p",
        ),
        (
            "profile p { /a rw, }\n/a r,",
            "rule-outside-profile",
            "rule `/a r` outside of a profile",
            "/a r",
        ),
        (
            "profile p { deny audit /a r, }",
            "qualifier-order",
            "qualifier `audit` is out of order",
            "audit",
        ),
        (
            "profile p { set rlimit nofiles <= 10, }",
            "unknown-rlimit",
            "unknown rlimit `nofiles`",
            "nofiles",
        ),
        (
            "profile p { signal (send) set=(hup, boom), }",
            "unknown-signal",
            "unknown signal `boom`",
            "set",
        ),
        (
            "profile p { /a{b r, }",
            "unbalanced-braces",
            "unbalanced `{` in `/a{b`",
            "/a{b r",
        ),
        (
            "profile p { owner capability chown, }",
            "invalid-qualifier",
            "`owner` and `other` apply only to file rules, not to `capability`",
            "capability",
        ),
    ];
    for (text, code, message, under) in cases {
        let a = analyze("t", text, &NoIncludes);
        let d = only_error(&a);
        assert_eq!(d.code, *code, "{text}");
        assert_eq!(d.message, *message, "{text}");
        assert_eq!(underlined(&a, d), *under, "{text}");
        assert_eq!(d.file, "t");
        assert!(d.line >= 1);
    }
}

#[test]
fn errors_carry_advice() {
    // (profile text, code, help)
    let cases: &[(&str, &str, &str)] = &[
        (
            "profile p { capability CAP_CHOWN, }",
            "unknown-capability",
            "capability names are written without `CAP_`, e.g. `net_admin`",
        ),
        (
            "profile p { /bin/x x, }",
            "invalid-mode",
            "use `ix`, `px`, `cx` or `ux`",
        ),
        (
            "profile p { /a rw }",
            "missing-comma",
            "every rule ends with `,`",
        ),
        (
            "profile p { deny audit /a r, }",
            "qualifier-order",
            "write qualifiers in the order `priority=N audit allow|deny owner|other`",
        ),
        (
            "profile p { /a rwa, }",
            "conflicting-permissions",
            "`w` includes append; drop `a`",
        ),
        (
            "@{A} = x\n@{A} = y\nprofile p { }",
            "redefined-variable",
            "use `+=` to add values",
        ),
        (
            "profile p { @{A} = x\n}",
            "variable-in-profile",
            "define variables before the profile",
        ),
    ];
    for (text, code, help) in cases {
        let a = analyze("t", text, &NoIncludes);
        let d = only_error(&a);
        assert_eq!(d.code, *code, "{text}");
        assert_eq!(d.help.as_deref(), Some(*help), "{text}");
    }
}

#[test]
fn unterminated_string_stops_at_its_line() {
    let text = "profile p {\n  /a r,\n  \"/b c r,\n  /d w,\n}\n";
    let a = analyze("t", text, &NoIncludes);
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == "unterminated-string")
        .unwrap();
    assert_eq!(d.message, "unterminated string");
    assert_eq!(underlined(&a, d), "\"/b c r,");
    assert_eq!((d.line, d.column), (3, 3));
    // The rules around it still count.
    let paths = file_paths(&a, "p");
    assert!(paths.contains(&"/a".to_string()) && paths.contains(&"/d".to_string()));
}

/// Random edits of a real profile: analysis never panics and positions every
/// diagnostic; the formatter either refuses (syntax errors) or produces text that
/// formats to itself and analyses to the same policy.
mod mutations {
    use super::*;
    use armorlab_core::format::format_source;
    use proptest::prelude::*;

    const BASE: &str = include_str!("../../templates/docker-default.rendered.apparmor");
    /// A profile with one of most constructs, so edits reach every corner of the parser.
    const RICH: &str = "abi <abi/3.0>,\n@{HOME} = /home/*/ /root/ # homes\n@{X} += \"/a b\"\n$flag = true\nalias /usr/ -> /mnt/usr/,\n\nprofile :ns:p /usr/bin/{a,b} xattrs=(k=v) flags=(complain, attach_disconnected.path=/dis) {\n  include if exists <local/p>\n  audit deny owner @{HOME}/.ssh/** rwl,\n  priority=1 /bin/x Pix -> other,\n  px /bin/y,\n  owner {\n    /tmp/** rw,\n  }\n  if $flag and not defined @{Y} {\n    network inet stream ip=10.0.0.1 port=80,\n  } else {\n    unix (connect, send) type=stream peer=(addr=@foo label=bar),\n  }\n  dbus send bus=session path=/org/x member={Get,Set} peer=(name=org.x),\n  mount fstype=ext4 options in (ro, nosuid) /dev/sda -> /mnt/,\n  signal (send) set=(hup, int) peer=unconfined,\n  set rlimit nofile <= 1024,\n  change_profile unsafe /bin/z -> q,\n  link subset /l -> /t,\n  mqueue r type=posix /q,\n  ^hat {\n    capability chown, # trailing\n  }\n  profile child flags=(kill.signal=hup) {\n    all,\n  }\n}\n";

    const PIECES: &[&str] = &[
        "{",
        "}",
        ",",
        "(",
        ")",
        "=",
        "\"",
        "#",
        "\n",
        " ",
        "->",
        "@{",
        "@{PROC}",
        "^",
        "!",
        "\\",
        "/",
        "*",
        "[",
        "]",
        "owner ",
        "deny ",
        "profile x ",
        "include <a>\n",
        "$b = true\n",
        "if $b {",
        "\0",
        "é",
        "rw",
        "px",
        "peer=",
    ];

    fn mutate(mut text: String, edits: &[(usize, usize, usize)]) -> String {
        for &(pos, kind, piece) in edits {
            let mut at = pos % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match kind % 3 {
                0 => text.insert_str(at, PIECES[piece % PIECES.len()]),
                1 => {
                    let mut end = (at + 1 + piece % 8).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                }
                _ => {
                    let mut end = (at + 1).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, PIECES[piece % PIECES.len()]);
                }
            }
        }
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn edited_profiles_never_panic(rich: bool, edits in proptest::collection::vec((0usize..4000, 0usize..3, 0usize..64), 1..6)) {
            let base = if rich { RICH } else { BASE };
            let text = mutate(base.to_owned(), &edits);
            let a = analyze("m", &text, &NoIncludes);
            assert_positioned(&a);
            if let Ok(once) = format_source(&text) {
                let twice = format_source(&once).expect("formatted text reparses");
                prop_assert_eq!(&once, &twice);
                let b = analyze("m", &once, &NoIncludes);
                let strip = |a: &Analysis| {
                    let mut p = a.policy.clone();
                    fn walk(p: &mut armorlab_core::model::Profile) {
                        p.location = Default::default();
                        for r in p.rules.iter_mut() {
                            r.location = Default::default();
                            r.text.clear();
                        }
                        p.children.iter_mut().for_each(walk);
                    }
                    p.profiles.iter_mut().for_each(walk);
                    p
                };
                prop_assert_eq!(strip(&a), strip(&b), "formatted:\n{}", once);
            }
        }
    }
}

/// Syntax newer than Debian 12's parser is accepted with a warning naming the version
/// that introduced it, underlining the construct.
#[test]
fn syntax_newer_than_debian_parser_warns_with_the_version() {
    let cases = [
        ("priority=1 /x r,", "priority=1", "4.1"),
        ("all,", "all", "4.0"),
        ("userns create,", "userns", "4.0"),
        ("io_uring sqpoll,", "io_uring", "4.0"),
        ("mqueue,", "mqueue", "4.0"),
        (
            "network (send) inet stream,",
            "network (send) inet stream",
            "4.0",
        ),
    ];
    for (rule, under, version) in cases {
        let text = format!("profile p {{\n  {rule}\n}}\n");
        let a = analyze("p", &text, &NoIncludes);
        assert_positioned(&a);
        assert!(!a.has_errors(), "{rule}: {:?}", a.diagnostics);
        let d = a
            .diagnostics
            .iter()
            .find(|d| d.code == "needs-newer-parser")
            .unwrap_or_else(|| panic!("{rule}: no warning in {:?}", a.diagnostics));
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(underlined(&a, d), under, "{rule}");
        assert!(d.message.contains(&format!("AppArmor {version}")), "{d:?}");
        assert!(d.message.contains("3.0.8"), "{d:?}");
        assert!(d.help.is_some());
    }
    for rule in ["network inet stream,", "/x r,", "unix (send),"] {
        let text = format!("profile p {{\n  {rule}\n}}\n");
        let a = analyze("p", &text, &NoIncludes);
        assert!(a.diagnostics.is_empty(), "{rule}: {:?}", a.diagnostics);
    }
}

/// A rule that starts with an unknown word gets advice that fits it: `set rlimit` for a
/// bare `rlimit`, the nearest keyword for a misspelling, and otherwise how a file rule
/// starts.
#[test]
fn unknown_rule_help_fits_the_word() {
    let cases = [
        (
            "rlimit nofile <= 10,",
            "rlimit",
            "`set rlimit nofile <= 10,`",
        ),
        (
            "capabilty sys_admin,",
            "capabilty",
            "did you mean `capability`?",
        ),
        ("Capability,", "Capability", "did you mean `capability`?"),
        ("netwrok inet,", "netwrok", "did you mean `network`?"),
        ("singal (send),", "singal", "did you mean `signal`?"),
        ("pivotroot /a/,", "pivotroot", "did you mean `pivot_root`?"),
        ("audti /x r,", "audti", "did you mean `audit`?"),
        (
            "tmp/x r,",
            "tmp/x",
            "file rules start with an absolute path",
        ),
        ("bogus,", "bogus", "file rules start with an absolute path"),
    ];
    for (rule, under, help) in cases {
        let text = format!("profile p {{\n  {rule}\n}}\n");
        let a = analyze("p", &text, &NoIncludes);
        assert_positioned(&a);
        let d = only_error(&a);
        assert_eq!(d.code, "unknown-rule", "{rule}: {d:?}");
        assert_eq!(underlined(&a, d), under, "{rule}");
        let h = d.help.as_deref().unwrap_or("");
        assert!(h.contains(help), "{rule}: help {h:?}");
    }
}

#[test]
fn a_byte_order_mark_is_named_first() {
    let text = "\u{feff}profile p {\n  /a r,\n}\n";
    let a = armorlab_core::analyze("bom", text, &armorlab_core::NoIncludes);
    let first = &a.diagnostics[0];
    assert_eq!(first.code, "byte-order-mark");
    assert_eq!((first.line, first.column), (1, 1));
    assert_eq!(first.location.span.range(), 0..3);
    assert!(first
        .help
        .as_deref()
        .unwrap()
        .contains("without a byte order mark"));
}
