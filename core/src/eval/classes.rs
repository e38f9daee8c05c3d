//! Decisions for the classes other than files: capability, network, signal, ptrace, the
//! mount family, unix, dbus, change_profile, userns, io_uring, mqueue and rlimit.
//!
//! Each class keeps the same allow/deny/audit/quiet/priority arithmetic as files (one bit:
//! the access asked about); what differs is how a rule is matched against the query.

use super::{
    rank, CProfile, CompiledPolicy, DecidingRule, Decision, Query, Verdict, EXPLICIT_MARKER,
};
use crate::diagnostics::Diagnostic;
use crate::glob::{self, GlobSet};
use crate::model::{AccessRule, Cond, Effect, Rule, RuleKind};
use crate::resolve::tables::{NETWORK_FAMILIES, NETWORK_TYPES};

/// One non-file rule, with its globs compiled into the profile's misc set.
#[derive(Debug)]
struct CRule {
    rule: usize,
    deny: bool,
    audit: bool,
    priority: i32,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    All,
    Capability(Vec<String>),
    Network(Access),
    Unix(Access),
    Signal(Access),
    Ptrace(Access),
    Dbus(Access),
    Mqueue(Access),
    IoUring(Access),
    Userns(Access),
    Mount(MountC),
    Remount(MountC),
    Umount(MountC),
    PivotRoot(MountC),
    /// Target glob; whether the rule names an exec condition (change_onexec only).
    ChangeProfile(Option<usize>, bool),
    Rlimit {
        resource: String,
        value: String,
    },
}

/// A condition with one compiled glob per value.
#[derive(Debug)]
struct CCond {
    key: String,
    values: Vec<String>,
    globs: Vec<usize>,
    is_in: bool,
}

#[derive(Debug)]
struct Access {
    access: Vec<String>,
    conds: Vec<CCond>,
    peer: Vec<CCond>,
    words: Vec<String>,
    word_globs: Vec<usize>,
}

#[derive(Debug)]
struct MountC {
    conds: Vec<CCond>,
    source: Option<usize>,
    target: Option<usize>,
    target_text: Option<String>,
}

/// Collects non-file rules while a profile compiles.
#[derive(Debug, Default)]
pub(super) struct Builder {
    rules: Vec<CRule>,
    globs: Vec<glob::Glob>,
}

/// The compiled non-file rules of a profile.
#[derive(Debug)]
pub(super) struct ClassRules {
    rules: Vec<CRule>,
    globs: GlobSet,
}

impl Builder {
    /// Compiles a path glob (slashes collapsed, as the parser does for paths).
    fn glob(&mut self, pattern: &str, rule: &Rule, errors: &mut Vec<Diagnostic>) -> usize {
        self.glob_as(pattern, true, rule, errors)
    }

    /// Compiles a glob; labels, bus names and the like keep their slashes (`a//b` is a
    /// child profile, not `a/b`).
    fn glob_as(
        &mut self,
        pattern: &str,
        path: bool,
        rule: &Rule,
        errors: &mut Vec<Diagnostic>,
    ) -> usize {
        let parse = |t: &str| {
            if path {
                glob::parse(t)
            } else {
                glob::parse_unfiltered(t)
            }
        };
        // A condition value the glob compiler refuses (such as a trailing `\\` left by an
        // escaped blank) still names something: match it literally rather than refuse a
        // profile apparmor_parser accepts.
        let parsed = parse(pattern).or_else(|e| parse(&literal(pattern)).map_err(|_| e));
        match parsed {
            Ok(g) => {
                self.globs.push(g);
                self.globs.len() - 1
            }
            Err(e) => {
                errors.push(Diagnostic::error(
                    "bad-glob",
                    format!("cannot compile `{pattern}`: {e}"),
                    rule.location.file,
                    rule.location.span,
                ));
                usize::MAX
            }
        }
    }

