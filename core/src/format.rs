//! Canonical formatting: two-space indentation by block depth, one statement per line,
//! single spaces between tokens, `key=value` conditions without spaces, `, ` between
//! list values, at most one blank line in a row. Comments stay where they were: on their
//! own line, or after the statement they followed on the same line. Includes stay
//! includes, spelled as the author spelled them: `#include` is the only spelling that
//! every apparmor_parser version accepts, so rewriting it to `include` could break a
//! profile shipped to a host with an older parser.
//!
//! Include fragments (abstractions, tunables, `local/` files: statements but no profile
//! block) keep their indentation: Debian writes the rules of an abstraction two spaces in,
//! so the statements of a fragment are indented like a profile body unless the file
//! already indents them all the same way, which is then kept.
//!
//! The output parses to the same policy as the input (see `tests/format_roundtrip.rs`).
//!
//! ```
//! use armorlab_core::format::format_source;
//! let out = format_source("profile p {\n/tmp/**   rw,  # scratch\n}\n").unwrap();
//! assert_eq!(out, "profile p {\n  /tmp/** rw, # scratch\n}\n");
//! ```

use crate::diagnostics::Diagnostic;
use crate::source::{FileId, IncludeStyle, SourceFile, SourceMap, Span};
use crate::syntax::{self, AssignOp, Include, Item, Token, TokenKind};

/// Canonical formatting of one file's text (includes kept as includes, comments kept).
/// Errors when the text has syntax errors (return them).
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let tree = syntax::parse(text, FileId(0));
    if !tree.diagnostics.is_empty() {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("", text));
        return Err(tree
            .diagnostics
            .into_iter()
            .map(|d| d.with_position(&sources))
            .collect());
    }
    let fragment = is_fragment(&tree.items);
    let mut p = Printer {
        src: text,
        out: String::with_capacity(text.len()),
        base: if fragment {
            fragment_indent(text, &tree.items)
        } else {
            "  ".to_owned()
        },
        fragment,
    };
    p.items(&tree.items, usize::from(fragment), 0);
    if !p.out.is_empty() && !p.out.ends_with('\n') {
        p.out.push('\n');
    }
    Ok(p.out)
}

struct Printer<'a> {
    src: &'a str,
    out: String,
    /// The indentation of depth one: two spaces, or a fragment's own indentation.
    base: String,
    /// Whether the file is an include fragment, whose top level is printed at depth one.
    fragment: bool,
}

/// Whether a block header opens a qualifier block (`owner {`, `audit deny {`) rather
/// than a profile or hat.
fn is_qualifier_block(header: &[Token]) -> bool {
    header.first().is_some_and(|t| {
        t.kind == TokenKind::Word
            && matches!(
                t.text.as_str(),
                "audit" | "deny" | "allow" | "owner" | "other" | "priority"
            )
    })
}

/// Whether a file is an include fragment: it has statements that belong in a profile
/// body (rules, includes, conditionals, qualifier blocks) and no profile or hat block.
fn is_fragment(items: &[Item]) -> bool {
    let mut body = false;
    for item in items {
        match item {
            Item::Block(b) if !is_qualifier_block(&b.header) => return false,
            Item::Block(_) | Item::Rule(_) | Item::Include(_) | Item::If(_) => body = true,
            _ => {}
        }
    }
    body
}

/// The indentation of a fragment's top-level statements: what they already share when
/// every one that starts a line is indented the same way, else two spaces.
fn fragment_indent(src: &str, items: &[Item]) -> String {
    let mut seen: Option<&str> = None;
    for item in items {
        if matches!(item, Item::Comment(_) | Item::Error(_)) {
            continue;
        }
        let start = item_span(item).start as usize;
        let before = src.get(..start).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let lead = before.get(line_start..).unwrap_or("");
        if !lead.bytes().all(|b| b == b' ' || b == b'\t') {
            // Written after another statement on the same line: says nothing.
            continue;
        }
        match seen {
            None => seen = Some(lead),
            Some(s) if s == lead => {}
            Some(_) => return "  ".to_owned(),
        }
    }
    seen.unwrap_or("  ").to_owned()
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Comment(s) | Item::Error(s) => *s,
        Item::Include(i) | Item::Abi(i) => i.span,
        Item::VarDef(v) => v.span,
        Item::BoolDef(b) => b.span,
        Item::If(i) => i.span,
        Item::Block(b) => b.span,
        Item::Rule(r) => r.span,
    }
}

/// Whether a token is a condition key that `=` attaches to (`peer=`, `kill.signal=`).
fn is_key(t: &Token) -> bool {
    t.kind == TokenKind::Word
        && t.text
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
        && t.text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b':'))
}

/// Whether `=` attaches to the key `p` (`key=value`). Not when `p` is itself the value of
/// an earlier `=`: written `a=b=c`, the lexer would read `b=c` as one value.
fn attaches(p: &Token, before: Option<&Token>) -> bool {
    is_key(p) && p.text != "in" && !before.is_some_and(|b| b.kind == TokenKind::Eq)
}

