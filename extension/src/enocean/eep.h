/*
 * eep.h: EnOcean Equipment Profiles as data.
 *
 * A profile is a list of cases (message variants); a case is selected by
 * the status bits T21/NU (RPS), the payload length and the value of a
 * selector field (a command id), and lists its fields.  A field says where
 * its bits are (offset/size counted from the MSB of the first payload
 * byte, enocean.md §3.3), how the raw value becomes a number (linear
 * scaling, optional factor and unit chosen by other fields) or which
 * enumeration item it is, and when it is shown at all (a condition on
 * another field).  The decoder (eep_decode.c) is one loop over these
 * tables; nothing in it is specific to a profile.
 */
#ifndef PGIOT_ENO_EEP_H
#define PGIOT_ENO_EEP_H

#include "eno_common.h"

#define EEP_MAX_VALUES 48

/* Enumeration item flags */
#define EEP_ITEM_OMIT 0x01		/* matching raw value: the field is not emitted */

typedef struct EepItem
{
	uint32_t	lo;				/* (raw & mask) in [lo, hi] */
	uint32_t	hi;
	uint32_t	mask;			/* 0: the whole raw value */
	const char *value;			/* the connector's token */
	const char *meaning;		/* the human sentence */
	uint8_t		flags;
} EepItem;

typedef enum EepKind
{
	EEP_NUMBER,					/* linear scaling; enumeration items are exceptions */
	EEP_ENUM					/* enumeration only */
} EepKind;

/* Field flags */
#define EEP_STRICT 0x01			/* a raw value no item matches is a decode error */
#define EEP_LRN 0x02			/* the LRN bit: 0 means a teach-in telegram */
#define EEP_INT 0x04			/* a number printed without decimals */
#define EEP_HEX 0x08			/* token = "0x" + lower-case hex of the raw value */
#define EEP_DOTTED 0x10			/* token = the 4 bytes of the raw value, "a.b.c.d" */

typedef struct EepField
{
	uint16_t	offset;
	uint8_t		size;			/* 1..32 */
	/* a second, lower-order part (split fields): value = first << size2 | second */
	uint16_t	offset2;
	uint8_t		size2;
	const char *key;
	const char *name;			/* EEP field name (for eep_profiles) */
	uint8_t		kind;			/* EepKind */
	uint8_t		flags;
	double		range_min;		/* raw range (may be descending) */
	double		range_max;
	double		scale_min;		/* scaled range */
	double		scale_max;
	const char *unit;
	uint8_t		decimals;		/* 0 means the default, 2 */
	const EepItem *items;
	uint8_t		nitems;
	/* emitted only when the field (cond_offset, cond_size) equals cond_value */
	uint16_t	cond_offset;
	uint8_t		cond_size;		/* 0: always */
	uint32_t	cond_value;
	/* value *= factors[raw of (factor_offset, factor_size)] */
	uint16_t	factor_offset;
	uint8_t		factor_size;	/* 0: no factor */
	const double *factors;
	/* unit = units[raw of (unit_offset, unit_size)] */
	uint16_t	unit_offset;
	uint8_t		unit_size;		/* 0: the fixed unit */
	const char *const *units;
} EepField;

/* Case flags */
#define EEP_CASE_OUTBOUND 0x01	/* a message to the device: listed, never selected */

typedef struct EepCase
{
	const char *title;
	int8_t		t21;			/* -1: any */
	int8_t		nu;				/* -1: any */
	uint8_t		len_min;		/* payload bytes */
	uint8_t		len_max;
	uint16_t	sel_offset;
	uint8_t		sel_size;		/* 0: no selector */
	uint32_t	sel_value;
	uint8_t		flags;
	const EepField *fields;
	uint8_t		nfields;
} EepCase;

/* Profile flags: where the teach-in (LRN) bit is */
#define EEP_TEACHIN_4BS 0x01	/* offset 28 */
#define EEP_TEACHIN_1BS 0x02	/* offset 4 */

typedef struct EepProfile
{
	const char *eep;			/* "A5-02-05" */
	uint8_t		rorg;
	const char *title;
	uint8_t		flags;
	const EepCase *cases;
	uint8_t		ncases;
} EepProfile;

/* One decoded value, as the connector prints it. */
typedef struct EepValue
{
	const char *key;
	bool		is_number;
	double		number;
	uint8_t		decimals;
	const char *unit;
	const char *value;			/* token; NULL: a number, or the token is in text */
	const char *meaning;
	uint32_t	raw;
	bool		undefined;		/* no item matched (value "undefined") */
	char		text[24];		/* a token made from the raw value (EEP_HEX, teach-in) */
} EepValue;

/* The token of an enumeration value. */
static inline const char *
eep_value_token(const EepValue *v)
{
	return v->value != NULL ? v->value : v->text;
}

typedef struct EepResult
{
	const EepProfile *profile;
	const EepCase *selected;
	bool		teach_in;		/* the LRN bit says teach-in: values hold the teach-in report */
	int			n;
	EepValue	values[EEP_MAX_VALUES];
} EepResult;

/* The registry (eep_registry.c): profiles 0 .. eep_profile_total() - 1. */
extern int	eep_profile_total(void);
extern const EepProfile *eep_profile_at(int i);

/* A profile by its name, "A5-02-05" or "a5-02-05"; NULL when unknown. */
extern const EepProfile *eep_find(const char *eep);

/* Bits [offset, offset + size) of the payload, MSB first (size <= 32). */
extern uint32_t eep_bits(const uint8_t *data, size_t offset, size_t size);

/*
 * Decode `data` (the payload after the RORG) with `profile`; status is the
 * ERP1 status byte (T21/NU for RPS).  ENO_OK, or ENO_ERR_EEP_DECODE with
 * the reason.  A teach-in telegram (LRN bit 0 in a 4BS/1BS profile) sets
 * result->teach_in and reports the teach-in content instead of the fields.
 */
extern EnoErrorKind eep_decode(const EepProfile *profile, const uint8_t *data, size_t len,
							   uint8_t status, EepResult *result, EnoError *err);

/* The connector's number text: 2 decimals of the binary double, trailing
 * zeros dropped but one kept ("29.0", "627.45", "-0.97"). */
extern void eep_format_number(double v, int decimals, char *buf, size_t buflen);

#endif
