//! Stage one of compiling a glob, as `apparmor_parser` does it: collapse repeated slashes,
//! then rewrite the AppArmor glob into the regular-expression text that the parser's
//! `convert_aaregex_to_pcre` produces. That text is what `-D rule-exprs` prints, and it is
//! what `apparmor_parser` parses again (see `regex.rs`), so every quirk of the rewriting
//! (`*` expanded inside `[...]`, `^` and `$` quoted, `\,` kept inside classes) is kept.

use super::error::GlobError;
use crate::source::Span;

/// `apparmor_parser` refuses a `{` that would make the nesting this deep.
pub(crate) const MAX_ALT_DEPTH: usize = 50;

/// The expansion of `*` (any run of bytes except `/` and NUL).
const STAR: &[u8] = b"[^/\\x00]*";
/// The expansion of `**` (any run of bytes except NUL).
const DOUBLE_STAR: &[u8] = b"[^\\x00]*";
/// The expansion of `?`, and the extra byte `*`/`**` must match after a `/`.
const ONE: &[u8] = b"[^/\\x00]";

/// A pattern with slashes collapsed, and for each byte where it came from.
pub(crate) struct Filtered {
    /// The bytes after collapsing.
    pub bytes: Vec<u8>,
    /// `origin[i]` is the offset in the original pattern of `bytes[i]`.
    pub origin: Vec<usize>,
}

/// Collapses runs of `/` into one, except that a leading `//` followed by something other
/// than `/` is kept (Linux reserves it), as `filter_slashes` in `apparmor_parser` does.
/// Trailing slashes are kept.
pub(crate) fn filter_slashes(pattern: &[u8]) -> Filtered {
    let mut bytes = Vec::with_capacity(pattern.len());
    let mut origin = Vec::with_capacity(pattern.len());
    if pattern.len() < 2 {
        bytes.extend_from_slice(pattern);
        origin.extend(0..pattern.len());
        return Filtered { bytes, origin };
    }
    let mut start = 0;
    if pattern.starts_with(b"//") && pattern.get(2) != Some(&b'/') {
        bytes.extend_from_slice(b"//");
        origin.extend([0, 1]);
        start = 2;
    }
    let mut after_slash = false;
    for (i, &b) in pattern.iter().enumerate().skip(start) {
        if b == b'/' {
            if after_slash {
                continue;
            }
            after_slash = true;
        } else {
            after_slash = false;
        }
        bytes.push(b);
        origin.push(i);
    }
    Filtered { bytes, origin }
}

/// Reads up to `max_digits` digits in `base` from `text`, stopping before the value would
/// exceed 255. Returns the value and how many bytes were read.
fn read_number(text: &[u8], base: u32, max_digits: usize) -> (u8, usize) {
    let mut value: u32 = 0;
    let mut used = 0;
    for &b in text.iter().take(max_digits) {
        let Some(digit) = char::from(b).to_digit(base) else {
            break;
        };
        let next = value * base + digit;
        if next > 255 {
            break;
        }
        value = next;
        used += 1;
    }
    (u8::try_from(value).unwrap_or(u8::MAX), used)
}

/// Decodes the escape sequence that follows a backslash, as `apparmor_parser`'s
/// `str_escseq` does: octal `\NNN`, decimal `\dNNN`, hex `\xHH`, `\\`, `\"`, and the
/// C escapes `\a \e \f \n \r \t`; any byte in `extra` stands for itself. Returns the byte
/// and the length of the sequence after the backslash, or `None` when it is not an escape.
pub(crate) fn escape_sequence(text: &[u8], extra: &[u8]) -> Option<(u8, usize)> {
    let first = *text.first()?;
    if (b'0'..=b'7').contains(&first) {
        let (value, used) = read_number(text, 8, 3);
        return Some((value, used));
    }
    let simple = match first {
        b'\\' => Some(b'\\'),
        b'"' => Some(b'"'),
        b'a' => Some(0x07),
        b'e' => Some(0x1b),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        _ => None,
    };
    if let Some(value) = simple {
        return Some((value, 1));
    }
    let (base, max_digits) = match first {
        b'd' => (10, 3),
        b'x' => (16, 2),
        _ => {
            return extra.contains(&first).then_some((first, 1));
        }
    };
    let (value, used) = read_number(text.get(1..).unwrap_or(&[]), base, max_digits);
    (used > 0).then_some((value, 1 + used))
}

/// What `apparmor_parser` calls the pattern type of a glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// No glob operators: the glob is a plain string.
    Basic,
    /// A plain string followed by a final `**`.
    TailGlob,
    /// Anything else.
    Regex,
}

/// The regular-expression text of a glob, and for each of its bytes the span of the glob
/// text (in original-pattern offsets) that produced it.
pub(crate) struct Converted {
    /// The text `apparmor_parser` prints after `->` for `-D rule-exprs`.
    pub pcre: Vec<u8>,
    /// One span per byte of `pcre`.
    pub origin: Vec<Span>,
    /// The pattern type.
    pub kind: PatternKind,
}

struct Writer<'a> {
    pcre: Vec<u8>,
    origin: Vec<Span>,
    /// Maps filtered offsets back to the original pattern.
    map: &'a [usize],
    original_len: usize,
}

impl Writer<'_> {
    /// The original-pattern span of filtered bytes `start..end`.
    fn span(&self, start: usize, end: usize) -> Span {
        let from = self.map.get(start).copied().unwrap_or(self.original_len);
        let to = match end.checked_sub(1).and_then(|last| self.map.get(last)) {
            Some(&last) if end > start => last + 1,
            _ => from,
        };
        Span::new(from, to)
    }

    fn push(&mut self, text: &[u8], span: Span) {
        self.pcre.extend_from_slice(text);
        self.origin.extend(std::iter::repeat_n(span, text.len()));
    }
}

