//! Generating query paths from AppArmor globs, for differential tests.
//!
//! Given the globs of a profile's rules (e.g. from [`crate::Compiler::rule_globs`]), it
//! produces paths that hit the rules (instances of each glob), paths just beside them
//! (prefixes, mutations, characters outside bracket classes) and paths with the
//! characters AppArmor treats specially (`^`, `*`, `[`, `]`, `{`, digits). Generation is
//! deterministic for a seed so that a failing case can be reproduced.

/// Segment fillers for `*` (never contain `/`).
const SEGMENTS: [&str; 16] = [
    "", "a", "x1", "5", "12", "0", "abc", "a^5]", "sys", ".h", "*", "^", "[x]", "shmmax", "self",
    "1234567",
];
/// Fillers for `**` (may contain `/`).
const DEEP: [&str; 12] = [
    "", "a", "a/b", "1/2", "x/", "sub/5", "a^1]", "kernel/x", "9", "d/e/f", ".x/y", "b^*",
];
/// Candidates for `?` and for characters outside a class.
const CHARS: [char; 16] = [
    'a', 'z', '0', '5', '9', '^', '*', '.', '-', '_', 'S', '[', ']', '{', ',', '~',
];

/// A small deterministic generator (SplitMix64): no external randomness, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// One element of a non-empty slice (`None` for an empty one).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

#[derive(Debug, Clone)]
enum Node {
    Lit(char),
    Star,
    DoubleStar,
    Quest,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alt(Vec<Vec<Node>>),
}

/// Parses a glob into nodes. Malformed parts (an unclosed `[` or `{`) are read as
/// literals, so every input yields something.
fn parse(glob: &str) -> Vec<Node> {
    let chars: Vec<char> = glob.chars().collect();
    let mut pos = 0;
    parse_seq(&chars, &mut pos, false)
}

fn parse_seq(chars: &[char], pos: &mut usize, in_alt: bool) -> Vec<Node> {
    let mut out = Vec::new();
    while let Some(&c) = chars.get(*pos) {
        match c {
            ',' | '}' if in_alt => return out,
            '\\' => {
                *pos += 1;
                if let Some(&n) = chars.get(*pos) {
                    out.push(Node::Lit(n));
                    *pos += 1;
                }
            }
            '*' => {
                let mut n = 0;
                while chars.get(*pos) == Some(&'*') {
                    n += 1;
                    *pos += 1;
                }
                out.push(if n >= 2 { Node::DoubleStar } else { Node::Star });
            }
            '?' => {
                out.push(Node::Quest);
                *pos += 1;
            }
            '[' => match parse_class(chars, *pos) {
                Some((node, end)) => {
                    out.push(node);
                    *pos = end;
                }
                None => {
                    out.push(Node::Lit('['));
                    *pos += 1;
                }
            },
            '{' => {
                let save = *pos;
                *pos += 1;
                let mut branches = Vec::new();
                let mut closed = false;
                loop {
                    branches.push(parse_seq(chars, pos, true));
                    match chars.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            closed = true;
                            break;
                        }
                        _ => break,
                    }
                }
                if closed {
                    out.push(Node::Alt(branches));
                } else {
                    out.push(Node::Lit('{'));
                    *pos = save + 1;
                }
            }
            _ => {
                out.push(Node::Lit(c));
                *pos += 1;
            }
        }
    }
    out
}

fn parse_class(chars: &[char], start: usize) -> Option<(Node, usize)> {
    let mut i = start + 1;
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Node::Class { negated, ranges }, i + 1));
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        i += 1;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let hi = *chars.get(i + 1)?;
            ranges.push((lo, hi));
            i += 2;
        } else {
            ranges.push((lo, lo));
        }
    }
}

