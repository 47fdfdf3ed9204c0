-- iot.mustache_render (the Mustache spec plus the Live Objects lambdas)
-- and iot.template_apply (manual 11.3.4; decisions.md 11; digest T08-T11).
SET timezone = 'UTC';

-- interpolation: escaped, triple mustache, ampersand, missing names, types
SELECT iot.mustache_render('Hello, {{subject}}!', '{"subject": "world"}');
SELECT iot.mustache_render('{{html}} {{{html}}} {{&html}} {{ html }}', '{"html": "<a href=\"x\">&</a>"}');
SELECT iot.mustache_render('[{{missing}}] [{{{missing}}}] [{{n}}] [{{f}}] [{{b}}] [{{z}}] [{{o}}]',
                           '{"n": 85, "f": 1.210, "b": false, "z": null, "o": {"a": [1, "x"]}}');
-- dotted names, broken chains, the context stack
SELECT iot.mustache_render('{{a.b.c}} [{{a.b.x}}] [{{a.x.c}}] {{#a}}{{#b}}{{name}}{{/b}}{{/a}}',
                           '{"a": {"b": {"c": "deep"}}, "name": "outer"}');
SELECT iot.mustache_render('{{#a}}{{b.c}}{{/a}}', '{"a": {"b": {}}, "b": {"c": "ERROR"}}');
-- sections: lists, objects, falsy values, implicit iterator, nesting
SELECT iot.mustache_render('{{#list}}({{.}}){{/list}}|{{#obj}}{{k}}{{/obj}}|{{#f}}no{{/f}}|{{#e}}no{{/e}}|{{#s}}no{{/s}}|{{#t}}yes{{/t}}',
                           '{"list": [1, "two", 3.5], "obj": {"k": "v"}, "f": false, "e": [], "s": "", "t": true}');
SELECT iot.mustache_render('{{#rows}}{{#cells}}{{.}},{{/cells}};{{/rows}}', '{"rows": [{"cells": [1, 2]}, {"cells": [3]}]}');
-- inverted sections
SELECT iot.mustache_render('{{^list}}empty{{/list}}{{^missing}}!{{/missing}}{{^t}}hidden{{/t}}', '{"list": [], "t": 1}');
-- comments and standalone lines (removed whole, with their line break)
SELECT iot.mustache_render(E'Begin.\n{{! a comment\nover lines }}\nEnd.', '{}');
SELECT iot.mustache_render(E'|\n  {{#b}}\n  x\n  {{/b}}\n|', '{"b": true}');
SELECT iot.mustache_render(E'|\r\n{{#b}}\r\ny\r\n{{/b}}\r\n|', '{"b": true}');
SELECT iot.mustache_render(E' {{#b}}not standalone{{/b}} \n', '{"b": true}');
-- set delimiters
SELECT iot.mustache_render('{{=<% %>=}}(<%text%>) <%={{ }}=%>{{text}}', '{"text": "Hey!"}');
SELECT iot.mustache_render(E'[\n{{=| |=}}\n|#s|\n|data|\n|/s|\n]', '{"s": true, "data": "I got interpolated."}');
-- partials are not available: they render empty
SELECT iot.mustache_render('"{{>text}}"', '{}');
-- lambdas of the manual (Table 10)
SELECT iot.mustache_render('{{#math}}{{t}}/100{{/math}} {{#math}}({{a}} + 2) * 3 - 1{{/math}} {{#math}}2^10 % 1000{{/math}} {{#math}}not math{{/math}}',
                           '{"t": 2587, "a": 1.5}');
SELECT iot.mustache_render('{{#toUpperCase}}{{unit}}{{/toUpperCase}} {{#toLowerCase}}ABC {{unit}}{{/toLowerCase}}', '{"unit": "Celsius"}');
-- names are looked up exactly, then ignoring case (JBBP keys are lower case)
SELECT iot.mustache_render('{{myString}} {{MYSTRING}}', '{"mystring": "x", "MYSTRING": "y"}');
-- NULL context renders with no names
SELECT iot.mustache_render('a{{b}}c', NULL);
-- bad templates: PI040 with the position
SELECT test.try($$SELECT iot.mustache_render('{{#a}}x', '{}')$$);
SELECT test.try($$SELECT iot.mustache_render('{{#a}}x{{/b}}', '{}')$$);
SELECT test.try($$SELECT iot.mustache_render('x{{/a}}', '{}')$$);
SELECT test.try($$SELECT iot.mustache_render('x {{a', '{}')$$);
SELECT test.try($$SELECT iot.mustache_render('{{=<% %>}}', '{}')$$);
SELECT test.try($$SELECT iot.mustache_render('{{}}', '{}')$$);

