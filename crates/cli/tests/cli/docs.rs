//! The documentation in the repository is self-contained (issue 18): every relative link of
//! the README and `docs/` names a file of the repository, and every `.md` document they
//! mention by name is there.

use crate::support::root;
use std::path::Path;

/// The Markdown files checked: the README and every `.md` under `docs/`.
fn documents() -> Vec<std::path::PathBuf> {
    let mut docs = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let dir = root().join("docs");
    for e in std::fs::read_dir(&dir).expect("docs/").flatten() {
        if e.path().extension().is_some_and(|x| x == "md") {
            docs.push(e.path());
        }
    }
    docs
}

/// Relative link targets of `text` (`[..](target)`), without any `#anchor`.
fn links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(i, _)| {
            let rest = &text[i + 2..];
            let end = rest.find(')')?;
            let target = rest[..end].split('#').next()?;
            let external = target.contains("://") || target.starts_with("mailto:");
            (!target.is_empty() && !external).then_some(target)
        })
        .collect()
}

/// Words of `text` naming a Markdown document: a path (`reference/x.md`) or an upper-case
/// name (`LINE-PROTOCOL.md`); `report.md` alone is a file a command writes.
fn md_names(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "-_./".contains(c)))
        .filter(|w| {
            let stem = w.strip_suffix(".md").unwrap_or("");
            let upper = !stem.is_empty() && !stem.bytes().any(|b| b.is_ascii_lowercase());
            !stem.is_empty() && (w.contains('/') || upper)
        })
        .collect()
}

/// `name` is a file next to `doc`, at the root, or under `docs/`.
fn exists(doc: &Path, name: &str) -> bool {
    let here = doc.parent().map(|d| d.join(name));
    here.is_some_and(|p| p.exists())
        || root().join(name).exists()
        || root().join("docs").join(name).exists()
}

#[test]
fn the_documents_link_only_to_files_of_the_repository() {
    let mut missing = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read document");
        for name in links(&text).into_iter().chain(md_names(&text)) {
            if !exists(&doc, name) {
                missing.push(format!("{}: {name}", doc.display()));
            }
        }
    }
    assert!(missing.is_empty(), "not in the repository: {missing:#?}");
}
