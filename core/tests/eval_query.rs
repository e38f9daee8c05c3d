//! Query text: parse → Display → parse round trips, clear errors with spans, `expect`
//! lines, kernel audit lines, and the JSON shape of a decision.
// Test code: panicking on a broken fixture is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod eval_common;

use armorlab_core::eval::{compile, parse_denial, parse_query, parse_query_line, Query, Verdict};
use armorlab_core::model::FilePerms;
use eval_common::{build, Spec};

#[test]
fn canonical_text_reads_back_to_the_same_query() {
    for text in [
        "w /proc/sysrq-trigger",
        "rw /etc/passwd",
        "x /usr/bin/ls",
        "other w /tmp/x",
        "l /link -> /target",
        "r \"/home/a b/c\"",
        "capability sys_admin",
        "network inet stream",
        "network inet stream tcp",
        "network alg",
        "signal send peer=foo",
        "signal send set=kill peer=unconfined",
        "ptrace read peer=docker-default",
        "mount /dev/sda1 -> /mnt",
        "mount fstype=ext4 options=ro,nosuid /dev/sda1 -> /mnt",
        "remount options=ro /mnt",
        "umount /mnt",
        "pivot_root oldroot=/old /new -> child",
        "pivot_root /new",
        "unix connect type=stream peer=unconfined peer_addr=@/tmp/.X11-unix/X0",
        "dbus send bus=system path=/org/freedesktop/DBus interface=org.freedesktop.DBus member=Hello peer_name=org.freedesktop.DBus",
        "dbus bind bus=session name=org.example.Foo",
        "change_profile -> foo//bar",
        "userns create",
        "io_uring sqpoll",
        "io_uring override_creds label=foo",
        "mqueue open type=posix /q1",
        "rlimit nofile 1024",
    ] {
        let q = parse_query(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        assert_eq!(q.to_string(), text, "canonical text of `{text}`");
        assert_eq!(parse_query(&q.to_string()).unwrap(), q);
    }
}

#[test]
fn non_canonical_spellings_normalize() {
    let q = parse_query("  wr   /etc/passwd ").unwrap();
    assert_eq!(q.to_string(), "rw /etc/passwd");
    assert_eq!(
        parse_query("owner r /a").unwrap(),
        parse_query("r /a").unwrap()
    );
    assert_eq!(
        parse_query("capability CAP_SYS_ADMIN").unwrap(),
        Query::Capability {
            name: "sys_admin".into()
        }
    );
    assert_eq!(
        parse_query("signal send set=SIGKILL peer=x")
            .unwrap()
            .to_string(),
        "signal send set=kill peer=x"
    );
    match parse_query("other rw /a").unwrap() {
        Query::File { perms, owner, .. } => {
            assert!(!owner);
            assert_eq!(perms, FilePerms::READ.union(FilePerms::WRITE));
        }
        q => panic!("{q:?}"),
    }
}

#[test]
fn errors_point_at_the_problem() {
    let cases: &[(&str, &str, &str)] = &[
        ("", "empty query", ""),
        ("wz /etc", "unknown file permission `z`", "z"),
        (
            "w etc/passwd",
            "`etc/passwd` is not an absolute path",
            "etc/passwd",
        ),
        (
            "/etc/passwd r",
            "the permissions come first",
            "/etc/passwd r",
        ),
        (
            "capability sys_admn",
            "unknown capability `sys_admn`",
            "sys_admn",
        ),
        ("frobnicate /x", "unknown query `frobnicate`", "frobnicate"),
        ("signal send", "missing `peer=`", "signal send"),
        ("signal sned peer=x", "unknown signal access `sned`", "sned"),
        ("w /a /b", "unexpected `/b` after the path", "/b"),
        (
            "w /a -> /b",
            "`->` gives a link target, but `l` is not requested",
            "-> /b",
        ),
        ("mount /dev/sda1", "missing `-> MOUNTPOINT`", "/dev/sda1"),
        (
            "ptrace read peer=x foo=1",
            "`ptrace` queries take no `foo=` condition",
            "foo=1",
        ),
        ("r \"/a b", "unclosed `\"` quote", "\"/a b"),
    ];
    for (text, message, at) in cases {
        let e = parse_query(text).unwrap_err();
        assert_eq!(&e.message, message, "for `{text}`");
        assert_eq!(&text[e.span.range()], *at, "span for `{text}`");
    }
    assert!(parse_query("capability sys_admn")
        .unwrap_err()
        .help
        .is_some());
}

#[test]
fn expect_lines_carry_the_verdict() {
    let e = parse_query_line("expect deny w /proc/sysrq-trigger").unwrap();
    assert_eq!(e.expect, Some(Verdict::Deny));
    assert_eq!(e.query.to_string(), "w /proc/sysrq-trigger");
    let e = parse_query_line("expect allow capability chown").unwrap();
    assert_eq!(e.expect, Some(Verdict::Allow));
    let e = parse_query_line("r /etc/hosts").unwrap();
    assert_eq!(e.expect, None);
    let err = parse_query_line("expect maybe r /x").unwrap_err();
    assert_eq!(&"expect maybe r /x"[err.span.range()], "maybe");
    // Spans after the prefix are positions in the whole line.
    let err = parse_query_line("expect allow wz /x").unwrap_err();
    assert_eq!(&"expect allow wz /x"[err.span.range()], "z");
}

#[test]
fn kernel_file_denials_read_back() {
    let line = r#"[ 1234.567890] audit: type=1400 audit(1700000000.123:456): apparmor="DENIED" operation="open" class="file" profile="docker-default" name="/proc/sysrq-trigger" pid=4242 comm="sh" requested_mask="w" denied_mask="w" fsuid=0 ouid=0"#;
    let (profile, q) = parse_denial(line).unwrap();
    assert_eq!(profile, "docker-default");
    assert_eq!(q.to_string(), "w /proc/sysrq-trigger");
    // journalctl form, with a file the process does not own and a create mask.
    let line = r#"Nov 25 10:00:00 host kernel: audit: type=1400 audit(1700000000.1:7): apparmor="DENIED" operation="mknod" profile="/usr/bin/foo" name="/var/lib/x.lock" pid=1 comm="foo" requested_mask="c" denied_mask="c" fsuid=1000 ouid=0"#;
    let (profile, q) = parse_denial(line).unwrap();
    assert_eq!(profile, "/usr/bin/foo");
    assert_eq!(q.to_string(), "other w /var/lib/x.lock");
    // audit.log form with a hex-encoded name (the kernel encodes names with spaces).
    let line = r#"type=AVC msg=audit(1700000000.5:9): apparmor="DENIED" operation="open" profile="p" name=2F686F6D652F612062 pid=3 comm="cat" requested_mask="r" denied_mask="r" fsuid=1000 ouid=1000"#;
    let (_, q) = parse_denial(line).unwrap();
    assert_eq!(
        q,
        Query::File {
            path: "/home/a b".into(),
            perms: FilePerms::READ,
            owner: true,
            link_target: None
        }
    );
    let line = r#"apparmor="DENIED" operation="exec" profile="p" name="/usr/bin/su" pid=3 comm="sh" requested_mask="x" denied_mask="x" fsuid=0 ouid=0"#;
    assert_eq!(parse_denial(line).unwrap().1.to_string(), "x /usr/bin/su");
    let line = r#"apparmor="DENIED" operation="link" profile="p" name="/tmp/l" pid=3 comm="ln" requested_mask="l" denied_mask="l" fsuid=0 ouid=0 target="/etc/shadow""#;
    assert_eq!(
        parse_denial(line).unwrap().1.to_string(),
        "l /tmp/l -> /etc/shadow"
    );
}

#[test]
fn kernel_other_class_denials_read_back() {
    let cases = [
        (
            r#"audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="capable" profile="docker-default" pid=9 comm="mount" capability=21  capname="sys_admin""#,
            "capability sys_admin",
        ),
        (
            r#"apparmor="DENIED" operation="capable" profile="p" pid=9 comm="x" capability=12"#,
            "capability net_admin",
        ),
        (
            r#"apparmor="DENIED" operation="create" profile="docker-default" pid=5 comm="python3" family="alg" sock_type="seqpacket" protocol=0 requested_mask="create" denied_mask="create""#,
            "network alg seqpacket",
        ),
        (
            r#"apparmor="DENIED" operation="create" profile="p" pid=5 comm="ping" family="inet" sock_type="raw" protocol=1 requested_mask="create" denied_mask="create""#,
            "network inet raw icmp",
        ),
        (
            r#"apparmor="DENIED" operation="signal" profile="docker-default" pid=7 comm="kill" requested_mask="send" denied_mask="send" signal=kill peer="unconfined""#,
            "signal send set=kill peer=unconfined",
        ),
        (
            r#"apparmor="DENIED" operation="ptrace" profile="docker-default" pid=7 comm="strace" requested_mask="trace" denied_mask="trace" peer="unconfined""#,
            "ptrace trace peer=unconfined",
        ),
        (
            r#"apparmor="DENIED" operation="mount" info="failed flags match" error=-13 profile="docker-default" name="/mnt/" pid=8 comm="mount" fstype="ext4" srcname="/dev/sda1" flags="rw, nosuid""#,
            "mount fstype=ext4 options=rw,nosuid /dev/sda1 -> /mnt/",
        ),
        (
            r#"apparmor="DENIED" operation="umount" profile="p" name="/mnt/" pid=8 comm="umount""#,
            "umount /mnt/",
        ),
        (
            r#"apparmor="DENIED" operation="connect" class="net" profile="p" pid=1 comm="x" family="unix" sock_type="stream" protocol=0 requested_mask="send receive connect" denied_mask="send connect" addr=none peer_addr="@/tmp/.X11-unix/X0" peer="unconfined""#,
            "unix send type=stream peer=unconfined peer_addr=@/tmp/.X11-unix/X0",
        ),
        (
            r#"type=USER_AVC msg=audit(1.1:2): pid=1 uid=101 auid=4294967295 ses=4294967295 msg='apparmor="DENIED" operation="dbus_method_call"  bus="system" path="/org/freedesktop/hostname1" interface="org.freedesktop.DBus.Properties" member="GetAll" mask="send" name="org.freedesktop.hostname1" pid=2 label="p" peer_pid=3 peer_label="unconfined" exe="/usr/bin/dbus-daemon"'"#,
            "dbus send bus=system path=/org/freedesktop/hostname1 interface=org.freedesktop.DBus.Properties member=GetAll peer=unconfined peer_name=org.freedesktop.hostname1",
        ),
        (
            r#"apparmor="DENIED" operation="userns_create" class="namespace" info="Userns create restricted - failed to find unprivileged_userns profile" error=-13 profile="unconfined" pid=1 comm="unshare" requested="userns_create" denied="userns_create""#,
            "userns create",
        ),
        (
            r#"apparmor="DENIED" operation="change_profile" profile="p" name="q" pid=1 comm="aa-exec" target="q""#,
            "change_profile -> q",
        ),
    ];
    for (line, want) in cases {
        let (_, q) = parse_denial(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(q.to_string(), want);
    }
}

#[test]
fn non_apparmor_lines_are_rejected_clearly() {
    let e = parse_denial("kernel: usb 1-1: new high-speed USB device").unwrap_err();
    assert_eq!(e.message, "not an AppArmor audit line");
    assert!(e.help.is_some());
    let e = parse_denial(r#"apparmor="DENIED" operation="open" name="/x""#).unwrap_err();
    assert_eq!(e.message, "the line names no `profile=`");
    let e = parse_denial(r#"apparmor="DENIED" operation="open" profile="p" name="/x"#).unwrap_err();
    assert!(e.message.contains("unclosed quote"), "{}", e.message);
}

#[test]
fn decision_json_shape() {
    let text = "profile t {\n  /etc/** r,\n  deny /etc/shadow r,\n  /usr/bin/* Px,\n}\n";
    let rules = ["/etc/** r,", "deny /etc/shadow r,", "/usr/bin/* Px,"];
    let (pol, sources) = build("t.apparmor", text, Spec::new("t", &rules), None);
    let p = compile(&pol, &sources).unwrap();
    let d = p
        .decide("t", &parse_query("r /etc/shadow").unwrap())
        .unwrap();
    let v = serde_json::to_value(&d).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "query",
        "profile",
        "verdict",
        "allowed",
        "denied",
        "audit",
        "quiet",
        "exec",
        "mode",
        "complain_note",
        "notes",
        "rules",
    ] {
        assert!(keys.contains(&k), "missing `{k}` in {keys:?}");
    }
    assert_eq!(v["query"], "r /etc/shadow");
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["mode"], "enforce");
    assert_eq!(v["denied"], "r");
    assert_eq!(v["quiet"], "r");
    assert!(v["exec"].is_null());
    let r = &v["rules"][0];
    assert_eq!(r["text"], "deny /etc/shadow r");
    assert_eq!(r["file"], "t.apparmor");
    assert_eq!(r["line"], 3);
    assert_eq!(r["column"], 3);
    assert_eq!(r["effect"], "deny");
    assert_eq!(r["perms"], "r");
    assert_eq!(r["implicit"], false);
    assert!(r["span"]["start"].is_u64() && r["span"]["end"].is_u64());

    let x = p
        .decide("t", &parse_query("x /usr/bin/ls").unwrap())
        .unwrap();
    let v = serde_json::to_value(&x).unwrap();
    assert_eq!(v["verdict"], "allow");
    assert_eq!(v["exec"]["mode"], "Px");
    assert_eq!(v["exec"]["kind"], "profile");
    assert_eq!(v["exec"]["scrub"], true);
    assert_eq!(v["rules"][0]["perms"], "Px");
    // A decision reads back from its JSON.
    let back: armorlab_core::eval::Decision = serde_json::from_value(v).unwrap();
    assert_eq!(back, x);
    // Queries serialize with their class.
    let q = serde_json::to_value(parse_query("capability chown").unwrap()).unwrap();
    assert_eq!(q["class"], "capability");
    assert_eq!(q["name"], "chown");
}

// proptest is a native-only dev-dependency.
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn perms() -> impl Strategy<Value = FilePerms> {
        (1u16..128).prop_map(FilePerms)
    }

    proptest! {
        #[test]
        fn file_queries_round_trip(
            // Canonical paths only (no empty, `.` or `..` component): queries refuse the
            // others, since the kernel never sees them.
            path in "/([a-zA-Z0-9_ -][a-zA-Z0-9._ -]{0,19}(/[a-zA-Z0-9_*?\\[\\]{}-][a-zA-Z0-9._*?\\[\\]{}-]{0,11}){0,4})?",
            p in perms(),
            owner in any::<bool>(),
        ) {
            // A link query names its target (`l` alone is refused).
            let link_target = p.contains(FilePerms::LINK).then(|| "/target".to_owned());
            let q = Query::File { path, perms: p, owner, link_target };
            let text = q.to_string();
            prop_assert_eq!(parse_query(&text).unwrap(), q, "text `{}`", text);
        }

        #[test]
        fn parsing_never_panics_and_spans_stay_inside(text in "\\PC{0,60}") {
            if let Err(e) = parse_query(&text) {
                prop_assert!(e.span.end as usize <= text.len());
                prop_assert!(e.span.start <= e.span.end);
                prop_assert!(text.get(e.span.range()).is_some(), "span on a char boundary");
            }
            if let Err(e) = parse_denial(&text) {
                prop_assert!(e.span.end as usize <= text.len());
            }
            let _ = parse_query_line(&text);
        }
    }
}
