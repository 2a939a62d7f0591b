//! Bad input at every entry point of the built canister (test host): malformed Candid, wrong
//! types, oversized arguments, bad base64 or JSON in the realms endpoints, unknown names, codex
//! source that does not compile; and a bounded fuzz over all endpoints. Every one gets a clear
//! rejection or error reply, and the canister's data and service are unchanged.

use crate::support::canister::{b64, installed, result_of, run};
use crate::support::repo;
use candid::{Nat, Principal};
use codexvm_host::Canister;
use serde_json::Value;

/// `(method, is_query)` for every endpoint of `codexvm.did`.
fn endpoints() -> Vec<(String, bool)> {
    let did = std::fs::read_to_string(repo("codexvm.did")).unwrap();
    let service = &did[did.find("service :").expect("service")..];
    service
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (name, sig) = l.split_once(" : ")?;
            (!name.starts_with("//") && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .then(|| (name.to_owned(), sig.trim_end_matches(';').ends_with("query")))
        })
        .collect()
}

fn call(c: &mut Canister, method: &str, query: bool, arg: &[u8]) -> Result<Vec<u8>, String> {
    let r = if query { c.query(method, arg) } else { c.update(method, arg) };
    r.result.map_err(|e| e.message)
}

/// Some data and a task, to see that nothing changes.
fn seeded() -> Canister {
    let mut c = installed();
    result_of(&mut c, "from ggg import Realm, User\nRealm(name='Steady Realm')\nfor i in range(3):\n    User(id=str(i))");
    let r = c
        .update("create_scheduled_task", &candid::encode_args(("steady", b64("result = 1"), Nat::from(3600u32), Nat::from(0u32))).unwrap());
    assert!(r.result.is_ok());
    c
}

fn fingerprint(c: &mut Canister) -> (Vec<u8>, String) {
    let data = result_of(c, "from ggg import Realm, User, Task\nresult = [Realm.count(), User.count(), Task.count()]");
    (c.stable_memory(), data)
}

#[test]
fn malformed_and_mistyped_arguments_are_rejected_at_every_endpoint() {
    let mut c = seeded();
    let eps = endpoints();
    assert!(eps.len() >= 25, "{eps:?}");
    let garbage: [&[u8]; 4] = [b"", b"not candid at all", b"DIDL\x01\x02\x03", &[0xff; 64]];
    let wrong_types = [candid::encode_one(12345u64).unwrap(), candid::encode_args((Principal::anonymous(), -1i32, vec![1u8; 10])).unwrap()];
    let before = fingerprint(&mut c);
    let mut rejected = 0;
    for (method, query) in &eps {
        for arg in garbage.iter().copied().chain(wrong_types.iter().map(|v| v.as_slice())) {
            // Methods without arguments may accept extra values (Candid subtyping), and
            // anything is fine for them as long as nothing changes.
            if let Err(msg) = call(&mut c, method, *query, arg) {
                assert!(!msg.is_empty());
                rejected += 1;
            }
        }
    }
    assert!(rejected >= eps.len() * 3, "only {rejected} rejections");
    assert_eq!(fingerprint(&mut c), before, "bad calls changed the canister's data");
}

