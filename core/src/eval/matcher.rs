//! The evaluator's glob matcher: the globs of [`crate::glob`] (exactly as
//! `apparmor_parser` compiles them), run in a DFA built lazily as paths are matched.
//!
//! [`crate::glob::GlobSet`] determinizes the whole set up front, which costs tens of
//! milliseconds for `docker-default` with `abstractions/base`; the playground recompiles on
//! every edit and answers a handful of queries, so building only the states that queries
//! visit keeps a recompile within about a millisecond. The cache is bounded, and when the
//! lazy DFA cannot be built the set falls back to the glob module's own set.

use crate::glob::{Glob, GlobError, GlobSet, NFA_SIZE_LIMIT};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson::{self, pikevm::PikeVM, WhichCaptures};
use regex_automata::util::pool::Pool;
use regex_automata::util::start;
use regex_automata::{Anchored, Input, MatchKind, PatternSet};
use regex_syntax::hir::{Hir, Look};

/// The memory of one lazy DFA cache (one per thread matching at the same time).
const CACHE_CAPACITY: usize = 2 << 20;

type DfaCacheFn = Box<dyn Fn() -> Cache + Send + Sync>;
type PikeCacheFn = Box<dyn Fn() -> thompson::pikevm::Cache + Send + Sync>;

/// A set of globs; index `i` in results is the `i`-th glob given to [`Matcher::new`].
pub(super) struct Matcher {
    engine: Engine,
}

enum Engine {
    Empty,
    Lazy(Box<Lazy>),
    Full(GlobSet),
}

struct Lazy {
    dfa: DFA,
    caches: Pool<Cache, DfaCacheFn>,
    /// NFA simulation, used only if the lazy DFA reports an error (its configuration rules
    /// that out), so that an unexpected error still gives the right answer.
    pikevm: PikeVM,
    pike_caches: Pool<thompson::pikevm::Cache, PikeCacheFn>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.engine {
            Engine::Empty => "Matcher(empty)",
            Engine::Lazy(_) => "Matcher(lazy)",
            Engine::Full(_) => "Matcher(full)",
        })
    }
}

impl Matcher {
    /// Compiles the globs into one lazily built automaton.
    pub(super) fn new(globs: &[Glob]) -> Result<Matcher, GlobError> {
        if globs.is_empty() {
            return Ok(Matcher {
                engine: Engine::Empty,
            });
        }
        let hirs: Vec<Hir> = globs.iter().map(Glob::to_hir).collect();
        match Lazy::new(&hirs) {
            Some(lazy) => Ok(Matcher {
                engine: Engine::Lazy(Box::new(lazy)),
            }),
            None => Ok(Matcher {
                engine: Engine::Full(GlobSet::new(globs)?),
            }),
        }
    }

    /// Compiles expressions built from globs (such as a link pair: link, NUL, target).
    pub(super) fn from_hirs(hirs: &[Hir]) -> Result<Matcher, GlobError> {
        if hirs.is_empty() {
            return Ok(Matcher {
                engine: Engine::Empty,
            });
        }
        Lazy::new(hirs)
            .map(|lazy| Matcher {
                engine: Engine::Lazy(Box::new(lazy)),
            })
            .ok_or_else(|| GlobError::Build {
                detail: "the link pair automaton is too large".to_owned(),
            })
    }

    /// Clears `out` and fills it with the index of every glob matching all of `path`,
    /// ascending.
    pub(super) fn matches_into(&self, path: &str, out: &mut Vec<usize>) {
        out.clear();
        match &self.engine {
            Engine::Empty => {}
            Engine::Full(set) => set.matches_into(path, out),
            Engine::Lazy(lazy) => {
                if lazy.walk(path.as_bytes(), out).is_err() {
                    out.clear();
                    lazy.simulate(path.as_bytes(), out);
                }
                if out.len() > 1 {
                    out.sort_unstable();
                }
            }
        }
    }

    /// Whether glob `index` matches all of `path`.
    pub(super) fn is_match(&self, index: usize, path: &str) -> bool {
        let mut out = Vec::new();
        self.matches_into(path, &mut out);
        out.binary_search(&index).is_ok()
    }
}

