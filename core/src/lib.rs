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
//! Around them: [`format`](mod@format) (canonical formatting), [`export`] (Docker, Kubernetes, Security
//! Profiles Operator), [`share`] (playground share links).
//!
//! The core does no I/O of its own and builds for native targets and `wasm32`.
//!
//! # Example
//!
//! ```
//! use armorlab_core::eval::{compile, parse_query, Verdict};
//! use armorlab_core::{analyze, MemoryProvider};
//!
//! let text = "profile demo {\n  file,\n  deny /proc/sysrq-trigger w,\n}\n";
//! // Includes come through a provider; this profile has none.
//! let analysis = analyze("demo.apparmor", text, &MemoryProvider::new(["/etc/apparmor.d"]));
//! assert!(!analysis.has_errors());
//! let policy = compile(&analysis.policy, &analysis.sources).expect("compiles");
//! let decision = policy
//!     .decide("demo", &parse_query("w /proc/sysrq-trigger").expect("a query"))
//!     .expect("a profile named demo");
//! assert_eq!(decision.verdict, Verdict::Deny);
//! // The deny rule on line 3 decided it.
//! assert!(decision.rules.iter().any(|r| r.line == 3));
//! ```

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
