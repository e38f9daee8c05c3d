//! Pinned behaviour of AppArmor globs, including the surprising parts. Each expectation
//! follows from how `apparmor_parser` rewrites and then parses the glob (the expression
//! text and tree it prints with `-D rule-exprs` are quoted in the comments).

// Test helpers outside `#[test]` functions fail the test by panicking, which is their job.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use armorlab_core::glob::{parse, parse_unfiltered, ByteSet, GlobError, GlobSet, Node};

#[track_caller]
fn matches(glob: &str, path: &str) -> bool {
    let set = GlobSet::new(&[parse(glob).unwrap()]).unwrap();
    set.is_match(0, path)
}

#[track_caller]
fn assert_matches(glob: &str, yes: &[&str], no: &[&str]) {
    for p in yes {
        assert!(matches(glob, p), "`{glob}` must match `{p}`");
    }
    for p in no {
        assert!(!matches(glob, p), "`{glob}` must not match `{p}`");
    }
}

#[test]
fn docker_docs_proc_glob() {
    // `**^[0-9*]` is `[^\x00]*\^[0-9[^/\x00]*]`: it needs a literal `^`, and the class
    // `[0-9*]` turns into a class of `0-9 [ ^ / NUL`, repeated, then a literal `]`.
    let glob = "/proc/{*,**^[0-9*],sys/kernel/shm*}";
    assert_eq!(
        parse(glob).unwrap().to_pcre(),
        r"/proc/([^/\x00]*|[^\x00]*\^[0-9[^/\x00]*]|sys/kernel/shm[^/\x00]*)"
    );
    assert_matches(
        glob,
        &[
            "/proc/uptime",
            "/proc/sysrq-trigger",
            "/proc/sys/kernel/shmmax",
            "/proc/",
            "/proc/a/b^]",
            "/proc/x^0/9[]",
        ],
        &[
            "/proc/sys/kernel/core_pattern",
            "/proc/sys/kernel/shm/x",
            "/proc/1/mem",
            "/proc/a/^5",
        ],
    );
}

#[test]
fn star_after_slash_needs_a_byte() {
    assert_matches(
        "/dir/*",
        &["/dir/a", "/dir/.x"],
        &["/dir/", "/dir/a/b", "/dir"],
    );
    assert_matches(
        "/dir/**",
        &["/dir/a", "/dir/a/b/", "/dir/a/"],
        &["/dir/", "/dir"],
    );
    assert_matches("/*/x", &["/a/x"], &["//x", "/x"]);
    // Not at the end of a component: `*` may be empty.
    assert_matches("/dir/*.so", &["/dir/.so", "/dir/a.so"], &["/dir/a/b.so"]);
    // After `{` the rule does not apply: the text before `*` is `(`, not `/`.
    assert_matches("/dir/{*,x}", &["/dir/", "/dir/a"], &[]);
    // A run of stars: `***` is `[^/\x00][^\x00]*[^/\x00]*`.
    assert_eq!(
        parse("/x/***").unwrap().to_pcre(),
        r"/x/[^/\x00][^\x00]*[^/\x00]*"
    );
    assert_matches("/x/***", &["/x/a", "/x/a/b"], &["/x/"]);
}

#[test]
fn star_and_question_do_not_cross_slash_or_match_nul() {
    assert_matches("/a*b", &["/ab", "/axxb"], &["/a/b"]);
    assert_matches("/a**b", &["/ab", "/a/x/b"], &["/a\0b"]);
    assert_matches("/a?b", &["/axb", "/a^b"], &["/a/b", "/ab", "/a\0b"]);
    assert_matches("/a*b", &[], &["/a\0b"]);
    // `?` matches one byte, not one character.
    assert_matches("/?", &["/a"], &["/é"]);
    assert_matches("/??", &["/é"], &[]);
}

#[test]
fn caret_and_dollar_are_literal_outside_classes() {
    assert_eq!(parse("/a^b$").unwrap().to_pcre(), r"/a\^b\$");
    assert_matches("/a^b$", &["/a^b$"], &["/ab", "/a^b"]);
}

#[test]
fn star_and_question_expand_inside_classes() {
    // `[*]` is `[[^/\x00]*]`: a class of `[ ^ / NUL` repeated, then `]`.
    assert_eq!(parse("/x/[*]y").unwrap().to_pcre(), r"/x/[[^/\x00]*]y");
    assert_matches(
        "/x/[*]y",
        &["/x/]y", "/x/[^/]y", "/x/^^]y"],
        &["/x/*y", "/x/ay"],
    );
    // `[?]` is `[[^/\x00]]`: one of `[ ^ / NUL`, then `]`.
    assert_matches("/x/[?]", &["/x/[]", "/x//]"], &["/x/?", "/x/a"]);
}

