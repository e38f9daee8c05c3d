//! Stage two of compiling a glob: parse the regular-expression text from `convert.rs` with
//! the grammar of `apparmor_parser`'s expression parser (libapparmor_re), into a [`Node`]
//! tree. Globs only ever produce a subset of this grammar, but the subset includes the
//! odd cases (`[*]` becomes `[[^/\x00]*]`, a class of four bytes followed by `*` and a
//! literal `]`), so the grammar is followed exactly rather than guessed from the glob.

use super::convert::escape_sequence;
use super::error::GlobError;
use super::node::{ByteSet, Node};
use crate::source::Span;

/// Bytes that stand for themselves after a backslash in the expression text.
const SELF_ESCAPES: &[u8] = b"*+.|^$-[](){}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A literal byte (possibly from an escape sequence).
    Char(u8),
    /// One of `* + . | ^ - [ ] ( )`, unescaped.
    Op(u8),
    /// The end of the text.
    End,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

struct Parser<'a> {
    text: &'a [u8],
    origin: &'a [Span],
    /// The original pattern's length, for spans at the end.
    pattern_len: usize,
    pos: usize,
    peeked: Option<Token>,
}

/// Parses expression text into a tree. `origin` maps each byte of `text` to the glob span
/// that produced it, so errors point into the glob.
pub(crate) fn parse(text: &[u8], origin: &[Span], pattern_len: usize) -> Result<Node, GlobError> {
    let mut p = Parser {
        text,
        origin,
        pattern_len,
        pos: 0,
        peeked: None,
    };
    let node = p.regex()?;
    let tok = p.next();
    match tok.kind {
        Kind::End => Ok(node),
        _ => Err(GlobError::InvalidExpression {
            detail: "unbalanced `)`",
            span: p.span(tok),
        }),
    }
}

