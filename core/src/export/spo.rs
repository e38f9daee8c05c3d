//! The Security Profiles Operator's `AppArmorProfile` resource.
//!
//! The operator does not take profile text: its `spec.abstract` holds allow lists, and the
//! operator renders them into a profile of its own shape. Per its renderer, each list
//! becomes these rules (and nothing else is expressible):
//!
//! | field | rendered as |
//! |---|---|
//! | `executable.allowedExecutables` | `PATH ixr,` |
//! | `executable.allowedLibraries` | `PATH mr,` |
//! | `filesystem.readOnlyPaths` | `PATH r,` and `deny PATH wlk,` |
//! | `filesystem.writeOnlyPaths` | `PATH wlk,` and `deny PATH r,` |
//! | `filesystem.readWritePaths` | `PATH rwlk,` |
//! | `network.allowRaw` | `network raw,` |
//! | `network.allowedProtocols.allowTcp` / `allowUdp` | `network tcp,` / `network udp,` |
//! | `capability.allowedCapabilities` | `capability NAME,` |
//! | `ptrace` | one `ptrace (ACCESS...) peer=PEER,` |
//!
//! The operator always adds `#include <abstractions/base>`, the flags
//! `attach_disconnected,mediate_deleted`, and its own deny rules for `/proc`, `/sys` and
//! `mount`. An allow rule maps only when the operator would grant exactly what it grants;
//! every other rule is reported as a [`Loss`] and left out, so no allow rule is ever
//! widened. Deny rules cannot be expressed at all: leaving one out can let a mapped allow
//! rule grant what the deny removed, so such an export also carries an explicit warning in
//! [`SpoExport::notes`] and in the YAML header.

use super::yaml_str;
use crate::model::{Effect, ExecKind, FilePerms, Owner, Profile, ProfileMode, Rule, RuleKind};
use crate::source::{Location, SourceMap};
use std::collections::BTreeSet;

/// The API version written into the resource.
pub const SPO_API_VERSION: &str = "security-profiles-operator.x-k8s.io/v1";

/// The capability names the operator's CRD accepts (its validation pattern): today exactly
/// the kernel's names that apparmor_parser knows, so the resolver's table serves both.
const SPO_CAPABILITIES: &[&str] = crate::resolve::tables::CAPABILITIES;

/// How many paths one brace alternation may expand to before we call it unexpressible.
const MAX_EXPANSIONS: usize = 256;

/// A rule (or profile property) the operator's resource cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The rule as written (or the property, e.g. `flags=(audit)`).
    pub text: String,
    /// Where it is written.
    pub location: Location,
    /// Why it cannot be expressed, lowercase.
    pub reason: String,
}

/// The resource and what it leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoExport {
    /// The `AppArmorProfile` YAML document.
    pub yaml: String,
    /// Every rule or property left out, in source order. Empty means the resource says
    /// everything the profile says (apart from what the operator adds itself).
    pub losses: Vec<Loss>,
    /// Remarks that are not losses: what the operator adds, names that had to change.
    pub notes: Vec<String>,
    /// Whether a left-out deny rule may let an exported allow rule grant more than the
    /// source profile does.
    pub may_widen: bool,
}

#[derive(Default)]
struct Abstract {
    executables: BTreeSet<String>,
    libraries: BTreeSet<String>,
    read_only: BTreeSet<String>,
    write_only: BTreeSet<String>,
    read_write: BTreeSet<String>,
    raw: bool,
    tcp: bool,
    udp: bool,
    capabilities: BTreeSet<String>,
    ptrace_access: BTreeSet<String>,
    ptrace_peer: Option<Option<String>>,
}

