//! The recursive-descent parser over the on-demand lexer.

use super::lexer::{is_name_char, is_space, Lexer, Token, TokenKind};
use super::{AssignOp, Block, BoolDef, IfItem, Include, Item, RuleItem, SyntaxTree, VarDef};
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, IncludeStyle, Span};

/// How deeply blocks (profiles, hats, conditionals, qualifier blocks) may nest. Real
/// policy nests three or four levels; the limit keeps hostile input from exhausting the
/// stack.
const MAX_BLOCK_DEPTH: usize = 128;

/// Parses one file's text. Never fails: every problem becomes a diagnostic.
pub fn parse(text: &str, file: FileId) -> SyntaxTree {
    let mut p = Parser {
        lx: Lexer::new(text),
        file,
        diags: Vec::new(),
        scratch: Diagnostic::error("internal", "", file, Span::default()),
    };
    let items = p.items(None, 0);
    SyntaxTree {
        items,
        diagnostics: p.diags,
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
    file: FileId,
    diags: Vec<Diagnostic>,
    scratch: Diagnostic,
}

/// How a statement's token run ended.
enum End {
    Comma(Span),
    Open(Span),
    Close,
    Eof,
    /// Already reported; the statement is dropped.
    Broken,
}

impl Parser<'_> {
    fn error(&mut self, code: &str, msg: impl Into<String>, span: Span) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(code, msg, self.file, span));
        // The vector is non-empty (we just pushed); the scratch diagnostic only satisfies
        // the type checker.
        match self.diags.last_mut() {
            Some(d) => d,
            None => &mut self.scratch,
        }
    }

    /// Parses statements until the closing brace (when `open` is the block's opening brace)
    /// or the end of input.
    fn items(&mut self, open: Option<Span>, depth: usize) -> Vec<Item> {
        let mut items = Vec::new();
        loop {
            self.lx.skip_space();
            let Some(b) = self.lx.peek() else {
                if let Some(open) = open {
                    self.error("unclosed-brace", "unclosed `{`", open).help =
                        Some("add the matching `}`".into());
                }
                return items;
            };
            let start = self.lx.pos;
            if b == b'}' {
                self.lx.pos += 1;
                if open.is_some() {
                    return items;
                }
                let span = Span::new(start, start + 1);
                self.error("unexpected-close-brace", "unexpected `}`", span)
                    .help = Some("this `}` closes no block".into());
                items.push(Item::Error(span));
                continue;
            }
            if b == b'#' && !self.lx.at_hash_include() {
                let span = self.lx.skip_line();
                if self.lx.peek().is_none() {
                    // apparmor_parser's lexer only knows comments ended by a line break.
                    self.error(
                        "comment-at-end",
                        "a comment on the last line needs a line break after it",
                        span,
                    )
                    .help = Some("end the file with a newline".into());
                }
                if span_text_is_glued_include(self.lx.slice(span.start as usize, span.end as usize))
                {
                    self.error("syntax-error", "missing space after `#include`", span)
                        .help = Some("write `#include <name>` or `include <name>`".into());
                }
                items.push(Item::Comment(span));
                continue;
            }
            if self.lx.at_hash_include() || self.at_include_keyword() {
                items.push(self.include());
                continue;
            }
            if self.lx.at_keyword("abi")
                && self
                    .lx
                    .peek_at(3)
                    .is_some_and(|b| is_space(b) || b == b'<' || b == b'"')
            {
                items.push(self.abi());
                continue;
            }
            if let Some(item) = self.var_def() {
                items.push(item);
                continue;
            }
            if self.lx.at_keyword("if") && self.lx.peek_at(2).is_some_and(is_space) {
                items.push(self.if_item(depth));
                continue;
            }
            items.push(self.statement(depth));
        }
    }

    fn at_include_keyword(&self) -> bool {
        self.lx.at_keyword("include")
            && self
                .lx
                .peek_at("include".len())
                .is_some_and(|b| is_space(b) || b == b'<' || b == b'"')
    }

    /// `include [if exists] <name>` / `"name"` / `name`, also `#include`.
    fn include(&mut self) -> Item {
        let start = self.lx.pos;
        let hash = self.lx.peek() == Some(b'#');
        self.lx.pos += if hash {
            "#include".len()
        } else {
            "include".len()
        };
        self.lx.skip_blanks();
        let mut if_exists = false;
        if self.lx.at_keyword("if") {
            let save = self.lx.pos;
            self.lx.pos += 2;
            self.lx.skip_blanks();
            if self.lx.at_keyword("exists") {
                self.lx.pos += "exists".len();
                self.lx.skip_blanks();
                if_exists = true;
            } else {
                self.lx.pos = save;
            }
        }
        let (style, name) = self.include_name();
        let span = Span::new(start, self.lx.pos);
        if name.is_empty() {
            self.error("syntax-error", "missing include name", span)
                .help = Some("write `include <abstractions/base>` or `include \"/path\"`".into());
        }
        Item::Include(Include {
            style,
            name,
            if_exists,
            hash,
            span,
        })
    }

    /// Reads the name of an include or abi: `<name>`, `<"name">`, `"name"` or a bare
    /// word, as upstream's lexer does (spaces inside `<>` are kept, but a quote may only
    /// follow `<` directly).
    fn include_name(&mut self) -> (IncludeStyle, String) {
        let name_start = self.lx.pos;
        match self.lx.peek() {
            Some(b'<') => {
                self.lx.pos += 1;
                let save = self.lx.pos;
                self.lx.skip_blanks();
                if self.lx.peek() != Some(b'"') {
                    self.lx.pos = save;
                }
                if self.lx.peek() == Some(b'"') {
                    let (tok, closed) = self.lx.quoted();
                    if !closed {
                        self.error("unterminated-string", "unterminated string", tok.span);
                    }
                    self.lx.skip_blanks();
                    if self.lx.peek() == Some(b'>') {
                        self.lx.pos += 1;
                    } else {
                        let sp = Span::new(name_start, self.lx.pos);
                        self.error("syntax-error", "missing `>` after the name", sp);
                    }
                    return (IncludeStyle::Angle, tok.text);
                }
                let s = self.lx.pos;
                while let Some(b) = self.lx.peek() {
                    if b == b'>' || b == b'\n' || b == b'\r' || b == b'\t' || b == b'"' {
                        break;
                    }
                    self.lx.pos += 1;
                }
                let name = self.lx.slice(s, self.lx.pos).trim().to_owned();
                if self.lx.peek() == Some(b'>') {
                    self.lx.pos += 1;
                } else {
                    let sp = Span::new(name_start, self.lx.pos);
                    self.error("syntax-error", "missing `>` after the name", sp);
                }
                (IncludeStyle::Angle, name)
            }
            Some(b'"') => {
                let (tok, closed) = self.lx.quoted();
                if !closed {
                    self.error("unterminated-string", "unterminated string", tok.span);
                }
                (IncludeStyle::Quoted, tok.text)
            }
            _ => {
                let s = self.lx.pos;
                while let Some(b) = self.lx.peek() {
                    if is_space(b) || b == b'"' || b == b'!' || b == b',' || b == b'<' || b == b'>'
                    {
                        break;
                    }
                    self.lx.pos += 1;
                }
                (
                    IncludeStyle::Quoted,
                    self.lx.slice(s, self.lx.pos).to_owned(),
                )
            }
        }
    }

    /// `abi <name>,`.
    fn abi(&mut self) -> Item {
        let start = self.lx.pos;
        self.lx.pos += "abi".len();
        self.lx.skip_blanks();
        let (style, name) = self.include_name();
        let end = self.lx.pos;
        self.lx.skip_trivia();
        if self.lx.peek() == Some(b',') {
            self.lx.pos += 1;
        } else {
            let sp = Span::new(start, end);
            self.error("missing-comma", "expected `,` after the abi", sp)
                .help = Some("write `abi <abi/3.0>,`".into());
        }
        let span = Span::new(start, end);
        if name.is_empty() {
            self.error("syntax-error", "missing abi name", span);
        }
        Item::Abi(Include {
            style,
            name,
            if_exists: false,
            hash: false,
            span,
        })
    }

    /// Reads `@{NAME}` / `@NAME` / `${NAME}` / `$NAME` at the position; returns the name,
    /// its span, the end position, and whether it is a boolean.
    fn variable_name_at(&self) -> Option<(String, Span, usize, bool)> {
        let bytes = self.lx.bytes;
        let start = self.lx.pos;
        let sigil = *bytes.get(start)?;
        if sigil != b'@' && sigil != b'$' {
            return None;
        }
        let mut i = start + 1;
        let braced = bytes.get(i) == Some(&b'{');
        if braced {
            i += 1;
        }
        let name_start = i;
        if !bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        while bytes.get(i).is_some_and(|&b| is_name_char(b)) {
            i += 1;
        }
        let name = self.lx.slice(name_start, i).to_owned();
        if braced {
            if bytes.get(i) != Some(&b'}') {
                return None;
            }
            i += 1;
        }
        Some((name, Span::new(start, i), i, sigil == b'$'))
    }

    /// A variable definition, if one starts here.
    fn var_def(&mut self) -> Option<Item> {
        let (name, name_span, end, is_bool) = self.variable_name_at()?;
        let bytes = self.lx.bytes;
        let mut i = end;
        while bytes.get(i).is_some_and(|&b| b == b' ' || b == b'\t') {
            i += 1;
        }
        let op_len = match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'='), _) => 1,
            (Some(b'+' | b'?' | b':'), Some(b'=')) => 2,
            _ => return None,
        };
        let op = self.lx.slice(i, i + op_len).to_owned();
        let start = self.lx.pos;
        self.lx.pos = i + op_len;
        let mut values = Vec::new();
        loop {
            self.lx.skip_blanks();
            let Some(b) = self.lx.peek() else { break };
            if b == b'\n' || b == b'#' {
                break;
            }
            if b == b',' {
                let sp = Span::new(self.lx.pos, self.lx.pos + 1);
                self.error(
                    "trailing-comma",
                    "variable declarations do not accept trailing commas",
                    sp,
                )
                .help = Some("remove the `,`".into());
                self.lx.pos += 1;
                continue;
            }
            if b == b'"' {
                let (tok, closed) = self.lx.quoted();
                if !closed {
                    self.error("unterminated-string", "unterminated string", tok.span);
                }
                values.push(tok);
                continue;
            }
            let s = self.lx.pos;
            while let Some(b) = self.lx.peek() {
                if b == b'\\' && self.lx.peek_at(1).is_some_and(|n| n != b'\n') {
                    self.lx.pos += 2;
                    while self.lx.pos < bytes.len() && !self.lx.text.is_char_boundary(self.lx.pos) {
                        self.lx.pos += 1;
                    }
                    continue;
                }
                if is_space(b) || b == b'"' || b == b'!' {
                    break;
                }
                if b == b',' {
                    match self.lx.peek_at(1) {
                        Some(n) if !is_space(n) && n != b'"' && n != b'!' && n != b',' => {}
                        _ => break,
                    }
                }
                self.lx.pos += 1;
                while self.lx.pos < bytes.len() && !self.lx.text.is_char_boundary(self.lx.pos) {
                    self.lx.pos += 1;
                }
            }
            if self.lx.pos == s {
                // A lone `!`: report and skip it.
                self.lx.pos += 1;
                let sp = Span::new(s, self.lx.pos);
                self.error("syntax-error", "unexpected `!` in a variable value", sp);
                continue;
            }
            values.push(Token {
                kind: TokenKind::Word,
                span: Span::new(s, self.lx.pos),
                text: self.lx.slice(s, self.lx.pos).to_owned(),
            });
        }
        let end = values
            .last()
            .map(|v| v.span.end as usize)
            .unwrap_or(self.lx.pos);
        let span = Span::new(start, end);
        if is_bool {
            if values.len() != 1 {
                self.error(
                    "syntax-error",
                    format!("boolean `${name}` needs exactly one value"),
                    span,
                )
                .help = Some("write `true` or `false`".into());
            }
            return Some(Item::BoolDef(BoolDef {
                op: match op.as_str() {
                    "+=" => AssignOp::Append,
                    "?=" => AssignOp::SetIfUndefined,
                    ":=" => AssignOp::Override,
                    _ => AssignOp::Set,
                },
                name,
                value: values.into_iter().next(),
                span,
            }));
        }
        if values.is_empty() {
            // Upstream accepts an empty definition; it defines an empty set.
        }
        Some(Item::VarDef(VarDef {
            name,
            name_span,
            op: match op.as_str() {
                "+=" => AssignOp::Append,
                "?=" => AssignOp::SetIfUndefined,
                ":=" => AssignOp::Override,
                _ => AssignOp::Set,
            },
            values,
            span,
        }))
    }

    /// Collects the tokens of one statement up to its delimiter.
    fn tokens(&mut self) -> (Vec<Token>, End) {
        let mut toks = Vec::new();
        let mut paren = 0usize;
        loop {
            let after_eq = toks.last().is_some_and(|t: &Token| t.kind == TokenKind::Eq);
            let t = self.lx.token(paren > 0, after_eq);
            match t {
                Some(t) => {
                    if t.kind == TokenKind::Quoted {
                        let raw = self.lx.slice(t.span.start as usize, t.span.end as usize);
                        if raw.len() < 2 || !raw.ends_with('"') {
                            self.error("unterminated-string", "unterminated string", t.span)
                                .help = Some("close the string with `\"`".into());
                            // Give up on this statement at the end of the line, so the
                            // next lines parse normally.
                            toks.push(t);
                            return (toks, End::Broken);
                        }
                    }
                    match t.kind {
                        TokenKind::LParen => paren += 1,
                        TokenKind::RParen => paren = paren.saturating_sub(1),
                        _ => {}
                    }
                    toks.push(t);
                }
                None => {
                    let pos = self.lx.pos;
                    let end = match self.lx.peek() {
                        Some(b',') => {
                            self.lx.pos += 1;
                            End::Comma(Span::new(pos, pos + 1))
                        }
                        Some(b'{') => {
                            self.lx.pos += 1;
                            End::Open(Span::new(pos, pos + 1))
                        }
                        Some(_) => End::Close,
                        None => End::Eof,
                    };
                    if paren > 0 {
                        let sp = toks
                            .iter()
                            .rev()
                            .find(|t| t.kind == TokenKind::LParen)
                            .map(|t| t.span)
                            .unwrap_or(Span::new(pos, pos));
                        self.error("unclosed-paren", "unclosed `(`", sp).help =
                            Some("add the matching `)`".into());
                    }
                    return (toks, end);
                }
            }
        }
    }

    fn span_of(toks: &[Token], fallback: usize) -> Span {
        match (toks.first(), toks.last()) {
            (Some(f), Some(l)) => f.span.join(l.span),
            _ => Span::new(fallback, fallback),
        }
    }

    /// A rule or a block.
    fn statement(&mut self, depth: usize) -> Item {
        let start = self.lx.pos;
        let (toks, end) = self.tokens();
        let span = Self::span_of(&toks, start);
        match end {
            End::Comma(comma) => {
                if toks.is_empty() {
                    self.error("syntax-error", "unexpected `,`", comma).help =
                        Some("remove the extra `,`".into());
                    return Item::Error(comma);
                }
                Item::Rule(RuleItem { tokens: toks, span })
            }
            End::Open(open) => self.block(toks, span, open, depth),
            End::Broken => Item::Error(span),
            End::Close | End::Eof => {
                if toks.is_empty() {
                    // Only possible at a stray character the lexer would not start a token
                    // on; skip one character so the loop makes progress.
                    let s = self.lx.pos;
                    self.lx.pos = (s + 1).min(self.lx.bytes.len());
                    let sp = Span::new(s, self.lx.pos);
                    self.error("syntax-error", "unexpected character", sp);
                    return Item::Error(sp);
                }
                self.error("missing-comma", "expected `,` at the end of the rule", span)
                    .help = Some("every rule ends with `,`".into());
                Item::Error(span)
            }
        }
    }

    fn block(&mut self, header: Vec<Token>, header_span: Span, open: Span, depth: usize) -> Item {
        let start = if header.is_empty() {
            open.start as usize
        } else {
            header_span.start as usize
        };
        if depth >= MAX_BLOCK_DEPTH {
            self.error(
                "nesting-too-deep",
                format!("blocks nested more than {MAX_BLOCK_DEPTH} levels deep"),
                open,
            );
            // Skip to the matching brace without recursing.
            let mut level = 1usize;
            while let Some(b) = self.lx.peek() {
                self.lx.pos += 1;
                match b {
                    b'{' => level += 1,
                    b'}' => {
                        level -= 1;
                        if level == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            return Item::Error(Span::new(start, self.lx.pos));
        }
        let body = self.items(Some(open), depth + 1);
        let header_span = if header.is_empty() { open } else { header_span };
        Item::Block(Block {
            header,
            body,
            span: Span::new(start, self.lx.pos),
            header_span,
        })
    }

    /// `if cond { } [else if cond { }]* [else { }]`.
    fn if_item(&mut self, depth: usize) -> Item {
        let start = self.lx.pos;
        let mut branches = Vec::new();
        let mut else_body = None;
        self.lx.pos += 2;
        loop {
            let cond_start = self.lx.pos;
            let (toks, end) = self.tokens();
            let End::Open(open) = end else {
                let sp = Self::span_of(&toks, cond_start);
                self.error("syntax-error", "expected `{` after the condition", sp);
                return Item::Error(Span::new(start, self.lx.pos));
            };
            if depth >= MAX_BLOCK_DEPTH {
                self.error("nesting-too-deep", "conditionals nested too deeply", open);
                return Item::Error(Span::new(start, self.lx.pos));
            }
            let body = self.items(Some(open), depth + 1);
            branches.push((toks, body));
            // Look for `else`.
            let save = self.lx.pos;
            self.lx.skip_trivia();
            if !self.lx.at_keyword("else") {
                self.lx.pos = save;
                break;
            }
            self.lx.pos += 4;
            self.lx.skip_trivia();
            if self.lx.at_keyword("if") {
                self.lx.pos += 2;
                continue;
            }
            let s = self.lx.pos;
            if self.lx.peek() == Some(b'{') {
                self.lx.pos += 1;
                let open = Span::new(s, s + 1);
                else_body = Some(self.items(Some(open), depth + 1));
            } else {
                let sp = Span::new(s, s);
                self.error("syntax-error", "expected `{` or `if` after `else`", sp);
            }
            break;
        }
        Item::If(IfItem {
            branches,
            else_body,
            span: Span::new(start, self.lx.pos),
        })
    }
}

/// Whether a comment is really a `#include` written without its space (`#include<x>`),
/// which apparmor_parser rejects.
fn span_text_is_glued_include(comment: &str) -> bool {
    comment
        .strip_prefix("#include")
        .is_some_and(|rest| rest.starts_with('<') || rest.starts_with('"'))
}
