//! Relative paths made absolute, as compose-go's `paths.ResolveRelativePaths` does it.
//!
//! Every relative path in the merged model is resolved against the *project* directory, whichever
//! file it was written in, with `~` expanded to the user's home. Windows-absolute sources (`C:\x`,
//! `\\host\share`) are kept as written so a Linux client can still drive a Windows engine, and
//! build contexts that name something remote (`https://…`, `git@…`, `service:…`) are not paths.
//! The Go path helpers this needs (`path.Clean`, `filepath.Join`) live here too.

use std::path::Path;

use crate::loader::tree::{Map, TreePath, Value};

use super::{NormalizeError, children_mut, go_type_name};

/// Go's `path.Clean` for slash-separated paths: no `.` or empty segments, `..` folded into its
/// parent (or dropped at the root), no trailing slash, and `.` for an empty result.
#[must_use]
pub fn clean_slash_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => match segments.last() {
                Some(&last) if last != ".." => {
                    segments.pop();
                }
                _ if rooted => {}
                _ => segments.push(".."),
            },
            _ => segments.push(segment),
        }
    }
    let joined = segments.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Join(base, path)` on Unix: the non-empty parts joined by `/`, then cleaned.
#[must_use]
pub fn join_path(base: &str, path: &str) -> String {
    match (base.is_empty(), path.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean_slash_path(path),
        (false, true) => clean_slash_path(base),
        (false, false) => clean_slash_path(&format!("{base}/{path}")),
    }
}

/// compose-go's `ExpandUser`: a leading `~` is replaced by the home directory (so `~user/x`
/// becomes `<home>/user/x`, as in Compose). Without a home the path is kept and Compose's warning
/// is recorded.
fn expand_user(path: &str, home: Option<&str>, warnings: &mut Vec<String>) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_owned();
    };
    match home {
        Some(home) if !home.is_empty() => join_path(home, rest),
        _ => {
            warnings.push("cannot expand '~', because the environment lacks HOME".to_owned());
            path.to_owned()
        }
    }
}

fn is_separator(byte: u8) -> bool {
    byte == b'\\' || byte == b'/'
}

/// Whether `path` is absolute for Windows (`C:\x`, `C:/x`, `\\host\share`, `\\.\pipe\x`).
#[must_use]
pub fn is_windows_abs(path: &str) -> bool {
    let bytes = path.as_bytes();
    let volume = windows_volume_name_len(bytes);
    if volume == 0 {
        return false;
    }
    if bytes.len() >= 2 && is_separator(bytes[0]) && is_separator(bytes[1]) {
        return true;
    }
    bytes.get(volume).is_some_and(|&byte| is_separator(byte))
}

/// The length of the volume name at the start of a Windows path (Go's `volumeNameLen`).
fn windows_volume_name_len(path: &[u8]) -> usize {
    if path.len() >= 2 && path[1] == b':' {
        return 2;
    }
    if path.is_empty() || !is_separator(path[0]) {
        return 0;
    }
    if has_prefix_fold(path, b"\\\\.\\UNC") {
        return unc_len(path, b"\\\\.\\UNC\\".len());
    }
    if has_prefix_fold(path, b"\\\\.")
        || has_prefix_fold(path, b"\\\\?")
        || has_prefix_fold(path, b"\\??")
    {
        if path.len() == 3 {
            return 3;
        }
        let rest = &path[4.min(path.len())..];
        return match rest.iter().position(|&byte| is_separator(byte)) {
            None => path.len(),
            Some(position) => path.len() - (rest.len() - position - 1) - 1,
        };
    }
    if path.len() >= 2 && is_separator(path[1]) {
        return unc_len(path, 2);
    }
    0
}

/// Case-insensitive prefix test where either slash matches either slash, and the prefix must end
/// at a separator or the end of the path.
fn has_prefix_fold(path: &[u8], prefix: &[u8]) -> bool {
    if path.len() < prefix.len() {
        return false;
    }
    let matches = prefix.iter().zip(path).all(|(&expected, &actual)| {
        if is_separator(expected) {
            is_separator(actual)
        } else {
            expected.eq_ignore_ascii_case(&actual)
        }
    });
    matches
        && path
            .get(prefix.len())
            .is_none_or(|&byte| is_separator(byte))
}

/// The length of `\\host\share`: up to the second separator after the prefix.
fn unc_len(path: &[u8], prefix_len: usize) -> usize {
    let mut separators = 0;
    for (index, &byte) in path.iter().enumerate().skip(prefix_len) {
        if is_separator(byte) {
            separators += 1;
            if separators == 2 {
                return index;
            }
        }
    }
    path.len()
}

/// Whether an `extends.file` names a remote resource Compose would fetch (OCI artifact or git
/// repository) rather than a local file.
fn is_remote_resource(path: &str) -> bool {
    if path.starts_with("oci://") {
        return true;
    }
    if path.starts_with("./") || path.starts_with("../") {
        return false;
    }
    if path.starts_with("github.com/") {
        return true;
    }
    if let Some((scheme, rest)) = path.split_once("://")
        && !scheme.is_empty()
        && scheme.bytes().all(|byte| byte.is_ascii_alphanumeric())
    {
        return match scheme.to_ascii_lowercase().as_str() {
            // Plain web URLs are git repositories only with a `.git` path.
            "http" | "https" => {
                let without_fragment = rest.split('#').next().unwrap_or_default();
                let without_query = without_fragment.split('?').next().unwrap_or_default();
                without_query.ends_with(".git")
            }
            "git" | "ssh" => true,
            _ => false,
        };
    }
    is_scp_style_url(path)
}

/// `user@host:path`, the scp-like form git accepts for ssh.
fn is_scp_style_url(path: &str) -> bool {
    let Some((user, rest)) = path.split_once('@') else {
        return false;
    };
    let Some((host, _)) = rest.split_once(':') else {
        return false;
    };
    let user_ok = !user.is_empty()
        && user
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte));
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-.".contains(&byte));
    user_ok && host_ok
}

/// Whether a build context names something that is not a local directory.
fn is_remote_context(context: &str) -> bool {
    context.contains("://")
        || context.starts_with("service:")
        || [
            "https://",
            "http://",
            "git://",
            "ssh://",
            "github.com/",
            "git@",
        ]
        .iter()
        .any(|prefix| context.starts_with(prefix))
}

/// Resolves every relative path of the model against `working_dir`; see the module comment.
pub(super) struct Resolver<'a> {
    working_dir: String,
    home: Option<&'a str>,
    warnings: &'a mut Vec<String>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(
        working_dir: &Path,
        home: Option<&'a str>,
        warnings: &'a mut Vec<String>,
    ) -> Self {
        Self {
            working_dir: working_dir.to_string_lossy().into_owned(),
            home,
            warnings,
        }
    }

    pub(super) fn resolve_project(&mut self, dict: &mut Value) -> Result<(), NormalizeError> {
        let Some(root) = dict.as_object_mut() else {
            return Ok(());
        };
        if let Some(Value::Object(services)) = root.get_mut("services") {
            for (name, service) in services.iter_mut() {
                if let Value::Object(service) = service {
                    self.resolve_service(name, service)?;
                }
            }
        }
        for kind in ["configs", "secrets"] {
            if let Some(Value::Object(resources)) = root.get_mut(kind) {
                for resource in resources.values_mut() {
                    if let Some(file) = resource.get_mut("file") {
                        self.maybe_unix_path(file);
                    }
                }
            }
        }
        if let Some(Value::Object(volumes)) = root.get_mut("volumes") {
            for volume in volumes.values_mut() {
                self.resolve_driver_opts(volume);
            }
        }
        Ok(())
    }

    fn resolve_service(&mut self, name: &str, service: &mut Map) -> Result<(), NormalizeError> {
        let here = || TreePath::keys(&["services", name]);
        if let Some(Value::Object(build)) = service.get_mut("build") {
            if let Some(context) = build.get_mut("context") {
                self.abs_context_path(context);
            }
            if let Some(contexts) = build.get_mut("additional_contexts") {
                for context in children_mut(contexts) {
                    self.abs_context_path(context);
                }
            }
            if let Some(keys) = build.get_mut("ssh") {
                for key in children_mut(keys) {
                    self.maybe_unix_path(key);
                }
            }
        }
        if let Some(env_files) = service.get_mut("env_file") {
            for (index, env_file) in children_mut(env_files).enumerate() {
                if let Some(path) = env_file.get_mut("path") {
                    self.abs_path(path, &|| here().key("env_file").index(index).key("path"))?;
                }
            }
        }
        if let Some(label_files) = service.get_mut("label_file") {
            for (index, label_file) in children_mut(label_files).enumerate() {
                self.abs_path(label_file, &|| here().key("label_file").index(index))?;
            }
        }
        if let Some(Value::Object(extends)) = service.get_mut("extends")
            && let Some(file) = extends.get_mut("file")
        {
            let remote = file.as_str().is_some_and(is_remote_resource);
            if !remote {
                self.abs_path(file, &|| here().key("extends").key("file"))?;
            }
        }
        if let Some(Value::Object(develop)) = service.get_mut("develop")
            && let Some(watch) = develop.get_mut("watch")
        {
            for (index, rule) in children_mut(watch).enumerate() {
                if let Some(path) = rule.get_mut("path") {
                    let location = || here().key("develop").key("watch").index(index).key("path");
                    self.abs_path(path, &location)?;
                    resolve_symbolic_link(path, &location)?;
                }
            }
        }
        if let Some(volumes) = service.get_mut("volumes") {
            for (index, volume) in children_mut(volumes).enumerate() {
                self.abs_volume_mount(volume, &|| here().key("volumes").index(index))?;
            }
        }
        Ok(())
    }

    /// compose-go's `absPath`: strings (and lists of strings) made absolute; `""` stays empty.
    fn abs_path(
        &mut self,
        value: &mut Value,
        location: &dyn Fn() -> TreePath,
    ) -> Result<(), NormalizeError> {
        match value {
            Value::Array(items) => {
                for item in items {
                    self.abs_path(item, location)?;
                }
                Ok(())
            }
            Value::String(path) => {
                let expanded = expand_user(path, self.home, self.warnings);
                *path = if expanded.starts_with('/') || expanded.is_empty() {
                    expanded
                } else {
                    join_path(&self.working_dir, &expanded)
                };
                Ok(())
            }
            other => Err(NormalizeError::UnexpectedPathType {
                path: location(),
                found: go_type_name(other),
            }),
        }
    }

    fn abs_context_path(&mut self, value: &mut Value) {
        if let Value::String(context) = value
            && !is_remote_context(context)
        {
            let expanded = expand_user(context, self.home, self.warnings);
            *context = if expanded.starts_with('/') || expanded.is_empty() {
                expanded
            } else {
                join_path(&self.working_dir, &expanded)
            };
        }
    }

    /// compose-go's `maybeUnixPath`: like `absPath`, but Windows-absolute paths are kept.
    fn maybe_unix_path(&mut self, value: &mut Value) {
        if let Value::String(path) = value {
            let expanded = expand_user(path, self.home, self.warnings);
            *path = if expanded.starts_with('/') || is_windows_abs(&expanded) {
                expanded
            } else {
                join_path(&self.working_dir, &expanded)
            };
        }
    }

    fn abs_volume_mount(
        &mut self,
        volume: &mut Value,
        location: &dyn Fn() -> TreePath,
    ) -> Result<(), NormalizeError> {
        let Value::Object(volume) = volume else {
            return Ok(());
        };
        if volume.get("type").and_then(Value::as_str) != Some("bind") {
            return Ok(());
        }
        match volume.get_mut("source") {
            None => Err(NormalizeError::BindWithoutSource { path: location() }),
            Some(source) => {
                self.maybe_unix_path(source);
                Ok(())
            }
        }
    }

    /// A local-driver volume bound to a host directory (`o: bind`) has a path in `device`.
    fn resolve_driver_opts(&mut self, volume: &mut Value) {
        let Value::Object(volume) = volume else {
            return;
        };
        if volume.get("driver").and_then(Value::as_str) != Some("local") {
            return;
        }
        let Some(Value::Object(options)) = volume.get_mut("driver_opts") else {
            return;
        };
        if options.get("o").and_then(Value::as_str) != Some("bind") {
            return;
        }
        if let Some(device) = options.get_mut("device") {
            self.maybe_unix_path(device);
        }
    }
}

/// compose-go's `ResolveSymbolicLink`: the first component of the path that is a symbolic link
/// is replaced by its fully resolved target; the rest of the path is kept.
fn resolve_symbolic_link(
    value: &mut Value,
    location: &dyn Fn() -> TreePath,
) -> Result<(), NormalizeError> {
    let Value::String(path) = value else {
        return Ok(());
    };
    let mut current = if path.starts_with('/') {
        String::from("/")
    } else {
        String::new()
    };
    for part in path.split('/').filter(|part| !part.is_empty()) {
        current = join_path(&current, part);
        let is_link =
            std::fs::symlink_metadata(&current).is_ok_and(|meta| meta.file_type().is_symlink());
        if is_link {
            let target =
                std::fs::canonicalize(&current).map_err(|error| NormalizeError::Symlink {
                    path: location(),
                    link: current.clone(),
                    reason: go_io_reason(&error),
                })?;
            *path = path.replacen(&current, &target.to_string_lossy(), 1);
            return Ok(());
        }
    }
    Ok(())
}

/// The wording Go uses for the common I/O failures.
fn go_io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go_path_clean() {
        let cases = [
            ("", "."),
            ("/", "/"),
            ("/p2/../p3/", "/p3"),
            ("/vol//x", "/vol/x"),
            ("a/./b/", "a/b"),
            ("../../a", "../../a"),
            ("/../a", "/a"),
            ("a/..", "."),
            ("v:/v", "v:/v"),
        ];
        for (input, expected) in cases {
            assert_eq!(clean_slash_path(input), expected, "{input}");
        }
    }

    #[test]
    fn windows_absolute_paths() {
        for path in [
            "C:\\x",
            "C:/z",
            "\\\\.\\pipe\\x",
            "\\\\host\\share\\x",
            "c:\\",
        ] {
            assert!(is_windows_abs(path), "{path}");
        }
        for path in ["a:b", "C:", "/x", "./x", "x", "\\x"] {
            assert!(!is_windows_abs(path), "{path}");
        }
    }

    #[test]
    fn remote_resources() {
        for path in [
            "oci://docker.io/x/y:latest",
            "https://github.com/a/b.git#main",
            "git@github.com:a/b.git",
            "github.com/a/b",
            "ssh://host/repo",
        ] {
            assert!(is_remote_resource(path), "{path}");
        }
        for path in [
            "./base.yaml",
            "base.yaml",
            "https://example.com/x.yaml",
            "/abs/x.yaml",
        ] {
            assert!(!is_remote_resource(path), "{path}");
        }
    }
}
