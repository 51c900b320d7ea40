#!/usr/bin/env python3
"""Time `watch` sync latency and idle CPU with berth and with `docker compose`, on one daemon.

Usage: watch.py [--edits N] [--idle SECONDS] [--files N] [--berth PATH] [--compose CMD]
                [--only latency|idle]

Latency: one service syncing `./src` to `/app`. For each tool in turn, `watch` runs in the
background on its own project; each edit writes a new content to `src/probe.txt` and the time
until that content is readable in the container is measured by polling the container's merged
filesystem on the host every millisecond (root can read the overlay directory the daemon
mounts; `docker exec` would add its own tens of milliseconds). Edits are spaced by a pause so
that each is a batch of its own. Prints the median and the 95th percentile per tool and the
ratio berth/compose of the medians (the issue's goal: at most one third).

Idle: a tree of `--files` files (half in a `node_modules` that the trigger ignores), `watch`
started on it, then the CPU time (user + system, the process and its children) used during
`--idle` seconds of no change, as a percentage of one core; also the time until `Watch enabled`
and the inotify watches the process holds. Projects are taken down at the end, also on failure
or Ctrl-C.
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import binary  # beside this script

BENCHES = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(BENCHES)
IMAGE = "berth-test/busybox:local"
COMPOSE = f"""services:
  s:
    image: {IMAGE}
    command: [sleep, "86400"]
    init: true
    stop_grace_period: 1s
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: [node_modules]
"""
TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Watching:
    """A `watch` command in the background, its output in a file."""

    def __init__(self, command, cwd, env):
        self.log = open(os.path.join(cwd, "watch.log"), "w+b")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.started = time.perf_counter()

    def output(self):
        self.log.flush()
        with open(self.log.name, "rb") as file:
            return file.read().decode(errors="replace")

    def wait_enabled(self, timeout=600):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if "Watch enabled" in self.output():
                return time.perf_counter() - self.started
            if self.process.poll() is not None:
                raise SystemExit(f"watch exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.01)
        raise SystemExit(f"watch did not start:\n{self.output()}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def descendants(pid):
    """`pid` and every process under it."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as file:
                    parents.setdefault(int(file.read().rsplit(")", 1)[1].split()[1]),
                                       []).append(int(entry))
            except OSError:
                pass
    found = [pid]
    index = 0
    while index < len(found):
        found.extend(parents.get(found[index], []))
        index += 1
    return found


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICKS


def inotify_watches(pids):
    count = 0
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fdinfo")
        except OSError:
            continue
        for fd in descriptors:
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii", errors="replace") as f:
                    count += sum(1 for line in f if line.startswith("inotify wd:"))
            except OSError:
                pass
    return count


def merged_dir(container):
    return subprocess.run(["docker", "inspect", "-f", "{{.GraphDriver.Data.MergedDir}}",
                           container], check=True, capture_output=True,
                          text=True).stdout.strip()


def tool_command(tool, args, project):
    if tool == "berth":
        return [args.berth, "-p", project, "watch"]
    return args.compose.split() + ["-p", project, "watch"]


def with_project(tool, args, name, body, files=0):
    """Runs `body(workdir, watching, project)` with `watch` of `tool` running on a new project."""
    project = f"berthbench-watch-{name}-{tool.replace(' ', '')}"
    workdir = tempfile.mkdtemp(prefix=f"{project}-")
    env = dict(os.environ, COMPOSE_PROGRESS="plain")
    env.pop("COMPOSE_PROJECT_NAME", None)
    watching = None
    try:
        with open(os.path.join(workdir, "compose.yaml"), "w", encoding="utf-8") as file:
            file.write(COMPOSE)
        src = os.path.join(workdir, "src")
        os.makedirs(src)
        make_tree(src, files)
        watching = Watching(tool_command(tool, args, project), workdir, env)
        enabled = watching.wait_enabled()
        return body(workdir, watching, project, enabled)
    finally:
        if watching is not None:
            watching.stop()
        subprocess.run(["docker", "compose", "-p", project, "down", "-t", "0"], cwd=workdir,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def make_tree(src, files):
    """`files` files: half under `pkg*/` (100 per directory), half under `node_modules/`."""
    if files <= 0:
        return
    half = files // 2
    for index in range(half):
        directory = os.path.join(src, f"pkg{index // 100}")
        if index % 100 == 0:
            os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"f{index}.js"), "w", encoding="ascii") as file:
            file.write("x")
    for index in range(files - half):
        directory = os.path.join(src, "node_modules", f"m{index // 10}")
        if index % 10 == 0:
            os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"f{index}.js"), "w", encoding="ascii") as file:
            file.write("x")


def measure_latency(tool, args):
    def body(workdir, watching, project, _enabled):
        container = f"{project}-s-1"
        probe = os.path.join(merged_dir(container), "app/probe.txt")
        local = os.path.join(workdir, "src/probe.txt")
        times = []
        for edit in range(args.edits + 1):
            content = f"edit {edit} {random.random()}".encode()
            start = time.perf_counter()
            with open(local, "wb") as file:
                file.write(content)
            deadline = start + 30
            while True:
                try:
                    with open(probe, "rb") as file:
                        if file.read() == content:
                            break
                except OSError:
                    pass
                if time.perf_counter() > deadline:
                    raise SystemExit(f"{tool}: edit {edit} never arrived:\n{watching.output()}")
                time.sleep(0.001)
            elapsed = time.perf_counter() - start
            if edit > 0:  # the first edit creates the file; not counted
                times.append(elapsed)
            time.sleep(0.7)
        return times
    return with_project(tool, args, "latency", body)


def measure_idle(tool, args):
    def body(_workdir, watching, _project, enabled):
        time.sleep(2)  # let the start-up settle
        pids = descendants(watching.process.pid)
        before = cpu_seconds(pids)
        time.sleep(args.idle)
        used = cpu_seconds(descendants(watching.process.pid)) - before
        return enabled, 100 * used / args.idle, inotify_watches(pids)
    return with_project(tool, args, "idle", body, files=args.files)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--idle", type=float, default=30)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--berth", default=binary.berth())
    parser.add_argument("--compose", default="docker compose")
    parser.add_argument("--only", choices=["latency", "idle"])
    args = parser.parse_args()
    subprocess.run(["sh", os.path.join(REPOSITORY, "examples/make-image.sh"), IMAGE],
                   check=True, stdout=subprocess.DEVNULL)
    tools = ["berth", "docker compose"]
    if args.only != "idle":
        medians = {}
        print(f"sync latency, {args.edits} edits (seconds from write to readable in container)")
        print(f"{'tool':<16}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}")
        for tool in tools:
            times = measure_latency(tool, args)
            medians[tool] = statistics.median(times)
            print(f"{tool:<16}{medians[tool]:>10.4f}{percentile(times, 0.95):>10.4f}"
                  f"{min(times):>10.4f}{max(times):>10.4f}", flush=True)
        print(f"berth/compose median: {medians['berth'] / medians['docker compose']:.3f}")
    if args.only != "latency":
        print(f"\nidle over {args.files} files ({args.idle:.0f} s without changes)")
        print(f"{'tool':<16}{'enabled s':>10}{'CPU %':>10}{'watches':>10}")
        for tool in tools:
            enabled, cpu, watches = measure_idle(tool, args)
            print(f"{tool:<16}{enabled:>10.2f}{cpu:>10.3f}{watches:>10}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
