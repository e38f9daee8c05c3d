//! The tagged serialization stream that `apparmor_parser` writes and the kernel's
//! `policy_unpack.c` reads.
//!
//! Every element is a one-byte type code, optionally preceded by a name element
//! (code 4, a u16 length and a NUL-terminated string). Integers are little endian.
//! Strings carry a u16 length that includes their terminating NUL, blobs a u32 length.
//! Structs, lists and arrays nest until their matching end code; arrays additionally
//! carry a u16 element count after their code.

use crate::error::OracleError;

/// Nesting deeper than this is refused: real policy nests three or four levels, and a
/// bound keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 32;

const CODE_U8: u8 = 0;
const CODE_U16: u8 = 1;
const CODE_U32: u8 = 2;
const CODE_U64: u8 = 3;
const CODE_NAME: u8 = 4;
const CODE_STRING: u8 = 5;
const CODE_BLOB: u8 = 6;
const CODE_STRUCT: u8 = 7;
const CODE_STRUCTEND: u8 = 8;
const CODE_LIST: u8 = 9;
const CODE_LISTEND: u8 = 10;
const CODE_ARRAY: u8 = 11;
const CODE_ARRAYEND: u8 = 12;

/// The payload of one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Code 0.
    U8(u8),
    /// Code 1.
    U16(u16),
    /// Code 2.
    U32(u32),
    /// Code 3.
    U64(u64),
    /// Code 5: the bytes without the terminating NUL (inner NULs are kept, the exec
    /// table uses them to separate a namespace from a profile name).
    Str(Vec<u8>),
    /// Code 6: raw bytes, and the stream offset where they start (DFA blobs are padded
    /// relative to that offset).
    Blob {
        /// Offset of the first data byte in the whole stream.
        offset: usize,
        /// The data.
        data: Vec<u8>,
    },
    /// Code 7 … 8.
    Struct(Vec<Element>),
    /// Code 9 … 10.
    List(Vec<Element>),
    /// Code 11 … 12, with the count the stream announced (in records, which may span
    /// several elements each).
    Array {
        /// The announced element count.
        count: u16,
        /// The elements actually read.
        items: Vec<Element>,
    },
}

/// One element: an optional name and a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The name tag, if the element had one.
    pub name: Option<String>,
    /// The payload.
    pub value: Value,
    /// Stream offset of the element's first byte (its name tag if it has one).
    pub offset: usize,
}

impl Element {
    /// Whether the element is named `name`.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }
}

/// Reads a whole stream into its top-level elements.
pub fn parse(bytes: &[u8]) -> Result<Vec<Element>, OracleError> {
    let mut reader = Reader { bytes, pos: 0 };
    let mut out = Vec::new();
    while reader.pos < bytes.len() {
        match reader.element(0)? {
            Item::Element(e) => out.push(e),
            Item::End(code, at) => {
                return Err(OracleError::Stream {
                    offset: at,
                    message: format!("unexpected end marker {code} at top level"),
                })
            }
        }
    }
    Ok(out)
}

