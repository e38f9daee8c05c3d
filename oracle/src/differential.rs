//! Comparing another implementation's file decisions with the oracle's, path by path.
//!
//! The other side is a closure, so that the harness can be tested on its own (against
//! the oracle under a different feature set) and used by armorlab's differential test.

use std::path::Path;

use crate::compile::Compiler;
use crate::error::OracleError;
use crate::pathgen::{self, Rng};
use crate::policy::BinaryPolicy;

/// Paths every subject is asked about besides those derived from its rules: the places
/// container profiles care about and names full of glob-special characters.
pub const SPECIAL_PATHS: [&str; 28] = [
    "/",
    "/proc",
    "/proc/",
    "/proc/1",
    "/proc/1/mem",
    "/proc/self/attr/current",
    "/proc/sys/kernel/core_pattern",
    "/proc/sys/kernel/shmmax",
    "/proc/sysrq-trigger",
    "/proc/kcore",
    "/proc/uptime",
    "/proc/a^5]",
    "/proc/x/y^*]",
    "/proc/x/y^5",
    "/sys/fs/cgroup/cgroup.procs",
    "/sys/kernel/security/apparmor/policy",
    "/sys/firmware/efi/efivars/x",
    "/tmp/[x]",
    "/tmp/{a,b}",
    "/tmp/*",
    "/tmp/?",
    "/etc/passwd",
    "/etc/ld.so.cache",
    "/dev/null",
    "/home/user/.bashrc",
    "/root/x",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/run/user/1000/x",
];

/// One side's answer for a query, reduced to what both sides can say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Allowed permission letters in the order `rwaxmkl`.
    pub allow: String,
    /// The exec mode letters (`ix`, `Px`, ...) when `x` is allowed and the side knows it.
    pub exec: Option<String>,
    /// Audited letters, when the side reports them.
    pub audit: Option<String>,
    /// Quiet (silently denied) letters, when the side reports them.
    pub quiet: Option<String>,
}

/// A query on which the two sides differ.
#[derive(Debug, Clone)]
pub struct Disagreement {
    /// The subject (profile file) label.
    pub subject: String,
    /// The profile asked.
    pub profile: String,
    /// The path asked.
    pub path: String,
    /// Whether the task owns the file.
    pub owner: bool,
    /// What the oracle says.
    pub oracle: Answer,
    /// What the other side says.
    pub other: Answer,
}

/// Counts for one subject.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// The subject label.
    pub subject: String,
    /// Profiles compared.
    pub profiles: usize,
    /// Profiles the other side did not know (skipped).
    pub unknown_profiles: usize,
    /// Distinct query paths.
    pub paths: usize,
    /// Queries compared (profiles × paths × owner).
    pub queries: usize,
    /// Queries where both sides agree on every compared field.
    pub agreed: usize,
}

/// The query paths for a profile file: instances of its rule globs (as the parser
/// expands them), the special paths, deduplicated, at most `cap` of them (a seeded
/// sample when there are more).
pub fn query_paths(
    compiler: &Compiler,
    file: &Path,
    per_glob: usize,
    cap: usize,
    seed: u64,
) -> Result<Vec<String>, OracleError> {
    let globs = compiler.rule_globs_file(file)?;
    let mut rng = Rng::new(seed);
    let mut paths: Vec<String> = SPECIAL_PATHS.iter().map(|s| s.to_string()).collect();
    for g in &globs {
        paths.extend(pathgen::paths_for_glob(g, per_glob, &mut rng));
    }
    paths.sort();
    paths.dedup();
    // Fisher–Yates with the seeded generator, then keep the first `cap`.
    for i in (1..paths.len()).rev() {
        let j = rng.below(i + 1);
        paths.swap(i, j);
    }
    paths.truncate(cap);
    paths.sort();
    Ok(paths)
}

