//! The postcard form of a session value (SPEC.md, "Session values"): one tag byte,
//! then postcard's own integer, float and length forms. Tags 0 to 7 are the tagged
//! enum that serde writes for a [`Value`] under postcard; the others make common
//! session data smaller: booleans, integers 0 to 63 and strings up to 47 bytes in
//! the tag byte, and arrays of maps sharing one key set ("records") with their keys
//! written once.
//!
//! Encoded and decoded here by hand rather than through serde so that the bytes are
//! exactly the specified ones, and so that reading bounds every allocation by the
//! input length before making it.

use std::collections::BTreeMap;

use super::{FormError, MAX_DEPTH, PREALLOCATE, RECORDS_BUDGET, Value, insert_unique};

const NULL: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const UINT: u8 = 3;
const FLOAT: u8 = 4;
const STRING: u8 = 5;
const ARRAY: u8 = 6;
const MAP: u8 = 7;
const FALSE: u8 = 8;
const TRUE: u8 = 9;
const RECORDS: u8 = 10;
/// Tags 16 to 63: a string of `tag - 16` bytes follows.
const SHORT_STRING: u8 = 16;
const SHORT_STRING_MAX: usize = 47;
/// Tags 64 to 127: the integer `tag - 64`.
const SMALL_INT: u8 = 64;
const SMALL_INT_MAX: i64 = 63;

/// Appends the postcard form of `value` to `out`.
///
/// # Errors
/// When the value is outside the data model: nested too deep, or a non-finite float.
pub fn encode(value: &Value, out: &mut Vec<u8>) -> Result<(), FormError> {
    let mut budget = RECORDS_BUDGET;
    write(value, 0, &mut budget, out)
}

/// Decodes exactly `bytes` as the postcard form of a session value.
///
/// # Errors
/// When the bytes are not one (see [`FormError`]).
pub fn decode(bytes: &[u8]) -> Result<Value, FormError> {
    let mut reader = Reader {
        bytes,
        pos: 0,
        budget: RECORDS_BUDGET,
    };
    let value = reader.value(0)?;
    match bytes.len() - reader.pos {
        0 => Ok(value),
        rest => Err(FormError::Trailing(rest)),
    }
}

