//! Roles: what principals other than the controllers may do, kept in the runtime's system map
//! (controllers may do everything and grant roles; `admin` uploads code and manages tasks;
//! `reader` reads task state).

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};

use crate::store::{self, MapId, StoreError, FIRST_SYSTEM_MAP};

/// The system map holding roles (key: principal bytes, value: JSON list of roles).
pub const ROLES_MAP: MapId = FIRST_SYSTEM_MAP + 1;

/// A role a controller can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, CandidType)]
pub enum Role {
    /// Uploads and runs code, manages tasks (and may do what a reader may).
    #[serde(rename = "admin")]
    Admin,
    /// Reads task state, logs and objects.
    #[serde(rename = "reader")]
    Reader,
}

impl Role {
    /// True if holding `self` is enough for what `needed` guards.
    pub fn covers(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }
}

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The anonymous principal may not call this.
    #[error("codexvm: the anonymous principal may not call {method}; sign in with an identity")]
    Anonymous {
        /// The method.
        method: String,
    },
    /// The caller lacks the role.
    #[error("codexvm: {caller} may not call {method}: it needs the {needed} role (or to be a controller)")]
    Denied {
        /// The caller.
        caller: Principal,
        /// The method.
        method: String,
        /// The role it needs ("controller" for controller-only methods).
        needed: String,
    },
}

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Controllers only.
    Controller,
    /// Controllers and holders of a role that covers this one.
    Role(Role),
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Admin => "admin",
            Role::Reader => "reader",
        })
    }
}

/// The roles `who` holds.
pub fn of(who: &Principal) -> Vec<Role> {
    let raw = store::global::with(|s| s.get(ROLES_MAP, who.as_slice())).ok().flatten();
    raw.and_then(|r| serde_json::from_slice(&r).ok()).unwrap_or_default()
}

/// Decides whether `caller` (a controller or not) may call `method`.
pub fn check(caller: &Principal, is_controller: bool, method: &str, needs: Needs) -> Result<(), AccessError> {
    if is_controller {
        return Ok(());
    }
    if *caller == Principal::anonymous() {
        return Err(AccessError::Anonymous { method: method.to_owned() });
    }
    let ok = match needs {
        Needs::Controller => false,
        Needs::Role(r) => of(caller).iter().any(|held| held.covers(r)),
    };
    if ok {
        return Ok(());
    }
    let needed = match needs {
        Needs::Controller => "controller".to_owned(),
        Needs::Role(r) => r.to_string(),
    };
    Err(AccessError::Denied { caller: *caller, method: method.to_owned(), needed })
}

/// Gives `who` a role; returns the roles it now holds.
pub fn grant(who: &Principal, role: Role) -> Result<Vec<Role>, StoreError> {
    let mut roles = of(who);
    if !roles.contains(&role) {
        roles.push(role);
        roles.sort();
    }
    save(who, &roles)?;
    Ok(roles)
}

/// Takes a role back from `who`; returns the roles it still holds.
pub fn revoke(who: &Principal, role: Role) -> Result<Vec<Role>, StoreError> {
    let mut roles = of(who);
    roles.retain(|r| *r != role);
    save(who, &roles)?;
    Ok(roles)
}

/// Every principal holding a role, in key order.
pub fn all() -> Vec<(Principal, Vec<Role>)> {
    let rows = store::global::with(|s| s.scan_prefix(ROLES_MAP, b"", None, usize::MAX)).unwrap_or_default();
    rows.into_iter().filter_map(|(k, v)| Some((Principal::try_from_slice(&k).ok()?, serde_json::from_slice(&v).ok()?))).collect()
}

fn save(who: &Principal, roles: &[Role]) -> Result<(), StoreError> {
    let value = serde_json::to_vec(roles).expect("serialize roles");
    store::global::with(|s| -> Result<(), StoreError> {
        let own = !s.in_transaction();
        if own {
            s.begin()?;
        }
        if roles.is_empty() {
            s.remove(ROLES_MAP, who.as_slice())?;
        } else {
            s.put(ROLES_MAP, who.as_slice(), &value)?;
        }
        if own {
            s.commit()?;
        }
        Ok(())
    })
    .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

#[cfg(test)]
mod tests;
