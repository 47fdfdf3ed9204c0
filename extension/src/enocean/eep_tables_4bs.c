/*
 * eep_tables_4bs.c: the 4BS profiles (RORG A5) of enocean.md §11.1-§11.12
 * as data.  Offsets count from the MSB of DB3 (offset 28 = DB0.3, the LRN
 * bit).  Keys are the connector's where observed (temperature, humidity,
 * illumination, co2, learn, powerFailureDetected), else the sheet's
 * proposals.
 */
#include "eep_tables.h"

const EepItem eep_items_learn[2] = {
	E(0, "pressed", "Teach-in telegram"),
	E(1, "notPressed", "Data telegram"),
};
/* supply voltage codes above 250 */
const EepItem eep_items_svc_error[1] = {
	ER(251, 255, "reserved", "Reserved for error code"),
};
static const EepItem items_tsn[] = {
	E(0, "notAvailable", "Temperature sensor not available"),
	E(1, "available", "Temperature sensor available"),
};
static const EepItem items_hsn[] = {
	E(0, "notAvailable", "Humidity sensor not available"),
	E(1, "available", "Humidity sensor available"),
};
static const EepItem items_ill_1000[] = {
	E(1001, "overRange", "Over range"),
	ER(1002, 1023, "reserved", "Reserved"),
};
static const EepItem items_ill_250[] = {
	E(251, "overRange", "Over range"),
	ER(252, 255, "reserved", "Reserved"),
};

#define SVC_51 NUM(0, 8, "supplyVoltage", "Supply voltage", 0, 255, 0, 5.1, "V")
#define SVC_50 NUMX(0, 8, "supplyVoltage", "Supply voltage", 0, 250, 0, 5.0, "V", eep_items_svc_error)

/* ---------------------------------------------------------------- A5-02 */

#define TMP8(name, lo, hi) \
	static const EepField f_##name[] = { \
		NUM(16, 8, "temperature", "Temperature", 255, 0, lo, hi, "°C"), LRN4BS }; \
	static const EepCase c_##name[] = { CASE(f_##name, 4) }

TMP8(a5_02_01, -40, 0);
TMP8(a5_02_02, -30, 10);
TMP8(a5_02_03, -20, 20);
TMP8(a5_02_04, -10, 30);
TMP8(a5_02_05, 0, 40);
TMP8(a5_02_06, 10, 50);
TMP8(a5_02_07, 20, 60);
TMP8(a5_02_08, 30, 70);
TMP8(a5_02_09, 40, 80);
TMP8(a5_02_0a, 50, 90);
TMP8(a5_02_0b, 60, 100);
TMP8(a5_02_10, -60, 20);
TMP8(a5_02_11, -50, 30);
TMP8(a5_02_12, -40, 40);
TMP8(a5_02_13, -30, 50);
TMP8(a5_02_14, -20, 60);
TMP8(a5_02_15, -10, 70);
TMP8(a5_02_16, 0, 80);
TMP8(a5_02_17, 10, 90);
TMP8(a5_02_18, 20, 100);
TMP8(a5_02_19, 30, 110);
TMP8(a5_02_1a, 40, 120);
TMP8(a5_02_1b, 50, 130);

static const EepField f_a5_02_20[] = {
	NUM(14, 10, "temperature", "Temperature", 1023, 0, -10, 41.2, "°C"), LRN4BS
};
static const EepCase c_a5_02_20[] = {CASE(f_a5_02_20, 4)};
static const EepField f_a5_02_30[] = {
	NUM(14, 10, "temperature", "Temperature", 1023, 0, -40, 62.3, "°C"), LRN4BS
};
static const EepCase c_a5_02_30[] = {CASE(f_a5_02_30, 4)};

/* ---------------------------------------------------------------- A5-04 */

static const EepField f_a5_04_01[] = {
	NUM(8, 8, "humidity", "Rel. Humidity", 0, 250, 0, 100, "%"),
	NUM(16, 8, "temperature", "Temperature", 0, 250, 0, 40, "°C"),
	LRN4BS,
	ENUM(30, 1, "temperatureSensorAvailable", "T-Sensor", items_tsn),
};
static const EepCase c_a5_04_01[] = {CASE(f_a5_04_01, 4)};
static const EepField f_a5_04_02[] = {
	NUM(8, 8, "humidity", "Rel. Humidity", 0, 250, 0, 100, "%"),
	NUM(16, 8, "temperature", "Temperature", 0, 250, -20, 60, "°C"),
	LRN4BS,
	ENUM(30, 1, "temperatureSensorAvailable", "T-Sensor", items_tsn),
};
static const EepCase c_a5_04_02[] = {CASE(f_a5_04_02, 4)};
static const EepItem items_ttp[] = {
	E(0, "heartbeat", "Heartbeat"),
	E(1, "eventTriggered", "Event triggered"),
};
static const EepField f_a5_04_03[] = {
	NUM(0, 8, "humidity", "Rel. Humidity", 0, 255, 0, 100, "%"),
	NUM(14, 10, "temperature", "Temperature", 0, 1023, -20, 60, "°C"),
	LRN4BS,
	ENUM(31, 1, "telegramType", "Telegram Type", items_ttp),
};
static const EepCase c_a5_04_03[] = {CASE(f_a5_04_03, 4)};

/* ---------------------------------------------------------------- A5-06 */

