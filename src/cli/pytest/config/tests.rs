use std::fs;
use std::path::Path;

use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (p, text) in files {
        let f = d.path().join(p);
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, text).unwrap();
    }
    d
}

fn run(root: &Path, from: &str, args: &[&str]) -> Setup {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    determine(&root.join(from), &args, None, None).unwrap()
}

#[test]
fn without_configuration_the_rootdir_is_the_common_ancestor_with_the_invocation_dir() {
    let d = tree(&[("proj/pkg/tests/__init__.py", ""), ("proj/pkg/tests/test_a.py", "")]);
    let s = run(d.path(), "proj", &["pkg/tests"]);
    assert_eq!(s.rootdir, d.path().join("proj"));
    assert_eq!(s.inifile, None);
    assert_eq!(s.confcutdir, d.path().join("proj"));
    assert_eq!(s.args, vec![(d.path().join("proj/pkg/tests"), String::new())]);
    // Run from a sibling directory: the common ancestor of both.
    fs::create_dir_all(d.path().join("elsewhere")).unwrap();
    let s = run(d.path(), "elsewhere", &["../proj/pkg/tests"]);
    assert_eq!(s.rootdir, d.path().to_path_buf());
}

#[test]
fn a_configuration_file_above_the_args_is_the_rootdir() {
    let d = tree(&[("proj/pytest.ini", "[pytest]\npython_files = check_*.py\n"), ("proj/pkg/tests/check_a.py", "")]);
    let s = run(d.path(), "proj/pkg", &["tests"]);
    assert_eq!(s.rootdir, d.path().join("proj"));
    assert_eq!(s.inifile, Some(d.path().join("proj/pytest.ini")));
    assert_eq!(s.ini["python_files"], IniValue::Text("check_*.py".into()));
    assert_eq!(s.confcutdir, d.path().join("proj"));
}

#[test]
fn files_without_a_pytest_section_do_not_count_but_a_bare_pyproject_is_the_fallback() {
    let d = tree(&[
        ("proj/setup.cfg", "[tool:pytest]\ntestpaths = t\n"),
        ("proj/pkg/pyproject.toml", "[project]\nname = \"x\"\n"),
        ("proj/pkg/tox.ini", "[tox]\nenvlist = py3\n"),
        ("proj/pkg/tests/test_a.py", ""),
    ]);
    let s = run(d.path(), "proj", &["pkg/tests"]);
    assert_eq!(s.inifile, Some(d.path().join("proj/setup.cfg")));
    let d = tree(&[("proj/pyproject.toml", "[project]\nname = \"x\"\n"), ("proj/pkg/tests/test_a.py", "")]);
    let s = run(d.path(), "proj/pkg", &["tests"]);
    assert_eq!(s.rootdir, d.path().join("proj"));
    assert_eq!(s.inifile, Some(d.path().join("proj/pyproject.toml")));
    assert!(s.ini.is_empty());
}

#[test]
fn precedence_within_one_directory_follows_pytest() {
    let d = tree(&[
        ("proj/pytest.ini", "[pytest]\nx = ini\n"),
        ("proj/pyproject.toml", "[tool.pytest.ini_options]\nx = \"toml\"\n"),
        ("proj/t/test_a.py", ""),
    ]);
    assert_eq!(run(d.path(), "proj", &["t"]).ini["x"], IniValue::Text("ini".into()));
    fs::write(d.path().join("proj/pytest.toml"), "[pytest]\nx = \"pt\"\n").unwrap();
    assert_eq!(run(d.path(), "proj", &["t"]).ini["x"], IniValue::Text("pt".into()));
}

#[test]
fn setup_py_marks_the_rootdir_when_no_configuration_exists() {
    let d = tree(&[("proj/setup.py", ""), ("proj/src/tests/test_a.py", ""), ("other/x", "")]);
    let s = run(d.path(), "other", &["../proj/src/tests"]);
    assert_eq!(s.rootdir, d.path().join("proj"));
    assert_eq!(s.inifile, None);
}

#[test]
fn bad_configuration_is_refused_with_pytest_s_message() {
    let d = tree(&[("proj/setup.cfg", "[pytest]\nx = 1\n"), ("proj/t/test_a.py", "")]);
    let e = determine(&d.path().join("proj"), &["t".into()], None, None).unwrap_err();
    assert!(e.to_string().ends_with("[pytest] section in setup.cfg files is no longer supported, change to [tool:pytest] instead."), "{e}");
    let d = tree(&[("proj/pytest.ini", "[pytest]\nx = 1\nx = 2\n"), ("proj/t/test_a.py", "")]);
    let e = determine(&d.path().join("proj"), &["t".into()], None, None).unwrap_err();
    assert!(e.to_string().ends_with("pytest.ini:3: duplicate name 'x'"), "{e}");
    let d = tree(&[("proj/pytest.ini", "[pytest]\n"), ("proj/t/test_a.py", "")]);
    let e = determine(&d.path().join("proj"), &["missing".into()], None, None).unwrap_err();
    assert!(e.to_string().starts_with("file or directory not found: "), "{e}");
}

#[test]
fn config_file_and_rootdir_options() {
    let d = tree(&[("proj/ci/custom.ini", "[pytest]\nx = 1\n"), ("proj/t/test_a.py", ""), ("proj/pytest.ini", "[pytest]\n")]);
    let s = determine(&d.path().join("proj"), &["t".into()], Some(Path::new("ci/custom.ini")), None).unwrap();
    assert_eq!(s.rootdir, d.path().join("proj/ci"));
    assert_eq!(s.ini["x"], IniValue::Text("1".into()));
    let s = determine(&d.path().join("proj"), &["t".into()], None, Some(Path::new("t"))).unwrap();
    assert_eq!(s.rootdir, d.path().join("proj/t"));
    assert_eq!(s.confcutdir, d.path().join("proj"), "confcutdir follows the configuration file");
    assert!(determine(&d.path().join("proj"), &["t".into()], Some(Path::new("nope.ini")), None).is_err());
    assert!(determine(&d.path().join("proj"), &["t".into()], None, Some(Path::new("nope"))).is_err());
}

#[test]
fn node_id_arguments_keep_their_suffix() {
    let d = tree(&[("proj/t/test_a.py", "")]);
    let s = run(d.path(), "proj", &["t/test_a.py::TestX::test_y"]);
    assert_eq!(s.args, vec![(d.path().join("proj/t/test_a.py"), "::TestX::test_y".to_owned())]);
    assert_eq!(s.rootdir, d.path().join("proj"));
}

#[test]
fn testpaths_apply_without_arguments_from_the_rootdir_only() {
    let d = tree(&[
        ("proj/pytest.ini", "[pytest]\ntestpaths = t*\n"),
        ("proj/t1/test_a.py", ""),
        ("proj/t2/test_b.py", ""),
        ("proj/u/x.py", ""),
    ]);
    let s = run(d.path(), "proj", &[]);
    assert_eq!(s.args.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), vec![d.path().join("proj/t1"), d.path().join("proj/t2")]);
    let s = run(d.path(), "proj/u", &[]);
    assert_eq!(s.args, vec![(d.path().join("proj/u"), String::new())]);
}

#[test]
fn shell_split_and_line_lists() {
    assert_eq!(shell_split(r#"-q  "a b" 'c d' e\ f # comment"#), vec!["-q", "a b", "c d", "e f"]);
    assert_eq!(lines_option(Some(&IniValue::Text("a\n\n b \n".into()))), vec!["a", "b"]);
    assert_eq!(list_option(Some(&IniValue::List(vec!["x y".into()]))), vec!["x y"]);
}
