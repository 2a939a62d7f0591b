//! The `ic0` System API imports, as the replica implements them (the part a Rust canister uses).

use candid::Principal;
use wasmtime::{Caller, Extern, Linker, Result};

use crate::{Reject, RejectCode};

/// Kinds of message, which decide which System API calls are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Init,
    PreUpgrade,
    PostUpgrade,
    Update,
    Query,
    InspectMessage,
    Timer,
    ReplyCallback,
    RejectCallback,
    Cleanup,
}

impl Kind {
    fn can_reply(self) -> bool {
        matches!(self, Kind::Update | Kind::Query | Kind::ReplyCallback | Kind::RejectCallback)
    }

    fn can_call(self) -> bool {
        matches!(self, Kind::Update | Kind::Timer | Kind::ReplyCallback | Kind::RejectCallback)
    }

    fn has_arg(self) -> bool {
        !matches!(self, Kind::PreUpgrade | Kind::Timer | Kind::Cleanup | Kind::RejectCallback)
    }
}

/// A call the canister made with `call_new` ... `call_perform`.
#[derive(Debug, Clone)]
pub(crate) struct OutgoingCall {
    pub callee: Principal,
    pub method: String,
    pub reply: (u32, u32),
    pub reject: (u32, u32),
    pub cleanup: Option<(u32, u32)>,
    pub arg: Vec<u8>,
    pub cycles: u128,
}

/// The message being executed.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub kind: Kind,
    pub method: String,
    pub caller: Principal,
    pub arg: Vec<u8>,
    pub reply_buf: Vec<u8>,
    pub reply: Option<Result<Vec<u8>, Reject>>,
    pub reject_code: u32,
    pub reject_msg: String,
    pub accepted: bool,
    pub trap: Option<String>,
}

impl Message {
    pub fn new(kind: Kind, method: &str, caller: Principal, arg: Vec<u8>) -> Self {
        Self {
            kind,
            method: method.to_owned(),
            caller,
            arg,
            reply_buf: Vec::new(),
            reply: None,
            reject_code: 0,
            reject_msg: String::new(),
            accepted: false,
            trap: None,
        }
    }
}

/// Everything the System API reads and changes.
pub(crate) struct State {
    pub stable: Vec<u8>,
    pub time_ns: u64,
    pub id: Principal,
    pub controllers: Vec<Principal>,
    pub cycles: u128,
    pub timer: u64,
    pub log: Vec<String>,
    pub msg: Message,
    pub building: Option<OutgoingCall>,
    pub calls: Vec<OutgoingCall>,
    pub fuel_limit: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            stable: Vec::new(),
            time_ns: 0,
            id: Principal::anonymous(),
            controllers: Vec::new(),
            cycles: 0,
            timer: 0,
            log: Vec::new(),
            msg: Message::new(Kind::Init, "", Principal::anonymous(), Vec::new()),
            building: None,
            calls: Vec::new(),
            fuel_limit: 0,
        }
    }
}

const STABLE_PAGE: u64 = 65536;
/// Stable memory limit of the test host (the replica allows 500 GiB; tests never need that).
const MAX_STABLE_PAGES: u64 = 64 * 1024;

fn trap(caller: &mut Caller<'_, State>, msg: String) -> wasmtime::Error {
    caller.data_mut().msg.trap.get_or_insert(msg.clone());
    wasmtime::format_err!("{msg}")
}

fn memory(caller: &mut Caller<'_, State>) -> Result<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(trap(caller, "module exports no memory".into())),
    }
}

fn read(caller: &mut Caller<'_, State>, ptr: i32, len: i32) -> Result<Vec<u8>> {
    let mem = memory(caller)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    match mem.data(&*caller).get(start..start + len) {
        Some(b) => Ok(b.to_vec()),
        None => Err(trap(caller, format!("heap read out of bounds: {start}+{len}"))),
    }
}

fn write(caller: &mut Caller<'_, State>, ptr: i32, bytes: &[u8]) -> Result<()> {
    let mem = memory(caller)?;
    let start = ptr as u32 as usize;
    match mem.data_mut(&mut *caller).get_mut(start..start + bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            Ok(())
        }
        None => Err(trap(caller, format!("heap write out of bounds: {start}+{}", bytes.len()))),
    }
}

/// Copies `src[offset..offset+size]` to the heap at `dst`, trapping on any overrun.
fn copy_out(caller: &mut Caller<'_, State>, what: &str, src: &[u8], dst: i32, offset: i32, size: i32) -> Result<()> {
    let (off, size) = (offset as u32 as usize, size as u32 as usize);
    match src.get(off..off + size) {
        Some(part) => {
            let part = part.to_vec();
            write(caller, dst, &part)
        }
        None => Err(trap(caller, format!("{what}: offset {off} + size {size} exceeds {}", src.len()))),
    }
}

