/*
 * ops.h — declarations shared by the operations capabilities: clone_roles
 * (roles.c), verify (verify.c), diff (diff.c) and preflight (preflight.c).
 */
#ifndef PGCLONE_OPS_H
#define PGCLONE_OPS_H

#include "remote/remote.h"

/* Run a read-only query locally via SPI; rows are copied to the caller's context. */
extern PgcRows *ops_local_query(const char *sql, int nparams,
								const char *const *params);

/*
 * Fix the local session settings that shape catalog and row text (search_path,
 * DateStyle, TimeZone...) to the values the source session uses; returns the
 * GUC nest level to hand to ops_session_end.
 */
extern int	ops_session_begin(void);
extern void ops_session_end(int level);
/* The same settings on the source, after pgc_begin_source_xact */
extern void ops_source_session(PGconn *conn);

/* ERROR 3F000 unless the schema exists on the source */
extern void ops_require_source_schema(PGconn *conn, const char *schema);

/* integrity.c: verify's "integrity" mode, one row per target table */
struct ReturnSetInfo;
extern void ops_verify_integrity(struct ReturnSetInfo *rsinfo, const char *schema);
/*
 * diff_norm.c: a view's query ('v') or a function's definition ('f') as the
 * target parses and deparses it, copied into cxt; NULL if the target cannot.
 */
extern char *diff_normalize(char kind, const char *def, MemoryContext cxt);

/* JSON text helpers */
extern void ops_json_str(StringInfo buf, const char *s);	/* null when s == NULL */

#endif							/* PGCLONE_OPS_H */
