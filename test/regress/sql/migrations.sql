-- A fresh install of the current version and an install of the first
-- release upgraded through every migration give the same catalog.
\set first_version '0.1.0'
CREATE DATABASE regress_pgiot_fresh TEMPLATE template0;
CREATE DATABASE regress_pgiot_chain TEMPLATE template0;

-- The catalog of the extension, one line per fact, as a psql variable.
\set catalog_query 'SELECT string_agg(line, E''\n'' ORDER BY line) FROM pg_temp.catalog_lines() line'
\set catalog_function 'CREATE FUNCTION pg_temp.catalog_lines() RETURNS SETOF text LANGUAGE sql AS $f$ WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname IN (''iot'', ''api'')), rels AS (SELECT c.oid, c.relname FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relname !~ ''^message_p[0-9]'') SELECT format(''function %s returns %s secdef=%s vol=%s strict=%s acl=%s config=%s body=%s'', p.oid::regprocedure, pg_get_function_result(p.oid), p.prosecdef, p.provolatile, p.proisstrict, p.proacl, p.proconfig, md5(coalesce(pg_get_functiondef(p.oid), p.prosrc))) FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns) UNION ALL SELECT format(''relation %s kind=%s rls=%s acl=%s options=%s'', c.relname, c.relkind, c.relrowsecurity, c.relacl, c.reloptions) FROM pg_class c JOIN rels USING (oid) UNION ALL SELECT format(''column %s.%s %s notnull=%s default=%s acl=%s'', r.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attacl) FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum UNION ALL SELECT format(''constraint %s.%s %s'', r.relname, c.conname, pg_get_constraintdef(c.oid)) FROM rels r JOIN pg_constraint c ON c.conrelid = r.oid UNION ALL SELECT format(''index %s'', pg_get_indexdef(i.indexrelid)) FROM rels r JOIN pg_index i ON i.indrelid = r.oid UNION ALL SELECT format(''trigger %s'', pg_get_triggerdef(t.oid)) FROM rels r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal UNION ALL SELECT format(''policy %s.%s cmd=%s roles=%s using=%s check=%s'', r.relname, p.polname, p.polcmd, p.polroles::regrole[], pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) FROM rels r JOIN pg_policy p ON p.polrelid = r.oid UNION ALL SELECT format(''view %s %s'', r.relname, md5(pg_get_viewdef(r.oid))) FROM rels r JOIN pg_class c ON c.oid = r.oid AND c.relkind IN (''v'', ''m'') UNION ALL SELECT format(''type %s kind=%s'', t.typname, t.typtype) FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM ns) AND t.typname !~ ''^_?message_p[0-9]'' UNION ALL SELECT format(''schema %s acl=%s'', n.nspname, n.nspacl) FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM ns) UNION ALL SELECT format(''member %s'', pg_describe_object(d.classid, d.objid, 0)) FROM pg_depend d WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = ''pgiot'') AND d.deptype = ''e'' $f$'

\c regress_pgiot_chain
SET client_min_messages = warning;
CREATE EXTENSION postgis;
CREATE EXTENSION pgiot VERSION :'first_version';
ALTER EXTENSION pgiot UPDATE;
RESET client_min_messages;
SELECT extversion AS chain_version FROM pg_extension WHERE extname = 'pgiot' \gset
:catalog_function;
:catalog_query \gset chain_
SELECT count(*) AS chain_updates FROM pg_extension_update_paths('pgiot') WHERE source = :'first_version' AND path IS NOT NULL;

\c regress_pgiot_fresh
SET client_min_messages = warning;
CREATE EXTENSION pgiot CASCADE;
RESET client_min_messages;
SELECT extversion = :'chain_version' AS same_version FROM pg_extension WHERE extname = 'pgiot';
:catalog_function;
:catalog_query \gset fresh_
SELECT count(*) > 100 AS catalog_described FROM regexp_split_to_table(:'fresh_string_agg', E'\n');
-- what only the upgraded catalog has, and what only the fresh one has
SELECT 'only after upgrade' AS side, l FROM regexp_split_to_table(:'chain_string_agg', E'\n') l
EXCEPT SELECT 'only after upgrade', l FROM regexp_split_to_table(:'fresh_string_agg', E'\n') l
UNION ALL
(SELECT 'only in fresh install', l FROM regexp_split_to_table(:'fresh_string_agg', E'\n') l
 EXCEPT SELECT 'only in fresh install', l FROM regexp_split_to_table(:'chain_string_agg', E'\n') l)
ORDER BY 1, 2;

\c pgiot_regress
DROP DATABASE regress_pgiot_fresh;
DROP DATABASE regress_pgiot_chain;
