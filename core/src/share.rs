//! Playground share links: the whole playground state in a URL fragment.
//!
//! A share link carries the profile text, the user's include edits, the queries and the
//! template the profile started from, so that opening it restores the playground exactly.
//! Everything lives in the fragment (after `#`), which browsers never send to a server.
//!
//! # Fragment keys
//!
//! The fragment is a `&`-separated list of keys, each percent-encoded:
//!
//! | key | meaning |
//! |---|---|
//! | `s=<state>` | the whole state, as written by [`encode`] |
//! | `template=ID` | start from a bundled template (`docker-default`, `docker-default-docs`, `containerd-default`, `empty`) |
//! | `profile=<text>` | the profile text, compressed with [`encode_text`] |
//! | `q=<query>` | a query in `armorlab test` syntax; repeatable, in order |
//! | `embed` | the compact layout for an `<iframe>` |
//!
//! Unknown keys are ignored, so that older readers accept links from newer writers that
//! add keys.
//!
//! # Compressed values
//!
//! A compressed value is `<version>.<base64url(deflate(payload))>`. The version is `1`
//! today. For `s=` the payload is a sequence of length-prefixed UTF-8 strings (see
//! [`encode`]); for `profile=` it is the profile text itself. Decoding enforces size
//! limits before and after decompression, so a hostile link cannot exhaust memory.
//!
//! ```
//! use armorlab_core::share::{decode, encode, ShareState};
//!
//! let state = ShareState {
//!     profile: "profile p { file, }\n".into(),
//!     includes: vec![("/etc/apparmor.d/tunables/global".into(), "# mine\n".into())],
//!     queries: vec!["file r /etc/passwd".into()],
//!     template: Some("empty".into()),
//! };
//! let fragment = encode(&state);
//! assert!(fragment.starts_with("s=1."));
//! assert_eq!(decode(&fragment).unwrap(), state);
//! // A whole URL works too.
//! assert_eq!(decode(&format!("http://127.0.0.1:8080/#{fragment}")).unwrap(), state);
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The format version [`encode`] writes.
pub const VERSION: u32 = 1;

/// The longest fragment [`decode`] accepts, in bytes (after the `#`).
pub const MAX_FRAGMENT_BYTES: usize = 512 * 1024;

/// The largest payload a compressed value may inflate to, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// The most queries a link may carry.
pub const MAX_QUERIES: usize = 1000;

/// The most include files a link may carry.
pub const MAX_INCLUDES: usize = 2000;

/// Everything a share link restores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareState {
    /// The profile text. Empty when only `template` is given: the reader then uses the
    /// template's text.
    pub profile: String,
    /// Include files the user edited or added: `(absolute path, text)`, in order.
    pub includes: Vec<(String, String)>,
    /// Queries in `armorlab test` syntax, in order.
    pub queries: Vec<String>,
    /// The template the profile started from, if any.
    pub template: Option<String>,
}

/// A parsed fragment: the state plus presentation flags that are not part of the state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fragment {
    /// The state the fragment describes.
    pub state: ShareState,
    /// Whether the fragment asks for the compact embed layout (`embed`).
    pub embed: bool,
}

/// Why a share link could not be read. Every message is meant for the user who pasted it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// The fragment is longer than [`MAX_FRAGMENT_BYTES`].
    #[error("the share link is too long ({len} bytes, at most {limit} are accepted)")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The fragment holds nothing a playground could open.
    #[error("the share link is empty")]
    Empty,
    /// A compressed value carries a version this build does not know.
    #[error(
        "the share link uses format version `{found}`, this playground reads version {VERSION}"
    )]
    UnsupportedVersion {
        /// The version found.
        found: String,
    },
    /// A compressed value is not `<version>.<base64url>`.
    #[error("the value of `{key}` is not valid base64url")]
    NotBase64 {
        /// The fragment key.
        key: String,
    },
    /// A compressed value does not inflate (truncated or corrupted link).
    #[error("the value of `{key}` is damaged (it does not decompress); the link may be truncated")]
    NotDeflate {
        /// The fragment key.
        key: String,
    },
    /// A compressed value inflates to more than [`MAX_PAYLOAD_BYTES`].
    #[error("the value of `{key}` decompresses to more than {limit} bytes")]
    PayloadTooLarge {
        /// The fragment key.
        key: String,
        /// The limit.
        limit: usize,
    },
    /// A value is not UTF-8 text.
    #[error("the value of `{key}` is not UTF-8 text")]
    NotUtf8 {
        /// The fragment key.
        key: String,
    },
    /// The state payload is structurally wrong (truncated fields, too many entries, ...).
    #[error("the share link state is malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// A percent escape is invalid.
    #[error("invalid percent escape in `{key}`")]
    BadEscape {
        /// The fragment key.
        key: String,
    },
}

