//! Tests of the consistency check. Expected messages were printed by `docker compose config`
//! v2.40.3 for the same project written as YAML; the trees here are in the canonical shape that
//! `config --format json` prints.

mod awesome_compose;

use serde_json::json;

use super::*;

fn message(project: &Value) -> Option<String> {
    check_consistency(project)
        .err()
        .map(|error| error.to_string())
}

/// A project with one service `a` and the default network.
fn project_with(service: Value) -> Value {
    json!({
        "name": "c",
        "networks": {"default": {"name": "c_default", "ipam": {}}},
        "services": {"a": service},
    })
}

/// An image-based service in canonical shape, with `extra` keys merged in.
fn image_service(extra: Value) -> Value {
    let mut service = json!({
        "command": null,
        "entrypoint": null,
        "image": "x",
        "networks": {"default": null},
    });
    if let (Some(service), Value::Object(extra)) = (service.as_object_mut(), extra) {
        service.extend(extra);
    }
    service
}

#[test]
fn awesome_compose_projects_are_consistent() {
    for (sample, project) in awesome_compose::projects() {
        assert_eq!(message(&project), None, "{sample}");
    }
}

#[test]
fn service_needs_an_image_or_a_build() {
    let project = project_with(json!({"restart": "always", "networks": {"default": null}}));
    let error = check_consistency(&project).expect_err("no image");
    assert_eq!(
        error.to_string(),
        r#"service "a" has neither an image nor a build context specified: invalid compose project"#
    );
    assert_eq!(error.path(), &TreePath::keys(&["services", "a"]));
    let provider = project_with(json!({"provider": {"type": "model"}}));
    assert_eq!(message(&provider), None);
}

#[test]
fn dockerfile_and_inline_are_exclusive() {
    let project = project_with(json!({"build": {
        "context": "/p", "dockerfile": "D", "dockerfile_inline": "FROM x",
    }}));
    assert_eq!(
        message(&project).as_deref(),
        Some(
            r#"service "a" declares mutualy exclusive dockerfile and dockerfile_inline: invalid compose project"#
        )
    );
}