-- T11: the manual's four numbered cases, temperature = 2587
SELECT iot.template_apply('{"1": "{{temperature}}/100 celsius", "2": "{{#math}}{{temperature}}/100{{/math}} celsius",
                            "3": "{{#math}}{{temperature}}/100{{/math}}", "4": "{{temperature}}/100"}', '{"temperature": 2587}');
-- T08: the binary test endpoint's template
SELECT iot.template_apply('{"pressure":{{pressure}}, "temperature" : "{{temperature}}/10"}',
                          iot.jbbp_parse('int  pressure; int temperature;', '\x000003F5000000DD'));
-- T11: the basic decoder twointegers
SELECT iot.template_apply(E'{"pressure":{{pressure}},\n  "temperature" : "{{#math}}{{temperature}}/10{{/math}} celsius"}',
                          iot.jbbp_parse('int pressure;int temperature;', '\x000003F5000000DD'));
-- T10: the templating section's example (fields the template does not name are dropped)
SELECT jsonb_pretty(iot.template_apply('{"pressure": "{{pressure}} / 10","temperature": "{{temperature}} / 100","altitude": "{{altitude}} / 10","view": {"Pressure": "{{#math}}{{pressure}}/10{{/math}} hPa","Temperature": "{{#math}}{{temperature}}/100{{/math}} C","Altitude": "{{#math}}{{altitude}}/100{{/math}} m","GPSAltitude": "{{altitude_gps}} m","Battery": "{{battery}} %"}}',
    iot.jbbp_parse('byte:1 led; ushort pressure; ushort temperature;ushort altitude; ubyte battery; byte[6] raw_gps; ushort altitude_gps;',
                   '\x0027830a1bfd6738000000000000ffff')));
-- T15: a quoted boolean stays a string, a quoted quotient becomes a number
SELECT iot.template_apply('{"temperature" : "{{temperature}}/10", "unit":"{{unit}}", "thresholdReached":"{{thresholdReached}}"} ',
                          '{"unit": "celsius", "temperature": 250, "thresholdReached": true}');
-- bare arithmetic in the JSON (the manual's "{{temperature}}/10" unquoted), nested values, arrays
SELECT iot.template_apply('{"t": {{temperature}}/10, "neg": -{{temperature}} + 1, "list": ["{{a}}", "x{{a}}", ({{a}} + 1) * 2], "raw": {{{obj}}}}',
                          '{"temperature": 221, "a": 3, "obj": {"k": [1, 2]}}');
-- unknown names render empty, never an error
SELECT iot.template_apply('{"a": "{{nothing}}", "b": "{{nothing}} %"}', '{}');
-- failures: PI041 when the rendering is not a JSON object or has a dotted key; PI040 at check
SELECT test.try($$SELECT iot.template_apply('{"a": {{nothing}}}', '{}')$$);
SELECT test.try($$SELECT iot.template_apply('[1, 2]', '{}')$$);
SELECT test.try($$SELECT iot.template_apply('{"field.with.dot": {{temperature}}/10}', '{"temperature": 1}')$$);
SELECT test.try($$SELECT iot.template_check('{"field.with.dot": {{temperature}}/10}')$$);
SELECT test.try($$SELECT iot.template_check('{"ok": "{{a.b}}", "x": {{#s}}1{{/s}}}')$$);
SELECT test.try($$SELECT iot.template_check('{"a": {{#s}}1}')$$);
-- a sigil is never the start of the closing delimiter (found by the fuzzer)
SELECT test.try($$SELECT iot.mustache_render('{{=<% >=}}x<%>>', '{}')$$);
SELECT test.try($$SELECT iot.mustache_render('{{=<% >=}}x<%#>', '{}')$$);
