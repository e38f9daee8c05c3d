//! The subcommands that read and write files only: check, test, fmt, export, import.

use crate::engine::{self, Analyzed};
use crate::fsprovider::{read_text, FsProvider, ReadError};
use crate::report::{
    errln, errprint, print_diagnostic, print_warning, snippet, CliError, ColorChoice, Style,
    EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS,
};
use crate::{ExportTo, Format, IncludeArgs};
use armorlab_core::model::{Policy, Profile};
use armorlab_core::source::{SourceFile, SourceMap};
use armorlab_core::Severity;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The most a profile read from stdin may be, like a file.
const MAX_STDIN_BYTES: u64 = 8 * 1024 * 1024;

/// The largest share link we decode; real links are a few KiB.
const MAX_LINK_BYTES: usize = 1024 * 1024;

/// Reads a profile file with an error that names it.
pub fn read_input(path: &Path) -> Result<String, CliError> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_STDIN_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::fatal(format!("cannot read stdin: {e}")))?;
        if bytes.len() as u64 > MAX_STDIN_BYTES {
            return Err(CliError::fatal(format!(
                "stdin is larger than {} MiB",
                MAX_STDIN_BYTES / 1024 / 1024
            )));
        }
        return String::from_utf8(bytes).map_err(|e| {
            CliError::fatal(format!(
                "cannot read stdin: not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        });
    }
    read_text(path).map_err(|e| {
        let shown = path.display();
        match e {
            ReadError::NotFound => CliError::fatal(format!("cannot read `{shown}`: no such file")),
            ReadError::IsDir => CliError::fatal_help(
                format!("cannot read `{shown}`: it is a directory"),
                "give the profile file itself, e.g. `/etc/apparmor.d/usr.sbin.nginx`",
            ),
            other => CliError::fatal(format!("cannot read `{shown}`: {other}")),
        }
    })
}

/// The name a file is shown under in diagnostics.
pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        return "<stdin>".to_owned();
    }
    path.to_string_lossy().into_owned()
}

/// Reads and analyzes a profile file.
pub fn analyze_file(inc: &IncludeArgs, path: &Path) -> Result<Analyzed, CliError> {
    let text = read_input(path)?;
    let provider = FsProvider::new(&inc.search_dirs());
    Ok(engine::analyze(&display_name(path), &text, &provider))
}

/// The most diagnostics shown for one file: a file that is not a profile at all (a
/// licence, a template) gives hundreds, and the first ones say what is wrong.
const MAX_SHOWN_DIAGNOSTICS: usize = 50;

/// Prints the diagnostics (at most [`MAX_SHOWN_DIAGNOSTICS`], then how many more there
/// are); returns the number of errors.
pub fn report_diagnostics(style: Style, a: &Analyzed) -> usize {
    for d in a.diagnostics.iter().take(MAX_SHOWN_DIAGNOSTICS) {
        print_diagnostic(style, &a.sources, d);
    }
    let rest = a.diagnostics.get(MAX_SHOWN_DIAGNOSTICS..).unwrap_or(&[]);
    if !rest.is_empty() {
        let errors = rest.iter().filter(|d| d.is_error()).count();
        errln!(
            "{}: {} more diagnostic(s) not shown ({errors} error(s)); `armorlab check --format json` lists them all\n",
            style.blue("note"),
            rest.len()
        );
    }
    a.diagnostics.iter().filter(|d| d.is_error()).count()
}

/// Picks the profile a command works on.
pub fn select_profile<'a>(
    policy: &'a Policy,
    requested: Option<&str>,
    file: &Path,
) -> Result<&'a Profile, CliError> {
    let names = || {
        policy
            .profiles
            .iter()
            .map(|p| format!("`{}`", p.full_name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = requested {
        return policy.find(name).ok_or_else(|| {
            CliError::fatal_help(
                format!("`{}` defines no profile `{name}`", file.display()),
                format!("it defines {}", names()),
            )
        });
    }
    match policy.profiles.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::Problems(format!(
            "`{}` defines no profile",
            file.display()
        ))),
        _ => Err(CliError::fatal_help(
            format!(
                "`{}` defines {} profiles; say which one with `--profile NAME`",
                file.display(),
                policy.profiles.len()
            ),
            format!("it defines {}", names()),
        )),
    }
}

