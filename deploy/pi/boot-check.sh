#!/bin/sh
# Runs before every start of the agent (ExecStartPre of atalaya-agent.service), from /usr/lib
# where install.sh puts it: never from a version directory, so it works when the version an update
# switched to does not start at all. Plain POSIX shell, no Node (agent/update/README.md).
#
#   boot-check.sh [install root, default /opt/atalaya]
#
# While an update is pending (<root>/.update-pending, written by the agent before it switched
# <root>/current), each start is counted; past maxStarts starts without the new version confirming
# its health, <root>/current is switched back to the previous version and the outcome is written to
# <root>/.update-result for the agent to report. Always exits 0: it must never keep the agent from
# starting.
root=${1:-/opt/atalaya}
pending=$root/.update-pending
[ -f "$pending" ] || exit 0

field() {
  sed -n "s/^$1=//p" "$pending" | head -n 1
}
previous=$(field previous)
next=$(field next)
starts=$(field starts)
max=$(field maxStarts)
case $starts in '' | *[!0-9]*) starts=0 ;; esac
case $max in '' | *[!0-9]*) max=1 ;; esac
current=$(readlink "$root/current" 2>/dev/null)
current=${current##*/}

if [ -z "$previous" ] || [ -z "$next" ] || [ "$current" != "$next" ] || [ ! -d "$root/$previous" ]; then
  # Killed before the switch, already switched back, or a marker that makes no sense: the version
  # current points to runs, and nothing is pending any more.
  rm -f "$pending"
  exit 0
fi

starts=$((starts + 1))
if [ "$starts" -gt "$max" ]; then
  ln -sfn "$previous" "$root/.current.boot" && mv -T "$root/.current.boot" "$root/current" || exit 0
  printf 'state=rolled_back\nversion=%s\nfrom=%s\nreason=ATALAYA_UPDATE_CRASHED\nat=%s\n' "$next" "$previous" "$(date +%s)" >"$root/.update-result.tmp" &&
    mv "$root/.update-result.tmp" "$root/.update-result"
  rm -f "$pending"
  sync
  echo "atalaya boot check: $next did not confirm its health in $max starts: back on $previous" >&2
  exit 0
fi
printf 'previous=%s\nnext=%s\nstarts=%s\nmaxStarts=%s\n' "$previous" "$next" "$starts" "$max" >"$pending.tmp" && mv "$pending.tmp" "$pending"
sync
exit 0
