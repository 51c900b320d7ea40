//! compose-go v2.9.1 `override/*_test.go` cases (inputs and expected trees), ported as data.
//! Generated from the Go tests' YAML (read with go-yaml's scalar rules) by a script; each test
//! merges, enforces unicity and compares with compose-go's expectation.

use super::tests::{assert_merge_case, assert_unicity_case};

/// From `merge_annotations_test.go`.
#[test]
fn merge_annotations_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "annotations": ["FOO=BAR"]}}}"#,
        r#"{"services": {"test": {"annotations": ["QIX=ZOT", "EMPTY=", "NIL"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "annotations": ["FOO=BAR", "QIX=ZOT", "EMPTY=", "NIL"]}}}"#,
    );
}

/// From `merge_annotations_test.go`.
#[test]
fn merge_annotations_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "annotations": {"FOO": "BAR"}}}}"#,
        r#"{"services": {"test": {"annotations": {"EMPTY": "", "NIL": null, "QIX": "ZOT"}}}}"#,
        r#"{"services": {"test": {"image": "foo", "annotations": ["FOO=BAR", "EMPTY=", "NIL", "QIX=ZOT"]}}}"#,
    );
}

/// From `merge_annotations_test.go`.
#[test]
fn merge_annotations_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "annotations": {"FOO": "BAR"}}}}"#,
        r#"{"services": {"test": {"annotations": ["QIX=ZOT"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "annotations": ["FOO=BAR", "QIX=ZOT"]}}}"#,
    );
}

/// From `merge_annotations_test.go`.
#[test]
fn merge_annotations_numbers() {
    assert_merge_case(
        r#"{"services": {"test": {"annotations": {"FOO": 1}}}}"#,
        r#"{"services": {"test": {"annotations": {"FOO": 3}}}}"#,
        r#"{"services": {"test": {"annotations": ["FOO=3"]}}}"#,
    );
}

/// From `merge_build_test.go`.
#[test]
fn merge_build_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"build": {"context": ".", "args": ["FOO=BAR"], "additional_contexts": ["resources=/path/to/resources", "app=docker-image://my-app:latest"], "platform": ["linux/amd64"], "tags": ["myimage:mytag"], "extra_hosts": ["somehost=162.242.195.82", "otherhost=50.31.209.229"]}}}}"#,
        r#"{"services": {"test": {"build": {"context": ".", "args": ["GIT_COMMIT=cdc3b19", "EMPTY=", "NIL"], "additional_contexts": ["source=https://github.com/myuser/project.git"], "platform": ["linux/arm64", "linux/amd64", "unsupported/unsupported"], "tags": ["myimage:mytag", "registry/username/myrepos:my-other-tag"], "extra_hosts": ["otherhost=50.31.209.230", "myhostv6=::1"]}}}}"#,
        r#"{"services": {"test": {"build": {"context": ".", "args": ["FOO=BAR", "GIT_COMMIT=cdc3b19", "EMPTY=", "NIL"], "additional_contexts": ["resources=/path/to/resources", "app=docker-image://my-app:latest", "source=https://github.com/myuser/project.git"], "platform": ["linux/amd64", "linux/arm64", "unsupported/unsupported"], "tags": ["myimage:mytag", "registry/username/myrepos:my-other-tag"], "extra_hosts": ["somehost=162.242.195.82", "otherhost=50.31.209.229", "otherhost=50.31.209.230", "myhostv6=::1"]}}}}"#,
    );
}

/// From `merge_build_test.go`.
#[test]
fn merge_args_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"build": {"context": ".", "args": {"FOO": "BAR"}, "additional_contexts": {"source": "https://github.com/myuser/project.git"}}}}}"#,
        r#"{"services": {"test": {"build": {"context": ".", "args": {"EMPTY": "", "NIL": null, "QIX": "ZOT"}, "additional_contexts": {"app": "docker-image://my-app:latest", "resources": "/path/to/resources"}}}}}"#,
        r#"{"services": {"test": {"build": {"context": ".", "args": ["FOO=BAR", "EMPTY=", "NIL", "QIX=ZOT"], "additional_contexts": ["source=https://github.com/myuser/project.git", "app=docker-image://my-app:latest", "resources=/path/to/resources"]}}}}"#,
    );
}

