#!/usr/bin/env bash
# Install the judges the test suite runs for real: Java + the Nu Html Checker (vnu-jar), and
# Debian's Chromium with its driver. Idempotent: does nothing when they are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-tools: need root to apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -f .tools/node_modules/vnu-jar/build/dist/vnu.jar ]; then
  mkdir -p .tools
  npm install --prefix .tools --silent --no-audit --no-fund --ignore-scripts vnu-jar@26.9.27 >/dev/null
fi