/// Writes a token as it must be spelled to lex back to itself.
fn push_token(out: &mut String, t: &Token) {
    if t.kind == TokenKind::Quoted {
        out.push('"');
        out.push_str(&t.text);
        out.push('"');
    } else {
        out.push_str(&t.text);
    }
}

/// Joins tokens with canonical spacing.
fn join(toks: &[Token]) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut prev: Option<&Token> = None;
    let mut before_prev: Option<&Token> = None;
    let mut attached_eq = false;
    for t in toks {
        if let Some(p) = prev {
            let space = match (p.kind, t.kind) {
                // Tokens written together stay together: separating them could change
                // how the lexer splits them (`abi)` is not the start of an abi).
                _ if p.span.end == t.span.start => "",
                // `#include` stays a word only when white space follows it.
                _ if p.text.starts_with('#') || t.text.starts_with('#') => " ",
                // `^name` was caught by the adjacency rule; a detached `^` stays detached.
                (TokenKind::LParen, _) => "",
                // A stray `)` keeps its space: glued to a path it would join the path.
                (_, TokenKind::RParen) if depth > 0 => "",
                (_, TokenKind::Eq) if attaches(p, before_prev) => "",
                (TokenKind::Eq, _) if attached_eq => "",
                _ if depth > 0 && p.is_value() && (t.is_value() || t.kind == TokenKind::LParen) => {
                    ", "
                }
                _ => " ",
            };
            out.push_str(space);
        }
        if t.kind == TokenKind::Eq {
            attached_eq = prev.is_some_and(|p| attaches(p, before_prev));
        }
        match t.kind {
            TokenKind::LParen => depth += 1,
            TokenKind::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        push_token(&mut out, t);
        before_prev = prev;
        prev = Some(t);
    }
    out
}

