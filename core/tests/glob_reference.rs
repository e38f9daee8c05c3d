//! A tiny backtracking matcher that implements AppArmor glob semantics directly from the
//! glob text (no rewriting, no automaton), and property tests that the compiled
//! [`GlobSet`] always agrees with it.
//!
//! The reference covers the everyday glob language: literals, escapes, `?`, `*`, `**`
//! (with the rule that a `*`/`**` right after `/` that ends the glob or a component needs a
//! byte), `[...]`/`[^...]` with ranges, nested `{...}` with empty items, and the collapsing
//! of repeated slashes. The odd corners (`*` inside `[...]`, `[\^...]`) are pinned in
//! `glob_quirks.rs` and checked against the real parser in the oracle tests.
#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside `#[test]` functions fail the test by panicking, which is their job.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use armorlab_core::glob::{parse, GlobSet};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Item {
    Byte(u8),
    /// `?`: one byte, not `/` or NUL.
    One,
    /// `*`: any run of bytes without `/` or NUL.
    Star,
    /// `**`: any run of bytes without NUL.
    DoubleStar,
    /// A class (negation already applied).
    Class(Vec<bool>),
    /// `{a,b,...}`.
    Alt(Vec<Vec<Item>>),
}

/// Collapses repeated `/`, keeping a leading `//` that is not followed by `/`.
fn collapse_slashes(glob: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = glob;
    if glob.len() >= 2 && glob[0] == b'/' && glob[1] == b'/' && glob.get(2) != Some(&b'/') {
        out.extend_from_slice(b"//");
        rest = &glob[2..];
    }
    for &b in rest {
        if b == b'/' && out.last() == Some(&b'/') && !(out.len() == 2 && rest.len() < glob.len()) {
            continue;
        }
        out.push(b);
    }
    out
}

struct RefParser<'a> {
    text: &'a [u8],
    pos: usize,
    /// Whether the last thing produced was a literal `/`.
    after_slash: bool,
}

impl RefParser<'_> {
    /// Parses items up to `,` or `}` (inside braces) or the end.
    fn seq(&mut self, in_braces: bool) -> Vec<Item> {
        let mut items = Vec::new();
        while let Some(&c) = self.text.get(self.pos) {
            match c {
                b',' | b'}' if in_braces => break,
                b'\\' => {
                    let e = self.text[self.pos + 1];
                    self.pos += 2;
                    items.push(Item::Byte(e));
                    self.after_slash = e == b'/';
                }
                b'?' => {
                    self.pos += 1;
                    items.push(Item::One);
                    self.after_slash = false;
                }
                b'*' => {
                    let run_end = self.text[self.pos..]
                        .iter()
                        .position(|&b| b != b'*')
                        .map_or(self.text.len(), |n| self.pos + n);
                    let next = self.text.get(run_end);
                    if self.after_slash && matches!(next, None | Some(b'/')) {
                        items.push(Item::One);
                    }
                    let double = self.text.get(self.pos + 1) == Some(&b'*');
                    self.pos += if double { 2 } else { 1 };
                    items.push(if double { Item::DoubleStar } else { Item::Star });
                    self.after_slash = false;
                }
                b'[' => {
                    self.pos += 1;
                    let negated = self.text[self.pos] == b'^';
                    if negated {
                        self.pos += 1;
                    }
                    let mut set = vec![false; 256];
                    while self.text[self.pos] != b']' {
                        let a = self.text[self.pos];
                        if self.text[self.pos + 1] == b'-' && self.text[self.pos + 2] != b']' {
                            let b = self.text[self.pos + 2];
                            for x in a.min(b)..=a.max(b) {
                                set[usize::from(x)] = true;
                            }
                            self.pos += 3;
                        } else {
                            set[usize::from(a)] = true;
                            self.pos += 1;
                        }
                    }
                    self.pos += 1;
                    if negated {
                        set.iter_mut().for_each(|m| *m = !*m);
                    }
                    items.push(Item::Class(set));
                    self.after_slash = false;
                }
                b'{' => {
                    self.pos += 1;
                    self.after_slash = false;
                    let mut alts = vec![self.seq(true)];
                    while self.text[self.pos] == b',' {
                        self.pos += 1;
                        self.after_slash = false;
                        alts.push(self.seq(true));
                    }
                    self.pos += 1; // `}`
                    self.after_slash = false;
                    items.push(Item::Alt(alts));
                }
                _ => {
                    self.pos += 1;
                    items.push(Item::Byte(c));
                    self.after_slash = c == b'/';
                }
            }
        }
        items
    }
}

