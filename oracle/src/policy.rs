//! The compiled policy: profiles as the kernel's `unpack_profile` sees them, and the file
//! permission lookup of `security/apparmor/file.c`.

use crate::dfa::{Dfa, NOMATCH, START};
use crate::error::OracleError;
use crate::perms::{OraclePerms, HALF_MASK, OTHER_SHIFT};
use crate::stream::{self, Element, Value};

/// The kernel's class index of file rules inside a `policydb`.
const CLASS_FILE: u8 = 2;

/// Capability names by number, as Linux numbers them (`include/uapi/linux/capability.h`)
/// and AppArmor spells them in rules.
pub const CAPABILITIES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// The number of a capability name (`sys_admin` → 21), if Linux knows it.
pub fn capability_number(name: &str) -> Option<u32> {
    CAPABILITIES
        .iter()
        .position(|&c| c == name)
        .and_then(|i| u32::try_from(i).ok())
}

/// A profile's mode, from the second word of its `flags` struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileMode {
    /// 0: enforce.
    Enforce,
    /// 1: complain.
    Complain,
    /// 2: kill.
    Kill,
    /// 3: unconfined.
    Unconfined,
    /// 4: user (prompt).
    User,
}

/// Capability masks of a profile (bit `n` is capability number `n`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Allowed and not denied.
    pub allow: u64,
    /// Allowed and audited.
    pub audit: u64,
    /// Denied and quiet.
    pub quiet: u64,
}

/// One profile of the compiled policy.
#[derive(Debug, Clone)]
pub struct CompiledProfile {
    /// Full name (children as `parent//child`).
    pub name: String,
    /// Namespace from the stream header, if any.
    pub namespace: Option<String>,
    /// The `attach` string, if the profile has an attachment.
    pub attach: Option<String>,
    /// The profile's mode.
    pub mode: ProfileMode,
    /// Whether the `flags` struct marks it a hat.
    pub hat: bool,
    /// `audit` flag of the profile.
    pub audit_all: bool,
    /// `path_flags`, when present.
    pub path_flags: Option<u32>,
    /// Capability masks.
    pub caps: Capabilities,
    /// The ABI version word of the stream header the profile came under.
    pub version: u32,
    file: Option<Pdb>,
    policydb: Option<Pdb>,
    xmatch: Option<Pdb>,
    /// `net_allowed_af`: per address family (allow, audit, quiet) socket-type masks.
    net_allowed_af: Option<Vec<[u16; 3]>>,
}

/// A DFA with its start states and exec transition table (`struct aa_policydb`).
#[derive(Debug, Clone)]
struct Pdb {
    dfa: Dfa,
    start: u32,
    file_start: u32,
    xtable: Vec<String>,
}

/// The kernel's answer to a hard-link request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkDecision {
    /// The link may be created.
    Allowed,
    /// It may not; the reason is the kernel's audit `info` (or its situation).
    Denied(&'static str),
}

const LINK_BIT: u32 = 0x10;
const LOCK_BIT: u32 = 0x20;

fn half_of(accept: u32, owner: bool) -> u32 {
    (accept >> if owner { 0 } else { OTHER_SHIFT }) & HALF_MASK
}

/// The kernel's exec index as `dfa_map_xindex` builds it from a half's qualifier bits,
/// with the unsafe bit split off: (unconfined, inherit, kind/index), unsafe.
fn xindex(half: u32) -> ((bool, bool, u32), bool) {
    let idx = (half >> 10) & 0xf;
    let unconfined = half & 0x80 != 0 || idx == 1;
    let inherit = half & 0x200 != 0;
    let kind = if idx == 1 { 0 } else { idx };
    ((unconfined, inherit, kind), half & 0x100 != 0)
}

/// The kernel's `xindex_is_subset`: same transition, and an unsafe link needs an unsafe
/// target.
fn xindex_is_subset(link: u32, target: u32) -> bool {
    let (l, l_unsafe) = xindex(link);
    let (t, t_unsafe) = xindex(target);
    l == t && (!l_unsafe || t_unsafe)
}

/// The whole output of one parser run.
#[derive(Debug, Clone)]
pub struct BinaryPolicy {
    profiles: Vec<CompiledProfile>,
    warnings: String,
    size: usize,
}