    fn conds(&mut self, conds: &[Cond], rule: &Rule, errors: &mut Vec<Diagnostic>) -> Vec<CCond> {
        conds
            .iter()
            .map(|c| CCond {
                key: c.key.clone(),
                values: c.values.clone(),
                // Only addresses and mount points are paths; labels, names and the
                // like keep their slashes (`a//b` is a child profile).
                globs: c
                    .values
                    .iter()
                    .map(|v| {
                        let path = matches!(c.key.as_str(), "addr" | "oldroot");
                        self.glob_as(v, path, rule, errors)
                    })
                    .collect(),
                is_in: c.is_in,
            })
            .collect()
    }

    fn access(&mut self, a: &AccessRule, rule: &Rule, errors: &mut Vec<Diagnostic>) -> Access {
        let conds = self.conds(&a.conds, rule, errors);
        let peer = self.conds(&a.peer, rule, errors);
        let word_globs = a.words.iter().map(|w| self.glob(w, rule, errors)).collect();
        Access {
            access: a.access.iter().map(|s| s.to_ascii_lowercase()).collect(),
            conds,
            peer,
            words: a.words.iter().map(|s| s.to_ascii_lowercase()).collect(),
            word_globs,
        }
    }

    /// Adds a rule of any non-file class.
    pub(super) fn add(&mut self, idx: usize, rule: &Rule, errors: &mut Vec<Diagnostic>) {
        let mountc =
            |b: &mut Builder, m: &crate::model::MountRule, errors: &mut Vec<Diagnostic>| MountC {
                conds: b.conds(&m.conds, rule, errors),
                source: m.source.as_deref().map(|s| b.glob(s, rule, errors)),
                target: m.target.as_deref().map(|s| b.glob(s, rule, errors)),
                target_text: m.target.clone(),
            };
        let kind = match &rule.kind {
            RuleKind::File(_) | RuleKind::Link(_) => return,
            RuleKind::All => Kind::All,
            RuleKind::Capability { names } => Kind::Capability(
                names
                    .iter()
                    .map(|n| n.to_ascii_lowercase().trim_start_matches("cap_").to_owned())
                    .collect(),
            ),
            RuleKind::Network(a) => Kind::Network(self.access(a, rule, errors)),
            RuleKind::Unix(a) => Kind::Unix(self.access(a, rule, errors)),
            RuleKind::Signal(a) => Kind::Signal(self.access(a, rule, errors)),
            RuleKind::Ptrace(a) => Kind::Ptrace(self.access(a, rule, errors)),
            RuleKind::Dbus(a) => Kind::Dbus(self.access(a, rule, errors)),
            RuleKind::Mqueue(a) => Kind::Mqueue(self.access(a, rule, errors)),
            RuleKind::IoUring(a) => Kind::IoUring(self.access(a, rule, errors)),
            RuleKind::Userns(a) => Kind::Userns(self.access(a, rule, errors)),
            RuleKind::Mount(m) => Kind::Mount(mountc(self, m, errors)),
            RuleKind::Remount(m) => Kind::Remount(mountc(self, m, errors)),
            RuleKind::Umount(m) => Kind::Umount(mountc(self, m, errors)),
            RuleKind::PivotRoot(m) => Kind::PivotRoot(mountc(self, m, errors)),
            RuleKind::ChangeProfile(c) => Kind::ChangeProfile(
                c.target
                    .as_deref()
                    .map(|t| self.glob_as(t, false, rule, errors)),
                c.exec_cond.is_some(),
            ),
            RuleKind::Rlimit { resource, value } => Kind::Rlimit {
                resource: resource.to_ascii_lowercase(),
                value: value.clone(),
            },
        };
        self.rules.push(CRule {
            rule: idx,
            deny: rule.qualifiers.effect == Effect::Deny,
            audit: rule.qualifiers.audit,
            priority: rule.qualifiers.priority,
            kind,
        });
    }

