/*
 * config.h: a bridge's settings, from a "key = value" file and the
 * environment (PREFIX_KEY in upper case wins over the file).  Every
 * setting is declared with its type, default and help; anything else is
 * an error that names the file, the line and the key.
 */
#ifndef PGIOT_BRIDGE_CONFIG_H
#define PGIOT_BRIDGE_CONFIG_H

#include <stdbool.h>

typedef enum
{
	CFG_STRING,
	CFG_INT,
	CFG_BOOL
} CfgType;

typedef struct CfgSpec
{
	const char *key;
	CfgType		type;
	const char *default_value;	/* NULL: required */
	long		min;			/* CFG_INT bounds */
	long		max;
	const char *help;
} CfgSpec;

#define CFG_MAX_SETTINGS 64

typedef struct Config
{
	const CfgSpec *spec;
	int			n;
	char	   *values[CFG_MAX_SETTINGS];	/* malloc'ed, never NULL after load */
} Config;

/*
 * Load: defaults, then the file (when path is not NULL), then the
 * environment.  On error writes a message into err and returns false.
 */
extern bool config_load(Config *cfg, const CfgSpec *spec, const char *path,
						const char *env_prefix, char *err, int errlen);
extern const char *config_str(const Config *cfg, const char *key);
extern long config_int(const Config *cfg, const char *key);
extern bool config_bool(const Config *cfg, const char *key);
extern void config_free(Config *cfg);
/* Print the settings with their help (for --help). */
extern void config_usage(const CfgSpec *spec, const char *env_prefix);

#endif
