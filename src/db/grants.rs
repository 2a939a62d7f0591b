//! Grants: access a controller gives one task to another task's namespace, kept in the runtime's
//! system map (not reachable from codexes).

use std::collections::BTreeMap;

use crate::db::policy::Grant;
use crate::store::{self, StoreError, FIRST_SYSTEM_MAP};

/// The system map holding grants (one JSON list per task, key `grants:<task>`).
pub const GRANTS_MAP: u8 = FIRST_SYSTEM_MAP;

fn key(task: &str) -> Vec<u8> {
    format!("grants:{task}").into_bytes()
}

/// The grants of `task`.
pub fn of(task: &str) -> Result<Vec<Grant>, StoreError> {
    let raw = store::global::with(|s| s.get(GRANTS_MAP, &key(task))).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(raw.and_then(|r| serde_json::from_slice(&r).ok()).unwrap_or_default())
}

/// Gives `task` read (or read and write) access to `namespace`, replacing an earlier grant.
pub fn grant(task: &str, namespace: &str, write: bool) -> Result<Vec<Grant>, StoreError> {
    let mut list = of(task)?;
    list.retain(|g| g.namespace != namespace);
    list.push(Grant { namespace: namespace.to_owned(), write });
    save(task, &list)?;
    Ok(list)
}

/// Takes back `task`'s access to `namespace`.
pub fn revoke(task: &str, namespace: &str) -> Result<Vec<Grant>, StoreError> {
    let mut list = of(task)?;
    list.retain(|g| g.namespace != namespace);
    save(task, &list)?;
    Ok(list)
}

fn save(task: &str, list: &[Grant]) -> Result<(), StoreError> {
    let value = serde_json::to_vec(list).expect("serialize grants");
    store::global::with(|s| -> Result<(), StoreError> {
        let own = !s.in_transaction();
        if own {
            s.begin()?;
        }
        if list.is_empty() {
            s.remove(GRANTS_MAP, &key(task))?;
        } else {
            s.put(GRANTS_MAP, &key(task), &value)?;
        }
        if own {
            s.commit()?;
        }
        Ok(())
    })
    .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

/// Every task's grants.
pub fn all() -> Result<BTreeMap<String, Vec<Grant>>, StoreError> {
    let rows =
        store::global::with(|s| s.scan_prefix(GRANTS_MAP, b"grants:", None, usize::MAX)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, v)| {
            let task = String::from_utf8(k).ok()?.strip_prefix("grants:")?.to_owned();
            Some((task, serde_json::from_slice(&v).ok()?))
        })
        .collect())
}

/// Takes back every grant of `task` (when it is deleted).
pub fn revoke_all(task: &str) -> Result<(), StoreError> {
    save(task, &[])
}
