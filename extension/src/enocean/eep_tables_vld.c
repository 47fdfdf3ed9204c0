/*
 * eep_tables_vld.c: the VLD profiles (RORG D2) of enocean.md §11.13-§11.16
 * as data, plus D2-03-00 (the rocker of secure PTM switches, §7.9).
 * Message variants are chosen by their command id and length.
 */
#include "eep_tables.h"

/* ----------------------------------------------------------------- D2-01 */

static const EepItem items_cmd1[] = {E(1, "actuatorSetOutput", "Actuator Set Output")};
static const EepItem items_cmd2[] = {E(2, "actuatorSetLocal", "Actuator Set Local")};
static const EepItem items_cmd3[] = {E(3, "actuatorStatusQuery", "Actuator Status Query")};
static const EepItem items_cmd4[] = {E(4, "actuatorStatusResponse", "Actuator Status Response")};
static const EepItem items_cmd5[] = {E(5, "actuatorSetMeasurement", "Actuator Set Measurement")};
static const EepItem items_cmd6[] = {E(6, "actuatorMeasurementQuery", "Actuator Measurement Query")};
static const EepItem items_cmd7[] = {E(7, "actuatorMeasurementResponse", "Actuator Measurement Response")};
static const EepItem items_cmd8[] = {E(8, "actuatorSetPilotWireMode", "Actuator Set Pilot Wire Mode")};
static const EepItem items_cmd9[] = {E(9, "actuatorPilotWireModeQuery", "Actuator Pilot Wire Mode Query")};
static const EepItem items_cmda[] = {E(10, "actuatorPilotWireModeResponse", "Actuator Pilot Wire Mode Response")};
static const EepItem items_cmdb[] = {E(11, "actuatorSetExternalInterfaceSettings", "Actuator Set External Interface Settings")};
static const EepItem items_cmdc[] = {E(12, "actuatorExternalInterfaceSettingsQuery", "Actuator External Interface Settings Query")};
static const EepItem items_cmdd[] = {E(13, "actuatorExternalInterfaceSettingsResponse", "Actuator External Interface Settings Response")};

