//! The DFA table format (`aadfa` blobs) and the kernel's matching walk.
//!
//! The format follows the kernel's `security/apparmor/match.c`: a table-set header
//! (magic `0x1B5E783D`, header size, set size, flags, version string), then tables, each
//! with a 12-byte header (id, element width, hi length, lo length) and big-endian data
//! padded to 8 bytes. Table ids are flex's, one more than the kernel's internal index:
//! 1 accept, 2 base, 3 check, 4 default, 5 equivalence classes, 7 accept2, 8 next.
//! Loading applies the same structural checks as the kernel with `paranoid_load` on
//! (`verify_table_headers` and `verify_dfa`), so the walk below can never index out of
//! bounds or loop.

/// Kernel's `YYTH_MAGIC`.
const MAGIC: u32 = 0x1B5E_783D;
/// Header flags the kernel understands (diff encoding, out-of-band transitions).
const HEADER_FLAGS: u16 = 0x1 | 0x2;
const HEADER_FLAG_DIFF_ENCODE: u16 = 0x1;
const HEADER_FLAG_OOB: u16 = 0x2;

const MATCH_FLAG_DIFF_ENCODE: u32 = 0x8000_0000;
const MATCH_FLAG_OOB_TRANSITION: u32 = 0x2000_0000;
const MATCH_FLAGS_MASK: u32 = 0xff00_0000;
const MATCH_FLAGS_INVALID: u32 =
    MATCH_FLAGS_MASK & !(MATCH_FLAG_DIFF_ENCODE | MATCH_FLAG_OOB_TRANSITION);

const DATA8: u16 = 1;
const DATA16: u16 = 2;
const DATA32: u16 = 4;

/// The state every walk that fell off the automaton ends in.
pub const NOMATCH: u32 = 0;
/// The default start state.
pub const START: u32 = 1;

/// A loaded, verified DFA.
#[derive(Debug, Clone)]
pub struct Dfa {
    accept: Vec<u32>,
    accept2: Vec<u32>,
    base: Vec<u32>,
    default: Vec<u32>,
    next: Vec<u32>,
    check: Vec<u32>,
    equiv: Option<Vec<u8>>,
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(<[u8; 2]>::try_from(s).ok()?))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(<[u8; 4]>::try_from(s).ok()?))
}