fn ref_parse(glob: &str) -> Vec<Item> {
    let text = collapse_slashes(glob.as_bytes());
    let mut p = RefParser {
        text: &text,
        pos: 0,
        after_slash: false,
    };
    let items = p.seq(false);
    assert_eq!(
        p.pos,
        text.len(),
        "reference parser stopped early on `{glob}`"
    );
    items
}

/// Matches `items` against `path` from `pos`, calling `k` with every end position reached.
fn m(items: &[Item], path: &[u8], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    let Some((first, rest)) = items.split_first() else {
        return k(pos);
    };
    let byte = path.get(pos).copied();
    match first {
        Item::Byte(b) => byte == Some(*b) && m(rest, path, pos + 1, k),
        Item::One => matches!(byte, Some(b) if b != b'/' && b != 0) && m(rest, path, pos + 1, k),
        Item::Class(set) => {
            matches!(byte, Some(b) if set[usize::from(b)]) && m(rest, path, pos + 1, k)
        }
        Item::Star | Item::DoubleStar => {
            let slash_ok = matches!(first, Item::DoubleStar);
            let mut end = pos;
            loop {
                if m(rest, path, end, k) {
                    return true;
                }
                match path.get(end) {
                    Some(&b) if b != 0 && (slash_ok || b != b'/') => end += 1,
                    _ => return false,
                }
            }
        }
        Item::Alt(alts) => alts
            .iter()
            .any(|alt| m(alt, path, pos, &mut |p| m(rest, path, p, k))),
    }
}

fn ref_match(items: &[Item], path: &str) -> bool {
    let bytes = path.as_bytes();
    m(items, bytes, 0, &mut |p| p == bytes.len())
}

/// Builds a path the glob probably matches, steered by `seeds`.
fn instance(items: &[Item], seeds: &mut impl Iterator<Item = u8>, out: &mut Vec<u8>) {
    const FILL: &[u8] = b"ab/.^";
    for item in items {
        let s = seeds.next().unwrap_or(0);
        match item {
            Item::Byte(b) => out.push(*b),
            // Sometimes leave out a byte that is required, to probe the edges.
            Item::One if s % 4 == 0 => {}
            Item::One => out.push(b'a' + s % 3),
            Item::Star | Item::DoubleStar => {
                for _ in 0..(s % 4) {
                    let f = FILL[usize::from(seeds.next().unwrap_or(0)) % FILL.len()];
                    out.push(if matches!(item, Item::Star) && f == b'/' {
                        b'x'
                    } else {
                        f
                    });
                }
            }
            Item::Class(_) if s % 5 == 0 => {}
            Item::Class(set) => {
                let members: Vec<u8> = (1..=255u8).filter(|&b| set[usize::from(b)]).collect();
                if !members.is_empty() {
                    out.push(members[usize::from(s) % members.len()]);
                }
            }
            Item::Alt(alts) => instance(&alts[usize::from(s) % alts.len()], seeds, out),
        }
    }
}

fn leaf() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "b", "/", "/", "/", ".", "^", "$", "-", "é", "+", "(", ")", "|", ",", "?", "*", "*",
        "**", "**", r"\*", r"\?", r"\{", r"\}", r"\,", r"\\", r"\/", r"\[", r"\]", "[ab]", "[^a]",
        "[a-c]", "[^/]", "[.^]", "[b-a]", "[-a]", "[é]", "[^^a]",
        // Common shapes, so that short globs often have a star right after a slash.
        "/*", "/*", "/**", "/**", "/*/", "/**/", "*/", r"\/*",
    ])
    .prop_map(str::to_owned)
}

fn glob_text() -> impl Strategy<Value = String> {
    let seq = prop::collection::vec(leaf(), 0..6).prop_map(|v| v.concat());
    seq.prop_recursive(3, 24, 4, |inner| {
        prop::collection::vec(
            prop_oneof![
                3 => leaf(),
                1 => prop::collection::vec(inner, 2..4).prop_map(|alts| format!("{{{}}}", alts.join(","))),
            ],
            0..6,
        )
        .prop_map(|v| v.concat())
    })
}

