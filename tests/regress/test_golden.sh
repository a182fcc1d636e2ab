#!/bin/bash
# test_golden.sh: every capture in MANIFEST gives exactly its expected/*.tsv.
# An intended change of results is re-blessed with tests/regress/bless.sh.
exec bash "$2/tests/regress/golden.sh" check "$SVPASSIVE" "$2"
