//! Test oracle for armorlab: compiles profiles with the real `apparmor_parser` and
//! answers permission questions by walking the compiled binary policy exactly like the
//! Linux kernel does.
//!
//! The pipeline is [`Compiler`] (runs `apparmor_parser -Q -K -S` against a fixed feature
//! set) → [`BinaryPolicy`] (the tagged stream of `policy_unpack.c`, profiles with their
//! DFAs) → [`BinaryPolicy::file_perms`] (the `aa_dfa_match` walk from `match.c` and the
//! accept-entry decoding from `policy_compat.c`/`file.c`).
//!
//! This crate does I/O (it runs a process) and is meant for tests only.

mod compile;
mod dfa;
pub mod differential;
mod error;
pub mod pathgen;
mod perms;
mod policy;
pub mod stream;

pub use compile::{
    compile, compile_path, parser_available, Compiler, Features, DEBIAN_FEATURES, DEFAULT_PARSER,
};
pub use dfa::Dfa;
pub use error::OracleError;
pub use perms::{letters, ExecTarget, ExecTransition, OraclePerms};
pub use policy::{
    capability_number, BinaryPolicy, Capabilities, CompiledProfile, LinkDecision, ProfileMode,
    CAPABILITIES,
};
