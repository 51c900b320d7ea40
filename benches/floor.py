#!/usr/bin/env python3
"""The floor: the fastest the daemon itself reaches the end state of a lifecycle command.

Adapted from the measuring stick we were given (/work/shared/bench/floor.py). It talks HTTP/1.1
straight to the Engine API on the UNIX socket (API 1.41), one keep-alive connection per worker
thread, no SDK and no process per request, and issues only the requests needed to reach the same
end state as `docker compose up -d`, `down`, `ps` or `ls` on a project of benches/gen_project.py,
with the most parallelism the dependency graph allows:

  up     networks and volumes all at once; every container created at once (and connected to its
         second network); each started the moment its dependencies are started (or healthy, for
         the `--health` projects); with `wait`, until every container is healthy.
  down   one list call, then each container stopped once every container depending on it has
         stopped, and removed; then the networks (volumes stay, as with `down` without `-v`).
  noop   what deciding that a converged project needs no change takes: its containers, networks
         and volumes listed, in parallel.
  ps     the project's running containers, one list call.
  ls     every Compose container on the daemon, one list call (what `ls` groups by project).

Times run from the first request to the last response: interpreter start-up and imports are not
in them. Used as a module by benches/lifecycle.py; as a script:

  floor.py up|down|noop|ps|ls|clean N PROJECT [--health] [--wait] [--mode dag|flat]

prints one JSON line with `seconds` and the number of requests (`clean`, untimed in spirit,
force-removes whatever the project left: containers, networks and volumes).
"""

import concurrent.futures
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

BENCHES = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCHES)

import gen_project  # noqa: E402  (the generator lives beside this script)

SOCKET = "/var/run/docker.sock"
API = "/v1.41"
IMAGE = "busybox:local"
PROJECT_LABEL = "com.docker.compose.project"


# ---------------------------------------------------------------------------------------------
# The project, as the floor needs it


def project_services(count, health=False):
    """The services of `gen_project.py COUNT DIR [--health]` as dictionaries, in index order.

    Each has: name, index, layer, depends_on (names), port (publishes 127.0.0.1::8080), volume
    (its own named volume or None), shared_volume, front (also on network `front`), health. The
    rules are those of gen_project.render, which writes the compose file the tools are given.
    """
    graph = gen_project.dependencies(count, "stacks")
    services = []
    for index in sorted(graph):
        layer, deps = graph[index]
        services.append({
            "name": gen_project.service_name(index),
            "index": index,
            "layer": layer,
            "depends_on": [gen_project.service_name(dep) for dep in deps],
            "port": index % 7 == 3,
            "volume": f"data{index:04d}" if index % 4 == 1 else None,
            "shared_volume": index % 10 == 5,
            "front": index % 3 == 0,
            "health": health,
        })
    return services


def volume_names(services):
    """The project's named volumes (unprefixed)."""
    return {"shared"} | {service["volume"] for service in services if service["volume"]}


def network_name(project, network):
    return f"{project}_{network}"


def container_name(project, service):
    return f"{project}-{service}-1"


# ---------------------------------------------------------------------------------------------
# HTTP over the UNIX socket


class UnixConnection(http.client.HTTPConnection):
    """An HTTP/1.1 connection to the daemon's UNIX socket."""

    def __init__(self, timeout=120):
        super().__init__("localhost", timeout=timeout)

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(SOCKET)
        self.sock = sock


