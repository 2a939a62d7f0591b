//! [`Canister`]: an installed canister instance, its messages, timers and calls.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use candid::Principal;
use wasmtime::{Instance, Linker, Ref, Store, Trap, Val};

use crate::profile::{self, Sampler, Ticker};
use crate::system_api::{self, Kind, Message, OutgoingCall, State};
use crate::{binary, CanisterModule, HostError, Limits, Profile, Reject, RejectCode, Report};

/// Computes a reply from a call's argument bytes.
pub type CallHandler = Box<dyn FnMut(&[u8]) -> Result<Vec<u8>, Reject>>;

/// How a peer canister answers calls in the test host.
pub enum Peer {
    /// Always reply with these (Candid) bytes.
    Reply(Vec<u8>),
    /// Always reject.
    Reject(RejectCode, String),
    /// Compute the answer from the call's argument bytes.
    Handler(CallHandler),
}

/// A call the canister made to another canister, as seen by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCall {
    /// The callee.
    pub callee: Principal,
    /// The method.
    pub method: String,
    /// The argument bytes.
    pub arg: Vec<u8>,
    /// Cycles attached.
    pub cycles: u128,
}

enum Origin {
    Ingress,
    Timer,
    Callee { caller_ctx: u64, call: OutgoingCall, responded: bool },
}

struct Ctx {
    origin: Origin,
    outstanding: usize,
    reply: Option<Result<Vec<u8>, Reject>>,
    instructions: u64,
}

enum Event {
    Deliver { from: u64, call: OutgoingCall },
    Respond { ctx: u64, call: OutgoingCall, response: Result<Vec<u8>, Reject> },
}

enum Entry {
    Export(String),
    Table { fun: u32, env: u32 },
}

struct Exec {
    trapped: Option<String>,
    reply: Option<Result<Vec<u8>, Reject>>,
    calls: Vec<OutgoingCall>,
    instructions: u64,
    accepted: bool,
}

struct Snapshot {
    memory: Vec<u8>,
    stable: Vec<u8>,
    timer: u64,
    cycles: u128,
}

/// An installed canister running in the test host.
pub struct Canister {
    module: CanisterModule,
    linker: Linker<State>,
    store: Store<State>,
    instance: Instance,
    limits: Limits,
    /// Fault injection: limits for update messages to particular methods (self-calls included).
    method_limits: HashMap<String, u64>,
    contexts: HashMap<u64, Ctx>,
    next_ctx: u64,
    queue: VecDeque<Event>,
    peers: HashMap<(Principal, String), Peer>,
    peer_calls: Vec<PeerCall>,
    log: Vec<String>,
    reported: usize,
    controller: Principal,
    /// Samples of a profiling module's canister, and the thread that makes it sample.
    sampler: Option<(Arc<Mutex<Sampler>>, Ticker)>,
    /// Snapshot buffers to reuse: a fresh copy of a heap of hundreds of MiB per message costs
    /// more in page faults than the copy itself.
    spare: Vec<Snapshot>,
}

/// The host's clock when a canister is made: 2025-11-26T00:00:00Z.
pub const START_TIME_NS: u64 = 1_764_115_200_000_000_000;

/// Principal of the default controller that installs the canister in tests.
pub fn default_controller() -> Principal {
    Principal::self_authenticating(b"codexvm test host controller")
}

impl Canister {
    /// Instantiates `module` (without running `canister_init`; see [`Canister::install`]).
    pub fn new(module: &CanisterModule) -> Result<Self, HostError> {
        let mut linker = Linker::new(&module.engine);
        linker.allow_shadowing(true);
        let wasm = |e: wasmtime::Error| HostError::Wasm(e.to_string());
        system_api::stub_all(&mut linker, &module.module).map_err(wasm)?;
        system_api::link(&mut linker).map_err(wasm)?;
        let controller = default_controller();
        let state = State {
            id: Principal::from_text("lxzze-o7777-77777-aaaaa-cai").expect("valid id"),
            controllers: vec![controller],
            cycles: 100_000_000_000_000,
            time_ns: START_TIME_NS,
            ..State::default()
        };
        let sampler = module.profiling.then(|| (Arc::default(), Ticker::start(module.engine.clone())));
        let mut store = new_store(module, state, &sampler);
        let instance = linker.instantiate(&mut store, &module.module).map_err(wasm)?;
        Ok(Self {
            module: module.clone(),
            linker,
            store,
            instance,
            limits: Limits::default(),
            method_limits: HashMap::new(),
            contexts: HashMap::new(),
            next_ctx: 0,
            queue: VecDeque::new(),
            peers: HashMap::new(),
            peer_calls: Vec::new(),
            log: Vec::new(),
            reported: 0,
            controller,
            sampler,
            spare: Vec::new(),
        })
    }

