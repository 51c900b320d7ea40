//! The whole rewrite chain on real compose files, checked against what `docker compose config
//! --format json` (v2.40.3) printed for them. Inputs are JSON transcriptions of the YAML; expected
//! values are the oracle's, in tree form (before the typed model formats scalars: `gpus` keeps
//! `count: all`, list-form `environment`/`args` stay lists).

use std::path::Path;

use serde_json::json;

use super::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

/// Runs the stages in compose-go's order and returns the tree and the warnings.
fn run_chain(
    tree: Value,
    project: &str,
    working_dir: &str,
    environment: &[(&str, &str)],
) -> (Value, Vec<String>) {
    let lookup = |name: &str| {
        environment
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    let mut warnings = Vec::new();
    let tree = canonical(tree, false, &mut warnings).expect("canonical");
    let tree = omit_empty(tree);
    let mut tree = set_default_values(tree).expect("defaults");
    resolve_relative_paths(
        &mut tree,
        Path::new(working_dir),
        Some("/root"),
        &mut warnings,
    )
    .expect("paths");
    resolve_environment(&mut tree, &lookup);
    tree["name"] = json!(project);
    let tree = normalize(tree, &lookup).expect("normalize");
    (tree, warnings)
}

/// /tmp/normalize/feat/compose.yaml, a file written to exercise every rewrite, run with
/// `FROM_ENV=fromenv` (`--all-resources`, and `--format yaml` for the ssh key path).
fn feature_file() -> (Value, Vec<String>) {
    let tree = json!({
        "services": {
            "web": {
                "build": "./app", "image": "web", "depends_on": ["db"], "env_file": "a.env",
                "secrets": ["token"], "configs": ["conf"],
                "devices": ["/dev/fuse", "/dev/sda:/dev/xvda", "/dev/sdb:/dev/xvdb:r"],
                "dns": "8.8.8.8", "gpus": "all", "pull_policy": "if_not_present",
                "links": ["db:database", "db"], "ipc": "service:db",
                "volumes_from": ["db:ro", "container:other"],
                "volumes": [
                    "~/cache:/cache",
                    {"type": "bind", "source": "C:\\data", "target": "/win/"},
                    {"type": "volume", "source": "data", "target": "/v//x/"}
                ],
                "networks": {"back": {"aliases": ["api"]}}
            },
            "worker": {
                "build": {
                    "context": "./worker", "args": ["FROM_ENV", "UNSET_ARG", "SET=1"],
                    "ssh": ["default", "key=./id_rsa"],
                    "additional_contexts": ["base=../base", "img=docker-image://alpine", "git=https://github.com/a/b.git"],
                    "secrets": ["token"]
                },
                "environment": ["FROM_ENV", "UNSET_ENV", "X=1"],
                "env_file": ["b.env", {"path": "./c.env", "required": false}],
                "network_mode": "service:web",
                "secrets": [{"source": "token", "target": "custom"}],
                "deploy": {"resources": {"reservations": {"devices": [{"capabilities": ["gpu"]}]}}}
            },
            "db": {
                "image": "postgres",
                "build": {"context": ".", "dockerfile_inline": "FROM alpine", "args": {"FROM_ENV": null, "UNSET_ARG": null, "SET": "2"}},
                "environment": {"FROM_ENV": null, "UNSET_ENV": null},
                "pid": "host",
                "ports": ["5432", "127.0.0.1:8000-8001:5000-5001/udp"],
                "networks": ["back", "default"]
            }
        },
        "networks": {"back": null, "legacy": {"external": {"name": "real-legacy"}}},
        "volumes": {"data": null, "ext": {"external": true}},
        "secrets": {"token": {"file": "./token.txt"}, "envtoken": {"environment": "FROM_ENV"}},
        "configs": {"conf": {"file": "~/conf.txt"}, "named": {"name": "fixed", "content": "hello"}}
    });
    run_chain(
        tree,
        "feat",
        "/tmp/normalize/feat",
        &[("FROM_ENV", "fromenv")],
    )
}

#[test]
fn build_string_becomes_context_with_default_dockerfile() {
    let (tree, _) = feature_file();
    assert_eq!(
        tree["services"]["web"]["build"],
        json!({"context": "/tmp/normalize/feat/app", "dockerfile": "Dockerfile"})
    );
}

#[test]
fn dockerfile_inline_suppresses_the_default_dockerfile() {
    let (tree, _) = feature_file();
    assert_eq!(
        tree["services"]["db"]["build"],
        json!({"context": "/tmp/normalize/feat", "dockerfile_inline": "FROM alpine", "args": {"FROM_ENV": "fromenv", "SET": "2"}})
    );
}

#[test]
fn bare_build_args_are_resolved_or_dropped() {
    let (tree, _) = feature_file();
    assert_eq!(
        tree["services"]["worker"]["build"]["args"],
        json!(["FROM_ENV=fromenv", "SET=1"])
    );
}

#[test]
fn build_ssh_and_additional_contexts_lists_become_maps() {
    let (tree, _) = feature_file();
    let build = &tree["services"]["worker"]["build"];
    assert_eq!(
        build["ssh"],
        json!({"default": null, "key": "/tmp/normalize/feat/id_rsa"})
    );
    assert_eq!(
        build["additional_contexts"],
        json!({"base": "/tmp/normalize/base", "img": "docker-image://alpine", "git": "https://github.com/a/b.git"})
    );
    // Build secrets get no default target.
    assert_eq!(build["secrets"], json!([{"source": "token"}]));
}

#[test]
fn depends_on_list_becomes_conditions_and_implied_entries_are_added() {
    let (tree, _) = feature_file();
    // links, ipc and volumes_from all name db, which is already declared.
    assert_eq!(
        tree["services"]["web"]["depends_on"],
        json!({"db": {"condition": "service_started", "required": true}})
    );
    assert_eq!(
        tree["services"]["worker"]["depends_on"],
        json!({"web": {"condition": "service_started", "restart": true, "required": true}})
    );
}

#[test]
fn env_file_forms_become_required_paths() {
    let (tree, _) = feature_file();
    assert_eq!(
        tree["services"]["web"]["env_file"],
        json!([{"path": "/tmp/normalize/feat/a.env", "required": true}])
    );
    assert_eq!(
        tree["services"]["worker"]["env_file"],
        json!([
            {"path": "/tmp/normalize/feat/b.env", "required": true},
            {"path": "/tmp/normalize/feat/c.env", "required": false}
        ])
    );
}

#[test]
fn secret_and_config_mounts_take_long_syntax() {
    let (tree, _) = feature_file();
    let web = &tree["services"]["web"];
    assert_eq!(
        web["secrets"],
        json!([{"source": "token", "target": "/run/secrets/token"}])
    );
    assert_eq!(web["configs"], json!([{"source": "conf"}]));
    assert_eq!(
        tree["services"]["worker"]["secrets"],
        json!([{"source": "token", "target": "custom"}])
    );
}

#[test]
fn devices_dns_gpus_and_pull_policy() {
    let (tree, _) = feature_file();
    let web = &tree["services"]["web"];
    assert_eq!(
        web["devices"],
        json!([
            {"source": "/dev/fuse", "target": "/dev/fuse", "permissions": "rwm"},
            {"source": "/dev/sda", "target": "/dev/xvda", "permissions": "rwm"},
            {"source": "/dev/sdb", "target": "/dev/xvdb", "permissions": "r"}
        ])
    );
    assert_eq!(web["dns"], json!(["8.8.8.8"]));
    assert_eq!(web["gpus"], json!([{"count": "all"}]));
    assert_eq!(web["pull_policy"], json!("missing"));
    assert_eq!(
        tree["services"]["worker"]["deploy"]["resources"]["reservations"]["devices"],
        json!([{"capabilities": ["gpu"], "count": "all"}])
    );
}

#[test]
fn volumes_are_resolved_cleaned_and_windows_paths_kept() {
    let (tree, _) = feature_file();
    assert_eq!(
        tree["services"]["web"]["volumes"],
        json!([
            {"type": "bind", "source": "/root/cache", "target": "/cache", "bind": {"create_host_path": true}},
            {"type": "bind", "source": "C:\\data", "target": "/win"},
            {"type": "volume", "source": "data", "target": "/v/x"}
        ])
    );
}

#[test]
fn networks_default_is_added_unless_network_mode() {
    let (tree, _) = feature_file();
    assert_eq!(
        tree["services"]["web"]["networks"],
        json!({"back": {"aliases": ["api"]}})
    );
    assert_eq!(
        tree["services"]["db"]["networks"],
        json!({"back": null, "default": null})
    );
    assert!(tree["services"]["worker"].get("networks").is_none());
}

#[test]
fn environment_is_resolved_from_the_environment() {
    let (tree, _) = feature_file();
    assert_eq!(
        tree["services"]["db"]["environment"],
        json!({"FROM_ENV": "fromenv", "UNSET_ENV": null})
    );
    assert_eq!(
        tree["services"]["worker"]["environment"],
        json!(["FROM_ENV=fromenv", "UNSET_ENV", "X=1"])
    );
}

#[test]
fn top_level_resources_are_named_and_external_names_kept() {
    let (tree, warnings) = feature_file();
    assert_eq!(
        tree["networks"],
        json!({
            "back": {"name": "feat_back"},
            "legacy": {"external": true, "name": "real-legacy"},
            "default": {"name": "feat_default"}
        })
    );
    assert_eq!(
        tree["volumes"],
        json!({"data": {"name": "feat_data"}, "ext": {"external": true, "name": "ext"}})
    );
    assert_eq!(
        tree["secrets"],
        json!({
            "token": {"file": "/tmp/normalize/feat/token.txt", "name": "feat_token"},
            "envtoken": {"environment": "FROM_ENV", "x-#value": "fromenv", "name": "feat_envtoken"}
        })
    );
    assert_eq!(
        tree["configs"],
        json!({"conf": {"file": "/root/conf.txt", "name": "feat_conf"}, "named": {"name": "fixed", "content": "hello"}})
    );
    assert_eq!(
        warnings,
        vec![
            "networks.legacy: external.name is deprecated. Please set name and external: true"
                .to_owned()
        ]
    );
}

#[test]
fn awesome_compose_nginx_flask_mysql() {
    let directory = format!("{CORPUS}/awesome-compose/nginx-flask-mysql");
    let tree = json!({
        "services": {
            "db": {
                "image": "mariadb:10-focal",
                "command": "--default-authentication-plugin=mysql_native_password",
                "restart": "always",
                "secrets": ["db-password"],
                "volumes": ["db-data:/var/lib/mysql"],
                "networks": ["backnet"],
                "environment": ["MYSQL_DATABASE=example", "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password"],
                "expose": [3306, 33060]
            },
            "backend": {
                "build": {"context": "backend", "target": "builder"},
                "restart": "always",
                "secrets": ["db-password"],
                "ports": ["8000:8000"],
                "networks": ["backnet", "frontnet"],
                "depends_on": {"db": {"condition": "service_healthy"}}
            },
            "proxy": {
                "build": "proxy",
                "restart": "always",
                "ports": ["80:80"],
                "depends_on": ["backend"],
                "networks": ["frontnet"]
            }
        },
        "volumes": {"db-data": null},
        "secrets": {"db-password": {"file": "db/password.txt"}},
        "networks": {"backnet": null, "frontnet": null}
    });
    let (tree, _) = run_chain(tree, "nginx-flask-mysql", &directory, &[]);
    let services = &tree["services"];
    assert_eq!(
        services["backend"]["build"],
        json!({"context": format!("{directory}/backend"), "target": "builder", "dockerfile": "Dockerfile"})
    );
    assert_eq!(
        services["backend"]["depends_on"],
        json!({"db": {"condition": "service_healthy", "required": true}})
    );
    assert_eq!(
        services["backend"]["networks"],
        json!({"backnet": null, "frontnet": null})
    );
    assert_eq!(
        services["backend"]["ports"],
        json!([{"mode": "ingress", "target": 8000, "published": "8000", "protocol": "tcp"}])
    );
    assert_eq!(
        services["proxy"]["build"],
        json!({"context": format!("{directory}/proxy"), "dockerfile": "Dockerfile"})
    );
    assert_eq!(
        services["proxy"]["depends_on"],
        json!({"backend": {"condition": "service_started", "required": true}})
    );
    assert_eq!(
        services["db"]["volumes"],
        json!([{"type": "volume", "source": "db-data", "target": "/var/lib/mysql", "volume": {}}])
    );
    assert_eq!(
        services["db"]["secrets"],
        json!([{"source": "db-password", "target": "/run/secrets/db-password"}])
    );
    assert_eq!(
        tree["secrets"],
        json!({"db-password": {"file": format!("{directory}/db/password.txt"), "name": "nginx-flask-mysql_db-password"}})
    );
    assert_eq!(
        tree["networks"],
        json!({"backnet": {"name": "nginx-flask-mysql_backnet"}, "frontnet": {"name": "nginx-flask-mysql_frontnet"}})
    );
    assert_eq!(
        tree["volumes"],
        json!({"db-data": {"name": "nginx-flask-mysql_db-data"}})
    );
}

#[test]
fn compose_case_links_imply_restartable_dependencies() {
    let tree = json!({
        "services": {
            "foo": {"image": "nginx:alpine", "links": ["bar"]},
            "bar": {"image": "nginx:alpine"}
        }
    });
    let (tree, _) = run_chain(
        tree,
        "e2e-links",
        &format!("{CORPUS}/compose-cases/e2e-links"),
        &[],
    );
    assert_eq!(
        tree["services"]["foo"]["depends_on"],
        json!({"bar": {"condition": "service_started", "restart": true, "required": true}})
    );
    assert_eq!(
        tree["networks"],
        json!({"default": {"name": "e2e-links_default"}})
    );
}

#[test]
fn compose_case_windows_paths() {
    let directory = format!("{CORPUS}/compose-cases/cg-cli-windows-paths");
    let tree = json!({
        "services": {
            "test": {
                "image": "hello-world",
                "volumes": [
                    {"type": "bind", "source": "C:\\docker\\project", "target": "/test"},
                    {"type": "bind", "source": "./relative", "target": "/test-relative"},
                    "./relative2:/test-relative2"
                ]
            }
        }
    });
    let (tree, _) = run_chain(tree, "cg-cli-windows-paths", &directory, &[]);
    assert_eq!(
        tree["services"]["test"]["volumes"],
        json!([
            {"type": "bind", "source": "C:\\docker\\project", "target": "/test"},
            {"type": "bind", "source": format!("{directory}/relative"), "target": "/test-relative"},
            {"type": "bind", "source": format!("{directory}/relative2"), "target": "/test-relative2", "bind": {"create_host_path": true}}
        ])
    );
}

#[test]
fn compose_case_volumes_from_implies_a_dependency_without_restart() {
    let directory = format!("{CORPUS}/compose-cases/cg-version-volumes-from");
    let tree = json!({
        "name": "compose-test-with-version",
        "volumes": {"data": {"driver": "local"}},
        "networks": {"front": {}},
        "services": {
            "web": {"build": "./Dockerfile", "networks": ["front", "default"], "volumes_from": ["other"]},
            "other": {"image": "busybox:1.31.0-uclibc", "command": "top", "volumes": ["/data"]}
        }
    });
    let (tree, _) = run_chain(tree, "compose-test-with-version", &directory, &[]);
    let web = &tree["services"]["web"];
    assert_eq!(
        web["build"],
        json!({"context": format!("{directory}/Dockerfile"), "dockerfile": "Dockerfile"})
    );
    assert_eq!(
        web["depends_on"],
        json!({"other": {"condition": "service_started", "restart": false, "required": true}})
    );
    assert_eq!(
        tree["services"]["other"]["volumes"],
        json!([{"type": "volume", "target": "/data", "volume": {}}])
    );
    assert_eq!(
        tree["volumes"],
        json!({"data": {"driver": "local", "name": "compose-test-with-version_data"}})
    );
    assert_eq!(
        tree["networks"],
        json!({"front": {"name": "compose-test-with-version_front"}, "default": {"name": "compose-test-with-version_default"}})
    );
}

#[test]
fn compose_case_port_range_publishes_a_host_range() {
    let tree = json!({
        "services": {
            "a": {"image": "nginx:alpine", "scale": 5, "ports": ["6005-6015:80"]},
            "b": {"image": "nginx:alpine", "ports": [80]}
        }
    });
    let (tree, _) = run_chain(
        tree,
        "e2e-port-range",
        &format!("{CORPUS}/compose-cases/e2e-port-range"),
        &[],
    );
    assert_eq!(
        tree["services"]["a"]["ports"],
        json!([{"mode": "ingress", "target": 80, "published": "6005-6015", "protocol": "tcp"}])
    );
    assert_eq!(
        tree["services"]["b"]["ports"],
        json!([{"mode": "ingress", "target": 80, "protocol": "tcp"}])
    );
}

fn service_tree(service: Value) -> Value {
    json!({"services": {"a": service}})
}

#[test]
fn external_name_conflicting_with_name_is_rejected() {
    let tree = json!({"volumes": {"data": {"name": "x", "external": {"name": "y"}}}});
    let mut warnings = Vec::new();
    let error = canonical(tree, false, &mut warnings).expect_err("conflict");
    assert_eq!(
        error.to_string(),
        "volumes.data: name and external.name conflict; only use name"
    );
    assert_eq!(error.path(), &TreePath::keys(&["volumes", "data"]));
    assert_eq!(
        warnings,
        vec![
            "volumes.data: external.name is deprecated. Please set name and external: true"
                .to_owned()
        ]
    );
}

#[test]
fn additional_contexts_entry_without_equals() {
    let tree = service_tree(json!({"build": {"context": ".", "additional_contexts": ["nokv"]}}));
    let error = canonical(tree.clone(), false, &mut Vec::new()).expect_err("no =");
    assert_eq!(
        error.to_string(),
        "services.a.build.additional_contexts: invalid value nokv, expected key=value"
    );
    // Without interpolation the list is left for later.
    let kept = canonical(tree, true, &mut Vec::new()).expect("ignored");
    assert_eq!(
        kept["services"]["a"]["build"]["additional_contexts"],
        json!(["nokv"])
    );
}

#[test]
fn ssh_entry_without_equals() {
    let tree = service_tree(json!({"build": {"context": ".", "ssh": ["nokv"]}}));
    let error = canonical(tree, false, &mut Vec::new()).expect_err("no =");
    assert_eq!(error.to_string(), "invalid ssh key \"nokv\"");
}

#[test]
fn bind_without_source_is_rejected() {
    let mut tree =
        service_tree(json!({"image": "alpine", "volumes": [{"type": "bind", "target": "/x"}]}));
    let error = resolve_relative_paths(&mut tree, Path::new("/p"), Some("/root"), &mut Vec::new())
        .expect_err("no source");
    assert_eq!(
        error.to_string(),
        "invalid mount config for type \"bind\": field Source must not be empty"
    );
    assert_eq!(error.path().to_string(), "services.a.volumes[0]");
}

#[test]
fn short_syntax_errors_point_at_the_entry() {
    let ports = service_tree(json!({"ports": ["8080:80", "80/xyz"]}));
    let error = canonical(ports.clone(), false, &mut Vec::new()).expect_err("bad proto");
    assert_eq!(error.to_string(), "invalid proto: xyz");
    assert_eq!(error.path().to_string(), "services.a.ports[1]");
    // Without interpolation the whole list is left as written.
    let kept = canonical(ports, true, &mut Vec::new()).expect("ignored");
    assert_eq!(kept["services"]["a"]["ports"], json!(["8080:80", "80/xyz"]));

    let float = service_tree(json!({"ports": [80.5]}));
    let error = canonical(float, true, &mut Vec::new()).expect_err("float");
    assert_eq!(
        error.to_string(),
        "services.a.ports: invalid type float64 for port"
    );

    let volumes = service_tree(json!({"volumes": [":/media/"]}));
    let error = canonical(volumes, false, &mut Vec::new()).expect_err("empty section");
    assert_eq!(
        error.to_string(),
        "invalid spec: :/media/: empty section between colons"
    );
    assert_eq!(error.path().to_string(), "services.a.volumes[0]");

    let devices = service_tree(json!({"devices": ["a:b:c:d"]}));
    let error = canonical(devices, false, &mut Vec::new()).expect_err("device");
    assert_eq!(
        error.to_string(),
        "confusing device mapping, please use long syntax: a:b:c:d"
    );
}

#[test]
fn empty_dns_entries_are_dropped() {
    let tree = service_tree(json!({"image": "alpine", "dns": ["", "1.1.1.1"], "environment": []}));
    let tree = omit_empty(canonical(tree, false, &mut Vec::new()).expect("canonical"));
    assert_eq!(tree["services"]["a"]["dns"], json!(["1.1.1.1"]));
    assert_eq!(tree["services"]["a"]["environment"], json!([]));
}

#[test]
fn named_volume_keeps_selinux_option_and_watch_ignore_becomes_a_list() {
    let tree = service_tree(json!({
        "volumes": ["data:/d:z"],
        "develop": {"watch": [{"path": "./src", "action": "sync", "target": "/src", "ignore": "node_modules"}]}
    }));
    let (tree, _) = run_chain(tree, "normalize", "/tmp/normalize", &[]);
    let service = &tree["services"]["a"];
    assert_eq!(
        service["volumes"],
        json!([{"type": "volume", "source": "data", "target": "/d", "bind": {"selinux": "z"}, "volume": {}}])
    );
    assert_eq!(
        service["develop"]["watch"],
        json!([{"path": "/tmp/normalize/src", "action": "sync", "target": "/src", "ignore": ["node_modules"]}])
    );
}

#[test]
fn watch_path_through_a_symbolic_link_is_resolved() {
    let base = std::env::temp_dir().join(format!("berth-normalize-link-{}", std::process::id()));
    let real = base.join("src");
    std::fs::create_dir_all(&real).expect("create dir");
    let link = base.join("link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let mut tree =
        service_tree(json!({"develop": {"watch": [{"path": "./link/sub", "action": "rebuild"}]}}));
    resolve_relative_paths(&mut tree, &base, None, &mut Vec::new()).expect("resolve");
    let expected = format!("{}/sub", real.canonicalize().expect("real path").display());
    assert_eq!(
        tree["services"]["a"]["develop"]["watch"][0]["path"],
        json!(expected)
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn tilde_expands_to_home_or_warns_without_one() {
    let service = json!({
        "env_file": [{"path": "~nobody/x.env", "required": false}],
        "volumes": ["~:/h", "~other/x:/o"]
    });
    let with_home =
        canonical(service_tree(service.clone()), false, &mut Vec::new()).expect("canonical");
    let mut with_home = with_home;
    resolve_relative_paths(
        &mut with_home,
        Path::new("/tmp/normalize"),
        Some("/root"),
        &mut Vec::new(),
    )
    .expect("resolve");
    let a = &with_home["services"]["a"];
    assert_eq!(a["env_file"][0]["path"], json!("/root/nobody/x.env"));
    assert_eq!(a["volumes"][0]["source"], json!("/root"));
    assert_eq!(a["volumes"][1]["source"], json!("/root/other/x"));

    let mut without_home =
        canonical(service_tree(service), false, &mut Vec::new()).expect("canonical");
    let mut warnings = Vec::new();
    resolve_relative_paths(
        &mut without_home,
        Path::new("/tmp/normalize"),
        None,
        &mut warnings,
    )
    .expect("resolve");
    assert_eq!(
        without_home["services"]["a"]["volumes"][0]["source"],
        json!("/tmp/normalize/~")
    );
    assert_eq!(warnings.len(), 3);
    assert_eq!(
        warnings[0],
        "cannot expand '~', because the environment lacks HOME"
    );
}

#[test]
fn remote_build_contexts_and_extends_files_are_untouched() {
    let mut tree = json!({"services": {
        "a": {"build": {"context": "https://github.com/docker/compose.git#main"}},
        "b": {"build": {"context": "service:a"}, "extends": {"file": "oci://docker.io/x/y", "service": "a"}},
        "c": {"build": {"context": "git@github.com:a/b.git"}, "extends": {"file": "base.yaml", "service": "a"}}
    }});
    resolve_relative_paths(&mut tree, Path::new("/p"), Some("/root"), &mut Vec::new())
        .expect("resolve");
    let services = &tree["services"];
    assert_eq!(
        services["a"]["build"]["context"],
        json!("https://github.com/docker/compose.git#main")
    );
    assert_eq!(services["b"]["build"]["context"], json!("service:a"));
    assert_eq!(
        services["b"]["extends"]["file"],
        json!("oci://docker.io/x/y")
    );
    assert_eq!(
        services["c"]["build"]["context"],
        json!("git@github.com:a/b.git")
    );
    assert_eq!(services["c"]["extends"]["file"], json!("/p/base.yaml"));
}
