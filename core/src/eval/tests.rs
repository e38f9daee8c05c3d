use super::*;

#[test]
fn rank_orders_deny_over_exact_over_allow() {
    assert!(rank(0, true, false) > rank(0, false, true));
    assert!(rank(0, false, true) > rank(0, false, false));
    assert!(rank(1, false, false) > rank(0, true, false));
}
