//! Source text, locations, and the include provider.
//!
//! The core never reads files itself. Everything it parses arrives either as the main text
//! handed to [`crate::analyze`] or through a [`SourceProvider`], which the CLI implements on
//! the file system (like `apparmor_parser -I`) and the web app on a bundled include library.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into one source file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The byte range, for slicing.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Identifies one file in a [`SourceMap`]. The main text is always `FileId(0)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct FileId(pub u32);

/// A location: a span inside a particular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Location {
    /// The file.
    pub file: FileId,
    /// The byte range inside it.
    pub span: Span,
}

/// One loaded source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Display name: the main file's name, or the path an include resolved to.
    pub name: String,
    /// The full text.
    pub text: String,
    /// Byte offsets at which each line starts (line 1 starts at 0).
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Wraps a text under a display name.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let start = line_start as usize;
        let end = (offset as usize).min(self.text.len());
        let column = self
            .text
            .get(start..end)
            .map(|s| s.chars().count())
            .unwrap_or(end.saturating_sub(start));
        (
            u32::try_from(line_idx + 1).unwrap_or(u32::MAX),
            u32::try_from(column + 1).unwrap_or(u32::MAX),
        )
    }

    /// The text of a span, or `""` when it is out of range or not on character boundaries.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// The full text of 1-based line `line`, without its newline.
    pub fn line_text(&self, line: u32) -> &str {
        let idx = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(idx) else {
            return "";
        };
        let end = self
            .line_starts
            .get(idx + 1)
            .map(|&e| e as usize)
            .unwrap_or(self.text.len());
        self.text
            .get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// Every file that took part in an analysis, indexed by [`FileId`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// All files, in id order.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The id of the file with this display name, if loaded.
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(FileId)
    }
}

/// How an include names its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IncludeStyle {
    /// `include <name>`: searched in the provider's search directories.
    Angle,
    /// `include "name"`: an absolute path, or relative to the provider's working directory.
    Quoted,
}

/// What an include resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A regular file: its canonical display path.
    File(String),
    /// A directory: its canonical display path. Its entries come from [`SourceProvider::list_dir`].
    Directory(String),
}

/// Why a provider could not deliver a source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Nothing by that name.
    #[error("`{0}` not found")]
    NotFound(String),
    /// It exists but could not be read (permissions, not UTF-8, too large, ...).
    #[error("cannot read `{path}`: {reason}")]
    Unreadable {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Supplies include files to the resolver.
///
/// The CLI implements this on the file system with search directories (like
/// `apparmor_parser -I`, default `/etc/apparmor.d`); the web app implements it on a bundled,
/// user-editable include library; tests implement it on an in-memory map.
pub trait SourceProvider {
    /// Finds the target of an include as written (`name` without `<>` or quotes).
    /// Returns `None` when nothing matches; the resolver then reports a missing include
    /// (or stays silent for `include if exists`).
    fn resolve(&self, name: &str, style: IncludeStyle) -> Option<Resolved>;

    /// Reads a file previously returned by [`SourceProvider::resolve`] or [`SourceProvider::list_dir`].
    fn read(&self, path: &str) -> Result<String, SourceError>;

    /// Lists a directory's entries as full display paths, sorted, files only, without
    /// recursing. The resolver applies apparmor_parser's skip rules (dot files, backup and
    /// package-manager suffixes) itself.
    fn list_dir(&self, path: &str) -> Result<Vec<String>, SourceError>;
}

/// A provider with no include files at all: every include is missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIncludes;

impl SourceProvider for NoIncludes {
    fn resolve(&self, _name: &str, _style: IncludeStyle) -> Option<Resolved> {
        None
    }
    fn read(&self, path: &str) -> Result<String, SourceError> {
        Err(SourceError::NotFound(path.to_owned()))
    }
    fn list_dir(&self, path: &str) -> Result<Vec<String>, SourceError> {
        Err(SourceError::NotFound(path.to_owned()))
    }
}

/// An in-memory provider: a map from path to text, with search directories for `<...>`
/// includes. Used by tests and by the web app's include library.
#[derive(Debug, Clone, Default)]
pub struct MemoryProvider {
    files: std::collections::BTreeMap<String, String>,
    search_dirs: Vec<String>,
}

impl MemoryProvider {
    /// An empty provider whose `<...>` includes search `search_dirs` in order.
    pub fn new(search_dirs: impl IntoIterator<Item = impl Into<String>>) -> MemoryProvider {
        MemoryProvider {
            files: Default::default(),
            search_dirs: search_dirs.into_iter().map(Into::into).collect(),
        }
    }

    /// Adds or replaces a file at an absolute path (for example `/etc/apparmor.d/tunables/global`).
    pub fn insert(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
    }

    /// Removes a file.
    pub fn remove(&mut self, path: &str) -> Option<String> {
        self.files.remove(path)
    }

    /// All files, by path.
    pub fn files(&self) -> &std::collections::BTreeMap<String, String> {
        &self.files
    }

    fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        self.files.keys().any(|k| k.starts_with(&prefix))
    }

    fn lookup(&self, path: &str) -> Option<Resolved> {
        let path = normalize(path);
        if self.files.contains_key(&path) {
            Some(Resolved::File(path))
        } else if self.is_dir(&path) {
            Some(Resolved::Directory(path))
        } else {
            None
        }
    }
}