static const EepItem items_rs[] = {
	E(0, "ill1", "Range acc. to DB_1 (ILL1)"),
	E(1, "ill2", "Range acc. to DB_2 (ILL2)"),
};
static const EepField f_a5_06_01[] = {
	SVC_51,
	NUM(8, 8, "illumination", "Illumination (ILL2)", 0, 255, 300, 30000, "lx", WHEN(31, 1, 1)),
	NUM(16, 8, "illumination", "Illumination (ILL1)", 0, 255, 600, 60000, "lx", WHEN(31, 1, 0)),
	LRN4BS,
	ENUM(31, 1, "rangeSelect", "Range select", items_rs),
};
static const EepCase c_a5_06_01[] = {CASE(f_a5_06_01, 4)};
static const EepField f_a5_06_02[] = {
	SVC_51,
	NUM(8, 8, "illumination", "Illumination (ILL2)", 0, 255, 0, 510, "lx", WHEN(31, 1, 1)),
	NUM(16, 8, "illumination", "Illumination (ILL1)", 0, 255, 0, 1020, "lx", WHEN(31, 1, 0)),
	LRN4BS,
	ENUM(31, 1, "rangeSelect", "Range select", items_rs),
};
static const EepCase c_a5_06_02[] = {CASE(f_a5_06_02, 4)};
static const EepField f_a5_06_03[] = {
	SVC_50,
	NUMX(8, 10, "illumination", "Illumination", 0, 1000, 0, 1000, "lx", items_ill_1000),
	LRN4BS,
};
static const EepCase c_a5_06_03[] = {CASE(f_a5_06_03, 4)};

/* ---------------------------------------------------------------- A5-07 */

static const EepItem items_pir_8[] = {
	ER(0, 127, "pirOff", "PIR off"),
	ER(128, 255, "pirOn", "PIR on"),
};
static const EepItem items_sva[] = {
	E(0, "notSupported", "Supply voltage is not supported"),
	E(1, "supported", "Supply voltage is supported"),
};
static const EepItem items_pir_motion[] = {
	E(0, "uncertain", "Uncertain of occupancy status"),
	E(1, "motionDetected", "Motion detected"),
};
static const EepField f_a5_07_01[] = {
	NUMX(0, 8, "supplyVoltage", "Supply voltage (optional)", 0, 250, 0, 5.0, "V", eep_items_svc_error,
		 WHEN(31, 1, 1)),
	ENUM(16, 8, "pirStatus", "PIR Status", items_pir_8),
	LRN4BS,
	ENUM(31, 1, "supplyVoltageAvailable", "Supply voltage availability", items_sva),
};
static const EepCase c_a5_07_01[] = {CASE(f_a5_07_01, 4)};
static const EepField f_a5_07_02[] = {
	SVC_50,
	ENUM(24, 1, "pirStatus", "PIR Status", items_pir_motion),
	LRN4BS,
};
static const EepCase c_a5_07_02[] = {CASE(f_a5_07_02, 4)};
static const EepField f_a5_07_03[] = {
	SVC_50,
	NUMX(8, 10, "illumination", "Illumination", 0, 1000, 0, 1000, "lx", items_ill_1000),
	ENUM(24, 1, "pirStatus", "PIR Status", items_pir_motion),
	LRN4BS,
};
static const EepCase c_a5_07_03[] = {CASE(f_a5_07_03, 4)};

/* ---------------------------------------------------------------- A5-08 */

static const EepItem items_pir_inv[] = {
	E(0, "pirOn", "PIR on"),
	E(1, "pirOff", "PIR off"),
};
static const EepItem items_occ[] = {
	E(0, "pressed", "Button pressed"),
	E(1, "released", "Button released"),
};
#define A5_08(name, ill, tlo, thi) \
	static const EepField f_##name[] = { \
		SVC_51, \
		NUM(8, 8, "illumination", "Illumination", 0, 255, 0, ill, "lx"), \
		NUM(16, 8, "temperature", "Temperature", 0, 255, tlo, thi, "°C"), \
		LRN4BS, \
		ENUM(30, 1, "pirStatus", "PIR Status", items_pir_inv), \
		ENUM(31, 1, "occupancy", "Occupancy Button", items_occ) }; \
	static const EepCase c_##name[] = { CASE(f_##name, 4) }

A5_08(a5_08_01, 510, 0, 51);
A5_08(a5_08_02, 1020, 0, 51);
A5_08(a5_08_03, 1530, -30, 50);

/* ---------------------------------------------------------------- A5-09 */

