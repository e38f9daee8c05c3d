//! The resolved policy: what remains after includes, variables, aliases and conditionals
//! are expanded. This is the contract between the resolver (which produces it) and the
//! compiler/evaluator, the formatter's soundness test, the exporters, the CLI and the web
//! app (which consume it).
//!
//! Every rule keeps the location of its source text, through includes, so that a decision
//! can say which line of which file decided it.

use crate::source::Location;
use serde::{Deserialize, Serialize};

/// A whole resolved policy: every top-level profile of the main text and its includes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Top-level profiles, in source order. Hats and child profiles are inside them.
    pub profiles: Vec<Profile>,
    /// The `abi <...>,` the main file declares, as written inside the brackets or quotes
    /// (e.g. `abi/3.0`), if any.
    pub abi: Option<String>,
}

impl Policy {
    /// Finds a profile by its full name (`parent//child` for hats and children), or by its
    /// attachment when no name matches.
    pub fn find(&self, name: &str) -> Option<&Profile> {
        fn walk<'a>(ps: &'a [Profile], name: &str) -> Option<&'a Profile> {
            ps.iter()
                .find(|p| p.full_name == name)
                .or_else(|| ps.iter().find_map(|p| walk(&p.children, name)))
        }
        walk(&self.profiles, name).or_else(|| {
            self.profiles
                .iter()
                .find(|p| p.attachment.as_deref() == Some(name))
        })
    }

    /// Every profile, depth first (parents before their hats and children).
    pub fn all_profiles(&self) -> Vec<&Profile> {
        fn walk<'a>(ps: &'a [Profile], out: &mut Vec<&'a Profile>) {
            for p in ps {
                out.push(p);
                walk(&p.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.profiles, &mut out);
        out
    }
}

/// One profile, hat or child profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The name as declared (without namespace), e.g. `docker-default`, `/usr/bin/foo`,
    /// `hat1`.
    pub name: String,
    /// The name the kernel shows: `parent//child` for hats and child profiles, and with
    /// `:ns:` prefix when in a namespace.
    pub full_name: String,
    /// Namespace, for `:ns:name` profiles.
    pub namespace: Option<String>,
    /// The attachment glob (the path for path-named profiles, or the explicit attachment
    /// after the name), variables expanded.
    pub attachment: Option<String>,
    /// `xattrs=(key=value ...)` conditions.
    pub xattrs: Vec<(String, String)>,
    /// `flags=(...)`, each as written and lowercased, e.g. `complain`,
    /// `attach_disconnected`, `error=EACCES`.
    pub flags: Vec<String>,
    /// The enforcement mode the flags select.
    pub mode: ProfileMode,
    /// Whether this is a hat (`^name` or `hat name`).
    pub is_hat: bool,
    /// The rules, in source order, with includes expanded in place.
    pub rules: Vec<Rule>,
    /// Hats and child profiles.
    pub children: Vec<Profile>,
    /// Where the profile header is.
    pub location: Location,
}

/// How the kernel treats accesses the profile does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileMode {
    /// Denied and logged (the default).
    #[default]
    Enforce,
    /// Allowed and logged (`flags=(complain)`).
    Complain,
    /// Allowed, not logged (`flags=(unconfined)`).
    Unconfined,
    /// Denied, not logged unless audited (`flags=(kill)` kills instead).
    Kill,
    /// `flags=(prompt)`: asks user space (treated as enforce by kernels without prompting).
    Prompt,
}

/// Whether a rule grants or removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// `allow` (the default).
    #[default]
    Allow,
    /// `deny`.
    Deny,
}

/// Which processes an owner-conditional file rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// No condition.
    #[default]
    Any,
    /// `owner`: only when the process's fsuid owns the file.
    Owner,
    /// `other`: only when it does not.
    Other,
}

/// The qualifiers in front of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Qualifiers {
    /// `audit`.
    pub audit: bool,
    /// `allow` or `deny`.
    pub effect: Effect,
    /// `owner` / `other`.
    pub owner: Owner,
    /// `priority=N` (AppArmor 4.1); 0 when absent.
    pub priority: i32,
}

/// One rule of a profile, after resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Qualifiers (`audit deny owner ...`).
    pub qualifiers: Qualifiers,
    /// What the rule says.
    pub kind: RuleKind,
    /// The source text of the rule as written (variables not expanded), without the
    /// trailing comma, whitespace collapsed to single spaces.
    pub text: String,
    /// Where the rule is written.
    pub location: Location,
    /// For rules that come from an include, the include lines that led there, outermost
    /// first.
    pub included_from: Vec<Location>,
    /// Whether apparmor_parser adds this rule implicitly (not written by the user).
    pub implicit: bool,
}