#[test]
fn additional_context_service_must_exist_and_build() {
    let unknown = project_with(json!({"build": {
        "context": "/p", "dockerfile": "Dockerfile", "additional_contexts": {"x": "service:b"},
    }}));
    assert_eq!(
        message(&unknown).as_deref(),
        Some(r#"service "a" declares unknown service "b" as additional contexts x"#)
    );
    let mut not_buildable = unknown.clone();
    not_buildable["services"]["b"] = image_service(json!({}));
    assert_eq!(
        message(&not_buildable).as_deref(),
        Some(r#"service "a" declares non-buildable service "b" as additional contexts x"#)
    );
}

#[test]
fn build_platforms_must_include_the_platform() {
    let project = project_with(json!({
        "platform": "linux/arm64",
        "build": {"context": "/p", "dockerfile": "Dockerfile", "platforms": ["linux/amd64"]},
    }));
    assert_eq!(
        message(&project).as_deref(),
        Some(
            r#"service.build.platforms MUST include service.platform "linux/arm64": invalid compose project"#
        )
    );
}

#[test]
fn network_mode_excludes_networks() {
    let mut project = project_with(image_service(json!({
        "network_mode": "host", "networks": {"n": null},
    })));
    project["networks"]["n"] = json!({"name": "c_n", "ipam": {}});
    assert_eq!(
        message(&project).as_deref(),
        Some(
            "service a declares mutually exclusive `network_mode` and `networks`: invalid compose project"
        )
    );
}

#[test]
fn undefined_resources_are_named() {
    let cases = [
        (
            json!({"networks": {"n": null}}),
            r#"service "a" refers to undefined network n: invalid compose project"#,
        ),
        (
            json!({"volumes": [{"type": "volume", "source": "vv", "target": "/x", "volume": {}}]}),
            r#"service "a" refers to undefined volume vv: invalid compose project"#,
        ),
        (
            json!({"secrets": [{"source": "s", "target": "/run/secrets/s"}]}),
            r#"service "a" refers to undefined secret s: invalid compose project"#,
        ),
        (
            json!({"configs": [{"source": "c"}]}),
            r#"service "a" refers to undefined config c: invalid compose project"#,
        ),
        (
            json!({"models": {"m": null}}),
            r#"service "a" refers to undefined model m: invalid compose project"#,
        ),
        (
            json!({"build": {"context": "/p", "dockerfile": "Dockerfile", "secrets": [{"source": "s"}]}}),
            r#"service "a" refers to undefined build secret s: invalid compose project"#,
        ),
    ];
    for (extra, expected) in cases {
        let project = project_with(image_service(extra));
        assert_eq!(message(&project).as_deref(), Some(expected));
    }
}

#[test]
fn anonymous_volumes_and_binds_need_no_declaration() {
    let project = project_with(image_service(json!({"volumes": [
        {"type": "volume", "target": "/anonymous", "volume": {}},
        {"type": "bind", "source": "/host", "target": "/bound", "bind": {"create_host_path": true}},
    ]})));
    assert_eq!(message(&project), None);
}

#[test]
fn healthcheck_test_needs_a_known_prefix() {
    let project = project_with(image_service(
        json!({"healthcheck": {"test": ["FOO", "x"]}}),
    ));
    assert_eq!(
        message(&project).as_deref(),
        Some(r#"healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE""#)
    );
    let fine = project_with(image_service(json!({"healthcheck": {"test": ["NONE"]}})));
    assert_eq!(message(&fine), None);
}

#[test]
fn network_mode_service_must_exist() {
    let project = project_with(image_service(json!({
        "network_mode": "service:b", "networks": null,
    })));
    assert_eq!(
        message(&project).as_deref(),
        Some("service \"b\" not found for network_mode 'service:b'")
    );
}

#[test]
fn scale_and_replicas_must_agree() {
    let project = project_with(image_service(
        json!({"scale": 2, "deploy": {"replicas": 3}}),
    ));
    assert_eq!(
        message(&project).as_deref(),
        Some(
            "services.a: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project"
        )
    );
}

#[test]
fn scale_and_replicas_must_not_be_negative() {
    let scale = project_with(image_service(json!({"scale": -1})));
    assert_eq!(
        message(&scale).as_deref(),
        Some("services.a.scale: must be greater than or equal to 0")
    );
    let replicas = project_with(image_service(json!({"deploy": {"replicas": -1}})));
    assert_eq!(
        message(&replicas).as_deref(),
        Some("services.a.deploy.replicas: must be greater than or equal to 0")
    );
}

#[test]
fn resource_twins_must_agree_and_unset_counts_as_zero() {
    // cpus set, limits has only memory: Compose still complains about cpus.
    let cpus = project_with(image_service(json!({
        "cpus": 1.5,
        "deploy": {"resources": {"limits": {"memory": "1073741824"}}, "placement": {}},
    })));
    assert_eq!(
        message(&cpus).as_deref(),
        Some(
            "services.a: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': invalid compose project"
        )
    );
    let memory = project_with(image_service(json!({
        "mem_limit": "1073741824",
        "deploy": {"resources": {"limits": {"cpus": 1}}, "placement": {}},
    })));
    assert_eq!(
        message(&memory).as_deref(),
        Some(
            "services.a: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory': invalid compose project"
        )
    );
    let reservation = project_with(image_service(json!({
        "mem_reservation": "10485760",
        "deploy": {"resources": {"reservations": {"cpus": 1}}, "placement": {}},
    })));
    assert_eq!(
        message(&reservation).as_deref(),
        Some(
            "services.a: can't set distinct values on 'mem_reservation' and 'deploy.resources.reservations.memory': invalid compose project"
        )
    );
    let pids = project_with(image_service(json!({
        "pids_limit": 10,
        "deploy": {"resources": {"limits": {"pids": 11}}, "placement": {}},
    })));
    assert_eq!(
        message(&pids).as_deref(),
        Some(
            "services.a: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids': invalid compose project"
        )
    );
    let same = project_with(image_service(json!({
        "cpus": 1.5,
        "mem_limit": "1073741824",
        "deploy": {"resources": {"limits": {"cpus": 1.5, "memory": "1g"}}, "placement": {}},
    })));
    assert_eq!(message(&same), None);
}

#[test]
fn container_name_needs_a_single_replica() {
    let scale = project_with(image_service(json!({"scale": 2, "container_name": "cc"})));
    assert_eq!(
        message(&scale).as_deref(),
        Some(
            "services.scale: can't set container_name and a as container name must be unique: invalid compose project"
        )
    );
    let replicas = project_with(image_service(json!({
        "deploy": {"replicas": 2}, "container_name": "cc",
    })));
    assert_eq!(
        message(&replicas).as_deref(),
        Some(
            "services.deploy.replicas: can't set container_name and a as container name must be unique: invalid compose project"
        )
    );
}

#[test]
fn watch_rules_that_copy_need_a_target() {
    let project = project_with(image_service(json!({"develop": {"watch": [
        {"path": "/p", "action": "rebuild"},
        {"path": "/p", "action": "sync"},
    ]}})));
    let error = check_consistency(&project).expect_err("sync without target");
    assert_eq!(
        error.to_string(),
        "services.a.develop.watch: target is required for non-rebuild actions: invalid compose project"
    );
    assert_eq!(
        error.path(),
        &TreePath::keys(&["services", "a", "develop", "watch"]).index(1)
    );
}

#[test]
fn mount_targets_must_be_distinct() {
    let tmpfs = project_with(image_service(json!({"tmpfs": ["/x:size=1", "/x"]})));
    assert_eq!(
        message(&tmpfs).as_deref(),
        Some("services.a.tmpfs[1]: target /x already mounted as services.a.tmpfs[0]")
    );
    let volume = project_with(image_service(json!({
        "tmpfs": ["/x"],
        "volumes": [{"type": "bind", "source": "/y", "target": "/x", "bind": {"create_host_path": true}}],
    })));
    assert_eq!(
        message(&volume).as_deref(),
        Some("services.a.volumes[0]: target /x already mounted as services.a.tmpfs[0]")
    );
}

#[test]
fn secret_needs_a_file_or_an_environment() {
    let mut project = project_with(image_service(json!({})));
    project["secrets"] =
        json!({"s": {"name": "c_s", "driver": "foo"}, "e": {"name": "e", "external": true}});
    assert_eq!(
        message(&project).as_deref(),
        Some("secret \"s\" must declare either `file` or `environment`: invalid compose project")
    );
}

#[test]
fn services_are_checked_in_sorted_order() {
    let project = json!({"services": {
        "b": {"restart": "always"},
        "a": image_service(json!({"networks": {"missing": null}})),
    }});
    assert_eq!(
        message(&project).as_deref(),
        Some(r#"service "a" refers to undefined network missing: invalid compose project"#)
    );
}

#[test]
fn byte_sizes_with_units_are_understood() {
    assert_eq!(parse_ram_in_bytes("512m"), Some(536_870_912));
    assert_eq!(parse_ram_in_bytes("1073741824"), Some(1_073_741_824));
    assert_eq!(parse_ram_in_bytes("1.5GB"), Some(1_610_612_736));
    assert_eq!(parse_ram_in_bytes("zb"), None);
}
