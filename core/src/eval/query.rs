//! Queries: the accesses a user asks about, their text syntax (shared with `armorlab test`
//! and the web app), and the canonical text [`Query`]'s `Display` writes back.

use crate::model::FilePerms;
use crate::resolve::tables::CAPABILITIES;
use crate::source::Span;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One access to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Query {
    /// A file access: `rw /etc/passwd`, `other w /tmp/x`, `l /link -> /target`.
    File {
        /// The absolute path as the kernel sees it.
        path: String,
        /// The requested permissions.
        perms: FilePerms,
        /// Whether the process's fsuid owns the file (`owner` rules apply) or not (`other`).
        owner: bool,
        /// For `l`: the path the new link points to.
        link_target: Option<String>,
    },
    /// `capability NAME`.
    Capability {
        /// Lowercase name without `cap_`, e.g. `sys_admin`.
        name: String,
    },
    /// `network DOMAIN [TYPE] [PROTOCOL]`.
    Network {
        /// Address family, e.g. `inet`.
        domain: String,
        /// Socket type, e.g. `stream`.
        sock_type: Option<String>,
        /// Protocol, e.g. `tcp`.
        protocol: Option<String>,
    },
    /// `signal send|receive [set=SIG] peer=LABEL`.
    Signal {
        /// `send` or `receive`.
        access: String,
        /// The signal, e.g. `kill`.
        signal: Option<String>,
        /// The other side's label.
        peer: String,
    },
    /// `ptrace trace|read|tracedby|readby peer=LABEL`.
    Ptrace {
        /// The access.
        access: String,
        /// The other side's label.
        peer: String,
    },
    /// `mount [fstype=T] [options=a,b] SOURCE -> MOUNTPOINT`.
    Mount {
        /// File system type.
        fstype: Option<String>,
        /// Mount options.
        options: Vec<String>,
        /// The device or source.
        source: String,
        /// The mount point.
        target: String,
    },
    /// `remount [fstype=T] [options=a,b] MOUNTPOINT`.
    Remount {
        /// File system type.
        fstype: Option<String>,
        /// Mount options.
        options: Vec<String>,
        /// The mount point.
        target: String,
    },
    /// `umount MOUNTPOINT`.
    Umount {
        /// The mount point.
        target: String,
    },
    /// `pivot_root [oldroot=DIR] NEWROOT [-> PROFILE]`.
    PivotRoot {
        /// Where the old root goes.
        old_root: Option<String>,
        /// The new root.
        new_root: String,
        /// The profile to change to.
        profile: Option<String>,
    },
    /// `unix ACCESS [type=T] [addr=A] [peer=LABEL] [peer_addr=A]`.
    Unix {
        /// The access, e.g. `connect`.
        access: String,
        /// Socket type.
        sock_type: Option<String>,
        /// Local address (`@name` for abstract, or a path).
        addr: Option<String>,
        /// The peer's label.
        peer: Option<String>,
        /// The peer's address.
        peer_addr: Option<String>,
    },
    /// `dbus ACCESS [bus=] [path=] [interface=] [member=] [name=] [peer=LABEL] [peer_name=]`.
    Dbus {
        /// `send`, `receive`, `bind` or `eavesdrop`.
        access: String,
        /// `system`, `session` or another bus.
        bus: Option<String>,
        /// Object path.
        path: Option<String>,
        /// Interface.
        interface: Option<String>,
        /// Member.
        member: Option<String>,
        /// The bus name to bind (for `bind`).
        name: Option<String>,
        /// The peer's label.
        peer: Option<String>,
        /// The peer's bus name.
        peer_name: Option<String>,
    },
    /// `change_profile -> NAME`.
    ChangeProfile {
        /// The profile to change to.
        target: String,
    },
    /// `userns create`.
    Userns {
        /// The access, `create`.
        access: String,
    },
    /// `io_uring sqpoll|override_creds [label=LABEL]`.
    IoUring {
        /// The access.
        access: String,
        /// For `override_creds`: the label whose credentials are used.
        label: Option<String>,
    },
    /// `mqueue ACCESS [type=posix|sysv] NAME`.
    Mqueue {
        /// The access, e.g. `open`.
        access: String,
        /// `posix` or `sysv`.
        mq_type: Option<String>,
        /// The queue name.
        name: String,
    },
    /// `rlimit RESOURCE VALUE`: may the process raise the limit to VALUE.
    Rlimit {
        /// Resource, e.g. `nofile`.
        resource: String,
        /// The wanted value as written (`1024`, `10MB`, `infinity`).
        value: String,
    },
}

