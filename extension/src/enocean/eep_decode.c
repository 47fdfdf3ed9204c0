/*
 * eep_decode.c: the table-driven EEP decoder.  Everything it knows about a
 * profile comes from the EepProfile tables (eep_tables_*.c); the rules
 * here are the connector's (enocean.md §10.3):
 *
 *   - cases: the first case whose status bits, payload length and selector
 *     field match; cases marked outbound (messages to a device) never match;
 *   - fields in bit order; a field with a condition is skipped unless the
 *     condition field holds the value;
 *   - numbers: k = (scale_max - scale_min) / (range_max - range_min), then
 *     scale_min + (raw - range_min) * k, in IEEE doubles and in that order,
 *     times a factor chosen by another field; printed with 2 decimals of
 *     the binary double;
 *   - enumeration items: matched on (raw & mask) in [lo, hi]; inside a
 *     number they are the exceptions (reserved codes, "over range").
 */
#include "eep.h"

#include <stdio.h>
#include <string.h>

#include "teachin.h"

uint32_t
eep_bits(const uint8_t *data, size_t offset, size_t size)
{
	uint32_t	v = 0;

	for (size_t b = offset; b < offset + size; b++)
		v = (v << 1) | ((data[b >> 3] >> (7 - (b & 7))) & 1u);
	return v;
}

void
eep_format_number(double v, int decimals, char *buf, size_t buflen)
{
	size_t		n;

	snprintf(buf, buflen, "%.*f", decimals, v);
	if (strchr(buf, '.') == NULL)
		return;
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
}

static const EepItem *
match_item(const EepField *f, uint32_t raw)
{
	for (int i = 0; i < f->nitems; i++)
	{
		const EepItem *it = &f->items[i];
		uint32_t	m = it->mask ? (raw & it->mask) : raw;

		if (m >= it->lo && m <= it->hi)
			return it;
	}
	return NULL;
}

static bool
fits(size_t len, size_t offset, size_t size)
{
	return size == 0 || offset + size <= len * 8;
}

static const EepCase *
select_case(const EepProfile *p, const uint8_t *data, size_t len, uint8_t status, EnoError *err)
{
	int			t21 = (status >> 5) & 1;
	int			nu = (status >> 4) & 1;
	const EepCase *wrong_length = NULL;
	bool		status_ok = false;
	bool		length_ok = false;
	int			lo = 255,
				hi = 0;
	int			selector = -1;

	for (int i = 0; i < p->ncases; i++)
	{
		const EepCase *c = &p->cases[i];
		bool		selected = true;

		if (c->flags & EEP_CASE_OUTBOUND)
			continue;
		lo = c->len_min < lo ? c->len_min : lo;
		hi = c->len_max > hi ? c->len_max : hi;
		if ((c->t21 >= 0 && c->t21 != t21) || (c->nu >= 0 && c->nu != nu))
			continue;
		status_ok = true;
		if (len >= c->len_min && len <= c->len_max)
			length_ok = true;
		if (c->sel_size > 0)
		{
			if (!fits(len, c->sel_offset, c->sel_size))
				selected = false;
			else
			{
				int			v = (int) eep_bits(data, c->sel_offset, c->sel_size);

				if (len >= c->len_min && len <= c->len_max)
					selector = v;
				selected = (uint32_t) v == c->sel_value;
			}
		}
		if (!selected)
			continue;
		if (len < c->len_min || len > c->len_max)
		{
			if (wrong_length == NULL)
				wrong_length = c;
			continue;
		}
		return c;
	}
	if (!length_ok && wrong_length != NULL && wrong_length->title != NULL)
		eno_fail(err, ENO_ERR_EEP_DECODE, len + 1, "%s message \"%s\" takes %d data byte%s, got %zu",
				 p->eep, wrong_length->title, wrong_length->len_min,
				 wrong_length->len_min == 1 ? "" : "s", len);
	else if (status_ok && !length_ok)
	{
		if (lo == hi)
			eno_fail(err, ENO_ERR_EEP_DECODE, len + 1,
					 "%s takes %d data byte%s, got %zu", p->eep, lo, lo == 1 ? "" : "s", len);
		else
			eno_fail(err, ENO_ERR_EEP_DECODE, len + 1,
					 "%zu data bytes fit no message of %s (%d to %d bytes)", len, p->eep, lo, hi);
	}
	else if (!status_ok)
		eno_fail(err, ENO_ERR_EEP_DECODE, 0,
				 "status 0x%02x (T21=%d, NU=%d) fits no message of %s", status, t21, nu, p->eep);
	else if (wrong_length != NULL && wrong_length->title != NULL &&
			 wrong_length->sel_value == (uint32_t) selector)
		eno_fail(err, ENO_ERR_EEP_DECODE, 1,
				 "command %d in %zu data bytes is no message of %s (\"%s\" takes %d)", selector, len,
				 p->eep, wrong_length->title, wrong_length->len_min);
	else
		eno_fail(err, ENO_ERR_EEP_DECODE, 1,
				 "command %d in %zu data bytes is no message of %s", selector, len, p->eep);
	return NULL;
}