/// From `merge_build_test.go`.
#[test]
fn merge_args_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"build": {"context": ".", "args": {"FOO": "BAR"}, "additional_contexts": ["resources=/path/to/resources", "app=docker-image://my-app:latest"], "platform": "linux/amd64", "tags": ["myimage:mytag"]}}}}"#,
        r#"{"services": {"test": {"build": {"args": ["QIX=ZOT"], "additional_contexts": {"app": "docker-image://new-app:latest", "source": "https://github.com/myuser/project.git"}, "tags": ["registry/username/myrepos:my-other-tag"]}}}}"#,
        r#"{"services": {"test": {"build": {"context": ".", "args": ["FOO=BAR", "QIX=ZOT"], "additional_contexts": ["resources=/path/to/resources", "app=docker-image://new-app:latest", "source=https://github.com/myuser/project.git"], "platform": "linux/amd64", "tags": ["myimage:mytag", "registry/username/myrepos:my-other-tag"]}}}}"#,
    );
}

/// From `merge_build_test.go`.
#[test]
fn merge_args_number() {
    assert_merge_case(
        r#"{"services": {"test": {"build": {"context": ".", "args": {"FOO": 1}}}}}"#,
        r#"{"services": {"test": {"build": {"context": ".", "args": {"FOO": 3}}}}}"#,
        r#"{"services": {"test": {"build": {"context": ".", "args": ["FOO=3"]}}}}"#,
    );
}

/// From `merge_cap_test.go`.
#[test]
fn merge_cap_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "cap_add": ["CAP_BPF", "CAP_CHOWN"], "cap_drop": ["NET_ADMIN", "SYS_ADMIN"]}}}"#,
        r#"{"services": {"test": {"cap_add": ["CAP_KILL", "CAP_CHOWN"], "cap_drop": ["NET_ADMIN", "CAP_FOWNER"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "cap_add": ["CAP_BPF", "CAP_CHOWN", "CAP_KILL"], "cap_drop": ["NET_ADMIN", "SYS_ADMIN", "CAP_FOWNER"]}}}"#,
    );
}

/// From `merge_devices_test.go`.
#[test]
fn merge_devices() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "devices": ["/dev/sda:/dev/sda", "/dev/sdb:/dev/sdb", "/dev/sdc:/dev/sdc", "/dev/sdd:/dev/sdd"]}}}"#,
        r#"{"services": {"test": {"devices": ["/dev/sde:/dev/sde", "/dev/sdf:/dev/sdf", "/dev/sdg:/dev/sdg", "/dev/sdh:/dev/sdh"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "devices": ["/dev/sda:/dev/sda", "/dev/sdb:/dev/sdb", "/dev/sdc:/dev/sdc", "/dev/sdd:/dev/sdd", "/dev/sde:/dev/sde", "/dev/sdf:/dev/sdf", "/dev/sdg:/dev/sdg", "/dev/sdh:/dev/sdh"]}}}"#,
    );
}

/// From `merge_devices_test.go`.
#[test]
fn merge_devices_override() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "devices": ["/dev/sda:/dev/sda", "/dev/sdb:/dev/sdb", "/dev/sdc:/dev/sdc", "/dev/sdd:/dev/sdd"]}}}"#,
        r#"{"services": {"test": {"devices": ["/dev/nvme0n1p1:/dev/sda", "/dev/nvme1n1p1:/dev/sdb", "/dev/nvme2n1p1:/dev/sdc"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "devices": ["/dev/nvme0n1p1:/dev/sda", "/dev/nvme1n1p1:/dev/sdb", "/dev/nvme2n1p1:/dev/sdc", "/dev/sdd:/dev/sdd"]}}}"#,
    );
}

/// From `merge_dns_test.go`.
#[test]
fn merge_dns_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "dns": ["8.8.8.8"], "dns_opt": ["use-vc"], "dns_search": ["dc1.example.com"]}}}"#,
        r#"{"services": {"test": {"dns": ["9.9.9.9"], "dns_opt": ["no-tld-query"], "dns_search": ["dc2.example.com"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "dns": ["8.8.8.8", "9.9.9.9"], "dns_opt": ["use-vc", "no-tld-query"], "dns_search": ["dc1.example.com", "dc2.example.com"]}}}"#,
    );
}

/// From `merge_dns_test.go`.
#[test]
fn merge_dns_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "dns": ["8.8.8.8", "10.10.10.10", "9.9.9.9"], "dns_opt": ["use-vc", "no-tld-query"], "dns_search": ["dc1.example.com", "dc2.example.com"]}}}"#,
        r#"{"services": {"test": {"dns": "9.9.9.9", "dns_opt": ["no-tld-query"], "dns_search": "dc2.example.com"}}}"#,
        r#"{"services": {"test": {"image": "foo", "dns": ["8.8.8.8", "10.10.10.10", "9.9.9.9"], "dns_opt": ["use-vc", "no-tld-query"], "dns_search": ["dc1.example.com", "dc2.example.com"]}}}"#,
    );
}

