/*
 * ddl_table.c — the statements that recreate a table on the target, from
 * its definition as read from the source (catalog/read_table.c).
 *
 * Names we splice in are quoted here.  A table cloned under another name
 * gets derived names for its indexes, constraints and sequences, so two
 * clones can share a schema.
 */
#include "ddl/ddl.h"
#include "remote/srcver.h"

#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

/* Does the object whose column dependencies are deps read only kept columns? */
static bool
uses_only_selected(PgcTable *t, const char *deps)
{
	int			n,
				i;
	int		   *attnums = pgc_parse_int_array(deps, &n);

	for (i = 0; i < n; i++)
	{
		PgcColumn  *c = pgc_table_column(t, attnums[i]);

		if (c == NULL || !c->selected)
			return false;
	}
	return true;
}

char *
pgc_derive_name(const char *objname, const char *srcrel, const char *tgtrel)
{
	size_t		len = strlen(srcrel);
	char	   *name;

	if (strcmp(srcrel, tgtrel) == 0)
		return pstrdup(objname);
	if (strncmp(objname, srcrel, len) == 0)
		name = psprintf("%s%s", tgtrel, objname + len);
	else
		name = psprintf("%s_%s", tgtrel, objname);
	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("derived name \"%s\" for \"%s\" is too long", name, objname),
				 errhint("Choose a shorter target table name.")));
	return name;
}

static bool
renamed(PgcTable *t, PgcTarget *tgt)
{
	return strcmp(t->relname, tgt->relname) != 0 || strcmp(t->nspname, tgt->nspname) != 0;
}

/* The qualified target name of a table's own sequence. */
static char *
target_seqname(PgcTable *t, PgcTarget *tgt, int row)
{
	return pgc_qname(tgt->nspname,
					 pgc_derive_name(pgc_get(t->sequences, row, "relname"),
									 t->relname, tgt->relname));
}

static char *
sequence_options(PgcRows *s, int row)
{
	return psprintf("START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s%s",
					pgc_get(s, row, "seqstart"), pgc_get(s, row, "seqincrement"),
					pgc_get(s, row, "seqmin"), pgc_get(s, row, "seqmax"),
					pgc_get(s, row, "seqcache"),
					pgc_get_bool(s, row, "seqcycle") ? " CYCLE" : " NO CYCLE");
}

static int
sequence_for_column(PgcTable *t, int attnum, char deptype)
{
	int			i;

	for (i = 0; i < t->sequences->nrows; i++)
		if (pgc_get_int(t->sequences, i, "attnum") == attnum &&
			pgc_get(t->sequences, i, "deptype")[0] == deptype)
			return i;
	return -1;
}

/*
 * A column's NOT NULL.  On a target with NOT NULL constraints (18) the
 * source's constraint keeps its name and NO INHERIT; one that is NOT VALID
 * is added after the data (pgc_table_not_valid_not_nulls), so the column is
 * created nullable.
 */
void
pgc_append_not_null(StringInfo buf, PgcTable *t, PgcTarget *tgt, PgcColumn *c)
{
	if (PGC_HAS_NOT_NULL_CONSTRAINTS && c->nn_name)
	{
		if (c->nn_valid)
			appendStringInfo(buf, " CONSTRAINT %s NOT NULL%s",
							 quote_identifier(pgc_derive_name(c->nn_name, t->relname, tgt->relname)),
							 c->nn_noinherit ? " NO INHERIT" : "");
		return;
	}
	if (c->notnull)
		appendStringInfoString(buf, " NOT NULL");
}

/*
 * A partition made PARTITION OF its parent takes the parent's NOT NULL
 * constraint names (18); one that has a name of its own (a table attached
 * as a partition keeps its own) or a NOT NULL the parent lacks says so.
 */
