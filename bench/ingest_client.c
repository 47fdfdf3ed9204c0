/*
 * ingest_client: send JSON batches (one JSON array per line of stdin) to
 * iot.ingest_batch as a bound parameter, one transaction per batch, the way
 * a bridge does.  Prints the number of stored messages.
 *
 *   ingest_client TENANT < batches.jsonl      (libpq environment: PGHOST ...)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

static void
fail(PGconn *conn, const char *what)
{
	fprintf(stderr, "ingest_client: %s: %s", what, PQerrorMessage(conn));
	PQfinish(conn);
	exit(1);
}

int
main(int argc, char **argv)
{
	PGconn	   *conn = PQconnectdb("");
	PGresult   *res;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	long		stored = 0;
	const char *tenant_params[1];

	if (argc != 2)
	{
		fprintf(stderr, "usage: ingest_client TENANT < batches.jsonl\n");
		return 2;
	}
	if (PQstatus(conn) != CONNECTION_OK)
		fail(conn, "connect");
	tenant_params[0] = argv[1];
	res = PQexecParams(conn, "SELECT iot.use_tenant($1)", 1, NULL, tenant_params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail(conn, "use_tenant");
	PQclear(res);
	res = PQprepare(conn, "batch", "SELECT count(id) FROM iot.ingest_batch($1::jsonb)", 1, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail(conn, "prepare");
	PQclear(res);

	while ((len = getline(&line, &cap, stdin)) > 0)
	{
		const char *params[1] = {line};

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		res = PQexecPrepared(conn, "batch", 1, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			fail(conn, "ingest_batch");
		stored += atol(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	free(line);
	PQfinish(conn);
	printf("%ld\n", stored);
	return 0;
}