fn str_of(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

fn bad(profile: &str, message: impl Into<String>) -> OracleError {
    OracleError::Profile {
        profile: profile.to_string(),
        message: message.into(),
    }
}

impl BinaryPolicy {
    /// Reads the stream `apparmor_parser -S` writes: per profile an optional header
    /// (`version`, `namespace`) and a `profile` struct.
    pub fn from_bytes(bytes: &[u8]) -> Result<BinaryPolicy, OracleError> {
        let elements = stream::parse(bytes)?;
        let mut profiles = Vec::new();
        let mut version = 0u32;
        let mut namespace = None;
        for el in &elements {
            match (&el.name, &el.value) {
                (Some(n), Value::U32(v)) if n == "version" => version = *v,
                (Some(n), Value::Str(s)) if n == "namespace" => namespace = Some(str_of(s)),
                (Some(n), Value::Struct(children)) if n == "profile" => {
                    unpack_profile(children, version, namespace.clone(), &mut profiles)?
                }
                _ => {
                    return Err(OracleError::Stream {
                        offset: el.offset,
                        message: format!(
                            "unexpected top-level element `{}`",
                            el.name.as_deref().unwrap_or("(unnamed)")
                        ),
                    })
                }
            }
        }
        // The kernel refuses versions outside v5..v9 (ABI in the low 10 bits).
        if let Some(p) = profiles.first() {
            let abi = p.version & 0x3ff;
            if !(5..=9).contains(&abi) {
                return Err(OracleError::Stream {
                    offset: 0,
                    message: format!("unsupported interface version {abi}"),
                });
            }
        }
        Ok(BinaryPolicy {
            profiles,
            warnings: String::new(),
            size: bytes.len(),
        })
    }

    pub(crate) fn set_warnings(&mut self, stderr: String) {
        self.warnings = stderr;
    }

    /// What the parser printed on stderr while compiling successfully (warnings).
    pub fn warnings(&self) -> &str {
        &self.warnings
    }

    /// Size of the binary policy in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Names of all profiles, children included, in stream order.
    pub fn profiles(&self) -> Vec<String> {
        self.profiles.iter().map(|p| p.name.clone()).collect()
    }

    /// A profile by full name.
    pub fn profile(&self, name: &str) -> Result<&CompiledProfile, OracleError> {
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| OracleError::UnknownProfile {
                name: name.to_string(),
                known: self.profiles().join(", "),
            })
    }

    /// The permissions the kernel grants `profile` on `path`, for a file the task owns
    /// (`owner` true: the "user" half of the accept entry, which is what `owner` rules
    /// compile to) or does not own (the "other" half). `path` is the name the kernel
    /// builds, e.g. directories end in `/`.
    pub fn file_perms(
        &self,
        profile: &str,
        path: &str,
        owner: bool,
    ) -> Result<OraclePerms, OracleError> {
        self.profile(profile)?.file_perms(path, owner)
    }

    /// Permissions on a link pair, as the kernel's `__aa_path_link` walks it: the link
    /// name, a NUL transition, then the target. Returns the perms at the link name (its
    /// `l` bit is what allows creating the link) and at the end of the pair (whose `k`
    /// position is the `subset` marker there).
    pub fn link_perms(
        &self,
        profile: &str,
        link: &str,
        target: &str,
        owner: bool,
    ) -> Result<(OraclePerms, OraclePerms), OracleError> {
        self.profile(profile)?.link_perms(link, target, owner)
    }
}

impl CompiledProfile {
    /// See [`BinaryPolicy::file_perms`].
    pub fn file_perms(&self, path: &str, owner: bool) -> Result<OraclePerms, OracleError> {
        check_query(path)?;
        let Some(pdb) = &self.file else {
            // No file DFA: the kernel falls back to the policydb's file class if the
            // policydb has one, else to the null DFA, which grants nothing.
            return self.policydb_file_fallback(path.as_bytes(), owner);
        };
        let state = pdb.dfa.walk(pdb.file_start, path.as_bytes());
        Ok(self.fperms(pdb, state, owner))
    }

