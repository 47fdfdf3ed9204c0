/*
 * device_id.c: validation of urn:lo:nsid:{ns}:{id}, where ns matches
 * [A-Za-z0-9_-]{1,128} and id matches [A-Za-z0-9_:-]{1,128}.
 */
#include "device_id.h"

#include <string.h>

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '-';
}

int
node_id_char_ok(char c)
{
	return word_char(c) || c == ':';
}

static DeviceIdCheck
bad(size_t pos, const char *why)
{
	DeviceIdCheck r = {(int) pos, why};

	return r;
}

DeviceIdCheck
device_id_check(const char *text, size_t len)
{
	const size_t plen = strlen(DEVICE_ID_PREFIX);
	size_t		pos;
	size_t		ns_start;
	DeviceIdCheck ok = {-1, NULL};

	for (pos = 0; pos < plen; pos++)
		if (pos >= len || text[pos] != DEVICE_ID_PREFIX[pos])
			return bad(pos, "device id must start with \"urn:lo:nsid:\"");

	ns_start = pos;
	while (pos < len && text[pos] != ':')
	{
		if (!word_char(text[pos]))
			return bad(pos, "invalid character in the namespace (allowed: A-Z a-z 0-9 _ -)");
		if (pos - ns_start >= DEVICE_ID_PART_MAX)
			return bad(pos, "namespace longer than 128 characters");
		pos++;
	}
	if (pos == ns_start)
		return bad(pos, "empty namespace");
	if (pos >= len)
		return bad(pos, "missing \":{id}\" after the namespace");
	pos++;						/* the ':' */
	if (pos >= len)
		return bad(pos, "empty id");
	for (size_t id_start = pos; pos < len; pos++)
	{
		if (!node_id_char_ok(text[pos]))
			return bad(pos, "invalid character in the id (allowed: A-Z a-z 0-9 _ - :)");
		if (pos - id_start >= DEVICE_ID_PART_MAX)
			return bad(pos, "id longer than 128 characters");
	}
	return ok;
}
