//! Many globs compiled into one automaton that reports every glob matching a path.

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, pikevm::PikeVM, WhichCaptures, NFA};
use regex_automata::util::pool::Pool;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, Input, MatchKind, PatternSet};
use regex_syntax::hir::{Hir, Look};

use super::error::GlobError;
use super::Glob;

/// The most memory the compiled NFA of one glob set may use.
pub const NFA_SIZE_LIMIT: usize = 16 << 20;
/// The most memory a fully built DFA may use (see [`GlobSet::new_full`]); bigger sets use a
/// lazily built DFA instead.
pub const DENSE_SIZE_LIMIT: usize = 1 << 20;
/// The memory of the lazily built DFA's state cache (per thread that matches).
pub const LAZY_CACHE_CAPACITY: usize = 2 << 20;

type CacheFn = Box<dyn Fn() -> hybrid::dfa::Cache + Send + Sync>;

enum Engine {
    /// No globs: nothing matches.
    Empty,
    /// A DFA built completely up front (the usual case: profiles have tens of globs).
    Dense {
        dfa: Box<dense::DFA<Vec<u32>>>,
        start: StateID,
    },
    /// A DFA built as paths are matched, within a fixed cache (for sets whose full DFA
    /// would be too big).
    Lazy(Box<Lazy>),
}

struct Lazy {
    dfa: hybrid::dfa::DFA,
    caches: Pool<hybrid::dfa::Cache, CacheFn>,
    /// Used only if the lazy DFA reports an error, which its configuration rules out; kept
    /// so that an unexpected error still yields the right answer rather than a wrong one.
    pikevm: PikeVM,
    pikevm_caches:
        Pool<thompson::pikevm::Cache, Box<dyn Fn() -> thompson::pikevm::Cache + Send + Sync>>,
}

/// Many globs compiled into one automaton. Matching a path walks the automaton once and
/// reports every glob that matches the whole path.
pub struct GlobSet {
    count: usize,
    engine: Engine,
}

impl std::fmt::Debug for GlobSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match &self.engine {
            Engine::Empty => "empty",
            Engine::Dense { .. } => "dense",
            Engine::Lazy(_) => "lazy",
        };
        f.debug_struct("GlobSet")
            .field("count", &self.count)
            .field("engine", &engine)
            .finish()
    }
}

fn build_error(
    count: usize,
    err: &dyn std::fmt::Display,
    limit: usize,
    is_size: bool,
) -> GlobError {
    if is_size {
        GlobError::SetTooLarge { count, limit }
    } else {
        GlobError::Build {
            detail: err.to_string(),
        }
    }
}

impl GlobSet {
    /// Compiles the globs into one automaton. Index `i` in match results is `globs[i]`.
    ///
    /// Only the NFA is built here (it may use at most [`NFA_SIZE_LIMIT`] bytes, else
    /// [`GlobError::SetTooLarge`]); the DFA's states are built as paths are matched and
    /// kept in a cache of [`LAZY_CACHE_CAPACITY`] bytes per thread, so compiling is fast
    /// and memory stays bounded whatever the globs are.
    pub fn new(globs: &[Glob]) -> Result<GlobSet, GlobError> {
        GlobSet::build(globs, false)
    }

    /// Like [`GlobSet::new`], but builds the whole DFA up front when it fits in
    /// [`DENSE_SIZE_LIMIT`] bytes (falling back to the lazy DFA when it does not). Compiling
    /// takes longer; matching needs no per-thread cache afterwards.
    pub fn new_full(globs: &[Glob]) -> Result<GlobSet, GlobError> {
        GlobSet::build(globs, true)
    }

    /// Compiles expressions built from glob trees (see [`Glob::to_hir`]) into one lazily
    /// built automaton, as [`GlobSet::new`] does; for example a link rule's pair (link
    /// glob, NUL byte, target glob). Index `i` in match results is `hirs[i]`.
    pub fn from_hirs(hirs: &[Hir]) -> Result<GlobSet, GlobError> {
        GlobSet::build_hirs(hirs.to_vec(), false)
    }

    fn build(globs: &[Glob], try_full: bool) -> Result<GlobSet, GlobError> {
        GlobSet::build_hirs(globs.iter().map(Glob::to_hir).collect(), try_full)
    }

