//! What a rule's tokens mean, class by class, and the checks apparmor_parser makes on
//! each class.

use super::{tables, Ctx, Resolver};
use crate::model::{
    AccessRule, ChangeProfileRule, Cond, Effect, ExecKind, ExecMode, FilePerms, FileRule, LinkRule,
    MountRule, Owner, Qualifiers, Rule, RuleKind,
};
use crate::source::Span;
use crate::syntax::{Token, TokenKind};

/// Interprets a rule's tokens (qualifiers already removed). Reports problems and returns
/// the rule kinds (usually one; none when the rule is broken).
pub(super) fn interpret(
    r: &mut Resolver,
    toks: &[Token],
    q: Qualifiers,
    span: Span,
    ctx: &Ctx,
) -> Vec<RuleKind> {
    let Some(first) = toks.first() else {
        return Vec::new();
    };
    let rest = toks.get(1..).unwrap_or(&[]);
    let kw = if first.kind == TokenKind::Word {
        first.text.as_str()
    } else {
        ""
    };
    let owner_ok = owner_applies(kw);
    if q.owner != crate::model::Owner::Any && !owner_ok {
        let msg = format!("`owner` and `other` apply only to file rules, not to `{kw}`");
        r.err_help(
            ctx,
            "invalid-qualifier",
            msg,
            first.span,
            "remove the qualifier",
        );
        return Vec::new();
    }
    // Rule classes added in AppArmor 4.0: a 3.0 parser stops at the keyword.
    if matches!(kw, "all" | "userns" | "io_uring" | "mqueue") {
        let what = format!("the `{kw}` rule");
        r.needs_newer(ctx, &what, "4.0", first.span);
    }
    let out = match kw {
        "capability" => capability(r, rest, ctx),
        "network" => network(r, rest, span, ctx),
        "unix" => access_rule(r, rest, ctx, Class::Unix).map(RuleKind::Unix),
        "signal" => access_rule(r, rest, ctx, Class::Signal).map(RuleKind::Signal),
        "ptrace" => access_rule(r, rest, ctx, Class::Ptrace).map(RuleKind::Ptrace),
        "dbus" => access_rule(r, rest, ctx, Class::Dbus).map(RuleKind::Dbus),
        "mqueue" => access_rule(r, rest, ctx, Class::Mqueue).map(RuleKind::Mqueue),
        "io_uring" => access_rule(r, rest, ctx, Class::IoUring).map(RuleKind::IoUring),
        "userns" => access_rule(r, rest, ctx, Class::Userns).map(RuleKind::Userns),
        "mount" => mount(r, rest, ctx, MountKind::Mount).map(RuleKind::Mount),
        "remount" => mount(r, rest, ctx, MountKind::Remount).map(RuleKind::Remount),
        "umount" | "unmount" => mount(r, rest, ctx, MountKind::Umount).map(RuleKind::Umount),
        "pivot_root" => mount(r, rest, ctx, MountKind::PivotRoot).map(RuleKind::PivotRoot),
        "change_profile" => change_profile(r, rest, ctx),
        "set" => rlimit(r, rest, span, ctx),
        "all" => {
            if rest.is_empty() {
                Some(RuleKind::All)
            } else {
                bad(r, ctx, rest, "`all` takes no arguments")
            }
        }
        "link" => link(r, rest, span, ctx),
        "file" => {
            if rest.is_empty() {
                // apparmor_parser turns `file,` into `/{**,}` with every base permission
                // and inherit-exec.
                Some(RuleKind::File(FileRule {
                    path: None,
                    perms: FilePerms::READ
                        .union(FilePerms::WRITE)
                        .union(FilePerms::APPEND)
                        .union(FilePerms::EXEC)
                        .union(FilePerms::MMAP)
                        .union(FilePerms::LOCK)
                        .union(FilePerms::LINK),
                    exec: Some(ExecMode {
                        kind: ExecKind::Inherit,
                        scrub: false,
                        fallback: None,
                        target: None,
                    }),
                }))
            } else {
                return file(r, rest, q, span, ctx);
            }
        }
        "change_hat" => {
            r.err(
                ctx,
                "syntax-error",
                "`change_hat` is not a rule",
                first.span,
            );
            None
        }
        _ => return file(r, toks, q, span, ctx),
    };
    out.into_iter().collect()
}

/// Words that start a rule of a class other than file.
const KEYWORDS: &[&str] = &[
    "capability",
    "network",
    "unix",
    "signal",
    "ptrace",
    "dbus",
    "mqueue",
    "io_uring",
    "userns",
    "mount",
    "remount",
    "umount",
    "unmount",
    "pivot_root",
    "change_profile",
    "set",
    "all",
    "link",
    "file",
];

/// Words a rule may start with besides the class keywords: the qualifiers.
const QUALIFIERS: &[&str] = &["audit", "deny", "allow", "owner", "other", "priority"];

/// Advice for a rule that starts with an unknown word: `set rlimit` for a bare `rlimit`,
/// the nearest keyword for a misspelling, else how a file rule starts.
fn unknown_rule_help(toks: &[Token]) -> String {
    let Some(first) = toks.first() else {
        return FILE_RULE_HELP.to_owned();
    };
    if first.text == "rlimit" {
        let words: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
        return format!(
            "resource limits are set with `set`: write `set {},`",
            words.join(" ")
        );
    }
    match closest_keyword(&first.text) {
        Some(kw) => format!("did you mean `{kw}`?"),
        None => FILE_RULE_HELP.to_owned(),
    }
}

const FILE_RULE_HELP: &str = "file rules start with an absolute path, e.g. `/tmp/** rw,`";

