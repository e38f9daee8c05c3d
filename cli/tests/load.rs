//! `load` against a fake root and a fake `apparmor_parser`: validation first, refusing
//! smuggled profiles, atomic install keeping the previous version, rollback when the
//! parser rejects or the kernel does not show the profile, and the host errors.
//!
//! The fake parser is a shell script: for `-r FILE` it lists the file's `profile NAME`
//! headers in the fake securityfs `profiles` file (complain with `-C`), logs every call,
//! and fails like the real one when the file contains `# reject-me`.
// Test helpers outside `#[test]` functions may unwrap too: a failure there is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::*;
use std::path::{Path, PathBuf};

const FAKE_PARSER: &str = r#"#!/bin/sh
# Fake apparmor_parser for tests.
log="$FAKE_ROOT/parser.log"
mode=enforce
op=""
file=""
while [ $# -gt 0 ]; do
  case "$1" in
    -r|-R|-a) op=$1 ;;
    -C) mode=complain ;;
    -Q|-K) op=compile ;;
    -I) shift ;;
    *) file=$1 ;;
  esac
  shift
done
echo "$op $mode $file $(md5sum < "$file" | cut -c1-8)" >> "$log"
line=$(grep -n 'reject-me' "$file" | head -1 | cut -d: -f1)
if [ -n "$line" ]; then
  echo "AppArmor parser error for $file in profile $file at line $line: syntax error, unexpected TOK_ID" >&2
  exit 1
fi
[ "$op" = compile ] && exit 0
[ -n "$FAKE_PARSER_NOLOAD" ] && exit 0
profiles="$FAKE_ROOT/sys/kernel/security/apparmor/profiles"
for name in $(sed -n 's/^ *profile \([^ {]*\).*/\1/p' "$file"); do
  grep -v "^$name (" "$profiles" > "$profiles.new"
  if [ "$op" != -R ]; then echo "$name ($mode)" >> "$profiles.new"; fi
  mv "$profiles.new" "$profiles"
done
exit 0
"#;

const GOOD: &str = "profile docker-default flags=(attach_disconnected) {\n  /tmp/** rw,\n}\n";
const GOOD2: &str =
    "profile docker-default flags=(attach_disconnected) {\n  /tmp/** rw,\n  /var/tmp/** r,\n}\n";
const REJECTED: &str =
    "profile docker-default flags=(attach_disconnected) {\n  /tmp/** rw,\n  # reject-me\n}\n";

struct Host {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Host {
    fn new() -> Host {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        write(&root, "sys/module/apparmor/parameters/enabled", "Y\n");
        write(&root, "sys/kernel/security/apparmor/profiles", "");
        std::fs::create_dir_all(root.join("etc/apparmor.d")).unwrap();
        std::fs::create_dir_all(root.join("proc")).unwrap();
        let parser = write(&root, "bin/apparmor_parser", FAKE_PARSER);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&parser, std::fs::Permissions::from_mode(0o755)).unwrap();
        Host { _dir: dir, root }
    }

    fn dir(&self) -> PathBuf {
        self.root.join("etc/apparmor.d")
    }

    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Out {
        let sys = self.root.join("sys");
        let parser = self.root.join("bin/apparmor_parser");
        let dir = self.dir();
        let mut full: Vec<&str> = args.to_vec();
        full.extend(["--dir", s(&dir)]);
        let mut env = vec![
            ("ARMORLAB_SYSFS", s(&sys)),
            ("ARMORLAB_APPARMOR_PARSER", s(&parser)),
            ("ARMORLAB_EUID", "0"),
            ("FAKE_ROOT", s(&self.root)),
        ];
        env.extend_from_slice(extra);
        run_in(&self.root, &full, &env)
    }

    fn profiles(&self) -> String {
        std::fs::read_to_string(self.root.join("sys/kernel/security/apparmor/profiles")).unwrap()
    }

    fn parser_log(&self) -> String {
        std::fs::read_to_string(self.root.join("parser.log")).unwrap_or_default()
    }

