//! Runs the core on the playground's inputs and turns its answers into what the UI shows.
//!
//! Everything the UI renders about a profile is recomputed here from the texts: the
//! diagnostics, the profiles defined, and one outcome per query. The views carry the same
//! fields as the core's answer types, which the CLI's `--format json` prints.

use armorlab_core::source::MemoryProvider;

/// The severity of a diagnostic, as the UI styles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The profile would be rejected.
    Error,
    /// Accepted, but suspicious.
    Warning,
    /// Information.
    Note,
}

impl Level {
    /// The CSS class / label.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A diagnostic placed in a file of the playground.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagView {
    /// How bad.
    pub level: Level,
    /// Machine code, e.g. `undefined-variable`.
    pub code: String,
    /// The message.
    pub message: String,
    /// Advice.
    pub help: Option<String>,
    /// The file: the main profile's name or an include's absolute path.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Byte range in that file.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
}

/// The verdict of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every requested permission is allowed.
    Allow,
    /// At least one requested permission is denied.
    Deny,
}

impl Verdict {
    /// `allow` or `deny` (the `data-verdict` attribute).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        }
    }
}

/// A rule that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleView {
    /// The rule as written.
    pub text: String,
    /// Its file (main profile name or include path).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// Byte range in that file.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// `allow` or `deny`.
    pub effect: String,
    /// The permissions it contributes, as letters.
    pub perms: String,
    /// Whether `apparmor_parser` adds the rule itself (no source line to jump to).
    pub implicit: bool,
}

/// The decision on one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionView {
    /// Allow or deny.
    pub verdict: Verdict,
    /// Permissions allowed, as letters.
    pub allowed: String,
    /// Permissions denied, as letters.
    pub denied: String,
    /// Permissions audited.
    pub audit: String,
    /// The deciding rules.
    pub rules: Vec<RuleView>,
    /// Explanations (for example why nothing matched).
    pub notes: Vec<String>,
}

/// What happened to one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Decided.
    Decided(DecisionView),
    /// The query text does not parse (shown on the row).
    BadQuery(String),
    /// The profile could not be evaluated (errors in it, or no such profile).
    NotEvaluated(String),
}

/// Everything the UI shows about the current texts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalysisView {
    /// Diagnostics of the main file and of its includes.
    pub diagnostics: Vec<DiagView>,
    /// The profiles the main file defines (full names), in order.
    pub profiles: Vec<String>,
    /// The profile the queries were evaluated against.
    pub evaluated: Option<String>,
    /// One outcome per query, in order.
    pub outcomes: Vec<Outcome>,
}

impl AnalysisView {
    /// Diagnostics in one file.
    pub fn diagnostics_in<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a DiagView> {
        self.diagnostics.iter().filter(move |d| d.file == file)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }
}

/// Turns the core's decision into the view (the same fields `armorlab test --format json`
/// prints).
pub fn decision_view(d: &armorlab_core::eval::Decision) -> DecisionView {
    let mut notes = d.notes.clone();
    if let Some(exec) = &d.exec {
        notes.push(exec.explanation.clone());
    }
    if let Some(c) = &d.complain_note {
        notes.push(c.clone());
    }
    DecisionView {
        verdict: match d.verdict {
            armorlab_core::eval::Verdict::Allow => Verdict::Allow,
            armorlab_core::eval::Verdict::Deny => Verdict::Deny,
        },
        allowed: d.allowed.clone(),
        denied: d.denied.clone(),
        audit: d.audit.clone(),
        rules: d
            .rules
            .iter()
            .map(|r| RuleView {
                text: r.text.clone(),
                file: r.file.clone(),
                line: r.line,
                start: r.span.start as usize,
                end: r.span.end as usize,
                effect: match r.effect {
                    armorlab_core::model::Effect::Allow => "allow".into(),
                    armorlab_core::model::Effect::Deny => "deny".into(),
                },
                perms: r.perms.clone(),
                implicit: r.implicit,
            })
            .collect(),
        notes,
    }
}