void
pgc_append_partition_not_nulls(StringInfo b, PgcTable *t, PgcTarget *tgt)
{
	bool		first = true;
	int			i;

	for (i = 0; PGC_HAS_NOT_NULL_CONSTRAINTS && i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];

		if (c->nn_name)
		{
			if (!c->nn_valid ||
				(c->nn_parent_name && strcmp(c->nn_name, c->nn_parent_name) == 0))
				continue;
			appendStringInfo(b, "%s%s WITH OPTIONS", first ? " (" : ", ", quote_identifier(c->name));
			pgc_append_not_null(b, t, tgt, c);
		}
		else if (c->notnull)
		{
			/*
			 * A source before 18 names none: the partition's own default
			 * name, as a restore of its pg_dump (CREATE TABLE, then ATTACH
			 * PARTITION) gives it
			 */
			appendStringInfo(b, "%s%s WITH OPTIONS CONSTRAINT %s NOT NULL", first ? " (" : ", ",
							 quote_identifier(c->name),
							 quote_identifier(makeObjectName(tgt->relname, c->name, "not_null")));
		}
		else
			continue;
		first = false;
	}
	if (!first)
		appendStringInfoChar(b, ')');
}

/* The generated-column clause: STORED, or VIRTUAL (18) */
void
pgc_append_generated(StringInfo buf, PgcColumn *c)
{
	appendStringInfo(buf, " GENERATED ALWAYS AS (%s) %s", c->defexpr,
					 c->generated == 'v' ? "VIRTUAL" : "STORED");
}

/* NOT NULL ... NOT VALID constraints (18) of the selected columns */
List *
pgc_table_not_valid_not_nulls(PgcTable *t, PgcTarget *tgt)
{
	List	   *out = NIL;
	int			i;

	for (i = 0; PGC_HAS_NOT_NULL_CONSTRAINTS && i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];

		if (!c->selected || !c->nn_name || c->nn_valid || !c->nn_local)
			continue;
		out = lappend(out, psprintf("ALTER TABLE ONLY %s ADD CONSTRAINT %s NOT NULL %s%s NOT VALID",
									pgc_qname(tgt->nspname, tgt->relname),
									quote_identifier(pgc_derive_name(c->nn_name, t->relname, tgt->relname)),
									quote_identifier(c->name),
									c->nn_noinherit ? " NO INHERIT" : ""));
	}
	return out;
}