/// Collapses `//` and `/./` so that paths from different spellings compare equal.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for part in path.split('/') {
        if part.is_empty() || part == "." {
            continue;
        }
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

impl SourceProvider for MemoryProvider {
    fn resolve(&self, name: &str, style: IncludeStyle) -> Option<Resolved> {
        match style {
            IncludeStyle::Angle => self
                .search_dirs
                .iter()
                .find_map(|dir| self.lookup(&format!("{dir}/{name}"))),
            IncludeStyle::Quoted => {
                if name.starts_with('/') {
                    self.lookup(name)
                } else {
                    // Relative quoted includes are relative to the working directory; the
                    // in-memory provider treats the first search directory as that.
                    self.search_dirs
                        .first()
                        .and_then(|dir| self.lookup(&format!("{dir}/{name}")))
                }
            }
        }
    }

    fn read(&self, path: &str) -> Result<String, SourceError> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| SourceError::NotFound(path.to_owned()))
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, SourceError> {
        let prefix = format!("{}/", normalize(path).trim_end_matches('/'));
        let entries: Vec<String> = self
            .files
            .keys()
            .filter(|k| {
                k.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            })
            .cloned()
            .collect();
        if entries.is_empty() && !self.is_dir(path) {
            return Err(SourceError::NotFound(path.to_owned()));
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_and_in_characters() {
        let f = SourceFile::new("t", "ab\nçd\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'ç' is two bytes: offset 5 is the 'd', the second character.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_text(2), "çd");
    }

    #[test]
    fn memory_provider_resolves_angle_includes_through_search_dirs() {
        let mut p = MemoryProvider::new(["/etc/apparmor.d"]);
        p.insert("/etc/apparmor.d/tunables/global", "# g");
        p.insert("/etc/apparmor.d/tunables/home.d/a", "# a");
        assert_eq!(
            p.resolve("tunables/global", IncludeStyle::Angle),
            Some(Resolved::File("/etc/apparmor.d/tunables/global".into()))
        );
        assert_eq!(
            p.resolve("tunables/home.d", IncludeStyle::Angle),
            Some(Resolved::Directory(
                "/etc/apparmor.d/tunables/home.d".into()
            ))
        );
        assert_eq!(p.resolve("nope", IncludeStyle::Angle), None);
        assert_eq!(
            p.list_dir("/etc/apparmor.d/tunables").unwrap(),
            vec!["/etc/apparmor.d/tunables/global".to_string()]
        );
    }
}