impl Parser<'_> {
    fn lex(&mut self) -> Token {
        let start = self.pos;
        let Some(&c) = self.text.get(self.pos) else {
            return Token {
                kind: Kind::End,
                start,
                end: start,
            };
        };
        self.pos += 1;
        let kind = match c {
            b'*' | b'+' | b'.' | b'|' | b'^' | b'-' | b'[' | b']' | b'(' | b')' => Kind::Op(c),
            b'\\' => {
                let rest = self.text.get(self.pos..).unwrap_or(&[]);
                match escape_sequence(rest, SELF_ESCAPES) {
                    Some((value, len)) => {
                        self.pos += len;
                        Kind::Char(value)
                    }
                    // Not an escape: the backslash is a literal and the next byte is read
                    // on its own.
                    None => Kind::Char(b'\\'),
                }
            }
            _ => Kind::Char(c),
        };
        Token {
            kind,
            start,
            end: self.pos,
        }
    }

    fn peek(&mut self) -> Token {
        match self.peeked {
            Some(t) => t,
            None => {
                let t = self.lex();
                self.peeked = Some(t);
                t
            }
        }
    }

    fn next(&mut self) -> Token {
        match self.peeked.take() {
            Some(t) => t,
            None => self.lex(),
        }
    }

    fn span(&self, tok: Token) -> Span {
        let at_end = Span::new(self.pattern_len, self.pattern_len);
        let first = self.origin.get(tok.start).copied().unwrap_or(at_end);
        let last = match tok.end.checked_sub(1) {
            Some(i) if tok.end > tok.start => self.origin.get(i).copied().unwrap_or(at_end),
            _ => first,
        };
        first.join(last)
    }

    /// Whether a token can start a `term`.
    fn starts_term(kind: Kind) -> bool {
        matches!(
            kind,
            Kind::Char(_) | Kind::Op(b'.' | b'^' | b'-' | b']' | b'[' | b'(')
        )
    }

    /// `regex: /* empty */ | expr`, where
    /// `expr: terms | expr '|' terms0 | '|' terms0`.
    fn regex(&mut self) -> Result<Node, GlobError> {
        let mut alts = vec![self.terms0()?];
        while self.peek().kind == Kind::Op(b'|') {
            self.next();
            alts.push(self.terms0()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    /// `terms0: /* empty */ | terms`, `terms: qterm | terms qterm`.
    fn terms0(&mut self) -> Result<Node, GlobError> {
        let mut parts = Vec::new();
        loop {
            let tok = self.peek();
            if Self::starts_term(tok.kind) {
                parts.push(self.qterm()?);
                continue;
            }
            match tok.kind {
                Kind::Op(b'|' | b')') | Kind::End => break,
                _ => {
                    return Err(GlobError::InvalidExpression {
                        detail: "a repetition follows nothing it could repeat",
                        span: self.span(tok),
                    })
                }
            }
        }
        Ok(match parts.len() {
            0 => Node::Empty,
            1 => parts.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(parts),
        })
    }

    /// `qterm: term | term '*' | term '+'`.
    fn qterm(&mut self) -> Result<Node, GlobError> {
        let term = self.term()?;
        Ok(match self.peek().kind {
            Kind::Op(b'*') => {
                self.next();
                Node::Star(Box::new(term))
            }
            Kind::Op(b'+') => {
                self.next();
                Node::Plus(Box::new(term))
            }
            _ => term,
        })
    }

    fn term(&mut self) -> Result<Node, GlobError> {
        let tok = self.next();
        match tok.kind {
            Kind::Op(b'.') => Ok(Node::AnyByte),
            Kind::Char(c) | Kind::Op(c @ (b'^' | b'-' | b']')) => Ok(Node::Byte(c)),
            Kind::Op(b'(') => {
                let inner = self.regex()?;
                let close = self.next();
                match close.kind {
                    Kind::Op(b')') => Ok(inner),
                    _ => Err(GlobError::InvalidExpression {
                        detail: "unclosed `(`",
                        span: self.span(tok),
                    }),
                }
            }
            Kind::Op(b'[') => self.class(tok),
            _ => Err(GlobError::InvalidExpression {
                detail: "unexpected operator",
                span: self.span(tok),
            }),
        }
    }

    /// `'[' charset ']' | '[' '^' charset ']' | '[' '^' '^' cset_chars ']'`.
    fn class(&mut self, open: Token) -> Result<Node, GlobError> {
        let mut negated = false;
        let mut set = ByteSet::new();
        if self.peek().kind == Kind::Op(b'^') {
            self.next();
            negated = true;
            if self.peek().kind == Kind::Op(b'^') {
                self.next();
                set.insert(b'^');
            } else {
                self.charset_first(open, &mut set)?;
            }
        } else {
            self.charset_first(open, &mut set)?;
        }
        self.cset_chars(open, &mut set)?;
        let close = self.next();
        if close.kind != Kind::Op(b']') {
            return Err(GlobError::InvalidClass {
                detail: match close.kind {
                    Kind::Op(b'-') => "`-` must not end a class or follow a range",
                    _ => "the class is not closed",
                },
                span: self.span(open).join(self.span(close)),
            });
        }
        Ok(Node::Class {
            set: if negated { set.complement() } else { set },
            negated,
        })
    }

    /// `charset: cset_char1 cset_chars | cset_char1 '-' cset_charN cset_chars`, up to the
    /// `cset_chars`. `cset_char1` also admits `]` and `-`.
    fn charset_first(&mut self, open: Token, set: &mut ByteSet) -> Result<(), GlobError> {
        let tok = self.next();
        let first = match tok.kind {
            Kind::Char(c) => c,
            Kind::Op(c @ (b'[' | b'*' | b'+' | b'.' | b'|' | b'(' | b')' | b']' | b'-')) => c,
            _ => {
                return Err(GlobError::InvalidClass {
                    detail: "the class has no members",
                    span: self.span(open).join(self.span(tok)),
                })
            }
        };
        if self.peek().kind == Kind::Op(b'-') {
            self.next();
            let last = self.cset_char_n(open)?;
            set.insert_range(first, last);
        } else {
            set.insert(first);
        }
        Ok(())
    }

    /// `cset_charN`: any class member except `]` and `-`, but `^` is allowed.
    fn member_n(kind: Kind) -> Option<u8> {
        match kind {
            Kind::Char(c) => Some(c),
            Kind::Op(c @ (b'[' | b'*' | b'+' | b'.' | b'|' | b'(' | b')' | b'^')) => Some(c),
            _ => None,
        }
    }

    fn cset_char_n(&mut self, open: Token) -> Result<u8, GlobError> {
        let tok = self.next();
        Self::member_n(tok.kind).ok_or_else(|| GlobError::InvalidClass {
            detail: "`-` must not end a class or follow a range",
            span: self.span(open).join(self.span(tok)),
        })
    }

    /// `cset_chars: /* nothing */ | cset_chars cset_charN | cset_chars cset_charN '-' cset_charN`.
    fn cset_chars(&mut self, open: Token, set: &mut ByteSet) -> Result<(), GlobError> {
        while let Some(c) = Self::member_n(self.peek().kind) {
            self.next();
            if self.peek().kind == Kind::Op(b'-') {
                self.next();
                let last = self.cset_char_n(open)?;
                set.insert_range(c, last);
            } else {
                set.insert(c);
            }
        }
        Ok(())
    }
}