/// File permissions as a bit set: `r w a x m k l` plus the kernel's finer bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FilePerms(pub u16);

impl FilePerms {
    /// `r`.
    pub const READ: FilePerms = FilePerms(1);
    /// `w`.
    pub const WRITE: FilePerms = FilePerms(1 << 1);
    /// `a`.
    pub const APPEND: FilePerms = FilePerms(1 << 2);
    /// `x` (any exec mode).
    pub const EXEC: FilePerms = FilePerms(1 << 3);
    /// `m`.
    pub const MMAP: FilePerms = FilePerms(1 << 4);
    /// `k`.
    pub const LOCK: FilePerms = FilePerms(1 << 5);
    /// `l`.
    pub const LINK: FilePerms = FilePerms(1 << 6);
    /// No permission.
    pub const NONE: FilePerms = FilePerms(0);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: FilePerms) -> bool {
        self.0 & other.0 == other.0
    }
    /// Union.
    pub fn union(self, other: FilePerms) -> FilePerms {
        FilePerms(self.0 | other.0)
    }
    /// Bits of `self` not in `other`.
    pub fn minus(self, other: FilePerms) -> FilePerms {
        FilePerms(self.0 & !other.0)
    }
    /// Intersection.
    pub fn intersect(self, other: FilePerms) -> FilePerms {
        FilePerms(self.0 & other.0)
    }
    /// Whether no bit is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The permission letters in canonical order `rwaxmkl`, e.g. `"rw"`.
    pub fn letters(self) -> String {
        const ORDER: [(FilePerms, char); 7] = [
            (FilePerms::READ, 'r'),
            (FilePerms::WRITE, 'w'),
            (FilePerms::APPEND, 'a'),
            (FilePerms::EXEC, 'x'),
            (FilePerms::MMAP, 'm'),
            (FilePerms::LOCK, 'k'),
            (FilePerms::LINK, 'l'),
        ];
        ORDER
            .iter()
            .filter(|(p, _)| self.contains(*p))
            .map(|(_, c)| *c)
            .collect()
    }
}

/// The kind of domain transition an exec permission asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecKind {
    /// `i`: stay in the current profile.
    Inherit,
    /// `p`: the profile attached to the program (or the named target).
    Profile,
    /// `c`: a child profile (or the named target) of the current profile.
    Child,
    /// `u`: unconfined.
    Unconfined,
}

/// An exec permission: `ix`, `Px`, `pix`, `Cux`, `px -> target`, ...
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExecMode {
    /// The primary transition.
    pub kind: ExecKind,
    /// Upper case (`Px`, `Cx`, `Ux`): scrub the environment (`AT_SECURE`).
    pub scrub: bool,
    /// The fallback when the target profile does not exist (`pix` → `Inherit`,
    /// `pux` → `Unconfined`).
    pub fallback: Option<ExecKind>,
    /// `-> target`, variables expanded.
    pub target: Option<String>,
}

impl ExecMode {
    /// The mode as written in a rule: `ix`, `Px`, `pix`, `CUx`, ...
    pub fn letters(&self) -> String {
        let k = |k: ExecKind| match k {
            ExecKind::Inherit => 'i',
            ExecKind::Profile => 'p',
            ExecKind::Child => 'c',
            ExecKind::Unconfined => 'u',
        };
        let mut s = String::new();
        let first = k(self.kind);
        s.push(if self.scrub {
            first.to_ascii_uppercase()
        } else {
            first
        });
        if let Some(f) = self.fallback {
            let c = k(f);
            // `PUx` style: the fallback is upper case when the scrub applies to it.
            s.push(if self.scrub && f == ExecKind::Unconfined {
                c.to_ascii_uppercase()
            } else {
                c
            });
        }
        s.push('x');
        s
    }
}

/// A file rule: `/path perms [-> target],` or `perms /path,` or the bare `file,`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRule {
    /// The path glob with variables expanded (multi-value variables become `{a,b}`) and
    /// aliases applied; `None` for the bare `file,` rule (all files).
    pub path: Option<String>,
    /// The permissions (without the exec mode, `x` is set when an exec mode is present).
    pub perms: FilePerms,
    /// The exec mode, when the rule has one.
    pub exec: Option<ExecMode>,
}

/// A link rule: `link [subset] /link -> /target,` (also what `l` in a file rule means with
/// any target).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRule {
    /// `subset`: the link may carry no more permission than the target.
    pub subset: bool,
    /// The link path glob.
    pub link: String,
    /// The target path glob.
    pub target: String,
}

