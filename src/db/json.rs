//! JSON exactly as CPython's `json.dumps` writes it (default separators `", "` and `": "`,
//! `ensure_ascii`, `allow_nan`, float `repr`) and as `json.loads` reads it (including `NaN`,
//! `Infinity`, lone surrogates, arbitrary-size integers). Stored entity values must be
//! byte-identical to what kybra_simple_db 0.5.0 writes, so this is the one place that decides.
//!
//! Writing is streaming ([`Writer`]); reading calls back into a [`Build`] implementation, so the
//! Python binding builds Python objects directly and tests build a plain value.

use std::fmt::Write as _;

/// Writes JSON text with Python's default formatting.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
    ensure_ascii: bool,
}

impl Writer {
    /// A writer with `ensure_ascii=True` (Python's default).
    pub fn new() -> Self {
        Self { out: String::new(), ensure_ascii: true }
    }

    /// A writer with `ensure_ascii=False`.
    pub fn unicode() -> Self {
        Self { out: String::new(), ensure_ascii: false }
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// `null`.
    pub fn null(&mut self) {
        self.out.push_str("null");
    }

    /// `true` / `false`.
    pub fn boolean(&mut self, b: bool) {
        self.out.push_str(if b { "true" } else { "false" });
    }

    /// An integer given as its decimal text.
    pub fn int(&mut self, decimal: &str) {
        self.out.push_str(decimal);
    }

    /// A float as `repr()` writes it; NaN and infinities as `NaN`, `Infinity`, `-Infinity`.
    pub fn float(&mut self, f: f64) {
        if f.is_nan() {
            self.out.push_str("NaN");
        } else if f.is_infinite() {
            self.out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        } else {
            self.out.push_str(&float_repr(f));
        }
    }

    /// A string given by its code points (lone surrogates allowed, as in Python).
    pub fn string(&mut self, code_points: impl IntoIterator<Item = u32>) {
        self.out.push('"');
        for cp in code_points {
            match cp {
                0x22 => self.out.push_str("\\\""),
                0x5c => self.out.push_str("\\\\"),
                0x0a => self.out.push_str("\\n"),
                0x0d => self.out.push_str("\\r"),
                0x09 => self.out.push_str("\\t"),
                0x08 => self.out.push_str("\\b"),
                0x0c => self.out.push_str("\\f"),
                c if c < 0x20 => {
                    let _ = write!(self.out, "\\u{c:04x}");
                }
                c if c < 0x7f => self.out.push(c as u8 as char),
                c if self.ensure_ascii => {
                    if c >= 0x10000 {
                        let v = c - 0x10000;
                        let _ = write!(self.out, "\\u{:04x}\\u{:04x}", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
                    } else {
                        let _ = write!(self.out, "\\u{c:04x}");
                    }
                }
                c => match char::from_u32(c) {
                    Some(ch) => self.out.push(ch),
                    // A lone surrogate cannot be written as UTF-8 text; escape it.
                    None => {
                        let _ = write!(self.out, "\\u{c:04x}");
                    }
                },
            }
        }
        self.out.push('"');
    }

    /// A string given as UTF-8 text.
    pub fn str(&mut self, s: &str) {
        // Printable ASCII without quotes or backslashes is written as it is.
        if s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
            self.out.reserve(s.len() + 2);
            self.out.push('"');
            self.out.push_str(s);
            self.out.push('"');
        } else {
            self.string(s.chars().map(|c| c as u32));
        }
    }

    /// An integer.
    pub fn int_i64(&mut self, n: i64) {
        let _ = write!(self.out, "{n}");
    }

    /// `[`
    pub fn open_array(&mut self) {
        self.out.push('[');
    }

    /// `]`
    pub fn close_array(&mut self) {
        self.out.push(']');
    }

    /// `{`
    pub fn open_object(&mut self) {
        self.out.push('{');
    }

    /// `}`
    pub fn close_object(&mut self) {
        self.out.push('}');
    }

    /// The separator between items: `, `.
    pub fn comma(&mut self) {
        self.out.push_str(", ");
    }

    /// The separator after a key: `: `.
    pub fn colon(&mut self) {
        self.out.push_str(": ");
    }
}

/// Python's `repr(float)` for a finite float: the shortest text that reads back as the same
/// float, in positional notation for exponents -4..16 and scientific (`1e-05`, `1e+16`) outside.
pub fn float_repr(f: f64) -> String {
    // Rust's `{:e}` gives the shortest round-tripping digits: "-1.2345e-7", "0e0".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp writes an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if !(-4..16).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            out.push_str("0.");
            for _ in 0..-point {
                out.push('0');
            }
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
            for _ in 0..point as usize - digits.len() {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    }
    out
}

/// A JSON string as decoded: UTF-8 text, or code points when it holds lone surrogates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JStr {
    /// Valid Unicode text.
    Text(String),
    /// Code points, some of them lone surrogates.
    CodePoints(Vec<u32>),
}

