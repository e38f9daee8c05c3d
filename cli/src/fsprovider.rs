//! Include files from the file system, searched like `apparmor_parser -I`.

use armorlab_core::source::{IncludeStyle, Resolved, SourceError, SourceProvider};
use std::path::{Path, PathBuf};

/// The largest include file we read: real abstractions are a few KiB, and this bounds
/// memory when an include names something like `/dev/zero` or a huge log.
const MAX_INCLUDE_BYTES: u64 = 8 * 1024 * 1024;

/// Resolves `<...>` includes in the search directories (in order) and `"..."` includes
/// relative to the working directory (or absolute).
#[derive(Debug, Clone)]
pub struct FsProvider {
    search_dirs: Vec<PathBuf>,
    cwd: PathBuf,
}

impl FsProvider {
    /// A provider searching `search_dirs`, or `/etc/apparmor.d` when none is given.
    pub fn new(search_dirs: &[PathBuf]) -> FsProvider {
        let search_dirs = if search_dirs.is_empty() {
            vec![PathBuf::from("/etc/apparmor.d")]
        } else {
            search_dirs.to_vec()
        };
        FsProvider {
            search_dirs,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    fn lookup(path: &Path) -> Option<Resolved> {
        let meta = std::fs::metadata(path).ok()?;
        let display = path.to_string_lossy().into_owned();
        if meta.is_dir() {
            Some(Resolved::Directory(display))
        } else {
            Some(Resolved::File(display))
        }
    }
}

impl SourceProvider for FsProvider {
    fn resolve(&self, name: &str, style: IncludeStyle) -> Option<Resolved> {
        match style {
            IncludeStyle::Angle => {
                if Path::new(name).is_absolute() {
                    return FsProvider::lookup(Path::new(name));
                }
                self.search_dirs
                    .iter()
                    .find_map(|dir| FsProvider::lookup(&dir.join(name)))
            }
            IncludeStyle::Quoted => FsProvider::lookup(&self.cwd.join(name)),
        }
    }

    fn read(&self, path: &str) -> Result<String, SourceError> {
        read_text(Path::new(path)).map_err(|e| match e {
            ReadError::NotFound => SourceError::NotFound(path.to_owned()),
            other => SourceError::Unreadable {
                path: path.to_owned(),
                reason: other.to_string(),
            },
        })
    }

    fn list_dir(&self, path: &str) -> Result<Vec<String>, SourceError> {
        let entries = std::fs::read_dir(path).map_err(|e| SourceError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let mut out = Vec::new();
        for entry in entries.flatten() {
            // Entries that are not files (subdirectories) are not included, like
            // apparmor_parser does.
            if entry.path().is_file() {
                out.push(entry.path().to_string_lossy().into_owned());
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Why a text file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No such file.
    #[error("no such file")]
    NotFound,
    /// A directory where a file was expected.
    #[error("is a directory, not a file")]
    IsDir,
    /// Larger than we accept.
    #[error("larger than {} MiB", MAX_INCLUDE_BYTES / 1024 / 1024)]
    TooLarge,
    /// Not UTF-8 text.
    #[error("not UTF-8 text (byte {0})")]
    NotUtf8(usize),
    /// Any other I/O error.
    #[error("{0}")]
    Io(std::io::Error),
}

/// Reads a UTF-8 text file with a size bound and clear errors for directories.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    })?;
    if meta.is_dir() {
        return Err(ReadError::IsDir);
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_INCLUDE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_INCLUDE_BYTES {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}
