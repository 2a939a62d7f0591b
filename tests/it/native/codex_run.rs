//! Running codexes natively: results, output, errors, and all-or-nothing store writes.

use crate::support::{fresh_store, in_vm, result_of, run};

#[test]
fn result_is_json_of_top_level_result() {
    in_vm(|| {
        fresh_store();
        assert_eq!(result_of("result = {'a': [1, 2.5, None, True], 'b': 'é'}"), r#"{"a": [1, 2.5, null, true], "b": "\u00e9"}"#);
        assert_eq!(result_of("x = 1"), "null");
        // Values JSON cannot hold are given by repr().
        assert_eq!(result_of("class A:\n    def __repr__(self): return 'A!'\nresult = [A()]"), r#"["A!"]"#);
    });
}

#[test]
fn output_is_captured_in_order() {
    in_vm(|| {
        fresh_store();
        let x =
            run("import sys\nprint('one')\nfrom kybra import ic\nic.print('two', 3)\nsys.stderr.write('err\\n')\nprint('four', end='')");
        assert!(x.outcome.ok());
        assert_eq!(x.outcome.captured.stdout, "one\ntwo 3\nfour");
        assert_eq!(x.outcome.captured.stderr, "err\n");
        assert_eq!(x.outcome.captured.lines(), vec!["one", "two 3", "four", "err"]);
    });
}

#[test]
fn output_is_capped_and_says_so() {
    in_vm(|| {
        fresh_store();
        let x = run("print('x' * 3_000_000)");
        let c = &x.outcome.captured;
        assert_eq!(c.stdout.len(), codexvm::py::capture::DEFAULT_LIMIT);
        assert!(c.dropped > 1_900_000, "dropped {}", c.dropped);
        assert!(c.lines().last().unwrap().starts_with("[output truncated"));
    });
}

#[test]
fn exception_gives_traceback_with_codex_line() {
    in_vm(|| {
        fresh_store();
        let x = run("a = 1\n\ndef f():\n    return {}['missing']\n\nf()\n");
        let e = x.outcome.result.unwrap_err();
        assert_eq!(e.type_name, "KeyError");
        assert_eq!(e.line, Some(4));
        assert!(e.traceback.starts_with("Traceback (most recent call last):"), "{}", e.traceback);
        assert!(e.traceback.contains("File \"<test>\", line 6"), "{}", e.traceback);
        assert!(e.traceback.contains("return {}['missing']"), "codex source line missing:\n{}", e.traceback);
        assert!(e.traceback.trim_end().ends_with("KeyError: 'missing'"), "{}", e.traceback);
    });
}

#[test]
fn syntax_error_names_the_line() {
    in_vm(|| {
        fresh_store();
        let x = run("x = 1\ny = (2 +\nz = 3\n");
        let e = x.outcome.result.unwrap_err();
        assert_eq!(e.type_name, "SyntaxError");
        assert!(e.line == Some(2) || e.line == Some(3), "line {:?}", e.line);
        assert!(!x.committed);
    });
}

#[test]
fn each_execution_gets_fresh_globals_not_main() {
    in_vm(|| {
        fresh_store();
        assert_eq!(result_of("leak = 42\nresult = __name__"), "\"codex\"");
        assert_eq!(result_of("result = 'leak' in globals()"), "false");
        assert_eq!(result_of("ran = False\nif __name__ == '__main__':\n    ran = True\nresult = ran"), "false");
    });
}

const COUNTER: &str = "from kybra import StableBTreeMap\nm = StableBTreeMap[str, str](memory_id=3, max_key_size=20, max_value_size=20)\n";

#[test]
fn writes_commit_when_the_codex_finishes() {
    in_vm(|| {
        fresh_store();
        let x = run(&format!("{COUNTER}m.insert('k', 'v1')\nm.insert('j', 'v2')"));
        assert!(x.committed);
        assert_eq!(x.writes, 2);
        assert_eq!(result_of(&format!("{COUNTER}result = [m.get('k'), m.items(), m.len()]")), r#"["v1", [["j", "v2"], ["k", "v1"]], 2]"#);
    });
}

#[test]
fn codex_that_writes_then_raises_leaves_store_unchanged() {
    in_vm(|| {
        fresh_store();
        assert!(run(&format!("{COUNTER}m.insert('k', 'before')")).committed);
        let x = run(&format!("{COUNTER}m.insert('k', 'after')\nm.insert('new', 'x')\nm.remove('k')\nraise RuntimeError('boom')"));
        assert!(!x.committed);
        assert_eq!(x.outcome.result.unwrap_err().message, "boom");
        assert_eq!(result_of(&format!("{COUNTER}result = m.items()")), r#"[["k", "before"]]"#);
        // And a codex that fails to compile writes nothing either.
        assert!(!run(&format!("{COUNTER}m.insert('k', 'zzz')\n)")).committed);
        assert_eq!(result_of(&format!("{COUNTER}result = m.get('k')")), "\"before\"");
    });
}

#[test]
fn reads_inside_a_codex_see_its_own_writes() {
    in_vm(|| {
        fresh_store();
        let r = result_of(&format!("{COUNTER}m.insert('a', '1')\nm.insert('b', '2')\nm.remove('a')\nresult = [m.contains_key('a'), m.get('b'), m.keys(), m.is_empty()]"));
        assert_eq!(r, r#"[false, "2", ["b"], false]"#);
    });
}

#[test]
fn stable_b_tree_map_api_and_typed_keys() {
    in_vm(|| {
        fresh_store();
        let src = r#"
from kybra import StableBTreeMap, nat64, Principal
m = StableBTreeMap[nat64, str](memory_id=4, max_key_size=8, max_value_size=100)
for k in [10, 2, 33, 2**40]:
    m.insert(k, "v%d" % k)
old = m.insert(2, "two")
p = StableBTreeMap[Principal, bytes](memory_id=5, max_key_size=29, max_value_size=4)
p.insert(Principal.anonymous(), b"\x00\x01")
result = [m.keys(), old, m.get(2), m.remove(33), m.len(), m.values(1, 2), m.items(0, 1),
          [(k.to_str(), v.hex()) for k, v in p.items()]]
"#;
        assert_eq!(
            result_of(src),
            r#"[[2, 10, 33, 1099511627776], "v2", "two", "v33", 3, ["v10", "v1099511627776"], [[2, "two"]], [["2vxsx-fae", "0001"]]]"#
        );
    });
}

#[test]
fn oversized_keys_and_values_are_refused_before_writing() {
    in_vm(|| {
        fresh_store();
        let x = run(&format!("{COUNTER}m.insert('k', 'x' * 21)"));
        assert_eq!(x.outcome.result.unwrap_err().message, "value is 21 bytes, more than max_value_size=20");
        let x = run(&format!("{COUNTER}m.insert('k' * 21, 'x')"));
        assert_eq!(x.outcome.result.unwrap_err().message, "key is 21 bytes, more than max_key_size=20");
        assert_eq!(result_of(&format!("{COUNTER}result = m.len()")), "0");
    });
}

#[test]
fn reserved_and_invalid_memory_ids_are_refused() {
    in_vm(|| {
        fresh_store();
        let x = run("from kybra import StableBTreeMap\nStableBTreeMap[str, str](memory_id=250, max_key_size=1, max_value_size=1)");
        assert!(x.outcome.result.unwrap_err().message.contains("reserved by codexvm"));
        let x = run("import _stable\n_stable.insert(245, b'k', b'v')");
        assert!(x.outcome.result.unwrap_err().message.contains("reserved by codexvm"));
        let x = run("import _stable\n_stable.get(300, b'k')");
        assert!(x.outcome.result.is_err());
    });
}

#[test]
fn ic_api_basics() {
    in_vm(|| {
        fresh_store();
        let r = result_of("from kybra import ic, Principal\nresult = [ic.id().to_str(), str(ic.caller()), ic.time() > 1.7e18, Principal.from_str('aaaaa-aa').bytes, ic.performance_counter(0) >= 0]");
        assert_eq!(r, r#"["bkyz2-fmaaa-aaaaa-qaaaq-cai", "2vxsx-fae", true, "b''", true]"#);
    });
}

#[test]
fn native_random_is_seeded_and_reproducible() {
    let draw = || {
        in_vm(|| {
            fresh_store();
            codexvm::host::rng::seed_u64(7);
            codexvm::tasks::runtime().unwrap().reseed_random().unwrap();
            result_of("import random, uuid, os\nresult = [random.random(), str(uuid.uuid4()), os.urandom(4).hex()]")
        })
    };
    assert_eq!(draw(), draw());
}

#[test]
fn ic_trap_undoes_the_execution_and_is_not_an_exception() {
    in_vm(|| {
        fresh_store();
        let x = run("from ggg import Realm\nfrom kybra import ic\nRealm(name='undone')\ntry:\n    ic.trap('stop here')\nexcept Exception:\n    result = 'caught'");
        let err = x.outcome.result.expect_err("a trap ends the execution");
        assert!(err.traceback.contains("Trap: the canister trapped: stop here"), "{}", err.traceback);
        assert_eq!(result_of("from ggg import Realm\nresult = Realm.count()"), "0", "the write before the trap is undone");
    });
}

#[test]
fn entity_classes_defined_at_start_up_keep_their_schema_across_executions() {
    // Computed at boot, a schema is part of the pristine state: an execution (or a canister
    // query, which keeps nothing) never computes it again.
    let missing = "import ggg\nfrom kybra_simple_db import entity\nresult = sorted(n for n, c in entity._defined_classes.items() if '_codexvm_schema' not in c.__dict__)";
    in_vm(|| {
        fresh_store();
        assert_eq!(result_of(missing), "[]");
        // A codex that changes a catalogue class drops its schema (the change takes effect)...
        assert_eq!(result_of("import ggg\nggg.Member.__alias__ = 'x'\nresult = '_codexvm_schema' in ggg.Member.__dict__"), "false");
        // ...and the next execution starts from the pristine class, schema included.
        assert_eq!(result_of(missing), "[]");
        assert_eq!(result_of("import ggg\nresult = ggg.Member.__dict__.get('__alias__')"), "\"id\"");
    });
}

#[test]
fn stored_timestamps_are_formatted_and_read_natively_exactly_as_the_original_computes_them() {
    // SystemTime.format_timestamp / parse_timestamp take the native path where it is exact; the
    // original's datetime code (here the same interpreter's) must give the same on random times,
    // on the edges of that range, and on texts the native reader leaves to it.
    let codex = r#"
import random
from datetime import datetime
from kybra_simple_db.system_time import SystemTime

def original_format(ms):
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

def original_parse(text):
    try:
        dt = datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                      int(text[14:16]), int(text[17:19]), int(text[20:23]) * 1000)
    except ValueError:
        return 0
    return int(round(dt.timestamp() * 1000))

rng = random.Random(7)
times = [1, 999, 1000, 951_782_400_000, 8_589_934_591_999, 8_589_934_592_000, 253_402_300_799_999]
times += [rng.randrange(1, 8_589_934_592_000) for _ in range(1500)]
bad = [ms for ms in times if SystemTime.format_timestamp(ms) != original_format(ms)]
texts = [original_format(ms) for ms in times]
texts += ["2025-02-29 00:00:00.000", "2024-02-29 23:59:59.999", "+025-01-01 00:00:00.000", "2025-01-01 0:00:00.0000"]
bad += [t for t in texts if SystemTime.parse_timestamp(t) != original_parse(t)]
result = bad[:5]
"#;
    in_vm(|| {
        fresh_store();
        assert_eq!(result_of(codex), "[]");
    });
}

#[test]
fn a_catalogue_class_changed_by_one_execution_is_stored_as_defined_in_the_next() {
    // The schema parsed at start-up is kept across executions; a codex's change to the class
    // makes a new one for that execution only.
    in_vm(|| {
        fresh_store();
        let changed = "from ggg import Realm\nfrom kybra_simple_db import String\nRealm.motto = String(default='m')\n\
                       r = Realm(name='Alpha')\nresult = sorted(r.serialize())";
        assert!(result_of(changed).contains("\"motto\""));
        let next = "from ggg import Realm\nr = Realm(name='Beta')\nresult = [hasattr(Realm, 'motto'), 'motto' in r.serialize()]";
        assert_eq!(result_of(next), "[false, false]");
    });
}

#[test]
fn entity_classes_a_codex_defines_are_forgotten_before_the_next_execution() {
    in_vm(|| {
        fresh_store();
        let define = "from kybra_simple_db import Entity, String\nclass Gadget(Entity):\n    label = String()\n\
                      from kybra_simple_db import entity\nresult = 'Gadget' in entity._defined_classes";
        assert_eq!(result_of(define), "true");
        let check = "from kybra_simple_db import entity\nimport ggg\nresult = ['Gadget' in entity._defined_classes, 'Member' in entity._defined_classes]";
        assert_eq!(result_of(check), "[false, true]");
    });
}
