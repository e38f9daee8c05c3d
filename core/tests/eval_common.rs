//! Test support: builds `model::Policy` values by hand from rule lines found in a profile
//! text, so that the evaluator can be tested before the resolver exists. Each rule is
//! located in the text, so decisions report real lines and columns.
//!
//! Only the syntax the tests need is understood: qualifiers, file rules in both orders
//! with exec modes, `file`, `link`, `capability`, `network`, `signal`, `ptrace`, `unix`,
//! `mount`, `umount`, `change_profile`, `userns`, `all`, `set rlimit`. `@{PROC}` is
//! expanded to `/proc/`.
// Test code: panicking on a broken fixture is the point, and helpers are not API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code
)]

use armorlab_core::model::*;
use armorlab_core::source::{FileId, Location, SourceFile, SourceMap, Span};

/// A profile to build: name, flags, rules as written in `text`.
pub struct Spec<'a> {
    pub name: &'a str,
    pub mode: ProfileMode,
    pub rules: &'a [&'a str],
    pub children: Vec<Spec<'a>>,
    pub is_hat: bool,
}

impl<'a> Spec<'a> {
    pub fn new(name: &'a str, rules: &'a [&'a str]) -> Spec<'a> {
        Spec {
            name,
            mode: ProfileMode::Enforce,
            rules,
            children: Vec::new(),
            is_hat: false,
        }
    }
}

/// Builds a policy of one top-level profile from rules found in `text` (named `file`).
pub fn build(file: &str, text: &str, spec: Spec<'_>, abi: Option<&str>) -> (Policy, SourceMap) {
    let mut sources = SourceMap::new();
    let id = sources.add(SourceFile::new(file, text));
    let mut cursor = 0usize;
    let profile = build_profile(text, id, &spec, None, &mut cursor);
    (
        Policy {
            profiles: vec![profile],
            abi: abi.map(str::to_owned),
        },
        sources,
    )
}

fn build_profile(
    text: &str,
    id: FileId,
    spec: &Spec<'_>,
    parent: Option<&str>,
    cursor: &mut usize,
) -> Profile {
    let full_name = match parent {
        Some(p) => format!("{p}//{}", spec.name),
        None => spec.name.to_owned(),
    };
    let header = text.find(spec.name).unwrap_or(0);
    let mut rules = Vec::new();
    for r in spec.rules {
        // Find the rule after the previous one so repeated lines get their own location.
        let at = text
            .get(*cursor..)
            .and_then(|t| t.find(r))
            .map(|p| p + *cursor)
            .or_else(|| text.find(r))
            .unwrap_or_else(|| panic!("rule `{r}` is not in the text"));
        *cursor = at + r.len();
        rules.push(rule(
            r,
            Location {
                file: id,
                span: Span::new(at, at + r.len()),
            },
        ));
    }
    Profile {
        name: spec.name.to_owned(),
        full_name: full_name.clone(),
        namespace: None,
        attachment: None,
        xattrs: Vec::new(),
        flags: Vec::new(),
        mode: spec.mode,
        is_hat: spec.is_hat,
        rules,
        children: spec
            .children
            .iter()
            .map(|c| build_profile(text, id, c, Some(&full_name), cursor))
            .collect(),
        location: Location {
            file: id,
            span: Span::new(header, header + spec.name.len()),
        },
    }
}

fn exec_mode(s: &str) -> Option<(FilePerms, ExecMode)> {
    let kind = |c: char| match c.to_ascii_lowercase() {
        'i' => Some(ExecKind::Inherit),
        'p' => Some(ExecKind::Profile),
        'c' => Some(ExecKind::Child),
        'u' => Some(ExecKind::Unconfined),
        _ => None,
    };
    let chars: Vec<char> = s.chars().collect();
    let xpos = chars.iter().position(|&c| c == 'x')?;
    if xpos == 0 {
        return None;
    }
    let mut rest = FilePerms::NONE;
    let mut modes = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if i == xpos {
            continue;
        }
        match c {
            'r' => rest = rest.union(FilePerms::READ),
            'w' => rest = rest.union(FilePerms::WRITE),
            'a' => rest = rest.union(FilePerms::APPEND),
            'm' => rest = rest.union(FilePerms::MMAP),
            'k' => rest = rest.union(FilePerms::LOCK),
            'l' => rest = rest.union(FilePerms::LINK),
            c => modes.push(c),
        }
    }
    let first = *modes.first()?;
    let scrub = first.is_ascii_uppercase();
    let fallback = modes.get(1).and_then(|&c| kind(c));
    Some((
        rest.union(FilePerms::EXEC),
        ExecMode {
            kind: kind(first)?,
            scrub,
            fallback,
            target: None,
        },
    ))
}

fn perms(s: &str) -> Option<(FilePerms, Option<ExecMode>)> {
    if s.is_empty() || !s.chars().all(|c| "rwaxmklipcuPCUI".contains(c)) {
        return None;
    }
    if s.contains('x') {
        if let Some((p, e)) = exec_mode(s) {
            return Some((p, Some(e)));
        }
        // A plain `x` (deny rules).
        let p = perms(&s.replace('x', ""))
            .map(|(p, _)| p)
            .unwrap_or(FilePerms::NONE);
        return Some((p.union(FilePerms::EXEC), None));
    }
    let mut p = FilePerms::NONE;
    for c in s.chars() {
        p = p.union(match c {
            'r' => FilePerms::READ,
            'w' => FilePerms::WRITE,
            'a' => FilePerms::APPEND,
            'm' => FilePerms::MMAP,
            'k' => FilePerms::LOCK,
            'l' => FilePerms::LINK,
            _ => return None,
        });
    }
    Some((p, None))
}

fn access_list(words: &[&str]) -> (Vec<String>, Vec<Cond>, Vec<Cond>, Vec<String>) {
    let mut access = Vec::new();
    let mut conds = Vec::new();
    let mut peer = Vec::new();
    let mut rest = Vec::new();
    let joined = words.join(" ");
    let mut s = joined.as_str();
    while !s.is_empty() {
        s = s.trim_start();
        if let Some(r) = s.strip_prefix('(') {
            let end = r.find(')').unwrap();
            access.extend(
                r[..end]
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
            s = &r[end + 1..];
            continue;
        }
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        let word = &s[..end];
        s = &s[end..];
        if word.is_empty() {
            continue;
        }
        if let Some((k, v)) = word.split_once('=') {
            let v = v.trim_matches('"').trim_matches(|c| c == '(' || c == ')');
            let values: Vec<String> = v
                .split(',')
                .map(|x| x.trim_matches('"').to_owned())
                .collect();
            if k == "peer" {
                if let Some((pk, pv)) = v.split_once('=') {
                    peer.push(Cond {
                        key: pk.to_owned(),
                        values: vec![pv.trim_matches('"').to_owned()],
                        is_in: false,
                    });
                } else {
                    peer.push(Cond {
                        key: "label".into(),
                        values,
                        is_in: false,
                    });
                }
            } else {
                conds.push(Cond {
                    key: k.to_owned(),
                    values,
                    is_in: false,
                });
            }
        } else if [
            "send", "receive", "read", "trace", "readby", "tracedby", "create", "r", "w", "rw",
        ]
        .contains(&word)
            && access.is_empty()
            && rest.is_empty()
        {
            access.push(word.to_owned());
        } else {
            rest.push(word.to_owned());
        }
    }
    (access, conds, peer, rest)
}

/// Turns one rule as written into a model rule.
pub fn rule(text: &str, location: Location) -> Rule {
    let t = text
        .trim()
        .trim_end_matches(',')
        .replace("@{PROC}/", "/proc/");
    let mut words: Vec<&str> = t.split_whitespace().collect();
    let mut q = Qualifiers::default();
    loop {
        match words.first().copied() {
            Some("audit") => q.audit = true,
            Some("deny") => q.effect = Effect::Deny,
            Some("allow") => q.effect = Effect::Allow,
            Some("owner") => q.owner = Owner::Owner,
            Some("other") => q.owner = Owner::Other,
            Some(w) if w.starts_with("priority=") => {
                q.priority = w["priority=".len()..].parse().unwrap()
            }
            _ => break,
        }
        words.remove(0);
    }
    let head = words.first().copied().unwrap_or("");
    let args = &words[1.min(words.len())..];
    let mount = |args: &[&str]| {
        let mut m = MountRule::default();
        let mut iter = args.iter();
        while let Some(a) = iter.next() {
            if *a == "->" {
                m.target = iter.next().map(|s| (*s).to_owned());
            } else if let Some((k, v)) = a.split_once('=') {
                m.conds.push(Cond {
                    key: k.to_owned(),
                    values: v
                        .trim_matches(|c| c == '(' || c == ')')
                        .split(',')
                        .map(str::to_owned)
                        .collect(),
                    is_in: false,
                });
            } else {
                m.source = Some((*a).to_owned());
            }
        }
        m
    };
    let access = |args: &[&str]| {
        let (access, conds, peer, words) = access_list(args);
        AccessRule {
            access,
            conds,
            peer,
            words,
        }
    };
    let kind = match head {
        "file" => RuleKind::File(FileRule {
            path: None,
            perms: FilePerms::NONE,
            exec: None,
        }),
        "all" => RuleKind::All,
        "capability" => RuleKind::Capability {
            names: args.iter().map(|s| (*s).to_owned()).collect(),
        },
        "network" => RuleKind::Network(access(args)),
        "unix" => RuleKind::Unix(access(args)),
        "signal" => RuleKind::Signal(access(args)),
        "ptrace" => RuleKind::Ptrace(access(args)),
        "userns" => RuleKind::Userns(access(args)),
        "mount" => RuleKind::Mount(mount(args)),
        "umount" => RuleKind::Umount(mount(args)),
        "remount" => RuleKind::Remount(mount(args)),
        "change_profile" => RuleKind::ChangeProfile(ChangeProfileRule {
            exec_mode: args
                .iter()
                .take_while(|a| **a != "->")
                .find(|a| **a == "safe" || **a == "unsafe")
                .map(|s| (*s).to_owned()),
            exec_cond: args
                .iter()
                .take_while(|a| **a != "->")
                .find(|a| a.starts_with('/'))
                .map(|s| (*s).to_owned()),
            target: args
                .iter()
                .skip_while(|a| **a != "->")
                .nth(1)
                .map(|s| (*s).to_owned()),
        }),
        "set" => RuleKind::Rlimit {
            resource: args[1].to_owned(),
            value: args[3].to_owned(),
        },
        "link" => {
            let subset = args.first() == Some(&"subset");
            let a = if subset { &args[1..] } else { args };
            RuleKind::Link(LinkRule {
                subset,
                link: a[0].to_owned(),
                target: a[2].to_owned(),
            })
        }
        _ => {
            // File rule: `PATH PERMS [-> target]` or `PERMS PATH [-> target]`.
            let (path, p) = if head.starts_with('/') {
                (head, words.get(1).copied().unwrap_or(""))
            } else {
                (words.get(1).copied().unwrap_or(""), head)
            };
            let (perms, mut exec) = perms(p).unwrap_or_else(|| panic!("bad perms in `{text}`"));
            if let Some(pos) = words.iter().position(|w| *w == "->") {
                if let Some(e) = exec.as_mut() {
                    e.target = words.get(pos + 1).map(|s| (*s).to_owned());
                }
            }
            RuleKind::File(FileRule {
                path: Some(path.to_owned()),
                perms,
                exec,
            })
        }
    };
    Rule {
        qualifiers: q,
        kind,
        text: text.trim().trim_end_matches(',').to_owned(),
        location,
        included_from: Vec::new(),
        implicit: false,
    }
}
