use super::json::{self, JStr, Plain as V, PlainBuilder as B, Writer};

fn write(v: &V, w: &mut Writer) {
    match v {
        V::Null => w.null(),
        V::Bool(b) => w.boolean(*b),
        V::Int(d) => w.int(d),
        V::Float(f) => w.float(*f),
        V::Str(JStr::Text(t)) => w.str(t),
        V::Str(JStr::CodePoints(c)) => w.string(c.iter().copied()),
        V::List(items) => {
            w.open_array();
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    w.comma();
                }
                write(x, w);
            }
            w.close_array();
        }
        V::Obj(entries) => {
            w.open_object();
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    w.comma();
                }
                write(&V::Str(k.clone()), w);
                w.colon();
                write(x, w);
            }
            w.close_object();
        }
    }
}

#[test]
fn float_repr_matches_python() {
    let cases = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (2.5, "2.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123456789.12345679, "123456789.12345679"),
        (1e-07, "1e-07"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.5e300, "1.5e+300"),
        (-2.5e-10, "-2.5e-10"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (100.0, "100.0"),
        (1234567890123456.7, "1234567890123456.8"),
    ];
    for (f, want) in cases {
        assert_eq!(json::float_repr(f), want, "repr of {f:e}");
    }
}

#[test]
fn strings_escape_like_ensure_ascii() {
    let mut w = Writer::new();
    w.string("é✓😀\n\t\"\\\u{1}/".chars().map(|c| c as u32).chain([0xd800]));
    assert_eq!(w.finish(), r#""\u00e9\u2713\ud83d\ude00\n\t\"\\\u0001/\ud800""#);
    let mut w = Writer::unicode();
    w.str("é✓");
    assert_eq!(w.finish(), "\"é✓\"");
}

#[test]
fn decode_then_encode_round_trips_python_text() {
    let texts = [
        r#"{"timestamp_created": "2025-03-18 16:51:16.123", "creator": "alice", "_type": "Doc", "_id": "1", "n": [1, 2.5, -0.0, null, true, false], "__version__": 1}"#,
        r#"[1e+16, 1e-07, 123456789012345678901234567890, -5, "\u00e9\ud83d\ude00", {}, []]"#,
        r#"[NaN, Infinity, -Infinity]"#,
        r#""\ud800 lone""#,
    ];
    for t in texts {
        let v = json::decode(t, &mut B).unwrap();
        let mut w = Writer::new();
        write(&v, &mut w);
        assert_eq!(w.finish(), t);
    }
}

#[test]
fn decode_reads_python_json_forms() {
    assert_eq!(
        json::decode(" \n[1, 2.0e2, \"a\\/b\"] ", &mut B).unwrap(),
        V::List(vec![V::Int("1".into()), V::Float(200.0), V::Str(JStr::Text("a/b".into()))])
    );
    assert_eq!(
        json::decode(r#"{"a": 1, "a": 2}"#, &mut B).unwrap(),
        V::Obj(vec![(JStr::Text("a".into()), V::Int("1".into())), (JStr::Text("a".into()), V::Int("2".into()))])
    );
}

#[test]
fn decode_errors_say_where_like_python() {
    let e = json::decode("{bad", &mut B).unwrap_err();
    assert_eq!(e.to_string(), "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)");
    let e = json::decode("", &mut B).unwrap_err();
    assert_eq!(e.to_string(), "Expecting value: line 1 column 1 (char 0)");
    let e = json::decode("[1, 2", &mut B).unwrap_err();
    assert_eq!(e.to_string(), "Expecting ',' delimiter: line 1 column 6 (char 5)");
    let e = json::decode("1 2", &mut B).unwrap_err();
    assert_eq!(e.to_string(), "Extra data: line 1 column 3 (char 2)");
    let e = json::decode("\"abc", &mut B).unwrap_err();
    assert_eq!(e.to_string(), "Unterminated string starting at: line 1 column 1 (char 0)");
}

#[test]
fn decode_members_declines_escaped_keys_and_takes_plain_ones() {
    struct Count(usize);
    impl json::Members<B> for Count {
        fn wants(&mut self, _: &str) -> Option<bool> {
            Some(true)
        }
        fn member(&mut self, _: V) -> bool {
            self.0 += 1;
            true
        }
    }
    for text in [r#"{"\r":1,"":0}"#, r#"{"a\"b": 1}"#, r#"{"\u0061": 1}"#, "[1]", r#"{"a": 1,}"#] {
        assert_eq!(json::decode_members(text, &mut B, &mut Count(0)), None, "{text}");
    }
    let mut c = Count(0);
    assert_eq!(json::decode_members(r#" { "a" : "x\n" , "" : [1, {"b": 2}] } "#, &mut B, &mut c), Some(()));
    assert_eq!(c.0, 2);
}

mod property {
    use proptest::prelude::*;

    use super::super::json;

    proptest! {
        /// Every finite float's repr reads back as the same float.
        #[test]
        fn float_repr_round_trips(bits in any::<u64>()) {
            let f = f64::from_bits(bits);
            prop_assume!(f.is_finite());
            let text = json::float_repr(f);
            prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), f.to_bits());
        }

        /// `Writer::str` (with its plain-ASCII shortcut) writes what the code-point path writes.
        #[test]
        fn str_matches_the_code_point_path(s in ".{0,40}", ascii in "[ -~]{0,40}") {
            for text in [s.as_str(), ascii.as_str()] {
                for unicode in [false, true] {
                    let (mut a, mut b) = if unicode { (json::Writer::unicode(), json::Writer::unicode()) } else { (json::Writer::new(), json::Writer::new()) };
                    a.str(text);
                    b.string(text.chars().map(|c| c as u32));
                    prop_assert_eq!(a.finish(), b.finish());
                }
            }
        }

        /// `decode_members` hands out what `decode` reads, member by member, or declines.
        #[test]
        fn decode_members_agrees_with_decode(text in r#"\{( ?"[a-z_\\"]{0,3}": ?(1|-2|"x\\n"|null|\[1\]|\{"a": 1\}|2.5),){0,4}"[a-z]{0,2}" ?: ?[0-9]{1,3}\}|\{\}|\[1\]|\{"a": 1,\}"#) {
            // Collects every member but those named "b" (skipped unbuilt).
            struct All(Vec<(super::JStr, super::V)>, String);
            impl json::Members<super::B> for All {
                fn wants(&mut self, key: &str) -> Option<bool> {
                    self.1 = key.to_owned();
                    Some(key != "b")
                }
                fn member(&mut self, value: super::V) -> bool {
                    self.0.push((super::JStr::Text(self.1.clone()), value));
                    true
                }
            }
            let whole = json::decode(&text, &mut super::B);
            let mut all = All(Vec::new(), String::new());
            let members = json::decode_members(&text, &mut super::B, &mut all);
            match (members, whole) {
                (Some(()), Ok(super::V::Obj(mut entries))) => {
                    entries.retain(|(k, _)| !matches!(k, super::JStr::Text(t) if t == "b"));
                    prop_assert_eq!(all.0, entries)
                }
                (Some(()), other) => prop_assert!(false, "decode_members read {:?} but decode gave {:?}", text, other),
                // Declining is right only for a key written with an escape (here always one
                // that JSON must escape again).
                (None, Ok(super::V::Obj(entries))) => prop_assert!(
                    entries.iter().any(|(k, _)| match k {
                        super::JStr::Text(t) => {
                            let mut w = json::Writer::new();
                            w.str(t);
                            w.finish() != format!("\"{t}\"")
                        }
                        super::JStr::CodePoints(_) => true,
                    }),
                    "declined {:?}, which has no escaped key", text
                ),
                (None, _) => {}
            }
        }

        /// Integers are written as their decimal text.
        #[test]
        fn int_i64_is_decimal(n in any::<i64>()) {
            let mut w = json::Writer::new();
            w.int_i64(n);
            prop_assert_eq!(w.finish(), n.to_string());
        }
    }
}

mod resolve {
    use ic_stable_structures::VectorMemory;

    use crate::db::{Bounds, Resolved, Table};
    use crate::store::{Store, ENTITY_MAP};

    fn table_with(entries: &[(&str, &str)]) -> (Table, Store<VectorMemory>) {
        let mut s = Store::open(VectorMemory::default());
        let t = Table::new(ENTITY_MAP, Bounds::REALMS);
        s.begin().unwrap();
        for (k, v) in entries {
            t.put(&mut s, k, v).unwrap();
        }
        s.commit().unwrap();
        (t, s)
    }

    #[test]
    fn an_id_wins_over_an_alias() {
        let (t, mut s) = table_with(&[("U@bob", "{\"_id\": \"bob\"}"), ("U_alias@bob", "\"1\""), ("U@1", "{\"_id\": \"1\"}")]);
        assert_eq!(t.resolve(&mut s, "U", "bob", true), Resolved::ById("{\"_id\": \"bob\"}".into()));
    }

    #[test]
    fn an_alias_names_an_id_and_its_record() {
        let (t, mut s) = table_with(&[("U_alias@alice", "\"1\""), ("U@1", "{\"_id\": \"1\"}"), ("U_alias@gone", "\"7\"")]);
        assert_eq!(t.resolve(&mut s, "U", "alice", true), Resolved::ByAlias { id: "1".into(), record: Some("{\"_id\": \"1\"}".into()) });
        assert_eq!(t.resolve(&mut s, "U", "gone", true), Resolved::ByAlias { id: "7".into(), record: None });
        assert_eq!(t.resolve(&mut s, "U", "alice", false), Resolved::Missing, "a type without __alias__ has no alias index");
        assert_eq!(t.resolve(&mut s, "U", "nobody", true), Resolved::Missing);
    }

    #[test]
    fn an_alias_entry_that_is_not_a_json_string_is_returned_raw() {
        let (t, mut s) = table_with(&[("U_alias@n", "5"), ("U_alias@z", "null"), ("U_alias@e", "\"\"")]);
        assert_eq!(t.resolve(&mut s, "U", "n", true), Resolved::Other("5".into()));
        assert_eq!(t.resolve(&mut s, "U", "z", true), Resolved::Other("null".into()));
        assert_eq!(t.resolve(&mut s, "U", "e", true), Resolved::ByAlias { id: String::new(), record: None });
    }
}

#[test]
fn skipping_a_value_checks_its_strings_as_decoding_does() {
    let texts = [
        r#""plain""#,
        r#""line\nbreak \"quoted\" \\ \/ \b\f\r\t""#,
        r#""\u00e9\ud83d\ude00 lone \udc00""#,
        r#"{"code": "def f():\n    return 1\n", "n": [1, "x\ty"]}"#,
        r#""bad \x escape""#,
        r#""bad \u12 escape""#,
        "\"control \u{1} char\"",
        r#""unterminated"#,
        r#""ends in a backslash\"#,
        r#"["a", "b\"]"#,
    ];
    for t in texts {
        let decoded = json::decode(t, &mut B).map(drop);
        let skipped = json::decode(t, &mut json::Skip);
        assert_eq!(skipped, decoded, "{t}");
    }
}
