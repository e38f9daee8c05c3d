//! Byte offsets (what the core's spans use) to editor positions (what the textarea uses),
//! in one place.
//!
//! The core counts UTF-8 bytes; a `<textarea>`'s `selectionStart` counts UTF-16 code units;
//! people count lines and columns from 1. Every conversion goes through this module so that
//! a profile with non-ASCII comments still highlights the right characters.

/// Line starts of a text, for offset → line lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes a text.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// Number of lines (a text ending in a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The 1-based line of a byte offset (clamped to the text).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The byte range of 1-based `line`, without its newline.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.len);
        let end = self
            .starts
            .get(line)
            .map(|e| e.saturating_sub(1))
            .unwrap_or(self.len);
        start..end.max(start)
    }
}

/// The UTF-16 offset (textarea position) of a byte offset. Offsets inside a character or
/// past the end are clamped to the previous character boundary.
pub fn byte_to_utf16(text: &str, byte: usize) -> u32 {
    let mut units = 0u32;
    for (i, c) in text.char_indices() {
        if i >= byte {
            break;
        }
        // A character always has a UTF-16 length of 1 or 2.
        units += u32::try_from(c.len_utf16()).unwrap_or(2);
    }
    units
}

/// The byte offset of a UTF-16 offset (textarea position), clamped to the text.
pub fn utf16_to_byte(text: &str, units: u32) -> usize {
    let mut seen = 0u32;
    for (i, c) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += u32::try_from(c.len_utf16()).unwrap_or(2);
    }
    text.len()
}

/// The longest line's length in characters, for sizing the editor.
pub fn longest_line_chars(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based_and_ranges_exclude_newlines() {
        let t = "ab\ncd\n\nef";
        let ix = LineIndex::new(t);
        assert_eq!(ix.line_count(), 4);
        assert_eq!(ix.line_of(0), 1);
        assert_eq!(ix.line_of(2), 1); // the newline belongs to its line
        assert_eq!(ix.line_of(3), 2);
        assert_eq!(ix.line_of(6), 3);
        assert_eq!(ix.line_of(100), 4);
        assert_eq!(&t[ix.line_range(2)], "cd");
        assert_eq!(&t[ix.line_range(3)], "");
        assert_eq!(&t[ix.line_range(4)], "ef");
        assert_eq!(ix.line_range(9), t.len()..t.len());
    }

    #[test]
    fn utf16_conversions_agree_on_non_ascii() {
        // 'é' is 2 bytes / 1 unit, '𝄞' is 4 bytes / 2 units.
        let t = "aé𝄞b";
        assert_eq!(byte_to_utf16(t, 0), 0);
        assert_eq!(byte_to_utf16(t, 1), 1);
        assert_eq!(byte_to_utf16(t, 3), 2);
        assert_eq!(byte_to_utf16(t, 7), 4);
        assert_eq!(byte_to_utf16(t, 8), 5);
        for b in [0, 1, 3, 7, 8] {
            assert_eq!(utf16_to_byte(t, byte_to_utf16(t, b)), b);
        }
        assert_eq!(utf16_to_byte(t, 99), t.len());
        assert_eq!(longest_line_chars("ab\né𝄞xyz\n"), 5);
    }
}
