//! [`Table`]: one kybra_simple_db storage (a map of the store, with key and value bounds).

use std::ops::Bound;

use crate::store::{Durable, MapId, Store, StoreError};

use super::json::{self, Build, DecodeError, JStr};
use super::keys;

/// Largest key and value, in bytes of UTF-8 (a Kybra `StableBTreeMap`'s `max_key_size` and
/// `max_value_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Largest key.
    pub max_key: usize,
    /// Largest value.
    pub max_value: usize,
}

impl Bounds {
    /// The bounds realms used for its database: `StableBTreeMap[str, str](memory_id=1,
    /// max_key_size=100, max_value_size=10000)`.
    pub const REALMS: Bounds = Bounds { max_key: 100, max_value: 10_000 };
}

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A key longer than the storage allows.
    #[error("key {key:?} is {len} bytes, more than the storage's max_key_size of {max}")]
    KeyTooLarge {
        /// The key (possibly shortened).
        key: String,
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A value longer than the storage allows.
    #[error("value for key {key:?} is {len} bytes, more than the storage's max_value_size of {max}")]
    ValueTooLarge {
        /// The key.
        key: String,
        /// The value's length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// Decrementing a count that is already zero (kybra_simple_db's own message).
    #[error("Entity count for {0} is already zero; cannot decrement further.")]
    CountUnderflow(String),
    /// A stored value is not what the layout says it should be.
    #[error("corrupt value under {key:?}: {why}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong.
        why: String,
    },
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn shorten(s: &str) -> String {
    if s.len() <= 120 {
        return s.to_owned();
    }
    let mut cut = 117;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &s[..cut])
}

/// Decodes a JSON string value (`"3"`) to its text.
struct StrOnly;

impl Build for StrOnly {
    type Value = Option<String>;
    type Error = DecodeError;
    fn null(&mut self) -> Result<Self::Value, DecodeError> {
        Ok(None)
    }
    fn boolean(&mut self, _: bool) -> Result<Self::Value, DecodeError> {
        Ok(None)
    }
    fn int(&mut self, d: &str) -> Result<Self::Value, DecodeError> {
        Ok(Some(d.to_owned()))
    }
    fn float(&mut self, _: f64) -> Result<Self::Value, DecodeError> {
        Ok(None)
    }
    fn string(&mut self, s: JStr) -> Result<Self::Value, DecodeError> {
        Ok(match s {
            JStr::Text(t) => Some(t),
            JStr::CodePoints(_) => None,
        })
    }
    fn array(&mut self, _: Vec<Self::Value>) -> Result<Self::Value, DecodeError> {
        Ok(None)
    }
    fn object(&mut self, _: Vec<(JStr, Self::Value)>) -> Result<Self::Value, DecodeError> {
        Ok(None)
    }
}

/// JSON text of a string, as `json.dumps(s)` writes it.
pub fn json_str(s: &str) -> String {
    let mut w = json::Writer::new();
    w.str(s);
    w.finish()
}

/// What [`Table::resolve`] found for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A record stored under the key as its id.
    ById(String),
    /// An alias entry naming `id` (a JSON string), and that id's record if there is one.
    ByAlias {
        /// The id the alias entry holds.
        id: String,
        /// Its record.
        record: Option<String>,
    },
    /// An alias entry that holds something other than a JSON string (its raw text).
    Other(String),
    /// Neither.
    Missing,
}

/// One kybra_simple_db storage inside the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// The store map holding it.
    pub map: MapId,
    /// Its key and value bounds.
    pub bounds: Bounds,
}

impl Table {
    /// A table on `map` with `bounds`.
    pub fn new(map: MapId, bounds: Bounds) -> Self {
        Self { map, bounds }
    }

    /// Checks a key and value against the bounds.
    pub fn check(&self, key: &str, value: &str) -> Result<(), DbError> {
        if key.len() > self.bounds.max_key {
            return Err(DbError::KeyTooLarge { key: shorten(key), len: key.len(), max: self.bounds.max_key });
        }
        if value.len() > self.bounds.max_value {
            return Err(DbError::ValueTooLarge { key: shorten(key), len: value.len(), max: self.bounds.max_value });
        }
        Ok(())
    }

