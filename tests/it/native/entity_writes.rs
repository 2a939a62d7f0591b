//! What each entity operation writes to the store: exactly the keys 0.5.0's layout changes,
//! and no rewrite of an alias entry that already holds the entity's id.

use crate::support::{fresh_store, in_vm, run};

const USER: &str = "from kybra_simple_db import Entity, String, Integer\n\
class User(Entity):\n    __alias__ = 'name'\n    name = String()\n    age = Integer()\n";

fn writes(source: &str) -> usize {
    let x = run(&format!("{USER}{source}"));
    if let Err(e) = &x.outcome.result {
        panic!("codex raised:\n{}", e.traceback);
    }
    assert!(x.committed);
    x.writes
}

#[test]
fn a_create_writes_the_record_its_alias_and_the_two_counters() {
    in_vm(|| {
        fresh_store();
        assert_eq!(writes("User(name='alice', age=30)"), 4);
    });
}

#[test]
fn a_property_set_writes_only_the_record_while_the_alias_is_unchanged() {
    in_vm(|| {
        fresh_store();
        writes("User(name='alice', age=30)");
        assert_eq!(writes("User['alice'].age = 31"), 1);
        assert_eq!(writes("u = User['1']\nu.age = 32\nu.name = 'alice'"), 1, "same alias value again");
        assert_eq!(run(&format!("{USER}result = [User['alice'].age, User['1'].name]")).outcome.result.unwrap(), "[32, \"alice\"]");
    });
}

#[test]
fn renaming_writes_the_record_and_the_new_alias_entry() {
    in_vm(|| {
        fresh_store();
        writes("User(name='alice', age=30)");
        // 0.5.0 keeps the old alias entry (a stale rename): only the new one is written.
        assert_eq!(writes("User['alice'].name = 'alicia'"), 2);
        let r = run(&format!("{USER}result = [User['alicia'].age, User['alice'].name]")).outcome.result.unwrap();
        assert_eq!(r, "[30, \"alicia\"]");
    });
}

#[test]
fn a_stale_alias_entry_is_written_again_when_the_entity_saves() {
    in_vm(|| {
        fresh_store();
        writes("User(name='alice', age=30)");
        // Another entity takes the alias over (last writer wins, as in 0.5.0) ...
        writes("User(name='alice', age=40)");
        assert_eq!(run(&format!("{USER}result = User['alice']._id")).outcome.result.unwrap(), "\"2\"");
        // ... and a save of the first one writes the entry back to it, as 0.5.0 does.
        assert_eq!(writes("User['1'].age = 31"), 2);
        assert_eq!(run(&format!("{USER}result = User['alice']._id")).outcome.result.unwrap(), "\"1\"");
    });
}
