//! The evaluator: decides an access exactly as the kernel would under a compiled profile,
//! and explains the decision with the rules that made it.
//!
//! How a file decision is made (after `apparmor_parser`'s `hfa.cc` and the kernel's
//! `file.c`):
//!
//! - every rule whose path glob matches contributes its permissions; `w` also grants `a`,
//!   and `ix`/`pix`/`cix` also grant `m` (the parser adds these bits);
//! - per permission bit, only the rules of the highest rank count, where the rank is
//!   `priority * 4` plus 3 for `deny`, 2 for an exact (glob-free) path when the bit is `x`,
//!   and 1 for `allow`; so at equal priority `deny` wins, and a higher `priority=` overrides;
//! - `deny` rules are quiet (their denials are not logged) unless written `audit deny`;
//!   `audit` allow rules log the accesses they grant;
//! - in complain mode a denial goes through, logged as ALLOWED, unless every denied
//!   permission is quiet (plain `deny` rules): then the kernel returns the error before
//!   complain mode applies, so the access is blocked and nothing is logged (Linux 6.1 with
//!   the `audit` module parameter at its default; booted in `tests/kernel/run.sh`);
//! - two glob rules with different exec modes that match a common path make
//!   `apparmor_parser` 3.0 refuse the profile ("conflicting x modifiers"), found at compile
//!   time; an exact path (no `*`, `?`, `[`; alternations allowed) dominates glob rules;
//! - `owner` rules count only when the process owns the file, `other` rules only when not;
//! - a link is decided on the string `link NUL target` like the kernel walks it: pair rules
//!   and ordinary rules whose negated classes match the NUL; the pair's `k` bit is the
//!   subset marker (owner half only);
//! - the parser's implicit rules (`/proc/*/attr/...` for change_hat and change_profile)
//!   are added, owner-only and without `a`.
//!
//! Every one of these is checked against `apparmor_parser` 3.0.8's compiled policy, walked
//! as Linux 6.1 does (`core/tests/eval_differential.rs`).

mod classes;
mod denial;
mod query;

pub use denial::parse_denial;
pub use query::{parse_query, parse_query_line, Expectation, Query, QueryError, Verdict};

use crate::diagnostics::Diagnostic;
use crate::glob::{self, GlobError, GlobSet};
use crate::model::{
    Effect, ExecKind, ExecMode, FilePerms, Owner, Policy, Profile, ProfileMode, Rule, RuleKind,
};
use crate::source::{Location, SourceMap, Span};
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Repetition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A rule that took part in a decision, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidingRule {
    /// The rule as written (for implicit rules: what `apparmor_parser` adds).
    pub text: String,
    /// Display name of the file it is in.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Byte range in that file.
    pub span: Span,
    /// `allow` or `deny`.
    pub effect: Effect,
    /// What the rule contributed to this decision: permission letters for files, the
    /// access words for other classes.
    pub perms: String,
    /// Whether `apparmor_parser` adds the rule itself.
    pub implicit: bool,
}

/// The domain transition an allowed `x` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecTransition {
    /// The mode as written: `ix`, `Px`, `pix`, `Cx`, ...
    pub mode: String,
    /// `inherit`, `profile`, `child` or `unconfined`.
    pub kind: ExecKind,
    /// The profile the transition goes to, when known.
    pub target: Option<String>,
    /// Whether the environment is scrubbed (`AT_SECURE`).
    pub scrub: bool,
    /// Where it falls back to when the target profile does not exist.
    pub fallback: Option<ExecKind>,
    /// One sentence on what happens.
    pub explanation: String,
}

/// The answer to a query, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The query, in canonical text.
    pub query: String,
    /// The profile that decided.
    pub profile: String,
    /// `allow` or `deny`.
    pub verdict: Verdict,
    /// Requested permissions that the rules allow (letters, or access words).
    pub allowed: String,
    /// Requested permissions that the rules do not allow.
    pub denied: String,
    /// Allowed permissions that `audit` rules force into the log (AUDIT records). Denied
    /// permissions are logged (DENIED) unless they are in `quiet`.
    pub audit: String,
    /// Denied permissions whose denial is not logged (denied by a plain `deny` rule).
    pub quiet: String,
    /// For an allowed `x`: the transition.
    pub exec: Option<ExecTransition>,
    /// The profile's mode.
    pub mode: ProfileMode,
    /// In complain mode: what happens to this access, kernel by kernel.
    pub complain_note: Option<String>,
    /// Further explanations, one sentence each.
    pub notes: Vec<String>,
    /// The rules that decided, in source order.
    pub rules: Vec<DecidingRule>,
}

/// Why a query could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum EvalError {
    /// No profile by that name.
    #[error("no profile named `{name}`")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles there are.
        known: Vec<String>,
    },
    /// The profile would not load: matching rules ask for different exec transitions.
    #[error(
        "`apparmor_parser` rejects profile `{profile}`: rules matching `{path}` have \
         conflicting x modifiers ({modes})"
    )]
    ConflictingExec {
        /// The profile.
        profile: String,
        /// The path queried.
        path: String,
        /// The modes, e.g. `Px, ix`.
        modes: String,
        /// The rules involved.
        rules: Vec<DecidingRule>,
    },
}

/// A whole policy prepared for fast decisions.
#[derive(Debug)]
pub struct CompiledPolicy {
    profiles: Vec<CProfile>,
    by_name: BTreeMap<String, usize>,
    /// Declared ABI major version (`abi/3.0` → 3), when any.
    abi_major: Option<u32>,
    abi_text: Option<String>,
    /// Attachments of the top-level profiles: (glob index in `attach`, profile name).
    attachments: Vec<String>,
    attach: GlobSet,
}

/// Where a rule is and what it is, for reports.
#[derive(Debug, Clone)]
struct RuleInfo {
    text: String,
    file: String,
    line: u32,
    column: u32,
    span: Span,
    implicit: bool,
    /// For implicit rules: why `apparmor_parser` adds them.
    why: Option<String>,
}

#[derive(Debug, Clone)]
struct FileEntry {
    rule: usize,
    deny: bool,
    audit: bool,
    owner: Owner,
    priority: i32,
    perms: FilePerms,
    exec: Option<ExecMode>,
    exact: bool,
}

#[derive(Debug, Clone)]
struct LinkPair {
    rule: usize,
    deny: bool,
    audit: bool,
    owner: Owner,
    priority: i32,
    /// Target glob index in `pair_targets`; `None` means any target.
    target: Option<usize>,
    subset: bool,
}

