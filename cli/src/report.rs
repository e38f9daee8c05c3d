//! Terminal output: colours (only on a terminal), diagnostics with source snippets, and
//! the error type that decides the exit code.

use armorlab_core::source::SourceMap;
use armorlab_core::{Diagnostic, Severity};
use std::io::{IsTerminal, Write};

/// `eprintln!` that ignores a closed or broken stderr instead of panicking.
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

/// `eprint!` that ignores a closed or broken stderr instead of panicking.
macro_rules! errprint {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($t)*);
    }};
}

pub(crate) use {errln, errprint};

/// Exit status: everything fine.
pub const EXIT_OK: u8 = 0;
/// Exit status: the check found problems (invalid profile, failed expectation, lossy
/// export, rejected load).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit status: usage error, I/O error, or the host cannot do what was asked.
pub const EXIT_ERROR: u8 = 2;

/// A failure that ends the command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Problems were found and already reported (exit 1).
    #[error("{0}")]
    Problems(String),
    /// Usage, I/O or environment error (exit 2), with optional advice.
    #[error("{message}")]
    Fatal {
        /// What went wrong.
        message: String,
        /// How to fix it.
        help: Option<String>,
    },
    /// Writing to stdout failed (a closed pipe is not an error).
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl CliError {
    /// An exit-2 error.
    pub fn fatal(message: impl Into<String>) -> CliError {
        CliError::Fatal {
            message: message.into(),
            help: None,
        }
    }

    /// An exit-2 error with advice.
    pub fn fatal_help(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::Fatal {
            message: message.into(),
            help: Some(help.into()),
        }
    }
}

/// Whether to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Colour codes for one stream (empty strings when colour is off).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// The style for stderr.
    pub fn stderr(choice: ColorChoice) -> Style {
        Style::decide(choice, std::io::stderr().is_terminal())
    }

    /// The style for stdout.
    pub fn stdout(choice: ColorChoice) -> Style {
        Style::decide(choice, std::io::stdout().is_terminal())
    }

    fn decide(choice: ColorChoice, tty: bool) -> Style {
        let on = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        };
        Style { on }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Bold red.
    pub fn red(&self, t: &str) -> String {
        self.paint("1;31", t)
    }
    /// Bold yellow.
    pub fn yellow(&self, t: &str) -> String {
        self.paint("1;33", t)
    }
    /// Bold green.
    pub fn green(&self, t: &str) -> String {
        self.paint("1;32", t)
    }
    /// Bold blue.
    pub fn blue(&self, t: &str) -> String {
        self.paint("1;34", t)
    }
    /// Bold.
    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    /// Dim.
    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
}

/// Prints an error line (and advice) to stderr.
pub fn print_error(style: Style, message: &str, help: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}: {}", style.red("error"), clip_message(message));
    if let Some(h) = help {
        let _ = writeln!(err, "  {} {h}", style.blue("= help:"));
    }
}

/// Prints a warning line to stderr.
pub fn print_warning(style: Style, message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "{}: {message}",
        style.yellow("warning")
    );
}

/// Renders a source snippet: `--> file:line:col`, the line, and a caret underline.
pub fn snippet(
    style: Style,
    sources: &SourceMap,
    file: armorlab_core::FileId,
    span: armorlab_core::Span,
) -> String {
    let Some(f) = sources.get(file) else {
        return String::new();
    };
    let (line, col) = f.line_col(span.start);
    snippet_at(
        style,
        &f.name,
        f.line_text(line),
        line,
        col,
        span_width(f, span, line),
    )
}

fn span_width(
    f: &armorlab_core::source::SourceFile,
    span: armorlab_core::Span,
    line: u32,
) -> usize {
    let (end_line, _) = f.line_col(span.end);
    let text = f.slice(span);
    if end_line != line {
        // A span over several lines is underlined to the end of its first line.
        return text.lines().next().map_or(1, |l| l.chars().count()).max(1);
    }
    text.chars().count().max(1)
}

/// Lines longer than this are shown as a window of this many characters.
const MAX_SNIPPET_CHARS: usize = 160;

/// How many characters before the column such a window keeps.
const SNIPPET_CONTEXT: usize = 40;

/// Messages longer than this are cut (they quote user input, which may be huge).
const MAX_MESSAGE_CHARS: usize = 400;

