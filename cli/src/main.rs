//! The `armorlab` command (being written).
fn main() {}