/// Receives decoded values (the caller decides what they become).
pub trait Build {
    /// What values become.
    type Value;
    /// Why building failed (e.g. a Python exception).
    type Error: From<DecodeError>;
    /// `null`
    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    /// `true` / `false`
    fn boolean(&mut self, b: bool) -> Result<Self::Value, Self::Error>;
    /// An integer, as its decimal text (any size, maybe with a leading `-`).
    fn int(&mut self, decimal: &str) -> Result<Self::Value, Self::Error>;
    /// A number with a fraction or exponent, or `NaN`/`Infinity`/`-Infinity`.
    fn float(&mut self, f: f64) -> Result<Self::Value, Self::Error>;
    /// A string.
    fn string(&mut self, s: JStr) -> Result<Self::Value, Self::Error>;
    /// An array of already built items.
    fn array(&mut self, items: Vec<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// An object: keys and values in order (a repeated key: the last one wins).
    fn object(&mut self, entries: Vec<(JStr, Self::Value)>) -> Result<Self::Value, Self::Error>;
    /// True when strings are only checked, not decoded ([`Build::string`] then gets an empty
    /// text): skipping a value costs no copy of its strings.
    const CHECKS_ONLY: bool = false;
}

/// A JSON value as decoded, nothing converted: for Rust readers of stored records.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Plain {
    /// `null`
    #[default]
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer, as its decimal text.
    Int(String),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string.
    Str(JStr),
    /// An array.
    List(Vec<Plain>),
    /// An object: keys and values in order.
    Obj(Vec<(JStr, Plain)>),
}

/// Builds [`Plain`] values.
pub struct PlainBuilder;

impl Build for PlainBuilder {
    type Value = Plain;
    type Error = DecodeError;
    fn null(&mut self) -> Result<Plain, DecodeError> {
        Ok(Plain::Null)
    }
    fn boolean(&mut self, b: bool) -> Result<Plain, DecodeError> {
        Ok(Plain::Bool(b))
    }
    fn int(&mut self, decimal: &str) -> Result<Plain, DecodeError> {
        Ok(Plain::Int(decimal.to_owned()))
    }
    fn float(&mut self, f: f64) -> Result<Plain, DecodeError> {
        Ok(Plain::Float(f))
    }
    fn string(&mut self, s: JStr) -> Result<Plain, DecodeError> {
        Ok(Plain::Str(s))
    }
    fn array(&mut self, items: Vec<Plain>) -> Result<Plain, DecodeError> {
        Ok(Plain::List(items))
    }
    fn object(&mut self, entries: Vec<(JStr, Plain)>) -> Result<Plain, DecodeError> {
        Ok(Plain::Obj(entries))
    }
}

/// Invalid JSON, described as Python's `json.JSONDecodeError` does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{msg}: line {line} column {col} (char {pos})")]
pub struct DecodeError {
    /// What was expected.
    pub msg: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// 0-based character offset.
    pub pos: usize,
}

/// Parses `text` (which must hold exactly one value, with optional surrounding whitespace).
pub fn decode<B: Build>(text: &str, b: &mut B) -> Result<B::Value, B::Error> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0, depth: 0 };
    p.ws();
    let v = p.value(b)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("Extra data", p.i).into());
    }
    Ok(v)
}

/// What [`decode_members`] does with the members of an object.
pub trait Members<B: Build> {
    /// Whether the value under `key` is wanted: `Some(false)` skips it (nothing is built),
    /// `None` declines the whole object.
    fn wants(&mut self, key: &str) -> Option<bool>;
    /// Takes the value of the member [`Members::wants`] just asked for; false declines the
    /// whole object.
    fn member(&mut self, value: B::Value) -> bool;
}

/// Builds nothing: checks that text is JSON, or skips a value.
pub struct Skip;