class Client:
    """Keep-alive connections, one per calling thread, all closed by `close`; counts requests."""

    def __init__(self):
        self.local = threading.local()
        self.lock = threading.Lock()
        self.connections = []
        self.requests = 0

    def _connection(self, fresh=False):
        connection = getattr(self.local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            connection = self.local.connection = UnixConnection()
            with self.lock:
                self.connections.append(connection)
        return connection

    def call(self, method, path, body=None, ok=(200, 201, 204, 304), query=None):
        """One request; the decoded JSON answer (or raw bytes); RuntimeError on another status."""
        url = API + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = self._connection()
        for attempt in (0, 1):
            try:
                connection.request(method, url, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The daemon closed an idle keep-alive connection: once more on a new one.
                if attempt:
                    raise
                connection = self._connection(fresh=True)
        with self.lock:
            self.requests += 1
        if response.status not in ok:
            raise RuntimeError(f"{method} {url} -> {response.status}: {raw[:300]!r}")
        if raw and response.getheader("Content-Type", "").startswith("application/json"):
            return json.loads(raw)
        return raw

    def close(self):
        with self.lock:
            for connection in self.connections:
                connection.close()
            self.connections.clear()

    def list_containers(self, project=None, all_=True):
        """Containers with the Compose project label (of `project`, or of any project)."""
        label = f"{PROJECT_LABEL}={project}" if project else PROJECT_LABEL
        return self.call("GET", "/containers/json", query={
            "all": "1" if all_ else "0", "filters": json.dumps({"label": [label]})})

    def delete_network(self, name, deadline=15.0):
        """Remove a network; Docker 20.10 can report "active endpoints" for a moment after the
        last container went, so retry every 20 ms for up to `deadline` seconds."""
        end = time.perf_counter() + deadline
        while True:
            try:
                self.call("DELETE", f"/networks/{name}", ok=(200, 204, 404))
                return
            except RuntimeError as error:
                if "active endpoints" not in str(error) or time.perf_counter() > end:
                    raise
                time.sleep(0.02)


class Pool:
    """A thread pool that, on the way out (also on Ctrl-C), cancels what has not started and waits
    for requests in flight, so that a cleanup after it sees everything that was created."""

    def __init__(self, workers):
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
        self.errors = []
        self.failed = threading.Event()

    def submit(self, function, *arguments):
        try:
            future = self.executor.submit(function, *arguments)
        except RuntimeError as error:  # submitted from a worker after shutdown began
            self.errors.append(error)
            self.failed.set()
            return
        future.add_done_callback(self._check)

    def _check(self, future):
        if not future.cancelled() and future.exception() is not None:
            self.errors.append(future.exception())
            self.failed.set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.executor.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# Operations


def _labels(project, service):
    # The label set Compose writes (values abbreviated), plus the service's own labels.
    return {
        PROJECT_LABEL: project,
        "com.docker.compose.service": service["name"],
        "com.docker.compose.container-number": "1",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.version": "floor",
        "com.docker.compose.config-hash": "0" * 64,
        "com.docker.compose.depends_on": ",".join(
            f"{dep}:service_started:false" for dep in service["depends_on"]),
        "com.docker.compose.image": IMAGE,
        "com.docker.compose.project.config_files": "floor",
        "com.docker.compose.project.working_dir": "/tmp",
        "bench.role": "synthetic",
        "bench.layer": str(service["layer"]),
        "bench.service": service["name"],
        "bench.team": "platform",
    }


def _create_body(project, service):
    name = service["name"]
    environment = [
        "APP_ENV=production", "LOG_LEVEL=info",
        "UPSTREAMS=" + ",".join(service["depends_on"]),
        f"SERVICE_NAME={name}", f"SERVICE_INDEX={service['index']}",
        f"LAYER={service['layer']}",
    ]
    host = {"NetworkMode": network_name(project, "back"), "Init": True,
            "RestartPolicy": {"Name": ""}, "LogConfig": {"Type": "json-file"}}
    body = {"Image": IMAGE, "Cmd": ["sleep", "3600"], "Env": environment,
            "Labels": _labels(project, service), "StopTimeout": 1,
            "AttachStdout": True, "AttachStderr": True}
    if service["port"]:
        body["ExposedPorts"] = {"8080/tcp": {}}
        host["PortBindings"] = {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}
    binds = []
    if service["volume"]:
        binds.append(f"{project}_{service['volume']}:/data:rw")
    if service["shared_volume"]:
        binds.append(f"{project}_shared:/shared:rw")
    if binds:
        host["Binds"] = binds
    if service["health"]:
        body["Healthcheck"] = {"Test": ["CMD", "sh", "-c", "true"], "Interval": 1_000_000_000,
                               "Timeout": 1_000_000_000, "Retries": 3}
    body["HostConfig"] = host
    body["NetworkingConfig"] = {"EndpointsConfig": {
        network_name(project, "back"): {"Aliases": [container_name(project, name), name]}}}
    return body


class HealthWatcher:
    """Follows the project's `health_status` events (opened before the first start) and records
    the services that became healthy."""

    def __init__(self, project):
        self.healthy = set()
        self.condition = threading.Condition()
        self.connection = UnixConnection(timeout=None)
        filters = json.dumps({"type": ["container"], "event": ["health_status"],
                              "label": [f"{PROJECT_LABEL}={project}"]})
        self.connection.request("GET", API + "/events?" + urllib.parse.urlencode(
            {"filters": filters}))
        self.response = self.connection.getresponse()
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self):
        try:
            while line := self.response.readline():
                event = json.loads(line)
                if event.get("Action", "").startswith("health_status: healthy"):
                    service = event["Actor"]["Attributes"].get("com.docker.compose.service")
                    with self.condition:
                        self.healthy.add(service)
                        self.condition.notify_all()
        except Exception:  # noqa: BLE001  (`close` from another thread ends the stream any way)
            return

    def close(self):
        try:
            self.connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()


def up(services, project, wait=False, mode="dag"):
    """`up -d` (`wait`: `up -d --wait`). Mode `dag` honours depends_on; `flat` ignores it."""
    client = Client()
    names = [service["name"] for service in services]
    by_name = {service["name"]: service for service in services}
    health = any(service["health"] for service in services)
    dependents = {name: [] for name in names}
    for service in services:
        for dep in service["depends_on"]:
            dependents[dep].append(service["name"])
    watcher = None
    try:
        with Pool(max(4, len(names))) as pool:
            start = time.perf_counter()
            futures = []
            for network in ("back", "front"):
                futures.append(pool.executor.submit(client.call, "POST", "/networks/create", {
                    "Name": network_name(project, network), "Driver": "bridge",
                    "CheckDuplicate": True,
                    "Labels": {PROJECT_LABEL: project, "com.docker.compose.network": network,
                               "com.docker.compose.version": "floor"}}))
            for volume in volume_names(services):
                futures.append(pool.executor.submit(client.call, "POST", "/volumes/create", {
                    "Name": f"{project}_{volume}",
                    "Labels": {PROJECT_LABEL: project, "com.docker.compose.volume": volume,
                               "com.docker.compose.version": "floor"}}))
            for future in futures:
                future.result()
            networks_ready = time.perf_counter()
            if health:
                watcher = HealthWatcher(project)

            lock = threading.Lock()
            created, started, start_submitted = set(), set(), set()
            ids = {}
            all_started = threading.Event()

            def dependencies_met(name):
                if mode == "flat":
                    return True
                deps = by_name[name]["depends_on"]
                if health:
                    return all(dep in watcher.healthy for dep in deps)
                return all(dep in started for dep in deps)

            def maybe_start(name):  # with `lock` held
                if name in start_submitted or name not in created or not dependencies_met(name):
                    return
                start_submitted.add(name)
                pool.submit(start_container, name)

            def create_container(name):
                service = by_name[name]
                answer = client.call("POST", "/containers/create", _create_body(project, service),
                                     query={"name": container_name(project, name)})
                if service["front"]:
                    client.call("POST", f"/networks/{network_name(project, 'front')}/connect", {
                        "Container": answer["Id"],
                        "EndpointConfig": {"Aliases": [container_name(project, name), name]}})
                with lock:
                    ids[name] = answer["Id"]
                    created.add(name)
                    maybe_start(name)

            def start_container(name):
                client.call("POST", f"/containers/{ids[name]}/start")
                with lock:
                    started.add(name)
                    if len(started) == len(names):
                        all_started.set()
                    if not health:
                        for dependent in dependents[name]:
                            maybe_start(dependent)

            for name in names:
                pool.submit(create_container, name)
            while not all_started.is_set() and not pool.failed.is_set():
                if health:
                    # Dependents are released by health events.
                    with watcher.condition:
                        watcher.condition.wait(timeout=0.05)
                    with lock:
                        for name in names:
                            maybe_start(name)
                else:
                    all_started.wait(timeout=0.1)
            if pool.errors:
                raise pool.errors[0]
            started_at = time.perf_counter()
            if wait and health:
                with watcher.condition:
                    while not all(name in watcher.healthy for name in names):
                        watcher.condition.wait(timeout=0.5)
            end = time.perf_counter()
    finally:
        if watcher:
            watcher.close()
        client.close()
    return {"seconds": end - start, "networks_volumes_s": networks_ready - start,
            "all_started_s": started_at - start, "requests": client.requests}


def down(services, project, mode="dag"):
    """`down`: containers stopped in reverse dependency order and removed, then networks."""
    client = Client()
    by_name = {service["name"]: service for service in services}
    try:
        with Pool(max(4, len(services))) as pool:
            start = time.perf_counter()
            by_service = {container["Labels"]["com.docker.compose.service"]: container["Id"]
                          for container in client.list_containers(project)}
            present = set(by_service)
            dependents = {name: [] for name in present}
            for name in present:
                for dep in by_name[name]["depends_on"]:
                    if dep in present:
                        dependents[dep].append(name)
            lock = threading.Lock()
            stopped, submitted, removed = set(), set(), set()
            all_removed = threading.Event()

            def maybe_stop(name):  # with `lock` held
                if name in submitted:
                    return
                if mode == "dag" and not all(other in stopped for other in dependents[name]):
                    return
                submitted.add(name)
                pool.submit(stop_and_remove, name)

            def stop_and_remove(name):
                container = by_service[name]
                client.call("POST", f"/containers/{container}/stop", query={"t": "1"})
                with lock:
                    stopped.add(name)
                    for dep in by_name[name]["depends_on"]:
                        if dep in present:
                            maybe_stop(dep)
                client.call("DELETE", f"/containers/{container}", query={"force": "1"})
                with lock:
                    removed.add(name)
                    if len(removed) == len(present):
                        all_removed.set()

            with lock:
                if not present:
                    all_removed.set()
                for name in present:
                    maybe_stop(name)
            while not all_removed.is_set() and not pool.failed.is_set():
                all_removed.wait(timeout=0.1)
            if pool.errors:
                raise pool.errors[0]
            containers_done = time.perf_counter()
            futures = [pool.executor.submit(client.delete_network, network_name(project, network))
                       for network in ("back", "front")]
            for future in futures:
                future.result()
            end = time.perf_counter()
    finally:
        client.close()
    return {"seconds": end - start, "containers_s": containers_done - start,
            "containers": len(present), "requests": client.requests}


def noop(services, project):
    """A second `up -d` on a converged project: its containers, networks and volumes listed."""
    client = Client()
    filters = json.dumps({"label": [f"{PROJECT_LABEL}={project}"]})
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as executor:
            start = time.perf_counter()
            futures = [executor.submit(client.list_containers, project),
                       executor.submit(client.call, "GET", "/networks", None,
                                       (200,), {"filters": filters}),
                       executor.submit(client.call, "GET", "/volumes", None,
                                       (200,), {"filters": filters})]
            containers = futures[0].result()
            for future in futures[1:]:
                future.result()
            end = time.perf_counter()
    finally:
        client.close()
    return {"seconds": end - start, "containers": len(containers), "requests": client.requests}


def ps(services, project):
    """`ps`: the project's running containers."""
    client = Client()
    try:
        start = time.perf_counter()
        containers = client.list_containers(project, all_=False)
        end = time.perf_counter()
    finally:
        client.close()
    return {"seconds": end - start, "containers": len(containers), "requests": client.requests}


def ls(services=None, project=None):
    """`ls`: every Compose container on the daemon, which `ls` groups by project."""
    client = Client()
    try:
        start = time.perf_counter()
        containers = client.list_containers(None, all_=True)
        end = time.perf_counter()
    finally:
        client.close()
    projects = {container["Labels"][PROJECT_LABEL] for container in containers}
    return {"seconds": end - start, "projects": len(projects), "requests": client.requests}


def clean(project):
    """Force-remove everything of `project`: containers by label, then networks and volumes by
    label or by the `PROJECT_` name prefix (whoever created them). Returns what was removed."""
    client = Client()
    removed = []
    try:
        for container in client.list_containers(project, all_=True):
            client.call("DELETE", f"/containers/{container['Id']}",
                        query={"force": "1", "v": "1"}, ok=(204, 404))
            removed.append(container["Names"][0].lstrip("/"))
        for kind in ("networks", "volumes"):
            by_label = client.call("GET", f"/{kind}", ok=(200,), query={
                "filters": json.dumps({"label": [f"{PROJECT_LABEL}={project}"]})})
            by_name = client.call("GET", f"/{kind}", ok=(200,), query={
                "filters": json.dumps({"name": [f"{project}_"]})})
            if kind == "volumes":
                by_label = by_label.get("Volumes") or []
                by_name = by_name.get("Volumes") or []
            names = {item["Name"] for item in by_label}
            names |= {item["Name"] for item in by_name if item["Name"].startswith(f"{project}_")}
            for name in sorted(names):
                if kind == "networks":
                    try:
                        client.delete_network(name)
                    except RuntimeError as error:
                        # Docker 20.10 sometimes leaks a network with phantom endpoints after
                        # a teardown (see ANCHORS.md); only a daemon restart frees it. Say so
                        # and go on rather than abandon the whole run.
                        print(f"warning: could not remove network {name}: {error}",
                              file=sys.stderr)
                        continue
                else:
                    client.call("DELETE", f"/volumes/{name}", query={"force": "1"},
                                ok=(204, 404))
                removed.append(name)
    finally:
        client.close()
    return removed


def states(project):
    """The project's containers as {service: (id, state, status)}: for checks between timings."""
    client = Client()
    try:
        return {container["Labels"].get("com.docker.compose.service", "?"):
                (container["Id"], container["State"], container["Status"])
                for container in client.list_containers(project, all_=True)}
    finally:
        client.close()


def main(argv):
    flags = {arg for arg in argv[1:] if arg.startswith("--") and arg != "--mode"}
    positional = []
    mode = "dag"
    arguments = iter(argv[1:])
    for argument in arguments:
        if argument == "--mode":
            mode = next(arguments, "dag")
        elif not argument.startswith("--"):
            positional.append(argument)
    operations = {"up", "down", "noop", "ps", "ls", "clean"}
    if (len(positional) != 3 or positional[0] not in operations
            or flags - {"--health", "--wait"} or mode not in ("dag", "flat")):
        sys.exit(__doc__)
    operation, count, project = positional[0], int(positional[1]), positional[2]
    services = project_services(count, health="--health" in flags)
    if operation == "up":
        result = up(services, project, wait="--wait" in flags, mode=mode)
    elif operation == "down":
        result = down(services, project, mode=mode)
    elif operation == "clean":
        result = {"removed": clean(project)}
    else:
        result = {"noop": noop, "ps": ps, "ls": ls}[operation](services, project)
    result.update({"op": operation, "n": count, "mode": mode})
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
