//! Small text helpers for what the panels say in words: the part a deciding rule plays in a
//! verdict, and messages that quote user input in backticks.

/// What a deciding rule does to the query, in words: `denies w`, `allows r`, `audits w`.
///
/// The view shows the rule's own text right before this, and most rules end in their
/// permission letters (`deny @{PROC}/* w`), so the bare letters would read as a doubled
/// word; the verb says that they are the permissions of the query this rule decides.
pub fn rule_role(effect: &str, perms: &str) -> String {
    let verb = match effect {
        "deny" => "denies",
        "audit" => "audits",
        _ => "allows",
    };
    if perms.is_empty() {
        String::new()
    } else {
        format!("{verb} {perms}")
    }
}

/// Splits a message into plain pieces and `code` pieces (the text between backticks), so
/// the view can show quoted input in a code font instead of raw backticks. An unmatched
/// backtick stays in the text as it is.
pub fn code_spans(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let after = rest.get(open + 1..).unwrap_or("");
        let Some(close) = after.find('`') else {
            break;
        };
        if open > 0 {
            out.push((false, rest.get(..open).unwrap_or("")));
        }
        out.push((true, after.get(..close).unwrap_or("")));
        rest = after.get(close + 1..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

/// The query syntax, one example per kind of access, with what it asks. The examples are
/// real queries (a test parses each one), so the reference cannot drift from the parser.
pub const QUERY_EXAMPLES: &[(&str, &str)] = &[
    (
        "rw /etc/passwd",
        "file: permissions (r w a x m l k), then an absolute path",
    ),
    (
        "owner w /tmp/x",
        "file, as the file's owner (`other` for the opposite)",
    ),
    (
        "l /tmp/link -> /etc/shadow",
        "file: make a hard link to a target",
    ),
    (
        "capability sys_admin",
        "a capability, by its capabilities(7) name",
    ),
    (
        "network inet stream",
        "a socket: family, then type (and protocol)",
    ),
    (
        "signal send set=kill peer=unconfined",
        "send or receive a signal",
    ),
    (
        "ptrace trace peer=unconfined",
        "trace, read, tracedby or readby",
    ),
    (
        "mount fstype=proc proc -> /mnt",
        "mount SOURCE on a mount point",
    ),
    ("remount /", "remount a mount point"),
    ("umount /mnt", "unmount a mount point"),
    ("pivot_root /new", "pivot_root to a new root"),
    ("unix connect type=stream", "a unix socket access"),
    (
        "dbus send bus=system path=/org/freedesktop/DBus",
        "a D-Bus message",
    ),
    ("change_profile -> other", "switch to another profile"),
    ("userns create", "create a user namespace"),
    ("io_uring sqpoll", "io_uring: sqpoll or override_creds"),
    ("mqueue open type=posix /q", "a message queue access"),
    ("rlimit nofile 1024", "raise a resource limit to a value"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_of_a_rule_is_a_verb_and_the_permissions() {
        assert_eq!(rule_role("deny", "w"), "denies w");
        assert_eq!(rule_role("allow", "rw"), "allows rw");
        assert_eq!(rule_role("allow", "receive"), "allows receive");
        assert_eq!(rule_role("deny", ""), "");
    }

    #[test]
    fn every_query_example_is_a_valid_query() {
        for (example, _) in QUERY_EXAMPLES {
            if let Err(e) = armorlab_core::eval::parse_query(example) {
                panic!("`{example}` does not parse: {e} ({:?})", e.help);
            }
        }
    }

    #[test]
    fn backticks_become_code_pieces() {
        assert_eq!(
            code_spans("`w` on `/proc/sysrq-trigger` is refused"),
            vec![
                (true, "w"),
                (false, " on "),
                (true, "/proc/sysrq-trigger"),
                (false, " is refused"),
            ]
        );
        assert_eq!(code_spans("no quotes"), vec![(false, "no quotes")]);
        // An unmatched backtick is left in the text rather than swallowing the rest.
        assert_eq!(
            code_spans("a `b` c ` d"),
            vec![(false, "a "), (true, "b"), (false, " c ` d")]
        );
        assert_eq!(code_spans(""), Vec::<(bool, &str)>::new());
    }
}