    /// Compiles the collected globs.
    pub(super) fn finish(self, errors: &mut Vec<Diagnostic>) -> Option<ClassRules> {
        match GlobSet::new(&self.globs) {
            Ok(globs) => Some(ClassRules {
                rules: self.rules,
                globs,
            }),
            Err(e) => {
                errors.push(Diagnostic::error(
                    "glob-set",
                    format!("cannot compile the rule conditions: {e}"),
                    crate::source::FileId(0),
                    crate::source::Span::default(),
                ));
                None
            }
        }
    }
}

/// Escapes every glob operator so that the text matches only itself.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '?' | '[' | ']' | '{' | '}' | ',' | '^') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl ClassRules {
    #[cfg(test)]
    pub(super) fn debug_gm(&self, idx: usize, s: &str) -> bool {
        self.gm(idx, s)
    }

    fn gm(&self, idx: usize, s: &str) -> bool {
        idx != usize::MAX && self.globs.is_match(idx, s)
    }

    /// Whether a condition with key `key` (if the rule has one) accepts `value`. A rule
    /// without the condition accepts anything; a rule with it rejects a query that leaves
    /// the value out.
    fn cond_ok(&self, conds: &[CCond], key: &str, value: Option<&str>) -> bool {
        conds.iter().filter(|c| c.key == key).all(|c| match value {
            None => false,
            Some(v) => c.globs.iter().any(|&g| self.gm(g, v)),
        })
    }
}

/// Expands the short access letters of a class into its access words.
fn access_words(access: &[String], class: &str) -> Vec<String> {
    let mut out = Vec::new();
    for a in access {
        let expanded: &[&str] = match (class, a.as_str()) {
            ("signal", "r") => &["receive"],
            ("signal", "w") => &["send"],
            ("signal", "rw") => &["send", "receive"],
            ("ptrace", "r") => &["read"],
            ("ptrace", "w") => &["trace"],
            ("ptrace", "rw") => &["read", "trace"],
            ("dbus", "r") => &["receive"],
            ("dbus", "w") => &["send"],
            ("dbus", "rw") => &["send", "receive"],
            ("unix" | "network", "r") => &["receive", "getattr", "getopt"],
            ("unix" | "network", "w") => &["create", "connect", "send", "setattr", "setopt"],
            ("unix" | "network", "rw") => &[
                "receive", "getattr", "getopt", "create", "connect", "send", "setattr", "setopt",
            ],
            ("mqueue", "r") => &["read", "getattr"],
            ("mqueue", "w") => &["write", "create", "setattr", "delete"],
            ("mqueue", "rw") => &["read", "getattr", "write", "create", "setattr", "delete"],
            _ => {
                out.push(a.clone());
                continue;
            }
        };
        out.extend(expanded.iter().map(|s| (*s).to_owned()));
    }
    out
}

fn access_ok(rule_access: &[String], class: &str, want: &str) -> bool {
    rule_access.is_empty() || access_words(rule_access, class).iter().any(|a| a == want)
}

/// The socket type a protocol keyword implies (the parser turns `tcp` into a stream rule).
fn proto_type(proto: &str) -> Option<&'static str> {
    match proto {
        "tcp" => Some("stream"),
        "udp" => Some("dgram"),
        "icmp" | "icmpv6" => Some("raw"),
        _ => None,
    }
}

struct NetRule<'a> {
    domain: Option<&'a str>,
    sock_type: Option<&'a str>,
    protocol: Option<&'a str>,
}

fn net_rule(a: &Access) -> NetRule<'_> {
    let mut r = NetRule {
        domain: None,
        sock_type: None,
        protocol: None,
    };
    for w in &a.words {
        let w = w.as_str();
        let w = if w == "local" { "unix" } else { w };
        if NETWORK_FAMILIES.contains(&w) {
            r.domain = Some(w);
        } else if NETWORK_TYPES.contains(&w) {
            r.sock_type = Some(w);
        } else {
            r.protocol = Some(w);
        }
    }
    r
}

