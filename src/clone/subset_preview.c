/*
 * subset_preview.c — pgclone.subset_preview(conninfo, schema, options): the
 * dry run of a subset clone (issue 27).  Reads the source in one READ ONLY
 * snapshot, plans and checks the subset exactly as a clone does, and returns
 * per table the rows it would keep and the SQL selecting them; nothing is
 * created on the target.
 */
#include "pgclone.h"
#include "catalog/reader.h"
#include "plan/subset.h"

#include "funcapi.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(pgclone_subset_preview);

Datum
pgclone_subset_preview(PG_FUNCTION_ARGS)
{
	PGC_CHECK_SQL_VERSION();
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *conninfo;
	List	   *schemas;
	PgcOptions	opts;
	PGconn	   *conn;
	PgcSubset  *s;
	ListCell   *lc;

	pgc_hide_statement();		/* the conninfo may hold a password */
	conninfo = pgc_text_arg(fcinfo, 0, "source_conninfo");
	pgc_options_parse(&opts, PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
					  PGC_OPTS_SCHEMA);
	if (opts.subset == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgclone.subset_preview() needs a \"subset\" option"),
				 errhint("E.g. '{\"subset\": {\"public.customers\": {\"percent\": 10}}}'.")));
	InitMaterializedSRF(fcinfo, 0);

	conn = pgc_connect(conninfo);
	pgc_begin_source_xact(conn, true, NULL);
	schemas = PG_ARGISNULL(1) ? pgc_source_user_schemas(conn) :
		list_make1(pgc_text_arg(fcinfo, 1, "schema_name"));
	s = pgc_subset_build(conn, schemas, &opts, true);
	foreach(lc, pgc_subset_preview(conn, s, &opts))
	{
		PgcSubsetPreview *p = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(p->table);
		values[1] = Int64GetDatum(p->rows);
		values[2] = BoolGetDatum(p->restricted);
		values[3] = CStringGetTextDatum(p->sql);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pgc_command(conn, "COMMIT");
	pgc_disconnect(conn);
	return (Datum) 0;
}
