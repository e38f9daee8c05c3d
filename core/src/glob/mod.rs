//! AppArmor globs, compiled exactly as `apparmor_parser` compiles them.
//!
//! Compiling happens in the same two stages as in `apparmor_parser`:
//!
//! 1. The glob's slashes are collapsed (`filter_slashes`) and the glob is rewritten into a
//!    regular expression (`convert_aaregex_to_pcre`); [`Glob::to_pcre`] returns that text,
//!    byte for byte what `apparmor_parser -D rule-exprs` prints.
//! 2. That text is parsed with the grammar of `apparmor_parser`'s expression parser into a
//!    tree of bytes ([`Node`]); [`Glob::to_hir`] turns the tree into a `regex-syntax` tree
//!    directly, and [`GlobSet`] compiles many of them into one automaton.
//!
//! Parsing the intermediate text again, rather than going straight from glob to tree, keeps
//! the quirks that come from the rewriting: `^` and `$` outside `[...]` are literal; `*`
//! and `?` are expanded even inside `[...]` (so `[*]` is a class of four bytes, then `*`,
//! then a literal `]`); `\,` inside a class also matches `\`; a `*` or `**` right after
//! `/` that ends the glob or a path component must match at least one byte.
//!
//! The input is the glob as it reaches `convert_aaregex_to_pcre`: variables expanded (a
//! variable with several values arrives as `{a,b}`). The profile lexer already decodes
//! numeric escapes such as `\x41` before that; a glob that still has them is decoded here
//! in the same way, so it matches the same paths, but [`Glob::to_pcre`] then shows the
//! escape where `apparmor_parser` would show the decoded byte.
//!
//! Matching works on bytes, as in the kernel: `?` and `[...]` match one byte, so `?` does
//! not match `é` (two bytes in UTF-8) and `[é]` matches either of its bytes alone.

mod convert;
mod error;
mod node;
mod regex;
mod set;

pub use convert::PatternKind;
pub use error::GlobError;
pub use node::{ByteSet, Node};
pub use set::{common_match, GlobSet, DENSE_SIZE_LIMIT, LAZY_CACHE_CAPACITY, NFA_SIZE_LIMIT};

use crate::source::Span;
use regex_syntax::hir::Hir;

/// The longest glob accepted, in bytes. Paths are at most 4096 bytes, but variable
/// expansion can make globs longer; anything beyond this is refused rather than compiled.
pub const MAX_GLOB_LEN: usize = 64 * 1024;

/// The deepest nesting of `{...}` that `apparmor_parser` accepts.
pub const MAX_ALTERNATION_DEPTH: usize = convert::MAX_ALT_DEPTH - 1;

/// A compiled AppArmor glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    source: String,
    pcre: String,
    node: Node,
    kind: PatternKind,
    xmatch_len: usize,
}

/// Parses a path glob as `apparmor_parser` does for file rules, link rules and attachments:
/// repeated slashes are collapsed first.
pub fn parse(pattern: &str) -> Result<Glob, GlobError> {
    parse_with(pattern, true)
}

/// Parses a glob without collapsing slashes first, as `apparmor_parser` does for
/// `change_profile` targets and profile names.
pub fn parse_unfiltered(pattern: &str) -> Result<Glob, GlobError> {
    parse_with(pattern, false)
}

fn parse_with(pattern: &str, collapse_slashes: bool) -> Result<Glob, GlobError> {
    let bytes = pattern.as_bytes();
    if bytes.len() > MAX_GLOB_LEN {
        return Err(GlobError::TooLong {
            len: bytes.len(),
            limit: MAX_GLOB_LEN,
            span: Span::new(MAX_GLOB_LEN, bytes.len()),
        });
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(GlobError::NulByte {
            span: Span::new(pos, pos + 1),
        });
    }
    let filtered = if collapse_slashes {
        convert::filter_slashes(bytes)
    } else {
        convert::Filtered {
            bytes: bytes.to_vec(),
            origin: (0..bytes.len()).collect(),
        }
    };
    let converted = convert::convert(&filtered, bytes.len())?;
    let node = regex::parse(&converted.pcre, &converted.origin, bytes.len())?;
    // The rewriting only inserts ASCII and copies the input's bytes in order, so the text
    // is valid UTF-8 whenever the pattern is.
    let pcre = String::from_utf8_lossy(&converted.pcre).into_owned();
    let xmatch_len = node.min_match_len().0;
    Ok(Glob {
        source: pattern.to_owned(),
        pcre,
        node,
        kind: converted.kind,
        xmatch_len,
    })
}

impl Glob {
    /// The pattern as given to [`parse`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The regular-expression text `apparmor_parser` produces for this glob (what
    /// `-D rule-exprs` prints after `->`).
    pub fn to_pcre(&self) -> String {
        self.pcre.clone()
    }

    /// The expression tree the glob compiles to.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The glob as a `regex-syntax` tree over bytes (not anchored; callers anchor it).
    pub fn to_hir(&self) -> Hir {
        self.node.to_hir()
    }

    /// What `apparmor_parser` calls the pattern type: plain string, string with a final
    /// `**`, or anything else.
    pub fn pattern_kind(&self) -> PatternKind {
        self.kind
    }

    /// The length `apparmor_parser` records for attachment matching (`xmatch_len`, which
    /// the kernel uses to rank attachments): see [`Node::min_match_len`]. For example
    /// `/usr/{bin,sbin}/x` gives 10 and `/usr/bin/**` gives 10 (counting stops after the
    /// byte that `**` must match after `/`).
    ///
    /// `apparmor_parser` computes it after simplifying the tree of all of a profile's
    /// attachment globs; factoring a common suffix out of an alternation can lower its
    /// result (e.g. `{a*c,bc}`), which this does not model.
    pub fn xmatch_len(&self) -> usize {
        self.xmatch_len
    }

    /// Whether the glob matches exactly one path (it has no glob operators).
    pub fn is_literal(&self) -> bool {
        self.node.is_literal()
    }

    /// The one path a literal glob matches, after escapes are decoded; `None` when the glob
    /// is not literal.
    pub fn literal_bytes(&self) -> Option<Vec<u8>> {
        self.is_literal().then(|| {
            let mut out = Vec::new();
            self.node.literal_bytes(&mut out);
            out
        })
    }
}