impl Dfa {
    /// Reads a DFA from the bytes of an `aadfa` blob. The parser pads the blob's start
    /// with zero bytes so that the tables are 8-byte aligned in the stream; those are
    /// skipped first.
    pub fn load(blob: &[u8]) -> Result<Dfa, String> {
        let pad = blob.iter().take(8).take_while(|&&b| b == 0).count();
        let data = blob.get(pad..).ok_or("blob is empty")?;
        if data.len() < 14 {
            return Err(format!(
                "{} bytes cannot hold a table set header",
                data.len()
            ));
        }
        let magic = be_u32(data, 0).ok_or("short header")?;
        if magic != MAGIC {
            return Err(format!("bad magic {magic:#x}"));
        }
        let hsize = usize::try_from(be_u32(data, 4).ok_or("short header")?)
            .map_err(|_| "header size overflows")?;
        if hsize > data.len() || hsize < 14 {
            return Err(format!("header size {hsize} outside the blob"));
        }
        let flags = be_u16(data, 12).ok_or("short header")?;
        if flags & !HEADER_FLAGS != 0 {
            return Err(format!("unknown header flags {flags:#x}"));
        }

        let mut tables: [Option<Vec<u32>>; 8] = Default::default();
        let mut pos = hsize;
        while pos < data.len() {
            // Trailing zero padding after the last table is tolerated: a table id of 0
            // cannot start a real table.
            if data
                .get(pos..)
                .is_some_and(|rest| rest.iter().all(|&b| b == 0))
            {
                break;
            }
            let id = be_u16(data, pos).ok_or("short table header")?;
            let width = be_u16(data, pos + 2).ok_or("short table header")?;
            let len = usize::try_from(be_u32(data, pos + 8).ok_or("short table header")?)
                .map_err(|_| "table length overflows")?;
            if !(1..=8).contains(&id) {
                return Err(format!("table id {id} at offset {pos} is out of range"));
            }
            let el = match width {
                DATA8 => 1,
                DATA16 => 2,
                DATA32 => 4,
                w => return Err(format!("table {id} has unsupported width {w}")),
            };
            if len == 0 {
                return Err(format!("table {id} is empty"));
            }
            let body = len
                .checked_mul(el)
                .and_then(|n| n.checked_add(12))
                .ok_or("table size overflows")?;
            let total = body.checked_add(7).ok_or("table size overflows")? & !7;
            let start = pos + 12;
            let raw = data
                .get(start..pos + body)
                .ok_or_else(|| format!("table {id} runs past the blob"))?;
            let values: Vec<u32> = match width {
                DATA8 => raw.iter().map(|&b| u32::from(b)).collect(),
                DATA16 => raw
                    .chunks_exact(2)
                    .filter_map(|c| <[u8; 2]>::try_from(c).ok())
                    .map(|c| u32::from(u16::from_be_bytes(c)))
                    .collect(),
                _ => raw
                    .chunks_exact(4)
                    .filter_map(|c| <[u8; 4]>::try_from(c).ok())
                    .map(u32::from_be_bytes)
                    .collect(),
            };
            // Kernel's per-table width rules.
            let ok = match id {
                1 | 7 => width == DATA32,
                2 => width == DATA32,
                3 | 4 | 8 => width == DATA16 || width == DATA32,
                5 => width == DATA8,
                _ => false,
            };
            if !ok {
                return Err(format!("table {id} has width {width} the kernel refuses"));
            }
            let slot = tables
                .get_mut(usize::from(id) - 1)
                .ok_or("table id out of range")?;
            if slot.is_some() {
                return Err(format!("table {id} appears twice"));
            }
            *slot = Some(values);
            pos = pos.checked_add(total).ok_or("offset overflows")?;
        }

        let [accept, base, check, default, equiv, _meta, accept2, next] = tables;
        let base = base.ok_or("base table missing")?;
        let default = default.ok_or("default table missing")?;
        let next = next.ok_or("next table missing")?;
        let check = check.ok_or("check table missing")?;
        let accept = accept.ok_or("accept table missing")?;
        let accept2 = accept2.ok_or("accept2 table missing")?;
        let states = base.len();
        if accept.len() != states || accept2.len() != states || default.len() != states {
            return Err("accept, accept2, default and base differ in length".into());
        }
        if next.len() != check.len() {
            return Err("next and check differ in length".into());
        }
        let equiv = match equiv {
            Some(e) if e.len() != 256 => {
                return Err(format!(
                    "equivalence table has {} entries, not 256",
                    e.len()
                ))
            }
            Some(e) => Some(
                e.into_iter()
                    .map(|v| u8::try_from(v).unwrap_or(u8::MAX))
                    .collect(),
            ),
            None => None,
        };
        let dfa = Dfa {
            accept,
            accept2,
            base,
            default,
            next,
            check,
            equiv,
        };
        dfa.verify(flags)?;
        Ok(dfa)
    }

    /// The kernel's `verify_dfa`: every state and transition in bounds, flags valid,
    /// diff-encoding chains acyclic.
    fn verify(&self, header_flags: u16) -> Result<(), String> {
        let states = self.base.len();
        let trans = self.next.len();
        if states < 2 {
            return Err(format!("{states} states; the kernel needs at least 2"));
        }
        for (i, (&d, &b)) in self.default.iter().zip(&self.base).enumerate() {
            if d as usize >= states {
                return Err(format!("default of state {i} is out of bounds"));
            }
            if b & MATCH_FLAGS_INVALID != 0 {
                return Err(format!("state {i} has invalid match flags {b:#x}"));
            }
            if b & MATCH_FLAG_DIFF_ENCODE != 0 && header_flags & HEADER_FLAG_DIFF_ENCODE == 0 {
                return Err(format!("state {i} is diff encoded without the header flag"));
            }
            if b & MATCH_FLAG_OOB_TRANSITION != 0 && header_flags & HEADER_FLAG_OOB == 0 {
                return Err(format!(
                    "state {i} has an out-of-band transition without the header flag"
                ));
            }
            if (b & 0x00ff_ffff) as usize + 255 >= trans {
                return Err(format!("state {i}: next/check upper bound exceeded"));
            }
        }
        if let Some(i) = self.next.iter().position(|&n| n as usize >= states) {
            return Err(format!("next entry {i} is out of bounds"));
        }
        if let Some(i) = self.check.iter().position(|&n| n as usize >= states) {
            return Err(format!("check entry {i} is out of bounds"));
        }
        // A diff-encoded chain longer than the number of states must contain a loop.
        for start in 0..states {
            let mut s = start;
            let mut steps = 0usize;
            while self
                .base
                .get(s)
                .is_some_and(|b| b & MATCH_FLAG_DIFF_ENCODE != 0)
            {
                steps += 1;
                if steps > states {
                    return Err(format!("diff-encoding chain from state {start} loops"));
                }
                s = self.default.get(s).map_or(0, |&d| d as usize);
            }
        }
        Ok(())
    }

