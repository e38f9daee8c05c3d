//! Turns a kernel AppArmor denial line (from `dmesg`, `journalctl` or `audit.log`) into a
//! query in `armorlab test` syntax, so the playground can show which rule decided it.
//!
//! The reading is the core's (`armorlab_core::eval::parse_denial`, shared with the CLI); this
//! module only writes the query back as text for the query row.

/// A denial line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The profile the kernel named (`profile="..."`).
    pub profile: Option<String>,
    /// The query, in `armorlab test` syntax.
    pub query: String,
}

/// Reads one denial line. Returns an error message for the user when the line is not an
/// AppArmor audit record or lacks the fields needed.
pub fn parse_denial(line: &str) -> Result<Denial, String> {
    match armorlab_core::eval::parse_denial(line.trim()) {
        Ok((profile, query)) => Ok(Denial {
            profile: (!profile.is_empty()).then_some(profile),
            query: query.to_string(),
        }),
        Err(e) => Err(match &e.help {
            Some(h) => format!("{e} (help: {h})"),
            None => e.to_string(),
        }),
    }
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
        // Paths with spaces come back quoted, so the query re-parses.
        assert_eq!(d.query, r#"other w "/tmp/a b""#);
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
            "signal send set=kill peer=unconfined"
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
            "mount fstype=ext4 options=rw /dev/sda1 -> /mnt/"
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(parse_denial("hello world")
            .unwrap_err()
            .contains("apparmor="));
        assert!(parse_denial(r#"apparmor="DENIED" operation="open""#)
            .unwrap_err()
            .contains("profile"));
    }
}