/// The rule keyword or qualifier nearest to `word` by edit distance, when it is near
/// enough to be a typo: one edit for words up to four letters, two for longer ones.
fn closest_keyword(word: &str) -> Option<&'static str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    let lower = word.to_ascii_lowercase();
    KEYWORDS
        .iter()
        .chain(QUALIFIERS)
        .map(|k| (edit_distance(&lower, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance between two words (insertions, deletions, substitutions).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = i;
        let mut prev = i + 1;
        let mut next = Vec::with_capacity(row.len());
        next.push(prev);
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX - 1);
            let cost = diag + usize::from(ca != *cb);
            let cur = cost.min(up + 1).min(prev + 1);
            next.push(cur);
            diag = up;
            prev = cur;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
}

/// Whether `owner`/`other` may qualify a rule starting with this word (file and link
/// rules only).
pub(super) fn owner_applies(kw: &str) -> bool {
    matches!(kw, "link" | "file") || !KEYWORDS.contains(&kw)
}

fn bad(r: &mut Resolver, ctx: &Ctx, toks: &[Token], msg: &str) -> Option<RuleKind> {
    let span = span_of(toks);
    r.err(ctx, "syntax-error", msg, span);
    None
}

fn span_of(toks: &[Token]) -> Span {
    match (toks.first(), toks.last()) {
        (Some(f), Some(l)) => f.span.join(l.span),
        _ => Span::default(),
    }
}

fn capability(r: &mut Resolver, toks: &[Token], ctx: &Ctx) -> Option<RuleKind> {
    let mut names = Vec::new();
    let mut ok = true;
    for t in toks {
        let n = t.text.clone();
        if t.kind != TokenKind::Word || !tables::CAPABILITIES.contains(&n.as_str()) {
            let msg = format!("unknown capability `{}`", t.text);
            r.err_help(
                ctx,
                "unknown-capability",
                msg,
                t.span,
                "capability names are written without `CAP_`, e.g. `net_admin`",
            );
            ok = false;
            continue;
        }
        if !names.contains(&n) {
            names.push(n);
        }
    }
    ok.then_some(RuleKind::Capability { names })
}

/// The classes handled by the generic access-rule parser.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Unix,
    Signal,
    Ptrace,
    Dbus,
    Mqueue,
    IoUring,
    Userns,
    Network,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Unix => "unix",
            Class::Signal => "signal",
            Class::Ptrace => "ptrace",
            Class::Dbus => "dbus",
            Class::Mqueue => "mqueue",
            Class::IoUring => "io_uring",
            Class::Userns => "userns",
            Class::Network => "network",
        }
    }

    fn access(self) -> &'static [&'static str] {
        match self {
            Class::Unix => &[
                "create", "bind", "listen", "accept", "connect", "shutdown", "getattr", "setattr",
                "getopt", "setopt", "send", "receive", "read", "write", "r", "w", "rw", "wr",
            ],
            Class::Signal => &["send", "receive", "read", "write", "r", "w", "rw", "wr"],
            Class::Ptrace => &[
                "trace", "read", "write", "tracedby", "readby", "r", "w", "rw", "wr",
            ],
            Class::Dbus => &[
                "send",
                "receive",
                "bind",
                "eavesdrop",
                "read",
                "write",
                "r",
                "w",
                "rw",
                "wr",
            ],
            Class::Mqueue => &[
                "r", "w", "rw", "wr", "read", "write", "create", "open", "delete", "getattr",
                "setattr",
            ],
            Class::IoUring => &["override_creds", "sqpoll"],
            Class::Userns => &["create"],
            Class::Network => tables::NETWORK_ACCESS,
        }
    }

    fn conds(self) -> &'static [&'static str] {
        match self {
            Class::Unix => &["type", "addr", "label", "attr", "opt", "peer"],
            Class::Signal => &["set", "peer"],
            Class::Ptrace => &["peer"],
            Class::Dbus => &[
                "bus",
                "path",
                "interface",
                "member",
                "name",
                "peer",
                "label",
            ],
            Class::Mqueue => &["type", "label"],
            Class::IoUring => &["label"],
            Class::Userns => &[],
            Class::Network => &["ip", "port", "peer", "interface", "label"],
        }
    }

    fn peer_conds(self) -> &'static [&'static str] {
        match self {
            Class::Unix => &["addr", "label"],
            Class::Dbus => &["name", "label"],
            Class::Network => &["ip", "port", "label"],
            _ => &["label"],
        }
    }
}

/// Reads the values of `key=`: one value or a parenthesised list. Advances `i`.
fn cond_values(toks: &[Token], i: &mut usize) -> Option<Vec<String>> {
    let t = toks.get(*i)?;
    if t.kind == TokenKind::LParen {
        *i += 1;
        let mut vals = Vec::new();
        while let Some(t) = toks.get(*i) {
            *i += 1;
            if t.kind == TokenKind::RParen {
                return Some(vals);
            }
            if !t.is_value() {
                return None;
            }
            vals.push(t.text.clone());
        }
        return None;
    }
    if t.is_value() {
        *i += 1;
        return Some(vec![t.text.clone()]);
    }
    None
}

fn access_rule(r: &mut Resolver, toks: &[Token], ctx: &Ctx, class: Class) -> Option<AccessRule> {
    let mut a = AccessRule::default();
    let mut i = 0;
    let mut ok = true;
    let mut bare_access = false;
    let cname = class.name();
    while let Some(t) = toks.get(i) {
        // `key=value`, `key=(a b)`, `peer=(k=v ...)`.
        if t.kind == TokenKind::Word && toks.get(i + 1).is_some_and(|n| n.kind == TokenKind::Eq) {
            let key = t.text.clone();
            i += 2;
            if !class.conds().contains(&key.as_str()) {
                let msg = format!("unknown condition `{key}` in a {cname} rule");
                r.err(ctx, "unknown-condition", msg, t.span);
                ok = false;
                let _ = cond_values(toks, &mut i);
                continue;
            }
            if key == "peer"
                && toks.get(i).is_some_and(|t| t.kind == TokenKind::LParen)
                && class != Class::Signal
                && class != Class::Ptrace
            {
                // A peer condition list: `peer=(label=foo addr=bar)`.
                i += 1;
                loop {
                    let Some(k) = toks.get(i) else {
                        r.err(ctx, "syntax-error", "unclosed `peer=(`", t.span);
                        return None;
                    };
                    if k.kind == TokenKind::RParen {
                        i += 1;
                        break;
                    }
                    let mut pk = k.text.clone();
                    if class == Class::Network && pk == "label:" {
                        // `peer=(label:=NAME)` sets the label on sent packets (AppArmor 5).
                        pk = "label".into();
                    }
                    if k.kind != TokenKind::Word
                        || !toks.get(i + 1).is_some_and(|n| n.kind == TokenKind::Eq)
                    {
                        let msg =
                            format!("expected `key=value` in `peer=(...)`, found `{}`", k.text);
                        r.err(ctx, "syntax-error", msg, k.span);
                        return None;
                    }
                    i += 2;
                    if !class.peer_conds().contains(&pk.as_str()) {
                        let msg = format!("unknown peer condition `{pk}` in a {cname} rule");
                        r.err(ctx, "unknown-condition", msg, k.span);
                        ok = false;
                    }
                    let Some(v) = toks.get(i).filter(|t| t.is_value()) else {
                        r.err(ctx, "syntax-error", "missing value", k.span);
                        return None;
                    };
                    i += 1;
                    if a.peer.iter().any(|c| c.key == pk) {
                        let msg = format!("peer condition `{pk}` is given more than once");
                        r.err(ctx, "duplicate-condition", msg, k.span);
                        ok = false;
                    }
                    a.peer.push(Cond {
                        key: pk,
                        values: vec![v.text.clone()],
                        is_in: false,
                    });
                }
                continue;
            }
            let multi_ok = matches!(
                (class, key.as_str()),
                (Class::Signal, "set") | (Class::Dbus, "name")
            );
            let list = toks.get(i).is_some_and(|t| t.kind == TokenKind::LParen);
            let Some(values) = cond_values(toks, &mut i) else {
                let msg = format!("missing value after `{key}=`");
                r.err(ctx, "syntax-error", msg, t.span);
                return None;
            };
            if list && !multi_ok {
                let msg = format!("`{key}` takes a single value in a {cname} rule");
                r.err(ctx, "syntax-error", msg, t.span);
                ok = false;
            }
            let dup = a.conds.iter().any(|c| c.key == key)
                || (key == "peer" && a.peer.iter().any(|c| c.key == "label"));
            if dup && !(class == Class::Signal && key == "set") {
                let msg = format!("condition `{key}` is given more than once");
                r.err(ctx, "duplicate-condition", msg, t.span);
                ok = false;
            }
            if key == "peer" {
                a.peer.push(Cond {
                    key: "label".into(),
                    values,
                    is_in: false,
                });
            } else {
                if key == "set" && class == Class::Signal {
                    for v in &values {
                        if !valid_signal(v) {
                            let msg = format!("unknown signal `{v}`");
                            r.err(ctx, "unknown-signal", msg, t.span);
                            ok = false;
                        }
                    }
                }
                if key == "type" && class == Class::Unix {
                    for v in &values {
                        if !["stream", "dgram", "seqpacket", "raw", "rdm", "packet"]
                            .contains(&v.as_str())
                            && !v.contains("@{")
                        {
                            let msg = format!("unknown socket type `{v}`");
                            r.err(ctx, "unknown-network-type", msg, t.span);
                            ok = false;
                        }
                    }
                }
                if key == "bus" && values.len() != 1 {
                    r.err(ctx, "syntax-error", "`bus` takes one value", t.span);
                    ok = false;
                }
                a.conds.push(Cond {
                    key,
                    values,
                    is_in: false,
                });
            }
            continue;
        }
        if t.kind == TokenKind::LParen {
            i += 1;
            let start = t.span;
            loop {
                let Some(x) = toks.get(i) else {
                    r.err(ctx, "syntax-error", "unclosed `(`", start);
                    return None;
                };
                i += 1;
                if x.kind == TokenKind::RParen {
                    break;
                }
                let w = x.text.clone();
                if x.kind != TokenKind::Word || !class.access().contains(&w.as_str()) {
                    let msg = format!("unknown {cname} access `{}`", x.text);
                    r.err(ctx, "unknown-access", msg, x.span);
                    ok = false;
                    continue;
                }
                a.access.push(w);
            }
            continue;
        }
        let w = t.text.clone();
        if t.kind == TokenKind::Word
            && class.access().contains(&w.as_str())
            && a.words.is_empty()
            && !bare_access
            && a.access.is_empty()
            && a.conds.is_empty()
            && a.peer.is_empty()
        {
            a.access.push(w);
            bare_access = true;
            i += 1;
            continue;
        }
        match class {
            Class::Network => {
                a.words.push(t.text.clone());
                i += 1;
            }
            Class::Mqueue if t.is_value() && a.words.is_empty() => {
                a.words.push(t.text.clone());
                i += 1;
            }
            Class::Ptrace | Class::Signal | Class::IoUring
                if t.is_value() && a.words.is_empty() =>
            {
                // A bare label is the peer (`ptrace trace foo`) in some spellings; upstream
                // rejects it.
                let msg = format!("unexpected `{}` in a {cname} rule", t.text);
                r.err(ctx, "syntax-error", msg, t.span);
                return None;
            }
            _ => {
                let msg = format!("unexpected `{}` in a {cname} rule", t.text);
                r.err(ctx, "syntax-error", msg, t.span);
                return None;
            }
        }
    }
    if ok {
        ok = class_checks(r, ctx, class, &a, toks);
    }
    ok.then_some(a)
}