    /// Instructions per wasm function of the messages run since the last call (or since the
    /// canister was made); `None` unless the module was loaded with
    /// [`CanisterModule::load_profiling`].
    pub fn take_profile(&mut self) -> Option<Profile> {
        self.sampler.as_ref().map(|(s, _)| s.lock().expect("sampler lock").take())
    }

    /// For a profiling module's canister: sample at every epoch check (each function entry and
    /// loop iteration) rather than every 50 µs (see [`Profile`]).
    pub fn sample_every_check(&mut self, on: bool) {
        if let Some((s, _)) = &self.sampler {
            s.lock().expect("sampler lock").every_check = on;
            self.store.set_epoch_deadline(u64::from(!on));
        }
    }

    /// Instantiates `module` and runs `canister_init` with `arg` as the default controller.
    pub fn install(module: &CanisterModule, arg: &[u8]) -> Result<(Self, Report), HostError> {
        Self::install_at(module, arg, START_TIME_NS)
    }

    /// [`Canister::install`] with the clock at `time_ns` (nanoseconds since the epoch).
    pub fn install_at(module: &CanisterModule, arg: &[u8], time_ns: u64) -> Result<(Self, Report), HostError> {
        let mut c = Self::new(module)?;
        c.store.data_mut().time_ns = time_ns;
        let ctx = c.new_ctx(Origin::Timer);
        let msg = Message::new(Kind::Init, "", c.controller, arg.to_vec());
        let exec = if c.has_export("canister_init") {
            c.exec(msg, Entry::Export("canister_init".into()), c.limits.install)
        } else {
            Exec { trapped: None, reply: None, calls: vec![], instructions: 0, accepted: false }
        };
        let report = c.finish_system(ctx, exec);
        Ok((c, report))
    }

    /// The principal that installed the canister (its controller).
    pub fn controller(&self) -> Principal {
        self.controller
    }

    /// This canister's id.
    pub fn id(&self) -> Principal {
        self.store.data().id
    }

    /// Fault injection: update messages to `method` (ingress or from the canister itself) run
    /// under `limit` instructions instead of the update limit (`None` removes the override), so
    /// a test can make one kind of message trap at a chosen point.
    pub fn set_method_limit(&mut self, method: &str, limit: Option<u64>) {
        match limit {
            Some(l) => self.method_limits.insert(method.to_owned(), l),
            None => self.method_limits.remove(method),
        };
    }

    fn update_limit(&self, method: &str) -> u64 {
        self.method_limits.get(method).copied().unwrap_or(self.limits.update)
    }

    /// Sets the instruction limits.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Adds a controller.
    pub fn add_controller(&mut self, p: Principal) {
        self.store.data_mut().controllers.push(p);
    }

    /// Current time of the host (nanoseconds since the epoch).
    pub fn time(&self) -> u64 {
        self.store.data().time_ns
    }

    /// Every line the canister printed so far.
    pub fn debug_log(&self) -> &[String] {
        &self.log
    }

    /// Calls the canister made to peers so far.
    pub fn peer_calls(&self) -> &[PeerCall] {
        &self.peer_calls
    }

    /// Scripts how `canister` answers calls to `method`.
    pub fn set_peer_reply(&mut self, canister: Principal, method: &str, peer: Peer) {
        self.peers.insert((canister, method.to_owned()), peer);
    }

    /// Bytes of wasm linear memory (the canister's heap).
    pub fn heap_bytes(&mut self) -> usize {
        let mem = self.instance.get_memory(&mut self.store, "memory").expect("memory");
        mem.data_size(&self.store)
    }

