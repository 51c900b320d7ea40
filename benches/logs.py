#!/usr/bin/env python3
"""Time `berth logs` against `docker compose logs` on a project with a million log lines.

Usage: logs.py [--rounds R] [--containers N] [--lines L] [--modes devnull,pipe]
               [--no-compose] [--no-api] [--berth PATH] [--compose CMD] [--json FILE]

The project (`berthbench-logs`): one service scaled to N containers (10), each running
`seq 1 L` (100,000 lines) in busybox's sh and exiting, so the logs are whole and stable while they
are read (json-file, the daemon's default driver). It is brought up by `docker compose up -d` and
taken down (`down`) at the end, on failure and on Ctrl-C too.

The tools, each run as `-p berthbench-logs logs` from a directory without compose files:
  compose    `docker compose logs` (the oracle)
  berth      `berth logs` (target/<host tuple>/release/berth), reading the json-file logs straight from the
             daemon's files, as it does when the daemon is local and the files readable
  berth-api  `berth logs` with BERTH_LOGS_API=1: through the daemon's logs API, as Compose does
             (`--no-api` leaves it out)

Before timing, every tool's output is checked once: N x L lines, each container's lines
`1`..`L` in order. Then `--rounds` (5) interleaved rounds, the order rotated each round so that a
busy machine hits the tools alike, for each mode:
  devnull    standard output is /dev/null
  pipe       standard output is a pipe this script drains (64 KiB reads)

The table gives each tool's median wall time, its throughput (lines/s), the ratio of Compose's time
to the tool's, and its peak resident memory (largest over the rounds, from the rusage `wait4`
returns of GNU time's child when /usr/bin/time exists, else of this script's; for
`docker compose`, its CLI and plugin).
"""

import argparse
import json
import os
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
PROJECT = "berthbench-logs"
IMAGE = "berth-test/busybox:local"
GNU_TIME = "/usr/bin/time"


def child_environment(extra=None):
    """PATH and HOME (as `env -i` leaves them) plus what says which daemon to talk to."""
    keys = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_CERT_PATH",
            "DOCKER_TLS_VERIFY")
    environment = {key: os.environ[key] for key in keys if key in os.environ}
    environment.update(extra or {})
    return environment


def ensure_image():
    present = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True,
                             check=False).returncode == 0
    if not present:
        subprocess.run(["sh", os.path.join(REPOSITORY, "examples", "make-image.sh"), IMAGE],
                       check=True, stdout=subprocess.DEVNULL)


def write_project(workdir, containers, lines):
    path = os.path.join(workdir, "compose.yaml")
    with open(path, "w", encoding="utf-8") as file:
        file.write(f"name: {PROJECT}\nservices:\n  s:\n    image: {IMAGE}\n"
                   f"    scale: {containers}\n    command: sh -c 'seq 1 {lines}'\n")
    return path


