#!/usr/bin/env bash
# The examples must be valid Go (they leak on purpose, so the vet checks that
# would flag the leaks are off).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export GOFLAGS=-mod=mod GO111MODULE=on GOTOOLCHAIN=local GOPROXY=off
go vet -lostcancel=false -httpresponse=false -unusedresult=false ./...