/// `armorlab check`.
pub fn check(
    color: ColorChoice,
    inc: &IncludeArgs,
    format: Format,
    files: &[PathBuf],
) -> Result<u8, CliError> {
    let style = Style::stderr(color);
    let mut out = std::io::stdout().lock();
    let mut unreadable = 0usize;
    let mut invalid = 0usize;
    let (mut errors, mut warnings) = (0usize, 0usize);
    let files = expand_directories(files);
    for path in &files {
        if path.is_dir() {
            let message = format!("`{}` holds no profile files", path.display());
            crate::report::print_error(
                style,
                &message,
                Some("name the profile files, or a directory that contains them"),
            );
            if format == Format::Json {
                let obj = serde_json::json!({
                    "file": display_name(path),
                    "valid": false,
                    "error": message,
                });
                writeln!(out, "{obj}")?;
            }
            unreadable += 1;
            continue;
        }
        let mut a = match analyze_file(inc, path) {
            Ok(a) => a,
            Err(CliError::Fatal { message, help }) => {
                crate::report::print_error(style, &message, help.as_deref());
                if format == Format::Json {
                    // Consumers of the JSON lines see every file, readable or not.
                    let obj = serde_json::json!({
                        "file": display_name(path),
                        "valid": false,
                        "error": message,
                    });
                    writeln!(out, "{obj}")?;
                }
                unreadable += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        engine::add_compile_diagnostics(&mut a);
        let e = a.diagnostics.iter().filter(|d| d.is_error()).count();
        let w = a
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        errors += e;
        warnings += w;
        if e > 0 {
            invalid += 1;
        }
        match format {
            Format::Human => {
                report_diagnostics(style, &a);
            }
            Format::Json => {
                let obj = serde_json::json!({
                    "file": display_name(path),
                    "valid": e == 0,
                    "profiles": a.policy.all_profiles().iter().map(|p| &p.full_name).collect::<Vec<_>>(),
                    "diagnostics": a.diagnostics,
                });
                writeln!(out, "{obj}")?;
            }
        }
    }
    if format == Format::Human {
        // A file that could not be read was not checked: the summary says so, instead of
        // counting it among the files found valid.
        let unreadable_part = if unreadable > 0 {
            format!(", {unreadable} unreadable")
        } else {
            String::new()
        };
        let summary = format!(
            "checked {} file(s): {invalid} invalid{unreadable_part}, {errors} error(s), {warnings} warning(s)",
            files.len(),
        );
        let painted = if invalid > 0 || unreadable > 0 {
            style.red(&summary)
        } else {
            style.green(&summary)
        };
        let _ = writeln!(std::io::stderr().lock(), "{painted}");
    }
    Ok(if unreadable > 0 {
        EXIT_ERROR
    } else if invalid > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    })
}

/// Replaces each directory argument by the profile files in it, like `apparmor_parser`
/// given a directory: regular files directly inside, in name order, without the entries
/// it skips (dot files, `README`, backups, package-manager leftovers) and without
/// subdirectories such as `abstractions/`, which hold include files rather than profiles.
/// An unreadable directory stays as it is, so reading it reports the error.
fn expand_directories(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in files {
        if path == Path::new("-") || !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            out.push(path.clone());
            continue;
        };
        let mut inside: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                !armorlab_core::resolve::skipped_include_entry(&name)
            })
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        inside.sort();
        if inside.is_empty() {
            // Kept, so that `check` reports the directory instead of checking nothing.
            out.push(path.clone());
        }
        out.extend(inside);
    }
    out
}

/// One query with where it came from and what it expects.
struct QueryItem {
    text: String,
    expect: Option<String>,
    origin: Option<(String, usize)>,
    /// The whole line (or argument) the query came from, for snippets.
    line: String,
    /// Why the line's `expect` prefix is malformed, already reported on stderr; the item
    /// only keeps its place in the JSON output.
    malformed: Option<String>,
}

/// Where in a query line an `expect` problem is: the word after `expect` when there is
/// one, else the whole line, as (1-based column, width) in characters.
fn expectation_problem_at(line: &str) -> (usize, usize) {
    let indent = line.len() - line.trim_start().len();
    let after = line
        .get(indent..)
        .and_then(|t| t.strip_prefix("expect"))
        .unwrap_or("");
    let word = after.trim_start();
    let word_start = line.len() - word.len();
    match word.split_whitespace().next() {
        Some(w) if !matches!(w, "allow" | "deny") => {
            let col = line.get(..word_start).map_or(0, |p| p.chars().count());
            (col + 1, w.chars().count())
        }
        _ => (
            line.get(..indent).map_or(0, |p| p.chars().count()) + 1,
            line.trim().chars().count().max(1),
        ),
    }
}

