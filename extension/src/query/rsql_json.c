/*
 * rsql_json.c: a parsed RSQL tree as JSON text (pure C).
 *
 *   {"and": [..]}  {"or": [..]}
 *   {"selector": "tags", "op": "=in=", "args": ["a", "b"]}
 *
 * Operators are reported in their primary form (< is "=lt=").  After a
 * dialect check a comparison also carries "prefix": true for ==value*,
 * and "query": the parsed =q= sub-query.
 */
#include "rsql.h"

#include <string.h>

void
rsql_to_json(QBuf *out, const RsqlNode *n)
{
	if (n->kind != RSQL_CMP)
	{
		qbuf_puts(out, n->kind == RSQL_AND ? "{\"and\": [" : "{\"or\": [");
		for (int i = 0; i < n->nchildren; i++)
		{
			if (i > 0)
				qbuf_puts(out, ", ");
			rsql_to_json(out, n->children[i]);
		}
		qbuf_puts(out, "]}");
		return;
	}
	qbuf_puts(out, "{\"selector\": ");
	qbuf_json_string(out, n->selector, strlen(n->selector));
	qbuf_puts(out, ", \"op\": ");
	qbuf_json_string(out, rsql_op_name(n->op), strlen(rsql_op_name(n->op)));
	qbuf_puts(out, ", \"args\": [");
	for (int i = 0; i < n->nargs; i++)
	{
		if (i > 0)
			qbuf_puts(out, ", ");
		qbuf_json_string(out, n->args[i].text, n->args[i].len);
	}
	qbuf_puts(out, "]");
	if (n->prefix)
		qbuf_puts(out, ", \"prefix\": true");
	if (n->sub != NULL)
	{
		qbuf_puts(out, ", \"query\": ");
		rsql_to_json(out, n->sub);
	}
	qbuf_puts(out, "}");
}
