//! The context-aware lexer.
//!
//! AppArmor reuses `{ } , ( ) =` both as glob syntax inside paths and as delimiters of
//! blocks, rules and condition lists, so what a character means depends on where it is.
//! The lexer therefore works on demand: the parser asks for the next token in a given
//! context, and the lexer decides how far a word reaches from that context and from the
//! word's first character (paths and labels swallow glob punctuation; keywords do not).

use crate::source::Span;

/// What kind of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A bare word: a keyword, a path glob, a mode, a value.
    Word,
    /// A double-quoted string; [`Token::text`] holds its unescaped content.
    Quoted,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `=`.
    Eq,
    /// `+=`.
    PlusEq,
    /// `->`.
    Arrow,
    /// `<=`.
    Le,
    /// `^` in front of a hat name.
    Caret,
    /// A character that starts no token here (for example `!`).
    Unknown,
}

/// One token with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The kind.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
    /// The text: as written for words and punctuation, unescaped for quoted strings.
    pub text: String,
}

impl Token {
    /// Whether this is a bare word equal to `w`.
    pub fn is_word(&self, w: &str) -> bool {
        self.kind == TokenKind::Word && self.text == w
    }

    /// Whether this is a bare word or quoted string (a value).
    pub fn is_value(&self) -> bool {
        matches!(self.kind, TokenKind::Word | TokenKind::Quoted)
    }
}

/// The lexer state: the text and a byte position.
pub(crate) struct Lexer<'a> {
    pub(crate) text: &'a str,
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

/// Whether a byte is blank (space or tab or carriage return).
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r'
}

/// Whether a byte is any white space the lexer skips between tokens.
pub(crate) fn is_space(b: u8) -> bool {
    is_blank(b) || b == b'\n' || b == 0x0b || b == 0x0c
}

/// Characters that may continue an identifier after a comma (upstream's `ID_CHARS`).
fn is_id_char(b: u8) -> bool {
    !is_space(b) && b != b'"' && b != b'!' && b != b','
}

