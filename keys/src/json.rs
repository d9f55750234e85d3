//! Strict JSON for credentials: duplicate member names are refused at every depth.
//!
//! RFC 7519 §4 lets a JWT parser either reject duplicate claim names or take the last one; RFC
//! 8725 §2.6 warns about the ambiguity. edgegate rejects them everywhere (JWT header and payload,
//! JWKS, CloudFront custom policies), so that this parser and any other one (Node's
//! `JSON.parse`, CloudFront's) can never read different values from the same bytes. Depth is
//! bounded by serde_json's recursion limit (128).

use core::fmt;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `bytes` as one JSON value, refusing duplicate member names at any depth and
/// invalid UTF-8.
///
/// # Errors
/// `Err(())` on any syntax error, duplicate member name, trailing data or excessive nesting.
#[allow(clippy::result_unit_err)] // reason: callers map every failure to their own "malformed".
pub fn parse_strict(bytes: &[u8]) -> Result<Value, ()> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictSeed.deserialize(&mut de).map_err(|_| ())?;
    de.end().map_err(|_| ())?;
    Ok(value)
}

/// Parses `bytes` as a JSON object (see [`parse_strict`]).
///
/// # Errors
/// As [`parse_strict`], and `Err(())` when the value is not an object.
#[allow(clippy::result_unit_err)] // reason: callers map every failure to their own "malformed".
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ()> {
    match parse_strict(bytes)? {
        Value::Object(map) => Ok(map),
        _ => Err(()),
    }
}

struct StrictSeed;

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictSeed)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom("duplicate member name"));
            }
            let value = map.next_value_seed(StrictSeed)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Reads a JSON number as a non-negative integer of seconds (NumericDate, RFC 7519 §2), refusing
/// floats, negatives and out-of-range values.
pub(crate) fn as_epoch_seconds(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) if n.is_u64() => n.as_u64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_member_top_level_fails() {
        assert!(parse_strict(br#"{"exp":1,"exp":2}"#).is_err());
    }

    #[test]
    fn duplicate_member_nested_fails() {
        assert!(parse_strict(br#"{"a":[{"b":1,"b":1}]}"#).is_err());
    }

    #[test]
    fn escaped_duplicate_member_fails() {
        // "\u0065xp" is "exp" once decoded.
        assert!(parse_strict(br#"{"exp":1,"\u0065xp":2}"#).is_err());
    }

    #[test]
    fn trailing_data_and_bad_utf8_fail() {
        assert!(parse_strict(br#"{"a":1} x"#).is_err());
        assert!(parse_strict(b"{\"a\":\"\xff\"}").is_err());
    }

    #[test]
    fn deep_nesting_fails_without_overflow() {
        let deep = "[".repeat(10_000);
        assert!(parse_strict(deep.as_bytes()).is_err());
    }

    #[test]
    fn numbers_strict_ok() {
        let v = parse_strict(br#"[1, -1, 1.5, 18446744073709551616]"#).unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(as_epoch_seconds(&a[0]), Some(1));
        assert_eq!(as_epoch_seconds(&a[1]), None);
        assert_eq!(as_epoch_seconds(&a[2]), None);
        assert_eq!(as_epoch_seconds(&a[3]), None);
        assert!(parse_strict(b"1e309").is_err());
    }
}
