//! `berth build` and the builds of `up`, against `docker compose` on the same daemon: the images
//! they make (names, tags, labels, content) with each builder, `--print`, what `up` builds,
//! rebuilds and recreates, `--no-build`, and one build for services that share an image. Every
//! image a test makes is removed when it ends, even on failure.

use std::process::Output;

use serde_json::Value;

use crate::support::{IMAGE, Images, TestProject, docker, text};

fn labels(image: &str) -> Value {
    serde_json::from_str(&docker(&[
        "image",
        "inspect",
        image,
        "--format",
        "{{json .Config.Labels}}",
    ]))
    .expect("labels are JSON")
}

fn image_id(image: &str) -> String {
    docker(&["image", "inspect", image, "--format", "{{.Id}}"])
        .trim()
        .to_owned()
}

fn present(image: &str) -> bool {
    std::process::Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// What a file holds inside an image.
fn file_in(image: &str, path: &str) -> String {
    docker(&["run", "--rm", image, "cat", path])
}

fn container_ids(project: &TestProject) -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> = project
        .containers()
        .iter()
        .map(|container| {
            (
                container["Name"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_owned(),
                container["Id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn build_makes_the_images_compose_makes_with_each_builder() {
    let project = TestProject::new(
        "buildcmp",
        "services:\n  web:\n    build:\n      context: ./app\n      args: [GREETING, FIXED=fixed]\n      labels: {com.example.team: berth}\n      tags: [berthtest-buildcmp-extra:1]\n  db:\n    image: berthtest-buildcmp-db\n    build: ./app\n  cache:\n    image: ${IMAGE}\n",
    );
    let app = project.dir.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("Dockerfile"),
        format!(
            "FROM {IMAGE}\nARG GREETING\nARG FIXED\nRUN echo \"$GREETING $FIXED\" > /greeting\n"
        ),
    )
    .unwrap();
    std::fs::write(project.dir.join(".env"), "GREETING=hello\n").unwrap();
    let names = [
        "berthtest-buildcmp-web",
        "berthtest-buildcmp-extra:1",
        "berthtest-buildcmp-db",
    ];
    let _images = Images(names.iter().map(|name| (*name).to_owned()).collect());
    for builder in ["0", "1"] {
        let env = [("DOCKER_BUILDKIT", builder)];
        let oracle = project.compose_env(&env, &["build"]);
        assert!(oracle.status.success(), "{}", text(&oracle));
        let expected: Vec<(Value, String)> = names
            .iter()
            .map(|name| (labels(name), file_in(name, "/greeting")))
            .collect();
        for name in names {
            docker(&["rmi", "-f", name]);
        }
        let built = project.berth_env(&env, &["build"]);
        assert!(built.status.success(), "{}", text(&built));
        let stderr = String::from_utf8_lossy(&built.stderr);
        for service in ["web", "db"] {
            assert!(
                stderr.contains(&format!(" Service {service}  Built")),
                "DOCKER_BUILDKIT={builder}: {stderr}"
            );
        }
        assert!(!stderr.contains("Service cache"), "{stderr}");
        let actual: Vec<(Value, String)> = names
            .iter()
            .map(|name| (labels(name), file_in(name, "/greeting")))
            .collect();
        assert_eq!(actual, expected, "DOCKER_BUILDKIT={builder}");
        assert_eq!(actual[0].1, "hello fixed\n");
        // The extra tag is the same image.
        assert_eq!(
            image_id("berthtest-buildcmp-web"),
            image_id("berthtest-buildcmp-extra:1")
        );
        for name in names {
            docker(&["rmi", "-f", name]);
        }
    }

    // Flags: `--build-arg` overrides, `-q` prints nothing, an unknown service is Compose's error.
    let quiet = project.berth(&["build", "-q", "--build-arg", "GREETING=flag", "web"]);
    assert!(quiet.status.success(), "{}", text(&quiet));
    assert_eq!(text(&quiet), "");
    assert_eq!(
        file_in("berthtest-buildcmp-web", "/greeting"),
        "flag fixed\n"
    );
    assert!(!present("berthtest-buildcmp-db"), "only web was named");
    let unknown = project.berth(&["build", "nope"]);
    let oracle = project.compose(&["build", "nope"]);
    assert_eq!(unknown.status.code(), oracle.status.code());
    assert!(
        text(&unknown).contains("no such service: nope"),
        "{}",
        text(&unknown)
    );
}

#[test]
fn build_print_is_composes_bake_file() {
    let project = TestProject::new(
        "buildprint",
        r#"services:
  web:
    build:
      context: ./app
      dockerfile: web.Dockerfile
      args:
        PLAIN: "1"
        TEMPLATE: "$${HOME}"
        FROM_ENV:
      labels: [com.example.a=1, com.example.b=2]
      tags: [berthtest-buildprint-web:extra]
      cache_from: [type=local,src=/tmp/cache]
      cache_to: [type=local,dest=/tmp/cache]
      target: dev
      network: host
      shm_size: 128m
      ulimits:
        nofile: {soft: 1024, hard: 2048}
      extra_hosts:
        one: 10.0.0.1
        many: [10.0.0.2, 10.0.0.3]
      secrets:
        - token
        - source: key
          target: renamed
      ssh: [default]
      platforms: [linux/amd64]
      pull: true
      no_cache: true
      additional_contexts:
        base: service:base.svc
        docs: ./docs
      provenance: "true"
      sbom: mode=max
  base.svc:
    image: berthtest-buildprint-base
    build:
      context: ./app
      dockerfile_inline: |
        FROM scratch
        LABEL x=${NOT_INTERPOLATED:-no}
      ulimits:
        nproc: 65535
  plain:
    image: ${IMAGE}
secrets:
  token:
    environment: TOKEN
  key:
    file: ./key.txt
"#,
    );
    let app = project.dir.join("app");
    std::fs::create_dir_all(app.join("docs")).unwrap();
    std::fs::write(app.join("web.Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(project.dir.join(".env"), "FROM_ENV=from-env\nTOKEN=t\n").unwrap();
    // The default group's order is Go's map order in Compose: compare it sorted.
    let normalise = |output: &Output| -> Value {
        assert!(output.status.success(), "{}", text(output));
        let mut value: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let targets = value["group"]["default"]["targets"]
            .as_array_mut()
            .expect("targets");
        targets.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        value
    };
    for args in [
        &["build", "--print"][..],
        &["build", "--print", "web"],
        &[
            "build",
            "--print",
            "--no-cache",
            "--pull",
            "--build-arg",
            "PLAIN=2",
            "--build-arg",
            "FROM_ENV",
            "base.svc",
        ],
    ] {
        let berth = project.berth(args);
        let compose = project.compose(args);
        assert_eq!(normalise(&berth), normalise(&compose), "{args:?}");
        // Byte for byte apart from the group's order.
        assert_eq!(berth.stdout.len(), compose.stdout.len(), "{args:?}");
    }
}

#[test]
fn up_builds_what_is_missing_and_rebuilds_only_what_changed() {
    let project = TestProject::new(
        "buildup",
        "services:\n  a:\n    build: ./a\n    command: [sleep, \"600\"]\n  b:\n    build: ./b\n    command: [sleep, \"600\"]\n    depends_on: [a]\n",
    );
    let _images = Images(vec![
        "berthtest-buildup-a".into(),
        "berthtest-buildup-b".into(),
    ]);
    for (service, word) in [("a", "first"), ("b", "first")] {
        let dir = project.dir.join(service);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            format!("FROM {IMAGE}\nRUN echo {word} > /word\n"),
        )
        .unwrap();
    }
    let up = project.berth(&["up", "-d"]);
    assert!(up.status.success(), "{}", text(&up));
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(stderr.contains(" Service a  Built"), "{stderr}");
    assert!(stderr.contains(" Service b  Built"), "{stderr}");
    let first = container_ids(&project);
    assert_eq!(first.len(), 2);
    // Each container carries its image's ID, as Compose's `image` label.
    for container in project.containers() {
        let service = crate::support::label(&container, "com.docker.compose.service").to_owned();
        assert_eq!(
            crate::support::label(&container, "com.docker.compose.image"),
            image_id(&format!("berthtest-buildup-{service}"))
        );
    }

    // Nothing changed: nothing is built, nothing recreated.
    let again = project.berth(&["up", "-d"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(!text(&again).contains("Building"), "{}", text(&again));
    assert_eq!(container_ids(&project), first);

    // Compose agrees there is nothing to do with what berth built.
    let oracle = project.compose(&["up", "-d"]);
    assert!(oracle.status.success(), "{}", text(&oracle));
    assert_eq!(
        container_ids(&project),
        first,
        "Compose recreated berth's containers"
    );

    // b's Dockerfile changes: `--build` rebuilds both, but only b's image changes, so only b is
    // recreated.
    std::fs::write(
        project.dir.join("b/Dockerfile"),
        format!("FROM {IMAGE}\nRUN echo second > /word\n"),
    )
    .unwrap();
    let old_a = image_id("berthtest-buildup-a");
    let rebuilt = project.berth(&["up", "-d", "--build"]);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt));
    assert_eq!(image_id("berthtest-buildup-a"), old_a, "a was cached");
    let after = container_ids(&project);
    assert_eq!(after[0], first[0], "a kept its container");
    assert_ne!(after[1].1, first[1].1, "b was recreated");
    let word = docker(&["exec", &after[1].0, "cat", "/word"]);
    assert_eq!(word, "second\n");

    // `--no-build` with a missing image: a clear error, and nothing is created.
    project.berth_ok(&["down", "-t", "0"]);
    docker(&["rmi", "-f", "berthtest-buildup-a"]);
    let refused = project.berth(&["up", "-d", "--no-build"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains(
            "service \"a\": image \"berthtest-buildup-a\" is not present and --no-build forbids building it"
        ),
        "{}",
        text(&refused)
    );
    assert!(project.containers().is_empty());
    assert!(!present("berthtest-buildup-a"));
    // `build` builds the named services; `--with-dependencies` adds what they depend on.
    docker(&["rmi", "-f", "berthtest-buildup-b"]);
    project.berth_ok(&["build", "-q", "b"]);
    assert!(present("berthtest-buildup-b") && !present("berthtest-buildup-a"));
    project.berth_ok(&["build", "-q", "--with-dependencies", "b"]);
    assert!(present("berthtest-buildup-a"));
    let conflict = project.berth(&["up", "-d", "--build", "--no-build"]);
    assert!(text(&conflict).contains("--build and --no-build are incompatible"));
}

#[test]
fn services_sharing_an_image_build_it_once() {
    let project = TestProject::new(
        "buildshared",
        "services:\n  one:\n    image: berthtest-buildshared\n    build: .\n    command: [sleep, \"600\"]\n  two:\n    image: berthtest-buildshared\n    build: .\n    command: [sleep, \"600\"]\n  three:\n    build:\n      context: .\n      dockerfile_inline: \"FROM {IMAGE}\\nRUN echo inline > /word\\n\"\n    command: [sleep, \"600\"]\n    pull_policy: build\n"
            .replace("{IMAGE}", IMAGE)
            .as_str(),
    );
    let _images = Images(vec![
        "berthtest-buildshared".into(),
        "berthtest-buildshared-three".into(),
    ]);
    std::fs::write(
        project.dir.join("Dockerfile"),
        format!("FROM {IMAGE}\nRUN echo shared > /word\n"),
    )
    .unwrap();
    let built = project.berth(&["up", "-d"]);
    assert!(built.status.success(), "{}", text(&built));
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert_eq!(stderr.matches("  Building").count(), 2, "{stderr}");
    assert_eq!(file_in("berthtest-buildshared-three", "/word"), "inline\n");
    let containers = project.containers();
    assert_eq!(containers.len(), 3);
    // `pull_policy: build` builds again on every `up` (from the cache here).
    let again = project.berth(&["up", "-d"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains(" Service three  Built"), "{stderr}");
    assert!(!stderr.contains("Service one"), "{stderr}");
}

#[test]
fn build_secrets_reach_buildkit_builds_as_composes_do() {
    let project = TestProject::new(
        "buildsecret",
        "services:\n  app:\n    build:\n      context: .\n      secrets:\n        - token\n        - source: key\n          target: renamed\nsecrets:\n  token:\n    environment: TOKEN\n  key:\n    file: ./key.txt\n",
    );
    let image = "berthtest-buildsecret-app";
    let _images = Images(vec![image.into()]);
    std::fs::write(project.dir.join("key.txt"), "from-a-file\n").unwrap();
    std::fs::write(project.dir.join(".env"), "TOKEN=from-the-environment\n").unwrap();
    // Each tool writes what it was given; the secrets themselves stay out of the layers.
    std::fs::write(
        project.dir.join("Dockerfile"),
        format!(
            "FROM {IMAGE}\nRUN --mount=type=secret,id=token --mount=type=secret,id=renamed cat /run/secrets/token /run/secrets/renamed | md5sum > /sums\n"
        ),
    )
    .unwrap();
    // Compose's embedded buildx reads an `environment` secret from its own process environment
    // only (its bake path, like berth, from the project's, `.env` included): give it both.
    let compose = project.compose_env(
        &[("DOCKER_BUILDKIT", "1"), ("TOKEN", "from-the-environment")],
        &["build"],
    );
    assert!(compose.status.success(), "{}", text(&compose));
    let expected = file_in(image, "/sums");
    docker(&["rmi", "-f", image]);
    let built = project.berth_env(&[("DOCKER_BUILDKIT", "1")], &["build", "--no-cache"]);
    assert!(built.status.success(), "{}", text(&built));
    assert_eq!(file_in(image, "/sums"), expected);
    let digest = docker(&[
        "run",
        "--rm",
        IMAGE,
        "sh",
        "-c",
        "printf 'from-the-environmentfrom-a-file\\n' | md5sum",
    ]);
    assert_eq!(expected, digest);
    // The classic builder cannot: Compose's words.
    let classic = project.berth_env(&[("DOCKER_BUILDKIT", "0")], &["build"]);
    assert!(!classic.status.success());
    assert!(
        text(&classic).contains(
            "the classic builder doesn't support secrets, set DOCKER_BUILDKIT=1 to use BuildKit"
        ),
        "{}",
        text(&classic)
    );
}

#[test]
fn a_rebuild_where_nothing_changed_reuses_the_image_without_sending_the_context() {
    let project = TestProject::new(
        "buildreuse",
        "services:\n  app:\n    build:\n      context: .\n      tags: [berthtest-buildreuse-extra:1]\n",
    );
    let image = "berthtest-buildreuse-app";
    // Every image a build makes is removed at the end, also those a later build untagged.
    let mut images = Images(vec![image.into(), "berthtest-buildreuse-extra:1".into()]);
    std::fs::write(
        project.dir.join("Dockerfile"),
        format!("FROM {IMAGE}\nCOPY . /ctx/\nRUN cat /ctx/data > /copy\n"),
    )
    .unwrap();
    std::fs::write(project.dir.join("data"), "one\n").unwrap();
    for builder in ["0", "1"] {
        let env = [("DOCKER_BUILDKIT", builder)];
        docker(&["rmi", "-f", image, "berthtest-buildreuse-extra:1"]);
        let first = project.berth_env(&env, &["build"]);
        assert!(first.status.success(), "{}", text(&first));
        assert!(!text(&first).contains("reused"), "{}", text(&first));
        let id = image_id(image);
        images.0.push(id.clone());

        let again = project.berth_env(&env, &["build"]);
        assert!(again.status.success(), "{}", text(&again));
        assert!(
            text(&again).contains(&format!("Nothing changed since {id} was built")),
            "DOCKER_BUILDKIT={builder}: {}",
            text(&again)
        );
        assert_eq!(image_id(image), id);

        // A lost tag is put back.
        docker(&["rmi", "berthtest-buildreuse-extra:1"]);
        let retagged = project.berth_env(&env, &["build"]);
        assert!(text(&retagged).contains("reused"), "{}", text(&retagged));
        assert_eq!(image_id("berthtest-buildreuse-extra:1"), id);

        // A changed file, an argument, or --no-cache: a real build.
        std::fs::write(project.dir.join("data"), "two\n").unwrap();
        let changed = project.berth_env(&env, &["build"]);
        assert!(changed.status.success(), "{}", text(&changed));
        assert!(!text(&changed).contains("reused"), "{}", text(&changed));
        assert_eq!(file_in(image, "/copy"), "two\n");
        images.0.push(image_id(image));
        let argument = project.berth_env(&env, &["build", "--build-arg", "UNUSED=1"]);
        assert!(!text(&argument).contains("reused"), "{}", text(&argument));
        images.0.push(image_id(image));
        let no_cache = project.berth_env(&env, &["build", "--no-cache"]);
        assert!(!text(&no_cache).contains("reused"), "{}", text(&no_cache));
        images.0.push(image_id(image));
        std::fs::write(project.dir.join("data"), "one\n").unwrap();
    }
}

/// A tiny HTTP server on a free loopback port serving `dir`, killed when dropped.
struct Served {
    child: std::process::Child,
    port: u16,
}

impl Served {
    fn start(dir: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs");
        let served = Self { child, port };
        assert!(
            crate::support::eventually(std::time::Duration::from_secs(10), || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            }),
            "the HTTP server did not start"
        );
        served
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_remote_context_is_fetched_by_the_daemon_as_composes_is() {
    let project = TestProject::new("buildremote", "services: {}\n");
    let image = "berthtest-buildremote-app";
    let _images = Images(vec![image.into()]);
    let context = project.dir.join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        format!("FROM {IMAGE}\nCOPY hello /hello\n"),
    )
    .unwrap();
    std::fs::write(context.join("hello"), "fetched by the daemon\n").unwrap();
    let served_dir = project.dir.join("served");
    std::fs::create_dir_all(&served_dir).unwrap();
    let tar = std::process::Command::new("tar")
        .arg("-C")
        .arg(&context)
        .arg("-cf")
        .arg(served_dir.join("context.tar"))
        .arg(".")
        .status()
        .expect("tar runs");
    assert!(tar.success());
    let served = Served::start(&served_dir);
    project.write(&format!(
        "services:\n  app:\n    build: http://127.0.0.1:{}/context.tar\n",
        served.port
    ));
    // `--print` as Compose prints a URL context.
    let ours = project.berth(&["build", "--print"]);
    let theirs = project.compose(&["build", "--print"]);
    assert_eq!(text(&ours), String::from_utf8_lossy(&theirs.stdout));
    for builder in ["0", "1"] {
        let env = [("DOCKER_BUILDKIT", builder)];
        let built = project.berth_env(&env, &["build"]);
        assert!(
            built.status.success(),
            "DOCKER_BUILDKIT={builder}: {}",
            text(&built)
        );
        assert_eq!(file_in(image, "/hello"), "fetched by the daemon\n");
        docker(&["rmi", "-f", image]);
    }
    // Compose's classic build of the same file fails: it looks for the Dockerfile at the path
    // it prints (`http:/127.0.0.1:…/Dockerfile`) inside the downloaded context.
    let oracle = project.compose_env(&[("DOCKER_BUILDKIT", "0")], &["build"]);
    assert!(!oracle.status.success());
    assert!(
        text(&oracle).contains("Cannot locate specified Dockerfile"),
        "{}",
        text(&oracle)
    );
}

#[test]
fn refresh_pull_policies_pull_only_an_image_older_than_their_period() {
    let project = TestProject::new(
        "pullrefresh",
        "services:\n  daily:\n    image: ${IMAGE}\n    pull_policy: daily\n    command: [sleep, \"600\"]\n  often:\n    image: ${IMAGE}\n    pull_policy: every_1s\n    command: [sleep, \"600\"]\n",
    );
    // The test image was tagged when the tests started: less than a day, more than a second ago.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let up = project.berth(&["up", "-d"]);
    assert!(up.status.success(), "{}", text(&up));
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(stderr.contains(" often Pulling"), "{stderr}");
    assert!(!stderr.contains(" daily Pulling"), "{stderr}");
    // No registry answers here: the present image is used, with a warning.
    assert!(stderr.contains("using the local image"), "{stderr}");
    assert_eq!(project.containers().len(), 2);
}
