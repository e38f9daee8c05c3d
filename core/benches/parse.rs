//! Parse + resolve speed, next to `apparmor_parser -Q -K` on the same files.
//!
//! Run with `cargo bench -p armorlab-core --bench parse`. Prints figures; asserts nothing
//! (speed targets live here, not in tests). Targets: docker-default in ≤ 1 ms, and at least
//! ten times faster than apparmor_parser. Note that `apparmor_parser -Q -K` also compiles
//! the DFA and pays a process start, so the comparison is what a user waits for, not
//! like for like.

// A benchmark reads files, reads the clock and prints.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![allow(missing_docs)]

#[path = "../tests/fixtures/fs_provider.rs"]
mod fs_provider;

use armorlab_core::analyze;
use fs_provider::FsProvider;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PARSER: &str = "/usr/sbin/apparmor_parser";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median time of `f` over enough runs to fill about `budget`.
fn time<F: FnMut()>(budget: Duration, mut f: F) -> (Duration, usize) {
    let mut runs = Vec::new();
    let start = Instant::now();
    while runs.len() < 5 || (start.elapsed() < budget && runs.len() < 10_000) {
        let t = Instant::now();
        f();
        runs.push(t.elapsed());
    }
    let n = runs.len();
    (median(runs), n)
}

fn parser_time(files: &[PathBuf], runs: usize) -> Option<Duration> {
    if !Path::new(PARSER).exists() {
        return None;
    }
    let mut v = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        for f in files {
            let out = Command::new(PARSER)
                .args(["-Q", "-K", "-I", "/etc/apparmor.d"])
                .arg(f)
                .output()
                .ok()?;
            black_box(out.status);
        }
        v.push(t.elapsed());
    }
    Some(median(v))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn report(label: &str, ours: Duration, runs: usize, theirs: Option<Duration>) {
    print!("{label:<40} armorlab {:>12} (median of {runs})", ms(ours));
    match theirs {
        Some(t) => println!(
            "   apparmor_parser -Q -K {:>12}   speed-up {:.0}x",
            ms(t),
            t.as_secs_f64() / ours.as_secs_f64().max(1e-9)
        ),
        None => println!("   apparmor_parser absent"),
    }
}

fn main() {
    let etc = Path::new("/etc/apparmor.d");
    if !etc.join("tunables/global").exists() {
        println!("/etc/apparmor.d absent: nothing to measure");
        return;
    }
    let provider = FsProvider::new([etc.to_path_buf()], "/".into());
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    for name in [
        "docker-default.rendered.apparmor",
        "docker-default.docs.apparmor",
    ] {
        let path = templates.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let a = analyze(name, &text, &provider);
        assert!(!a.has_errors(), "{name} has errors");
        let (ours, n) = time(Duration::from_secs(2), || {
            black_box(analyze(name, black_box(&text), &provider));
        });
        report(name, ours, n, parser_time(&[path], 5));
    }

    let mut profiles: Vec<(PathBuf, String)> = std::fs::read_dir(etc)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !armorlab_core::resolve::skipped_include_entry(
                    &p.file_name().unwrap().to_string_lossy(),
                )
        })
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    profiles.sort();
    let (ours, n) = time(Duration::from_secs(3), || {
        for (p, t) in &profiles {
            black_box(analyze(&p.to_string_lossy(), t, &provider));
        }
    });
    let files: Vec<PathBuf> = profiles.iter().map(|(p, _)| p.clone()).collect();
    let label = format!("all {} /etc/apparmor.d profiles", profiles.len());
    report(&label, ours, n, parser_time(&files, 3));
}
