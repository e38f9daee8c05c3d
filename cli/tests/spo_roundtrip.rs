//! The Security Profiles Operator export says what it maps exactly. Check that claim: turn
//! the exported `spec.abstract` back into the profile the operator renders from it (its
//! renderer's rule shapes: `ixr`, `mr`, `r` + `deny wlk`, `rwlk`, `network tcp`, ...), and
//! compare `armorlab test` verdicts of that profile with the source's on paths the mapped
//! rules cover. apparmor_parser must accept the rendered profile too, when it is installed.

// Test helpers outside `#[test]` functions may unwrap too: a failure there is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::*;
use std::collections::BTreeMap;

/// Reads the lists of our own YAML output: `key:` lines followed by `- "item"` lines, and
/// `key: value` scalars, flattened to `parent.key` (enough for what `export --to spo` writes).
fn read_abstract(yaml: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in yaml.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let t = line.trim();
        if let Some(item) = t.strip_prefix("- ") {
            let v: String = serde_json::from_str(item).unwrap();
            out.entry(current.clone()).or_default().push(v);
        } else if let Some((k, v)) = t.split_once(':') {
            let v = v.trim();
            current = k.to_owned();
            if !v.is_empty() {
                out.entry(k.to_owned())
                    .or_default()
                    .push(v.trim_matches('"').to_owned());
            }
        }
    }
    out
}

/// The profile the operator renders from an abstract (its renderer's rule shapes).
fn render_like_the_operator(name: &str, a: &BTreeMap<String, Vec<String>>) -> String {
    let list = |k: &str| a.get(k).cloned().unwrap_or_default();
    let mut p = format!(
        "#include <tunables/global>\nprofile {name} flags=(attach_disconnected,mediate_deleted) {{\n  #include <abstractions/base>\n"
    );
    for x in list("allowedExecutables") {
        p.push_str(&format!("  {x} ixr,\n"));
    }
    for x in list("allowedLibraries") {
        p.push_str(&format!("  {x} mr,\n"));
    }
    for x in list("readOnlyPaths") {
        p.push_str(&format!("  {x} r,\n  deny {x} wlk,\n"));
    }
    for x in list("writeOnlyPaths") {
        p.push_str(&format!("  {x} wlk,\n  deny {x} r,\n"));
    }
    for x in list("readWritePaths") {
        p.push_str(&format!("  {x} rwlk,\n"));
    }
    if list("allowRaw") == ["true"] {
        p.push_str("  network raw,\n");
    }
    if list("allowTcp") == ["true"] {
        p.push_str("  network tcp,\n");
    }
    if list("allowUdp") == ["true"] {
        p.push_str("  network udp,\n");
    }
    for c in list("allowedCapabilities") {
        p.push_str(&format!("  capability {c},\n"));
    }
    let ptrace = list("allowedAccess");
    if !ptrace.is_empty() {
        let peer = list("peer")
            .first()
            .map(|p| format!(" peer={p}"))
            .unwrap_or_default();
        p.push_str(&format!("  ptrace ({}){peer},\n", ptrace.join(", ")));
    }
    p.push_str("  deny @{PROC}/sysrq-trigger rwklx,\n  deny mount,\n}\n");
    p
}

fn verdict(file: &std::path::Path, query: &str) -> String {
    let o = run(&["test", "--format", "json", s(file), query]);
    assert_eq!(o.code, 0, "{query}: {}", o.all());
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    v["verdict"].as_str().unwrap().to_owned()
}

#[test]
fn mapped_rules_keep_their_verdicts_in_the_operators_profile() {
    if real_parser().is_none() {
        eprintln!("/etc/apparmor.d or apparmor_parser absent: SPO round trip skipped");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let source = write(
        d.path(),
        "web",
        "#include <tunables/global>\n\
         profile web flags=(attach_disconnected,mediate_deleted) {\n\
         \x20 #include <abstractions/base>\n\
         \x20 /usr/sbin/nginx rix,\n\
         \x20 /usr/lib/nginx/modules/*.so mr,\n\
         \x20 /etc/nginx/{nginx.conf,mime.types} r,\n\
         \x20 /var/log/nginx/** rwlk,\n\
         \x20 capability net_bind_service,\n\
         \x20 capability setuid,\n\
         \x20 network tcp,\n\
         }\n",
    );
    let o = run(&["export", s(&source), "--to", "spo"]);
    assert_eq!(o.code, 0, "every rule maps: {}", o.all());
    let a = read_abstract(&o.stdout);
    assert_eq!(
        a["readOnlyPaths"],
        ["/etc/nginx/mime.types", "/etc/nginx/nginx.conf"]
    );
    let rendered = write(
        d.path(),
        "web.operator",
        &render_like_the_operator("web", &a),
    );

    let parser = real_parser().unwrap();
    let p = std::process::Command::new(parser)
        .args(["-Q", "-K", "-I", "/etc/apparmor.d", s(&rendered)])
        .output()
        .unwrap();
    assert!(p.status.success(), "{}", String::from_utf8_lossy(&p.stderr));

    let queries = [
        "x /usr/sbin/nginx",
        "r /usr/sbin/nginx",
        "w /usr/sbin/nginx",
        "m /usr/lib/nginx/modules/ngx_http_geoip.so",
        "w /usr/lib/nginx/modules/ngx_http_geoip.so",
        "r /etc/nginx/nginx.conf",
        "r /etc/nginx/mime.types",
        "w /etc/nginx/nginx.conf",
        "r /etc/nginx/other.conf",
        "w /var/log/nginx/access.log",
        "k /var/log/nginx/access.log",
        "r /var/log/nginx/error.log",
        "w /var/log/other.log",
        "capability net_bind_service",
        "capability setuid",
        "capability sys_admin",
        "network inet stream tcp",
    ];
    let mut differ = Vec::new();
    for q in queries {
        let (src, op) = (verdict(&source, q), verdict(&rendered, q));
        if src != op {
            differ.push(format!("{q}: source {src}, operator {op}"));
        }
    }
    assert!(differ.is_empty(), "verdicts differ:\n{}", differ.join("\n"));
}