    /// Bytes of stable memory.
    pub fn stable_bytes(&self) -> usize {
        self.store.data().stable.len()
    }

    /// A copy of stable memory.
    pub fn stable_memory(&self) -> Vec<u8> {
        self.store.data().stable.clone()
    }

    /// The global timer's deadline (0 = none).
    pub fn timer_deadline(&self) -> u64 {
        self.store.data().timer
    }

    /// An update call from the default controller.
    pub fn update(&mut self, method: &str, arg: &[u8]) -> Report {
        self.update_as(self.controller, method, arg)
    }

    /// An ingress update call from `caller` (runs `canister_inspect_message` first, as the
    /// replica does for ingress).
    pub fn update_as(&mut self, caller: Principal, method: &str, arg: &[u8]) -> Report {
        if self.has_export("canister_inspect_message") {
            let msg = Message::new(Kind::InspectMessage, method, caller, arg.to_vec());
            let exec = self.exec_discarded(msg, Entry::Export("canister_inspect_message".into()), self.limits.inspect_message);
            self.collect_log();
            if let Some(t) = exec.trapped {
                return reject(RejectCode::CanisterReject, format!("inspect_message trapped: {t}"), exec.instructions, self);
            }
            if !exec.accepted {
                return reject(
                    RejectCode::CanisterReject,
                    "the canister's inspect_message did not accept the message".into(),
                    exec.instructions,
                    self,
                );
            }
        }
        let export = format!("canister_update {method}");
        if !self.has_export(&export) {
            return reject(RejectCode::DestinationInvalid, format!("the canister has no update method '{method}'"), 0, self);
        }
        let ctx = self.new_ctx(Origin::Ingress);
        let msg = Message::new(Kind::Update, method, caller, arg.to_vec());
        let exec = self.exec(msg, Entry::Export(export), self.update_limit(method));
        self.settle(ctx, exec);
        self.drain();
        self.finish_ingress(ctx)
    }

    /// A query from the default controller.
    pub fn query(&mut self, method: &str, arg: &[u8]) -> Report {
        self.query_as(self.controller, method, arg)
    }

    /// A query from `caller`: its changes to memory are discarded.
    pub fn query_as(&mut self, caller: Principal, method: &str, arg: &[u8]) -> Report {
        let export = format!("canister_query {method}");
        if !self.has_export(&export) {
            return reject(RejectCode::DestinationInvalid, format!("the canister has no query method '{method}'"), 0, self);
        }
        let msg = Message::new(Kind::Query, method, caller, arg.to_vec());
        let exec = self.exec_discarded(msg, Entry::Export(export), self.limits.query);
        self.collect_log();
        let result = match (exec.trapped, exec.reply) {
            (Some(t), _) => Err(Reject { code: RejectCode::CanisterError, message: t }),
            (None, Some(r)) => r,
            (None, None) => Err(Reject { code: RejectCode::CanisterError, message: "the query did not reply".into() }),
        };
        Report { result, instructions: exec.instructions, debug_log: self.take_log() }
    }

