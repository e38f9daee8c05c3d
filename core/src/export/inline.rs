//! Self-contained profile text: includes kept, or expanded in place like
//! `apparmor_parser -p` does.

use crate::source::{IncludeStyle, Resolved, SourceError, SourceProvider};

/// How deep includes may nest before the expansion gives up; apparmor's own abstractions
/// nest about five deep, so this only stops cycles the stack check cannot see.
const MAX_DEPTH: usize = 64;

/// The largest expanded text we produce, so that a directory of huge files or an include
/// fan-out cannot exhaust memory.
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

/// Why a profile could not be made self-contained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InlineError {
    /// An include (without `if exists`) names nothing the provider has.
    #[error("{file}:{line}: include `{name}` not found")]
    MissingInclude {
        /// The file with the include line.
        file: String,
        /// Its 1-based line.
        line: u32,
        /// The include as written, e.g. `<abstractions/base>`.
        name: String,
    },
    /// The provider found the include but could not read it.
    #[error("{file}:{line}: {source}")]
    Unreadable {
        /// The file with the include line.
        file: String,
        /// Its 1-based line.
        line: u32,
        /// What went wrong.
        source: SourceError,
    },
    /// A file includes itself, directly or through others.
    #[error("{file}:{line}: include `{name}` includes itself")]
    Cycle {
        /// The file with the include line.
        file: String,
        /// Its 1-based line.
        line: u32,
        /// The include as written.
        name: String,
    },
    /// Includes nest deeper than any real policy does, or the text grew too large.
    #[error("{file}:{line}: includes nest too deep or expand to too much text")]
    TooLarge {
        /// The file with the include line.
        file: String,
        /// Its 1-based line.
        line: u32,
    },
}

/// An include line, recognised the way apparmor_parser's lexer recognises it: `#include`
/// (no space after `#`, otherwise it is a comment) or `include`, optionally `if exists`,
/// then `<name>` or `"name"`.
struct IncludeLine<'a> {
    name: &'a str,
    style: IncludeStyle,
    if_exists: bool,
    written: &'a str,
}

fn parse_include(line: &str) -> Option<IncludeLine<'_>> {
    let t = line.trim_start();
    let rest = t
        .strip_prefix("#include")
        .or_else(|| t.strip_prefix("include"))?;
    // `include` must be a whole word: `includes_foo r,` is not an include.
    if !rest.starts_with(|c: char| c.is_whitespace() || c == '<' || c == '"') {
        return None;
    }
    let mut rest = rest.trim_start();
    let mut if_exists = false;
    if let Some(r) = rest.strip_prefix("if") {
        let r = r.trim_start();
        if let Some(r) = r.strip_prefix("exists") {
            if_exists = true;
            rest = r.trim_start();
        } else {
            return None;
        }
    }
    let (close, style) = if rest.starts_with('<') {
        ('>', IncludeStyle::Angle)
    } else if rest.starts_with('"') {
        ('"', IncludeStyle::Quoted)
    } else {
        return None;
    };
    let inner = rest.get(1..)?;
    let end = inner.find(close)?;
    let name = inner.get(..end)?;
    let written = rest.get(..end + 2)?;
    // Anything after the include other than a comment means this is not an include line
    // we understand; leave such lines alone rather than guess.
    let tail = inner.get(end + 1..)?.trim();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    Some(IncludeLine {
        name: name.trim(),
        style,
        if_exists,
        written,
    })
}

/// An include line of a text, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeRef {
    /// The name inside `<>` or quotes.
    pub name: String,
    /// Angle brackets or quotes.
    pub style: IncludeStyle,
    /// `include if exists`.
    pub if_exists: bool,
    /// 1-based line.
    pub line: u32,
}

