//! Reading kernel AppArmor audit lines (from `dmesg`, `journalctl` or `audit.log`) back into
//! the profile that logged them and the query they describe.

use super::query::{Query, QueryError};
use crate::model::FilePerms;
use crate::resolve::tables::CAPABILITIES;

/// One `key=value` field of an audit line, with where its value is.
struct Field {
    key: String,
    value: String,
    start: usize,
    end: usize,
}

/// Splits the `key=value` fields of a line; quoted values may hold spaces. Unquoted values
/// that the kernel hex-encoded (because they hold spaces or odd bytes) are decoded when
/// `decode_hex` applies to the key.
fn fields(line: &str) -> Result<Vec<Field>, QueryError> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < bytes.len() {
        // Find the next `=` preceded by a key.
        let Some(eq) = line.get(i..).and_then(|s| s.find('=')).map(|p| p + i) else {
            break;
        };
        let key_start = line
            .get(..eq)
            .and_then(|s| s.rfind(|c: char| c.is_whitespace() || matches!(c, ':' | '(' | '\'')))
            .map(|p| p + 1)
            .unwrap_or(0)
            .max(i);
        let key = line.get(key_start..eq).unwrap_or("").to_owned();
        let vstart = eq + 1;
        let (value, vend, next) = if bytes.get(vstart) == Some(&b'\'') {
            // `msg='apparmor=...'` (user-space AVCs): the quote opens a nested field list.
            (String::new(), vstart, vstart + 1)
        } else if bytes.get(vstart) == Some(&b'"') {
            let Some(close) = line.get(vstart + 1..).and_then(|s| s.find('"')) else {
                return Err(QueryError {
                    message: format!("unclosed quote in the value of `{key}`"),
                    span: crate::source::Span::new(vstart, line.len()),
                    help: None,
                });
            };
            let end = vstart + 1 + close;
            (
                line.get(vstart + 1..end).unwrap_or("").to_owned(),
                end + 1,
                end + 1,
            )
        } else {
            let end = line
                .get(vstart..)
                .and_then(|s| s.find(char::is_whitespace))
                .map(|p| p + vstart)
                .unwrap_or(line.len());
            let raw = line.get(vstart..end).unwrap_or("");
            let decoded = if HEX_KEYS.contains(&key.as_str()) {
                hex_decode(raw).unwrap_or_else(|| raw.to_owned())
            } else {
                raw.to_owned()
            };
            (decoded, end, end)
        };
        if !key.is_empty() {
            out.push(Field {
                key,
                value,
                start: vstart,
                end: vend,
            });
        }
        i = next.max(eq + 1);
    }
    Ok(out)
}

/// Fields the kernel hex-encodes when they contain spaces or unusual bytes.
const HEX_KEYS: &[&str] = &[
    "name",
    "target",
    "comm",
    "profile",
    "peer",
    "srcname",
    "addr",
    "peer_addr",
    "label",
];

fn hex_decode(s: &str) -> Option<String> {
    if s.len() < 2 || s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

fn get<'a>(f: &'a [Field], key: &str) -> Option<&'a str> {
    f.iter().find(|x| x.key == key).map(|x| x.value.as_str())
}

fn err(message: impl Into<String>, start: usize, end: usize) -> QueryError {
    QueryError {
        message: message.into(),
        span: crate::source::Span::new(start, end),
        help: None,
    }
}

/// Reads the kernel's permission letters (`r w a x m k l`, plus `c` create and `d` delete,
/// which rules grant through `w`).
fn mask_perms(mask: &str) -> (FilePerms, bool) {
    // The kernel prints owner permissions, then `::` and the permissions checked for a
    // file the process does not own, when those differ.
    let (user, other) = mask.split_once("::").unwrap_or((mask, ""));
    let letters = |s: &str| {
        s.chars().fold(FilePerms::NONE, |p, c| {
            p.union(match c {
                'r' => FilePerms::READ,
                'w' | 'c' | 'd' => FilePerms::WRITE,
                'a' => FilePerms::APPEND,
                'x' => FilePerms::EXEC,
                'm' => FilePerms::MMAP,
                'k' => FilePerms::LOCK,
                'l' => FilePerms::LINK,
                _ => FilePerms::NONE,
            })
        })
    };
    let u = letters(user);
    let o = letters(other);
    if u.is_empty() && !o.is_empty() {
        (o, false)
    } else {
        (u, true)
    }
}