enum Item {
    Element(Element),
    End(u8, usize),
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> OracleError {
        OracleError::Stream {
            offset,
            message: message.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], OracleError> {
        let start = self.pos;
        let end = start
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                self.err(
                    start,
                    format!(
                        "needs {n} more bytes but only {} remain",
                        self.bytes.len() - start.min(self.bytes.len())
                    ),
                )
            })?;
        self.pos = end;
        self.bytes
            .get(start..end)
            .ok_or_else(|| self.err(start, "range out of bounds"))
    }

    fn u8(&mut self) -> Result<u8, OracleError> {
        let b = self.take(1)?;
        b.first().copied().ok_or_else(|| self.err(self.pos, "eof"))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], OracleError> {
        let at = self.pos;
        let b = self.take(N)?;
        <[u8; N]>::try_from(b).map_err(|_| self.err(at, "short read"))
    }

    fn u16(&mut self) -> Result<u16, OracleError> {
        Ok(u16::from_le_bytes(self.array::<2>()?))
    }

    fn u32(&mut self) -> Result<u32, OracleError> {
        Ok(u32::from_le_bytes(self.array::<4>()?))
    }

    fn u64(&mut self) -> Result<u64, OracleError> {
        Ok(u64::from_le_bytes(self.array::<8>()?))
    }

    /// A u16-length chunk that must end in NUL; returns it without the NUL.
    fn cstr(&mut self) -> Result<Vec<u8>, OracleError> {
        let at = self.pos;
        let len = usize::from(self.u16()?);
        let raw = self.take(len)?;
        match raw.split_last() {
            Some((0, body)) => Ok(body.to_vec()),
            _ => Err(self.err(at, "string is empty or not NUL terminated")),
        }
    }

    fn element(&mut self, depth: usize) -> Result<Item, OracleError> {
        if depth > MAX_DEPTH {
            return Err(self.err(self.pos, "nesting is too deep"));
        }
        let offset = self.pos;
        let mut code = self.u8()?;
        let mut name = None;
        if code == CODE_NAME {
            let raw = self.cstr()?;
            name = Some(String::from_utf8_lossy(&raw).into_owned());
            code = self.u8()?;
        }
        let value = match code {
            CODE_U8 => Value::U8(self.u8()?),
            CODE_U16 => Value::U16(self.u16()?),
            CODE_U32 => Value::U32(self.u32()?),
            CODE_U64 => Value::U64(self.u64()?),
            CODE_STRING => Value::Str(self.cstr()?),
            CODE_BLOB => {
                let len = usize::try_from(self.u32()?)
                    .map_err(|_| self.err(offset, "blob length does not fit"))?;
                let start = self.pos;
                let data = self.take(len)?.to_vec();
                Value::Blob {
                    offset: start,
                    data,
                }
            }
            CODE_STRUCT => Value::Struct(self.children(depth, CODE_STRUCTEND)?),
            CODE_LIST => Value::List(self.children(depth, CODE_LISTEND)?),
            CODE_ARRAY => {
                let count = self.u16()?;
                // The count is in records, not elements: `net_allowed_af` announces one
                // per address family and holds three u16 for each. Users of an array
                // check its shape themselves, as the kernel does.
                let items = self.children(depth, CODE_ARRAYEND)?;
                Value::Array { count, items }
            }
            CODE_STRUCTEND | CODE_LISTEND | CODE_ARRAYEND => {
                if name.is_some() {
                    return Err(self.err(offset, "end marker carries a name"));
                }
                return Ok(Item::End(code, offset));
            }
            other => return Err(self.err(offset, format!("unknown type code {other}"))),
        };
        Ok(Item::Element(Element {
            name,
            value,
            offset,
        }))
    }

    fn children(&mut self, depth: usize, end: u8) -> Result<Vec<Element>, OracleError> {
        let mut out = Vec::new();
        loop {
            if self.pos >= self.bytes.len() {
                return Err(self.err(self.pos, format!("missing end marker {end}")));
            }
            match self.element(depth + 1)? {
                Item::Element(e) => out.push(e),
                Item::End(code, at) if code == end => {
                    let _ = at;
                    return Ok(out);
                }
                Item::End(code, at) => {
                    return Err(self.err(at, format!("end marker {code} where {end} was expected")))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_named_scalars_and_structs() {
        let mut s = vec![4, 2, 0, b'v', 0, 2, 5, 0, 0, 0];
        s.extend([7, 4, 2, 0, b'x', 0, 1, 0x34, 0x12, 8]);
        let els = parse(&s).unwrap();
        assert_eq!(els.len(), 2);
        assert!(els[0].is_named("v"));
        assert_eq!(els[0].value, Value::U32(5));
        match &els[1].value {
            Value::Struct(c) => {
                assert_eq!(c[0].value, Value::U16(0x1234));
                assert!(c[0].is_named("x"));
            }
            v => panic!("unexpected {v:?}"),
        }
    }

    #[test]
    fn truncated_input_is_an_error_with_offset() {
        let s = [2u8, 1, 0];
        match parse(&s) {
            Err(OracleError::Stream { offset, .. }) => assert_eq!(offset, 1),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unterminated_struct_and_bad_array_count_are_errors() {
        assert!(parse(&[7, 2, 0, 0, 0, 0]).is_err());
        assert!(parse(&[11, 2, 0, 2, 1, 0, 0, 0]).is_err());
        assert!(parse(&[8]).is_err());
        assert!(parse(&[99]).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let s = vec![7u8; 10_000];
        assert!(parse(&s).is_err());
    }
}
