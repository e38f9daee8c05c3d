//! Tab and Shift+Tab over a selection of lines, as code editors do: indent or outdent every
//! line the selection touches instead of replacing the selected text with spaces.

/// The indentation one Tab adds.
pub const INDENT: &str = "  ";

/// An edit to the text: replace `start..end` (bytes) with `text`, then select
/// `select_start..select_end` (bytes, in the new text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEdit {
    /// Start of the replaced range.
    pub start: usize,
    /// End of the replaced range.
    pub end: usize,
    /// The replacement.
    pub text: String,
    /// Selection start afterwards.
    pub select_start: usize,
    /// Selection end afterwards.
    pub select_end: usize,
}

/// The edit that indents (or, with `outdent`, outdents) the lines of the selection
/// `sel_start..sel_end` (bytes). `None` when Tab should just insert spaces at the caret: no
/// selection, or one within a single line, when indenting.
pub fn block_indent(
    text: &str,
    sel_start: usize,
    sel_end: usize,
    outdent: bool,
) -> Option<BlockEdit> {
    let (a, b) = (sel_start.min(sel_end), sel_start.max(sel_end));
    let a = a.min(text.len());
    let b = b.min(text.len());
    let selected = text.get(a..b)?;
    if !outdent && !selected.contains('\n') {
        return None;
    }
    let start = text.get(..a)?.rfind('\n').map(|i| i + 1).unwrap_or(0);
    // A selection that ends at the very start of a line (after a newline) does not take that
    // line along, as in other editors.
    let last_end = if b > a && text.get(..b)?.ends_with('\n') {
        b - 1
    } else {
        b
    };
    let end = text
        .get(last_end..)?
        .find('\n')
        .map(|i| last_end + i)
        .unwrap_or(text.len());
    let block = text.get(start..end)?;
    let mut out = String::with_capacity(block.len() + 16);
    for (i, line) in block.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if outdent {
            let strip = if line.starts_with('\t') {
                1
            } else {
                line.bytes()
                    .take(INDENT.len())
                    .take_while(|c| *c == b' ')
                    .count()
            };
            out.push_str(line.get(strip..).unwrap_or(line));
        } else if line.is_empty() {
            // Empty lines stay empty (no trailing spaces).
        } else {
            out.push_str(INDENT);
            out.push_str(line);
        }
    }
    if out == block {
        return None;
    }
    Some(BlockEdit {
        start,
        end,
        select_start: start,
        select_end: start + out.len(),
        text: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, e: &BlockEdit) -> String {
        format!("{}{}{}", &text[..e.start], e.text, &text[e.end..])
    }

    #[test]
    fn tab_over_lines_indents_each_line() {
        let text = "a {\nfile,\n\ncapability,\n}\n";
        let s = text.find("file").unwrap() + 2;
        let e = text.find("capability").unwrap() + 3;
        let edit = block_indent(text, s, e, false).unwrap();
        assert_eq!(apply(text, &edit), "a {\n  file,\n\n  capability,\n}\n");
        // The whole block stays selected, so Tab can be pressed again.
        let new = apply(text, &edit);
        assert_eq!(
            &new[edit.select_start..edit.select_end],
            "  file,\n\n  capability,"
        );
    }

    #[test]
    fn tab_within_one_line_is_left_to_plain_insertion() {
        assert_eq!(block_indent("abc\ndef", 1, 2, false), None);
        assert_eq!(block_indent("abc\ndef", 1, 1, false), None);
    }

    #[test]
    fn shift_tab_outdents_and_stops_at_the_margin() {
        let text = "  a,\n    b,\nc,\n\td,\n";
        let edit = block_indent(text, 0, text.len(), true).unwrap();
        assert_eq!(apply(text, &edit), "a,\n  b,\nc,\nd,\n");
        // Nothing left to outdent: no edit.
        assert_eq!(block_indent("a,\nb,", 0, 4, true), None);
        // Shift+Tab with a bare caret outdents its line.
        let edit = block_indent("x\n  y\n", 4, 4, true).unwrap();
        assert_eq!(apply("x\n  y\n", &edit), "x\ny\n");
    }

    #[test]
    fn a_selection_ending_at_a_line_start_leaves_that_line_alone() {
        let text = "a,\nb,\nc,\n";
        let edit = block_indent(text, 0, 6, false).unwrap();
        assert_eq!(apply(text, &edit), "  a,\n  b,\nc,\n");
    }
}
