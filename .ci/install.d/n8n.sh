#!/usr/bin/env bash
# The n8n runtime the e2e suite needs (issue 3): redis-server (queue mode), Debian's chromium (editor test) and
# the two pinned n8n installs in .cache/n8n (outside the pack's dependency tree). Idempotent; run as root by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
	echo "[n8n.sh] apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	flock /tmp/dwh-apt.lock apt-get -o DPkg::Lock::Timeout=900 update -qq
	flock /tmp/dwh-apt.lock apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package enables a system redis on :6379; the tests start their own on a free loopback port.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
	systemctl stop redis-server || true
fi

# The runtimes are ~5 GB: keep them once per machine (CI clones the repository afresh each run) and point the
# repository's gitignored .cache/n8n at them.
shared="${DWH_N8N_SHARED_CACHE:-/var/cache/dwh-n8n}"
mkdir -p "$shared" .cache
if [ ! -e .cache/n8n ]; then ln -s "$shared" .cache/n8n; fi

bash test/e2e/install-n8n.sh all
