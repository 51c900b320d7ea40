//! Rebuilds where nothing changed, answered without sending anything: after each build berth
//! records, under a fingerprint of every input, the image it made; a later build with the same
//! fingerprint whose image is still there reuses it (and puts back any tag it lost) instead of
//! sending the context again for the daemon to find every step in its cache. That is the answer
//! the daemon's cache would give, minus the upload and the unpacking: the classic builder must
//! receive the whole context to check a `COPY`'s cache, and BuildKit without a session too.
//!
//! The fingerprint covers the daemon's address, the builder, every parameter of the request but
//! the session, the context as the file system describes it ([`super::context::Context::stat_digest`]:
//! paths, modes, sizes, modification times, link targets; no file is read) and the local IDs of
//! the images the Dockerfile reads. No reuse with `no_cache` or `pull`, when a base image is not
//! present, or when the Dockerfile `ADD`s a URL or a git repository (whose content the daemon
//! checks on each build). Records live in `$XDG_CACHE_HOME/berth/builds` (`~/.cache/…`), one
//! small file per fingerprint; losing them only costs a full build.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::{BuildRequest, Builder};

/// Where the records are kept.
fn records_dir() -> Option<PathBuf> {
    Some(crate::cache_dir()?.join("builds"))
}

/// Whether a Dockerfile fetches something whose change only the daemon can see.
fn reads_remote_content(dockerfile: &str) -> bool {
    dockerfile.lines().any(|line| {
        let line = line.trim_start();
        line.get(..4)
            .is_some_and(|word| word.eq_ignore_ascii_case("ADD "))
            && (line.contains("://") || line.contains("git@"))
    })
}

/// The fingerprint of a build, or `None` when it must not be reused.
///
/// `bases` are the images the Dockerfile reads with their local IDs (`None` when missing).
#[must_use]
pub fn fingerprint(
    endpoint: &str,
    request: &BuildRequest,
    dockerfile: &str,
    context_digest: &str,
    bases: &[(String, Option<String>)],
) -> Option<String> {
    if request.no_cache || request.pull || reads_remote_content(dockerfile) {
        return None;
    }
    let mut hasher = Sha256::new();
    let mut field = |name: &str, value: &str| {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    };
    field("endpoint", endpoint);
    field(
        "builder",
        match request.builder {
            Builder::Classic => "classic",
            Builder::BuildKit => "buildkit",
        },
    );
    // The query as sent (tags, arguments, labels, target, hosts, limits…), with the Dockerfile's
    // name as the files give it rather than the generated one of an inline Dockerfile.
    field(
        "query",
        &super::request::query(request, &request.context.dockerfile),
    );
    field("context", context_digest);
    field("dockerfile", dockerfile);
    for (reference, id) in bases {
        field("base", reference);
        field("id", id.as_deref()?);
    }
    Some(
        hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    )
}

/// The image recorded under `fingerprint`, if any.
#[must_use]
pub fn recorded(fingerprint: &str) -> Option<String> {
    let text = std::fs::read_to_string(records_dir()?.join(fingerprint)).ok()?;
    let id = text.trim();
    id.starts_with("sha256:").then(|| id.to_owned())
}

/// Records `image` under `fingerprint`; a record that cannot be written is only a lost
/// shortcut.
pub fn record(fingerprint: &str, image: &str) {
    let Some(dir) = records_dir() else { return };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    // Written aside and renamed, so that a concurrent build never reads half a record.
    let temporary = dir.join(format!(".{fingerprint}.{}", std::process::id()));
    if std::fs::write(&temporary, image).is_ok() {
        let _ = std::fs::rename(&temporary, dir.join(fingerprint));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::context::ContextSpec;
    use crate::build::ignore::IgnoreFiles;

    fn request() -> BuildRequest {
        let mut request = BuildRequest::new(ContextSpec {
            dir: PathBuf::from("/nonexistent"),
            dockerfile: "Dockerfile".into(),
            inline: None,
            ignore_files: IgnoreFiles::Classic,
        });
        request.tags = vec!["app".into()];
        request
    }

    #[test]
    fn every_input_changes_the_fingerprint() {
        let base = [("busybox".to_owned(), Some("sha256:1".to_owned()))];
        let reference = fingerprint("unix:///s", &request(), "FROM busybox", "c", &base).unwrap();
        let same = fingerprint("unix:///s", &request(), "FROM busybox", "c", &base).unwrap();
        assert_eq!(reference, same);
        let mut with_arg = request();
        with_arg.args.insert("A".into(), "1".into());
        let mut buildkit = request();
        buildkit.builder = Builder::BuildKit;
        let mut session = request();
        session.session = Some("abc".into());
        let other_base = [("busybox".to_owned(), Some("sha256:2".to_owned()))];
        for (what, other) in [
            (
                "endpoint",
                fingerprint("tcp://h", &request(), "FROM busybox", "c", &base),
            ),
            (
                "argument",
                fingerprint("unix:///s", &with_arg, "FROM busybox", "c", &base),
            ),
            (
                "builder",
                fingerprint("unix:///s", &buildkit, "FROM busybox", "c", &base),
            ),
            (
                "dockerfile",
                fingerprint("unix:///s", &request(), "FROM busybox\n", "c", &base),
            ),
            (
                "context",
                fingerprint("unix:///s", &request(), "FROM busybox", "d", &base),
            ),
            (
                "base",
                fingerprint("unix:///s", &request(), "FROM busybox", "c", &other_base),
            ),
        ] {
            assert_ne!(other.unwrap(), reference, "{what}");
        }
        // The session's id is not an input.
        assert_eq!(
            fingerprint("unix:///s", &session, "FROM busybox", "c", &base).unwrap(),
            reference
        );
    }

    #[test]
    fn what_only_the_daemon_can_check_is_never_reused() {
        let base = [("busybox".to_owned(), Some("sha256:1".to_owned()))];
        let mut no_cache = request();
        no_cache.no_cache = true;
        let mut pull = request();
        pull.pull = true;
        assert!(fingerprint("u", &no_cache, "FROM busybox", "c", &base).is_none());
        assert!(fingerprint("u", &pull, "FROM busybox", "c", &base).is_none());
        assert!(
            fingerprint(
                "u",
                &request(),
                "FROM busybox\nADD https://x/y /y",
                "c",
                &base
            )
            .is_none()
        );
        assert!(
            fingerprint(
                "u",
                &request(),
                "FROM busybox\nadd git@h:r.git /r",
                "c",
                &base
            )
            .is_none()
        );
        let missing = [("busybox".to_owned(), None)];
        assert!(fingerprint("u", &request(), "FROM busybox", "c", &missing).is_none());
        assert!(fingerprint("u", &request(), "FROM scratch\nADD a.tgz /", "c", &[]).is_some());
    }
}
