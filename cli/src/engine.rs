//! The one place the CLI calls the core's analyzer, formatter, evaluator and share-link
//! decoder, so that their exact signatures touch one file.
//!
//! Built without the `core-api` feature (while those parts of the core are still being
//! written on other branches) every function here reports [`Unavailable`]; the commands that
//! need no analysis (export of docker/kubernetes lines, unload, status) work either way.

use armorlab_core::model::Policy;
use armorlab_core::source::{SourceMap, SourceProvider};
use armorlab_core::Diagnostic;

/// This build has no analyzer (see the module documentation).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("this build of armorlab has no {0}")]
pub struct Unavailable(pub &'static str);

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
}

/// Why a query could not be answered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct QueryProblem(pub String);

#[cfg(feature = "core-api")]
mod real {
    use super::*;

    /// Parses and resolves a profile text.
    pub fn analyze(
        name: &str,
        text: &str,
        provider: &dyn SourceProvider,
    ) -> Result<Analyzed, Unavailable> {
        let a = armorlab_core::analyze(name, text, provider);
        let diagnostics = a
            .diagnostics
            .into_iter()
            .map(|d| d.with_position(&a.sources))
            .collect();
        Ok(Analyzed {
            policy: a.policy,
            diagnostics,
            sources: a.sources,
        })
    }

    /// Formats a profile text canonically.
    pub fn format(text: &str) -> Result<Result<String, Vec<Diagnostic>>, Unavailable> {
        Ok(armorlab_core::format::format_source(text))
    }

    /// A compiled policy, ready for queries.
    pub struct Compiled(armorlab_core::eval::CompiledPolicy);

    /// Compiles an analyzed policy.
    pub fn compile(a: &Analyzed) -> Result<Result<Compiled, Vec<Diagnostic>>, Unavailable> {
        Ok(armorlab_core::eval::compile(&a.policy, &a.sources).map(Compiled))
    }

    impl Compiled {
        /// Names of the profiles that can be queried.
        pub fn profile_names(&self) -> Vec<String> {
            self.0
                .profile_names()
                .into_iter()
                .map(|s| s.to_string())
                .collect()
        }

        /// Decides a query written in the query syntax; the decision as JSON.
        pub fn decide(
            &self,
            profile: &str,
            query: &str,
        ) -> Result<serde_json::Value, QueryProblem> {
            let q =
                armorlab_core::eval::parse_query(query).map_err(|e| QueryProblem(e.to_string()))?;
            let d = self
                .0
                .decide(profile, &q)
                .map_err(|e| QueryProblem(e.to_string()))?;
            serde_json::to_value(&d).map_err(|e| QueryProblem(e.to_string()))
        }
    }

    /// Decodes a share link's fragment.
    pub fn decode_share(fragment: &str) -> Result<Result<Share, String>, Unavailable> {
        Ok(armorlab_core::share::decode(fragment)
            .map(|s| Share {
                profile: s.profile,
                includes: s.includes,
                queries: s.queries,
            })
            .map_err(|e| e.to_string()))
    }
}

#[cfg(not(feature = "core-api"))]
mod real {
    use super::*;

    /// Parses and resolves a profile text.
    pub fn analyze(
        _name: &str,
        _text: &str,
        _provider: &dyn SourceProvider,
    ) -> Result<Analyzed, Unavailable> {
        Err(Unavailable("policy analyzer"))
    }

    /// Formats a profile text canonically.
    pub fn format(_text: &str) -> Result<Result<String, Vec<Diagnostic>>, Unavailable> {
        Err(Unavailable("formatter"))
    }

    /// A compiled policy, ready for queries.
    pub struct Compiled;

    /// Compiles an analyzed policy.
    pub fn compile(_a: &Analyzed) -> Result<Result<Compiled, Vec<Diagnostic>>, Unavailable> {
        Err(Unavailable("evaluator"))
    }

    impl Compiled {
        /// Names of the profiles that can be queried.
        pub fn profile_names(&self) -> Vec<String> {
            Vec::new()
        }

        /// Decides a query written in the query syntax; the decision as JSON.
        pub fn decide(
            &self,
            _profile: &str,
            _query: &str,
        ) -> Result<serde_json::Value, QueryProblem> {
            Err(QueryProblem(
                "this build of armorlab has no evaluator".into(),
            ))
        }
    }

    /// Decodes a share link's fragment.
    pub fn decode_share(_fragment: &str) -> Result<Result<Share, String>, Unavailable> {
        Err(Unavailable("share-link decoder"))
    }
}

pub use real::*;
