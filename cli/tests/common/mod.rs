//! Helpers shared by the CLI's integration tests: run the built binary, make temp files.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a run of `armorlab` produced.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_armorlab")
}

/// Runs armorlab with arguments and extra environment, in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(cwd).stdin(Stdio::null());
    cmd.env_remove("ARMORLAB_SYSFS")
        .env_remove("ARMORLAB_PROCFS")
        .env_remove("ARMORLAB_APPARMOR_PARSER")
        .env_remove("ARMORLAB_EUID")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run armorlab");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Out {
    run_in(Path::new("."), args, &[])
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The repository root (for templates).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn docker_default() -> PathBuf {
    repo().join("templates/docker-default.docs.apparmor")
}

/// Whether the real apparmor_parser and /etc/apparmor.d are here.
pub fn real_parser() -> Option<PathBuf> {
    ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .filter(|_| Path::new("/etc/apparmor.d/tunables/global").is_file())
}

/// A small include tree: `dir/inc/tunables/global` and `dir/inc/abstractions/base`.
pub fn include_tree(dir: &Path) -> PathBuf {
    let inc = dir.join("inc");
    write(&inc, "tunables/global", "@{PROC}=/proc/\n");
    write(
        &inc,
        "abstractions/base",
        "  /etc/ld.so.cache r,\n  /{usr/,}lib/** mr,\n",
    );
    inc
}
