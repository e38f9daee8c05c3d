//! Exporters: turn a profile into what other tools consume.
//!
//! - [`self_contained`]: the profile text, either as written (includes kept as includes) or
//!   with every include expanded in place (`--inline`), so it loads on a host whose
//!   `/etc/apparmor.d` differs from the author's.
//! - [`docker_run`]: the `docker run --security-opt apparmor=NAME` line.
//! - [`kubernetes`]: a pod `securityContext.appArmorProfile` snippet (type `Localhost`).
//! - [`spo`]: a Security Profiles Operator `AppArmorProfile` whose `spec.abstract` is
//!   structured, with an explicit list of every rule it cannot express.
//!
//! All of them are pure functions: includes arrive through a [`SourceProvider`](crate::SourceProvider).

mod inline;
mod spo;

pub use inline::{includes, self_contained, IncludeRef, InlineError};
pub use spo::{spo, Loss, SpoExport, SPO_API_VERSION};

/// Where an exporter sends its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A self-contained profile text.
    Profile,
    /// A `docker run` command line.
    Docker,
    /// A Kubernetes pod `securityContext` snippet.
    Kubernetes,
    /// A Security Profiles Operator `AppArmorProfile` resource.
    Spo,
}

/// Quotes a word for a POSIX shell when it needs quoting.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Writes a YAML scalar as a double-quoted string (JSON string syntax is valid YAML).
pub(crate) fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `docker run` line that starts a container under the profile `name`.
///
/// The profile must be loaded on the host first; the line says so in a comment because
/// Docker silently refuses to start the container otherwise.
pub fn docker_run(name: &str, image: &str) -> String {
    format!(
        "# load the profile on the host first (armorlab load FILE), then:\n\
         docker run --rm -it --security-opt apparmor={} {}\n",
        shell_quote(name),
        shell_quote(image)
    )
}

/// A Kubernetes pod manifest whose `securityContext.appArmorProfile` selects the host
/// profile `name` (type `Localhost`, Kubernetes 1.30 and later).
pub fn kubernetes(name: &str, image: &str) -> String {
    let pod = kubernetes_name(name);
    format!(
        "# the profile must be loaded on every node that may run the pod\n\
         apiVersion: v1\n\
         kind: Pod\n\
         metadata:\n\
         \x20 name: {pod}\n\
         spec:\n\
         \x20 securityContext:\n\
         \x20   appArmorProfile:\n\
         \x20     type: Localhost\n\
         \x20     localhostProfile: {name}\n\
         \x20 containers:\n\
         \x20   - name: app\n\
         \x20     image: {image}\n",
        pod = yaml_str(&pod),
        name = yaml_str(name),
        image = yaml_str(image),
    )
}

/// Turns a profile name into a Kubernetes object name (RFC 1123 subdomain: lowercase
/// letters, digits, `-` and `.`, starting and ending with an alphanumeric, at most 253).
pub fn kubernetes_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(253)
        .collect();
    let trimmed = trimmed
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned();
    if trimmed.is_empty() {
        "profile".to_owned()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_line_quotes_names_a_shell_would_split() {
        let line = docker_run("docker-default", "alpine");
        assert!(line.contains("docker run --rm -it --security-opt apparmor=docker-default alpine"));
        let odd = docker_run("my profile's", "alpine");
        assert!(odd.contains("apparmor='my profile'\\''s'"), "{odd}");
    }

    #[test]
    fn kubernetes_snippet_selects_the_localhost_profile() {
        let y = kubernetes("docker-default", "nginx");
        assert!(y.contains("type: Localhost"));
        assert!(y.contains("localhostProfile: \"docker-default\""));
        assert!(y.contains("name: \"docker-default\""));
    }

    #[test]
    fn kubernetes_names_are_rfc1123() {
        assert_eq!(kubernetes_name("/usr/bin/Foo_Bar"), "usr-bin-foo-bar");
        assert_eq!(kubernetes_name("docker-default"), "docker-default");
        assert_eq!(kubernetes_name("///"), "profile");
    }

    #[test]
    fn yaml_strings_escape_quotes_and_controls() {
        assert_eq!(yaml_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }
}