static const EepItem items_dv[] = {
	E(0, "switch", "Switch to new output value"),
	E(1, "dimTimer1", "Dim to new output value - dim timer 1"),
	E(2, "dimTimer2", "Dim to new output value - dim timer 2"),
	E(3, "dimTimer3", "Dim to new output value - dim timer 3"),
	E(4, "stop", "Stop dimming"),
	ER(5, 7, "notUsed", "Not used"),
};
static const EepItem items_io[] = {
	E(30, "allChannels", "All output channels supported by the device"),
	E(31, "inputChannel", "Input channel (from mains supply)"),
};
static const EepItem items_io_response[] = {
	E(30, "notApplicable", "Not applicable, do not use"),
	E(31, "inputChannel", "Input channel (from mains supply)"),
};
static const EepItem items_ov[] = {
	ER(101, 126, "notUsed", "Not used"),
	E(127, "notValid", "Output value not valid / not applicable"),
};
static const EepItem items_taught[] = {
	E(0, "disable", "Disable taught-in devices (with different EEP)"),
	E(1, "enable", "Enable taught-in devices (with different EEP)"),
};
static const EepItem items_oc_set[] = {
	E(0, "staticOff", "Over current shut down: static off"),
	E(1, "automaticRestart", "Over current shut down: automatic restart"),
};
static const EepItem items_ro[] = {
	E(0, "notActive", "Reset over current shut down: not active"),
	E(1, "trigger", "Reset over current shut down: trigger signal"),
};
static const EepItem items_lc_set[] = {
	E(0, "disable", "Disable local control"),
	E(1, "enable", "Enable local control"),
};
static const EepItem items_dimtimer[] = {E(0, "notUsed", "Not used")};
static const EepItem items_dn[] = {
	E(0, "day", "User interface indication: day operation"),
	E(1, "night", "User interface indication: night operation"),
};
static const EepItem items_pf_set[] = {
	E(0, "disable", "Disable Power Failure Detection"),
	E(1, "enable", "Enable Power Failure Detection"),
};
static const EepItem items_ds[] = {
	E(0, "off", "Default state: 0% or OFF"),
	E(1, "on", "Default state: 100% or ON"),
	E(2, "previous", "Default state: remember previous state"),
	E(3, "notUsed", "Not used"),
};
static const EepItem items_pf[] = {
	E(0, "disabled", "Power Failure Detection disabled/not supported"),
	E(1, "enabled", "Power Failure Detection enabled"),
};
static const EepItem items_pfd[] = {
	E(0, "False", "Power Failure not detected/not supported/disabled"),
	E(1, "True", "Power Failure Detected"),
};
static const EepItem items_oc[] = {
	E(0, "ready", "Over current switch off: ready / not supported"),
	E(1, "executed", "Over current switch off: executed"),
};
static const EepItem items_el[] = {
	E(0, "hardwareOk", "Error level 0: hardware OK"),
	E(1, "hardwareWarning", "Error level 1: hardware warning"),
	E(2, "hardwareFailure", "Error level 2: hardware failure"),
	E(3, "notSupported", "Error level not supported"),
};
static const EepItem items_lc[] = {
	E(0, "disabled", "Local control disabled / not supported"),
	E(1, "enabled", "Local control enabled"),
};
static const EepItem items_rm[] = {
	E(0, "queryOnly", "Report measurement: query only"),
	E(1, "autoReporting", "Report measurement: query / auto reporting"),
};
static const EepItem items_re[] = {
	E(0, "notActive", "Reset measurement: not active"),
	E(1, "trigger", "Reset measurement: trigger signal"),
};
static const EepItem items_ep[] = {
	E(0, "energy", "Energy measurement"),
	E(1, "power", "Power measurement"),
};
static const EepItem items_un[] = {
	E(0, "energyWs", "Energy [Ws]"),
	E(1, "energyWh", "Energy [Wh]"),
	E(2, "energyKWh", "Energy [KWh]"),
	E(3, "powerW", "Power [W]"),
	E(4, "powerKW", "Power [KW]"),
	ER(5, 7, "notUsed", "Not used"),
};
static const char *const un_units[8] = {"Ws", "Wh", "kWh", "W", "kW", "", "", ""};
static const EepItem items_reserved0[] = {E(0, "reserved", "Reserved")};
static const EepItem items_qu[] = {
	E(0, "energy", "Query energy"),
	E(1, "power", "Query power"),
};
static const EepItem items_pm[] = {
	E(0, "off", "Off"),
	E(1, "comfort", "Comfort"),
	E(2, "eco", "Eco"),
	E(3, "antiFreeze", "Anti-freeze"),
	E(4, "comfort1", "Comfort-1"),
	E(5, "comfort2", "Comfort-2"),
};
static const EepItem items_timer[] = {
	E(0, "deactivated", "Timer deactivated"),
	E(0xFFFF, "noChange", "Does not modify saved value"),
};
static const EepItem items_ebm[] = {
	E(0, "notApplicable", "Not applicable"),
	E(1, "externalSwitch", "External Switch"),
	E(2, "externalPushButton", "External Push Button"),
	E(3, "autoDetect", "Auto detect"),
};
static const EepItem items_swt[] = {
	E(0, "changeOfKeyState", "Change of key state sets ON or OFF"),
	E(1, "specificPositions", "Specific ON/OFF positions. ON when contacts are closed. OFF when contacts are open."),
};

#define CMD_ID(items) ENUM(4, 4, "commandId", "Command ID", items)
#define IO_CH NUMX(11, 5, "ioChannel", "I/O channel", 0, 29, 0, 29, "", items_io, .flags = EEP_INT)
#define IO_CH_RESP NUMX(11, 5, "ioChannel", "I/O channel", 0, 29, 0, 29, "", items_io_response, .flags = EEP_INT)
#define DIM_TIMER(off, k, nm) NUMX(off, 4, k, nm, 1, 15, 0.5, 7.5, "s", items_dimtimer)
#define TIMER(off, k, nm) NUMX(off, 16, k, nm, 1, 65534, 0.1, 6553.4, "s", items_timer)

