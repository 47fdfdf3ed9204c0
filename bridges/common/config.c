/*
 * config.c: settings from file and environment, validated up front so a
 * bridge never starts with a bad value.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
spec_index(const CfgSpec *spec, const char *key)
{
	for (int i = 0; spec[i].key != NULL; i++)
		if (strcmp(spec[i].key, key) == 0)
			return i;
	return -1;
}

static bool
parse_bool(const char *v, bool *out)
{
	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0 ||
		strcasecmp(v, "yes") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0 ||
			 strcasecmp(v, "no") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* Check one value against its declaration. */
static bool
check_value(const CfgSpec *s, const char *v, const char *where, char *err, int errlen)
{
	if (s->type == CFG_INT)
	{
		char	   *end;
		long		n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0')
		{
			snprintf(err, errlen, "%s: %s must be an integer, not \"%s\"", where, s->key, v);
			return false;
		}
		if (n < s->min || n > s->max)
		{
			snprintf(err, errlen, "%s: %s must be between %ld and %ld, not %ld", where, s->key,
					 s->min, s->max, n);
			return false;
		}
	}
	else if (s->type == CFG_BOOL)
	{
		bool		b;

		if (!parse_bool(v, &b))
		{
			snprintf(err, errlen, "%s: %s must be true or false, not \"%s\"", where, s->key, v);
			return false;
		}
	}
	return true;
}

static void
set_value(Config *cfg, int i, const char *v)
{
	free(cfg->values[i]);
	cfg->values[i] = strdup(v);
}

static char *
trim(char *s)
{
	char	   *e;

	while (isspace((unsigned char) *s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = '\0';
	return s;
}

static bool
load_file(Config *cfg, const char *path, char *err, int errlen)
{
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;

	if (f == NULL)
	{
		snprintf(err, errlen, "cannot open configuration file %s: %s", path, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *p,
				   *eq,
				   *key,
				   *val;
		char		where[512];
		int			i;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f))
		{
			snprintf(err, errlen, "%s: line longer than %zu characters", where, sizeof(line) - 2);
			fclose(f);
			return false;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL)
		{
			snprintf(err, errlen, "%s: expected \"key = value\", got \"%s\"", where, p);
			fclose(f);
			return false;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if ((i = spec_index(cfg->spec, key)) < 0)
		{
			snprintf(err, errlen, "%s: unknown setting \"%s\"", where, key);
			fclose(f);
			return false;
		}
		if (!check_value(&cfg->spec[i], val, where, err, errlen))
		{
			fclose(f);
			return false;
		}
		set_value(cfg, i, val);
	}
	fclose(f);
	return true;
}

bool
config_load(Config *cfg, const CfgSpec *spec, const char *path, const char *env_prefix,
			char *err, int errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->spec = spec;
	for (cfg->n = 0; spec[cfg->n].key != NULL; cfg->n++)
		if (cfg->n >= CFG_MAX_SETTINGS - 1)
		{
			snprintf(err, errlen, "too many settings declared");
			return false;
		}
	for (int i = 0; i < cfg->n; i++)
		cfg->values[i] = spec[i].default_value ? strdup(spec[i].default_value) : NULL;
	if (path != NULL && !load_file(cfg, path, err, errlen))
		return false;
	for (int i = 0; i < cfg->n; i++)
	{
		char		name[256];
		const char *v;
		int			k = 0;

		k = snprintf(name, sizeof(name), "%s_", env_prefix);
		for (const char *c = spec[i].key; *c && k < (int) sizeof(name) - 1; c++)
			name[k++] = (char) toupper((unsigned char) *c);
		name[k] = '\0';
		if ((v = getenv(name)) != NULL)
		{
			if (!check_value(&spec[i], v, name, err, errlen))
				return false;
			set_value(cfg, i, v);
		}
	}
	for (int i = 0; i < cfg->n; i++)
		if (cfg->values[i] == NULL)
		{
			snprintf(err, errlen, "setting %s is required (file key \"%s\" or environment %s_%s)",
					 spec[i].key, spec[i].key, env_prefix, spec[i].key);
			return false;
		}
	return true;
}

const char *
config_str(const Config *cfg, const char *key)
{
	int			i = spec_index(cfg->spec, key);

	return i < 0 ? NULL : cfg->values[i];
}

long
config_int(const Config *cfg, const char *key)
{
	const char *v = config_str(cfg, key);

	return v ? strtol(v, NULL, 10) : 0;
}

bool
config_bool(const Config *cfg, const char *key)
{
	const char *v = config_str(cfg, key);
	bool		b = false;

	if (v)
		parse_bool(v, &b);
	return b;
}

void
config_free(Config *cfg)
{
	for (int i = 0; i < cfg->n; i++)
		free(cfg->values[i]);
	cfg->n = 0;
}

void
config_usage(const CfgSpec *spec, const char *env_prefix)
{
	for (int i = 0; spec[i].key != NULL; i++)
	{
		char		env[256];
		int			k = snprintf(env, sizeof(env), "%s_", env_prefix);

		for (const char *c = spec[i].key; *c && k < (int) sizeof(env) - 1; c++)
			env[k++] = (char) toupper((unsigned char) *c);
		env[k] = '\0';
		fprintf(stderr, "  %-22s %-30s %s (default: %s)\n", spec[i].key, env, spec[i].help,
				spec[i].default_value ? spec[i].default_value : "required");
	}
}
