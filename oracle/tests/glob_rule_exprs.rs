//! Differential tests of the glob compiler (`armorlab_core::glob`) against the real
//! `apparmor_parser`:
//!
//! 1. For every glob feature, `apparmor_parser -Q -K -D rule-exprs` prints each rule's glob
//!    (`aare: GLOB   ->   REGEX`); `Glob::to_pcre` must produce the same regex byte for byte,
//!    and globs the parser rejects must be rejected.
//! 2. Each accepted glob is compiled into a binary policy and the kernel's DFA walk (the
//!    oracle) must grant `r` on exactly the paths the compiled `GlobSet` matches.
//!
//! When `/usr/sbin/apparmor_parser` is not installed the tests say so and pass.

// Test helpers outside `#[test]` functions fail the test by panicking, which is their job.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use armorlab_core::glob::{parse, parse_unfiltered, Glob, GlobSet, Node};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const PARSER: &str = "/usr/sbin/apparmor_parser";

/// One rule of the test profile.
struct Case {
    /// The path as written in the profile (quoted when it has spaces).
    written: &'static str,
    /// The glob as it reaches the glob compiler (quotes removed).
    glob: &'static str,
    /// Whether the profile lexer passes the glob on unchanged (it decodes numeric escapes
    /// such as `\x41`, so for those only the parser's own `aare:` text can be compared).
    lexer_identity: bool,
}

const fn case(glob: &'static str) -> Case {
    Case {
        written: glob,
        glob,
        lexer_identity: true,
    }
}

/// Globs exercising every feature and quirk: slash collapsing, `*`/`**`/`?` and the
/// one-byte rule after `/`, alternations (nested, empty items), classes (negated, ranges,
/// reversed ranges, `*` and `?` inside, escaped `^` and `,`), escapes, quoted operators.
const ACCEPTED: &[Case] = &[
    case("/most/basic/test"),
    case("/a//b/*/c"),
    case("///foo//////f//oo////////"),
    case("//ns/**"),
    case("/proc/{*,**^[0-9*],sys/kernel/shm*}"),
    case(
        "/proc//{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/**",
    ),
    case("/proc//sys/kernel/{?,??,[^s][^h][^m]**}"),
    case("/dir/*"),
    case("/dir/**"),
    case("/dir/*/"),
    case("/dir/**/x"),
    case("/dir/*.so"),
    case("/dir/f**"),
    case("/dir/f**.ext"),
    case("/x/***"),
    case("/x/{*,b}"),
    case("/x/[*]y"),
    case("/x/[?]"),
    case("/x/[*-]"),
    case("/x/[a-*]"),
    case("/x/[/*/]"),
    case(r"/y/[\,a]"),
    case(r"/e/[\^a]"),
    case("/q/[^a-c]?"),
    case("/x/[--a]"),
    case("/x/[^^a]"),
    case(r"/x/[a\]b]"),
    case("/x/[z-a]"),
    case("/x/[a^]"),
    case("/x/[{a,b}]t"),
    case(r"/x/b[\{a\,b\}]t"),
    case("/e/{a,b,}"),
    case("/d///{,a//b}"),
    case("/n/{{a,b{c,d}}e,{f,{g,{h{i,j,k},l}m},n}o}"),
    case("/u/é[é][é]"),
    case("/a^b$"),
    case("/p/a.b+c|d(e)f"),
    case(r"/a/\*b\[c\{d\,e\}\]f\?g\\h\^i\$j\.k\qm"),
    case(r"/x/a\,b"),
    case(r"/s/\/x"),
    // A rule cannot start with `{`; a variable with two values expands into one.
    Case {
        written: "@{ETC}/ld.so.conf.d/{,*.conf}",
        glob: "{/etc,/usr/etc}/ld.so.conf.d/{,*.conf}",
        lexer_identity: true,
    },
    case("/{usr/,}lib{,32,64}/**.so*"),
    Case {
        written: r#""/b/x y\*""#,
        glob: r"/b/x y\*",
        lexer_identity: true,
    },
    Case {
        written: r"/z/\x41\d066\103",
        glob: r"/z/\x41\d066\103",
        lexer_identity: false,
    },
];

