//! `codexvm db export` / `import`: a database moves out and back byte for byte; bad dumps and
//! conflicting keys change nothing and say what is wrong.

use std::path::Path;

use crate::support::codexvm;

fn export(state: &Path) -> String {
    let out = codexvm(&["db", "export"], state);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const CREATE: &str = r#"
from kybra_simple_db import Entity, String, Integer, OneToMany, ManyToOne
class Team(Entity):
    __alias__ = "name"
    name = String()
    players = OneToMany("Player", "team")
class Player(Entity):
    name = String()
    goals = Integer()
    team = ManyToOne("Team", "players")
t = Team(name="Reds ✓")
for i in range(3):
    Player(name="p%d" % i, goals=i, team=t)
"#;

#[test]
fn export_then_import_reproduces_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.stable"), dir.path().join("b.stable"));
    let script = dir.path().join("create.py");
    std::fs::write(&script, CREATE).unwrap();
    assert!(codexvm(&["run", script.to_str().unwrap()], &a).status.success());
    let dump = export(&a);
    assert!(dump.contains(r#""Team_alias@Reds \u2713": "\"1\"""#), "{dump}");
    let file = dir.path().join("dump.json");
    std::fs::write(&file, &dump).unwrap();
    let out = codexvm(&["db", "import", file.to_str().unwrap()], &b);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(export(&b), dump);
    // Importing the same dump again is a no-op, not a conflict.
    assert!(codexvm(&["db", "import", file.to_str().unwrap()], &b).status.success());
    // The entity view.
    let entities = String::from_utf8(codexvm(&["db", "export", "--format", "entities"], &b).stdout).unwrap();
    assert!(entities.starts_with(r#"{"Player": {"1": {"_type": "Player""#), "{entities}");
}

#[test]
fn bad_dumps_and_conflicts_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.stable");
    let script = dir.path().join("create.py");
    std::fs::write(&script, CREATE).unwrap();
    assert!(codexvm(&["run", script.to_str().unwrap()], &state).status.success());
    let before = export(&state);
    let cases = [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be an object"),
        (r#"{"Team@9": {"_type": "Team"}}"#, "is not a string"),
        (r#"{"Team@9": "{broken"}"#, "is not JSON text"),
        (r#"{"new@1": "\"ok\"", "Team@1": "{\"_type\": \"Team\"}"}"#, "already hold different values"),
    ];
    for (i, (dump, why)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&file, dump).unwrap();
        let out = codexvm(&["db", "import", file.to_str().unwrap()], &state);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {i} was accepted");
        assert!(err.contains(why), "case {i}: {err}");
        assert_eq!(export(&state), before, "case {i} changed the store");
    }
    let long_key = format!(r#"{{"{}": "\"v\""}}"#, "k".repeat(101));
    let file = dir.path().join("long.json");
    std::fs::write(&file, long_key).unwrap();
    let out = codexvm(&["db", "import", file.to_str().unwrap()], &state);
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_key_size of 100"));
    assert_eq!(export(&state), before);
    // codexvm's own maps (tasks' grants, roles, the simulated clock) are not databases.
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"{"k@1": "\"v\""}"#).unwrap();
    let tasks_before = codexvm(&["task", "list"], &state).stdout;
    for id in ["240", "254", "255", "65535"] {
        let out = codexvm(&["db", "import", good.to_str().unwrap(), "--memory-id", id], &state);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(&format!("memory_id {id} is")), "memory id {id}: {err}");
    }
    assert_eq!(export(&state), before);
    assert_eq!(codexvm(&["task", "list"], &state).stdout, tasks_before);
}