static const EepField f_d2_01_cmd1[] = {
	CMD_ID(items_cmd1),
	ENUM(8, 3, "dimValue", "Dim value", items_dv),
	IO_CH,
	NUMX(17, 7, "outputValue", "Output value", 0, 100, 0, 100, "%", items_ov),
};
static const EepField f_d2_01_cmd2[] = {
	ENUM(0, 1, "taughtInDevices", "Taught-in devices", items_taught),
	CMD_ID(items_cmd2),
	ENUM(8, 1, "overCurrent", "Over current shut down", items_oc_set),
	ENUM(9, 1, "resetOverCurrent", "Reset over current shut down", items_ro),
	ENUM(10, 1, "localControl", "Local control", items_lc_set),
	IO_CH,
	DIM_TIMER(16, "dimTimer2", "Dim timer 2"),
	DIM_TIMER(20, "dimTimer3", "Dim timer 3"),
	ENUM(24, 1, "userInterfaceIndication", "User interface indication", items_dn),
	ENUM(25, 1, "powerFailure", "Power Failure", items_pf_set),
	ENUM(26, 2, "defaultState", "Default state", items_ds),
	DIM_TIMER(28, "dimTimer1", "Dim timer 1"),
};
static const EepField f_d2_01_cmd3[] = {CMD_ID(items_cmd3), IO_CH};
static const EepField f_d2_01_cmd4[] = {
	ENUM(0, 1, "powerFailure", "Power Failure", items_pf),
	ENUM(1, 1, "powerFailureDetected", "Power Failure Detection", items_pfd),
	CMD_ID(items_cmd4),
	ENUM(8, 1, "overCurrent", "Over current switch off", items_oc),
	ENUM(9, 2, "errorLevel", "Error level", items_el),
	IO_CH_RESP,
	ENUM(16, 1, "localControl", "Local control", items_lc),
	NUMX(17, 7, "outputValue", "Output value", 0, 100, 0, 100, "%", items_ov),
};
static const EepField f_d2_01_cmd5[] = {
	CMD_ID(items_cmd5),
	ENUM(8, 1, "reportMeasurement", "Report measurement", items_rm),
	ENUM(9, 1, "resetMeasurement", "Reset measurement", items_re),
	ENUM(10, 1, "measurementMode", "Measurement mode", items_ep),
	IO_CH,
	ENUM(21, 3, "unit", "Unit", items_un),
	/* MD_MSB (DB3) followed by MD_LSB (DB4 high nibble): 12 bits */
	NUM(24, 8, "measurementDelta", "Measurement delta to be reported", 0, 4095, 0, 4095, "",
		.offset2 = 16, .size2 = 4, .flags = EEP_INT),
	NUMX(32, 8, "maxReportInterval", "Maximum time between two subsequent actuator messages",
		 1, 255, 10, 2550, "s", items_reserved0),
	NUMX(40, 8, "minReportInterval", "Minimum time between two subsequent actuator messages",
		 1, 255, 1, 255, "s", items_reserved0),
};
static const EepField f_d2_01_cmd6[] = {
	CMD_ID(items_cmd6),
	ENUM(10, 1, "query", "Query", items_qu),
	IO_CH,
};
static const EepField f_d2_01_cmd7[] = {
	CMD_ID(items_cmd7),
	ENUM(8, 3, "unit", "Unit", items_un),
	IO_CH_RESP,
	NUM(16, 32, "measurementValue", "Measurement value", 0, 4294967295.0, 0, 4294967295.0, NULL,
		.unit_offset = 8, .unit_size = 3, .units = un_units),
};
static const EepField f_d2_01_cmd8[] = {
	CMD_ID(items_cmd8),
	ENUM(13, 3, "pilotWireMode", "Pilotwire mode", items_pm),
};
static const EepField f_d2_01_cmd9[] = {CMD_ID(items_cmd9)};
static const EepField f_d2_01_cmda[] = {
	CMD_ID(items_cmda),
	ENUM(13, 3, "pilotWireMode", "Pilotwire mode", items_pm),
};
static const EepField f_d2_01_cmdb[] = {
	CMD_ID(items_cmdb),
	IO_CH,
	TIMER(16, "autoOffTimer", "Auto OFF Timer"),
	TIMER(32, "delayOffTimer", "Delay OFF Timer"),
	ENUM(48, 2, "externalSwitchPushButton", "External Switch/Push Button", items_ebm),
	ENUM(50, 1, "twoStateSwitch", "2-state switch", items_swt),
};
static const EepField f_d2_01_cmdc[] = {CMD_ID(items_cmdc), IO_CH};
static const EepField f_d2_01_cmdd[] = {
	CMD_ID(items_cmdd),
	IO_CH_RESP,
	TIMER(16, "autoOffTimer", "Auto OFF Timer"),
	TIMER(32, "delayOffTimer", "Delay OFF Timer"),
	ENUM(48, 2, "externalSwitchPushButton", "External Switch/Push Button", items_ebm),
	ENUM(50, 1, "twoStateSwitch", "2-state switch", items_swt),
};
static const EepCase c_d2_01[] = {
	CASE_CMD("CMD 0x1 - Actuator Set Output", f_d2_01_cmd1, 3, 4, 4, 0x1),
	CASE_CMD("CMD 0x2 - Actuator Set Local", f_d2_01_cmd2, 4, 4, 4, 0x2),
	CASE_CMD("CMD 0x3 - Actuator Status Query", f_d2_01_cmd3, 2, 4, 4, 0x3),
	CASE_CMD("CMD 0x4 - Actuator Status Response", f_d2_01_cmd4, 3, 4, 4, 0x4),
	CASE_CMD("CMD 0x5 - Actuator Set Measurement", f_d2_01_cmd5, 6, 4, 4, 0x5),
	CASE_CMD("CMD 0x6 - Actuator Measurement Query", f_d2_01_cmd6, 2, 4, 4, 0x6),
	CASE_CMD("CMD 0x7 - Actuator Measurement Response", f_d2_01_cmd7, 6, 4, 4, 0x7),
	CASE_CMD("CMD 0x8 - Actuator Set Pilot Wire Mode", f_d2_01_cmd8, 2, 4, 4, 0x8),
	CASE_CMD("CMD 0x9 - Actuator Pilot Wire Mode Query", f_d2_01_cmd9, 1, 4, 4, 0x9),
	CASE_CMD("CMD 0xA - Actuator Pilot Wire Mode Response", f_d2_01_cmda, 2, 4, 4, 0xA),
	CASE_CMD("CMD 0xB - Actuator Set External Interface Settings", f_d2_01_cmdb, 7, 4, 4, 0xB),
	CASE_CMD("CMD 0xC - Actuator External Interface Settings Query", f_d2_01_cmdc, 2, 4, 4, 0xC),
	CASE_CMD("CMD 0xD - Actuator External Interface Settings Response", f_d2_01_cmdd, 7, 4, 4, 0xD),
};