fn in_class(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

fn instantiate(nodes: &[Node], rng: &mut Rng, out: &mut String) {
    for node in nodes {
        match node {
            Node::Lit(c) => out.push(*c),
            Node::Star => out.push_str(rng.pick(&SEGMENTS).copied().unwrap_or("")),
            Node::DoubleStar => out.push_str(rng.pick(&DEEP).copied().unwrap_or("")),
            Node::Quest => out.push(rng.pick(&CHARS).copied().unwrap_or('a')),
            Node::Class { negated, ranges } => {
                let want_inside = rng.below(10) < 7;
                let inside: Vec<char> = ranges
                    .iter()
                    .flat_map(|&(lo, hi)| {
                        // Sample the ends and the middle of a range, not every member.
                        let mid = char::from_u32((u32::from(lo) + u32::from(hi)) / 2).unwrap_or(lo);
                        [lo, mid, hi]
                    })
                    .filter(|&c| c != '/' && c != '\0')
                    .collect();
                let outside: Vec<char> = CHARS
                    .iter()
                    .copied()
                    .filter(|&c| !in_class(ranges, c))
                    .collect();
                // For a negated class the members of the written ranges are the ones
                // that do NOT match.
                let (matching, other) = if *negated {
                    (outside, inside)
                } else {
                    (inside, outside)
                };
                let pool = if want_inside { &matching } else { &other };
                if let Some(c) = rng.pick(pool) {
                    out.push(*c);
                } else if let Some(c) = rng.pick(&matching) {
                    out.push(*c);
                }
            }
            Node::Alt(branches) => {
                if let Some(b) = rng.pick(branches) {
                    instantiate(b, rng, out);
                }
            }
        }
    }
}

/// The literal text of a glob up to its first special character.
pub fn literal_prefix(glob: &str) -> String {
    let mut out = String::new();
    let mut chars = glob.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' | '[' | '{' => break,
            '\\' => match chars.next() {
                Some(n) => out.push(n),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// Whether the kernel could ever ask about this name: absolute, no NUL, no empty path
/// component (the kernel's path names never contain `//`).
pub fn plausible(path: &str) -> bool {
    path.starts_with('/') && !path.contains('\0') && !path.contains("//")
}

/// Paths derived from one glob: `instances` random instances, each with a few
/// mutations, plus the glob's literal prefix and its parent directories.
pub fn paths_for_glob(glob: &str, instances: usize, rng: &mut Rng) -> Vec<String> {
    let nodes = parse(glob);
    let mut out = Vec::new();
    let prefix = literal_prefix(glob);
    out.push(prefix.clone());
    for (i, _) in prefix.match_indices('/') {
        if let Some(p) = prefix.get(..=i) {
            out.push(p.to_string());
        }
        if let Some(p) = prefix.get(..i) {
            out.push(p.to_string());
        }
    }
    for _ in 0..instances {
        let mut s = String::new();
        instantiate(&nodes, rng, &mut s);
        out.push(format!("{s}/"));
        out.push(format!("{s}x"));
        if let Some((cut, _)) = s.char_indices().last() {
            if let Some(p) = s.get(..cut) {
                out.push(p.to_string());
            }
        }
        // Replace one character with a special one.
        let chars: Vec<char> = s.chars().collect();
        if !chars.is_empty() {
            let at = rng.below(chars.len());
            let with = rng.pick(&CHARS).copied().unwrap_or('a');
            let mutated: String = chars
                .iter()
                .enumerate()
                .map(|(i, &c)| if i == at { with } else { c })
                .collect();
            out.push(mutated);
        }
        out.push(s);
    }
    out.retain(|p| plausible(p));
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_follow_the_glob_shape() {
        let mut rng = Rng::new(7);
        let paths = paths_for_glob("/proc/{sys,sysrq-trigger}/[0-9]*", 30, &mut rng);
        assert!(paths.iter().any(|p| p.starts_with("/proc/sys/")));
        assert!(paths.iter().any(|p| p.starts_with("/proc/sysrq-trigger/")));
        assert!(paths.iter().all(|p| plausible(p)));
        assert!(paths.contains(&"/proc/".to_string()));
    }

    #[test]
    fn classes_produce_members_and_non_members() {
        let mut rng = Rng::new(1);
        let paths = paths_for_glob("/x/[^0-9]", 60, &mut rng);
        let last: Vec<char> = paths
            .iter()
            .filter(|p| p.len() == 4)
            .filter_map(|p| p.chars().last())
            .collect();
        assert!(last.iter().any(|c| c.is_ascii_digit()));
        assert!(last.iter().any(|c| !c.is_ascii_digit()));
    }

    #[test]
    fn malformed_globs_do_not_panic() {
        let mut rng = Rng::new(3);
        for g in ["/a/[", "/a/{b,", "/a/\\", "/[]]", "{", "/a/[z-a]"] {
            let _ = paths_for_glob(g, 5, &mut rng);
        }
        assert_eq!(literal_prefix("/a/b\\*c*d"), "/a/b*c");
    }

    #[test]
    fn generation_is_reproducible() {
        let a = paths_for_glob("/a/**/b*", 20, &mut Rng::new(9));
        let b = paths_for_glob("/a/**/b*", 20, &mut Rng::new(9));
        assert_eq!(a, b);
    }
}