/// From `merge_env_file_test.go`.
#[test]
fn merge_env_files_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "env_file": ["foo.env"]}}}"#,
        r#"{"services": {"test": {"env_file": ["bar.env", "baz.env"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "env_file": ["foo.env", "bar.env", "baz.env"]}}}"#,
    );
}

/// From `merge_env_file_test.go`.
#[test]
fn merge_env_files_string() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "env_file": "foo.env"}}}"#,
        r#"{"services": {"test": {"env_file": "bar.env"}}}"#,
        r#"{"services": {"test": {"image": "foo", "env_file": ["foo.env", "bar.env"]}}}"#,
    );
}

/// From `merge_env_file_test.go`.
#[test]
fn merge_env_files_mixed_sequence_then_string() {
    assert_merge_case(
        r#"{"services": {"test": {"env_file": "foo.env"}}}"#,
        r#"{"services": {"test": {"env_file": ["bar.env", "foo.env"]}}}"#,
        r#"{"services": {"test": {"env_file": ["foo.env", "bar.env"]}}}"#,
    );
}

/// From `merge_env_file_test.go`.
#[test]
fn merge_env_files_mixed_string_then_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"env_file": ["bar.env", "foo.env"]}}}"#,
        r#"{"services": {"test": {"env_file": "foo.env"}}}"#,
        r#"{"services": {"test": {"env_file": ["bar.env", "foo.env"]}}}"#,
    );
}

/// From `merge_env_file_test.go`.
#[test]
fn merge_env_files_mixed_unicity_between_string_and_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"env_file": ["bar.env", "foo.env"]}}}"#,
        r#"{"services": {"test": {"env_file": [{"path": "foo.env", "required": true}]}}}"#,
        r#"{"services": {"test": {"env_file": ["bar.env", {"path": "foo.env", "required": true}]}}}"#,
    );
}

/// From `merge_environment_test.go`.
#[test]
fn merge_environment_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "environment": ["FOO=BAR"]}}}"#,
        r#"{"services": {"test": {"environment": ["QIX=ZOT", "EMPTY=", "NIL"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "environment": ["FOO=BAR", "QIX=ZOT", "EMPTY=", "NIL"]}}}"#,
    );
}

/// From `merge_environment_test.go`.
#[test]
fn merge_environment_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "environment": {"FOO": "BAR"}}}}"#,
        r#"{"services": {"test": {"environment": {"EMPTY": "", "NIL": null, "QIX": "ZOT"}}}}"#,
        r#"{"services": {"test": {"image": "foo", "environment": ["FOO=BAR", "EMPTY=", "NIL", "QIX=ZOT"]}}}"#,
    );
}

/// From `merge_environment_test.go`.
#[test]
fn merge_environment_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "environment": {"FOO": "BAR"}}}}"#,
        r#"{"services": {"test": {"environment": ["QIX=ZOT"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "environment": ["FOO=BAR", "QIX=ZOT"]}}}"#,
    );
}

/// From `merge_environment_test.go`.
#[test]
fn merge_environment_number() {
    assert_merge_case(
        r#"{"services": {"test": {"environment": {"FOO": 1}}}}"#,
        r#"{"services": {"test": {"environment": {"FOO": 3}}}}"#,
        r#"{"services": {"test": {"environment": ["FOO=3"]}}}"#,
    );
}

/// From `merge_extra_hosts_test.go`.
#[test]
fn merge_extra_hosts_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "extra_hosts": ["example.com=1.2.3.4"]}}}"#,
        r#"{"services": {"test": {"extra_hosts": ["localhost=127.0.0.1", "example.com=1.2.3.4", "example.com=4.3.2.1"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "extra_hosts": ["example.com=1.2.3.4", "localhost=127.0.0.1", "example.com=4.3.2.1"]}}}"#,
    );
}

/// From `merge_extra_hosts_test.go`.
#[test]
fn merge_extra_hosts_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "extra_hosts": {"example.com": "1.2.3.4"}}}}"#,
        r#"{"services": {"test": {"extra_hosts": {"localhost": "127.0.0.1", "example.com": ["1.2.3.4", "4.3.2.1"]}}}}"#,
        r#"{"services": {"test": {"image": "foo", "extra_hosts": ["example.com=1.2.3.4", "example.com=4.3.2.1", "localhost=127.0.0.1"]}}}"#,
    );
}