/// Rewrites a (slash-filtered) glob into `apparmor_parser`'s regular-expression text.
pub(crate) fn convert(filtered: &Filtered, original_len: usize) -> Result<Converted, GlobError> {
    let g = filtered.bytes.as_slice();
    let mut w = Writer {
        pcre: Vec::with_capacity(g.len() * 2),
        origin: Vec::with_capacity(g.len() * 2),
        map: &filtered.origin,
        original_len,
    };
    // The position of the pending backslash, when the previous byte was an unescaped `\`.
    let mut escape: Option<usize> = None;
    let mut in_class = false;
    let mut class_open = 0;
    // For each open `{`, its position and how many `,` it has seen at its own level.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut kind = PatternKind::Basic;
    let mut i = 0;
    while let Some(&c) = g.get(i) {
        let escaped = escape.is_some();
        let start = escape.unwrap_or(i);
        let here = w.span(start, i + 1);
        match c {
            b'\\' => {
                if escaped {
                    w.push(b"\\\\", here);
                } else {
                    escape = Some(i);
                    i += 1;
                    continue;
                }
            }
            b'*' => {
                if escaped {
                    w.push(b"\\*", here);
                } else {
                    let double = g.get(i + 1) == Some(&b'*');
                    let end = if double { i + 2 } else { i + 1 };
                    let span = w.span(i, end);
                    // After a `/`, a `*` or `**` that ends the pattern or a path component
                    // must match at least one byte, so `/dir/*` does not match `/dir/`.
                    if w.pcre.last() == Some(&b'/') {
                        let after = g.get(i..).unwrap_or(&[]);
                        let next = after.iter().find(|&&b| b != b'*');
                        if matches!(next, None | Some(b'/')) {
                            w.push(ONE, span);
                        }
                    }
                    let tail = double && i + 2 == g.len() && kind == PatternKind::Basic;
                    let new_kind = if tail {
                        PatternKind::TailGlob
                    } else {
                        PatternKind::Regex
                    };
                    kind = new_kind;
                    if double {
                        w.push(DOUBLE_STAR, span);
                        i += 1;
                    } else {
                        w.push(STAR, span);
                    }
                }
            }
            b'?' => {
                if escaped {
                    w.push(b"?", here);
                } else {
                    kind = PatternKind::Regex;
                    w.push(ONE, here);
                }
            }
            b'[' => {
                if escaped {
                    w.push(b"\\[", here);
                } else {
                    kind = PatternKind::Regex;
                    in_class = true;
                    class_open = i;
                    w.push(b"[", here);
                }
            }
            b']' => {
                if escaped {
                    w.push(b"\\]", here);
                } else {
                    if !in_class {
                        return Err(GlobError::UnmatchedCloseBracket { span: here });
                    }
                    in_class = false;
                    w.push(b"]", here);
                }
            }
            b'{' => {
                if escaped {
                    w.push(b"\\{", here);
                } else if in_class {
                    w.push(b"{", here);
                } else {
                    if groups.len() + 1 >= MAX_ALT_DEPTH {
                        return Err(GlobError::TooDeep {
                            limit: MAX_ALT_DEPTH - 1,
                            span: here,
                        });
                    }
                    kind = PatternKind::Regex;
                    groups.push((i, 0));
                    w.push(b"(", here);
                }
            }
            b'}' => {
                if escaped {
                    w.push(b"\\}", here);
                } else if in_class {
                    w.push(b"}", here);
                } else {
                    let Some((open, items)) = groups.pop() else {
                        return Err(GlobError::UnmatchedCloseBrace { span: here });
                    };
                    if items == 0 {
                        let span = w.span(open, i + 1);
                        let text = g.get(open..=i).unwrap_or(&[]);
                        return Err(GlobError::SingleItemAlternation {
                            text: String::from_utf8_lossy(text).into_owned(),
                            span,
                        });
                    }
                    w.push(b")", here);
                }
            }
            b',' => {
                if escaped {
                    // Inside a class the backslash is kept, so the class also matches `\`.
                    if in_class {
                        w.push(b"\\,", here);
                    } else {
                        w.push(b",", here);
                    }
                } else if let (Some(group), false) = (groups.last_mut(), in_class) {
                    group.1 += 1;
                    w.push(b"|", here);
                } else {
                    w.push(b",", here);
                }
            }
            b'^' | b'$' => {
                if in_class {
                    w.push(&[c], here);
                } else {
                    w.push(&[b'\\', c], here);
                }
            }
            // Regular-expression operators that globs do not have are always quoted.
            b'.' | b'+' | b'|' | b'(' | b')' => w.push(&[b'\\', c], here),
            _ => {
                let rest = g.get(i..).unwrap_or(&[]);
                match (escaped, escape_sequence(rest, b"")) {
                    (true, Some((_, len))) => {
                        let span = w.span(start, i + len);
                        w.push(b"\\", span);
                        w.push(rest.get(..len).unwrap_or(&[]), span);
                        i += len - 1;
                    }
                    // An unneeded backslash is dropped (apparmor_parser warns about it).
                    _ => w.push(&[c], here),
                }
            }
        }
        escape = None;
        i += 1;
    }
    if let Some(&(open, _)) = groups.last() {
        return Err(GlobError::UnclosedBrace {
            span: w.span(open, open + 1),
        });
    }
    if in_class {
        return Err(GlobError::UnclosedBracket {
            span: w.span(class_open, class_open + 1),
        });
    }
    if let Some(pos) = escape {
        return Err(GlobError::TrailingBackslash {
            span: w.span(pos, pos + 1),
        });
    }
    Ok(Converted {
        pcre: w.pcre,
        origin: w.origin,
        kind,
    })
}