static void
append_column(StringInfo buf, PgcTable *t, PgcTarget *tgt, PgcColumn *c)
{
	appendStringInfo(buf, "%s %s", quote_identifier(c->name), c->type);
	if (c->collation)
		appendStringInfo(buf, " COLLATE %s", c->collation);
	if (c->generated)
		pgc_append_generated(buf, c);
	else if (c->identity)
	{
		int			s = sequence_for_column(t, c->attnum, 'i');

		appendStringInfo(buf, " GENERATED %s AS IDENTITY",
						 c->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
		if (s >= 0)
			appendStringInfo(buf, " (SEQUENCE NAME %s %s)",
							 target_seqname(t, tgt, s),
							 sequence_options(t->sequences, s));
	}
	else if (c->defexpr)
	{
		int			s = sequence_for_column(t, c->attnum, 'a');

		/* a serial's default follows its (possibly renamed) sequence */
		if (s >= 0 && strcmp(c->defexpr, pgc_get(t->sequences, s, "nextval_expr")) == 0)
			appendStringInfo(buf, " DEFAULT nextval(%s::regclass)",
							 quote_literal_cstr(target_seqname(t, tgt, s)));
		else
			appendStringInfo(buf, " DEFAULT %s", c->defexpr);
	}
	pgc_append_not_null(buf, t, tgt, c);
}

static char *
grant_sql(const char *privs, const char *what, const char *grantee, bool grantable)
{
	return psprintf("GRANT %s ON %s TO %s%s", privs, what,
					grantee ? quote_identifier(grantee) : "PUBLIC",
					grantable ? " WITH GRANT OPTION" : "");
}

/* A role named on the source that is missing here: skip with a NOTICE. */
static bool
role_usable(const char *role, const char *what)
{
	if (role == NULL || OidIsValid(get_role_oid(role, true)))
		return true;
	ereport(NOTICE,
			(errmsg("skipping %s: role \"%s\" does not exist on the target", what, role)));
	return false;
}

/* ALTER ... OWNER TO needs membership in the new owner: a plain user keeps ownership */
static bool
can_become_owner(const char *role, const char *what)
{
	Oid			roleid = get_role_oid(role, false);

	if (is_member_of_role(GetUserId(), roleid))
		return true;
	ereport(NOTICE,
			(errmsg("%s stays owned by the current user: not a member of source owner \"%s\"",
					what, role)));
	return false;
}

List *
pgc_table_pre_data(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts)
{
	List	   *out = NIL;
	StringInfoData buf;
	char	   *qt = pgc_qname(tgt->nspname, tgt->relname);
	bool		first = true;
	int			i;

	/* serial sequences first: the column defaults name them */
	for (i = 0; i < t->sequences->nrows; i++)
	{
		if (pgc_get(t->sequences, i, "deptype")[0] != 'a' ||
			!pgc_table_column(t, pgc_get_int(t->sequences, i, "attnum"))->selected)
			continue;
		out = lappend(out, psprintf("CREATE %sSEQUENCE %s AS %s %s",
									pgc_get(t->sequences, i, "relpersistence")[0] == 'u' ? "UNLOGGED " : "",
									target_seqname(t, tgt, i),
									pgc_get(t->sequences, i, "seqtype"),
									sequence_options(t->sequences, i)));
	}

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE %sTABLE %s (",
					 t->relpersistence == 'u' ? "UNLOGGED " : "", qt);
	for (i = 0; i < t->ncols; i++)
	{
		if (!t->cols[i].selected)
			continue;
		appendStringInfoString(&buf, first ? "\n    " : ",\n    ");
		append_column(&buf, t, tgt, &t->cols[i]);
		first = false;
	}
	appendStringInfoString(&buf, "\n)");
	if (t->partkey)
		appendStringInfo(&buf, " PARTITION BY %s", t->partkey);
	if (t->reloptions)
		appendStringInfo(&buf, " WITH (%s)", t->reloptions);
	out = lappend(out, buf.data);

	for (i = 0; i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];
		char	   *qc = pgc_qident(c->name);

		if (!c->selected)
			continue;
		if (c->storage_sql)
			out = lappend(out, psprintf("ALTER TABLE ONLY %s ALTER COLUMN %s %s",
										qt, qc, c->storage_sql));
		if (c->compression)
			out = lappend(out, psprintf("ALTER TABLE ONLY %s ALTER COLUMN %s SET COMPRESSION %s",
										qt, qc, c->compression));
		if (c->stattarget >= 0)
			out = lappend(out, psprintf("ALTER TABLE ONLY %s ALTER COLUMN %s SET STATISTICS %d",
										qt, qc, c->stattarget));
		if (c->attoptions)
			out = lappend(out, psprintf("ALTER TABLE ONLY %s ALTER COLUMN %s SET (%s)",
										qt, qc, c->attoptions));
		if (c->comment)
			out = lappend(out, psprintf("COMMENT ON COLUMN %s.%s IS %s",
										qt, qc, quote_literal_cstr(c->comment)));
	}
	for (i = 0; i < t->sequences->nrows; i++)
	{
		PgcColumn  *c = pgc_table_column(t, pgc_get_int(t->sequences, i, "attnum"));

		if (pgc_get(t->sequences, i, "deptype")[0] != 'a' || !c->selected)
			continue;
		out = lappend(out, psprintf("ALTER SEQUENCE %s OWNED BY %s.%s",
									target_seqname(t, tgt, i), qt,
									quote_identifier(c->name)));
		if (pgc_get(t->sequences, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON SEQUENCE %s IS %s",
										target_seqname(t, tgt, i),
										quote_literal_cstr(pgc_get(t->sequences, i, "comment"))));
	}
	if (t->comment)
		out = lappend(out, psprintf("COMMENT ON TABLE %s IS %s", qt,
									quote_literal_cstr(t->comment)));
	if (t->owner && role_usable(t->owner, psprintf("owner of %s", qt)) &&
		can_become_owner(t->owner, qt))
	{
		out = lappend(out, psprintf("ALTER TABLE %s OWNER TO %s", qt,
									quote_identifier(t->owner)));
		for (i = 0; i < t->sequences->nrows; i++)
			if (pgc_get(t->sequences, i, "deptype")[0] == 'a' &&
				pgc_table_column(t, pgc_get_int(t->sequences, i, "attnum"))->selected)
				out = lappend(out, psprintf("ALTER SEQUENCE %s OWNER TO %s",
											target_seqname(t, tgt, i),
											quote_identifier(t->owner)));
	}
	for (i = 0; i < t->acl->nrows; i++)
	{
		char	   *grantee = pgc_get(t->acl, i, "grantee");
		char	   *privs = pgc_srcver_privilege_list(pgc_get(t->acl, i, "privs"));

		if (privs && role_usable(grantee, psprintf("grant on %s", qt)))
			out = lappend(out, grant_sql(privs,
										 psprintf("TABLE %s", qt), grantee,
										 pgc_get_bool(t->acl, i, "is_grantable")));
	}
	for (i = 0; i < t->ncols; i++)
	{
		PgcColumn  *c = &t->cols[i];
		char	   *p = c->acl_sql;

		/* records: grantee \x1f privs \x1f grantable \x1e */
		while (c->selected && p && *p)
		{
			char	   *end = strchr(p, '\x1e');
			char	   *f1 = strchr(p, '\x1f');
			char	   *f2 = strchr(f1 + 1, '\x1f');
			char	   *grantee = pnstrdup(p, f1 - p);
			char	   *privs = pnstrdup(f1 + 1, f2 - f1 - 1);
			char	   *cols;

			cols = psprintf("%s (%s)", privs, quote_identifier(c->name));
			if (role_usable(grantee[0] ? grantee : NULL, psprintf("column grant on %s", qt)))
				out = lappend(out, grant_sql(cols, psprintf("TABLE %s", qt),
											 grantee[0] ? grantee : NULL, f2[1] == 't'));
			p = end + 1;
		}
	}
	return out;
}

