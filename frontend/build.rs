//! Bundles the include library the playground resolves `<tunables/global>`,
//! `<abstractions/base>`, `<abi/3.0>` and friends against.
//!
//! The files come from the Debian `apparmor` package installed on the build machine, so the
//! browser sees exactly what `apparmor_parser -I /etc/apparmor.d` sees on a Debian host. They
//! are not committed to the repository (they are the distribution's files, and they would go
//! stale); the build fails with advice when they are missing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The folders of `/etc/apparmor.d` that profiles include from.
const DIRS: [&str; 3] = ["tunables", "abstractions", "abi"];

fn main() {
    let root = std::env::var_os("ARMORLAB_APPARMOR_D")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/apparmor.d"));
    println!("cargo:rerun-if-env-changed=ARMORLAB_APPARMOR_D");
    let mut files = Vec::new();
    for dir in DIRS {
        let path = root.join(dir);
        if !path.is_dir() {
            eprintln!(
                "error: `{}` is missing: the playground bundles the AppArmor include library from it\n\
                 help: install Debian's AppArmor package (`apt-get install apparmor`), or point \
                 ARMORLAB_APPARMOR_D at a copy of /etc/apparmor.d",
                path.display()
            );
            std::process::exit(1);
        }
        println!("cargo:rerun-if-changed={}", path.display());
        collect(&root, &path, &mut files);
    }
    files.sort();
    let mut out = String::from(
        "/// The bundled include library: (absolute path, text), sorted by path.\n\
         pub static BUNDLED: &[(&str, &str)] = &[\n",
    );
    for (name, text) in &files {
        let _ = writeln!(
            out,
            "    ({:?}, {:?}),",
            format!("/etc/apparmor.d/{name}"),
            text
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("bundled.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        eprintln!("error: cannot write `{}`: {e}", dest.display());
        std::process::exit(1);
    }
}

/// Collects every regular UTF-8 file below `dir`, as (path relative to `root`, text).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Follow symlinks the way apparmor_parser does when it opens an include.
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.is_file() {
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            match std::fs::read_to_string(&path) {
                Ok(text) => out.push((rel.to_string_lossy().into_owned(), text)),
                Err(e) => println!("cargo:warning=skipping `{}`: {e}", path.display()),
            }
        }
    }
}