    /// Upgrades to `module`: `canister_pre_upgrade` on the old heap, then a fresh heap and
    /// `canister_post_upgrade` with `arg`. Stable memory is kept; timers are not. If either hook
    /// traps, the canister stays exactly as it was.
    pub fn upgrade(&mut self, module: &CanisterModule, arg: &[u8]) -> Report {
        let limit = self.limits.install;
        let snap = self.snapshot();
        let mut used = 0;
        if self.has_export("canister_pre_upgrade") {
            let msg = Message::new(Kind::PreUpgrade, "", self.controller, vec![]);
            let exec = self.exec(msg, Entry::Export("canister_pre_upgrade".into()), limit);
            used = exec.instructions;
            if let Some(t) = exec.trapped {
                self.collect_log();
                return reject(RejectCode::CanisterError, format!("pre_upgrade trapped: {t}"), used, self);
            }
        }
        // Fresh heap, same stable memory; the global timer is cleared by an upgrade.
        let old_module = std::mem::replace(&mut self.module, module.clone());
        let mut state = std::mem::take(self.store.data_mut());
        state.timer = 0;
        // new_store: a profiling canister keeps sampling (and its epoch checks keep a deadline).
        let old_store = std::mem::replace(&mut self.store, new_store(&self.module, state, &self.sampler));
        let old_instance = self.instance;
        let fresh = (|| -> Result<(), HostError> {
            let wasm = |e: wasmtime::Error| HostError::Wasm(e.to_string());
            let mut linker = Linker::new(&self.module.engine);
            linker.allow_shadowing(true);
            system_api::stub_all(&mut linker, &self.module.module).map_err(wasm)?;
            system_api::link(&mut linker).map_err(wasm)?;
            self.store.set_fuel(0).map_err(wasm)?;
            self.instance = linker.instantiate(&mut self.store, &self.module.module).map_err(wasm)?;
            self.linker = linker;
            Ok(())
        })();
        let outcome = match fresh {
            Err(e) => Some(format!("instantiating the new module failed: {e}")),
            Ok(()) if self.has_export("canister_post_upgrade") => {
                let msg = Message::new(Kind::PostUpgrade, "", self.controller, arg.to_vec());
                let exec = self.exec(msg, Entry::Export("canister_post_upgrade".into()), limit.saturating_sub(used));
                used += exec.instructions;
                exec.trapped.map(|t| format!("post_upgrade trapped: {t}"))
            }
            Ok(()) => None,
        };
        self.collect_log();
        match outcome {
            None => Report { result: Ok(vec![]), instructions: used, debug_log: self.take_log() },
            Some(why) => {
                // Roll the whole upgrade back: old module, old heap, old stable memory.
                // The host's own state (controllers, clock, peers, log) moved to the new store:
                // bring it back; heap, stable memory and timer return from the snapshot below.
                self.module = old_module;
                let state = std::mem::take(self.store.data_mut());
                self.store = old_store;
                *self.store.data_mut() = state;
                self.instance = old_instance;
                self.linker = Linker::new(&self.module.engine);
                self.linker.allow_shadowing(true);
                let _ = system_api::stub_all(&mut self.linker, &self.module.module);
                let _ = system_api::link(&mut self.linker);
                self.restore(&snap, false);
                self.recycle(snap);
                reject(RejectCode::CanisterError, why, used, self)
            }
        }
    }

    /// Moves the clock forward and runs the global timer whenever it is due.
    pub fn advance_time(&mut self, by: Duration) -> Vec<Report> {
        self.store.data_mut().time_ns += by.as_nanos() as u64;
        self.tick()
    }

    /// Runs the global timer (repeatedly) while it is due at the current time.
    pub fn tick(&mut self) -> Vec<Report> {
        let mut reports = Vec::new();
        for _ in 0..1000 {
            let (deadline, now) = (self.store.data().timer, self.store.data().time_ns);
            if deadline == 0 || deadline > now || !self.has_export("canister_global_timer") {
                break;
            }
            self.store.data_mut().timer = 0;
            let ctx = self.new_ctx(Origin::Timer);
            let msg = Message::new(Kind::Timer, "", self.id(), vec![]);
            let exec = self.exec(msg, Entry::Export("canister_global_timer".into()), self.limits.update);
            let report = self.finish_system(ctx, exec);
            reports.push(report);
        }
        reports
    }

    /// The Candid interface the module reports (`get_candid_pointer`, as candid-extractor reads it).
    pub fn candid_interface(&mut self) -> Result<String, HostError> {
        let f = self
            .instance
            .get_typed_func::<(), i32>(&mut self.store, "get_candid_pointer")
            .map_err(|e| HostError::Module(format!("get_candid_pointer: {e}")))?;
        self.store.set_fuel(self.limits.query).map_err(|e| HostError::Wasm(e.to_string()))?;
        let ptr = f.call(&mut self.store, ()).map_err(|e| HostError::Wasm(e.to_string()))? as u32 as usize;
        let mem = self.instance.get_memory(&mut self.store, "memory").expect("memory");
        let data = mem.data(&self.store);
        let end = data[ptr..].iter().position(|b| *b == 0).ok_or_else(|| HostError::Module("unterminated string".into()))?;
        Ok(String::from_utf8_lossy(&data[ptr..ptr + end]).into_owned())
    }