impl Build for Skip {
    type Value = ();
    type Error = DecodeError;
    const CHECKS_ONLY: bool = true;
    fn null(&mut self) -> Result<(), DecodeError> {
        Ok(())
    }
    fn boolean(&mut self, _: bool) -> Result<(), DecodeError> {
        Ok(())
    }
    fn int(&mut self, _: &str) -> Result<(), DecodeError> {
        Ok(())
    }
    fn float(&mut self, _: f64) -> Result<(), DecodeError> {
        Ok(())
    }
    fn string(&mut self, _: JStr) -> Result<(), DecodeError> {
        Ok(())
    }
    fn array(&mut self, _: Vec<()>) -> Result<(), DecodeError> {
        Ok(())
    }
    fn object(&mut self, _: Vec<(JStr, ())>) -> Result<(), DecodeError> {
        Ok(())
    }
}

/// Reads `text` as one JSON object, member by member, in order: `m` sees each key (borrowed
/// from the text) and takes the values it wants, built exactly as [`decode`] builds them.
/// `None` — the caller should take [`decode`] instead — when the text is not an object, is
/// not valid JSON, a key holds an escape, or `m` declines.
pub fn decode_members<B: Build>(text: &str, b: &mut B, m: &mut impl Members<B>) -> Option<()> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0, depth: 1 };
    p.ws();
    if p.s.get(p.i) != Some(&b'{') {
        return None;
    }
    p.i += 1;
    p.ws();
    if p.s.get(p.i) == Some(&b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            if p.s.get(p.i) != Some(&b'"') {
                return None;
            }
            let start = p.i + 1;
            let end = start + p.s[start..].iter().position(|&c| matches!(c, b'"' | b'\\') || c < 0x20)?;
            if p.s[end] != b'"' {
                return None;
            }
            p.i = end + 1;
            p.ws();
            if p.s.get(p.i) != Some(&b':') {
                return None;
            }
            p.i += 1;
            p.ws();
            if m.wants(&text[start..end])? {
                let value = p.value(b).ok()?;
                if !m.member(value) {
                    return None;
                }
            } else {
                p.value(&mut Skip).ok()?;
            }
            p.ws();
            match p.s.get(p.i) {
                Some(b',') => p.i += 1,
                Some(b'}') => {
                    p.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == p.s.len()).then_some(())
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 1000;

impl Parser<'_> {
    fn err(&self, msg: &str, at: usize) -> DecodeError {
        let before = &self.text[..at.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let pos = before.chars().count();
        let col = before[line_start..].chars().count() + 1;
        DecodeError { msg: msg.to_owned(), line, col, pos }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value<B: Build>(&mut self, b: &mut B) -> Result<B::Value, B::Error> {
        let start = self.i;
        match self.s.get(self.i) {
            Some(b'{') => self.object(b),
            Some(b'[') => self.array(b),
            Some(b'"') if B::CHECKS_ONLY => {
                self.check_string()?;
                b.string(JStr::Text(String::new()))
            }
            Some(b'"') => {
                let s = self.string()?;
                b.string(s)
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                b.null()
            }
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                b.boolean(true)
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                b.boolean(false)
            }
            Some(b'N') if self.s[self.i..].starts_with(b"NaN") => {
                self.i += 3;
                b.float(f64::NAN)
            }
            Some(b'I') if self.s[self.i..].starts_with(b"Infinity") => {
                self.i += 8;
                b.float(f64::INFINITY)
            }
            Some(b'-') if self.s[self.i..].starts_with(b"-Infinity") => {
                self.i += 9;
                b.float(f64::NEG_INFINITY)
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number(b),
            _ => Err(self.err("Expecting value", start).into()),
        }
    }

    fn number<B: Build>(&mut self, b: &mut B) -> Result<B::Value, B::Error> {
        let start = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        let int_start = self.i;
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(c) if c.is_ascii_digit() => {
                while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                    self.i += 1;
                }
            }
            _ => return Err(self.err("Expecting value", start).into()),
        }
        let _ = int_start;
        let mut is_float = false;
        if self.s.get(self.i) == Some(&b'.') && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit) {
            is_float = true;
            self.i += 1;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            let save = self.i;
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                is_float = true;
                while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                    self.i += 1;
                }
            } else {
                self.i = save;
            }
        }
        let text = &self.text[start..self.i];
        if is_float {
            b.float(text.parse::<f64>().expect("validated float syntax"))
        } else {
            b.int(text)
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.s.get(at..at + 4)?;
        let h = std::str::from_utf8(h).ok()?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok()
    }

    /// Reads the escape at `self.i` (a backslash) of the string opened at `start` and moves past
    /// it: its code point (a `\\uXXXX` high and low surrogate pair make one).
    fn escape(&mut self, start: usize) -> Result<u32, DecodeError> {
        let esc = *self.s.get(self.i + 1).ok_or_else(|| self.err("Unterminated string starting at", start))?;
        let simple = match esc {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            _ => None,
        };
        if let Some(ch) = simple {
            self.i += 2;
            return Ok(ch as u32);
        }
        if esc != b'u' {
            return Err(self.err("Invalid \\escape", self.i));
        }
        let mut cp = self.hex4(self.i + 2).ok_or_else(|| self.err("Invalid \\uXXXX escape", self.i + 1))?;
        self.i += 6;
        if (0xd800..0xdc00).contains(&cp) && self.s.get(self.i) == Some(&b'\\') && self.s.get(self.i + 1) == Some(&b'u') {
            if let Some(lo) = self.hex4(self.i + 2).filter(|lo| (0xdc00..0xe000).contains(lo)) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                self.i += 6;
            }
        }
        Ok(cp)
    }

    /// Moves past a string, checking it as [`Parser::string`] does, without decoding it.
    fn check_string(&mut self) -> Result<(), DecodeError> {
        let start = self.i;
        self.i += 1;
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.err("Unterminated string starting at", start));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.escape(start)?;
                }
                c if c < 0x20 => return Err(self.err("Invalid control character at", self.i)),
                _ => self.i += 1,
            }
        }
    }

    fn string(&mut self) -> Result<JStr, DecodeError> {
        let start = self.i;
        self.i += 1;
        // Most strings hold no escape: one exact copy.
        if let Some(n) = self.s[self.i..].iter().position(|&c| matches!(c, b'"' | b'\\') || c < 0x20) {
            if self.s[self.i + n] == b'"' {
                let text = self.text[self.i..self.i + n].to_owned();
                self.i += n + 1;
                return Ok(JStr::Text(text));
            }
        }
        let mut text = String::new();
        let mut cps: Option<Vec<u32>> = None;
        let push = |cp: u32, text: &mut String, cps: &mut Option<Vec<u32>>| match (cps.as_mut(), char::from_u32(cp)) {
            (Some(v), _) => v.push(cp),
            (None, Some(c)) => text.push(c),
            (None, None) => {
                let mut v: Vec<u32> = text.chars().map(|c| c as u32).collect();
                v.push(cp);
                *cps = Some(v);
            }
        };
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.err("Unterminated string starting at", start));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(match cps {
                        Some(v) => JStr::CodePoints(v),
                        None => JStr::Text(text),
                    });
                }
                b'\\' => {
                    let cp = self.escape(start)?;
                    push(cp, &mut text, &mut cps);
                }
                c if c < 0x20 => return Err(self.err("Invalid control character at", self.i)),
                _ => {
                    // Copy a run of plain UTF-8 text.
                    let run_start = self.i;
                    while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\') && self.s[self.i] >= 0x20 {
                        self.i += 1;
                    }
                    let run = &self.text[run_start..self.i];
                    match cps.as_mut() {
                        Some(v) => v.extend(run.chars().map(|c| c as u32)),
                        None => text.push_str(run),
                    }
                }
            }
        }
    }

    fn enter(&mut self) -> Result<(), DecodeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("Nesting too deep", self.i));
        }
        Ok(())
    }

    fn array<B: Build>(&mut self, b: &mut B) -> Result<B::Value, B::Error> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            self.depth -= 1;
            return b.array(items);
        }
        loop {
            self.ws();
            items.push(self.value(b)?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return b.array(items);
                }
                _ => return Err(self.err("Expecting ',' delimiter", self.i).into()),
            }
        }
    }

    fn object<B: Build>(&mut self, b: &mut B) -> Result<B::Value, B::Error> {
        self.enter()?;
        self.i += 1;
        let mut entries = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.depth -= 1;
            return b.object(entries);
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.err("Expecting property name enclosed in double quotes", self.i).into());
            }
            let key = self.string()?;
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.err("Expecting ':' delimiter", self.i).into());
            }
            self.i += 1;
            self.ws();
            let v = self.value(b)?;
            entries.push((key, v));
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return b.object(entries);
                }
                _ => return Err(self.err("Expecting ',' delimiter", self.i).into()),
            }
        }
    }
}