/* -------------------------------------------------------------- D2-03-00 */

/* the decrypted nibble of a secure PTM switch (FHEM's mapping) */
static const EepItem items_ptm_nibble[] = {
	E(1, "openFromTilted", "Window handle: open from tilted"),
	E(2, "closed", "Window handle: closed"),
	E(3, "open", "Window handle: open"),
	E(4, "tilted", "Window handle: tilted"),
	E(5, "AI+B0", "Buttons AI and B0 pressed"),
	E(6, "3or4Buttons", "3 or 4 buttons pressed"),
	E(7, "A0+B0", "Buttons A0 and B0 pressed"),
	E(8, "energyBowOnly", "Energy bow pressed without rocker"),
	E(9, "AI+BI", "Buttons AI and BI pressed"),
	E(10, "A0+BI", "Buttons A0 and BI pressed"),
	E(11, "BI", "Button BI pressed"),
	E(12, "B0", "Button B0 pressed"),
	E(13, "AI", "Button AI pressed"),
	E(14, "A0", "Button A0 pressed"),
	E(15, "released", "Energy Bow released"),
};
static const EepField f_d2_03_00[] = {
	ENUM(4, 4, "rockerAction", "Rocker action", items_ptm_nibble),
};
static const EepCase c_d2_03_00[] = {CASE(f_d2_03_00, 1)};

/* -------------------------------------------------------------- D2-05-00 */

