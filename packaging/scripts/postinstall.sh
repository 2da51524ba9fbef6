#!/bin/sh
# After the files are in place (deb postinst "configure" [old-version], rpm
# %post with 1 on install, 2 on upgrade).
set -e
name=otelcol-messagetrace
upgrade=false
case "$1" in
configure) [ -z "$2" ] || upgrade=true ;;
[0-9]*) [ "$1" -lt 2 ] || upgrade=true ;;
esac

# systemd's StateDirectory= creates it at each start; creating it here too
# means it exists, with its owner, for a run by hand. Upgrades and reinstalls
# find the cursor where it was.
install -d -o "$name" -g "$name" -m 0750 "/var/lib/$name"

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
	# An upgrade restarts a running service on the new binary; a stopped one stays stopped.
	if $upgrade; then systemctl try-restart "$name.service" || true; fi
fi
if ! $upgrade; then
	# Not started: it needs credentials first.
	echo "$name: set the credentials in /etc/$name/$name.env, then: systemctl enable --now $name"
fi
