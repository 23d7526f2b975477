/*
 * dependents.c — what "conflict": "replace" would drop besides what it
 * replaces, and what "rename" leaves behind.
 *
 * A replaced object is dropped with CASCADE, which also drops whatever
 * depends on it: a foreign key of another table, a view over it, a
 * function taking its row type.  Those found here that the clone does not
 * create again are "outside the clone": dropping them is an error unless
 * the caller says so ("cascade": true), and then each gets a NOTICE.  The
 * counts go into the clone's result.
 */
#include "clone/schema.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

static int	dropped_count = 0;
static int	renamed_count = 0;
static char renamed_last[2 * NAMEDATALEN + 64];	/* "table s.t is now s.t_old" */

void
pgc_dependents_reset(void)
{
	dropped_count = 0;
	renamed_count = 0;
}

/* "; 2 dependent objects dropped; 1 existing object renamed", or "" */
char *
pgc_dependents_summary(void)
{
	StringInfoData b;

	initStringInfo(&b);
	if (dropped_count > 0)
		appendStringInfo(&b, "; %d dependent object%s outside the clone dropped",
						 dropped_count, dropped_count == 1 ? "" : "s");
	if (renamed_count == 1)
		appendStringInfo(&b, "; the existing %s", renamed_last);
	else if (renamed_count > 1)
		appendStringInfo(&b, "; %d existing objects renamed to *_old", renamed_count);
	return b.data;
}

void
pgc_dependents_renamed(const char *kind, const char *qold, const char *newname)
{
	renamed_count++;
	snprintf(renamed_last, sizeof(renamed_last), "%s %s is now %s", kind, qold,
			 quote_identifier(newname));
	ereport(NOTICE,
			(errmsg("existing %s %s renamed to %s", kind, qold, quote_identifier(newname)),
			 strcmp(kind, "table") == 0 ?
			 errdetail("Foreign keys, views and grants that referenced it follow it to the new name.") : 0));
}

/*
 * Objects that DROP ... CASCADE of (classid, objid) drops besides the object
 * and its own parts (indexes, constraints, row type, TOAST, owned sequences):
 * what depends on those normally, then what depends on that, and the view of
 * a rule.  Each with a description and the schema and name of the relation
 * (or other object) it belongs to.  SPI connected.
 */
#define DEPENDENTS_SQL \
"WITH RECURSIVE part(classid, objid) AS (" \
"  SELECT $1::pg_catalog.oid, $2::pg_catalog.oid" \
"  UNION SELECT d.classid, d.objid FROM pg_catalog.pg_depend d JOIN part p" \
"   ON d.refclassid = p.classid AND d.refobjid = p.objid WHERE d.deptype IN ('i', 'a'))," \
" dep(classid, objid, objsubid) AS (" \
"  SELECT d.classid, d.objid, d.objsubid FROM pg_catalog.pg_depend d JOIN part p" \
"   ON d.refclassid = p.classid AND d.refobjid = p.objid WHERE d.deptype = 'n'" \
"  UNION SELECT x.classid, x.objid, x.objsubid FROM dep p CROSS JOIN LATERAL (" \
"   SELECT d.classid, d.objid, d.objsubid FROM pg_catalog.pg_depend d" \
"    WHERE d.refclassid = p.classid AND d.refobjid = p.objid" \
"     AND (p.objsubid = 0 OR d.refobjsubid IN (0, p.objsubid)) AND d.deptype IN ('n', 'a', 'i')" \
"   UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, r.ev_class, 0" \
"    FROM pg_catalog.pg_rewrite r" \
"    WHERE p.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.oid = p.objid) x)," \
" top AS (SELECT DISTINCT t.classid, t.objid, t.objsubid FROM dep t" \
"  WHERE (t.classid, t.objid) NOT IN (SELECT classid, objid FROM part)" \
"   AND t.classid <> 'pg_catalog.pg_rewrite'::pg_catalog.regclass" \
"   AND NOT (t.objsubid <> 0 AND (t.classid, t.objid, 0) IN (SELECT * FROM dep))" \
"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN dep u" \
"    ON d.refclassid = u.classid AND d.refobjid = u.objid" \
"    WHERE d.classid = t.classid AND d.objid = t.objid AND d.deptype IN ('i', 'a')" \
"     AND (d.refclassid, d.refobjid) <> (t.classid, t.objid)))," \
" owned AS (SELECT t.*, CASE t.classid" \
"   WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN" \
"    (SELECT c.conrelid FROM pg_catalog.pg_constraint c WHERE c.oid = t.objid)" \
"   WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN" \
"    (SELECT g.tgrelid FROM pg_catalog.pg_trigger g WHERE g.oid = t.objid)" \
"   WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN" \
"    (SELECT o.polrelid FROM pg_catalog.pg_policy o WHERE o.oid = t.objid)" \
"   WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN" \
"    (SELECT a.adrelid FROM pg_catalog.pg_attrdef a WHERE a.oid = t.objid)" \
"   WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN t.objid END AS relid FROM top t)" \
" SELECT pg_catalog.pg_describe_object(o.classid, o.objid, o.objsubid) AS what," \
"  coalesce(n.nspname, i.schema) AS nsp, coalesce(c.relname, i.name) AS name" \
" FROM owned o LEFT JOIN pg_catalog.pg_class c ON c.oid = o.relid" \
" LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace" \
" LEFT JOIN LATERAL pg_catalog.pg_identify_object(o.classid, o.objid, 0) i ON true" \
" ORDER BY 1"