static const EepItem items_pos_goto[] = {
	ER(101, 126, "reserved", "Reserved"),
	E(127, "noChange", "Do not change"),
};
static const EepItem items_pos_reply[] = {
	ER(101, 126, "reserved", "Reserved"),
	E(127, "unknown", "Unknown, will be known after the next goto command"),
};
static const EepItem items_repo[] = {
	E(0, "direct", "Go directly to POS/ANG"),
	E(1, "upFirst", "Go up (0%), then to POS/ANG"),
	E(2, "downFirst", "Go down (100%), then to POS/ANG"),
	ER(3, 7, "reserved", "Reserved"),
};
static const EepItem items_lock_goto[] = {
	E(0, "noChange", "Do not change"),
	E(1, "blockage", "Set blockage mode"),
	E(2, "alarm", "Set alarm mode"),
	ER(3, 6, "reserved", "Reserved"),
	E(7, "deblockage", "Deblockage"),
};
static const EepItem items_lock_reply[] = {
	E(0, "normal", "Normal (no lock)"),
	E(1, "blockage", "Blockage mode"),
	E(2, "alarm", "Alarm mode"),
	ER(3, 7, "reserved", "Reserved"),
};
static const EepItem items_chn[] = {
	E(0, "channel1", "Channel 1"),
	ER(1, 15, "reserved", "Reserved"),
};
static const EepItem items_bcmd1[] = {E(1, "goTo", "Goto command")};
static const EepItem items_bcmd2[] = {E(2, "stop", "Stop command")};
static const EepItem items_bcmd3[] = {E(3, "query", "Query command")};
static const EepItem items_bcmd4[] = {E(4, "reply", "Reply command")};
static const EepItem items_bcmd5[] = {E(5, "setParameters", "Set parameters command")};
static const EepItem items_vert[] = {
	ER(0, 499, "reserved", "Reserved"),
	E(0x7FFF, "noChange", "No change"),
};
static const EepItem items_rot[] = {
	E(0, "noRotation", "No rotation"),
	E(255, "noChange", "No change"),
};
static const EepItem items_aa[] = {
	E(0, "noAction", "No action"),
	E(1, "immediateStop", "Immediate stop"),
	E(2, "goUp", "Go up (0%)"),
	E(3, "goDown", "Go down (100%)"),
	ER(4, 6, "reserved", "Reserved"),
	E(7, "noChange", "No change"),
};
static const EepField f_d2_05_goto[] = {
	NUMX(1, 7, "position", "Position", 0, 100, 0, 100, "%", items_pos_goto),
	NUMX(9, 7, "angle", "Angle", 0, 100, 0, 100, "%", items_pos_goto),
	ENUM(17, 3, "repositioning", "Repositioning", items_repo),
	ENUM(21, 3, "lockingMode", "Locking modes", items_lock_goto),
	ENUM(24, 4, "channel", "Channel", items_chn),
	ENUM(28, 4, "commandId", "Command ID", items_bcmd1),
};
static const EepField f_d2_05_stop[] = {
	ENUM(0, 4, "channel", "Channel", items_chn),
	ENUM(4, 4, "commandId", "Command ID", items_bcmd2),
};
static const EepField f_d2_05_query[] = {
	ENUM(0, 4, "channel", "Channel", items_chn),
	ENUM(4, 4, "commandId", "Command ID", items_bcmd3),
};
static const EepField f_d2_05_reply[] = {
	NUMX(1, 7, "position", "Position", 0, 100, 0, 100, "%", items_pos_reply),
	NUMX(9, 7, "angle", "Angle", 0, 100, 0, 100, "%", items_pos_reply),
	ENUM(21, 3, "lockingMode", "Locking modes", items_lock_reply),
	ENUM(24, 4, "channel", "Channel", items_chn),
	ENUM(28, 4, "commandId", "Command ID", items_bcmd4),
};
static const EepField f_d2_05_params[] = {
	NUMX(1, 15, "verticalRunTime", "Set vertical", 500, 30000, 5000, 300000, "ms", items_vert),
	NUMX(16, 8, "rotationTime", "Set rotation", 1, 254, 10, 2540, "ms", items_rot),
	ENUM(29, 3, "alarmAction", "Set alarm action", items_aa),
	ENUM(32, 4, "channel", "Channel", items_chn),
	ENUM(36, 4, "commandId", "Command ID", items_bcmd5),
};
static const EepCase c_d2_05_00[] = {
	CASE_CMD("CMD 1 - Go to Position and Angle", f_d2_05_goto, 4, 28, 4, 1),
	CASE_CMD("CMD 2 - Stop", f_d2_05_stop, 1, 4, 4, 2),
	CASE_CMD("CMD 3 - Query Position and Angle", f_d2_05_query, 1, 4, 4, 3),
	CASE_CMD("CMD 4 - Reply Position and Angle", f_d2_05_reply, 4, 28, 4, 4),
	CASE_CMD("CMD 5 - Set parameters", f_d2_05_params, 5, 36, 4, 5),
};

/* -------------------------------------------------------------- D2-14-41 */

static const EepItem items_acc[] = {
	E(0, "heartbeat", "Heartbeat"),
	E(1, "threshold1Exceeded", "Threshold 1 exceeded"),
	E(2, "threshold2Exceeded", "Threshold 2 exceeded"),
};
static const EepItem items_window[] = {
	E(0, "open", "Window opened"),
	E(1, "closed", "Window closed"),
};
static const EepField f_d2_14_41[] = {
	NUM(0, 10, "temperature", "Temperature", 0, 1000, -40, 60, "°C"),
	NUM(10, 8, "humidity", "Relative humidity", 0, 200, 0, 100, "%"),
	NUM(18, 17, "illumination", "Illumination", 0, 100000, 0, 100000, "lx"),
	ENUM(35, 2, "accelerationStatus", "Acceleration status", items_acc),
	NUM(37, 10, "accelerationX", "Absolute acceleration X", 0, 1000, -2.5, 2.5, "g"),
	NUM(47, 10, "accelerationY", "Absolute acceleration Y", 0, 1000, -2.5, 2.5, "g"),
	NUM(57, 10, "accelerationZ", "Absolute acceleration Z", 0, 1000, -2.5, 2.5, "g"),
	ENUM(67, 1, "contact", "Contact", items_window),
};
static const EepCase c_d2_14_41[] = {CASE(f_d2_14_41, 9)};

