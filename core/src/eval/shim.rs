//! A stand-in for `crate::glob` with the same signatures, used until the real glob
//! compiler lands on main. It translates an AppArmor glob into a regular expression the
//! way `apparmor_parser` does for the common cases (`*` and `**` right after a `/` must
//! match at least one character, `?` never matches `/`, `{a,b}` alternation, `[...]`
//! classes) and runs every pattern of a set at once in a lazy DFA.

use regex_automata::{
    hybrid::dfa::{Cache, DFA},
    nfa::thompson,
    util::syntax,
    Anchored, Input, MatchKind, PatternID, PatternSet,
};
use std::sync::Mutex;

/// Why a glob could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GlobError {
    /// What is wrong, lowercase.
    pub message: String,
    /// Byte offset inside the pattern.
    pub offset: usize,
}

/// One parsed AppArmor glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    regex: String,
    literal: bool,
}

impl Glob {
    /// Whether the glob has no special characters (an "exact match" for exec dominance).
    pub fn is_literal(&self) -> bool {
        self.literal
    }
}

/// Parses an AppArmor glob.
pub fn parse(pattern: &str) -> Result<Glob, GlobError> {
    let bytes = pattern.as_bytes();
    let mut out = String::from("^(?:");
    let mut depth = 0usize;
    let mut literal = true;
    let mut i = 0usize;
    let mut prev: Option<u8> = None;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => {
                let Some(&next) = bytes.get(i + 1) else {
                    return Err(GlobError {
                        message: "trailing `\\` escapes nothing".into(),
                        offset: i,
                    });
                };
                push_literal(&mut out, next);
                prev = Some(next);
                i += 2;
                continue;
            }
            b'*' => {
                literal = false;
                let double = bytes.get(i + 1) == Some(&b'*');
                let after_slash = prev == Some(b'/');
                out.push_str(match (double, after_slash) {
                    (true, true) => "[^/\\x00][^\\x00]*",
                    (true, false) => "[^\\x00]*",
                    (false, true) => "[^/\\x00][^/\\x00]*",
                    (false, false) => "[^/\\x00]*",
                });
                i += if double { 2 } else { 1 };
                prev = Some(b'*');
                continue;
            }
            b'?' => {
                literal = false;
                out.push_str("[^/\\x00]");
            }
            b'{' => {
                literal = false;
                depth += 1;
                out.push_str("(?:");
            }
            b',' if depth > 0 => out.push('|'),
            b'}' if depth > 0 => {
                depth -= 1;
                out.push(')');
            }
            b'[' => {
                literal = false;
                let start = i;
                i += 1;
                out.push('[');
                if bytes.get(i) == Some(&b'^') {
                    out.push('^');
                    i += 1;
                }
                let mut first = true;
                loop {
                    let Some(&c) = bytes.get(i) else {
                        return Err(GlobError {
                            message: "unclosed `[` character class".into(),
                            offset: start,
                        });
                    };
                    if c == b']' && !first {
                        break;
                    }
                    first = false;
                    if c == b'\\' {
                        if let Some(&n) = bytes.get(i + 1) {
                            push_class_byte(&mut out, n);
                            i += 2;
                            continue;
                        }
                    }
                    if c == b'-' {
                        out.push('-');
                    } else {
                        push_class_byte(&mut out, c);
                    }
                    i += 1;
                }
                out.push(']');
            }
            _ => push_literal(&mut out, b),
        }
        prev = Some(b);
        i += 1;
    }
    if depth > 0 {
        return Err(GlobError {
            message: "unclosed `{` alternation".into(),
            offset: pattern.rfind('{').unwrap_or(0),
        });
    }
    out.push_str(")$");
    Ok(Glob {
        regex: out,
        literal,
    })
}

fn push_literal(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() || b == b'/' || b == b'_' || b == b' ' {
        out.push(char::from(b));
    } else {
        out.push_str(&format!("\\x{b:02x}"));
    }
}

fn push_class_byte(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() {
        out.push(char::from(b));
    } else {
        out.push_str(&format!("\\x{b:02x}"));
    }
}

/// A set of globs matched together.
#[derive(Debug)]
pub struct GlobSet {
    dfa: Option<DFA>,
    len: usize,
    caches: Mutex<Vec<Cache>>,
}

impl GlobSet {
    /// Compiles a set of globs.
    pub fn new(globs: &[Glob]) -> Result<GlobSet, GlobError> {
        if globs.is_empty() {
            return Ok(GlobSet {
                dfa: None,
                len: 0,
                caches: Mutex::new(Vec::new()),
            });
        }
        let patterns: Vec<&str> = globs.iter().map(|g| g.regex.as_str()).collect();
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .starts_for_each_pattern(true)
                    .cache_capacity(8 * 1024 * 1024),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().utf8(false))
            .build_many(&patterns)
            .map_err(|e| GlobError {
                message: format!("cannot compile the glob set: {e}"),
                offset: 0,
            })?;
        Ok(GlobSet {
            dfa: Some(dfa),
            len: globs.len(),
            caches: Mutex::new(Vec::new()),
        })
    }

    fn with_cache<R>(&self, dfa: &DFA, f: impl FnOnce(&mut Cache) -> R) -> R {
        let cached = self.caches.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut cache = cached.unwrap_or_else(|| dfa.create_cache());
        let r = f(&mut cache);
        self.caches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(cache);
        r
    }

    /// Appends the index of every glob matching `path`, ascending.
    pub fn matches_into(&self, path: &str, out: &mut Vec<usize>) {
        let Some(dfa) = &self.dfa else { return };
        let mut set = PatternSet::new(self.len);
        let input = Input::new(path).anchored(Anchored::Yes);
        self.with_cache(dfa, |cache| {
            // The lazy DFA never gives up without a clear-count limit, so an error here
            // would mean no match rather than a failure worth reporting.
            let _ = dfa.try_which_overlapping_matches(cache, &input, &mut set);
        });
        out.extend(set.iter().map(|p| p.as_usize()));
    }

    /// Whether glob `index` matches `path`.
    pub fn is_match(&self, index: usize, path: &str) -> bool {
        let Some(dfa) = &self.dfa else { return false };
        let Ok(pid) = PatternID::new(index) else {
            return false;
        };
        if index >= self.len {
            return false;
        }
        let input = Input::new(path).anchored(Anchored::Pattern(pid));
        self.with_cache(dfa, |cache| {
            matches!(dfa.try_search_fwd(cache, &input), Ok(Some(_)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(glob: &str, path: &str) -> bool {
        let set = GlobSet::new(&[parse(glob).unwrap()]).unwrap();
        set.is_match(0, path)
    }

    #[test]
    fn star_after_slash_needs_a_character() {
        assert!(m("/proc/*", "/proc/uptime"));
        assert!(!m("/proc/*", "/proc/"));
        assert!(!m("/proc/*", "/proc/sys/kernel"));
        assert!(m("/a/**", "/a/b/c"));
        assert!(!m("/a/**", "/a/"));
        assert!(m("/{**,}", "/"));
        assert!(m("/x/{a,*}/b", "/x/zz/b"));
        assert!(m("/z/[^a]b", "/z/cb"));
        assert!(!m("/z/[^a]b", "/z/ab"));
        assert!(m("/q/a{,b}c", "/q/ac"));
        assert!(m("/q/a{,b}c", "/q/abc"));
        assert!(!m("/s/?", "/s//"));
    }
}