/* Text after an exact, known prefix of a pg_get_*def() result. */
static char *
after_prefix(const char *def, const char *prefix, const char *what)
{
	size_t		len = strlen(prefix);

	if (strncmp(def, prefix, len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("unexpected definition of %s on the source", what),
				 errdetail_internal("%s", def)));
	return pstrdup(def + len);
}

static bool
constraint_wanted(PgcTable *t, PgcRows *k, int i, const PgcOptions *opts)
{
	if (!opts->constraints || !pgc_get_bool(k, i, "conislocal"))
		return false;
	return uses_only_selected(t, pgc_get(k, i, "deps"));
}

static char *
constraint_sql(PgcTable *t, PgcTarget *tgt, int i)
{
	PgcRows    *k = t->constraints;
	char	   *name = pgc_derive_name(pgc_get(k, i, "conname"), t->relname, tgt->relname);
	char	   *def = pgc_get(k, i, "def");

	/* a self-reference follows the table to its new name */
	if (pgc_get_bool(k, i, "self_ref") && renamed(t, tgt))
	{
		char	   *src = psprintf(" REFERENCES %s(", pgc_qname(t->nspname, t->relname));
		char	   *at = strstr(def, src);

		if (at)
			def = psprintf("%.*s REFERENCES %s(%s", (int) (at - def), def,
						   pgc_qname(tgt->nspname, tgt->relname), at + strlen(src));
	}
	return pgc_check_def(psprintf("ALTER TABLE %s %s ADD CONSTRAINT %s %s",
								  t->relkind == 'p' ? "" : "ONLY",
								  pgc_qname(tgt->nspname, tgt->relname), quote_identifier(name), def),
						 T_AlterTableStmt, psprintf("constraint \"%s\" of %s", pgc_get(k, i, "conname"),
													pgc_qname(t->nspname, t->relname)),
						 tgt->nspname, tgt->relname);
}