static const EepItem items_pfd[] = {
	E(0, "False", "Power failure not detected"),
	E(1, "True", "Power failure detected"),
};
static const double scm_factors[4] = {0.01, 0.1, 1, 10};
static const EepItem items_scm[] = {
	E(0, "x0.01", "Scale multiplier 0.01"),
	E(1, "x0.1", "Scale multiplier 0.1"),
	E(2, "x1", "Scale multiplier 1"),
	E(3, "x10", "Scale multiplier 10"),
};
#define VOC_IDS \
	E(0, "vocTotal", "VOCT (total)"), \
	E(1, "formaldehyde", "Formaldehyde"), \
	E(2, "benzene", "Benzene"), \
	E(3, "styrene", "Styrene"), \
	E(4, "toluene", "Toluene"), \
	E(5, "tetrachloroethylene", "Tetrachloroethylene"), \
	E(6, "xylene", "Xylene"), \
	E(7, "nHexane", "n-Hexane"), \
	E(8, "nOctane", "n-Octane"), \
	E(9, "cyclopentane", "Cyclopentane"), \
	E(10, "methanol", "Methanol"), \
	E(11, "ethanol", "Ethanol"), \
	E(12, "pentanol1", "1-Pentanol"), \
	E(13, "acetone", "Acetone"), \
	E(14, "ethyleneOxide", "Ethylene oxide"), \
	E(15, "acetaldehydeUe", "Acetaldehyde ue"), \
	E(16, "aceticAcid", "Acetic acid"), \
	E(17, "propionicAcid", "Propionic acid"), \
	E(18, "valericAcid", "Valeric acid"), \
	E(19, "butyricAcid", "Butyric acid"), \
	E(20, "ammoniac", "Ammoniac"), \
	E(22, "hydrogenSulfide", "Hydrogen sulfide"), \
	E(23, "dimethylsulfide", "Dimethylsulfide"), \
	E(24, "butanol2", "2-Butanol (butyl alcohol)"), \
	E(25, "methylpropanol2", "2-Methylpropanol"), \
	E(26, "methylVinylKetone", "Methyl vinyl ketone")
static const EepItem items_voc[] = {VOC_IDS};
static const EepItem items_voc_0c[] = {
	VOC_IDS,
	E(27, "naphthalene", "Naphthalene"),
	E(28, "phenylcyclohexene4", "4-Phenylcyclohexene"),
	E(29, "limonene", "Limonene"),
	E(30, "trichloroethylene", "Trichloroethylene"),
	E(31, "isovalericAcid", "Isovaleric acid"),
	E(32, "indole", "Indole"),
	E(33, "cadaverine", "Cadaverine"),
	E(34, "putrescine", "Putrescine"),
	E(35, "caproicAcid", "Caproic acid"),
	E(255, "ozone", "Ozone"),
};
static const char *const voc_units[2] = {"ppb", "µg/m³"};
static const EepItem items_voc_unit[] = {
	E(0, "ppb", "ppb"),
	E(1, "ugPerM3", "µg/m³"),
};

static const EepField f_a5_09_02[] = {
	SVC_51,
	NUM(8, 8, "concentration", "Concentration", 0, 255, 0, 1020, "ppm"),
	NUM(16, 8, "temperature", "Temperature", 0, 255, 0, 51, "°C"),
	LRN4BS,
	ENUM(30, 1, "temperatureSensorAvailable", "T-Sensor", items_tsn),
};
static const EepCase c_a5_09_02[] = {CASE(f_a5_09_02, 4)};
static const EepField f_a5_09_04[] = {
	NUM(0, 8, "humidity", "Rel. Humidity", 0, 200, 0, 100, "%"),
	NUM(8, 8, "concentration", "Concentration", 0, 255, 0, 2550, "ppm"),
	NUM(16, 8, "temperature", "Temperature", 0, 255, 0, 51, "°C"),
	LRN4BS,
	ENUM(29, 1, "humiditySensorAvailable", "H-Sensor", items_hsn),
	ENUM(30, 1, "temperatureSensorAvailable", "T-Sensor", items_tsn),
};
static const EepCase c_a5_09_04[] = {CASE(f_a5_09_04, 4)};
static const EepField f_a5_09_05[] = {
	NUM(0, 16, "concentration", "VOC Concentration", 0, 65535, 0, 65535, "ppb",
		.factor_offset = 30, .factor_size = 2, .factors = scm_factors),
	ENUM(16, 8, "vocId", "VOC ID", items_voc),
	LRN4BS,
	ENUM(30, 2, "scaleMultiplier", "Scale Multiplier", items_scm),
};
static const EepCase c_a5_09_05[] = {CASE(f_a5_09_05, 4)};
static const EepField f_a5_09_08[] = {
	NUM(16, 8, "co2", "CO2", 0, 255, 0, 2000, "ppm"),
	LRN4BS,
};
static const EepCase c_a5_09_08[] = {CASE(f_a5_09_08, 4)};
static const EepField f_a5_09_09[] = {
	NUM(16, 8, "co2", "CO2", 0, 255, 0, 2000, "ppm"),
	LRN4BS,
	ENUM(29, 1, "powerFailureDetected", "Power Failure detection", items_pfd),
};
static const EepCase c_a5_09_09[] = {CASE(f_a5_09_09, 4)};
static const EepField f_a5_09_0c[] = {
	NUM(0, 16, "concentration", "VOC concentration", 0, 65535, 0, 65535, NULL,
		.factor_offset = 30, .factor_size = 2, .factors = scm_factors,
		.unit_offset = 29, .unit_size = 1, .units = voc_units),
	ENUM(16, 8, "vocId", "VOC identification", items_voc_0c),
	LRN4BS,
	ENUM(29, 1, "unit", "Unit of VOC concentration", items_voc_unit),
	ENUM(30, 2, "scaleMultiplier", "Scale multiplier", items_scm),
};
static const EepCase c_a5_09_0c[] = {CASE(f_a5_09_0c, 4)};

/* ---------------------------------------------------------------- A5-10 */

