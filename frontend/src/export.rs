//! The deployment snippets the export panel shows for a profile. Docker and Kubernetes
//! come from the core's exporters, exactly as `armorlab export` prints them.

/// One copy-ready snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// Heading.
    pub title: &'static str,
    /// The text to copy.
    pub body: String,
}

/// Quotes a word for a POSIX shell when it needs it.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The snippets for a profile named `profile`, saved as `file_name`.
pub fn snippets(profile: &str, file_name: &str) -> Vec<Snippet> {
    let file = sh_quote(file_name);
    let dest = sh_quote(&format!("/etc/apparmor.d/{file_name}"));
    vec![
        Snippet {
            title: "Load with armorlab (validates first, keeps the previous version)",
            body: format!("sudo armorlab load {file}"),
        },
        Snippet {
            title: "Load with apparmor_parser",
            body: format!("sudo install -m 0644 {file} {dest}\nsudo apparmor_parser -r {dest}"),
        },
        Snippet {
            title: "Run a container under it",
            body: armorlab_core::export::docker_run(profile, "debian:12"),
        },
        Snippet {
            title: "Kubernetes pod (profile loaded on every node)",
            body: armorlab_core::export::kubernetes(profile, "debian:12"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_for_shell_and_yaml() {
        let s = snippets("docker-default", "docker-default");
        assert_eq!(s[0].body, "sudo armorlab load docker-default");
        assert!(s[2]
            .body
            .contains("--security-opt apparmor=docker-default "));
        assert!(s[3].body.contains("localhostProfile: \"docker-default\"\n"));
        let odd = snippets("/usr/bin/my app", "it's");
        assert_eq!(odd[0].body, r"sudo armorlab load 'it'\''s'");
        assert!(odd[2].body.contains("apparmor='/usr/bin/my app'"));
        assert!(odd[3]
            .body
            .contains("localhostProfile: \"/usr/bin/my app\""));
    }
}
