//! The rootdir, the configuration file and the initial paths of a `codexvm test` run, found by
//! pytest's rules (pytest 9, "Initialization: determining rootdir and configfile").

use std::path::{Component, Path, PathBuf};

use super::ini::{self, IniError, IniOptions, IniValue, TomlTable};

/// Configuration file names in pytest's order of precedence within one directory.
pub const CONFIG_NAMES: &[&str] = &["pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"];

/// Where a run stands: what pytest calls `rootpath`, `inipath`, `inicfg` and `args`.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// The directory the command was run from.
    pub invocation_dir: PathBuf,
    /// The rootdir: node ids are relative to it.
    pub rootdir: PathBuf,
    /// The configuration file, if one was found or given.
    pub inifile: Option<PathBuf>,
    /// Its pytest options.
    pub ini: IniOptions,
    /// Conftest files are not loaded from directories above this one.
    pub confcutdir: PathBuf,
    /// The initial paths, absolute, each with the node-id suffix it was given (`::name`), if any.
    pub args: Vec<(PathBuf, String)>,
}

/// Why a run could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A configuration file pytest would reject.
    #[error(transparent)]
    Ini(#[from] IniError),
    /// `setup.cfg` with a plain `[pytest]` section.
    #[error("{0}: [pytest] section in setup.cfg files is no longer supported, change to [tool:pytest] instead.")]
    SetupCfgSection(String),
    /// `-c` names a missing file, a directory or an unknown format.
    #[error("{0}")]
    ConfigFile(String),
    /// `--rootdir` is not a directory.
    #[error("Directory '{0}' not found. Check your '--rootdir' option.")]
    Rootdir(String),
    /// A path argument that does not exist.
    #[error("file or directory not found: {0}")]
    NotFound(String),
}

/// Makes `p` absolute against `base` and removes `.` and `..` components (as pytest's
/// `absolutepath` does, without resolving symlinks).
pub fn absolute(base: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The options of one configuration file, or `None` if it holds no pytest configuration.
pub fn load(path: &Path) -> Result<Option<IniOptions>, ConfigError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let shown = path.display().to_string();
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
    let ini_section = |section: &str, always: bool| -> Result<Option<IniOptions>, ConfigError> {
        let sections = ini::parse_ini(&shown, &ini::read(path)?)?;
        Ok(match sections.get(section) {
            Some(o) => Some(o.clone()),
            None if always => Some(IniOptions::new()),
            None => None,
        })
    };
    match name.as_str() {
        "pytest.toml" | ".pytest.toml" => Ok(Some(ini::parse_toml(&shown, &ini::read(path)?, TomlTable::Pytest)?.unwrap_or_default())),
        "pytest.ini" | ".pytest.ini" => ini_section("pytest", true),
        "pyproject.toml" => Ok(ini::parse_toml(&shown, &ini::read(path)?, TomlTable::Tool)?),
        "tox.ini" => ini_section("pytest", false),
        "setup.cfg" => {
            let sections = ini::parse_ini(&shown, &ini::read(path)?)?;
            if let Some(o) = sections.get("tool:pytest") {
                return Ok(Some(o.clone()));
            }
            if sections.contains_key("pytest") {
                return Err(ConfigError::SetupCfgSection(shown));
            }
            Ok(None)
        }
        _ => match ext.as_str() {
            "ini" => ini_section("pytest", false),
            "cfg" => {
                let sections = ini::parse_ini(&shown, &ini::read(path)?)?;
                Ok(sections.get("tool:pytest").cloned())
            }
            "toml" => {
                let text = ini::read(path)?;
                match ini::parse_toml(&shown, &text, TomlTable::Tool)? {
                    Some(o) => Ok(Some(o)),
                    None => ini::parse_toml(&shown, &text, TomlTable::Pytest).map_err(Into::into),
                }
            }
            _ => Err(ConfigError::ConfigFile(format!(
                "Config file '{shown}' has an unsupported format. Supported extensions are: .cfg, .ini, .toml."
            ))),
        },
    }
}

/// pytest's `locate_config`: the first directory, from each of `paths` upwards, holding a
/// configuration file with pytest options; failing that, the first `pyproject.toml` seen.
fn locate(paths: &[PathBuf]) -> Result<Option<(PathBuf, PathBuf, IniOptions)>, ConfigError> {
    let mut first_pyproject: Option<PathBuf> = None;
    for p in paths {
        for base in p.ancestors() {
            for name in CONFIG_NAMES {
                let f = base.join(name);
                if !f.is_file() {
                    continue;
                }
                if *name == "pyproject.toml" && first_pyproject.is_none() {
                    first_pyproject = Some(f.clone());
                }
                if let Some(options) = load(&f)? {
                    return Ok(Some((base.to_path_buf(), f, options)));
                }
            }
        }
    }
    Ok(first_pyproject.map(|f| (f.parent().unwrap().to_path_buf(), f, IniOptions::new())))
}