/// Globs `apparmor_parser` rejects while compiling regular expressions.
const REJECTED: &[&str] = &[
    "/x/[a-]",
    "/x/[^]",
    r"/x/[\^]",
    "/x/[]",
    "/x/[^^-x]",
    "/x/[a-c-e]",
    "/w/[]a]",
    "/v/[^]a]",
    "/x/{a,{b}}",
    "/x/{beta}",
    "/x/a}",
    "/x/{a,b",
    "/x/[ab",
    "/f/a]b",
];

/// A profile `p` with one rule granting `r` on `rule`.
fn profile_text(rule: &str) -> String {
    format!("@{{ETC}}=/etc /usr/etc\nprofile p {{\n  {rule} r,\n}}\n")
}

/// Runs the parser on a one-rule profile; returns whether it succeeded and its stderr.
fn run_parser(rule: &str) -> (bool, String) {
    let profile = profile_text(rule);
    let mut child = Command::new(PARSER)
        .args(["-Q", "-K", "-D", "rule-exprs"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn apparmor_parser");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(profile.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `(glob, regex)` pairs of the `aare:` lines, without the profile name's.
fn rule_exprs(stderr: &str) -> Vec<(String, String)> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("aare: "))
        .filter_map(|l| l.split_once("   ->   "))
        .filter(|(aare, _)| *aare != "p")
        .map(|(a, p)| (a.to_owned(), p.to_owned()))
        .collect()
}

fn parser_present() -> bool {
    if Path::new(PARSER).is_file() {
        return true;
    }
    println!("{PARSER} is not installed; skipping the differential glob tests");
    false
}

#[test]
fn to_pcre_matches_rule_exprs() {
    if !parser_present() {
        return;
    }
    for case in ACCEPTED {
        let (ok, stderr) = run_parser(case.written);
        assert!(ok, "apparmor_parser rejected `{}`:\n{stderr}", case.written);
        let exprs = rule_exprs(&stderr);
        assert_eq!(
            exprs.len(),
            1,
            "one rule expected for `{}`:\n{stderr}",
            case.written
        );
        let (aare, pcre) = &exprs[0];
        // The parser's own input to the conversion, already lexed and filtered.
        let ours = parse_unfiltered(aare).unwrap_or_else(|e| panic!("`{aare}` rejected: {e}"));
        assert_eq!(&ours.to_pcre(), pcre, "conversion of `{aare}`");
        let glob = parse(case.glob).unwrap_or_else(|e| panic!("`{}` rejected: {e}", case.glob));
        if case.lexer_identity {
            assert_eq!(&glob.to_pcre(), pcre, "conversion of `{}`", case.glob);
        } else {
            // The lexer decoded the escapes; the compiled trees must still agree.
            assert_eq!(glob.node(), ours.node(), "tree of `{}`", case.glob);
        }
    }
}

#[test]
fn nesting_limit_matches_the_parser() {
    if !parser_present() {
        return;
    }
    for depth in [49usize, 50] {
        let glob = format!("/n/{}x{}", "{a,".repeat(depth), "}".repeat(depth));
        let (ok, stderr) = run_parser(&glob);
        assert_eq!(parse(&glob).is_ok(), ok, "depth {depth}:\n{stderr}");
        if ok {
            let exprs = rule_exprs(&stderr);
            assert_eq!(parse(&glob).unwrap().to_pcre(), exprs[0].1);
        }
    }
}

#[test]
fn rejections_match_the_parser() {
    if !parser_present() {
        return;
    }
    for glob in REJECTED {
        let (ok, stderr) = run_parser(glob);
        assert!(!ok, "apparmor_parser accepted `{glob}`");
        // Make sure the rule got as far as regex compilation, so that the rejection is
        // about the glob and not about the profile syntax.
        assert!(
            stderr.contains("ERROR processing regexs"),
            "`{glob}` failed for another reason:\n{stderr}"
        );
        assert!(parse(glob).is_err(), "`{glob}` accepted by armorlab");
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// A path the tree probably matches.
fn instance(node: &Node, rng: &mut Rng, out: &mut Vec<u8>) {
    match node {
        Node::Empty => {}
        Node::Byte(b) => out.push(*b),
        Node::Class { set, .. } => {
            // Prefer printable members so that paths stay readable and valid UTF-8.
            let printable: Vec<u8> = (0x20..0x7f).filter(|&b| set.contains(b)).collect();
            let all: Vec<u8> = (1..=255u8).filter(|&b| set.contains(b)).collect();
            let pool = if printable.is_empty() || rng.below(8) == 0 {
                &all
            } else {
                &printable
            };
            if !pool.is_empty() {
                out.push(pool[rng.below(pool.len())]);
            }
        }
        Node::AnyByte => out.push(b'a'),
        Node::Concat(parts) => parts.iter().for_each(|p| instance(p, rng, out)),
        Node::Alt(alts) => instance(&alts[rng.below(alts.len())], rng, out),
        Node::Star(sub) | Node::Plus(sub) => {
            let min = usize::from(matches!(node, Node::Plus(_)));
            for _ in 0..min + rng.below(4) {
                instance(sub, rng, out);
            }
        }
    }
}

/// Paths near the glob: instances, and instances with one byte dropped, changed, or a
/// slash added.
fn probes(glob: &Glob, rng: &mut Rng) -> Vec<String> {
    let mut out = vec![
        "/".to_owned(),
        "/dir/".to_owned(),
        "/dir/x".to_owned(),
        "/proc/sys/kernel/core_pattern".to_owned(),
        "/proc/uptime".to_owned(),
    ];
    for _ in 0..40 {
        let mut p = Vec::new();
        instance(glob.node(), rng, &mut p);
        let mut variants = vec![p.clone()];
        if !p.is_empty() {
            let i = rng.below(p.len());
            let mut dropped = p.clone();
            dropped.remove(i);
            variants.push(dropped);
            // Every byte from a set of interesting ones, in one position.
            const OTHERS: &[u8] = b"/xa^]\\[-.,*{}?0z";
            for &other in OTHERS {
                let mut changed = p.clone();
                changed[i] = other;
                variants.push(changed);
            }
            let mut slashed = p.clone();
            slashed.insert(i, b'/');
            variants.push(slashed);
        }
        for v in variants {
            if let Ok(s) = String::from_utf8(v) {
                if !s.contains('\0') {
                    out.push(s);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn matching_agrees_with_the_kernel_dfa() {
    if !parser_present() {
        return;
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut checked = 0;
    for case in ACCEPTED {
        let profile = profile_text(case.written);
        let policy = armorlab_oracle::compile(&profile, &[]).unwrap();
        let glob = parse(case.glob).unwrap();
        let set = GlobSet::new(std::slice::from_ref(&glob)).unwrap();
        let full = GlobSet::new_full(std::slice::from_ref(&glob)).unwrap();
        let mut hits = 0;
        for path in probes(&glob, &mut rng) {
            let kernel = policy.file_perms("p", &path, false).unwrap().allows("r");
            let ours = set.is_match(0, &path);
            assert_eq!(
                ours, kernel,
                "`{}` on {path:?}: armorlab says {ours}, the kernel's DFA says {kernel}",
                case.glob
            );
            assert_eq!(full.is_match(0, &path), ours, "full DFA on {path:?}");
            hits += usize::from(ours);
            checked += 1;
        }
        assert!(
            hits > 0,
            "no probe matched `{}`; the probes prove little",
            case.glob
        );
    }
    println!("{checked} paths checked against the kernel's DFA");
}

/// The `xmatch_len` the parser writes after a profile's attachment DFA.
fn binary_xmatch_len(attachment: &str) -> Option<u32> {
    use armorlab_oracle::stream::{parse as parse_stream, Element, Value};
    let dir = std::env::temp_dir().join(format!("armorlab-glob-xmatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("profile");
    std::fs::write(&file, format!("profile p {attachment} {{\n  /x r,\n}}\n")).unwrap();
    let bytes = armorlab_oracle::Compiler::default()
        .binary_file(&file)
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    fn profile_struct(elements: &[Element]) -> Option<&[Element]> {
        elements.iter().find_map(|e| match &e.value {
            Value::Struct(children) if e.is_named("profile") => Some(children.as_slice()),
            Value::Struct(children) | Value::List(children) => profile_struct(children),
            _ => None,
        })
    }
    let top = parse_stream(&bytes).unwrap();
    let children = profile_struct(&top).expect("a profile struct");
    let dfa_at = children.iter().position(|e| e.is_named("aadfa"))?;
    children[dfa_at + 1..]
        .iter()
        .take_while(|e| !e.is_named("flags"))
        .find_map(|e| match (&e.name, &e.value) {
            (None, Value::U32(v)) => Some(*v),
            _ => None,
        })
}

/// Not covered: alternations whose items share a suffix that `apparmor_parser` factors out
/// before measuring (`{a[^q]c,bc}` becomes `(a[^q]|b)c`, 4 rather than 5 after `/x/`);
/// `Glob::xmatch_len` documents that it does not model this.
#[test]
fn xmatch_len_matches_the_binary_policy() {
    if !parser_present() {
        return;
    }
    for attachment in [
        "/usr/bin/*",
        "/usr/{bin,sbin}/x",
        "/u?r/**",
        "/usr/[bs]in/x",
        r"/usr/\*x/**",
        "/a//b/*",
        "/opt/app/**",
        "/usr/bin/x*",
        "/usr/bin/x*/y",
        "/usr/bin/**/y",
        "/usr/bin/{a,bc}",
        "/usr/bin/{ab,c}d",
        "/usr/bin/[ab]c",
        "/usr/bin/[^ab]c",
        "/{usr,}/bin/x",
        "/usr/{,s}bin/{foo,ba?}",
        "/x/{a*c,bc}",
        "/x/{ab,ac}*",
        "/x/{ab,ac}?d",
    ] {
        let glob = parse(attachment).unwrap();
        let binary = binary_xmatch_len(attachment)
            .unwrap_or_else(|| panic!("no xmatch_len written for `{attachment}`"));
        assert_eq!(
            u32::try_from(glob.xmatch_len()).unwrap(),
            binary,
            "xmatch_len of `{attachment}`"
        );
    }
}

/// Random globs built from glob metacharacters (so most of the odd corners come up:
/// `*` inside classes, `\^`, unbalanced brackets) must be accepted or rejected as the parser
/// does, convert to the same text, and match the same probe paths as the kernel's DFA.
#[test]
fn random_globs_agree_with_the_parser() {
    if !parser_present() {
        return;
    }
    const TOKENS: &[&str] = &[
        "/", "/", "a", "b", "*", "**", "?", "[", "]", "[^", "{", "}", ",", "\\", "^", "$", "-",
        ".", "0", "9", "é", "\\,", "\\^", "\\]", "\\{",
    ];
    let mut rng = Rng(0x2222_5678_9abc_def3);
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    for _ in 0..300 {
        let mut glob = String::from("/");
        for _ in 0..1 + rng.below(12) {
            glob.push_str(TOKENS[rng.below(TOKENS.len())]);
        }
        let (ok, stderr) = run_parser(&glob);
        let ours = parse(&glob);
        if !ok {
            if !stderr.contains("ERROR processing regexs") {
                // The profile lexer or grammar refused the rule (for example a `,` that
                // ends it early); the glob compiler never sees it.
                skipped += 1;
                continue;
            }
            assert!(
                ours.is_err(),
                "`{glob}` accepted by armorlab, rejected by the parser:\n{stderr}"
            );
            rejected += 1;
            continue;
        }
        let exprs = rule_exprs(&stderr);
        assert_eq!(exprs.len(), 1, "one rule expected for `{glob}`:\n{stderr}");
        let ours = ours.unwrap_or_else(|e| {
            panic!("`{glob}` rejected by armorlab ({e}), accepted by the parser")
        });
        // The profile lexer decodes some escapes (`\a`, `\x41`) before the conversion, so
        // the text is compared for the parser's own input, and the tree for ours.
        let (aare, pcre) = &exprs[0];
        let theirs = parse_unfiltered(aare).unwrap_or_else(|e| panic!("`{aare}` rejected: {e}"));
        assert_eq!(&theirs.to_pcre(), pcre, "conversion of `{aare}`");
        assert_eq!(
            ours.node(),
            theirs.node(),
            "tree of `{glob}` and of `{aare}`"
        );
        let policy = armorlab_oracle::compile(&profile_text(&glob), &[]).unwrap();
        let set = GlobSet::new(std::slice::from_ref(&ours)).unwrap();
        for path in probes(&ours, &mut rng) {
            let kernel = policy.file_perms("p", &path, false).unwrap().allows("r");
            assert_eq!(set.is_match(0, &path), kernel, "`{glob}` on {path:?}");
        }
        accepted += 1;
    }
    println!("random globs: {accepted} accepted, {rejected} rejected, {skipped} refused by the profile grammar");
    assert!(
        accepted > 20 && rejected > 10,
        "the generator no longer covers both outcomes"
    );
}
