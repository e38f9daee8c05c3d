//! The one flat diagnostic shape every error and warning of the core turns into.
//!
//! The CLI prints it with a source snippet, the web app puts it on the editor's gutter and
//! in the problems list, and `--format json` serializes it unchanged.
//!
//! Message style: lowercase, no trailing period, user input in backticks, advice in `help`,
//! always a location.

use crate::source::{FileId, Location, SourceMap, Span};
use serde::{Deserialize, Serialize};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `apparmor_parser` would reject the policy.
    Error,
    /// Accepted, but probably not what the author meant (lint).
    Warning,
    /// Information.
    Note,
}

/// A problem found in a policy, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable machine-readable code, e.g. `undefined-variable`.
    pub code: String,
    /// Error, warning or note.
    pub severity: Severity,
    /// One line, lowercase, no trailing period.
    pub message: String,
    /// Advice on how to fix it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where it is.
    pub location: Location,
    /// Display name of the file (filled by [`Diagnostic::with_position`]).
    #[serde(default)]
    pub file: String,
    /// 1-based line (filled by [`Diagnostic::with_position`]).
    #[serde(default)]
    pub line: u32,
    /// 1-based column in characters (filled by [`Diagnostic::with_position`]).
    #[serde(default)]
    pub column: u32,
    /// For diagnostics inside an included file: the include lines that led there, outermost
    /// first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_from: Vec<Location>,
}

impl Diagnostic {
    /// An error at a span of a file.
    pub fn error(code: &str, message: impl Into<String>, file: FileId, span: Span) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message, file, span)
    }

    /// A warning at a span of a file.
    pub fn warning(code: &str, message: impl Into<String>, file: FileId, span: Span) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message, file, span)
    }

    /// A diagnostic of any severity.
    pub fn new(
        severity: Severity,
        code: &str,
        message: impl Into<String>,
        file: FileId,
        span: Span,
    ) -> Diagnostic {
        Diagnostic {
            code: code.to_owned(),
            severity,
            message: message.into(),
            help: None,
            location: Location { file, span },
            file: String::new(),
            line: 0,
            column: 0,
            included_from: Vec::new(),
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Fills `file`, `line` and `column` from the source map.
    pub fn with_position(mut self, sources: &SourceMap) -> Diagnostic {
        if let Some(f) = sources.get(self.location.file) {
            let (line, column) = f.line_col(self.location.span.start);
            self.file = f.name.clone();
            self.line = line;
            self.column = column;
        }
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
