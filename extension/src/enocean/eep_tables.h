/*
 * eep_tables.h: helpers for writing the profile tables (eep_tables_*.c)
 * and the tables each file exports to the registry.
 */
#ifndef PGIOT_ENO_EEP_TABLES_H
#define PGIOT_ENO_EEP_TABLES_H

#include "eep.h"
#include "erp.h"

#define ITEMS(a) ((uint8_t) (sizeof(a) / sizeof((a)[0])))

/* enumeration items: one value, a range, a bit pattern */
#define E(v, tok, text) {(v), (v), 0, (tok), (text), 0}
#define ER(lo, hi, tok, text) {(lo), (hi), 0, (tok), (text), 0}
#define EM(mask, match, tok, text) {(match), (match), (mask), (tok), (text), 0}
#define EOMIT(v) {(v), (v), 0, NULL, NULL, EEP_ITEM_OMIT}

/* a number: raw [rmin, rmax] -> [smin, smax] in unit; extra designators follow */
#define NUM(off, sz, k, nm, rmin, rmax, smin, smax, u, ...) \
	{ .offset = (off), .size = (sz), .key = (k), .name = (nm), .kind = EEP_NUMBER, \
	  .range_min = (rmin), .range_max = (rmax), .scale_min = (smin), .scale_max = (smax), \
	  .unit = (u), __VA_ARGS__ }
/* a number with exceptional raw values (reserved codes, "over range") */
#define NUMX(off, sz, k, nm, rmin, rmax, smin, smax, u, it, ...) \
	NUM(off, sz, k, nm, rmin, rmax, smin, smax, u, .items = (it), .nitems = ITEMS(it), __VA_ARGS__)
/* an enumeration */
#define ENUM(off, sz, k, nm, it, ...) \
	{ .offset = (off), .size = (sz), .key = (k), .name = (nm), .kind = EEP_ENUM, \
	  .items = (it), .nitems = ITEMS(it), __VA_ARGS__ }
/* only when field (off, sz) == v */
#define WHEN(off, sz, v) .cond_offset = (off), .cond_size = (sz), .cond_value = (v)

/* the 4BS LRN bit, DB0.3 */
#define LRN4BS ENUM(28, 1, "learn", "LRN Bit", eep_items_learn, .flags = EEP_LRN)

/* one case matching any status, exactly `len` payload bytes */
#define CASE(fl, len) \
	{ .title = NULL, .t21 = -1, .nu = -1, .len_min = (len), .len_max = (len), \
	  .fields = (fl), .nfields = ITEMS(fl) }
/* a case selected by status bits T21/NU */
#define CASE_STATUS(title_, fl, len, t21_, nu_) \
	{ .title = (title_), .t21 = (t21_), .nu = (nu_), .len_min = (len), .len_max = (len), \
	  .fields = (fl), .nfields = ITEMS(fl) }
/* a case selected by the value of a command field */
#define CASE_CMD(title_, fl, len, off, sz, v) \
	{ .title = (title_), .t21 = -1, .nu = -1, .len_min = (len), .len_max = (len), \
	  .sel_offset = (off), .sel_size = (sz), .sel_value = (v), \
	  .fields = (fl), .nfields = ITEMS(fl) }

#define PROFILE(name_, rorg_, title_, flags_, cs) \
	{ (name_), (rorg_), (title_), (flags_), (cs), ITEMS(cs) }

/* shared enumerations (eep_tables_4bs.c) */
extern const EepItem eep_items_learn[2];
extern const EepItem eep_items_svc_error[1];

/* the tables of each family */
extern const EepProfile eep_table_4bs[];
extern const int eep_table_4bs_count;
extern const EepProfile eep_table_vld[];
extern const int eep_table_vld_count;
extern const EepProfile eep_table_rps[];
extern const int eep_table_rps_count;

#endif
