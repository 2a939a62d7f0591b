//! Candid types of the endpoints (typed records for our own endpoints; realms' shapes for the
//! realms-compatible ones).

use candid::{CandidType, Deserialize, Int, Principal};

use super::roles::Role;

pub use crate::tasks::model::{ExecutionView, GrantView, ProgressView, ScheduleView, StepSpec, StepView, TaskSpec, TaskState, TaskView};
pub use crate::tasks::RunReply;

/// A principal's roles.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct RoleAssignment {
    /// Who.
    pub principal: Principal,
    /// What it may do.
    pub roles: Vec<Role>,
}

/// What the caller may do.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct Access {
    /// The caller.
    pub principal: Principal,
    /// True for a controller (may do everything).
    pub controller: bool,
    /// Roles granted to it.
    pub roles: Vec<Role>,
}

/// realms' reply of `status` and the object endpoints.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct RealmResponse {
    /// False with `data = error` when the request failed.
    pub success: bool,
    /// The payload.
    pub data: RealmResponseData,
}

/// realms' payload variant (the arms this canister serves).
#[derive(Debug, Clone, CandidType, Deserialize)]
pub enum RealmResponseData {
    /// `status`.
    #[serde(rename = "status")]
    Status(StatusRecord),
    /// A failure.
    #[serde(rename = "error")]
    Error(String),
    /// A message.
    #[serde(rename = "message")]
    Message(String),
    /// `get_objects`.
    #[serde(rename = "objectsList")]
    ObjectsList(ObjectsList),
    /// `get_objects_paginated`.
    #[serde(rename = "objectsListPaginated")]
    ObjectsListPaginated(ObjectsListPaginated),
}

/// Entities as JSON texts (`json.dumps(entity.serialize())`).
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct ObjectsList {
    /// The entities.
    pub objects: Vec<String>,
}

/// A page of entities.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct ObjectsListPaginated {
    /// The entities.
    pub objects: Vec<String>,
    /// Where the page is.
    pub pagination: PaginationInfo,
}

/// realms' pagination record.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct PaginationInfo {
    /// Page number (from 0).
    pub page_num: Int,
    /// Entities per page.
    pub page_size: Int,
    /// Entities of the class.
    pub total_items_count: Int,
    /// Pages.
    pub total_pages: Int,
}

/// What `status` reports.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct StatusRecord {
    /// This runtime's version.
    pub version: String,
    /// Entities of each ggg class that has any.
    pub entity_counts: Vec<NamedCount>,
    /// Tasks by status.
    pub tasks_by_status: Vec<NamedCount>,
    /// Stable memory in use, in 64 KiB pages.
    pub stable_memory_pages: u64,
}

/// A name with a count.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct NamedCount {
    /// The name.
    pub name: String,
    /// How many.
    pub count: u64,
}