static const EepItem items_fan[] = {
	ER(210, 255, "auto", "Stage Auto"),
	ER(190, 209, "stage0", "Stage 0"),
	ER(165, 189, "stage1", "Stage 1"),
	ER(145, 164, "stage2", "Stage 2"),
	ER(0, 144, "stage3", "Stage 3"),
};
static const EepItem items_slsw[] = {
	E(0, "positionI", "Position I / Night / Off"),
	E(1, "positionO", "Position O / Day / On"),
};
static const EepItem items_ctst[] = {
	E(0, "closed", "Closed"),
	E(1, "open", "Open"),
};
#define FAN ENUM(0, 8, "fanSpeed", "Turn-switch for fan speed", items_fan)
#define SP NUM(8, 8, "setPoint", "Set point", 0, 255, 0, 255, "")
#define TMP10 NUM(16, 8, "temperature", "Temperature", 255, 0, 0, 40, "°C")
#define OCC ENUM(31, 1, "occupancy", "Occupancy", items_occ)
#define SLSW ENUM(31, 1, "slideSwitch", "Slide switch 0/I", items_slsw)
#define CTST ENUM(31, 1, "contactState", "Contact State", items_ctst)
#define ONE_CASE(name, ...) \
	static const EepField f_##name[] = { __VA_ARGS__ }; \
	static const EepCase c_##name[] = { CASE(f_##name, 4) }

ONE_CASE(a5_10_01, FAN, SP, TMP10, LRN4BS, OCC);
ONE_CASE(a5_10_02, FAN, SP, TMP10, LRN4BS, SLSW);
ONE_CASE(a5_10_03, SP, TMP10, LRN4BS);
ONE_CASE(a5_10_04, FAN, SP, TMP10, LRN4BS);
ONE_CASE(a5_10_05, SP, TMP10, LRN4BS, OCC);
ONE_CASE(a5_10_06, SP, TMP10, LRN4BS, SLSW);
ONE_CASE(a5_10_07, FAN, TMP10, LRN4BS);
ONE_CASE(a5_10_08, FAN, TMP10, LRN4BS, OCC);
ONE_CASE(a5_10_09, FAN, TMP10, LRN4BS, SLSW);
ONE_CASE(a5_10_0a, SP, TMP10, LRN4BS, CTST);
ONE_CASE(a5_10_0b, TMP10, LRN4BS, CTST);
ONE_CASE(a5_10_0c, TMP10, LRN4BS, OCC);
ONE_CASE(a5_10_0d, TMP10, LRN4BS, SLSW);

/* ---------------------------------------------------------------- A5-12 */

static const double div_factors[4] = {1, 0.1, 0.01, 0.001};
static const EepItem items_dt[] = {
	E(0, "cumulative", "Cumulative value"),
	E(1, "current", "Current value"),
};
static const EepItem items_div[] = {
	E(0, "x/1", "Divisor 1"),
	E(1, "x/10", "Divisor 10"),
	E(2, "x/100", "Divisor 100"),
	E(3, "x/1000", "Divisor 1000"),
};
static const char *const units_counter[2] = {"", "1/s"};
static const char *const units_electricity[2] = {"kWh", "W"};
static const char *const units_volume[2] = {"m³", "l/s"};
#define A5_12(name, units_, fourbit_key, fourbit_name) \
	static const EepField f_##name[] = { \
		NUM(0, 24, "meterReading", "Meter reading", 0, 16777215, 0, 16777215, NULL, \
			.decimals = 3, .factor_offset = 30, .factor_size = 2, .factors = div_factors, \
			.unit_offset = 29, .unit_size = 1, .units = units_), \
		NUM(24, 4, fourbit_key, fourbit_name, 0, 15, 0, 15, "", .flags = EEP_INT), \
		LRN4BS, \
		ENUM(29, 1, "dataType", "Data type (unit)", items_dt), \
		ENUM(30, 2, "divisor", "Divisor (scale)", items_div) }; \
	static const EepCase c_##name[] = { CASE(f_##name, 4) }

A5_12(a5_12_00, units_counter, "measurementChannel", "Measurement channel");
A5_12(a5_12_01, units_electricity, "tariffInfo", "Tariff info");
A5_12(a5_12_02, units_volume, "tariffInfo", "Tariff info");
A5_12(a5_12_03, units_volume, "tariffInfo", "Tariff info");

/* ---------------------------------------------------------------- A5-14 */

static const EepItem items_ct[] = {
	E(0, "closed", "Contact closed"),
	E(1, "open", "Contact open"),
};
static const EepItem items_vib[] = {
	E(0, "notDetected", "No vibration detected"),
	E(1, "detected", "Vibration detected"),
};
static const EepItem items_dct[] = {
	E(0, "closed", "Door closed"),
	E(1, "open", "Door open"),
};
static const EepItem items_lct[] = {
	E(0, "locked", "Door locked"),
	E(1, "unlocked", "Door unlocked"),
};
static const EepItem items_ct2[] = {
	E(0, "closed", "Closed"),
	E(1, "tilt", "Tilt"),
	E(2, "reserved", "Reserved"),
	E(3, "open", "Open"),
};
#define ILL14 NUMX(8, 8, "illumination", "Illumination", 0, 250, 0, 1000, "lx", items_ill_250)
#define CT14 ENUM(31, 1, "contact", "Contact", items_ct)
#define VIB30 ENUM(30, 1, "vibration", "Vibration", items_vib)
#define VIB31 ENUM(31, 1, "vibration", "Vibration", items_vib)
#define DCT ENUM(29, 1, "doorContact", "Door contact", items_dct)
#define LCT ENUM(30, 1, "lockContact", "Lock contact", items_lct)
#define CT2 ENUM(29, 2, "contact", "Contact", items_ct2)

