/*
 * eep_tables_rps.c: the RPS profiles (RORG F6, enocean.md §11.18-§11.23)
 * and the 1BS profile D5-00-01 (§11.17) as data.  RPS message variants
 * are chosen by the status bits T21 (PTM type) and NU (N- or U-message).
 */
#include "eep_tables.h"

/* -------------------------------------------------------------- D5-00-01 */

static const EepItem items_contact[] = {
	E(0, "open", "Contact open"),
	E(1, "closed", "Contact closed"),
};
static const EepField f_d5_00_01[] = {
	ENUM(4, 1, "learn", "Learn button", eep_items_learn, .flags = EEP_LRN),
	ENUM(7, 1, "contact", "Contact", items_contact),
};
static const EepCase c_d5_00_01[] = {CASE(f_d5_00_01, 1)};

/* -------------------------------------------------------------- F6-01-01 */

static const EepItem items_pb[] = {
	E(0, "released", "Released"),
	E(1, "pressed", "Pressed & hold"),
};
static const EepField f_f6_01_01[] = {
	ENUM(3, 1, "pushButton", "Push button", items_pb),
};
static const EepCase c_f6_01_01[] = {CASE(f_f6_01_01, 1)};

/* ----------------------------------------------------------- F6-02, F6-03 */

static const EepItem items_eb[] = {
	E(0, "released", "Energy Bow released"),
	E(1, "pressed", "Energy Bow pressed"),
};
static const EepItem items_sa[] = {
	E(0, "noSecondAction", "No 2nd action"),
	E(1, "secondActionValid", "2nd action valid"),
};
/* application style 1: I = on / dim down / blind closed */
static const EepItem items_rocker2_style1[] = {
	E(0, "AI", "Button AI: on, dim down, blind closed"),
	E(1, "A0", "Button A0: off, dim up, blind open"),
	E(2, "BI", "Button BI: on, dim down, blind closed"),
	E(3, "B0", "Button B0: off, dim up, blind open"),
};
/* application style 2: I = on / dim up / blind open */
static const EepItem items_rocker2_style2[] = {
	E(0, "AI", "Button AI: on, dim up, blind open"),
	E(1, "A0", "Button A0: off, dim down, blind closed"),
	E(2, "BI", "Button BI: on, dim up, blind open"),
	E(3, "B0", "Button B0: off, dim down, blind closed"),
};
static const EepItem items_rocker4_style1[] = {
	E(0, "AI", "Button AI: on, dim down, blind closed"),
	E(1, "A0", "Button A0: off, dim up, blind open"),
	E(2, "BI", "Button BI: on, dim down, blind closed"),
	E(3, "B0", "Button B0: off, dim up, blind open"),
	E(4, "CI", "Button CI: on, dim down, blind closed"),
	E(5, "C0", "Button C0: off, dim up, blind open"),
	E(6, "DI", "Button DI: on, dim down, blind closed"),
	E(7, "D0", "Button D0: off, dim up, blind open"),
};
static const EepItem items_rocker4_style2[] = {
	E(0, "AI", "Button AI: on, dim up, blind open"),
	E(1, "A0", "Button A0: off, dim down, blind closed"),
	E(2, "BI", "Button BI: on, dim up, blind open"),
	E(3, "B0", "Button B0: off, dim down, blind closed"),
	E(4, "CI", "Button CI: on, dim up, blind open"),
	E(5, "C0", "Button C0: off, dim down, blind closed"),
	E(6, "DI", "Button DI: on, dim up, blind open"),
	E(7, "D0", "Button D0: off, dim down, blind closed"),
};
/* U-message of a 2-rocker switch: "no button" is not reported */
static const EepItem items_buttons2[] = {
	EOMIT(0),
	E(3, "threeOrFour", "3 or 4 buttons pressed"),
};
static const EepItem items_buttons4[] = {
	EOMIT(0),
	E(1, "two", "2 buttons pressed"),
	E(2, "three", "3 buttons pressed"),
	E(3, "four", "4 buttons pressed"),
	E(4, "five", "5 buttons pressed"),
	E(5, "six", "6 buttons pressed"),
	E(6, "seven", "7 buttons pressed"),
	E(7, "eight", "8 buttons pressed"),
};

#define ROCKER_N(name, items) \
	static const EepField f_##name##_n[] = { \
		ENUM(0, 3, "rockerFirstAction", "Rocker 1st action", items, .flags = EEP_STRICT), \
		ENUM(3, 1, "energybow", "Energy bow", items_eb), \
		ENUM(4, 3, "rockerSecondAction", "Rocker 2nd action", items, .flags = EEP_STRICT, WHEN(7, 1, 1)), \
		ENUM(7, 1, "secondAction", "2nd action", items_sa) }

