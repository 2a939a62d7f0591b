//! Candid's text format for argument values (`(42 : nat, "hi", record { a = 1 })`): parsed into
//! binary Candid for `ic.candid_encode`, and printed back from binary for `ic.candid_decode`.

use std::rc::Rc;

use candid::types::value::{IDLArgs, IDLField, IDLValue, VariantValue};
use candid::types::{Field, Label, Type, TypeEnv, TypeInner};

/// Why a Candid text or binary value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CandidTextError {
    /// The text is not a Candid value list.
    #[error("invalid Candid text at character {at}: {why}")]
    Syntax {
        /// Character offset.
        at: usize,
        /// What was expected.
        why: String,
    },
    /// A value does not fit its type annotation, or cannot be encoded.
    #[error("invalid Candid value: {0}")]
    Value(String),
    /// The bytes are not binary Candid.
    #[error("invalid binary Candid: {0}")]
    Binary(String),
}

/// Encodes Candid text (a parenthesized, comma-separated list of values) as binary Candid.
pub fn encode(text: &str) -> Result<Vec<u8>, CandidTextError> {
    let mut p = Parser { s: text.chars().collect(), i: 0 };
    let values = p.args()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("nothing after the closing ')'"));
    }
    IDLArgs::new(&values).to_bytes().map_err(|e| CandidTextError::Value(e.to_string()))
}

/// Decodes binary Candid into its text form.
pub fn decode(bytes: &[u8]) -> Result<String, CandidTextError> {
    IDLArgs::from_bytes(bytes).map(|a| a.to_string()).map_err(|e| CandidTextError::Binary(e.to_string()))
}

/// Decodes binary Candid into its values (for `Service` replies, which the caller converts
/// with the declared types).
pub fn decode_values(bytes: &[u8]) -> Result<Vec<IDLValue>, CandidTextError> {
    IDLArgs::from_bytes(bytes).map(|a| a.args).map_err(|e| CandidTextError::Binary(e.to_string()))
}

struct Parser {
    s: Vec<char>,
    i: usize,
}