    fn has_export(&self, name: &str) -> bool {
        self.module.exports.iter().any(|e| e == name)
    }

    fn new_ctx(&mut self, origin: Origin) -> u64 {
        self.next_ctx += 1;
        self.contexts.insert(self.next_ctx, Ctx { origin, outstanding: 0, reply: None, instructions: 0 });
        self.next_ctx
    }

    fn snapshot(&mut self) -> Snapshot {
        let mem = self.instance.get_memory(&mut self.store, "memory").expect("memory");
        let mut snap = self.spare.pop().unwrap_or(Snapshot { memory: Vec::new(), stable: Vec::new(), timer: 0, cycles: 0 });
        let s = self.store.data();
        snap.memory.clear();
        snap.memory.extend_from_slice(mem.data(&self.store));
        snap.stable.clear();
        snap.stable.extend_from_slice(&s.stable);
        snap.timer = s.timer;
        snap.cycles = s.cycles;
        snap
    }

    /// Keeps a snapshot's buffers for the next one (a message and the query around it take two).
    fn recycle(&mut self, snap: Snapshot) {
        if self.spare.len() < 2 {
            self.spare.push(snap);
        }
    }

    /// Puts heap and stable memory back; after a trap the instance is rebuilt as well, since
    /// the trap left the wasm globals (the shadow stack pointer) mid-call.
    fn restore(&mut self, snap: &Snapshot, reinstantiate: bool) {
        if reinstantiate {
            let state = std::mem::take(self.store.data_mut());
            self.store = new_store(&self.module, state, &self.sampler);
            self.instance = self.linker.instantiate(&mut self.store, &self.module.module).expect("re-instantiate");
        }
        let mem = self.instance.get_memory(&mut self.store, "memory").expect("memory");
        let cur = mem.data_size(&self.store);
        if cur < snap.memory.len() {
            let pages = (snap.memory.len() - cur).div_ceil(65536) as u64;
            mem.grow(&mut self.store, pages).expect("grow memory back");
        }
        let data = mem.data_mut(&mut self.store);
        data[..snap.memory.len()].copy_from_slice(&snap.memory);
        data[snap.memory.len()..].fill(0);
        let s = self.store.data_mut();
        s.stable.clear();
        s.stable.extend_from_slice(&snap.stable);
        s.timer = snap.timer;
        s.cycles = snap.cycles;
    }

    /// Runs one message under `limit` instructions; a trap rolls heap and stable memory back.
    fn exec(&mut self, msg: Message, entry: Entry, limit: u64) -> Exec {
        let snap = self.snapshot();
        let exec = self.run(msg, entry, limit);
        if exec.trapped.is_some() {
            self.restore(&snap, true);
        }
        self.recycle(snap);
        exec
    }

    /// Runs one message whose changes to heap and stable memory are all discarded (a query,
    /// `canister_inspect_message`).
    fn exec_discarded(&mut self, msg: Message, entry: Entry, limit: u64) -> Exec {
        let snap = self.snapshot();
        let exec = self.run(msg, entry, limit);
        self.restore(&snap, exec.trapped.is_some());
        self.recycle(snap);
        exec
    }

