/*
 * signal.c: the signal telegram's MID table as data, decoded by the EEP
 * engine.  The first field of every case is the MID itself, printed as
 * the connector prints it ("0x6": lower-case hex, no padding) with the
 * MID's meaning; the payload fields follow.  MIDs without payload, or
 * with an unverified one (0x09, 0x11, 0x12), and unknown MIDs report the
 * identifier only.
 */
#include "signal.h"

#include "eep_tables.h"

static const EepItem items_mid[] = {
	E(0x01, NULL, "Smart Ack: mailbox of the client is empty"),
	E(0x02, NULL, "Smart Ack: mailbox does not exist"),
	E(0x03, NULL, "Smart Ack: reset, the client shall send a new learn request"),
	E(0x04, NULL, "Trigger: request the device to send a status message"),
	E(0x05, NULL, "Last unicast message acknowledged"),
	E(0x06, NULL, "Energy status of device"),
	E(0x07, NULL, "Revision of device"),
	E(0x08, NULL, "Heartbeat"),
	E(0x09, NULL, "RX window open"),
	E(0x0A, NULL, "RX channel quality"),
	E(0x0B, NULL, "Duty-cycle status"),
	E(0x0C, NULL, "Configuration of the device changed"),
	E(0x0D, NULL, "Energy delivery of the harvester"),
	E(0x0E, NULL, "Radio transmitter disabled"),
	E(0x0F, NULL, "Radio transmitter enabled"),
	E(0x10, NULL, "Backup battery status"),
	E(0x11, NULL, "Learn mode status"),
	E(0x12, NULL, "Product ID"),
	ER(0x13, 0xFF, NULL, "Reserved signal"),
	E(0x00, NULL, "Reserved signal"),
};
#define MID ENUM(0, 8, "signalIdentifier", "Message identifier", items_mid, .flags = EEP_HEX)

static const EepItem items_trigger[] = {
	E(0, "eepData", "EEP data telegram"),
	E(1, "energyStatus", "Energy status (MID 0x06)"),
	E(2, "revision", "Revision (MID 0x07)"),
	E(3, "rxChannelQuality", "RX channel quality (MID 0x0A)"),
	E(4, "harvesterStatus", "Harvester status (MID 0x0D)"),
};
static const EepItem items_duty[] = {
	E(0, "limitReached", "Duty-cycle limit reached, no more transmissions"),
	E(1, "available", "Duty cycle available"),
};
static const EepItem items_harvester[] = {
	E(0, "veryGood", "Very good"),
	E(1, "good", "Good"),
	E(2, "average", "Average"),
	E(3, "bad", "Bad"),
	E(4, "notSufficient", "Not sufficient"),
};
static const EepItem items_backup[] = {
	ER(101, 254, "reserved", "Reserved"),
	E(255, "noBackupBattery", "No backup battery"),
};
static const EepItem items_version[] = {ER(0, 0xFFFFFFFF, NULL, NULL)};

static const EepField f_mid_only[] = {MID};
static const EepField f_trigger[] = {
	MID,
	ENUM(8, 8, "requestedMessage", "Requested message", items_trigger),
};
static const EepField f_energy[] = {
	MID,
	NUM(8, 8, "energy", "Remaining energy", 0, 100, 0, 100, "%"),
};
static const EepField f_revision[] = {
	MID,
	ENUM(8, 32, "softwareVersion", "Software version", items_version, .flags = EEP_DOTTED),
	ENUM(40, 32, "hardwareVersion", "Hardware version", items_version, .flags = EEP_DOTTED),
};
static const EepField f_quality[] = {
	MID,
	ENUM(8, 32, "telegramId", "Telegram ID", items_version, .flags = EEP_HEX),
	NUM(40, 8, "worstRssi", "Worst RSSI", 0, 255, 0, -255, "dBm", .flags = EEP_INT),
	NUM(48, 8, "bestRssi", "Best RSSI", 0, 255, 0, -255, "dBm", .flags = EEP_INT),
	NUM(56, 4, "subtelegramCount", "Subtelegram count", 0, 15, 0, 15, "", .flags = EEP_INT),
	NUM(60, 4, "maxRepeaterLevel", "Max repeater level", 0, 15, 0, 15, "", .flags = EEP_INT),
};
static const EepField f_duty[] = {
	MID,
	ENUM(12, 4, "dutyCycle", "Duty-cycle status", items_duty),
};
static const EepField f_harvester[] = {
	MID,
	ENUM(8, 8, "harvester", "Energy delivery of the harvester", items_harvester),
};
static const EepField f_backup[] = {
	MID,
	NUMX(8, 8, "backupBattery", "Backup battery", 0, 100, 0, 100, "%", items_backup),
};

/* any length from the MID on: the fields' bounds are checked when decoding */
#define SIG(mid, title_, fl) \
	{ .title = (title_), .t21 = -1, .nu = -1, .len_min = 1, .len_max = 255, \
	  .sel_offset = 0, .sel_size = 8, .sel_value = (mid), .fields = (fl), .nfields = ITEMS(fl) }
static const EepCase c_signal[] = {
	SIG(0x04, "MID 0x04 trigger", f_trigger),
	SIG(0x06, "MID 0x06 energy status", f_energy),
	SIG(0x07, "MID 0x07 revision", f_revision),
	SIG(0x0A, "MID 0x0A RX channel quality", f_quality),
	SIG(0x0B, "MID 0x0B duty cycle", f_duty),
	SIG(0x0D, "MID 0x0D harvester", f_harvester),
	SIG(0x10, "MID 0x10 backup battery", f_backup),
	/* every other MID: the identifier alone */
	{.title = "other MIDs", .t21 = -1, .nu = -1, .len_min = 1, .len_max = 255,
	.fields = f_mid_only, .nfields = ITEMS(f_mid_only)},
};
#undef SIG

const EepProfile eno_signal_profile = {
	"D0-00-00", RORG_SIGNAL, "Signal telegram (MID table)", 0, c_signal, ITEMS(c_signal)
};

EnoErrorKind
eno_signal_decode(const uint8_t *payload, size_t len, EepResult *r, EnoError *err)
{
	if (len == 0)
	{
		r->profile = &eno_signal_profile;
		r->n = 0;
		r->teach_in = false;
		return eno_fail(err, ENO_ERR_EEP_DECODE, 1, "signal telegram lacks its MID");
	}
	return eep_decode(&eno_signal_profile, payload, len, 0, r, err);
}
