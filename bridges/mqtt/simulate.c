/*
 * pgiot-simulate: N simulated MQTT devices (device mode) publishing JSON
 * data messages at a total rate, for demos, tests and benchmarks.  One
 * thread drives every connection with poll(); QoS 1 publications are
 * counted when the broker acknowledges them.
 *
 *   pgiot-simulate -k KEY [-h host] [-p port] [-n devices] [-m messages per
 *                  device] [-r total rate/s, 0 = as fast as possible]
 *                  [-q qos] [-i client-id prefix] [-s stream] [--cafile F]
 *                  [-t seconds to wait for acknowledgements]
 *
 * Each payload is {"streamId": S, "value": {"seq": n, "temp": t}} where
 * seq counts 1..m per device, so a store can be checked for loss and
 * duplicates.  It prints when publishing started (every device connected,
 * wall clock) and, last, "published P acknowledged A failed F".
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "bridges/common/pg.h"	/* mono_ms */

typedef struct Device
{
	struct mosquitto *mosq;
	int			index;
	int			sent;			/* publications handed to libmosquitto */
	int			acked;
	bool		connected;
	bool		failed;
} Device;

typedef struct Sim
{
	Device	   *devices;
	int			n;
	long long	acked;
	long long	failed;
} Sim;

static volatile sig_atomic_t interrupted = 0;

static void
on_sig(int s)
{
	interrupted = s;
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	Device	   *d = arg;

	if (rc != 0)
	{
		fprintf(stderr, "device %d refused: %s\n", d->index, mosquitto_connack_string(rc));
		d->failed = true;
		return;
	}
	d->connected = true;
}

static void
on_publish(struct mosquitto *m, void *arg, int mid)
{
	Device	   *d = arg;

	d->acked++;
}