/// Every include line of a text, in order (the same recognition [`self_contained`] uses).
pub fn includes(text: &str) -> Vec<IncludeRef> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            parse_include(l).map(|inc| IncludeRef {
                name: inc.name.to_owned(),
                style: inc.style,
                if_exists: inc.if_exists,
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// apparmor_parser skips these entries when it includes a directory: hidden files, editor
/// backups and package-manager leftovers.
fn skipped_in_directory(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    const SUFFIXES: [&str; 11] = [
        "~",
        ".dpkg-new",
        ".dpkg-old",
        ".dpkg-dist",
        ".dpkg-bak",
        ".dpkg-remove",
        ".pacsave",
        ".pacnew",
        ".rpmnew",
        ".rpmsave",
        ".orig",
    ];
    base.is_empty()
        || base.starts_with('.')
        || base == "README"
        || base.ends_with(".rej")
        || SUFFIXES.iter().any(|s| base.ends_with(s))
}

/// Returns the profile text in a form that loads on any host.
///
/// Without `inline`, the text is returned as written: includes stay includes and are
/// resolved by the target host's `/etc/apparmor.d`. With `inline`, every include line is
/// replaced by the included text (directories: each file in order, with apparmor_parser's
/// skip rules), recursively, each marked with a `##included <name>` comment like
/// `apparmor_parser -p` prints; `include if exists` of something absent expands to nothing.
/// `abi <...>,` rules stay as they are: they name the feature ABI files that ship with
/// `apparmor_parser` itself, not part of the profile.
pub fn self_contained(
    name: &str,
    text: &str,
    provider: &dyn SourceProvider,
    inline: bool,
) -> Result<String, InlineError> {
    if !inline {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut stack = vec![name.to_owned()];
    expand(name, text, provider, &mut stack, &mut out)?;
    Ok(out)
}

fn expand(
    file: &str,
    text: &str,
    provider: &dyn SourceProvider,
    stack: &mut Vec<String>,
    out: &mut String,
) -> Result<(), InlineError> {
    for (idx, line) in text.split_inclusive('\n').enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let Some(inc) = parse_include(line) else {
            out.push_str(line);
            continue;
        };
        let too_large = || InlineError::TooLarge {
            file: file.to_owned(),
            line: line_no,
        };
        if stack.len() > MAX_DEPTH || out.len() > MAX_OUTPUT {
            return Err(too_large());
        }
        let files = match provider.resolve(inc.name, inc.style) {
            None if inc.if_exists => {
                out.push_str(&format!("##skipped absent {}\n", inc.written));
                continue;
            }
            None => {
                return Err(InlineError::MissingInclude {
                    file: file.to_owned(),
                    line: line_no,
                    name: inc.written.to_owned(),
                })
            }
            Some(Resolved::File(path)) => vec![path],
            Some(Resolved::Directory(dir)) => provider
                .list_dir(&dir)
                .map_err(|source| InlineError::Unreadable {
                    file: file.to_owned(),
                    line: line_no,
                    source,
                })?
                .into_iter()
                .filter(|p| !skipped_in_directory(p))
                .collect(),
        };
        out.push_str(&format!("##included {}\n", inc.written));
        for path in files {
            if stack.contains(&path) {
                return Err(InlineError::Cycle {
                    file: file.to_owned(),
                    line: line_no,
                    name: inc.written.to_owned(),
                });
            }
            let body = provider
                .read(&path)
                .map_err(|source| InlineError::Unreadable {
                    file: file.to_owned(),
                    line: line_no,
                    source,
                })?;
            stack.push(path.clone());
            expand(&path, &body, provider, stack, out)?;
            stack.pop();
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        out.push_str(&format!("##end of {}\n", inc.written));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemoryProvider;

    fn provider() -> MemoryProvider {
        let mut p = MemoryProvider::new(["/etc/apparmor.d"]);
        p.insert("/etc/apparmor.d/tunables/global", "@{PROC}=/proc/\n");
        p.insert(
            "/etc/apparmor.d/abstractions/base",
            "  #include <abstractions/inner>\n  /etc/ld.so.cache r,\n",
        );
        p.insert("/etc/apparmor.d/abstractions/inner", "  /lib/** mr,");
        p.insert("/etc/apparmor.d/local/d/a", "  /a r,\n");
        p.insert("/etc/apparmor.d/local/d/a~", "  /backup r,\n");
        p.insert("/etc/apparmor.d/local/d/.hidden", "  /hidden r,\n");
        p.insert("/etc/apparmor.d/loop", "include <loop>\n");
        p
    }

    #[test]
    fn includes_are_kept_unless_inlined() {
        let text = "#include <tunables/global>\nprofile p {}\n";
        assert_eq!(self_contained("p", text, &provider(), false).unwrap(), text);
    }

    #[test]
    fn inlining_expands_recursively_and_skips_backups() {
        let text = "#include <tunables/global>\nprofile p {\n  include <abstractions/base>\n  include <local/d>\n  include if exists <local/none>\n}\n";
        let out = self_contained("p", text, &provider(), true).unwrap();
        assert!(out.contains("@{PROC}=/proc/\n"), "{out}");
        assert!(
            out.contains("  /lib/** mr,\n##end of <abstractions/inner>\n  /etc/ld.so.cache r,"),
            "{out}"
        );
        assert!(out.contains("  /a r,"));
        assert!(!out.contains("/backup"));
        assert!(!out.contains("/hidden"));
        assert!(!out.lines().any(|l| parse_include(l).is_some()), "{out}");
    }

    #[test]
    fn include_lines_are_listed_with_style_and_line() {
        let refs = includes("#include <a>\n# include <b>\n  include if exists \"rel/c\"\n");
        assert_eq!(
            refs,
            vec![
                IncludeRef {
                    name: "a".into(),
                    style: IncludeStyle::Angle,
                    if_exists: false,
                    line: 1
                },
                IncludeRef {
                    name: "rel/c".into(),
                    style: IncludeStyle::Quoted,
                    if_exists: true,
                    line: 3
                },
            ]
        );
    }

    #[test]
    fn comments_and_lookalikes_are_not_includes() {
        assert!(parse_include("# include <x>").is_none());
        assert!(parse_include("  includes_dir r,").is_none());
        assert!(parse_include("include <x> # why").is_some());
        assert!(parse_include("include if exists \"/x\"").is_some_and(|i| i.if_exists));
    }

    #[test]
    fn missing_includes_and_cycles_are_errors_with_lines() {
        let err = self_contained("main", "\n include <nope>\n", &provider(), true).unwrap_err();
        assert_eq!(
            err,
            InlineError::MissingInclude {
                file: "main".into(),
                line: 2,
                name: "<nope>".into()
            }
        );
        let err = self_contained("main", "include <loop>\n", &provider(), true).unwrap_err();
        assert!(matches!(err, InlineError::Cycle { .. }), "{err:?}");
    }
}
