//! The binary policy reader must turn any damaged stream into an error, never a panic
//! or a hang: truncations and byte flips of a real compiled profile.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use armorlab_oracle::pathgen::Rng;
use armorlab_oracle::{BinaryPolicy, Compiler};

#[test]
fn damaged_streams_are_errors_not_panics() {
    if !common::parser_or_skip("damaged_streams_are_errors_not_panics") {
        return;
    }
    let bytes = Compiler::default()
        .binary_file(&common::template("docker-default.docs.apparmor"))
        .unwrap();
    let good = BinaryPolicy::from_bytes(&bytes).unwrap();
    let reference = good
        .file_perms("docker-default", "/proc/uptime", true)
        .unwrap();

    // Every truncation point inside the profile struct leaves it unterminated.
    let mut truncated_errors = 0;
    for cut in (0..bytes.len()).step_by(7) {
        if BinaryPolicy::from_bytes(&bytes[..cut]).is_err() {
            truncated_errors += 1;
        }
    }
    // Only the empty prefix parses (to an empty policy).
    assert_eq!(truncated_errors, bytes.len().div_ceil(7) - 1);

    // Random byte flips: whatever they do, the reader answers (Ok or Err) and queries
    // on a surviving policy answer too.
    let mut rng = Rng::new(42);
    let mut errors = 0;
    let mut changed_answers = 0;
    for _ in 0..2000 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(damaged.len());
            damaged[at] ^= 1 << rng.below(8);
        }
        match BinaryPolicy::from_bytes(&damaged) {
            Err(_) => errors += 1,
            Ok(p) => {
                for name in p.profiles() {
                    if let Ok(r) = p.file_perms(&name, "/proc/uptime", true) {
                        if r != reference {
                            changed_answers += 1;
                        }
                    }
                }
            }
        }
    }
    println!("byte flips: {errors} of 2000 refused, {changed_answers} changed an answer");
    assert!(errors > 0, "no damage was ever detected");
}
