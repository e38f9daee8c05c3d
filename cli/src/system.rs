//! The subcommands that touch the host's AppArmor: load, unload, status.
//!
//! Every path (`/sys`, `/proc`, the profile directory, the parser binary) comes from
//! [`HostArgs`], so tests point them at a fake root and a fake `apparmor_parser`.

use crate::commands::{display_name, report_diagnostics, write_atomic};
use crate::engine;
use crate::report::{
    errln, errprint, snippet_at, CliError, ColorChoice, Style, EXIT_OK, EXIT_PROBLEMS,
};
use crate::{Format, HostArgs, IncludeArgs};
use armorlab_core::model::{Profile, ProfileMode};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `load` was asked to do.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Include search path.
    pub inc: IncludeArgs,
    /// Host paths.
    pub host: HostArgs,
    /// The profile file.
    pub file: PathBuf,
    /// Load in complain mode.
    pub complain: bool,
    /// Change nothing.
    pub dry_run: bool,
    /// The profile directory.
    pub dir: PathBuf,
    /// File name inside the directory.
    pub install_as: Option<String>,
    /// Profiles the file may define.
    pub profiles: Vec<String>,
    /// Skip the smuggling checks.
    pub force: bool,
}

impl HostArgs {
    fn securityfs(&self) -> PathBuf {
        self.sysfs.join("kernel/security/apparmor")
    }

    fn profiles_file(&self) -> PathBuf {
        self.securityfs().join("profiles")
    }

    /// Fails unless AppArmor is enabled in the kernel.
    fn require_enabled(&self) -> Result<(), CliError> {
        let flag = self.sysfs.join("module/apparmor/parameters/enabled");
        match std::fs::read_to_string(&flag) {
            Ok(s) if s.trim() == "Y" => {}
            Ok(_) => {
                return Err(CliError::fatal_help(
                    "AppArmor is disabled in this kernel",
                    "boot with `apparmor=1 security=apparmor` (or add apparmor to `lsm=`)",
                ))
            }
            Err(_) => {
                return Err(CliError::fatal_help(
                    format!(
                        "AppArmor is not available: `{}` does not exist",
                        flag.display()
                    ),
                    "this kernel has no AppArmor; boot one with AppArmor enabled",
                ))
            }
        }
        if !self.profiles_file().exists() {
            return Err(CliError::fatal_help(
                format!(
                    "AppArmor's securityfs is not mounted (`{}` is missing)",
                    self.profiles_file().display()
                ),
                "mount it: `mount -t securityfs securityfs /sys/kernel/security`",
            ));
        }
        Ok(())
    }

    /// The effective uid, from `/proc/self/status` (no libc call needed).
    fn euid(&self) -> Option<u32> {
        if let Some(u) = self.euid {
            return Some(u);
        }
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("Uid:"))?;
        line.split_whitespace().nth(2)?.parse().ok()
    }

    fn require_root(&self, what: &str) -> Result<(), CliError> {
        match self.euid() {
            Some(0) => Ok(()),
            Some(uid) => Err(CliError::fatal_help(
                format!("{what} needs root (running as uid {uid})"),
                "run it with sudo",
            )),
            None => Err(CliError::fatal(
                "cannot tell whether armorlab runs as root (/proc/self/status unreadable)",
            )),
        }
    }

    /// Finds apparmor_parser.
    fn parser(&self) -> Result<PathBuf, CliError> {
        let missing = |shown: String| {
            CliError::fatal_help(
                format!("apparmor_parser not found ({shown})"),
                "install it: `apt-get install apparmor` (Debian, Ubuntu), `zypper install apparmor-parser`, or `dnf install apparmor-parser`",
            )
        };
        if let Some(p) = &self.parser {
            return if p.is_file() {
                Ok(p.clone())
            } else {
                Err(missing(format!("`{}` does not exist", p.display())))
            };
        }
        let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        dirs.extend(["/sbin", "/usr/sbin"].map(PathBuf::from));
        dirs.iter()
            .map(|d| d.join("apparmor_parser"))
            .find(|p| p.is_file())
            .ok_or_else(|| missing("searched PATH, /sbin and /usr/sbin".into()))
    }
}