/// Accesses that may name a peer (the others act on the socket itself).
const PEER_ACCESS: &[&str] = &[
    "connect", "accept", "send", "receive", "read", "write", "r", "w", "rw", "wr",
];

/// The per-class rules on which conditions go with which accesses.
fn class_checks(r: &mut Resolver, ctx: &Ctx, class: Class, a: &AccessRule, toks: &[Token]) -> bool {
    let span = span_of(toks);
    let cname = class.name();
    match class {
        Class::Unix | Class::Network => {
            if !a.peer.is_empty() && a.access.iter().any(|x| !PEER_ACCESS.contains(&x.as_str())) {
                let msg = format!(
                    "a peer condition does not apply to {cname} `{}`",
                    a.access.join(" ")
                );
                r.err_help(
                    ctx,
                    "invalid-condition",
                    msg,
                    span,
                    "peer conditions go with `connect`, `accept`, `send` and `receive`",
                );
                return false;
            }
            if class == Class::Network {
                let fam = a.words.first().cloned();
                let inet = match fam.as_deref() {
                    Some(f) if tables::NETWORK_FAMILIES.contains(&f) => f == "inet" || f == "inet6",
                    _ => true,
                };
                let has_ip = a
                    .conds
                    .iter()
                    .chain(a.peer.iter())
                    .any(|c| c.key == "ip" || c.key == "port");
                if has_ip && !inet {
                    let msg = format!(
                        "`ip` and `port` apply only to inet and inet6, not `{}`",
                        fam.unwrap_or_default()
                    );
                    r.err(ctx, "invalid-condition", msg, span);
                    return false;
                }
                for c in a.conds.iter().chain(a.peer.iter()) {
                    for v in &c.values {
                        let valid = match c.key.as_str() {
                            "ip" => valid_ip_cond(v),
                            "port" => valid_port_cond(v),
                            _ => true,
                        };
                        if !valid && !v.contains("@{") {
                            let msg = format!("invalid {} `{v}`", c.key);
                            r.err(ctx, "invalid-condition", msg, span);
                            return false;
                        }
                    }
                }
            }
        }
        Class::Dbus => {
            for acc in &a.access {
                let allowed: &[&str] = match acc.as_str() {
                    "bind" => &["bus", "name"],
                    "eavesdrop" => &["bus"],
                    _ => &["bus", "path", "interface", "member", "label"],
                };
                if let Some(c) = a.conds.iter().find(|c| !allowed.contains(&c.key.as_str())) {
                    let msg = format!("condition `{}` does not apply to dbus `{acc}`", c.key);
                    r.err(ctx, "invalid-condition", msg, span);
                    return false;
                }
                if (acc == "bind" || acc == "eavesdrop") && !a.peer.is_empty() {
                    let msg = format!("a peer condition does not apply to dbus `{acc}`");
                    r.err(ctx, "invalid-condition", msg, span);
                    return false;
                }
            }
        }
        Class::Mqueue => {
            let ty = a
                .conds
                .iter()
                .find(|c| c.key == "type")
                .and_then(|c| c.values.first());
            if let Some(t) = ty {
                if t != "posix" && t != "sysv" {
                    let msg = format!("unknown mqueue type `{t}`");
                    r.err_help(
                        ctx,
                        "invalid-condition",
                        msg,
                        span,
                        "use `type=posix` or `type=sysv`",
                    );
                    return false;
                }
            }
            if let Some(name) = a.words.first() {
                let ok = match ty.map(String::as_str) {
                    Some("sysv") => name.chars().all(|c| c.is_ascii_digit()),
                    Some(_) => name.starts_with('/') || name.starts_with('@'),
                    None => {
                        name.starts_with('/')
                            || name.starts_with('@')
                            || name.chars().all(|c| c.is_ascii_digit())
                    }
                };
                if !ok && !name.contains("@{") {
                    let msg = format!("invalid mqueue name `{name}`");
                    r.err_help(
                        ctx,
                        "invalid-condition",
                        msg,
                        span,
                        "posix queue names start with `/`; sysv queues are numbers",
                    );
                    return false;
                }
            }
            if a.words.len() > 1 {
                r.err(ctx, "syntax-error", "an mqueue rule names one queue", span);
                return false;
            }
        }
        _ => {}
    }
    true
}

