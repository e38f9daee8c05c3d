//! Running the real `apparmor_parser`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::OracleError;
use crate::policy::BinaryPolicy;

/// Where Debian installs the parser.
pub const DEFAULT_PARSER: &str = "/usr/sbin/apparmor_parser";

/// The feature file Debian 12's `apparmor` package pins policy to
/// (`policy-features=` in `/etc/apparmor/parser.conf`).
pub const DEBIAN_FEATURES: &str = "/usr/share/apparmor-features/features";

/// Which kernel feature set the compiled policy targets.
///
/// Without a feature set and without `/sys/kernel/security/apparmor` (the case in
/// containers and CI), the parser falls back to its oldest compatibility format (ABI v5,
/// no `policydb`), which is not what a current kernel loads. The default is therefore
/// [`Features::DebianPinned`]: the feature file shipped by Debian 12's `apparmor` package,
/// which is what policy on Debian 12 (kernel 6.1) is compiled against, and which matches
/// the 6.1 kernel's feature tree (ABI v8, `network_v8`, `policydb` with mount, signal,
/// ptrace). File permissions, the part the oracle answers, live in the separate file DFA
/// in every one of these formats; the test `file_dfa_is_the_same_for_every_feature_set`
/// checks that the answers agree across them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Features {
    /// `-M /usr/share/apparmor-features/features` (Debian 12's pinned feature set).
    DebianPinned,
    /// `-M <file>`: any feature file, e.g. the conformance suite's `features.all`.
    File(PathBuf),
    /// No feature file: the parser's compatibility output (ABI v5, file DFA only).
    Compat,
}

/// How to run the parser.
#[derive(Debug, Clone)]
pub struct Compiler {
    /// The parser binary.
    pub parser: PathBuf,
    /// Include search directories, passed as `-I` in order.
    pub include_dirs: Vec<PathBuf>,
    /// The feature set compiled for.
    pub features: Features,
    /// The parser's working directory (quoted relative includes resolve against it);
    /// `None` keeps the current one.
    pub workdir: Option<PathBuf>,
}

impl Default for Compiler {
    fn default() -> Self {
        Compiler {
            parser: PathBuf::from(DEFAULT_PARSER),
            include_dirs: vec![PathBuf::from("/etc/apparmor.d")],
            features: Features::DebianPinned,
            workdir: None,
        }
    }
}

/// Whether the default parser binary is installed (tests skip when it is not).
pub fn parser_available() -> bool {
    Path::new(DEFAULT_PARSER).is_file()
}