    fn build_hirs(exprs: Vec<Hir>, try_full: bool) -> Result<GlobSet, GlobError> {
        let count = exprs.len();
        if count == 0 {
            return Ok(GlobSet {
                count,
                engine: Engine::Empty,
            });
        }
        let nfa = nfa_compiler()
            .build_many_from_hir(&anchored(exprs))
            .map_err(|e| build_error(count, &e, NFA_SIZE_LIMIT, e.size_limit().is_some()))?;
        if !try_full {
            return GlobSet::lazy(count, nfa);
        }
        let dense = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .byte_classes(true)
                    .accelerate(false)
                    .minimize(false)
                    .dfa_size_limit(Some(DENSE_SIZE_LIMIT))
                    .determinize_size_limit(Some(DENSE_SIZE_LIMIT)),
            )
            .build_from_nfa(&nfa);
        if let Ok(dfa) = dense {
            let config = start::Config::new().anchored(Anchored::Yes);
            if let Ok(start) = dfa.start_state(&config) {
                return Ok(GlobSet {
                    count,
                    engine: Engine::Dense {
                        dfa: Box::new(dfa),
                        start,
                    },
                });
            }
        }
        GlobSet::lazy(count, nfa)
    }

    fn lazy(count: usize, nfa: NFA) -> Result<GlobSet, GlobError> {
        let dfa = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .match_kind(MatchKind::All)
                    .byte_classes(true)
                    .cache_capacity(LAZY_CACHE_CAPACITY)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| build_error(count, &e, LAZY_CACHE_CAPACITY, false))?;
        let pikevm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .map_err(|e| build_error(count, &e, NFA_SIZE_LIMIT, false))?;
        let for_cache = dfa.clone();
        let caches: Pool<_, CacheFn> = Pool::new(Box::new(move || for_cache.create_cache()));
        let for_pike = pikevm.clone();
        let pikevm_caches: Pool<_, Box<dyn Fn() -> thompson::pikevm::Cache + Send + Sync>> =
            Pool::new(Box::new(move || for_pike.create_cache()));
        Ok(GlobSet {
            count,
            engine: Engine::Lazy(Box::new(Lazy {
                dfa,
                caches,
                pikevm,
                pikevm_caches,
            })),
        })
    }

    /// How many globs the set holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the set holds no globs.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the set uses a DFA built completely up front (see [`GlobSet::new_full`]).
    pub fn is_fully_built(&self) -> bool {
        matches!(self.engine, Engine::Dense { .. })
    }

    /// Clears `out` and fills it with the index of every glob that matches the whole of
    /// `path`, in ascending order.
    pub fn matches_into(&self, path: &str, out: &mut Vec<usize>) {
        out.clear();
        self.for_each_match(path.as_bytes(), &mut |i| out.push(i));
        if out.len() > 1 {
            out.sort_unstable();
        }
    }

    /// Whether glob `index` matches the whole of `path` (false for an index out of range).
    pub fn is_match(&self, index: usize, path: &str) -> bool {
        let mut found = false;
        self.for_each_match(path.as_bytes(), &mut |i| found |= i == index);
        found
    }

    /// Calls `f` with the index of every matching glob, in no particular order.
    fn for_each_match(&self, path: &[u8], f: &mut dyn FnMut(usize)) {
        match &self.engine {
            Engine::Empty => {}
            Engine::Dense { dfa, start } => dense_matches(dfa, *start, path, f),
            Engine::Lazy(lazy) => lazy.matches(path, f),
        }
    }
}

/// A compiler for the NFA of many anchored expressions: over bytes (paths need not be
/// UTF-8), without capture groups (only which expressions match matters), within
/// [`NFA_SIZE_LIMIT`].
fn nfa_compiler() -> thompson::Compiler {
    let mut compiler = thompson::Compiler::new();
    compiler.configure(
        thompson::Config::new()
            .utf8(false)
            .shrink(false)
            .which_captures(WhichCaptures::None)
            .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
    );
    compiler
}

/// Anchors each expression at the end, since each glob must match the whole path.
fn anchored(exprs: Vec<Hir>) -> Vec<Hir> {
    exprs
        .into_iter()
        .map(|h| Hir::concat(vec![h, Hir::look(Look::End)]))
        .collect()
}