/// From `merge_extra_hosts_test.go`.
#[test]
fn merge_extra_hosts_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "extra_hosts": {"example.com": "1.2.3.4"}}}}"#,
        r#"{"services": {"test": {"extra_hosts": ["localhost=127.0.0.1", "example.com=1.2.3.4", "example.com=4.3.2.1"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "extra_hosts": ["example.com=1.2.3.4", "localhost=127.0.0.1", "example.com=4.3.2.1"]}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_labels_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "labels": ["FOO=BAR"]}}}"#,
        r#"{"services": {"test": {"labels": ["QIX=ZOT", "EMPTY=", "NIL"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "labels": ["FOO=BAR", "QIX=ZOT", "EMPTY=", "NIL"]}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_labels_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "labels": {"FOO": "BAR"}}}}"#,
        r#"{"services": {"test": {"labels": {"EMPTY": "", "NIL": null, "QIX": "ZOT"}}}}"#,
        r#"{"services": {"test": {"image": "foo", "labels": ["FOO=BAR", "EMPTY=", "NIL", "QIX=ZOT"]}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_labels_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "labels": {"FOO": "BAR"}}}}"#,
        r#"{"services": {"test": {"labels": ["QIX=ZOT"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "labels": ["FOO=BAR", "QIX=ZOT"]}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_labels_number() {
    assert_merge_case(
        r#"{"services": {"test": {"labels": {"FOO": 1}}}}"#,
        r#"{"services": {"test": {"labels": {"FOO": 3}}}}"#,
        r#"{"services": {"test": {"labels": ["FOO=3"]}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_deploy_labels_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "deploy": {"labels": ["FOO=BAR"]}}}}"#,
        r#"{"services": {"test": {"deploy": {"labels": ["QIX=ZOT", "EMPTY=", "NIL"]}}}}"#,
        r#"{"services": {"test": {"image": "foo", "deploy": {"labels": ["FOO=BAR", "QIX=ZOT", "EMPTY=", "NIL"]}}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_deploy_labels_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "deploy": {"labels": {"FOO": "BAR"}}}}}"#,
        r#"{"services": {"test": {"deploy": {"labels": {"EMPTY": "", "NIL": null, "QIX": "ZOT"}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "deploy": {"labels": ["FOO=BAR", "EMPTY=", "NIL", "QIX=ZOT"]}}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_deploy_labels_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "deploy": {"labels": {"FOO": "BAR"}}}}}"#,
        r#"{"services": {"test": {"deploy": {"labels": ["QIX=ZOT"]}}}}"#,
        r#"{"services": {"test": {"image": "foo", "deploy": {"labels": ["FOO=BAR", "QIX=ZOT"]}}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_deploy_labels_number() {
    assert_merge_case(
        r#"{"services": {"test": {"deploy": {"labels": {"FOO": 1}}}}}"#,
        r#"{"services": {"test": {"deploy": {"labels": {"FOO": 3}}}}}"#,
        r#"{"services": {"test": {"deploy": {"labels": ["FOO=3"]}}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_build_labels_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "build": {"labels": ["FOO=BAR"]}}}}"#,
        r#"{"services": {"test": {"build": {"labels": ["QIX=ZOT", "EMPTY=", "NIL"]}}}}"#,
        r#"{"services": {"test": {"image": "foo", "build": {"labels": ["FOO=BAR", "QIX=ZOT", "EMPTY=", "NIL"]}}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_build_labels_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "build": {"labels": {"FOO": "BAR"}}}}}"#,
        r#"{"services": {"test": {"build": {"labels": {"EMPTY": "", "NIL": null, "QIX": "ZOT"}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "build": {"labels": ["FOO=BAR", "EMPTY=", "NIL", "QIX=ZOT"]}}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_build_labels_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "build": {"labels": {"FOO": "BAR"}}}}}"#,
        r#"{"services": {"test": {"build": {"labels": ["QIX=ZOT"]}}}}"#,
        r#"{"services": {"test": {"image": "foo", "build": {"labels": ["FOO=BAR", "QIX=ZOT"]}}}}"#,
    );
}

/// From `merge_labels_test.go`.
#[test]
fn merge_build_labels_number() {
    assert_merge_case(
        r#"{"services": {"test": {"build": {"labels": {"FOO": 1}}}}}"#,
        r#"{"services": {"test": {"build": {"labels": {"FOO": 3}}}}}"#,
        r#"{"services": {"test": {"build": {"labels": ["FOO=3"]}}}}"#,
    );
}