/// Why a query (or an audit line) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct QueryError {
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// Where in the text.
    pub span: Span,
    /// Advice.
    pub help: Option<String>,
}

impl QueryError {
    fn new(message: impl Into<String>, start: usize, end: usize) -> QueryError {
        QueryError {
            message: message.into(),
            span: Span::new(start, end),
            help: None,
        }
    }
    fn help(mut self, help: impl Into<String>) -> QueryError {
        self.help = Some(help.into());
        self
    }
}

/// The verdict a line of a test file expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The access goes through.
    Allow,
    /// The access is refused.
    Deny,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        })
    }
}

/// A query line with an optional `expect allow|deny` prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    /// The query.
    pub query: Query,
    /// The expected verdict, when the line starts with `expect allow|deny`.
    pub expect: Option<Verdict>,
}

/// A whitespace-separated word with its byte range; quotes are removed.
#[derive(Debug, Clone)]
struct Tok {
    text: String,
    start: usize,
    end: usize,
}

fn tokenize(text: &str, base: usize) -> Result<Vec<Tok>, QueryError> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let start = i;
        let mut word = String::new();
        let mut end = i;
        while let Some(&(j, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            end = j + c.len_utf8();
            if c == '"' {
                let mut closed = false;
                for (k, q) in chars.by_ref() {
                    end = k + q.len_utf8();
                    if q == '"' {
                        closed = true;
                        break;
                    }
                    word.push(q);
                }
                if !closed {
                    return Err(QueryError::new(
                        "unclosed `\"` quote",
                        base + j,
                        base + text.len(),
                    )
                    .help("close the quoted value with `\"`"));
                }
            } else {
                word.push(c);
            }
        }
        toks.push(Tok {
            text: word,
            start: base + start,
            end: base + end,
        });
    }
    Ok(toks)
}

const PERM_LETTERS: &str = "rwaxmkl";

fn parse_perms(tok: &Tok) -> Result<FilePerms, QueryError> {
    let mut p = FilePerms::NONE;
    for (i, c) in tok.text.char_indices() {
        let bit = match c {
            'r' => FilePerms::READ,
            'w' => FilePerms::WRITE,
            'a' => FilePerms::APPEND,
            'x' => FilePerms::EXEC,
            'm' => FilePerms::MMAP,
            'k' => FilePerms::LOCK,
            'l' => FilePerms::LINK,
            _ => {
                return Err(QueryError::new(
                    format!("unknown file permission `{c}`"),
                    tok.start + i,
                    tok.start + i + c.len_utf8(),
                )
                .help("file permissions are the letters `r w a x m k l`"))
            }
        };
        p = p.union(bit);
    }
    Ok(p)
}

fn is_perm_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| PERM_LETTERS.contains(c))
}

/// Splits `key=value` tokens from positional ones, checking keys against `allowed`.
struct Args {
    positional: Vec<Tok>,
    keyed: Vec<(String, Tok)>,
}

