//! Reading pytest's configuration files: the INI dialect of `pytest.ini`, `tox.ini` and
//! `setup.cfg` (sections, `key = value` or `key: value`, indented continuation lines, `#`/`;`
//! comment lines), and the pytest tables of TOML files.

use std::collections::BTreeMap;
use std::path::Path;

/// A configuration value as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IniValue {
    /// INI text (continuation lines joined with `\n`), or a TOML scalar as text.
    Text(String),
    /// A TOML array of strings.
    List(Vec<String>),
}

/// The options of one file's pytest section, in file order.
pub type IniOptions = BTreeMap<String, IniValue>;

/// A configuration file pytest would reject.
#[derive(Debug, thiserror::Error)]
pub enum IniError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A syntax error, with the 1-based line.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A TOML file that is not valid TOML, or holds its options in the wrong place.
    #[error("{path}: {message}")]
    Toml {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Sections of an INI file: name → options (continuation lines joined with `\n`).
pub fn parse_ini(path: &str, text: &str) -> Result<BTreeMap<String, IniOptions>, IniError> {
    let syntax = |line: usize, message: String| IniError::Syntax { path: path.to_owned(), line: line + 1, message };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: BTreeMap<String, IniOptions> = BTreeMap::new();
    let mut section: Option<String> = None;
    let mut last: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let first = raw.trim_start().chars().next();
        if matches!(first, Some('#' | ';')) || raw.trim().is_empty() {
            continue;
        }
        let line = raw.trim_end();
        if line.starts_with('[') {
            let head = line.split(['#', ';']).next().unwrap_or("").trim_end();
            let Some(name) = head.strip_prefix('[').and_then(|h| h.strip_suffix(']')) else {
                // A line starting with `[` that is no header continues nothing: pytest's parser
                // reads it as a continuation.
                let Some(key) = &last else { return Err(syntax(n, "unexpected value continuation".into())) };
                let s = section.as_ref().expect("a key implies a section");
                push_continuation(sections.get_mut(s).unwrap().get_mut(key).unwrap(), line.trim());
                continue;
            };
            if name.is_empty() {
                return Err(syntax(n, "empty section name".into()));
            }
            if sections.contains_key(name) {
                return Err(syntax(n, format!("duplicate section '{name}'")));
            }
            sections.insert(name.to_owned(), IniOptions::new());
            section = Some(name.to_owned());
            last = None;
        } else if !line.starts_with(char::is_whitespace) {
            let (key, value) = match line.split_once('=') {
                Some((k, v)) if !k.contains(':') => (k, v),
                _ => line.split_once(':').ok_or_else(|| syntax(n, format!("unexpected line: '{line}'")))?,
            };
            let Some(s) = &section else { return Err(syntax(n, "no section header defined".into())) };
            let key = key.trim().to_owned();
            let options = sections.get_mut(s).unwrap();
            if options.contains_key(&key) {
                return Err(syntax(n, format!("duplicate name '{key}'")));
            }
            options.insert(key.clone(), IniValue::Text(value.trim().to_owned()));
            last = Some(key);
        } else {
            let Some(key) = &last else { return Err(syntax(n, "unexpected value continuation".into())) };
            let s = section.as_ref().expect("a key implies a section");
            push_continuation(sections.get_mut(s).unwrap().get_mut(key).unwrap(), line.trim());
        }
    }
    Ok(sections)
}

fn push_continuation(value: &mut IniValue, line: &str) {
    if let IniValue::Text(t) = value {
        if !t.is_empty() {
            t.push('\n');
        }
        t.push_str(line);
    }
}

/// Which table of a TOML file holds pytest's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TomlTable {
    /// `[pytest]` (`pytest.toml`, `.pytest.toml`).
    Pytest,
    /// `[tool.pytest]` or `[tool.pytest.ini_options]` (`pyproject.toml`).
    Tool,
}

