/*
 * rsql.c: libFuzzer target for the RSQL parser and its SQL translation.
 *
 * FUZZ_SOURCES: extension/src/query/qbuf.c extension/src/query/rsql_parse.c extension/src/query/rsql_dialect.c extension/src/query/rsql_json.c extension/src/query/rsql_sql.c
 *
 * Every input is parsed without a dialect and with each dialect.  Besides
 * the sanitizers' checks, it proves for every accepted query that:
 *   - the AST is well-formed JSON;
 *   - the SQL is exactly one parenthesised expression made of allowed
 *     tokens only: string literals (quote_literal form), the identifiers
 *     and keywords the field tables use, operators from a fixed list; no
 *     ';', no comment, no dollar quote, balanced parentheses.
 * so no input can make iot.rsql_to_sql() emit anything but a predicate.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/rsql_sql.h"

/* A malloc arena freed after each input. */
typedef struct Block
{
	struct Block *next;
	max_align_t	data[];
} Block;

static void *
fuzz_alloc(void *state, size_t size)
{
	Block	  **head = state;
	Block	   *b = calloc(1, sizeof(Block) + size);

	if (b == NULL)
		abort();
	b->next = *head;
	*head = b;
	return b->data;
}

static void
fuzz_free(Block *b)
{
	while (b != NULL)
	{
		Block	   *next = b->next;

		free(b);
		b = next;
	}
}

static void
fail(const char *why, const char *text)
{
	fprintf(stderr, "PROPERTY VIOLATED: %s\n%s\n", why, text);
	abort();
}

/* ---- JSON well-formedness ---- */

static const char *json_value(const char *s);

static const char *
json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *
json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s != '"')
	{
		if ((unsigned char) *s < 0x20)
			return NULL;
		if (*s == '\\')
		{
			s++;
			if (*s == 'u')
			{
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == '\0')
						return NULL;
				s += 4;
			}
			else if (!strchr("\"\\/bfnrt", *s) || *s == '\0')
				return NULL;
		}
		s++;
	}
	return s + 1;
}

static const char *
json_value(const char *s)
{
	s = json_ws(s);
	if (*s == '"')
		return json_string(s);
	if (strncmp(s, "true", 4) == 0)
		return s + 4;
	if (*s == '[' || *s == '{')
	{
		char		close = *s == '[' ? ']' : '}';
		bool		object = *s == '{';

		s = json_ws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;)
		{
			if (object)
			{
				s = json_string(json_ws(s));
				if (s == NULL)
					return NULL;
				s = json_ws(s);
				if (*s++ != ':')
					return NULL;
			}
			s = json_value(s);
			if (s == NULL)
				return NULL;
			s = json_ws(s);
			if (*s == close)
				return s + 1;
			if (*s++ != ',')
				return NULL;
		}
	}
	return NULL;
}

/* ---- SQL token check ---- */

static const char *const words[] = {
	"d", "i", "p", "a", "e", "t", "v", "g", "key", "value", "tenant_id", "device_id", "group_id",
	"id", "tags", "properties", "name", "path", "connector", "node_id", "enabled", "status",
	"definition", "activities", "lora_lost_ratio", "iot", "device_interface", "device_group",
	"activity_aggregate", "lora_lost_label", "jsonb_each_text", "jsonb_array_elements", "unnest",
	"coalesce", "EXISTS", "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "CASE",
	"WHEN", "THEN", "ELSE", "END", "COLLATE", "ARRAY", "AS", "text", "jsonb", "numeric", "true",
	"false", "1"
};
static const char *const operators[] = {
	"->>", "->", "::", "@>", "&&", "<=", ">=", "(", ")", "[", "]", ",", ".", "=", "<", ">", "~"
};

static void
check_sql(const char *sql)
{
	const char *s = sql;
	int			depth = 0;

	if (*s != '(')
		fail("SQL does not start with '('", sql);
	while (*s)
	{
		if (*s == ' ')
		{
			s++;
			continue;
		}
		if (*s == '\'' || (*s == 'E' && s[1] == '\''))
		{
			bool		e = *s == 'E';

			s += e ? 2 : 1;
			for (;;)
			{
				if (*s == '\0')
					fail("unterminated string literal", sql);
				if (e && *s == '\\')
				{
					if (s[1] != '\\' && s[1] != '\'')
						fail("unexpected escape in E'' literal", sql);
					s += 2;
					continue;
				}
				if (*s == '\'')
				{
					if (s[1] == '\'')
					{
						s += 2;
						continue;
					}
					break;
				}
				if (!e && *s == '\\')
				{
					/* quote_literal always uses E'' when a backslash occurs */
					fail("backslash in a plain literal", sql);
				}
				s++;
			}
			s++;
			continue;
		}
		if (*s == '"')
		{
			if (strncmp(s, "\"C\"", 3) != 0)
				fail("quoted identifier other than \"C\"", sql);
			s += 3;
			continue;
		}
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || (*s >= '0' && *s <= '9'))
		{
			const char *w = s;
			size_t		n;
			bool		ok = false;

			while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || (*s >= '0' && *s <= '9'))
				s++;
			n = (size_t) (s - w);
			for (size_t k = 0; k < sizeof(words) / sizeof(words[0]) && !ok; k++)
				ok = strlen(words[k]) == n && memcmp(words[k], w, n) == 0;
			if (!ok)
				fail("identifier or keyword outside the allow-list", sql);
			continue;
		}
		{
			bool		ok = false;

			for (size_t k = 0; k < sizeof(operators) / sizeof(operators[0]) && !ok; k++)
			{
				size_t		n = strlen(operators[k]);

				if (strncmp(s, operators[k], n) == 0)
				{
					ok = true;
					if (*s == '(')
						depth++;
					else if (*s == ')' && --depth < 0)
						fail("unbalanced ')'", sql);
					s += n;
					if (depth == 0 && *s != '\0')
						fail("text after the expression's closing parenthesis", sql);
				}
			}
			if (!ok)
				fail("character outside literals that is not an allowed operator", sql);
		}
	}
	if (depth != 0)
		fail("unbalanced '('", sql);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dialects[] = {NULL, "device", "inventory"};

	for (int k = 0; k < 3; k++)
	{
		Block	   *blocks = NULL;
		QArena		a = {fuzz_alloc, &blocks};
		RsqlError	err;
		const RsqlDialect *d = dialects[k] ? rsql_dialect(dialects[k]) : NULL;
		RsqlNode   *root = rsql_parse_dialect(&a, (const char *) data, size, d, &err);

		if (root == NULL)
		{
			if (err.kind == RSQL_OK || err.pos < 0 || (size_t) err.pos > size)
				fail("error without a kind or with a position outside the query", err.msg);
		}
		else
		{
			QBuf		json;
			const char *end;

			qbuf_init(&json, &a);
			rsql_to_json(&json, root);
			end = json_value(json.data);
			if (end == NULL || *end != '\0')
				fail("AST is not valid JSON", json.data);
			if (d != NULL)
			{
				QBuf		sql;

				qbuf_init(&sql, &a);
				rsql_to_sql(&sql, root);
				check_sql(sql.data);
			}
		}
		fuzz_free(blocks);
	}
	return 0;
}
