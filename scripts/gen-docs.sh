#!/usr/bin/env bash
# Regenerates docs/rules/<rule>.md from the rules' own documentation
# (a unit test fails when these pages drift from the code).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${LEAKHOUND:-$here/build/leakhound}"
mkdir -p "$here/docs/rules"
for rule in $("$bin" rules | awk '{print $1}'); do
  "$bin" explain "$rule" > "$here/docs/rules/$rule.md"
done