#[test]
fn escaped_caret_in_class_negates() {
    // The backslash is dropped inside a class, so `[\^a]` is `[^a]`.
    assert_eq!(parse(r"/e/[\^a]").unwrap().to_pcre(), "/e/[^a]");
    assert_matches(r"/e/[\^a]", &["/e/b", "/e/^"], &["/e/a"]);
}

#[test]
fn escaped_comma_in_class_also_matches_backslash() {
    assert_eq!(parse(r"/y/[\,a]").unwrap().to_pcre(), r"/y/[\,a]");
    assert_matches(r"/y/[\,a]", &["/y/,", "/y/a", "/y/\\"], &["/y/b"]);
}

#[test]
fn classes_ranges_and_negation() {
    assert_matches("/q/[^a-c]", &["/q/d", "/q/^"], &["/q/a", "/q/b", "/q/c"]);
    assert_matches("/z/[z-a]", &["/z/m"], &["/z/A"]);
    assert_matches("/z/[--a]", &["/z/-", "/z/0", "/z/a"], &["/z/b"]);
    assert_matches("/z/[^^a]", &["/z/b"], &["/z/^", "/z/a"]);
    assert_matches("/z/[a^]", &["/z/^", "/z/a"], &["/z/b"]);
    assert_matches("/z/[-a]", &["/z/-", "/z/a"], &["/z/b"]);
    // A class of bytes: `[é]` matches either byte of `é` on its own.
    let glob = parse("/u/[é]").unwrap();
    let Node::Concat(parts) = glob.node() else {
        panic!("expected a concatenation")
    };
    let mut set = ByteSet::new();
    set.insert(0xc3);
    set.insert(0xa9);
    assert_eq!(
        parts.last(),
        Some(&Node::Class {
            set,
            negated: false
        })
    );
    assert_matches("/u/[é]", &[], &["/u/é"]);
    assert_matches("/u/[é][é]", &["/u/é"], &[]);
}

#[test]
fn alternations_with_empty_items() {
    assert_eq!(parse("/e/{a,b,}").unwrap().to_pcre(), "/e/(a|b|)");
    assert_matches("/e/{a,b,}", &["/e/a", "/e/b", "/e/"], &["/e/c", "/e/ab"]);
    assert_matches("/d/{,a/b}", &["/d/", "/d/a/b"], &["/d/a"]);
    assert_matches(
        "/{a,{b,c{d,e}}}/x",
        &["/a/x", "/b/x", "/cd/x", "/ce/x"],
        &["/c/x", "/x"],
    );
}

#[test]
fn slashes_are_collapsed() {
    assert_eq!(
        parse("/a//b/*/c").unwrap().to_pcre(),
        r"/a/b/[^/\x00][^/\x00]*/c"
    );
    assert_eq!(parse("/d///{,a//b}").unwrap().to_pcre(), "/d/(|a/b)");
    assert_eq!(
        parse("//ns/**").unwrap().to_pcre(),
        r"//ns/[^/\x00][^\x00]*"
    );
    // Without filtering the slashes stay.
    assert_eq!(parse_unfiltered("/a//b").unwrap().to_pcre(), "/a//b");
    assert_matches("/a//b", &["/a/b"], &["/a//b"]);
}

#[test]
fn escapes_decode() {
    assert_matches(r"/z/\x41\d066\103\t\\", &["/z/ABC\t\\"], &["/z/x41"]);
    // `\d256` is `\d25` then `6`; `\400` is `\40` (a space) then `0`.
    assert_matches(r"/c/\d256\400", &["/c/\u{19}6 0"], &[]);
    // An escape that means nothing drops the backslash.
    assert_matches(r"/q/\q", &["/q/q"], &["/q/\\q"]);
    assert!(parse(r"/q/\*").unwrap().is_literal());
    assert_eq!(
        parse(r"/q/\*").unwrap().literal_bytes(),
        Some(b"/q/*".to_vec())
    );
}