ONE_CASE(a5_14_01, SVC_50, LRN4BS, CT14);
ONE_CASE(a5_14_02, SVC_50, ILL14, LRN4BS, CT14);
ONE_CASE(a5_14_03, SVC_50, LRN4BS, VIB30, CT14);
ONE_CASE(a5_14_04, SVC_50, ILL14, LRN4BS, VIB30, CT14);
ONE_CASE(a5_14_05, SVC_50, LRN4BS, VIB30);
ONE_CASE(a5_14_06, SVC_50, ILL14, LRN4BS, VIB30);
ONE_CASE(a5_14_07, SVC_50, LRN4BS, DCT, LCT);
ONE_CASE(a5_14_08, SVC_50, LRN4BS, DCT, LCT, VIB31);
ONE_CASE(a5_14_09, SVC_50, LRN4BS, CT2);
ONE_CASE(a5_14_0a, SVC_50, LRN4BS, CT2, VIB31);

/* ------------------------------------------------------------- A5-20-01 */

#define FLAG_ITEMS(name, on, off) \
	static const EepItem name[] = { E(0, "False", off), E(1, "True", on) }
FLAG_ITEMS(items_so, "Service on", "Service off");
FLAG_ITEMS(items_enie, "Energy input enabled", "Energy input not enabled");
FLAG_ITEMS(items_es, "Energy storage sufficiently charged", "Energy storage not sufficiently charged");
FLAG_ITEMS(items_cco, "Cover open", "Cover closed");
FLAG_ITEMS(items_fts, "Temperature sensor failure or out of range", "Temperature sensor OK");
FLAG_ITEMS(items_dwo, "Window open detected", "No window open detected");
FLAG_ITEMS(items_aco, "Actuator obstructed", "Actuator not obstructed");
FLAG_ITEMS(items_rin, "Run init sequence", "No init sequence");
FLAG_ITEMS(items_lfs, "Lift set", "Lift not set");
FLAG_ITEMS(items_vo, "Valve open / maintenance", "Valve not forced open");
FLAG_ITEMS(items_vc, "Valve closed", "Valve not forced closed");
FLAG_ITEMS(items_sb, "Summer mode, reduced energy consumption", "Normal operation");
FLAG_ITEMS(items_spn, "Set point inverse", "Set point not inverse");
/* BCAP is inverted: 0 means "change battery soon" */
static const EepItem items_bcap[] = {
	E(0, "True", "Battery capacity low, change battery next days"),
	E(1, "False", "Battery capacity sufficient"),
};
static const EepItem items_sps[] = {
	E(0, "valvePosition", "Valve position (0-100%). Unit respond to controller."),
	E(1, "temperatureSetPoint", "Temperature set point 0...40°C. Unit respond to room sensor and use internal PI loop."),
};
static const EepItem items_rcu[] = {
	E(0, "rcu", "RCU"),
	E(1, "serviceOn", "Service on"),
};
static const EepField f_a5_20_01_in[] = {
	NUM(0, 8, "currentValue", "Current Value", 0, 100, 0, 100, "%"),
	ENUM(8, 1, "serviceOn", "Service On", items_so),
	ENUM(9, 1, "energyInputEnabled", "Energy input enabled", items_enie),
	ENUM(10, 1, "energyStorage", "Energy Storage", items_es),
	ENUM(11, 1, "batteryCapacity", "Battery capacity", items_bcap),
	ENUM(12, 1, "contactCoverOpen", "Contact, cover open", items_cco),
	ENUM(13, 1, "temperatureSensorFailure", "Failure temperature sensor, out off range", items_fts),
	ENUM(14, 1, "windowOpenDetection", "Detection, window open", items_dwo),
	ENUM(15, 1, "actuatorObstructed", "Actuator obstructed", items_aco),
	NUM(16, 8, "temperature", "Temperature", 0, 255, 0, 40, "°C"),
	LRN4BS,
};
static const EepField f_a5_20_01_out[] = {
	NUM(0, 8, "setPoint", "Valve position", 0, 100, 0, 100, "%", WHEN(21, 1, 0)),
	NUM(0, 8, "setPoint", "Temperature set point", 0, 255, 0, 40, "°C", WHEN(21, 1, 1)),
	NUM(8, 8, "rcuTemperature", "Temperature from RCU", 255, 0, 0, 40, "°C"),
	ENUM(16, 1, "runInitSequence", "Run init sequence", items_rin),
	ENUM(17, 1, "liftSet", "Lift set", items_lfs),
	ENUM(18, 1, "valveOpen", "Valve open / maintenance", items_vo),
	ENUM(19, 1, "valveClosed", "Valve closed", items_vc),
	ENUM(20, 1, "summerBit", "Summer bit, Reduction of energy consumption", items_sb),
	ENUM(21, 1, "setPointSelection", "Set Point Selection", items_sps),
	ENUM(22, 1, "setPointInverse", "Set point inverse", items_spn),
	ENUM(23, 1, "selectFunction", "Select function", items_rcu),
	LRN4BS,
};
static const EepCase c_a5_20_01[] = {
	{.title = "Actuator to controller", .t21 = -1, .nu = -1, .len_min = 4, .len_max = 4,
	.fields = f_a5_20_01_in, .nfields = ITEMS(f_a5_20_01_in)},
	{.title = "Controller to actuator", .t21 = -1, .nu = -1, .len_min = 4, .len_max = 4,
		.flags = EEP_CASE_OUTBOUND, .fields = f_a5_20_01_out, .nfields = ITEMS(f_a5_20_01_out)},
};

