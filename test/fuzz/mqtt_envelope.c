/*
 * Fuzz target: MQTT topic classification and the bridge's envelope
 * builder.  Input: one byte of mode, the topic up to a NUL, the payload.
 * Every envelope the builder accepts must be valid JSON (it is embedded
 * in the batch sent to PostgreSQL); topics must classify without fault.
 *
 * FUZZ_SOURCES: bridges/mqtt/envelope.c bridges/common/topics.c bridges/common/strbuf.c
 * FUZZ_LIBS: -ljansson -lm
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridges/mqtt/envelope.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Pattern patterns[2] = {{"sensor/+/telemetry", PATTERN_IOTC}, {"$aws/rules/#", PATTERN_AWS_RULE}};
	UpTopic		up;
	const uint8_t *nul;
	size_t		tlen;
	StrBuf		out;
	char		err[512];
	EnvKind		k;
	char	   *topic;

	if (size < 2)
		return 0;
	nul = memchr(data + 1, 0, size - 1);
	if (nul == NULL)
		return 0;
	tlen = (size_t) (nul - (data + 1));
	topic = malloc(tlen + 1);
	memcpy(topic, data + 1, tlen);
	topic[tlen] = '\0';

	memset(&up, 0, sizeof(up));
	strcpy(up.tenant, "00000000-0000-0000-0000-000000000001");
	strcpy(up.key_id, "k");
	strcpy(up.client_id, "urn:lo:nsid:fuzz:1");
	up.mode = (MqttMode) (1 + data[0] % 3);
	up.topic = topic;

	/* the plugin's checks on the same input */
	{
		int			caps;
		const char *fifo;
		size_t		fifolen;
		UpTopic		parsed;
		DownTopic	down;

		mqtt_subscribe_allowed(up.mode, topic, up.client_id, &caps, &fifo, &fifolen);
		mqtt_filter_match(topic, "dev/data");
		mqtt_filter_match("dev/#", topic);
		mqtt_up_topic_parse(topic, &parsed);
		mqtt_down_topic_parse(topic, &down);
	}

	sb_init(&out);
	k = envelope_build(&up, patterns, 2, nul + 1, size - tlen - 2, "2030-01-01T00:00:00.000Z", &out, err,
					   sizeof(err));
	if (k != ENV_REJECT)
	{
		json_error_t e;
		json_t	   *j = json_loadb(out.data, out.len, JSON_DECODE_INT_AS_REAL, &e);

		if (j == NULL)
		{
			fprintf(stderr, "invalid envelope (%s): %.*s\n", e.text, (int) out.len, out.data);
			abort();
		}
		json_decref(j);
	}
	else if (err[0] == '\0')
	{
		fprintf(stderr, "a reject without a reason\n");
		abort();
	}
	sb_free(&out);
	free(topic);
	return 0;
}
