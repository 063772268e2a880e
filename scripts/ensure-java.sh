#!/usr/bin/env bash
# DynamoDB Local runs on Java 17+. Install a headless JRE when java is missing and we
# are root (as on CI); otherwise say what to do. npm (for the DynamoDB Local package)
# comes with Node.js, which the machine has.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "java not found: installing default-jre-headless" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
else
  echo "java not found: install Java 17+ (e.g. apt-get install default-jre-headless);" \
       "tests that need DynamoDB Local will fail without it" >&2
fi
