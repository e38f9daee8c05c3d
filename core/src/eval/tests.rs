use super::*;

#[test]
fn rank_orders_deny_over_exact_over_allow() {
    assert!(rank(0, true, false) > rank(0, false, true));
    assert!(rank(0, false, true) > rank(0, false, false));
    assert!(rank(1, false, false) > rank(0, true, false));
}

#[test]
fn the_glob_set_keeps_unfiltered_slashes() {
    let g = crate::glob::parse_unfiltered("a//b").unwrap();
    let m = crate::glob::GlobSet::new(&[g]).unwrap();
    assert!(m.is_match(0, "a//b"));
}

#[test]
fn peer_labels_keep_their_double_slash() {
    let mut b = classes::Builder::default();
    let rule = crate::model::Rule {
        qualifiers: Default::default(),
        kind: crate::model::RuleKind::Signal(crate::model::AccessRule {
            access: vec![],
            conds: vec![],
            peer: vec![crate::model::Cond {
                key: "label".into(),
                values: vec!["a//b".into()],
                is_in: false,
            }],
            words: vec![],
        }),
        text: String::new(),
        location: Default::default(),
        included_from: vec![],
        implicit: false,
    };
    let mut errors = Vec::new();
    b.add(0, &rule, &mut errors);
    let c = b.finish(&mut errors).unwrap();
    assert!(c.debug_gm(0, "a//b"));
    assert!(!c.debug_gm(0, "a/b"));
}

/// `unspec` is address family 0: apparmor_parser builds its family names from
/// `sys/socket.h`, `AF_UNSPEC` included, and accepts `network unspec,`. A rule naming it
/// therefore restricts the family, not the protocol.
#[test]
fn network_unspec_is_a_family() {
    let a = crate::analyze("t", "profile t { network unspec, }", &crate::NoIncludes);
    assert!(!a.has_errors(), "{:?}", a.diagnostics);
    let c = compile(&a.policy, &a.sources).unwrap();
    let ask = |q: &str| c.decide("t", &parse_query(q).unwrap()).unwrap().verdict;
    assert_eq!(ask("network unspec stream"), Verdict::Allow);
    assert_eq!(ask("network inet stream"), Verdict::Deny);
}