/* ---------------------------------------------------------------- A5-30 */

static const EepItem items_battery[] = {
	ER(0, 120, "batteryLow", "Battery low"),
	ER(121, 255, "batteryOk", "Battery OK"),
};
static const EepItem items_ips_8[] = {
	ER(0, 195, "closed", "Contact closed"),
	ER(196, 255, "open", "Contact open"),
};
ONE_CASE(a5_30_01, ENUM(8, 8, "supplyVoltage", "Supply voltage", items_battery),
	  ENUM(16, 8, "inputState", "Input State", items_ips_8), LRN4BS);
ONE_CASE(a5_30_02, LRN4BS, ENUM(31, 1, "inputState", "Input State", items_ct));

/* ------------------------------------------------------------- A5-38-08 */

static const EepItem items_com1[] = {E(1, "switching", "Switching")};
static const EepItem items_com2[] = {E(2, "dimming", "Dimming")};
static const EepItem items_com3[] = {E(3, "setpointShift", "Setpoint shift")};
static const EepItem items_com4[] = {E(4, "basicSetpoint", "Basic setpoint")};
static const EepItem items_com5[] = {E(5, "controlVariable", "Control variable")};
static const EepItem items_com6[] = {E(6, "fanStage", "Fan stage")};
static const EepItem items_com7[] = {E(7, "blindCentralCommand", "Shutters / Blinds")};
static const EepItem items_tim[] = {E(0, "noTime", "No time specified")};
static const EepItem items_lck[] = {E(0, "unlock", "Unlock"), E(1, "lock", "Lock")};
static const EepItem items_del[] = {E(0, "duration", "Duration"), E(1, "delay", "Delay")};
static const EepItem items_sw[] = {E(0, "off", "Off"), E(1, "on", "On")};
static const EepItem items_edimr[] = {
	E(0, "absolute", "Absolute value"),
	E(1, "relative", "Relative value"),
};
static const EepItem items_str[] = {E(0, "no", "No"), E(1, "yes", "Yes")};
static const EepItem items_rmp[] = {E(0, "noRamping", "No ramping")};
static const EepItem items_cm[] = {
	E(0, "automatic", "Automatic mode selection"),
	E(1, "heating", "Heating"),
	E(2, "cooling", "Cooling"),
	E(3, "off", "Off"),
};
static const EepItem items_cs[] = {E(0, "automatic", "Automatic"), E(1, "override", "Override")};
static const EepItem items_enho[] = {
	E(0, "normal", "Normal"),
	E(1, "energyHoldOff", "Energy holdoff / Dew point"),
};
static const EepItem items_rmocc[] = {
	E(0, "occupied", "Occupied"),
	E(1, "unoccupied", "Unoccupied"),
	E(2, "standby", "Standby"),
};
static const EepItem items_fo[] = {
	E(0, "stage0", "Stage 0"),
	E(1, "stage1", "Stage 1"),
	E(2, "stage2", "Stage 2"),
	E(3, "stage3", "Stage 3"),
	E(255, "auto", "Auto"),
};
static const EepItem items_blind_func[] = {
	E(0, "statusRequest", "Do nothing, status request"),
	E(1, "stop", "Blind stops"),
	E(2, "open", "Blind opens"),
	E(3, "close", "Blind closes"),
	E(4, "positionAndAngle", "Blind drives to position with angle value"),
	E(5, "openForTime", "Blind opens for time (position value) and angle (angle value)"),
	E(6, "closeForTime", "Blind closes for time (position value) and angle (angle value)"),
	E(7, "setRuntime", "Set runtime parameters"),
	E(8, "setAngleConfiguration", "Set angle configuration"),
	E(9, "setMinMax", "Set min, max values"),
	E(10, "setSlatAngle", "Set slat angle for shut and open position"),
	E(11, "setPositionLogic", "Set position logic"),
};
static const EepItem items_ssf[] = {
	E(0, "sendStatus", "Send new status of device"),
	E(1, "noStatus", "Send no status (e.g. global central commands)"),
};
static const EepItem items_paf[] = {
	E(0, "notAvailable", "No angle and position value available"),
	E(1, "available", "Angle and position value available"),
};
static const EepItem items_smf[] = {
	E(0, "normal", "Normal operation"),
	E(1, "serviceMode", "Service mode"),
};
static const EepField f_a5_38_com1[] = {
	ENUM(0, 8, "command", "Command", items_com1),
	NUMX(8, 16, "time", "Time", 1, 65535, 0.1, 6553.5, "s", items_tim),
	LRN4BS,
	ENUM(29, 1, "lock", "Lock/Unlock", items_lck),
	ENUM(30, 1, "delayOrDuration", "Delay or duration", items_del),
	ENUM(31, 1, "switchingCommand", "Switching Command", items_sw),
};
static const EepField f_a5_38_com2[] = {
	ENUM(0, 8, "command", "Command", items_com2),
	NUM(8, 8, "dimmingValue", "Dimming value (absolute)", 0, 255, 0, 100, "%", WHEN(29, 1, 0)),
	NUM(8, 8, "dimmingValue", "Dimming value (relative)", 0, 100, 0, 100, "%", WHEN(29, 1, 1)),
	NUMX(16, 8, "rampingTime", "Ramping time", 0, 255, 0, 255, "s", items_rmp),
	LRN4BS,
	ENUM(29, 1, "dimmingRange", "Dimming Range", items_edimr),
	ENUM(30, 1, "storeFinalValue", "Store final value", items_str),
	ENUM(31, 1, "switchingCommand", "Switching Command", items_sw),
};
static const EepField f_a5_38_com3[] = {
	ENUM(0, 8, "command", "Command", items_com3),
	NUM(16, 8, "setPoint", "Setpoint shift", 0, 255, -12.7, 12.8, "K"),
	LRN4BS,
};
static const EepField f_a5_38_com4[] = {
	ENUM(0, 8, "command", "Command", items_com4),
	NUM(16, 8, "basicSetpoint", "Basic Setpoint", 0, 255, 0, 51.2, "°C"),
	LRN4BS,
};
static const EepField f_a5_38_com5[] = {
	ENUM(0, 8, "command", "Command", items_com5),
	NUM(16, 8, "controlVariableOverride", "Control variable override", 0, 255, 0, 100, "%"),
	ENUM(25, 2, "controllerMode", "Controller mode", items_cm),
	ENUM(27, 1, "controllerState", "Controller state", items_cs),
	LRN4BS,
	ENUM(29, 1, "energyHoldOff", "Energy hold off", items_enho),
	ENUM(30, 2, "roomOccupancy", "Room occupancy", items_rmocc),
};
static const EepField f_a5_38_com6[] = {
	ENUM(0, 8, "command", "Command", items_com6),
	ENUM(16, 8, "fanStageOverride", "FanStage override", items_fo),
	LRN4BS,
};
static const EepField f_a5_38_com7[] = {
	ENUM(0, 8, "command", "Command", items_com7),
	NUM(8, 8, "parameter1", "Parameter 1", 0, 255, 0, 255, "", .flags = EEP_INT),
	NUM(16, 8, "parameter2", "Parameter 2", 0, 255, 0, 255, "", .flags = EEP_INT),
	ENUM(24, 4, "function", "Function", items_blind_func),
	LRN4BS,
	ENUM(29, 1, "sendStatusFlag", "Send status flag", items_ssf),
	ENUM(30, 1, "positionAngleFlag", "Pos. and Angle flag", items_paf),
	ENUM(31, 1, "serviceModeFlag", "Service Mode Flag", items_smf),
};
static const EepCase c_a5_38_08[] = {
	CASE_CMD("0x01 Switching", f_a5_38_com1, 4, 0, 8, 1),
	CASE_CMD("0x02 Dimming", f_a5_38_com2, 4, 0, 8, 2),
	CASE_CMD("0x03 Setpoint shift", f_a5_38_com3, 4, 0, 8, 3),
	CASE_CMD("0x04 Basic setpoint", f_a5_38_com4, 4, 0, 8, 4),
	CASE_CMD("0x05 Control variable", f_a5_38_com5, 4, 0, 8, 5),
	CASE_CMD("0x06 Fan stage", f_a5_38_com6, 4, 0, 8, 6),
	CASE_CMD("0x07 Blind central command", f_a5_38_com7, 4, 0, 8, 7),
};