/// Encodes the whole state as a fragment (without the leading `#`): `s=1.<base64url>`.
///
/// The payload is, in order: the profile, the template id (empty when none), the number of
/// includes followed by each path and text, the number of queries followed by each query.
/// Strings are a LEB128 length followed by UTF-8 bytes; counts are LEB128 numbers.
pub fn encode(state: &ShareState) -> String {
    let mut payload = Vec::with_capacity(state.profile.len() + 64);
    put_str(&mut payload, &state.profile);
    put_str(&mut payload, state.template.as_deref().unwrap_or(""));
    put_len(&mut payload, state.includes.len());
    for (path, text) in &state.includes {
        put_str(&mut payload, path);
        put_str(&mut payload, text);
    }
    put_len(&mut payload, state.queries.len());
    for q in &state.queries {
        put_str(&mut payload, q);
    }
    format!("s={}", compress(&payload))
}

/// Compresses a profile text for the `profile=` fragment key: `1.<base64url>`.
pub fn encode_text(text: &str) -> String {
    compress(text.as_bytes())
}

/// Percent-encodes a query for the `q=` fragment key. Letters, digits and `-._~/*,:@!$'()[]^`
/// stay as they are so links remain readable; everything else is escaped.
pub fn encode_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for b in query.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/*,:@!$'()[]^{}".contains(&b);
        if keep {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push_str("%20");
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a share link (a whole URL, a fragment with or without `#`) into the state.
///
/// Shorthand for [`parse_fragment`] when the presentation flags do not matter (the CLI's
/// `armorlab import`).
pub fn decode(fragment: &str) -> Result<ShareState, ShareError> {
    parse_fragment(fragment).map(|f| f.state)
}

/// Parses a share link or embed fragment: a whole URL, or the part after `#`.
///
/// `s=` restores the whole state; `template=`, `profile=` and `q=` may also appear (alone or
/// after `s=`, in which case they override its template/profile and append queries).
pub fn parse_fragment(input: &str) -> Result<Fragment, ShareError> {
    let fragment = match input.find('#') {
        Some(i) => input.get(i + 1..).unwrap_or(""),
        None => input,
    };
    let fragment = fragment.trim();
    if fragment.len() > MAX_FRAGMENT_BYTES {
        return Err(ShareError::TooLong {
            len: fragment.len(),
            limit: MAX_FRAGMENT_BYTES,
        });
    }
    let mut out = Fragment::default();
    let mut any = false;
    for part in fragment.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = match part.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (part, None),
        };
        match (key, raw) {
            ("embed", _) => out.embed = true,
            ("s", Some(v)) => {
                let payload = decompress("s", v)?;
                let mut extra_queries = std::mem::take(&mut out.state.queries);
                out.state = parse_state(&payload)?;
                out.state.queries.append(&mut extra_queries);
                any = true;
            }
            ("template", Some(v)) => {
                out.state.template = Some(percent_decode("template", v)?);
                any = true;
            }
            ("profile", Some(v)) => {
                let payload = decompress("profile", v)?;
                out.state.profile =
                    String::from_utf8(payload).map_err(|_| ShareError::NotUtf8 {
                        key: "profile".into(),
                    })?;
                any = true;
            }
            ("q", Some(v)) => {
                if out.state.queries.len() >= MAX_QUERIES {
                    return Err(ShareError::Malformed {
                        reason: format!("more than {MAX_QUERIES} queries"),
                    });
                }
                out.state.queries.push(percent_decode("q", v)?);
                any = true;
            }
            // Unknown keys are ignored for forward compatibility.
            _ => {}
        }
    }
    if !any {
        // A bare compressed state (what `encode` writes after `s=`) is accepted too, so
        // that users may paste just the value.
        if fragment.starts_with(|c: char| c.is_ascii_digit()) && fragment.contains('.') {
            let payload = decompress("s", fragment)?;
            out.state = parse_state(&payload)?;
            return Ok(out);
        }
        if !out.embed {
            return Err(ShareError::Empty);
        }
    }
    Ok(out)
}

fn compress(bytes: &[u8]) -> String {
    let deflated = miniz_oxide::deflate::compress_to_vec(bytes, 9);
    format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(deflated))
}

fn decompress(key: &str, value: &str) -> Result<Vec<u8>, ShareError> {
    let value = value.trim();
    let Some((version, data)) = value.split_once('.') else {
        return Err(ShareError::NotBase64 { key: key.into() });
    };
    if version != VERSION.to_string() {
        return Err(ShareError::UnsupportedVersion {
            found: version.chars().take(16).collect(),
        });
    }
    // Padding is tolerated (some tools add it), and so are `+`/`/` from standard base64.
    let cleaned: String = data
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let deflated = URL_SAFE_NO_PAD
        .decode(cleaned.as_bytes())
        .map_err(|_| ShareError::NotBase64 { key: key.into() })?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_PAYLOAD_BYTES).map_err(|e| {
        if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
            ShareError::PayloadTooLarge {
                key: key.into(),
                limit: MAX_PAYLOAD_BYTES,
            }
        } else {
            ShareError::NotDeflate { key: key.into() }
        }
    })
}

fn percent_decode(key: &str, value: &str) -> Result<String, ShareError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| ShareError::BadEscape { key: key.into() })?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                // Form encoding writes spaces as `+`; queries never contain a literal `+`
                // that matters more than readability of hand-written links.
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ShareError::NotUtf8 { key: key.into() })
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// A cursor over the state payload that reports truncation instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn len(&mut self, what: &str) -> Result<usize, ShareError> {
        let mut n: usize = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.pos).ok_or_else(|| truncated(what))?;
            self.pos += 1;
            n |= usize::from(b & 0x7f)
                .checked_shl(shift)
                .ok_or_else(|| truncated(what))?;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(ShareError::Malformed {
            reason: format!("the length of {what} is out of range"),
        })
    }

    fn str(&mut self, what: &str) -> Result<String, ShareError> {
        let n = self.len(what)?;
        let end = self.pos.checked_add(n).ok_or_else(|| truncated(what))?;
        let bytes = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| truncated(what))?;
        self.pos = end;
        String::from_utf8(bytes.to_vec()).map_err(|_| ShareError::Malformed {
            reason: format!("{what} is not UTF-8 text"),
        })
    }
}

fn truncated(what: &str) -> ShareError {
    ShareError::Malformed {
        reason: format!("it ends inside {what}"),
    }
}

fn parse_state(payload: &[u8]) -> Result<ShareState, ShareError> {
    let mut r = Reader {
        bytes: payload,
        pos: 0,
    };
    let profile = r.str("the profile")?;
    let template = r.str("the template id")?;
    let n_includes = r.len("the include count")?;
    if n_includes > MAX_INCLUDES {
        return Err(ShareError::Malformed {
            reason: format!("{n_includes} include files (at most {MAX_INCLUDES})"),
        });
    }
    let mut includes = Vec::with_capacity(n_includes);
    for _ in 0..n_includes {
        let path = r.str("an include path")?;
        let text = r.str("an include text")?;
        includes.push((path, text));
    }
    let n_queries = r.len("the query count")?;
    if n_queries > MAX_QUERIES {
        return Err(ShareError::Malformed {
            reason: format!("{n_queries} queries (at most {MAX_QUERIES})"),
        });
    }
    let mut queries = Vec::with_capacity(n_queries);
    for _ in 0..n_queries {
        queries.push(r.str("a query")?);
    }
    if r.pos != payload.len() {
        return Err(ShareError::Malformed {
            reason: "unexpected bytes after the queries".into(),
        });
    }
    Ok(ShareState {
        profile,
        includes,
        queries,
        template: (!template.is_empty()).then_some(template),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ShareState {
        ShareState {
            profile: "abi <abi/3.0>,\nprofile p {\n  deny /proc/** w,\n  ünïcode,\n}\n".into(),
            includes: vec![
                (
                    "/etc/apparmor.d/tunables/global".into(),
                    "@{PROC}=/proc/\n".into(),
                ),
                ("/etc/apparmor.d/local/mine".into(), String::new()),
            ],
            queries: vec![
                "file w /proc/sys/kernel/core_pattern".into(),
                "capability sys_admin".into(),
                "a & b = c # d %".into(),
            ],
            template: Some("docker-default".into()),
        }
    }

    #[test]
    fn round_trips_the_whole_state() {
        let s = sample();
        assert_eq!(decode(&encode(&s)).unwrap(), s);
        let empty = ShareState::default();
        assert_eq!(decode(&encode(&empty)).unwrap(), empty);
    }

    #[test]
    fn accepts_urls_hashes_and_bare_values() {
        let s = sample();
        let f = encode(&s);
        assert_eq!(decode(&format!("#{f}")).unwrap(), s);
        assert_eq!(
            decode(&format!("https://armorlab.example/play/#{f}&embed")).unwrap(),
            s
        );
        let bare = f.strip_prefix("s=").unwrap();
        assert_eq!(decode(bare).unwrap(), s);
    }

    #[test]
    fn parses_embed_keys_in_order() {
        let text = "profile x { file, }\n";
        let frag = format!(
            "embed&profile={}&q={}&q=capability%20sys_admin&template=empty",
            encode_text(text),
            encode_query("file w /tmp/a b")
        );
        let f = parse_fragment(&frag).unwrap();
        assert!(f.embed);
        assert_eq!(f.state.profile, text);
        assert_eq!(f.state.template.as_deref(), Some("empty"));
        assert_eq!(
            f.state.queries,
            vec!["file w /tmp/a b".to_string(), "capability sys_admin".into()]
        );
    }

    #[test]
    fn template_only_link_has_empty_profile() {
        let f = parse_fragment("#template=docker-default&q=file+w+/proc/kcore").unwrap();
        assert!(!f.embed);
        assert_eq!(f.state.profile, "");
        assert_eq!(f.state.template.as_deref(), Some("docker-default"));
        assert_eq!(f.state.queries, vec!["file w /proc/kcore".to_string()]);
    }

    #[test]
    fn encode_query_round_trips_through_percent_decoding() {
        for q in [
            "file rw /a b/c",
            "signal (send) set=(kill) peer=x",
            "100%&=#+?",
        ] {
            assert_eq!(percent_decode("q", &encode_query(q)).unwrap(), q);
        }
    }

    #[test]
    fn garbage_gives_friendly_errors() {
        assert_eq!(decode(""), Err(ShareError::Empty));
        assert_eq!(decode("#"), Err(ShareError::Empty));
        assert_eq!(decode("#foo=bar"), Err(ShareError::Empty));
        assert!(matches!(
            decode("#s=1.!!!!"),
            Err(ShareError::NotBase64 { .. })
        ));
        assert!(matches!(
            decode("#s=1.AAAAAAAA"),
            Err(ShareError::NotDeflate { .. })
        ));
        assert!(matches!(
            decode("#s=9.AAAA"),
            Err(ShareError::UnsupportedVersion { .. })
        ));
        assert!(matches!(
            decode("#s=nodot"),
            Err(ShareError::NotBase64 { .. })
        ));
        assert!(matches!(
            decode("#q=%zz"),
            Err(ShareError::BadEscape { .. })
        ));
        // A truncated link: valid deflate of a payload that ends early.
        let f = encode(&sample());
        let payload = decompress("s", f.strip_prefix("s=").unwrap()).unwrap();
        let cut = compress(&payload[..payload.len() - 3]);
        let err = decode(&format!("s={cut}")).unwrap_err();
        assert!(matches!(err, ShareError::Malformed { .. }), "{err}");
        // Errors read as sentences for the user.
        assert_eq!(
            ShareError::NotDeflate { key: "s".into() }.to_string(),
            "the value of `s` is damaged (it does not decompress); the link may be truncated"
        );
    }

    #[test]
    fn enforces_size_limits() {
        let long = format!("s=1.{}", "A".repeat(MAX_FRAGMENT_BYTES));
        assert!(matches!(decode(&long), Err(ShareError::TooLong { .. })));
        // A deflate bomb: small link, huge payload.
        let bomb = compress(&vec![b'a'; MAX_PAYLOAD_BYTES + 10]);
        assert!(bomb.len() < MAX_FRAGMENT_BYTES);
        assert!(matches!(
            decode(&format!("profile={bomb}")),
            Err(ShareError::PayloadTooLarge { .. })
        ));
        // A count far beyond the payload must not allocate.
        let mut payload = Vec::new();
        put_str(&mut payload, "p");
        put_str(&mut payload, "");
        put_len(&mut payload, usize::MAX >> 8);
        assert!(matches!(
            decode(&format!("s={}", compress(&payload))),
            Err(ShareError::Malformed { .. })
        ));
    }

    #[test]
    fn docker_default_link_is_short() {
        let text = include_str!("../../templates/docker-default.rendered.apparmor");
        let f = encode(&ShareState {
            profile: text.into(),
            ..Default::default()
        });
        // Compression keeps a typical profile well inside any browser's URL limit.
        assert!(
            f.len() < text.len() * 2 / 3,
            "{} vs {}",
            f.len(),
            text.len()
        );
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_state_round_trips(
            profile in ".{0,200}",
            includes in proptest::collection::vec((".{0,20}", ".{0,50}"), 0..4),
            queries in proptest::collection::vec(".{0,30}", 0..5),
            template in proptest::option::of("[a-z-]{1,20}"),
        ) {
            let s = ShareState { profile, includes, queries, template };
            prop_assert_eq!(decode(&encode(&s)).unwrap(), s);
        }

        #[test]
        fn garbage_never_panics(input in ".{0,300}") {
            let _ = parse_fragment(&input);
        }
    }
}
