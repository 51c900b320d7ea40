"""Where cargo puts the berth binary: `target/<host tuple>/<profile>/berth`.

.cargo/config.toml names the target (the host's own tuple) so that the static-linking flag stays
away from build scripts and proc macros; cargo then writes the binaries one level deeper than
`target/<profile>/`. `CARGO_TARGET_DIR` and `CARGO_BUILD_TARGET` move them as they move cargo's.
"""

import os
import subprocess

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def host_tuple():
    """The host's target tuple, as rustc names it (`x86_64-unknown-linux-gnu`)."""
    output = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if line.startswith("host: "):
            return line[len("host: "):].strip()
    raise RuntimeError(f"rustc -vV names no host:\n{output}")


def berth(profile="release"):
    """The path of the berth binary that `cargo build` (`--release` for "release") writes."""
    target_directory = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPOSITORY, "target")
    tuple_ = os.environ.get("CARGO_BUILD_TARGET") or host_tuple()
    return os.path.join(target_directory, tuple_, profile, "berth")