/// From `merge_links_test.go`.
#[test]
fn merge_extra_links_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "links": ["service1", "service2"]}}}"#,
        r#"{"services": {"test": {"links": ["service2=alias1"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "links": ["service1", "service2=alias1"]}}}"#,
    );
}

/// From `merge_logging_test.go`.
#[test]
fn merge_logging_same_driver() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "logging": {"driver": "syslog", "options": {"syslog-address": "tcp://192.168.0.42:123"}}}}}"#,
        r#"{"services": {"test": {"logging": {"driver": "syslog", "options": {"syslog-address": "tcp://127.0.0.1:123"}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "logging": {"driver": "syslog", "options": {"syslog-address": "tcp://127.0.0.1:123"}}}}}"#,
    );
}

/// From `merge_logging_test.go`.
#[test]
fn merge_logging_distinct_driver() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "logging": {"driver": "local", "options": {"max-size": "10m"}}}}}"#,
        r#"{"services": {"test": {"logging": {"driver": "syslog", "options": {"syslog-address": "tcp://127.0.0.1:123"}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "logging": {"driver": "syslog", "options": {"syslog-address": "tcp://127.0.0.1:123"}}}}}"#,
    );
}

/// From `merge_logging_test.go`.
#[test]
fn merge_logging_implicit_driver() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "logging": {"options": {"max-size": "10m"}}}}}"#,
        r#"{"services": {"test": {"logging": {"options": {"max-file": 3}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "logging": {"options": {"max-size": "10m", "max-file": 3}}}}}"#,
    );
}

/// From `merge_mem_test.go`.
#[test]
fn merge_mem_limit_mixed_string_then_int() {
    assert_merge_case(
        r#"{"services": {"test": {"mem_limit": 1}}}"#,
        r#"{"services": {"test": {"mem_limit": "256m"}}}"#,
        r#"{"services": {"test": {"mem_limit": "256m"}}}"#,
    );
}

/// From `merge_mem_test.go`.
#[test]
fn merge_mem_limit_mixed_int_then_string() {
    assert_merge_case(
        r#"{"services": {"test": {"mem_limit": "256m"}}}"#,
        r#"{"services": {"test": {"mem_limit": 1}}}"#,
        r#"{"services": {"test": {"mem_limit": 1}}}"#,
    );
}

/// From `merge_models_test.go`.
#[test]
fn merge_service_models_short_syntax() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "models": ["llm", "embedding-model"]}}}"#,
        r#"{"services": {"test": {"models": ["vision-model"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "models": {"llm": null, "embedding-model": null, "vision-model": null}}}}"#,
    );
}

/// From `merge_models_test.go`.
#[test]
fn merge_service_models_long_syntax() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "models": {"llm": {"endpoint_var": "AI_MODEL_URL", "model_var": "AI_MODEL_NAME"}}}}}"#,
        r#"{"services": {"test": {"models": {"embedding-model": {"endpoint_var": "EMBEDDING_URL", "model_var": "EMBEDDING_MODEL"}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "models": {"llm": {"endpoint_var": "AI_MODEL_URL", "model_var": "AI_MODEL_NAME"}, "embedding-model": {"endpoint_var": "EMBEDDING_URL", "model_var": "EMBEDDING_MODEL"}}}}}"#,
    );
}

/// From `merge_models_test.go`.
#[test]
fn merge_service_models_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "models": ["llm", "embedding-model"]}}}"#,
        r#"{"services": {"test": {"models": {"vision-model": {"endpoint_var": "VISION_URL", "model_var": "VISION_MODEL"}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "models": {"llm": null, "embedding-model": null, "vision-model": {"endpoint_var": "VISION_URL", "model_var": "VISION_MODEL"}}}}}"#,
    );
}

/// From `merge_models_test.go`.
#[test]
fn merge_service_models_override() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "models": {"llm": {"endpoint_var": "OLD_MODEL_URL", "model_var": "OLD_MODEL_NAME"}}}}}"#,
        r#"{"services": {"test": {"models": {"llm": {"endpoint_var": "NEW_MODEL_URL", "model_var": "NEW_MODEL_NAME"}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "models": {"llm": {"endpoint_var": "NEW_MODEL_URL", "model_var": "NEW_MODEL_NAME"}}}}}"#,
    );
}