/// A query line without its trailing comment: a `#` after whitespace and outside double
/// quotes starts a comment, as in profiles, so a test file can say why each line is there.
/// A `#` inside a path (`/tmp/a#b`) stays.
fn strip_trailing_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && prev_space => return line.get(..i).unwrap_or(line).trim_end(),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// Splits an `expect allow|deny` prefix off a query.
fn split_expectation(line: &str) -> Result<(Option<String>, String), String> {
    let t = line.trim();
    let Some(rest) = t.strip_prefix("expect") else {
        return Ok((None, t.to_owned()));
    };
    if !rest.starts_with(char::is_whitespace) {
        return Ok((None, t.to_owned()));
    }
    let rest = rest.trim_start();
    let (word, query) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    match word {
        "allow" | "deny" if !query.trim().is_empty() => {
            Ok((Some(word.to_owned()), query.trim().to_owned()))
        }
        "allow" | "deny" => Err(format!("`expect {word}` needs a query after it")),
        other => Err(format!(
            "expected `allow` or `deny` after `expect`, found `{other}`"
        )),
    }
}

/// `armorlab test`.
#[allow(clippy::too_many_arguments)]
pub fn test(
    color: ColorChoice,
    inc: &IncludeArgs,
    file: &Path,
    profile: Option<&str>,
    queries_file: Option<&Path>,
    format: Format,
    args: &[String],
) -> Result<u8, CliError> {
    let style = Style::stderr(color);
    let ostyle = Style::stdout(color);
    if file == Path::new("-") && queries_file == Some(Path::new("-")) {
        return Err(CliError::fatal(
            "the profile and the queries cannot both come from stdin",
        ));
    }
    let mut items = Vec::new();
    let mut bad_queries = 0usize;
    for a in args {
        match split_expectation(a) {
            Ok((expect, text)) => items.push(QueryItem {
                text,
                expect,
                origin: None,
                line: a.clone(),
                malformed: None,
            }),
            Err(msg) => return Err(CliError::fatal(format!("in query `{a}`: {msg}"))),
        }
    }
    if let Some(qf) = queries_file {
        let text = if qf == Path::new("-") {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| CliError::fatal(format!("cannot read queries from stdin: {e}")))?;
            s
        } else if qf.is_dir() {
            return Err(CliError::fatal_help(
                format!("cannot read `{}`: it is a directory", qf.display()),
                "give a file with one query per line, e.g. `expect deny w /proc/sysrq-trigger`",
            ));
        } else {
            read_input(qf)?
        };
        let qname = display_name(qf);
        for (i, full_line) in text.lines().enumerate() {
            let line = strip_trailing_comment(full_line);
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            match split_expectation(t) {
                Ok((expect, text)) => items.push(QueryItem {
                    text,
                    expect,
                    origin: Some((qname.clone(), i + 1)),
                    line: line.to_owned(),
                    malformed: None,
                }),
                Err(msg) => {
                    bad_queries += 1;
                    items.push(QueryItem {
                        text: t.to_owned(),
                        expect: None,
                        origin: Some((qname.clone(), i + 1)),
                        line: line.to_owned(),
                        malformed: Some(msg.clone()),
                    });
                    let (col, width) = expectation_problem_at(line);
                    errprint!(
                        "{}: {msg}\n{}",
                        style.red("error"),
                        crate::report::snippet_at(
                            style,
                            &qname,
                            line,
                            i as u32 + 1,
                            col as u32,
                            width
                        )
                    );
                }
            }
        }
    }
    if items.iter().all(|i| i.malformed.is_some()) && bad_queries == 0 {
        if let Some(qf) = queries_file {
            // An empty test file in CI is a mistake (a wrong path, a truncated file), not a
            // suite that passes.
            return Err(CliError::fatal_help(
                format!("`{}` holds no queries", display_name(qf)),
                "write one query per line, e.g. `expect deny w /proc/sysrq-trigger`; lines starting with `#` are comments",
            ));
        }
        return Err(CliError::fatal_help(
            "no queries given",
            "pass queries as arguments, e.g. `'w /proc/sysrq-trigger'`, or `--queries FILE`",
        ));
    }

    let a = analyze_file(inc, file)?;
    if report_diagnostics(style, &a) > 0 {
        return Err(CliError::Problems(format!(
            "`{}` has errors; no query was decided",
            file.display()
        )));
    }
    let compiled = match engine::compile(&a) {
        Ok(c) => c,
        Err(diags) => {
            for d in diags {
                print_diagnostic(style, &a.sources, &d.with_position(&a.sources));
            }
            return Err(CliError::Problems(format!(
                "`{}` could not be compiled",
                file.display()
            )));
        }
    };
    let name = match profile {
        Some(p) => {
            if !compiled.profile_names().iter().any(|n| n == p) {
                return Err(CliError::fatal_help(
                    format!("`{}` defines no profile `{p}`", file.display()),
                    format!(
                        "it defines {}",
                        compiled
                            .profile_names()
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            p.to_owned()
        }
        None => select_profile(&a.policy, None, file)?.full_name.clone(),
    };

    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0usize, 0usize);
    for item in &items {
        let where_ = item
            .origin
            .as_ref()
            .map(|(f, l)| format!("{f}:{l}: "))
            .unwrap_or_default();
        if let Some(msg) = &item.malformed {
            if format == Format::Json {
                writeln!(out, "{}", query_error_json(item, msg))?;
            }
            continue;
        }
        let decision = match compiled.decide(&name, &item.text) {
            Ok(d) => d,
            Err(e) => {
                bad_queries += 1;
                report_query_problem(style, item, &e);
                if format == Format::Json {
                    writeln!(out, "{}", query_error_json(item, &e.message))?;
                }
                continue;
            }
        };
        let verdict = decision
            .get("verdict")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let pass = item.expect.as_ref().map(|e| *e == verdict);
        match pass {
            Some(true) => passed += 1,
            Some(false) => failed += 1,
            None => {}
        }
        match format {
            Format::Json => {
                let mut obj = decision;
                if let Some(map) = obj.as_object_mut() {
                    map.entry("query")
                        .or_insert_with(|| serde_json::Value::String(item.text.clone()));
                    // `query` is the canonical form (`capability sys_admin` for
                    // `capability CAP_SYS_ADMIN`); `input` is what the user wrote, so
                    // results can be matched back to the queries that produced them.
                    map.insert("input".into(), item.text.clone().into());
                    if let Some(e) = &item.expect {
                        map.insert("expect".into(), e.clone().into());
                        map.insert("pass".into(), pass.unwrap_or(false).into());
                    }
                    if let Some((f, l)) = &item.origin {
                        map.insert("source".into(), serde_json::json!({ "file": f, "line": l }));
                    }
                }
                writeln!(out, "{obj}")?;
            }
            Format::Human => {
                write_human_decision(&mut out, ostyle, item, &verdict, &decision, pass, &where_)?;
            }
        }
    }
    if format == Format::Human && (passed + failed) > 0 {
        let line = format!(
            "{} expectation(s): {passed} passed, {failed} failed",
            passed + failed
        );
        writeln!(
            out,
            "{}",
            if failed > 0 {
                ostyle.red(&line)
            } else {
                ostyle.green(&line)
            }
        )?;
    }
    Ok(if bad_queries > 0 {
        EXIT_ERROR
    } else if failed > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    })
}

/// The JSON line for a query that could not be decided: JSON consumers see every query,
/// decided or not, as `check` shows every file.
fn query_error_json(item: &QueryItem, message: &str) -> serde_json::Value {
    let mut obj = serde_json::json!({
        "query": item.text,
        "input": item.text,
        "error": message,
    });
    if let (Some(map), Some((f, l))) = (obj.as_object_mut(), &item.origin) {
        map.insert("source".into(), serde_json::json!({ "file": f, "line": l }));
    }
    obj
}

/// Prints why a query could not be decided, pointing into the line it came from.
fn report_query_problem(style: Style, item: &QueryItem, e: &engine::QueryProblem) {
    let mut msg = format!(
        "{}: cannot decide `{}`: {e}\n",
        style.red("error"),
        item.text
    );
    if let Some(offset) = e.offset {
        // The query text sits inside its line after any `expect ...` prefix.
        let base = item.line.find(item.text.as_str()).unwrap_or(0);
        let col = item
            .line
            .get(..(base + offset).min(item.line.len()))
            .map_or(0, |p| p.chars().count());
        let (name, line_no) = match &item.origin {
            Some((f, l)) => (f.clone(), *l as u32),
            None => ("<query>".to_owned(), 1),
        };
        let width = item
            .text
            .get(offset.min(item.text.len())..)
            .and_then(|rest| rest.split_whitespace().next())
            .map_or(1, |w| w.chars().count().max(1));
        msg.push_str(&crate::report::snippet_at(
            style,
            &name,
            &item.line,
            line_no,
            col as u32 + 1,
            width,
        ));
    } else if let Some((f, l)) = &item.origin {
        msg.push_str(&format!("  {} {f}:{l}\n", style.blue("-->")));
    }
    if let Some(h) = &e.help {
        msg.push_str(&format!("  {} {h}\n", style.blue("= help:")));
    }
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

fn letters(v: &serde_json::Value, key: &str) -> String {
    match v.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn write_human_decision(
    out: &mut impl Write,
    style: Style,
    item: &QueryItem,
    verdict: &str,
    d: &serde_json::Value,
    pass: Option<bool>,
    where_: &str,
) -> Result<(), CliError> {
    let tag = match verdict {
        "allow" => style.green("allow"),
        "deny" => style.red("deny "),
        other => style.yellow(other),
    };
    let exp = match (pass, &item.expect) {
        (Some(true), _) => format!("{} ", style.green("ok  ")),
        (Some(false), Some(e)) => format!("{} (expected {e}) ", style.red("FAIL")),
        _ => String::new(),
    };
    // A profile in complain or unconfined mode lets through what its rules do not grant:
    // the verdict is `allow` while `denied` still lists those permissions, so the output
    // says which mode decided instead of seeming to contradict itself.
    let mode = d.get("mode").and_then(|m| m.as_str()).unwrap_or("enforce");
    let lenient = verdict == "allow"
        && matches!(mode, "complain" | "unconfined")
        && !letters(d, "denied").is_empty();
    let mode_tag = if lenient {
        format!("  {}", style.yellow(&format!("({mode} mode)")))
    } else {
        String::new()
    };
    writeln!(
        out,
        "{exp}{tag} {where_}{}{mode_tag}",
        style.bold(&item.text)
    )?;
    let mut perms = Vec::new();
    let denied_label = if lenient { "not granted" } else { "denied" };
    for (k, label) in [
        ("allowed", "allowed"),
        ("denied", denied_label),
        ("audit", "audited"),
        ("quiet", "quiet"),
    ] {
        let l = letters(d, k);
        if !l.is_empty() && l != "\"\"" {
            perms.push(format!("{label} {l}"));
        }
    }
    if !perms.is_empty() {
        writeln!(out, "      {}", style.dim(&perms.join(", ")))?;
    }
    if let Some(exec) = d.get("exec").filter(|e| !e.is_null()) {
        let mode = exec.get("mode").and_then(|m| m.as_str()).unwrap_or("x");
        let why = exec
            .get("explanation")
            .and_then(|m| m.as_str())
            .unwrap_or("");
        writeln!(out, "      {} {mode}: {why}", style.dim("exec"))?;
    }
    if let Some(rules) = d.get("rules").and_then(|r| r.as_array()) {
        if rules.is_empty() {
            let why = if lenient {
                format!("no rule matches: allowed because the profile is in {mode} mode")
            } else if verdict == "allow" {
                "no rule matches".to_owned()
            } else {
                "no rule matches: denied by default".to_owned()
            };
            writeln!(out, "      {}", style.dim(&why))?;
        }
        for r in rules {
            let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let n = |k: &str| r.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            let implicit = r.get("implicit").and_then(|v| v.as_bool()).unwrap_or(false);
            writeln!(
                out,
                "      {} {}  {}{}",
                style.dim("by"),
                s("text"),
                style.dim(&format!("{}:{}:{}", s("file"), n("line"), n("column"))),
                if implicit { " (implicit)" } else { "" }
            )?;
        }
    }
    for key in ["notes"] {
        if let Some(notes) = d.get(key).and_then(|n| n.as_array()) {
            for n in notes {
                let text = n
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| n.to_string());
                writeln!(out, "      {} {text}", style.dim("note:"))?;
            }
        }
    }
    if let Some(c) = d.get("complain_note").and_then(|c| c.as_str()) {
        writeln!(out, "      {} {c}", style.dim("note:"))?;
    }
    Ok(())
}

/// Writes a file atomically: a temporary file in the same directory, fsync, rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{base}.armorlab-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            let _ = f.set_permissions(meta.permissions());
        }
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the directory is synced.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Where rewriting `path` in place must write: through a symbolic link to the file it
/// names, as editors do, so that a profile linked into `/etc/apparmor.d` from a repository
/// stays a link and the repository's file gets the change.
fn write_target(path: &Path) -> PathBuf {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        if let Ok(real) = std::fs::canonicalize(path) {
            return real;
        }
    }
    path.to_path_buf()
}

