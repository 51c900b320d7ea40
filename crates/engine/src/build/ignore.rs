//! `.dockerignore` rules, as Docker applies them (moby's patternmatcher and ignorefile), not as git
//! does: every pattern is cleaned like a path and anchored at the context root, `*` and `?` never
//! cross a `/`, `**` spans any number of directories, a pattern also matches the directories above
//! a path, the last matching rule wins and a `!` rule re-includes even inside an excluded directory.

use crate::archive::paths::clean;
use regex::Regex;
use std::path::Path;

/// A pattern that cannot be compiled (an unclosed `[`, a lone `!`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(String);

/// Reads an ignore file's text into patterns, as moby's `ignorefile.ReadAll`: a UTF-8 BOM is
/// dropped, lines starting with `#` are comments, blank lines are skipped, each pattern is trimmed,
/// cleaned as a path, and loses one leading `/`; `!` is kept in front.
#[must_use]
pub fn parse_ignore_file(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut patterns = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut pattern = pattern.to_owned();
        if !pattern.is_empty() {
            pattern = clean(&pattern);
            if pattern.len() > 1 && pattern.starts_with('/') {
                pattern.remove(0);
            }
        }
        if invert {
            pattern.insert(0, '!');
        }
        patterns.push(pattern);
    }
    patterns
}

#[derive(Debug, Clone)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regexp(Regex),
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Pattern {
    cleaned: String,
    dirs: usize,
    exclusion: bool,
    kind: Kind,
}

impl Pattern {
    /// The cleaned pattern, without its `!`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.cleaned
    }

    /// Whether this is a `!` (re-including) rule.
    #[must_use]
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            Kind::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || (suffix.starts_with('/') && path == &suffix[1..])
            }
            Kind::Regexp(regex) => regex.is_match(path),
        }
    }

    fn compile(cleaned: &str) -> Result<Kind, PatternError> {
        #[derive(PartialEq)]
        enum Detected {
            Exact,
            Prefix,
            Suffix,
            Regexp,
        }
        let mut regex = String::from("^");
        let mut detected = Detected::Exact;
        let mut chars = cleaned.chars().peekable();
        let mut first = true;
        while let Some(ch) = chars.next() {
            match ch {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    if chars.peek() == Some(&'/') {
                        chars.next();
                    }
                    if chars.peek().is_none() {
                        if detected == Detected::Exact {
                            detected = Detected::Prefix;
                        } else {
                            regex.push_str(".*");
                            detected = Detected::Regexp;
                        }
                    } else {
                        regex.push_str("(.*/)?");
                        detected = Detected::Regexp;
                    }
                    if first {
                        detected = Detected::Suffix;
                    }
                }
                '*' => {
                    regex.push_str("[^/]*");
                    detected = Detected::Regexp;
                }
                '?' => {
                    regex.push_str("[^/]");
                    detected = Detected::Regexp;
                }
                '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                    regex.push('\\');
                    regex.push(ch);
                }
                '\\' => match chars.next() {
                    Some(next) => {
                        regex.push('\\');
                        regex.push(next);
                        detected = Detected::Regexp;
                    }
                    None => regex.push('\\'),
                },
                '[' | ']' => {
                    regex.push(ch);
                    detected = Detected::Regexp;
                }
                other => regex.push(other),
            }
            first = false;
        }
        Ok(match detected {
            Detected::Exact => Kind::Exact,
            Detected::Prefix => Kind::Prefix,
            Detected::Suffix => Kind::Suffix,
            Detected::Regexp => {
                regex.push('$');
                Kind::Regexp(
                    Regex::new(&regex)
                        .map_err(|_| PatternError("syntax error in pattern".into()))?,
                )
            }
        })
    }
}

/// Which rules matched a directory, handed down to its entries during a walk
/// (moby's `MatchInfo`).
#[derive(Debug, Clone, Default)]
pub struct ParentMatches(Vec<bool>);

/// A compiled list of rules.
#[derive(Debug, Clone, Default)]
pub struct PatternMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