fn net_match(a: &Access, domain: &str, sock_type: Option<&str>, protocol: Option<&str>) -> bool {
    let r = net_rule(a);
    if !a.access.is_empty() && !access_ok(&a.access, "network", "create") {
        return false;
    }
    let q_type = sock_type.or_else(|| protocol.and_then(proto_type));
    if r.domain.is_some_and(|d| d != domain) {
        return false;
    }
    if let Some(t) = r.sock_type {
        if q_type != Some(t) {
            return false;
        }
    }
    if let Some(p) = r.protocol {
        let implied = proto_type(p);
        match (protocol, implied) {
            (Some(qp), _) if qp == p => {}
            (None, Some(t)) if q_type == Some(t) => {}
            _ => return false,
        }
    }
    true
}

/// Parses an rlimit value into a comparable number (`infinity` is the largest).
fn rlimit_value(s: &str) -> Option<u128> {
    let s = s.trim().to_ascii_lowercase();
    if s == "infinity" || s == "unlimited" {
        return Some(u128::MAX);
    }
    let digits: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    let unit = s.get(digits.len()..).unwrap_or("").trim();
    let n: i128 = digits.parse().ok()?;
    let mult: u128 = match unit {
        "" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        "us" => 1,
        "ms" => 1_000,
        "s" | "sec" | "seconds" => 1_000_000,
        "min" | "minutes" => 60_000_000,
        "h" | "hours" => 3_600_000_000,
        _ => return None,
    };
    // Nice values run from -20 to 19; shift them so that they compare as numbers.
    let shifted = u128::try_from(n.saturating_add(1 << 20)).ok()?;
    shifted.checked_mul(mult)
}

/// The access word a query asks for and the class it belongs to.
fn query_access(q: &Query) -> (String, &'static str) {
    match q {
        Query::File { .. } => (String::new(), "file"),
        Query::Capability { name } => (name.clone(), "capability"),
        Query::Network { .. } => ("create".to_owned(), "network"),
        Query::Signal { access, .. } => (access.clone(), "signal"),
        Query::Ptrace { access, .. } => (access.clone(), "ptrace"),
        Query::Mount { .. } => ("mount".to_owned(), "mount"),
        Query::Remount { .. } => ("remount".to_owned(), "remount"),
        Query::Umount { .. } => ("umount".to_owned(), "umount"),
        Query::PivotRoot { .. } => ("pivot_root".to_owned(), "pivot_root"),
        Query::Unix { access, .. } => (access.clone(), "unix"),
        Query::Dbus { access, .. } => (access.clone(), "dbus"),
        Query::ChangeProfile { .. } => ("change_profile".to_owned(), "change_profile"),
        Query::Userns { access } => (access.clone(), "userns"),
        Query::IoUring { access, .. } => (access.clone(), "io_uring"),
        Query::Mqueue { access, .. } => (access.clone(), "mqueue"),
        Query::Rlimit { resource, .. } => (resource.clone(), "rlimit"),
    }
}

fn mount_conds_ok(c: &ClassRules, m: &MountC, fstype: Option<&str>, options: &[String]) -> bool {
    if !c.cond_ok(&m.conds, "fstype", fstype) && m.conds.iter().any(|k| k.key == "fstype") {
        return false;
    }
    for k in m.conds.iter().filter(|k| k.key == "options") {
        let allowed: Vec<String> = k
            .values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        let want: Vec<String> = options.iter().map(|s| s.to_ascii_lowercase()).collect();
        let ok = if k.is_in {
            want.iter().all(|w| allowed.contains(w))
        } else {
            want.iter().all(|w| allowed.contains(w)) && allowed.iter().all(|a| want.contains(a))
        };
        if !ok {
            return false;
        }
    }
    true
}

fn opt_glob(c: &ClassRules, g: Option<usize>, value: Option<&str>) -> bool {
    match (g, value) {
        (None, _) => true,
        (Some(g), Some(v)) => c.gm(g, v),
        (Some(_), None) => false,
    }
}