/// `armorlab fmt`.
pub fn fmt(color: ColorChoice, check: bool, files: &[PathBuf]) -> Result<u8, CliError> {
    let style = Style::stderr(color);
    let mut code = EXIT_OK;
    let mut out = std::io::stdout().lock();
    for path in files {
        let stdin = path == Path::new("-");
        let text = if stdin {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                crate::report::print_error(style, &format!("cannot read stdin: {e}"), None);
                code = EXIT_ERROR;
                continue;
            }
            s
        } else {
            match read_input(path) {
                Ok(t) => t,
                Err(CliError::Fatal { message, help }) => {
                    crate::report::print_error(style, &message, help.as_deref());
                    code = EXIT_ERROR;
                    continue;
                }
                Err(e) => return Err(e),
            }
        };
        let name = if stdin {
            "<stdin>".to_owned()
        } else {
            display_name(path)
        };
        let formatted = match engine::format(&text) {
            Ok(f) => f,
            Err(diags) => {
                let mut sources = SourceMap::new();
                sources.add(SourceFile::new(name.clone(), text.clone()));
                for d in diags {
                    print_diagnostic(style, &sources, &d.with_position(&sources));
                }
                errln!(
                    "{}: `{name}` was not formatted: it has errors",
                    style.red("error")
                );
                code = code.max(EXIT_PROBLEMS);
                continue;
            }
        };
        if stdin {
            if check {
                if formatted != text {
                    errln!("{}: `{name}` is not formatted", style.yellow("warning"));
                    errprint!("{}", format_diff(style, &name, &text, &formatted));
                    code = code.max(EXIT_PROBLEMS);
                }
            } else {
                out.write_all(formatted.as_bytes())?;
            }
            continue;
        }
        if formatted == text {
            continue;
        }
        if check {
            writeln!(out, "{name}")?;
            errln!("{}: `{name}` is not formatted", style.yellow("warning"));
            errprint!("{}", format_diff(style, &name, &text, &formatted));
            code = code.max(EXIT_PROBLEMS);
        } else if let Err(e) = write_atomic(&write_target(path), formatted.as_bytes()) {
            crate::report::print_error(style, &format!("cannot write `{name}`: {e}"), None);
            code = EXIT_ERROR;
        } else {
            errln!("formatted {name}");
        }
    }
    Ok(code)
}

