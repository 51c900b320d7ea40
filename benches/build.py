#!/usr/bin/env python3
"""Time `berth build` against `docker compose build` sending a context of 20,000 small files.

Usage: build.py [--rounds R] [--files N] [--builders classic,buildkit] [--cases cold,warm]
                [--copy all|one] [--no-compose] [--floor] [--berth PATH] [--compose CMD] [--json FILE]

The project (`berthbench-build`, in a temporary directory removed at the end): one service `ctx`
built from `.` with the Dockerfile

    FROM scratch
    COPY . /ctx/

so the whole context is sent and used (`--copy one` makes it `COPY Dockerfile /ctx/`: the
classic builder still receives and unpacks the whole context, but copies one file): N (20,000) files of 100 to 2,000 bytes (contents from a
seeded generator, the same bytes every run), 20 directories of 10 subdirectories of N/200 files.
Both tools build the image `berthbench-build-ctx` (Compose's name for the service), run as
`-p berthbench-build build ctx` with output to /dev/null, in a clean environment (PATH, HOME,
what names the daemon) plus, for the classic builder, `DOCKER_BUILDKIT=0`.

Cases (`--cases`):
  cold   before each timed run (untimed): the image is removed and `docker builder prune -af`
         empties the builder cache (BuildKit's cache, and its copy of earlier contexts, which
         it would otherwise send only the differences against). No `--no-cache`: the build
         finds nothing to reuse, so the whole context is sent and copied.
  warm   the image was built just before by the same tool, nothing changed: every step is
         cached (the classic builder still receives the whole context to check COPY's cache;
         BuildKit sends only what changed, which is nothing).

Builders (`--builders`): `classic` (DOCKER_BUILDKIT=0) and `buildkit` (the default: Compose
builds through its embedded buildx; berth does whatever its BuildKit path does).
`--floor` adds `DOCKER_BUILDKIT=0 docker build -t berthbench-build-ctx .` (the docker CLI alone,
classic builder only) as a reference.

Before timing, each tool builds once and the image is checked: /ctx holds N files. Then
`--rounds` (5) interleaved rounds, the order rotated each round. The table gives each tool's
median wall time, the ratio tool/Compose (the goal: berth at most 0.5 cold, classic), its
median CPU time (user + system: the client's share of the work) and its peak resident memory
(GNU time's %M and %U + %S when /usr/bin/time exists, else the rusage of wait4).
"""

import argparse
import json
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
PROJECT = "berthbench-build"
IMAGE = f"{PROJECT}-ctx"
GNU_TIME = "/usr/bin/time"


def child_environment(extra=None):
    """PATH and HOME (as `env -i` leaves them) plus what says which daemon to talk to."""
    keys = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_CERT_PATH",
            "DOCKER_TLS_VERIFY")
    environment = {key: os.environ[key] for key in keys if key in os.environ}
    environment.update(extra or {})
    return environment