/// Expands `{a,b}` alternations (nested, with `\` escapes) into plain paths; `None` when
/// the expansion is unbalanced or too large.
fn expand_braces(glob: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = glob.chars().collect();
    let mut open = None;
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        match chars.get(i) {
            Some('\\') => i += 1,
            Some('{') => {
                if depth == 0 {
                    open = Some(i);
                }
                depth += 1;
            }
            Some('}') if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let start = open?;
                    let prefix: String = chars.get(..start)?.iter().collect();
                    let suffix: String = chars.get(i + 1..)?.iter().collect();
                    let alternatives = split_top_level(chars.get(start + 1..i)?);
                    let mut out = Vec::new();
                    for alt in alternatives {
                        for rest in expand_braces(&format!("{prefix}{alt}{suffix}"))? {
                            out.push(rest);
                            if out.len() > MAX_EXPANSIONS {
                                return None;
                            }
                        }
                    }
                    return Some(out);
                }
            }
            Some('}') => return None,
            _ => {}
        }
        i += 1;
    }
    if depth == 0 {
        Some(vec![glob.to_owned()])
    } else {
        None
    }
}

fn split_top_level(chars: &[char]) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    let mut escaped = false;
    for &c in chars {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '{' {
            depth += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
        } else if c == ',' && depth == 0 {
            parts.push(String::new());
            continue;
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// Whether the CRD's path pattern accepts `path`: absolute, made of letters, digits,
/// `_ . / * ? + @ -` and spaces, or `@{variable}`.
fn spo_path_ok(path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    let mut rest = path;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("@{") {
            let Some(end) = after.find('}') else {
                return false;
            };
            let var = after.get(..end).unwrap_or("");
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return false;
            }
            rest = after.get(end + 1..).unwrap_or("");
            continue;
        }
        if !(c.is_ascii_alphanumeric() || "_./*?+@ -".contains(c)) {
            return false;
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    true
}

fn rwlk() -> FilePerms {
    FilePerms::READ
        .union(FilePerms::WRITE)
        .union(FilePerms::LINK)
        .union(FilePerms::LOCK)
}

/// Whether a rule reached the profile through `#include <abstractions/base>`, which the
/// operator includes itself.
fn from_base_abstraction(rule: &Rule, sources: &SourceMap) -> bool {
    rule.included_from.first().is_some_and(|loc| {
        sources
            .get(loc.file)
            .map(|f| f.slice(loc.span))
            .is_some_and(|written| written.contains("abstractions/base>"))
    })
}

/// Builds the operator's `AppArmorProfile` for one profile of a resolved policy.
///
/// `sources` is the analysis's source map; it tells which rules came from
/// `abstractions/base` (the operator adds that include itself, so those rules are neither
/// mapped nor lost).
pub fn spo(profile: &Profile, sources: &SourceMap) -> SpoExport {
    let mut abs = Abstract::default();
    let mut losses = Vec::new();
    let mut notes = Vec::new();
    let lose = |losses: &mut Vec<Loss>, rule: &Rule, reason: &str| {
        losses.push(Loss {
            text: rule.text.clone(),
            location: rule.location,
            reason: reason.to_owned(),
        });
    };
    let header_loss = |losses: &mut Vec<Loss>, text: String, reason: &str| {
        losses.push(Loss {
            text,
            location: profile.location,
            reason: reason.to_owned(),
        });
    };

    let name = super::kubernetes_name(&profile.name);
    if name != profile.name {
        notes.push(format!(
            "the resource is named `{name}`: `{}` is not a valid Kubernetes name, and the operator loads the profile under the resource's name",
            profile.name
        ));
    }
    if let Some(att) = &profile.attachment {
        if att != &profile.name {
            header_loss(
                &mut losses,
                format!("attachment `{att}`"),
                "the operator's profiles attach by name only",
            );
        }
    }
    if !profile.xattrs.is_empty() {
        header_loss(
            &mut losses,
            "xattrs=(...)".to_owned(),
            "the operator cannot express attachment conditions",
        );
    }
    let mut has_disconnected = false;
    let mut has_deleted = false;
    for flag in &profile.flags {
        match flag.as_str() {
            "attach_disconnected" => has_disconnected = true,
            "mediate_deleted" => has_deleted = true,
            "enforce" | "complain" => {}
            other => header_loss(
                &mut losses,
                format!("flags=({other})"),
                "the operator sets its own flags and mode only",
            ),
        }
    }
    if !(has_disconnected && has_deleted) {
        notes.push(
            "the operator adds flags=(attach_disconnected,mediate_deleted) to every profile"
                .to_owned(),
        );
    }
    let mode = match profile.mode {
        ProfileMode::Enforce => "Enforce",
        ProfileMode::Complain => "Complain",
        other => {
            header_loss(
                &mut losses,
                format!("mode {other:?}").to_lowercase(),
                "the operator supports only the enforce and complain modes",
            );
            "Enforce"
        }
    };
    for child in &profile.children {
        header_loss(
            &mut losses,
            format!(
                "{} {}",
                if child.is_hat { "hat" } else { "profile" },
                child.name
            ),
            "the operator cannot express hats or child profiles",
        );
    }

    for rule in &profile.rules {
        if rule.implicit || from_base_abstraction(rule, sources) {
            continue;
        }
        let q = rule.qualifiers;
        if q.effect == Effect::Deny {
            lose(
                &mut losses,
                rule,
                "the operator cannot express deny rules (it adds only its own fixed ones)",
            );
            continue;
        }
        if q.audit {
            lose(&mut losses, rule, "the operator cannot express audit rules");
            continue;
        }
        if q.owner != Owner::Any {
            lose(
                &mut losses,
                rule,
                "the operator cannot express owner conditions",
            );
            continue;
        }
        if q.priority != 0 {
            lose(&mut losses, rule, "the operator cannot express priorities");
            continue;
        }
        match &rule.kind {
            RuleKind::File(f) => {
                let Some(path) = &f.path else {
                    lose(
                        &mut losses,
                        rule,
                        "a rule for every file has no path the operator's lists can hold",
                    );
                    continue;
                };
                let Some(paths) = expand_braces(path) else {
                    lose(
                        &mut losses,
                        rule,
                        "the path's alternation is too large to list",
                    );
                    continue;
                };
                if let Some(bad) = paths.iter().find(|p| !spo_path_ok(p)) {
                    lose(
                        &mut losses,
                        rule,
                        &format!(
                            "the operator accepts only plain paths with `*`, `?` and variables, not `{bad}`"
                        ),
                    );
                    continue;
                }
                let perms = f.perms;
                let list = match &f.exec {
                    Some(e)
                        if e.kind == ExecKind::Inherit
                            && e.fallback.is_none()
                            && e.target.is_none()
                            && perms == FilePerms::READ.union(FilePerms::EXEC) =>
                    {
                        Some(&mut abs.executables)
                    }
                    Some(_) => None,
                    None if perms == FilePerms::READ => Some(&mut abs.read_only),
                    None if perms == FilePerms::READ.union(FilePerms::MMAP) => {
                        Some(&mut abs.libraries)
                    }
                    None if perms == rwlk() => Some(&mut abs.read_write),
                    None if perms == rwlk().minus(FilePerms::READ) => Some(&mut abs.write_only),
                    None => None,
                };
                match list {
                    Some(list) => list.extend(paths),
                    None => lose(
                        &mut losses,
                        rule,
                        "the operator grants exactly `r`, `mr`, `ixr`, `wlk` or `rwlk` on a path; these permissions are none of them",
                    ),
                }
            }
            RuleKind::Capability { names } => {
                if names.is_empty() {
                    abs.capabilities
                        .extend(SPO_CAPABILITIES.iter().map(|s| (*s).to_owned()));
                    continue;
                }
                let unknown: Vec<&String> = names
                    .iter()
                    .filter(|n| !SPO_CAPABILITIES.contains(&n.as_str()))
                    .collect();
                if unknown.is_empty() {
                    abs.capabilities.extend(names.iter().cloned());
                } else {
                    lose(
                        &mut losses,
                        rule,
                        &format!(
                            "the operator does not accept the capabilities {}",
                            unknown
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            RuleKind::Network(a)
                if a.access.is_empty() && a.conds.is_empty() && a.peer.is_empty() =>
            {
                match a.words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                    ["raw"] => abs.raw = true,
                    ["tcp"] => abs.tcp = true,
                    ["udp"] => abs.udp = true,
                    _ => lose(
                        &mut losses,
                        rule,
                        "the operator expresses only `network raw`, `network tcp` and `network udp`",
                    ),
                }
            }
            RuleKind::Ptrace(a) if a.conds.is_empty() => {
                let peer = match a.peer.as_slice() {
                    [] => Some(None),
                    [c] if c.key == "label" && c.values.len() == 1 && !c.is_in => {
                        c.values.first().cloned().map(Some)
                    }
                    _ => None,
                };
                let accesses_ok = !a.access.is_empty()
                    && a.access
                        .iter()
                        .all(|x| ["read", "readby", "trace", "tracedby"].contains(&x.as_str()));
                match (peer, accesses_ok) {
                    (Some(peer), true)
                        if abs.ptrace_peer.is_none() || abs.ptrace_peer.as_ref() == Some(&peer) =>
                    {
                        abs.ptrace_access.extend(a.access.iter().cloned());
                        abs.ptrace_peer = Some(peer);
                    }
                    _ => lose(
                        &mut losses,
                        rule,
                        "the operator expresses one ptrace rule with named accesses and at most one peer",
                    ),
                }
            }
            _ => lose(
                &mut losses,
                rule,
                "the operator has no field for this kind of rule",
            ),
        }
    }

    let lost_denies = losses
        .iter()
        .filter(|l| l.text.starts_with("deny ") || l.text.contains(" deny "))
        .count();
    let maps_something = !(abs.executables.is_empty()
        && abs.libraries.is_empty()
        && abs.read_only.is_empty()
        && abs.write_only.is_empty()
        && abs.read_write.is_empty()
        && abs.capabilities.is_empty()
        && !abs.raw
        && !abs.tcp
        && !abs.udp
        && abs.ptrace_peer.is_none());
    if lost_denies > 0 && maps_something {
        notes.push(format!(
            "{lost_denies} deny rule(s) are left out: the resource may allow what they denied where an exported allow rule overlaps them"
        ));
    }
    if !abs.read_only.is_empty() || !abs.write_only.is_empty() {
        notes.push(
            "for read-only paths the operator also writes `deny PATH wlk,` (and for write-only paths `deny PATH r,`), which removes those permissions even where another rule grants them"
                .to_owned(),
        );
    }
    notes.push(
        "the operator adds #include <abstractions/base> and its own deny rules for /proc, /sys and mount"
            .to_owned(),
    );

    SpoExport {
        yaml: render(
            &name,
            mode,
            &abs,
            &losses,
            lost_denies > 0 && maps_something,
        ),
        losses,
        notes,
        may_widen: lost_denies > 0 && maps_something,
    }
}

fn list(out: &mut String, indent: &str, key: &str, items: &BTreeSet<String>) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("{indent}{key}:\n"));
    for item in items {
        out.push_str(&format!("{indent}  - {}\n", yaml_str(item)));
    }
}

fn render(name: &str, mode: &str, abs: &Abstract, losses: &[Loss], widened: bool) -> String {
    let mut y = String::new();
    if widened {
        y.push_str("# WARNING: deny rules of the source are left out; this resource may allow what they denied\n");
    }
    if !losses.is_empty() {
        y.push_str(&format!(
            "# {} rule(s) of the source profile are not expressible and are left out:\n",
            losses.len()
        ));
        for l in losses {
            y.push_str(&format!(
                "#   {}: {}\n",
                l.text.replace('\n', " "),
                l.reason
            ));
        }
    }
    y.push_str(&format!("apiVersion: {SPO_API_VERSION}\n"));
    y.push_str("kind: AppArmorProfile\n");
    y.push_str("metadata:\n");
    y.push_str(&format!("  name: {}\n", yaml_str(name)));
    y.push_str("spec:\n");
    y.push_str(&format!("  mode: {mode}\n"));
    y.push_str("  abstract:\n");
    let mut body = String::new();
    if !abs.executables.is_empty() || !abs.libraries.is_empty() {
        body.push_str("    executable:\n");
        list(&mut body, "      ", "allowedExecutables", &abs.executables);
        list(&mut body, "      ", "allowedLibraries", &abs.libraries);
    }
    if !abs.read_only.is_empty() || !abs.write_only.is_empty() || !abs.read_write.is_empty() {
        body.push_str("    filesystem:\n");
        list(&mut body, "      ", "readOnlyPaths", &abs.read_only);
        list(&mut body, "      ", "writeOnlyPaths", &abs.write_only);
        list(&mut body, "      ", "readWritePaths", &abs.read_write);
    }
    if abs.raw || abs.tcp || abs.udp {
        body.push_str("    network:\n");
        if abs.raw {
            body.push_str("      allowRaw: true\n");
        }
        if abs.tcp || abs.udp {
            body.push_str("      allowedProtocols:\n");
            if abs.tcp {
                body.push_str("        allowTcp: true\n");
            }
            if abs.udp {
                body.push_str("        allowUdp: true\n");
            }
        }
    }
    if !abs.capabilities.is_empty() {
        body.push_str("    capability:\n");
        list(
            &mut body,
            "      ",
            "allowedCapabilities",
            &abs.capabilities,
        );
    }
    if let Some(peer) = &abs.ptrace_peer {
        body.push_str("    ptrace:\n");
        list(&mut body, "      ", "allowedAccess", &abs.ptrace_access);
        if let Some(peer) = peer {
            body.push_str(&format!("      peer: {}\n", yaml_str(peer)));
        }
    }
    if body.is_empty() {
        // An empty abstract is valid and means the operator's deny-all profile.
        y.truncate(y.len().saturating_sub("  abstract:\n".len()));
        y.push_str("  abstract: {}\n");
    } else {
        y.push_str(&body);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::source::{FileId, SourceFile, Span};

    fn rule(kind: RuleKind, text: &str) -> Rule {
        Rule {
            qualifiers: Qualifiers::default(),
            kind,
            text: text.to_owned(),
            location: Location::default(),
            included_from: vec![],
            implicit: false,
        }
    }

    fn file(path: &str, perms: FilePerms, exec: Option<ExecMode>) -> RuleKind {
        RuleKind::File(FileRule {
            path: Some(path.to_owned()),
            perms,
            exec,
        })
    }

    fn profile(rules: Vec<Rule>) -> Profile {
        Profile {
            name: "web".into(),
            full_name: "web".into(),
            namespace: None,
            attachment: None,
            xattrs: vec![],
            flags: vec!["attach_disconnected".into(), "mediate_deleted".into()],
            mode: ProfileMode::Enforce,
            is_hat: false,
            rules,
            children: vec![],
            location: Location::default(),
        }
    }

    #[test]
    fn exact_rules_map_into_the_structured_abstract() {
        let ix = ExecMode {
            kind: ExecKind::Inherit,
            scrub: false,
            fallback: None,
            target: None,
        };
        let p = profile(vec![
            rule(
                file("/etc/{passwd,group}", FilePerms::READ, None),
                "/etc/{passwd,group} r",
            ),
            rule(file("/var/www/**", rwlk(), None), "/var/www/** rwlk"),
            rule(
                file(
                    "/usr/bin/nginx",
                    FilePerms::READ.union(FilePerms::EXEC),
                    Some(ix),
                ),
                "/usr/bin/nginx rix",
            ),
            rule(
                RuleKind::Capability {
                    names: vec!["net_bind_service".into()],
                },
                "capability net_bind_service",
            ),
            rule(
                RuleKind::Network(AccessRule {
                    words: vec!["tcp".into()],
                    ..Default::default()
                }),
                "network tcp",
            ),
        ]);
        let out = spo(&p, &SourceMap::new());
        assert!(out.losses.is_empty(), "{:?}", out.losses);
        let y = &out.yaml;
        assert!(
            y.starts_with(
                "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: AppArmorProfile\n"
            ),
            "{y}"
        );
        assert!(
            y.contains(
                "      readOnlyPaths:\n        - \"/etc/group\"\n        - \"/etc/passwd\"\n"
            ),
            "{y}"
        );
        assert!(
            y.contains("      readWritePaths:\n        - \"/var/www/**\"\n"),
            "{y}"
        );
        assert!(
            y.contains("      allowedExecutables:\n        - \"/usr/bin/nginx\"\n"),
            "{y}"
        );
        assert!(
            y.contains("      allowedCapabilities:\n        - \"net_bind_service\"\n"),
            "{y}"
        );
        assert!(y.contains("        allowTcp: true\n"), "{y}");
        assert!(!y.contains("allowUdp"));
        assert!(y.contains("  mode: Enforce\n"));
    }

    #[test]
    fn everything_else_is_reported_and_left_out() {
        let mut deny = rule(
            file("/proc/sysrq-trigger", FilePerms::WRITE, None),
            "deny /proc/sysrq-trigger w",
        );
        deny.qualifiers.effect = Effect::Deny;
        let p = profile(vec![
            rule(
                RuleKind::File(FileRule {
                    path: None,
                    perms: FilePerms::NONE,
                    exec: None,
                }),
                "file",
            ),
            rule(
                file("/tmp/x", FilePerms::READ.union(FilePerms::WRITE), None),
                "/tmp/x rw",
            ),
            rule(file("/dev/[a-z]*", FilePerms::READ, None), "/dev/[a-z]* r"),
            deny,
            rule(RuleKind::Network(AccessRule::default()), "network"),
            rule(RuleKind::Mount(MountRule::default()), "umount"),
        ]);
        let out = spo(&p, &SourceMap::new());
        let lost: Vec<&str> = out.losses.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            lost,
            [
                "file",
                "/tmp/x rw",
                "/dev/[a-z]* r",
                "deny /proc/sysrq-trigger w",
                "network",
                "umount"
            ]
        );
        assert!(
            !out.yaml.contains("/tmp/x\""),
            "a widened rule must not be exported"
        );
        assert!(out.yaml.contains("abstract: {}"), "{}", out.yaml);
        assert!(out.yaml.contains("# 6 rule(s)"));
    }

    #[test]
    fn capability_all_expands_and_rules_from_base_are_skipped() {
        let mut sources = SourceMap::new();
        let main = sources.add(SourceFile::new("main", "  #include <abstractions/base>\n"));
        let mut from_base = rule(
            file(
                "/etc/ld.so.cache",
                FilePerms::READ.union(FilePerms::MMAP),
                None,
            ),
            "/etc/ld.so.cache mr",
        );
        from_base.included_from = vec![Location {
            file: main,
            span: Span::new(2, 31),
        }];
        let p = profile(vec![
            rule(RuleKind::Capability { names: vec![] }, "capability"),
            from_base,
        ]);
        let out = spo(&p, &sources);
        assert!(out.losses.is_empty());
        assert!(out.yaml.contains("\"checkpoint_restore\""));
        assert!(!out.yaml.contains("ld.so.cache"));
        let _ = FileId(0);
    }

    #[test]
    fn a_lost_deny_next_to_a_mapped_allow_is_flagged_as_a_possible_widening() {
        let mut deny = rule(
            file("/srv/secret", FilePerms::READ, None),
            "deny /srv/secret r",
        );
        deny.qualifiers.effect = Effect::Deny;
        let p = profile(vec![
            rule(file("/srv/**", FilePerms::READ, None), "/srv/** r"),
            deny,
        ]);
        let out = spo(&p, &SourceMap::new());
        assert_eq!(out.losses.len(), 1);
        assert!(
            out.notes
                .iter()
                .any(|n| n.contains("may allow what they denied")),
            "{:?}",
            out.notes
        );
        assert!(
            out.yaml.starts_with("# WARNING: deny rules"),
            "{}",
            out.yaml
        );

        // With nothing mapped there is nothing a lost deny could widen.
        let mut only = rule(
            file("/srv/secret", FilePerms::READ, None),
            "deny /srv/secret r",
        );
        only.qualifiers.effect = Effect::Deny;
        let out = spo(&profile(vec![only]), &SourceMap::new());
        assert!(!out.yaml.contains("WARNING"));
    }

    #[test]
    fn brace_expansion_handles_nesting_and_rejects_garbage() {
        assert_eq!(
            expand_braces("/a/{b,c{d,e}}/f").unwrap(),
            ["/a/b/f", "/a/cd/f", "/a/ce/f"]
        );
        assert_eq!(expand_braces("/a/{b").as_deref(), None);
        assert_eq!(expand_braces("/a/b}").as_deref(), None);
        assert!(spo_path_ok("/proc/@{pid}/maps"));
        assert!(spo_path_ok("/usr/lib/** "));
        assert!(!spo_path_ok("/dev/[a-z]"));
        assert!(!spo_path_ok("relative"));
    }
}
