//! `status` and `unload` against a fake /sys and /proc: what is loaded, who is confined,
//! and the clear errors when the host cannot do it.

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

struct FakeHost {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl FakeHost {
    fn new(enabled: &str, profiles: &str) -> FakeHost {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        write(&root, "sys/module/apparmor/parameters/enabled", enabled);
        write(&root, "sys/kernel/security/apparmor/profiles", profiles);
        write(&root, "sys/kernel/security/apparmor/.remove", "");
        std::fs::create_dir_all(root.join("proc")).unwrap();
        std::fs::create_dir_all(root.join("etc/apparmor.d")).unwrap();
        FakeHost { _dir: dir, root }
    }

    fn process(&self, pid: u32, comm: &str, label: &str, new_style: bool) {
        let p = self.root.join(format!("proc/{pid}"));
        write(&p, "comm", &format!("{comm}\n"));
        let attr = if new_style {
            "attr/apparmor/current"
        } else {
            "attr/current"
        };
        write(&p, attr, &format!("{label}\n"));
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "ARMORLAB_SYSFS".into(),
                self.root.join("sys").display().to_string(),
            ),
            (
                "ARMORLAB_PROCFS".into(),
                self.root.join("proc").display().to_string(),
            ),
        ]
    }

    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Out {
        let env = self.env();
        let mut all: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.extend_from_slice(extra);
        run_in(Path::new("."), args, &all)
    }
}

#[test]
fn status_lists_profiles_modes_and_confined_processes() {
    let h = FakeHost::new(
        "Y\n",
        "docker-default (enforce)\n/usr/sbin/cupsd (complain)\nnginx//worker (enforce)\n",
    );
    h.process(1, "init", "unconfined", false);
    h.process(42, "nginx", "docker-default (enforce)", true);
    h.process(77, "cupsd", "/usr/sbin/cupsd (complain)", false);
    std::fs::create_dir_all(h.root.join("proc/self")).unwrap(); // not a pid: ignored

    let o = h.run(&["status"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout
            .contains("3 profiles loaded: 2 enforce, 1 complain, 0 other"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("  docker-default (enforce)"));
    assert!(
        o.stdout.contains("2 process(es) confined, 1 unconfined"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("  42 nginx (enforce)  docker-default"),
        "{}",
        o.stdout
    );

    let j = h.run(&["status", "--format", "json"], &[]);
    assert_eq!(j.code, 0);
    let v: serde_json::Value = serde_json::from_str(j.stdout.trim()).unwrap();
    let profiles = v["profiles"].as_array().unwrap();
    assert!(profiles.contains(&serde_json::json!({"name": "nginx//worker", "mode": "enforce"})));
    let procs = v["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 3);
    assert_eq!(
        procs[0],
        serde_json::json!({"pid": 1, "comm": "init", "profile": "unconfined", "mode": "unconfined", "container": null})
    );
    assert_eq!(procs[1]["profile"], "docker-default");
    assert_eq!(procs[2]["mode"], "complain");
}

#[test]
fn status_says_when_apparmor_is_disabled_or_absent() {
    let h = FakeHost::new("N\n", "");
    let o = h.run(&["status"], &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("AppArmor is disabled"), "{}", o.stderr);

    let absent = h.run(&["status"], &[("ARMORLAB_SYSFS", "/nonexistent-sys")]);
    assert_eq!(absent.code, 2);
    assert!(
        absent.stderr.contains("AppArmor is not available"),
        "{}",
        absent.stderr
    );
}

#[test]
fn unload_needs_root_and_a_loaded_profile() {
    let h = FakeHost::new("Y\n", "docker-default (enforce)\n");
    let o = h.run(&["unload", "docker-default"], &[("ARMORLAB_EUID", "1000")]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("needs root (running as uid 1000)"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("sudo"));
    assert_eq!(
        std::fs::read_to_string(h.root.join("sys/kernel/security/apparmor/.remove")).unwrap(),
        ""
    );

    let o = h.run(&["unload", "nginx"], &[("ARMORLAB_EUID", "0")]);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stderr.contains("profile `nginx` is not loaded"),
        "{}",
        o.stderr
    );
}

#[test]
fn unload_writes_the_name_to_remove_and_checks_it_is_gone() {
    // A plain file stands in for the kernel's `.remove`: the name arrives there, but the
    // profile stays listed, which unload must notice and report.
    let h = FakeHost::new("Y\n", "docker-default (enforce)\n");
    let o = h.run(&["unload", "docker-default"], &[("ARMORLAB_EUID", "0")]);
    assert_eq!(
        std::fs::read_to_string(h.root.join("sys/kernel/security/apparmor/.remove")).unwrap(),
        "docker-default"
    );
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stderr.contains("still loaded"), "{}", o.stderr);
}

#[test]
fn status_points_out_containers_that_run_unconfined() {
    let h = FakeHost::new("Y\n", "docker-default (enforce)\n");
    h.process(10, "nginx", "docker-default (enforce)", true);
    write(
        &h.root,
        "proc/10/cgroup",
        "0::/system.slice/docker-0123abcd.scope\n",
    );
    h.process(20, "redis", "unconfined", true);
    write(
        &h.root,
        "proc/20/cgroup",
        "0::/kubepods/besteffort/pod42/89ef\n",
    );
    h.process(30, "sshd", "unconfined", true);
    write(&h.root, "proc/30/cgroup", "0::/system.slice/ssh.service\n");

    let o = h.run(&["status"], &[]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(
        o.stdout
            .contains("  10 nginx (enforce)  docker-default  [container docker-0123abcd]"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("1 container process(es) run unconfined:\n  20 redis  [container 89ef]\n"),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("sshd"),
        "a host service is not a container: {}",
        o.stdout
    );

    let j = h.run(&["status", "--format", "json"], &[]);
    let v: serde_json::Value = serde_json::from_str(j.stdout.trim()).unwrap();
    assert_eq!(v["processes"][1]["container"], "89ef");
    assert_eq!(v["processes"][2]["container"], serde_json::Value::Null);
}
