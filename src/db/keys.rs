//! The key layout of kybra_simple_db 0.5.0, byte for byte.
//!
//! | purpose | key | value |
//! |---|---|---|
//! | entity | `{T}@{id}` | JSON object (`serialize()` + `"__version__"`) |
//! | highest id handed out | `_system@{T}_id` | JSON string, e.g. `"3"` |
//! | live count | `_system@{T}_count` | JSON string |
//! | alias index | `{T}_alias@{value}` | JSON string of the id |
//!
//! `T` is `{namespace}::{Class}` when the class has a namespace, else `{Class}`.

/// The parts, concatenated (keys are built on every storage call: `format!` costs more).
fn concat(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        key.push_str(p);
    }
    key
}

/// Key of an entity record.
pub fn entity(type_name: &str, id: &str) -> String {
    concat(&[type_name, "@", id])
}

/// Prefix shared by every record of one type (for range scans).
pub fn type_prefix(type_name: &str) -> String {
    concat(&[type_name, "@"])
}

/// Key of the id counter of a type.
pub fn id_counter(type_name: &str) -> String {
    concat(&["_system@", type_name, "_id"])
}

/// Key of the live count of a type.
pub fn count(type_name: &str) -> String {
    concat(&["_system@", type_name, "_count"])
}

/// Name of a type's alias index (`_alias_key()` in the Python API).
pub fn alias_index(type_name: &str) -> String {
    concat(&[type_name, "_alias"])
}

/// Key of one alias entry.
pub fn alias(type_name: &str, value: &str) -> String {
    concat(&[type_name, "_alias@", value])
}

/// The namespace of a full type name (`"task_x::State"` -> `Some("task_x")`).
pub fn namespace_of(type_name: &str) -> Option<&str> {
    type_name.rsplit_once("::").map(|(ns, _)| ns)
}

/// The namespace of task `task`'s entity types (`"x"` -> `"task_x"`).
pub fn task_namespace(task: &str) -> String {
    format!("task_{task}")
}

/// The task whose namespace `namespace` is (`"task_x"` -> `Some("x")`), if it is a task's.
pub fn task_of_namespace(namespace: &str) -> Option<&str> {
    namespace.strip_prefix("task_")
}

/// The class name of a full type name (`"app::User"` -> `"User"`).
pub fn class_of(type_name: &str) -> &str {
    type_name.rsplit_once("::").map_or(type_name, |(_, c)| c)
}

/// The type name a stored key belongs to, for access checks: `{T}@..`, `{T}_alias@..` and
/// `_system@{T}_id|_count` all belong to `T`.
pub fn owner_type(key: &str) -> Option<&str> {
    if let Some(rest) = key.strip_prefix("_system@") {
        return rest.strip_suffix("_id").or_else(|| rest.strip_suffix("_count"));
    }
    let (head, _) = key.split_once('@')?;
    Some(head.strip_suffix("_alias").unwrap_or(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_kybra_simple_db_0_5_0() {
        assert_eq!(entity("task_x::State", "1"), "task_x::State@1");
        assert_eq!(id_counter("task_x::State"), "_system@task_x::State_id");
        assert_eq!(count("task_x::State"), "_system@task_x::State_count");
        assert_eq!(alias("task_x::State", "a"), "task_x::State_alias@a");
        assert_eq!(alias_index("people::P"), "people::P_alias");
    }

    #[test]
    fn owner_type_of_each_key_kind() {
        assert_eq!(owner_type("task_x::State@1"), Some("task_x::State"));
        assert_eq!(task_namespace("x"), "task_x");
        assert_eq!(task_of_namespace("task_x"), Some("x"));
        assert_eq!(task_of_namespace("app"), None);
        assert_eq!(owner_type("task_x::State_alias@a@b"), Some("task_x::State"));
        assert_eq!(owner_type("_system@task_x::State_id"), Some("task_x::State"));
        assert_eq!(owner_type("_system@User_count"), Some("User"));
        assert_eq!(owner_type("nokey"), None);
        assert_eq!(namespace_of("task_x::State"), Some("task_x"));
        assert_eq!(namespace_of("User"), None);
        assert_eq!(class_of("a::b::C"), "C");
    }
}
