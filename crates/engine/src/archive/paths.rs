//! The path rules of `docker cp`, as moby's archive package states them (`copy.go`), as pure
//! functions on `/`-separated strings: what a trailing `/` or `/.` asserts, which directory an
//! archive is extracted into, and how its entries are renamed on the way so that the copy lands
//! where the user asked. Both directions share them: the daemon applies the same rules when it
//! extracts what berth uploads, and berth applies them when it extracts what the daemon sends.
//!
//! Paths are handled as Go's `path/filepath` handles them on Unix (`Clean`, `Dir`, `Base`), because
//! the rules are defined in those terms: `Base("/a/b/")` is `b`, `Dir("/a/b/.")` is `/a/b`.

/// What the copy knows about its source or its destination (moby's `CopyInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyInfo {
    /// The path, with any trailing `/` or `/.` the user gave.
    pub path: String,
    /// Whether something exists there.
    pub exists: bool,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// The name the source's entries must carry instead of its base name (a followed symlink, or
    /// a trailing `/` on a symlink to a directory), when it differs.
    pub rebase_name: Option<String>,
}

/// Where an archive of the source must be extracted, and how its entries are renamed first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The directory to extract into (the destination itself, or its parent).
    pub extract_dir: String,
    /// Entries named `from` (and everything under it) are renamed to `to`.
    pub rebase: Option<Rebase>,
}

/// Renames an archive's top entry: `from` and `from/…` become `to` and `to/…` (moby's
/// `RebaseArchiveEntries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebase {
    /// The top entry's name in the archive as made.
    pub from: String,
    /// The name it must have when extracted.
    pub to: String,
}

impl Rebase {
    /// `name` renamed: entries that are not `from` nor under it are left alone, as moby leaves
    /// them; an empty `from` puts everything under `to`.
    #[must_use]
    pub fn apply(&self, name: &str) -> String {
        let from = self.from.trim_end_matches('/');
        let to = self.to.trim_end_matches('/');
        if from.is_empty() {
            let name = name.trim_start_matches('/');
            return if to.is_empty() {
                name.to_owned()
            } else {
                format!("{to}/{name}")
            };
        }
        match name.strip_prefix(from) {
            Some(suffix) if suffix.is_empty() || suffix.starts_with('/') => format!("{to}{suffix}"),
            _ => name.to_owned(),
        }
    }
}

/// Why a copy cannot be placed; the wording is moby's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// A directory onto an existing file.
    #[error("cannot copy directory")]
    CannotCopyDir,
    /// A file onto a path that does not exist but asserts a directory (`new/`).
    #[error("no such directory")]
    DirNotExists,
}

/// Decides where the archive of `source` is extracted so that it ends up at `destination`, as
/// moby's `PrepareArchiveCopy` does:
///
/// | destination | source | extract into | entries renamed |
/// |---|---|---|---|
/// | existing directory | anything | the destination | no |
/// | existing file | directory | — | error: cannot copy directory |
/// | existing file | file | its parent | to the destination's name |
/// | missing | directory | its parent | to the destination's name |
/// | missing, ends in `/` or `/.` | file | — | error: no such directory |
/// | missing | file | its parent | to the destination's name |
///
/// # Errors
/// The two error rows of the table.
pub fn place(source: &CopyInfo, destination: &CopyInfo) -> Result<Placement, PlacementError> {
    let (destination_dir, destination_base) = split_path_dir_entry(&destination.path);
    let (_, source_base) = split_path_dir_entry(&source.path);
    let source_base = source.rebase_name.clone().unwrap_or(source_base);
    let renamed = |extract_dir: String| Placement {
        extract_dir,
        rebase: Some(Rebase {
            from: source_base.clone(),
            to: destination_base.clone(),
        }),
    };
    if destination.exists && destination.is_dir {
        return Ok(Placement {
            extract_dir: destination.path.clone(),
            rebase: None,
        });
    }
    if destination.exists && source.is_dir {
        return Err(PlacementError::CannotCopyDir);
    }
    if !destination.exists && !source.is_dir && asserts_directory(&destination.path) {
        return Err(PlacementError::DirNotExists);
    }
    Ok(renamed(destination_dir))
}