/// Whether a byte is part of a keyword-like name.
pub(crate) fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn peek_at(&self, n: usize) -> Option<u8> {
        self.bytes.get(self.pos + n).copied()
    }

    pub(crate) fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    pub(crate) fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// Advances to the next character boundary (so that multi-byte characters stay whole).
    fn bump_char(&mut self) {
        self.pos += 1;
        while self.pos < self.bytes.len() && !self.text.is_char_boundary(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips white space including newlines.
    pub(crate) fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_space(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Skips blanks and backslash-newline continuations, but not newlines.
    pub(crate) fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(b) if is_blank(b) => self.pos += 1,
                Some(b'\\') if self.peek_at(1) == Some(b'\n') => self.pos += 2,
                _ => break,
            }
        }
    }

    /// Skips white space and comments; returns the spans of the comments skipped.
    pub(crate) fn skip_trivia(&mut self) {
        loop {
            self.skip_space();
            if self.peek() == Some(b'#') && !self.at_hash_include() {
                self.skip_line();
            } else {
                break;
            }
        }
    }

    /// Skips to the end of the line (not consuming the newline); returns the span skipped.
    pub(crate) fn skip_line(&mut self) -> Span {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
        Span::new(start, self.pos)
    }

    /// Whether the text at the position is `#include` followed by white space.
    pub(crate) fn at_hash_include(&self) -> bool {
        let r = self.rest();
        r.starts_with("#include")
            && r.as_bytes()
                .get("#include".len())
                .is_some_and(|&b| is_space(b))
    }

    /// Whether the text at the position is the keyword `w` followed by a non-name byte.
    pub(crate) fn at_keyword(&self, w: &str) -> bool {
        let r = self.rest();
        r.starts_with(w) && !r.as_bytes().get(w.len()).is_some_and(|&b| is_name_char(b))
    }

    /// Reads a quoted string starting at `"`. Returns the token and whether it was closed.
    pub(crate) fn quoted(&mut self) -> (Token, bool) {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut closed = false;
        while let Some(b) = self.peek() {
            if b == b'"' {
                self.pos += 1;
                closed = true;
                break;
            }
            if b == b'\\' && self.peek_at(1).is_some() {
                // Escapes stay as written: the glob compiler gives them their meaning.
                let s = self.pos;
                self.pos += 1;
                self.bump_char();
                out.push_str(self.slice(s, self.pos));
                continue;
            }
            let s = self.pos;
            self.bump_char();
            out.push_str(self.slice(s, self.pos));
        }
        if !closed {
            // Unterminated: end the string at its first line so that the rest of the file
            // still parses (the error is reported by the caller).
            if let Some(nl) = self.text.get(start..).and_then(|t| t.find('\n')) {
                self.pos = start + nl;
                out = self.slice(start + 1, self.pos).to_owned();
            }
        }
        (
            Token {
                kind: TokenKind::Quoted,
                span: Span::new(start, self.pos),
                text: out,
            },
            closed,
        )
    }

    /// Reads a path-like word: it swallows glob punctuation, and a comma only when an
    /// identifier character follows it (so `{a,b}` stays whole but `/p r,` ends).
    fn path_word(&mut self, in_paren: bool) -> Token {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b'\\' && self.peek_at(1).is_some() {
                // An escaped character belongs to the word whatever it is.
                self.pos += 1;
                self.bump_char();
                continue;
            }
            if is_space(b) || b == b'"' || b == b'!' {
                break;
            }
            if in_paren && (b == b')' || b == b'(' || b == b'=') {
                break;
            }
            if b == b',' {
                if in_paren {
                    break;
                }
                match self.peek_at(1) {
                    Some(n) if is_id_char(n) => {}
                    _ => break,
                }
            }
            self.bump_char();
        }
        Token {
            kind: TokenKind::Word,
            span: Span::new(start, self.pos),
            text: self.slice(start, self.pos).to_owned(),
        }
    }

    /// Reads a general word (keyword, value, mode). It stops at `=`, parentheses, quotes,
    /// and at commas and braces outside of a `{...}` alternation it opened itself.
    fn general_word(&mut self, in_paren: bool) -> Token {
        let start = self.pos;
        let mut depth = 0u32;
        while let Some(b) = self.peek() {
            if b == b'\\' && self.peek_at(1).is_some() {
                self.pos += 1;
                self.bump_char();
                continue;
            }
            if is_space(b) || b == b'"' || b == b'!' || b == b'(' || b == b')' || b == b'=' {
                break;
            }
            match b {
                b'{' => {
                    // A keyword directly followed by `{` opens a block (`owner{`).
                    if depth == 0
                        && self.slice(start, self.pos).bytes().all(is_name_char)
                        && self.pos > start
                    {
                        break;
                    }
                    depth += 1;
                }
                b'}' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                b',' if depth == 0 || in_paren => break,
                b'<' if self.peek_at(1) == Some(b'=') && self.pos > start => break,
                _ => {}
            }
            self.bump_char();
        }
        Token {
            kind: TokenKind::Word,
            span: Span::new(start, self.pos),
            text: self.slice(start, self.pos).to_owned(),
        }
    }

    /// The next token inside a statement. Returns `None` at `,` `{` `}` or end of input
    /// (not consumed), which the parser handles as statement delimiters.
    pub(crate) fn token(&mut self, in_paren: bool, after_eq: bool) -> Option<Token> {
        self.skip_trivia();
        if in_paren {
            // Commas separate list values; they carry no meaning of their own.
            while self.peek() == Some(b',') {
                self.pos += 1;
                self.skip_trivia();
            }
        }
        let b = self.peek()?;
        let start = self.pos;
        if after_eq && b != b'(' && b != b'"' && b != b',' && (b != b'}' || in_paren) {
            // A condition value (`key=value`): it may hold glob punctuation such as
            // `{a,b}`, like a path.
            return Some(self.path_word(in_paren));
        }
        let punct = |lx: &mut Lexer, kind: TokenKind, len: usize| {
            lx.pos += len;
            Some(Token {
                kind,
                span: Span::new(start, lx.pos),
                text: lx.slice(start, lx.pos).to_owned(),
            })
        };
        match b {
            b',' | b'{' | b'}' => None,
            b'(' => punct(self, TokenKind::LParen, 1),
            b')' => punct(self, TokenKind::RParen, 1),
            b'=' => punct(self, TokenKind::Eq, 1),
            b'+' if self.peek_at(1) == Some(b'=') => punct(self, TokenKind::PlusEq, 2),
            b'-' if self.peek_at(1) == Some(b'>') => punct(self, TokenKind::Arrow, 2),
            b'<' if self.peek_at(1) == Some(b'=') => punct(self, TokenKind::Le, 2),
            b'^' => punct(self, TokenKind::Caret, 1),
            b'!' => punct(self, TokenKind::Unknown, 1),
            b'"' => Some(self.quoted().0),
            b'/' | b'@' | b'&' | b'*' => Some(self.path_word(in_paren)),
            b':' if self.peek_at(1) != Some(b'=') => Some(self.path_word(in_paren)),
            _ => Some(self.general_word(in_paren)),
        }
    }
}