/// Loaded profiles and their modes, from securityfs (`name (mode)` per line).
fn loaded_profiles(host: &HostArgs) -> Result<BTreeMap<String, String>, CliError> {
    let path = host.profiles_file();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let help = if e.kind() == std::io::ErrorKind::PermissionDenied {
            "reading the loaded profiles needs root: run it with sudo"
        } else {
            "is AppArmor enabled and securityfs mounted?"
        };
        CliError::fatal_help(format!("cannot read `{}`: {e}", path.display()), help)
    })?;
    Ok(parse_profiles_list(&text))
}

fn parse_profiles_list(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_end();
            let open = l.rfind(" (")?;
            let name = l.get(..open)?;
            let mode = l.get(open + 2..)?.strip_suffix(')')?;
            Some((name.to_owned(), mode.to_owned()))
        })
        .collect()
}

fn mode_word(m: ProfileMode) -> &'static str {
    match m {
        ProfileMode::Enforce | ProfileMode::Prompt => "enforce",
        ProfileMode::Complain => "complain",
        ProfileMode::Unconfined => "unconfined",
        ProfileMode::Kill => "kill",
    }
}

/// The default file name for a profile: its name with `/` as `.` (`/usr/bin/foo` →
/// `usr.bin.foo`), as the AppArmor packages name their files.
fn default_file_name(p: &Profile) -> String {
    let n = p.name.trim_start_matches('/').replace('/', ".");
    if n.is_empty() || n.starts_with('.') {
        format!("profile{n}")
    } else {
        n
    }
}

fn valid_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.starts_with('.')
        && !name.contains('\0')
}

fn previous_path(dir: &Path, file_name: &str) -> PathBuf {
    dir.join(format!(".{file_name}.armorlab-previous"))
}

/// Top-level profile names an existing file defines, from a lenient analysis (includes
/// are not needed for names).
fn names_defined_by(path: &Path) -> Vec<String> {
    let Ok(text) = crate::fsprovider::read_text(path) else {
        return Vec::new();
    };
    engine::analyze(
        &display_name(path),
        &text,
        &armorlab_core::source::NoIncludes,
    )
    .policy
    .profiles
    .iter()
    .map(|p| p.full_name.clone())
    .collect()
}

/// Runs the parser; on failure returns its stderr.
fn run_parser(
    parser: &Path,
    args: &[&str],
    file: &Path,
    inc: &IncludeArgs,
) -> Result<String, String> {
    let mut cmd = Command::new(parser);
    cmd.args(args);
    for d in &inc.include {
        cmd.arg("-I").arg(d);
    }
    if inc.base != Path::new(crate::DEFAULT_BASE) {
        cmd.arg("-b").arg(&inc.base);
    }
    cmd.arg(file);
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stderr).into_owned()),
        Ok(o) => {
            let mut msg = String::from_utf8_lossy(&o.stderr).trim().to_owned();
            if msg.is_empty() {
                msg = String::from_utf8_lossy(&o.stdout).trim().to_owned();
            }
            if msg.is_empty() {
                msg = format!("exited with {}", o.status);
            }
            Err(msg)
        }
        Err(e) => Err(format!("cannot run `{}`: {e}", parser.display())),
    }
}

/// Prints the parser's message, with a snippet of the file the message names: the user's
/// file, or an included file when the error is inside one.
fn explain_parser_error(style: Style, msg: &str, installed: &Path, user_file: &Path, text: &str) {
    let installed_s = installed.to_string_lossy();
    let user_name = display_name(user_file);
    let shown = msg.replace(installed_s.as_ref(), &user_name);
    errln!(
        "{}: apparmor_parser rejected the profile:",
        style.red("error")
    );
    // Without the kernel's interface (a dry run, a container) the parser says so on every
    // run; that line says nothing about the profile.
    for l in shown
        .lines()
        .filter(|l| !l.starts_with("Cache read/write disabled"))
    {
        errln!("  {l}");
    }
    let Some((file, line)) = parser_error_location(msg) else {
        return;
    };
    let is_user_file = file == installed_s.as_ref()
        || file == user_name
        || Path::new(file) == user_file
        || Path::new(file) == installed;
    let (name, file_text) = if is_user_file {
        (user_name, text.to_owned())
    } else {
        // The error is inside an included file; show that file's line, not the user's.
        match crate::fsprovider::read_text(Path::new(file)) {
            Ok(t) => (file.to_owned(), t),
            Err(_) => return,
        }
    };
    let line_text = file_text
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or("");
    let indent = line_text.len() - line_text.trim_start().len();
    errprint!(
        "{}",
        snippet_at(
            style,
            &name,
            line_text,
            line,
            indent as u32 + 1,
            line_text.trim().chars().count().max(1)
        )
    );
}