    /// See [`BinaryPolicy::link_perms`].
    pub fn link_perms(
        &self,
        link: &str,
        target: &str,
        owner: bool,
    ) -> Result<(OraclePerms, OraclePerms), OracleError> {
        check_query(link)?;
        check_query(target)?;
        let Some(pdb) = self.file_pdb() else {
            return Ok((OraclePerms::none(), OraclePerms::none()));
        };
        let first = pdb.dfa.walk(self.file_start(pdb), link.as_bytes());
        let link_perms = self.fperms(pdb, first, owner);
        let second = pdb.dfa.walk(pdb.dfa.next(first, 0), target.as_bytes());
        Ok((link_perms, self.fperms(pdb, second, owner)))
    }

    fn fperms(&self, pdb: &Pdb, state: u32, owner: bool) -> OraclePerms {
        let shift = if owner { 0 } else { OTHER_SHIFT };
        let accept = pdb.dfa.accept(state);
        let accept2 = pdb.dfa.accept2(state);
        let half = (accept >> shift) & HALF_MASK;
        // accept2 packs audit (7 bits) then quiet (7 bits) per half.
        let audit = (accept2 >> shift) & 0x7f;
        let quiet = (accept2 >> (shift + 7)) & 0x7f;
        OraclePerms::from_parts(state, accept, accept2, half, audit, quiet, &pdb.xtable)
    }

    fn policydb_file_fallback(&self, path: &[u8], owner: bool) -> Result<OraclePerms, OracleError> {
        // Linux 6.1 (Debian 12): with no file DFA, `unpack_profile` points the file rules
        // at the policydb DFA, starting at the file class state, and decodes its accept
        // entries with the same user/other layout as a file DFA.
        let Some(pdb) = &self.policydb else {
            return Ok(OraclePerms::none());
        };
        let file_start = pdb.dfa.next(pdb.start, CLASS_FILE);
        if file_start == NOMATCH {
            return Ok(OraclePerms::none());
        }
        let state = pdb.dfa.walk(file_start, path);
        Ok(self.fperms(pdb, state, owner))
    }

    /// The kernel's link decision (`profile_path_link`): may a hard link named `link`
    /// be made to the existing file `target`? `owner` is whether the task owns the
    /// target inode.
    pub fn link_allowed(
        &self,
        link: &str,
        target: &str,
        owner: bool,
    ) -> Result<LinkDecision, OracleError> {
        check_query(link)?;
        check_query(target)?;
        let Some(pdb) = self.file_pdb() else {
            return Ok(LinkDecision::Denied("no file rules"));
        };
        let start = self.file_start(pdb);
        let lstate = pdb.dfa.walk(start, link.as_bytes());
        let lhalf = half_of(pdb.dfa.accept(lstate), owner);
        if lhalf & LINK_BIT == 0 {
            return Ok(LinkDecision::Denied("link name lacks `l`"));
        }
        let pstate = pdb.dfa.walk(pdb.dfa.next(lstate, 0), target.as_bytes());
        let phalf = half_of(pdb.dfa.accept(pstate), owner);
        if phalf & LINK_BIT == 0 {
            return Ok(LinkDecision::Denied("target restricted"));
        }
        // In the pair's accept entry the lock position is the `subset` marker.
        if phalf & LOCK_BIT == 0 {
            return Ok(LinkDecision::Allowed);
        }
        let tstate = pdb.dfa.walk(start, target.as_bytes());
        let thalf = half_of(pdb.dfa.accept(tstate), owner);
        // The permission bits other than `l` the link would carry must all be held by
        // the target (map_old_perms maps each old bit to distinct new bits, so the
        // comparison can be done on the old bits).
        let request = lhalf & 0x6f;
        if request & !thalf != 0 {
            return Ok(LinkDecision::Denied("link not subset of target"));
        }
        if request & 1 != 0 && !xindex_is_subset(lhalf, thalf) {
            return Ok(LinkDecision::Denied("link not subset of target"));
        }
        Ok(LinkDecision::Allowed)
    }

    fn file_pdb(&self) -> Option<&Pdb> {
        match &self.file {
            Some(p) => Some(p),
            None => self
                .policydb
                .as_ref()
                .filter(|p| p.dfa.next(p.start, CLASS_FILE) != NOMATCH),
        }
    }

