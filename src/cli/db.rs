//! `codexvm db export` / `codexvm db import`: a whole kybra_simple_db database to and from JSON.
//!
//! The form is the one `Database.raw_dump_json()` writes — `{"key": "value", ...}` with every
//! value the stored JSON text — so a realm's dump imports as it is, and an export can be loaded
//! back into a realm by inserting each pair into its `StableBTreeMap`. `--format entities` exports
//! `Database.dump_json()`'s `{type: {id: record}}` view instead (for reading, not importing).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::db::json::{self, Writer};
use crate::db::policy::{check_db_map, Access, PolicyError};
use crate::db::{Bounds, Table};
use crate::store::{self, FileMemory, Store, ENTITY_MAP};

use super::StateArgs;

/// `codexvm db ...`
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    what: DbCommand,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Write the database as JSON to stdout.
    Export(ExportArgs),
    /// Add the pairs of a JSON dump to the database (all or nothing).
    Import(ImportArgs),
}

/// Which JSON view to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{key: value}` of every stored pair (importable).
    Raw,
    /// `{type: {id: record}}` of the entity records.
    Entities,
}

/// Arguments of `codexvm db export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    state: StateArgs,
    /// The map holding the database (1 is the default store).
    #[arg(long, default_value_t = ENTITY_MAP as u16)]
    memory_id: u16,
    /// Output form.
    #[arg(long, value_enum, default_value_t = Format::Raw)]
    format: Format,
}

/// Arguments of `codexvm db import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The dump (`-` for stdin).
    file: PathBuf,
    #[command(flatten)]
    state: StateArgs,
    /// The map holding the database (1 is the default store).
    #[arg(long, default_value_t = ENTITY_MAP as u16)]
    memory_id: u16,
    /// Largest key accepted, in bytes (the default store's bound).
    #[arg(long, default_value_t = Bounds::REALMS.max_key)]
    max_key_size: usize,
    /// Largest value accepted, in bytes (the default store's bound).
    #[arg(long, default_value_t = Bounds::REALMS.max_value)]
    max_value_size: usize,
}

/// Why an import was refused (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON.
    #[error("the dump is not valid JSON: {0}")]
    Json(String),
    /// The JSON is not an object of string keys and string values.
    #[error("the dump must be an object mapping keys to stored JSON text, as Database.raw_dump_json() writes it: {0}")]
    Shape(String),
    /// A value is not the JSON text kybra_simple_db stores.
    #[error("value of {key:?} is not JSON text: {why}")]
    Value {
        /// The key.
        key: String,
        /// The decoder's message.
        why: String,
    },
    /// Keys already in the store hold other values.
    #[error("{count} key(s) already hold different values, e.g. {examples}; nothing was imported")]
    Conflict {
        /// How many.
        count: usize,
        /// The first few.
        examples: String,
    },
    /// A pair exceeds the store's bounds.
    #[error(transparent)]
    Bounds(#[from] crate::db::DbError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The memory id is not a database map (out of range, or one of codexvm's own).
    #[error(transparent)]
    Map(#[from] PolicyError),
}

/// Parses a raw dump into `(key, value)` pairs.
pub fn parse_dump(text: &str) -> Result<Vec<(String, String)>, ImportError> {
    // Two passes: the structure (object of strings), then each value as JSON text.
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ImportError::Json(e.to_string()))?;
    let obj = value.as_object().ok_or_else(|| ImportError::Shape("the top level is not an object".into()))?;
    let mut pairs = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        let v = v.as_str().ok_or_else(|| ImportError::Shape(format!("the value of {k:?} is not a string")))?;
        json::decode(v, &mut json::Skip).map_err(|e| ImportError::Value { key: k.clone(), why: e.to_string() })?;
        pairs.push((k.clone(), v.to_owned()));
    }
    Ok(pairs)
}