/// `ip=` values: an address, a subnet `addr/len`, or a range `a-b` of one family.
fn valid_ip_cond(v: &str) -> bool {
    use std::net::IpAddr;
    if v == "none" {
        return true;
    }
    if let Some((addr, len)) = v.split_once('/') {
        let Ok(a) = addr.parse::<IpAddr>() else {
            return false;
        };
        let max = if a.is_ipv4() { 32 } else { 128 };
        return len.parse::<u32>().is_ok_and(|n| n <= max);
    }
    if let Some((lo, hi)) = v.split_once('-') {
        return match (lo.parse::<IpAddr>(), hi.parse::<IpAddr>()) {
            (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(b))) => a <= b,
            (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(b))) => a <= b,
            _ => false,
        };
    }
    v.parse::<IpAddr>().is_ok()
}

/// `port=` values: a number or a range `a-b`, each 0..=65535.
fn valid_port_cond(v: &str) -> bool {
    let p = |s: &str| s.parse::<u16>().ok();
    if let Some((lo, hi)) = v.split_once('-') {
        return matches!((p(lo), p(hi)), (Some(a), Some(b)) if a <= b);
    }
    p(v).is_some()
}

fn valid_signal(v: &str) -> bool {
    if v.contains("@{") {
        return true;
    }
    if tables::SIGNALS.contains(&v) {
        return true;
    }
    if let Some(n) = v.strip_prefix("rtmin+") {
        return n.parse::<u32>().is_ok_and(|n| n <= 32);
    }
    false
}

