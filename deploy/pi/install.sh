#!/bin/sh
# Installs or upgrades the Atalaya agent from a release tarball (deploy/pi/README.md):
#
#   sudo sh deploy/pi/install.sh atalaya-<version>-linux-arm64.tar.gz
#
# Safe to run again: the same tarball gives the same files, and /etc/atalaya/agent.yaml is
# written only when there is none, so a config a person wrote is never replaced.
#
# ATALAYA_ROOT=/some/dir installs the files into that tree instead of / (an image being built, a
# test): no user is created, nothing is chowned, systemctl and udevadm are not run. On the image's
# first boot systemd-sysusers creates the user from /usr/lib/sysusers.d/atalaya.conf.
set -eu
umask 022

die() {
  echo "install.sh: $*" >&2
  exit 1
}
say() {
  echo "atalaya: $*"
}

[ $# -eq 1 ] || {
  echo "usage: [ATALAYA_ROOT=dir] install.sh atalaya-<version>-linux-<arch>.tar.gz" >&2
  exit 2
}
tarball=$1
[ -f "$tarball" ] || die "$tarball: no such file"

here=$(cd "$(dirname "$0")" && pwd)
example=$here/../examples/agent.yaml
for f in "$here/atalaya-agent.service" "$here/boot-check.sh" "$here/99-atalaya-rs485.rules" "$here/atalaya.sysusers" "$example"; do
  [ -f "$f" ] || die "$f is missing: run the script from a checkout or an unpacked release"
done

root=${ATALAYA_ROOT:-/}
root=${root%/}
live=false
[ -z "$root" ] && live=true
[ -n "$root" ] && [ ! -d "$root" ] && die "ATALAYA_ROOT=$root is not a directory"

if $live; then
  [ "$(id -u)" -eq 0 ] || die "run it as root (sudo)"
  for cmd in systemctl systemd-sysusers; do
    command -v "$cmd" >/dev/null || die "$cmd not found: the agent runs as a systemd service"
  done
  command -v node >/dev/null || die "node not found: install Node.js 20 first (NodeSource nodejs 20.x)"
  # The release's SQLite addon is built for Node 20's ABI only (deploy/release/README.md).
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -eq 20 ] || die "node $(node --version): this release needs Node.js 20 (its native SQLite module is built for Node 20)"
  # The release carries native modules (SQLite, serial ports) built for one architecture.
  arch=$(node -p process.arch)
  case $(basename "$tarball") in
  *-linux-"$arch".tar.gz) ;;
  *-linux-*.tar.gz) die "$(basename "$tarball") is not built for this machine (node reports linux-$arch)" ;;
  esac
fi

opt=$root/opt/atalaya
install -d -m 0755 "$opt"
# Unpacked next to its destination, so the final moves are renames within one file system. A
# stage left by an install that was killed is removed first.
rm -rf "$opt"/.install.*
stage=$(mktemp -d "$opt/.install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM
tar -xzf "$tarball" -C "$stage" --no-same-owner
[ -f "$stage/atalaya/package.json" ] && [ -f "$stage/atalaya/bin/atalaya.mjs" ] ||
  die "$tarball is not an atalaya release (no atalaya/package.json, atalaya/bin/atalaya.mjs)"
version=$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$stage/atalaya/package.json" | head -n 1)
case $version in
'' | .* | */*) die "no usable version in $tarball's package.json" ;;
esac
# Whatever the archive's modes were: readable by all, writable by root only, no set-id bits.
chmod -R u=rwX,go=rX "$stage/atalaya"
chmod 0755 "$stage/atalaya/bin/atalaya.mjs"

if [ -e "$opt/$version" ]; then
  mv "$opt/$version" "$stage/replaced"
fi
mv "$stage/atalaya" "$opt/$version"
# A relative link, so the tree is also right under ATALAYA_ROOT; renamed over the old one.
ln -s "$version" "$stage/current"
mv -T "$stage/current" "$opt/current"
# An install by hand wins over an over-the-air update that was waiting for its health check.
rm -f "$opt/.update-pending"
# Run by systemd before each start (ExecStartPre), outside the version directories.
install -m 0755 "$here/boot-check.sh" "$opt/boot-check.sh"
say "installed $version in /opt/atalaya/$version (/opt/atalaya/current)"

mkdir -p "$root/usr/local/bin"
cli=$root/usr/local/bin/atalaya
command=/opt/atalaya/current/bin/atalaya.mjs
if [ ! -e "$cli" ] && [ ! -L "$cli" ]; then
  ln -s "$command" "$cli"
elif [ ! -L "$cli" ] || [ "$(readlink "$cli")" != "$command" ]; then
  say "kept /usr/local/bin/atalaya (not ours); the command is $command"
fi

# Our files go to /usr/lib and are replaced on every install; an operator overrides them in /etc
# (systemctl edit atalaya-agent, or a rules file of the same name in /etc/udev/rules.d).
install -D -m 0644 "$here/atalaya-agent.service" "$root/usr/lib/systemd/system/atalaya-agent.service"
install -D -m 0644 "$here/99-atalaya-rs485.rules" "$root/usr/lib/udev/rules.d/99-atalaya-rs485.rules"
install -D -m 0644 "$here/atalaya.sysusers" "$root/usr/lib/sysusers.d/atalaya.conf"

install -d -m 0755 "$root/etc/atalaya"
install -d -m 0750 "$root/var/lib/atalaya"

config=$root/etc/atalaya/agent.yaml
created_config=false
if [ -e "$config" ] || [ -L "$config" ]; then
  say "kept /etc/atalaya/agent.yaml"
else
  # noclobber: the file is created only if it still does not exist (O_EXCL), never truncated.
  (umask 027 && set -C && cat "$example" >"$config")
  created_config=true
  say "wrote an example config to /etc/atalaya/agent.yaml: edit it for this site"
fi

if ! $live; then
  say "files installed under $root (no user, ownership or service changes outside /)"
  exit 0
fi

systemd-sysusers /usr/lib/sysusers.d/atalaya.conf
chown atalaya:atalaya /var/lib/atalaya
# The directory only: the agent's over-the-air updates add versions and switch current in it; the
# versions installed here stay root's.
chown atalaya:atalaya "$opt"
# Only the file written above: a config a person wrote keeps its owner and mode.
if $created_config; then
  chgrp atalaya "$config"
fi

if command -v udevadm >/dev/null; then
  udevadm control --reload-rules
  # Applies the latency timer and the names to adapters already plugged in.
  udevadm trigger --action=add --subsystem-match=usb-serial --subsystem-match=tty --sysname-match='ttyUSB*'
fi

systemctl daemon-reload
systemctl enable atalaya-agent.service
# An upgrade restarts a running agent on the new version; a stopped one stays stopped.
systemctl try-restart atalaya-agent.service
if systemctl is-active --quiet atalaya-agent.service; then
  say "atalaya-agent restarted on $version; logs: journalctl -u atalaya-agent -f"
else
  say "next: edit /etc/atalaya/agent.yaml, check it with 'atalaya agent --check', then 'systemctl start atalaya-agent'"
fi
