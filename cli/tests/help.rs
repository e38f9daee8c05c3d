//! `--help` for every subcommand shows examples and the exit codes; usage errors exit 2.

// Test helpers outside `#[test]` functions may unwrap too: a failure there is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::*;

const SUBCOMMANDS: [&str; 8] = [
    "check", "test", "fmt", "export", "import", "load", "unload", "status",
];

#[test]
fn every_subcommand_has_examples_and_exit_codes_in_its_help() {
    for sub in SUBCOMMANDS {
        let o = run(&[sub, "--help"]);
        assert_eq!(o.code, 0, "{sub} --help: {}", o.all());
        assert!(
            o.stdout.contains("Examples:"),
            "{sub} --help lacks examples:\n{}",
            o.stdout
        );
        assert!(
            o.stdout.contains("Exit status"),
            "{sub} --help lacks exit codes:\n{}",
            o.stdout
        );
        assert!(
            o.stdout.contains(&format!("armorlab {sub}")),
            "{sub}: examples must use the subcommand"
        );
    }
}

#[test]
fn top_level_help_lists_subcommands_and_exit_codes() {
    let o = run(&["--help"]);
    assert_eq!(o.code, 0);
    for sub in SUBCOMMANDS {
        assert!(o.stdout.contains(sub), "missing {sub}");
    }
    assert!(o.stdout.contains("0  success"));
    assert!(o.stdout.contains("1  the check found problems"));
    assert!(o.stdout.contains("2  usage error"));
}

#[test]
fn hidden_test_hooks_stay_out_of_help() {
    let o = run(&["load", "--help"]);
    assert!(!o.stdout.contains("sysfs"), "{}", o.stdout);
    assert!(!o.stdout.contains("euid"), "{}", o.stdout);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).code, 2);
    assert_eq!(run(&["frobnicate"]).code, 2);
    assert_eq!(run(&["check"]).code, 2, "FILE is required");
    let o = run(&["export", "x", "--to", "nowhere"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("nowhere"), "{}", o.stderr);
}

#[test]
fn colour_is_off_when_output_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["check", "missing-file"], &[("NO_COLOR", "")]);
    assert_eq!(o.code, 2);
    assert!(
        !o.all().contains('\x1b'),
        "escape codes in piped output: {:?}",
        o.all()
    );
    let forced = run_in(
        dir.path(),
        &["--color", "always", "check", "missing-file"],
        &[],
    );
    assert!(
        forced.stderr.contains("\x1b["),
        "--color always must colour: {:?}",
        forced.stderr
    );
}

#[test]
fn a_broken_stderr_pipe_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad"), "profile p {\n  /x rwzz,\n}\n").unwrap();
    std::fs::write(dir.path().join("lossy"), "profile p {\n  deny /x w,\n}\n").unwrap();
    for (args, code) in [
        (["check", "bad", "", ""], 1),
        (["export", "lossy", "--to", "spo"], 1),
    ] {
        let args: Vec<&str> = args.iter().copied().filter(|a| !a.is_empty()).collect();
        // The reading end of stderr is closed before the child starts: every diagnostic
        // write fails with EPIPE, and the exit code must still be the command's (a panic
        // would give 101).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = std::process::Command::new(bin())
            .args(&args)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

#[test]
fn every_query_example_in_test_help_is_a_query_test_accepts() {
    let o = run(&["test", "--help"]);
    let help = o.stdout;
    let start = help.find("Query syntax").expect("query syntax section");
    let end = help.find("A query may start").expect("end of the section");
    // Each row is `  FORM<spaces>EXAMPLE`; the example column starts at the same place on
    // every row, and rows that only continue the form's text are in parentheses.
    let mut examples = Vec::new();
    for line in help[start..end].lines().skip(1) {
        let example = line.get(29..).unwrap_or("").trim();
        if !example.is_empty() && !example.starts_with('(') {
            examples.push(example.to_owned());
        }
    }
    assert!(
        examples.len() >= 15,
        "every query class needs an example: {examples:?}"
    );
    for class in [
        "capability",
        "network",
        "signal",
        "ptrace",
        "mount",
        "remount",
        "umount",
        "pivot_root",
        "unix",
        "dbus",
        "change_profile",
        "userns",
        "io_uring",
        "mqueue",
        "rlimit",
        "other",
        "l ",
    ] {
        assert!(
            examples.iter().any(|e| e.starts_with(class)),
            "no example of `{class}` in:\n{}",
            &help[start..end]
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p"), "profile p {\n  /etc/passwd r,\n}\n").unwrap();
    let mut args = vec!["test", "p"];
    args.extend(examples.iter().map(String::as_str));
    let o = run_in(dir.path(), &args, &[]);
    // Exit 2 would mean one of the documented examples is not a valid query.
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(
        o.stdout.lines().filter(|l| !l.starts_with(' ')).count(),
        examples.len(),
        "one decision per example:\n{}",
        o.stdout
    );
}