#[derive(Debug)]
struct CProfile {
    name: String,
    mode: ProfileMode,
    rules: Vec<RuleInfo>,
    files: Vec<FileEntry>,
    file_globs: GlobSet,
    pairs: Vec<LinkPair>,
    /// One expression per pair: link glob, NUL, target glob.
    pair_set: GlobSet,
    /// Index of the pair target glob for each pair with a target (parallel to ids).
    others: classes::ClassRules,
    children: Vec<String>,
}

/// Permission bits in display order.
const BITS: [FilePerms; 7] = [
    FilePerms::READ,
    FilePerms::WRITE,
    FilePerms::APPEND,
    FilePerms::EXEC,
    FilePerms::MMAP,
    FilePerms::LOCK,
    FilePerms::LINK,
];

/// The parser's path for the bare `file,` rule.
const ALL_FILES: &str = "/{**,}";

fn abi_major(abi: &str) -> Option<u32> {
    let digits: String = abi
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Compiles a resolved policy for decisions.
pub fn compile(policy: &Policy, sources: &SourceMap) -> Result<CompiledPolicy, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut profiles = Vec::new();
    let mut by_name = BTreeMap::new();
    for p in policy.all_profiles() {
        match compile_profile(p, sources) {
            Ok(cp) => {
                by_name.insert(p.full_name.clone(), profiles.len());
                profiles.push(cp);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut attachments = Vec::new();
    let mut attach_globs = Vec::new();
    for p in &policy.profiles {
        if let Some(a) = &p.attachment {
            if let Ok(g) = glob::parse(a) {
                attach_globs.push(g);
                attachments.push(p.full_name.clone());
            }
        }
    }
    let attach = match GlobSet::new(&attach_globs) {
        Ok(s) => s,
        Err(e) => {
            errors.push(Diagnostic::error(
                "glob-set",
                format!("cannot compile the profile attachments: {e}"),
                crate::source::FileId(0),
                Span::default(),
            ));
            return Err(errors);
        }
    };
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|d| d.with_position(sources))
            .collect());
    }
    Ok(CompiledPolicy {
        profiles,
        by_name,
        abi_major: policy.abi.as_deref().and_then(abi_major),
        abi_text: policy.abi.clone(),
        attachments,
        attach,
    })
}

fn rule_info(rule: &Rule, sources: &SourceMap) -> RuleInfo {
    let (file, line, column) = position(&rule.location, sources);
    RuleInfo {
        text: rule.text.clone(),
        file,
        line,
        column,
        span: rule.location.span,
        implicit: rule.implicit,
        why: None,
    }
}

fn position(loc: &Location, sources: &SourceMap) -> (String, u32, u32) {
    match sources.get(loc.file) {
        Some(f) => {
            let (l, c) = f.line_col(loc.span.start);
            (f.name.clone(), l, c)
        }
        None => (String::new(), 0, 0),
    }
}

/// Adds the bits the parser implies: `w` grants `a`; `ix` (and `pix`, `cix`) grant `m`.
fn implied(perms: FilePerms, exec: Option<&ExecMode>, deny: bool) -> FilePerms {
    let mut p = perms;
    if p.contains(FilePerms::WRITE) {
        p = p.union(FilePerms::APPEND);
    }
    if !deny {
        if let Some(e) = exec {
            if e.kind == ExecKind::Inherit || e.fallback == Some(ExecKind::Inherit) {
                p = p.union(FilePerms::MMAP);
            }
        }
    }
    p
}