/// The inputs of one analysis.
pub struct Inputs<'a> {
    /// The main file's display name (the profile's file name).
    pub name: &'a str,
    /// The profile text.
    pub text: &'a str,
    /// The include library, with the user's edits applied.
    pub provider: &'a MemoryProvider,
    /// The queries, in `armorlab test` syntax.
    pub queries: &'a [String],
    /// The profile to evaluate (full name); the first profile when `None` or unknown.
    pub profile: Option<&'a str>,
}

/// The Security Profiles Operator export of one profile: the YAML, and one line per rule
/// it cannot express. `None` when the text defines no such profile.
pub fn spo_export(inputs: &Inputs<'_>) -> Option<(String, Vec<String>)> {
    let analysis = armorlab_core::analyze(inputs.name, inputs.text, inputs.provider);
    let profile = match inputs.profile {
        Some(name) => analysis.policy.find(name),
        None => analysis.policy.profiles.first(),
    }?;
    let export = armorlab_core::export::spo(profile, &analysis.sources);
    let losses = export
        .losses
        .iter()
        .map(|l| {
            let line = analysis
                .sources
                .get(l.location.file)
                .map(|f| f.line_col(l.location.span.start).0)
                .unwrap_or(0);
            format!("line {line}: `{}`: {}", l.text, l.reason)
        })
        .chain(export.notes.iter().map(|n| format!("note: {n}")))
        .collect();
    Some((export.yaml, losses))
}

/// Analyses the texts and answers the queries.
pub fn run(inputs: &Inputs<'_>) -> AnalysisView {
    backend::run(inputs)
}

mod backend {
    use super::*;
    use armorlab_core::{diagnostics::Severity, eval};

    fn diag(d: &armorlab_core::Diagnostic) -> DiagView {
        DiagView {
            level: match d.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
                Severity::Note => Level::Note,
            },
            code: d.code.clone(),
            message: d.message.clone(),
            help: d.help.clone(),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            start: d.location.span.start as usize,
            end: d.location.span.end as usize,
        }
    }

    pub(super) fn run(inputs: &Inputs<'_>) -> AnalysisView {
        let analysis = armorlab_core::analyze(inputs.name, inputs.text, inputs.provider);
        let mut view = AnalysisView {
            diagnostics: analysis.diagnostics.iter().map(diag).collect(),
            profiles: analysis
                .policy
                .all_profiles()
                .iter()
                .map(|p| p.full_name.clone())
                .collect(),
            ..Default::default()
        };
        let chosen = inputs
            .profile
            .filter(|p| view.profiles.iter().any(|n| n == p))
            .map(str::to_owned)
            .or_else(|| view.profiles.first().cloned());
        view.evaluated = chosen.clone();
        // Compile even when one line is broken, so the other verdicts keep updating; what
        // only compilation finds (exec modes that conflict where two globs overlap) belongs
        // in the problems list too, as apparmor_parser refuses such a profile.
        let compiled = eval::compile(&analysis.policy, &analysis.sources);
        if let Err(errors) = &compiled {
            view.diagnostics.extend(errors.iter().map(diag));
        }
        view.outcomes = inputs
            .queries
            .iter()
            .map(|q| {
                let query = match eval::parse_query(q) {
                    Ok(query) => query,
                    // The core's advice (for example the query kinds it knows) is what
                    // tells the user how to fix the query, so it goes along.
                    Err(e) => {
                        return Outcome::BadQuery(match &e.help {
                            Some(h) => format!("{}\nhelp: {h}", e.message),
                            None => e.message.clone(),
                        })
                    }
                };
                let Some(profile) = chosen.as_deref() else {
                    return Outcome::NotEvaluated("the text defines no profile".into());
                };
                let compiled = match &compiled {
                    Ok(c) => c,
                    Err(errors) => {
                        return Outcome::NotEvaluated(
                            errors
                                .first()
                                .map(|d| d.message.clone())
                                .unwrap_or_else(|| "the profile does not compile".into()),
                        )
                    }
                };
                match compiled.decide(profile, &query) {
                    Ok(decision) => Outcome::Decided(decision_view(&decision)),
                    Err(e) => Outcome::NotEvaluated(e.to_string()),
                }
            })
            .collect();
        view
    }
}

#[cfg(test)]
mod integration {
    use super::*;
    use crate::state::State;

