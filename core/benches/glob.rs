//! Figures for the glob compiler: compile time and match throughput on docker-default's
//! globs, and how bad input (huge alternations, deep nesting, huge classes, DFA blow-up)
//! is bounded. Run with `cargo bench -p armorlab-core --bench glob`.
// The benchmark is a program, not part of the pure library: it reads the clock and prints.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    missing_docs
)]

use armorlab_core::glob::{parse, Glob, GlobError, GlobSet};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The file rules of moby's docker-default profile itself (`@{PROC}` is `/proc/`).
const DOCKER_DEFAULT: &[&str] = &[
    "/proc//*",
    "/proc//{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/**",
    "/proc//sys/[^k]**",
    "/proc//sys/kernel/{?,??,[^s][^h][^m]**}",
    "/proc//sysrq-trigger",
    "/proc//kcore",
    "/sys/[^f]*/**",
    "/sys/f[^s]*/**",
    "/sys/fs/[^c]*/**",
    "/sys/fs/c[^g]*/**",
    "/sys/fs/cg[^r]*/**",
    "/sys/firmware/**",
    "/sys/devices/virtual/powercap/**",
    "/sys/kernel/security/**",
    // The older docs version's glob.
    "/proc/{*,**^[0-9*],sys/kernel/shm*}",
    "/proc/sysrq-trigger",
    "/proc/mem",
    "/proc/kmem",
    "/proc/kcore",
    "/sys/firmware/efi/efivars/**",
];

/// Every path glob of the rendered docker-default with `abstractions/base` included, as
/// `apparmor_parser -D rule-exprs` lists them.
const WITH_BASE: &[&str] = &[
    "/dev/full",
    "/dev/log",
    "/dev/null",
    "/dev/random",
    "/dev/urandom",
    "/dev/zero",
    "/etc/crypto-policies/*/*.txt",
    "/etc/writable/localtime",
    "/home/.ecryptfs/*/.Private/",
    "/home/.ecryptfs/*/.Private/**",
    "/opt/*-linux-uclibc/lib/ld-uClibc*so*",
    "/proc/*",
    "/proc/cpuinfo",
    "/proc/filesystems",
    "/proc/kcore",
    "/proc/meminfo",
    "/proc/stat",
    "/proc/sys/[^k]**",
    "/proc/sys/crypto/*",
    "/proc/sys/crypto/fips_enabled",
    "/proc/sys/kernel/cap_last_cap",
    "/proc/sys/kernel/ngroups_max",
    "/proc/sys/kernel/version",
    "/proc/sys/kernel/{?,??,[^s][^h][^m]**}",
    "/proc/sys/vm/overcommit_memory",
    "/proc/sysrq-trigger",
    "/proc/{[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9][0-9],[1-4][0-9][0-9][0-9][0-9][0-9][0-9]}/{maps,auxv,status}",
    "/proc/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/**",
    "/sys/[^f]*/**",
    "/sys/devices/system/cpu/",
    "/sys/devices/system/cpu/online",
    "/sys/devices/system/cpu/possible",
    "/sys/devices/virtual/powercap/**",
    "/sys/f[^s]*/**",
    "/sys/firmware/**",
    "/sys/fs/[^c]*/**",
    "/sys/fs/c[^g]*/**",
    "/sys/fs/cg[^r]*/**",
    "/sys/kernel/security/**",
    "/usr/lib/*-linux-gnu*/gconv/*.so",
    "/usr/lib/*-linux-gnu*/gconv/gconv-modules*",
    "/usr/lib{,32,64}/gconv/*.so",
    "/usr/lib{,32,64}/gconv/gconv-modules*",
    "/usr/lib{,32,64}/locale/**",
    "/usr/share/**/locale/**",
    "/usr/share/X11/locale/**",
    "/usr/share/common-licenses/**",
    "/usr/share/crypto-policies/*/*.txt",
    "/usr/share/locale-bundle/**",
    "/usr/share/locale-langpack/**",
    "/usr/share/locale/**",
    "/usr/share/zoneinfo/",
    "/usr/share/zoneinfo/**",
    "/{**,}",
    "/{usr/,}lib/*-linux-gnu*/**",
    "/{usr/,}lib/*-linux-gnu*/**.so*",
    "/{usr/,}lib/*-linux-gnu*/.lib*.so*.hmac",
    "/{usr/,}lib/*-linux-gnu*/ld{,32,64}-*.so",
    "/{usr/,}lib/i386-linux-gnu/tls/i686/{cmov,nosegneg}/*.so*",
    "/{usr/,}lib/i386-linux-gnu/tls/i686/{cmov,nosegneg}/ld-*.so",
    "/{usr/,}lib/tls/i686/{cmov,nosegneg}/*.so*",
    "/{usr/,}lib/tls/i686/{cmov,nosegneg}/ld-*.so",
    "/{usr/,}lib{,32,64}/**",
    "/{usr/,}lib{,32,64}/**.so*",
    "/{usr/,}lib{,32,64}/.lib*.so*.hmac",
    "/{usr/,}lib{,32,64}/ld{,32,64}-*.so",
    "{/etc,/usr/etc}/bindresvport.blacklist",
    "{/etc,/usr/etc}/gcrypt/hwf.deny",
    "{/etc,/usr/etc}/gcrypt/random.conf",
    "{/etc,/usr/etc}/ld.so.cache",
    "{/etc,/usr/etc}/ld.so.conf",
    "{/etc,/usr/etc}/ld.so.conf.d/{,*.conf}",
    "{/etc,/usr/etc}/ld.so.preload",
    "{/etc,/usr/etc}/locale.alias",
    "{/etc,/usr/etc}/locale/**",
    "{/etc,/usr/etc}/localtime",
    "{/home/*,/root}/.Private/",
    "{/home/*,/root}/.Private/**",
    "{/run,/var/run}/systemd/journal/dev-log",
    "{/run,/var/run}/systemd/journal/socket",
    "{/run,/var/run}/systemd/journal/stdout",
    "{/run,/var/run}/uuidd/request",
];

