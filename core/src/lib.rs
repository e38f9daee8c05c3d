//! armorlab-core: the AppArmor policy language, parsed, resolved, compiled and evaluated
//! exactly as `apparmor_parser` and the Linux kernel do, with every decision explained.
//!
//! Data flows one way:
//!
//! 1. [`syntax`]: text → syntax tree (a parse that never fails: tree + diagnostics).
//! 2. [`resolve`]: syntax tree → resolved [`model::Policy`] (includes through a
//!    [`source::SourceProvider`], variables, aliases, conditionals, semantic checks).
//! 3. [`glob`]: AppArmor globs → the automaton `apparmor_parser` would build.
//! 4. [`eval`]: resolved profile + compiled matcher → a [`eval::Decision`] for a query.
//!
//! Around them: [`format`] (canonical formatting), [`export`] (Docker, Kubernetes, Security
//! Profiles Operator), [`share`] (playground share links).
//!
//! The core does no I/O of its own and builds for native targets and `wasm32`.

pub mod analysis;
pub mod diagnostics;
pub mod eval;
pub mod export;
pub mod format;
pub mod glob;
pub mod model;
pub mod resolve;
pub mod share;
pub mod source;
pub mod syntax;

pub use analysis::{analyze, Analysis};
pub use diagnostics::{Diagnostic, Severity};
pub use source::{FileId, Location, MemoryProvider, NoIncludes, SourceProvider, Span};
