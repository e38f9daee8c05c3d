//! Syntax colouring for the editor: a small lexer that splits the text into classed pieces.
//!
//! Colouring is cosmetic, so this lexer is deliberately forgiving: it never fails and every
//! byte of the input belongs to exactly one piece (the pieces concatenate back to the text,
//! which a test checks). The real parse, with diagnostics, is the core's.

/// What a piece of text is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Whitespace and anything unclassified.
    Plain,
    /// `# ...` to the end of the line.
    Comment,
    /// `include`, `#include`, `abi`, `profile`, rule classes and qualifiers.
    Keyword,
    /// `@{VAR}`.
    Variable,
    /// `"..."`.
    String,
    /// A path or glob.
    Path,
    /// `{ } , ( ) = ->`.
    Punct,
    /// `<tunables/global>`.
    Include,
}

impl Class {
    /// The CSS class of the piece.
    pub fn css(self) -> &'static str {
        match self {
            Class::Plain => "",
            Class::Comment => "t-com",
            Class::Keyword => "t-kw",
            Class::Variable => "t-var",
            Class::String => "t-str",
            Class::Path => "t-path",
            Class::Punct => "t-pun",
            Class::Include => "t-inc",
        }
    }
}

const KEYWORDS: &[&str] = &[
    "abi",
    "include",
    "profile",
    "hat",
    "deny",
    "allow",
    "audit",
    "owner",
    "other",
    "quiet",
    "capability",
    "network",
    "signal",
    "ptrace",
    "mount",
    "remount",
    "umount",
    "unmount",
    "pivot_root",
    "file",
    "dbus",
    "unix",
    "change_profile",
    "change_hat",
    "rlimit",
    "set",
    "userns",
    "io_uring",
    "mqueue",
    "flags",
    "peer",
    "if",
    "exists",
    "defined",
    "else",
    "alias",
    "link",
    "subset",
    "all",
    "priority",
];

/// Splits `text` into classed byte ranges that cover it exactly, in order.
pub fn highlight(text: &str) -> Vec<(Class, std::ops::Range<usize>)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(Class, std::ops::Range<usize>)> = Vec::new();
    let mut push = |class: Class, start: usize, end: usize| {
        if start >= end {
            return;
        }
        // Merge with the previous piece of the same class to keep the DOM small.
        if let Some(last) = out.last_mut() {
            if last.0 == class && last.1.end == start {
                last.1.end = end;
                return;
            }
        }
        out.push((class, start..end));
    };
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut i = 0;
    // Whether the current line so far holds only whitespace (a `#` there may be `#include`).
    let mut line_start = true;
    while i < bytes.len() {
        let b = at(i);
        let start = i;
        match b {
            b'\n' => {
                i += 1;
                line_start = true;
                push(Class::Plain, start, i);
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                while matches!(at(i), b' ' | b'\t' | b'\r') {
                    i += 1;
                }
                push(Class::Plain, start, i);
                continue;
            }
            b'#' if line_start && text.get(i..).is_some_and(|r| r.starts_with("#include")) => {
                i += "#include".len();
                push(Class::Keyword, start, i);
            }
            b'#' => {
                while i < bytes.len() && at(i) != b'\n' {
                    i += 1;
                }
                push(Class::Comment, start, i);
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && at(i) != b'"' && at(i) != b'\n' {
                    i += if at(i) == b'\\' { 2 } else { 1 };
                }
                if at(i) == b'"' {
                    i += 1;
                }
                i = i.min(bytes.len());
                push(Class::String, start, i);
            }
            b'<' => {
                let close = text
                    .get(i..)
                    .and_then(|r| r.find(['>', '\n']))
                    .map(|n| i + n);
                match close {
                    Some(c) if at(c) == b'>' => {
                        i = c + 1;
                        push(Class::Include, start, i);
                    }
                    _ => {
                        i += 1;
                        push(Class::Punct, start, i);
                    }
                }
            }
            b'@' if at(i + 1) == b'{' => {
                while i < bytes.len() && at(i) != b'}' && at(i) != b'\n' {
                    i += 1;
                }
                if at(i) == b'}' {
                    i += 1;
                }
                // A variable that starts a path colours the whole path.
                if at(i) == b'/' {
                    i = path_end(bytes, i);
                    push(Class::Path, start, i);
                } else {
                    push(Class::Variable, start, i);
                }
            }
            b'/' => {
                i = path_end(bytes, i);
                push(Class::Path, start, i);
            }
            b'{' | b'}' | b',' | b'(' | b')' | b'=' | b'[' | b']' => {
                i += 1;
                push(Class::Punct, start, i);
            }
            b'-' if at(i + 1) == b'>' => {
                i += 2;
                push(Class::Punct, start, i);
            }
            _ => {
                while i < bytes.len()
                    && !matches!(
                        at(i),
                        b' ' | b'\t'
                            | b'\r'
                            | b'\n'
                            | b','
                            | b'('
                            | b')'
                            | b'='
                            | b'{'
                            | b'}'
                            | b'"'
                            | b'#'
                            | b'<'
                    )
                {
                    i += 1;
                }
                // Never split a UTF-8 character: advance to the next boundary.
                while i < bytes.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
                if i == start {
                    i += 1;
                    while i < bytes.len() && !text.is_char_boundary(i) {
                        i += 1;
                    }
                }
                let word = text.get(start..i).unwrap_or("");
                let class = if KEYWORDS.contains(&word) {
                    Class::Keyword
                } else {
                    Class::Plain
                };
                push(class, start, i);
            }
        }
        line_start = false;
    }
    out
}