    /// The raw value under `key`.
    pub fn get<M: Durable>(&self, s: &mut Store<M>, key: &str) -> Option<String> {
        s.get(self.map, key.as_bytes()).map(|v| String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Writes `value` under `key` (after checking the bounds).
    pub fn put<M: Durable>(&self, s: &mut Store<M>, key: &str, value: &str) -> Result<(), DbError> {
        self.check(key, value)?;
        s.put_blind(self.map, key.as_bytes(), value.as_bytes())?;
        Ok(())
    }

    /// Removes `key`, returning its value.
    pub fn remove<M: Durable>(&self, s: &mut Store<M>, key: &str) -> Result<Option<String>, DbError> {
        Ok(s.remove(self.map, key.as_bytes())?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// A counter stored as a JSON string (`"3"`); 0 when absent.
    pub fn counter<M: Durable>(&self, s: &mut Store<M>, key: &str) -> Result<u64, DbError> {
        let Some(raw) = self.get(s, key) else { return Ok(0) };
        let corrupt = |why: String| DbError::Corrupt { key: key.to_owned(), why };
        let text = json::decode(&raw, &mut StrOnly).map_err(|e| corrupt(e.to_string()))?;
        match text {
            None => Ok(0), // json null or an empty string: kybra_simple_db's `or 0`
            Some(t) if t.trim().is_empty() => Ok(0),
            Some(t) => t.trim().parse::<u64>().map_err(|_| corrupt(format!("{t:?} is not a count"))),
        }
    }

    fn set_counter<M: Durable>(&self, s: &mut Store<M>, key: &str, n: u64) -> Result<(), DbError> {
        self.put(s, key, &json_str(&n.to_string()))
    }

    /// Hands out the next id of `type_name` (writes the counter at once, as 0.5.0 does).
    pub fn next_id<M: Durable>(&self, s: &mut Store<M>, type_name: &str) -> Result<String, DbError> {
        let key = keys::id_counter(type_name);
        let next = self.counter(s, &key)? + 1;
        self.set_counter(s, &key, next)?;
        Ok(next.to_string())
    }

    /// Raises the id counter to a numeric custom id that is higher than it; the counter then
    /// holds `id_json`, the JSON of the id as given (`"7"` for a string, `7` for an int).
    pub fn note_custom_id<M: Durable>(&self, s: &mut Store<M>, type_name: &str, id: &str, id_json: &str) -> Result<(), DbError> {
        let Ok(n) = id.trim().parse::<u64>() else { return Ok(()) };
        let key = keys::id_counter(type_name);
        if n > self.counter(s, &key)? {
            self.put(s, &key, id_json)?;
        }
        Ok(())
    }

    /// The live count of `type_name`.
    pub fn count<M: Durable>(&self, s: &mut Store<M>, type_name: &str) -> Result<u64, DbError> {
        self.counter(s, &keys::count(type_name))
    }

    /// The highest id handed out for `type_name`.
    pub fn max_id<M: Durable>(&self, s: &mut Store<M>, type_name: &str) -> Result<u64, DbError> {
        self.counter(s, &keys::id_counter(type_name))
    }

    /// Adds one to the live count.
    pub fn increment_count<M: Durable>(&self, s: &mut Store<M>, type_name: &str) -> Result<u64, DbError> {
        let key = keys::count(type_name);
        let n = self.counter(s, &key)? + 1;
        self.set_counter(s, &key, n)?;
        Ok(n)
    }

    /// Subtracts one from the live count (an error at zero, as in 0.5.0).
    pub fn decrement_count<M: Durable>(&self, s: &mut Store<M>, type_name: &str) -> Result<u64, DbError> {
        let key = keys::count(type_name);
        let n = self.counter(s, &key)?;
        if n == 0 {
            return Err(DbError::CountUnderflow(type_name.to_owned()));
        }
        self.set_counter(s, &key, n - 1)?;
        Ok(n - 1)
    }

    /// The id the alias index maps `value` to.
    pub fn alias_get<M: Durable>(&self, s: &mut Store<M>, type_name: &str, value: &str) -> Result<Option<String>, DbError> {
        let key = keys::alias(type_name, value);
        match self.get(s, &key) {
            None => Ok(None),
            Some(raw) => json::decode(&raw, &mut StrOnly).map_err(|e| DbError::Corrupt { key, why: e.to_string() }),
        }
    }

    /// Looks `key` up as `Cls[key]` does: as an id first, then (for an aliased type) in the
    /// alias index, reading the record the alias points to.
    pub fn resolve<M: Durable>(&self, s: &mut Store<M>, type_name: &str, key: &str, aliased: bool) -> Resolved {
        if !key.is_empty() {
            if let Some(record) = self.get(s, &keys::entity(type_name, key)).filter(|r| !r.is_empty()) {
                return Resolved::ById(record);
            }
        }
        if !aliased {
            return Resolved::Missing;
        }
        let Some(raw) = self.get(s, &keys::alias(type_name, key)).filter(|r| !r.is_empty()) else { return Resolved::Missing };
        match raw.starts_with('"').then(|| json::decode(&raw, &mut StrOnly)) {
            Some(Ok(Some(id))) => {
                let record = if id.is_empty() { None } else { self.get(s, &keys::entity(type_name, &id)).filter(|r| !r.is_empty()) };
                Resolved::ByAlias { id, record }
            }
            _ => Resolved::Other(raw),
        }
    }

    /// Points the alias `value` at `id`.
    pub fn alias_put<M: Durable>(&self, s: &mut Store<M>, type_name: &str, value: &str, id: &str) -> Result<(), DbError> {
        self.put(s, &keys::alias(type_name, value), &json_str(id))
    }

    /// Up to `limit` `(id, json)` records of `type_name` in key order, after `after_key`.
    pub fn scan_type<M: Durable>(&self, s: &mut Store<M>, type_name: &str, after_key: Option<&str>, limit: usize) -> Vec<(String, String)> {
        let prefix = keys::type_prefix(type_name);
        s.scan_prefix(self.map, prefix.as_bytes(), after_key.map(str::as_bytes), limit)
            .into_iter()
            .map(|(k, v)| {
                let k = String::from_utf8_lossy(&k).into_owned();
                (k[prefix.len()..].to_owned(), String::from_utf8_lossy(&v).into_owned())
            })
            .collect()
    }

    /// Up to `limit` raw `(key, value)` pairs after `after` (all keys, in order).
    pub fn scan_raw<M: Durable>(&self, s: &mut Store<M>, after: Option<&str>, limit: usize) -> Vec<(String, String)> {
        let lower = after.map_or(Bound::Unbounded, |a| Bound::Excluded(a.as_bytes()));
        s.scan(self.map, lower, Bound::Unbounded, limit, false)
            .into_iter()
            .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), String::from_utf8_lossy(&v).into_owned()))
            .collect()
    }
}
