//! Layer 2: the native kybra_simple_db engine — key layout, JSON codec, id and count counters,
//! alias index and type-prefix range scans over a map of the store; what an execution may reach
//! of it (`policy`, with the `grants` kept in the runtime's system map). Byte-compatible with
//! kybra_simple_db 0.5.0 (see `keys` and `json`). The Python classes (`pylib/kybra_simple_db`)
//! call it through the `_db` native module.

pub mod grants;
pub mod json;
pub mod keys;
pub mod policy;
mod table;
pub mod timestamp;

#[cfg(test)]
mod tests;

pub use table::{Bounds, DbError, Resolved, Table};