/// Adds `pairs` to `table` in one transaction; refuses everything on a conflict or a bound.
pub fn import_pairs(s: &mut Store<FileMemory>, table: &Table, pairs: &[(String, String)]) -> Result<usize, ImportError> {
    let mut conflicts = Vec::new();
    for (k, v) in pairs {
        table.check(k, v)?;
        if let Some(old) = table.get(s, k) {
            if &old != v {
                conflicts.push(k.clone());
            }
        }
    }
    if !conflicts.is_empty() {
        let examples = conflicts.iter().take(5).map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ");
        return Err(ImportError::Conflict { count: conflicts.len(), examples });
    }
    s.begin()?;
    let mut written = 0;
    for (k, v) in pairs {
        if table.get(s, k).as_deref() != Some(v.as_str()) {
            if let Err(e) = table.put(s, k, v) {
                s.rollback();
                return Err(e.into());
            }
            written += 1;
        }
    }
    s.commit()?;
    Ok(written)
}

/// Writes the raw or entity view of `table`.
pub fn export(s: &mut Store<FileMemory>, table: &Table, format: Format) -> String {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = table.scan_raw(s, after.as_deref(), 4096);
        let Some(last) = page.last().map(|p| p.0.clone()) else { break };
        rows.extend(page);
        after = Some(last);
    }
    let mut w = Writer::new();
    w.open_object();
    match format {
        Format::Raw => {
            for (i, (k, v)) in rows.iter().enumerate() {
                if i > 0 {
                    w.comma();
                }
                w.str(k);
                w.colon();
                w.str(v);
            }
        }
        Format::Entities => {
            // Database.dump_json(): skip `_` keys and keys that do not split into two at '@'.
            let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
            for (k, v) in rows {
                if k.starts_with('_') || k.matches('@').count() != 1 || json::decode(&v, &mut json::Skip).is_err() {
                    continue;
                }
                let (t, id) = k.split_once('@').expect("one @");
                match groups.iter_mut().find(|g| g.0 == t) {
                    Some(g) => g.1.push((id.to_owned(), v)),
                    None => groups.push((t.to_owned(), vec![(id.to_owned(), v)])),
                }
            }
            let mut out = String::from("{");
            for (gi, (t, items)) in groups.iter().enumerate() {
                if gi > 0 {
                    out.push_str(", ");
                }
                let mut kw = Writer::new();
                kw.str(t);
                out.push_str(&kw.finish());
                out.push_str(": {");
                for (ii, (id, v)) in items.iter().enumerate() {
                    if ii > 0 {
                        out.push_str(", ");
                    }
                    let mut iw = Writer::new();
                    iw.str(id);
                    out.push_str(&iw.finish());
                    out.push_str(": ");
                    out.push_str(v);
                }
                out.push('}');
            }
            out.push('}');
            return out;
        }
    }
    w.close_object();
    w.finish()
}

fn open(state: &StateArgs) -> Result<Store<FileMemory>, store::StoreError> {
    Ok(Store::open(FileMemory::open(&state.state)?))
}

/// Entry point of `codexvm db`.
pub fn main(args: DbArgs) -> ExitCode {
    match args.what {
        DbCommand::Export(a) => {
            let map = match check_db_map(a.memory_id, Access::Read) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("codexvm db export: {e}");
                    return ExitCode::from(2);
                }
            };
            match open(&a.state) {
                Ok(mut s) => {
                    println!("{}", export(&mut s, &Table::new(map, Bounds::REALMS), a.format));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("codexvm db export: {e}");
                    ExitCode::from(2)
                }
            }
        }
        DbCommand::Import(a) => {
            let mut text = String::new();
            let read = if a.file.as_os_str() == "-" {
                std::io::stdin().read_to_string(&mut text).map(drop)
            } else {
                std::fs::read_to_string(&a.file).map(|t| text = t)
            };
            if let Err(e) = read {
                eprintln!("codexvm db import: {}: {e}", a.file.display());
                return ExitCode::from(2);
            }
            let result = (|| {
                let map = check_db_map(a.memory_id, Access::Write)?;
                let pairs = parse_dump(&text)?;
                let mut s = open(&a.state)?;
                let table = Table::new(map, Bounds { max_key: a.max_key_size, max_value: a.max_value_size });
                Ok::<_, ImportError>((pairs.len(), import_pairs(&mut s, &table, &pairs)?))
            })();
            match result {
                Ok((n, written)) => {
                    println!("imported {n} pairs ({written} new or changed)");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("codexvm db import: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
