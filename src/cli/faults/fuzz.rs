//! Random operation sequences on one entity type, run through kybra_simple_db in the interpreter
//! and checked against a plain in-memory model of what 0.5.0 (with our documented fixes) stores:
//! records, ids, the count, the alias index (last writer wins, renames leave the old key) and
//! all-or-nothing failures. The state is checked warm (same execution) and cold (the next one).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::py::{Codex, RunOptions};
use crate::store::{self, FileMemory, Store, ENTITY_MAP};
use crate::tasks;

use super::Rng;

/// Alias values the operations choose from (a small pool, so they collide).
const NAMES: &[&str] = &["ann", "bob", "cy", "dee", "eve", "fay"];

/// One operation of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `Thing(name=..., score=...)`.
    Create { name: usize, score: i64 },
    /// `Thing[id].score = ...`.
    SetScore { id: u64, score: i64 },
    /// `Thing[id].name = ...`.
    Rename { id: u64, name: usize },
    /// `Thing[id].delete()`.
    Delete { id: u64 },
    /// `Thing[id].score = "x"`: a `TypeError`, nothing changes.
    BadScore { id: u64 },
    /// `Thing(name=..., score="x")`: a `TypeError`, nothing is written.
    BadCreate { name: usize },
    /// `Thing[id].name = <a name whose alias key exceeds the store's 100-byte keys>`: a `ValueError`.
    OversizedName { id: u64 },
}

/// What the model expects the store to hold.
#[derive(Debug, Default, Clone)]
struct Model {
    /// Live entities: id → (name, score).
    live: BTreeMap<u64, (String, i64)>,
    /// The alias index: name → id (may point at a deleted entity or a renamed one).
    alias: BTreeMap<String, u64>,
    /// The last id handed out.
    last_id: u64,
}

impl Model {
    /// Applies `op`, returning the outcome the engine must report (`ok` or an exception type).
    fn apply(&mut self, op: &Op) -> &'static str {
        match *op {
            Op::Create { name, score } => {
                self.last_id += 1;
                self.live.insert(self.last_id, (NAMES[name].into(), score));
                self.alias.insert(NAMES[name].into(), self.last_id);
                "ok"
            }
            Op::SetScore { id, score } => {
                let e = self.live.get_mut(&id).expect("live");
                e.1 = score;
                // Every assignment re-persists the entity with its alias.
                self.alias.insert(e.0.clone(), id);
                "ok"
            }
            Op::Rename { id, name } => {
                let e = self.live.get_mut(&id).expect("live");
                e.0 = NAMES[name].into();
                self.alias.insert(e.0.clone(), id);
                "ok"
            }
            Op::Delete { id } => {
                let (name, _) = self.live.remove(&id).expect("live");
                if self.alias.get(&name) == Some(&id) {
                    self.alias.remove(&name);
                }
                "ok"
            }
            Op::BadScore { .. } | Op::BadCreate { .. } => "TypeError",
            Op::OversizedName { .. } => "ValueError",
        }
    }

    /// What `observe()` in the script must return.
    fn observation(&self) -> Value {
        let mut ids: Vec<String> = self.live.keys().map(|i| i.to_string()).collect();
        // instances() follows the IC's key order: shorter keys first.
        ids.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        let records: BTreeMap<String, Value> = self.live.iter().map(|(id, (n, s))| (id.to_string(), json!([n, s]))).collect();
        let lookups: BTreeMap<&str, Value> = NAMES
            .iter()
            .map(|n| {
                let hit = self.alias.get(*n).filter(|id| self.live.contains_key(id));
                (*n, hit.map_or(Value::Null, |id| json!(id.to_string())))
            })
            .collect();
        json!({"ids": ids, "count": self.live.len(), "records": records, "lookups": lookups})
    }

    /// The keys the entity map must hold.
    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.live.keys().map(|id| format!("Thing@{id}")).collect();
        keys.extend(self.alias.keys().map(|n| format!("Thing_alias@{n}")));
        if self.last_id > 0 {
            keys.push("_system@Thing_count".into());
            keys.push("_system@Thing_id".into());
        }
        keys.sort();
        keys
    }
}

/// A random sequence of `len` operations, each valid for the state the model is in then.
pub fn sequence(rng: &mut Rng, len: usize) -> Vec<Op> {
    let mut model = Model::default();
    let mut ops = Vec::with_capacity(len);
    for _ in 0..len {
        let live: Vec<u64> = model.live.keys().copied().collect();
        let pick = |rng: &mut Rng| live[rng.below(live.len() as u64) as usize];
        let name = |rng: &mut Rng| rng.below(NAMES.len() as u64) as usize;
        let score = |rng: &mut Rng| rng.below(2_001) as i64 - 1_000;
        let op = match (rng.below(10), live.is_empty()) {
            (0..=2, _) | (_, true) if rng.below(8) != 0 => Op::Create { name: name(rng), score: score(rng) },
            (_, true) => Op::BadCreate { name: name(rng) },
            (3..=4, _) => Op::SetScore { id: pick(rng), score: score(rng) },
            (5, _) => Op::Rename { id: pick(rng), name: name(rng) },
            (6, _) => Op::Delete { id: pick(rng) },
            (7, _) => Op::BadScore { id: pick(rng) },
            (8, _) => Op::BadCreate { name: name(rng) },
            _ => Op::OversizedName { id: pick(rng) },
        };
        model.apply(&op);
        ops.push(op);
    }
    ops
}

const PRELUDE: &str = r#"from kybra_simple_db import Entity, Integer, String

class Thing(Entity):
    __alias__ = "name"
    name = String()
    score = Integer()