/// The most changed lines `fmt --check` shows per file; the rest is summarised.
const MAX_DIFF_LINES: usize = 40;

/// Above this many line pairs the diff falls back to the first changed line, so a huge
/// file cannot make `fmt --check` slow or hungry.
const MAX_DIFF_CELLS: usize = 4_000_000;

/// What `fmt` would change, as `-`/`+` lines under the line number where each change
/// starts, so a CI log shows the fix without running `fmt` locally.
fn format_diff(style: Style, name: &str, before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    // Changes as (line in `before`, removed lines, added lines).
    let mut hunks: Vec<(usize, Vec<&str>, Vec<&str>)> = Vec::new();
    if a.len().saturating_mul(b.len()) > MAX_DIFF_CELLS {
        let first = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        hunks.push((
            first,
            a.get(first..first + 1).unwrap_or(&[]).to_vec(),
            b.get(first..first + 1).unwrap_or(&[]).to_vec(),
        ));
    } else {
        // Longest common subsequence of lines, filled from the end.
        let (n, m) = (a.len(), b.len());
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        let at = |i: usize, j: usize| i * (m + 1) + j;
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                let v = if a.get(i) == b.get(j) {
                    lcs.get(at(i + 1, j + 1)).copied().unwrap_or(0) + 1
                } else {
                    let down = lcs.get(at(i + 1, j)).copied().unwrap_or(0);
                    let right = lcs.get(at(i, j + 1)).copied().unwrap_or(0);
                    down.max(right)
                };
                if let Some(cell) = lcs.get_mut(at(i, j)) {
                    *cell = v;
                }
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a.get(i) == b.get(j) {
                i += 1;
                j += 1;
                continue;
            }
            let start = i;
            let (mut removed, mut added) = (Vec::new(), Vec::new());
            while (i < n || j < m) && !(i < n && j < m && a.get(i) == b.get(j)) {
                let down = lcs.get(at(i + 1, j)).copied().unwrap_or(0);
                let right = lcs.get(at(i, j + 1)).copied().unwrap_or(0);
                if j >= m || (i < n && down >= right) {
                    removed.extend(a.get(i).copied());
                    i += 1;
                } else {
                    added.extend(b.get(j).copied());
                    j += 1;
                }
            }
            hunks.push((start, removed, added));
        }
    }
    let mut out = String::new();
    let mut shown = 0usize;
    let total: usize = hunks.iter().map(|(_, r, a)| r.len() + a.len()).sum();
    for (line, removed, added) in &hunks {
        if shown >= MAX_DIFF_LINES {
            break;
        }
        out.push_str(&format!("  {} {name}:{}\n", style.blue("-->"), line + 1));
        for r in removed {
            out.push_str(&format!("  {}\n", style.red(&format!("-{r}"))));
            shown += 1;
        }
        for a in added {
            out.push_str(&format!("  {}\n", style.green(&format!("+{a}"))));
            shown += 1;
        }
    }
    if total > shown {
        out.push_str(&format!(
            "  ... and {} more changed line(s); run `armorlab fmt {name}` to apply them\n",
            total - shown
        ));
    }
    out
}