/// Cuts a message that quotes a huge piece of input to a readable length.
pub fn clip_message(message: &str) -> std::borrow::Cow<'_, str> {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return std::borrow::Cow::Borrowed(message);
    }
    let kept: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    std::borrow::Cow::Owned(format!("{kept}… (message cut)"))
}

/// Renders a snippet for a known line and column.
pub fn snippet_at(
    style: Style,
    name: &str,
    text: &str,
    line: u32,
    col: u32,
    width: usize,
) -> String {
    let num = line.to_string();
    let pad = " ".repeat(num.len());
    // Tabs are shown as single spaces so the caret stays under the right character.
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    // A very long line (a generated path, a minified file) is shown as a window around
    // the column, so one diagnostic cannot flood the terminal.
    let at = (col as usize).saturating_sub(1);
    let (start, end) = if chars.len() > MAX_SNIPPET_CHARS {
        let start = at.saturating_sub(SNIPPET_CONTEXT).min(chars.len());
        (start, (start + MAX_SNIPPET_CHARS).min(chars.len()))
    } else {
        (0, chars.len())
    };
    let before = if start > 0 { "…" } else { "" };
    let after = if end < chars.len() { "…" } else { "" };
    let shown: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
    let shown = format!("{before}{shown}{after}");
    let lead = " ".repeat(at - start + before.chars().count());
    let width = if chars.len() > MAX_SNIPPET_CHARS {
        width.min(end.saturating_sub(at)).max(1)
    } else {
        width
    };
    format!(
        "{pad}{} {name}:{line}:{col}\n{pad} {}\n{} {} {shown}\n{pad} {} {lead}{}\n",
        style.blue("-->"),
        style.blue("|"),
        style.blue(&num),
        style.blue("|"),
        style.blue("|"),
        style.red(&"^".repeat(width)),
    )
}

/// Prints one diagnostic with its snippet to stderr.
pub fn print_diagnostic(style: Style, sources: &SourceMap, d: &Diagnostic) {
    let head = match d.severity {
        Severity::Error => style.red(&format!("error[{}]", d.code)),
        Severity::Warning => style.yellow(&format!("warning[{}]", d.code)),
        Severity::Note => style.bold(&format!("note[{}]", d.code)),
    };
    let mut out = format!("{head}: {}\n", style.bold(&clip_message(&d.message)));
    out.push_str(&snippet(style, sources, d.location.file, d.location.span));
    for inc in d.included_from.iter().rev() {
        if let Some(f) = sources.get(inc.file) {
            let (l, c) = f.line_col(inc.span.start);
            out.push_str(&format!(
                "  {} included from {}:{l}:{c}\n",
                style.blue("= note:"),
                f.name
            ));
        }
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("  {} {h}\n", style.blue("= help:")));
    }
    let _ = writeln!(std::io::stderr().lock(), "{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_as_a_window_with_the_caret_in_place() {
        let line = format!("  /{} r,", "a".repeat(10_000));
        let s = snippet_at(Style { on: false }, "f", &line, 2, 10_004, 2);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.first(), Some(&" --> f:2:10004"));
        let text = lines.get(2).copied().unwrap_or("");
        let caret = lines.get(3).copied().unwrap_or("");
        assert!(text.chars().count() < 200, "{text}");
        assert!(text.starts_with("2 | …"), "{text}");
        assert!(text.ends_with(" r,"), "{text}");
        // The caret is under the ` ` before `r,`, i.e. column 10004 of the original line.
        let caret_col = caret.find('^').unwrap_or(0);
        assert_eq!(text.chars().nth(caret_col), Some(' '), "{text}\n{caret}");
        assert_eq!(
            text.chars().nth(caret_col + 1),
            Some('r'),
            "{text}\n{caret}"
        );
    }

    #[test]
    fn huge_messages_are_cut() {
        let m = format!("cannot compile `{}`", "a".repeat(100_000));
        let c = clip_message(&m);
        assert!(c.chars().count() < 500);
        assert!(c.ends_with("(message cut)"));
        assert_eq!(clip_message("short"), "short");
    }

    #[test]
    fn snippet_puts_the_caret_under_the_column() {
        let s = snippet_at(Style { on: false }, "f", "  /x rw,", 12, 3, 2);
        assert_eq!(s, "  --> f:12:3\n   |\n12 |   /x rw,\n   |   ^^\n");
    }
}