/// Go's `filepath.Clean` on Unix: the shortest equivalent path (no `.`, no `..` that can be
/// resolved, no repeated or trailing `/`); empty becomes `.`.
#[must_use]
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Base`: the last element, trailing slashes ignored; `.` for empty, `/` for root.
#[must_use]
pub fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

/// Go's `filepath.Dir`: everything before the last element, cleaned.
#[must_use]
pub fn dir(path: &str) -> String {
    match path.rfind('/') {
        Some(index) => clean(&path[..=index]),
        None => ".".to_owned(),
    }
}

/// Go's `filepath.Join` of two elements (empty ones ignored), cleaned.
#[must_use]
pub fn join(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(second),
        (false, true) => clean(first),
        (false, false) => clean(&format!("{first}/{second}")),
    }
}

/// Whether `path` ends with `/`.
#[must_use]
pub fn has_trailing_separator(path: &str) -> bool {
    path.ends_with('/')
}

/// Whether `path`'s last element is `.` (`dir/.`, `.`).
#[must_use]
pub fn specifies_current_dir(path: &str) -> bool {
    base(path) == "."
}

/// Whether `path` asserts a directory: it ends with `/` or `/.`.
#[must_use]
pub fn asserts_directory(path: &str) -> bool {
    has_trailing_separator(path) || specifies_current_dir(path)
}

/// `cleaned` with the trailing `/.` or `/` that `original` had and cleaning removed (moby's
/// `PreserveTrailingDotOrSeparator`).
#[must_use]
pub fn preserve_trailing_dot_or_separator(cleaned: &str, original: &str) -> String {
    let mut cleaned = cleaned.to_owned();
    if !specifies_current_dir(&cleaned) && specifies_current_dir(original) {
        if !has_trailing_separator(&cleaned) {
            cleaned.push('/');
        }
        cleaned.push('.');
    }
    if !has_trailing_separator(&cleaned) && has_trailing_separator(original) {
        cleaned.push('/');
    }
    cleaned
}

/// Splits `path` into its directory and base name after cleaning it, keeping a trailing `.`:
/// `/a/b/` gives (`/a`, `b`), `/a/b/.` gives (`/a/b`, `.`) (moby's `SplitPathDirEntry`).
#[must_use]
pub fn split_path_dir_entry(path: &str) -> (String, String) {
    let mut cleaned = clean(path);
    if specifies_current_dir(path) {
        cleaned.push_str("/.");
    }
    (dir(&cleaned), base(&cleaned))
}

/// `resolved` (a followed symlink's target) with `path`'s trailing `/.` or `/`, and the name the
/// copy must keep when the target's base name differs (moby's `GetRebaseName`).
#[must_use]
pub fn rebase_name(path: &str, resolved: &str) -> (String, Option<String>) {
    let mut resolved = resolved.to_owned();
    if specifies_current_dir(path) && !specifies_current_dir(&resolved) {
        resolved.push_str("/.");
    }
    if has_trailing_separator(path) && !has_trailing_separator(&resolved) {
        resolved.push('/');
    }
    let name = (base(path) != base(&resolved)).then(|| base(path));
    (resolved, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: &str, exists: bool, is_dir: bool) -> CopyInfo {
        CopyInfo {
            path: path.to_owned(),
            exists,
            is_dir,
            rebase_name: None,
        }
    }

    fn rebase(from: &str, to: &str) -> Option<Rebase> {
        Some(Rebase {
            from: from.to_owned(),
            to: to.to_owned(),
        })
    }

    #[test]
    fn clean_matches_go() {
        for (input, expected) in [
            ("", "."),
            ("/", "/"),
            ("//a//b/", "/a/b"),
            ("a/./b/.", "a/b"),
            ("/a/../..", "/"),
            ("../a/..", ".."),
            ("a/b/../../..", ".."),
            ("./", "."),
            ("/tmp/x/.", "/tmp/x"),
        ] {
            assert_eq!(clean(input), expected, "clean({input:?})");
        }
    }

    #[test]
    fn base_and_dir_match_go() {
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("/"), "/");
        assert_eq!(base(""), ".");
        assert_eq!(base("a/."), ".");
        assert_eq!(dir("/a/b"), "/a");
        assert_eq!(dir("/a/b/"), "/a/b");
        assert_eq!(dir("b"), ".");
        assert_eq!(dir("/b"), "/");
        assert_eq!(join("/a/b", "../c"), "/a/c");
        assert_eq!(join("/a", "/etc/x"), "/a/etc/x");
    }

    #[test]
    fn trailing_dot_and_separator_survive_cleaning() {
        assert_eq!(preserve_trailing_dot_or_separator("/w/d", "d/"), "/w/d/");
        assert_eq!(preserve_trailing_dot_or_separator("/w/d", "d/."), "/w/d/.");
        assert_eq!(preserve_trailing_dot_or_separator("/w/d", "d"), "/w/d");
        assert_eq!(preserve_trailing_dot_or_separator("/", "/."), "/.");
        assert_eq!(preserve_trailing_dot_or_separator("/w", "."), "/w/.");
    }

    #[test]
    fn split_keeps_the_current_dir_dot() {
        assert_eq!(split_path_dir_entry("/a/b/"), ("/a".into(), "b".into()));
        assert_eq!(split_path_dir_entry("/a/b/."), ("/a/b".into(), ".".into()));
        assert_eq!(split_path_dir_entry("/a"), ("/".into(), "a".into()));
        assert_eq!(split_path_dir_entry("/"), ("/".into(), "/".into()));
    }

    #[test]
    fn asserted_directories() {
        assert!(asserts_directory("/x/"));
        assert!(asserts_directory("/x/."));
        assert!(!asserts_directory("/x"));
        assert!(!asserts_directory("/x/.hidden"));
    }

    /// docker cp's documented table, one row per case.
    #[test]
    fn placement_table() {
        let file = info("/src/f.txt", true, false);
        let directory = info("/src/d", true, true);
        let contents = info("/src/d/.", true, true);
        // Destination exists as a directory: extracted into it, names kept.
        assert_eq!(
            place(&directory, &info("/dst", true, true)),
            Ok(Placement {
                extract_dir: "/dst".into(),
                rebase: None
            })
        );
        assert_eq!(
            place(&contents, &info("/dst/", true, true)),
            Ok(Placement {
                extract_dir: "/dst/".into(),
                rebase: None
            })
        );
        // A directory onto a file.
        assert_eq!(
            place(&directory, &info("/dst/f", true, false)),
            Err(PlacementError::CannotCopyDir)
        );
        // A file onto a file: renamed, into the parent.
        assert_eq!(
            place(&file, &info("/dst/g.txt", true, false)),
            Ok(Placement {
                extract_dir: "/dst".into(),
                rebase: rebase("f.txt", "g.txt")
            })
        );
        // A directory (or its contents) to a new path: created under the new name.
        assert_eq!(
            place(&directory, &info("/dst/new", false, false)),
            Ok(Placement {
                extract_dir: "/dst".into(),
                rebase: rebase("d", "new")
            })
        );
        assert_eq!(
            place(&contents, &info("/dst/new/", false, false)),
            Ok(Placement {
                extract_dir: "/dst".into(),
                rebase: rebase(".", "new")
            })
        );
        // A file to a new path that asserts a directory.
        assert_eq!(
            place(&file, &info("/dst/new/", false, false)),
            Err(PlacementError::DirNotExists)
        );
        assert_eq!(
            place(&file, &info("/dst/new/.", false, false)),
            Err(PlacementError::DirNotExists)
        );
        // A file to a new name.
        assert_eq!(
            place(&file, &info("/dst/new.txt", false, false)),
            Ok(Placement {
                extract_dir: "/dst".into(),
                rebase: rebase("f.txt", "new.txt")
            })
        );
        // A followed symlink keeps the name the user gave.
        let followed = CopyInfo {
            rebase_name: Some("link".into()),
            ..info("/src/target", true, false)
        };
        assert_eq!(
            place(&followed, &info("/dst", true, true)).map(|p| p.rebase),
            Ok(None)
        );
        assert_eq!(
            place(&followed, &info("/dst/x", false, false)).map(|p| p.rebase),
            Ok(rebase("link", "x"))
        );
    }

    #[test]
    fn rebase_renames_the_top_entry_only() {
        let rename = Rebase {
            from: "d".into(),
            to: "new".into(),
        };
        assert_eq!(rename.apply("d"), "new");
        assert_eq!(rename.apply("d/"), "new/");
        assert_eq!(rename.apply("d/a/b"), "new/a/b");
        assert_eq!(rename.apply("dd/a"), "dd/a");
        let contents = Rebase {
            from: ".".into(),
            to: "new".into(),
        };
        assert_eq!(contents.apply("./"), "new/");
        assert_eq!(contents.apply("./a"), "new/a");
        let root = Rebase {
            from: String::new(),
            to: "x".into(),
        };
        assert_eq!(root.apply("/a"), "x/a");
    }

    #[test]
    fn followed_links_keep_the_asked_name() {
        assert_eq!(
            rebase_name("/c/link", "/c/target"),
            ("/c/target".into(), Some("link".into()))
        );
        assert_eq!(
            rebase_name("/c/link/", "/c/t"),
            ("/c/t/".into(), Some("link".into()))
        );
        assert_eq!(rebase_name("/c/link/.", "/c/t"), ("/c/t/.".into(), None));
        assert_eq!(rebase_name("/c/same", "/o/same"), ("/o/same".into(), None));
    }
}