    /// Every entry of the profile directory, sorted.
    fn listing(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn src(&self, name: &str, text: &str) -> PathBuf {
        write(&self.root.join("src"), name, text)
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn load_installs_atomically_and_keeps_the_previous_version() {
    let h = Host::new();
    let f = h.src("docker-default", GOOD);
    let o = h.run(&["load", s(&f)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout.contains("loaded `docker-default` in enforce mode"),
        "{}",
        o.stdout
    );
    assert_eq!(read(&h.dir().join("docker-default")), GOOD);
    assert_eq!(h.listing(), ["docker-default"], "no temp file may remain");
    assert_eq!(h.profiles(), "docker-default (enforce)\n");
    assert!(
        h.parser_log().starts_with("-r enforce "),
        "{}",
        h.parser_log()
    );

    let f2 = h.src("docker-default", GOOD2);
    let o = h.run(&["load", s(&f2)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(read(&h.dir().join("docker-default")), GOOD2);
    assert_eq!(
        read(&h.dir().join(".docker-default.armorlab-previous")),
        GOOD
    );
    assert_eq!(
        h.listing(),
        [".docker-default.armorlab-previous", "docker-default"]
    );
}

#[test]
fn complain_passes_dash_c_and_verifies_the_mode() {
    let h = Host::new();
    let f = h.src("docker-default", GOOD);
    let o = h.run(&["load", "--complain", s(&f)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(h.profiles(), "docker-default (complain)\n");
    assert!(o.stdout.contains("in complain mode"));
}

#[test]
fn a_parser_rejection_restores_and_reloads_the_previous_version() {
    let h = Host::new();
    let good = h.src("docker-default", GOOD);
    assert_eq!(h.run(&["load", s(&good)], &[]).code, 0);
    let bad = h.src("docker-default.new", REJECTED);
    let o = h.run(&["load", s(&bad)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    // The parser's message, with the installed path mapped back to the user's file and a
    // snippet of the line it names.
    assert!(
        o.stderr.contains("apparmor_parser rejected the profile"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!("error for {}", s(&bad))),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!("{}:3:3", s(&bad))),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("3 |   # reject-me"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("restored and reloaded the previous version"),
        "{}",
        o.stderr
    );
    assert_eq!(
        read(&h.dir().join("docker-default")),
        GOOD,
        "the previous file is back"
    );
    assert_eq!(h.profiles(), "docker-default (enforce)\n");
    let log = h.parser_log();
    let calls: Vec<&str> = log.lines().collect();
    assert_eq!(
        calls.len(),
        3,
        "load, rejected load, reload of the previous: {log}"
    );
    assert_eq!(
        calls[0].split(' ').nth(3),
        calls[2].split(' ').nth(3),
        "the reload is of the previous text: {log}"
    );
}

#[test]
fn a_profile_the_kernel_does_not_show_is_rolled_back() {
    let h = Host::new();
    let f = h.src("docker-default", GOOD);
    let o = h.run(&["load", s(&f)], &[("FAKE_PARSER_NOLOAD", "1")]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr
            .contains("`docker-default` is not in the kernel's list of profiles"),
        "{}",
        o.stderr
    );
    assert!(
        h.listing().is_empty(),
        "a new file is removed again: {:?}",
        h.listing()
    );
}

#[test]
fn a_rejected_first_load_leaves_nothing_installed() {
    let h = Host::new();
    let bad = h.src("docker-default", REJECTED);
    let o = h.run(&["load", s(&bad)], &[]);
    assert_eq!(o.code, 1);
    assert!(h.listing().is_empty(), "{:?}", h.listing());
    assert_eq!(h.profiles(), "");
}

#[test]
fn smuggled_profiles_are_refused_unless_named_or_forced() {
    let h = Host::new();
    let text = "profile myapp {\n  /srv/** r,\n}\nprofile docker-default {\n  /** rwlk,\n}\n";
    let f = h.src("myapp", text);
    let o = h.run(&["load", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr
            .contains("profiles not asked for: `myapp`, `docker-default`"),
        "{}",
        o.stderr
    );
    assert!(h.listing().is_empty());
    assert!(h.parser_log().is_empty(), "the parser must not run");

    let o = h.run(&["load", s(&f), "--profile", "myapp"], &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("a profile not asked for: `docker-default`"),
        "{}",
        o.stderr
    );

    let o = h.run(&["load", s(&f), "-p", "myapp", "-p", "docker-default"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(h.profiles(), "myapp (enforce)\ndocker-default (enforce)\n");
}

#[test]
fn a_new_file_may_not_redefine_a_profile_another_file_defines() {
    let h = Host::new();
    write(&h.dir(), "docker-default", GOOD);
    let evil = h.src("evil", "profile docker-default {\n  /** rwlk,\n}\n");
    let o = h.run(&["load", s(&evil), "--as", "evil"], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr
            .contains("profile `docker-default` is already defined by"),
        "{}",
        o.stderr
    );
    assert_eq!(h.listing(), ["docker-default"]);

    let o = h.run(&["load", s(&evil), "--as", "evil", "--force"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(o.stderr.contains("loading anyway: --force"), "{}", o.stderr);
}

#[test]
fn dry_run_changes_nothing() {
    let h = Host::new();
    let f = h.src("docker-default", GOOD);
    let o = h.run(&["load", "--dry-run", s(&f)], &[("ARMORLAB_EUID", "1000")]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(o.stdout.contains("would install it as"), "{}", o.stdout);
    assert!(o
        .stdout
        .contains("would load `docker-default` in enforce mode"));
    assert!(o.stdout.contains("apparmor_parser accepts it"));
    assert!(h.listing().is_empty());
    assert_eq!(h.profiles(), "");
    assert!(
        h.parser_log().starts_with("compile "),
        "only -Q -K: {}",
        h.parser_log()
    );

    let bad = h.src("bad", REJECTED);
    let o = h.run(&["load", "--dry-run", s(&bad)], &[]);
    assert_eq!(
        o.code,
        1,
        "a dry run reports the parser's rejection: {}",
        o.all()
    );
}

#[test]
fn host_errors_are_clear_and_change_nothing() {
    let h = Host::new();
    let f = h.src("docker-default", GOOD);

    let o = h.run(&["load", s(&f)], &[("ARMORLAB_EUID", "1000")]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("loading a profile needs root (running as uid 1000)"),
        "{}",
        o.stderr
    );

    write(&h.root, "sys/module/apparmor/parameters/enabled", "N\n");
    let o = h.run(&["load", s(&f)], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("AppArmor is disabled"), "{}", o.stderr);
    write(&h.root, "sys/module/apparmor/parameters/enabled", "Y\n");

    let o = h.run(
        &["load", s(&f)],
        &[("ARMORLAB_APPARMOR_PARSER", "/nonexistent/apparmor_parser")],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("apparmor_parser not found"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("apt-get install apparmor"),
        "{}",
        o.stderr
    );

    assert!(h.listing().is_empty());
    assert!(h.parser_log().is_empty());
}

#[test]
fn invalid_profiles_are_refused_before_anything_happens() {
    let h = Host::new();
    let f = h.src("broken", "profile broken {\n  /tmp/x rwzz,\n}\n");
    let o = h.run(&["load", s(&f)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr.contains("has errors; nothing was loaded"),
        "{}",
        o.stderr
    );
    assert!(h.listing().is_empty());
    assert!(h.parser_log().is_empty());
}

#[test]
fn a_rollback_restores_complain_mode_too() {
    let h = Host::new();
    let good = h.src("docker-default", GOOD);
    assert_eq!(h.run(&["load", "--complain", s(&good)], &[]).code, 0);
    assert_eq!(h.profiles(), "docker-default (complain)\n");
    let bad = h.src("docker-default.new", REJECTED);
    let o = h.run(&["load", s(&bad)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(
        h.profiles(),
        "docker-default (complain)\n",
        "{}",
        h.parser_log()
    );
    assert!(
        h.parser_log()
            .lines()
            .last()
            .unwrap()
            .starts_with("-r complain "),
        "{}",
        h.parser_log()
    );
}

#[test]
fn a_relative_quoted_include_is_warned_about() {
    let h = Host::new();
    write(&h.root, "local/extra", "  /opt/extra/** r,\n");
    let f = h.src(
        "docker-default",
        "profile docker-default {\n  include \"local/extra\"\n}\n",
    );
    let o = h.run(&["load", s(&f)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stderr
            .contains(":2: `include \"local/extra\"` is relative to the working directory"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_file_edited_in_place_in_the_profile_directory_is_reloaded_under_its_own_name() {
    // Debian names files after the binary (`usr.sbin.smbd`) and the profile differently
    // (`smbd`); editing the file in place and loading it must not install a second copy
    // named after the profile, nor be refused because the file itself defines it.
    let h = Host::new();
    let installed = write(&h.dir(), "usr.sbin.smbd", "profile smbd {\n  /x r,\n}\n");
    let o = h.run(&["load", s(&installed)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(read(&installed), "profile smbd {\n  /x r,\n}\n");
    assert!(
        !h.listing().contains(&"smbd".to_owned()),
        "{:?}",
        h.listing()
    );
    assert_eq!(h.profiles(), "smbd (enforce)\n");
    // The edit loaded, so it is what a later failed edit goes back to.
    assert_eq!(
        read(&h.dir().join(".usr.sbin.smbd.armorlab-previous")),
        "profile smbd {\n  /x r,\n}\n"
    );
    // A copy from elsewhere is still installed under the profile's name and refused,
    // because the directory already defines the profile in another file.
    let copy = h.src("usr.sbin.smbd", "profile smbd {\n  /y r,\n}\n");
    let o = h.run(&["load", s(&copy)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stderr.contains("already defined by"), "{}", o.stderr);
}

#[test]
fn a_rejection_inside_an_include_points_into_the_include() {
    // apparmor_parser names the file it was reading after `in profile`; for an error in an
    // included file the snippet must come from that file, not from the line with the same
    // number in the user's file.
    let real = Path::new("/usr/sbin/apparmor_parser");
    if !real.exists() {
        eprintln!("apparmor_parser is absent: skipping the check against the real parser");
        return;
    }
    let h = Host::new();
    let inc = h.root.join("inc");
    // `priority=` is newer than apparmor_parser 3.0 and it rejects it, while armorlab's core
    // (which follows the newer grammar) accepts it: a rejection only the parser finds.
    let brk = write(&inc, "local/brk", "  /y r,\n  priority=1 /x r,\n");
    let f = h.src(
        "incp",
        "profile incp {\n  /a r,\n  /b r,\n  #include <local/brk>\n}\n",
    );
    let o = h.run(
        &["load", "--dry-run", "-I", s(&inc), s(&f)],
        &[("ARMORLAB_APPARMOR_PARSER", s(real))],
    );
    if o.code == 0 {
        eprintln!("this apparmor_parser accepts `priority=`: nothing to check");
        return;
    }
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr.contains(&format!("--> {}:2:3", s(&brk))),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("2 |   priority=1 /x r,"), "{}", o.stderr);
    assert!(!o.stderr.contains("2 |   /a r,"), "{}", o.stderr);
    assert!(
        !o.stderr.contains("Cache read/write disabled"),
        "{}",
        o.stderr
    );
}

#[test]
fn an_include_found_only_through_dash_i_is_warned_about() {
    // At boot apparmor_parser searches only /etc/apparmor.d, so an include that only a
    // `-I` directory provides loads now and is missing after a reboot.
    let h = Host::new();
    let inc = h.root.join("inc");
    write(&inc, "armorlab-test-only/extra", "  /opt/extra/** r,\n");
    let f = h.src(
        "docker-default",
        "profile docker-default {\n  #include <armorlab-test-only/extra>\n}\n",
    );
    let o = h.run(&["load", "-I", s(&inc), s(&f)], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stderr.contains(&format!(
            ":2: `include <armorlab-test-only/extra>` is found in `{}` but not in /etc/apparmor.d",
            s(&inc)
        )),
        "{}",
        o.stderr
    );
}

#[test]
fn a_profile_smuggled_into_a_file_edited_in_place_is_refused() {
    // docker-default is usually loaded by dockerd without a file in /etc/apparmor.d, so
    // only the file's own history could vouch for it; a file edited in place has none.
    let h = Host::new();
    let installed = write(
        &h.dir(),
        "usr.sbin.smbd",
        "profile smbd {\n  /x r,\n}\nprofile docker-default {\n  /** rwlk,\n}\n",
    );
    let o = h.run(&["load", s(&installed)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr.contains("defines profiles not asked for"),
        "{}",
        o.stderr
    );
    assert_eq!(h.profiles(), "", "nothing may be loaded");
    // Named explicitly, both load.
    let o = h.run(
        &["load", s(&installed), "-p", "smbd", "-p", "docker-default"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.all());
}

#[test]
fn a_rejected_in_place_edit_goes_back_to_the_last_good_version_and_is_kept_aside() {
    let h = Host::new();
    // A first load from elsewhere, then a second one: `.previous` is the first version.
    let f = h.src("docker-default", GOOD);
    assert_eq!(h.run(&["load", s(&f)], &[]).code, 0);
    let f2 = h.src("docker-default", GOOD2);
    assert_eq!(h.run(&["load", s(&f2)], &[]).code, 0);
    let installed = h.dir().join("docker-default");
    let kept = h.dir().join(".docker-default.armorlab-previous");
    assert_eq!(read(&kept), GOOD);
    // Now the installed file is edited in place into something the parser rejects.
    std::fs::write(&installed, REJECTED).unwrap();
    let o = h.run(&["load", s(&installed)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(
        read(&kept),
        GOOD,
        "the last good version must not be overwritten"
    );
    assert_eq!(
        read(&installed),
        GOOD,
        "the file goes back to the last good version"
    );
    assert_eq!(
        read(&h.dir().join(".docker-default.armorlab-rejected")),
        REJECTED,
        "the edit is kept aside"
    );
    assert_eq!(h.profiles(), "docker-default (enforce)\n");
}

#[test]
fn a_rejected_in_place_edit_without_history_is_left_and_said_so() {
    let h = Host::new();
    let installed = write(&h.dir(), "docker-default", REJECTED);
    let o = h.run(&["load", s(&installed)], &[]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert_eq!(read(&installed), REJECTED, "nothing better is known");
    assert!(
        o.stderr
            .contains("the next boot will fail to load this file"),
        "{}",
        o.stderr
    );
}
