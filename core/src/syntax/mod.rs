//! Text → syntax tree. The parse never fails: it returns a tree plus diagnostics, and it
//! recovers at rule boundaries (`,` and `}`) so that the valid rules around a broken line
//! still reach the resolver.
//!
//! The tree is deliberately shallow: a file is a list of [`Item`]s (includes, variable
//! definitions, conditionals, blocks such as profiles, and rules), and a rule is its list
//! of [`Token`]s. What a rule's tokens mean depends on its class and is decided by
//! [`crate::resolve`], which also expands variables; keeping that out of the parser lets
//! an included file be parsed once and placed wherever it is included.
//!
//! ```
//! use armorlab_core::syntax::{parse, Item};
//! use armorlab_core::FileId;
//! let tree = parse("profile p { /tmp/** rw, }", FileId(0));
//! assert!(tree.diagnostics.is_empty());
//! assert!(matches!(tree.items[0], Item::Block(_)));
//! ```

mod lexer;
mod parser;

pub use lexer::{Token, TokenKind};
pub use parser::parse;

use crate::diagnostics::Diagnostic;
use crate::source::{IncludeStyle, Span};

/// The result of parsing one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxTree {
    /// The top-level items, in source order.
    pub items: Vec<Item>,
    /// Syntax errors found while parsing.
    pub diagnostics: Vec<Diagnostic>,
}

/// One statement of a file or a block body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A `# ...` comment (kept for the formatter).
    Comment(Span),
    /// `include <x>`, `#include "x"`, `include if exists <x>`.
    Include(Include),
    /// `abi <name>,` (the name is kept in an [`Include`] record).
    Abi(Include),
    /// `@{NAME} = values` or `@{NAME} += values`.
    VarDef(VarDef),
    /// `$NAME = true|false`.
    BoolDef(BoolDef),
    /// `if cond { ... } else if cond { ... } else { ... }`.
    If(IfItem),
    /// A header followed by a `{ ... }` body: a profile, a hat, or a qualifier block such
    /// as `owner { ... }`.
    Block(Block),
    /// A rule: the tokens before its terminating comma.
    Rule(RuleItem),
    /// Text the parser could not make sense of (already reported).
    Error(Span),
}

/// An include directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// `<...>` (search path) or `"..."`/bare (path).
    pub style: IncludeStyle,
    /// The name between the delimiters.
    pub name: String,
    /// `include if exists`.
    pub if_exists: bool,
    /// Written as the deprecated `#include`.
    pub hash: bool,
    /// The whole directive.
    pub span: Span,
}

/// A set-variable definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarDef {
    /// The name without `@{` `}`.
    pub name: String,
    /// Where the name is.
    pub name_span: Span,
    /// The assignment operator.
    pub op: AssignOp,
    /// The values (words or quoted strings).
    pub values: Vec<Token>,
    /// The whole definition.
    pub span: Span,
}

/// How a variable definition assigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    /// `=`: define (an error when already defined).
    Set,
    /// `+=`: add values to a defined variable.
    Append,
    /// `?=`: define unless already defined.
    SetIfUndefined,
    /// `:=`: define, replacing any earlier definition.
    Override,
}

/// A boolean-variable definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoolDef {
    /// The assignment operator.
    pub op: AssignOp,
    /// The name without `$` or braces.
    pub name: String,
    /// The value token (expected `true` or `false`).
    pub value: Option<Token>,
    /// The whole definition.
    pub span: Span,
}

/// A conditional with its branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfItem {
    /// `if`/`else if` branches: the condition tokens and the body.
    pub branches: Vec<(Vec<Token>, Vec<Item>)>,
    /// The `else` body, if any.
    pub else_body: Option<Vec<Item>>,
    /// The whole statement.
    pub span: Span,
}

/// A block: header tokens and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The tokens before `{`.
    pub header: Vec<Token>,
    /// The statements inside.
    pub body: Vec<Item>,
    /// From the header's start to the closing brace.
    pub span: Span,
    /// The header's span (up to but excluding `{`).
    pub header_span: Span,
}

/// A rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleItem {
    /// The tokens before the terminating comma.
    pub tokens: Vec<Token>,
    /// From the first token to the last (the comma excluded).
    pub span: Span,
}
