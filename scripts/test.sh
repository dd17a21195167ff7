#!/usr/bin/env bash
# `deno task test`: the suites in parallel, then the fault tests alone (they stop
# and start servers, so they must not share the machine with other tests). Both
# always run, so a failure in the first never hides the second's results; the
# exit status is non-zero when either failed.
set -u
cd "$(dirname "$0")/.." || exit 1
DENO=node_modules/.bin/deno
"$DENO" test --allow-all --parallel --ignore=e2e/faults "$@"
suites=$?
"$DENO" test --allow-all e2e/faults "$@"
faults=$?
[ "$suites" -eq 0 ] && [ "$faults" -eq 0 ]
