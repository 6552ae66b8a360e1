#!/usr/bin/env bash
# expect.sh CODE REGEX -- COMMAND...: runs COMMAND, passes when it exits with
# CODE and its stdout+stderr match the extended REGEX. Used by CTest so that
# CLI tests check the exit code and the message together.
set -u
code=$1; regex=$2; shift 3
out=$("$@" 2>&1); rc=$?
if [ "$rc" -ne "$code" ]; then echo "exit code $rc, expected $code; output:"; echo "$out"; exit 1; fi
if ! grep -Eq -- "$regex" <<<"$out"; then echo "output does not match /$regex/:"; echo "$out"; exit 1; fi
if grep -Eq 'terminate called|Segmentation|Aborted|core dumped' <<<"$out"; then echo "crash:"; echo "$out"; exit 1; fi
exit 0
