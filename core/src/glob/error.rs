//! Errors for glob parsing and glob-set compilation.

use crate::source::Span;

/// Why a glob could not be compiled. Spans are byte offsets inside the pattern as it was
/// handed to [`super::parse`] (before slashes are collapsed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    /// The pattern contains a NUL byte, which `apparmor_parser` treats as the end of the text.
    #[error("glob contains a NUL byte")]
    NulByte {
        /// Where the NUL byte is.
        span: Span,
    },
    /// The pattern is longer than the compiler accepts.
    #[error("glob is {len} bytes long, more than the limit of {limit}")]
    TooLong {
        /// Length of the pattern in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
        /// The part beyond the limit.
        span: Span,
    },
    /// A `\` at the very end of the pattern escapes nothing.
    #[error("trailing `\\` escapes nothing")]
    TrailingBackslash {
        /// The backslash.
        span: Span,
    },
    /// A `]` outside a character class.
    #[error("`]` has no matching `[`")]
    UnmatchedCloseBracket {
        /// The `]`.
        span: Span,
    },
    /// A `}` outside an alternation.
    #[error("`}}` has no matching `{{`")]
    UnmatchedCloseBrace {
        /// The `}`.
        span: Span,
    },
    /// A `[` whose class is never closed.
    #[error("character class opened here is never closed with `]`")]
    UnclosedBracket {
        /// The `[`.
        span: Span,
    },
    /// A `{` whose alternation is never closed.
    #[error("alternation opened here is never closed with `}}`")]
    UnclosedBrace {
        /// The `{`.
        span: Span,
    },
    /// `{x}` or `{}`: an alternation needs at least one `,` at its own level.
    #[error("alternation `{text}` has a single item")]
    SingleItemAlternation {
        /// The alternation as written.
        text: String,
        /// From `{` to `}`.
        span: Span,
    },
    /// Alternations nested deeper than `apparmor_parser` allows.
    #[error("alternations are nested more than {limit} deep")]
    TooDeep {
        /// The deepest nesting `apparmor_parser` accepts.
        limit: usize,
        /// The `{` that goes one level too deep.
        span: Span,
    },
    /// A character class that `apparmor_parser`'s regular expression parser rejects, such as
    /// `[]`, `[^]`, `[a-]` or `[a-c-e]`.
    #[error("invalid character class: {detail}")]
    InvalidClass {
        /// What is wrong.
        detail: &'static str,
        /// The offending part.
        span: Span,
    },
    /// The compiled expression is malformed in a way `apparmor_parser` rejects (for example a
    /// glob character inside `[...]` that expands into a stray `*`).
    #[error("invalid expression: {detail}")]
    InvalidExpression {
        /// What is wrong.
        detail: &'static str,
        /// The offending part.
        span: Span,
    },
    /// The glob set needs more memory than the limit allows.
    #[error("the {count} globs together need more than {limit} bytes to compile")]
    SetTooLarge {
        /// How many globs were compiled together.
        count: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The automaton library failed for a reason other than size.
    #[error("glob set could not be compiled: {detail}")]
    Build {
        /// The library's message.
        detail: String,
    },
}

impl GlobError {
    /// The span inside the pattern that the error is about, if it is about one pattern.
    pub fn span(&self) -> Option<Span> {
        match self {
            GlobError::NulByte { span }
            | GlobError::TooLong { span, .. }
            | GlobError::TrailingBackslash { span }
            | GlobError::UnmatchedCloseBracket { span }
            | GlobError::UnmatchedCloseBrace { span }
            | GlobError::UnclosedBracket { span }
            | GlobError::UnclosedBrace { span }
            | GlobError::SingleItemAlternation { span, .. }
            | GlobError::TooDeep { span, .. }
            | GlobError::InvalidClass { span, .. }
            | GlobError::InvalidExpression { span, .. } => Some(*span),
            GlobError::SetTooLarge { .. } | GlobError::Build { .. } => None,
        }
    }

    /// Advice for the user, when there is some.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            GlobError::NulByte { .. } => Some("remove the NUL byte; write `\\000` to match one"),
            GlobError::TooLong { .. } => Some("split the rule into several shorter rules"),
            GlobError::TrailingBackslash { .. } => Some("write `\\\\` to match a backslash"),
            GlobError::UnmatchedCloseBracket { .. } => Some("write `\\]` to match a `]`"),
            GlobError::UnmatchedCloseBrace { .. } => Some("write `\\}` to match a `}`"),
            GlobError::UnclosedBracket { .. } => Some("close the class with `]`, or write `\\[`"),
            GlobError::UnclosedBrace { .. } => {
                Some("close the alternation with `}`, or write `\\{`")
            }
            GlobError::SingleItemAlternation { .. } => {
                Some("separate the items with `,`; `{a,}` matches `a` or nothing")
            }
            GlobError::TooDeep { .. } => Some("flatten the nested alternations"),
            GlobError::InvalidClass { .. } => Some(
                "a class needs at least one member, and `-` may not end a class or follow a range",
            ),
            GlobError::InvalidExpression { .. } => {
                Some("avoid `*` and `?` inside `[...]`; apparmor_parser expands them there too")
            }
            GlobError::SetTooLarge { .. } => Some("use fewer or simpler globs"),
            GlobError::Build { .. } => None,
        }
    }
}