    fn file_start(&self, pdb: &Pdb) -> u32 {
        if self.file.is_some() {
            pdb.file_start
        } else {
            pdb.dfa.next(pdb.start, CLASS_FILE)
        }
    }

    /// Whether the profile has capability number `cap` allowed (bit set in the
    /// capability mask the kernel reads).
    pub fn capability_allowed(&self, cap: u32) -> bool {
        cap < 64 && self.caps.allow & (1u64 << cap) != 0
    }

    /// The raw policydb walk: the accept entry after starting at the policydb start
    /// state and consuming `bytes` (the first byte is the rule class, e.g. 7 for mount,
    /// 4 for network). `None` when the profile has no policydb.
    pub fn policydb_accept(&self, bytes: &[u8]) -> Option<(u32, u32)> {
        let pdb = self.policydb.as_ref()?;
        let s = pdb.dfa.walk(pdb.start, bytes);
        Some((pdb.dfa.accept(s), pdb.dfa.accept2(s)))
    }

    /// Whether the capability named `name` is allowed; `None` for an unknown name.
    pub fn capability_allowed_by_name(&self, name: &str) -> Option<bool> {
        capability_number(name).map(|n| self.capability_allowed(n))
    }

    /// What the `net_allowed_af` table says about creating a socket of `family` (Linux
    /// `AF_*` number) and `sock_type` (`SOCK_*` number): per family a mask of allowed
    /// socket types, the encoding kernels with the `network` af_mask feature read.
    /// `None` when the policy has no such table. This is the table's answer only: the
    /// policydb network class (class 4, which newer kernels use for `network_v8` and for
    /// fine-grained unix rules) is not decoded, because Debian 12's parser never writes
    /// network rules into it and its decoding could not be checked. Compiled without kernel
    /// features (`-Q`/`-K` with Debian's pinned feature file), 3.0.8 writes neither table,
    /// so this returns `None`; that says nothing about enforcement on a host, where the
    /// parser sees the kernel's features and does write them (the kernel test shows
    /// `deny network alg` blocking AF_ALG sockets on Linux 6.1).
    pub fn net_allowed_af(&self, family: u16, sock_type: u16) -> Option<bool> {
        let table = self.net_allowed_af.as_ref()?;
        Some(
            table
                .get(usize::from(family))
                .is_some_and(|e| sock_type < 16 && e[0] & (1 << sock_type) != 0),
        )
    }

    /// Whether the policydb mediates rule class `class` (its start transition exists).
    pub fn policydb_mediates(&self, class: u8) -> bool {
        self.policydb
            .as_ref()
            .is_some_and(|p| p.dfa.next(p.start, class) != NOMATCH)
    }

    /// Whether the profile carries a file DFA.
    pub fn has_file_dfa(&self) -> bool {
        self.file.is_some()
    }

    /// Whether the profile carries a policydb.
    pub fn has_policydb(&self) -> bool {
        self.policydb.is_some()
    }

    /// Whether the profile carries an attachment (xmatch) DFA.
    pub fn has_xmatch(&self) -> bool {
        self.xmatch.is_some()
    }

    /// The exec transition table (`xtable`) of the file DFA.
    pub fn exec_table(&self) -> &[String] {
        self.file.as_ref().map_or(&[], |p| p.xtable.as_slice())
    }

    /// Number of states of the file DFA (0 when absent).
    pub fn file_dfa_states(&self) -> usize {
        self.file.as_ref().map_or(0, |p| p.dfa.state_count())
    }
}

fn check_query(path: &str) -> Result<(), OracleError> {
    if path.as_bytes().contains(&0) {
        return Err(OracleError::Query {
            query: path.escape_debug().to_string(),
            message: "a kernel path name cannot contain a NUL byte".into(),
        });
    }
    Ok(())
}

/// Accumulates the pieces of one `struct aa_policydb` as they appear in order.
#[derive(Default)]
struct PdbParts {
    dfa: Option<Dfa>,
    start: Option<u32>,
    file_start: Option<u32>,
    xtable: Option<Vec<String>>,
}

