#!/bin/sh
# After the files went (deb postrm "remove"|"purge"|"upgrade" ..., rpm %postun
# with 0 on erase, 1 on upgrade). Removal keeps the state (cursor) and the
# edited config; only a deb purge deletes them. The system user stays (files
# elsewhere may still be owned by it): `userdel otelcol-messagetrace` removes it.
set -e
name=otelcol-messagetrace
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
case "$1" in
purge)
	rm -rf "/var/lib/$name" "/etc/$name"
	;;
esac
