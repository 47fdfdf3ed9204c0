/*
 * eep_registry.c: every supported profile, looked up by name.
 */
#include <ctype.h>
#include <string.h>

#include "eep_tables.h"

typedef struct Family
{
	const EepProfile *table;
	const int  *count;
} Family;

static const Family families[] = {
	{eep_table_4bs, &eep_table_4bs_count},
	{eep_table_vld, &eep_table_vld_count},
	{eep_table_rps, &eep_table_rps_count},
};

int
eep_profile_total(void)
{
	int			n = 0;

	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		n += *families[f].count;
	return n;
}

const EepProfile *
eep_profile_at(int i)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
	{
		if (i < *families[f].count)
			return &families[f].table[i];
		i -= *families[f].count;
	}
	return NULL;
}

/* "a5-02-05", "A5-02-05" and "a5 02 05"-free: exactly RR-FF-TT in hex. */
const EepProfile *
eep_find(const char *eep)
{
	char		name[9];

	if (eep == NULL || strlen(eep) != 8)
		return NULL;
	for (int i = 0; i < 8; i++)
	{
		char		c = eep[i];

		if (i == 2 || i == 5)
		{
			if (c != '-')
				return NULL;
			name[i] = c;
		}
		else
		{
			if (!isxdigit((unsigned char) c))
				return NULL;
			name[i] = (char) toupper((unsigned char) c);
		}
	}
	name[8] = '\0';
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (int i = 0; i < *families[f].count; i++)
			if (memcmp(families[f].table[i].eep, name, 8) == 0)
				return &families[f].table[i];
	return NULL;
}
