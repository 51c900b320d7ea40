//! Schema errors recorded from the oracle (`docker compose config`, v2.40.3): each case is a small
//! compose file transcribed to JSON and the message Compose printed after `validating <file>: `.

/// (case, tree as JSON, Compose's message).
pub(super) const ORACLE_CASES: &[(&str, &str, &str)] = &[
    (
        "bad_svc_name",
        r#"{"services": {"a b": {"image": "x"}}}"#,
        "services additional properties 'a b' not allowed",
    ),
    (
        "bind_recursive",
        r#"{"services": {"a": {"image": "x", "volumes": [{"type": "bind", "source": ".", "target": "/x", "bind": {"recursive": "foo"}}]}}}"#,
        "services.a.volumes.0.bind.recursive value must be one of 'enabled', 'disabled', 'writable', 'readonly'",
    ),
    (
        "build_int",
        r#"{"services": {"a": {"build": 1}}}"#,
        "services.a.build must be a string",
    ),
    (
        "build_unknown",
        r#"{"services": {"a": {"build": {"context": ".", "foo": 1}}}}"#,
        "services.a.build additional properties 'foo' not allowed",
    ),
    (
        "cgroup",
        r#"{"services": {"a": {"image": "x", "cgroup": "foo"}}}"#,
        "services.a.cgroup value must be one of 'host', 'private'",
    ),
    (
        "cname",
        r#"{"services": {"a": {"image": "x", "container_name": "c"}}}"#,
        "services.a.container_name 'c' does not match pattern '[a-zA-Z0-9][a-zA-Z0-9_.-]+'",
    ),
    (
        "cond_enum",
        r#"{"services": {"a": {"image": "x", "depends_on": {"b": {"condition": "foo"}}}, "b": {"image": "x"}}}"#,
        "services.a.depends_on.b.condition value must be one of 'service_started', 'service_healthy', 'service_completed_successfully'",
    ),
    (
        "configs_list",
        r#"{"services": {"a": {"image": "x"}}, "configs": ["a"]}"#,
        "configs must be a mapping",
    ),
    (
        "cpu_count",
        r#"{"services": {"a": {"image": "x", "cpu_count": -1}}}"#,
        "services.a.cpu_count must be a string",
    ),
    (
        "cpu_percent",
        r#"{"services": {"a": {"image": "x", "cpu_percent": 101}}}"#,
        "services.a.cpu_percent must be a string",
    ),
    (
        "dep_required",
        r#"{"services": {"a": {"image": "x", "depends_on": {"b": {"required": true}}}, "b": {"image": "x"}}}"#,
        "services.a.depends_on.b missing property 'condition'",
    ),
    (
        "deploy_unknown",
        r#"{"services": {"a": {"image": "x", "deploy": {"foo": 1}}}}"#,
        "services.a.deploy additional properties 'foo' not allowed",
    ),
    (
        "device_req",
        r#"{"services": {"a": {"image": "x", "deploy": {"resources": {"reservations": {"devices": [{"count": 1}]}}}}}}"#,
        "services.a.deploy.resources.reservations.devices.0 missing property 'capabilities'",
    ),
    (
        "dns_int",
        r#"{"services": {"a": {"image": "x", "dns": 1}}}"#,
        "services.a.dns must be a string",
    ),
    (
        "env_int_list",
        r#"{"services": {"a": {"image": "x", "environment": 1}}}"#,
        "services.a.environment must be a mapping",
    ),
    (
        "env_nested",
        r#"{"services": {"a": {"image": "x", "environment": {"A": {"b": 1}}}}}"#,
        "services.a.environment.A must be a boolean, null, number or string",
    ),
    (
        "float_int",
        r#"{"services": {"a": {"image": "x", "cpu_count": 1.5}}}"#,
        "services.a.cpu_count must be a string",
    ),
    (
        "gpus",
        r#"{"services": {"a": {"image": "x", "gpus": "some"}}}"#,
        "services.a.gpus value must be 'all'",
    ),
    (
        "healthcheck_int",
        r#"{"services": {"a": {"image": "x", "healthcheck": {"interval": 1}}}}"#,
        "services.a.healthcheck.interval must be a string",
    ),
    (
        "labels_int",
        r#"{"services": {"a": {"image": "x", "labels": 1}}}"#,
        "services.a.labels must be a mapping",
    ),
    (
        "mem_bool",
        r#"{"services": {"a": {"image": "x", "mem_limit": true}}}"#,
        "services.a.mem_limit must be a number or string",
    ),
    (
        "models_bad",
        r#"{"services": {"a": {"image": "x"}}, "models": {"m": {"foo": 1}}}"#,
        "models.m additional properties 'foo' not allowed",
    ),
    (
        "name_int",
        r#"{"name": 1, "services": {"a": {"image": "x"}}}"#,
        "name must be a string",
    ),
    (
        "net_svc_unknown",
        r#"{"services": {"a": {"image": "x", "networks": {"n": {"foo": 1}}}}, "networks": {"n": {}}}"#,
        "services.a.networks.n additional properties 'foo' not allowed",
    ),
    (
        "net_unknown",
        r#"{"services": {"a": {"image": "x"}}, "networks": {"n": {"foo": 1}}}"#,
        "networks.n additional properties 'foo' not allowed",
    ),
    (
        "oom",
        r#"{"services": {"a": {"image": "x", "oom_score_adj": -2000}}}"#,
        "services.a.oom_score_adj must be a string",
    ),
    (
        "order_enum",
        r#"{"services": {"a": {"image": "x", "deploy": {"update_config": {"order": "x"}}}}}"#,
        "services.a.deploy.update_config.order value must be one of 'start-first', 'stop-first'",
    ),
    (
        "port_bool",
        r#"{"services": {"a": {"image": "x", "ports": [true]}}}"#,
        "services.a.ports.0 must be a number",
    ),
    (
        "port_long_unknown",
        r#"{"services": {"a": {"image": "x", "ports": [{"target": 80, "foo": 1}]}}}"#,
        "services.a.ports.0 additional properties 'foo' not allowed",
    ),
    (
        "ports_obj",
        r#"{"services": {"a": {"image": "x", "ports": {"a": 1}}}}"#,
        "services.a.ports must be a array",
    ),
    (
        "pull_policy",
        r#"{"services": {"a": {"image": "x", "pull_policy": "foo"}}}"#,
        "services.a.pull_policy 'foo' does not match pattern 'always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+'",
    ),
    (
        "quote_pattern",
        r#"{"services": {"a": {"image": "x", "container_name": "'"}}}"#,
        "services.a.container_name '\\'' does not match pattern '[a-zA-Z0-9][a-zA-Z0-9_.-]+'",
    ),
    (
        "restart_int",
        r#"{"services": {"a": {"image": "x", "restart": 1}}}"#,
        "services.a.restart must be a string",
    ),
    (
        "secret_unknown",
        r#"{"services": {"a": {"image": "x"}}, "secrets": {"s": {"file": "x", "foo": 1}}}"#,
        "secrets.s additional properties 'foo' not allowed",
    ),
    (
        "secrets_svc_bad",
        r#"{"services": {"a": {"image": "x", "secrets": [{"foo": 1}]}}}"#,
        "services.a.secrets.0 additional properties 'foo' not allowed",
    ),
    (
        "svc_nil",
        r#"{"services": {"nil": null}}"#,
        "services.nil must be a mapping",
    ),
    (
        "svc_unknown",
        r#"{"services": {"a": {"image": "x", "foo": 1}}}"#,
        "services.a additional properties 'foo' not allowed",
    ),
    (
        "sysctls_bad",
        r#"{"services": {"a": {"image": "x", "sysctls": {"a": [1]}}}}"#,
        "services.a.sysctls.a must be a boolean, null, number or string",
    ),
    (
        "tie_additional_vs_type",
        r#"{"services": {"a": {"foo": 1, "image": 1}}}"#,
        "services.a.image must be a string",
    ),
    (
        "tie_type_vs_additional",
        r#"{"services": {"a": {"image": 1, "foo": 1}}}"#,
        "services.a.image must be a string",
    ),
    (
        "tmpfs_size",
        r#"{"services": {"a": {"image": "x", "volumes": [{"type": "tmpfs", "target": "/x", "tmpfs": {"size": -1}}]}}}"#,
        "services.a.volumes.0.tmpfs.size must be greater than or equal to 0",
    ),
    (
        "top_unknown",
        r#"{"foo": 1, "services": {"a": {"image": "x"}}}"#,
        " additional properties 'foo' not allowed",
    ),
    (
        "ulimits",
        r#"{"services": {"a": {"image": "x", "ulimits": {"nofile": {"soft": 1}}}}}"#,
        "services.a.ulimits.nofile must be a integer or string",
    ),
    (
        "vol_no_type",
        r#"{"services": {"a": {"image": "x", "volumes": [{"target": "/x"}]}}}"#,
        "services.a.volumes.0 must be a string",
    ),
    (
        "vol_type_enum",
        r#"{"services": {"a": {"image": "x", "volumes": [{"type": "foo", "target": "/x"}]}}}"#,
        "services.a.volumes.0.type value must be one of 'bind', 'volume', 'tmpfs', 'cluster', 'npipe', 'image'",
    ),
    (
        "vol_unknown",
        r#"{"services": {"a": {"image": "x"}}, "volumes": {"v": {"foo": 1}}}"#,
        "volumes.v additional properties 'foo' not allowed",
    ),
    (
        "watch_action",
        r#"{"services": {"a": {"image": "x", "develop": {"watch": [{"path": ".", "action": "foo"}]}}}}"#,
        "services.a.develop.watch.0.action value must be one of 'rebuild', 'sync', 'restart', 'sync+restart', 'sync+exec'",
    ),
    (
        "watch_required",
        r#"{"services": {"a": {"image": "x", "develop": {"watch": [{"path": "."}]}}}}"#,
        "services.a.develop.watch.0 missing property 'action'",
    ),
    (
        "annotations_bad",
        r#"{"services": {"a": {"image": "x", "annotations": 1}}}"#,
        "services.a.annotations must be a mapping",
    ),
    (
        "command_int",
        r#"{"services": {"a": {"image": "x", "command": 1}}}"#,
        "services.a.command must be a null",
    ),
    (
        "command_list_int",
        r#"{"services": {"a": {"image": "x", "command": [1]}}}"#,
        "services.a.command.0 must be a string",
    ),
    (
        "config_unknown_name",
        r#"{"services": {"a": {"image": "x"}}, "configs": {"c": {"file": "x", "bogus": 1}}}"#,
        "configs.c additional properties 'bogus' not allowed",
    ),
    (
        "deep_vs_shallow",
        r#"{"services": {"a": {"image": "x", "foo": 1, "volumes": [{"type": "bind", "source": ".", "target": "/x", "bind": {"recursive": "foo"}}]}}}"#,
        "services.a.volumes.0.bind.recursive value must be one of 'enabled', 'disabled', 'writable', 'readonly'",
    ),
    (
        "dep_list_dup",
        r#"{"services": {"a": {"image": "x", "depends_on": ["b", "b"]}, "b": {"image": "x"}}}"#,
        "services.a.depends_on items at 0 and 1 are equal",
    ),
    (
        "devices_obj_bad",
        r#"{"services": {"a": {"image": "x", "devices": [{"target": "/x"}]}}}"#,
        "services.a.devices.0 must be a string",
    ),
    (
        "external_links_dup",
        r#"{"services": {"a": {"image": "x", "external_links": ["b", "c", "c"]}}}"#,
        "services.a.external_links items at 1 and 2 are equal",
    ),
    (
        "extra_hosts_bad",
        r#"{"services": {"a": {"image": "x", "extra_hosts": {"h": 1}}}}"#,
        "services.a.extra_hosts.h must be a string",
    ),
    (
        "extra_hosts_dup",
        r#"{"services": {"a": {"image": "x", "extra_hosts": ["a:1.1.1.1", "a:1.1.1.1"]}}}"#,
        "services.a.extra_hosts must be a mapping",
    ),
    (
        "float_str",
        r#"{"services": {"a": {"image": "x", "cpus": [1]}}}"#,
        "services.a.cpus must be a number or string",
    ),
    (
        "group_add_dup",
        r#"{"services": {"a": {"image": "x", "group_add": ["a", "b", "a"]}}}"#,
        "services.a.group_add items at 0 and 2 are equal",
    ),
    (
        "healthcheck_test_int",
        r#"{"services": {"a": {"image": "x", "healthcheck": {"test": 1}}}}"#,
        "services.a.healthcheck.test must be a string",
    ),
    (
        "hook_noreq",
        r#"{"services": {"a": {"image": "x", "post_start": [{"user": "root"}]}}}"#,
        "services.a.post_start.0 missing property 'command'",
    ),
    (
        "image_null",
        r#"{"services": {"a": {"image": null}}}"#,
        "services.a.image must be a string",
    ),
    (
        "ipam_bad",
        r#"{"services": {"a": {"image": "x"}}, "networks": {"n": {"ipam": {"config": [{"subnet": 1}]}}}}"#,
        "networks.n.ipam.config.0.subnet must be a string",
    ),
    (
        "logging_bad",
        r#"{"services": {"a": {"image": "x", "logging": {"options": {"a": [1]}}}}}"#,
        "services.a.logging.options.a must be a null, number or string",
    ),
    (
        "model_noreq",
        r#"{"services": {"a": {"image": "x"}}, "models": {"m": {"context_size": 1}}}"#,
        "models.m missing property 'model'",
    ),
    (
        "net_ext_bad",
        r#"{"services": {"a": {"image": "x"}}, "networks": {"n": {"external": {"foo": 1}}}}"#,
        "networks.n.external additional properties 'foo' not allowed",
    ),
    (
        "provider_noreq",
        r#"{"services": {"a": {"provider": {"options": {}}}}}"#,
        "services.a.provider missing property 'type'",
    ),
    (
        "security_opt_dup",
        r#"{"services": {"a": {"image": "x", "security_opt": ["a", "a"]}}}"#,
        "services.a.security_opt items at 0 and 1 are equal",
    ),
    (
        "shm_bool",
        r#"{"services": {"a": {"image": "x", "shm_size": false}}}"#,
        "services.a.shm_size must be a number or string",
    ),
    (
        "storage_opt",
        r#"{"services": {"a": {"image": "x", "storage_opt": 1}}}"#,
        "services.a.storage_opt must be a mapping",
    ),
    (
        "svc_bool_key",
        r#"{"services": {"a": {"image": "x", "tty": 3}}}"#,
        "services.a.tty must be a boolean or string",
    ),
    (
        "version_int",
        r#"{"version": 3, "services": {"a": {"image": "x"}}}"#,
        "version must be a string",
    ),
    (
        "volumes_from_dup",
        r#"{"services": {"a": {"image": "x", "volumes_from": ["b", "b"]}, "b": {"image": "x"}}}"#,
        "services.a.volumes_from items at 0 and 1 are equal",
    ),
    (
        "build_args_nested",
        r#"{"services": {"a": {"build": {"context": ".", "args": {"A": {"b": 1}}}}}}"#,
        "services.a.build.args.A must be a boolean, null, number or string",
    ),
    (
        "env_file_bad_item",
        r#"{"services": {"a": {"image": "x", "env_file": [{"path": "a", "required": 3}]}}}"#,
        "services.a.env_file.0.required must be a boolean or string",
    ),
    (
        "healthcheck_unknown",
        r#"{"services": {"a": {"image": "x", "healthcheck": {"test": ["CMD", "x"], "foo": 1}}}}"#,
        "services.a.healthcheck additional properties 'foo' not allowed",
    ),
    (
        "logging_driver_int",
        r#"{"services": {"a": {"image": "x", "logging": {"driver": 1}}}}"#,
        "services.a.logging.driver must be a string",
    ),
    (
        "network_ipv4_int",
        r#"{"services": {"a": {"image": "x", "networks": {"n": {"ipv4_address": 1}}}}, "networks": {"n": {}}}"#,
        "services.a.networks.n.ipv4_address must be a string",
    ),
    (
        "port_published_bool",
        r#"{"services": {"a": {"image": "x", "ports": [{"target": 80, "published": true}]}}}"#,
        "services.a.ports.0.published must be a integer or string",
    ),
    (
        "volume_top_list",
        r#"{"services": {"a": {"image": "x"}}, "volumes": {"v": [1]}}"#,
        "volumes.v must be a mapping or null",
    ),
];