fn split_args(toks: &[Tok], allowed: &[&str], class: &str) -> Result<Args, QueryError> {
    let mut positional = Vec::new();
    let mut keyed: Vec<(String, Tok)> = Vec::new();
    for t in toks {
        if let Some((k, v)) = t.text.split_once('=') {
            if !allowed.contains(&k) {
                return Err(QueryError::new(
                    format!("`{class}` queries take no `{k}=` condition"),
                    t.start,
                    t.end,
                )
                .help(if allowed.is_empty() {
                    format!("`{class}` takes no conditions")
                } else {
                    format!(
                        "conditions of `{class}`: {}",
                        allowed
                            .iter()
                            .map(|a| format!("`{a}=`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }));
            }
            if keyed.iter().any(|(kk, _)| kk == k) {
                return Err(QueryError::new(
                    format!("`{k}=` is given twice"),
                    t.start,
                    t.end,
                ));
            }
            let vstart = t.end.saturating_sub(v.len());
            keyed.push((
                k.to_owned(),
                Tok {
                    text: v.to_owned(),
                    start: vstart,
                    end: t.end,
                },
            ));
        } else {
            positional.push(t.clone());
        }
    }
    Ok(Args { positional, keyed })
}

impl Args {
    fn get(&self, key: &str) -> Option<String> {
        self.keyed
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| t.text.clone())
    }
}

fn expect_end(rest: &[Tok], what: &str) -> Result<(), QueryError> {
    if let Some(t) = rest.first() {
        let last = rest.last().map(|l| l.end).unwrap_or(t.end);
        return Err(QueryError::new(
            format!("unexpected `{}` after {what}", t.text),
            t.start,
            last,
        ));
    }
    Ok(())
}

fn need<'a>(toks: &'a [Tok], idx: usize, what: &str, at: usize) -> Result<&'a Tok, QueryError> {
    toks.get(idx).ok_or_else(|| {
        QueryError::new(format!("missing {what}"), at, at).help(format!("add {what}"))
    })
}

fn one_of(tok: &Tok, words: &[&str], what: &str) -> Result<String, QueryError> {
    let w = tok.text.to_ascii_lowercase();
    if words.contains(&w.as_str()) {
        Ok(w)
    } else {
        Err(
            QueryError::new(format!("unknown {what} `{}`", tok.text), tok.start, tok.end).help(
                format!(
                    "use one of {}",
                    words
                        .iter()
                        .map(|w| format!("`{w}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        )
    }
}

fn split_arrow(toks: &[Tok]) -> (Vec<Tok>, Option<Tok>, Option<Tok>) {
    if let Some(pos) = toks.iter().position(|t| t.text == "->") {
        let before = toks.get(..pos).map(<[Tok]>::to_vec).unwrap_or_default();
        let arrow = toks.get(pos).cloned();
        let after = toks.get(pos + 1).cloned();
        (before, arrow, after)
    } else {
        (toks.to_vec(), None, None)
    }
}

fn options_list(v: Option<String>) -> Vec<String> {
    v.map(|s| {
        s.trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Reads a query from its text syntax, e.g. `w /proc/sysrq-trigger`.
pub fn parse_query(text: &str) -> Result<Query, QueryError> {
    parse_query_at(text, 0)
}

/// Reads a query line of a test file: `[expect allow|deny] QUERY`.
pub fn parse_query_line(text: &str) -> Result<Expectation, QueryError> {
    let toks = tokenize(text, 0)?;
    match toks.first() {
        Some(t) if t.text == "expect" => {
            let v = need(&toks, 1, "`allow` or `deny` after `expect`", t.end)?;
            let expect = match v.text.as_str() {
                "allow" => Verdict::Allow,
                "deny" => Verdict::Deny,
                _ => {
                    return Err(QueryError::new(
                        format!(
                            "expected `allow` or `deny` after `expect`, found `{}`",
                            v.text
                        ),
                        v.start,
                        v.end,
                    ))
                }
            };
            let rest = text.get(v.end..).unwrap_or("");
            Ok(Expectation {
                query: parse_query_at(rest, v.end)?,
                expect: Some(expect),
            })
        }
        _ => Ok(Expectation {
            query: parse_query(text)?,
            expect: None,
        }),
    }
}

fn parse_query_at(text: &str, base: usize) -> Result<Query, QueryError> {
    let toks = tokenize(text, base)?;
    let Some(first) = toks.first() else {
        return Err(QueryError::new("empty query", base, base + text.len())
            .help("write an access such as `w /proc/sysrq-trigger` or `capability sys_admin`"));
    };
    let rest = toks.get(1..).unwrap_or(&[]);
    let end = toks.last().map(|t| t.end).unwrap_or(first.end);
    let kw = first.text.as_str();
    match kw {
        "owner" | "other" => {
            let q = parse_file(rest, first.end)?;
            match q {
                Query::File {
                    path,
                    perms,
                    link_target,
                    ..
                } => Ok(Query::File {
                    path,
                    perms,
                    owner: kw == "owner",
                    link_target,
                }),
                other => Ok(other),
            }
        }
        "capability" => {
            let t = need(rest, 0, "a capability name", first.end)?;
            expect_end(rest.get(1..).unwrap_or(&[]), "the capability name")?;
            let name = t.text.to_ascii_lowercase();
            let name = name.strip_prefix("cap_").unwrap_or(&name).to_owned();
            if !CAPABILITIES.contains(&name.as_str()) {
                return Err(QueryError::new(
                    format!("unknown capability `{}`", t.text),
                    t.start,
                    t.end,
                )
                .help("see capabilities(7) for the names, e.g. `sys_admin`"));
            }
            Ok(Query::Capability { name })
        }
        "network" => {
            let args = split_args(rest, &[], "network")?;
            let d = need(
                &args.positional,
                0,
                "a network domain such as `inet`",
                first.end,
            )?;
            expect_end(args.positional.get(3..).unwrap_or(&[]), "the protocol")?;
            Ok(Query::Network {
                domain: d.text.to_ascii_lowercase(),
                sock_type: args.positional.get(1).map(|t| t.text.to_ascii_lowercase()),
                protocol: args.positional.get(2).map(|t| t.text.to_ascii_lowercase()),
            })
        }
        "signal" => {
            let args = split_args(rest, &["set", "peer"], "signal")?;
            let a = need(&args.positional, 0, "`send` or `receive`", first.end)?;
            let access = one_of(a, &["send", "receive"], "signal access")?;
            expect_end(args.positional.get(1..).unwrap_or(&[]), "the access")?;
            let peer = args.get("peer").ok_or_else(|| {
                QueryError::new("missing `peer=`", first.start, end)
                    .help("name the other side, e.g. `peer=unconfined`")
            })?;
            let signal = args
                .get("set")
                .map(|s| {
                    let s = s
                        .trim_matches(|c| c == '(' || c == ')')
                        .to_ascii_lowercase();
                    s.strip_prefix("sig").map(str::to_owned).unwrap_or(s)
                })
                .filter(|s| !s.is_empty());
            Ok(Query::Signal {
                access,
                signal,
                peer,
            })
        }
        "ptrace" => {
            let args = split_args(rest, &["peer"], "ptrace")?;
            let a = need(&args.positional, 0, "a ptrace access", first.end)?;
            let access = one_of(a, &["trace", "read", "tracedby", "readby"], "ptrace access")?;
            expect_end(args.positional.get(1..).unwrap_or(&[]), "the access")?;
            let peer = args.get("peer").ok_or_else(|| {
                QueryError::new("missing `peer=`", first.start, end)
                    .help("name the other side, e.g. `peer=unconfined`")
            })?;
            Ok(Query::Ptrace { access, peer })
        }
        "mount" => {
            let args = split_args(rest, &["fstype", "options"], "mount")?;
            let (before, arrow, after) = split_arrow(&args.positional);
            let src = need(&before, 0, "the mount source", first.end)?;
            expect_end(before.get(1..).unwrap_or(&[]), "the mount source")?;
            let Some(arrow) = arrow else {
                return Err(
                    QueryError::new("missing `-> MOUNTPOINT`", src.start, src.end)
                        .help("write `mount SOURCE -> MOUNTPOINT`"),
                );
            };
            let tgt = after.ok_or_else(|| {
                QueryError::new("missing the mount point after `->`", arrow.start, arrow.end)
            })?;
            check_extra_after_arrow(&args.positional)?;
            Ok(Query::Mount {
                fstype: args.get("fstype"),
                options: options_list(args.get("options")),
                source: src.text.clone(),
                target: tgt.text,
            })
        }
        "remount" => {
            let args = split_args(rest, &["fstype", "options"], "remount")?;
            let t = need(&args.positional, 0, "the mount point", first.end)?;
            expect_end(args.positional.get(1..).unwrap_or(&[]), "the mount point")?;
            Ok(Query::Remount {
                fstype: args.get("fstype"),
                options: options_list(args.get("options")),
                target: t.text.clone(),
            })
        }
        "umount" | "unmount" => {
            let args = split_args(rest, &[], "umount")?;
            let t = need(&args.positional, 0, "the mount point", first.end)?;
            expect_end(args.positional.get(1..).unwrap_or(&[]), "the mount point")?;
            Ok(Query::Umount {
                target: t.text.clone(),
            })
        }
        "pivot_root" => {
            let args = split_args(rest, &["oldroot"], "pivot_root")?;
            let (before, arrow, after) = split_arrow(&args.positional);
            let nr = need(&before, 0, "the new root", first.end)?;
            expect_end(before.get(1..).unwrap_or(&[]), "the new root")?;
            if let (Some(a), None) = (&arrow, &after) {
                return Err(QueryError::new(
                    "missing the profile after `->`",
                    a.start,
                    a.end,
                ));
            }
            check_extra_after_arrow(&args.positional)?;
            Ok(Query::PivotRoot {
                old_root: args.get("oldroot"),
                new_root: nr.text.clone(),
                profile: after.map(|t| t.text),
            })
        }
        "unix" => {
            let args = split_args(rest, &["type", "addr", "peer", "peer_addr"], "unix")?;
            let a = need(
                &args.positional,
                0,
                "a unix access such as `connect`",
                first.end,
            )?;
            let access = one_of(a, UNIX_ACCESS, "unix access")?;
            expect_end(args.positional.get(1..).unwrap_or(&[]), "the access")?;
            Ok(Query::Unix {
                access,
                sock_type: args.get("type"),
                addr: args.get("addr"),
                peer: args.get("peer"),
                peer_addr: args.get("peer_addr"),
            })
        }
        "dbus" => {
            let args = split_args(
                rest,
                &[
                    "bus",
                    "path",
                    "interface",
                    "member",
                    "name",
                    "peer",
                    "peer_name",
                ],
                "dbus",
            )?;
            let a = need(
                &args.positional,
                0,
                "a dbus access such as `send`",
                first.end,
            )?;
            let access = one_of(a, &["send", "receive", "bind", "eavesdrop"], "dbus access")?;
            expect_end(args.positional.get(1..).unwrap_or(&[]), "the access")?;
            Ok(Query::Dbus {
                access,
                bus: args.get("bus"),
                path: args.get("path"),
                interface: args.get("interface"),
                member: args.get("member"),
                name: args.get("name"),
                peer: args.get("peer"),
                peer_name: args.get("peer_name"),
            })
        }
        "change_profile" => {
            let (before, arrow, after) = split_arrow(rest);
            expect_end(&before, "`change_profile`")?;
            let Some(arrow) = arrow else {
                return Err(QueryError::new("missing `-> PROFILE`", first.start, end)
                    .help("write `change_profile -> NAME`"));
            };
            let t = after.ok_or_else(|| {
                QueryError::new("missing the profile after `->`", arrow.start, arrow.end)
            })?;
            check_extra_after_arrow(rest)?;
            Ok(Query::ChangeProfile { target: t.text })
        }
        "userns" => {
            let a = need(rest, 0, "`create`", first.end)?;
            let access = one_of(a, &["create"], "userns access")?;
            expect_end(rest.get(1..).unwrap_or(&[]), "the access")?;
            Ok(Query::Userns { access })
        }
        "io_uring" => {
            let args = split_args(rest, &["label"], "io_uring")?;
            let a = need(
                &args.positional,
                0,
                "`sqpoll` or `override_creds`",
                first.end,
            )?;
            let access = one_of(a, &["sqpoll", "override_creds"], "io_uring access")?;
            expect_end(args.positional.get(1..).unwrap_or(&[]), "the access")?;
            Ok(Query::IoUring {
                access,
                label: args.get("label"),
            })
        }
        "mqueue" => {
            let args = split_args(rest, &["type"], "mqueue")?;
            let a = need(
                &args.positional,
                0,
                "an mqueue access such as `open`",
                first.end,
            )?;
            let access = one_of(a, MQUEUE_ACCESS, "mqueue access")?;
            let n = need(&args.positional, 1, "the queue name", a.end)?;
            expect_end(args.positional.get(2..).unwrap_or(&[]), "the queue name")?;
            Ok(Query::Mqueue {
                access,
                mq_type: args.get("type"),
                name: n.text.clone(),
            })
        }
        "rlimit" => {
            let r = need(rest, 0, "a resource such as `nofile`", first.end)?;
            let resource = one_of(r, RLIMITS, "rlimit resource")?;
            let v = need(rest, 1, "the wanted value", r.end)?;
            expect_end(rest.get(2..).unwrap_or(&[]), "the value")?;
            Ok(Query::Rlimit {
                resource,
                value: v.text.clone(),
            })
        }
        _ if is_perm_word(kw) => parse_file(&toks, first.start),
        // A word of letters before a path is meant as permissions: point at the bad letter.
        _ if rest.first().is_some_and(|t| t.text.starts_with('/'))
            && kw.chars().all(|c| c.is_ascii_alphabetic())
            && kw.chars().filter(|c| PERM_LETTERS.contains(*c)).count() * 2 >= kw.len() =>
        {
            parse_perms(first).and_then(|_| parse_file(&toks, first.start))
        }
        _ if kw.starts_with('/') => {
            Err(
                QueryError::new("the permissions come first", first.start, end)
                    .help(format!("write e.g. `r {kw}`")),
            )
        }
        _ => Err(
            QueryError::new(format!("unknown query `{kw}`"), first.start, first.end).help(
                "start with file permissions (`rw /etc/passwd`) or a class: `capability`, \
             `network`, `signal`, `ptrace`, `mount`, `remount`, `umount`, `pivot_root`, \
             `unix`, `dbus`, `change_profile`, `userns`, `io_uring`, `mqueue`, `rlimit`",
            ),
        ),
    }
}

fn check_extra_after_arrow(toks: &[Tok]) -> Result<(), QueryError> {
    if let Some(pos) = toks.iter().position(|t| t.text == "->") {
        expect_end(toks.get(pos + 2..).unwrap_or(&[]), "the `->` target")?;
    }
    Ok(())
}

fn parse_file(toks: &[Tok], at: usize) -> Result<Query, QueryError> {
    let p = need(toks, 0, "the file permissions, e.g. `r`", at)?;
    if !is_perm_word(&p.text) {
        return Err(parse_perms(p).err().unwrap_or_else(|| {
            QueryError::new(
                format!("expected file permissions, found `{}`", p.text),
                p.start,
                p.end,
            )
        }));
    }
    let perms = parse_perms(p)?;
    let path = need(toks, 1, "the path", p.end)?;
    if !path.text.starts_with('/') {
        return Err(QueryError::new(
            format!("`{}` is not an absolute path", path.text),
            path.start,
            path.end,
        )
        .help("AppArmor decides on absolute paths; start the path with `/`"));
    }
    let rest = toks.get(2..).unwrap_or(&[]);
    let link_target = match rest.first() {
        None => None,
        Some(a) if a.text == "->" => {
            let t = need(rest, 1, "the link target after `->`", a.end)?;
            expect_end(rest.get(2..).unwrap_or(&[]), "the link target")?;
            if !perms.contains(FilePerms::LINK) {
                return Err(QueryError::new(
                    "`->` gives a link target, but `l` is not requested",
                    a.start,
                    t.end,
                )
                .help(format!("write `l {} -> {}`", path.text, t.text)));
            }
            Some(t.text.clone())
        }
        Some(_) => {
            expect_end(rest, "the path")?;
            None
        }
    };
    Ok(Query::File {
        path: path.text.clone(),
        perms,
        owner: true,
        link_target,
    })
}

/// Quotes a value when it holds whitespace, quotes or nothing.
fn q(s: &str) -> String {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"') {
        format!("\"{}\"", s.replace('"', ""))
    } else {
        s.to_owned()
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::File {
                path,
                perms,
                owner,
                link_target,
            } => {
                if !owner {
                    f.write_str("other ")?;
                }
                write!(f, "{} {}", perms.letters(), q(path))?;
                if let Some(t) = link_target {
                    write!(f, " -> {}", q(t))?;
                }
                Ok(())
            }
            Query::Capability { name } => write!(f, "capability {name}"),
            Query::Network {
                domain,
                sock_type,
                protocol,
            } => {
                write!(f, "network {domain}")?;
                if let Some(t) = sock_type {
                    write!(f, " {t}")?;
                }
                if let Some(p) = protocol {
                    write!(f, " {p}")?;
                }
                Ok(())
            }
            Query::Signal {
                access,
                signal,
                peer,
            } => {
                write!(f, "signal {access}")?;
                if let Some(s) = signal {
                    write!(f, " set={s}")?;
                }
                write!(f, " peer={}", q(peer))
            }
            Query::Ptrace { access, peer } => write!(f, "ptrace {access} peer={}", q(peer)),
            Query::Mount {
                fstype,
                options,
                source,
                target,
            } => {
                f.write_str("mount")?;
                write_mount_conds(f, fstype, options)?;
                write!(f, " {} -> {}", q(source), q(target))
            }
            Query::Remount {
                fstype,
                options,
                target,
            } => {
                f.write_str("remount")?;
                write_mount_conds(f, fstype, options)?;
                write!(f, " {}", q(target))
            }
            Query::Umount { target } => write!(f, "umount {}", q(target)),
            Query::PivotRoot {
                old_root,
                new_root,
                profile,
            } => {
                f.write_str("pivot_root")?;
                if let Some(o) = old_root {
                    write!(f, " oldroot={}", q(o))?;
                }
                write!(f, " {}", q(new_root))?;
                if let Some(p) = profile {
                    write!(f, " -> {}", q(p))?;
                }
                Ok(())
            }
            Query::Unix {
                access,
                sock_type,
                addr,
                peer,
                peer_addr,
            } => {
                write!(f, "unix {access}")?;
                write_conds(
                    f,
                    &[
                        ("type", sock_type),
                        ("addr", addr),
                        ("peer", peer),
                        ("peer_addr", peer_addr),
                    ],
                )
            }
            Query::Dbus {
                access,
                bus,
                path,
                interface,
                member,
                name,
                peer,
                peer_name,
            } => {
                write!(f, "dbus {access}")?;
                write_conds(
                    f,
                    &[
                        ("bus", bus),
                        ("path", path),
                        ("interface", interface),
                        ("member", member),
                        ("name", name),
                        ("peer", peer),
                        ("peer_name", peer_name),
                    ],
                )
            }
            Query::ChangeProfile { target } => write!(f, "change_profile -> {}", q(target)),
            Query::Userns { access } => write!(f, "userns {access}"),
            Query::IoUring { access, label } => {
                write!(f, "io_uring {access}")?;
                if let Some(l) = label {
                    write!(f, " label={}", q(l))?;
                }
                Ok(())
            }
            Query::Mqueue {
                access,
                mq_type,
                name,
            } => {
                write!(f, "mqueue {access}")?;
                if let Some(t) = mq_type {
                    write!(f, " type={t}")?;
                }
                write!(f, " {}", q(name))
            }
            Query::Rlimit { resource, value } => write!(f, "rlimit {resource} {value}"),
        }
    }
}

/// Writes ` key=value` for each condition that is set, quoting values as the parser needs.
fn write_conds(f: &mut fmt::Formatter<'_>, conds: &[(&str, &Option<String>)]) -> fmt::Result {
    for (k, v) in conds {
        if let Some(v) = v {
            write!(f, " {k}={}", q(v))?;
        }
    }
    Ok(())
}

fn write_mount_conds(
    f: &mut fmt::Formatter<'_>,
    fstype: &Option<String>,
    options: &[String],
) -> fmt::Result {
    if let Some(t) = fstype {
        write!(f, " fstype={}", q(t))?;
    }
    if !options.is_empty() {
        write!(f, " options={}", options.join(","))?;
    }
    Ok(())
}

/// Unix socket accesses.
pub(crate) const UNIX_ACCESS: &[&str] = &[
    "create", "bind", "listen", "accept", "connect", "shutdown", "getattr", "setattr", "getopt",
    "setopt", "send", "receive",
];

/// Message queue accesses.
pub(crate) const MQUEUE_ACCESS: &[&str] = &[
    "create", "open", "read", "write", "delete", "getattr", "setattr",
];

/// Resources `set rlimit` knows.
pub(crate) const RLIMITS: &[&str] = &[
    "cpu",
    "fsize",
    "data",
    "stack",
    "core",
    "rss",
    "nproc",
    "nofile",
    "memlock",
    "as",
    "locks",
    "sigpending",
    "msgqueue",
    "nice",
    "rtprio",
    "rttime",
];