def bring_up(compose, file, containers):
    """`up -d`, then wait until every container has exited (its log complete)."""
    subprocess.run(compose + ["-f", file, "up", "-d"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        states = subprocess.run(
            ["docker", "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
             "--format", "{{.State}}"], capture_output=True, text=True, check=True
        ).stdout.split()
        if len(states) == containers and all(state == "exited" for state in states):
            return
        time.sleep(0.5)
    raise RuntimeError("the containers did not finish writing within 300 s")


def take_down(compose):
    subprocess.run(compose + ["-p", PROJECT, "down", "-t", "0"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Tool:
    def __init__(self, name, argv, environment=None):
        self.name = name
        self.argv = argv + ["-p", PROJECT, "logs"]
        self.environment = child_environment(environment)

    def run(self, mode, cwd):
        """(seconds, peak KiB) of one run with stdout to /dev/null or through a pipe.

        The peak comes from GNU time (`%M`) when installed: a child forked from this script
        inherits the script's high-water mark in its own rusage, GNU time's children do not.
        """
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
            argv = self.argv
            if os.access(GNU_TIME, os.X_OK):
                argv = [GNU_TIME, "-f", "%M", "-o", rss.name] + argv
            start = time.perf_counter()
            if mode == "devnull":
                with open(os.devnull, "wb") as sink:
                    process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.DEVNULL,
                                               stdin=subprocess.DEVNULL, cwd=cwd,
                                               env=self.environment)
                    _, status, usage = os.wait4(process.pid, 0)
            else:
                process = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                           cwd=cwd, env=self.environment)
                descriptor = process.stdout.fileno()
                while os.read(descriptor, 65536):
                    pass
                process.stdout.close()
                _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(f"{self.name} logs failed with status {status}")
            measured = rss.read().strip().splitlines()
            peak = int(measured[-1]) if measured and measured[-1].isdigit() else usage.ru_maxrss
        return seconds, peak

    def check(self, cwd, containers, lines):
        """Every container's lines 1..L in order, N x L lines in all."""
        output = subprocess.run(self.argv, capture_output=True, cwd=cwd, env=self.environment,
                                check=True).stdout.decode()
        per_container = {}
        for line in output.splitlines():
            name, _, text = line.partition(" | ")
            per_container.setdefault(name.strip(), []).append(text)
        expected = [str(number) for number in range(1, lines + 1)]
        wrong = [name for name, texts in per_container.items() if texts != expected]
        if len(per_container) != containers or wrong:
            raise RuntimeError(f"{self.name}: {len(per_container)} containers, wrong: {wrong[:3]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--containers", type=int, default=10, help="containers (10)")
    parser.add_argument("--lines", type=int, default=100_000, help="lines per container (100000)")
    parser.add_argument("--modes", default="devnull,pipe", help="devnull,pipe")
    parser.add_argument("--no-compose", action="store_true", help="berth only")
    parser.add_argument("--no-api", action="store_true", help="leave out berth through the API")
    parser.add_argument("--berth", default=binary.berth(),
                        help="berth binary (default: target/<host tuple>/release/berth)")
    parser.add_argument("--compose", default="docker compose", help="Compose command line")
    parser.add_argument("--json", help="also write every run and median to this file")
    arguments = parser.parse_args()
    if not os.access(arguments.berth, os.X_OK):
        parser.error(f"{arguments.berth} not found: cargo build --release")
    compose = arguments.compose.split()
    modes = [mode for mode in arguments.modes.split(",") if mode]
    tools = [] if arguments.no_compose else [Tool("compose", compose)]
    tools.append(Tool("berth", [arguments.berth]))
    if not arguments.no_api:
        tools.append(Tool("berth-api", [arguments.berth], {"BERTH_LOGS_API": "1"}))

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    workdir = tempfile.mkdtemp(prefix="berth-logsbench-")
    total = arguments.containers * arguments.lines
    results = {mode: {tool.name: [] for tool in tools} for mode in modes}
    try:
        ensure_image()
        take_down(compose)
        file = write_project(workdir, arguments.containers, arguments.lines)
        bring_up(compose, file, arguments.containers)
        for tool in tools:
            tool.check(workdir, arguments.containers, arguments.lines)
            tool.run(modes[0], workdir)  # warm the binary's pages and the daemon's cache
        for round_number in range(arguments.rounds):
            shift = round_number % len(tools)
            order = tools[shift:] + tools[:shift]
            for mode in modes:
                for tool in order:
                    results[mode][tool.name].append(tool.run(mode, workdir))
                figures = " ".join(f"{name}={runs[-1][0]:.2f}s"
                                   for name, runs in results[mode].items())
                print(f"  [round {round_number + 1}/{arguments.rounds}] {mode:<7} {figures}",
                      file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        take_down(compose)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{arguments.containers} containers x {arguments.lines:,} lines = {total:,} lines, "
          f"{arguments.rounds} rounds, medians")
    print(f"{'mode':<8} {'tool':<10} {'median s':>9} {'lines/s':>11} {'compose/tool':>12} "
          f"{'peak MiB':>9}")
    summary = {}
    for mode in modes:
        compose_median = (statistics.median(s for s, _ in results[mode]["compose"])
                          if "compose" in results[mode] else None)
        for name, runs in results[mode].items():
            median = statistics.median(seconds for seconds, _ in runs)
            peak = max(kib for _, kib in runs) / 1024
            ratio = f"{compose_median / median:.2f}" if compose_median else "-"
            print(f"{mode:<8} {name:<10} {median:>9.3f} {total / median:>11,.0f} {ratio:>12} "
                  f"{peak:>9.1f}")
            summary.setdefault(mode, {})[name] = {
                "median_s": median, "peak_mib": peak,
                "runs": [seconds for seconds, _ in runs]}
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as file:
            json.dump(summary, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