fn compile_profile(p: &Profile, sources: &SourceMap) -> Result<CProfile, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    let mut files = Vec::new();
    let mut file_globs = Vec::new();
    let mut pairs = Vec::new();
    let mut pair_link_globs = Vec::new();
    let mut pair_target_globs = Vec::new();
    let mut others = classes::Builder::default();
    let mut has_change_profile = false;

    let add_glob =
        |pattern: &str, loc: &Location, errors: &mut Vec<Diagnostic>| match glob::parse(pattern) {
            Ok(g) => Some(g),
            Err(e) => {
                errors.push(
                    Diagnostic::error(
                        "bad-glob",
                        format!("cannot compile `{pattern}`: {e}"),
                        loc.file,
                        loc.span,
                    )
                    .with_help("check the brackets and braces of the pattern"),
                );
                None
            }
        };

    for rule in &p.rules {
        let idx = rules.len();
        rules.push(rule_info(rule, sources));
        let q = &rule.qualifiers;
        let deny = q.effect == Effect::Deny;
        // The file entries and link pairs a rule adds all carry the rule's qualifiers.
        let file_entry = |perms: FilePerms, exec: Option<ExecMode>, exact: bool| FileEntry {
            rule: idx,
            deny,
            audit: q.audit,
            owner: q.owner,
            priority: q.priority,
            perms,
            exec,
            exact,
        };
        let link_pair = |target: Option<usize>, subset: bool| LinkPair {
            rule: idx,
            deny,
            audit: q.audit,
            owner: q.owner,
            priority: q.priority,
            target,
            subset,
        };
        match &rule.kind {
            RuleKind::File(fr) => {
                let path = fr.path.as_deref().unwrap_or(ALL_FILES);
                let Some(g) = add_glob(path, &rule.location, &mut errors) else {
                    continue;
                };
                let exact = parser_exact(path);
                // The bare `file,` grants every permission, with `ix` for exec, whatever
                // permission set the resolver recorded for it.
                let (fperms, fexec) = if fr.path.is_none() && fr.perms.is_empty() {
                    (ALL_FILE_PERMS, (!deny).then(inherit))
                } else if fr.path.is_none() && fr.exec.is_none() && !deny {
                    (fr.perms, fr.perms.contains(FilePerms::EXEC).then(inherit))
                } else {
                    (fr.perms, fr.exec.clone())
                };
                let perms = implied(fperms, fexec.as_ref(), deny);
                if perms.contains(FilePerms::LINK) {
                    // `l` in a file rule means a link to any target that carries no more
                    // permission than the target (the parser sets the subset bit on these
                    // pairs).
                    pair_link_globs.push(g.clone());
                    pairs.push(link_pair(None, true));
                }
                file_globs.push(g);
                files.push(file_entry(perms, fexec, exact));
            }
            RuleKind::Link(lr) => {
                let (Some(lg), Some(tg), Some(fg)) = (
                    add_glob(&lr.link, &rule.location, &mut errors),
                    add_glob(&lr.target, &rule.location, &mut errors),
                    add_glob(&lr.link, &rule.location, &mut errors),
                ) else {
                    continue;
                };
                pair_link_globs.push(lg);
                pairs.push(link_pair(Some(pair_target_globs.len()), lr.subset));
                pair_target_globs.push(tg);
                // The link path itself also gets `l` (the parser adds it to the link's own
                // state as well as to the pair).
                file_globs.push(fg);
                files.push(file_entry(FilePerms::LINK, None, parser_exact(&lr.link)));
            }
            RuleKind::All => {
                // `all,` grants every file access too (with `ix`, like `file,`).
                let Some(g) = add_glob(ALL_FILES, &rule.location, &mut errors) else {
                    continue;
                };
                let exec = inherit();
                let perms = implied(ALL_FILE_PERMS, Some(&exec), deny);
                pair_link_globs.push(g.clone());
                pairs.push(link_pair(None, true));
                file_globs.push(g);
                files.push(file_entry(perms, Some(exec), false));
                others.add(idx, rule, &mut errors);
            }
            RuleKind::ChangeProfile(_) => {
                if !deny {
                    has_change_profile = true;
                }
                others.add(idx, rule, &mut errors);
            }
            _ => others.add(idx, rule, &mut errors),
        }
    }

    // Rules the parser adds: access to the /proc attr files for change_hat (in hats and
    // in profiles with hats or child profiles) and for change_profile.
    let mut implicit = Vec::new();
    if p.is_hat || !p.children.is_empty() {
        implicit.push((CHANGEHAT_PATH, "change_hat"));
    }
    if has_change_profile {
        implicit.push((CHANGEPROFILE_PATH, "change_profile"));
    }
    let mut probes_added = false;
    for (path, why) in implicit {
        // The parser adds these with the bare kernel bits: `w` without the `a` a written `w`
        // implies, and for the owner of the file only (the kernel's compiled policy shows
        // them only in the owner half).
        let mut add = vec![(path, FilePerms::WRITE)];
        if !probes_added {
            add.push(("/proc/*/attr/apparmor/", FilePerms::READ));
            add.push(("/sys/module/apparmor/parameters/enabled", FilePerms::READ));
            probes_added = true;
        }
        for (ipath, perms) in add {
            let already = p.rules.iter().any(|r| {
                r.implicit
                    && matches!(&r.kind, RuleKind::File(f) if f.path.as_deref() == Some(ipath))
            });
            if already {
                continue;
            }
            let Some(g) = add_glob(ipath, &p.location, &mut errors) else {
                continue;
            };
            let (file, line, column) = position(&p.location, sources);
            let idx = rules.len();
            let letters = if perms.contains(FilePerms::WRITE) {
                "w"
            } else {
                "r"
            };
            rules.push(RuleInfo {
                text: format!("owner {ipath} {letters}"),
                file,
                line,
                column,
                span: p.location.span,
                implicit: true,
                why: Some(format!(
                    "apparmor_parser adds `owner {ipath} {letters}` to {}",
                    if why == "change_hat" {
                        "hats and to profiles with hats or child profiles, so that they can \
                         call change_hat"
                    } else {
                        "profiles with change_profile rules, so that they can call \
                         change_profile"
                    }
                )),
            });
            file_globs.push(g);
            files.push(FileEntry {
                rule: idx,
                deny: false,
                audit: false,
                owner: Owner::Owner,
                priority: 0,
                perms,
                exec: None,
                exact: false,
            });
        }
    }

    check_merged_exec_conflicts(p, &files, &mut errors);
    check_change_profile_conflicts(p, &mut errors);
    if errors.is_empty() {
        check_overlapping_exec_conflicts(p, &files, &file_globs, &mut errors);
    }

    let mut set = |globs: &[glob::Glob]| match GlobSet::new(globs) {
        Ok(s) => Some(s),
        Err(e) => {
            errors.push(Diagnostic::error(
                "glob-set",
                format!("cannot compile the rules of profile `{}`: {e}", p.full_name),
                p.location.file,
                p.location.span,
            ));
            None
        }
    };
    let fs = set(&file_globs);
    let pair_hirs: Vec<Hir> = pairs
        .iter()
        .zip(&pair_link_globs)
        .map(|(lp, lg)| {
            let target = match lp.target.and_then(|t| pair_target_globs.get(t)) {
                Some(tg) => tg.to_hir(),
                None => any_target_hir(),
            };
            Hir::concat(vec![lg.to_hir(), Hir::literal(*b"\0"), target])
        })
        .collect();
    // Keep the evaluator's own wording: the library's speaks of globs, but this set holds
    // link pairs.
    let ps = match GlobSet::from_hirs(&pair_hirs).map_err(|_| GlobError::Build {
        detail: "the link pair automaton is too large".to_owned(),
    }) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(Diagnostic::error(
                "glob-set",
                format!(
                    "cannot compile the link rules of profile `{}`: {e}",
                    p.full_name
                ),
                p.location.file,
                p.location.span,
            ));
            None
        }
    };
    let others = others.finish(&mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(file_globs), Some(pair_set), Some(others)) = (fs, ps, others) else {
        return Err(errors);
    };
    Ok(CProfile {
        name: p.full_name.clone(),
        mode: p.mode,
        rules,
        files,
        file_globs,
        pairs,
        pair_set,
        others,
        children: p.children.iter().map(|c| c.full_name.clone()).collect(),
    })
}

/// What the parser pairs a link with when a rule names no target: `/[^/].*`.
fn any_target_hir() -> Hir {
    let not_slash = ClassBytes::new([
        ClassBytesRange::new(0, b'/' - 1),
        ClassBytesRange::new(b'/' + 1, 255),
    ]);
    let any = ClassBytes::new([ClassBytesRange::new(0, 255)]);
    Hir::concat(vec![
        Hir::literal(*b"/"),
        Hir::class(Class::Bytes(not_slash)),
        Hir::repetition(Repetition {
            min: 0,
            max: None,
            greedy: true,
            sub: Box::new(Hir::class(Class::Bytes(any))),
        }),
    ])
}

/// Whether `apparmor_parser` treats a path as an exact match (its "basic" pattern type):
/// no unescaped `*`, `?` or `[`. Alternations of literals (`/{,usr/}bin/bzip2`) stay
/// exact, so their exec mode dominates glob rules without a conflict.
fn parser_exact(pattern: &str) -> bool {
    let mut escaped = false;
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '*' | '?' | '[' => return false,
            _ => {}
        }
    }
    true
}

/// Collapses runs of `/` the way `apparmor_parser` does before compiling a path, so that
/// `@{PROC}/sys` with `@{PROC}=/proc/` means `/proc/sys`.
fn collapse_slashes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut prev_slash = false;
    for c in pattern.chars() {
        if c == '/' && prev_slash {
            continue;
        }
        prev_slash = c == '/';
        out.push(c);
    }
    out
}

fn inherit() -> ExecMode {
    ExecMode {
        kind: ExecKind::Inherit,
        scrub: false,
        fallback: None,
        target: None,
    }
}

