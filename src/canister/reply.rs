//! [`encode`]: Candid replies whose type table is built once per reply type, at start-up.
//!
//! A Candid message is `DIDL`, the type table and argument types, then the values; the values'
//! bytes do not depend on the table. Building the table (`CandidType::ty` and its
//! serialisation) cost most of a small query (list_tasks with no task: about 300 k of its
//! 340 k instructions). A query's heap changes are discarded, so the tables are built in
//! `init`/`post_upgrade` ([`prepare_endpoints`]) and each call encodes only its values.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;

use candid::ser::{TypeSerialize, ValueSerializer};
use candid::CandidType;

thread_local! {
    /// `DIDL`, type table and argument type of each reply type prepared so far.
    static PREFIXES: RefCell<HashMap<TypeId, Vec<u8>>> = RefCell::new(HashMap::new());
}

/// `DIDL`, the type table and the argument type of a one-value message of type `T`.
fn prefix_of<T: CandidType>() -> Vec<u8> {
    candid::types::internal::env_clear();
    let mut types = TypeSerialize::new();
    types.push_type(&T::ty()).expect("a reply type serialises");
    types.serialize().expect("a reply type table serialises");
    [b"DIDL".as_slice(), types.get_result()].concat()
}

/// Builds and keeps the type table of replies of type `T`.
pub fn prepare<T: CandidType + 'static>() {
    let prefix = prefix_of::<T>();
    PREFIXES.with(|p| p.borrow_mut().insert(TypeId::of::<T>(), prefix));
}

/// The Candid encoding of one reply value, as `candid::encode_one` gives it.
pub fn encode<T: CandidType + 'static>(value: T) -> Vec<u8> {
    let mut ser = ValueSerializer::new();
    value.idl_serialize(&mut ser).expect("a reply value encodes");
    let known = PREFIXES.with(|p| p.borrow().get(&TypeId::of::<T>()).map(|prefix| [prefix.as_slice(), ser.get_result()].concat()));
    known.unwrap_or_else(|| {
        prepare::<T>();
        encode(value)
    })
}

/// Prepares the reply type of every endpoint that replies through [`encode`].
#[cfg(target_arch = "wasm32")]
pub fn prepare_endpoints() {
    use super::roles::Role;
    use super::types::*;
    prepare::<RunReply>();
    prepare::<Result<TaskView, String>>();
    prepare::<Result<Vec<TaskView>, String>>();
    prepare::<Result<TaskState, String>>();
    prepare::<Result<String, String>>();
    prepare::<Result<u64, String>>();
    prepare::<Result<Vec<GrantView>, String>>();
    prepare::<Result<Vec<Role>, String>>();
    prepare::<Vec<RoleAssignment>>();
    prepare::<Access>();
    prepare::<u64>();
    prepare::<String>();
    prepare::<RealmResponse>();
    prepare::<crate::py::http_outcall::HttpResponse>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::model::{ExecutionView, StepView, TaskView};

    fn view(name: &str, executions: usize) -> TaskView {
        TaskView {
            id: "1".into(),
            name: name.into(),
            status: "pending".into(),
            step_to_execute: 0,
            next_run_at: 7,
            max_retries: 1,
            retry_delay: 2,
            budget_percent: 80,
            heap_mib: 1024,
            steps: vec![StepView { index: 0, codex: Some("c".into()), is_async: false, run_next_after: 0, status: "pending".into() }],
            schedule: None,
            progress: None,
            executions_total: executions as u64,
            executions: (0..executions)
                .map(|i| ExecutionView {
                    id: i.to_string(),
                    step: 0,
                    status: "completed".into(),
                    started_at: 1,
                    finished_at: (i % 2 == 0).then_some(2),
                    instructions: 3,
                    result: "null".into(),
                    logs: "x".repeat(i),
                })
                .collect(),
        }
    }

    #[test]
    fn replies_equal_candids_own_encoding_prepared_or_not() {
        let replies: Vec<Result<Vec<TaskView>, String>> =
            vec![Ok(vec![]), Ok(vec![view("a", 0)]), Err("no".into()), Ok(vec![view("b", 3), view("ccc", 10)]), Ok(vec![])];
        for r in replies {
            assert_eq!(encode(r.clone()), candid::encode_one(&r).unwrap(), "{r:?}");
        }
        for v in [None, Some(5u64), None] {
            assert_eq!(encode(v), candid::encode_one(v).unwrap());
        }
        assert_eq!(encode(String::from("x")), candid::encode_one("x").unwrap());
        // A table built for a type is the one candid builds, whatever was encoded before it.
        prepare::<Result<Vec<TaskView>, String>>();
        let r: Result<Vec<TaskView>, String> = Ok(vec![view("d", 2)]);
        assert_eq!(encode(r.clone()), candid::encode_one(&r).unwrap());
    }
}