ROCKER_N(f6_02_01, items_rocker2_style1);
ROCKER_N(f6_02_02, items_rocker2_style2);
ROCKER_N(f6_03_01, items_rocker4_style1);
ROCKER_N(f6_03_02, items_rocker4_style2);
static const EepField f_rocker2_u[] = {
	ENUM(0, 3, "buttonsPressed", "Number of buttons pressed simultaneously", items_buttons2,
		 .flags = EEP_STRICT),
	ENUM(3, 1, "energybow", "Energy bow", items_eb),
};
static const EepField f_rocker4_u[] = {
	ENUM(0, 3, "buttonsPressed", "Number of buttons pressed simultaneously", items_buttons4),
	ENUM(3, 1, "energybow", "Energy bow", items_eb),
};
static const EepCase c_f6_02_01[] = {
	CASE_STATUS("N-message (T21 = 1, NU = 1)", f_f6_02_01_n, 1, 1, 1),
	CASE_STATUS("U-message (T21 = 1, NU = 0)", f_rocker2_u, 1, 1, 0),
};
static const EepCase c_f6_02_02[] = {
	CASE_STATUS("N-message (T21 = 1, NU = 1)", f_f6_02_02_n, 1, 1, 1),
	CASE_STATUS("U-message (T21 = 1, NU = 0)", f_rocker2_u, 1, 1, 0),
};
static const EepCase c_f6_03_01[] = {
	CASE_STATUS("N-message (T21 = 0, NU = 1)", f_f6_03_01_n, 1, 0, 1),
	CASE_STATUS("U-message (T21 = 0, NU = 0)", f_rocker4_u, 1, 0, 0),
};
static const EepCase c_f6_03_02[] = {
	CASE_STATUS("N-message (T21 = 0, NU = 1)", f_f6_03_02_n, 1, 0, 1),
	CASE_STATUS("U-message (T21 = 0, NU = 0)", f_rocker4_u, 1, 0, 0),
};

/* ----------------------------------------------------------------- F6-04 */

static const EepItem items_kc_in[] = {E(0x70, "inserted", "Key card inserted")};
static const EepItem items_kc_out[] = {E(0x00, "takenOut", "Key card taken out")};
static const EepField f_f6_04_01_in[] = {
	ENUM(0, 8, "keyCard", "Key card", items_kc_in),
};
static const EepField f_f6_04_01_out[] = {
	ENUM(0, 8, "keyCard", "Key card", items_kc_out),
};
static const EepCase c_f6_04_01[] = {
	CASE_STATUS("Inserted (T21 = 1, NU = 1)", f_f6_04_01_in, 1, 1, 1),
	CASE_STATUS("Taken out (T21 = 1, NU = 0)", f_f6_04_01_out, 1, 1, 0),
};
static const EepItem items_card[] = {
	E(0, "takenOut", "Key card taken out"),
	E(1, "inserted", "Key card inserted"),
};
static const EepItem items_bc[] = {E(0, "button", "Button")};
static const EepField f_f6_04_02[] = {
	ENUM(0, 1, "energybow", "Energy bow", items_card),
	ENUM(1, 1, "buttonCoding", "Button coding", items_bc),
	ENUM(5, 1, "cardState", "State of card", items_card),
};
static const EepCase c_f6_04_02[] = {CASE(f_f6_04_02, 1)};

/* -------------------------------------------------------------- F6-05-01 */

static const EepItem items_was[] = {E(0x11, "waterDetected", "Water detected")};
static const EepField f_f6_05_01[] = {
	ENUM(0, 8, "waterSensor", "Water sensor", items_was),
};
static const EepCase c_f6_05_01[] = {CASE(f_f6_05_01, 1)};

/* -------------------------------------------------------------- F6-10-00 */

/* bit patterns, X = don't care: 11X0XXXX open, 1111XXXX closed, 1101XXXX tilted */
static const EepItem items_win[] = {
	EM(0xD0, 0xC0, "open", "Window open (handle horizontal)"),
	EM(0xF0, 0xF0, "closed", "Window closed (handle down)"),
	EM(0xF0, 0xD0, "tilted", "Window tilted (handle up)"),
};
static const EepField f_f6_10_00[] = {
	ENUM(0, 8, "windowHandle", "Window handle", items_win, .flags = EEP_STRICT),
};
static const EepCase c_f6_10_00[] = {CASE(f_f6_10_00, 1)};

/* ----------------------------------------------------------- the table */

const EepProfile eep_table_rps[] = {
	PROFILE("D5-00-01", RORG_1BS, "Contacts and switches: single input contact", EEP_TEACHIN_1BS, c_d5_00_01),
	PROFILE("F6-01-01", RORG_RPS, "Switch buttons: push button", 0, c_f6_01_01),
	PROFILE("F6-02-01", RORG_RPS, "Rocker switch, 2 rockers, application style 1", 0, c_f6_02_01),
	PROFILE("F6-02-02", RORG_RPS, "Rocker switch, 2 rockers, application style 2", 0, c_f6_02_02),
	PROFILE("F6-03-01", RORG_RPS, "Rocker switch, 4 rockers, application style 1", 0, c_f6_03_01),
	PROFILE("F6-03-02", RORG_RPS, "Rocker switch, 4 rockers, application style 2", 0, c_f6_03_02),
	PROFILE("F6-04-01", RORG_RPS, "Key card activated switch", 0, c_f6_04_01),
	PROFILE("F6-04-02", RORG_RPS, "Key card activated switch (ERP2)", 0, c_f6_04_02),
	PROFILE("F6-05-01", RORG_RPS, "Detectors: liquid leakage sensor (mechanical harvester)", 0, c_f6_05_01),
	PROFILE("F6-10-00", RORG_RPS, "Mechanical handle: window handle", 0, c_f6_10_00),
};
const int	eep_table_rps_count = ITEMS(eep_table_rps);