impl CompiledPolicy {
    /// Whether unix sockets are still covered by `network` rules (ABI before 4.0).
    fn network_covers_unix(&self) -> bool {
        self.abi_major.is_none_or(|m| m < 4)
    }
}

fn rule_matches(pol: &CompiledPolicy, c: &ClassRules, r: &CRule, q: &Query) -> bool {
    match (&r.kind, q) {
        (Kind::All, _) => true,
        (Kind::Capability(names), Query::Capability { name }) => {
            names.is_empty() || names.iter().any(|n| n == name)
        }
        (
            Kind::Network(a),
            Query::Network {
                domain,
                sock_type,
                protocol,
            },
        ) => {
            if domain == "unix" && !pol.network_covers_unix() && net_rule(a).domain != Some("unix")
            {
                return false;
            }
            net_match(a, domain, sock_type.as_deref(), protocol.as_deref())
        }
        // Creating a unix socket is also what a `unix (create)` rule allows (the parser
        // then opens the unix family in the network table and leaves the rest to the
        // unix rules).
        (
            Kind::Unix(a),
            Query::Network {
                domain, sock_type, ..
            },
        ) if domain == "unix" => {
            access_ok(&a.access, "unix", "create")
                && c.cond_ok(&a.conds, "type", sock_type.as_deref())
                && a.peer.is_empty()
                && a.conds.iter().all(|k| k.key == "type")
        }
        (Kind::Network(a), Query::Unix { sock_type, .. }) => {
            let nr = net_rule(a);
            (pol.network_covers_unix() || nr.domain == Some("unix"))
                && net_match(a, "unix", sock_type.as_deref(), None)
        }
        (
            Kind::Unix(a),
            Query::Unix {
                access,
                sock_type,
                addr,
                peer,
                peer_addr,
            },
        ) => {
            access_ok(&a.access, "unix", access)
                && c.cond_ok(&a.conds, "type", sock_type.as_deref())
                && c.cond_ok(&a.conds, "addr", addr.as_deref())
                && c.cond_ok(&a.peer, "label", peer.as_deref())
                && c.cond_ok(&a.peer, "addr", peer_addr.as_deref())
        }
        (
            Kind::Signal(a),
            Query::Signal {
                access,
                signal,
                peer,
            },
        ) => {
            access_ok(&a.access, "signal", access)
                && a.conds.iter().filter(|k| k.key == "set").all(|k| {
                    signal.as_deref().is_some_and(|s| {
                        k.values.iter().any(|v| {
                            let v = v.to_ascii_lowercase();
                            v == s || v.strip_prefix("sig") == Some(s)
                        })
                    })
                })
                && c.cond_ok(&a.peer, "label", Some(peer))
        }
        (Kind::Ptrace(a), Query::Ptrace { access, peer }) => {
            access_ok(&a.access, "ptrace", access) && c.cond_ok(&a.peer, "label", Some(peer))
        }
        (
            Kind::Dbus(a),
            Query::Dbus {
                access,
                bus,
                path,
                interface,
                member,
                name,
                peer,
                peer_name,
            },
        ) => {
            access_ok(&a.access, "dbus", access)
                && c.cond_ok(&a.conds, "bus", bus.as_deref())
                && c.cond_ok(&a.conds, "path", path.as_deref())
                && c.cond_ok(&a.conds, "interface", interface.as_deref())
                && c.cond_ok(&a.conds, "member", member.as_deref())
                && c.cond_ok(&a.conds, "name", name.as_deref())
                && c.cond_ok(&a.peer, "label", peer.as_deref())
                && c.cond_ok(&a.peer, "name", peer_name.as_deref())
        }
        (
            Kind::Mqueue(a),
            Query::Mqueue {
                access,
                mq_type,
                name,
            },
        ) => {
            access_ok(&a.access, "mqueue", access)
                && c.cond_ok(&a.conds, "type", mq_type.as_deref())
                && (a.word_globs.is_empty() || a.word_globs.iter().any(|&g| c.gm(g, name)))
        }
        (Kind::IoUring(a), Query::IoUring { access, label }) => {
            access_ok(&a.access, "io_uring", access)
                && c.cond_ok(&a.conds, "label", label.as_deref())
        }
        (Kind::Userns(a), Query::Userns { access }) => access_ok(&a.access, "userns", access),
        (
            Kind::Mount(m),
            Query::Mount {
                fstype,
                options,
                source,
                target,
            },
        ) => {
            mount_conds_ok(c, m, fstype.as_deref(), options)
                && opt_glob(c, m.source, Some(source))
                && opt_glob(c, m.target, Some(target))
        }
        // A `mount` rule also covers remounts (a remount is a mount with MS_REMOUNT); its
        // mount point is the `->` part.
        (
            Kind::Mount(m),
            Query::Remount {
                fstype,
                options,
                target,
            },
        ) => {
            m.source.is_none()
                && mount_conds_ok(c, m, fstype.as_deref(), options)
                && opt_glob(c, m.target, Some(target))
        }
        (
            Kind::Remount(m),
            Query::Remount {
                fstype,
                options,
                target,
            },
        ) => {
            mount_conds_ok(c, m, fstype.as_deref(), options) && opt_glob(c, m.source, Some(target))
        }
        (Kind::Umount(m), Query::Umount { target }) => opt_glob(c, m.source, Some(target)),
        (
            Kind::PivotRoot(m),
            Query::PivotRoot {
                old_root,
                new_root,
                profile,
            },
        ) => {
            c.cond_ok(&m.conds, "oldroot", old_root.as_deref())
                && opt_glob(c, m.source, Some(new_root))
                && match (&m.target_text, profile) {
                    (None, _) => true,
                    (Some(t), Some(p)) => t == p,
                    (Some(_), None) => false,
                }
        }
        // A rule with an exec condition allows the change only on exec of that program
        // (change_onexec), not the immediate change asked about here.
        (Kind::ChangeProfile(t, exec_cond), Query::ChangeProfile { target }) => {
            !exec_cond && opt_glob(c, *t, Some(target))
        }
        (
            Kind::Rlimit { resource, .. },
            Query::Rlimit {
                resource: want_r, ..
            },
        ) => resource == want_r,
        _ => false,
    }
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::All => "all",
        Kind::Capability(_) => "capability",
        Kind::Network(_) => "network",
        Kind::Unix(_) => "unix",
        Kind::Signal(_) => "signal",
        Kind::Ptrace(_) => "ptrace",
        Kind::Dbus(_) => "dbus",
        Kind::Mqueue(_) => "mqueue",
        Kind::IoUring(_) => "io_uring",
        Kind::Userns(_) => "userns",
        Kind::Mount(_) => "mount",
        Kind::Remount(_) => "remount",
        Kind::Umount(_) => "umount",
        Kind::PivotRoot(_) => "pivot_root",
        Kind::ChangeProfile(..) => "change_profile",
        Kind::Rlimit { .. } => "rlimit",
    }
}

