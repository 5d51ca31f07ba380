#!/usr/bin/env bash
# The monitoring stack the ops tests start against the test warehouse (issue 15): Prometheus (+ promtool),
# Alertmanager (+ amtool) and postgres_exporter, from Debian's packages. Idempotent; run as root by .ci/run, in
# parallel with the other install.d scripts (hence the apt lock). The tests start their own servers on free
# loopback ports; the packages' system services are stopped and disabled so nothing listens on :9090/:9093/:9187.
set -euo pipefail

missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v prometheus-postgres-exporter >/dev/null 2>&1 || missing+=(prometheus-postgres-exporter)
if [ ${#missing[@]} -gt 0 ]; then
	echo "[ops.sh] apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	flock /tmp/dwh-apt.lock apt-get -o DPkg::Lock::Timeout=900 update -qq
	flock /tmp/dwh-apt.lock apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts each package's service on install where an init system runs (prometheus also pulls in
# prometheus-node-exporter). The tests never talk to them: stop them so their default ports are free.
for svc in prometheus prometheus-alertmanager prometheus-postgres-exporter prometheus-node-exporter; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		systemctl stop "$svc" || true
		systemctl disable "$svc" >/dev/null 2>&1 || true
	fi
	if [ -x "/etc/init.d/$svc" ] && ! command -v systemctl >/dev/null 2>&1; then
		"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
	fi
done

for bin in prometheus promtool prometheus-alertmanager amtool prometheus-postgres-exporter; do
	command -v "$bin" >/dev/null 2>&1 || { echo "[ops.sh] $bin missing after install" >&2; exit 1; }
done
prometheus --version 2>&1 | head -1
prometheus-alertmanager --version 2>&1 | head -1
prometheus-postgres-exporter --version 2>&1 | head -1
