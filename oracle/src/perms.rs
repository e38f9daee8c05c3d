//! Decoding the old-format accept entries of the file DFA.
//!
//! Each accept entry holds two 14-bit halves: bits 0–13 for files the task owns
//! ("user", what `owner` rules compile to) and bits 14–27 for the rest ("other"). In a
//! half, bits 0–6 are the permissions (`x` 1, `w` 2, `r` 4, `a` 8, `l` 0x10, `k` 0x20,
//! `m` 0x40) and bits 7–13 the exec qualifiers (0x80 fall back to unconfined, 0x100
//! unsafe i.e. no environment scrubbing, 0x200 inherit, 0x400–0x2000 a 4-bit index:
//! 1 unconfined, 2 profile by path name, 3 child by path name, ≥4 entry `index-4` of the
//! exec table). Bit 30 is change_onexec and bit 31 change_profile, shared by both halves.
//! The accept2 entry packs audit and quiet masks (7 bits each) per half. This is the
//! layout `map_old_perms`/`compute_fperms` in the kernel decode.

/// Where the "other" half starts.
pub const OTHER_SHIFT: u32 = 14;
/// Mask of one half.
pub const HALF_MASK: u32 = 0x3fff;

const LETTERS: [(u32, char); 7] = [
    (0x4, 'r'),
    (0x2, 'w'),
    (0x8, 'a'),
    (0x1, 'x'),
    (0x40, 'm'),
    (0x20, 'k'),
    (0x10, 'l'),
];

/// Permission bits of one half as letters in the order `rwaxmkl`.
pub fn letters(bits: u32) -> String {
    LETTERS
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// The domain an exec transition goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecTarget {
    /// `ix`: stay in the current profile.
    Inherit,
    /// `ux`: run unconfined.
    Unconfined,
    /// `px` without a target: the profile attached to the executable's path.
    Profile,
    /// `cx` without a target: the child profile attached to the executable's path.
    Child,
    /// `px -> name` / `cx -> name`: an entry of the exec table (the parser writes child
    /// targets as `parent//child`).
    Named(String),
    /// An index the kernel would treat as a table reference but that names nothing.
    Unknown(u32),
}

/// The exec transition of an allowed `x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecTransition {
    /// Where the transition goes.
    pub target: ExecTarget,
    /// Upper-case modes (`Px`, `Cx`, `Ux`): the environment is scrubbed. Lower case
    /// sets the unsafe bit.
    pub scrub: bool,
    /// `pix`/`cix`: inherit when the target profile does not exist.
    pub inherit_fallback: bool,
    /// `pux`/`cux`: run unconfined when the target profile does not exist.
    pub unconfined_fallback: bool,
    /// The raw 7 qualifier bits (half bits 7–13), for debugging.
    pub raw: u32,
}

/// What the kernel grants for one path, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OraclePerms {
    /// Allowed permissions (after deny rules removed theirs), letters `rwaxmkl`.
    pub allow: String,
    /// Permissions that are audited when allowed.
    pub audit: String,
    /// Denied permissions whose denial is not logged (plain `deny` rules).
    pub quiet: String,
    /// The exec transition, when `x` is allowed.
    pub exec: Option<ExecTransition>,
    /// change_profile is allowed for this name (bit 31).
    pub change_profile: bool,
    /// change_onexec is allowed for this name (bit 30).
    pub change_onexec: bool,
    /// The DFA state the walk ended in (0: fell off the automaton).
    pub state: u32,
    /// Raw accept entry.
    pub accept: u32,
    /// Raw accept2 entry.
    pub accept2: u32,
}

impl OraclePerms {
    /// No permission at all (the kernel's null DFA).
    pub fn none() -> OraclePerms {
        OraclePerms {
            allow: String::new(),
            audit: String::new(),
            quiet: String::new(),
            exec: None,
            change_profile: false,
            change_onexec: false,
            state: 0,
            accept: 0,
            accept2: 0,
        }
    }

