#!/usr/bin/env bash
# Set up what is missing, build, and start bunfaas on this machine (`dist/faas up`); extra arguments go to `faas up`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec ./dist/faas up "$@"