def write_project(workdir, files, copy="all"):
    """compose.yaml, the Dockerfile and `files` small files; returns the context's bytes."""
    generator = random.Random(20_000)
    with open(os.path.join(workdir, "compose.yaml"), "w", encoding="utf-8") as file:
        file.write(f"name: {PROJECT}\nservices:\n  ctx:\n    build: .\n")
    with open(os.path.join(workdir, "Dockerfile"), "w", encoding="utf-8") as file:
        source = "." if copy == "all" else "Dockerfile"
        file.write(f"FROM scratch\nCOPY {source} /ctx/\n")
    per_leaf = max(1, files // 200)
    written = 0
    total = 0
    while written < files:
        top, sub = divmod(written // per_leaf, 10)
        leaf = os.path.join(workdir, f"d{top:02}", f"s{sub}")
        os.makedirs(leaf, exist_ok=True)
        size = generator.randint(100, 2000)
        with open(os.path.join(leaf, f"f{written:05}.txt"), "wb") as file:
            file.write(generator.randbytes(size))
        written += 1
        total += size
    return total


def remove_image():
    subprocess.run(["docker", "rmi", "-f", IMAGE], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def prune_builder():
    subprocess.run(["docker", "builder", "prune", "-af"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def files_in_image():
    """Regular files under /ctx in the image, counted from its exported filesystem."""
    created = subprocess.run(["docker", "create", IMAGE, "x"], capture_output=True, text=True,
                             check=True).stdout.strip()
    try:
        export = subprocess.run(["docker", "export", created], capture_output=True, check=True)
    finally:
        subprocess.run(["docker", "rm", created], check=False, stdout=subprocess.DEVNULL)
    listing = subprocess.run(["tar", "-tv"], input=export.stdout, capture_output=True,
                             check=True).stdout.decode()
    return sum(1 for line in listing.splitlines()
               if line.startswith("-") and " ctx/d" in line)


class Tool:
    def __init__(self, name, argv, environment=None):
        self.name = name
        self.argv = argv
        self.environment = child_environment(environment)

    def run(self, cwd):
        """(seconds, peak KiB, CPU seconds) of one build, output to /dev/null.

        CPU is user + system time of the tool's processes (for Compose, the CLI and its plugin):
        the client's share of the work, the rest being the daemon's.
        """
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
            argv = self.argv
            if os.access(GNU_TIME, os.X_OK):
                argv = [GNU_TIME, "-f", "%M %U %S", "-o", rss.name] + argv
            start = time.perf_counter()
            with open(os.devnull, "wb") as sink, tempfile.TemporaryFile() as errors:
                process = subprocess.Popen(argv, stdout=sink, stderr=errors,
                                           stdin=subprocess.DEVNULL, cwd=cwd,
                                           env=self.environment)
                _, status, usage = os.wait4(process.pid, 0)
                seconds = time.perf_counter() - start
                if os.waitstatus_to_exitcode(status) != 0:
                    errors.seek(0)
                    raise RuntimeError(f"{self.name} failed with status {status}:\n"
                                       f"{errors.read().decode(errors='replace')[-2000:]}")
            measured = rss.read().strip().splitlines()
            fields = measured[-1].split() if measured else []
            if len(fields) == 3 and fields[0].isdigit():
                peak, cpu = int(fields[0]), float(fields[1]) + float(fields[2])
            else:
                peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        return seconds, peak, cpu


def tools_for(builder, arguments):
    environment = {"DOCKER_BUILDKIT": "0"} if builder == "classic" else {}
    compose = arguments.compose.split()
    build = ["-p", PROJECT, "build", "ctx"]
    tools = [] if arguments.no_compose else [Tool("compose", compose + build, environment)]
    tools.append(Tool("berth", [arguments.berth] + build, environment))
    if arguments.floor and builder == "classic":
        tools.append(Tool("docker-build", ["docker", "build", "-q", "-t", IMAGE, "."],
                          environment))
    return tools


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--files", type=int, default=20_000, help="files in the context (20000)")
    parser.add_argument("--builders", default="classic,buildkit", help="classic,buildkit")
    parser.add_argument("--cases", default="cold,warm", help="cold,warm")
    parser.add_argument("--copy", choices=("all", "one"), default="all",
                        help="COPY the whole context (all, default) or only the Dockerfile (one): "
                             "the context is sent whole either way")
    parser.add_argument("--no-compose", action="store_true", help="berth only")
    parser.add_argument("--floor", action="store_true",
                        help="add DOCKER_BUILDKIT=0 docker build (classic only)")
    parser.add_argument("--berth", default=binary.berth(),
                        help="berth binary (default: target/<host tuple>/release/berth)")
    parser.add_argument("--compose", default="docker compose", help="Compose command line")
    parser.add_argument("--json", help="also write every run and median to this file")
    arguments = parser.parse_args()
    if not os.access(arguments.berth, os.X_OK):
        parser.error(f"{arguments.berth} not found: cargo build --release")
    builders = [builder for builder in arguments.builders.split(",") if builder]
    cases = [case for case in arguments.cases.split(",") if case]

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    workdir = tempfile.mkdtemp(prefix="berth-buildbench-")
    results = {}
    try:
        size = write_project(workdir, arguments.files, arguments.copy)
        expected = arguments.files if arguments.copy == "all" else 0
        print(f"context: {arguments.files:,} files, {size / 1e6:.1f} MB", file=sys.stderr)
        for builder in builders:
            tools = tools_for(builder, arguments)
            for tool in tools:  # checked once; warms the binary's pages and the page cache
                remove_image()
                prune_builder()
                tool.run(workdir)
                found = files_in_image()
                if found != expected:
                    raise RuntimeError(f"{tool.name} ({builder}): {found} files in /ctx, "
                                       f"expected {expected}")
            for round_number in range(arguments.rounds):
                shift = round_number % len(tools)
                order = tools[shift:] + tools[:shift]
                for case in cases:
                    runs = results.setdefault((builder, case), {})
                    for tool in order:
                        remove_image()
                        prune_builder()
                        if case == "warm":
                            tool.run(workdir)  # the build the timed one finds cached
                        runs.setdefault(tool.name, []).append(tool.run(workdir))
                    figures = " ".join(f"{name}={timings[-1][0]:.2f}s"
                                       for name, timings in runs.items())
                    print(f"  [round {round_number + 1}/{arguments.rounds}] {builder:<8} "
                          f"{case:<4} {figures}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        remove_image()
        prune_builder()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{arguments.files:,} files ({size / 1e6:.1f} MB), {arguments.rounds} rounds, medians")
    print(f"{'builder':<9} {'case':<5} {'tool':<13} {'median s':>9} {'tool/compose':>12} "
          f"{'CPU s':>6} {'peak MiB':>9}")
    summary = {}
    for (builder, case), runs in results.items():
        compose_median = (statistics.median(run[0] for run in runs["compose"])
                          if "compose" in runs else None)
        for name, timings in runs.items():
            median = statistics.median(run[0] for run in timings)
            peak = max(run[1] for run in timings) / 1024
            cpu = statistics.median(run[2] for run in timings)
            ratio = f"{median / compose_median:.2f}" if compose_median else "-"
            print(f"{builder:<9} {case:<5} {name:<13} {median:>9.3f} {ratio:>12} {cpu:>6.2f} "
                  f"{peak:>9.1f}")
            summary.setdefault(f"{builder}/{case}", {})[name] = {
                "median_s": median, "peak_mib": peak, "cpu_s": cpu,
                "runs": [run[0] for run in timings]}
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as file:
            json.dump(summary, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
