-- RSQL: the parser, the two dialects, the SQL translation, hostile input
-- (spec-devices D4.1, D10.5, T9; spec-data 5.2, T22; decisions.md 5-8).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';

-- Standard RSQL (no dialect): the corpus of valid queries and their trees.
SELECT q AS query, iot.rsql_parse(q) AS tree
  FROM (VALUES
    ('a==b'),
    ('a!=b'),
    ('a=lt=1;a<1;a=le=1;a<=1'),
    ('a=gt=1,a>1,a=ge=1,a>=1'),
    ('a=in=(1,2,3)'),
    ('a=in=x'),
    ('a=out=( x , y )'),
    ('a==b;c==d,e==f'),
    ('a==b,c==d;e==f'),
    ('a==b and c==d or e==f and g==h'),
    ('(a==b,c==d);e==f'),
    ('((a==b))'),
    ('a==b and(c==d)'),
    ('  a == b  '),
    ('a==''x y'';b=="x y"'),
    ('a==''it\''s'';b=="say \"hi\"";c==''back\\slash'''),
    ('a=='''''),
    ('a==*;b==x*;c==''x*'';d==''x\*'''),
    ('a.b.c==/x/y/z'),
    ('a==10-20%'),
    ('a==é;ü==ß'),
    ('and==or'),
    ('a==b;c==android'),
    ('a==orange or b==andorra')
  ) v(q);

