//! Asks the oracle about paths: `cargo run -p armorlab-oracle --example query -- PROFILE_FILE PATH...`.
//! Prefix a path with `other:` to ask for a file the task does not own.

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((file, paths)) = args.split_first() else {
        eprintln!("usage: query PROFILE_FILE [other:]PATH...");
        std::process::exit(2);
    };
    let compiler = armorlab_oracle::Compiler::default();
    let policy = match compiler.compile_file(Path::new(file)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    for name in policy.profiles() {
        let Ok(p) = policy.profile(&name) else {
            continue;
        };
        println!(
            "profile {name}: mode {:?}, {} file dfa states, policydb {}, caps {:#x}, xtable {:?}",
            p.mode,
            p.file_dfa_states(),
            p.has_policydb(),
            p.caps.allow,
            p.exec_table()
        );
        for q in paths {
            let (owner, path) = match q.strip_prefix("other:") {
                Some(rest) => (false, rest),
                None => (true, q.as_str()),
            };
            match p.file_perms(path, owner) {
                Ok(r) => println!(
                    "  {path} (owner {owner}): allow `{}` audit `{}` quiet `{}` exec {:?} state {} accept {:#x} accept2 {:#x}",
                    r.allow,
                    r.audit,
                    r.quiet,
                    r.exec_letters(),
                    r.state,
                    r.accept,
                    r.accept2
                ),
                Err(e) => println!("  {path}: error: {e}"),
            }
        }
    }
}