/// Every file permission, as the parser gives `file,`.
const ALL_FILE_PERMS: FilePerms = FilePerms(
    FilePerms::READ.0
        | FilePerms::WRITE.0
        | FilePerms::APPEND.0
        | FilePerms::EXEC.0
        | FilePerms::MMAP.0
        | FilePerms::LOCK.0
        | FilePerms::LINK.0,
);

const CHANGEHAT_PATH: &str = "/proc/[0-9]*/attr/{apparmor/,}current";
const CHANGEPROFILE_PATH: &str = "/proc/*/attr/{apparmor/,}{current,exec}";

/// Rules on the same path with different exec modes are merged by the parser before the
/// DFA is built, and it rejects the profile when their modes differ where their owner
/// conditions overlap (`owner /o/* Px` and `/o/* ix` conflict on files the process owns).
fn check_merged_exec_conflicts(p: &Profile, files: &[FileEntry], errors: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(String, Owner, i32, &ExecMode)> = Vec::new();
    for f in files {
        let (Some(exec), false) = (&f.exec, f.deny) else {
            continue;
        };
        let Some(rule) = p.rules.get(f.rule) else {
            continue;
        };
        let RuleKind::File(fr) = &rule.kind else {
            continue;
        };
        let path = collapse_slashes(fr.path.as_deref().unwrap_or(ALL_FILES));
        let overlaps = |a: Owner, b: Owner| a == Owner::Any || b == Owner::Any || a == b;
        let clash = seen.iter().find(|(sp, so, spri, sm)| {
            *sp == path && *spri == f.priority && overlaps(*so, f.owner) && !same_exec(sm, exec)
        });
        if let Some((_, _, _, other)) = clash {
            errors.push(
                Diagnostic::error(
                    "conflicting-x-modifiers",
                    format!(
                        "profile `{}` has merged rule `{path}` with conflicting x modifiers \
                         (`{}` and `{}`)",
                        p.full_name,
                        other.letters(),
                        exec.letters()
                    ),
                    rule.location.file,
                    rule.location.span,
                )
                .with_help("give every rule for the same path the same exec mode"),
            );
            continue;
        }
        seen.push((path, f.owner, f.priority, exec));
    }
}

/// Two glob rules with different exec modes that both match some path make
/// `apparmor_parser` refuse the profile ("profile has merged rule with conflicting x
/// modifiers") when it builds the DFA. apparmor_parser 3.0 reports it even when a deny
/// rule or an exact-path rule would decide that path, so only the overlap counts.
fn check_overlapping_exec_conflicts(
    p: &Profile,
    files: &[FileEntry],
    globs: &[glob::Glob],
    errors: &mut Vec<Diagnostic>,
) {
    let candidates: Vec<(&FileEntry, &ExecMode, &glob::Glob)> = files
        .iter()
        .zip(globs)
        .filter(|(f, _)| !f.deny && !f.exact)
        .filter_map(|(f, g)| f.exec.as_ref().map(|e| (f, e, g)))
        .collect();
    let overlaps = |a: Owner, b: Owner| a == Owner::Any || b == Owner::Any || a == b;
    for (i, (fa, ea, ga)) in candidates.iter().enumerate() {
        for (fb, eb, gb) in candidates.iter().skip(i + 1) {
            if same_exec(ea, eb)
                || fa.priority != fb.priority
                || !overlaps(fa.owner, fb.owner)
                || ga.source() == gb.source()
            {
                continue;
            }
            // Globs whose fixed beginnings differ cannot meet; this skips most pairs
            // before any automaton is built.
            let (pa, pb) = (literal_prefix(ga.source()), literal_prefix(gb.source()));
            if !pa.starts_with(&pb) && !pb.starts_with(&pa) {
                continue;
            }
            let Some(witness) = glob::common_match(ga, gb) else {
                continue;
            };
            let (Some(ra), Some(rb)) = (p.rules.get(fa.rule), p.rules.get(fb.rule)) else {
                continue;
            };
            errors.push(
                Diagnostic::error(
                    "conflicting-x-modifiers",
                    format!(
                        "profile `{}` has merged rule with conflicting x modifiers: `{}` \
                         ({}) and `{}` ({}) both match `{witness}`",
                        p.full_name,
                        ra.text,
                        ea.letters(),
                        rb.text,
                        eb.letters()
                    ),
                    rb.location.file,
                    rb.location.span,
                )
                .with_help(
                    "give overlapping rules the same exec mode, or narrow one glob so that \
                     they no longer overlap",
                ),
            );
            return;
        }
    }
}

/// `change_profile` rules with the same exec condition and target merge; the parser
/// rejects the profile when one is `unsafe` and the other is not (no mode means `safe`).
fn check_change_profile_conflicts(p: &Profile, errors: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(Option<&str>, Option<&str>, bool)> = Vec::new();
    for rule in &p.rules {
        let RuleKind::ChangeProfile(c) = &rule.kind else {
            continue;
        };
        if rule.qualifiers.effect == Effect::Deny {
            continue;
        }
        let unsafe_mode = c.exec_mode.as_deref() == Some("unsafe");
        let key = (c.exec_cond.as_deref(), c.target.as_deref());
        if seen
            .iter()
            .any(|(e, t, u)| (*e, *t) == key && *u != unsafe_mode)
        {
            errors.push(
                Diagnostic::error(
                    "conflicting-x-modifiers",
                    format!(
                        "profile `{}` has merged rule `{}` with conflicting x modifiers (`safe` \
                         and `unsafe`)",
                        p.full_name,
                        c.target.as_deref().unwrap_or("change_profile")
                    ),
                    rule.location.file,
                    rule.location.span,
                )
                .with_help("write the same `safe` or `unsafe` on every rule for this target"),
            );
        }
        seen.push((key.0, key.1, unsafe_mode));
    }
}