fn dense_matches(
    dfa: &dense::DFA<Vec<u32>>,
    start: StateID,
    path: &[u8],
    f: &mut dyn FnMut(usize),
) {
    let mut sid = start;
    for &byte in path {
        sid = dfa.next_state(sid, byte);
        if dfa.is_special_state(sid) && dfa.is_dead_state(sid) {
            return;
        }
    }
    sid = dfa.next_eoi_state(sid);
    if dfa.is_match_state(sid) {
        for i in 0..dfa.match_len(sid) {
            f(dfa.match_pattern(sid, i).as_usize());
        }
    }
}

impl Lazy {
    fn matches(&self, path: &[u8], f: &mut dyn FnMut(usize)) {
        let mut cache = self.caches.get();
        // The walk reports matches only once it has reached the end without error, so a
        // failed walk reports nothing and the fallback reports everything.
        if let Ok(state) = self.walk(&mut cache, path) {
            if let Some(sid) = state {
                for i in 0..self.dfa.match_len(&cache, sid) {
                    f(self.dfa.match_pattern(&cache, sid, i).as_usize());
                }
            }
        } else {
            let mut out = Vec::new();
            self.pikevm_matches(path, &mut out);
            out.into_iter().for_each(f);
        }
    }

    /// Walks the lazy DFA over `path` and its end; returns the final state when it is a
    /// match state.
    fn walk(
        &self,
        cache: &mut hybrid::dfa::Cache,
        path: &[u8],
    ) -> Result<Option<hybrid::LazyStateID>, ()> {
        let dfa = &self.dfa;
        let config = start::Config::new().anchored(Anchored::Yes);
        let mut sid = dfa.start_state(cache, &config).map_err(|_| ())?;
        for &byte in path {
            sid = dfa.next_state(cache, sid, byte).map_err(|_| ())?;
            if sid.is_tagged() {
                if sid.is_dead() {
                    return Ok(None);
                }
                if sid.is_quit() || sid.is_unknown() {
                    return Err(());
                }
            }
        }
        sid = dfa.next_eoi_state(cache, sid).map_err(|_| ())?;
        Ok(sid.is_match().then_some(sid))
    }

    /// Matching by NFA simulation: slower, but it cannot fail.
    pub(crate) fn pikevm_matches(&self, path: &[u8], out: &mut Vec<usize>) {
        let mut cache = self.pikevm_caches.get();
        let input = Input::new(path).anchored(Anchored::Yes);
        let mut set = PatternSet::new(self.pikevm.pattern_len());
        self.pikevm
            .which_overlapping_matches(&mut cache, &input, &mut set);
        out.extend(set.iter().map(|p| p.as_usize()));
    }
}

/// The most DFA states explored when looking for a path two globs both match.
const OVERLAP_STATE_LIMIT: usize = 50_000;
/// The most memory the DFA of two globs may use when looking for a path both match.
const OVERLAP_DFA_LIMIT: usize = 2 << 20;

/// A shortest path that both globs match, if any. Returns `None` also when the search is
/// too big to finish (the caller then reports nothing rather than guessing).
pub fn common_match(a: &Glob, b: &Glob) -> Option<String> {
    use std::collections::{HashMap, VecDeque};
    let nfa = nfa_compiler()
        .build_many_from_hir(&anchored(vec![a.to_hir(), b.to_hir()]))
        .ok()?;
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                .byte_classes(true)
                .dfa_size_limit(Some(OVERLAP_DFA_LIMIT))
                .determinize_size_limit(Some(OVERLAP_DFA_LIMIT)),
        )
        .build_from_nfa(&nfa)
        .ok()?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .ok()?;
    // Breadth first, remembering how each state was reached, so the witness is shortest.
    let mut parent: HashMap<_, Option<(_, u8)>> = HashMap::new();
    parent.insert(start, None);
    let mut queue = VecDeque::from([start]);
    let reps: Vec<u8> = dfa
        .byte_classes()
        .representatives(0..=255)
        .filter_map(|u| u.as_u8())
        .collect();
    while let Some(sid) = queue.pop_front() {
        let eoi = dfa.next_eoi_state(sid);
        if dfa.is_match_state(eoi) && dfa.match_len(eoi) == 2 {
            let mut bytes = Vec::new();
            let mut cur = sid;
            while let Some(Some((prev, b))) = parent.get(&cur) {
                bytes.push(*b);
                cur = *prev;
            }
            bytes.reverse();
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        for &b in &reps {
            let next = dfa.next_state(sid, b);
            if dfa.is_dead_state(next) || parent.contains_key(&next) {
                continue;
            }
            if parent.len() >= OVERLAP_STATE_LIMIT {
                return None;
            }
            parent.insert(next, Some((sid, b)));
            queue.push_back(next);
        }
    }
    None
}