/// The pytest options of a TOML file, or `None` when it has no pytest table.
pub fn parse_toml(path: &str, text: &str, table: TomlTable) -> Result<Option<IniOptions>, IniError> {
    let err = |message: String| IniError::Toml { path: path.to_owned(), message };
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| err(e.to_string().trim().to_owned()))?;
    let options = |t: &toml::Table| -> IniOptions { t.iter().map(|(k, v)| (k.clone(), value_of(v))).collect() };
    match table {
        TomlTable::Pytest => match doc.get("pytest") {
            Some(toml::Value::Table(t)) => Ok(Some(options(t))),
            _ => {
                let top: Vec<&str> = doc.iter().filter(|(_, v)| !v.is_table()).map(|(k, _)| k.as_str()).collect();
                if !top.is_empty() {
                    return Err(err(format!(
                        "pytest configuration must be under a [pytest] table (found top-level options: {})",
                        top.join(", ")
                    )));
                }
                Ok(None)
            }
        },
        TomlTable::Tool => {
            let Some(toml::Value::Table(tp)) = doc.get("tool").and_then(|t| t.get("pytest")) else { return Ok(None) };
            let native: toml::Table = tp.iter().filter(|(k, _)| *k != "ini_options").map(|(k, v)| (k.clone(), v.clone())).collect();
            let ini = tp.get("ini_options").and_then(|v| v.as_table());
            match (native.is_empty(), ini) {
                (false, Some(_)) => Err(err(
                    "Cannot use both [tool.pytest] (native TOML types) and [tool.pytest.ini_options] (string-based INI format) simultaneously."
                        .into(),
                )),
                (false, None) => Ok(Some(options(&native))),
                (true, Some(t)) => Ok(Some(options(t))),
                (true, None) => Ok(None),
            }
        }
    }
}

fn value_of(v: &toml::Value) -> IniValue {
    match v {
        toml::Value::Array(items) => IniValue::List(items.iter().map(scalar_text).collect()),
        other => IniValue::Text(scalar_text(other)),
    }
}

/// TOML scalars as pytest's INI mode sees them (`str(value)` in Python: `True`/`False`).
fn scalar_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Boolean(b) => if *b { "True" } else { "False" }.to_owned(),
        other => other.to_string(),
    }
}

/// Reads `path` as text.
pub fn read(path: &Path) -> Result<String, IniError> {
    std::fs::read_to_string(path).map_err(|source| IniError::Read { path: path.display().to_string(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_keys_continuations_and_comments() {
        let text =
            "; top comment\n[pytest]\naddopts = -q\npython_files =\n    check_*.py\n    test_*.py\n# c\nxfail_strict: true\n[other]\nk=v\n";
        let s = parse_ini("p.ini", text).unwrap();
        assert_eq!(s["pytest"]["addopts"], IniValue::Text("-q".into()));
        assert_eq!(s["pytest"]["python_files"], IniValue::Text("check_*.py\ntest_*.py".into()));
        assert_eq!(s["pytest"]["xfail_strict"], IniValue::Text("true".into()));
        assert_eq!(s["other"]["k"], IniValue::Text("v".into()));
    }

    #[test]
    fn ini_errors_name_the_line() {
        assert_eq!(parse_ini("a.ini", "k = v\n").unwrap_err().to_string(), "a.ini:1: no section header defined");
        assert_eq!(parse_ini("a.ini", "[s]\nk = 1\nk = 2\n").unwrap_err().to_string(), "a.ini:3: duplicate name 'k'");
        assert_eq!(parse_ini("a.ini", "[s]\n  x\n").unwrap_err().to_string(), "a.ini:2: unexpected value continuation");
        assert_eq!(parse_ini("a.ini", "[s]\nnovalue\n").unwrap_err().to_string(), "a.ini:2: unexpected line: 'novalue'");
    }

    #[test]
    fn toml_tables() {
        let t = "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\nxfail_strict = true\nminversion = \"6.0\"\n";
        let o = parse_toml("pyproject.toml", t, TomlTable::Tool).unwrap().unwrap();
        assert_eq!(o["testpaths"], IniValue::List(vec!["tests".into()]));
        assert_eq!(o["xfail_strict"], IniValue::Text("True".into()));
        assert!(parse_toml("pyproject.toml", "[project]\nname = \"x\"\n", TomlTable::Tool).unwrap().is_none());
        let native = parse_toml("pyproject.toml", "[tool.pytest]\npython_files = [\"t_*.py\"]\n", TomlTable::Tool).unwrap().unwrap();
        assert_eq!(native["python_files"], IniValue::List(vec!["t_*.py".into()]));
        assert!(parse_toml("pyproject.toml", "[tool.pytest]\na = 1\n[tool.pytest.ini_options]\nb = 2\n", TomlTable::Tool).is_err());
        assert!(parse_toml("pytest.toml", "x = 1\n", TomlTable::Pytest).unwrap_err().to_string().contains("found top-level options: x"));
        assert!(parse_toml("pytest.toml", "", TomlTable::Pytest).unwrap().is_none());
        assert!(parse_toml("pytest.toml", "[[", TomlTable::Pytest).is_err());
    }
}
