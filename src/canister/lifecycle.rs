//! `init`, `pre_upgrade` and `post_upgrade`: everything durable already lives in stable memory,
//! so an upgrade only rebuilds the heap (host, store handle, interpreter) and re-arms the
//! scheduler's timers from the stored tasks.

use ic_stable_structures::DefaultMemoryImpl;

use crate::host;
use crate::py::Runtime;
use crate::store::{self, Store};
use crate::tasks;

use super::host::CanisterHost;
use super::random;
use super::reply;
use super::scheduler;

fn start() {
    host::install(Box::new(CanisterHost));
    random::seed_provisionally();
    store::global::install(Store::open(DefaultMemoryImpl::default()));
    if let Err(e) = Runtime::install(&tasks::native::boot_options()) {
        ic_cdk::trap(format!("codexvm: interpreter boot failed:\n{e}"));
    }
    random::schedule_raw_rand();
    scheduler::start();
    reply::prepare_endpoints();
    // `status` reads the catalogue's class list kept here (a query keeps nothing it computes).
    if let Err(e) = tasks::realms::prepare() {
        ic_cdk::trap(format!("codexvm: reading the catalogue failed:\n{e}"));
    }
}

#[ic_cdk::init]
fn init() {
    start();
}

#[ic_cdk::pre_upgrade]
fn pre_upgrade() {
    // Nothing to save: entities, codexes and settings are already in stable memory.
}

#[ic_cdk::post_upgrade]
fn post_upgrade() {
    start();
}