/// The text every path a glob matches starts with: up to the first unescaped operator,
/// escapes decoded, repeated slashes collapsed (as the parser collapses them).
fn literal_prefix(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let c = match c {
            '*' | '?' | '[' | '{' => break,
            '\\' => match chars.next() {
                Some(n) => n,
                None => break,
            },
            c => c,
        };
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

fn same_exec(a: &ExecMode, b: &ExecMode) -> bool {
    a.kind == b.kind && a.scrub == b.scrub && a.fallback == b.fallback && a.target == b.target
}

/// The rank of a contribution to one bit (see the module docs).
fn rank(priority: i32, deny: bool, exact_exec: bool) -> i64 {
    i64::from(priority) * 4
        + if deny {
            3
        } else if exact_exec {
            2
        } else {
            1
        }
}

/// The outcome of the per-bit resolution.
#[derive(Debug, Default, Clone)]
struct Resolved {
    allow: u16,
    deny: u16,
    audit: u16,
    quiet: u16,
    /// Per bit: the winning contributions (indices into the contribution list).
    winners: [Vec<usize>; 7],
}

/// One rule's contribution to a decision, class independent.
#[derive(Debug, Clone, Copy)]
struct Contrib {
    rule: usize,
    deny: bool,
    audit: bool,
    priority: i32,
    bits: u16,
    exact: bool,
}

fn resolve(contribs: &[Contrib], requested: u16) -> Resolved {
    let mut r = Resolved::default();
    for (i, bit) in BITS.iter().enumerate() {
        let b = bit.0;
        if requested & b == 0 {
            continue;
        }
        let rank_of = |c: &Contrib| rank(c.priority, c.deny, c.exact && b == FilePerms::EXEC.0);
        let Some(best) = contribs
            .iter()
            .filter(|c| c.bits & b != 0)
            .map(rank_of)
            .max()
        else {
            continue;
        };
        for (ci, c) in contribs.iter().enumerate() {
            if c.bits & b == 0 || rank_of(c) != best {
                continue;
            }
            if c.deny {
                r.deny |= b;
                if !c.audit {
                    r.quiet |= b;
                }
            } else {
                r.allow |= b;
                if c.audit {
                    r.audit |= b;
                }
            }
            if let Some(w) = r.winners.get_mut(i) {
                w.push(ci);
            }
        }
        if r.deny & b != 0 {
            r.allow &= !b;
            r.audit &= !b;
            // Only deny rules are reported for a denied bit.
            if let Some(w) = r.winners.get_mut(i) {
                w.retain(|&ci| contribs.get(ci).is_some_and(|c| c.deny));
            }
        }
    }
    r
}

impl CProfile {
    /// The file entries whose glob matches the whole of `path` and whose owner condition
    /// holds for a file that the process owns (`owner`) or not.
    fn matching_files(&self, path: &str, owner: bool) -> Vec<&FileEntry> {
        let mut matched = Vec::new();
        self.file_globs.matches_into(path, &mut matched);
        matched
            .iter()
            .filter_map(|&i| self.files.get(i))
            .filter(|f| owner_applies(f.owner, owner))
            .collect()
    }
}

impl FileEntry {
    /// What the entry adds to the decision on a path it matches.
    fn contrib(&self) -> Contrib {
        Contrib {
            rule: self.rule,
            deny: self.deny,
            audit: self.audit,
            priority: self.priority,
            bits: self.perms.0,
            exact: self.exact,
        }
    }
}

fn owner_applies(rule: Owner, owner: bool) -> bool {
    match rule {
        Owner::Any => true,
        Owner::Owner => owner,
        Owner::Other => !owner,
    }
}

/// Everything a profile grants on one path, as the kernel's DFA state for it holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePermSet {
    /// Allowed permissions, deny rules applied.
    pub allow: FilePerms,
    /// Allowed permissions whose use is logged (`audit` allow rules).
    pub audit: FilePerms,
    /// Denied permissions whose denial is not logged (plain `deny` rules).
    pub quiet: FilePerms,
    /// Permissions removed by a deny rule.
    pub deny: FilePerms,
    /// The exec mode, when `x` is allowed (`ix`, `Px`, ...).
    pub exec: Option<String>,
}

/// A fast file verdict without explanation, for benchmarks and bulk checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileVerdict {
    /// Requested permissions the rules allow.
    pub allowed: FilePerms,
    /// Requested permissions explicitly denied by a deny rule.
    pub explicitly_denied: FilePerms,
}