NAMES = NAMES_LITERAL
out = []

def op(f):
    try:
        f()
        out.append("ok")
    except Exception as e:
        out.append(type(e).__name__)

def observe():
    ids = [t._id for t in Thing.instances()]
    records = {i: [Thing[i].name, Thing[i].score] for i in ids}
    lookups = {n: (Thing[n]._id if Thing[n] else None) for n in NAMES}
    return {"ids": ids, "count": Thing.count(), "records": records, "lookups": lookups}
"#;

fn py_line(op: &Op) -> String {
    match op {
        Op::Create { name, score } => format!("op(lambda: Thing(name={:?}, score={score}))", NAMES[*name]),
        Op::SetScore { id, score } => format!("op(lambda: setattr(Thing[\"{id}\"], 'score', {score}))"),
        Op::Rename { id, name } => format!("op(lambda: setattr(Thing[\"{id}\"], 'name', {:?}))", NAMES[*name]),
        Op::Delete { id } => format!("op(lambda: Thing[\"{id}\"].delete())"),
        Op::BadScore { id } => format!("op(lambda: setattr(Thing[\"{id}\"], 'score', 'x'))"),
        Op::BadCreate { name } => format!("op(lambda: Thing(name={:?}, score='x'))", NAMES[*name]),
        Op::OversizedName { id } => format!("op(lambda: setattr(Thing[\"{id}\"], 'name', 'n' * 120))"),
    }
}

/// The Python script that runs `ops` and returns their outcomes and the warm observation.
pub fn script(ops: &[Op]) -> String {
    let mut s = PRELUDE.replace("NAMES_LITERAL", &format!("{NAMES:?}"));
    for op in ops {
        s.push_str(&py_line(op));
        s.push('\n');
    }
    s.push_str("result = {\"outcomes\": out, \"state\": observe()}\n");
    s
}

/// Where the engine and the model disagreed.
#[derive(Debug, thiserror::Error)]
#[error("{what}\n  expected: {expected}\n  got:      {got}\n  script:\n{script}")]
pub struct Mismatch {
    /// What was compared.
    pub what: String,
    /// The model's answer.
    pub expected: String,
    /// The engine's.
    pub got: String,
    /// The script that reproduces it.
    pub script: String,
}

/// Totals of a fuzz run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FuzzReport {
    /// Sequences run.
    pub cases: usize,
    /// Operations run.
    pub ops: usize,
    /// Operations that failed as expected (and had to leave nothing behind).
    pub refused: usize,
    /// Entities the model holds that the store lost (over all cases).
    pub lost: usize,
    /// Entities the store holds that the model does not (over all cases).
    pub duplicated: usize,
}

fn run_json(source: &str, filename: &str) -> Result<Value, String> {
    let x = tasks::execute(Codex { source, filename }, &RunOptions::default()).map_err(|e| e.to_string())?;
    let text = x.outcome.result.map_err(|e| e.traceback)?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Runs one sequence on a fresh in-memory store of this thread and compares it with the model.
pub fn check_case(ops: &[Op], report: &mut FuzzReport) -> Result<(), Mismatch> {
    store::global::install(Store::open(FileMemory::in_memory()));
    let mut model = Model::default();
    let expected_outcomes: Vec<&str> = ops.iter().map(|op| model.apply(op)).collect();
    let source = script(ops);
    let mismatch = |what: &str, expected: String, got: String| Mismatch { what: what.into(), expected, got, script: source.clone() };
    let warm = run_json(&source, "<fuzz>").map_err(|e| mismatch("the script ran", "a result".into(), e))?;
    report.cases += 1;
    report.ops += ops.len();
    report.refused += expected_outcomes.iter().filter(|o| **o != "ok").count();
    let got_outcomes: Vec<&str> = warm["outcomes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if got_outcomes != expected_outcomes {
        return Err(mismatch("outcomes", format!("{expected_outcomes:?}"), format!("{got_outcomes:?}")));
    }
    let expected = model.observation();
    let observe = PRELUDE.replace("NAMES_LITERAL", &format!("{NAMES:?}")) + "result = observe()\n";
    let cold = run_json(&observe, "<fuzz check>").map_err(|e| mismatch("the cold check ran", "a result".into(), e))?;
    for (what, got) in [("warm state", &warm["state"]), ("cold state", &cold)] {
        if *got != expected {
            let ids = |v: &Value| v["ids"].as_array().map_or(0, Vec::len);
            report.lost += ids(&expected).saturating_sub(ids(got));
            report.duplicated += ids(got).saturating_sub(ids(&expected));
            return Err(mismatch(what, expected.to_string(), got.to_string()));
        }
    }
    let keys: Vec<String> = store::global::with(|s| s.scan_prefix(ENTITY_MAP, b"", None, usize::MAX))
        .map_err(|e| mismatch("the store", "readable".into(), e.to_string()))?
        .into_iter()
        .map(|(k, _)| String::from_utf8_lossy(&k).into_owned())
        .collect();
    let mut keys = keys;
    keys.sort();
    if keys != model.keys() {
        return Err(mismatch("store keys", format!("{:?}", model.keys()), format!("{keys:?}")));
    }
    Ok(())
}

/// Runs `cases` random sequences (of up to `max_len` operations) from `seed`.
pub fn run(seed: u64, cases: usize, max_len: usize) -> Result<FuzzReport, Mismatch> {
    let mut rng = Rng::new(seed);
    let mut report = FuzzReport::default();
    for _ in 0..cases {
        let len = 1 + rng.below(max_len as u64) as usize;
        let ops = sequence(&mut rng, len);
        check_case(&ops, &mut report)?;
    }
    Ok(report)
}