/* ----------------------------------------------------------- the table */

#define P4(name, id, title) PROFILE(name, RORG_4BS, title, EEP_TEACHIN_4BS, c_##id)

const EepProfile eep_table_4bs[] = {
	P4("A5-02-01", a5_02_01, "Temperature sensor, -40 °C to 0 °C"),
	P4("A5-02-02", a5_02_02, "Temperature sensor, -30 °C to +10 °C"),
	P4("A5-02-03", a5_02_03, "Temperature sensor, -20 °C to +20 °C"),
	P4("A5-02-04", a5_02_04, "Temperature sensor, -10 °C to +30 °C"),
	P4("A5-02-05", a5_02_05, "Temperature sensor, 0 °C to +40 °C"),
	P4("A5-02-06", a5_02_06, "Temperature sensor, +10 °C to +50 °C"),
	P4("A5-02-07", a5_02_07, "Temperature sensor, +20 °C to +60 °C"),
	P4("A5-02-08", a5_02_08, "Temperature sensor, +30 °C to +70 °C"),
	P4("A5-02-09", a5_02_09, "Temperature sensor, +40 °C to +80 °C"),
	P4("A5-02-0A", a5_02_0a, "Temperature sensor, +50 °C to +90 °C"),
	P4("A5-02-0B", a5_02_0b, "Temperature sensor, +60 °C to +100 °C"),
	P4("A5-02-10", a5_02_10, "Temperature sensor, -60 °C to +20 °C"),
	P4("A5-02-11", a5_02_11, "Temperature sensor, -50 °C to +30 °C"),
	P4("A5-02-12", a5_02_12, "Temperature sensor, -40 °C to +40 °C"),
	P4("A5-02-13", a5_02_13, "Temperature sensor, -30 °C to +50 °C"),
	P4("A5-02-14", a5_02_14, "Temperature sensor, -20 °C to +60 °C"),
	P4("A5-02-15", a5_02_15, "Temperature sensor, -10 °C to +70 °C"),
	P4("A5-02-16", a5_02_16, "Temperature sensor, 0 °C to +80 °C"),
	P4("A5-02-17", a5_02_17, "Temperature sensor, +10 °C to +90 °C"),
	P4("A5-02-18", a5_02_18, "Temperature sensor, +20 °C to +100 °C"),
	P4("A5-02-19", a5_02_19, "Temperature sensor, +30 °C to +110 °C"),
	P4("A5-02-1A", a5_02_1a, "Temperature sensor, +40 °C to +120 °C"),
	P4("A5-02-1B", a5_02_1b, "Temperature sensor, +50 °C to +130 °C"),
	P4("A5-02-20", a5_02_20, "10 bit temperature sensor, -10 °C to +41.2 °C"),
	P4("A5-02-30", a5_02_30, "10 bit temperature sensor, -40 °C to +62.3 °C"),
	P4("A5-04-01", a5_04_01, "Temperature and humidity sensor, 0 °C to +40 °C and 0 % to 100 %"),
	P4("A5-04-02", a5_04_02, "Temperature and humidity sensor, -20 °C to +60 °C and 0 % to 100 %"),
	P4("A5-04-03", a5_04_03, "Temperature and humidity sensor, -20 °C to +60 °C 10 bit, 0 % to 100 %"),
	P4("A5-06-01", a5_06_01, "Light sensor, 300 lx to 60 000 lx"),
	P4("A5-06-02", a5_06_02, "Light sensor, 0 lx to 1 020 lx"),
	P4("A5-06-03", a5_06_03, "Light sensor, 10 bit, 0 lx to 1 000 lx"),
	P4("A5-07-01", a5_07_01, "Occupancy with supply voltage monitor"),
	P4("A5-07-02", a5_07_02, "Occupancy with supply voltage monitor"),
	P4("A5-07-03", a5_07_03, "Occupancy with supply voltage monitor and 10 bit illumination"),
	P4("A5-08-01", a5_08_01, "Light, temperature and occupancy sensor, 0 lx to 510 lx, 0 °C to +51 °C"),
	P4("A5-08-02", a5_08_02, "Light, temperature and occupancy sensor, 0 lx to 1 020 lx, 0 °C to +51 °C"),
	P4("A5-08-03", a5_08_03, "Light, temperature and occupancy sensor, 0 lx to 1 530 lx, -30 °C to +50 °C"),
	P4("A5-09-02", a5_09_02, "CO sensor, 0 ppm to 1 020 ppm"),
	P4("A5-09-04", a5_09_04, "CO2 sensor with humidity and temperature"),
	P4("A5-09-05", a5_09_05, "VOC sensor"),
	P4("A5-09-08", a5_09_08, "Pure CO2 sensor"),
	P4("A5-09-09", a5_09_09, "Pure CO2 sensor with power failure detection"),
	P4("A5-09-0C", a5_09_0c, "VOC sensor with unit selection"),
	P4("A5-10-01", a5_10_01, "Room operating panel: temperature, set point, fan speed, occupancy"),
	P4("A5-10-02", a5_10_02, "Room operating panel: temperature, set point, fan speed, day/night"),
	P4("A5-10-03", a5_10_03, "Room operating panel: temperature, set point"),
	P4("A5-10-04", a5_10_04, "Room operating panel: temperature, set point, fan speed"),
	P4("A5-10-05", a5_10_05, "Room operating panel: temperature, set point, occupancy"),
	P4("A5-10-06", a5_10_06, "Room operating panel: temperature, set point, day/night"),
	P4("A5-10-07", a5_10_07, "Room operating panel: temperature, fan speed"),
	P4("A5-10-08", a5_10_08, "Room operating panel: temperature, fan speed, occupancy"),
	P4("A5-10-09", a5_10_09, "Room operating panel: temperature, fan speed, day/night"),
	P4("A5-10-0A", a5_10_0a, "Room operating panel: temperature, set point, single input contact"),
	P4("A5-10-0B", a5_10_0b, "Room operating panel: temperature, single input contact"),
	P4("A5-10-0C", a5_10_0c, "Room operating panel: temperature, occupancy"),
	P4("A5-10-0D", a5_10_0d, "Room operating panel: temperature, day/night"),
	P4("A5-12-00", a5_12_00, "Automated meter reading: counter"),
	P4("A5-12-01", a5_12_01, "Automated meter reading: electricity"),
	P4("A5-12-02", a5_12_02, "Automated meter reading: gas"),
	P4("A5-12-03", a5_12_03, "Automated meter reading: water"),
	P4("A5-14-01", a5_14_01, "Single input contact, supply voltage monitor"),
	P4("A5-14-02", a5_14_02, "Single input contact, supply voltage monitor, illumination"),
	P4("A5-14-03", a5_14_03, "Single input contact, supply voltage monitor, vibration"),
	P4("A5-14-04", a5_14_04, "Single input contact, supply voltage monitor, vibration, illumination"),
	P4("A5-14-05", a5_14_05, "Vibration detection, supply voltage monitor"),
	P4("A5-14-06", a5_14_06, "Vibration detection, supply voltage monitor, illumination"),
	P4("A5-14-07", a5_14_07, "Dual door contact with lock, supply voltage monitor"),
	P4("A5-14-08", a5_14_08, "Dual door contact with lock, supply voltage monitor, vibration"),
	P4("A5-14-09", a5_14_09, "Window/door open, closed or tilted, supply voltage monitor"),
	P4("A5-14-0A", a5_14_0a, "Window/door open, closed or tilted, supply voltage monitor, vibration"),
	P4("A5-20-01", a5_20_01, "Battery powered actuator (bidirectional)"),
	P4("A5-30-01", a5_30_01, "Digital input: single input contact, battery monitor"),
	P4("A5-30-02", a5_30_02, "Digital input: single input contact"),
	P4("A5-38-08", a5_38_08, "Central command: gateway"),
};
const int	eep_table_4bs_count = ITEMS(eep_table_4bs);
