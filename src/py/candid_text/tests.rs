use super::{decode, encode, CandidTextError};

fn round(text: &str) -> String {
    decode(&encode(text).unwrap_or_else(|e| panic!("{text}: {e}"))).expect("decode")
}

#[test]
fn numbers_take_their_annotated_type() {
    assert_eq!(encode("(42 : nat)").unwrap(), b"DIDL\x00\x01\x7d\x2a");
    assert_eq!(encode("(1_000 : nat)").unwrap(), b"DIDL\x00\x01\x7d\xe8\x07");
    assert_eq!(round("(42 : nat)"), "(42 : nat)");
    assert_eq!(round("(-5 : int8, 7 : nat64, 0x10 : nat16)"), "(-5 : int8, 7 : nat64, 16 : nat16)");
    assert_eq!(round("(42)"), "(42 : int)");
    assert_eq!(round("(1.5 : float64)"), "(1.5 : float64)");
}

#[test]
fn composite_values_round_trip() {
    assert_eq!(round(r#"("hello", true, null)"#), r#"("hello", true, null : null)"#);
    assert_eq!(round("(opt (5 : nat8))"), "(opt (5 : nat8))");
    assert_eq!(round("(vec { 1 : nat; 2 : nat })"), "(vec { 1 : nat; 2 : nat })");
    let r = round(r#"(record { name = "ann"; age = 30 : nat32 })"#);
    // Binary Candid keeps field hashes, not names: decoding shows the hashes.
    assert!(r.contains(" = \"ann\"") && r.contains(" = 30 : nat32"), "{r}");
    assert_eq!(round(r#"(variant { Ok = "done" })"#), r#"(variant { 17_724 = "done" })"#); // idHash("Ok")
    assert_eq!(round(r#"(blob "\00\ff")"#), r#"(blob "\00\ff")"#);
    assert_eq!(round(r#"(principal "aaaaa-aa")"#), r#"(principal "aaaaa-aa")"#);
    assert_eq!(round("()"), "()");
}

#[test]
fn annotations_of_composite_types() {
    assert_eq!(round("(vec {} : vec nat)"), "(vec {})");
    assert_eq!(round("(null : opt nat)"), "(null)");
    let r = round(r#"(record { to = principal "aaaaa-aa"; amount = 5 } : record { to : principal; amount : nat })"#);
    assert!(r.contains(" = 5 : nat") && r.contains("principal \"aaaaa-aa\""), "{r}");
}

#[test]
fn bad_text_says_where() {
    assert!(matches!(encode("42"), Err(CandidTextError::Syntax { at: 0, .. })));
    assert!(matches!(encode("(\"open"), Err(CandidTextError::Syntax { .. })));
    assert!(matches!(encode("(foo)"), Err(CandidTextError::Syntax { .. })));
    assert!(matches!(encode("(-1 : nat)"), Err(CandidTextError::Value(_))));
    assert!(matches!(encode("(300 : nat8)"), Err(CandidTextError::Value(_))));
    assert!(matches!(encode("(1 : foo)"), Err(CandidTextError::Syntax { .. })));
    assert!(matches!(encode("(1) x"), Err(CandidTextError::Syntax { .. })));
    assert!(matches!(decode(b"not candid"), Err(CandidTextError::Binary(_))));
}
