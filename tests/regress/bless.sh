#!/bin/bash
# bless.sh [NAME...]: rewrite tests/regress/expected/ from the current build
# (build/svpassive, or $SVPASSIVE). Run it on purpose, read the diff it
# prints, and commit the expected files with the change that explains them.
src=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$src/tests/regress/golden.sh" bless "${SVPASSIVE:-$src/build/svpassive}" "$src" "$@"
