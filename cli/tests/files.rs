//! check, test, fmt, export and import on temp files, and bad input of every kind.
// Test helpers outside `#[test]` functions may unwrap too: a failure there is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::*;
use std::path::Path;

const SIMPLE: &str = "#include <tunables/global>\n\nprofile web {\n  #include <abstractions/base>\n\n  /srv/www/** r,\n  /var/log/web/* w,\n  deny /etc/shadow r,\n}\n";

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---------------------------------------------------------------- check

#[test]
fn check_accepts_a_valid_profile() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let o = run_in(d.path(), &["check", "-I", s(&inc), s(&f)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stderr
            .contains("checked 1 file(s): 0 invalid, 0 error(s)"),
        "{}",
        o.stderr
    );
}

#[test]
fn check_reports_errors_with_a_snippet_and_exits_1() {
    let d = tmp();
    let f = write(d.path(), "bad", "profile bad {\n  /tmp/x rwzz,\n}\n");
    let o = run_in(d.path(), &["check", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    let name = s(&f);
    assert!(o.stderr.contains(&format!("--> {name}:2:")), "{}", o.stderr);
    assert!(o.stderr.contains("2 |   /tmp/x rwzz,"), "{}", o.stderr);
    assert!(o.stderr.contains('^'), "{}", o.stderr);
    assert!(o.stderr.contains("error["), "{}", o.stderr);
}

#[test]
fn check_json_gives_one_object_per_file() {
    let d = tmp();
    let inc = include_tree(d.path());
    let good = write(d.path(), "web", SIMPLE);
    let bad = write(d.path(), "bad", "profile bad {\n  /tmp/x rwzz,\n}\n");
    let o = run_in(
        d.path(),
        &[
            "check",
            "--format",
            "json",
            "-I",
            s(&inc),
            s(&good),
            s(&bad),
        ],
        &[],
    );
    assert_eq!(o.code, 1);
    let lines: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", o.stdout);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[0]["profiles"], serde_json::json!(["web"]));
    assert_eq!(lines[1]["valid"], false);
    let diag = &lines[1]["diagnostics"][0];
    assert_eq!(diag["severity"], "error");
    assert_eq!(diag["line"], 2);

    let o = run_in(
        d.path(),
        &[
            "check",
            "--format",
            "json",
            "-I",
            s(&inc),
            s(&good),
            "missing",
        ],
        &[],
    );
    assert_eq!(
        o.code,
        2,
        "an unreadable file wins over a valid one: {}",
        o.all()
    );
    let last: serde_json::Value = serde_json::from_str(o.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["file"], "missing");
    assert_eq!(last["valid"], false);
    assert!(
        last["error"].as_str().unwrap().contains("no such file"),
        "{last}"
    );
}

#[test]
fn a_missing_include_is_an_error_at_the_include_line() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(
        d.path(),
        "p",
        "profile p {\n  #include <abstractions/nope>\n}\n",
    );
    let o = run_in(d.path(), &["check", "-I", s(&inc), s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stderr.contains("abstractions/nope"), "{}", o.stderr);
    assert!(o.stderr.contains(&format!("{}:2:", s(&f))), "{}", o.stderr);
}

#[test]
fn quoted_includes_are_relative_to_the_working_directory() {
    let d = tmp();
    write(d.path(), "local/extra", "  /opt/extra/** r,\n");
    let f = write(d.path(), "p", "profile p {\n  include \"local/extra\"\n}\n");
    let o = run_in(d.path(), &["check", "p"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    let elsewhere = tmp();
    let o = run_in(elsewhere.path(), &["check", s(&f)], &[]);
    assert_eq!(
        o.code,
        1,
        "from another directory the include is missing: {}",
        o.all()
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input_gets_a_clear_message_and_exit_2() {
    let d = tmp();
    let o = run_in(d.path(), &["check", "does-not-exist"], &[]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("cannot read `does-not-exist`: no such file"),
        "{}",
        o.stderr
    );

    // `check` reads the profiles in a directory; an empty one is an error, not a pass.
    let o = run_in(d.path(), &["check", s(d.path())], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("holds no profile files"), "{}", o.stderr);
    let o = run_in(d.path(), &["test", s(d.path()), "r /x"], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("it is a directory"), "{}", o.stderr);

    std::fs::write(d.path().join("latin1"), b"profile p {\n  /caf\xe9 r,\n}\n").unwrap();
    let o = run_in(d.path(), &["check", "latin1"], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not UTF-8"), "{}", o.stderr);
    assert!(!o.all().contains("panicked"));
}

#[test]
fn a_file_without_read_permission_is_an_io_error() {
    use std::os::unix::fs::PermissionsExt;
    let d = tmp();
    let f = write(d.path(), "secret", "profile p {}\n");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&f).is_ok() {
        // Root reads it anyway (CAP_DAC_OVERRIDE): nothing to test here.
        eprintln!("running as root: unreadable-file check skipped");
        return;
    }
    let o = run_in(d.path(), &["check", "secret"], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("cannot read `secret`"), "{}", o.stderr);
}

#[test]
fn non_utf8_paths_work_and_are_shown_lossily() {
    use std::os::unix::ffi::OsStrExt;
    let d = tmp();
    let name = std::ffi::OsStr::from_bytes(b"prof\xffile");
    std::fs::write(d.path().join(name), "profile p {\n  /tmp/x r,\n}\n").unwrap();
    let o = std::process::Command::new(bin())
        .arg("check")
        .arg(name)
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bad = std::ffi::OsStr::from_bytes(b"missing\xff");
    let o = std::process::Command::new(bin())
        .arg("check")
        .arg(bad)
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing\u{fffd}"));
}

// ---------------------------------------------------------------- test

#[test]
fn test_decides_queries_and_names_the_deciding_rule() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let o = run_in(
        d.path(),
        &[
            "test",
            "-I",
            s(&inc),
            s(&f),
            "r /srv/www/index.html",
            "r /etc/shadow",
            "w /srv/www/index.html",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    let lines: Vec<&str> = o.stdout.lines().collect();
    let verdict_of = |q: &str| {
        lines
            .iter()
            .find(|l| l.ends_with(q))
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no line for {q}: {}", o.stdout))
    };
    assert_eq!(verdict_of("r /srv/www/index.html"), "allow");
    assert_eq!(verdict_of("r /etc/shadow"), "deny");
    assert_eq!(verdict_of("w /srv/www/index.html"), "deny");
    assert!(
        o.stdout
            .contains(&format!("by /srv/www/** r  {}:6:", s(&f))),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains(&format!("by deny /etc/shadow r  {}:8:", s(&f))),
        "{}",
        o.stdout
    );
}

#[test]
fn test_json_lines_carry_the_decision_and_expectations() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let o = run_in(
        d.path(),
        &[
            "test",
            "--format",
            "json",
            "-I",
            s(&inc),
            s(&f),
            "expect deny r /etc/shadow",
            "w /var/log/web/a",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    let v: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["verdict"], "deny");
    assert_eq!(v[0]["expect"], "deny");
    assert_eq!(v[0]["pass"], true);
    assert_eq!(v[0]["rules"][0]["effect"], "deny");
    assert_eq!(v[0]["rules"][0]["line"], 8);
    assert_eq!(v[1]["verdict"], "allow");
    assert!(v[1].get("expect").is_none());
    for key in ["query", "verdict", "allowed", "denied", "audit", "rules"] {
        assert!(v[1].get(key).is_some(), "missing {key}: {}", v[1]);
    }
}

#[test]
fn failed_expectations_exit_1_and_say_which() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let q = write(
        d.path(),
        "web.tests",
        "# expectations for web\n\nexpect allow r /srv/www/a\nexpect allow r /etc/shadow\n",
    );
    let o = run_in(
        d.path(),
        &["test", "-I", s(&inc), s(&f), "--queries", s(&q)],
        &[],
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stdout.contains(&format!(
            "FAIL (expected allow) deny  {}:4: r /etc/shadow",
            s(&q)
        )),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("2 expectation(s): 1 passed, 1 failed"),
        "{}",
        o.stdout
    );
}

#[test]
fn bad_queries_are_usage_errors_with_their_line() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let q = write(d.path(), "q", "r /srv/www/a\nexpect perhaps r /x\n");
    let o = run_in(
        d.path(),
        &["test", "-I", s(&inc), s(&f), "--queries", s(&q)],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(o.stderr.contains(&format!("{}:2:8", s(&q))), "{}", o.stderr);

    // A query the core cannot read points at the bad word, after any `expect` prefix.
    let q = write(d.path(), "q2", "expect deny  frobnicate /x\n");
    let o = run_in(
        d.path(),
        &["test", "-I", s(&inc), s(&f), "--queries", s(&q)],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr.contains(&format!("--> {}:1:14", s(&q))),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("1 | expect deny  frobnicate /x\n  |              ^^^^^^^^^^\n"),
        "{}",
        o.stderr
    );
    let o = run_in(
        d.path(),
        &["test", "-I", s(&inc), s(&f), "r /srv/www/a", "w"],
        &[],
    );
    assert_eq!(o.code, 2, "one bad query fails the run: {}", o.all());
    assert!(
        o.stdout.contains("allow r /srv/www/a"),
        "the good ones are still answered: {}",
        o.stdout
    );
    let o = run_in(d.path(), &["test", "-I", s(&inc), s(&f)], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no queries given"));
    let o = run_in(
        d.path(),
        &["test", "-I", s(&inc), s(&f), "--profile", "nope", "r /x"],
        &[],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("defines no profile `nope`"),
        "{}",
        o.stderr
    );
}

#[test]
fn docker_default_denies_sysrq_trigger() {
    let Some(_) = real_parser() else {
        eprintln!("/etc/apparmor.d is absent: docker-default check skipped");
        return;
    };
    let o = run(&[
        "test",
        s(&docker_default()),
        "expect deny w /proc/sysrq-trigger",
        "expect allow r /etc/hostname",
    ]);
    assert_eq!(o.code, 0, "{}", o.all());
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let queries: Vec<String> = (0..3000).map(|i| format!("r /srv/www/file{i}")).collect();
    let q = write(d.path(), "many", &queries.join("\n"));
    let mut child = std::process::Command::new(bin())
        .args(["test", "-I", s(&inc), s(&f), "--queries", s(&q)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
}

// ---------------------------------------------------------------- fmt

#[test]
fn fmt_check_reports_and_fmt_rewrites() {
    let d = tmp();
    let messy = "profile   p   {\n/tmp/x    r,\n      /tmp/y w,\n}\n";
    // The CLI applies the core's canonical formatting; what that looks like is the
    // formatter's business (tested in the core), that the CLI applies it is tested here.
    let canonical = armorlab_core::format::format_source(messy).unwrap();
    let f = write(d.path(), "p", messy);
    let o = run_in(d.path(), &["fmt", "--check", "p"], &[]);
    let differs = canonical != messy;
    assert_eq!(o.code, if differs { 1 } else { 0 }, "{}", o.all());
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        messy,
        "--check changes nothing"
    );

    let o = run_in(d.path(), &["fmt", "p"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(std::fs::read_to_string(&f).unwrap(), canonical);
    assert_eq!(
        run_in(d.path(), &["fmt", "--check", "p"], &[]).code,
        0,
        "a formatted file passes --check"
    );
    assert_eq!(
        run_in(d.path(), &["check", "p"], &[]).code,
        0,
        "the result still parses"
    );
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp file remains: {leftovers:?}");

    // Standard input to standard output.
    let mut child = std::process::Command::new(bin())
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(messy.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), canonical);
}

#[test]
fn fmt_leaves_files_with_errors_alone() {
    let d = tmp();
    let text = "profile p {\n  /tmp/x r\n";
    let f = write(d.path(), "p", text);
    let o = run_in(d.path(), &["fmt", "p"], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(std::fs::read_to_string(&f).unwrap(), text);
    assert!(o.stderr.contains("p:"), "{}", o.stderr);
}

// ---------------------------------------------------------------- export

#[test]
fn export_profile_keeps_or_inlines_includes() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let o = run_in(
        d.path(),
        &["export", "-I", s(&inc), s(&f), "--to", "profile"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(o.stdout, SIMPLE);

    let o = run_in(
        d.path(),
        &[
            "export",
            "-I",
            s(&inc),
            s(&f),
            "--to",
            "profile",
            "--inline",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(!o.stdout.contains("#include <"), "{}", o.stdout);
    assert!(o.stdout.contains("/etc/ld.so.cache r,"));
    // The inlined profile stands alone: it checks with no include directory at all.
    let alone = write(d.path(), "web.full", &o.stdout);
    let empty = d.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let c = run_in(d.path(), &["check", "-I", s(&empty), s(&alone)], &[]);
    assert_eq!(c.code, 0, "{}", c.all());
}

#[test]
fn inlined_docker_default_is_accepted_by_apparmor_parser() {
    let Some(parser) = real_parser() else {
        eprintln!("apparmor_parser or /etc/apparmor.d absent: skipped");
        return;
    };
    let d = tmp();
    let o = run(&[
        "export",
        s(&docker_default()),
        "--to",
        "profile",
        "--inline",
    ]);
    assert_eq!(o.code, 0, "{}", o.all());
    let f = write(d.path(), "dd", &o.stdout);
    // Only the parser's own ABI files stay referenced (`abi <abi/3.0>,`): they ship with
    // apparmor_parser, not with the profile.
    let empty = d.path().join("empty");
    std::fs::create_dir_all(empty.join("abi")).unwrap();
    for e in std::fs::read_dir("/etc/apparmor.d/abi").unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), empty.join("abi").join(e.file_name())).unwrap();
        }
    }
    let p = std::process::Command::new(parser)
        .args(["-Q", "-K", "--base", s(&empty), "-I", s(&empty), s(&f)])
        .output()
        .unwrap();
    assert!(p.status.success(), "{}", String::from_utf8_lossy(&p.stderr));
}

#[test]
fn export_docker_and_kubernetes_name_the_profile() {
    let d = tmp();
    let inc = include_tree(d.path());
    let f = write(d.path(), "web", SIMPLE);
    let o = run_in(
        d.path(),
        &[
            "export",
            "-I",
            s(&inc),
            s(&f),
            "--to",
            "docker",
            "--image",
            "nginx",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout
            .contains("docker run --rm -it --security-opt apparmor=web nginx\n"),
        "{}",
        o.stdout
    );
    let o = run_in(
        d.path(),
        &["export", "-I", s(&inc), s(&f), "--to", "kubernetes"],
        &[],
    );
    assert_eq!(o.code, 0);
    assert!(
        o.stdout
            .contains("      type: Localhost\n      localhostProfile: \"web\"\n"),
        "{}",
        o.stdout
    );
}

#[test]
fn export_spo_maps_exact_rules_and_fails_on_lossy_ones() {
    let d = tmp();
    let inc = include_tree(d.path());
    let exact = write(
        d.path(),
        "exact",
        "#include <tunables/global>\nprofile exact flags=(attach_disconnected,mediate_deleted) {\n  #include <abstractions/base>\n  /srv/** r,\n  capability net_bind_service,\n  network tcp,\n}\n",
    );
    let o = run_in(
        d.path(),
        &["export", "-I", s(&inc), s(&exact), "--to", "spo"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout.starts_with(
            "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: AppArmorProfile\n"
        ),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("readOnlyPaths:\n        - \"/srv/**\""),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("ld.so.cache"),
        "rules of abstractions/base are the operator's own"
    );

    let f = write(d.path(), "web", SIMPLE);
    let o = run_in(
        d.path(),
        &["export", "-I", s(&inc), s(&f), "--to", "spo"],
        &[],
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stdout.is_empty(), "nothing is exported: {}", o.stdout);
    assert!(
        o.stderr.contains("`/var/log/web/* w` cannot be expressed"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("`deny /etc/shadow r` cannot be expressed"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(&format!("{}:8:", s(&f))), "{}", o.stderr);
    assert!(o.stderr.contains("--allow-lossy"));

    let o = run_in(
        d.path(),
        &[
            "export",
            "-I",
            s(&inc),
            s(&f),
            "--to",
            "spo",
            "--allow-lossy",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(o.stdout.contains("kind: AppArmorProfile"));
    assert!(o.stdout.contains("\"/srv/www/**\""));
    assert!(
        o.stderr
            .contains("deny rules are left out: the resource may allow what they denied"),
        "{}",
        o.stderr
    );
    assert!(
        !o.stdout.contains("\"/var/log/web/*\""),
        "lossy rules are left out, never widened"
    );
}

#[test]
fn exports_refuse_invalid_profiles() {
    let d = tmp();
    let f = write(d.path(), "bad", "profile bad {\n  /tmp/x rwzz,\n}\n");
    for to in ["profile", "docker", "kubernetes", "spo"] {
        let o = run_in(d.path(), &["export", s(&f), "--to", to], &[]);
        assert_eq!(o.code, 1, "{to}: {}", o.all());
        assert!(o.stdout.is_empty());
    }
}

// ---------------------------------------------------------------- import

#[test]
fn garbage_and_oversized_share_links_are_refused() {
    let d = tmp();
    let o = run_in(
        d.path(),
        &["import", "https://armorlab.example/#%%%not-a-link%%%"],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(o.stderr.contains("not a valid share link"), "{}", o.stderr);

    let o = run_in(d.path(), &["import", "https://armorlab.example/"], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no content after `#`"), "{}", o.stderr);

    let big = write(
        d.path(),
        "big",
        &format!("https://x/#{}", "A".repeat(2 * 1024 * 1024)),
    );
    let o = run_in(d.path(), &["import", s(&big)], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("too large"), "{}", o.stderr);

    let o = run_in(d.path(), &["import", "no-such-file"], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("neither a share link nor a file"));
    assert!(!Path::new(&d.path().join("out")).exists());
}

#[test]
fn import_writes_the_profile_queries_and_includes_of_a_link() {
    use armorlab_core::share::{encode, ShareState};
    let d = tmp();
    let state = ShareState {
        profile: SIMPLE.to_owned(),
        includes: vec![(
            "/etc/apparmor.d/local/web".to_owned(),
            "  /srv/extra/** r,\n".to_owned(),
        )],
        queries: vec![
            "expect deny r /etc/shadow".to_owned(),
            "r /srv/www/a".to_owned(),
        ],
        template: None,
    };
    let url = format!("https://armorlab.example/#{}", encode(&state));

    let o = run_in(d.path(), &["import", &url], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(o.stdout, SIMPLE);
    assert!(
        o.stderr.contains("/etc/apparmor.d/local/web"),
        "the include is mentioned: {}",
        o.stderr
    );

    // From a file holding the link, into files; the saved queries become a test file
    // that `armorlab test --queries` runs.
    let link = write(d.path(), "link.txt", &format!("{url}\n"));
    let o = run_in(
        d.path(),
        &[
            "import",
            s(&link),
            "-o",
            "web",
            "--queries-out",
            "web.tests",
            "--includes-out",
            "inc",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(
        std::fs::read_to_string(d.path().join("web")).unwrap(),
        SIMPLE
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("inc/etc/apparmor.d/local/web")).unwrap(),
        "  /srv/extra/** r,\n"
    );
    let inc = include_tree(d.path());
    let o = run_in(
        d.path(),
        &["test", "-I", s(&inc), "web", "--queries", "web.tests"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout.contains("1 expectation(s): 1 passed, 0 failed"),
        "{}",
        o.stdout
    );
}

#[test]
fn import_refuses_includes_that_escape_the_output_directory() {
    use armorlab_core::share::{encode, ShareState};
    let d = tmp();
    let state = ShareState {
        profile: "profile p {}\n".to_owned(),
        includes: vec![
            ("/etc/apparmor.d/local/ok".to_owned(), "x".to_owned()),
            ("/../../escape".to_owned(), "x".to_owned()),
        ],
        queries: vec![],
        template: None,
    };
    let url = format!("https://x/#{}", encode(&state));
    let o = run_in(
        d.path(),
        &["import", &url, "--includes-out", "inc", "-o", "p"],
        &[],
    );
    if o.code == 0 {
        // The core may already refuse such a path at decode time; either way nothing may
        // land outside `inc`.
        panic!("an escaping include must be refused: {}", o.all());
    }
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(!d.path().join("escape").exists());
    assert!(!d.path().parent().unwrap().join("escape").exists());
    assert!(
        !d.path().join("p").exists(),
        "nothing is written when the link is refused"
    );
    assert!(
        !d.path().join("inc").exists(),
        "not even the harmless include"
    );
}

#[test]
fn import_opens_template_links() {
    use armorlab_core::share::{encode, ShareState};
    let state = ShareState {
        template: Some("docker-default-docs".to_owned()),
        ..Default::default()
    };
    let o = run(&["import", &format!("https://x/#{}", encode(&state))]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(o.stdout, std::fs::read_to_string(docker_default()).unwrap());
}

#[test]
fn exec_queries_show_the_transition() {
    let d = tmp();
    let f = write(
        d.path(),
        "p",
        "profile p {\n  /usr/bin/foo Px -> other,\n}\nprofile other {\n}\n",
    );
    let o = run_in(d.path(), &["test", "-p", "p", s(&f), "x /usr/bin/foo"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(o.stdout.contains("allow x /usr/bin/foo"), "{}", o.stdout);
    assert!(o.stdout.contains("exec Px: "), "{}", o.stdout);
    assert!(o.stdout.contains("`other`"), "{}", o.stdout);
}

#[test]
fn errors_inside_includes_point_into_the_include_and_say_where_it_was_included() {
    let d = tmp();
    write(d.path(), "inc/abstractions/bad", "  /x rwzz,\n");
    let f = write(
        d.path(),
        "main",
        "profile p {\n  #include <abstractions/bad>\n}\n",
    );
    let inc = d.path().join("inc");
    let o = run_in(d.path(), &["check", "-I", s(&inc), s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    let bad = inc.join("abstractions/bad");
    assert!(
        o.stderr.contains(&format!("--> {}:1:6", s(&bad))),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains(&format!("= note: included from {}:2:3", s(&f))),
        "{}",
        o.stderr
    );
}

#[test]
fn a_file_with_several_profiles_needs_profile() {
    let d = tmp();
    let f = write(
        d.path(),
        "two",
        "profile a {\n  /a r,\n}\nprofile b {\n  /b r,\n}\n",
    );
    let o = run_in(d.path(), &["test", s(&f), "r /a"], &[]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr
            .contains("defines 2 profiles; say which one with `--profile NAME`"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("`a`, `b`"), "{}", o.stderr);
    let o = run_in(d.path(), &["test", s(&f), "-p", "b", "r /a", "r /b"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout.contains("deny  r /a") && o.stdout.contains("allow r /b"),
        "{}",
        o.stdout
    );
    let o = run_in(d.path(), &["export", s(&f), "--to", "docker"], &[]);
    assert_eq!(o.code, 2);
    let o = run_in(
        d.path(),
        &["export", s(&f), "--to", "docker", "-p", "a"],
        &[],
    );
    assert!(o.stdout.contains("apparmor=a "), "{}", o.stdout);
}

fn run_stdin(args: &[&str], input: &str) -> Out {
    use std::io::Write;
    let mut child = std::process::Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses stdin (`load -`) may exit before reading it; the pipe then
    // breaks, which is not the test's concern: its output and exit code are.
    let written = child.stdin.take().unwrap().write_all(input.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn a_profile_may_come_from_stdin() {
    let o = run_stdin(&["check", "-"], "profile p {\n  /tmp/x rwzz,\n}\n");
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stderr.contains("--> <stdin>:2:"), "{}", o.stderr);
    let o = run_stdin(&["test", "-", "r /a", "w /a"], "profile p {\n  /a r,\n}\n");
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout.contains("allow r /a") && o.stdout.contains("deny  w /a"),
        "{}",
        o.stdout
    );
    let o = run_stdin(&["test", "-", "--queries", "-"], "profile p {}\n");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("cannot both come from stdin"),
        "{}",
        o.stderr
    );
    let o = run_stdin(&["load", "--dry-run", "-"], "profile p {}\n");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("`load` needs a profile file, not stdin"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------- review fixes

#[test]
fn check_refuses_what_only_the_compiler_finds() {
    // apparmor_parser rejects overlapping rules with different exec modes ("conflicting x
    // modifiers") while it builds the automaton; `check`, `load` and `export` must too.
    let d = tmp();
    let f = write(
        d.path(),
        "xconf",
        "profile xconf {\n  /b* px,\n  /* Pixr,\n}\n",
    );
    let o = run_in(d.path(), &["check", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stderr.contains("conflicting-x-modifiers"), "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!("--> {}:3:3", s(&f))),
        "{}",
        o.stderr
    );
    let o = run_in(d.path(), &["check", "--format", "json", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["valid"], false, "{}", o.stdout);
    let o = run_in(d.path(), &["export", s(&f), "--to", "docker"], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    // The same profile with one exec mode is fine.
    let ok = write(d.path(), "xok", "profile xok {\n  /b* px,\n  /* px,\n}\n");
    let o = run_in(d.path(), &["check", s(&ok)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
}

#[test]
fn check_summary_counts_unreadable_files_apart() {
    let d = tmp();
    let f = write(d.path(), "good", "profile good {\n  /tmp/x r,\n}\n");
    let o = run_in(d.path(), &["check", s(&f), "missing"], &[]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr
            .contains("checked 2 file(s): 0 invalid, 1 unreadable, 0 error(s)"),
        "{}",
        o.stderr
    );
}

#[test]
fn complain_and_unconfined_verdicts_do_not_read_as_denials() {
    let d = tmp();
    let f = write(
        d.path(),
        "modes",
        "profile c flags=(complain) {\n  /etc/passwd r,\n}\nprofile e {\n  /etc/passwd r,\n}\n",
    );
    let o = run_in(d.path(), &["test", s(&f), "-p", "c", "w /etc/x"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    let first = o.stdout.lines().next().unwrap_or("");
    assert!(first.starts_with("allow w /etc/x"), "{}", o.stdout);
    assert!(first.contains("(complain mode)"), "{}", o.stdout);
    assert!(o.stdout.contains("not granted w"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("allowed because the profile is in complain mode"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("denied by default"), "{}", o.stdout);
    // In enforce mode the same query is a plain denial.
    let o = run_in(d.path(), &["test", s(&f), "-p", "e", "w /etc/x"], &[]);
    assert!(o.stdout.starts_with("deny "), "{}", o.stdout);
    assert!(o.stdout.contains("denied w"), "{}", o.stdout);
    assert!(o.stdout.contains("denied by default"), "{}", o.stdout);
    assert!(!o.stdout.contains("mode)"), "{}", o.stdout);
}

#[test]
fn a_bad_expectation_points_at_the_bad_word() {
    let d = tmp();
    let f = write(d.path(), "p", "profile p {\n  /etc/passwd r,\n}\n");
    let q = write(
        d.path(),
        "q",
        "expect allow r /etc/passwd\n  expect maybe r /x\n",
    );
    let o = run_in(d.path(), &["test", s(&f), "--queries", s(&q)], &[]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr.contains(&format!("--> {}:2:10", s(&q))),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("  |          ^^^^^\n"), "{}", o.stderr);
}

#[test]
fn an_unknown_profile_name_lists_the_others_quoted() {
    let d = tmp();
    let f = write(
        d.path(),
        "p",
        "profile a {\n  ^hat {\n  }\n}\nprofile b {\n}\n",
    );
    let o = run_in(d.path(), &["test", s(&f), "-p", "nope", "r /x"], &[]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr.contains("it defines `a`, `a//hat`, `b`"),
        "{}",
        o.stderr
    );
}

#[test]
fn export_profile_does_not_ignore_profile_when_the_file_has_others() {
    let d = tmp();
    let two = write(
        d.path(),
        "two",
        "profile a {\n  /x r,\n}\nprofile b {\n  /y r,\n}\n",
    );
    let o = run_in(
        d.path(),
        &["export", s(&two), "--to", "profile", "-p", "a"],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(o.stderr.contains("also defines `b`"), "{}", o.stderr);
    // A file with just that profile exports as before.
    let one = write(d.path(), "one", "profile a {\n  /x r,\n}\n");
    let o = run_in(
        d.path(),
        &["export", s(&one), "--to", "profile", "-p", "a"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(o.stdout, "profile a {\n  /x r,\n}\n");
    let o = run_in(
        d.path(),
        &["export", s(&one), "--to", "profile", "-p", "zz"],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.all());
}

#[test]
fn import_reads_a_link_from_stdin_and_refuses_a_directory_plainly() {
    use armorlab_core::share::{encode, ShareState};
    let state = ShareState {
        profile: "profile piped {\n  /x r,\n}\n".to_owned(),
        ..ShareState::default()
    };
    let link = format!("https://armorlab.example/#{}\n", encode(&state));
    let o = run_stdin(&["import", "-"], &link);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(o.stdout, "profile piped {\n  /x r,\n}\n");

    let d = tmp();
    let o = run_in(d.path(), &["import", s(d.path())], &[]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(o.stderr.contains("it is a directory"), "{}", o.stderr);
    assert!(o.stderr.contains("the share link itself"), "{}", o.stderr);
    assert!(!o.stderr.contains("profile file itself"), "{}", o.stderr);
}

#[test]
fn json_output_has_a_line_for_a_query_that_cannot_be_decided() {
    let d = tmp();
    let f = write(d.path(), "p", "profile p {\n  /x r,\n}\n");
    let q = write(d.path(), "q", "r /x\nfrob /x\nw /x\n");
    let o = run_in(
        d.path(),
        &["test", s(&f), "--format", "json", "--queries", s(&q)],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.all());
    let lines: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", o.stdout);
    assert_eq!(lines[0]["verdict"], "allow");
    assert_eq!(lines[1]["query"], "frob /x");
    assert_eq!(lines[1]["input"], "frob /x");
    assert!(
        lines[1]["error"].as_str().unwrap().contains("frob"),
        "{}",
        o.stdout
    );
    assert_eq!(lines[1]["source"]["line"], 2);
    assert!(lines[1].get("verdict").is_none(), "{}", o.stdout);
    assert_eq!(lines[2]["verdict"], "deny");
}

#[test]
fn fmt_check_shows_what_would_change_and_where() {
    let d = tmp();
    let f = write(
        d.path(),
        "p",
        "profile p {\n  /a r,\n  /b\t\tr,\n  /c r,\n  /d    w,\n}\n",
    );
    let o = run_in(d.path(), &["fmt", "--check", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    let name = s(&f);
    assert!(
        o.stderr.contains(&format!("--> {name}:3\n")),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("  -  /b\t\tr,\n  +  /b r,\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!("--> {name}:5\n")),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("  -  /d    w,\n  +  /d w,\n"),
        "{}",
        o.stderr
    );
    // Unchanged lines are not shown.
    assert!(!o.stderr.contains("/a r,"), "{}", o.stderr);
    // The same from stdin.
    let o = run_stdin(&["fmt", "--check", "-"], "profile p {\n  /b\t\tr,\n}\n");
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr.contains("`<stdin>` is not formatted"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("--> <stdin>:2\n"), "{}", o.stderr);
}

#[test]
fn check_of_a_directory_checks_the_profiles_in_it_like_apparmor_parser() {
    let d = tmp();
    let dir = d.path().join("apparmor.d");
    write(&dir, "good", "profile good {\n  /x r,\n}\n");
    write(&dir, "bad", "profile bad {\n  capability sys_admn,\n}\n");
    // Skipped like apparmor_parser skips them: includes in subdirectories, dot files,
    // package leftovers, README.
    write(&dir, "abstractions/base", "  /broken rwzz,\n");
    write(&dir, ".hidden", "garbage {");
    write(&dir, "good.dpkg-old", "garbage {");
    write(&dir, "README", "not a profile {");
    let o = run_in(d.path(), &["check", s(&dir)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr
            .contains("checked 2 file(s): 1 invalid, 1 error(s)"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("sys_admn"), "{}", o.stderr);
    assert!(!o.stderr.contains("rwzz"), "{}", o.stderr);
    assert!(!o.stderr.contains("garbage"), "{}", o.stderr);
}

#[test]
fn a_diagnostic_on_a_huge_line_stays_readable() {
    let d = tmp();
    let f = write(
        d.path(),
        "long",
        &format!("profile long {{\n  /{} rwzz,\n}}\n", "a".repeat(1_000_000)),
    );
    let o = run_in(d.path(), &["check", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", &o.stderr[..o.stderr.len().min(2000)]);
    assert!(
        o.stderr.len() < 4000,
        "a megabyte line must not be echoed whole: {} bytes of stderr",
        o.stderr.len()
    );
    assert!(o.stderr.contains("rwzz"), "{}", o.stderr);
}

#[test]
fn a_file_with_hundreds_of_errors_shows_the_first_fifty_and_counts_the_rest() {
    let d = tmp();
    let body: String = (0..120).map(|i| format!("  /x{i} rwzz,\n")).collect();
    let f = write(d.path(), "many", &format!("profile many {{\n{body}}}\n"));
    let o = run_in(d.path(), &["check", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(o.stderr.matches("error[invalid-mode]").count(), 50);
    assert!(
        o.stderr
            .contains("70 more diagnostic(s) not shown (70 error(s))"),
        "{}",
        o.stderr
    );
    // The summary and JSON still count every one.
    assert!(o.stderr.contains("120 error(s)"), "{}", o.stderr);
    let o = run_in(d.path(), &["check", "--format", "json", s(&f)], &[]);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 120);
}

#[test]
fn a_byte_order_mark_is_named_instead_of_an_invisible_syntax_error() {
    let d = tmp();
    let f = write(d.path(), "bom", "\u{feff}profile bom {\n  /x r,\n}\n");
    let o = run_in(d.path(), &["check", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    let first = o.stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with("error[byte-order-mark]"),
        "the BOM must be the first thing said: {}",
        o.stderr
    );
    assert!(
        o.stderr.contains("without a byte order mark"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_queries_file_that_is_empty_or_a_directory_gets_its_own_message() {
    let d = tmp();
    let f = write(d.path(), "p", "profile p {\n  /x r,\n}\n");
    let q = write(d.path(), "q", "# only comments\n\n");
    let o = run_in(d.path(), &["test", s(&f), "--queries", s(&q)], &[]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(
        o.stderr.contains(&format!("`{}` holds no queries", s(&q))),
        "{}",
        o.stderr
    );
    let o = run_in(d.path(), &["test", s(&f), "--queries", s(d.path())], &[]);
    assert_eq!(o.code, 2, "{}", o.all());
    assert!(o.stderr.contains("it is a directory"), "{}", o.stderr);
    assert!(o.stderr.contains("one query per line"), "{}", o.stderr);
    assert!(!o.stderr.contains("profile file itself"), "{}", o.stderr);
}

#[test]
fn a_queries_file_may_comment_each_line() {
    let d = tmp();
    let f = write(
        d.path(),
        "p",
        "profile p {\n  /x r,\n  \"/tmp/a #b\" r,\n  /tmp/c#d r,\n}\n",
    );
    let q = write(
        d.path(),
        "q",
        "expect allow r /x   # reading is fine\nexpect deny w /x\t# never write\nexpect allow r \"/tmp/a #b\"\nexpect allow r /tmp/c#d # a `#` inside a path stays\n",
    );
    let o = run_in(d.path(), &["test", s(&f), "--queries", s(&q)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout.contains("4 expectation(s): 4 passed, 0 failed"),
        "{}",
        o.stdout
    );
}

#[test]
fn fmt_writes_through_a_symbolic_link_and_keeps_it() {
    let d = tmp();
    let real = write(d.path(), "repo/p", "profile p {\n  /x    r,\n}\n");
    let link = d.path().join("p-link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = run_in(d.path(), &["fmt", s(&link)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link must stay a link"
    );
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "profile p {\n  /x r,\n}\n"
    );
}

#[test]
fn json_results_carry_the_query_as_written_next_to_the_canonical_one() {
    let d = tmp();
    let f = write(d.path(), "p", "profile p {\n  capability sys_admin,\n}\n");
    let o = run_in(
        d.path(),
        &[
            "test",
            s(&f),
            "--format",
            "json",
            "capability CAP_SYS_ADMIN",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["query"], "capability sys_admin", "{}", o.stdout);
    assert_eq!(v["input"], "capability CAP_SYS_ADMIN", "{}", o.stdout);
    assert_eq!(v["verdict"], "allow", "{}", o.stdout);
}

#[test]
fn a_query_path_the_kernel_never_sees_is_refused_not_decided() {
    // The kernel mediates resolved paths: `/etc//passwd` reaches it as `/etc/passwd`.
    // Deciding on the literal text gave `deny` under `/etc/passwd r,`, a wrong verdict.
    let d = tmp();
    let f = write(d.path(), "p", "profile p {\n  /etc/passwd r,\n}\n");
    for (q, col, fixed) in [
        ("r /etc//passwd", 3, "/etc/passwd"),
        ("r /etc/./passwd", 3, "/etc/passwd"),
        ("r /tmp/../etc/passwd", 3, "/etc/passwd"),
        ("l /tmp/x -> /etc//passwd", 13, "/etc/passwd"),
    ] {
        let o = run_in(d.path(), &["test", s(&f), q], &[]);
        assert_eq!(o.code, 2, "{q}: {}", o.all());
        assert!(
            o.stdout.is_empty(),
            "{q}: no verdict may be printed: {}",
            o.stdout
        );
        assert!(
            o.stderr.contains(&format!("<query>:1:{col}")),
            "{q}: {}",
            o.stderr
        );
        assert!(
            o.stderr.contains(&format!("`{fixed}`")) && o.stderr.contains("help:"),
            "{q}: {}",
            o.stderr
        );
    }
    // Canonical paths, a directory's trailing slash, and hats after `->` are fine.
    let o = run_in(
        d.path(),
        &[
            "test",
            s(&f),
            "r /etc/passwd",
            "r /etc/",
            "change_profile -> /usr/bin/man//filter",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(o.stdout.starts_with("allow r /etc/passwd"), "{}", o.stdout);
}

#[test]
fn the_base_directory_is_searched_after_every_include_dir_like_apparmor_parser() {
    // `apparmor_parser -I DIR` adds DIR before its base directory; it does not replace it.
    // With `-I ./local-includes`, `#include <tunables/global>` must still be found.
    let d = tmp();
    let extra = d.path().join("extra");
    let base = d.path().join("base");
    write(&extra, "local/site", "  /site r,\n");
    write(&base, "abstractions/common", "  /common r,\n");
    let f = write(
        d.path(),
        "p",
        "profile p {\n  #include <abstractions/common>\n  #include <local/site>\n}\n",
    );
    let o = run_in(
        d.path(),
        &[
            "test",
            "-I",
            s(&extra),
            "-b",
            s(&base),
            s(&f),
            "r /common",
            "r /site",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(o.stdout.matches("allow r /").count(), 2, "{}", o.stdout);
    // Another base directory replaces the default one.
    let empty = d.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = run_in(
        d.path(),
        &["check", "-I", s(&extra), "-b", s(&empty), s(&f)],
        &[],
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stderr.contains("abstractions/common"), "{}", o.stderr);
    assert!(!o.stderr.contains("local/site"), "{}", o.stderr);
}

#[test]
fn json_output_keeps_a_line_for_a_malformed_expectation_in_order() {
    let d = tmp();
    let f = write(d.path(), "p", "profile p {\n  /x r,\n}\n");
    let q = write(d.path(), "q", "r /x\nexpect maybe r /x\nw /x\n");
    let o = run_in(
        d.path(),
        &["test", s(&f), "--format", "json", "--queries", s(&q)],
        &[],
    );
    assert_eq!(o.code, 2, "{}", o.all());
    let lines: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", o.stdout);
    assert_eq!(lines[0]["verdict"], "allow");
    assert!(
        lines[1]["error"].as_str().unwrap().contains("`maybe`"),
        "{}",
        o.stdout
    );
    assert_eq!(lines[1]["source"]["line"], 2);
    assert_eq!(lines[2]["verdict"], "deny");
}

#[test]
fn import_output_writes_through_a_symbolic_link() {
    use armorlab_core::share::{encode, ShareState};
    let d = tmp();
    let real = write(d.path(), "repo/p", "old\n");
    let link = d.path().join("p-link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let state = ShareState {
        profile: "profile p {\n  /x r,\n}\n".to_owned(),
        ..ShareState::default()
    };
    let url = format!("https://armorlab.example/#{}", encode(&state));
    let o = run_in(d.path(), &["import", &url, "-o", s(&link)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "profile p {\n  /x r,\n}\n"
    );
}
