//! The unit-test table of `apparmor_parser`'s `parser_regex.c` (`test_filter_slashes` and
//! `test_aaregex_to_pcre`), carried over as facts: for each glob, the regular-expression
//! text `apparmor_parser` produces, whether it is a plain string, and which globs it
//! rejects.

// Test helpers outside `#[test]` functions fail the test by panicking, which is their job.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use armorlab_core::glob::PatternKind::{self, Basic, Regex, TailGlob};
use armorlab_core::glob::{parse, parse_unfiltered, GlobSet};

#[track_caller]
fn ok(glob: &str, expected: &str, kind: PatternKind) {
    let parsed = parse_unfiltered(glob).unwrap_or_else(|e| panic!("`{glob}` rejected: {e}"));
    assert_eq!(parsed.to_pcre(), expected, "conversion of `{glob}`");
    assert_eq!(parsed.pattern_kind(), kind, "pattern type of `{glob}`");
    assert_eq!(
        parsed.is_literal(),
        kind == Basic,
        "`{glob}` is {kind:?}, so is_literal must be {}",
        kind == Basic
    );
    // Every accepted glob must also compile into an automaton.
    GlobSet::new(&[parsed]).unwrap();
}

#[track_caller]
fn fails(glob: &str) {
    if let Ok(parsed) = parse_unfiltered(glob) {
        panic!("`{glob}` accepted as `{}`", parsed.to_pcre());
    }
}

#[test]
fn filter_slashes_table() {
    // `to_pcre` of a glob without operators is the filtered glob itself.
    for (glob, expected) in [
        ("///foo//////f//oo////////////////", "/foo/f/oo/"),
        ("/foo/f/oo", "/foo/f/oo"),
        ("/", "/"),
        ("", ""),
        ("//usr", "//usr"),
        ("//", "//"),
        ("///usr", "/usr"),
        ("///", "/"),
        ("/a/", "/a/"),
    ] {
        assert_eq!(
            parse(glob).unwrap().to_pcre(),
            expected,
            "filtering `{glob}`"
        );
    }
}