List *
pgc_table_fkeys(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts)
{
	List	   *out = NIL;
	PgcRows    *k = t->constraints;
	int			i;

	for (i = 0; i < k->nrows; i++)
	{
		if (!pgc_get_bool(k, i, "is_fkey") || !constraint_wanted(t, k, i, opts))
			continue;
		if (!pgc_get_bool(k, i, "self_ref") &&
			!pgc_local_relation_exists(pgc_get(k, i, "ref_nsp"), pgc_get(k, i, "ref_rel")))
		{
			ereport(NOTICE,
					(errmsg("skipping foreign key \"%s\" on %s: referenced table %s does not exist on the target",
							pgc_get(k, i, "conname"), pgc_qname(tgt->nspname, tgt->relname),
							pgc_qname(pgc_get(k, i, "ref_nsp"), pgc_get(k, i, "ref_rel")))));
			continue;
		}
		out = lappend(out, constraint_sql(t, tgt, i));
		if (pgc_get(k, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON CONSTRAINT %s ON %s IS %s",
										quote_identifier(pgc_derive_name(pgc_get(k, i, "conname"), t->relname, tgt->relname)),
										pgc_qname(tgt->nspname, tgt->relname),
										quote_literal_cstr(pgc_get(k, i, "comment"))));
	}
	return out;
}

static char *
index_sql(PgcTable *t, PgcTarget *tgt, int i)
{
	PgcRows    *x = t->indexes;
	char	   *name = pgc_derive_name(pgc_get(x, i, "relname"), t->relname, tgt->relname);
	char	   *rest = after_prefix(pgc_get(x, i, "def"), pgc_get(x, i, "def_prefix"),
									"an index");

	return pgc_check_def(psprintf("CREATE %sINDEX %s ON %s%s USING %s",
								  pgc_get_bool(x, i, "indisunique") ? "UNIQUE " : "",
								  quote_identifier(name), t->relkind == 'p' ? "ONLY " : "",
								  pgc_qname(tgt->nspname, tgt->relname), rest),
						 T_IndexStmt, psprintf("index %s", pgc_qname(t->nspname, pgc_get(x, i, "relname"))),
						 tgt->nspname, tgt->relname);
}

static char *
trigger_name(PgcTable *t, PgcTarget *tgt, int i)
{
	return pgc_derive_name(pgc_get(t->triggers, i, "tgname"), t->relname, tgt->relname);
}

/*
 * For a renamed table both the trigger's name (exact known prefix) and its
 * ON clause change; the ON clause must occur exactly once to be rewritten.
 */
static char *
trigger_sql(PgcTable *t, PgcTarget *tgt, int i)
{
	char	   *def = pgc_get(t->triggers, i, "def");
	char	   *on = pgc_get(t->triggers, i, "on_clause");
	const char *kind = strncmp(def, "CREATE CONSTRAINT TRIGGER ", 26) == 0 ?
		"CONSTRAINT TRIGGER" : "TRIGGER";
	char	   *prefix = psprintf("CREATE %s %s ", kind,
								  quote_identifier(pgc_get(t->triggers, i, "tgname")));
	char	   *rest;
	char	   *at;

	if (!renamed(t, tgt))
		return def;
	rest = after_prefix(def, prefix, "a trigger");
	at = strstr(rest, on);
	if (at == NULL || strstr(at + 1, on) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot retarget trigger \"%s\" to %s",
						pgc_get(t->triggers, i, "tgname"),
						pgc_qname(tgt->nspname, tgt->relname))));
	return psprintf("CREATE %s %s %.*s ON %s %s", kind,
					quote_identifier(trigger_name(t, tgt, i)),
					(int) (at - rest), rest,
					pgc_qname(tgt->nspname, tgt->relname), at + strlen(on));
}

static const char *
policy_cmd(char c)
{
	switch (c)
	{
		case 'r':
			return "SELECT";
		case 'a':
			return "INSERT";
		case 'w':
			return "UPDATE";
		case 'd':
			return "DELETE";
		default:
			return "ALL";
	}
}

