/*
 * teachin.c: teach-in reports (enocean.md §9.2-§9.4).
 *
 * 4BS (LRN bit DB0.3 = 0): DB0.7 = 1 announces FUNC (6 bits), TYPE (7)
 * and manufacturer (11) in DB3..DB1 (variation 2/3), else nothing
 * (variation 1).  UTE (RORG 0xD4): seven bytes with the request, channel,
 * manufacturer and the EEP as RORG/FUNC/TYPE bytes.
 */
#include "teachin.h"

#include <stdio.h>
#include <string.h>

static EepValue *
add(EepResult *r, const char *key, const char *value, const char *meaning)
{
	EepValue   *v;

	if (r->n >= EEP_MAX_VALUES)
		return NULL;
	v = &r->values[r->n++];
	memset(v, 0, sizeof(*v));
	v->key = key;
	v->value = value;
	v->meaning = meaning;
	return v;
}

/* A value whose token is made from numbers (EEP name, manufacturer id). */
static void
add_text(EepResult *r, const char *key, const char *meaning, const char *fmt, unsigned a,
		 unsigned b, unsigned c)
{
	EepValue   *v = add(r, key, NULL, meaning);

	if (v != NULL)
		snprintf(v->text, sizeof(v->text), fmt, a, b, c);
}

static void
add_number(EepResult *r, const char *key, uint32_t n, const char *unit)
{
	EepValue   *v = add(r, key, NULL, NULL);

	if (v == NULL)
		return;
	v->is_number = true;
	v->number = n;
	v->decimals = 0;
	v->unit = unit;
	v->raw = n;
}

bool
eno_teachin_4bs_eep(const uint8_t *data, char out[9])
{
	if (eep_bits(data, 24, 1) == 0)
		return false;
	snprintf(out, 9, "a5-%02x-%02x", eep_bits(data, 0, 6), eep_bits(data, 6, 7));
	return true;
}

void
eno_teachin_4bs(const uint8_t *data, EepResult *r)
{
	char		eep[9];

	add(r, "learn", "pressed", "Teach-in telegram");
	if (eno_teachin_4bs_eep(data, eep))
	{
		add(r, "teachInType", "withEep", "Teach-in with EEP and manufacturer (4BS variation 2)");
		add_text(r, "eep", "EEP announced by the teach-in telegram", "a5-%02x-%02x",
				 eep_bits(data, 0, 6), eep_bits(data, 6, 7), 0);
		add_text(r, "manufacturerId", "Manufacturer ID", "0x%03x", eep_bits(data, 13, 11), 0, 0);
	}
	else
		add(r, "teachInType", "withoutEep", "Teach-in without EEP (4BS variation 1)");
}

void
eno_teachin_1bs(EepResult *r)
{
	add(r, "learn", "pressed", "Teach-in telegram");
	add(r, "teachInType", "withoutEep", "Teach-in without EEP (1BS)");
}

EnoErrorKind
eno_teachin_ute(const uint8_t *data, size_t len, EepResult *r, EnoError *err)
{
	static const char *const request[4][2] = {
		{"teachIn", "Teach-in request"},
		{"deletion", "Teach-in deletion request"},
		{"teachInOrDeletion", "Teach-in or deletion request"},
		{"notUsed", "Not used"}
	};
	static const char *const result[4][2] = {
		{"notAccepted", "Request not accepted"},
		{"teachInAccepted", "Request accepted, teach-in successful"},
		{"deletionAccepted", "Request accepted, deletion successful"},
		{"eepNotSupported", "Request not accepted, EEP not supported"}
	};
	uint32_t	cmd;
	uint32_t	req;

	r->profile = NULL;
	r->selected = NULL;
	r->teach_in = true;
	r->n = 0;
	if (len < 7)
		return eno_fail(err, ENO_ERR_EEP_DECODE, len + 1,
						"UTE teach-in takes 7 data bytes, got %zu", len);
	cmd = eep_bits(data, 4, 4);
	req = eep_bits(data, 2, 2);
	add(r, "learn", "pressed", "Teach-in telegram");
	add(r, "teachInType", "ute", "Universal teach-in (UTE)");
	if (eep_bits(data, 0, 1))
		add(r, "communication", "bidirectional", "Bidirectional communication");
	else
		add(r, "communication", "unidirectional", "Unidirectional communication");
	if (cmd == 0)
	{
		if (eep_bits(data, 1, 1))
			add(r, "responseExpected", "no", "No teach-in response expected");
		else
			add(r, "responseExpected", "yes", "Teach-in response expected");
		add(r, "request", request[req][0], request[req][1]);
		add(r, "command", "query", "Teach-in query");
	}
	else if (cmd == 1)
	{
		add(r, "result", result[req][0], result[req][1]);
		add(r, "command", "response", "Teach-in response");
	}
	else
		return eno_fail(err, ENO_ERR_EEP_DECODE, 5, "UTE command %u is not defined", cmd);
	if (data[1] == 0xFF)
		add(r, "channel", "allChannels", "All channels");
	else
		add_number(r, "channel", data[1], "");
	add_text(r, "manufacturerId", "Manufacturer ID", "0x%03x",
			 eep_bits(data, 29, 3) << 8 | data[2], 0, 0);
	add_text(r, "eep", "EEP announced by the teach-in telegram", "%02x-%02x-%02x",
			 data[6], data[5], data[4]);
	return ENO_OK;
}