fn network(r: &mut Resolver, toks: &[Token], span: Span, ctx: &Ctx) -> Option<RuleKind> {
    let a = access_rule(r, toks, ctx, Class::Network)?;
    // Positional words: [family] [type | protocol].
    let mut family = None;
    let mut ty = None;
    for (n, w) in a.words.iter().enumerate() {
        let lw = w.clone();
        let tok_span = toks
            .iter()
            .find(|t| t.text == *w)
            .map(|t| t.span)
            .unwrap_or(span);
        if n == 0 && tables::NETWORK_FAMILIES.contains(&lw.as_str()) {
            family = Some(lw);
        } else if (n == 0 || (n == 1 && family.is_some() && ty.is_none()))
            && (tables::NETWORK_TYPES.contains(&lw.as_str())
                || tables::NETWORK_PROTOCOLS.contains(&lw.as_str()))
        {
            ty = Some(lw);
        } else if n == 0 {
            let msg = format!("unknown network family `{w}`");
            r.err_help(
                ctx,
                "unknown-network-family",
                msg,
                tok_span,
                "use a family such as `inet`, `inet6`, `unix` or `netlink`",
            );
            return None;
        } else {
            let msg = format!("unexpected `{w}` in a network rule");
            r.err(ctx, "syntax-error", msg, tok_span);
            return None;
        }
    }
    if !a.access.is_empty() || !a.conds.is_empty() || !a.peer.is_empty() {
        // Before 4.0 a network rule names only a family and a type or protocol.
        r.needs_newer(ctx, "a network rule with access or conditions", "4.0", span);
    }
    Some(RuleKind::Network(a))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MountKind {
    Mount,
    Remount,
    Umount,
    PivotRoot,
}

fn mount(r: &mut Resolver, toks: &[Token], ctx: &Ctx, kind: MountKind) -> Option<MountRule> {
    let mut m = MountRule::default();
    let mut i = 0;
    let mut positional = Vec::new();
    while let Some(t) = toks.get(i) {
        if t.kind == TokenKind::Word
            && (toks.get(i + 1).is_some_and(|n| n.kind == TokenKind::Eq)
                || toks.get(i + 1).is_some_and(|n| n.is_word("in")))
        {
            let key = t.text.clone();
            let is_in = toks.get(i + 1).is_some_and(|n| n.is_word("in"));
            i += 2;
            let valid = match kind {
                MountKind::PivotRoot => key == "oldroot",
                _ => matches!(key.as_str(), "fstype" | "vfstype" | "options" | "option"),
            };
            if !valid {
                let msg = format!("unknown mount condition `{key}`");
                r.err(ctx, "unknown-condition", msg, t.span);
                return None;
            }
            let list = toks.get(i).is_some_and(|t| t.kind == TokenKind::LParen);
            let Some(values) = cond_values(toks, &mut i) else {
                let msg = format!("missing value after `{key}`");
                r.err(ctx, "syntax-error", msg, t.span);
                return None;
            };
            if key.starts_with("option") {
                if !list && values.iter().any(|v| v.contains(',')) {
                    let msg = format!("mount options `{}` must be a list", values.join(" "));
                    r.err_help(
                        ctx,
                        "syntax-error",
                        msg,
                        t.span,
                        "write `options=(ro, noexec)`",
                    );
                    return None;
                }
                for (a, b) in [
                    ("ro", "rw"),
                    ("r", "rw"),
                    ("read-only", "rw"),
                    ("ro", "w"),
                    ("strictatime", "nostrictatime"),
                    ("lazytime", "nolazytime"),
                    ("symfollow", "nosymfollow"),
                    ("suid", "nosuid"),
                    ("dev", "nodev"),
                    ("exec", "noexec"),
                    ("sync", "async"),
                    ("mand", "nomand"),
                    ("atime", "noatime"),
                    ("diratime", "nodiratime"),
                    ("relatime", "norelatime"),
                    ("iversion", "noiversion"),
                    ("acl", "noacl"),
                    ("user", "nouser"),
                    ("silent", "loud"),
                ] {
                    if !is_in && values.iter().any(|v| v == a) && values.iter().any(|v| v == b) {
                        let msg = format!("conflicting mount options `{a}` and `{b}`");
                        r.err(ctx, "conflicting-mount-options", msg, t.span);
                        return None;
                    }
                }
                for v in values.iter().flat_map(|v| v.split(',')) {
                    if !tables::MOUNT_OPTIONS.contains(&v) && !v.contains("@{") {
                        let msg = format!("unknown mount option `{v}`");
                        r.err(ctx, "unknown-mount-option", msg, t.span);
                        return None;
                    }
                }
                // Mount options that 3.0.8 calls unsupported (checked one by one against
                // the binary; `strictatime` itself is older).
                if let Some(v) = values.iter().flat_map(|v| v.split(',')).find(|v| {
                    matches!(
                        *v,
                        "lazytime" | "nolazytime" | "nostrictatime" | "symfollow" | "nosymfollow"
                    )
                }) {
                    let what = format!("the mount option `{v}`");
                    r.newer_than_3_0(ctx, &what, t.span);
                }
            }
            let key = if key == "vfstype" {
                "fstype".to_owned()
            } else if key == "option" {
                "options".to_owned()
            } else {
                key
            };
            m.conds.push(Cond { key, values, is_in });
            continue;
        }
        if t.kind == TokenKind::Arrow {
            let Some(target) = toks.get(i + 1).filter(|t| t.is_value()) else {
                r.err(ctx, "syntax-error", "missing target after `->`", t.span);
                return None;
            };
            if kind != MountKind::Mount && kind != MountKind::PivotRoot {
                r.err(
                    ctx,
                    "syntax-error",
                    "`->` is only valid in mount and pivot_root rules",
                    t.span,
                );
                return None;
            }
            m.target = Some(target.text.clone());
            i += 2;
            if let Some(extra) = toks.get(i) {
                let msg = format!("unexpected `{}` after the target", extra.text);
                r.err(ctx, "syntax-error", msg, extra.span);
                return None;
            }
            continue;
        }
        if t.is_value() {
            positional.push(t.clone());
            i += 1;
            continue;
        }
        let msg = format!("unexpected `{}` in a mount rule", t.text);
        r.err(ctx, "syntax-error", msg, t.span);
        return None;
    }
    if positional.len() > 1 {
        let t = positional.get(1).map(|t| t.span).unwrap_or_default();
        r.err(ctx, "syntax-error", "a mount rule takes one source path", t);
        return None;
    }
    m.source = positional.first().map(|t| t.text.clone());
    if kind == MountKind::Mount && m.source.is_some() && m.target.is_some() {
        // Propagation changes and remounts act on a mount point alone: they take no
        // source device.
        const NO_SOURCE: &[&str] = &[
            "remount",
            "unbindable",
            "make-unbindable",
            "runbindable",
            "make-runbindable",
            "private",
            "make-private",
            "rprivate",
            "make-rprivate",
            "slave",
            "make-slave",
            "rslave",
            "make-rslave",
            "shared",
            "make-shared",
            "rshared",
            "make-rshared",
        ];
        let opts = m.conds.iter().filter(|c| c.key == "options" && !c.is_in);
        if let Some(o) = opts
            .flat_map(|c| c.values.iter())
            .find(|v| NO_SOURCE.contains(&v.as_str()))
        {
            let msg = format!("mount option `{o}` takes no source");
            r.err_help(
                ctx,
                "invalid-mount",
                msg,
                span_of(toks),
                "write `mount options=(...) -> /mountpoint,`",
            );
            return None;
        }
    }
    Some(m)
}

fn change_profile(r: &mut Resolver, toks: &[Token], ctx: &Ctx) -> Option<RuleKind> {
    let mut c = ChangeProfileRule::default();
    let mut i = 0;
    if let Some(t) = toks.get(i) {
        if t.is_word("safe") || t.is_word("unsafe") {
            c.exec_mode = Some(t.text.clone());
            i += 1;
        }
    }
    if let Some(t) = toks.get(i) {
        if t.is_value() {
            c.exec_cond = Some(t.text.clone());
            i += 1;
            if !(t.text.starts_with('/') || t.text.starts_with('@')) {
                let msg = format!("exec condition `{}` must be an absolute path", t.text);
                r.err(ctx, "syntax-error", msg, t.span);
                return None;
            }
        }
    }
    if let Some(t) = toks.get(i) {
        if t.kind != TokenKind::Arrow {
            let msg = format!("unexpected `{}` in a change_profile rule", t.text);
            r.err(ctx, "syntax-error", msg, t.span);
            return None;
        }
        i += 1;
        let Some(target) = toks.get(i).filter(|t| t.is_value()) else {
            r.err(ctx, "syntax-error", "missing target after `->`", t.span);
            return None;
        };
        c.target = Some(target.text.clone());
        i += 1;
    }
    if let Some(t) = toks.get(i) {
        let msg = format!("unexpected `{}` in a change_profile rule", t.text);
        r.err(ctx, "syntax-error", msg, t.span);
        return None;
    }
    if c.exec_mode.is_some() && c.exec_cond.is_none() {
        r.err(
            ctx,
            "syntax-error",
            "`safe`/`unsafe` needs an exec condition",
            span_of(toks),
        );
        return None;
    }
    Some(RuleKind::ChangeProfile(c))
}

fn rlimit(r: &mut Resolver, toks: &[Token], span: Span, ctx: &Ctx) -> Option<RuleKind> {
    let (Some(kw), Some(name), Some(le), Some(value)) =
        (toks.first(), toks.get(1), toks.get(2), toks.get(3))
    else {
        r.err(
            ctx,
            "syntax-error",
            "expected `set rlimit NAME <= VALUE,`",
            span,
        );
        return None;
    };
    if !kw.is_word("rlimit") || le.kind != TokenKind::Le || toks.len() != 4 {
        r.err(
            ctx,
            "syntax-error",
            "expected `set rlimit NAME <= VALUE,`",
            span,
        );
        return None;
    }
    let n = name.text.clone();
    if !tables::RLIMITS.contains(&n.as_str()) {
        let msg = format!("unknown rlimit `{}`", name.text);
        r.err(ctx, "unknown-rlimit", msg, name.span);
        return None;
    }
    if !valid_rlimit_value(&n, &value.text) {
        let msg = format!("invalid value `{}` for rlimit `{n}`", value.text);
        r.err(ctx, "invalid-rlimit", msg, value.span);
        return None;
    }
    Some(RuleKind::Rlimit {
        resource: n,
        value: value.text.clone(),
    })
}

fn valid_rlimit_value(name: &str, v: &str) -> bool {
    if v == "infinity" {
        return true;
    }
    let digits: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    let unit = v.get(digits.len()..).unwrap_or("");
    if digits.is_empty() || digits == "-" {
        return false;
    }
    let n: i64 = match digits.parse() {
        Ok(n) => n,
        Err(_) => return false,
    };
    match name {
        "nice" => unit.is_empty() && (-20..=19).contains(&n),
        "cpu" | "rttime" => {
            n >= 0
                && [
                    "",
                    "us",
                    "microsecond",
                    "microseconds",
                    "ms",
                    "millisecond",
                    "milliseconds",
                    "s",
                    "sec",
                    "second",
                    "seconds",
                    "min",
                    "minute",
                    "minutes",
                    "h",
                    "hour",
                    "hours",
                    "d",
                    "day",
                    "days",
                    "week",
                    "weeks",
                ]
                .contains(&unit)
        }
        "fsize" | "data" | "stack" | "core" | "rss" | "as" | "memlock" | "msgqueue" => {
            n >= 0 && ["", "K", "KB", "M", "MB", "G", "GB"].contains(&unit)
        }
        _ => n >= 0 && unit.is_empty(),
    }
}

fn link(r: &mut Resolver, toks: &[Token], span: Span, ctx: &Ctx) -> Option<RuleKind> {
    let mut i = 0;
    let mut subset = false;
    if toks.first().is_some_and(|t| t.is_word("subset")) {
        subset = true;
        i = 1;
    }
    match (
        toks.get(i),
        toks.get(i + 1),
        toks.get(i + 2),
        toks.len() == i + 3,
    ) {
        (Some(a), Some(arrow), Some(b), true)
            if a.is_value() && arrow.kind == TokenKind::Arrow && b.is_value() =>
        {
            Some(RuleKind::Link(LinkRule {
                subset,
                link: a.text.clone(),
                target: b.text.clone(),
            }))
        }
        _ => {
            r.err_help(
                ctx,
                "syntax-error",
                "expected `link [subset] /link -> /target,`",
                span,
                "both the link and its target are paths",
            );
            None
        }
    }
}

/// Whether a word is made only of permission letters (upstream's `MODES`).
fn looks_like_mode(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| "rRwWaAlLmMkKxXiIuUpPcC".contains(c))
}