/// From `merge_models_test.go`.
#[test]
fn merge_top_level_models() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo"}}, "models": {"llm": {"model": "ai/smollm2", "context_size": 2048, "runtime_flags": ["--gpu"]}}}"#,
        r#"{"services": {"test": {"image": "foo"}}, "models": {"embedding-model": {"model": "ai/all-minilm", "context_size": 512, "runtime_flags": ["--cpu"]}}}"#,
        r#"{"services": {"test": {"image": "foo"}}, "models": {"llm": {"model": "ai/smollm2", "context_size": 2048, "runtime_flags": ["--gpu"]}, "embedding-model": {"model": "ai/all-minilm", "context_size": 512, "runtime_flags": ["--cpu"]}}}"#,
    );
}

/// From `merge_models_test.go`.
#[test]
fn merge_models_complete_scenario() {
    assert_merge_case(
        r#"{"services": {"app": {"image": "myapp", "models": ["llm"]}, "worker": {"image": "worker", "models": {"embedding-model": {"endpoint_var": "EMBEDDING_URL"}}}}, "models": {"llm": {"model": "ai/smollm2", "context_size": 2048}, "embedding-model": {"model": "ai/all-minilm", "context_size": 512}}}"#,
        r#"{"services": {"app": {"models": ["vision-model"]}, "worker": {"models": {"llm": {"endpoint_var": "LLM_URL", "model_var": "LLM_NAME"}}}}, "models": {"vision-model": {"model": "ai/clip", "context_size": 1024}, "llm": {"model": "ai/gpt-4", "context_size": 8192}}}"#,
        r#"{"services": {"app": {"image": "myapp", "models": {"llm": null, "vision-model": null}}, "worker": {"image": "worker", "models": {"embedding-model": {"endpoint_var": "EMBEDDING_URL"}, "llm": {"endpoint_var": "LLM_URL", "model_var": "LLM_NAME"}}}}, "models": {"llm": {"model": "ai/gpt-4", "context_size": 8192}, "embedding-model": {"model": "ai/all-minilm", "context_size": 512}, "vision-model": {"model": "ai/clip", "context_size": 1024}}}"#,
    );
}

/// From `merge_models_test.go`.
#[test]
fn merge_models_multiple_services() {
    assert_merge_case(
        r#"{"services": {"go-genai": {"models": ["llm"]}}, "models": {"llm": {"model": "ai/smollm2", "context_size": 2048}}}"#,
        r#"{"services": {"node-genai": {"models": ["llm"]}}, "models": {"llm": {"model": "ai/smollm2", "context_size": 2048}}}"#,
        r#"{"services": {"go-genai": {"models": ["llm"]}, "node-genai": {"models": ["llm"]}}, "models": {"llm": {"model": "ai/smollm2", "context_size": 2048}}}"#,
    );
}

/// From `merge_mounts_test.go`.
#[test]
fn merge_service_mount() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "secrets": ["foo", "bar", "zot"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "secrets": [{"source": "zot", "target": "/run/secrets/foo"}]}}}"#,
        r#"{"services": {"test": {"image": "foo", "secrets": [{"source": "zot", "target": "/run/secrets/foo"}, "bar", "zot"]}}}"#,
    );
}

/// From `merge_networks_test.go`.
#[test]
fn merge_service_network_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "networks": ["front-network", "back-network"]}}}"#,
        r#"{"services": {"test": {"networks": ["front-network"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "networks": {"front-network": null, "back-network": null}}}}"#,
    );
}

/// From `merge_networks_test.go`.
#[test]
fn merge_service_networks_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "networks": {"network1": {"aliases": ["alias1", "alias2"], "link_local_ips": ["57.123.22.11", "57.123.22.13"]}, "network2": {"aliases": ["alias1", "alias3"]}}}}}"#,
        r#"{"services": {"test": {"networks": {"network1": {"aliases": ["alias3", "alias1"], "link_local_ips": ["57.123.22.12", "57.123.22.13"]}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "networks": {"network1": {"aliases": ["alias1", "alias2", "alias3"], "link_local_ips": ["57.123.22.11", "57.123.22.13", "57.123.22.12"]}, "network2": {"aliases": ["alias1", "alias3"]}}}}}"#,
    );
}

/// From `merge_networks_test.go`.
#[test]
fn merge_service_networks_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "networks": ["front-network", "back-network", "network1"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "networks": {"network1": {"aliases": ["alias1", "alias2"], "link_local_ips": ["57.123.22.11", "57.123.22.13"]}, "network2": {"aliases": ["alias1", "alias3"]}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "networks": {"front-network": null, "back-network": null, "network1": {"aliases": ["alias1", "alias2"], "link_local_ips": ["57.123.22.11", "57.123.22.13"]}, "network2": {"aliases": ["alias1", "alias3"]}}}}}"#,
    );
}