#[test]
fn errors_carry_spans() {
    let err = parse("/f/a]b").unwrap_err();
    assert!(
        matches!(err, GlobError::UnmatchedCloseBracket { .. }),
        "{err:?}"
    );
    assert_eq!(err.span().unwrap().range(), 4..5);

    let err = parse("/x/{a,b").unwrap_err();
    assert!(matches!(err, GlobError::UnclosedBrace { .. }), "{err:?}");
    assert_eq!(err.span().unwrap().range(), 3..4);

    let err = parse("/x/[ab").unwrap_err();
    assert!(matches!(err, GlobError::UnclosedBracket { .. }), "{err:?}");
    assert_eq!(err.span().unwrap().range(), 3..4);

    let err = parse("/x/{a,{b}}").unwrap_err();
    assert!(
        matches!(err, GlobError::SingleItemAlternation { .. }),
        "{err:?}"
    );
    assert_eq!(err.span().unwrap().range(), 6..9);
    assert_eq!(err.to_string(), "alternation `{b}` has a single item");

    let err = parse("/x/a}").unwrap_err();
    assert!(
        matches!(err, GlobError::UnmatchedCloseBrace { .. }),
        "{err:?}"
    );
    assert_eq!(err.span().unwrap().range(), 4..5);

    let err = parse(r"/x/a\").unwrap_err();
    assert!(
        matches!(err, GlobError::TrailingBackslash { .. }),
        "{err:?}"
    );
    assert_eq!(err.span().unwrap().range(), 4..5);

    // Spans point into the pattern as written, before slashes are collapsed.
    let err = parse("////x/]").unwrap_err();
    assert_eq!(err.span().unwrap().range(), 6..7);

    let err = parse("/x/a\0").unwrap_err();
    assert!(matches!(err, GlobError::NulByte { .. }), "{err:?}");
    assert_eq!(err.span().unwrap().range(), 4..5);
}

#[test]
fn classes_the_expression_parser_rejects() {
    // `apparmor_parser` accepts these while rewriting, then its expression parser fails.
    for (glob, span) in [
        ("/x/[a-]", 3..7),
        ("/x/[^]", 3..6),
        (r"/x/[\^]", 3..7),
        ("/x/[]", 3..5),
        ("/x/[^^-x]", 3..9),
        ("/x/[a-c-e]", 3..10),
    ] {
        let err = parse(glob).unwrap_err();
        assert!(
            matches!(err, GlobError::InvalidClass { .. }),
            "`{glob}`: {err:?}"
        );
        let got = err.span().unwrap().range();
        assert!(
            got.start >= span.start && got.end <= span.end && got.start < got.end,
            "`{glob}`: span {got:?} not inside {span:?}"
        );
        assert!(err.help().is_some());
    }
}

#[test]
fn size_limits() {
    let long = format!("/{}", "a".repeat(armorlab_core::glob::MAX_GLOB_LEN));
    assert!(matches!(parse(&long), Err(GlobError::TooLong { .. })));
}

#[test]
fn set_reports_every_match_in_order() {
    let globs: Vec<_> = [
        "/**",
        "/proc/*",
        "/proc/uptime",
        "/sys/**",
        "/proc/{uptime,x}",
    ]
    .iter()
    .map(|g| parse(g).unwrap())
    .collect();
    let set = GlobSet::new(&globs).unwrap();
    let mut out = vec![99];
    set.matches_into("/proc/uptime", &mut out);
    assert_eq!(out, vec![0, 1, 2, 4]);
    set.matches_into("/etc/passwd", &mut out);
    assert_eq!(out, vec![0]);
    set.matches_into("", &mut out);
    assert_eq!(out, Vec::<usize>::new());
    assert!(set.is_match(3, "/sys/a"));
    assert!(!set.is_match(3, "/sys/"));
    assert!(!set.is_match(17, "/sys/a"));
    let empty = GlobSet::new(&[]).unwrap();
    empty.matches_into("/x", &mut out);
    assert!(out.is_empty());
}

#[test]
fn xmatch_len_is_apparmor_parsers_min_match_len() {
    // Values `apparmor_parser` 3.0.8 writes into the binary policy for these attachments.
    for (glob, len) in [
        ("/usr/bin/*", 10),
        ("/usr/{bin,sbin}/x", 10),
        ("/u?r/**", 3),
        ("/usr/[bs]in/x", 10),
        (r"/usr/\*x/**", 9),
        ("/a//b/*", 6),
        ("/usr/bin/**/y", 10),
        ("/usr/bin/{ab,c}d", 11),
        ("/usr/bin/[ab]c", 11),
        ("/usr/bin/[^ab]c", 10),
        ("/usr/{,s}bin/{foo,ba?}", 12),
    ] {
        assert_eq!(
            parse(glob).unwrap().xmatch_len(),
            len,
            "xmatch_len of `{glob}`"
        );
    }
    // A plain string: its decoded length.
    assert_eq!(parse(r"/usr//bin/\x41").unwrap().xmatch_len(), 10);
}