fn is_path(t: &Token) -> bool {
    t.is_value() && (t.text.starts_with('/') || t.text.starts_with('@'))
}

/// File rules: `PATH MODE [-> TARGET]` or `MODE PATH [-> TARGET]`.
fn file(r: &mut Resolver, toks: &[Token], q: Qualifiers, span: Span, ctx: &Ctx) -> Vec<RuleKind> {
    // `safe`/`unsafe` in front of an exec rule choose whether the environment is
    // scrubbed.
    let mut safety = None;
    let toks = match toks.first() {
        Some(t) if (t.is_word("safe") || t.is_word("unsafe")) && toks.len() > 2 => {
            safety = Some(t.text == "safe");
            toks.get(1..).unwrap_or(&[])
        }
        _ => toks,
    };
    let perms_first = toks.first().is_some_and(|t| !is_path(t));
    // `l subset /link -> /target`: the perms-first link form may say `subset`.
    let mut subset = false;
    let owned: Vec<Token>;
    let toks = if perms_first && toks.get(1).is_some_and(|t| t.is_word("subset")) {
        subset = true;
        owned = toks
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, t)| t.clone())
            .collect();
        &owned[..]
    } else {
        toks
    };
    let (path, mode) = match (toks.first(), toks.get(1)) {
        (Some(p), Some(m)) if is_path(p) && m.kind == TokenKind::Word => (p, m),
        (Some(m), Some(p))
            if m.kind == TokenKind::Word && looks_like_mode(&m.text) && is_path(p) =>
        {
            (p, m)
        }
        (Some(first), _) => {
            let word = first.text.clone();
            if first.kind == TokenKind::Word && !is_path(first) && !looks_like_mode(&word) {
                let msg = format!("unknown rule `{word}`");
                let help = unknown_rule_help(toks);
                r.err_help(ctx, "unknown-rule", msg, first.span, &help);
            } else if is_path(first) && toks.len() == 1 {
                r.err_help(
                    ctx,
                    "missing-permissions",
                    format!("missing permissions after `{}`", first.text),
                    span,
                    "add permissions, e.g. `r` or `rw`",
                );
            } else {
                r.err(ctx, "syntax-error", "invalid file rule", span);
            }
            return Vec::new();
        }
        (None, _) => return Vec::new(),
    };
    let mut target = None;
    match (toks.get(2), toks.get(3), toks.len()) {
        (None, _, 2) => {}
        (Some(a), Some(t), 4) if a.kind == TokenKind::Arrow && t.is_value() => {
            target = Some(t.text.clone());
        }
        (Some(a), _, _) => {
            let msg = format!("unexpected `{}` after the permissions", a.text);
            r.err(
                ctx,
                "syntax-error",
                msg,
                a.span.join(span_of(toks.get(2..).unwrap_or(&[]))),
            );
            return Vec::new();
        }
        _ => {
            r.err(ctx, "syntax-error", "invalid file rule", span);
            return Vec::new();
        }
    }
    let Some((perms, mut exec)) = parse_mode(r, mode, q, ctx) else {
        return Vec::new();
    };
    if let (Some(e), Some(_)) = (exec.as_mut(), &target) {
        // apparmor_parser 3.0.8 stores any exec mode with `-> NAME` as a named transition
        // and keeps only the fallback and unsafe bits of the letters: `ix -> NAME`
        // compiles to the mask of `Pix -> NAME`, `ux -> NAME` to that of `px -> NAME`.
        match e.kind {
            ExecKind::Inherit => {
                *e = ExecMode {
                    kind: ExecKind::Profile,
                    scrub: true,
                    fallback: Some(ExecKind::Inherit),
                    target: None,
                };
            }
            ExecKind::Unconfined => e.kind = ExecKind::Profile,
            ExecKind::Profile | ExecKind::Child => {}
        }
    }
    if let Some(e) = exec.as_mut() {
        // The letter case chooses scrubbing in both rule forms (apparmor_parser 3.0.8
        // compiles `px /f,` and `/f px,` to the same mask); only an explicit `safe`
        // or `unsafe` in front of the rule overrides it.
        if let Some(safe) = safety {
            e.scrub = safe && e.kind != ExecKind::Inherit;
        }
    } else if safety.is_some() {
        r.err(
            ctx,
            "syntax-error",
            "`safe`/`unsafe` apply only to exec rules",
            span,
        );
        return Vec::new();
    }
    if perms_first && target.is_some() && exec.is_some() && perms.contains(FilePerms::LINK) {
        r.err_help(
            ctx,
            "invalid-mode",
            "a leading permission list cannot combine `l` with an exec transition",
            mode.span,
            "write the link and the exec rule separately",
        );
        return Vec::new();
    }
    let path_text = path.text.clone();
    if path.kind == TokenKind::Word {
        if let Some(Ok((0, end, _))) = super::vars::find_ref(&path_text) {
            if matches!(path_text.as_bytes().get(end), Some(b'+' | b'=' | b'?')) {
                let msg = format!("unexpected character after the variable in `{path_text}`");
                r.err(ctx, "syntax-error", msg, path.span);
                return Vec::new();
            }
        }
    }
    if path.kind == TokenKind::Quoted && !(path_text.starts_with('/') || path_text.starts_with('@'))
    {
        r.err(
            ctx,
            "syntax-error",
            "file paths must be absolute",
            path.span,
        );
        return Vec::new();
    }
    if subset && (perms != FilePerms::LINK || target.is_none()) {
        r.err(
            ctx,
            "syntax-error",
            "`subset` can only be used with link rules",
            span,
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    match (exec, target) {
        // Only the perms-first form names a link target; in the path-first form the
        // arrow always names an exec transition.
        (e, Some(t)) if perms_first && perms.contains(FilePerms::LINK) => {
            out.push(RuleKind::Link(LinkRule {
                subset,
                link: path_text.clone(),
                target: t,
            }));
            let rest = perms.minus(FilePerms::LINK);
            if !rest.is_empty() || e.is_some() {
                out.push(RuleKind::File(FileRule {
                    path: Some(path_text),
                    perms: rest,
                    exec: e,
                }));
            }
        }
        (Some(mut e), Some(t)) => {
            // A path-first `l` next to the transition links to any target, as a plain
            // `l` does (apparmor_parser 3.0.8 compiles `/a lpx -> /b` that way).
            e.target = Some(t);
            out.push(RuleKind::File(FileRule {
                path: Some(path_text),
                perms,
                exec: Some(e),
            }));
        }
        (None, Some(t)) => {
            // apparmor_parser accepts a transition without an exec mode and drops it, so
            // `/a l -> /b` allows linking `/a` to any file: say so, as it rarely is meant.
            let msg = format!("`-> {t}` names an exec transition and is ignored without `x`");
            let help = if perms.contains(FilePerms::LINK) {
                "`l` here allows links to any target; write `l PATH -> TARGET,` or `link PATH -> TARGET,` to restrict the target"
            } else {
                "remove the target, or add an exec mode such as `px`"
            };
            let mut d =
                crate::diagnostics::Diagnostic::warning("ignored-exec-target", msg, ctx.file, span)
                    .with_help(help);
            d.included_from = ctx.included_from.clone();
            r.diags.push(d);
            out.push(RuleKind::File(FileRule {
                path: Some(path_text),
                perms,
                exec: None,
            }));
        }
        (e, None) => out.push(RuleKind::File(FileRule {
            path: Some(path_text),
            perms,
            exec: e,
        })),
    }
    out
}

/// Parses a permission word: `rw`, `ix`, `Pix`, `mrwlk`, ... with the conflicts
/// apparmor_parser reports.
fn parse_mode(
    r: &mut Resolver,
    t: &Token,
    q: Qualifiers,
    ctx: &Ctx,
) -> Option<(FilePerms, Option<ExecMode>)> {
    let s = t.text.as_str();
    let mut perms = FilePerms::NONE;
    let mut exec: Option<ExecMode> = None;
    let mut pending: Vec<char> = Vec::new();
    let mut bare_x = false;
    for c in s.chars() {
        if !pending.is_empty()
            && !matches!(c, 'x' | 'X' | 'i' | 'I' | 'u' | 'U' | 'p' | 'P' | 'c' | 'C')
        {
            let msg = format!(
                "exec qualifier `{}` in `{s}` is not followed by `x`",
                pending.iter().collect::<String>()
            );
            r.err_help(
                ctx,
                "invalid-mode",
                msg,
                t.span,
                "write the qualifier directly before `x`, e.g. `rix`",
            );
            return None;
        }
        match c {
            'r' | 'R' => perms = perms.union(FilePerms::READ),
            'w' | 'W' => perms = perms.union(FilePerms::WRITE),
            'a' => perms = perms.union(FilePerms::APPEND),
            'l' | 'L' => perms = perms.union(FilePerms::LINK),
            'm' | 'M' => perms = perms.union(FilePerms::MMAP),
            'k' => perms = perms.union(FilePerms::LOCK),
            'i' | 'I' | 'u' | 'U' | 'p' | 'P' | 'c' | 'C' => pending.push(c),
            'x' | 'X' => {
                let mode = match exec_of(&pending) {
                    Some(m) => m,
                    None => {
                        let msg = format!(
                            "invalid exec mode `{}x` in `{s}`",
                            pending.iter().collect::<String>()
                        );
                        r.err_help(ctx, "invalid-mode", msg, t.span, "valid modes are `ix`, `px`, `Px`, `cx`, `Cx`, `ux`, `Ux`, `pix`, `Pix`, `cix`, `Cix`, `pux`, `PUx`, `cux`, `CUx`");
                        return None;
                    }
                };
                if pending.is_empty() {
                    bare_x = true;
                }
                pending.clear();
                if let Some(prev) = &exec {
                    if *prev != mode || bare_x {
                        let msg = format!("conflicting exec modes in `{s}`");
                        r.err_help(
                            ctx,
                            "conflicting-exec-modes",
                            msg,
                            t.span,
                            "a rule may carry one exec mode",
                        );
                        return None;
                    }
                }
                exec = Some(mode);
                perms = perms.union(FilePerms::EXEC);
            }
            _ => {
                let msg = format!("invalid permission `{c}` in `{s}`");
                r.err_help(
                    ctx,
                    "invalid-mode",
                    msg,
                    t.span,
                    "file permissions are `r w a l m k` and exec modes such as `ix` or `px`",
                );
                return None;
            }
        }
    }
    if !pending.is_empty() {
        let msg = format!(
            "exec qualifier `{}` in `{s}` is not followed by `x`",
            pending.iter().collect::<String>()
        );
        r.err(ctx, "invalid-mode", msg, t.span);
        return None;
    }
    if perms.contains(FilePerms::WRITE) && perms.contains(FilePerms::APPEND) {
        let msg = format!("`w` and `a` conflict in `{s}`");
        r.err_help(
            ctx,
            "conflicting-permissions",
            msg,
            t.span,
            "`w` includes append; drop `a`",
        );
        return None;
    }
    let deny = q.effect == Effect::Deny;
    if let Some(e) = &exec {
        let is_bare = bare_x;
        if deny && !is_bare {
            let msg = format!("deny rules take a bare `x`, not `{}`", e.letters());
            r.err_help(ctx, "invalid-mode", msg, t.span, "write `deny /path x,`");
            return None;
        }
        if !deny && is_bare {
            r.err_help(
                ctx,
                "invalid-mode",
                format!("`x` in `{s}` needs an exec qualifier"),
                t.span,
                "use `ix`, `px`, `cx` or `ux`",
            );
            return None;
        }
    }
    let exec = if bare_x { None } else { exec };
    if perms.is_empty() {
        r.err(ctx, "invalid-mode", "empty permissions", t.span);
        return None;
    }
    Some((perms, exec))
}

/// The exec mode a run of qualifier letters before `x` spells.
fn exec_of(p: &[char]) -> Option<ExecMode> {
    let m = |kind, scrub, fallback| ExecMode {
        kind,
        scrub,
        fallback,
        target: None,
    };
    Some(match p {
        [] => m(ExecKind::Inherit, false, None),
        ['i' | 'I'] => m(ExecKind::Inherit, false, None),
        ['u'] => m(ExecKind::Unconfined, false, None),
        ['U'] => m(ExecKind::Unconfined, true, None),
        ['p'] => m(ExecKind::Profile, false, None),
        ['P'] => m(ExecKind::Profile, true, None),
        ['c'] => m(ExecKind::Child, false, None),
        ['C'] => m(ExecKind::Child, true, None),
        ['p', 'i' | 'I'] => m(ExecKind::Profile, false, Some(ExecKind::Inherit)),
        ['P', 'i' | 'I'] => m(ExecKind::Profile, true, Some(ExecKind::Inherit)),
        ['c', 'i' | 'I'] => m(ExecKind::Child, false, Some(ExecKind::Inherit)),
        ['C', 'i' | 'I'] => m(ExecKind::Child, true, Some(ExecKind::Inherit)),
        ['p', 'u' | 'U'] => m(ExecKind::Profile, false, Some(ExecKind::Unconfined)),
        ['P', 'u' | 'U'] => m(ExecKind::Profile, true, Some(ExecKind::Unconfined)),
        ['c', 'u' | 'U'] => m(ExecKind::Child, false, Some(ExecKind::Unconfined)),
        ['C', 'u' | 'U'] => m(ExecKind::Child, true, Some(ExecKind::Unconfined)),
        _ => return None,
    })
}

/// Every string of a rule kind that may hold variable references.
pub(super) fn string_fields<'a>(k: &'a mut RuleKind, out: &mut Vec<&'a mut String>) {
    fn conds<'a>(cs: &'a mut [Cond], out: &mut Vec<&'a mut String>) {
        for c in cs {
            for v in c.values.iter_mut() {
                out.push(v);
            }
        }
    }
    fn access<'a>(a: &'a mut AccessRule, out: &mut Vec<&'a mut String>) {
        let AccessRule {
            conds: c,
            peer,
            words,
            ..
        } = a;
        conds(c, out);
        conds(peer, out);
        for w in words.iter_mut() {
            out.push(w);
        }
    }
    match k {
        RuleKind::File(f) => {
            if let Some(p) = f.path.as_mut() {
                out.push(p);
            }
            if let Some(t) = f.exec.as_mut().and_then(|e| e.target.as_mut()) {
                out.push(t);
            }
        }
        RuleKind::Link(l) => {
            out.push(&mut l.link);
            out.push(&mut l.target);
        }
        RuleKind::Network(a)
        | RuleKind::Unix(a)
        | RuleKind::Signal(a)
        | RuleKind::Ptrace(a)
        | RuleKind::Dbus(a)
        | RuleKind::Mqueue(a)
        | RuleKind::IoUring(a)
        | RuleKind::Userns(a) => access(a, out),
        RuleKind::Mount(m)
        | RuleKind::Remount(m)
        | RuleKind::Umount(m)
        | RuleKind::PivotRoot(m) => {
            let MountRule {
                conds: c,
                source,
                target,
            } = m;
            conds(c, out);
            if let Some(s) = source.as_mut() {
                out.push(s);
            }
            if let Some(t) = target.as_mut() {
                out.push(t);
            }
        }
        RuleKind::ChangeProfile(c) => {
            if let Some(s) = c.exec_cond.as_mut() {
                out.push(s);
            }
            if let Some(t) = c.target.as_mut() {
                out.push(t);
            }
        }
        RuleKind::Capability { .. } | RuleKind::Rlimit { .. } | RuleKind::All => {}
    }
}