/// Reads a kernel AppArmor audit line into the profile it names and the access it reports,
/// e.g. `apparmor="DENIED" operation="open" profile="docker-default"
/// name="/proc/sysrq-trigger" requested_mask="w" denied_mask="w" fsuid=0 ouid=0`.
pub fn parse_denial(line: &str) -> Result<(String, Query), QueryError> {
    let f = fields(line)?;
    if get(&f, "apparmor").is_none() {
        return Err(err("not an AppArmor audit line", 0, line.len()).with_help(
            "paste a line containing `apparmor=\"DENIED\"` (or `ALLOWED`/`AUDIT`) from dmesg, \
             journalctl or /var/log/audit/audit.log",
        ));
    }
    let profile = get(&f, "profile")
        .or_else(|| get(&f, "label"))
        .ok_or_else(|| err("the line names no `profile=`", 0, line.len()))?
        .to_owned();
    let op = get(&f, "operation").unwrap_or("");
    let class = get(&f, "class").unwrap_or("");
    let mask = get(&f, "denied_mask")
        .or_else(|| get(&f, "requested_mask"))
        .or_else(|| get(&f, "denied"))
        .or_else(|| get(&f, "requested"))
        .or_else(|| get(&f, "mask"))
        .unwrap_or("");
    let first_word = |s: &str| s.split_whitespace().next().unwrap_or("").to_owned();

    if let Some(cap) = get(&f, "capname").or_else(|| {
        if op == "capable" {
            get(&f, "capability")
        } else {
            None
        }
    }) {
        let name = match cap.parse::<usize>() {
            Ok(n) => CAPABILITIES
                .get(n)
                .map(|s| (*s).to_owned())
                .ok_or_else(|| err(format!("unknown capability number `{n}`"), 0, line.len()))?,
            Err(_) => cap.to_ascii_lowercase(),
        };
        return Ok((profile, Query::Capability { name }));
    }
    if op == "signal" {
        let peer = get(&f, "peer").unwrap_or("unconfined").to_owned();
        let access = if mask.contains("send") {
            "send"
        } else {
            "receive"
        };
        return Ok((
            profile,
            Query::Signal {
                access: access.to_owned(),
                signal: get(&f, "signal").map(|s| s.trim_start_matches("sig").to_owned()),
                peer,
            },
        ));
    }
    if op == "ptrace" {
        let access = ["tracedby", "readby", "trace", "read"]
            .into_iter()
            .find(|a| mask.split_whitespace().any(|m| m == *a))
            .unwrap_or("read");
        return Ok((
            profile,
            Query::Ptrace {
                access: access.to_owned(),
                peer: get(&f, "peer").unwrap_or("unconfined").to_owned(),
            },
        ));
    }
    if op.starts_with("dbus") || get(&f, "bus").is_some() {
        let access = if op == "dbus_bind" {
            "bind".to_owned()
        } else if op == "dbus_eavesdrop" {
            "eavesdrop".to_owned()
        } else {
            first_word(mask)
        };
        let access = if access.is_empty() {
            "send".to_owned()
        } else {
            access
        };
        let bind = access == "bind";
        return Ok((
            get(&f, "label").unwrap_or(&profile).to_owned(),
            Query::Dbus {
                access,
                bus: get(&f, "bus").map(str::to_owned),
                path: get(&f, "path").map(str::to_owned),
                interface: get(&f, "interface").map(str::to_owned),
                member: get(&f, "member").map(str::to_owned),
                name: if bind {
                    get(&f, "name").map(str::to_owned)
                } else {
                    None
                },
                peer: get(&f, "peer_label").map(str::to_owned),
                peer_name: if bind {
                    None
                } else {
                    get(&f, "name").map(str::to_owned)
                },
            },
        ));
    }
    if op == "mount" {
        let flags: Vec<String> = get(&f, "flags")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let target = get(&f, "name").unwrap_or("").to_owned();
        if flags.iter().any(|x| x == "remount") {
            return Ok((
                profile,
                Query::Remount {
                    fstype: get(&f, "fstype").map(str::to_owned),
                    options: flags.into_iter().filter(|x| x != "remount").collect(),
                    target,
                },
            ));
        }
        return Ok((
            profile,
            Query::Mount {
                fstype: get(&f, "fstype").map(str::to_owned),
                options: flags,
                source: get(&f, "srcname").unwrap_or("none").to_owned(),
                target,
            },
        ));
    }
    if op == "umount" {
        return Ok((
            profile,
            Query::Umount {
                target: get(&f, "name").unwrap_or("").to_owned(),
            },
        ));
    }
    if op == "pivotroot" || op == "pivot_root" {
        return Ok((
            profile,
            Query::PivotRoot {
                old_root: get(&f, "srcname").map(str::to_owned),
                new_root: get(&f, "name").unwrap_or("").to_owned(),
                profile: None,
            },
        ));
    }
    if op == "change_profile" || op == "change_onexec" {
        let target = get(&f, "target")
            .or_else(|| get(&f, "name"))
            .ok_or_else(|| err("the change_profile line names no target", 0, line.len()))?;
        return Ok((
            profile,
            Query::ChangeProfile {
                target: target.to_owned(),
            },
        ));
    }
    if op == "userns_create" || class == "namespace" {
        return Ok((
            profile,
            Query::Userns {
                access: "create".to_owned(),
            },
        ));
    }
    if op.starts_with("uring") || class == "io_uring" {
        let access = if op.contains("sqpoll") {
            "sqpoll"
        } else {
            "override_creds"
        };
        return Ok((
            profile,
            Query::IoUring {
                access: access.to_owned(),
                label: get(&f, "peer").map(str::to_owned),
            },
        ));
    }
    if class.contains("mqueue") {
        return Ok((
            profile,
            Query::Mqueue {
                access: first_word(mask),
                mq_type: Some(
                    if class.contains("sysv") {
                        "sysv"
                    } else {
                        "posix"
                    }
                    .to_owned(),
                ),
                name: get(&f, "name").unwrap_or("").to_owned(),
            },
        ));
    }
    if let Some(family) = get(&f, "family") {
        if family == "unix" {
            let access = first_word(mask);
            return Ok((
                profile,
                Query::Unix {
                    access: if access.is_empty() {
                        op.to_owned()
                    } else {
                        access
                    },
                    sock_type: get(&f, "sock_type").map(str::to_owned),
                    addr: get(&f, "addr").filter(|a| *a != "none").map(str::to_owned),
                    peer: get(&f, "peer").map(str::to_owned),
                    peer_addr: get(&f, "peer_addr")
                        .filter(|a| *a != "none")
                        .map(str::to_owned),
                },
            ));
        }
        let protocol = get(&f, "protocol").and_then(|p| match p {
            "6" => Some("tcp".to_owned()),
            "17" => Some("udp".to_owned()),
            "1" => Some("icmp".to_owned()),
            "58" => Some("icmpv6".to_owned()),
            _ => None,
        });
        return Ok((
            profile,
            Query::Network {
                domain: family.to_owned(),
                sock_type: get(&f, "sock_type").map(str::to_owned),
                protocol,
            },
        ));
    }
    // Everything else is a file access.
    let name_field = f.iter().find(|x| x.key == "name");
    let Some(name) = name_field else {
        return Err(err(
            format!("cannot tell what operation `{op}` accessed: the line has no `name=`"),
            0,
            line.len(),
        ));
    };
    if !name.value.starts_with('/') {
        return Err(err(
            format!("`{}` is not an absolute path", name.value),
            name.start,
            name.end,
        ));
    }
    let (mut perms, mut owner) = mask_perms(mask);
    if perms.is_empty() {
        perms = match op {
            "exec" => FilePerms::EXEC,
            "link" => FilePerms::LINK,
            "file_lock" => FilePerms::LOCK,
            "file_mmap" => FilePerms::MMAP,
            _ => FilePerms::READ,
        };
    }
    if let (Some(fsuid), Some(ouid)) = (get(&f, "fsuid"), get(&f, "ouid")) {
        owner = fsuid == ouid;
    }
    let link_target = if perms.contains(FilePerms::LINK) {
        get(&f, "target").map(str::to_owned)
    } else {
        None
    };
    Ok((
        profile,
        Query::File {
            path: name.value.clone(),
            perms,
            owner,
            link_target,
        },
    ))
}

impl QueryError {
    fn with_help(mut self, help: &str) -> QueryError {
        self.help = Some(help.to_owned());
        self
    }
}
