#!/bin/sh
# Removes the Atalaya agent installed by install.sh (deploy/pi/README.md):
#
#   sudo sh deploy/pi/uninstall.sh            keeps /etc/atalaya (config) and /var/lib/atalaya (buffer)
#   sudo sh deploy/pi/uninstall.sh --purge    removes them too, with any systemctl edit drop-ins
#
# The atalaya user stays either way: files it owns may remain (backups, copies of the buffer), and
# a reused uid would hand them to someone else. 'userdel atalaya' removes it. Safe to run again.
# ATALAYA_ROOT=/some/dir works on that tree instead of /, as for install.sh.
set -eu

die() {
  echo "uninstall.sh: $*" >&2
  exit 1
}
say() {
  echo "atalaya: $*"
}

usage() {
  echo "usage: [ATALAYA_ROOT=dir] uninstall.sh [--purge]" >&2
  exit 2
}
purge=false
case $# in
0) ;;
1) [ "$1" = --purge ] && purge=true || usage ;;
*) usage ;;
esac

root=${ATALAYA_ROOT:-/}
root=${root%/}
live=false
[ -z "$root" ] && live=true
[ -n "$root" ] && [ ! -d "$root" ] && die "ATALAYA_ROOT=$root is not a directory"

unit=atalaya-agent.service
if $live; then
  [ "$(id -u)" -eq 0 ] || die "run it as root (sudo)"
  if command -v systemctl >/dev/null; then
    systemctl disable --now "$unit" 2>/dev/null || true
  fi
fi

rm -f "$root/usr/lib/systemd/system/$unit" \
  "$root/usr/lib/udev/rules.d/99-atalaya-rs485.rules" \
  "$root/usr/lib/sysusers.d/atalaya.conf"
cli=$root/usr/local/bin/atalaya
if [ -L "$cli" ] && [ "$(readlink "$cli")" = /opt/atalaya/current/bin/atalaya.mjs ]; then
  rm -f "$cli"
fi
rm -rf "$root/opt/atalaya"
say "removed the program, the service and the udev rule"

if $purge; then
  rm -rf "$root/etc/atalaya" "$root/var/lib/atalaya" "$root/etc/systemd/system/$unit.d"
  say "removed /etc/atalaya and /var/lib/atalaya"
else
  say "kept /etc/atalaya and /var/lib/atalaya (uninstall.sh --purge removes them)"
fi

if $live; then
  command -v systemctl >/dev/null && systemctl daemon-reload
  command -v udevadm >/dev/null && udevadm control --reload-rules
fi
exit 0
