//! Stable memory for the native runner: an in-RAM image of a state file, made durable by
//! journaled flushes so that a process killed mid-commit leaves the old or the new state.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ic_stable_structures::Memory;

use super::image_check;
use super::journal::{self, CHUNK};
use super::StoreError;

const WASM_PAGE: u64 = 65536;
/// Largest image the native runner will grow to (like a canister's stable memory cap, but smaller).
const MAX_PAGES: u64 = 64 * 1024; // 4 GiB

/// A `Memory` kept in RAM and, when opened on a path, persisted to that file by [`FileMemory::flush`].
#[derive(Clone)]
pub struct FileMemory(Rc<RefCell<Inner>>);

struct Inner {
    image: Vec<u8>,
    dirty: BTreeSet<u64>,
    grown: bool,
    file: Option<Backing>,
}

struct Backing {
    path: PathBuf,
    file: File,
}

impl FileMemory {
    /// A memory that lives only in RAM (tests, scratch runs).
    pub fn in_memory() -> Self {
        Self(Rc::new(RefCell::new(Inner { image: Vec::new(), dirty: BTreeSet::new(), grown: false, file: None })))
    }

    /// Opens (or creates) the state file at `path`, replaying a complete journal left by a
    /// commit that was interrupted, and locks the file against other processes. A file that is not
    /// a stable-memory image, or is truncated or damaged, is refused and left as it is.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| StoreError::io(path, e))?;
        }
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(|e| StoreError::io(path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked(path.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(path, e)),
        }
        recover(path, &file).map_err(|e| StoreError::io(path, e))?;
        let mut image = Vec::new();
        (&file).read_to_end(&mut image).map_err(|e| StoreError::io(path, e))?;
        image_check::check(&image).map_err(|source| StoreError::BadImage { path: path.to_path_buf(), source })?;
        let backing = Backing { path: path.to_path_buf(), file };
        Ok(Self(Rc::new(RefCell::new(Inner { image, dirty: BTreeSet::new(), grown: false, file: Some(backing) }))))
    }

    /// The state file this memory persists to, if any.
    pub fn path(&self) -> Option<PathBuf> {
        self.0.borrow().file.as_ref().map(|b| b.path.clone())
    }

    /// Writes every change since the last flush to the state file, atomically.
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut inner = self.0.borrow_mut();
        if inner.dirty.is_empty() && !inner.grown {
            return Ok(());
        }
        let Some(backing) = inner.file.as_ref() else {
            inner.dirty.clear();
            inner.grown = false;
            return Ok(());
        };
        let path = backing.path.clone();
        let bytes = journal::encode(&inner.image, inner.dirty.iter().copied());
        let jpath = journal_path(&path);
        let tmp = tmp_path(&path);
        let io = |e| StoreError::io(&path, e);
        {
            let mut f = File::create(&tmp).map_err(io)?;
            f.write_all(&bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        crash_point("before-journal");
        fs::rename(&tmp, &jpath).map_err(io)?;
        sync_dir(&path).map_err(io)?;
        // Commit point passed: the journal alone now defines the new state.
        crash_point("after-journal");
        let j = journal::decode(&bytes).map_err(io)?.expect("journal we just wrote decodes");
        apply(&backing.file, &j).map_err(io)?;
        fs::remove_file(&jpath).map_err(io)?;
        sync_dir(&path).map_err(io)?;
        inner.dirty.clear();
        inner.grown = false;
        Ok(())
    }

    /// Bytes currently held in the image.
    pub fn len_bytes(&self) -> u64 {
        self.0.borrow().image.len() as u64
    }
}

impl Memory for FileMemory {
    fn size(&self) -> u64 {
        self.0.borrow().image.len() as u64 / WASM_PAGE
    }

    fn grow(&self, pages: u64) -> i64 {
        let mut inner = self.0.borrow_mut();
        let old = inner.image.len() as u64 / WASM_PAGE;
        if old + pages > MAX_PAGES {
            return -1;
        }
        let new_len = ((old + pages) * WASM_PAGE) as usize;
        inner.image.resize(new_len, 0);
        inner.grown = pages > 0 || inner.grown;
        old as i64
    }

    fn read(&self, offset: u64, dst: &mut [u8]) {
        let inner = self.0.borrow();
        let start = offset as usize;
        let end = start.checked_add(dst.len()).expect("read out of bounds");
        assert!(end <= inner.image.len(), "read out of bounds");
        dst.copy_from_slice(&inner.image[start..end]);
    }

    fn write(&self, offset: u64, src: &[u8]) {
        if src.is_empty() {
            return;
        }
        let mut inner = self.0.borrow_mut();
        let start = offset as usize;
        let end = start.checked_add(src.len()).expect("write out of bounds");
        assert!(end <= inner.image.len(), "write out of bounds");
        inner.image[start..end].copy_from_slice(src);
        let (first, last) = ((start / CHUNK) as u64, ((end - 1) / CHUNK) as u64);
        inner.dirty.extend(first..=last);
    }
}

fn journal_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".journal");
    PathBuf::from(p)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".journal.tmp");
    PathBuf::from(p)
}

fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

fn apply(file: &File, j: &journal::Journal) -> io::Result<()> {
    if file.metadata()?.len() != j.new_len {
        file.set_len(j.new_len)?;
    }
    for (idx, chunk) in &j.chunks {
        let start = idx * CHUNK as u64;
        let n = (j.new_len.saturating_sub(start) as usize).min(CHUNK);
        file.write_all_at(&chunk[..n], start)?;
    }
    file.sync_all()
}

/// Replays a complete journal (the commit happened) or discards a torn one (it did not).
fn recover(path: &Path, file: &File) -> io::Result<()> {
    let _ = fs::remove_file(tmp_path(path));
    let jpath = journal_path(path);
    let bytes = match fs::read(&jpath) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if let Some(j) = journal::decode(&bytes)? {
        apply(file, &j)?;
    }
    fs::remove_file(&jpath)?;
    sync_dir(path)
}

/// Test hook: `CODEXVM_CRASH_AT=<name>` aborts the process at the named point of a flush.
fn crash_point(name: &str) {
    if std::env::var("CODEXVM_CRASH_AT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}
