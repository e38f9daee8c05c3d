//! Turns a kernel AppArmor denial line (from `dmesg`, `journalctl` or `audit.log`) into a
//! query in `armorlab test` syntax, so the playground can show which rule decided it.

/// A denial line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The profile the kernel named (`profile="..."`).
    pub profile: Option<String>,
    /// The query, in `armorlab test` syntax.
    pub query: String,
}

/// Splits `key=value` fields, honouring double quotes. Unquoted values that the kernel
/// hex-encodes (names with spaces or special characters) are decoded.
fn fields(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let key_start = rest
            .get(..eq)
            .and_then(|k| k.rfind([' ', '\t', ':', '(']))
            .map(|i| i + 1)
            .unwrap_or(0);
        let key = rest.get(key_start..eq).unwrap_or("").to_owned();
        let after = rest.get(eq + 1..).unwrap_or("");
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (
                    q.get(..end).unwrap_or("").to_owned(),
                    q.get(end + 1..).unwrap_or(""),
                ),
                None => (q.to_owned(), ""),
            }
        } else {
            let end = after.find([' ', '\t']).unwrap_or(after.len());
            let raw = after.get(..end).unwrap_or("");
            (
                hex_decode(raw).unwrap_or_else(|| raw.to_owned()),
                after.get(end..).unwrap_or(""),
            )
        };
        if !key.is_empty() {
            out.push((key, value));
        }
        rest = next;
    }
    out
}

/// Decodes the kernel's hex encoding of untrusted strings (`name=2F746D702F61`), which it
/// uses when a value contains spaces, quotes or control characters.
fn hex_decode(raw: &str) -> Option<String> {
    if raw.len() < 4 || raw.len() % 2 != 0 || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Plain numbers (pid=1234) are not hex strings: require an uppercase hex letter or a
    // leading `2F` (a slash), which is how encoded paths start.
    if !raw.starts_with("2F") && !raw.bytes().any(|b| (b'A'..=b'F').contains(&b)) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..raw.len())
        .step_by(2)
        .map(|i| {
            raw.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Maps the kernel's logged file mask to rule permission letters.
fn file_perms(mask: &str) -> String {
    let mut out = String::new();
    for c in mask.chars() {
        let p = match c {
            // Create, delete and attribute writes are all mediated as `w`.
            'c' | 'd' | 'w' => 'w',
            'r' | 'a' | 'x' | 'm' | 'l' | 'k' => c,
            _ => continue,
        };
        if !out.contains(p) {
            out.push(p);
        }
    }
    out
}

/// Reads one denial line. Returns an error message for the user when the line is not an
/// AppArmor audit record or lacks the fields needed.
pub fn parse_denial(line: &str) -> Result<Denial, String> {
    let line = line.trim();
    if !line.contains("apparmor=") {
        return Err("not an AppArmor audit line: it has no `apparmor=` field".into());
    }
    let fields = fields(line);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let profile = get("profile").map(str::to_owned);
    let op = get("operation").unwrap_or("");
    let requested = get("requested_mask").or(get("denied_mask")).unwrap_or("");
    let peer = get("peer");
    let query = match op {
        "capable" => {
            let name = get("capname").ok_or("the line has no `capname` field")?;
            format!("capability {name}")
        }
        "signal" | "ptrace" => {
            let access = requested.trim();
            let access = if access.is_empty() { "send" } else { access };
            match peer {
                Some(p) => format!("{op} {access} peer={p}"),
                None => format!("{op} {access}"),
            }
        }
        "mount" | "remount" | "umount" | "pivotroot" => {
            let target = get("name").ok_or("the line has no `name` field")?;
            match (op, get("srcname")) {
                ("mount", Some(src)) => format!("mount {src} -> {target}"),
                ("pivotroot", Some(src)) => format!("pivot_root {src} -> {target}"),
                ("pivotroot", None) => format!("pivot_root {target}"),
                _ => format!("{op} {target}"),
            }
        }
        "create" | "bind" | "connect" | "listen" | "accept" | "sendmsg" | "recvmsg"
        | "getsockopt" | "setsockopt" | "getsockname" | "getpeername" | "shutdown"
            if get("family").is_some() =>
        {
            let family = get("family").unwrap_or("");
            match get("sock_type") {
                Some(t) => format!("network {family} {t}"),
                None => format!("network {family}"),
            }
        }
        _ => {
            let name = get("name").ok_or("the line has no `name` field to test")?;
            let mut perms = file_perms(requested);
            if perms.is_empty() {
                perms = match op {
                    "exec" => "x".into(),
                    "link" => "l".into(),
                    "mkdir" | "rmdir" | "unlink" | "truncate" | "rename_src" | "rename_dest" => {
                        "w".into()
                    }
                    _ => {
                        return Err(format!(
                            "the line has no requested permissions (operation `{op}`)"
                        ))
                    }
                };
            }
            // The kernel logs fsuid and ouid; when they differ the process does not own
            // the file, so `owner` rules do not apply.
            let other = matches!((get("fsuid"), get("ouid")), (Some(f), Some(o)) if f != o);
            let prefix = if other { "other " } else { "" };
            match (op, get("target")) {
                ("link", Some(t)) => format!("{prefix}l {name} -> {t}"),
                _ => format!("{prefix}{perms} {name}"),
            }
        }
    };
    Ok(Denial { profile, query })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_denial_from_dmesg() {
        let d = parse_denial(r#"[ 1234.5] audit: type=1400 audit(1700000000.123:45): apparmor="DENIED" operation="open" class="file" profile="docker-default" name="/proc/sysrq-trigger" pid=4242 comm="sh" requested_mask="w" denied_mask="w" fsuid=0 ouid=0"#).unwrap();
        assert_eq!(d.profile.as_deref(), Some("docker-default"));
        assert_eq!(d.query, "w /proc/sysrq-trigger");
    }

    #[test]
    fn other_owner_hex_names_and_create() {
        let d = parse_denial(r#"apparmor="DENIED" operation="mknod" profile="p" name=2F746D702F612062 pid=1 comm="x" requested_mask="c" denied_mask="c" fsuid=1000 ouid=0"#).unwrap();
        assert_eq!(d.query, "other w /tmp/a b");
    }

    #[test]
    fn capabilities_signals_networks_mounts() {
        let q = |l: &str| parse_denial(l).unwrap().query;
        assert_eq!(
            q(
                r#"apparmor="DENIED" operation="capable" profile="docker-default" pid=9 comm="x" capability=21  capname="sys_admin""#
            ),
            "capability sys_admin"
        );
        assert_eq!(
            q(
                r#"apparmor="DENIED" operation="signal" profile="docker-default" pid=9 comm="x" requested_mask="send" denied_mask="send" signal=kill peer="unconfined""#
            ),
            "signal send peer=unconfined"
        );
        assert_eq!(
            q(
                r#"apparmor="DENIED" operation="create" profile="docker-default" pid=9 comm="x" family="alg" sock_type="seqpacket" protocol=0 requested_mask="create" denied_mask="create""#
            ),
            "network alg seqpacket"
        );
        assert_eq!(
            q(
                r#"apparmor="DENIED" operation="mount" info="failed flags match" error=-13 profile="docker-default" name="/mnt/" pid=9 comm="mount" fstype="ext4" srcname="/dev/sda1" flags="rw""#
            ),
            "mount /dev/sda1 -> /mnt/"
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(parse_denial("hello world")
            .unwrap_err()
            .contains("apparmor="));
        assert!(parse_denial(r#"apparmor="DENIED" operation="open""#)
            .unwrap_err()
            .contains("`name`"));
    }
}
