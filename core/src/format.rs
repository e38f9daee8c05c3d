//! Canonical formatting (being written).

use crate::diagnostics::Diagnostic;

/// Canonical formatting of one file's text (includes kept as includes, comments kept).
/// Errors when the text has syntax errors (return them).
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let tree = crate::syntax::parse(text, crate::source::FileId(0));
    if !tree.diagnostics.is_empty() {
        return Err(tree.diagnostics);
    }
    Ok(text.to_owned())
}