-- Malformed queries: 22P02 with the position of the fault.
SELECT q AS query, test.try(format('SELECT iot.rsql_parse(%L)', q)) AS error
  FROM (VALUES
    (''), ('   '), ('a'), ('a='), ('a=='), ('==b'), ('a=foo=b'), ('a=IN=(1)'), ('a==b c==d'),
    ('a==b;'), ('a==b and'), ('a==b or '), ('(a==b'), ('a==b)'), ('a==(b'), ('a==()'),
    ('a==(b,c)'), ('a=in=(b,)'), ('a=in=(b c)'), ('a==''b'), ('a=="b\'), ('a==''b''c'),
    ('a==b;;c==d'), ('a==b,(c==d'), ('a!b'), ('a~=b'), ('a==b)c'),
    ('é==b c')
  ) v(q);
SELECT test.try('SELECT iot.rsql_parse(' || quote_literal(repeat('(', 70) || 'a==b' || repeat(')', 70)) || ')') AS too_deep;
-- 512 characters are fine, 513 are not (54000); characters, not bytes
SELECT jsonb_typeof(iot.rsql_parse('a==' || repeat('x', 509))) AS len_512;
SELECT test.try($$SELECT iot.rsql_parse('a==' || repeat('x', 510))$$) AS len_513;
SELECT jsonb_typeof(iot.rsql_parse('a==' || repeat('é', 509))) AS len_512_multibyte;
SELECT test.try($$SELECT iot.rsql_parse('a==' || repeat('é', 510))$$) AS len_513_multibyte;
SELECT iot.rsql_parse(NULL) IS NULL AS null_in_null_out;
SELECT test.try($$SELECT iot.rsql_parse('a==b', 'nope')$$) AS unknown_dialect;
SELECT test.try($$SELECT iot.rsql_to_sql('a==b', NULL)$$) AS dialect_required;
SELECT test.try($$SELECT iot.rsql_parse('properties=q=''k==a''')$$) AS q_is_not_standard;

-- Device dialect (filterQuery, campaign targets): T9 (b) and (c).
SELECT iot.rsql_parse('groupPath==/France;tags==demo;connector==lwm2m or (connector==x-connector)', 'device') AS t9b;
SELECT q AS query, iot.rsql_parse(q, 'device') AS tree
  FROM (VALUES
    ('tags=in=(FUT,TEST1)'), ('properties.mykey=in=(enum1, enum3)'), ('properties.mykey==toto'),
    ('groupId=in=(1224,1234)'), ('groupId==1234'), ('groupPath=in=(/FR, /EN)'), ('connector==lwm2m'),
    ('groupPath==/'), ('tags=in=(foo)'), ('properties.a.b=lt=10;tags=out=(x)'), ('groupPath==/France/*')
  ) v(q);
-- T9 (d): unknown selectors and unsupported operators or values (22023)
SELECT q AS query, test.try(format('SELECT iot.rsql_parse(%L, %L)', q, 'device')) AS error
  FROM (VALUES
    ('name==x'), ('properties.==x'), ('properties==x'), ('group.path==/x'), ('tags=q=''x'''),
    ('tags!=ab*'), ('tags=in=(a*,b)'), ('tags=gt=a*'), ('groupId==1;connector==lora;tag==x')
  ) v(q);

-- Inventory dialect: every example of the manual's 9.2.2.
SELECT q AS query, iot.rsql_parse(q, 'inventory') AS tree
  FROM (VALUES
    ('name==''my Device'''), ('id==myId'), ('group.path==/foo/bar'), ('group.id==myGroupId'),
    ('tags=in=(spain, v2)'), ('properties.k==myKey'), ('properties.v==myValue'),
    ('properties=q=''k==myKey and v==myValue'''), ('property.myKey==myValue'),
    ('interfaces=q=''connector==lo*'''), ('interfaces.connector==mqtt'), ('interfaces.nodeId==myNodeId'),
    ('interfaces.enabled==false'), ('interfaces.status!=OFFLINE'), ('interfaces.definition.profile==Generic_v2'),
    ('activities=q=''state!=SILENT or ruleId==ac*'''), ('activities.ruleId==myRuleId'),
    ('activities.state==ACTIVE'), ('aggregatedActivityState==ACTIVE'),
    ('network.lora.lostMessagesRangeLabel==10-20%'),
    ('id==my*'), ('group.path!=/foo/bar'), ('properties.k==myKey and tags!=demo'),
    ('properties.k==myKey;tags!=demo'), ('properties.k==myKey or tags!=demo'), ('properties.k==myKey,tags!=demo')
  ) v(q);
-- the complex example: AND binds tighter than OR inside the second group
SELECT jsonb_pretty(iot.rsql_parse($${"filters": {"queryString": "(tags==myTag or name==awesome*) and (group.path==/foo/* or properties=q='k==Version and v==\"my complete value\"' and interfaces.connector==lora)"}}$$::jsonb #>> '{filters,queryString}', 'inventory')) AS complex;
-- the apostrophe example, as the JSON string "tags=='Aujourd\\'hui'" reads
SELECT iot.rsql_parse(('{"q": "tags==''Aujourd\\''hui''"}'::jsonb) ->> 'q', 'inventory') AS apostrophe;
-- refused: prefix with anything but ==, =q= misuse, unknown fields, bad booleans
SELECT q AS query, test.try(format('SELECT iot.rsql_parse(%L, %L)', q, 'inventory')) AS error
  FROM (VALUES
    ('name!=abc*'), ('name=in=(abc*)'), ('name=lt=b'), ('tags=out=(a)'), ('groupPath==/'),
    ('property.==x'), ('properties==x'), ('interfaces=q=connector==lora'), ('interfaces=q=''nope==1'''),
    ('interfaces=q=''status==A and (connector==b'''), ('interfaces=q=''status==\''A'''),
    ('activities=q=''state=in=(A,B*)'''), ('properties=q=''k==a;v=q=\''x\'''''), ('interfaces.enabled==yes'),
    ('interfaces.enabled==true*'), ('interfaces=q=''enabled==maybe''')
  ) v(q);

-- Translation to SQL: the shapes the indexes serve.
SELECT q AS query, iot.rsql_to_sql(q, 'device') AS predicate
  FROM (VALUES
    ('tags==demo'), ('tags!=demo'), ('tags=in=(FUT,TEST1)'), ('tags=out=(a,b)'), ('tags==de*'), ('tags=lt=m'),
    ('properties.mykey==toto'), ('properties.mykey!=toto'), ('properties.mykey=in=(enum1, enum3)'),
    ('properties.mykey=out=(enum1)'), ('properties.temp=ge=20.5'), ('properties.model=gt=v2'),
    ('groupId==1234'), ('groupId=in=(1224,1234)'), ('groupId!=1234'), ('groupPath==/'),
    ('groupPath=in=(/FR, /EN)'), ('groupPath==/France/*'), ('groupPath!=/France'),
    ('connector==lwm2m'), ('connector!=lwm2m'), ('connector=in=(lora,sms)'),
    ('groupPath==/France;tags==demo;connector==lwm2m or (connector==x-connector)')
  ) v(q);
SELECT q AS query, iot.rsql_to_sql(q, 'inventory') AS predicate
  FROM (VALUES
    ('name==''my Device'''), ('name!=x'), ('id==my*'), ('group.path==/foo/*'), ('group.id==g1'),
    ('properties.k==myKey'), ('properties.v!=myValue'), ('properties=q=''k==myKey and v==myValue'''),
    ('properties=q=''k==myKey or v==myValue'''), ('property.myKey==myValue'), ('property.myKey==my*'),
    ('interfaces=q=''connector==lo*'''), ('interfaces.enabled==false'), ('interfaces.status!=OFFLINE'),
    ('interfaces.definition.profile==Generic_v2'), ('interfaces=q=''definition.profile!=X and enabled=in=(true)'''),
    ('activities=q=''state!=SILENT or ruleId==ac*'''), ('activities.state==ACTIVE'),
    ('aggregatedActivityState==ACTIVE'), ('network.lora.lostMessagesRangeLabel==10-20%'),
    ('name==50%_off*')
  ) v(q);

-- Hostile input: whatever the query holds, the result is one predicate
-- whose values are literals.  Each translation runs against a table
-- holding one device that an injected "OR true" would match.
SELECT iot.tenant_create('rsql-t') IS NOT NULL;
SELECT iot.use_tenant('rsql-t') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:x:1", "name": "a", "tags": ["x"], "properties": {"k": "v"},
    "interfaces": [{"connector": "mqtt", "definition": {"clientId": "urn:lo:nsid:x:1"}}]}') ->> 'id' AS device;
CREATE TEMP TABLE hostile (q text, dialect text);
INSERT INTO hostile VALUES
    ($$tags==x'); DROP TABLE iot.device; --$$, 'device'),
    ($$tags=='x''); DROP TABLE iot.device; --'$$, 'device'),
    ($$tags=='x\'); DROP TABLE iot.device; --'$$, 'device'),
    ($$tags=="x\\'); DROP TABLE iot.device; --"$$, 'device'),
    ($$properties.a'||pg_sleep(1)||'==1$$, 'device'),
    ($$properties.x"}'::jsonb OR true OR '{"==1$$, 'device'),
    ($$properties.k==x"}'::jsonb OR true OR '{"$$, 'device'),
    ($$groupPath=='/x'') OR true OR (''1'$$, 'device'),
    ($$groupId=in=('a'')) OR ((''1','b')$$, 'device'),
    ($$tags==$$ || chr(92) || $$$$, 'device'),
    ($$tags=="\\\\\\"$$, 'device'),
    ($$name=='%'' OR 1=1 --*'$$, 'inventory'),
    ($$name=='a$$ || '$$' || $$b$$ || '$$' || $$'$$, 'inventory'),
    ($$property.x')::int; SELECT 1; --==1$$, 'inventory'),
    ($$interfaces=q='connector==\'x\\\') OR true --\''$$, 'inventory'),
    ($$id=='*/ SELECT 1 /*'$$, 'inventory'),
    ($$name==E'\x27'$$, 'inventory'),
    (E'name==''a\nb''', 'inventory'),
    ($$(name==a) OR (true)$$, 'inventory');
CREATE FUNCTION pg_temp.run(pred text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE 'SELECT count(*) FROM iot.device d WHERE d.tenant_id = iot.current_tenant() AND ' || pred INTO n;
    RETURN n;
END $$;
SELECT q AS query, coalesce(test.try(format('SELECT iot.rsql_to_sql(%L, %L)', q, dialect)), '') AS result,
       CASE WHEN test.try(format('SELECT iot.rsql_to_sql(%L, %L)', q, dialect)) = 'ok'
            THEN iot.rsql_to_sql(q, dialect) END AS predicate,
       CASE WHEN test.try(format('SELECT iot.rsql_to_sql(%L, %L)', q, dialect)) = 'ok'
            THEN pg_temp.run(iot.rsql_to_sql(q, dialect)) END AS rows_matched
  FROM hostile;
SELECT to_regclass('iot.device') IS NOT NULL AS device_table_still_there, count(*) AS devices FROM iot.device WHERE tenant_id = iot.current_tenant();