impl PdbParts {
    fn finish(self) -> Option<Pdb> {
        let dfa = self.dfa?;
        Some(Pdb {
            dfa,
            start: self.start.unwrap_or(START),
            file_start: self.file_start.unwrap_or(START),
            xtable: self.xtable.unwrap_or_default(),
        })
    }
}

fn load_dfa(profile: &str, which: &'static str, data: &[u8]) -> Result<Dfa, OracleError> {
    Dfa::load(data).map_err(|message| OracleError::Dfa {
        profile: profile.to_string(),
        which,
        message,
    })
}

fn read_xtable(profile: &str, children: &[Element]) -> Result<Vec<String>, OracleError> {
    let [Element {
        value: Value::Array { items, count },
        ..
    }] = children
    else {
        return Err(bad(profile, "xtable is not a single array"));
    };
    if usize::from(*count) != items.len() {
        return Err(bad(
            profile,
            "xtable announces a different number of entries than it holds",
        ));
    }
    items
        .iter()
        .map(|it| match &it.value {
            // The kernel turns the NUL separating `:ns` from the name back into `:`.
            Value::Str(s) => Ok(str_of(s).replace('\0', ":")),
            _ => Err(bad(profile, "xtable entry is not a string")),
        })
        .collect()
}

fn u32s(children: &[Element]) -> Vec<u32> {
    children
        .iter()
        .filter_map(|c| match c.value {
            Value::U32(v) => Some(v),
            _ => None,
        })
        .collect()
}

/// Reads a `policydb` struct's children.
fn read_pdb(
    profile: &str,
    which: &'static str,
    children: &[Element],
) -> Result<PdbParts, OracleError> {
    let mut parts = PdbParts::default();
    for c in children {
        match (&c.name, &c.value) {
            (Some(n), Value::Blob { data, .. }) if n == "aadfa" => {
                parts.dfa = Some(load_dfa(profile, which, data)?)
            }
            (Some(n), Value::U32(v)) if n == "start" => parts.start = Some(*v),
            (Some(n), Value::U32(v)) if n == "dfa_start" => parts.file_start = Some(*v),
            (Some(n), Value::Struct(x)) if n == "xtable" => {
                parts.xtable = Some(read_xtable(profile, x)?)
            }
            (Some(n), Value::Struct(_)) if n == "perms" => {
                return Err(bad(
                    profile,
                    "permission tables (policy ABI v9) are not supported by the oracle",
                ))
            }
            _ => {}
        }
    }
    Ok(parts)
}