/// From `merge_networks_test.go`.
#[test]
fn merge_networks() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo"}}, "networks": {"network1": {"ipam": {"config": [{"subnet": "172.28.0.0/16", "ip_range": "172.28.5.0/24", "gateway": "172.28.5.254", "aux_addresses": {"host1": "172.28.1.5", "host2": "172.28.1.6", "host3": "172.28.1.7"}}], "options": {"foo": "bar", "baz": "0"}}, "labels": {"com.example.description": "Financial transaction network", "com.example.department": "Finance", "com.example.label-with-empty-value": ""}}}}"#,
        r#"{"services": {"test": {"image": "foo"}}, "networks": {"network1": {"ipam": {"config": [{"subnet": "172.28.0.0/16", "ip_range": "172.28.5.1/24", "gateway": "172.28.5.254", "aux_addresses": {"host1": "172.28.1.5", "host2": "172.28.1.4", "host4": "172.28.1.10"}}, {"subnet": "172.28.10.0/16", "ip_range": "172.28.10.1/24", "gateway": "172.28.10.254", "aux_addresses": {"host1": "172.28.10.5", "host2": "172.28.10.4", "host3": "172.28.10.10"}}], "options": {"bar": "foo", "baz": "0"}}, "labels": ["com.example.department-new=New", "com.example.description=Financial transaction network", "com.example.label-with-empty-value="]}, "network2": null}}"#,
        r#"{"services": {"test": {"image": "foo"}}, "networks": {"network1": {"ipam": {"config": [{"subnet": "172.28.0.0/16", "ip_range": "172.28.5.1/24", "gateway": "172.28.5.254", "aux_addresses": {"host1": "172.28.1.5", "host2": "172.28.1.4", "host3": "172.28.1.7", "host4": "172.28.1.10"}}, {"subnet": "172.28.10.0/16", "ip_range": "172.28.10.1/24", "gateway": "172.28.10.254", "aux_addresses": {"host1": "172.28.10.5", "host2": "172.28.10.4", "host3": "172.28.10.10"}}], "options": {"foo": "bar", "bar": "foo", "baz": "0"}}, "labels": ["com.example.department=Finance", "com.example.description=Financial transaction network", "com.example.label-with-empty-value=", "com.example.department-new=New"]}, "network2": null}}"#,
    );
}

/// From `merge_profiles_test.go`.
#[test]
fn merge_profiles_unicity() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "profiles": ["profile1", "profile2"]}}}"#,
        r#"{"services": {"test": {"profiles": ["profile2", "profile3"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "profiles": ["profile1", "profile2", "profile3"]}}}"#,
    );
}

/// From `merge_sysctls_test.go`.
#[test]
fn merge_sysctls_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "sysctls": ["net.ipv6.conf.all.disable_ipv6=1"]}}}"#,
        r#"{"services": {"test": {"sysctls": ["net.ipv4.tcp_keepalive_time=300"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "sysctls": ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv4.tcp_keepalive_time=300"]}}}"#,
    );
}

/// From `merge_sysctls_test.go`.
#[test]
fn merge_sysctls_mapping() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "sysctls": {"net.ipv6.conf.all.disable_ipv6": 1}}}}"#,
        r#"{"services": {"test": {"sysctls": {"net.ipv4.tcp_keepalive_time": "300"}}}}"#,
        r#"{"services": {"test": {"image": "foo", "sysctls": ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv4.tcp_keepalive_time=300"]}}}"#,
    );
}

/// From `merge_sysctls_test.go`.
#[test]
fn merge_sysctls_mixed() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "sysctls": {"net.ipv6.conf.all.disable_ipv6": 1}}}}"#,
        r#"{"services": {"test": {"sysctls": ["net.ipv4.tcp_keepalive_time=300"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "sysctls": ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv4.tcp_keepalive_time=300"]}}}"#,
    );
}

/// From `merge_sysctls_test.go`.
#[test]
fn merge_sysctls_numbers() {
    assert_merge_case(
        r#"{"services": {"test": {"sysctls": {"net.ipv4.tcp_keepalive_time": 1}}}}"#,
        r#"{"services": {"test": {"sysctls": {"net.ipv4.tcp_keepalive_time": 3}}}}"#,
        r#"{"services": {"test": {"sysctls": ["net.ipv4.tcp_keepalive_time=3"]}}}"#,
    );
}

/// From `merge_tmpfs_test.go`.
#[test]
fn merge_tmpfs_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "tmpfs": ["/foo"]}}}"#,
        r#"{"services": {"test": {"tmpfs": ["/bar", "/baz", "/foo"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "tmpfs": ["/foo", "/bar", "/baz"]}}}"#,
    );
}