fn path_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "/", "/", "a", "b", "c", ".", "^", "-", "*", "é", ",", "\\", "x",
        ]),
        0..10,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn set_agrees_with_reference(
        globs in prop::collection::vec(glob_text(), 1..5),
        random_paths in prop::collection::vec(path_text(), 0..6),
        seeds in prop::collection::vec(any::<u8>(), 64),
    ) {
        let parsed: Vec<_> = globs
            .iter()
            .map(|g| parse(g).unwrap_or_else(|e| panic!("`{g}` rejected: {e}")))
            .collect();
        let set = GlobSet::new(&parsed).unwrap();
        let refs: Vec<Vec<Item>> = globs.iter().map(|g| ref_parse(g)).collect();
        let mut paths = random_paths;
        for r in &refs {
            let mut out = Vec::new();
            instance(r, &mut seeds.iter().copied(), &mut out);
            if let Ok(p) = String::from_utf8(out) {
                paths.push(p);
            }
        }
        let mut got = Vec::new();
        for path in &paths {
            set.matches_into(path, &mut got);
            let want: Vec<usize> = (0..refs.len()).filter(|&i| ref_match(&refs[i], path)).collect();
            prop_assert_eq!(&got, &want, "globs {:?} on path {:?}", globs, path);
            for (i, _) in parsed.iter().enumerate() {
                prop_assert_eq!(set.is_match(i, path), want.contains(&i));
            }
        }
    }

    /// Any text made of glob characters either compiles or fails with an error whose span
    /// lies inside the pattern; nothing panics.
    #[test]
    fn arbitrary_text_never_panics(
        text in prop::collection::vec(
            prop::sample::select(vec![
                "/", "a", "*", "?", "[", "]", "{", "}", ",", "^", "-", "\\", "$", ".", "x", "0", "é",
            ]),
            0..16,
        ).prop_map(|v| v.concat()),
        path in path_text(),
    ) {
        match parse(&text) {
            Ok(glob) => {
                let set = GlobSet::new(&[glob]).unwrap();
                let mut out = Vec::new();
                set.matches_into(&path, &mut out);
                prop_assert!(out.is_empty() || out == vec![0]);
            }
            Err(e) => {
                let span = e.span().unwrap();
                prop_assert!(span.range().end <= text.len(), "{:?} for `{}`", e, text);
                prop_assert!(span.range().start <= span.range().end);
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

proptest! {
    /// Any text at all (any Unicode, control bytes, NUL) either compiles or fails with an
    /// error whose span lies inside it.
    #[test]
    fn any_string_never_panics(text in any::<String>(), path in any::<String>()) {
        match parse(&text) {
            Ok(glob) => {
                let set = GlobSet::new(&[glob]).unwrap();
                let mut out = Vec::new();
                set.matches_into(&path, &mut out);
                set.matches_into(&text, &mut out);
            }
            Err(e) => {
                let span = e.span().unwrap();
                prop_assert!(span.range().start <= span.range().end);
                prop_assert!(span.range().end <= text.len(), "{:?} for {:?}", e, text);
            }
        }
    }
}

/// The reference itself must get the basics right, or agreeing with it proves nothing.
#[test]
fn reference_sanity() {
    let r = ref_parse("/dir/*");
    assert!(ref_match(&r, "/dir/a"));
    assert!(!ref_match(&r, "/dir/"));
    let r = ref_parse("/{a,b,}x/**");
    assert!(ref_match(&r, "/x/y/z"));
    assert!(ref_match(&r, "/bx/y"));
    assert!(!ref_match(&r, "/cx/y"));
    assert!(!ref_match(&r, "/ax/"));
    let r = ref_parse("//a//[^b-c]?");
    assert!(ref_match(&r, "//a/dd"));
    assert!(!ref_match(&r, "//a/bd"));
    assert_eq!(collapse_slashes(b"///a//b"), b"/a/b");
    assert_eq!(collapse_slashes(b"//a//b"), b"//a/b");
}