impl PatternMatcher {
    /// Compiles `patterns` (as read by [`parse_ignore_file`], or given directly).
    ///
    /// # Errors
    /// A lone `!`, or a pattern Go's `filepath.Match` would reject.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, PatternError> {
        let mut matcher = Self::default();
        for pattern in patterns {
            let pattern = pattern.as_ref().trim();
            if pattern.is_empty() {
                continue;
            }
            let mut pattern = clean(pattern);
            let exclusion = pattern.starts_with('!');
            if exclusion {
                if pattern.len() == 1 {
                    return Err(PatternError("illegal exclusion pattern: \"!\"".into()));
                }
                pattern.remove(0);
                matcher.exclusions = true;
            }
            validate_glob(&pattern)?;
            let kind = Pattern::compile(&pattern)?;
            matcher.patterns.push(Pattern {
                dirs: pattern.split('/').count(),
                cleaned: pattern,
                exclusion,
                kind,
            });
        }
        Ok(matcher)
    }

    /// Whether any `!` rule exists.
    #[must_use]
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// The rules in order.
    #[must_use]
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether `file` (a `/`-separated path relative to the context root) is excluded, checking the
    /// path and its parent at each rule's depth (moby's `Matches`).
    #[must_use]
    pub fn matches(&self, file: &str) -> bool {
        let file = clean(file);
        if file == "." {
            return false;
        }
        let parent = parent_of(&file);
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = pattern.matches(&file);
            if !hit && parent != "." && pattern.dirs <= parent_dirs.len() {
                hit = pattern.matches(&parent_dirs[..pattern.dirs].join("/"));
            }
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }

    /// Whether `file` is excluded, given the results of its parent directory (moby's
    /// `MatchesUsingParentResults`, used while walking); also returns the results to hand to
    /// `file`'s own entries when it is a directory.
    #[must_use]
    pub fn matches_using_parent(
        &self,
        file: &str,
        parent: &ParentMatches,
    ) -> (bool, ParentMatches) {
        let mut matched = false;
        let mut info = vec![false; self.patterns.len()];
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut hit = parent.0.get(i).copied().unwrap_or(false);
            if !hit {
                if pattern.exclusion != matched {
                    continue;
                }
                hit = pattern.matches(file);
                if !hit && parent.0.is_empty() {
                    let dir = parent_of(file);
                    if dir != "." {
                        let dirs: Vec<&str> = dir.split('/').collect();
                        hit = (1..=dirs.len()).any(|n| pattern.matches(&dirs[..n].join("/")));
                    }
                }
            }
            info[i] = hit;
            if hit {
                matched = !pattern.exclusion;
            }
        }
        (matched, ParentMatches(info))
    }

    /// Whether an excluded directory may be skipped whole: only when no `!` rule could re-include
    /// something beneath it (the same prefix test moby's tarballer makes).
    #[must_use]
    pub fn can_skip_dir(&self, dir: &str) -> bool {
        if !self.exclusions {
            return true;
        }
        let dir_slash = format!("{dir}/");
        !self
            .patterns
            .iter()
            .any(|p| p.exclusion && format!("{}/", p.cleaned).starts_with(&dir_slash))
    }
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

