#!/usr/bin/env bash
# Masking overhead (also the fake_* masks of issue 23): the same generated table (ROWS rows, default 1M, with
# email/name/phone columns) cloned by pgclone.table() with and without masks,
# in one run on a fresh source and target cluster; prints the ratios.
# Needs pgclone installed for PG_CONFIG (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
BIN=$("$PG_CONFIG" --bindir)
PGXSDIR=$(dirname "$("$PG_CONFIG" --pgxs)")
PERLLIB=$PGXSDIR/../../src/test/perl
run=()
if [ "$(id -u)" = 0 ]; then
	rm -rf tmp_check/t_bench_mask_*
	mkdir -p tmp_check
	chown -R postgres: tmp_check bench
	run=(runuser -u postgres --)
fi
"${run[@]}" env PATH="$BIN:$PATH" PG_REGRESS="$PGXSDIR/../../src/test/regress/pg_regress" TESTDIR="$PWD" ROWS="${ROWS:-1000000}" RUNS="${RUNS:-3}" SRC_CONF="${SRC_CONF:-}" OUT="$PWD/tmp_check/bench_mask.out" \
	perl -I "$PERLLIB" -I test/perl bench/bench_mask.pl
cat tmp_check/bench_mask.out
