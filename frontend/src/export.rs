//! The deployment snippets the export panel shows for a profile.

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

/// Quotes a YAML scalar when it needs it.
fn yaml_scalar(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The snippets for a profile named `profile`, saved as `file_name`.
pub fn snippets(profile: &str, file_name: &str) -> Vec<Snippet> {
    let file = sh_quote(file_name);
    let dest = sh_quote(&format!("/etc/apparmor.d/{file_name}"));
    let name = sh_quote(profile);
    let mut out = vec![
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
            body: format!(
                "docker run --rm -it --security-opt apparmor={name} debian:12 bash"
            ),
        },
        Snippet {
            title: "Kubernetes pod securityContext (profile loaded on every node)",
            body: format!(
                "securityContext:\n  appArmorProfile:\n    type: Localhost\n    localhostProfile: {}\n",
                yaml_scalar(profile)
            ),
        },
    ];
    out.extend(core_snippets(profile));
    out
}

/// Snippets that need the core's exporters (Security Profiles Operator).
#[cfg(feature = "exporters")]
fn core_snippets(_profile: &str) -> Vec<Snippet> {
    Vec::new()
}

#[cfg(not(feature = "exporters"))]
fn core_snippets(_profile: &str) -> Vec<Snippet> {
    Vec::new()
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
        assert!(s[3].body.contains("localhostProfile: docker-default\n"));
        let odd = snippets("/usr/bin/my app", "it's");
        assert_eq!(odd[0].body, r"sudo armorlab load 'it'\''s'");
        assert!(odd[2].body.contains("apparmor='/usr/bin/my app'"));
        assert!(odd[3]
            .body
            .contains("localhostProfile: \"/usr/bin/my app\""));
    }
}
