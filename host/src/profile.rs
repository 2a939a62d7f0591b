//! [`Profile`]: instructions per wasm function of the calls made while profiling, sampled.
//!
//! A module loaded with [`crate::CanisterModule::load_profiling`] is compiled with epoch
//! interruption; a ticker thread advances the epoch every [`INTERVAL`], and at each tick the
//! canister's wasm stack is captured and the fuel burnt since the previous tick is charged to
//! the function on top of it (its *self* instructions) and once to every function on it (its
//! *inclusive* instructions). With [`crate::Canister::sample_every_check`], a sample is taken
//! at every check wasmtime makes (each function entry and loop iteration) instead: complete
//! inclusive figures for short calls, at a cost of a stack walk per call; the fuel a function
//! burns before its first call is then charged to the function it calls. Names come from the module's `name` section (the profiling build
//! `target/canister/codexvm.named.wasm` keeps it), demangled.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Engine, StoreContextMut, UpdateDeadline, WasmBacktrace};

/// Time between two samples.
pub const INTERVAL: Duration = Duration::from_micros(50);

/// One function's share of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileEntry {
    /// The function's name (demangled), or `func[INDEX]` when the module has no name for it.
    pub name: String,
    /// Instructions charged while the function was on top of the stack.
    pub self_instructions: u64,
    /// Instructions charged while the function was anywhere on the stack.
    pub inclusive_instructions: u64,
}

/// Instructions per function over the calls made while profiling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Instructions of all profiled messages.
    pub instructions: u64,
    /// Instructions burnt after a message's last sample (charged to no function).
    pub unsampled: u64,
    /// Samples taken.
    pub samples: u64,
    /// Every function seen, most self instructions first.
    pub entries: Vec<ProfileEntry>,
    /// Each sample: the instructions charged to it and its stack, innermost first.
    stacks: Vec<(u64, Vec<Arc<str>>)>,
}

impl Profile {
    fn new(instructions: u64, unsampled: u64, samples: u64, stacks: Vec<(u64, Vec<Arc<str>>)>) -> Self {
        let mut self_: HashMap<&Arc<str>, u64> = HashMap::new();
        let mut inclusive: HashMap<&Arc<str>, u64> = HashMap::new();
        for (burnt, frames) in &stacks {
            if let Some(top) = frames.first() {
                *self_.entry(top).or_default() += burnt;
            }
            let mut seen = HashSet::new();
            for f in frames {
                if seen.insert(f) {
                    *inclusive.entry(f).or_default() += burnt;
                }
            }
        }
        let mut entries: Vec<ProfileEntry> = inclusive
            .iter()
            .map(|(name, incl)| ProfileEntry {
                name: name.to_string(),
                self_instructions: self_.get(name).copied().unwrap_or(0),
                inclusive_instructions: *incl,
            })
            .collect();
        entries.sort_by(|a, b| b.self_instructions.cmp(&a.self_instructions).then(a.name.cmp(&b.name)));
        Profile { instructions, unsampled, samples, entries, stacks }
    }

    /// The part of the profile spent inside a function whose name contains `pattern`: samples
    /// without one are left out, and of the others only the frames from the outermost such
    /// function inwards are kept.
    pub fn focus(&self, pattern: &str) -> Profile {
        let stacks: Vec<(u64, Vec<Arc<str>>)> = self
            .stacks
            .iter()
            .filter_map(|(burnt, frames)| {
                let outer = frames.iter().rposition(|f| f.contains(pattern))?;
                Some((*burnt, frames[..=outer].to_vec()))
            })
            .collect();
        let instructions = stacks.iter().map(|s| s.0).sum();
        Profile::new(instructions, 0, stacks.len() as u64, stacks)
    }

    /// The `n` entries with the most self instructions, then the `n` with the most inclusive.
    pub fn top(&self, n: usize) -> (Vec<&ProfileEntry>, Vec<&ProfileEntry>) {
        let by_self = self.entries.iter().take(n).collect();
        let mut by_incl: Vec<&ProfileEntry> = self.entries.iter().collect();
        by_incl.sort_by(|a, b| b.inclusive_instructions.cmp(&a.inclusive_instructions).then(a.name.cmp(&b.name)));
        by_incl.truncate(n);
        (by_self, by_incl)
    }

    /// Two tables (markdown) of the top `n` functions by self and by inclusive instructions.
    pub fn table(&self, n: usize) -> String {
        let pct = |x: u64| if self.instructions == 0 { 0.0 } else { 100.0 * x as f64 / self.instructions as f64 };
        let (by_self, by_incl) = self.top(n);
        let mut t = format!(
            "{} instructions, {} samples ({:.1} % after a message's last sample)\n\n| self | % | function |\n|---:|---:|---|\n",
            self.instructions,
            self.samples,
            pct(self.unsampled)
        );
        for e in by_self {
            t.push_str(&format!("| {} | {:.1} | {} |\n", e.self_instructions, pct(e.self_instructions), e.name));
        }
        t.push_str("\n| inclusive | % | function |\n|---:|---:|---|\n");
        for e in by_incl {
            t.push_str(&format!("| {} | {:.1} | {} |\n", e.inclusive_instructions, pct(e.inclusive_instructions), e.name));
        }
        t
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table(25))
    }
}

