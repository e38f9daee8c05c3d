//! The playground's templates, by the ids its share links use, so that `import` can open a
//! link that names a template instead of carrying the profile text.

/// `(id, text)` for every template the playground offers (the same files it bundles).
const TEMPLATES: [(&str, &str); 4] = [
    (
        "docker-default",
        include_str!("../../templates/docker-default.rendered.apparmor"),
    ),
    (
        "docker-default-docs",
        include_str!("../../templates/docker-default.docs.apparmor"),
    ),
    (
        "containerd-default",
        include_str!("../../templates/containerd-default.rendered.apparmor"),
    ),
    (
        "empty",
        "abi <abi/3.0>,\n\ninclude <tunables/global>\n\nprofile my-profile flags=(attach_disconnected) {\n  include <abstractions/base>\n\n}\n",
    ),
];

/// The text of the template with this id.
pub fn template(id: &str) -> Option<&'static str> {
    TEMPLATES.iter().find(|(i, _)| *i == id).map(|(_, t)| *t)
}