#[test]
fn the_realms_endpoints_answer_bad_input_with_error_replies() {
    let mut c = seeded();
    let before = fingerprint(&mut c);
    let text = |c: &mut Canister, method: &str, arg: Vec<u8>, query: bool| -> Value {
        let bytes = call(c, method, query, &arg).unwrap_or_else(|e| panic!("{method} rejected: {e}"));
        let s: String = candid::decode_one(&bytes).unwrap();
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{method}: {s}: {e}"))
    };
    let zero = || Nat::from(0u32);
    let cases: Vec<(&str, Vec<u8>, bool, &str)> = vec![
        ("create_scheduled_task", candid::encode_args(("t1", "***not base64***", zero(), zero())).unwrap(), false, "base64"),
        ("create_scheduled_task", candid::encode_args(("t2", b64("x = ("), zero(), zero())).unwrap(), false, "line 1"),
        ("create_scheduled_task", candid::encode_args(("", b64("x = 1"), zero(), zero())).unwrap(), false, "name"),
        ("create_multi_step_scheduled_task", candid::encode_args(("t3", "[{not json", zero(), zero())).unwrap(), false, "JSON"),
        ("create_multi_step_scheduled_task", candid::encode_args(("t4", "{\"code\": 1}", zero(), zero())).unwrap(), false, "steps"),
        (
            "create_multi_step_scheduled_task",
            candid::encode_args(("t5", format!("[{{\"code\": \"{}\"}}]", b64("def f(:\n  pass")), zero(), zero())).unwrap(),
            false,
            "line 1",
        ),
        ("stop_task", candid::encode_one("no-such-task").unwrap(), false, "no-such-task"),
        ("start_task", candid::encode_one("no-such-task").unwrap(), false, "no-such-task"),
        ("get_task_logs", candid::encode_args(("no-such-task", Nat::from(5u32))).unwrap(), true, "no-such-task"),
        ("execute_code", candid::encode_one("x = 1\ny = (\n").unwrap(), false, "line 2"),
    ];
    for (method, arg, query, says) in cases {
        let v = text(&mut c, method, arg, query);
        let all = v.to_string();
        assert!(v["success"] == Value::Bool(false) || v["status"] == "failed" || v.get("error").is_some(), "{method}: {all}");
        assert!(all.contains(says), "{method}: the error should mention {says:?}: {all}");
    }
    // Typed endpoints: unknown names are errors, not traps.
    let r: Result<candid::Reserved, String> = c.query("get_task", &candid::encode_args(("nope", 1u32)).unwrap()).decode();
    assert!(r.unwrap_err().contains("no task named 'nope'"));
    let r: Result<candid::Reserved, String> = c.update("delete_task", &candid::encode_one("nope").unwrap()).decode();
    assert!(r.is_err());
    let oversized = "x = 1\n".repeat(400_000); // 2.4 MB: more than an ingress message may carry
    let r = run(&mut c, &oversized);
    assert!(r.success, "large sources are the platform's to refuse; the runtime copes: {:?}", r.error);
    assert_eq!(fingerprint(&mut c).1, before.1, "bad input changed the data");
}

#[test]
fn a_bounded_fuzz_over_every_endpoint_changes_nothing() {
    let mut c = seeded();
    let eps = endpoints();
    let before = fingerprint(&mut c);
    let mut seed: u64 = 0x5eed_c0de;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let texts = ["", "x", "steady", "Realm", "User", "0", "-1", "{}", "[]", "null", "é€𝄞", "a::b", "task_steady", "\u{0}"];
    let (mut calls, mut rejected) = (0, 0);
    for _ in 0..400 {
        let (method, query) = &eps[(next() % eps.len() as u64) as usize];
        if [
            "delete_task",
            "clear_task",
            "run_codex",
            "execute_code",
            "grant_role",
            "revoke_role",
            "create_task",
            "stop_task",
            "start_task",
            "create_scheduled_task",
            "create_multi_step_scheduled_task",
            "grant_namespace",
            "revoke_namespace",
        ]
        .contains(&method.as_str())
            && next() % 2 == 0
        {
            // Mutating endpoints get random bytes only, so that valid calls do not change data
            // the test then compares.
            let n = (next() % 48) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| next() as u8).collect();
            calls += 1;
            rejected += usize::from(call(&mut c, method, *query, &bytes).is_err());
            continue;
        }
        let t = |r: u64| texts[(r % texts.len() as u64) as usize];
        let arg = match next() % 5 {
            0 => candid::encode_args((t(next()),)).unwrap(),
            1 => candid::encode_args((t(next()), Nat::from(next() % 1000))).unwrap(),
            2 => candid::encode_args((t(next()), (next() % 100) as u32)).unwrap(),
            3 => candid::encode_args((t(next()), Nat::from(next() % 10), Nat::from(next() % 10), t(next()))).unwrap(),
            _ => (0..(next() % 64)).map(|_| next() as u8).collect(),
        };
        if [
            "delete_task",
            "clear_task",
            "stop_task",
            "start_task",
            "grant_namespace",
            "revoke_namespace",
            "run_codex",
            "execute_code",
            "create_scheduled_task",
            "create_multi_step_scheduled_task",
            "create_task",
        ]
        .contains(&method.as_str())
        {
            // Names of nothing that exists, or code that cannot run: refused or harmless.
            if arg.starts_with(b"DIDL") && ["steady", "task_steady"].iter().any(|s| arg.windows(s.len()).any(|w| w == s.as_bytes())) {
                continue;
            }
            if method == "run_codex" || method == "execute_code" || method.starts_with("create") {
                continue;
            }
        }
        calls += 1;
        rejected += usize::from(call(&mut c, method, *query, &arg).is_err());
    }
    let after = fingerprint(&mut c);
    eprintln!("fuzz: {calls} calls, {rejected} rejected, data unchanged: {}", after.1 == before.1);
    assert_eq!(after.1, before.1, "the fuzz changed the data");
    assert!(calls > 300);
}
