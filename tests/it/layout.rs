//! The shape of the source tree: files, functions and structs small enough to read, one
//! meaning per type name, layers that never import in a circle, the state backend's concrete
//! types named only inside `state/`, imports a reader can follow (no `use super::*` outside
//! tests), comments that explain themselves instead of citing a document the reader does not
//! have, errors that are types rather than strings, and `wartesaal ctl` reading the admin API
//! through the API's own types. The shapes are read by lines, as rustfmt lays the code out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 900;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module (layer) a file belongs to: `src/state/redis/sync.rs` → `state`.
fn layer(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its comments (line comments and doc comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The layers a file's code names as `crate::<layer>`.
fn imports(code: &str, layers: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if layers.contains(&name) {
            out.insert(name);
        }
    }
    out
}

/// A circle in `graph`, if there is one, as the layers along it.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(found) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(found);
        }
    }
    None
}

#[test]
fn no_source_file_is_longer_than_900_lines() {
    let long: Vec<String> = sources(&src())
        .into_iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(&f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

#[test]
fn the_layers_never_import_in_a_circle() {
    let src = src();
    let files = sources(&src);
    let layers: BTreeSet<String> = files
        .iter()
        .map(|f| layer(&src, f))
        .filter(|l| l != "lib" && l != "main")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = layer(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(from.clone()).or_default();
        edges.extend(
            imports(&code(&text), &layers)
                .into_iter()
                .filter(|to| *to != from),
        );
    }
    assert!(
        graph["gateway"].contains("site"),
        "the reading sees imports"
    );
    assert_eq!(circle(&graph), None, "import graph: {graph:#?}");
    // The reading finds a circle where there is one.
    let mut bent = graph.clone();
    bent.get_mut("queue").unwrap().insert("gateway".into());
    assert!(circle(&bent).is_some());
}

#[test]
fn nothing_above_state_names_a_concrete_backend() {
    let src = src();
    let concrete = [
        "EmbeddedState",
        "SharedState",
        "StateDir",
        "state::embedded",
        "state::redis",
        "redis::Redis",
    ];
    let mut named = Vec::new();
    for file in sources(&src) {
        if layer(&src, &file) == "state" {
            continue;
        }
        let text = code(&std::fs::read_to_string(&file).unwrap());
        for name in concrete {
            if text.contains(name) {
                named.push(format!("{} names {name}", file.display()));
            }
        }
    }
    assert!(named.is_empty(), "{named:#?}");
}

/// The part of a file that is not test code: nothing for a `tests.rs` file, else what comes
/// before its first `#[cfg(test)]` line (test modules sit at the end of a file).
fn non_test_part(file: &Path, text: &str) -> String {
    if file.to_string_lossy().ends_with("tests.rs") {
        return String::new();
    }
    text.lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn only_tests_import_everything_from_their_parent() {
    const GLOB: &str = "use super::*;";
    let (mut globbed, mut in_tests) = (Vec::new(), 0);
    for file in sources(&src()) {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = code(&non_test_part(&file, &text));
        if code.lines().any(|l| l.trim() == GLOB) {
            globbed.push(file.display().to_string());
        }
        in_tests += text.lines().filter(|l| l.trim() == GLOB).count();
    }
    // The reading sees the globs the test modules keep.
    assert!(in_tests > 0, "no `{GLOB}` found at all");
    assert!(
        globbed.is_empty(),
        "name what these files take from their parent instead of `{GLOB}`: {globbed:#?}"
    );
}

#[test]
fn the_code_cites_no_spec_sections() {
    let cited: Vec<String> = sources(&src())
        .into_iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.contains("SPEC §"))
                .map(|(n, _)| format!("{}:{}", file.display(), n + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        cited.is_empty(),
        "say why in the comment's own words, the reader has no SPEC: {cited:#?}"
    );
}

/// The error type of every `Result<T, E>` written on `line`: its last argument.
fn result_errors(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in line.match_indices("Result<") {
        let (mut depth, mut args) = (1, vec![String::new()]);
        let mut prev = ' ';
        for c in line[at + "Result<".len()..].chars() {
            match c {
                '<' => depth += 1,
                '>' if prev != '-' => depth -= 1,
                ',' if depth == 1 => {
                    args.push(String::new());
                    prev = c;
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            args.last_mut().unwrap().push(c);
            prev = c;
        }
        if args.len() > 1 {
            out.push(args.last().unwrap().trim().to_string());
        }
    }
    out
}

#[test]
fn errors_are_types_not_strings() {
    let mut stringly = Vec::new();
    for file in sources(&src()) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in code(&non_test_part(&file, &text)).lines().enumerate() {
            if result_errors(line).iter().any(|e| e == "String") {
                stringly.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    // The reading sees one where there is one, and only there.
    assert_eq!(
        result_errors("fn f() -> Result<Vec<Box<dyn Fn() -> u8>>, String> {"),
        ["String"]
    );
    assert_eq!(
        result_errors("fn f() -> Result<String, E> { io::Result<String> }"),
        ["E"]
    );
    assert!(
        stringly.is_empty(),
        "give these an error enum (thiserror) whose variants say what went wrong: {stringly:#?}"
    );
}

/// Whether `line` works with JSON as untyped values rather than through a type.
fn untyped_json(line: &str) -> bool {
    let imports_value = line.trim_start().starts_with("use serde_json")
        && line
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word == "Value");
    line.contains("json!") || line.contains("serde_json::Value") || imports_value
}

#[test]
fn ctl_reads_the_admin_api_through_its_types() {
    let file = src().join("ops").join("ctl.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    let untyped: Vec<String> = code(&non_test_part(&file, &text))
        .lines()
        .enumerate()
        .filter(|(_, line)| untyped_json(line))
        .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
        .collect();
    // The reading sees each way in.
    for line in [
        "let body = json!({});",
        "fn f(v: serde_json::Value) {}",
        "use serde_json::{json, Value};",
    ] {
        assert!(untyped_json(line), "{line}");
    }
    assert!(!untyped_json("use http::header::HeaderValue;"));
    assert!(
        untyped.is_empty(),
        "read and write the admin API through the types in ops/api.rs: {untyped:#?}"
    );
}

/// Longest function outside tests: longer ones are split into named steps.
const MAX_FN_LINES: usize = 120;
/// Most named fields of a struct outside tests: more are split into the groups they form.
const MAX_FIELDS: usize = 15;

/// Shapes kept as they are on purpose, with the reason.
const KEPT_WHOLE: &[(&str, &str)] = &[
    // The state file's format, read with `deny_unknown_fields` so that a file written by a
    // newer version is refused rather than half read. Flattened groups cannot be combined with
    // that (serde leaves it unsupported), and a corrupt file's error would no longer point at
    // the field: a state file that cannot be read stops the gateway, so its message matters.
    ("state/embedded/file.rs", "Saved"),
    // The admin API's answer: its fields are the JSON's keys, in the alphabetical order the
    // answer always had and readers compare as text. Grouped (and flattened for serde) they
    // would come out in another order.
    ("ops/api.rs", "RoomStatus"),
];

/// What a source file defines, as the shape tests see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fn,
    Struct,
    /// An enum, a trait, a union or a type alias (not an associated type).
    OtherType,
}

/// One definition: where it starts, how long it is, and (a struct) its named fields.
#[derive(Debug)]
struct Item {
    /// Under `src/`, with `/` between folders.
    file: String,
    /// 1-based.
    line: usize,
    name: String,
    kind: Kind,
    lines: usize,
    fields: usize,
    /// In a `tests.rs` file or under `#[cfg(test)]`.
    in_test: bool,
}

impl Item {
    fn at(&self) -> String {
        format!("src/{}:{}", self.file, self.line)
    }

    /// Named in `KEPT_WHOLE`.
    fn excused(&self) -> bool {
        KEPT_WHOLE.iter().any(|(file, name)| self.is(file, name))
    }

    fn is(&self, file: &str, name: &str) -> bool {
        let here = if file.ends_with('/') {
            self.file.starts_with(file)
        } else {
            self.file == file
        };
        here && self.name == name
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// `rest` without a leading `pub`, `pub(crate)`, `pub(super)` or `pub(in …)`.
fn without_visibility(rest: &str) -> &str {
    if let Some(after) = rest.strip_prefix("pub(") {
        return after.split_once(')').map_or(rest, |(_, r)| r.trim_start());
    }
    rest.strip_prefix("pub ").unwrap_or(rest)
}

/// The kind and name a line starts to define, if it starts a definition.
fn definition(line: &str) -> Option<(Kind, String)> {
    let mut rest = without_visibility(line.trim_start());
    for qualifier in ["default ", "const ", "async ", "unsafe ", "extern \"C\" "] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest);
    }
    let (kind, rest) = [
        ("fn ", Kind::Fn),
        ("struct ", Kind::Struct),
        ("enum ", Kind::OtherType),
        ("trait ", Kind::OtherType),
        ("union ", Kind::OtherType),
        ("type ", Kind::OtherType),
    ]
    .into_iter()
    .find_map(|(word, kind)| Some((kind, rest.strip_prefix(word)?)))?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some((kind, name))
}

/// The last line (0-based) of the item that starts on line `start`, as rustfmt lays it out:
/// its closing `}` at the item's own indent. `None` for an item without a body (`fn f();`,
/// `struct S;`, `type T = …;`).
fn end_of(lines: &[&str], start: usize) -> Option<usize> {
    let ind = indent(lines[start]);
    let first = lines[start].trim_end();
    if first.ends_with(';') {
        return None;
    }
    if first.contains('{') && first.ends_with('}') {
        return Some(start);
    }
    for (j, line) in lines.iter().enumerate().skip(start + 1) {
        if line.trim().is_empty() {
            continue;
        }
        match indent(line) {
            i if i < ind => return None,
            i if i > ind => continue,
            _ => {}
        }
        let line = line.trim_end();
        if line[ind..].starts_with('}') || (line.contains('{') && line.ends_with('}')) {
            return Some(j);
        }
        if line.ends_with(';') {
            return None;
        }
    }
    None
}

/// Whether the `type` on line `at` is an associated type: inside an `impl` or a `trait`.
fn associated(lines: &[&str], at: usize) -> bool {
    let ind = indent(lines[at]);
    // The header of the block around it, past a `where` clause's lines.
    let outer = lines[..at]
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty() && indent(l) < ind && !matches!(l.trim(), "{" | "where"));
    outer.is_some_and(|l| {
        let l = without_visibility(l.trim_start());
        let l = l.strip_prefix("unsafe ").unwrap_or(l);
        l.starts_with("impl") || l.starts_with("trait ")
    })
}

/// The named fields of the struct whose body runs over `lines[start + 1..end]`.
fn named_fields(lines: &[&str], start: usize, end: usize) -> usize {
    let inner = indent(lines[start]) + 4;
    lines[start + 1..end]
        .iter()
        .filter(|l| indent(l) == inner)
        .filter(|l| {
            let rest = without_visibility(l.trim_start());
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            !name.is_empty()
                && rest[name.len()..].trim_start().starts_with(':')
                && !rest[name.len()..].trim_start().starts_with("::")
        })
        .count()
}

/// Every definition in the files under `src/`.
fn items() -> Vec<Item> {
    let src = src();
    let mut out = Vec::new();
    for path in sources(&src) {
        let file = path
            .strip_prefix(&src)
            .unwrap()
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let test_file = file == "tests.rs" || file.ends_with("/tests.rs");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Lines of items under `#[cfg(test)]`, up to and including this one.
        let mut test_until = None;
        for (i, line) in lines.iter().enumerate() {
            if line.trim() == "#[cfg(test)]" {
                let item = (i + 1..lines.len()).find(|&j| !lines[j].trim_start().starts_with('#'));
                test_until = item.map(|j| end_of(&lines, j).unwrap_or(j));
                continue;
            }
            let Some((kind, name)) = definition(line) else {
                continue;
            };
            if name == "tests"
                || (kind == Kind::OtherType && line.contains("type ") && associated(&lines, i))
            {
                continue;
            }
            let end = end_of(&lines, i);
            out.push(Item {
                file: file.clone(),
                line: i + 1,
                name,
                kind,
                lines: end.map_or(1, |end| end - i + 1),
                fields: match (kind, end) {
                    (Kind::Struct, Some(end)) => named_fields(&lines, i, end),
                    _ => 0,
                },
                in_test: test_file || test_until.is_some_and(|until| i <= until),
            });
        }
    }
    out
}

/// Functions longer than `MAX_FN_LINES`, structs with more than `MAX_FIELDS` fields, and
/// every definition of a type name defined more than once: outside tests, being split or not.
fn offending(all: &[Item]) -> Vec<&Item> {
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    for item in all.iter().filter(|i| i.kind != Kind::Fn) {
        *types.entry(&item.name).or_default() += 1;
    }
    all.iter()
        .filter(|i| match i.kind {
            Kind::Fn => !i.in_test && i.lines > MAX_FN_LINES,
            Kind::Struct | Kind::OtherType => {
                (!i.in_test && i.fields > MAX_FIELDS) || types[i.name.as_str()] > 1
            }
        })
        .collect()
}

#[test]
fn no_function_is_longer_than_120_lines() {
    let all = items();
    // The reading sees functions, and how long they are.
    let start = all
        .iter()
        .find(|i| i.name == "start" && i.file == "server/mod.rs");
    assert!(start.is_some_and(|s| s.kind == Kind::Fn && s.lines > 10));
    let long: Vec<String> = all
        .iter()
        .filter(|i| i.kind == Kind::Fn && !i.in_test && i.lines > MAX_FN_LINES)
        .filter(|i| !i.excused())
        .map(|i| format!("{} {} ({} lines)", i.at(), i.name, i.lines))
        .collect();
    assert!(
        long.is_empty(),
        "split these into named steps of at most {MAX_FN_LINES} lines: {long:#?}"
    );
}

#[test]
fn no_struct_has_more_than_15_fields() {
    let all = items();
    // The reading sees structs, and counts their fields.
    let room = all.iter().find(|i| i.name == "RoomConfig");
    assert!(
        room.is_some_and(|r| r.kind == Kind::Struct && r.fields == MAX_FIELDS),
        "{room:?}"
    );
    let wide: Vec<String> = all
        .iter()
        .filter(|i| i.kind == Kind::Struct && !i.in_test && i.fields > MAX_FIELDS)
        .filter(|i| !i.excused())
        .map(|i| format!("{} {} ({} fields)", i.at(), i.name, i.fields))
        .collect();
    assert!(
        wide.is_empty(),
        "group the fields of these, at most {MAX_FIELDS} each: {wide:#?}"
    );
}

#[test]
fn every_type_name_has_one_meaning() {
    let all = items();
    let types: Vec<&Item> = all.iter().filter(|i| i.kind != Kind::Fn).collect();
    // The reading sees types of every kind, and not associated types.
    for name in ["RoomConfig", "Lang", "RoomState", "Millis"] {
        assert!(types.iter().any(|i| i.name == name), "{name} not seen");
    }
    let associated: Vec<String> = types
        .iter()
        .filter(|i| i.name == "Data" || i.name == "Error")
        .map(|i| i.at())
        .collect();
    assert!(associated.is_empty(), "{associated:?}");
    let mut by_name: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for item in types.iter().filter(|i| !i.excused()) {
        by_name.entry(&item.name).or_default().push(item);
    }
    let clashes: Vec<String> = by_name
        .iter()
        .filter(|(_, defs)| defs.len() > 1)
        .map(|(name, defs)| {
            let at: Vec<String> = defs.iter().map(|i| i.at()).collect();
            format!("{name}: {}", at.join(", "))
        })
        .collect();
    assert!(
        clashes.is_empty(),
        "one name, one meaning: rename all but one of each: {clashes:#?}"
    );
}

#[test]
fn kept_whole_names_only_what_still_needs_it() {
    let all = items();
    let offending = offending(&all);
    let stale: Vec<String> = KEPT_WHOLE
        .iter()
        .filter(|(file, name)| !offending.iter().any(|i| i.is(file, name)))
        .map(|(file, name)| format!("{file} {name}"))
        .collect();
    assert!(
        stale.is_empty(),
        "split, renamed or gone: take these out of KEPT_WHOLE: {stale:#?}"
    );
}

#[test]
fn no_test_file_is_longer_than_900_lines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let files = sources(&dir);
    // The reading sees the test files, in folders too.
    assert!(files.iter().any(|f| f.ends_with("support/mod.rs")));
    let mut long = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        if lines > MAX_LINES {
            long.push(format!("tests/it/{rel}:{} ({lines} lines)", MAX_LINES + 1));
        }
    }
    assert!(long.is_empty(), "split these by what they test: {long:#?}");
}
