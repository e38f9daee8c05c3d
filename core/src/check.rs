//! Everything `apparmor_parser` checks before it loads a policy, in one call: analysis
//! (parse, resolve, semantic checks) and then compilation, whose errors (such as exec modes
//! that conflict where two different globs overlap) exist only once the rules are put
//! together. The CLI's `check` and the web app's problems list both use this, so neither
//! calls a profile valid that the real parser would refuse.

use crate::analysis::{analyze, Analysis};
use crate::eval::{compile, CompiledPolicy};
use crate::source::SourceProvider;

/// An analysis plus, when it has no errors, the compiled policy.
pub struct Checked {
    /// The analysis; compile errors are appended to its diagnostics, positioned.
    pub analysis: Analysis,
    /// The compiled policy, when analysis and compilation both succeeded.
    pub compiled: Option<CompiledPolicy>,
}

impl Checked {
    /// Whether the real parser would refuse the policy.
    pub fn has_errors(&self) -> bool {
        self.analysis.has_errors()
    }
}

/// Analyses `text` as [`analyze`] does, then compiles it when the analysis has no errors.
///
/// ```
/// use armorlab_core::{check, NoIncludes};
/// // Each rule alone is fine; together they give `/bin/sh` two exec modes.
/// let c = check("p", "profile p {\n  /b* px,\n  /* Pix,\n}\n", &NoIncludes);
/// assert!(c.has_errors());
/// assert!(c.compiled.is_none());
/// ```
pub fn check(name: &str, text: &str, provider: &dyn SourceProvider) -> Checked {
    let mut analysis = analyze(name, text, provider);
    if analysis.has_errors() {
        return Checked {
            analysis,
            compiled: None,
        };
    }
    match compile(&analysis.policy, &analysis.sources) {
        Ok(compiled) => Checked {
            analysis,
            compiled: Some(compiled),
        },
        Err(errors) => {
            let sources = &analysis.sources;
            let positioned: Vec<_> = errors
                .into_iter()
                .map(|d| d.with_position(sources))
                .collect();
            analysis.diagnostics.extend(positioned);
            Checked {
                analysis,
                compiled: None,
            }
        }
    }
}