/// `armorlab export`.
#[allow(clippy::too_many_arguments)]
pub fn export(
    color: ColorChoice,
    inc: &IncludeArgs,
    file: &Path,
    to: ExportTo,
    profile: Option<&str>,
    inline: bool,
    allow_lossy: bool,
    image: &str,
) -> Result<u8, CliError> {
    let style = Style::stderr(color);
    let text = read_input(file)?;
    let provider = FsProvider::new(&inc.search_dirs());
    let mut a = engine::analyze(&display_name(file), &text, &provider);
    engine::add_compile_diagnostics(&mut a);
    if report_diagnostics(style, &a) > 0 {
        return Err(CliError::Problems(format!(
            "`{}` has errors; nothing was exported",
            file.display()
        )));
    }
    let mut out = std::io::stdout().lock();
    match to {
        ExportTo::Profile => {
            // The profile text is exported file-wide; a `--profile` that would leave other
            // profiles in it is refused rather than silently ignored, since the user asked
            // for one profile and would ship several.
            if let Some(name) = profile {
                let chosen = select_profile(&a.policy, Some(name), file)?;
                let others: Vec<String> = a
                    .policy
                    .profiles
                    .iter()
                    .filter(|p| p.full_name != chosen.full_name)
                    .map(|p| format!("`{}`", p.full_name))
                    .collect();
                if !others.is_empty() {
                    return Err(CliError::fatal_help(
                        format!(
                            "`--to profile` exports the whole file, and `{}` also defines {}",
                            file.display(),
                            others.join(", ")
                        ),
                        "drop `--profile` to export every profile of the file, or move the profile to a file of its own",
                    ));
                }
            }
            let s = armorlab_core::export::self_contained(
                &display_name(file),
                &text,
                &provider,
                inline,
            )
            .map_err(|e| CliError::fatal(e.to_string()))?;
            out.write_all(s.as_bytes())?;
        }
        ExportTo::Docker => {
            let p = select_profile(&a.policy, profile, file)?;
            out.write_all(armorlab_core::export::docker_run(&p.full_name, image).as_bytes())?;
        }
        ExportTo::Kubernetes => {
            let p = select_profile(&a.policy, profile, file)?;
            out.write_all(armorlab_core::export::kubernetes(&p.full_name, image).as_bytes())?;
        }
        ExportTo::Spo => {
            let p = select_profile(&a.policy, profile, file)?;
            let e = armorlab_core::export::spo(p, &a.sources);
            for n in &e.notes {
                errln!("{}: {n}", style.blue("note"));
            }
            for loss in &e.losses {
                let head = if allow_lossy {
                    style.yellow("warning[lossy]")
                } else {
                    style.red("error[lossy]")
                };
                errprint!(
                    "{head}: {}\n{}\n",
                    style.bold(&format!(
                        "`{}` cannot be expressed: {}",
                        loss.text, loss.reason
                    )),
                    snippet(style, &a.sources, loss.location.file, loss.location.span)
                );
            }
            if !e.losses.is_empty() && !allow_lossy {
                crate::report::print_error(
                    style,
                    &format!(
                        "{} rule(s) cannot be expressed in an AppArmorProfile; nothing was exported",
                        e.losses.len()
                    ),
                    Some("pass `--allow-lossy` to export the rest anyway, or use `--to kubernetes` and load the full profile on the nodes"),
                );
                return Err(CliError::Problems(String::new()));
            }
            if e.may_widen && allow_lossy {
                print_warning(
                    style,
                    "deny rules are left out: the resource may allow what they denied",
                );
            }
            if !e.losses.is_empty() {
                print_warning(
                    style,
                    &format!("{} rule(s) were left out of the export", e.losses.len()),
                );
            }
            out.write_all(e.yaml.as_bytes())?;
        }
    }
    Ok(EXIT_OK)
}