const PATHS: &[&str] = &[
    "/proc/sys/kernel/core_pattern",
    "/proc/uptime",
    "/proc/self/status",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/etc/ld.so.cache",
    "/home/user/.bashrc",
    "/proc/1/maps",
];

fn compile(globs: &[&str]) -> Result<GlobSet, GlobError> {
    let parsed: Vec<Glob> = globs.iter().map(|g| parse(g)).collect::<Result<_, _>>()?;
    GlobSet::new(&parsed)
}

fn compile_full(globs: &[&str]) -> Result<GlobSet, GlobError> {
    let parsed: Vec<Glob> = globs.iter().map(|g| parse(g)).collect::<Result<_, _>>()?;
    GlobSet::new_full(&parsed)
}

/// Runs `f` repeatedly for about `budget` and returns the mean time per call.
fn time<T>(budget: Duration, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget {
        for _ in 0..16 {
            black_box(f());
        }
        n += 16;
    }
    start.elapsed().div_f64(f64::from(n.max(1)))
}

fn bench_compile(name: &str, globs: &[&str], compile: fn(&[&str]) -> Result<GlobSet, GlobError>) {
    let per = time(Duration::from_millis(300), || compile(globs).unwrap());
    let set = compile(globs).unwrap();
    println!(
        "compile {name}: {} globs in {:.3} ms ({} DFA)",
        globs.len(),
        per.as_secs_f64() * 1e3,
        if set.is_fully_built() { "full" } else { "lazy" }
    );
}

fn bench_match(name: &str, globs: &[&str], compile: fn(&[&str]) -> Result<GlobSet, GlobError>) {
    let set = compile(globs).unwrap();
    let mut out = Vec::new();
    for path in PATHS {
        let per = time(Duration::from_millis(200), || {
            set.matches_into(black_box(path), &mut out);
            out.len()
        });
        set.matches_into(path, &mut out);
        println!(
            "match {name} {path}: {:.1} ns/call = {:.2} M calls/s, matches {:?}",
            per.as_secs_f64() * 1e9,
            1e-6 / per.as_secs_f64(),
            out
        );
    }
}

fn bench_bad(name: &str, globs: &[String], probe: &str) {
    bench_bad_with(name, globs, probe, GlobSet::new);
}