static List *
policies_sql(List *out, PgcTable *t, PgcTarget *tgt)
{
	PgcRows    *p = t->policies;
	char	   *qt = pgc_qname(tgt->nspname, tgt->relname);
	int			i;

	for (i = 0; i < p->nrows; i++)
	{
		StringInfoData buf;
		int			n,
					k;
		bool		ok = uses_only_selected(t, pgc_get(p, i, "deps"));
		char	   *names = pgc_get(p, i, "role_names");
		char	  **roles;

		/* role_names is a text[] literal; check each role exists here */
		if (ok && names[1] != '}')
		{
			/* array_in needs an flinfo (fn_extra cache): not DirectFunctionCall */
			Datum		arr = OidInputFunctionCall(F_ARRAY_IN, names, TEXTOID, -1);
			Datum	   *elems;

			deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, 'i',
							  &elems, NULL, &n);
			roles = palloc(sizeof(char *) * n);
			for (k = 0; k < n; k++)
			{
				roles[k] = TextDatumGetCString(elems[k]);
				ok = ok && role_usable(roles[k], psprintf("policy %s", pgc_get(p, i, "polname")));
			}
		}
		if (!ok)
			continue;
		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE POLICY %s ON %s AS %s FOR %s TO %s",
						 quote_identifier(pgc_get(p, i, "polname")), qt,
						 pgc_get_bool(p, i, "polpermissive") ? "PERMISSIVE" : "RESTRICTIVE",
						 policy_cmd(pgc_get(p, i, "polcmd")[0]),
						 pgc_get(p, i, "roles"));
		if (pgc_get(p, i, "qual"))
			appendStringInfo(&buf, " USING (%s)", pgc_get(p, i, "qual"));
		if (pgc_get(p, i, "withcheck"))
			appendStringInfo(&buf, " WITH CHECK (%s)", pgc_get(p, i, "withcheck"));
		out = lappend(out, pgc_check_def(buf.data, T_CreatePolicyStmt,
										 psprintf("policy \"%s\" on %s", pgc_get(p, i, "polname"), qt),
										 NULL, NULL));
		if (pgc_get(p, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON POLICY %s ON %s IS %s",
										quote_identifier(pgc_get(p, i, "polname")), qt,
										quote_literal_cstr(pgc_get(p, i, "comment"))));
	}
	return out;
}

