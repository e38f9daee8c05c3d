//! The one place the CLI calls the core's analyzer, formatter, evaluator and share-link
//! decoder, so that their exact signatures touch one file.

use armorlab_core::model::Policy;
use armorlab_core::source::{SourceMap, SourceProvider};
use armorlab_core::Diagnostic;

/// A profile text parsed and resolved.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// The resolved policy.
    pub policy: Policy,
    /// Errors and warnings, positions filled.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file that took part.
    pub sources: SourceMap,
}

/// A playground share link's content.
#[derive(Debug, Clone)]
pub struct Share {
    /// The profile text.
    pub profile: String,
    /// Include files the playground edited: (path, text).
    pub includes: Vec<(String, String)>,
    /// Saved queries.
    pub queries: Vec<String>,
    /// The template the profile started from, if the link names one.
    pub template: Option<String>,
}

/// Why a query could not be answered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct QueryProblem {
    /// What is wrong.
    pub message: String,
    /// Byte offset inside the query text, when the query itself is wrong.
    pub offset: Option<usize>,
    /// Advice.
    pub help: Option<String>,
}

impl QueryProblem {
    fn plain(message: String) -> QueryProblem {
        QueryProblem {
            message,
            offset: None,
            help: None,
        }
    }
}

/// Parses and resolves a profile text.
pub fn analyze(name: &str, text: &str, provider: &dyn SourceProvider) -> Analyzed {
    let a = armorlab_core::analyze(name, text, provider);
    Analyzed {
        policy: a.policy,
        diagnostics: a.diagnostics,
        sources: a.sources,
    }
}

/// Formats a profile text canonically.
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    armorlab_core::format::format_source(text)
}

/// A compiled policy, ready for queries.
pub struct Compiled(armorlab_core::eval::CompiledPolicy);

/// Compiles an analyzed policy.
pub fn compile(a: &Analyzed) -> Result<Compiled, Vec<Diagnostic>> {
    armorlab_core::eval::compile(&a.policy, &a.sources).map(Compiled)
}

/// Compiles a policy that resolved without errors and adds the compiler's errors (such as
/// conflicting exec modes, which apparmor_parser finds only when it builds the automaton) to
/// its diagnostics, so that `check` and `load` refuse what the real parser refuses.
pub fn add_compile_diagnostics(a: &mut Analyzed) {
    if a.diagnostics.iter().any(Diagnostic::is_error) {
        return;
    }
    if let Err(diags) = compile(a) {
        let sources = &a.sources;
        let extra: Vec<Diagnostic> = diags
            .into_iter()
            .map(|d| d.with_position(sources))
            .collect();
        a.diagnostics.extend(extra);
    }
}

impl Compiled {
    /// Names of the profiles that can be queried.
    pub fn profile_names(&self) -> Vec<String> {
        self.0.profile_names()
    }

    /// Decides a query written in the query syntax; the decision as JSON.
    pub fn decide(&self, profile: &str, query: &str) -> Result<serde_json::Value, QueryProblem> {
        let q = armorlab_core::eval::parse_query(query).map_err(|e| QueryProblem {
            message: e.message.clone(),
            offset: Some(e.span.start as usize),
            help: e.help.clone(),
        })?;
        let d = self
            .0
            .decide(profile, &q)
            .map_err(|e| QueryProblem::plain(e.to_string()))?;
        serde_json::to_value(&d).map_err(|e| QueryProblem::plain(e.to_string()))
    }
}

/// Decodes a share link's fragment.
pub fn decode_share(fragment: &str) -> Result<Share, String> {
    armorlab_core::share::decode(fragment)
        .map(|s| Share {
            profile: s.profile,
            includes: s.includes,
            queries: s.queries,
            template: s.template,
        })
        .map_err(|e| e.to_string())
}