static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	Device	   *d = arg;

	d->connected = false;
	if (rc != 0 && !interrupted)
	{
		fprintf(stderr, "device %d lost its connection: %s\n", d->index, mosquitto_strerror(rc));
		d->failed = true;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: pgiot-simulate -k API_KEY [-h host] [-p port] [-n devices] [-m messages]\n"
			"                      [-r rate] [-q qos] [-i prefix] [-s stream] [--cafile F] [-t wait]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1",
			   *key = NULL,
			   *prefix = "urn:lo:nsid:sim:dev",
			   *stream = "sim",
			   *cafile = NULL;
	int			port = 1883,
				n = 10,
				messages = 10,
				qos = 1,
				wait_s = 60;
	double		rate = 0;
	static struct option longopts[] = {{"cafile", required_argument, NULL, 'C'}, {NULL, 0, NULL, 0}};
	int			c;
	Sim			sim;
	long long	start,
				total,
				published = 0;
	struct timespec publishing = {0, 0};	/* wall clock when every device was connected */
	struct pollfd *fds;
	int		   *owner;

	while ((c = getopt_long(argc, argv, "h:p:k:n:m:r:q:i:s:t:", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'h': host = optarg; break;
			case 'p': port = atoi(optarg); break;
			case 'k': key = optarg; break;
			case 'n': n = atoi(optarg); break;
			case 'm': messages = atoi(optarg); break;
			case 'r': rate = atof(optarg); break;
			case 'q': qos = atoi(optarg); break;
			case 'i': prefix = optarg; break;
			case 's': stream = optarg; break;
			case 't': wait_s = atoi(optarg); break;
			case 'C': cafile = optarg; break;
			default: usage();
		}
	}
	if (key == NULL || n < 1 || messages < 0 || qos < 0 || qos > 1 || port < 1)
		usage();
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGPIPE, SIG_IGN);
	mosquitto_lib_init();
	memset(&sim, 0, sizeof(sim));
	sim.n = n;
	sim.devices = calloc((size_t) n, sizeof(Device));
	fds = calloc((size_t) n, sizeof(struct pollfd));
	owner = calloc((size_t) n, sizeof(int));
	for (int i = 0; i < n; i++)
	{
		Device	   *d = &sim.devices[i];
		char		id[300];
		int			rc;

		d->index = i;
		snprintf(id, sizeof(id), "%s%d", prefix, i);
		d->mosq = mosquitto_new(id, true, d);
		mosquitto_int_option(d->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
		mosquitto_username_pw_set(d->mosq, "json+device", key);
		mosquitto_max_inflight_messages_set(d->mosq, 100);
		if (cafile && (rc = mosquitto_tls_set(d->mosq, cafile, NULL, NULL, NULL, NULL)) != MOSQ_ERR_SUCCESS)
		{
			fprintf(stderr, "tls: %s\n", mosquitto_strerror(rc));
			return 2;
		}
		mosquitto_connect_callback_set(d->mosq, on_connect);
		mosquitto_publish_callback_set(d->mosq, on_publish);
		mosquitto_disconnect_callback_set(d->mosq, on_disconnect);
		if ((rc = mosquitto_connect(d->mosq, host, port, 60)) != MOSQ_ERR_SUCCESS)
		{
			fprintf(stderr, "device %d cannot connect: %s\n", i,
					rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			d->failed = true;
		}
	}
	total = (long long) n * messages;
	start = mono_ms();
	for (;;)
	{
		int			nfds = 0;
		long long	due;
		bool		all_connected = true,
					done;
		long long	acked = 0;

		for (int i = 0; i < n; i++)
		{
			Device	   *d = &sim.devices[i];
			int			s = mosquitto_socket(d->mosq);

			acked += d->acked;
			if (!d->connected && !d->failed)
				all_connected = false;
			if (s < 0 || d->failed)
				continue;
			fds[nfds].fd = s;
			fds[nfds].events = POLLIN | (mosquitto_want_write(d->mosq) ? POLLOUT : 0);
			fds[nfds].revents = 0;
			owner[nfds++] = i;
		}
		sim.acked = acked;
		done = published >= total && (qos == 0 || acked >= published);
		if (done || interrupted || mono_ms() - start > (long long) wait_s * 1000 + (rate > 0 ? (long long) (total / rate * 1000) : 0))
			break;
		if (poll(fds, nfds, 5) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < nfds; k++)
		{
			Device	   *d = &sim.devices[owner[k]];

			if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
				mosquitto_loop_read(d->mosq, 1);
			if (fds[k].revents & POLLOUT)
				mosquitto_loop_write(d->mosq, 1);
		}
		for (int i = 0; i < n; i++)
			mosquitto_loop_misc(sim.devices[i].mosq);
		if (!all_connected)
			continue;
		if (publishing.tv_sec == 0)
		{
			clock_gettime(CLOCK_REALTIME, &publishing);
			start = mono_ms();	/* the rate counts from here */
		}
		/* publish what the rate allows so far, round-robin over the devices */
		due = rate > 0 ? (long long) ((mono_ms() - start) / 1000.0 * rate) : total;
		if (due > total)
			due = total;
		while (published < due)
		{
			Device	   *d = &sim.devices[published % n];
			char		payload[256];
			int			len;

			if (d->failed || !d->connected || d->sent >= messages)
			{
				published++;	/* a dead device's share is counted as not acknowledged */
				sim.failed++;
				continue;
			}
			if (qos == 1 && d->sent - d->acked >= 100)
				break;			/* let the broker catch up */
			d->sent++;
			len = snprintf(payload, sizeof(payload),
						   "{\"streamId\":\"%s\",\"value\":{\"seq\":%d,\"temp\":%.1f}}", stream, d->sent,
						   15.0 + (d->sent % 100) / 10.0);
			if (mosquitto_publish(d->mosq, NULL, "dev/data", len, payload, qos, false) != MOSQ_ERR_SUCCESS)
			{
				d->sent--;
				break;
			}
			published++;
			if (rate == 0 && published % n == 0)
				break;			/* give the sockets a turn */
		}
	}
	{
		long long	acked = 0;
		double		secs = (mono_ms() - start) / 1000.0;

		for (int i = 0; i < n; i++)
		{
			acked += sim.devices[i].acked;
			mosquitto_disconnect(sim.devices[i].mosq);
			mosquitto_loop_write(sim.devices[i].mosq, 1);
			mosquitto_destroy(sim.devices[i].mosq);
		}
		if (qos == 0)
			acked = published - sim.failed;
		printf("devices %d seconds %.2f rate %.0f/s\n", n, secs, secs > 0 ? acked / secs : 0);
		printf("publishing started at %ld.%03ld\n", (long) publishing.tv_sec, publishing.tv_nsec / 1000000);
		printf("published %lld acknowledged %lld failed %lld\n", published - sim.failed, acked, sim.failed);
		mosquitto_lib_cleanup();
		return acked == total ? 0 : 1;
	}
}