    fn verdicts(state: &State) -> Vec<(String, Option<Verdict>)> {
        let provider = state.provider();
        let queries = state.query_texts();
        let view = run(&Inputs {
            name: state.file_name(),
            text: &state.profile,
            provider: &provider,
            queries: &queries,
            profile: None,
        });
        queries
            .into_iter()
            .zip(view.outcomes)
            .map(|(q, o)| match o {
                Outcome::Decided(d) => (q, Some(d.verdict)),
                _ => (q, None),
            })
            .collect()
    }

    #[test]
    fn docker_default_runs_clean_through_the_bundled_library() {
        let state = State::default();
        let provider = state.provider();
        let queries = state.query_texts();
        let view = run(&Inputs {
            name: state.file_name(),
            text: &state.profile,
            provider: &provider,
            queries: &queries,
            profile: None,
        });
        assert_eq!(view.error_count(), 0, "{:#?}", view.diagnostics);
        assert_eq!(view.evaluated.as_deref(), Some("docker-default"));
        let v = verdicts(&state);
        let get = |q: &str| v.iter().find(|(t, _)| t == q).and_then(|(_, v)| *v);
        assert_eq!(get("w /proc/sysrq-trigger"), Some(Verdict::Deny));
        assert_eq!(get("w /proc/sys/kernel/core_pattern"), Some(Verdict::Deny));
        assert_eq!(get("w /proc/sys/kernel/shmmax"), Some(Verdict::Allow));
        assert!(v.iter().all(|(_, v)| v.is_some()), "{v:?}");
    }

    #[test]
    fn conflicts_found_only_by_compiling_are_problems_too() {
        let state = State::default();
        let provider = state.provider();
        let queries = vec!["x /bin/sh".to_string()];
        // Each rule alone is valid; together they give `/b...` two exec modes, which
        // apparmor_parser refuses when it compiles the profile.
        let text = "profile p {\n  /b* px,\n  /* Pix,\n}\n";
        let view = run(&Inputs {
            name: "p",
            text,
            provider: &provider,
            queries: &queries,
            profile: None,
        });
        assert_eq!(view.error_count(), 1, "{:#?}", view.diagnostics);
        assert_eq!(view.diagnostics[0].code, "conflicting-x-modifiers");
        assert_eq!(view.diagnostics[0].line, 3);
        assert!(matches!(view.outcomes[0], Outcome::NotEvaluated(_)));
    }

    #[test]
    fn a_bad_query_carries_the_cores_advice() {
        let state = State::default();
        let provider = state.provider();
        let queries = vec!["file,".to_string(), "capability nope".to_string()];
        let view = run(&Inputs {
            name: state.file_name(),
            text: &state.profile,
            provider: &provider,
            queries: &queries,
            profile: None,
        });
        let msgs: Vec<String> = view
            .outcomes
            .iter()
            .map(|o| match o {
                Outcome::BadQuery(m) => m.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(msgs.len(), 2);
        assert!(
            msgs[0].starts_with("unknown query `file,`\nhelp: "),
            "{msgs:?}"
        );
        assert!(msgs[0].contains("`capability`"), "{msgs:?}");
        assert!(msgs[1].contains("\nhelp: "), "{msgs:?}");
    }

    #[test]
    fn deciding_rules_point_at_their_text() {
        let state = State::default();
        let provider = state.provider();
        let queries = vec!["w /proc/sysrq-trigger".to_string()];
        let view = run(&Inputs {
            name: state.file_name(),
            text: &state.profile,
            provider: &provider,
            queries: &queries,
            profile: None,
        });
        let Some(Outcome::Decided(d)) = view.outcomes.first() else {
            panic!("{:?}", view.outcomes);
        };
        assert_eq!(d.verdict, Verdict::Deny);
        assert_eq!(d.denied, "w");
        let deny = d
            .rules
            .iter()
            .find(|r| r.effect == "deny" && r.text.contains("sysrq"))
            .unwrap();
        assert_eq!(deny.file, "docker-default");
        // The span is where the editor will select: it must hold the rule's text.
        assert!(state.profile[deny.start..deny.end].contains("@{PROC}/sysrq-trigger"));
        let line = crate::positions::LineIndex::new(&state.profile).line_of(deny.start);
        assert_eq!(line as u32, deny.line);
    }
}
