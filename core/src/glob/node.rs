//! The compiled form of a glob: the expression tree `apparmor_parser` builds from it.

use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Repetition};

/// A set of bytes (a character class after ranges and negation are applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ByteSet {
    bits: [u64; 4],
}

impl ByteSet {
    /// The empty set.
    pub fn new() -> ByteSet {
        ByteSet::default()
    }

    /// Adds one byte.
    pub fn insert(&mut self, byte: u8) {
        let (word, bit) = (usize::from(byte / 64), byte % 64);
        if let Some(w) = self.bits.get_mut(word) {
            *w |= 1u64 << bit;
        }
    }

    /// Adds every byte from `a` to `b` inclusive; reversed bounds are swapped, as
    /// `apparmor_parser` does.
    pub fn insert_range(&mut self, a: u8, b: u8) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        for byte in lo..=hi {
            self.insert(byte);
        }
    }

    /// Whether the set holds `byte`.
    pub fn contains(&self, byte: u8) -> bool {
        let (word, bit) = (usize::from(byte / 64), byte % 64);
        self.bits.get(word).is_some_and(|w| w & (1u64 << bit) != 0)
    }

    /// Every byte not in the set.
    pub fn complement(&self) -> ByteSet {
        ByteSet {
            bits: self.bits.map(|w| !w),
        }
    }

    /// The number of bytes in the set.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }

    /// The set as maximal inclusive ranges, in ascending order.
    pub fn ranges(&self) -> Vec<(u8, u8)> {
        let mut out = Vec::new();
        let mut start: Option<u8> = None;
        for byte in 0..=255u8 {
            match (self.contains(byte), start) {
                (true, None) => start = Some(byte),
                (false, Some(s)) => {
                    out.push((s, byte - 1));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push((s, 255));
        }
        out
    }
}

/// One node of the expression tree, over bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// Matches the empty string.
    Empty,
    /// Matches one byte.
    Byte(u8),
    /// Matches one byte out of a set (`[...]`, `[^...]`, and the expansions of `*`, `**`
    /// and `?`).
    Class {
        /// The bytes it matches (negation already applied).
        set: ByteSet,
        /// Whether it was written `[^...]` (which matters for [`Node::min_match_len`]).
        negated: bool,
    },
    /// Matches any one byte (`.`; globs never produce it, but the expression grammar has it).
    AnyByte,
    /// Matches the parts one after another.
    Concat(Vec<Node>),
    /// Matches any one of the alternatives.
    Alt(Vec<Node>),
    /// Matches zero or more repetitions.
    Star(Box<Node>),
    /// Matches one or more repetitions.
    Plus(Box<Node>),
}

impl Node {
    /// Whether the node matches exactly one fixed string.
    pub fn is_literal(&self) -> bool {
        match self {
            Node::Empty | Node::Byte(_) => true,
            Node::Concat(parts) => parts.iter().all(Node::is_literal),
            Node::Class { .. } | Node::AnyByte | Node::Alt(_) | Node::Star(_) | Node::Plus(_) => {
                false
            }
        }
    }

    /// `apparmor_parser`'s `min_match_len` of the expression tree, which it records as the
    /// attachment's `xmatch_len`: the length of the shortest match, except that counting
    /// stops after the first part that "contains an out-of-band character", which for this
    /// parser means any `[^...]` class (including the expansions of `*`, `**` and `?`), and
    /// that `*` repetitions count 0. Returns the length and whether such a part occurs.
    pub fn min_match_len(&self) -> (usize, bool) {
        match self {
            Node::Empty | Node::AnyByte => (0, false),
            Node::Byte(_) => (1, false),
            Node::Class { negated, .. } => (1, *negated),
            Node::Star(sub) => (0, sub.min_match_len().1),
            Node::Plus(sub) => sub.min_match_len(),
            Node::Concat(parts) => parts.iter().fold((0, false), |(len, oob), part| {
                let (plen, poob) = part.min_match_len();
                (if oob { len } else { len + plen }, oob || poob)
            }),
            Node::Alt(alts) => alts
                .iter()
                .map(Node::min_match_len)
                .fold(None, |acc: Option<(usize, bool)>, (len, oob)| match acc {
                    None => Some((len, oob)),
                    Some((l, o)) => Some((l.min(len), o || oob)),
                })
                .unwrap_or((0, false)),
        }
    }

    /// The fixed bytes of a literal node (see [`Node::is_literal`]), appended to `out`.
    pub(crate) fn literal_bytes(&self, out: &mut Vec<u8>) {
        match self {
            Node::Byte(b) => out.push(*b),
            Node::Concat(parts) => parts.iter().for_each(|p| p.literal_bytes(out)),
            _ => {}
        }
    }

    /// The same expression as a `regex-syntax` tree over bytes.
    pub fn to_hir(&self) -> Hir {
        match self {
            Node::Empty => Hir::empty(),
            Node::Byte(b) => Hir::literal([*b]),
            Node::Class { set, .. } => class_hir(set),
            Node::AnyByte => class_hir(&ByteSet::new().complement()),
            Node::Concat(parts) => Hir::concat(parts.iter().map(Node::to_hir).collect()),
            Node::Alt(alts) => Hir::alternation(alts.iter().map(Node::to_hir).collect()),
            Node::Star(sub) => repeat(sub, 0),
            Node::Plus(sub) => repeat(sub, 1),
        }
    }
}

fn class_hir(set: &ByteSet) -> Hir {
    let ranges = set
        .ranges()
        .into_iter()
        .map(|(a, b)| ClassBytesRange::new(a, b));
    Hir::class(Class::Bytes(ClassBytes::new(ranges)))
}

fn repeat(sub: &Node, min: u32) -> Hir {
    Hir::repetition(Repetition {
        min,
        max: None,
        greedy: true,
        sub: Box::new(sub.to_hir()),
    })
}