/// What to compile.
enum Input<'a> {
    Text(&'a str),
    Path(&'a Path),
}

impl Compiler {
    /// A compiler with the default parser and features and the given include directories.
    pub fn with_includes<I, P>(dirs: I) -> Compiler
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        Compiler {
            include_dirs: dirs.into_iter().map(Into::into).collect(),
            ..Compiler::default()
        }
    }

    /// Compiles profile text (fed on stdin; relative `include "..."` resolve against the
    /// current directory, as for the parser itself).
    pub fn compile_text(&self, text: &str) -> Result<BinaryPolicy, OracleError> {
        self.run(Input::Text(text))
    }

    /// Compiles a profile file.
    pub fn compile_file(&self, path: &Path) -> Result<BinaryPolicy, OracleError> {
        self.run(Input::Path(path))
    }

    /// The path globs of every rule as the parser expanded them (variables substituted,
    /// `aare:` lines of `-D rule-exprs`), in the order the parser dumps them, duplicates
    /// removed.
    /// Profile names and other non-path expressions are left out.
    pub fn rule_globs_text(&self, text: &str) -> Result<Vec<String>, OracleError> {
        let out = self.exec(Input::Text(text), Mode::RuleExprs)?;
        Ok(parse_rule_exprs(&out.stderr))
    }

    /// [`Compiler::rule_globs_text`] for a profile file.
    pub fn rule_globs_file(&self, path: &Path) -> Result<Vec<String>, OracleError> {
        let out = self.exec(Input::Path(path), Mode::RuleExprs)?;
        Ok(parse_rule_exprs(&out.stderr))
    }

    /// The argument list, without the input file.
    fn args(&self, mode: Mode) -> Result<Vec<std::ffi::OsString>, OracleError> {
        // -Q: do not load into a kernel; -K: no cache; -S: binary policy on stdout.
        // `--config-file /dev/null` keeps /etc/apparmor/parser.conf (which may name its
        // own feature files or options) out of the result: the feature set is ours.
        let last: &[&str] = match mode {
            Mode::Binary => &["-S"],
            Mode::RuleExprs => &["-D", "rule-exprs"],
        };
        let mut args: Vec<std::ffi::OsString> = ["--config-file", "/dev/null", "-Q", "-K"]
            .iter()
            .chain(last)
            .map(Into::into)
            .collect();
        let features = match &self.features {
            Features::DebianPinned => Some(PathBuf::from(DEBIAN_FEATURES)),
            Features::File(p) => Some(p.clone()),
            Features::Compat => None,
        };
        if let Some(f) = features {
            if !f.is_file() {
                return Err(OracleError::MissingFeatures { path: f });
            }
            args.push("-M".into());
            args.push(f.into_os_string());
        }
        for dir in &self.include_dirs {
            args.push("-I".into());
            args.push(dir.clone().into_os_string());
        }
        Ok(args)
    }

    /// The raw binary policy for a file, unparsed (for tests of the reader itself).
    pub fn binary_file(&self, path: &Path) -> Result<Vec<u8>, OracleError> {
        let out = self.exec(Input::Path(path), Mode::Binary)?;
        if out.stdout.is_empty() {
            return Err(OracleError::Empty {
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(out.stdout)
    }

    fn run(&self, input: Input<'_>) -> Result<BinaryPolicy, OracleError> {
        let out = self.exec(input, Mode::Binary)?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.stdout.is_empty() {
            return Err(OracleError::Empty { stderr });
        }
        let mut policy = BinaryPolicy::from_bytes(&out.stdout)?;
        policy.set_warnings(stderr);
        Ok(policy)
    }

    /// Runs the parser; a non-zero exit is an error carrying its stderr.
    fn exec(&self, input: Input<'_>, mode: Mode) -> Result<std::process::Output, OracleError> {
        let mut cmd = Command::new(&self.parser);
        if let Some(dir) = &self.workdir {
            cmd.current_dir(dir);
        }
        cmd.args(self.args(mode)?);
        if let Input::Path(p) = input {
            cmd.arg(p);
        }
        cmd.stdin(if matches!(input, Input::Text(_)) {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| OracleError::Spawn {
            path: self.parser.clone(),
            source,
        })?;
        let pipe_err = |source| OracleError::Pipe {
            path: self.parser.clone(),
            source,
        };
        if let Input::Text(text) = input {
            if let Some(mut stdin) = child.stdin.take() {
                // The parser reads all input before writing output, so writing first
                // cannot deadlock against a full stdout pipe.
                stdin.write_all(text.as_bytes()).map_err(pipe_err)?;
            }
        }
        let out = child.wait_with_output().map_err(pipe_err)?;
        if !out.status.success() {
            return Err(OracleError::Rejected {
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(out)
    }
}

/// What the parser is asked to produce.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// `-S`: the binary policy.
    Binary,
    /// `-D rule-exprs`: each rule's expanded glob and regex, on stderr.
    RuleExprs,
}

/// Picks the globs out of `aare: GLOB   ->   REGEX` lines.
fn parse_rule_exprs(stderr: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stderr);
    let mut seen = std::collections::HashSet::new();
    text.lines()
        .filter_map(|l| l.strip_prefix("aare: "))
        .filter_map(|l| l.rsplit_once("   ->   ").map(|(g, _)| g.to_string()))
        .filter(|g| g.starts_with('/'))
        .filter(|g| seen.insert(g.clone()))
        .collect()
}

/// Compiles profile text with the default parser and features and the given include
/// directories.
pub fn compile(text: &str, include_dirs: &[&Path]) -> Result<BinaryPolicy, OracleError> {
    Compiler::with_includes(include_dirs.iter().map(|p| p.to_path_buf())).compile_text(text)
}

/// Compiles a profile file with the default parser and features and the given include
/// directories.
pub fn compile_path(path: &Path, include_dirs: &[&Path]) -> Result<BinaryPolicy, OracleError> {
    Compiler::with_includes(include_dirs.iter().map(|p| p.to_path_buf())).compile_file(path)
}