fn unpack_profile(
    children: &[Element],
    version: u32,
    namespace: Option<String>,
    out: &mut Vec<CompiledProfile>,
) -> Result<(), OracleError> {
    let name = match children.first() {
        Some(Element {
            name: None,
            value: Value::Str(s),
            ..
        }) if !s.is_empty() => str_of(s),
        _ => return Err(bad("?", "profile struct does not start with its name")),
    };
    let mut attach = None;
    let mut xmatch = PdbParts::default();
    let mut file = PdbParts::default();
    let mut policydb = None;
    let mut flags: Option<Vec<u32>> = None;
    let mut path_flags = None;
    let mut caps_low = Vec::new();
    let mut caps_high = Vec::new();
    let mut hats = Vec::new();
    let mut net_allowed_af = None;

    for c in children.iter().skip(1) {
        let before_flags = flags.is_none();
        match (&c.name, &c.value) {
            (Some(n), Value::Str(s)) if n == "attach" => attach = Some(str_of(s)),
            (Some(n), Value::Blob { data, .. }) if n == "aadfa" => {
                if before_flags {
                    xmatch.dfa = Some(load_dfa(&name, "xmatch", data)?);
                } else {
                    file.dfa = Some(load_dfa(&name, "file", data)?);
                }
            }
            (Some(n), Value::Struct(_)) if n == "perms" => {
                return Err(bad(
                    &name,
                    "permission tables (policy ABI v9) are not supported by the oracle",
                ))
            }
            (Some(n), Value::U32(v)) if n == "start" || n == "dfa_start" => {
                let target = if before_flags { &mut xmatch } else { &mut file };
                if n == "start" {
                    target.start = Some(*v);
                } else {
                    target.file_start = Some(*v);
                }
            }
            (Some(n), Value::Struct(x)) if n == "xtable" => {
                let t = read_xtable(&name, x)?;
                if before_flags {
                    xmatch.xtable = Some(t);
                } else {
                    file.xtable = Some(t);
                }
            }
            (Some(n), Value::Struct(f)) if n == "flags" => {
                let words = u32s(f);
                if words.len() != 3 {
                    return Err(bad(&name, "flags struct does not hold three u32"));
                }
                flags = Some(words);
            }
            (Some(n), Value::U32(v)) if n == "path_flags" => path_flags = Some(*v),
            (None, Value::U32(v)) if !before_flags && caps_low.len() < 4 => caps_low.push(*v),
            (Some(n), Value::Struct(x)) if n == "caps64" => caps_high = u32s(x),
            (Some(n), Value::Array { count, items }) if n == "net_allowed_af" => {
                let words: Vec<u16> = items
                    .iter()
                    .filter_map(|i| match i.value {
                        Value::U16(v) => Some(v),
                        _ => None,
                    })
                    .collect();
                if words.len() != items.len() || words.len() != usize::from(*count) * 3 {
                    return Err(bad(&name, "net_allowed_af is not three u16 per family"));
                }
                net_allowed_af = Some(
                    words
                        .chunks_exact(3)
                        .filter_map(|c| <[u16; 3]>::try_from(c).ok())
                        .collect(),
                );
            }
            (Some(n), Value::Struct(x)) if n == "policydb" => {
                policydb = read_pdb(&name, "policydb", x)?.finish();
                if policydb.is_none() {
                    return Err(bad(&name, "policydb without a dfa"));
                }
            }
            (Some(n), Value::List(items)) if n == "hats" => hats.extend(items.iter()),
            _ => {}
        }
    }
    let Some(flags) = flags else {
        return Err(bad(&name, "profile missing flags"));
    };
    if caps_low.len() != 4 {
        return Err(bad(&name, "profile capabilities are incomplete"));
    }
    let mode = match flags.get(1).copied().unwrap_or(u32::MAX) {
        0 => ProfileMode::Enforce,
        1 => ProfileMode::Complain,
        2 => ProfileMode::Kill,
        3 => ProfileMode::Unconfined,
        4 => ProfileMode::User,
        m => return Err(bad(&name, format!("unknown profile mode {m}"))),
    };
    let word = |v: &Vec<u32>, i: usize| u64::from(v.get(i).copied().unwrap_or(0));
    let caps = Capabilities {
        allow: word(&caps_low, 0) | (word(&caps_high, 0) << 32),
        audit: word(&caps_low, 1) | (word(&caps_high, 1) << 32),
        quiet: word(&caps_low, 2) | (word(&caps_high, 2) << 32),
    };
    let file = file.finish();
    if let Some(f) = &file {
        // The kernel's verify_dfa_xindex: table indexes must name existing entries.
        for s in 0..f.dfa.state_count() {
            let a = f.dfa.accept(u32::try_from(s).unwrap_or(u32::MAX));
            for half in [a & HALF_MASK, (a >> OTHER_SHIFT) & HALF_MASK] {
                let idx = (half >> 10) & 0xf;
                if idx >= 4 && (idx - 4) as usize >= f.xtable.len() {
                    return Err(bad(
                        &name,
                        format!("state {s} names exec table entry {idx} which does not exist"),
                    ));
                }
            }
        }
    }
    out.push(CompiledProfile {
        name: name.clone(),
        namespace: namespace.clone(),
        attach,
        mode,
        hat: flags.first().is_some_and(|f| f & 1 != 0),
        audit_all: flags.get(2).is_some_and(|&a| a != 0),
        path_flags,
        caps,
        version,
        file,
        policydb,
        xmatch: xmatch.finish(),
        net_allowed_af,
    });
    // Older streams nest hats in a `hats` list instead of flattening them.
    for h in hats {
        if let Value::Struct(c) = &h.value {
            let before = out.len();
            unpack_profile(c, version, namespace.clone(), out)?;
            for p in out.iter_mut().skip(before) {
                if !p.name.contains("//") {
                    p.name = format!("{name}//{}", p.name);
                }
            }
        }
    }
    Ok(())
}