List *
pgc_table_post_data(PgcTable *t, PgcTarget *tgt, const PgcOptions *opts,
					bool include_fkeys)
{
	List	   *out = NIL;
	char	   *qt = pgc_qname(tgt->nspname, tgt->relname);
	PgcRows    *k = t->constraints;
	PgcRows    *x = t->indexes;
	int			i;

	/* NOT NULL NOT VALID (18): the data may hold NULLs */
	out = list_concat(out, pgc_table_not_valid_not_nulls(t, tgt));

	/* PRIMARY KEY / UNIQUE / CHECK / EXCLUDE */
	for (i = 0; i < k->nrows; i++)
	{
		if (pgc_get_bool(k, i, "is_fkey") || !constraint_wanted(t, k, i, opts))
			continue;
		out = lappend(out, constraint_sql(t, tgt, i));
		if (pgc_get(k, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON CONSTRAINT %s ON %s IS %s",
										quote_identifier(pgc_derive_name(pgc_get(k, i, "conname"), t->relname, tgt->relname)),
										qt, quote_literal_cstr(pgc_get(k, i, "comment"))));
	}

	for (i = 0; i < x->nrows; i++)
	{
		char	   *name = pgc_derive_name(pgc_get(x, i, "relname"), t->relname, tgt->relname);
		bool		for_con = pgc_get_bool(x, i, "for_constraint");

		if (!uses_only_selected(t, pgc_get(x, i, "deps")))
			continue;
		if (for_con ? !opts->constraints : !opts->indexes)
			continue;
		if (!for_con)
			out = lappend(out, index_sql(t, tgt, i));
		if (pgc_get(x, i, "stats"))
			out = lappend(out, psprintf("ALTER INDEX %s %s",
										pgc_qname(tgt->nspname, name), pgc_get(x, i, "stats")));
		if (pgc_get_bool(x, i, "indisclustered"))
			out = lappend(out, psprintf("ALTER TABLE %s CLUSTER ON %s", qt, quote_identifier(name)));
		if (pgc_get_bool(x, i, "indisreplident"))
			out = lappend(out, psprintf("ALTER TABLE ONLY %s REPLICA IDENTITY USING INDEX %s",
										qt, quote_identifier(name)));
		if (pgc_get(x, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON INDEX %s IS %s",
										pgc_qname(tgt->nspname, name),
										quote_literal_cstr(pgc_get(x, i, "comment"))));
	}
	if (t->replident == 'f')
		out = lappend(out, psprintf("ALTER TABLE ONLY %s REPLICA IDENTITY FULL", qt));
	else if (t->replident == 'n')
		out = lappend(out, psprintf("ALTER TABLE ONLY %s REPLICA IDENTITY NOTHING", qt));

	/* extended statistics follow the columns they read */
	for (i = 0; i < t->statistics->nrows; i++)
	{
		PgcRows    *s = t->statistics;
		char	   *def = pgc_get(s, i, "def");
		char	   *name = pgc_derive_name(pgc_get(s, i, "stxname"), t->relname, tgt->relname);
		char	   *body;
		size_t		blen;

		if (!uses_only_selected(t, pgc_get(s, i, "deps")))
			continue;
		body = after_prefix(def, pgc_get(s, i, "def_prefix"), "statistics");
		blen = strlen(body) - strlen(pgc_get(s, i, "def_suffix"));
		out = lappend(out, pgc_check_def(psprintf("CREATE STATISTICS %s.%s%.*s FROM %s",
												  pgc_get(s, i, "qnsp"), quote_identifier(name),
												  (int) blen, body, qt),
										 T_CreateStatsStmt,
										 psprintf("statistics object %s", pgc_get(s, i, "stxname")),
										 NULL, NULL));
		/* NULL (17 on) or -1: the default */
		if (pgc_get(s, i, "stxstattarget") && atoi(pgc_get(s, i, "stxstattarget")) >= 0)
			out = lappend(out, psprintf("ALTER STATISTICS %s.%s SET STATISTICS %s",
										pgc_get(s, i, "qnsp"), quote_identifier(name),
										pgc_get(s, i, "stxstattarget")));
	}

	if (include_fkeys)
		out = list_concat(out, pgc_table_fkeys(t, tgt, opts));

	for (i = 0; opts->triggers && i < t->triggers->nrows; i++)
	{
		PgcRows    *g = t->triggers;
		char	   *qn = pgc_qident(trigger_name(t, tgt, i));
		char		en = pgc_get(g, i, "tgenabled")[0];

		if (!uses_only_selected(t, pgc_get(g, i, "deps")))
			continue;
		out = lappend(out, pgc_check_def(trigger_sql(t, tgt, i), T_CreateTrigStmt,
										 psprintf("trigger \"%s\" on %s", pgc_get(g, i, "tgname"),
												  pgc_qname(t->nspname, t->relname)),
										 tgt->nspname, tgt->relname));
		if (en == 'D')
			out = lappend(out, psprintf("ALTER TABLE %s DISABLE TRIGGER %s", qt, qn));
		else if (en == 'R')
			out = lappend(out, psprintf("ALTER TABLE %s ENABLE REPLICA TRIGGER %s", qt, qn));
		else if (en == 'A')
			out = lappend(out, psprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER %s", qt, qn));
		if (pgc_get(g, i, "comment"))
			out = lappend(out, psprintf("COMMENT ON TRIGGER %s ON %s IS %s", qn, qt,
										quote_literal_cstr(pgc_get(g, i, "comment"))));
	}

	out = policies_sql(out, t, tgt);
	if (t->rowsecurity)
		out = lappend(out, psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY", qt));
	if (t->forcerowsecurity)
		out = lappend(out, psprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY", qt));
	return out;
}

List *
pgc_table_sequence_values(PgcCatalog *cat, PgcTable *t, PgcTarget *tgt)
{
	List	   *out = NIL;
	int			i;

	for (i = 0; i < t->sequences->nrows; i++)
	{
		PgcColumn  *c = pgc_table_column(t, pgc_get_int(t->sequences, i, "attnum"));
		PgcRows    *v;

		if (c == NULL || !c->selected)
			continue;
		v = pgc_read_sequence_value(cat, pgc_get(t->sequences, i, "qname"));
		out = lappend(out, psprintf("SELECT pg_catalog.setval(%s, %s, %s)",
									quote_literal_cstr(target_seqname(t, tgt, i)),
									quote_literal_cstr(pgc_val(v, 0, 0)),
									pgc_val(v, 0, 1)[0] == 't' ? "true" : "false"));
	}
	return out;
}
