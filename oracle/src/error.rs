//! The one error type of the oracle.

use std::path::PathBuf;

/// Everything that can go wrong while compiling a profile with the real parser or while
/// reading the binary policy it produced.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// The parser binary could not be started (usually: it is not installed).
    #[error("could not run `{}`: {source}", path.display())]
    Spawn {
        /// The parser that was tried.
        path: PathBuf,
        /// Why starting it failed.
        #[source]
        source: std::io::Error,
    },
    /// Talking to the running parser (stdin/stdout pipes) failed.
    #[error("i/o with `{}` failed: {source}", path.display())]
    Pipe {
        /// The parser that was running.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A features file named in the compile options does not exist.
    #[error("features file `{}` does not exist", path.display())]
    MissingFeatures {
        /// The missing file.
        path: PathBuf,
    },
    /// The parser refused the profile; its own message is kept verbatim.
    #[error("apparmor_parser rejected the profile ({status}): {stderr}")]
    Rejected {
        /// How the parser exited, e.g. `exit status: 1`.
        status: String,
        /// Everything the parser printed on stderr.
        stderr: String,
    },
    /// The parser succeeded but wrote no policy (e.g. the input held no profile).
    #[error("apparmor_parser produced no binary policy; stderr: {stderr}")]
    Empty {
        /// Everything the parser printed on stderr.
        stderr: String,
    },
    /// The binary policy stream does not follow the tagged format the kernel reads.
    #[error("malformed policy stream at byte {offset}: {message}")]
    Stream {
        /// Byte offset into the stream where reading failed.
        offset: usize,
        /// What was expected there.
        message: String,
    },
    /// A profile in the stream lacks something the kernel requires, or has it in a shape
    /// the kernel would reject.
    #[error("profile `{profile}` is malformed: {message}")]
    Profile {
        /// The profile's name (or `?` when the name itself is missing).
        profile: String,
        /// What is wrong.
        message: String,
    },
    /// A DFA blob fails the checks the kernel's `aa_dfa_unpack`/`verify_dfa` apply.
    #[error("dfa `{which}` of profile `{profile}` is malformed: {message}")]
    Dfa {
        /// The profile owning the DFA.
        profile: String,
        /// Which DFA: `file`, `policydb` or `xmatch`.
        which: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The requested profile is not in the compiled policy.
    #[error("no profile named `{name}` in the compiled policy (known: {known})")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// The profile was compiled without a DFA of the kind asked for.
    #[error("profile `{profile}` has no {which} dfa")]
    NoDfa {
        /// The profile.
        profile: String,
        /// Which DFA was missing.
        which: &'static str,
    },
    /// The query cannot be expressed to the kernel, e.g. a path with a NUL byte.
    #[error("invalid query `{query}`: {message}")]
    Query {
        /// The offending query, escaped.
        query: String,
        /// Why it cannot be asked.
        message: String,
    },
}
