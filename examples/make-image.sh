#!/usr/bin/env sh
# Builds the image the examples use, `berth-example/busybox:local`, from the host's static busybox
# (Debian package busybox-static): no registry is needed.
set -eu
busybox=$(command -v busybox || echo /bin/busybox)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/srv" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - berth-example/busybox:local >/dev/null
echo "berth-example/busybox:local"
