use candid::Principal;

use super::*;
use crate::store::{FileMemory, Store};

fn fresh() {
    store::global::install(Store::open(FileMemory::in_memory()));
}

fn user(n: u8) -> Principal {
    Principal::from_slice(&[n; 29])
}

#[test]
fn controllers_may_do_everything_and_others_need_a_role() {
    fresh();
    let (alice, bob) = (user(1), user(2));
    assert!(check(&alice, true, "run_codex", Needs::Controller).is_ok());
    assert!(matches!(check(&alice, false, "run_codex", Needs::Controller), Err(AccessError::Denied { .. })));
    assert!(check(&bob, false, "get_task_state", Needs::Role(Role::Reader)).is_err());
    grant(&bob, Role::Reader).unwrap();
    assert!(check(&bob, false, "get_task_state", Needs::Role(Role::Reader)).is_ok());
    assert!(check(&bob, false, "create_task", Needs::Role(Role::Admin)).is_err(), "a reader is not an admin");
    grant(&alice, Role::Admin).unwrap();
    assert!(check(&alice, false, "create_task", Needs::Role(Role::Admin)).is_ok());
    assert!(check(&alice, false, "get_task_state", Needs::Role(Role::Reader)).is_ok(), "an admin may read");
    assert!(check(&alice, false, "grant_role", Needs::Controller).is_err(), "only controllers grant roles");
}

#[test]
fn the_anonymous_principal_is_refused_with_a_clear_message() {
    fresh();
    let e = check(&Principal::anonymous(), false, "execute_code", Needs::Role(Role::Admin)).unwrap_err();
    assert!(e.to_string().contains("anonymous principal may not call execute_code"), "{e}");
    let e = check(&user(3), false, "execute_code", Needs::Role(Role::Admin)).unwrap_err();
    assert!(e.to_string().contains("needs the admin role"), "{e}");
}

#[test]
fn roles_are_stored_granted_and_revoked() {
    fresh();
    let a = user(7);
    assert_eq!(grant(&a, Role::Reader).unwrap(), vec![Role::Reader]);
    assert_eq!(grant(&a, Role::Admin).unwrap(), vec![Role::Admin, Role::Reader]);
    assert_eq!(grant(&a, Role::Admin).unwrap(), vec![Role::Admin, Role::Reader], "granting twice is idempotent");
    assert_eq!(all(), vec![(a, vec![Role::Admin, Role::Reader])]);
    assert_eq!(revoke(&a, Role::Admin).unwrap(), vec![Role::Reader]);
    assert_eq!(revoke(&a, Role::Reader).unwrap(), vec![]);
    assert!(all().is_empty(), "a principal without roles leaves no key behind");
}