/// Compares every profile of `policy` on every path, for owned and not-owned files.
/// `other` returns `None` when it does not know the profile (counted, not compared).
pub fn compare<F>(
    subject: &str,
    policy: &BinaryPolicy,
    paths: &[String],
    mut other: F,
) -> Result<(Stats, Vec<Disagreement>), OracleError>
where
    F: FnMut(&str, &str, bool) -> Option<Answer>,
{
    let mut stats = Stats {
        subject: subject.to_string(),
        paths: paths.len(),
        ..Stats::default()
    };
    let mut disagreements = Vec::new();
    for profile in policy.profiles() {
        let compiled = policy.profile(&profile)?;
        let mut known = true;
        for path in paths {
            for owner in [true, false] {
                let o = compiled.file_perms(path, owner)?;
                let oracle = Answer {
                    allow: o.allow.clone(),
                    exec: o.exec_letters(),
                    audit: Some(o.audit.clone()),
                    quiet: Some(o.quiet.clone()),
                };
                let Some(theirs) = other(&profile, path, owner) else {
                    known = false;
                    break;
                };
                stats.queries += 1;
                if agrees(&oracle, &theirs) {
                    stats.agreed += 1;
                } else {
                    disagreements.push(Disagreement {
                        subject: subject.to_string(),
                        profile: profile.clone(),
                        path: path.clone(),
                        owner,
                        oracle,
                        other: theirs,
                    });
                }
            }
            if !known {
                break;
            }
        }
        if known {
            stats.profiles += 1;
        } else {
            stats.unknown_profiles += 1;
        }
    }
    Ok((stats, disagreements))
}

/// What the kernel's behaviour lets one observe of an answer, without `l`:
/// allowed letters, the exec transition, which allowed accesses are audited, and which
/// denied accesses are silent. (Audit bits on denied accesses and quiet bits on allowed
/// ones have no effect; a denial that is not quiet is always logged. `l` on a single path
/// is only the first half of the kernel's link check, which [`compare_links`] tests on
/// whole link pairs.)
fn observable(a: &Answer) -> (String, Option<String>, Option<String>, Option<String>) {
    let allow: String = a.allow.chars().filter(|&c| c != 'l').collect();
    let keep = |set: &Option<String>, allowed: bool| {
        set.as_ref().map(|s| {
            s.chars()
                .filter(|&c| c != 'l' && allow.contains(c) == allowed)
                .collect::<String>()
        })
    };
    let exec = if allow.contains('x') {
        a.exec.clone()
    } else {
        None
    };
    let audit = keep(&a.audit, true);
    let quiet = keep(&a.quiet, false);
    (allow, exec, audit, quiet)
}

/// Equal observable behaviour; exec, audit and quiet are compared when the other side
/// reports them (the oracle always does).
fn agrees(oracle: &Answer, other: &Answer) -> bool {
    let (oa, ox, oau, oq) = observable(oracle);
    let (ta, tx, tau, tq) = observable(other);
    let opt = |a: &Option<String>, b: &Option<String>| b.is_none() || a == b;
    oa == ta && opt(&ox, &tx) && opt(&oau, &tau) && opt(&oq, &tq)
}

/// A link pair on which the two sides differ.
#[derive(Debug, Clone)]
pub struct LinkDisagreement {
    /// The subject label.
    pub subject: String,
    /// The profile asked.
    pub profile: String,
    /// The new link's name.
    pub link: String,
    /// The existing file it would point to.
    pub target: String,
    /// Whether the task owns the target.
    pub owner: bool,
    /// The oracle's decision (`Allowed` or `Denied(reason)`).
    pub oracle: String,
    /// Whether the other side allows it.
    pub other_allows: bool,
}

/// Compares hard-link decisions on pairs drawn from `paths`: each sampled link name with
/// the next path, itself and `/etc/shadow` as targets, for owned and not-owned targets.
/// Returns (compared, agreed, disagreements).
pub fn compare_links<F>(
    subject: &str,
    policy: &BinaryPolicy,
    paths: &[String],
    sample: usize,
    mut other: F,
) -> Result<(usize, usize, Vec<LinkDisagreement>), OracleError>
where
    F: FnMut(&str, &str, &str, bool) -> Option<bool>,
{
    let step = (paths.len() / sample.max(1)).max(1);
    let (mut compared, mut agreed) = (0, 0);
    let mut bad = Vec::new();
    for profile in policy.profiles() {
        let compiled = policy.profile(&profile)?;
        for (i, link) in paths.iter().enumerate().step_by(step) {
            let next = paths.get(i + 1).unwrap_or(link);
            for target in [next.as_str(), link.as_str(), "/etc/shadow"] {
                for owner in [true, false] {
                    let o = compiled.link_allowed(link, target, owner)?;
                    let Some(theirs) = other(&profile, link, target, owner) else {
                        continue;
                    };
                    compared += 1;
                    if (o == crate::policy::LinkDecision::Allowed) == theirs {
                        agreed += 1;
                    } else {
                        bad.push(LinkDisagreement {
                            subject: subject.to_string(),
                            profile: profile.clone(),
                            link: link.clone(),
                            target: target.to_string(),
                            owner,
                            oracle: format!("{o:?}"),
                            other_allows: theirs,
                        });
                    }
                }
            }
        }
    }
    Ok((compared, agreed, bad))
}