impl Parser {
    fn err(&self, why: impl Into<String>) -> CandidTextError {
        CandidTextError::Syntax { at: self.i, why: why.into() }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    /// Skips blanks and `//` comments.
    fn ws(&mut self) {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.i += 1;
            }
            if self.peek() == Some('/') && self.s.get(self.i + 1) == Some(&'/') {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
            } else {
                return;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), CandidTextError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(format!("expected '{c}'")))
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        if !self.peek().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.i += 1;
        }
        Some(self.s[start..self.i].iter().collect())
    }

    fn args(&mut self) -> Result<Vec<IDLValue>, CandidTextError> {
        self.expect('(')?;
        let mut out = Vec::new();
        if self.eat(')') {
            return Ok(out);
        }
        loop {
            out.push(self.annotated()?);
            if self.eat(')') {
                return Ok(out);
            }
            self.expect(',')?;
            if self.eat(')') {
                return Ok(out);
            }
        }
    }

    fn annotated(&mut self) -> Result<IDLValue, CandidTextError> {
        let v = self.value()?;
        if self.eat(':') {
            let at = self.i;
            let ty = self.ty()?;
            return v
                .annotate_type(true, &TypeEnv::new(), &ty)
                .map_err(|e| CandidTextError::Value(format!("{e} (annotation at character {at})")));
        }
        Ok(v)
    }

    fn value(&mut self) -> Result<IDLValue, CandidTextError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("expected a value")),
            Some('(') => {
                self.i += 1;
                let v = self.annotated()?;
                self.expect(')')?;
                Ok(v)
            }
            Some('"') => {
                let bytes = self.text_bytes()?;
                String::from_utf8(bytes).map(IDLValue::Text).map_err(|_| self.err("text is not valid UTF-8 (use blob)"))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.number(),
            Some(_) => {
                let at = self.i;
                let word = self.ident().ok_or_else(|| self.err("expected a value"))?;
                match word.as_str() {
                    "true" => Ok(IDLValue::Bool(true)),
                    "false" => Ok(IDLValue::Bool(false)),
                    "null" => Ok(IDLValue::Null),
                    "opt" => Ok(IDLValue::Opt(Box::new(self.annotated()?))),
                    "vec" => {
                        self.expect('{')?;
                        let mut items = Vec::new();
                        while !self.eat('}') {
                            items.push(self.annotated()?);
                            if !self.eat(';') {
                                self.expect('}')?;
                                break;
                            }
                        }
                        Ok(IDLValue::Vec(items))
                    }
                    "record" => {
                        self.expect('{')?;
                        let mut fields = Vec::new();
                        let mut index = 0u32;
                        while !self.eat('}') {
                            fields.push(self.field(&mut index)?);
                            if !self.eat(';') {
                                self.expect('}')?;
                                break;
                            }
                        }
                        fields.sort_by_key(|f: &IDLField| f.id.get_id());
                        if fields.windows(2).any(|w| w[0].id.get_id() == w[1].id.get_id()) {
                            return Err(CandidTextError::Value("a record has the same field twice".into()));
                        }
                        Ok(IDLValue::Record(fields))
                    }
                    "variant" => {
                        self.expect('{')?;
                        let mut index = 0;
                        let label = self.label(&mut index)?;
                        let value = if self.eat('=') { self.annotated()? } else { IDLValue::Null };
                        self.eat(';');
                        self.expect('}')?;
                        Ok(IDLValue::Variant(VariantValue(Box::new(IDLField { id: label, val: value }), 0)))
                    }
                    "blob" => {
                        self.ws();
                        Ok(IDLValue::Blob(self.text_bytes()?))
                    }
                    "principal" | "service" => {
                        self.ws();
                        let text = String::from_utf8(self.text_bytes()?).map_err(|_| self.err("invalid principal text"))?;
                        let p = candid::Principal::from_text(&text)
                            .map_err(|e| CandidTextError::Value(format!("invalid principal {text:?}: {e}")))?;
                        Ok(if word == "principal" { IDLValue::Principal(p) } else { IDLValue::Service(p) })
                    }
                    other => Err(CandidTextError::Syntax { at, why: format!("unknown value '{other}'") }),
                }
            }
        }
    }

    /// A record field: `name = value`, `42 = value`, `"name" = value`, or a positional value.
    fn field(&mut self, index: &mut u32) -> Result<IDLField, CandidTextError> {
        let start = self.i;
        if let Ok(label) = self.label(index) {
            if self.eat('=') {
                return Ok(IDLField { id: label, val: self.annotated()? });
            }
        }
        self.i = start;
        let id = Label::Unnamed(*index);
        *index += 1;
        Ok(IDLField { id, val: self.annotated()? })
    }

    fn label(&mut self, index: &mut u32) -> Result<Label, CandidTextError> {
        self.ws();
        match self.peek() {
            Some('"') => {
                let name = String::from_utf8(self.text_bytes()?).map_err(|_| self.err("invalid field name"))?;
                Ok(Label::Named(name))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '_') {
                    self.i += 1;
                }
                let digits: String = self.s[start..self.i].iter().filter(|c| **c != '_').collect();
                let id = digits.parse::<u32>().map_err(|_| self.err("field id out of range"))?;
                *index = id.saturating_add(1);
                Ok(Label::Id(id))
            }
            _ => self.ident().map(Label::Named).ok_or_else(|| self.err("expected a field name")),
        }
    }

    fn number(&mut self) -> Result<IDLValue, CandidTextError> {
        let start = self.i;
        if matches!(self.peek(), Some('-' | '+')) {
            self.i += 1;
        }
        let mut prev = ' ';
        while let Some(c) = self.peek() {
            let exponent_sign = (c == '-' || c == '+') && (prev == 'e' || prev == 'E');
            if !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || exponent_sign) {
                break;
            }
            prev = c;
            self.i += 1;
        }
        let raw: String = self.s[start..self.i].iter().filter(|c| **c != '_').collect();
        let (sign, body) = match raw.strip_prefix('-') {
            Some(b) => ("-", b),
            None => ("", raw.strip_prefix('+').unwrap_or(&raw)),
        };
        if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            let n =
                u128::from_str_radix(hex, 16).map_err(|_| CandidTextError::Syntax { at: start, why: format!("invalid number {raw:?}") })?;
            return Ok(IDLValue::Number(format!("{sign}{n}")));
        }
        if body.chars().all(|c| c.is_ascii_digit()) && !body.is_empty() {
            return Ok(IDLValue::Number(format!("{sign}{body}")));
        }
        raw.parse::<f64>().map(IDLValue::Float64).map_err(|_| CandidTextError::Syntax { at: start, why: format!("invalid number {raw:?}") })
    }

    /// A quoted literal with Candid's escapes (`\n`, `\t`, `\\`, `\"`, `\u{..}`, `\XX` bytes).
    fn text_bytes(&mut self) -> Result<Vec<u8>, CandidTextError> {
        if self.peek() != Some('"') {
            return Err(self.err("expected '\"'"));
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek().ok_or_else(|| self.err("unterminated text"))?;
            self.i += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                    self.i += 1;
                    match e {
                        'n' => out.push(b'\n'),
                        'r' => out.push(b'\r'),
                        't' => out.push(b'\t'),
                        '\\' | '"' | '\'' => out.push(e as u8),
                        'u' => {
                            self.expect('{')?;
                            let start = self.i;
                            while self.peek().is_some_and(|c| c.is_ascii_hexdigit() || c == '_') {
                                self.i += 1;
                            }
                            let hex: String = self.s[start..self.i].iter().filter(|c| **c != '_').collect();
                            self.expect('}')?;
                            let ch = u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("invalid \\u escape"))?;
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        h if h.is_ascii_hexdigit() => {
                            let l =
                                self.peek().filter(char::is_ascii_hexdigit).ok_or_else(|| self.err("a byte escape has two hex digits"))?;
                            self.i += 1;
                            let byte = u8::from_str_radix(&format!("{h}{l}"), 16).map_err(|_| self.err("invalid byte escape"))?;
                            out.push(byte);
                        }
                        _ => return Err(self.err(format!("unknown escape '\\{e}'"))),
                    }
                }
                c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
    }

    fn ty(&mut self) -> Result<Type, CandidTextError> {
        let at = self.i;
        let word = self.ident().ok_or_else(|| self.err("expected a type"))?;
        let inner = match word.as_str() {
            "nat" => TypeInner::Nat,
            "nat8" => TypeInner::Nat8,
            "nat16" => TypeInner::Nat16,
            "nat32" => TypeInner::Nat32,
            "nat64" => TypeInner::Nat64,
            "int" => TypeInner::Int,
            "int8" => TypeInner::Int8,
            "int16" => TypeInner::Int16,
            "int32" => TypeInner::Int32,
            "int64" => TypeInner::Int64,
            "float32" => TypeInner::Float32,
            "float64" => TypeInner::Float64,
            "text" => TypeInner::Text,
            "bool" => TypeInner::Bool,
            "null" => TypeInner::Null,
            "reserved" => TypeInner::Reserved,
            "empty" => TypeInner::Empty,
            "principal" => TypeInner::Principal,
            "blob" => TypeInner::Vec(TypeInner::Nat8.into()),
            "opt" => TypeInner::Opt(self.ty()?),
            "vec" => TypeInner::Vec(self.ty()?),
            "record" | "variant" => {
                self.expect('{')?;
                let mut fields = Vec::new();
                let mut index = 0u32;
                while !self.eat('}') {
                    let start = self.i;
                    let labeled = self.label(&mut index).ok().filter(|_| self.eat(':'));
                    let (id, ty) = match labeled {
                        Some(l) => (l, self.ty()?),
                        None if word == "variant" => {
                            self.i = start;
                            (self.label(&mut index)?, TypeInner::Null.into())
                        }
                        None => {
                            self.i = start;
                            let l = Label::Unnamed(index);
                            index += 1;
                            (l, self.ty()?)
                        }
                    };
                    fields.push(Field { id: Rc::new(id), ty });
                    if !self.eat(';') {
                        self.expect('}')?;
                        break;
                    }
                }
                fields.sort_by_key(|f| f.id.get_id());
                if word == "record" {
                    TypeInner::Record(fields)
                } else {
                    TypeInner::Variant(fields)
                }
            }
            other => return Err(CandidTextError::Syntax { at, why: format!("unknown type '{other}'") }),
        };
        Ok(inner.into())
    }
}

#[cfg(test)]
mod tests;