    pub(crate) fn from_parts(
        state: u32,
        accept: u32,
        accept2: u32,
        half: u32,
        audit: u32,
        quiet: u32,
        xtable: &[String],
    ) -> OraclePerms {
        let exec = (half & 1 != 0).then(|| decode_exec(half, xtable)).flatten();
        OraclePerms {
            allow: letters(half & 0x7f),
            audit: letters(audit),
            quiet: letters(quiet),
            exec,
            change_profile: accept & 0x8000_0000 != 0,
            change_onexec: accept & 0x4000_0000 != 0,
            state,
            accept,
            accept2,
        }
    }

    /// Whether every letter of `request` (e.g. `"w"`, `"rw"`) is allowed.
    pub fn allows(&self, request: &str) -> bool {
        request.chars().all(|c| self.allow.contains(c))
    }

    /// The exec mode in rule syntax (`ix`, `Px`, `pix`, `Cx`, `PUx`, ...) when `x` is
    /// allowed; named targets are written `px`/`cx` from the table entry's shape (a `//`
    /// means a child).
    pub fn exec_letters(&self) -> Option<String> {
        let e = self.exec.as_ref()?;
        let kind = match &e.target {
            ExecTarget::Inherit => 'i',
            ExecTarget::Unconfined => 'u',
            ExecTarget::Profile => 'p',
            ExecTarget::Child => 'c',
            ExecTarget::Named(n) if n.contains("//") => 'c',
            ExecTarget::Named(_) | ExecTarget::Unknown(_) => 'p',
        };
        let mut s = String::new();
        let upper = e.scrub && kind != 'i';
        s.push(if upper {
            kind.to_ascii_uppercase()
        } else {
            kind
        });
        if e.inherit_fallback && kind != 'i' {
            s.push('i');
        }
        if e.unconfined_fallback {
            s.push(if upper { 'U' } else { 'u' });
        }
        s.push('x');
        Some(s)
    }
}

fn decode_exec(half: u32, xtable: &[String]) -> Option<ExecTransition> {
    let raw = (half >> 7) & 0x7f;
    let pux = half & 0x80 != 0;
    let unsafe_ = half & 0x100 != 0;
    let inherit = half & 0x200 != 0;
    let index = (half >> 10) & 0xf;
    let target = match index {
        0 if inherit => ExecTarget::Inherit,
        0 if pux => ExecTarget::Unconfined,
        0 => return None,
        1 => ExecTarget::Unconfined,
        2 => ExecTarget::Profile,
        3 => ExecTarget::Child,
        i => match xtable.get((i - 4) as usize) {
            Some(n) => ExecTarget::Named(n.clone()),
            None => ExecTarget::Unknown(i),
        },
    };
    let inherit_fallback = inherit && target != ExecTarget::Inherit;
    Some(ExecTransition {
        target,
        scrub: !unsafe_,
        inherit_fallback,
        unconfined_fallback: pux && index >= 2,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_follow_canonical_order() {
        assert_eq!(letters(0x7f), "rwaxmkl");
        assert_eq!(letters(0x4 | 0x40), "rm");
        assert_eq!(letters(0), "");
    }

    #[test]
    fn exec_qualifiers_decode() {
        // Px: profile index 2, no unsafe bit.
        let p = OraclePerms::from_parts(3, 0, 0, 1 | (2 << 10), 0, 0, &[]);
        assert_eq!(p.exec_letters().as_deref(), Some("Px"));
        // pix: unsafe, inherit, index 2.
        let p = OraclePerms::from_parts(3, 0, 0, 1 | 0x100 | 0x200 | (2 << 10), 0, 0, &[]);
        assert_eq!(p.exec_letters().as_deref(), Some("pix"));
        // Named entry 4 -> table[0].
        let t = vec!["foo".to_string()];
        let p = OraclePerms::from_parts(3, 0, 0, 1 | (4 << 10), 0, 0, &t);
        assert_eq!(p.exec.unwrap().target, ExecTarget::Named("foo".into()));
        // No x: no exec transition even if qualifier bits are set.
        let p = OraclePerms::from_parts(3, 0, 0, 4 | (2 << 10), 0, 0, &[]);
        assert!(p.exec.is_none());
    }
}