    /// Calls the entry point; after a trap the caller must restore a snapshot and rebuild the
    /// instance.
    fn run(&mut self, msg: Message, entry: Entry, limit: u64) -> Exec {
        {
            let s = self.store.data_mut();
            s.msg = msg;
            s.calls.clear();
            s.building = None;
            s.fuel_limit = limit;
        }
        self.store.set_fuel(limit).expect("fuel");
        if let Some((s, _)) = &self.sampler {
            s.lock().expect("sampler lock").start(limit);
        }
        let result = match &entry {
            Entry::Export(name) => match self.instance.get_func(&mut self.store, name) {
                Some(f) => f.call(&mut self.store, &[], &mut []),
                None => Err(wasmtime::format_err!("no export {name}")),
            },
            Entry::Table { fun, env } => {
                let table = self.instance.get_table(&mut self.store, binary::TABLE_EXPORT).expect("table export");
                match table.get(&mut self.store, *fun as u64) {
                    Some(Ref::Func(Some(f))) => f.call(&mut self.store, &[Val::I32(*env as i32)], &mut []),
                    _ => Err(wasmtime::format_err!("call-back {fun} is not a function")),
                }
            }
        };
        let left = self.store.get_fuel().unwrap_or(0);
        let instructions = limit - left;
        if let Some((s, _)) = &self.sampler {
            s.lock().expect("sampler lock").end(left, instructions);
        }
        let s = self.store.data_mut();
        let accepted = s.msg.accepted;
        match result {
            Ok(()) => Exec { trapped: None, reply: s.msg.reply.take(), calls: std::mem::take(&mut s.calls), instructions, accepted },
            Err(e) => {
                let why = if e.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) {
                    format!("Canister exceeded the limit of {limit} instructions for single message execution.")
                } else if let Some(t) = s.msg.trap.take() {
                    format!("Canister called `ic0.trap` with message: {t}")
                } else {
                    // The replica's words for the trap (`stack overflow`, `unreachable`, ...),
                    // then the wasm backtrace.
                    match e.downcast_ref::<Trap>() {
                        Some(Trap::StackOverflow) => format!("Canister trapped: stack overflow ({e})"),
                        Some(Trap::UnreachableCodeReached) => format!("Canister trapped: unreachable ({e})"),
                        Some(t) => format!("Canister trapped: {t} ({e})"),
                        None => format!("Canister trapped: {e}"),
                    }
                };
                s.calls.clear();
                s.building = None;
                Exec { trapped: Some(why), reply: None, calls: vec![], instructions, accepted: false }
            }
        }
    }

    fn settle(&mut self, ctx: u64, exec: Exec) {
        let c = self.contexts.get_mut(&ctx).expect("context");
        c.instructions += exec.instructions;
        if let Some(r) = exec.reply {
            c.reply.get_or_insert(r);
        }
        c.outstanding += exec.calls.len();
        if let Some(t) = exec.trapped {
            if c.reply.is_none() && c.outstanding == 0 {
                c.reply = Some(Err(Reject { code: RejectCode::CanisterError, message: t }));
            }
        }
        for call in exec.calls {
            self.queue.push_back(Event::Deliver { from: ctx, call });
        }
        self.maybe_respond(ctx);
    }

    /// A callee context answers its caller once it has a reply (or can no longer produce one).
    fn maybe_respond(&mut self, ctx: u64) {
        let c = self.contexts.get_mut(&ctx).expect("context");
        if let Origin::Callee { caller_ctx, call, responded } = &mut c.origin {
            if *responded {
                return;
            }
            let response = match (&c.reply, c.outstanding) {
                (Some(r), _) => r.clone(),
                (None, 0) => Err(Reject { code: RejectCode::CanisterError, message: "the canister did not reply to the call".into() }),
                (None, _) => return,
            };
            *responded = true;
            let (to, call) = (*caller_ctx, call.clone());
            self.queue.push_back(Event::Respond { ctx: to, call, response });
        }
    }

    fn drain(&mut self) {
        let mut steps = 0;
        while let Some(ev) = self.queue.pop_front() {
            steps += 1;
            assert!(steps < 100_000, "test host: runaway call chain");
            match ev {
                Event::Deliver { from, call } => {
                    if call.callee == self.id() {
                        let export = format!("canister_update {}", call.method);
                        if !self.has_export(&export) {
                            let response = Err(Reject {
                                code: RejectCode::DestinationInvalid,
                                message: format!("the canister has no update method '{}'", call.method),
                            });
                            self.queue.push_back(Event::Respond { ctx: from, call, response });
                            continue;
                        }
                        let ctx = self.new_ctx(Origin::Callee { caller_ctx: from, call: call.clone(), responded: false });
                        let msg = Message::new(Kind::Update, &call.method, self.id(), call.arg.clone());
                        let limit = self.update_limit(&call.method);
                        let exec = self.exec(msg, Entry::Export(export), limit);
                        self.settle(ctx, exec);
                    } else {
                        let response = self.peer_response(&call);
                        self.queue.push_back(Event::Respond { ctx: from, call, response });
                    }
                }
                Event::Respond { ctx, call, response } => {
                    let (kind, (fun, env), arg, code, text) = match response {
                        Ok(bytes) => (Kind::ReplyCallback, call.reply, bytes, 0, String::new()),
                        Err(r) => (Kind::RejectCallback, call.reject, vec![], r.code as u32, r.message),
                    };
                    let mut msg = Message::new(kind, "", call.callee, arg);
                    msg.reject_code = code;
                    msg.reject_msg = text;
                    let mut exec = self.exec(msg, Entry::Table { fun, env }, self.limits.update);
                    if exec.trapped.is_some() {
                        if let Some((cf, ce)) = call.cleanup {
                            let msg = Message::new(Kind::Cleanup, "", call.callee, vec![]);
                            let cleanup = self.exec(msg, Entry::Table { fun: cf, env: ce }, self.limits.update);
                            exec.instructions += cleanup.instructions;
                        }
                    }
                    if let Some(c) = self.contexts.get_mut(&ctx) {
                        c.outstanding = c.outstanding.saturating_sub(1);
                    }
                    self.settle(ctx, exec);
                }
            }
        }
        self.collect_log();
    }

    fn peer_response(&mut self, call: &OutgoingCall) -> Result<Vec<u8>, Reject> {
        self.peer_calls.push(PeerCall { callee: call.callee, method: call.method.clone(), arg: call.arg.clone(), cycles: call.cycles });
        if let Some(peer) = self.peers.get_mut(&(call.callee, call.method.clone())) {
            return match peer {
                Peer::Reply(b) => Ok(b.clone()),
                Peer::Reject(code, m) => Err(Reject { code: *code, message: m.clone() }),
                Peer::Handler(f) => f(&call.arg),
            };
        }
        if call.callee == Principal::management_canister() && call.method == "raw_rand" {
            // Deterministic "randomness", different on every call.
            let n = self.peer_calls.len() as u64;
            let mut bytes = [0u8; 32];
            let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ n;
            for chunk in bytes.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes());
            }
            return Ok(candid::encode_one(bytes.to_vec()).expect("encode"));
        }
        Err(Reject {
            code: RejectCode::DestinationInvalid,
            message: format!("the test host has no peer {} answering '{}'", call.callee, call.method),
        })
    }

    fn finish_system(&mut self, ctx: u64, exec: Exec) -> Report {
        let instructions = exec.instructions;
        let trapped = exec.trapped.clone();
        self.settle(ctx, exec);
        self.drain();
        self.contexts.remove(&ctx);
        let result = match trapped {
            Some(t) => Err(Reject { code: RejectCode::CanisterError, message: t }),
            None => Ok(vec![]),
        };
        Report { result, instructions, debug_log: self.take_log() }
    }

    fn finish_ingress(&mut self, ctx: u64) -> Report {
        let c = self.contexts.get(&ctx).expect("context");
        let result = match &c.reply {
            Some(r) => r.clone(),
            None => Err(Reject { code: RejectCode::CanisterError, message: "the canister did not reply".into() }),
        };
        let instructions = c.instructions;
        if c.outstanding == 0 {
            self.contexts.remove(&ctx);
        }
        Report { result, instructions, debug_log: self.take_log() }
    }

    fn collect_log(&mut self) {
        let lines = std::mem::take(&mut self.store.data_mut().log);
        self.log.extend(lines);
    }

    /// The lines printed since the previous report.
    fn take_log(&mut self) -> Vec<String> {
        self.collect_log();
        let new = self.log[self.reported..].to_vec();
        self.reported = self.log.len();
        new
    }
}

/// A store for `module`'s instances, with no fuel yet (each message sets its own) and, for a
/// profiling module, the sampling call-back.
fn new_store(module: &CanisterModule, state: State, sampler: &Option<(Arc<Mutex<Sampler>>, Ticker)>) -> Store<State> {
    let mut store = Store::new(&module.engine, state);
    store.set_fuel(0).expect("fuel is enabled");
    if let Some((s, _)) = sampler {
        profile::install(&mut store, s.clone());
    }
    store
}

fn reject(code: RejectCode, message: String, instructions: u64, c: &mut Canister) -> Report {
    Report { result: Err(Reject { code, message }), instructions, debug_log: c.take_log() }
}