/// What the sampling call-back accumulates (shared with it, so behind a lock). Functions are
/// told apart by name: the optimiser leaves several copies of some under one name.
#[derive(Default)]
pub(crate) struct Sampler {
    /// Fuel left at the previous sample (or at the start of the message).
    last_fuel: u64,
    instructions: u64,
    unsampled: u64,
    /// Demangled name of each function index seen.
    names: HashMap<u32, Arc<str>>,
    stacks: Vec<(u64, Vec<Arc<str>>)>,
    /// Sample at every epoch check instead of every tick.
    pub(crate) every_check: bool,
}

impl Sampler {
    /// A message starts with `fuel`.
    pub(crate) fn start(&mut self, fuel: u64) {
        self.last_fuel = fuel;
    }

    /// A message ended with `fuel` left after using `used`.
    pub(crate) fn end(&mut self, fuel: u64, used: u64) {
        self.unsampled += self.last_fuel.saturating_sub(fuel);
        self.instructions += used;
    }

    fn name(&mut self, idx: u32, name: Option<&str>) -> Arc<str> {
        self.names
            .entry(idx)
            .or_insert_with(|| match name {
                Some(n) => format!("{:#}", rustc_demangle::demangle(n)).into(),
                None => format!("func[{idx}]").into(),
            })
            .clone()
    }

    /// Charges the fuel burnt since the previous sample to a stack of (function index, name),
    /// innermost first.
    fn sample<'a>(&mut self, fuel: u64, frames: impl IntoIterator<Item = (u32, Option<&'a str>)>) {
        let burnt = self.last_fuel.saturating_sub(fuel);
        self.last_fuel = fuel;
        let frames: Vec<Arc<str>> = frames.into_iter().map(|(idx, name)| self.name(idx, name)).collect();
        if frames.is_empty() {
            self.unsampled += burnt;
        }
        self.stacks.push((burnt, frames));
    }

    /// The profile so far; starts a new one.
    pub(crate) fn take(&mut self) -> Profile {
        let samples = self.stacks.len() as u64;
        let stacks = std::mem::take(&mut self.stacks);
        let p = Profile::new(self.instructions, self.unsampled, samples, stacks);
        self.instructions = 0;
        self.unsampled = 0;
        p
    }
}

/// Installs the sampling call-back on a store of a profiling engine.
pub(crate) fn install<T: 'static>(store: &mut wasmtime::Store<T>, sampler: Arc<Mutex<Sampler>>) {
    let every_check = sampler.lock().expect("sampler lock").every_check;
    store.epoch_deadline_callback(move |ctx: StoreContextMut<'_, T>| {
        let fuel = ctx.get_fuel().unwrap_or(0);
        let trace = WasmBacktrace::capture(&ctx);
        let mut s = sampler.lock().expect("sampler lock");
        s.sample(fuel, trace.frames().iter().map(|f| (f.func_index(), f.func_name())));
        Ok(UpdateDeadline::Continue(if s.every_check { 0 } else { 1 }))
    });
    store.set_epoch_deadline(u64::from(!every_check));
}

/// A thread advancing an engine's epoch every [`INTERVAL`] until dropped.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub(crate) fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(INTERVAL);
                engine.increment_epoch();
            }
        });
        Self { stop, thread: Some(thread) }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuel_goes_to_the_top_frame_and_once_to_every_function_on_the_stack() {
        let mut s = Sampler::default();
        s.start(1000);
        // main -> f -> f (recursive) -> g: 100 burnt, then main' -> main -> (no name) -> f: 50,
        // then an empty stack: 10.
        s.sample(900, [(3, Some("g")), (2, Some("f")), (2, Some("f")), (1, Some("main"))]);
        s.sample(850, [(2, Some("f")), (5, None), (1, Some("main")), (4, Some("main"))]);
        s.sample(840, []);
        s.end(800, 200);
        let p = s.take();
        let get = |n: &str| p.entries.iter().find(|e| e.name == n).map(|e| (e.self_instructions, e.inclusive_instructions));
        assert_eq!(get("g"), Some((100, 100)));
        assert_eq!(get("f"), Some((50, 150)), "recursion counted once per sample");
        assert_eq!(get("main"), Some((0, 150)), "two copies of one name are one function");
        assert_eq!(get("func[5]"), Some((0, 50)), "a function without a name");
        assert_eq!((p.instructions, p.samples, p.unsampled), (200, 3, 10 + 40));
        assert_eq!(p.entries.iter().map(|e| e.self_instructions).sum::<u64>() + p.unsampled, p.instructions);
        assert_eq!(p.entries[0].name, "g", "most self instructions first");
        let (_, by_incl) = p.top(1);
        assert_eq!(by_incl[0].name, "f");
        assert_eq!(s.take(), Profile::default(), "taking starts a new profile");
        let f = p.focus("f");
        assert_eq!((f.instructions, f.samples), (150, 2), "only the samples inside f");
        let get = |n: &str| f.entries.iter().find(|e| e.name == n).map(|e| (e.self_instructions, e.inclusive_instructions));
        assert_eq!(get("g"), Some((100, 100)));
        assert_eq!(get("main"), None, "frames outside f are left out");
    }

    #[test]
    fn names_are_demangled() {
        let mut s = Sampler::default();
        s.start(10);
        s.sample(0, [(7, Some("_ZN7codexvm5tasks6runner7segment17h0123456789abcdefE"))]);
        let p = s.take();
        assert_eq!(p.entries[0].name, "codexvm::tasks::runner::segment");
    }
}
