#!/usr/bin/env bash
# The stages of src/ in the order data moves through a clone:
#   remote -> catalog -> plan -> ddl -> (mask) -> clone -> ops, jobs
# A file may include pgclone headers of its own stage or an earlier one,
# never a later one: no back-edges.  Files directly in src/ (pgclone.h,
# compat.h, util.c, options.c, pgclone.c) are the base every stage shares.
# The DDL stage builds SQL text from the model the catalog stage read (a
# PgcCatalog handle, catalog/pgc_model.h), never from a connection: no file
# of src/ddl/ includes libpq-fe.h or a header that does (remote/remote.h,
# catalog/reader.h, plan/plan_read.h), or mentions PGconn.
# Exits 1 and names each offending include.
set -euo pipefail
cd "$(dirname "$0")/../src"
rank() {
	case "$1" in
		remote) echo 1 ;; catalog) echo 2 ;; plan) echo 3 ;; ddl) echo 4 ;;
		mask) echo 5 ;; clone) echo 6 ;; ops) echo 7 ;; jobs) echo 8 ;;
		.) echo 0 ;; *) echo "unknown stage folder src/$1: give it a rank in scripts/check-layers.sh" >&2; exit 2 ;;
	esac
}
bad=0
while IFS= read -r f; do
	from=$(dirname "$f")
	from=${from#./}
	r=$(rank "$from")
	while IFS= read -r inc; do
		# only headers of this tree (PostgreSQL's catalog/*.h etc. are not ours)
		[ -f "$inc" ] || continue
		to=$(dirname "$inc")
		t=$(rank "$to")
		if [ "$t" -gt "$r" ]; then
			echo "layering: src/${f#./} (stage $from) includes $inc (later stage $to)"
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done < <(find . -name '*.[ch]' | sort)
while IFS= read -r f; do
	if grep -nE '#include *[<"](libpq-fe\.h|remote/remote\.h|catalog/reader\.h|plan/plan_read\.h)[>"]|PGconn|PGresult' "$f"; then
		echo "layering: src/${f#./} (stage ddl) sees the connection: it reads the catalog model (PgcCatalog), not libpq"
		bad=1
	fi
done < <(find ./ddl -name '*.[ch]' | sort)
[ $bad -eq 0 ] && echo "layering: ok (remote -> catalog -> plan -> ddl -> mask -> clone -> ops, jobs; ddl without libpq)"
exit $bad