fn bench_bad_with(
    name: &str,
    globs: &[String],
    probe: &str,
    build: fn(&[Glob]) -> Result<GlobSet, GlobError>,
) {
    let start = Instant::now();
    let parsed: Result<Vec<Glob>, GlobError> = globs.iter().map(|g| parse(g)).collect();
    let result = parsed.and_then(|p| build(&p));
    let elapsed = start.elapsed();
    let len: usize = globs.iter().map(String::len).sum();
    match result {
        Ok(set) => {
            let mut out = Vec::new();
            let per = time(Duration::from_millis(200), || {
                set.matches_into(black_box(probe), &mut out);
                out.len()
            });
            println!(
                "bad input {name} ({len} bytes): compiled in {:.1} ms ({} DFA), {}-byte probe in {:.2} us, matches {:?}",
                elapsed.as_secs_f64() * 1e3,
                if set.is_fully_built() { "full" } else { "lazy" },
                probe.len(),
                per.as_secs_f64() * 1e6,
                out
            );
        }
        Err(e) => println!(
            "bad input {name} ({len} bytes): error after {:.1} ms: {e}",
            elapsed.as_secs_f64() * 1e3
        ),
    }
}

fn main() {
    // `cargo bench -p armorlab-core --bench glob -- match` runs only the matching figures.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |section: &str| filter.as_deref().is_none_or(|f| section.contains(f));
    if wants("compile") {
        bench_compile("docker-default", DOCKER_DEFAULT, compile);
        bench_compile("docker-default+base", WITH_BASE, compile);
        bench_compile("docker-default full", DOCKER_DEFAULT, compile_full);
        bench_compile("docker-default+base full", WITH_BASE, compile_full);
    }
    if wants("match") {
        bench_match("docker-default", DOCKER_DEFAULT, compile);
        bench_match("docker-default+base", WITH_BASE, compile);
        bench_match("docker-default full", DOCKER_DEFAULT, compile_full);
        bench_match("docker-default+base full", WITH_BASE, compile_full);
    }
    if !wants("bad") {
        return;
    }
    // A path of pseudo-random `a`/`b` bytes keeps DFAs with many states busy.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let noise: String = (0..4000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x & 1 == 0 {
                'a'
            } else {
                'b'
            }
        })
        .collect();
    let noisy = format!("/{noise}");
    let alts: Vec<String> = (0..10_000).map(|i| format!("f{i}")).collect();
    bench_bad(
        "10000 alternatives",
        &[format!("/{{{}}}", alts.join(","))],
        "/f9999",
    );
    let alts: Vec<String> = (0..5_000).map(|i| format!("*{i}*")).collect();
    bench_bad(
        "5000 star alternatives",
        &[format!("/**{{{}}}", alts.join(","))],
        "/x/y/1234z",
    );
    let many: Vec<String> = (0..10_000).map(|i| format!("/d{i}/**")).collect();
    bench_bad("10000 globs", &many, "/d9999/x");
    bench_bad_with("10000 globs, full", &many, "/d9999/x", GlobSet::new_full);
    bench_bad(
        "nesting 49",
        &[format!("/{}x{}", "{a,".repeat(49), "}".repeat(49))],
        "/x",
    );
    bench_bad(
        "nesting 50",
        &[format!("/{}x{}", "{a,".repeat(50), "}".repeat(50))],
        "/x",
    );
    bench_bad(
        "huge classes",
        &[format!("/{}", "[^a-z]".repeat(10_000))],
        &format!("/{}", "0".repeat(10_000)),
    );
    bench_bad(
        "exponential DFA",
        &[format!("/**a{}", "?".repeat(30))],
        &noisy,
    );
    bench_bad(
        "200 globs of 10000 classes",
        &(0..200)
            .map(|i| format!("/{i}{}", "[^a-z]".repeat(10_000)))
            .collect::<Vec<_>>(),
        "/0a",
    );
    bench_bad("too long", &[format!("/{}", "a".repeat(70_000))], "/a");
    bench_bad("many stars", &[format!("/{}", "*a".repeat(5_000))], &noisy);
    bench_bad(
        "many stars, longest",
        &[format!("/{}", "*a".repeat(32_000))],
        &noisy,
    );
    bench_bad(
        "many classes, longest",
        &[format!("/{}", "[ab]".repeat(16_000))],
        &noisy,
    );
}
