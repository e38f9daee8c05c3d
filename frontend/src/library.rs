//! The bundled data: profile templates (with their attribution) and the include library.

/// The include library generated at build time from the Debian `apparmor` package.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

pub use generated::BUNDLED;

/// Where `<...>` includes are searched, as on a Debian host.
pub const SEARCH_DIR: &str = "/etc/apparmor.d";

/// A profile template the playground can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// The id used in URLs (`template=ID`).
    pub id: &'static str,
    /// A short title for the picker.
    pub title: &'static str,
    /// The file name the profile is saved under when downloaded.
    pub file_name: &'static str,
    /// The profile text.
    pub text: &'static str,
    /// Where it comes from and how it was rendered.
    pub origin: &'static str,
    /// Its license.
    pub license: &'static str,
}

/// Every template, the default first.
pub const TEMPLATES: &[Template] = &[
    Template {
        id: "docker-default",
        title: "docker-default (as Docker generates it today)",
        file_name: "docker-default",
        text: include_str!("../../templates/docker-default.rendered.apparmor"),
        origin: "moby/profiles apparmor/template.go (v0.2.1), rendered as dockerd renders it on a Debian/Ubuntu host: abi/3.0, tunables/global, abstractions/base, daemon profile unconfined",
        license: "Apache-2.0, Copyright Docker, Inc. / The Moby Project",
    },
    Template {
        id: "docker-default-docs",
        title: "docker-default (Docker docs page)",
        file_name: "docker-default",
        text: include_str!("../../templates/docker-default.docs.apparmor"),
        origin: "Docker documentation, \"AppArmor security profiles for Docker\": the older profile printed there, with @{PROC}/{*,**^[0-9*],sys/kernel/shm*}",
        license: "Docker documentation",
    },
    Template {
        id: "containerd-default",
        title: "containerd default (cri-containerd.apparmor.d)",
        file_name: "cri-containerd.apparmor.d",
        text: include_str!("../../templates/containerd-default.rendered.apparmor"),
        origin: "containerd contrib/apparmor/template.go, rendered as containerd renders it under CRI on a Debian/Ubuntu host",
        license: "Apache-2.0, Copyright The docker Authors, The Moby Authors, The containerd Authors",
    },
    Template {
        id: "empty",
        title: "empty profile",
        file_name: "my-profile",
        text: "abi <abi/3.0>,\n\ninclude <tunables/global>\n\nprofile my-profile flags=(attach_disconnected) {\n  include <abstractions/base>\n\n}\n",
        origin: "armorlab: a starting point",
        license: "Apache-2.0",
    },
];

/// The template with this id.
pub fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

/// The default template (docker-default).
pub fn default_template() -> &'static Template {
    // TEMPLATES is a non-empty constant, so `first` always succeeds; the fallback keeps
    // the code free of panics.
    TEMPLATES.first().unwrap_or(&FALLBACK)
}

const FALLBACK: Template = Template {
    id: "empty",
    title: "empty profile",
    file_name: "my-profile",
    text: "",
    origin: "",
    license: "",
};

/// The bundled text of an include file, if it is part of the library.
pub fn bundled(path: &str) -> Option<&'static str> {
    BUNDLED
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .and_then(|i| BUNDLED.get(i))
        .map(|(_, t)| *t)
}

/// The default queries for a template: the sensitive paths a container profile must guard.
pub fn default_queries(template_id: &str) -> Vec<String> {
    let common = [
        "w /proc/sysrq-trigger",
        "w /proc/sys/kernel/core_pattern",
        "w /proc/sys/kernel/shmmax",
        "r /proc/kcore",
        "w /proc/sys/net/ipv4/ip_forward",
        "r /proc/self/status",
        "w /sys/kernel/security/apparmor/policy",
        "r /sys/firmware/efi/efivars/Boot0000",
        "w /sys/fs/cgroup/memory.max",
        "capability sys_admin",
        "network inet stream",
        "network alg seqpacket",
        "mount /dev/sda1 -> /mnt",
        "signal receive set=kill peer=unconfined",
        "signal send set=kill peer=unconfined",
        "ptrace trace peer=unconfined",
    ];
    match template_id {
        "empty" => vec!["r /etc/passwd".into(), "w /proc/sysrq-trigger".into()],
        _ => common.iter().map(|s| (*s).to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_has_what_the_templates_include() {
        for path in [
            "/etc/apparmor.d/tunables/global",
            "/etc/apparmor.d/abstractions/base",
            "/etc/apparmor.d/abi/3.0",
        ] {
            assert!(bundled(path).is_some_and(|t| !t.is_empty()), "{path}");
        }
        // The library is sorted, which `bundled` relies on.
        assert!(BUNDLED.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(bundled("/etc/apparmor.d/nope").is_none());
    }

    #[test]
    fn templates_are_complete() {
        let ids: Vec<_> = TEMPLATES.iter().map(|t| t.id).collect();
        assert_eq!(
            ids,
            [
                "docker-default",
                "docker-default-docs",
                "containerd-default",
                "empty"
            ]
        );
        assert_eq!(default_template().id, "docker-default");
        assert!(template("docker-default-docs")
            .unwrap()
            .text
            .contains("**^[0-9*]"));
        assert!(template("containerd-default")
            .unwrap()
            .text
            .contains("profile cri-containerd.apparmor.d "));
    }
}
