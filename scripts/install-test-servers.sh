#!/bin/sh
# Installs the real servers the integration tests start on 127.0.0.1, from
# Debian's packages, when they are missing.
set -eu
missing=""
command -v prometheus >/dev/null 2>&1 || missing="$missing prometheus"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v buildah >/dev/null 2>&1 || missing="$missing buildah"
command -v docker-registry >/dev/null 2>&1 || missing="$missing docker-registry"
# Debian's headless Chromium renders the job summaries (GFM + Mermaid) in test/github/rendered-summaries.int.test.ts.
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "glidepath tests: missing$missing and not root; install them, or the tests that need them will fail" >&2
  exit 0
fi
echo "glidepath tests: installing$missing from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ')
# The packages start system services (:9090, :5000); the tests run their own.
for service in prometheus docker-registry; do
  $sudo systemctl disable --now "$service" >/dev/null 2>&1 || $sudo service "$service" stop >/dev/null 2>&1 || true
done