static EnoErrorKind
decode_field(const EepProfile *p, const EepField *f, const uint8_t *data, size_t len,
			 EepResult *r, EnoError *err)
{
	EepValue   *v;
	const EepItem *it;
	uint32_t	raw;

	if (!fits(len, f->offset, f->size) || !fits(len, f->offset2, f->size2) ||
		!fits(len, f->cond_offset, f->cond_size) || !fits(len, f->factor_offset, f->factor_size) ||
		!fits(len, f->unit_offset, f->unit_size))
		return eno_fail(err, ENO_ERR_EEP_DECODE, len + 1,
						"%s field %s needs bits %d to %d, the data has %zu bytes",
						p->eep, f->key, f->offset, f->offset + f->size - 1, len);
	if (f->cond_size > 0 && eep_bits(data, f->cond_offset, f->cond_size) != f->cond_value)
		return ENO_OK;
	raw = eep_bits(data, f->offset, f->size);
	if (f->size2 > 0)
		raw = raw << f->size2 | eep_bits(data, f->offset2, f->size2);
	it = match_item(f, raw);
	if (it != NULL && (it->flags & EEP_ITEM_OMIT))
		return ENO_OK;
	if (it == NULL && (f->flags & EEP_STRICT))
		return eno_fail(err, ENO_ERR_EEP_DECODE, f->offset + 1,
						"%s field %s: value %u is not defined", p->eep, f->key, raw);
	if (r->n >= EEP_MAX_VALUES)
		return eno_fail(err, ENO_ERR_EEP_DECODE, 0, "%s yields too many values", p->eep);

	v = &r->values[r->n++];
	memset(v, 0, sizeof(*v));
	v->key = f->key;
	v->raw = raw;
	if (it != NULL || f->kind == EEP_ENUM)
	{
		v->is_number = false;
		if (it == NULL)
		{
			v->undefined = true;
			v->value = "undefined";
			v->meaning = NULL;
		}
		else
		{
			v->value = it->value;
			v->meaning = it->meaning;
		}
		if (f->flags & EEP_HEX)
		{
			v->value = NULL;
			snprintf(v->text, sizeof(v->text), "0x%x", raw);
		}
		else if (f->flags & EEP_DOTTED)
		{
			v->value = NULL;
			snprintf(v->text, sizeof(v->text), "%u.%u.%u.%u", raw >> 24, (raw >> 16) & 0xFF,
					 (raw >> 8) & 0xFF, raw & 0xFF);
		}
		return ENO_OK;
	}
	{
		double		k = (f->range_max == f->range_min) ? 1.0 :
			(f->scale_max - f->scale_min) / (f->range_max - f->range_min);
		double		x = f->scale_min + ((double) raw - f->range_min) * k;

		if (f->factor_size > 0)
			x *= f->factors[eep_bits(data, f->factor_offset, f->factor_size)];
		v->is_number = true;
		v->number = x;
		v->decimals = (f->flags & EEP_INT) ? 0 : (f->decimals ? f->decimals : 2);
		v->unit = f->unit_size > 0 ? f->units[eep_bits(data, f->unit_offset, f->unit_size)]
			: (f->unit ? f->unit : "");
	}
	return ENO_OK;
}

EnoErrorKind
eep_decode(const EepProfile *p, const uint8_t *data, size_t len, uint8_t status,
		   EepResult *r, EnoError *err)
{
	const EepCase *c;

	r->profile = p;
	r->selected = NULL;
	r->teach_in = false;
	r->n = 0;
	if ((p->flags & EEP_TEACHIN_4BS) && len == 4 && eep_bits(data, 28, 1) == 0)
	{
		r->teach_in = true;
		eno_teachin_4bs(data, r);
		return ENO_OK;
	}
	if ((p->flags & EEP_TEACHIN_1BS) && len == 1 && eep_bits(data, 4, 1) == 0)
	{
		r->teach_in = true;
		eno_teachin_1bs(r);
		return ENO_OK;
	}
	c = select_case(p, data, len, status, err);
	if (c == NULL)
		return ENO_ERR_EEP_DECODE;
	r->selected = c;
	for (int i = 0; i < c->nfields; i++)
	{
		EnoErrorKind k = decode_field(p, &c->fields[i], data, len, r, err);

		if (k != ENO_OK)
			return k;
	}
	return ENO_OK;
}
