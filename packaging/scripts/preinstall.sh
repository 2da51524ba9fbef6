#!/bin/sh
# Before the files are unpacked (deb preinst, rpm %pre): the service's system
# user and group must exist, so that the config and the credentials file get
# their group and the state directory its owner.
set -e
name=otelcol-messagetrace
if ! getent group "$name" >/dev/null; then
	groupadd --system "$name"
fi
if ! getent passwd "$name" >/dev/null; then
	useradd --system --gid "$name" --home-dir "/var/lib/$name" --no-create-home \
		--shell /usr/sbin/nologin --comment "otelcol-messagetrace service" "$name"
fi