fn write_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn write_len(len: usize, out: &mut Vec<u8>) {
    write_varint(len as u64, out);
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    write_len(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn write(
    value: &Value,
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<u8>,
) -> Result<(), FormError> {
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
        Value::Int(i) => write_int(*i, out),
        Value::UInt(u) => match i64::try_from(*u) {
            Ok(i) => write_int(i, out),
            Err(_) => {
                out.push(UINT);
                write_varint(*u, out);
            }
        },
        Value::Float(f) if !f.is_finite() => return Err(FormError::NonFinite(f.to_string())),
        Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::String(s) if s.len() <= SHORT_STRING_MAX => {
            out.push(SHORT_STRING + s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
        Value::String(s) => {
            out.push(STRING);
            write_str(s, out);
        }
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(FormError::TooDeep);
            }
            match record_keys(items, depth, *budget) {
                Some((keys, expansion)) => {
                    *budget -= expansion;
                    out.push(RECORDS);
                    write_len(keys.len(), out);
                    for key in &keys {
                        write_str(key, out);
                    }
                    write_len(items.len(), out);
                    for item in items {
                        if let Value::Map(row) = item {
                            for cell in row.values() {
                                write(cell, depth + 2, budget, out)?;
                            }
                        }
                    }
                }
                None => {
                    out.push(ARRAY);
                    write_len(items.len(), out);
                    for item in items {
                        write(item, depth + 1, budget, out)?;
                    }
                }
            }
        }
        Value::Map(map) => {
            if depth >= MAX_DEPTH {
                return Err(FormError::TooDeep);
            }
            out.push(MAP);
            write_len(map.len(), out);
            for (key, item) in map {
                write_str(key, out);
                write(item, depth + 1, budget, out)?;
            }
        }
    }
    Ok(())
}

fn write_int(i: i64, out: &mut Vec<u8>) {
    if (0..=SMALL_INT_MAX).contains(&i) {
        out.push(SMALL_INT + i as u8);
    } else {
        out.push(INT);
        write_varint(zigzag(i), out);
    }
}

/// The shared keys, and the key bytes they stand for, when `items` are written as
/// records: two or more maps, all with the same non-empty key set, whose
/// expansion fits what is left of the budget.
fn record_keys(items: &[Value], depth: usize, budget: usize) -> Option<(Vec<&str>, usize)> {
    let [Value::Map(first), rest @ ..] = items else {
        return None;
    };
    if rest.is_empty() || first.is_empty() || depth + 1 >= MAX_DEPTH {
        return None;
    }
    let same_keys = |item: &Value| match item {
        Value::Map(map) => map.len() == first.len() && map.keys().eq(first.keys()),
        _ => false,
    };
    if !rest.iter().all(same_keys) {
        return None;
    }
    let expansion = records_cost(first.keys().map(String::len), items.len())?;
    (expansion <= budget).then(|| (first.keys().map(String::as_str).collect(), expansion))
}

/// What `rows` maps with `keys` take in their plainest form: a map tag and count,
/// then per entry a one-byte key length, the key and a one-byte value. Records
/// that stand for at most [`RECORDS_BUDGET`] such bytes build no more than a
/// plaintext of that length could.
fn records_cost(key_lens: impl Iterator<Item = usize>, rows: usize) -> Option<usize> {
    let row: usize = 2 + key_lens.map(|len| 2 + len).sum::<usize>();
    row.checked_mul(rows)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Key bytes that records may still stand for.
    budget: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, FormError> {
        let byte = *self.bytes.get(self.pos).ok_or(FormError::Truncated)?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&[u8], FormError> {
        if len > self.remaining() {
            return Err(FormError::Truncated);
        }
        let start = self.pos;
        self.pos += len;
        Ok(&self.bytes[start..self.pos])
    }

    fn varint(&mut self) -> Result<u64, FormError> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte holds only the top bit of a u64.
            if i == 9 && bits > 1 {
                return Err(FormError::BadVarint);
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FormError::BadVarint)
    }

    /// A declared count of items that each take at least `min_bytes` bytes.
    fn count(&mut self, min_bytes: usize) -> Result<usize, FormError> {
        let declared = self.varint()?;
        usize::try_from(declared)
            .ok()
            .filter(|&n| n.saturating_mul(min_bytes) <= self.remaining())
            .ok_or(FormError::LengthTooLong(declared))
    }

    fn text(&mut self, len: usize) -> Result<String, FormError> {
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| FormError::NotUtf8)
    }

    fn string(&mut self) -> Result<String, FormError> {
        let len = self.count(1)?;
        self.text(len)
    }

    fn value(&mut self, depth: usize) -> Result<Value, FormError> {
        let tag = self.byte()?;
        Ok(match tag {
            NULL => Value::Null,
            BOOL => match self.byte()? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                other => return Err(FormError::BadBool(other)),
            },
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INT => Value::Int(unzigzag(self.varint()?)),
            UINT => Value::from(self.varint()?),
            FLOAT => {
                let bytes: [u8; 8] = self.take(8)?.try_into().expect("eight bytes");
                let f = f64::from_le_bytes(bytes);
                if !f.is_finite() {
                    return Err(FormError::NonFinite(f.to_string()));
                }
                Value::Float(f)
            }
            STRING => Value::String(self.string()?),
            SHORT_STRING..SMALL_INT => Value::String(self.text(usize::from(tag - SHORT_STRING))?),
            SMALL_INT..=0x7f => Value::Int(i64::from(tag - SMALL_INT)),
            ARRAY => {
                if depth >= MAX_DEPTH {
                    return Err(FormError::TooDeep);
                }
                let len = self.count(1)?;
                let mut items = Vec::with_capacity(len.min(PREALLOCATE));
                for _ in 0..len {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            MAP => {
                if depth >= MAX_DEPTH {
                    return Err(FormError::TooDeep);
                }
                let len = self.count(2)?;
                let mut map = BTreeMap::new();
                for _ in 0..len {
                    let key = self.string()?;
                    let item = self.value(depth + 1)?;
                    insert_unique(&mut map, key, item)?;
                }
                Value::Map(map)
            }
            RECORDS => self.records(depth)?,
            other => return Err(FormError::UnknownTag(other)),
        })
    }

    fn records(&mut self, depth: usize) -> Result<Value, FormError> {
        if depth + 1 >= MAX_DEPTH {
            return Err(FormError::TooDeep);
        }
        let key_count = self.count(1)?;
        let mut keys: Vec<String> = Vec::with_capacity(key_count.min(PREALLOCATE));
        for _ in 0..key_count {
            let key = self.string()?;
            if keys
                .last()
                .is_some_and(|last| last.as_bytes() >= key.as_bytes())
            {
                return Err(FormError::BadRecords);
            }
            keys.push(key);
        }
        let rows = self.count(key_count)?;
        if key_count == 0 || rows == 0 {
            return Err(FormError::BadRecords);
        }
        self.budget = records_cost(keys.iter().map(String::len), rows)
            .and_then(|expansion| self.budget.checked_sub(expansion))
            .ok_or(FormError::RecordsTooLarge)?;
        let mut items = Vec::with_capacity(rows.min(PREALLOCATE));
        for _ in 0..rows {
            let mut row = BTreeMap::new();
            for key in &keys {
                row.insert(key.clone(), self.value(depth + 2)?);
            }
            items.push(Value::Map(row));
        }
        Ok(Value::Array(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, &mut out).unwrap();
        out
    }

    fn json(text: &str) -> Value {
        Value::from(serde_json::from_str::<serde_json::Value>(text).unwrap())
    }

    #[test]
    fn small_forms_are_one_byte_and_round_trip() {
        let cases: &[(&str, &[u8])] = &[
            ("null", &[0]),
            ("false", &[8]),
            ("true", &[9]),
            ("0", &[64]),
            ("63", &[127]),
            ("64", &[2, 128, 1]),
            ("-1", &[2, 1]),
            ("\"\"", &[16]),
            ("\"ab\"", &[18, b'a', b'b']),
            ("[]", &[6, 0]),
            ("{}", &[7, 0]),
            ("1.5", &[4, 0, 0, 0, 0, 0, 0, 248, 63]),
            (
                "18446744073709551615",
                &[3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1],
            ),
            (
                "-9223372036854775808",
                &[2, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1],
            ),
        ];
        for (text, bytes) in cases {
            let value = json(text);
            assert_eq!(encoded(&value), *bytes, "{text}");
            assert_eq!(decode(bytes).unwrap(), value, "{text}");
        }
        let long = "x".repeat(48);
        let bytes = encoded(&Value::String(long.clone()));
        assert_eq!(bytes[..2], [STRING, 48]);
        assert_eq!(decode(&bytes).unwrap(), Value::String(long));
    }

    #[test]
    fn arrays_of_maps_with_one_key_set_are_records() {
        let value = json(r#"[{"qty":1,"sku":"A"},{"qty":2,"sku":"B"}]"#);
        let bytes = encoded(&value);
        assert_eq!(
            bytes,
            [
                RECORDS, 2, 3, b'q', b't', b'y', 3, b's', b'k', b'u', 2, 65, 17, b'A', 66, 17, b'B'
            ]
        );
        assert_eq!(decode(&bytes).unwrap(), value);
        // Different key sets, a single map, or an empty map: a plain array.
        for text in [
            r#"[{"a":1},{"b":1}]"#,
            r#"[{"a":1}]"#,
            "[{},{}]",
            r#"[{"a":1},2]"#,
        ] {
            let value = json(text);
            let bytes = encoded(&value);
            assert_eq!(bytes[0], ARRAY, "{text}");
            assert_eq!(decode(&bytes).unwrap(), value, "{text}");
        }
    }

    #[test]
    fn the_tagged_enum_serde_writes_still_reads() {
        let value = json(r#"{"a":[true,1,-70,"s",1.5,null,{"k":18446744073709551615}]}"#);
        let tagged = postcard::to_allocvec(&value).unwrap();
        assert_ne!(tagged, encoded(&value));
        assert_eq!(decode(&tagged).unwrap(), value);
    }

    #[test]
    fn refuses_what_is_outside_the_model() {
        for f in [f64::NAN, f64::INFINITY] {
            let mut out = Vec::new();
            assert!(matches!(
                encode(&Value::Float(f), &mut out),
                Err(FormError::NonFinite(_))
            ));
            let mut bytes = vec![FLOAT];
            bytes.extend_from_slice(&f.to_le_bytes());
            assert!(matches!(decode(&bytes), Err(FormError::NonFinite(_))));
        }
        let cases: &[(&[u8], FormError)] = &[
            (&[], FormError::Truncated),
            (&[11], FormError::UnknownTag(11)),
            (&[0x80], FormError::UnknownTag(0x80)),
            (&[BOOL, 2], FormError::BadBool(2)),
            (&[18, b'a'], FormError::Truncated),
            (&[17, 0xff], FormError::NotUtf8),
            (&[0, 0], FormError::Trailing(1)),
            (&[ARRAY, 5, 0], FormError::LengthTooLong(5)),
            (
                &[MAP, 2, 1, b'a', 0, 1, b'a', 0],
                FormError::DuplicateKey("a".into()),
            ),
            (
                &[INT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2],
                FormError::BadVarint,
            ),
            (&[RECORDS, 0, 1], FormError::BadRecords),
            (&[RECORDS, 1, 1, b'a', 0], FormError::BadRecords),
            (
                &[RECORDS, 2, 1, b'b', 1, b'a', 1, 0, 0],
                FormError::BadRecords,
            ),
            (
                &[RECORDS, 2, 1, b'a', 1, b'a', 1, 0, 0],
                FormError::BadRecords,
            ),
        ];
        for (bytes, error) in cases {
            assert_eq!(decode(bytes).as_ref(), Err(error), "{bytes:?}");
        }
    }

    #[test]
    fn record_expansion_is_bounded() {
        // An empty key costs its plain form, 4 bytes a row: 4,096 rows fit.
        for (rows, fits) in [(4_096usize, true), (4_097, false)] {
            let mut bytes = vec![RECORDS, 1, 0];
            write_len(rows, &mut bytes);
            bytes.extend(std::iter::repeat_n(NULL, rows));
            assert_eq!(decode(&bytes).is_ok(), fits, "{rows}");
        }
        // One key of 1,000 bytes, 17 rows of a one-byte value: 17,068 bytes as maps.
        let mut bytes = vec![RECORDS, 1];
        write_str(&"k".repeat(1000), &mut bytes);
        write_len(17, &mut bytes);
        bytes.extend(std::iter::repeat_n(NULL, 17));
        assert_eq!(decode(&bytes), Err(FormError::RecordsTooLarge));
        // The writer falls back to plain arrays past the same bound, so whatever it
        // writes reads back.
        let row = Value::Map(BTreeMap::from([("k".repeat(1000), Value::Null)]));
        let big = Value::Array(vec![row; 17]);
        let bytes = encoded(&big);
        assert_eq!(bytes[0], ARRAY);
        assert_eq!(decode(&bytes).unwrap(), big);
    }

    #[test]
    fn nesting_is_bounded_both_ways() {
        let nest = |levels: usize| (0..levels).fold(Value::Null, |v, _| Value::Array(vec![v]));
        let ok = nest(MAX_DEPTH);
        assert_eq!(decode(&encoded(&ok)).unwrap(), ok);
        let mut out = Vec::new();
        assert_eq!(
            encode(&nest(MAX_DEPTH + 1), &mut out),
            Err(FormError::TooDeep)
        );
        let deep: Vec<u8> = [ARRAY, 1]
            .repeat(MAX_DEPTH + 1)
            .into_iter()
            .chain([NULL])
            .collect();
        assert_eq!(decode(&deep), Err(FormError::TooDeep));
        // Records count two levels: an array at depth 62 holding maps at 63.
        let row = Value::Map(BTreeMap::from([("k".to_owned(), Value::Null)]));
        let records = Value::Array(vec![row.clone(), row]);
        let deepest = (0..MAX_DEPTH - 2).fold(records, |v, _| Value::Array(vec![v]));
        let bytes = encoded(&deepest);
        assert_eq!(bytes[2 * (MAX_DEPTH - 2)], RECORDS);
        assert_eq!(decode(&bytes).unwrap(), deepest);
    }
}
