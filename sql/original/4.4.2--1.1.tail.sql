
-- ---- after 1.1's install script: what users built on the original ----
DO $pgclone_original$
DECLARE
	g jsonb;
	r record;
BEGIN
	-- grants to roles, again, on our objects of the same name (every
	-- overload: the original's table(4, 5 or 6 arguments) is our one table())
	FOR g IN SELECT * FROM jsonb_array_elements(
				 current_setting('pgclone_upgrade.grants')::jsonb)
	LOOP
		FOR r IN
			SELECT 'FUNCTION ' || p.oid::regprocedure::text AS obj
			  FROM pg_catalog.pg_proc p
			 WHERE g->>'kind' = 'function' AND p.pronamespace = 'pgclone'::regnamespace
			   AND p.proname = g->>'name'
			UNION ALL
			SELECT 'TABLE ' || c.oid::regclass::text
			  FROM pg_catalog.pg_class c
			 WHERE g->>'kind' = 'table' AND c.relnamespace = 'pgclone'::regnamespace
			   AND c.relname = g->>'name'
		LOOP
			EXECUTE pg_catalog.format('GRANT %s ON %s TO %s%s', g->>'privilege', r.obj,
									  g->>'grantee',
									  CASE WHEN (g->>'grantable')::boolean THEN ' WITH GRANT OPTION' ELSE '' END);
		END LOOP;
		-- jobs_view calls progress_detail(), which the original left to
		-- PUBLIC and ours does not: its readers keep reading it
		IF g->>'kind' = 'table' AND g->>'name' = 'jobs_view' AND g->>'privilege' = 'SELECT' THEN
			EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgclone.progress_detail() TO %s',
									  g->>'grantee');
		END IF;
	END LOOP;

	-- The original's masking policies: a view <table>_masked over one table
	-- of its schema, the table's SELECT revoked from PUBLIC.  Registered as
	-- ours: dropping one restores what the original's drop restored (the
	-- table's privileges now, plus SELECT for PUBLIC).  Its masked columns
	-- are those PostgreSQL cannot update through the view (expressions, not
	-- the table's own column); the strategy is not known any more.
	INSERT INTO pgclone.masking_policies
		(relid, schema_name, table_name, view_name, role_name, mask, original_acl)
	SELECT t.oid, n.nspname, t.relname, v.relname,
		   coalesce((SELECT min(a.grantee::regrole::text)
					   FROM pg_catalog.aclexplode(t.relacl) a
					  WHERE a.privilege_type = 'SELECT' AND a.grantee NOT IN (0, t.relowner)), ''),
		   (SELECT coalesce(jsonb_object_agg(va.attname, 'masked by the original pgclone'), '{}')
			  FROM pg_catalog.pg_attribute va
			 WHERE va.attrelid = v.oid AND va.attnum > 0 AND NOT va.attisdropped
			   AND NOT pg_catalog.pg_column_is_updatable(v.oid, va.attnum, false)),
		   pg_catalog.array_append(coalesce(t.relacl, pg_catalog.acldefault('r', t.relowner)),
								   pg_catalog.makeaclitem(0, t.relowner, 'SELECT', false))
	  FROM pg_catalog.pg_class v
	  JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
	  JOIN pg_catalog.pg_class t ON t.relnamespace = v.relnamespace AND t.relkind IN ('r', 'p')
		   AND (t.relname::text || '_masked') = v.relname::text
	 WHERE v.relkind = 'v'
	   AND NOT pg_catalog.has_table_privilege('public', t.oid, 'SELECT')
	   -- the view reads that table
	   AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w
					 JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass
						  AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
						  AND d.refobjid = t.oid
					WHERE w.ev_class = v.oid)
	ON CONFLICT (relid) DO NOTHING;

	-- ours are security_barrier views: no function in a user's WHERE clause
	-- sees the rows the view's masks hide
	FOR r IN SELECT pg_catalog.format('ALTER VIEW %I.%I SET (security_barrier = true)',
									  schema_name, view_name) AS stmt
			   FROM pgclone.masking_policies
	LOOP
		EXECUTE r.stmt;
	END LOOP;
END
$pgclone_original$;