/// From `merge_tmpfs_test.go`.
#[test]
fn merge_tmpfs_string() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "tmpfs": "/foo"}}}"#,
        r#"{"services": {"test": {"tmpfs": "/bar"}}}"#,
        r#"{"services": {"test": {"image": "foo", "tmpfs": ["/foo", "/bar"]}}}"#,
    );
}

/// From `merge_tmpfs_test.go`.
#[test]
fn merge_tmpfs_mixed_sequence_then_string() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "tmpfs": "/foo"}}}"#,
        r#"{"services": {"test": {"tmpfs": ["/bar", "/foo"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "tmpfs": ["/foo", "/bar"]}}}"#,
    );
}

/// From `merge_tmpfs_test.go`.
#[test]
fn merge_tmpfs_mixed_string_then_sequence() {
    assert_merge_case(
        r#"{"services": {"test": {"tmpfs": ["/bar", "/foo"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "tmpfs": "/foo"}}}"#,
        r#"{"services": {"test": {"image": "foo", "tmpfs": ["/bar", "/foo"]}}}"#,
    );
}

/// From `merge_ulimits_test.go`.
#[test]
fn merge_ulimits() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "ulimits": {"nofile": {"soft": 20000, "hard": 40000}, "nproc": 65535, "locks": {"soft": 20000, "hard": 40000}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "ulimits": {"nofile": {"soft": 10000, "hard": 40000}, "nproc": {"soft": 65535}, "locks": {"hard": 65535}}}}}"#,
        r#"{"services": {"test": {"image": "foo", "ulimits": {"nofile": {"soft": 10000, "hard": 40000}, "nproc": {"soft": 65535}, "locks": {"hard": 65535}}}}}"#,
    );
}

/// From `merge_volumes_test.go`.
#[test]
fn merge_volumes() {
    assert_merge_case(
        r#"{"services": {"test": {"image": "foo", "volumes": ["a:/a", {"type": "bind", "source": "./b", "target": "/b"}]}}}"#,
        r#"{"services": {"test": {"volumes": ["c:/c"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "volumes": ["a:/a", {"type": "bind", "source": "./b", "target": "/b"}, "c:/c"]}}}"#,
    );
}

/// From `uncity_test.go`.
#[test]
fn unicity_environment_unicity() {
    assert_unicity_case(
        r#"{"services": {"test": {"image": "foo", "environment": ["FOO=BAR", "BAR=QIX", "QIX=", "ZOT", "FOO=ZOT", "QIX", "ZOT="]}}}"#,
        r#"{"services": {"test": {"image": "foo", "environment": ["FOO=ZOT", "BAR=QIX", "QIX", "ZOT="]}}}"#,
    );
}

/// From `uncity_test.go`.
#[test]
fn unicity_volume_unicity() {
    assert_unicity_case(
        r#"{"services": {"test": {"image": "foo", "volumes": [".:/foo", "foo:/bar", "src:/foo"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "volumes": ["src:/foo", "foo:/bar"]}}}"#,
    );
}

/// From `uncity_test.go`.
#[test]
fn unicity_ports_short_unicity() {
    assert_unicity_case(
        r#"{"services": {"test": {"image": "foo", "ports": ["9080:80", "9081:81", "9080:80", "5000", "6060:6060/udp", "9080:6060/udp"]}}}"#,
        r#"{"services": {"test": {"image": "foo", "ports": ["9080:80", "9081:81", "5000", "6060:6060/udp", "9080:6060/udp"]}}}"#,
    );
}

/// From `uncity_test.go`.
#[test]
fn unicity_ports_longt_unicity() {
    assert_unicity_case(
        r#"{"services": {"test": {"image": "foo", "ports": [{"target": 80, "host_ip": "127.0.0.1", "published": "8080", "protocol": "tcp", "mode": "host"}, {"target": 81, "published": "8080", "protocol": "tcp"}, {"target": 80, "host_ip": "127.0.0.2", "published": "8080", "protocol": "tcp"}, {"target": 81, "published": "8080", "protocol": "tcp"}]}}}"#,
        r#"{"services": {"test": {"image": "foo", "ports": [{"target": 80, "host_ip": "127.0.0.1", "published": "8080", "protocol": "tcp", "mode": "host"}, {"target": 81, "published": "8080", "protocol": "tcp"}, {"target": 80, "host_ip": "127.0.0.2", "published": "8080", "protocol": "tcp"}]}}}"#,
    );
}