impl Lazy {
    fn new(exprs: &[Hir]) -> Option<Lazy> {
        // Each expression must match the whole path: anchor its end.
        let hirs: Vec<Hir> = exprs
            .iter()
            .map(|h| Hir::concat(vec![h.clone(), Hir::look(Look::End)]))
            .collect();
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .utf8(false)
                    .shrink(false)
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
            )
            .build_many_from_hir(&hirs)
            .ok()?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .byte_classes(true)
                    .cache_capacity(CACHE_CAPACITY),
            )
            .build_from_nfa(nfa.clone())
            .ok()?;
        let pikevm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .ok()?;
        let for_dfa = dfa.clone();
        let caches: Pool<Cache, DfaCacheFn> = Pool::new(Box::new(move || for_dfa.create_cache()));
        let for_pike = pikevm.clone();
        let pike_caches: Pool<thompson::pikevm::Cache, PikeCacheFn> =
            Pool::new(Box::new(move || for_pike.create_cache()));
        Some(Lazy {
            dfa,
            caches,
            pikevm,
            pike_caches,
        })
    }

    /// Walks the path byte by byte; at the end, the match state lists every glob that
    /// matches.
    fn walk(&self, path: &[u8], out: &mut Vec<usize>) -> Result<(), ()> {
        let mut guard = self.caches.get();
        let cache: &mut Cache = &mut guard;
        let dfa = &self.dfa;
        let config = start::Config::new().anchored(Anchored::Yes);
        let mut sid = dfa.start_state(cache, &config).map_err(|_| ())?;
        for &b in path {
            sid = dfa.next_state(cache, sid, b).map_err(|_| ())?;
            if sid.is_tagged() {
                if sid.is_dead() {
                    return Ok(());
                }
                if sid.is_quit() || sid.is_unknown() {
                    return Err(());
                }
            }
        }
        sid = dfa.next_eoi_state(cache, sid).map_err(|_| ())?;
        if sid.is_match() {
            for i in 0..dfa.match_len(cache, sid) {
                out.push(dfa.match_pattern(cache, sid, i).as_usize());
            }
        }
        Ok(())
    }

    fn simulate(&self, path: &[u8], out: &mut Vec<usize>) {
        let mut cache = self.pike_caches.get();
        let input = Input::new(path).anchored(Anchored::Yes);
        let mut set = PatternSet::new(self.pikevm.pattern_len());
        self.pikevm
            .which_overlapping_matches(&mut cache, &input, &mut set);
        out.extend(set.iter().map(|p| p.as_usize()));
    }
}

/// The most DFA states explored when looking for a path two globs both match.
const OVERLAP_STATE_LIMIT: usize = 50_000;

/// A shortest path that both globs match, if any. Returns `None` also when the search is
/// too big to finish (the caller then reports nothing rather than guessing).
pub(super) fn common_match(a: &Glob, b: &Glob) -> Option<String> {
    use regex_automata::dfa::{dense, Automaton, StartKind};
    use std::collections::{HashMap, VecDeque};
    let hirs: Vec<Hir> = [a, b]
        .iter()
        .map(|g| Hir::concat(vec![g.to_hir(), Hir::look(Look::End)]))
        .collect();
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .utf8(false)
                .which_captures(WhichCaptures::None)
                .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
        )
        .build_many_from_hir(&hirs)
        .ok()?;
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                .byte_classes(true)
                .dfa_size_limit(Some(CACHE_CAPACITY))
                .determinize_size_limit(Some(CACHE_CAPACITY)),
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

    /// The lazy matcher agrees with the glob module's fully built set.
    #[test]
    fn agrees_with_the_glob_set() {
        let globs: Vec<Glob> = [
            "/proc/{*,**^[0-9*],sys/kernel/shm*}",
            "/proc/sys/kernel/{?,??,[^s][^h][^m]**}",
            "/{**,}",
            "/dir/*",
            "/a/{b,c,}d",
        ]
        .iter()
        .map(|g| parse(g).unwrap())
        .collect();
        let full = GlobSet::new(&globs).unwrap();
        let lazy = Matcher::new(&globs).unwrap();
        assert!(matches!(lazy.engine, Engine::Lazy(_)));
        for path in [
            "/proc/uptime",
            "/proc/sys/kernel/core_pattern",
            "/proc/sys/kernel/shmmax",
            "/proc/",
            "/dir/",
            "/dir/x",
            "/a/d",
            "/a/xd",
            "/",
            "/proc/x^5",
        ] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            full.matches_into(path, &mut a);
            lazy.matches_into(path, &mut b);
            assert_eq!(a, b, "{path}");
            let mut c = Vec::new();
            if let Engine::Lazy(l) = &lazy.engine {
                l.simulate(path.as_bytes(), &mut c);
            }
            c.sort_unstable();
            assert_eq!(a, c, "simulation on {path}");
        }
    }
}