/// The file and line in messages like `AppArmor parser error for F in profile G at line 5:
/// ...`. apparmor_parser puts the file it was reading when it failed after `in profile`
/// (an included file for errors inside includes), and `F` is the file it was asked to
/// load.
fn parser_error_location(msg: &str) -> Option<(&str, u32)> {
    let at = msg.find(" at line ")?;
    let digits: String = msg
        .get(at + 9..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let line = digits.parse().ok()?;
    let before = msg.get(..at)?;
    let file = before
        .rfind(" in profile ")
        .and_then(|i| before.get(i + 12..))
        .or_else(|| {
            before
                .rfind("parser error for ")
                .and_then(|i| before.get(i + 17..))
        })?;
    Some((file, line))
}

/// Checks the kernel shows each profile in the expected mode; returns what is wrong.
fn verify_loaded(host: &HostArgs, expected: &[(String, &'static str)]) -> Result<(), String> {
    let loaded = loaded_profiles(host).map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    for (name, mode) in expected {
        match loaded.get(name) {
            Some(m) if m == mode => {}
            Some(m) => problems.push(format!("`{name}` is loaded in {m} mode, not {mode}")),
            None => problems.push(format!("`{name}` is not in the kernel's list of profiles")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The file name of `file` when it sits directly in `dir` (compared after resolving
/// symbolic links and `..`), else `None`.
fn file_inside_dir(file: &Path, dir: &Path) -> Option<String> {
    let file = std::fs::canonicalize(file).ok()?;
    let dir = std::fs::canonicalize(dir).ok()?;
    if file.parent()? != dir {
        return None;
    }
    let name = file.file_name()?.to_str()?.to_owned();
    valid_file_name(&name).then_some(name)
}

/// `armorlab load`.
pub fn load(color: ColorChoice, o: &LoadOptions) -> Result<u8, CliError> {
    let style = Style::stderr(color);
    if o.file == Path::new("-") {
        return Err(CliError::fatal_help(
            "`load` needs a profile file, not stdin",
            "save the profile to a file first: apparmor_parser reads it from there",
        ));
    }
    let text = crate::commands::read_input(&o.file)?;
    let mut a = engine::analyze(
        &display_name(&o.file),
        &text,
        &crate::fsprovider::FsProvider::new(&o.inc.search_dirs()),
    );
    engine::add_compile_diagnostics(&mut a);
    if report_diagnostics(style, &a) > 0 {
        return Err(CliError::Problems(format!(
            "`{}` has errors; nothing was loaded",
            o.file.display()
        )));
    }
    let Some(first) = a.policy.profiles.first() else {
        return Err(CliError::Problems(format!(
            "`{}` defines no profile; nothing was loaded",
            o.file.display()
        )));
    };
    let file_name = match &o.install_as {
        Some(n) if valid_file_name(n) => n.clone(),
        Some(n) => {
            return Err(CliError::fatal(format!(
                "`{n}` is not a plain file name (no `/`, not starting with `.`)"
            )))
        }
        // A file that already lives in the profile directory (edited in place, the usual
        // way) is reinstalled under its own name; a copy under the profile's name would
        // define the profile twice in the directory.
        None => match file_inside_dir(&o.file, &o.dir) {
            Some(own) => own,
            None => default_file_name(first),
        },
    };
    if !o.dir.is_dir() {
        return Err(CliError::fatal(format!(
            "the profile directory `{}` does not exist",
            o.dir.display()
        )));
    }
    let dest = o.dir.join(&file_name);
    let defined: Vec<String> = a
        .policy
        .profiles
        .iter()
        .map(|p| p.full_name.clone())
        .collect();

    // A file may only (re)define the profiles it is meant to: the ones named on the
    // command line, or the ones the file it replaces defined. A new file without
    // `--profile` may define one profile.
    // A file edited in place is its own destination: what it defines now is the edit,
    // not what was installed, so it vouches for nothing (a profile smuggled into it must
    // be named with `--profile` like in a new file).
    let edited_in_place = match (std::fs::canonicalize(&o.file), std::fs::canonicalize(&dest)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let previously = if dest.is_file() && !edited_in_place {
        names_defined_by(&dest)
    } else {
        Vec::new()
    };
    let mut allowed: Vec<String> = o.profiles.clone();
    allowed.extend(previously.iter().cloned());
    if allowed.is_empty() && defined.len() == 1 {
        allowed.clone_from(&defined);
    }
    let mut refusals = Vec::new();
    let extra: Vec<&String> = defined.iter().filter(|n| !allowed.contains(n)).collect();
    if !extra.is_empty() {
        refusals.push(format!(
            "`{}` defines {} not asked for: {}",
            o.file.display(),
            if extra.len() == 1 {
                "a profile"
            } else {
                "profiles"
            },
            extra
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Ok(entries) = std::fs::read_dir(&o.dir) {
        let mut others: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && *p != dest)
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.') && !n.ends_with('~'))
            })
            .collect();
        others.sort();
        for other in others {
            for n in names_defined_by(&other) {
                if defined.contains(&n) {
                    refusals.push(format!(
                        "profile `{n}` is already defined by `{}`",
                        other.display()
                    ));
                }
            }
        }
    }
    if !refusals.is_empty() {
        if o.force {
            for r in &refusals {
                crate::report::print_warning(style, &format!("{r} (loading anyway: --force)"));
            }
        } else {
            for r in &refusals {
                crate::report::print_error(style, r, None);
            }
            return Err(CliError::Problems(
                "refusing to load: a profile file must not define other profiles than the ones it is meant for; name them with `--profile NAME`, or use `--force`".into(),
            ));
        }
    }

    // apparmor_parser resolves a relative quoted include against its working directory:
    // it works now, but the boot-time load (another directory) will not find it.
    for inc in armorlab_core::export::includes(&text) {
        // The boot-time load searches only the default base directory; an include found
        // only through `-I` (or another `-b`) loads now and is missing, or silently
        // skipped with `if exists`, at the next boot.
        if inc.style == armorlab_core::source::IncludeStyle::Angle
            && !inc.name.starts_with('/')
            && !Path::new(crate::DEFAULT_BASE).join(&inc.name).exists()
        {
            if let Some(found_in) = o
                .inc
                .search_dirs()
                .into_iter()
                .find(|d| d.join(&inc.name).exists())
            {
                crate::report::print_warning(
                    style,
                    &format!(
                        "{}:{}: `include <{}>` is found in `{}` but not in {}; it loads now but not at boot (install it there)",
                        o.file.display(),
                        inc.line,
                        inc.name,
                        found_in.display(),
                        crate::DEFAULT_BASE
                    ),
                );
            }
        }
        if inc.style == armorlab_core::source::IncludeStyle::Quoted && !inc.name.starts_with('/') {
            crate::report::print_warning(
                style,
                &format!(
                    "{}:{}: `include \"{}\"` is relative to the working directory; it loads now but not at boot (use an absolute path or `<{}>`)",
                    o.file.display(),
                    inc.line,
                    inc.name,
                    inc.name
                ),
            );
        }
    }

    let mut expected: Vec<(String, &'static str)> = Vec::new();
    for p in &a.policy.profiles {
        let mode = if o.complain {
            "complain"
        } else {
            mode_word(p.mode)
        };
        expected.push((p.full_name.clone(), mode));
    }
    let parser_args: Vec<&str> = if o.complain {
        vec!["-r", "-C"]
    } else {
        vec!["-r"]
    };

    if o.dry_run {
        let mut out = std::io::stdout().lock();
        writeln!(out, "dry run: `{}` is valid", o.file.display())?;
        writeln!(out, "would install it as {}", dest.display())?;
        if edited_in_place {
            writeln!(
                out,
                "it is edited in place: on failure it would go back to {}",
                if previous_path(&o.dir, &file_name).is_file() {
                    previous_path(&o.dir, &file_name).display().to_string()
                } else {
                    "nothing (no earlier version is kept)".to_owned()
                }
            )?;
        } else if dest.is_file() {
            writeln!(
                out,
                "would keep the current version as {}",
                previous_path(&o.dir, &file_name).display()
            )?;
        }
        for (n, m) in &expected {
            writeln!(out, "would load `{n}` in {m} mode")?;
        }
        // The real parser can check the profile without touching the kernel (-Q -K).
        match o.host.parser() {
            Ok(parser) => match run_parser(&parser, &["-Q", "-K"], &o.file, &o.inc) {
                Ok(_) => writeln!(out, "apparmor_parser accepts it (compiled with -Q -K)")?,
                Err(msg) => {
                    explain_parser_error(style, &msg, &o.file, &o.file, &text);
                    return Ok(EXIT_PROBLEMS);
                }
            },
            Err(_) => writeln!(
                out,
                "apparmor_parser is not installed: the kernel's parser was not consulted"
            )?,
        }
        return Ok(EXIT_OK);
    }

    o.host.require_root("loading a profile")?;
    o.host.require_enabled()?;
    let parser = o.host.parser()?;
    // A rollback reloads the previous version in the mode the kernel had it in, so a
    // profile that was in complain mode (loaded with -C) does not come back enforcing.
    let loaded_before = loaded_profiles(&o.host)?;
    let was_complain = expected
        .iter()
        .any(|(n, _)| loaded_before.get(n).map(String::as_str) == Some("complain"));
    let reload_args: &[&str] = if was_complain { &["-r", "-C"] } else { &["-r"] };

    // Install: keep the previous version, then replace atomically. A file edited in place
    // already holds the new text: the version to go back to is the one kept by the last
    // load (if any), which must not be overwritten by the edit.
    let prev_path = previous_path(&o.dir, &file_name);
    let previous = if edited_in_place {
        std::fs::read(&prev_path).ok()
    } else if dest.is_file() {
        Some(std::fs::read(&dest).map_err(|e| {
            CliError::fatal(format!(
                "cannot read the installed `{}`: {e}",
                dest.display()
            ))
        })?)
    } else {
        None
    };
    if let Some(prev) = previous.as_ref().filter(|_| !edited_in_place) {
        write_atomic(&prev_path, prev).map_err(|e| {
            CliError::fatal(format!(
                "cannot keep the previous version as `{}`: {e}",
                prev_path.display()
            ))
        })?;
    }
    write_atomic(&dest, text.as_bytes())
        .map_err(|e| CliError::fatal(format!("cannot write `{}`: {e}", dest.display())))?;

    let failure = match run_parser(&parser, &parser_args, &dest, &o.inc) {
        Err(msg) => {
            explain_parser_error(style, &msg, &dest, &o.file, &text);
            Some("apparmor_parser rejected the profile".to_owned())
        }
        Ok(_) => verify_loaded(&o.host, &expected).err(),
    };
    let Some(reason) = failure else {
        if edited_in_place {
            // The edit loaded: it is now the version a later failed edit goes back to.
            if let Err(e) = write_atomic(&prev_path, text.as_bytes()) {
                crate::report::print_warning(
                    style,
                    &format!("cannot keep a copy as `{}`: {e}", prev_path.display()),
                );
            }
        }
        let mut out = std::io::stdout().lock();
        for (n, m) in &expected {
            writeln!(out, "loaded `{n}` in {m} mode from {}", dest.display())?;
        }
        return Ok(EXIT_OK);
    };

    // Roll back: the host must never be left without its profile.
    if edited_in_place {
        // The user's edit is moved aside rather than lost.
        let rejected = o.dir.join(format!(".{file_name}.armorlab-rejected"));
        match write_atomic(&rejected, text.as_bytes()) {
            Ok(()) => errln!(
                "{}: your edit is kept as {}",
                style.blue("note"),
                rejected.display()
            ),
            Err(e) => crate::report::print_error(
                style,
                &format!("cannot keep your edit as `{}`: {e}", rejected.display()),
                None,
            ),
        }
        if previous.is_none() {
            crate::report::print_error(
                style,
                &format!(
                    "no earlier version of `{}` is known, so it was left as edited: the kernel keeps the version it had, but the next boot will fail to load this file",
                    dest.display()
                ),
                Some("fix the file and load it again"),
            );
            return Err(CliError::Problems(format!("loading failed: {reason}")));
        }
    }
    match &previous {
        Some(prev) => {
            let restored = write_atomic(&dest, prev)
                .map_err(|e| format!("cannot restore `{}`: {e}", dest.display()))
                .and_then(|_| run_parser(&parser, reload_args, &dest, &o.inc).map(|_| ()));
            match restored {
                Ok(()) => errln!(
                    "{}: restored and reloaded the previous version of {}",
                    style.blue("note"),
                    dest.display()
                ),
                Err(e) => crate::report::print_error(
                    style,
                    &format!("rolling back failed too: {e}"),
                    Some(&format!(
                        "the previous version is kept in `{}`",
                        prev_path.display()
                    )),
                ),
            }
        }
        None => {
            // Nothing to go back to: take out what this attempt added, in the kernel too
            // when the parser loaded part of it.
            let loaded = loaded_profiles(&o.host).unwrap_or_default();
            if expected.iter().any(|(n, _)| loaded.contains_key(n)) {
                let _ = run_parser(&parser, &["-R"], &dest, &o.inc);
            }
            let _ = std::fs::remove_file(&dest);
            errln!(
                "{}: removed {} again (there was no previous version)",
                style.blue("note"),
                dest.display()
            );
        }
    }
    Err(CliError::Problems(format!("loading failed: {reason}")))
}

/// `armorlab unload`.
pub fn unload(
    color: ColorChoice,
    host: &HostArgs,
    name: &str,
    dir: &Path,
    keep_file: bool,
) -> Result<u8, CliError> {
    let style = Style::stderr(color);
    host.require_root("unloading a profile")?;
    host.require_enabled()?;
    let loaded = loaded_profiles(host)?;
    if !loaded.contains_key(name) {
        return Err(CliError::Problems(format!(
            "profile `{name}` is not loaded"
        )));
    }
    // The kernel removes a profile (and its children) when its name is written to
    // `.remove`; this is what `apparmor_parser -R` does after parsing the file.
    let remove = host.securityfs().join(".remove");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&remove)
        .and_then(|mut f| f.write_all(name.as_bytes()))
        .map_err(|e| {
            CliError::fatal(format!(
                "cannot remove `{name}` via `{}`: {e}",
                remove.display()
            ))
        })?;
    let still = loaded_profiles(host)?;
    if still.contains_key(name) {
        return Err(CliError::Problems(format!(
            "profile `{name}` is still loaded after removal"
        )));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "unloaded `{name}`")?;
    if !keep_file {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for f in files {
                let Some(base) = f.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                    continue;
                };
                if base.starts_with('.') || base.ends_with('~') {
                    continue;
                }
                let names = names_defined_by(&f);
                if names.iter().any(|n| n == name) {
                    if names.len() > 1 {
                        crate::report::print_warning(
                            style,
                            &format!(
                                "`{}` also defines other profiles; it stays, so `{name}` loads again at boot",
                                f.display()
                            ),
                        );
                        continue;
                    }
                    let aside = previous_path(dir, &base);
                    match std::fs::rename(&f, &aside) {
                        Ok(()) => writeln!(
                            out,
                            "moved {} to {} so it does not load at boot",
                            f.display(),
                            aside.display()
                        )?,
                        Err(e) => crate::report::print_warning(
                            style,
                            &format!("cannot move `{}` aside: {e}", f.display()),
                        ),
                    }
                }
            }
        }
    }
    Ok(EXIT_OK)
}

/// One process and its confinement.
#[derive(Debug, serde::Serialize)]
struct ProcessInfo {
    pid: u32,
    comm: String,
    profile: String,
    mode: String,
    /// The container the process runs in (from its cgroup), if any.
    container: Option<String>,
}

/// The container a process runs in, from `/proc/PID/cgroup`: Docker, containerd, CRI-O,
/// Podman and Kubernetes put the container id or pod in the cgroup path.
fn container_of(proc_dir: &Path) -> Option<String> {
    let cg = std::fs::read_to_string(proc_dir.join("cgroup")).ok()?;
    const MARKERS: [&str; 6] = ["docker", "containerd", "kubepods", "libpod", "crio", "lxc"];
    cg.lines()
        .filter_map(|l| l.splitn(3, ':').nth(2))
        .find(|path| MARKERS.iter().any(|m| path.contains(m)))
        .map(|path| {
            // The last component names the container (`docker-<id>.scope`, `<id>`).
            let last = path.rsplit('/').find(|c| !c.is_empty()).unwrap_or(path);
            last.trim_end_matches(".scope").to_owned()
        })
}

/// Reads a process's label: `name (mode)` or `unconfined`.
fn process_label(proc_dir: &Path) -> Option<(String, String)> {
    let raw = std::fs::read(proc_dir.join("attr/apparmor/current"))
        .or_else(|_| std::fs::read(proc_dir.join("attr/current")))
        .ok()?;
    let s = String::from_utf8_lossy(&raw);
    let s = s.trim_end_matches(['\n', '\0']).trim();
    if s.is_empty() {
        return None;
    }
    if s == "unconfined" {
        return Some(("unconfined".into(), "unconfined".into()));
    }
    match s.rfind(" (") {
        Some(i) if s.ends_with(')') => Some((
            s.get(..i).unwrap_or(s).to_owned(),
            s.get(i + 2..s.len() - 1).unwrap_or("").to_owned(),
        )),
        _ => Some((s.to_owned(), String::new())),
    }
}

/// `armorlab status`.
pub fn status(color: ColorChoice, host: &HostArgs, format: Format) -> Result<u8, CliError> {
    let style = Style::stdout(color);
    host.require_enabled()?;
    let profiles = loaded_profiles(host)?;
    let mut processes = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&host.procfs) {
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Some((profile, mode)) = process_label(&e.path()) else {
                continue;
            };
            let comm = std::fs::read_to_string(e.path().join("comm"))
                .map(|c| c.trim_end().to_owned())
                .unwrap_or_default();
            processes.push(ProcessInfo {
                pid,
                comm,
                profile,
                mode,
                container: container_of(&e.path()),
            });
        }
    }
    processes.sort_by_key(|p| p.pid);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let obj = serde_json::json!({
                "enabled": true,
                "profiles": profiles.iter().map(|(n, m)| serde_json::json!({"name": n, "mode": m})).collect::<Vec<_>>(),
                "processes": processes,
            });
            writeln!(out, "{obj}")?;
        }
        Format::Human => {
            let count = |m: &str| profiles.values().filter(|v| v.as_str() == m).count();
            writeln!(
                out,
                "{} profiles loaded: {} enforce, {} complain, {} other",
                profiles.len(),
                count("enforce"),
                count("complain"),
                profiles.len() - count("enforce") - count("complain")
            )?;
            for (n, m) in &profiles {
                let tag = match m.as_str() {
                    "enforce" => style.green(m),
                    "complain" => style.yellow(m),
                    other => style.dim(other),
                };
                writeln!(out, "  {n} ({tag})")?;
            }
            let confined: Vec<&ProcessInfo> = processes
                .iter()
                .filter(|p| p.profile != "unconfined")
                .collect();
            writeln!(
                out,
                "{} process(es) confined, {} unconfined",
                confined.len(),
                processes.len() - confined.len()
            )?;
            for p in confined {
                let place = p
                    .container
                    .as_ref()
                    .map(|c| format!("  [container {c}]"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {} {} ({})  {}{place}",
                    p.pid, p.comm, p.mode, p.profile
                )?;
            }
            // The case this command exists for: a container whose profile never loaded
            // runs unconfined, silently.
            let bare: Vec<&ProcessInfo> = processes
                .iter()
                .filter(|p| p.profile == "unconfined" && p.container.is_some())
                .collect();
            if !bare.is_empty() {
                writeln!(
                    out,
                    "{}",
                    style.red(&format!(
                        "{} container process(es) run unconfined:",
                        bare.len()
                    ))
                )?;
                for p in bare {
                    writeln!(
                        out,
                        "  {} {}  [container {}]",
                        p.pid,
                        p.comm,
                        p.container.as_deref().unwrap_or("")
                    )?;
                }
            }
        }
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_list_is_parsed_with_names_containing_spaces_and_parens() {
        let m = parse_profiles_list(
            "docker-default (enforce)\n/usr/bin/a b (complain)\nx//hat (enforce)\n",
        );
        assert_eq!(m.get("docker-default").map(String::as_str), Some("enforce"));
        assert_eq!(m.get("/usr/bin/a b").map(String::as_str), Some("complain"));
        assert_eq!(m.get("x//hat").map(String::as_str), Some("enforce"));
    }

    #[test]
    fn parser_messages_yield_file_and_line() {
        assert_eq!(
            parser_error_location(
                "AppArmor parser error for /x in profile /x at line 12: syntax error"
            ),
            Some(("/x", 12))
        );
        assert_eq!(
            parser_error_location(
                "AppArmor parser error for p in profile /etc/apparmor.d/local/p at line 3: bad"
            ),
            Some(("/etc/apparmor.d/local/p", 3))
        );
        assert_eq!(parser_error_location("no line here"), None);
    }

    #[test]
    fn install_names_follow_the_packaging_convention() {
        assert!(valid_file_name("docker-default"));
        assert!(!valid_file_name("../x"));
        assert!(!valid_file_name(".hidden"));
    }
}