/// Checks across a profile's rules: the same path with different exec modes, globs with
/// braces nested too deeply.
pub(super) fn check_profile(r: &mut Resolver, rules: &[Rule]) {
    let mut seen: std::collections::HashMap<&str, Vec<&Rule>> = std::collections::HashMap::new();
    let mut onexec: Vec<(&ChangeProfileRule, &Rule)> = Vec::new();
    for rule in rules {
        if let RuleKind::ChangeProfile(c) = &rule.kind {
            if rule.qualifiers.effect == Effect::Deny || c.exec_cond.is_none() {
                continue;
            }
            let safe = |c: &ChangeProfileRule| c.exec_mode.as_deref() != Some("unsafe");
            if onexec.iter().any(|(p, _)| {
                p.exec_cond == c.exec_cond && p.target == c.target && safe(p) != safe(c)
            }) {
                let mut d = crate::diagnostics::Diagnostic::error(
                    "conflicting-exec-modes",
                    "conflicting `safe` and `unsafe` change_profile rules for the same exec condition",
                    rule.location.file,
                    rule.location.span,
                );
                d.included_from = rule.included_from.clone();
                r.diags.push(d);
            }
            onexec.push((c, rule));
        }
        if let RuleKind::File(f) = &rule.kind {
            if rule.qualifiers.effect == Effect::Deny {
                continue;
            }
            let (Some(p), Some(e)) = (&f.path, &f.exec) else {
                continue;
            };
            // An `owner` rule and an `other` rule never apply to the same access; a rule
            // with neither overlaps both.
            let own = rule.qualifiers.owner;
            let conflict = seen
                .get(p.as_str())
                .into_iter()
                .flatten()
                .filter(|prev| {
                    own == Owner::Any
                        || prev.qualifiers.owner == Owner::Any
                        || prev.qualifiers.owner == own
                })
                .find_map(|prev| match &prev.kind {
                    RuleKind::File(FileRule { exec: Some(pe), .. })
                        if pe.kind != e.kind
                            || pe.scrub != e.scrub
                            || pe.fallback != e.fallback
                            || pe.target != e.target =>
                    {
                        Some(pe.letters())
                    }
                    _ => None,
                });
            if let Some(prev_letters) = conflict {
                let msg = format!(
                    "conflicting exec modes for `{p}`: `{prev_letters}` and `{}`",
                    e.letters()
                );
                let mut d = crate::diagnostics::Diagnostic::error(
                    "conflicting-exec-modes",
                    msg,
                    rule.location.file,
                    rule.location.span,
                )
                .with_help("give each path a single exec mode");
                d.included_from = rule.included_from.clone();
                r.diags.push(d);
            }
            seen.entry(p.as_str()).or_default().push(rule);
        }
    }
}

