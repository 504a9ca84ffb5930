//! README.md is the front door and `docs/` holds the reference, one page per subject: the
//! README stays short, speaks in its own words (it cites no specification an operator has never
//! seen), and no relative link in it or in `docs/` points at nothing: not at a missing file, not
//! out of the repository, not at a heading that is not there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The README's budget: what an operator reads before the first deployment.
const README_MAX_BYTES: usize = 45 * 1024;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// README.md and every `docs/*.md`.
fn pages() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The page's lines outside fenced code blocks (a fence's own lines count as inside).
fn outside_fences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        match fence {
            Some(f) => {
                if trimmed.starts_with(f) {
                    fence = None;
                }
            }
            None if trimmed.starts_with("```") => fence = Some("```"),
            None if trimmed.starts_with("~~~") => fence = Some("~~~"),
            None => out.push(line),
        }
    }
    out
}

/// The prose of a page: outside fenced blocks and inline code spans. A code span never crosses
/// a blank line, so the backticks are paired paragraph by paragraph.
fn prose(text: &str) -> String {
    let mut out = String::new();
    for paragraph in outside_fences(text).join("\n").split("\n\n") {
        for (i, piece) in paragraph.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(piece);
            }
        }
        out.push_str("\n\n");
    }
    out
}

/// The targets of the page's markdown links and images: what stands between `](` and `)`,
/// without a title.
fn link_targets(text: &str) -> Vec<String> {
    let prose = prose(text);
    let mut out = Vec::new();
    let mut rest = prose.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        out.push(
            target
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string(),
        );
        rest = &rest[end..];
    }
    out
}

/// GitHub's anchor for a heading: lowercase, spaces to `-`, punctuation dropped; a repeated
/// heading gets `-1`, `-2`, ….
fn anchors(text: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for line in outside_fences(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let mut slug = String::new();
        for c in line[hashes..].trim().to_lowercase().chars() {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                slug.push(c);
            } else if c == ' ' {
                slug.push('-');
            }
        }
        let n = seen.entry(slug.clone()).or_insert(0);
        out.push(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

#[test]
fn readme_is_the_front_door_not_the_reference() {
    let size = readme().len();
    assert!(
        size <= README_MAX_BYTES,
        "README.md is {size} bytes, more than {README_MAX_BYTES}: move reference text into docs/"
    );
}

#[test]
fn readme_speaks_in_its_own_words() {
    let text = readme();
    for (n, line) in text.lines().enumerate() {
        for cited in ["SPEC", "§"] {
            assert!(
                !line.contains(cited),
                "README.md:{}: cites {cited:?}, which an operator has never seen: say it in \
                 the README's own words\n{line}",
                n + 1
            );
        }
    }
}

#[test]
fn relative_links_in_readme_and_docs_point_at_what_is_there() {
    let root = root().canonicalize().unwrap();
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let name = page
            .strip_prefix(&root)
            .unwrap_or(&page)
            .display()
            .to_string();
        for target in link_targets(&text) {
            if target.is_empty()
                || ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|scheme| target.starts_with(scheme))
            {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(path)
            };
            if !file.exists() {
                broken.push(format!("{name}: ({target}): no such file"));
                continue;
            }
            if !file.canonicalize().unwrap().starts_with(&root) {
                broken.push(format!("{name}: ({target}): outside the repository"));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            if file.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let heads = anchors(&std::fs::read_to_string(&file).unwrap());
            if !heads.iter().any(|h| h == anchor) {
                broken.push(format!("{name}: ({target}): no heading with that anchor"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    let page = "# wartesaal\n\n## The booking site's side\n\n```toml\n# not a heading\n```\n\n\
                ### How does it know? `X-Origin-Lock`\n\n## FAQ\n\n## FAQ\n";
    assert_eq!(
        anchors(page),
        [
            "wartesaal",
            "the-booking-sites-side",
            "how-does-it-know-x-origin-lock",
            "faq",
            "faq-1"
        ]
    );
    assert_eq!(
        link_targets("[a](docs/x.md#y) `[b](not/a/link)` ![c](pic.png \"title\")"),
        ["docs/x.md#y", "pic.png"]
    );
}