/// The syntax check Go's `filepath.Match(pattern, ".")` makes: brackets closed, ranges complete,
/// no trailing backslash inside a class.
fn validate_glob(pattern: &str) -> Result<(), PatternError> {
    let bad = || PatternError("syntax error in pattern".into());
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                chars.next().ok_or_else(bad)?;
            }
            '[' => {
                let mut first = true;
                let mut ch = chars.next().ok_or_else(bad)?;
                if ch == '^' {
                    ch = chars.next().ok_or_else(bad)?;
                }
                loop {
                    if ch == ']' && !first {
                        break;
                    }
                    first = false;
                    let mut lo = ch;
                    if lo == '\\' {
                        lo = chars.next().ok_or_else(bad)?;
                    }
                    let _ = lo;
                    ch = chars.next().ok_or_else(bad)?;
                    if ch == '-' {
                        let mut hi = chars.next().ok_or_else(bad)?;
                        if hi == ']' {
                            return Err(bad());
                        }
                        if hi == '\\' {
                            hi = chars.next().ok_or_else(bad)?;
                        }
                        let _ = hi;
                        ch = chars.next().ok_or_else(bad)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Which ignore file a build reads. Compose's classic builder reads only `.dockerignore` at the
/// context root; BuildKit first looks for `<Dockerfile>.dockerignore` next to the Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreFiles {
    /// `.dockerignore` only (classic builder, what `docker compose build` does without BuildKit).
    Classic,
    /// `<Dockerfile>.dockerignore` first, then `.dockerignore` (BuildKit).
    DockerfileFirst,
}

/// Reads the ignore rules of a context: the patterns, and the context-relative path of the file
/// they came from (`None` when there is none).
///
/// # Errors
/// An ignore file that exists but cannot be read.
pub fn read_ignore_rules(
    context_dir: &Path,
    dockerfile: &Path,
    which: IgnoreFiles,
) -> std::io::Result<(Vec<String>, Option<String>)> {
    let mut candidates = Vec::new();
    if which == IgnoreFiles::DockerfileFirst {
        let mut name = dockerfile.as_os_str().to_owned();
        name.push(".dockerignore");
        candidates.push(context_dir.join(name));
    }
    candidates.push(context_dir.join(".dockerignore"));
    for candidate in candidates {
        match std::fs::read(&candidate) {
            Ok(bytes) => {
                let rel = candidate
                    .strip_prefix(context_dir)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .ok();
                return Ok((parse_ignore_file(&String::from_utf8_lossy(&bytes)), rel));
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok((Vec::new(), None))
}

/// Adds `!` rules so that the ignore file and the Dockerfile are always sent (docker CLI's
/// `TrimBuildFilesFromExcludes`); the daemon itself drops them from the build afterwards when the
/// rules exclude them.
#[must_use]
pub fn keep_build_files(
    mut excludes: Vec<String>,
    ignore_file: &str,
    dockerfile: &str,
) -> Vec<String> {
    for keep in [ignore_file, dockerfile] {
        if let Ok(matcher) = PatternMatcher::new(&excludes)
            && matcher.matches(keep)
        {
            excludes.push(format!("!{keep}"));
        }
    }
    excludes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], file: &str) -> bool {
        let rules = parse_ignore_file(&patterns.join("\n"));
        PatternMatcher::new(&rules).unwrap().matches(file)
    }

    #[test]
    fn clean_is_go_path_clean() {
        for (input, want) in [
            ("", "."),
            ("a/b/", "a/b"),
            ("./a", "a"),
            ("a//b", "a/b"),
            ("a/../b", "b"),
            ("../a", "../a"),
            ("/../a", "/a"),
            ("/", "/"),
            ("a/./b/.", "a/b"),
            ("a/b/../..", "."),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
    }

    #[test]
    fn ignore_file_parsing() {
        let text = "\u{feff}# comment\n\n  foo/  \n/bar\n!  ./baz/\n #not a comment\n./\r\n";
        assert_eq!(
            parse_ignore_file(text),
            vec!["foo", "bar", "!baz", "#not a comment", "."]
        );
    }

    #[test]
    fn matching_table() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&["foo"], "foo", true),
            (&["foo"], "foo/bar", true),
            (&["foo"], "a/foo", false),
            (&["*.txt"], "a.txt", true),
            (&["*.txt"], "d/a.txt", false),
            (&["*/*.txt"], "d/a.txt", true),
            (&["**/*.txt"], "d/e/a.txt", true),
            (&["**/*.txt"], "a.txt", true),
            (&["**"], "anything/at/all", true),
            (&["d/**"], "d/x/y", true),
            (&["d/**"], "e/x", false),
            (&["d/**/x"], "d/x", true),
            (&["d/**/x"], "d/a/b/x", true),
            (&["a?c"], "abc", true),
            (&["a?c"], "a/c", false),
            (&["[ab].txt"], "a.txt", true),
            (&["[!ab].txt"], "!.txt", true),
            (&["[!ab].txt"], "c.txt", false),
            (&["[^ab].txt"], "c.txt", true),
            (&["*", "!keep"], "keep", false),
            (&["*", "!keep"], "other", true),
            (&["d", "!d/keep"], "d/keep", false),
            (&["d", "!d/keep"], "d/other", true),
            (&["!d/keep", "d"], "d/keep", true),
            (&["/foo"], "foo", true),
            (&["./foo"], "foo", true),
            (&["foo/"], "foo/x", true),
            (&["a.b"], "axb", false),
            (&["a\\*"], "a*", true),
            (&["a\\*"], "ab", false),
            (&["**/node_modules"], "x/node_modules/y", true),
            (&["*/x"], "a/x/y", true),
        ];
        for (patterns, file, want) in cases {
            assert_eq!(excluded(patterns, file), *want, "{patterns:?} {file}");
        }
    }

    #[test]
    fn walking_results_agree_with_whole_path_matching() {
        let patterns = ["d", "!d/keep*", "**/*.log", "!important.log"];
        let matcher = PatternMatcher::new(&patterns).unwrap();
        let (d, info) = matcher.matches_using_parent("d", &ParentMatches::default());
        assert!(d);
        assert!(!matcher.can_skip_dir("d"));
        assert!(!matcher.matches_using_parent("d/keep1", &info).0);
        assert!(matcher.matches_using_parent("d/other", &info).0);
        assert!(matcher.matches("x.log"));
        assert!(!matcher.matches("important.log"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(PatternMatcher::new(&["!"]).is_err());
        assert!(PatternMatcher::new(&["[a"]).is_err());
        assert!(PatternMatcher::new(&["a\\"]).is_err());
    }

    #[test]
    fn dockerfile_ignore_file_wins_only_when_asked() {
        let dir = std::env::temp_dir().join(format!("berth-ignore-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join(".dockerignore"), "root\n").unwrap();
        std::fs::write(dir.join("sub/Dockerfile.dockerignore"), "specific\n").unwrap();
        let dockerfile = Path::new("sub/Dockerfile");
        let (rules, from) = read_ignore_rules(&dir, dockerfile, IgnoreFiles::Classic).unwrap();
        assert_eq!(
            (rules, from.as_deref()),
            (vec!["root".to_owned()], Some(".dockerignore"))
        );
        let (rules, from) =
            read_ignore_rules(&dir, dockerfile, IgnoreFiles::DockerfileFirst).unwrap();
        assert_eq!(
            (rules, from.as_deref()),
            (
                vec!["specific".to_owned()],
                Some("sub/Dockerfile.dockerignore")
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn build_files_are_kept() {
        let kept = keep_build_files(vec!["*".into()], ".dockerignore", "Dockerfile");
        assert_eq!(kept, vec!["*", "!.dockerignore", "!Dockerfile"]);
        let untouched = keep_build_files(vec!["x".into()], ".dockerignore", "Dockerfile");
        assert_eq!(untouched, vec!["x"]);
    }
}