/// Decides a non-file query.
pub(super) fn decide(pol: &CompiledPolicy, p: &CProfile, q: &Query) -> Decision {
    let c = &p.others;
    let (want, class) = query_access(q);
    let mut notes = Vec::new();

    // Resource limits are not permissions: a `set rlimit` rule caps the hard limit.
    if let Query::Rlimit { resource, value } = q {
        return decide_rlimit(p, q, resource, value);
    }

    let matched: Vec<&CRule> = c
        .rules
        .iter()
        .filter(|r| !matches!(r.kind, Kind::Rlimit { .. }))
        .filter(|r| rule_matches(pol, c, r, q))
        .collect();
    let best = matched
        .iter()
        .map(|r| rank(r.priority, r.deny, false))
        .max();
    let winners: Vec<&&CRule> = matched
        .iter()
        .filter(|r| Some(rank(r.priority, r.deny, false)) == best)
        .collect();
    let denied_by_rule = winners.iter().any(|r| r.deny);
    let allowed = !winners.is_empty() && !denied_by_rule;
    let audit = allowed && winners.iter().any(|r| r.audit);
    let quiet = denied_by_rule && !winners.iter().any(|r| r.deny && r.audit);
    let rules: Vec<DecidingRule> = winners
        .iter()
        .filter(|r| r.deny == denied_by_rule)
        .filter_map(|r| {
            pol.deciding(
                p,
                r.rule,
                if r.deny { Effect::Deny } else { Effect::Allow },
                want.clone(),
            )
        })
        .collect();
    if !allowed && !denied_by_rule {
        notes.push(format!(
            "no `{class}` rule allows `{want}`; AppArmor denies what no rule allows"
        ));
    }
    if denied_by_rule {
        notes.push(format!(
            "`{want}` is refused by a deny rule, which no allow rule at the same priority can \
             override"
        ));
        notes.push(format!("{EXPLICIT_MARKER}{want}"));
    }
    if winners.iter().any(|r| matches!(r.kind, Kind::All)) {
        notes.push("`all,` grants every access of every class".to_owned());
    }
    match q {
        Query::Unix { .. } | Query::Network { .. } => {
            let via_network = winners.iter().any(|r| matches!(r.kind, Kind::Network(_)));
            let is_unix = matches!(q, Query::Unix { .. })
                || matches!(q, Query::Network { domain, .. } if domain == "unix");
            if is_unix {
                match (&pol.abi_text, pol.network_covers_unix()) {
                    (Some(abi), true) if via_network => notes.push(format!(
                        "under `abi <{abi}>` a `network` rule also covers unix sockets"
                    )),
                    (None, true) if via_network => notes.push(
                        "no `abi` is declared: with apparmor_parser 3.0 a `network` rule also \
                         covers unix sockets; under `abi <abi/4.0>` it no longer does"
                            .to_owned(),
                    ),
                    (Some(abi), false) => notes.push(format!(
                        "under `abi <{abi}>` a bare `network` rule no longer grants unix \
                         sockets; `unix` rules decide"
                    )),
                    _ => {}
                }
            }
            if matches!(q, Query::Network { .. }) {
                notes.push(
                    "the kernel mediates sockets by family and type; the protocol only selects \
                     the type"
                        .to_owned(),
                );
                // Booted and checked in tests/kernel/run.sh: docker-default's `deny network
                // alg` refuses an AF_ALG socket on Linux 6.1 when loaded with Debian's own
                // parser.conf. apparmor_parser 3.0.8 writes network rules only when it knows
                // the kernel's features: compiled where there is no kernel to read them
                // from (a container, `-Q -K`), the binary policy has none, which is why it
                // looked unmediated when only compiled; `--kernel-features FILE` brings
                // them back.
                notes.push(
                    "Debian 12's Linux 6.1 enforces these family and type rules when the \
                     profile is loaded (apparmor_parser 3.0.8 with Debian's parser.conf, \
                     booted and tested); a policy compiled where no kernel features can be \
                     read (e.g. `apparmor_parser -Q -K` in a container without \
                     `--kernel-features`) carries no network rules at all"
                        .to_owned(),
                );
                // Also booted: without an abi rule the parser falls back to the policy
                // features of parser.conf, and with none named there to an old default ABI
                // that predates network rules.
                if pol.abi_text.is_none() {
                    notes.push(
                        "no `abi` is declared: Debian's parser.conf names a pinned feature set \
                         that has network rules, so on Debian 12 this verdict holds; where \
                         parser.conf names no policy features, apparmor_parser 3.0.8 falls \
                         back to an old default ABI without network rules and Linux 6.1 lets \
                         every socket through (booted and tested); declare \
                         `abi <abi/3.0>,` to make the rules independent of parser.conf"
                            .to_owned(),
                    );
                }
            }
            if matches!(q, Query::Unix { .. }) {
                notes.push(
                    "fine-grained unix socket mediation needs a kernel with AppArmor's af_unix \
                     mediation (Ubuntu's kernels carry it); Debian 12's Linux 6.1 does not \
                     mediate unix sockets by these rules"
                        .to_owned(),
                );
            }
        }
        Query::Userns { .. } | Query::IoUring { .. } | Query::Mqueue { .. } => notes.push(format!(
            "Debian 12's Linux 6.1 does not mediate `{class}` rules (that came with newer \
             kernels and AppArmor 4): there the access goes through whatever the rules say; \
             this verdict is what mediating kernels enforce"
        )),
        Query::Dbus { .. } => notes.push(
            "D-Bus rules are enforced by the bus daemon (dbus-daemon or dbus-broker with \
             AppArmor support), which asks the kernel's policy; this decision is what it gets"
                .to_owned(),
        ),
        Query::Signal { .. } | Query::Ptrace { .. } => notes.push(
            "the kernel also asks the peer's profile (the other direction); this decision \
             covers this profile's side only"
                .to_owned(),
        ),
        _ => {}
    }
    for r in &winners {
        if !matches!(
            (kind_name(&r.kind), class),
            (a, b) if a == b
        ) && !matches!(r.kind, Kind::All)
        {
            notes.push(format!(
                "a `{}` rule decides this `{class}` access",
                kind_name(&r.kind)
            ));
        }
    }
    notes.dedup();
    Decision {
        query: q.to_string(),
        profile: p.name.clone(),
        verdict: if allowed {
            Verdict::Allow
        } else {
            Verdict::Deny
        },
        allowed: if allowed { want.clone() } else { String::new() },
        denied: if allowed { String::new() } else { want.clone() },
        audit: if audit { want.clone() } else { String::new() },
        quiet: if quiet { want } else { String::new() },
        exec: None,
        mode: p.mode,
        complain_note: None,
        notes,
        rules,
    }
}