/// One condition of a rule, `key=value` or `key=(v1 v2)` or `key in (...)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cond {
    /// The key as written, lowercased (`peer`, `label`, `fstype`, `options`, `set`, `type`,
    /// `ip`, `port`, `addr`, `bus`, `path`, `interface`, `member`, `name`, ...).
    pub key: String,
    /// Its values, variables expanded.
    pub values: Vec<String>,
    /// `key in (...)` rather than `key=(...)` (mount options: `in` means any subset).
    pub is_in: bool,
}

/// A rule of one of the mediated classes with an access list and conditions: `signal`,
/// `ptrace`, `unix`, `dbus`, `network` (4.x forms), `mqueue`, `io_uring`, `userns`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    /// Access words, lowercased and in the rule's spelling (`send`, `receive`, `r`, `rw`,
    /// `trace`, `read`, `bind`, `create`, ...); empty means every access of the class.
    pub access: Vec<String>,
    /// Conditions on the subject side (`set=`, `type=`, `bus=`, `ip=`, `label=` ...).
    pub conds: Vec<Cond>,
    /// Conditions on the peer (`peer=LABEL` is `label`; `peer=(label=.. addr=..)`).
    pub peer: Vec<Cond>,
    /// Positional words that are not access or conditions (network domain/type/protocol,
    /// mqueue name).
    pub words: Vec<String>,
}

/// `mount`, `remount`, `umount`, `pivot_root`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountRule {
    /// `fstype=` / `options=` / `options in` conditions.
    pub conds: Vec<Cond>,
    /// The source (device) glob for `mount`, or the mount point for `remount`/`umount`,
    /// or the new root for `pivot_root`.
    pub source: Option<String>,
    /// `-> target`: the mount point for `mount`, the target profile for `pivot_root`.
    pub target: Option<String>,
}

/// `change_profile [exec_mode] [exec_cond] [-> target],`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeProfileRule {
    /// `safe` or `unsafe`, if written.
    pub exec_mode: Option<String>,
    /// The exec condition glob, if any.
    pub exec_cond: Option<String>,
    /// The target profile glob; `None` means any.
    pub target: Option<String>,
}

/// What a rule says, by class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum RuleKind {
    /// A file rule (including `file,`).
    File(FileRule),
    /// `link [subset] a -> b,`.
    Link(LinkRule),
    /// `capability [names...],`; an empty list means every capability.
    Capability {
        /// Capability names, lowercased, without the `cap_` prefix.
        names: Vec<String>,
    },
    /// `network [domain] [type] [protocol]` and the 4.x access/address forms.
    Network(AccessRule),
    /// `unix ...`.
    Unix(AccessRule),
    /// `signal ...`.
    Signal(AccessRule),
    /// `ptrace ...`.
    Ptrace(AccessRule),
    /// `dbus ...`.
    Dbus(AccessRule),
    /// `mqueue ...`.
    Mqueue(AccessRule),
    /// `io_uring ...`.
    IoUring(AccessRule),
    /// `userns ...`.
    Userns(AccessRule),
    /// `mount ...`.
    Mount(MountRule),
    /// `remount ...`.
    Remount(MountRule),
    /// `umount ...`.
    Umount(MountRule),
    /// `pivot_root ...`.
    PivotRoot(MountRule),
    /// `change_profile ...`.
    ChangeProfile(ChangeProfileRule),
    /// `set rlimit NAME <= VALUE,`.
    Rlimit {
        /// The resource, e.g. `nofile`.
        resource: String,
        /// The limit as written, e.g. `1024`, `10MB`, `infinity`.
        value: String,
    },
    /// `all,`: every access of every class.
    All,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perm_letters_are_in_canonical_order() {
        let p = FilePerms::LINK
            .union(FilePerms::READ)
            .union(FilePerms::WRITE)
            .union(FilePerms::MMAP);
        assert_eq!(p.letters(), "rwml");
        assert_eq!(p.minus(FilePerms::WRITE).letters(), "rml");
    }

    #[test]
    fn exec_letters_round_trip_the_common_modes() {
        let m = |kind, scrub, fallback| ExecMode {
            kind,
            scrub,
            fallback,
            target: None,
        };
        assert_eq!(m(ExecKind::Inherit, false, None).letters(), "ix");
        assert_eq!(m(ExecKind::Profile, true, None).letters(), "Px");
        assert_eq!(
            m(ExecKind::Profile, false, Some(ExecKind::Inherit)).letters(),
            "pix"
        );
        assert_eq!(
            m(ExecKind::Child, true, Some(ExecKind::Unconfined)).letters(),
            "CUx"
        );
    }
}