/// The end of a path token: up to whitespace, a comma that ends the rule, or a newline.
/// Braces inside a path are glob alternations, so they belong to the path.
fn path_end(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => break,
            b'{' => depth += 1,
            b'}' if depth == 0 => break,
            b'}' => depth -= 1,
            b',' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(text: &str) -> Vec<(Class, &str)> {
        highlight(text)
            .into_iter()
            .filter(|(c, _)| *c != Class::Plain)
            .map(|(c, r)| (c, &text[r]))
            .collect()
    }

    #[test]
    fn pieces_cover_the_text_exactly() {
        for t in [
            include_str!("../../templates/docker-default.rendered.apparmor"),
            include_str!("../../templates/docker-default.docs.apparmor"),
            "é\"unterminated\n<broken\n@{X\n/p{a,b\u{1F600}",
            "",
        ] {
            let pieces = highlight(t);
            let mut pos = 0;
            for (_, r) in &pieces {
                assert_eq!(r.start, pos);
                assert!(r.end > r.start);
                pos = r.end;
            }
            assert_eq!(pos, t.len());
        }
    }

    /// The editor colours line by line; that must equal colouring the whole text.
    #[test]
    fn line_by_line_equals_whole_text() {
        for t in [
            include_str!("../../templates/docker-default.rendered.apparmor"),
            include_str!("../../templates/containerd-default.rendered.apparmor"),
            "a \"str\nng\" <x\ny> @{A\nB} /p{a,\nb} # c\n#include <z>\n",
        ] {
            let whole: Vec<(Class, String)> = highlight(t)
                .into_iter()
                .filter(|(c, _)| *c != Class::Plain)
                .map(|(c, r)| (c, t[r].to_string()))
                .collect();
            let by_line: Vec<(Class, String)> = t
                .split('\n')
                .flat_map(|l| {
                    highlight(l)
                        .into_iter()
                        .filter(|(c, _)| *c != Class::Plain)
                        .map(|(c, r)| (c, l[r].to_string()))
                        .collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(whole, by_line);
        }
    }

    #[test]
    fn classifies_the_usual_constructs() {
        let t =
            "#include <tunables/global>\n# note\nprofile x {\n  deny @{PROC}/{a,b}/** w, # c\n}\n";
        assert_eq!(
            classes(t),
            vec![
                (Class::Keyword, "#include"),
                (Class::Include, "<tunables/global>"),
                (Class::Comment, "# note"),
                (Class::Keyword, "profile"),
                (Class::Punct, "{"),
                (Class::Keyword, "deny"),
                (Class::Path, "@{PROC}/{a,b}/**"),
                (Class::Punct, ","),
                (Class::Comment, "# c"),
                (Class::Punct, "}"),
            ]
        );
    }
}