/*
 * Before "replace" drops (classid, objid), described as label: check what
 * else goes with it.  in_clone(nsp or NULL, name, arg) says whether the clone
 * creates that object again (NULL: nothing is).  Outside the clone: an
 * ERROR without "cascade", else a NOTICE each.  SPI connected.
 */
void
pgc_dependents_check(Oid classid, Oid objid, const char *label, bool cascade,
					 bool (*in_clone) (const char *nsp, const char *name, void *arg),
					 void *arg)
{
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(classid), ObjectIdGetDatum(objid)};
	StringInfoData list;
	List	   *outside = NIL;
	ListCell   *lc;
	uint64		i;

	/* not read-only: the drops of this clone so far must be seen */
	if (SPI_execute_with_args(DEPENDENTS_SQL, 2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pgclone: could not list the objects that depend on %s", label);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		char	   *what = SPI_getvalue(tup, td, 1);
		char	   *nsp = SPI_getvalue(tup, td, 2);
		char	   *name = SPI_getvalue(tup, td, 3);

		if (what == NULL || (in_clone && name && in_clone(nsp, name, arg)))
			continue;
		outside = lappend(outside, what);
	}
	if (outside == NIL)
		return;

	initStringInfo(&list);
	foreach(lc, outside)
		appendStringInfo(&list, "%s%s", list.len ? "\n" : "", (char *) lfirst(lc));
	if (!cascade)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("replacing %s would also drop %d object%s that the clone does not create again",
						label, list_length(outside), list_length(outside) == 1 ? "" : "s"),
				 errdetail_internal("%s", list.data),
				 errhint("Add \"cascade\": true to the options to drop them too, or use \"conflict\": \"rename\", which keeps them on the old %s.",
						 label)));
	foreach(lc, outside)
		ereport(NOTICE,
				(errmsg("replacing %s drops %s", label, (char *) lfirst(lc))));
	dropped_count += list_length(outside);
}

static bool
in_plan(const char *nsp, const char *name, void *arg)
{
	PgcClonePlan *plan = arg;
	int			i;

	/* an object of no schema (event trigger): a database clone makes them */
	if (nsp == NULL)
		return plan->whole_database;

	for (i = 0; i < plan->nobjects; i++)
		if (!plan->objects[i].skip && strcmp(plan->objects[i].nspname, nsp) == 0 &&
			strcmp(plan->objects[i].name, name) == 0)
			return true;
	return false;
}

/*
 * Before "replace" drops o: what goes with it (relations, types, functions;
 * the other kinds have no dependents of note).
 */
void
pgc_dependents_check_object(PGconn *conn, PgcObject *o, const char *kind, bool cascade,
							PgcClonePlan *plan)
{
	Oid			nspoid = o->nspname ? get_namespace_oid(o->nspname, true) : InvalidOid;
	Oid			classid = RelationRelationId;
	Oid			objid = InvalidOid;
	char	   *label = psprintf("%s %s", kind, pgc_qname(o->nspname, o->name));

	if (!OidIsValid(nspoid))
		return;
	if (strchr("RVMSE", o->kind))
		objid = get_relname_relid(o->name, nspoid);
	else if (o->kind == 'T')
	{
		classid = TypeRelationId;
		objid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								CStringGetDatum(o->name), ObjectIdGetDatum(nspoid));
	}
	else if (o->kind == 'F' || o->kind == 'A')
	{
		const char *sig = pgc_val(pgc_read_source(conn, &pgc_q_regprocedure, o->oid), 0, 0);
		Oid			types[1] = {TEXTOID};
		Datum		v[1] = {CStringGetTextDatum(sig)};
		bool		isnull = true;

		classid = ProcedureRelationId;
		label = psprintf("%s %s", kind, sig);
		if (SPI_execute_with_args("SELECT pg_catalog.to_regprocedure($1)::pg_catalog.oid",
								  1, types, v, NULL, false, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
			objid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
												   SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
			objid = InvalidOid;
	}
	if (OidIsValid(objid))
		pgc_dependents_check(classid, objid, label, cascade, in_plan, plan);
}