// Glob sets are shared between threads (the CLI and tests match in parallel).
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<GlobSet>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::parse;

    #[test]
    fn common_match_finds_a_shortest_shared_path() {
        let g = |s: &str| parse(s).unwrap();
        assert_eq!(
            common_match(&g("/d/*"), &g("/d/[e]")).as_deref(),
            Some("/d/e")
        );
        assert_eq!(common_match(&g("/a/*"), &g("/b/*")), None);
        let w = common_match(&g("/{**,}"), &g("/usr/bin/*")).unwrap();
        assert!(w.starts_with("/usr/bin/") && w.len() == 10, "{w}");
    }

    /// The three engines agree: the lazy DFA that [`GlobSet::new`] builds (the one the
    /// evaluator uses), the full DFA of [`GlobSet::new_full`], and the fallback NFA
    /// simulation.
    #[test]
    fn engines_agree() {
        let globs: Vec<Glob> = [
            "/proc/{*,**^[0-9*],sys/kernel/shm*}",
            "/proc/sys/kernel/{?,??,[^s][^h][^m]**}",
            "/proc/**",
            "/proc/sys/[^k]**",
            "/**",
            "/{**,}",
            "/dir/*",
            "/a/{b,c,}d",
        ]
        .iter()
        .map(|g| parse(g).unwrap())
        .collect();
        let dense = GlobSet::new_full(&globs).unwrap();
        assert!(dense.is_fully_built());
        let lazy = GlobSet::new(&globs).unwrap();
        let Engine::Lazy(inner) = &lazy.engine else {
            panic!("expected a lazy engine")
        };
        for path in [
            "/proc/uptime",
            "/proc/sys/kernel/core_pattern",
            "/proc/sys/kernel/shmmax",
            "/proc/sys/kernel/ab",
            "/proc/",
            "/dir/",
            "/dir/x",
            "/a/d",
            "/a/bd",
            "/a/cd",
            "/a/xd",
            "/",
            "/proc/x^5",
            "/proc/sys/a",
        ] {
            let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
            dense.matches_into(path, &mut a);
            lazy.matches_into(path, &mut b);
            inner.pikevm_matches(path.as_bytes(), &mut c);
            c.sort_unstable();
            assert_eq!(a, b, "dense vs lazy on {path}");
            assert_eq!(a, c, "dense vs pikevm on {path}");
            for i in 0..globs.len() {
                assert_eq!(lazy.is_match(i, path), a.contains(&i), "glob {i} on {path}");
            }
        }
    }

    /// A set built from link pairs (link glob, NUL, target glob) matches `link\0target`
    /// exactly when each glob, compiled alone, matches its half.
    #[test]
    fn link_pairs_match_both_halves() {
        let pairs = [("/l/*", "/t/**"), ("/l/a", "/u/[ab]"), ("/{l,m}/?", "/t/x")];
        let g = |s: &str| parse(s).unwrap();
        let hirs: Vec<Hir> = pairs
            .iter()
            .map(|(l, t)| Hir::concat(vec![g(l).to_hir(), Hir::literal(*b"\0"), g(t).to_hir()]))
            .collect();
        let set = GlobSet::from_hirs(&hirs).unwrap();
        assert!(!set.is_fully_built());
        let (mut out, mut matched) = (Vec::new(), 0);
        for link in ["/l/a", "/l/b", "/m/c", "/l/ab", "/x/a"] {
            for target in ["/t/x", "/t/y/z", "/u/a", "/u/c", "/t/"] {
                set.matches_into(&format!("{link}\0{target}"), &mut out);
                let expected: Vec<usize> = pairs
                    .iter()
                    .enumerate()
                    .filter(|(_, (l, t))| {
                        let one = |glob: &str, path: &str| {
                            GlobSet::new(&[g(glob)]).unwrap().is_match(0, path)
                        };
                        one(l, link) && one(t, target)
                    })
                    .map(|(i, _)| i)
                    .collect();
                assert_eq!(out, expected, "{link} -> {target}");
                matched += out.len();
            }
        }
        assert!(matched > 0, "the cases exercise no match");
        assert!(GlobSet::from_hirs(&[]).unwrap().is_empty());
    }
}