fn write_u128(caller: &mut Caller<'_, State>, dst: i32, v: u128) -> Result<()> {
    write(caller, dst, &v.to_le_bytes())
}

fn not_allowed(caller: &mut Caller<'_, State>, api: &str) -> wasmtime::Error {
    let kind = caller.data().msg.kind;
    trap(caller, format!("ic0.{api} cannot be executed in {kind:?}"))
}

/// Adds every `ic0` function this host implements; `stub_rest` then covers the others.
pub(crate) fn link(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap("ic0", "msg_arg_data_size", |mut c: Caller<'_, State>| -> Result<i32> {
        if !c.data().msg.kind.has_arg() {
            return Err(not_allowed(&mut c, "msg_arg_data_size"));
        }
        Ok(c.data().msg.arg.len() as i32)
    })?;
    linker.func_wrap("ic0", "msg_arg_data_copy", |mut c: Caller<'_, State>, dst: i32, off: i32, size: i32| {
        if !c.data().msg.kind.has_arg() {
            return Err(not_allowed(&mut c, "msg_arg_data_copy"));
        }
        let arg = c.data().msg.arg.clone();
        copy_out(&mut c, "msg_arg_data_copy", &arg, dst, off, size)
    })?;
    linker.func_wrap("ic0", "msg_caller_size", |c: Caller<'_, State>| -> i32 { c.data().msg.caller.as_slice().len() as i32 })?;
    linker.func_wrap("ic0", "msg_caller_copy", |mut c: Caller<'_, State>, dst: i32, off: i32, size: i32| {
        let who = c.data().msg.caller.as_slice().to_vec();
        copy_out(&mut c, "msg_caller_copy", &who, dst, off, size)
    })?;
    linker.func_wrap("ic0", "msg_reject_code", |c: Caller<'_, State>| -> i32 { c.data().msg.reject_code as i32 })?;
    linker.func_wrap("ic0", "msg_reject_msg_size", |c: Caller<'_, State>| -> i32 { c.data().msg.reject_msg.len() as i32 })?;
    linker.func_wrap("ic0", "msg_reject_msg_copy", |mut c: Caller<'_, State>, dst: i32, off: i32, size: i32| {
        let m = c.data().msg.reject_msg.clone().into_bytes();
        copy_out(&mut c, "msg_reject_msg_copy", &m, dst, off, size)
    })?;
    linker.func_wrap("ic0", "msg_reply_data_append", |mut c: Caller<'_, State>, src: i32, size: i32| {
        if !c.data().msg.kind.can_reply() || c.data().msg.reply.is_some() {
            return Err(not_allowed(&mut c, "msg_reply_data_append"));
        }
        let bytes = read(&mut c, src, size)?;
        c.data_mut().msg.reply_buf.extend_from_slice(&bytes);
        Ok(())
    })?;
    linker.func_wrap("ic0", "msg_reply", |mut c: Caller<'_, State>| {
        if !c.data().msg.kind.can_reply() || c.data().msg.reply.is_some() {
            return Err(not_allowed(&mut c, "msg_reply"));
        }
        let m = &mut c.data_mut().msg;
        m.reply = Some(Ok(std::mem::take(&mut m.reply_buf)));
        Ok(())
    })?;
    linker.func_wrap("ic0", "msg_reject", |mut c: Caller<'_, State>, src: i32, size: i32| {
        if !c.data().msg.kind.can_reply() || c.data().msg.reply.is_some() {
            return Err(not_allowed(&mut c, "msg_reject"));
        }
        let text = String::from_utf8_lossy(&read(&mut c, src, size)?).into_owned();
        c.data_mut().msg.reply = Some(Err(Reject { code: RejectCode::CanisterReject, message: text }));
        Ok(())
    })?;
    linker.func_wrap("ic0", "msg_method_name_size", |c: Caller<'_, State>| -> i32 { c.data().msg.method.len() as i32 })?;
    linker.func_wrap("ic0", "msg_method_name_copy", |mut c: Caller<'_, State>, dst: i32, off: i32, size: i32| {
        let m = c.data().msg.method.clone().into_bytes();
        copy_out(&mut c, "msg_method_name_copy", &m, dst, off, size)
    })?;
    linker.func_wrap("ic0", "accept_message", |mut c: Caller<'_, State>| {
        if c.data().msg.kind != Kind::InspectMessage || c.data().msg.accepted {
            return Err(not_allowed(&mut c, "accept_message"));
        }
        c.data_mut().msg.accepted = true;
        Ok(())
    })?;
    linker.func_wrap("ic0", "msg_cycles_available128", |mut c: Caller<'_, State>, dst: i32| write_u128(&mut c, dst, 0))?;
    linker.func_wrap("ic0", "msg_cycles_refunded128", |mut c: Caller<'_, State>, dst: i32| write_u128(&mut c, dst, 0))?;
    linker.func_wrap("ic0", "msg_cycles_accept128", |mut c: Caller<'_, State>, _hi: i64, _lo: i64, dst: i32| write_u128(&mut c, dst, 0))?;
    linker.func_wrap("ic0", "canister_self_size", |c: Caller<'_, State>| -> i32 { c.data().id.as_slice().len() as i32 })?;
    linker.func_wrap("ic0", "canister_self_copy", |mut c: Caller<'_, State>, dst: i32, off: i32, size: i32| {
        let id = c.data().id.as_slice().to_vec();
        copy_out(&mut c, "canister_self_copy", &id, dst, off, size)
    })?;
    linker.func_wrap("ic0", "canister_cycle_balance128", |mut c: Caller<'_, State>, dst: i32| {
        let v = c.data().cycles;
        write_u128(&mut c, dst, v)
    })?;
    linker.func_wrap("ic0", "canister_liquid_cycle_balance128", |mut c: Caller<'_, State>, dst: i32| {
        let v = c.data().cycles;
        write_u128(&mut c, dst, v)
    })?;
    linker.func_wrap("ic0", "canister_status", |_: Caller<'_, State>| -> i32 { 1 })?;
    linker.func_wrap("ic0", "canister_version", |_: Caller<'_, State>| -> i64 { 1 })?;
    linker.func_wrap("ic0", "time", |c: Caller<'_, State>| -> i64 { c.data().time_ns as i64 })?;
    linker.func_wrap("ic0", "global_timer_set", |mut c: Caller<'_, State>, t: i64| -> i64 {
        let old = c.data().timer;
        c.data_mut().timer = t as u64;
        old as i64
    })?;
    linker.func_wrap("ic0", "performance_counter", |c: Caller<'_, State>, _kind: i32| -> Result<i64> {
        let left = c.get_fuel()?;
        Ok(c.data().fuel_limit.saturating_sub(left) as i64)
    })?;
    linker.func_wrap("ic0", "is_controller", |mut c: Caller<'_, State>, src: i32, size: i32| -> Result<i32> {
        let bytes = read(&mut c, src, size)?;
        let p = Principal::try_from_slice(&bytes).map_err(|e| trap(&mut c, format!("is_controller: {e}")))?;
        Ok(c.data().controllers.contains(&p) as i32)
    })?;
    linker.func_wrap("ic0", "in_replicated_execution", |c: Caller<'_, State>| -> i32 { (c.data().msg.kind != Kind::Query) as i32 })?;
    linker.func_wrap("ic0", "debug_print", |mut c: Caller<'_, State>, src: i32, size: i32| {
        let line = String::from_utf8_lossy(&read(&mut c, src, size)?).into_owned();
        c.data_mut().log.push(line);
        Ok(())
    })?;
    linker.func_wrap("ic0", "trap", |mut c: Caller<'_, State>, src: i32, size: i32| -> Result<()> {
        let text = String::from_utf8_lossy(&read(&mut c, src, size)?).into_owned();
        Err(trap(&mut c, text))
    })?;
    linker.func_wrap("ic0", "stable64_size", |c: Caller<'_, State>| -> i64 { (c.data().stable.len() as u64 / STABLE_PAGE) as i64 })?;
    linker.func_wrap("ic0", "stable64_grow", |mut c: Caller<'_, State>, pages: i64| -> i64 {
        let old = c.data().stable.len() as u64 / STABLE_PAGE;
        let pages = pages as u64;
        if old + pages > MAX_STABLE_PAGES {
            return -1;
        }
        c.data_mut().stable.resize(((old + pages) * STABLE_PAGE) as usize, 0);
        old as i64
    })?;
    linker.func_wrap("ic0", "stable64_write", |mut c: Caller<'_, State>, offset: i64, src: i64, size: i64| {
        let bytes = read(&mut c, src as i32, size as i32)?;
        let off = offset as u64 as usize;
        let len = c.data().stable.len();
        match off.checked_add(bytes.len()) {
            Some(end) if end <= len => {
                c.data_mut().stable[off..end].copy_from_slice(&bytes);
                Ok(())
            }
            _ => Err(trap(&mut c, format!("stable memory write out of bounds: {off}+{} > {len}", bytes.len()))),
        }
    })?;
    linker.func_wrap("ic0", "stable64_read", |mut c: Caller<'_, State>, dst: i64, offset: i64, size: i64| {
        let (off, size) = (offset as u64 as usize, size as u64 as usize);
        let len = c.data().stable.len();
        match off.checked_add(size) {
            Some(end) if end <= len => {
                let part = c.data().stable[off..end].to_vec();
                write(&mut c, dst as i32, &part)
            }
            _ => Err(trap(&mut c, format!("stable memory read out of bounds: {off}+{size} > {len}"))),
        }
    })?;
    linker.func_wrap(
        "ic0",
        "call_new",
        |mut c: Caller<'_, State>,
         callee_src: i32,
         callee_size: i32,
         name_src: i32,
         name_size: i32,
         reply_fun: i32,
         reply_env: i32,
         reject_fun: i32,
         reject_env: i32|
         -> Result<()> {
            if !c.data().msg.kind.can_call() {
                return Err(not_allowed(&mut c, "call_new"));
            }
            let callee = read(&mut c, callee_src, callee_size)?;
            let callee = Principal::try_from_slice(&callee).map_err(|e| trap(&mut c, format!("call_new: {e}")))?;
            let method = String::from_utf8_lossy(&read(&mut c, name_src, name_size)?).into_owned();
            c.data_mut().building = Some(OutgoingCall {
                callee,
                method,
                reply: (reply_fun as u32, reply_env as u32),
                reject: (reject_fun as u32, reject_env as u32),
                cleanup: None,
                arg: Vec::new(),
                cycles: 0,
            });
            Ok(())
        },
    )?;
    linker.func_wrap("ic0", "call_on_cleanup", |mut c: Caller<'_, State>, fun: i32, env: i32| match c.data_mut().building.as_mut() {
        Some(b) => {
            b.cleanup = Some((fun as u32, env as u32));
            Ok(())
        }
        None => Err(trap(&mut c, "call_on_cleanup without call_new".into())),
    })?;
    linker.func_wrap("ic0", "call_data_append", |mut c: Caller<'_, State>, src: i32, size: i32| {
        let bytes = read(&mut c, src, size)?;
        match c.data_mut().building.as_mut() {
            Some(b) => {
                b.arg.extend_from_slice(&bytes);
                Ok(())
            }
            None => Err(trap(&mut c, "call_data_append without call_new".into())),
        }
    })?;
    linker.func_wrap("ic0", "call_with_best_effort_response", |_: Caller<'_, State>, _timeout: i32| {})?;
    linker.func_wrap("ic0", "call_cycles_add128", |mut c: Caller<'_, State>, hi: i64, lo: i64| {
        let amount = ((hi as u64 as u128) << 64) | lo as u64 as u128;
        let s = c.data_mut();
        match s.building.as_mut() {
            Some(b) if s.cycles >= amount => {
                s.cycles -= amount;
                b.cycles += amount;
                Ok(())
            }
            Some(_) => Err(trap(&mut c, "call_cycles_add128: not enough cycles".into())),
            None => Err(trap(&mut c, "call_cycles_add128 without call_new".into())),
        }
    })?;
    linker.func_wrap("ic0", "call_perform", |mut c: Caller<'_, State>| -> i32 {
        match c.data_mut().building.take() {
            Some(call) => {
                c.data_mut().calls.push(call);
                0
            }
            None => 1,
        }
    })?;
    linker.func_wrap("ic0", "cost_call", |mut c: Caller<'_, State>, name: i64, payload: i64, dst: i32| {
        let cost = 260_000u128 + 1_000 * (name as u64 as u128 + payload as u64 as u128);
        write_u128(&mut c, dst, cost)
    })?;
    Ok(())
}

/// Defines a trapping stand-in for every import of the module; [`link`] then replaces the ones
/// this host implements (the linker must allow shadowing).
pub(crate) fn stub_all(linker: &mut Linker<State>, module: &wasmtime::Module) -> Result<()> {
    for import in module.imports() {
        let (m, name) = (import.module().to_owned(), import.name().to_owned());
        let ty = match import.ty() {
            wasmtime::ExternType::Func(f) => f,
            other => wasmtime::bail!("the test host cannot provide import {m}.{name} of kind {other:?}"),
        };
        let label = format!("{m}.{name}");
        linker.func_new(&m, &name, ty, move |mut c: Caller<'_, State>, _args, _results| {
            Err(trap(&mut c, format!("{label} is not implemented by the test host")))
        })?;
    }
    Ok(())
}