#[test]
fn basic_and_escapes() {
    ok("/most/basic/test", "/most/basic/test", Basic);
    fails(r"\");
    ok(r"\\", r"\\", Basic);
    ok(r"\blort", "blort", Basic);
    ok(r"\\blort", r"\\blort", Basic);
    fails(r"blort\");
    ok(r"blort\\", r"blort\\", Basic);
    ok("*", r"[^/\x00]*", Regex);
    ok("blort*", r"blort[^/\x00]*", Regex);
    ok("*blort", r"[^/\x00]*blort", Regex);
    ok(r"\*", r"\*", Basic);
    ok(r"blort\*", r"blort\*", Basic);
    ok(r"\*blort", r"\*blort", Basic);
}

#[test]
fn simple_quoting() {
    ok(r"\[", r"\[", Basic);
    ok(r"\]", r"\]", Basic);
    ok(r"\?", "?", Basic);
    ok(r"\{", r"\{", Basic);
    ok(r"\}", r"\}", Basic);
    ok(r"\,", ",", Basic);
    ok("^", r"\^", Basic);
    ok("$", r"\$", Basic);
    ok(".", r"\.", Basic);
    ok("+", r"\+", Basic);
    ok("|", r"\|", Basic);
    ok("(", r"\(", Basic);
    ok(")", r"\)", Basic);
    ok(r"\^", r"\^", Basic);
    ok(r"\$", r"\$", Basic);
    ok(r"\.", r"\.", Basic);
    ok(r"\+", r"\+", Basic);
    ok(r"\|", r"\|", Basic);
    ok(r"\(", r"\(", Basic);
    ok(r"\)", r"\)", Basic);
}

#[test]
fn simple_classes() {
    ok("[blort]", "[blort]", Regex);
    fails("[blort");
    fails("b[lort");
    fails("blort[");
    fails("blort]");
    fails("blo]rt");
    fails("]blort");
    ok("b[lor]t", "b[lor]t", Regex);
}

#[test]
fn simple_alternations() {
    ok("{alpha,beta}", "(alpha|beta)", Regex);
    ok("baz{alpha,beta}blort", "baz(alpha|beta)blort", Regex);
    fails("{beta}");
    fails("biz{beta");
    fails("biz}beta");
    fails("biz{be,ta");
    fails("biz,be}ta");
    fails("biz{}beta");
}

#[test]
fn nested_alternations() {
    ok(
        "{{alpha,blort,nested},beta}",
        "((alpha|blort|nested)|beta)",
        Regex,
    );
    fails("{{alpha,blort,nested}beta}");
    ok(
        "{{alpha,{blort,nested}},beta}",
        "((alpha|(blort|nested))|beta)",
        Regex,
    );
    ok(
        "{{alpha,alpha{blort,nested}}beta,beta}",
        "((alpha|alpha(blort|nested))beta|beta)",
        Regex,
    );
    ok(
        "{{a,b{c,d}}e,{f,{g,{h{i,j,k},l}m},n}o}",
        "((a|b(c|d))e|(f|(g|(h(i|j|k)|l)m)|n)o)",
        Regex,
    );
}

#[test]
fn nesting_limit_is_49() {
    let deepest = "{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a,b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b}b,blort}";
    let expected = "(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a(a|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)|b)b|blort)";
    ok(deepest, expected, Regex);
    fails("{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a{a,b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b},b}b,blort}");
}

#[test]
fn single_char_and_globbing() {
    ok("blor?t", r"blor[^/\x00]t", Regex);
    ok("/*", r"/[^/\x00][^/\x00]*", Regex);
    ok("/blort/*", r"/blort/[^/\x00][^/\x00]*", Regex);
    ok("/*/blort", r"/[^/\x00][^/\x00]*/blort", Regex);
    ok("/*/", r"/[^/\x00][^/\x00]*/", Regex);
    ok("/**", r"/[^/\x00][^\x00]*", TailGlob);
    ok("/blort/**", r"/blort/[^/\x00][^\x00]*", TailGlob);
    ok("/**/blort", r"/[^/\x00][^\x00]*/blort", Regex);
    ok("/**/", r"/[^/\x00][^\x00]*/", Regex);
}

#[test]
fn complicated_quoting() {
    fails(r"\\[");
    fails(r"\\]");
    ok(r"\\?", r"\\[^/\x00]", Regex);
    fails(r"\\{");
    fails(r"\\}");
    ok(r"\\,", r"\\,", Basic);
    ok(r"\\^", r"\\\^", Basic);
    ok(r"\\$", r"\\\$", Basic);
    ok(r"\\.", r"\\\.", Basic);
    ok(r"\\+", r"\\\+", Basic);
    ok(r"\\|", r"\\\|", Basic);
    ok(r"\\(", r"\\\(", Basic);
    ok(r"\\)", r"\\\)", Basic);
    ok(r"\000", r"\000", Basic);
    ok(r"\x00", r"\x00", Basic);
    ok(r"\d000", r"\d000", Basic);
}

#[test]
fn complicated_classes() {
    ok(r"b[\lor]t", "b[lor]t", Regex);
    ok("b[{a,b}]t", "b[{a,b}]t", Regex);
    ok("{alpha,b[{a,b}]t,gamma}", "(alpha|b[{a,b}]t|gamma)", Regex);
    ok(r"b[\{a,b\}]t", r"b[\{a,b\}]t", Regex);
    ok(
        r"{alpha,b[\{a,b\}]t,gamma}",
        r"(alpha|b[\{a,b\}]t|gamma)",
        Regex,
    );
    ok(
        r"{alpha,b[\{a\,b\}]t,gamma}",
        r"(alpha|b[\{a\,b\}]t|gamma)",
        Regex,
    );
}

#[test]
fn default_globbing() {
    ok("/foo/**", r"/foo/[^/\x00][^\x00]*", TailGlob);
    ok("/foo/f**", r"/foo/f[^\x00]*", TailGlob);
    ok("/foo/*", r"/foo/[^/\x00][^/\x00]*", Regex);
    ok("/foo/f*", r"/foo/f[^/\x00]*", Regex);
    ok("/foo/**.ext", r"/foo/[^\x00]*\.ext", Regex);
    ok("/foo/f**.ext", r"/foo/f[^\x00]*\.ext", Regex);
    ok("/foo/*.ext", r"/foo/[^/\x00]*\.ext", Regex);
    ok("/foo/f*.ext", r"/foo/f[^/\x00]*\.ext", Regex);
}