    /// Number of states (including the trap state 0).
    pub fn state_count(&self) -> usize {
        self.base.len()
    }

    /// One transition, as the kernel's `match_char`: follow default states (repeatedly
    /// for diff-encoded states) until the check table confirms the transition.
    pub fn next(&self, mut state: u32, byte: u8) -> u32 {
        let c = match &self.equiv {
            Some(eq) => eq.get(usize::from(byte)).copied().unwrap_or(byte),
            None => byte,
        };
        // The verification in `load` bounds every chain by the state count.
        for _ in 0..=self.base.len() {
            let Some(&b) = self.base.get(state as usize) else {
                return NOMATCH;
            };
            let pos = (b & 0x00ff_ffff) as usize + usize::from(c);
            if self.check.get(pos).copied() != Some(state) {
                state = self.default.get(state as usize).copied().unwrap_or(NOMATCH);
                if b & MATCH_FLAG_DIFF_ENCODE != 0 {
                    continue;
                }
                return state;
            }
            return self.next.get(pos).copied().unwrap_or(NOMATCH);
        }
        NOMATCH
    }

    /// The kernel's `aa_dfa_match_len`: consume every byte (NULs included).
    pub fn walk(&self, start: u32, bytes: &[u8]) -> u32 {
        if start == NOMATCH {
            return NOMATCH;
        }
        bytes.iter().fold(start, |s, &b| self.next(s, b))
    }

    /// The accept table entry of a state (0 for out-of-range states).
    pub fn accept(&self, state: u32) -> u32 {
        self.accept.get(state as usize).copied().unwrap_or(0)
    }

    /// The accept2 table entry of a state (0 for out-of-range states).
    pub fn accept2(&self, state: u32) -> u32 {
        self.accept2.get(state as usize).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(id: u16, width: u16, vals: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(id.to_be_bytes());
        out.extend(width.to_be_bytes());
        out.extend(0u32.to_be_bytes());
        out.extend((vals.len() as u32).to_be_bytes());
        for &v in vals {
            match width {
                1 => out.push(v as u8),
                2 => out.extend((v as u16).to_be_bytes()),
                _ => out.extend(v.to_be_bytes()),
            }
        }
        while out.len() % 8 != 0 {
            out.push(0);
        }
        out
    }

    /// A two-state-plus-trap automaton accepting exactly `a` (state 2).
    fn tiny(extra_pad: usize) -> Vec<u8> {
        let mut b = vec![0u8; extra_pad];
        b.extend(MAGIC.to_be_bytes());
        b.extend(24u32.to_be_bytes());
        b.extend(0u32.to_be_bytes());
        b.extend(0u16.to_be_bytes());
        b.extend(b"notflex\0");
        b.extend([0u8, 0]);
        let mut next = vec![0u32; 256 + 3];
        let mut check = vec![0u32; 256 + 3];
        next[1 + usize::from(b'a')] = 2;
        check[1 + usize::from(b'a')] = 1;
        b.extend(table(1, 4, &[0, 0, 7]));
        b.extend(table(7, 4, &[0, 0, 0]));
        b.extend(table(2, 4, &[0, 1, 2]));
        b.extend(table(4, 2, &[0, 0, 0]));
        b.extend(table(8, 4, &next));
        b.extend(table(3, 4, &check));
        b
    }

    #[test]
    fn loads_and_walks_a_tiny_automaton() {
        let d = Dfa::load(&tiny(0)).unwrap();
        assert_eq!(d.state_count(), 3);
        let s = d.walk(START, b"a");
        assert_eq!(s, 2);
        assert_eq!(d.accept(s), 7);
        assert_eq!(d.walk(START, b"aa"), NOMATCH);
        assert_eq!(d.walk(START, b"b"), NOMATCH);
        let padded = Dfa::load(&tiny(5)).unwrap();
        assert_eq!(padded.walk(START, b"a"), 2);
    }

    #[test]
    fn corrupt_tables_are_refused() {
        let mut b = tiny(0);
        b[0] ^= 0xff;
        assert!(Dfa::load(&b).unwrap_err().contains("magic"));
        let b = tiny(0);
        assert!(Dfa::load(&b[..b.len() - 16]).is_err());
        // A next entry pointing past the states.
        let mut b = tiny(0);
        let n = b.len();
        let _ = n;
        let good = Dfa::load(&b).unwrap();
        assert_eq!(good.state_count(), 3);
        let idx = b.windows(4).rposition(|w| w == 2u32.to_be_bytes()).unwrap();
        b[idx + 3] = 9;
        assert!(Dfa::load(&b).is_err());
    }
}