/// Finds the fragment of a share link: the part after `#`, or the whole text.
fn fragment_of(link: &str) -> &str {
    let link = link.trim();
    match link.split_once('#') {
        Some((_, frag)) => frag,
        None => link,
    }
}

/// A path inside `dir` for an include's path, refusing anything that would escape it.
fn contained_path(dir: &Path, include: &str) -> Option<PathBuf> {
    let mut out = dir.to_path_buf();
    let mut any = false;
    for part in include.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => {
                out.push(p);
                any = true;
            }
        }
    }
    any.then_some(out)
}

/// `armorlab import`.
pub fn import(
    source: &str,
    output: Option<&Path>,
    queries_out: Option<&Path>,
    includes_out: Option<&Path>,
) -> Result<u8, CliError> {
    let looks_like_link = source.contains("://") || source.starts_with('#');
    let link = if looks_like_link {
        source.to_owned()
    } else if Path::new(source).is_dir() {
        return Err(CliError::fatal_help(
            format!("cannot read `{source}`: it is a directory"),
            "pass the share link itself, or a file that contains it",
        ));
    } else if source == "-" || Path::new(source).exists() {
        // `-` reads the link from stdin, e.g. pasted from the clipboard.
        read_input(Path::new(source))?
    } else {
        return Err(CliError::fatal_help(
            format!("`{source}` is neither a share link nor a file"),
            "pass the whole link, e.g. `'https://…/#…'` (quoted, so the shell keeps the `#`)",
        ));
    };
    if link.len() > MAX_LINK_BYTES {
        return Err(CliError::fatal(format!(
            "the share link is too large ({} bytes; at most {MAX_LINK_BYTES})",
            link.len()
        )));
    }
    let frag = fragment_of(&link);
    if frag.is_empty() || (link.contains("://") && !link.contains('#')) {
        return Err(CliError::fatal_help(
            "the share link has no content after `#`",
            "copy the whole link from the playground's share button",
        ));
    }
    let share = engine::decode_share(frag)
        .map_err(|e| CliError::fatal(format!("not a valid share link: {e}")))?;
    // A link may name a template instead of carrying the profile text.
    let profile_text = match (&share.template, share.profile.is_empty()) {
        (Some(id), true) => crate::templates::template(id)
            .ok_or_else(|| {
                CliError::fatal(format!(
                    "the share link names the template `{id}`, which this armorlab does not know"
                ))
            })?
            .to_owned(),
        _ => share.profile.clone(),
    };
    if let Some(dir) = includes_out {
        // Every target is checked before anything is written, so a link with one bad
        // path changes nothing.
        let mut targets = Vec::new();
        for (path, text) in &share.includes {
            let target = contained_path(dir, path).ok_or_else(|| {
                CliError::fatal(format!(
                    "the link's include `{path}` would be written outside `{}`",
                    dir.display()
                ))
            })?;
            targets.push((target, text));
        }
        for (target, text) in targets {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    CliError::fatal(format!("cannot create `{}`: {e}", parent.display()))
                })?;
            }
            write_atomic(&target, text.as_bytes()).map_err(|e| {
                CliError::fatal(format!("cannot write `{}`: {e}", target.display()))
            })?;
            errln!("wrote include {}", target.display());
        }
    } else if !share.includes.is_empty() {
        errln!(
            "note: the link carries {} edited include file(s) ({}); write them with `--includes-out DIR`",
            share.includes.len(),
            share
                .includes
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(q) = queries_out {
        let mut body = String::from("# queries saved in the share link\n");
        for line in &share.queries {
            body.push_str(line);
            body.push('\n');
        }
        write_atomic(&write_target(q), body.as_bytes())
            .map_err(|e| CliError::fatal(format!("cannot write `{}`: {e}", q.display())))?;
    }
    match output {
        Some(p) => write_atomic(&write_target(p), profile_text.as_bytes())
            .map_err(|e| CliError::fatal(format!("cannot write `{}`: {e}", p.display())))?,
        None => std::io::stdout()
            .lock()
            .write_all(profile_text.as_bytes())?,
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_are_split_off_queries() {
        assert_eq!(
            split_expectation("expect deny w /proc/sysrq-trigger").unwrap(),
            (Some("deny".into()), "w /proc/sysrq-trigger".into())
        );
        assert_eq!(
            split_expectation("r /expected").unwrap(),
            (None, "r /expected".into())
        );
        assert_eq!(
            split_expectation("expectx r /a").unwrap(),
            (None, "expectx r /a".into())
        );
        assert!(split_expectation("expect maybe r /a").is_err());
        assert!(split_expectation("expect allow").is_err());
    }

    #[test]
    fn include_paths_cannot_escape_the_output_dir() {
        let d = Path::new("/out");
        assert_eq!(
            contained_path(d, "/etc/apparmor.d/local/x"),
            Some(PathBuf::from("/out/etc/apparmor.d/local/x"))
        );
        assert_eq!(contained_path(d, "../../etc/passwd"), None);
        assert_eq!(contained_path(d, "/"), None);
    }

    #[test]
    fn fragments_are_taken_after_the_hash() {
        assert_eq!(fragment_of(" https://x/#abc \n"), "abc");
        assert_eq!(fragment_of("abc"), "abc");
    }
}
