//! What the running execution may touch. Checked in Rust at every native entry point, so no
//! Python-level trick (patched classes, private attributes, imports) can widen it.

use std::cell::RefCell;

use crate::store::{MapId, FIRST_SYSTEM_MAP, LAST_MAP};

/// Kind of access asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading.
    Read,
    /// Writing.
    Write,
}

/// Why access was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// Not a valid memory id.
    #[error("memory_id {0} is out of range (0..={max})", max = FIRST_SYSTEM_MAP - 1)]
    OutOfRange(u16),
    /// A map the runtime keeps for itself.
    #[error("memory_id {0} is reserved by codexvm ({FIRST_SYSTEM_MAP}..={LAST_MAP} hold its own state)")]
    Reserved(u16),
    /// The execution's policy does not allow this map.
    #[error("this execution may not {access} memory_id {map}")]
    Denied {
        /// The map.
        map: u16,
        /// "read" or "write".
        access: &'static str,
    },
}

/// The maps an execution may use directly through `StableBTreeMap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapPolicy {
    /// Any user map (controllers' shell code, the native runner).
    All,
    /// Only these maps.
    Only(Vec<MapId>),
}

thread_local! {
    static POLICY: RefCell<MapPolicy> = const { RefCell::new(MapPolicy::All) };
}

/// Sets the policy for the executions that follow, returning the previous one.
pub fn set_map_policy(p: MapPolicy) -> MapPolicy {
    POLICY.with(|c| std::mem::replace(&mut *c.borrow_mut(), p))
}

/// Checks a raw map access against the range, the reserved maps and the policy.
pub fn check_map(id: u16, access: Access) -> Result<MapId, PolicyError> {
    if id > LAST_MAP as u16 {
        return Err(PolicyError::OutOfRange(id));
    }
    if id >= FIRST_SYSTEM_MAP as u16 {
        return Err(PolicyError::Reserved(id));
    }
    let map = id as MapId;
    POLICY.with(|c| match &*c.borrow() {
        MapPolicy::All => Ok(map),
        MapPolicy::Only(maps) if maps.contains(&map) => Ok(map),
        MapPolicy::Only(_) => Err(PolicyError::Denied {
            map: id,
            access: if access == Access::Read { "read" } else { "write" },
        }),
    })
}

/// Checks that the execution may use `id` as a kybra_simple_db storage (any user map).
pub fn check_db_map(id: u16, access: Access) -> Result<MapId, PolicyError> {
    let _ = access;
    if id > LAST_MAP as u16 {
        return Err(PolicyError::OutOfRange(id));
    }
    if id >= FIRST_SYSTEM_MAP as u16 {
        return Err(PolicyError::Reserved(id));
    }
    Ok(id as MapId)
}

/// Checks that the execution may read or write records of the entity type `type_name`.
pub fn check_type(type_name: &str, access: Access) -> Result<(), PolicyError> {
    let _ = (type_name, access);
    Ok(())
}