fn decide_rlimit(p: &CProfile, q: &Query, resource: &str, value: &str) -> Decision {
    let c = &p.others;
    let mut notes = Vec::new();
    let want = rlimit_value(value);
    let mut limiting: Option<(&CRule, u128, &str)> = None;
    for r in &c.rules {
        if let Kind::Rlimit {
            resource: res,
            value: v,
        } = &r.kind
        {
            if res == resource {
                if let Some(n) = rlimit_value(v) {
                    if limiting.is_none_or(|(_, m, _)| n < m) {
                        limiting = Some((r, n, v.as_str()));
                    }
                }
            }
        }
    }
    let allowed = match (want, limiting) {
        (_, None) => {
            notes.push(format!(
                "no `set rlimit {resource}` rule: the profile does not limit it"
            ));
            true
        }
        (Some(w), Some((_, lim, v))) => {
            notes.push(format!(
                "`set rlimit {resource} <= {v}` caps the hard limit at load and exec"
            ));
            w <= lim
        }
        (None, Some(_)) => {
            notes.push(format!("cannot read `{value}` as a limit"));
            false
        }
    };
    let rules = limiting
        .into_iter()
        .filter_map(|(r, _, _)| {
            p.rules.get(r.rule).map(|ri| DecidingRule {
                text: ri.text.clone(),
                file: ri.file.clone(),
                line: ri.line,
                column: ri.column,
                span: ri.span,
                effect: if allowed { Effect::Allow } else { Effect::Deny },
                perms: resource.to_owned(),
                implicit: ri.implicit,
            })
        })
        .collect();
    Decision {
        query: q.to_string(),
        profile: p.name.clone(),
        verdict: if allowed {
            Verdict::Allow
        } else {
            Verdict::Deny
        },
        allowed: if allowed {
            resource.to_owned()
        } else {
            String::new()
        },
        denied: if allowed {
            String::new()
        } else {
            resource.to_owned()
        },
        audit: String::new(),
        quiet: String::new(),
        exec: None,
        mode: p.mode,
        complain_note: None,
        notes,
        rules,
    }
}
