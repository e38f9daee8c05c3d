//! The one entry point the CLI and the web app call: text in, resolved policy and
//! positioned diagnostics out.

use crate::diagnostics::Diagnostic;
use crate::model;
use crate::source::{SourceMap, SourceProvider};

/// The result of analysing a policy text.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The resolved policy (what could be made of it, even when there are errors).
    pub policy: model::Policy,
    /// Every diagnostic, with `file`, `line` and `column` filled in.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file that took part: the main text as `FileId(0)`, then the includes.
    pub sources: SourceMap,
}

impl Analysis {
    /// Whether any diagnostic is an error (apparmor_parser would reject the policy).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parse `text` (shown as file `name`, FileId(0)), resolve includes through `provider`,
/// expand variables/aliases/conditionals, run semantic checks. Never fails, never panics.
///
/// ```
/// use armorlab_core::{analyze, NoIncludes};
/// let a = analyze("p", "profile p { capability chown, }", &NoIncludes);
/// assert!(!a.has_errors());
/// assert_eq!(a.policy.profiles[0].name, "p");
/// ```
pub fn analyze(name: &str, text: &str, provider: &dyn SourceProvider) -> Analysis {
    let r = crate::resolve::resolve(name, text, provider);
    let sources = r.sources;
    let mut diagnostics: Vec<Diagnostic> = r
        .diagnostics
        .into_iter()
        .map(|d| d.with_position(&sources))
        .collect();
    // Editors on other systems may save a byte order mark, which is invisible in the
    // snippet of the syntax error it causes; name it (apparmor_parser refuses it too).
    if text.starts_with('\u{feff}') {
        diagnostics.insert(
            0,
            Diagnostic::error(
                "byte-order-mark",
                "the file starts with a byte order mark (U+FEFF), which apparmor_parser rejects",
                crate::source::FileId(0),
                crate::source::Span::new(0, '\u{feff}'.len_utf8()),
            )
            .with_help("save the file as UTF-8 without a byte order mark")
            .with_position(&sources),
        );
    }
    // Stable: at equal positions the byte-order-mark note comes before what it causes.
    diagnostics.sort_by(|a, b| {
        (a.location.file, a.location.span.start).cmp(&(b.location.file, b.location.span.start))
    });
    Analysis {
        policy: r.policy,
        diagnostics,
        sources,
    }
}