/// The deepest directory that contains every existing path (files count by their directory).
fn common_ancestor(invocation_dir: &Path, paths: &[PathBuf]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for p in paths.iter().filter(|p| p.exists()) {
        common = Some(match common {
            None => p.clone(),
            Some(c) if p.starts_with(&c) => c,
            Some(c) if c.starts_with(p) => p.clone(),
            Some(c) => {
                let shared: PathBuf = c.components().zip(p.components()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect();
                if shared.as_os_str().is_empty() {
                    c
                } else {
                    shared
                }
            }
        });
    }
    match common {
        None => invocation_dir.to_path_buf(),
        Some(c) if c.is_file() => c.parent().unwrap_or(&c).to_path_buf(),
        Some(c) => c,
    }
}

fn is_fs_root(p: &Path) -> bool {
    p.parent().is_none()
}

/// Splits `path::name` node-id syntax off an argument.
fn split_nodeid(arg: &str) -> (&str, String) {
    match arg.find("::") {
        Some(i) => (&arg[..i], arg[i..].to_owned()),
        None => (arg, String::new()),
    }
}

/// Determines the rootdir and configuration the way pytest does, for `args` given from
/// `invocation_dir`, with pytest's `-c/--config-file` and `--rootdir` options.
pub fn determine(
    invocation_dir: &Path,
    args: &[String],
    config_file: Option<&Path>,
    rootdir_arg: Option<&Path>,
) -> Result<Setup, ConfigError> {
    let invocation_dir = absolute(Path::new("/"), invocation_dir);
    let mut paths = Vec::new();
    for a in args {
        let (p, suffix) = split_nodeid(a);
        let abs = absolute(&invocation_dir, Path::new(p));
        paths.push((abs, suffix));
    }
    let dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| if p.is_dir() { p.clone() } else { p.parent().unwrap().to_path_buf() })
        .collect();
    let ancestor = common_ancestor(&invocation_dir, &dirs);
    let (mut rootdir, inifile, ini) = if let Some(cf) = config_file {
        let f = absolute(&invocation_dir, cf);
        if !f.exists() {
            return Err(ConfigError::ConfigFile(format!("Config file '{}' not found. Check your '-c/--config-file' option.", f.display())));
        }
        if f.is_dir() {
            return Err(ConfigError::ConfigFile(format!(
                "Config file '{}' is a directory. Check your '-c/--config-file' option.",
                f.display()
            )));
        }
        let options = if f.is_file() { load(&f)?.unwrap_or_default() } else { IniOptions::new() };
        let root = if f.is_file() {
            f.parent().unwrap().to_path_buf()
        } else {
            let r = common_ancestor(&invocation_dir, &dirs);
            if is_fs_root(&r) {
                invocation_dir.clone()
            } else {
                r
            }
        };
        (root, Some(f), options)
    } else {
        match locate(std::slice::from_ref(&ancestor))? {
            Some((root, f, options)) => (root, Some(f), options),
            None => {
                let setup_py = ancestor.ancestors().find(|d| d.join("setup.py").is_file()).map(Path::to_path_buf);
                match setup_py {
                    Some(root) => (root, None, IniOptions::new()),
                    None => {
                        let found = if dirs != [ancestor.clone()] { locate(&dirs)? } else { None };
                        match found {
                            Some((root, f, options)) => (root, Some(f), options),
                            None => {
                                let r = common_ancestor(&invocation_dir, &[invocation_dir.clone(), ancestor.clone()]);
                                (if is_fs_root(&r) { ancestor.clone() } else { r }, None, IniOptions::new())
                            }
                        }
                    }
                }
            }
        }
    };
    if let Some(r) = rootdir_arg {
        let r = absolute(&invocation_dir, r);
        if !r.is_dir() {
            return Err(ConfigError::Rootdir(r.display().to_string()));
        }
        rootdir = r;
    }
    let confcutdir = match &inifile {
        Some(f) => f.parent().unwrap().to_path_buf(),
        None => rootdir.clone(),
    };
    for (p, _) in &paths {
        if !p.exists() {
            return Err(ConfigError::NotFound(p.display().to_string()));
        }
    }
    if paths.is_empty() {
        paths = initial_paths(&invocation_dir, &rootdir, &ini);
    }
    Ok(Setup { invocation_dir, rootdir, inifile, ini, confcutdir, args: paths })
}

/// The paths collected when none are given: `testpaths` (globs, from the rootdir) when run
/// from the rootdir, else the invocation directory.
fn initial_paths(invocation_dir: &Path, rootdir: &Path, ini: &IniOptions) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    if invocation_dir == rootdir {
        for pattern in list_option(ini.get("testpaths")) {
            let mut found: Vec<PathBuf> =
                glob::glob(&rootdir.join(&pattern).to_string_lossy()).map(|g| g.flatten().collect()).unwrap_or_default();
            found.sort();
            out.extend(found.into_iter().map(|p| (p, String::new())));
        }
    }
    if out.is_empty() {
        out.push((invocation_dir.to_path_buf(), String::new()));
    }
    out
}

/// A list-valued option (pytest's `args` type): a TOML list, or INI text split like a shell
/// command line.
pub fn list_option(v: Option<&IniValue>) -> Vec<String> {
    match v {
        None => Vec::new(),
        Some(IniValue::List(l)) => l.clone(),
        Some(IniValue::Text(t)) => shell_split(t),
    }
}

/// A line-list option (pytest's `linelist` type): one item per non-empty line.
pub fn lines_option(v: Option<&IniValue>) -> Vec<String> {
    match v {
        None => Vec::new(),
        Some(IniValue::List(l)) => l.clone(),
        Some(IniValue::Text(t)) => t.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
    }
}

/// Splits text into words as a POSIX shell does (quotes and backslashes), as `shlex.split`.
pub fn shell_split(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => cur.push(chars.next().unwrap()),
                        _ => cur.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(d) = chars.next() {
                    cur.push(d);
                }
            }
            '#' if !in_word => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests;
