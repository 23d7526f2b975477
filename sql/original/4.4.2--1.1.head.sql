-- pgclone 4.4.2 (the original pgclone) -> 1.1: replaces the original's SQL
-- objects with ours in place.  Built by the Makefile as this head, then 1.1's
-- install script (sql/pgclone--1.1.sql, unchanged but for CREATE EXTENSION's
-- guard line), then sql/original/4.4.2--1.1.tail.sql; the usual upgrade
-- scripts (1.1 -> 5.0 -> ...) take it on from there, so
-- ALTER EXTENSION pgclone UPDATE goes from the original's 4.4.2 (and, through
-- the no-op steps pgclone--4.3.0--4.3.1.sql ... --4.4.1--4.4.2.sql, from
-- 4.3.0 on) to our current version.
--
-- What users built on the original is kept:
--   * EXECUTE on its functions and SELECT on its jobs_view granted to roles
--     (not to PUBLIC: ours are revoked from PUBLIC, as in a fresh install)
--     are granted again on our objects of the same name, by the tail;
--   * masking policies its create_masking_policy() made (a view
--     <table>_masked, the table's SELECT revoked from PUBLIC) are registered
--     in pgclone.masking_policies by the tail, so they keep masking and our
--     drop_masking_policy() removes them.
-- Objects of users that depend on the original's functions or jobs_view
-- stop the update (PostgreSQL names them); nothing is dropped by CASCADE.
\echo Use "ALTER EXTENSION pgclone UPDATE" to load this file. \quit

DO $pgclone_original$
DECLARE
	ext oid := (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'pgclone');
	nsp oid := (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pgclone');
	grants jsonb;
	r record;
BEGIN
	-- privileges granted to roles on the original's functions and views,
	-- carried to the tail in a transaction-local setting
	SELECT coalesce(jsonb_agg(jsonb_build_object(
			'kind', g.kind, 'name', g.name, 'grantee', g.grantee::regrole::text,
			'privilege', g.privilege_type, 'grantable', g.is_grantable)), '[]')
	  INTO grants
	  FROM (SELECT 'function' AS kind, p.proname::text AS name, a.*
			  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
			 WHERE p.pronamespace = nsp AND a.grantee <> 0 AND a.grantee <> p.proowner
			UNION ALL
			SELECT 'table', c.relname::text, a.*
			  FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
			 WHERE c.relnamespace = nsp AND a.grantee <> 0 AND a.grantee <> c.relowner) g;
	PERFORM pg_catalog.set_config('pgclone_upgrade.grants', grants::text, true);

	-- the original's objects: its views first, then its functions
	FOR r IN
		SELECT pg_catalog.format('DROP %s %s',
				   CASE WHEN d.classid = 'pg_catalog.pg_class'::regclass THEN 'VIEW' ELSE 'FUNCTION' END,
				   CASE WHEN d.classid = 'pg_catalog.pg_class'::regclass THEN d.objid::regclass::text
						ELSE d.objid::regprocedure::text END) AS stmt
		  FROM pg_catalog.pg_depend d
		 WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext
		   AND d.deptype = 'e'
		   AND d.classid IN ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_proc'::regclass)
		 ORDER BY d.classid = 'pg_catalog.pg_proc'::regclass, d.objid
	LOOP
		EXECUTE r.stmt;
	END LOOP;

	-- The original's control file names no schema: its extension lives in
	-- the schema that was first in search_path (public, usually) and its
	-- script created schema pgclone as a member.  Ours is installed in
	-- schema pgclone (control file: schema = pgclone), which is not a
	-- member; without this, pg_dump would write CREATE EXTENSION ... WITH
	-- SCHEMA public, which our control file refuses on restore.
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend
				WHERE classid = 'pg_catalog.pg_namespace'::regclass AND objid = nsp
				  AND refclassid = 'pg_catalog.pg_extension'::regclass AND refobjid = ext
				  AND deptype = 'e') THEN
		ALTER EXTENSION pgclone DROP SCHEMA pgclone;
	END IF;
	UPDATE pg_catalog.pg_depend SET refobjid = nsp
	 WHERE classid = 'pg_catalog.pg_extension'::regclass AND objid = ext
	   AND refclassid = 'pg_catalog.pg_namespace'::regclass AND deptype = 'n';
	UPDATE pg_catalog.pg_extension SET extnamespace = nsp WHERE oid = ext;
END
$pgclone_original$;

-- ---- 1.1's install script follows ----