/* ----------------------------------------------------------------- D2-32 */

static const double clamp_factors[2] = {1, 0.1};
static const EepItem items_pfail[] = {
	E(0, "False", "No power fail"),
	E(1, "True", "Power fail"),
};
static const EepItem items_clamp_div[] = {
	E(0, "x1", "Current x1"),
	E(1, "x/10", "Current /10"),
};
#define CLAMP(off, k, nm) \
	NUM(off, 12, k, nm, 0, 4095, 0, 4095, "A", .factor_offset = 1, .factor_size = 1, .factors = clamp_factors)
static const EepField f_d2_32_00[] = {
	ENUM(0, 1, "powerFail", "Power fail", items_pfail),
	ENUM(1, 1, "divisor", "Divisor", items_clamp_div),
	CLAMP(8, "current1", "Channel 1 current"),
};
static const EepField f_d2_32_01[] = {
	ENUM(0, 1, "powerFail", "Power fail", items_pfail),
	ENUM(1, 1, "divisor", "Divisor", items_clamp_div),
	CLAMP(8, "current1", "Channel 1 current"),
	CLAMP(20, "current2", "Channel 2 current"),
};
static const EepField f_d2_32_02[] = {
	ENUM(0, 1, "powerFail", "Power fail", items_pfail),
	ENUM(1, 1, "divisor", "Divisor", items_clamp_div),
	CLAMP(8, "current1", "Channel 1 current"),
	CLAMP(20, "current2", "Channel 2 current"),
	CLAMP(32, "current3", "Channel 3 current"),
};
static const EepCase c_d2_32_00[] = {CASE(f_d2_32_00, 3)};
static const EepCase c_d2_32_01[] = {CASE(f_d2_32_01, 4)};
static const EepCase c_d2_32_02[] = {CASE(f_d2_32_02, 6)};

/* ----------------------------------------------------------- the table */

#define PV(name, id, title) PROFILE(name, RORG_VLD, title, 0, c_##id)
#define D2_01(t, title) PV("D2-01-" t, d2_01, "Electronic switch/dimmer with energy measurement and local control, " title)

const EepProfile eep_table_vld[] = {
	D2_01("00", "type 0x00"),
	D2_01("01", "type 0x01"),
	D2_01("02", "type 0x02"),
	D2_01("03", "type 0x03"),
	D2_01("04", "type 0x04"),
	D2_01("05", "type 0x05"),
	D2_01("06", "type 0x06"),
	D2_01("07", "type 0x07"),
	D2_01("08", "type 0x08"),
	D2_01("09", "type 0x09"),
	D2_01("0A", "type 0x0A"),
	D2_01("0B", "type 0x0B"),
	D2_01("0C", "type 0x0C"),
	D2_01("0D", "type 0x0D"),
	D2_01("0E", "type 0x0E"),
	D2_01("0F", "type 0x0F"),
	D2_01("10", "type 0x10 (2 channels)"),
	D2_01("11", "type 0x11 (2 channels)"),
	D2_01("12", "type 0x12 (2 channels)"),
	D2_01("13", "type 0x13 (4 channels)"),
	D2_01("14", "type 0x14 (8 channels)"),
	PV("D2-03-00", d2_03_00, "Light, switching and blind control: secure PTM rocker (decrypted nibble)"),
	PV("D2-05-00", d2_05_00, "Blinds control for position and angle"),
	PV("D2-14-41", d2_14_41, "Indoor multisensor: temperature, humidity, XYZ acceleration, illumination, window contact"),
	PV("D2-32-00", d2_32_00, "AC current clamp, 1 channel"),
	PV("D2-32-01", d2_32_01, "AC current clamp, 2 channels"),
	PV("D2-32-02", d2_32_02, "AC current clamp, 3 channels"),
};
const int	eep_table_vld_count = ITEMS(eep_table_vld);
