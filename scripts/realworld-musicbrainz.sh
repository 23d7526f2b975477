#!/usr/bin/env bash
# Load MusicBrainz's schema (admin/sql of metabrainz/musicbrainz-server) into a
# database, in the order its admin/InitDb.pl uses for a standalone server
# (no replication, no mirror-only objects), for pgclone's real-world test.
#
#   scripts/realworld-musicbrainz.sh MB_DIR [DBNAME]
#
# MB_DIR is a checkout or export of musicbrainz-server (it must contain
# admin/sql).  The database is reached through the usual PG* environment
# variables (PGHOST, PGPORT, PGUSER) and must exist; the role must be a
# superuser (Extensions.sql creates extensions and a C-language function).
# Nothing of MusicBrainz is part of this repository: this script only reads
# the files it is given.
#
# Adjustments for PostgreSQL 15 (MusicBrainz asks for 16+, lately 18):
#   - none are needed for the schema files themselves today; if a file does
#     not load, the script stops and names it.
# Left out, as InitDb.pl does for a standalone server: ReplicationSetup,
# Create*ReplicationTriggers*, CreateMirrorOnly*, CreateMirrorIndexes, the
# CAA/EAA edit foreign keys (only with edit data) and the data import.
set -euo pipefail
mb=${1:?usage: realworld-musicbrainz.sh MB_DIR [DBNAME]}
db=${2:-${PGDATABASE:-postgres}}
sql="$mb/admin/sql"
[ -f "$sql/CreateTables.sql" ] || { echo "no admin/sql/CreateTables.sql under $mb" >&2; exit 2; }

export PGOPTIONS='-c search_path=musicbrainz,public -c client_min_messages=WARNING'
run() {
	local f=$1
	[ -f "$sql/$f" ] || { echo "missing $sql/$f" >&2; exit 2; }
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$sql/$f" >/dev/null ||
		{ echo "MusicBrainz file $f did not load" >&2; exit 1; }
}

for s in musicbrainz cover_art_archive documentation event_art_archive json_dump \
	report sitemaps statistics wikidocs dbmirror2; do
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE SCHEMA $s" >/dev/null
done
run Extensions.sql
run CreateCollations.sql
run CreateTypes.sql
for f in CreateTables.sql caa/CreateTables.sql eaa/CreateTables.sql documentation/CreateTables.sql \
	json_dump/CreateTables.sql report/CreateTables.sql sitemaps/CreateTables.sql \
	statistics/CreateTables.sql wikidocs/CreateTables.sql; do run "$f"; done
run InsertDefaultRows.sql
for f in CreatePrimaryKeys.sql caa/CreatePrimaryKeys.sql documentation/CreatePrimaryKeys.sql \
	eaa/CreatePrimaryKeys.sql json_dump/CreatePrimaryKeys.sql statistics/CreatePrimaryKeys.sql \
	wikidocs/CreatePrimaryKeys.sql; do run "$f"; done
run CreateSearchConfiguration.sql
for f in CreateFunctions.sql caa/CreateFunctions.sql eaa/CreateFunctions.sql; do run "$f"; done
for f in CreateIndexes.sql caa/CreateIndexes.sql eaa/CreateIndexes.sql json_dump/CreateIndexes.sql \
	sitemaps/CreateIndexes.sql statistics/CreateIndexes.sql; do run "$f"; done
for f in CreateFKConstraints.sql caa/CreateFKConstraints.sql documentation/CreateFKConstraints.sql \
	eaa/CreateFKConstraints.sql sitemaps/CreateFKConstraints.sql CreateConstraints.sql; do run "$f"; done
for f in SetSequences.sql statistics/SetSequences.sql; do run "$f"; done
for f in CreateViews.sql caa/CreateViews.sql eaa/CreateViews.sql; do run "$f"; done
for f in CreateTriggers.sql caa/CreateTriggers.sql eaa/CreateTriggers.sql; do run "$f"; done
run CreateSearchIndexes.sql
run dbmirror2/dbmirror2.sql
psql -X -q -d "$db" -c "ANALYZE" >/dev/null
echo "MusicBrainz schema loaded into $db"