/// apparmor_parser's limit on `{}` nesting in a glob.
const MAX_BRACE_DEPTH: usize = 50;

/// The glob syntax errors apparmor_parser's regex converter reports: unbalanced or
/// single-entry `{}` alternations, nesting past its limit, empty or unclosed `[]`
/// classes, a stray `]`.
pub(super) fn glob_error(p: &str) -> Option<(&'static str, String)> {
    let mut commas: Vec<usize> = Vec::new();
    let mut max = 0usize;
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    let mut class_len = 0usize;
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
            if in_class {
                class_len += 1;
            }
            continue;
        }
        if in_class {
            if c == ']' && class_len > 0 {
                in_class = false;
            } else if c == '^' && class_len == 0 {
                // Negation does not count as a member.
            } else if c == ']' {
                return Some((
                    "invalid-glob",
                    format!("empty character class `[]` in `{p}`"),
                ));
            } else {
                class_len += 1;
            }
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                class_len = 0;
            }
            ']' => return Some(("invalid-glob", format!("unbalanced `]` in `{p}`"))),
            '{' => {
                commas.push(0);
                max = max.max(commas.len());
            }
            ',' => {
                if let Some(n) = commas.last_mut() {
                    *n += 1;
                }
            }
            '}' => match commas.pop() {
                None => return Some(("unbalanced-braces", format!("unbalanced `}}` in `{p}`"))),
                Some(0) => {
                    return Some((
                        "invalid-glob",
                        format!("alternation `{{}}` with a single entry in `{p}`"),
                    ))
                }
                Some(_) => {}
            },
            _ => {}
        }
    }
    if max > MAX_BRACE_DEPTH {
        return Some((
            "brace-nesting",
            format!("`{{}}` nested more than {MAX_BRACE_DEPTH} levels deep in a glob"),
        ));
    }
    if in_class {
        return Some(("invalid-glob", format!("unclosed `[` in `{p}`")));
    }
    if !commas.is_empty() {
        return Some(("unbalanced-braces", format!("unbalanced `{{` in `{p}`")));
    }
    None
}
