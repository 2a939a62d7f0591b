//! Output captured from one execution: `print`, `sys.stdout`/`sys.stderr` and `ic.print`.

use std::cell::RefCell;

/// Default cap on captured output per execution (stdout and stderr together).
pub const DEFAULT_LIMIT: usize = 1 << 20;

/// What an execution printed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Captured {
    /// Text written to stdout (including `ic.print` lines).
    pub stdout: String,
    /// Text written to stderr.
    pub stderr: String,
    /// Bytes dropped because the cap was reached.
    pub dropped: usize,
}

impl Captured {
    /// Lines of stdout then stderr, as realms' `run_code` reports them in `logs`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for part in [&self.stdout, &self.stderr] {
            let t = part.trim();
            if !t.is_empty() {
                out.extend(t.split('\n').map(str::to_owned));
            }
        }
        if self.dropped > 0 {
            out.push(self.truncation_note());
        }
        out
    }

    /// The note appended when output was cut.
    pub fn truncation_note(&self) -> String {
        format!("[output truncated: {} more bytes were not captured]", self.dropped)
    }
}

struct State {
    captured: Captured,
    limit: usize,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State { captured: Captured::default(), limit: DEFAULT_LIMIT });
}

/// Starts a fresh capture with the given cap, returning whatever the previous one held.
pub fn start(limit: usize) -> Captured {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.limit = limit;
        std::mem::take(&mut s.captured)
    })
}

/// Ends the capture and returns what it holds.
pub fn take() -> Captured {
    STATE.with(|s| std::mem::take(&mut s.borrow_mut().captured))
}

/// Appends `text` to stream `fd` (1 = stdout, 2 = stderr), dropping what exceeds the cap.
pub fn write(fd: i32, text: &str) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let used = s.captured.stdout.len() + s.captured.stderr.len();
        let room = s.limit.saturating_sub(used);
        let (kept, dropped) = if text.len() <= room {
            (text, 0)
        } else {
            let mut cut = room;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            (&text[..cut], text.len() - cut)
        };
        s.captured.dropped += dropped;
        if fd == 2 {
            s.captured.stderr.push_str(kept)
        } else {
            s.captured.stdout.push_str(kept)
        }
    });
}

/// Puts back a capture taken with [`start`] (after a nested execution captured its own output).
pub fn restore(previous: Captured, limit: usize) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.limit = limit;
        s.captured = previous;
    });
}
