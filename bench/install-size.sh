#!/usr/bin/env bash
# What a user downloads: runs the README's install block (read out of README.md, as the e2e suite does) in a fresh
# copy of this checkout with an empty home, then prints the unpacked size of ~/.n8n/nodes/node_modules and its
# largest packages. Usage: bash bench/install-size.sh   (uses the node/npm on PATH)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/checkout" "$work/home"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$work/checkout"
block="$(awk '/^<!-- e2e: the install block -->$/{f=1;next} f&&/^```/{n++; if(n==2)exit; next} f&&n==1' "$root/README.md")"
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ "$cafile" != undefined ]; then export npm_config_cafile="$cafile"; fi
(cd "$work/checkout" && HOME="$work/home" npm_config_cache="$HOME/.npm" bash -euo pipefail -c "$block") >"$work/install.log" 2>&1 ||
	{ tail -40 "$work/install.log"; exit 1; }
nm="$work/home/.n8n/nodes/node_modules"
echo "node $(node -v), npm $(npm -v)"
echo "packages installed: $(find "$nm" -name package.json -path '*/node_modules/*/package.json' -not -path '*/node_modules/*/node_modules/*/node_modules/*' | grep -c -v '/test/' || true)"
echo "unpacked (apparent size): $(du -s --apparent-size -m "$nm" | cut -f1) MB"
echo "largest:"
(cd "$nm" && du -s --apparent-size -k -- * @*/* 2>/dev/null | grep -v '^[0-9]*\s@[^/]*$' | sort -rn | head -8 | awk '{printf "  %6.1f MB  %s\n", $1/1024, $2}')