impl CompiledPolicy {
    /// Full names of every profile, parents before their hats and children.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.iter().map(|p| p.name.clone()).collect()
    }

    fn profile(&self, name: &str) -> Result<&CProfile, EvalError> {
        let idx = self.by_name.get(name).copied().or_else(|| {
            // A bare name or an attachment path also selects a profile.
            self.profiles
                .iter()
                .position(|p| p.name.rsplit("//").next() == Some(name))
                .or_else(|| {
                    let mut m = Vec::new();
                    self.attach.matches_into(name, &mut m);
                    m.first()
                        .and_then(|&i| self.attachments.get(i))
                        .and_then(|n| self.by_name.get(n).copied())
                })
        });
        idx.and_then(|i| self.profiles.get(i))
            .ok_or_else(|| EvalError::UnknownProfile {
                name: name.to_owned(),
                known: self.profile_names(),
            })
    }

    /// The permissions a profile grants on a path, without explanation: the fast path.
    /// `scratch` is reused between calls to avoid allocation.
    pub fn check_file(
        &self,
        profile: &str,
        path: &str,
        perms: FilePerms,
        owner: bool,
        scratch: &mut Vec<usize>,
    ) -> Result<FileVerdict, EvalError> {
        let p = self.profile(profile)?;
        scratch.clear();
        p.file_globs.matches_into(path, scratch);
        let mut allow = 0u16;
        let mut deny = 0u16;
        for bit in BITS {
            let b = bit.0;
            if perms.0 & b == 0 {
                continue;
            }
            let mut best = i64::MIN;
            let mut a = false;
            let mut d = false;
            for &i in scratch.iter() {
                let Some(f) = p.files.get(i) else { continue };
                if f.perms.0 & b == 0 || !owner_applies(f.owner, owner) {
                    continue;
                }
                let r = rank(f.priority, f.deny, f.exact && b == FilePerms::EXEC.0);
                if r > best {
                    best = r;
                    a = false;
                    d = false;
                }
                if r == best {
                    if f.deny {
                        d = true;
                    } else {
                        a = true;
                    }
                }
            }
            if d {
                deny |= b;
            } else if a {
                allow |= b;
            }
        }
        Ok(FileVerdict {
            allowed: FilePerms(allow),
            explicitly_denied: FilePerms(deny),
        })
    }

    /// Every permission a profile grants on a path (for comparisons with the kernel's
    /// compiled policy). `l` here is the link permission for any target.
    pub fn file_perms(
        &self,
        profile: &str,
        path: &str,
        owner: bool,
    ) -> Result<FilePermSet, EvalError> {
        let q = Query::File {
            path: path.to_owned(),
            perms: ALL_FILE_PERMS,
            owner,
            link_target: None,
        };
        let p = self.profile(profile)?;
        let contribs: Vec<Contrib> = p
            .matching_files(path, owner)
            .into_iter()
            .map(FileEntry::contrib)
            .collect();
        let res = resolve(&contribs, ALL_FILE_PERMS.0);
        let exec = if res.allow & FilePerms::EXEC.0 != 0 {
            self.decide(profile, &q)?.exec.map(|x| x.mode)
        } else {
            None
        };
        Ok(FilePermSet {
            allow: FilePerms(res.allow),
            audit: FilePerms(res.audit & res.allow),
            quiet: FilePerms(res.quiet),
            deny: FilePerms(res.deny),
            exec,
        })
    }

    /// Decides a query under a profile and explains the decision.
    pub fn decide(&self, profile: &str, query: &Query) -> Result<Decision, EvalError> {
        let p = self.profile(profile)?;
        let mut d = match query {
            Query::File {
                path,
                perms,
                owner,
                link_target,
            } => self.decide_file(p, query, path, *perms, *owner, link_target.as_deref())?,
            other => classes::decide(self, p, other),
        };
        apply_mode(p, &mut d);
        Ok(d)
    }

    fn deciding(
        &self,
        p: &CProfile,
        rule: usize,
        effect: Effect,
        perms: String,
    ) -> Option<DecidingRule> {
        p.rules.get(rule).map(|r| DecidingRule {
            text: r.text.clone(),
            file: r.file.clone(),
            line: r.line,
            column: r.column,
            span: r.span,
            effect,
            perms,
            implicit: r.implicit,
        })
    }

    fn decide_file(
        &self,
        p: &CProfile,
        query: &Query,
        path: &str,
        perms: FilePerms,
        owner: bool,
        link_target: Option<&str>,
    ) -> Result<Decision, EvalError> {
        let file_entries = p.matching_files(path, owner);
        let contribs: Vec<Contrib> = file_entries.iter().map(|f| f.contrib()).collect();
        let mut notes = Vec::new();
        let mut res = resolve(&contribs, perms.0);
        let mut link_rules: Vec<(usize, Effect)> = Vec::new();

        // A link is decided on the (link, target) pair, and for subset links on the
        // target's permissions as well.
        if perms.contains(FilePerms::LINK) {
            if let Some(target) = link_target {
                let (ok, deny, quiet, audit, why, rules) =
                    self.decide_link(p, path, target, owner, &contribs);
                let b = FilePerms::LINK.0;
                res.allow &= !b;
                res.deny &= !b;
                res.quiet &= !b;
                res.audit &= !b;
                if ok {
                    res.allow |= b;
                }
                if deny {
                    res.deny |= b;
                }
                if quiet {
                    res.quiet |= b;
                }
                if audit {
                    res.audit |= b;
                }
                if let Some(w) = res.winners.get_mut(6) {
                    w.clear();
                }
                link_rules = rules;
                notes.extend(why);
            }
        }

        let requested = perms.0;
        let allowed = res.allow & requested;
        let denied = requested & !allowed;

        // The exec transition of an allowed x.
        let mut exec = None;
        if allowed & FilePerms::EXEC.0 != 0 {
            let xi = 3;
            let winners: Vec<&FileEntry> = res
                .winners
                .get(xi)
                .map(|w| {
                    w.iter()
                        .filter_map(|&ci| file_entries.get(ci).copied())
                        .filter(|f| !f.deny)
                        .collect()
                })
                .unwrap_or_default();
            let modes: Vec<&ExecMode> = winners.iter().filter_map(|f| f.exec.as_ref()).collect();
            if let Some(first) = modes.first() {
                if modes.iter().any(|m| !same_exec(m, first)) {
                    let mut names: Vec<String> = modes.iter().map(|m| m.letters()).collect();
                    names.dedup();
                    return Err(EvalError::ConflictingExec {
                        profile: p.name.clone(),
                        path: path.to_owned(),
                        modes: names.join(", "),
                        rules: winners
                            .iter()
                            .filter_map(|f| {
                                self.deciding(
                                    p,
                                    f.rule,
                                    Effect::Allow,
                                    f.exec.as_ref().map(ExecMode::letters).unwrap_or_default(),
                                )
                            })
                            .collect(),
                    });
                }
                exec = Some(self.transition(p, path, first));
            }
        }

        // The deciding rules: for each requested bit, the winners (deny rules for denied
        // bits, allow rules for allowed bits).
        let mut by_rule: BTreeMap<usize, (Effect, u16)> = BTreeMap::new();
        for (i, bit) in BITS.iter().enumerate() {
            if requested & bit.0 == 0 {
                continue;
            }
            for &ci in res.winners.get(i).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(c) = contribs.get(ci) {
                    let e = by_rule
                        .entry(c.rule)
                        .or_insert((if c.deny { Effect::Deny } else { Effect::Allow }, 0));
                    e.1 |= bit.0;
                }
            }
        }
        for (r, eff) in link_rules {
            let e = by_rule.entry(r).or_insert((eff, 0));
            e.1 |= FilePerms::LINK.0;
        }
        let by_rule_keys: Vec<usize> = by_rule.keys().copied().collect();
        let rules: Vec<DecidingRule> = by_rule
            .into_iter()
            .filter_map(|(r, (eff, bits))| {
                let mut letters = FilePerms(bits).letters();
                if bits & FilePerms::EXEC.0 != 0 && eff == Effect::Allow {
                    if let Some(x) = &exec {
                        letters = letters.replace('x', &x.mode);
                    }
                }
                self.deciding(p, r, eff, letters)
            })
            .collect();

        for r in by_rule_keys.iter().filter_map(|&r| p.rules.get(r)) {
            if let Some(why) = &r.why {
                notes.push(why.clone());
            }
        }
        let explicit = denied & res.deny;
        let implicit_denied = denied & !res.deny;
        if implicit_denied != 0 {
            notes.push(format!(
                "no rule allows `{}` on `{path}`{}; AppArmor denies what no rule allows",
                FilePerms(implicit_denied).letters(),
                if owner {
                    ""
                } else {
                    " for a file the process does not own"
                }
            ));
        }
        if explicit != 0 {
            notes.push(format!(
                "`{}` on `{path}` is refused by a deny rule, which no allow rule at the same \
                 priority can override",
                FilePerms(explicit).letters()
            ));
        }
        if perms.contains(FilePerms::APPEND) && !perms.contains(FilePerms::WRITE) {
            notes.push("`w` in a rule also grants `a`".to_owned());
        }

        let logged_denials = denied & !res.quiet;
        if logged_denials != 0 {
            // In complain mode aa_audit() logs a denial that is not quiet as ALLOWED.
            let tag = if p.mode == ProfileMode::Complain {
                "ALLOWED"
            } else {
                "DENIED"
            };
            notes.push(format!(
                "the denial of `{}` is logged (apparmor=\"{tag}\")",
                FilePerms(logged_denials).letters()
            ));
        }
        if denied & res.quiet != 0 {
            notes.push(format!(
                "the denial of `{}` is not logged: plain `deny` rules are quiet, `audit deny` \
                 ones are logged",
                FilePerms(denied & res.quiet).letters()
            ));
        }
        Ok(Decision {
            query: query.to_string(),
            profile: p.name.clone(),
            verdict: if denied == 0 {
                Verdict::Allow
            } else {
                Verdict::Deny
            },
            allowed: FilePerms(allowed).letters(),
            denied: FilePerms(denied).letters(),
            audit: FilePerms(allowed & res.audit).letters(),
            quiet: FilePerms(denied & res.quiet).letters(),
            exec,
            mode: p.mode,
            complain_note: None,
            notes,
            rules,
        })
        .map(|mut d| {
            if explicit != 0 {
                d.notes.push(explicit_marker(FilePerms(explicit).letters()));
            }
            d
        })
    }

    /// Decides `l PATH -> TARGET`: returns (allowed, explicitly denied, quiet, audited,
    /// notes, deciding rules).
    #[allow(clippy::type_complexity)]
    fn decide_link(
        &self,
        p: &CProfile,
        link: &str,
        target: &str,
        owner: bool,
        link_contribs: &[Contrib],
    ) -> (bool, bool, bool, bool, Vec<String>, Vec<(usize, Effect)>) {
        let mut notes = Vec::new();
        // The kernel walks `link`, a NUL, then `target` through the same automaton. Pair
        // rules match there; so do ordinary rules whose globs run across the NUL (a
        // negated class such as `[^f]` matches NUL), which is how `deny /sys/[^f]*/** wk`
        // takes the subset marker off every link named `/sys/`.
        let pair_text = format!("{link}\0{target}");
        let pair_bits = FilePerms::LINK.union(FilePerms::LOCK).0;
        let mut m = Vec::new();
        p.pair_set.matches_into(&pair_text, &mut m);
        let mut contribs: Vec<Contrib> = m
            .iter()
            .filter_map(|&i| p.pairs.get(i))
            .filter(|lp| owner_applies(lp.owner, owner))
            .map(|lp| Contrib {
                rule: lp.rule,
                deny: lp.deny,
                audit: lp.audit,
                priority: lp.priority,
                // The subset marker sits in the `k` position of the owner half only.
                bits: FilePerms::LINK.0
                    | if (lp.subset || lp.deny) && owner {
                        FilePerms::LOCK.0
                    } else {
                        0
                    },
                exact: false,
            })
            .collect();
        contribs.extend(
            p.matching_files(&pair_text, owner)
                .into_iter()
                .map(|f| Contrib {
                    // A deny rule's `l` lives only in its pair rule, not in its own state.
                    bits: f.perms.0 & if f.deny { FilePerms::LOCK.0 } else { pair_bits },
                    exact: false,
                    ..f.contrib()
                })
                .filter(|c| c.bits != 0),
        );
        let res = resolve(&contribs, pair_bits);
        // The link's own name must allow `l` as well.
        let own = resolve(link_contribs, FilePerms::LINK.0);
        if own.allow & FilePerms::LINK.0 == 0 {
            notes.push(format!("no rule allows `l` on `{link}`"));
            let rules = own
                .winners
                .get(6)
                .map(|w| {
                    w.iter()
                        .filter_map(|&ci| link_contribs.get(ci))
                        .map(|c| (c.rule, if c.deny { Effect::Deny } else { Effect::Allow }))
                        .collect()
                })
                .unwrap_or_default();
            return (
                false,
                own.deny & FilePerms::LINK.0 != 0,
                own.quiet & FilePerms::LINK.0 != 0,
                false,
                notes,
                rules,
            );
        }
        let b = FilePerms::LINK.0;
        let winners: Vec<usize> = res.winners.get(6).cloned().unwrap_or_default();
        let mut rules: Vec<(usize, Effect)> = winners
            .iter()
            .filter_map(|&ci| contribs.get(ci))
            .map(|c| (c.rule, if c.deny { Effect::Deny } else { Effect::Allow }))
            .collect();
        if res.allow & b == 0 {
            if res.deny & b == 0 {
                notes.push(format!("no rule allows a link from `{link}` to `{target}`"));
            }
            return (
                false,
                res.deny & b != 0,
                res.quiet & b != 0,
                false,
                notes,
                rules,
            );
        }
        // The subset marker is the pair state's `k` bit.
        let subset = res.allow & FilePerms::LOCK.0 != 0;
        if subset {
            // The link may carry no more permission than the target has.
            let all = ALL_FILE_PERMS.minus(FilePerms::LINK).0;
            let lres = resolve(link_contribs, all);
            let tcontribs: Vec<Contrib> = p
                .matching_files(target, owner)
                .into_iter()
                .map(FileEntry::contrib)
                .collect();
            let tres = resolve(&tcontribs, all);
            let extra = lres.allow & !tres.allow & all;
            if extra != 0 {
                notes.push(format!(
                    "the link rule requires a subset: `{link}` would have `{}` that `{target}` \
                     lacks",
                    FilePerms(extra).letters()
                ));
                for (i, bit) in BITS.iter().enumerate() {
                    if extra & bit.0 != 0 {
                        for &ci in tres.winners.get(i).map(Vec::as_slice).unwrap_or(&[]) {
                            if let Some(c) = tcontribs.get(ci) {
                                if c.deny {
                                    rules.push((c.rule, Effect::Deny));
                                }
                            }
                        }
                    }
                }
                return (false, false, false, false, notes, rules);
            }
            // An executable link must also run the same way as its target.
            if lres.allow & tres.allow & FilePerms::EXEC.0 != 0 {
                let lx = self
                    .file_perms(&p.name, link, owner)
                    .ok()
                    .and_then(|f| f.exec);
                let tx = self
                    .file_perms(&p.name, target, owner)
                    .ok()
                    .and_then(|f| f.exec);
                if lx != tx {
                    notes.push(format!(
                        "the link rule requires a subset: `{link}` would run as `{}` but \
                         `{target}` runs as `{}`",
                        lx.unwrap_or_default(),
                        tx.unwrap_or_default()
                    ));
                    return (false, false, false, false, notes, rules);
                }
            }
            notes.push(format!(
                "subset link: `{link}` has no permission that `{target}` lacks"
            ));
        }
        (true, false, false, res.audit & b != 0, notes, rules)
    }

    fn transition(&self, p: &CProfile, path: &str, m: &ExecMode) -> ExecTransition {
        let fallback_text = match m.fallback {
            Some(ExecKind::Inherit) => {
                ", or stays in the current profile if that profile does not exist"
            }
            Some(ExecKind::Unconfined) => ", or runs unconfined if that profile does not exist",
            _ => "",
        };
        let scrub_text = if m.scrub {
            " The environment is scrubbed (AT_SECURE)."
        } else {
            ""
        };
        let (target, explanation) =
            match m.kind {
                ExecKind::Inherit => (
                    Some(p.name.clone()),
                    format!("`{path}` runs under the current profile `{}`.", p.name),
                ),
                ExecKind::Unconfined => (None, format!("`{path}` runs unconfined.{scrub_text}")),
                // `-> &name`: the new program runs under a stack of both profiles.
                ExecKind::Profile | ExecKind::Child
                    if m.target.as_deref().is_some_and(|t| t.starts_with('&')) =>
                {
                    let stacked = m
                        .target
                        .as_deref()
                        .map(|t| t.trim_start_matches('&'))
                        .unwrap_or_default()
                        .to_owned();
                    let stacked = if m.kind == ExecKind::Child && !stacked.contains("//") {
                        format!("{}//{stacked}", p.name)
                    } else {
                        stacked
                    };
                    (
                        Some(format!("{}//&{stacked}", p.name)),
                        format!(
                            "`{path}` runs under the stack of the current profile `{}` and \
                             `{stacked}`: an access must be allowed by both.{scrub_text}",
                            p.name
                        ),
                    )
                }
                ExecKind::Profile => {
                    let t = m.target.clone().or_else(|| {
                        let mut a = Vec::new();
                        self.attach.matches_into(path, &mut a);
                        a.first().and_then(|&i| self.attachments.get(i)).cloned()
                    });
                    let text = match (&t, &m.target) {
                        (Some(t), Some(_)) => format!("`{path}` runs under profile `{t}`"),
                        (Some(t), None) => format!(
                            "`{path}` runs under the profile attached to it, `{t}` in this policy"
                        ),
                        (None, _) => format!(
                            "`{path}` runs under the profile attached to it (none in this policy: \
                         the exec fails unless one is loaded)"
                        ),
                    };
                    (t, format!("{text}{fallback_text}.{scrub_text}"))
                }
                ExecKind::Child => {
                    let name = match &m.target {
                        Some(t) if t.contains("//") => t.clone(),
                        Some(t) => format!("{}//{t}", p.name),
                        None => format!("{}//{path}", p.name),
                    };
                    let exists = p.children.iter().any(|c| c == &name);
                    (
                        Some(name.clone()),
                        format!(
                        "`{path}` runs under child profile `{name}`{}{fallback_text}.{scrub_text}",
                        if exists { "" } else { " (not defined in this policy)" }
                    ),
                    )
                }
            };
        ExecTransition {
            mode: m.letters(),
            kind: m.kind,
            target,
            scrub: m.scrub,
            fallback: m.fallback,
            explanation,
        }
    }
}

