#!/usr/bin/env sh
# Builds a small image from the host's static busybox (Debian package busybox-static), so that no
# registry is needed: `berth-example/busybox:local` by default, or the tag given as $1.
set -eu
tag=${1:-berth-example/busybox:local}
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi
busybox=$(command -v busybox || echo /bin/busybox)
if ! [ -x "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
  echo "make-image.sh: no static busybox found; install it first (Debian: apt-get install busybox-static)" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/srv" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - "$tag" >/dev/null
echo "$tag"