impl Printer<'_> {
    fn indent(&mut self, depth: usize) {
        if depth == 0 {
            return;
        }
        self.out.push_str(&self.base);
        for _ in 1..depth {
            self.out.push_str("  ");
        }
    }

    /// Whether a comment stays at column zero: at the top level of a fragment, a comment
    /// written there (a licence header, a section title) is not part of the rules' block.
    fn comment_at_margin(&self, depth: usize, start: usize) -> bool {
        self.fragment && depth == 1 && (start == 0 || self.src.get(start - 1..start) == Some("\n"))
    }

    fn gap(&self, from: usize, to: usize) -> &str {
        self.src.get(from..to.max(from)).unwrap_or("")
    }

    /// Comments written between the tokens of one statement, which would otherwise be
    /// lost: they are printed on their own lines before it.
    fn inner_comments(&mut self, toks: &[Token], depth: usize) {
        for w in toks.windows(2) {
            let (Some(a), Some(b)) = (w.first(), w.get(1)) else {
                continue;
            };
            let gap = self
                .gap(a.span.end as usize, b.span.start as usize)
                .to_owned();
            for line in gap.lines() {
                if let Some(pos) = line.find('#') {
                    let c = line.get(pos..).unwrap_or("").trim_end().to_owned();
                    self.indent(depth);
                    self.out.push_str(&c);
                    self.out.push('\n');
                }
            }
        }
    }

    fn items(&mut self, items: &[Item], depth: usize, mut prev_end: usize) {
        let mut first = true;
        for item in items {
            let span = item_span(item);
            let gap = self.gap(prev_end, span.start as usize);
            let newlines = gap.matches('\n').count();
            if let Item::Comment(c) = item {
                let text = self.src.get(c.range()).unwrap_or("").trim_end().to_owned();
                if newlines == 0 && !self.out.is_empty() {
                    // A comment after a statement on the same line stays there.
                    while self.out.ends_with('\n') {
                        self.out.pop();
                    }
                    self.out.push(' ');
                    self.out.push_str(&text);
                    self.out.push('\n');
                    prev_end = span.end as usize;
                    first = false;
                    continue;
                }
                if newlines >= 2 && !first {
                    self.out.push('\n');
                }
                if !self.comment_at_margin(depth, span.start as usize) {
                    self.indent(depth);
                }
                self.out.push_str(&text);
                self.out.push('\n');
                prev_end = span.end as usize;
                first = false;
                continue;
            }
            if newlines >= 2 && !first {
                self.out.push('\n');
            }
            first = false;
            self.item(item, depth);
            prev_end = span.end as usize;
        }
    }

    fn include_line(&mut self, kw: &str, inc: &Include) {
        if inc.name.contains(['"', '\\', '<', '>']) || inc.name.trim().is_empty() {
            // Names the canonical spelling cannot carry are kept exactly as written.
            let raw = self.src.get(inc.span.range()).unwrap_or("").to_owned();
            self.out.push_str(raw.trim_end());
            if raw.trim_end().ends_with('\\') {
                // A trailing backslash would join the next line.
                self.out.push(' ');
            }
            return;
        }
        self.out.push_str(kw);
        if inc.if_exists {
            self.out.push_str(" if exists");
        }
        self.out.push(' ');
        match inc.style {
            IncludeStyle::Angle => {
                self.out.push('<');
                if inc.name.contains(char::is_whitespace) {
                    self.out.push('"');
                    self.out.push_str(&inc.name);
                    self.out.push('"');
                } else {
                    self.out.push_str(&inc.name);
                }
                self.out.push('>');
            }
            IncludeStyle::Quoted => {
                self.out.push('"');
                self.out.push_str(&inc.name);
                self.out.push('"');
            }
        }
    }

    fn item(&mut self, item: &Item, depth: usize) {
        match item {
            Item::Comment(_) | Item::Error(_) => {}
            Item::Include(inc) => {
                self.indent(depth);
                let kw = if inc.hash { "#include" } else { "include" };
                self.include_line(kw, inc);
                self.out.push('\n');
            }
            Item::Abi(inc) => {
                self.indent(depth);
                self.include_line("abi", inc);
                self.out.push_str(",\n");
            }
            Item::VarDef(v) => {
                self.indent(depth);
                self.out.push_str("@{");
                self.out.push_str(&v.name);
                self.out.push_str("} ");
                self.out.push_str(op_text(v.op));
                for t in &v.values {
                    self.out.push(' ');
                    push_token(&mut self.out, t);
                }
                self.out.push('\n');
            }
            Item::BoolDef(b) => {
                self.indent(depth);
                self.out.push('$');
                self.out.push_str(&b.name);
                self.out.push(' ');
                self.out.push_str(op_text(b.op));
                if let Some(v) = &b.value {
                    self.out.push(' ');
                    push_token(&mut self.out, v);
                }
                self.out.push('\n');
            }
            Item::If(i) => {
                for (n, (cond, body)) in i.branches.iter().enumerate() {
                    self.inner_comments(cond, depth);
                    if n == 0 {
                        self.indent(depth);
                        self.out.push_str("if ");
                    } else {
                        self.out.push_str(" else if ");
                    }
                    self.out.push_str(&join(cond));
                    self.out.push_str(" {\n");
                    let start = cond.last().map(|t| t.span.end as usize).unwrap_or(0);
                    self.items(body, depth + 1, start);
                    self.indent(depth);
                    self.out.push('}');
                }
                if let Some(body) = &i.else_body {
                    self.out.push_str(" else {\n");
                    let start = i
                        .branches
                        .last()
                        .and_then(|(_, b)| b.last())
                        .map(|it| item_span(it).end as usize)
                        .unwrap_or(0);
                    self.items(body, depth + 1, start);
                    self.indent(depth);
                    self.out.push('}');
                }
                self.out.push('\n');
            }
            Item::Block(b) => {
                self.inner_comments(&b.header, depth);
                self.indent(depth);
                if !b.header.is_empty() {
                    self.out.push_str(&statement(&b.header, depth));
                    // A name glued to its `{` is an error upstream; keep it glued so the
                    // formatter does not silently change what the text means.
                    let end = b.header_span.end as usize;
                    let glued_word = self.src.get(end..end + 1) == Some("{")
                        && b.header.last().is_some_and(|t| t.kind == TokenKind::Word);
                    if !glued_word {
                        self.out.push(' ');
                    }
                }
                self.out.push_str("{\n");
                self.items(&b.body, depth + 1, b.header_span.end as usize);
                self.indent(depth);
                self.out.push_str("}\n");
            }
            Item::Rule(r) => {
                self.inner_comments(&r.tokens, depth);
                self.indent(depth);
                let text = statement(&r.tokens, depth);
                self.out.push_str(&text);
                // A word with an unclosed `{` would swallow a comma glued to it.
                if r.tokens.last().is_some_and(|t| {
                    t.kind == TokenKind::Word
                        && t.text.matches('{').count() > t.text.matches('}').count()
                }) {
                    self.out.push(' ');
                }
                self.out.push_str(",\n");
            }
        }
    }
}

/// The tokens of a rule or block header on one line, except that `@{X}` or `$X`
/// followed by `=` keeps a line break between them: on one line they would read as a
/// variable definition.
fn statement(toks: &[Token], depth: usize) -> String {
    let split = match (toks.first(), toks.get(1)) {
        (Some(a), Some(b)) => {
            (a.text.starts_with('@') || a.text.starts_with('$'))
                && matches!(b.kind, TokenKind::Eq | TokenKind::PlusEq)
                && a.span.end != b.span.start
        }
        _ => false,
    };
    if !split {
        return join(toks);
    }
    let mut out = join(toks.get(..1).unwrap_or(&[]));
    out.push('\n');
    for _ in 0..=depth {
        out.push_str("  ");
    }
    out.push_str(&join(toks.get(1..).unwrap_or(&[])));
    out
}

fn op_text(op: AssignOp) -> &'static str {
    match op {
        AssignOp::Set => "=",
        AssignOp::Append => "+=",
        AssignOp::SetIfUndefined => "?=",
        AssignOp::Override => ":=",
    }
}