/// Notes starting with this marker tell `apply_mode` which permissions a deny rule refused;
/// it removes the marker before the decision is returned.
const EXPLICIT_MARKER: &str = "\u{0}explicit:";

fn explicit_marker(perms: String) -> String {
    format!("{EXPLICIT_MARKER}{perms}")
}

/// Turns the rule-level result into what the kernel does in the profile's mode.
fn apply_mode(p: &CProfile, d: &mut Decision) {
    let explicit: Option<String> = d
        .notes
        .iter()
        .find_map(|n| n.strip_prefix(EXPLICIT_MARKER).map(str::to_owned));
    d.notes.retain(|n| !n.starts_with(EXPLICIT_MARKER));
    match p.mode {
        ProfileMode::Enforce => {}
        ProfileMode::Prompt => d.notes.push(
            "the profile is in prompt mode; kernels without prompting treat it as enforce"
                .to_owned(),
        ),
        ProfileMode::Kill => {
            if d.verdict == Verdict::Deny {
                d.notes.push(
                    "the profile is in kill mode: the process is killed on this denial".to_owned(),
                );
            }
        }
        ProfileMode::Unconfined => {
            d.notes.push(
                "the profile is in unconfined mode: the kernel does not mediate this access"
                    .to_owned(),
            );
            d.verdict = Verdict::Allow;
        }
        ProfileMode::Complain => {
            if d.verdict == Verdict::Allow {
                return;
            }
            // What Linux 6.1 does (file.c's aa_audit_file, and the same pattern for the other
            // classes): when every denied permission is quiet, the error is returned before
            // aa_audit() applies complain mode, so the access is blocked and nothing is
            // logged; otherwise aa_audit() logs the non-quiet part as ALLOWED and the whole
            // access goes through. Only plain `deny` rules set quiet bits, so an `audit deny`
            // goes through like an access no rule covers. The module parameter `audit` set
            // to `noquiet` or `all` clears the quiet bits and lets everything through.
            // Booted and checked in tests/kernel/run.sh (the `explicit deny` checks).
            let blocked = !d.quiet.is_empty() && d.quiet == d.denied;
            let newer = "Newer kernels: upstream's current file.c and audit.c (read, not run) \
                         take the same path, and the apparmor.d(5) manual only says that \
                         complain mode allows what the rules do not grant and logs it as \
                         ALLOWED, without a word on deny rules; nothing found upstream keeps \
                         explicit denies apart in complain mode, so expect the same there, \
                         but distribution kernels with their own AppArmor patches were not \
                         checked";
            match explicit {
                None => {
                    d.verdict = Verdict::Allow;
                    d.complain_note = Some(format!(
                        "the profile is in complain mode: `{}` is allowed and logged as \
                         ALLOWED, because no rule denies it explicitly",
                        d.denied
                    ));
                }
                Some(perms) if blocked => {
                    d.complain_note = Some(format!(
                        "the profile is in complain mode, but `{perms}` is refused by a plain \
                         `deny` rule, whose denial is quiet. On Debian 12 (Linux 6.1 with \
                         apparmor_parser 3.0.8, booted and tested) the kernel returns the \
                         error of a quiet denial before complain mode applies: the access is \
                         blocked and nothing is logged. That holds with the module parameter \
                         `audit` at its default `normal`; set to `noquiet` or `all` \
                         (/sys/module/apparmor/parameters/audit) the denial is no longer \
                         quiet and the access goes through, logged as ALLOWED, as it does \
                         when the rule is written `audit deny`. {newer}"
                    ));
                }
                Some(perms) => {
                    let quiet_part = if d.quiet.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (the quiet part, `{}`, is left out of the log, but it does not \
                             block the access because the rest of the denial is logged)",
                            d.quiet
                        )
                    };
                    d.verdict = Verdict::Allow;
                    d.complain_note = Some(format!(
                        "the profile is in complain mode: `{perms}` is refused by an explicit \
                         deny rule, but the denial of `{}` is not quiet (an `audit deny` rule, \
                         or no rule at all), so on Debian 12 (Linux 6.1 with apparmor_parser \
                         3.0.8, booted and tested) complain mode applies: the access goes \
                         through and is logged as ALLOWED{quiet_part}. Only a denial that is \
                         entirely quiet (plain `deny` rules) is blocked in complain mode. \
                         {newer}",
                        d.denied
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
