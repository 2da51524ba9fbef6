#!/bin/sh
# Before the files go (deb prerm "remove"|"upgrade" ..., rpm %preun with 0 on
# erase, 1 on upgrade): stop and disable the service only when it is removed.
set -e
name=otelcol-messagetrace
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then systemctl stop "$name.service" || true; fi
	if command -v systemctl >/dev/null; then systemctl disable "$name.service" >/dev/null 2>&1 || true; fi
	;;
esac
