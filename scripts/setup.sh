#!/usr/bin/env bash
# Shared set-up for up.sh and test.sh: installs what is missing (bun via npm, redis-server via apt-get; with --test
# also prometheus and chromium, which only tests use), installs the locked dependencies and builds dist/faas.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

BUN_VERSION="1.4.5"
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: $* is missing and this is not a Debian/Ubuntu machine (no apt-get); install it and re-run." >&2
    exit 1
  fi
  if [ -z "${FAAS_APT_UPDATED:-}" ]; then
    $SUDO apt-get update -qq
    export FAAS_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing node and npm (apt-get)"
  apt_install nodejs npm
fi

case "$(bun --version 2>/dev/null || true)" in
  1.4.*) ;;
  *)
    echo "setup: installing bun@${BUN_VERSION} (npm)"
    $SUDO npm install -g --silent "bun@${BUN_VERSION}" >/dev/null 2>&1 || $SUDO npm install -g "bun@${BUN_VERSION}"
    hash -r
    ;;
esac
if ! command -v bun >/dev/null 2>&1; then
  export PATH="$(npm prefix -g)/bin:$PATH"
fi
bun --version >/dev/null

if ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: installing redis-server (apt-get)"
  apt_install redis-server
fi

# Python functions run on Debian's python3 with dill (executors find it on /usr/bin); bunfaas runs without it
# (Python tasks then wait for a worker that has it), so this only adds what is missing.
if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c "import dill" >/dev/null 2>&1; then
  echo "setup: installing python3 and python3-dill (apt-get, for Python functions)"
  apt_install --no-install-recommends python3 python3-dill
fi

# The Prometheus scrape test and the dashboard's browser test use Debian's packages (no browser download).
if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The users' Python client in the Python functions' tests uses requests.
  /usr/bin/python3 -c "import requests" >/dev/null 2>&1 || missing+=(python3-requests)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]} (apt-get, for the tests)"
    apt_install --no-install-recommends "${missing[@]}"
  fi
fi

bun install --frozen-lockfile --silent
bun run --silent build
