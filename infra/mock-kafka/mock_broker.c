/*
 * mock_broker: a standalone Kafka-protocol broker for clvstream's tests.
 *
 * It hosts librdkafka's in-process mock cluster (rdkafka_mock.h) in its own
 * process so that non-librdkafka clients (kafkajs) can talk to it over TCP,
 * and adds a loopback line-protocol "control channel" so tests can create
 * topics and inject faults (the mock implements no CreateTopics/DeleteTopics
 * Kafka APIs, so topic management has to go through the mock API).
 *
 * See README.md next to this file for the build, the quirks and the control
 * protocol. Usage: mock_broker --help
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "rdkafka.h"
#include "rdkafka_mock.h"

#define MAX_BROKERS 16
#define MAX_CLIENTS 32
#define MAX_LINE 4096
#define MAX_TOPICS_ARG 64
#define MAX_ERRS 64
#define MAX_TOKENS (4 + MAX_ERRS)

/* Kafka ApiKey numbers we accept by name in `request_errors`, so tests can
 * write `request_errors Produce NOT_LEADER_FOR_PARTITION` instead of magic
 * numbers. Numbers are always accepted too. */
static const struct {
        const char *name;
        int16_t key;
} api_names[] = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"ApiVersions", 18},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25}, {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

struct client {
        int fd;            /* -1 when the slot is free */
        size_t len;        /* bytes buffered in line[] */
        char line[MAX_LINE];
};

static struct {
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        int broker_cnt;
        int default_partitions;
        int default_replication;
        int listen_fd;
        struct client clients[MAX_CLIENTS];
        volatile sig_atomic_t stop;
        int sig_pipe[2];
} g;

static void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "mock_broker: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
        exit(1);
}

static void on_signal(int sig) {
        int saved = errno;
        (void)sig;
        g.stop = 1;
        /* Wake poll(); the write can only fail if the pipe is full, in which
         * case a wake-up is already pending. */
        if (write(g.sig_pipe[1], "x", 1) < 0) {
        }
        errno = saved;
}

/* Strict integer parsing: the control channel is used by tests, and a typo
 * silently becoming 0 (atoi) would make a fault injection target the wrong
 * thing and the test pass for the wrong reason. */
static int parse_int(const char *s, long min, long max, long *out) {
        char *end;
        long v;
        if (!s || !*s)
                return -1;
        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

static int parse_apikey(const char *s, int16_t *out) {
        long v;
        size_t i;
        if (!parse_int(s, 0, 32767, &v)) {
                *out = (int16_t)v;
                return 0;
        }
        for (i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++) {
                if (!strcasecmp(s, api_names[i].name)) {
                        *out = api_names[i].key;
                        return 0;
                }
        }
        return -1;
}

/* Error codes by number (e.g. 6) or by librdkafka name sans prefix
 * (e.g. NOT_LEADER_FOR_PARTITION). */
static int parse_errcode(const char *s, rd_kafka_resp_err_t *out) {
        const struct rd_kafka_err_desc *descs;
        size_t cnt, i;
        long v;
        if (!parse_int(s, -200, 1000, &v)) {
                *out = (rd_kafka_resp_err_t)v;
                return 0;
        }
        rd_kafka_get_err_descs(&descs, &cnt);
        for (i = 0; i < cnt; i++) {
                /* The table has holes (NULL names) for unused codes. */
                if (descs[i].name && !strcasecmp(s, descs[i].name)) {
                        *out = descs[i].code;
                        return 0;
                }
        }
        return -1;
}

static int broker_known(long id) {
        return id >= 1 && id <= g.broker_cnt;
}

static int create_topic(const char *name, int partitions, int replication,
                        char *reply, size_t reply_size) {
        rd_kafka_resp_err_t err;
        size_t len = strlen(name);
        /* The mock accepts any name; a real broker only [a-zA-Z0-9._-]{1,249}.
         * Enforce Kafka's rule so tests cannot come to rely on names that
         * production would reject. */
        if (len == 0 || len > 249 ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789._-") != len) {
                snprintf(reply, reply_size, "err INVALID_TOPIC_EXCEPTION "
                                            "invalid topic name");
                return -1;
        }
        err = rd_kafka_mock_topic_create(g.mc, name, partitions, replication);
        if (err) {
                snprintf(reply, reply_size, "err %s %s", rd_kafka_err2name(err),
                         rd_kafka_err2str(err));
                return -1;
        }
        snprintf(reply, reply_size, "ok %s %d %d", name, partitions,
                 replication);
        return 0;
}

/* Turns a librdkafka result into the reply line. */
static void reply_err(char *reply, size_t size, rd_kafka_resp_err_t err,
                      const char *ok_text) {
        if (err)
                snprintf(reply, size, "err %s %s", rd_kafka_err2name(err),
                         rd_kafka_err2str(err));
        else
                snprintf(reply, size, "ok%s%s", *ok_text ? " " : "", ok_text);
}

/*
 * Executes one command line and writes exactly one reply line (without the
 * newline) into reply. Returns 1 if the server should shut down.
 */
static int run_command(char *line, char *reply, size_t size) {
        char *tok[MAX_TOKENS];
        int n = 0;
        char *save = NULL, *t;
        long a, b, c;

        for (t = strtok_r(line, " \t", &save); t && n < MAX_TOKENS;
             t = strtok_r(NULL, " \t", &save))
                tok[n++] = t;
        if (t) {
                snprintf(reply, size, "err BAD_REQUEST too many arguments");
                return 0;
        }
        if (n == 0) {
                snprintf(reply, size, "err BAD_REQUEST empty command");
                return 0;
        }

        if (!strcmp(tok[0], "ping") && n == 1) {
                snprintf(reply, size, "ok pong");

        } else if (!strcmp(tok[0], "help") && n == 1) {
                snprintf(reply, size,
                         "ok ping brokers bootstraps topic_create topic_delete "
                         "broker_down broker_up broker_rtt request_errors "
                         "clear_request_errors partition_leader coordinator "
                         "shutdown");

        } else if (!strcmp(tok[0], "brokers") && n == 1) {
                size_t of = (size_t)snprintf(reply, size, "ok");
                int id;
                for (id = 1; id <= g.broker_cnt && of < size; id++)
                        of += (size_t)snprintf(reply + of, size - of, " %d",
                                               id);

        } else if (!strcmp(tok[0], "bootstraps") && n == 1) {
                snprintf(reply, size, "ok %s",
                         rd_kafka_mock_cluster_bootstraps(g.mc));

        } else if (!strcmp(tok[0], "topic_create") && n >= 2 && n <= 4) {
                a = g.default_partitions;
                b = g.default_replication;
                if ((n >= 3 && parse_int(tok[2], 1, 10000, &a)) ||
                    (n >= 4 && parse_int(tok[3], 1, g.broker_cnt, &b))) {
                        snprintf(reply, size,
                                 "err BAD_REQUEST usage: topic_create <name> "
                                 "[<partitions> [<replication 1..%d>]]",
                                 g.broker_cnt);
                        return 0;
                }
                create_topic(tok[1], (int)a, (int)b, reply, size);

        } else if (!strcmp(tok[0], "topic_delete") && n == 2) {
                reply_err(reply, size,
                          rd_kafka_mock_topic_delete(g.mc, tok[1]), tok[1]);

        } else if ((!strcmp(tok[0], "broker_down") ||
                    !strcmp(tok[0], "broker_up")) &&
                   n == 2) {
                rd_kafka_resp_err_t err;
                int up = !strcmp(tok[0], "broker_up");
                if (parse_int(tok[1], 1, MAX_BROKERS, &a) || !broker_known(a)) {
                        snprintf(reply, size, "err BAD_REQUEST unknown broker "
                                              "id");
                        return 0;
                }
                err = up ? rd_kafka_mock_broker_set_up(g.mc, (int32_t)a)
                         : rd_kafka_mock_broker_set_down(g.mc, (int32_t)a);
                reply_err(reply, size, err, tok[1]);

        } else if (!strcmp(tok[0], "broker_rtt") && n == 3) {
                if (parse_int(tok[1], 1, MAX_BROKERS, &a) || !broker_known(a) ||
                    parse_int(tok[2], 0, 600000, &b)) {
                        snprintf(reply, size, "err BAD_REQUEST usage: "
                                              "broker_rtt <id> <ms>");
                        return 0;
                }
                reply_err(reply, size,
                          rd_kafka_mock_broker_set_rtt(g.mc, (int32_t)a,
                                                       (int)b),
                          "");

        } else if (!strcmp(tok[0], "request_errors") && n >= 3) {
                rd_kafka_resp_err_t errs[MAX_ERRS];
                int16_t apikey;
                int i;
                if (parse_apikey(tok[1], &apikey)) {
                        snprintf(reply, size, "err BAD_REQUEST unknown apikey "
                                              "%s", tok[1]);
                        return 0;
                }
                for (i = 2; i < n; i++) {
                        if (parse_errcode(tok[i], &errs[i - 2])) {
                                snprintf(reply, size, "err BAD_REQUEST unknown "
                                                      "error code %s", tok[i]);
                                return 0;
                        }
                }
                /* Errors are consumed one per request of this ApiKey, on any
                 * broker, in push order. */
                rd_kafka_mock_push_request_errors_array(g.mc, apikey,
                                                        (size_t)(n - 2), errs);
                snprintf(reply, size, "ok %d %d", apikey, n - 2);

        } else if (!strcmp(tok[0], "clear_request_errors") && n == 2) {
                int16_t apikey;
                if (parse_apikey(tok[1], &apikey)) {
                        snprintf(reply, size, "err BAD_REQUEST unknown apikey "
                                              "%s", tok[1]);
                        return 0;
                }
                rd_kafka_mock_clear_request_errors(g.mc, apikey);
                snprintf(reply, size, "ok %d", apikey);

        } else if (!strcmp(tok[0], "partition_leader") && n == 4) {
                /* -1 means "no leader" (LEADER_NOT_AVAILABLE for clients). */
                if (parse_int(tok[2], 0, INT32_MAX, &a) ||
                    parse_int(tok[3], -1, MAX_BROKERS, &b) ||
                    (b != -1 && !broker_known(b))) {
                        snprintf(reply, size, "err BAD_REQUEST usage: "
                                              "partition_leader <topic> "
                                              "<partition> <broker|-1>");
                        return 0;
                }
                reply_err(reply, size,
                          rd_kafka_mock_partition_set_leader(
                              g.mc, tok[1], (int32_t)a, (int32_t)b),
                          "");

        } else if (!strcmp(tok[0], "coordinator") && n == 4) {
                /* The mock does not validate the broker id; a coordinator on
                 * a nonexistent broker would just hang clients. */
                if ((strcmp(tok[1], "group") &&
                     strcmp(tok[1], "transaction")) ||
                    parse_int(tok[3], 1, MAX_BROKERS, &c) || !broker_known(c)) {
                        snprintf(reply, size, "err BAD_REQUEST usage: "
                                              "coordinator group|transaction "
                                              "<key> <broker>");
                        return 0;
                }
                reply_err(reply, size,
                          rd_kafka_mock_coordinator_set(g.mc, tok[1], tok[2],
                                                        (int32_t)c),
                          "");

        } else if (!strcmp(tok[0], "shutdown") && n == 1) {
                snprintf(reply, size, "ok bye");
                return 1;

        } else {
                snprintf(reply, size, "err BAD_REQUEST unknown command or "
                                      "wrong argument count (try: help)");
        }
        return 0;
}

static void client_close(struct client *cl) {
        close(cl->fd);
        cl->fd  = -1;
        cl->len = 0;
}

static void client_send(struct client *cl, const char *reply) {
        char buf[MAX_LINE + 2];
        int len = snprintf(buf, sizeof(buf), "%s\n", reply);
        size_t off = 0;
        if (len < 0)
                return;
        if ((size_t)len >= sizeof(buf))
                len = (int)sizeof(buf) - 1;
        /* Replies are tiny, so a blocking send completes at once unless the
         * peer has stopped reading entirely; MSG_NOSIGNAL keeps a vanished
         * peer from killing us with SIGPIPE. */
        while (off < (size_t)len) {
                ssize_t r = send(cl->fd, buf + off, (size_t)len - off,
                                 MSG_NOSIGNAL);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        client_close(cl);
                        return;
                }
                off += (size_t)r;
        }
}

/* Reads what is available and runs every complete line.
 * Returns 1 if a shutdown was requested. */
static int client_read(struct client *cl) {
        char reply[MAX_LINE];
        ssize_t r;
        char *nl;

        r = recv(cl->fd, cl->line + cl->len, sizeof(cl->line) - cl->len, 0);
        if (r < 0 && errno == EINTR)
                return 0;
        if (r <= 0) {
                client_close(cl);
                return 0;
        }
        cl->len += (size_t)r;

        while (cl->fd != -1 && (nl = memchr(cl->line, '\n', cl->len))) {
                size_t linelen = (size_t)(nl - cl->line);
                char logged[MAX_LINE];
                int stop_requested;
                *nl = '\0';
                if (linelen > 0 && cl->line[linelen - 1] == '\r')
                        cl->line[linelen - 1] = '\0';
                /* run_command() tokenizes in place; keep the text for the
                 * log, which is how a failing test's faults can be traced. */
                snprintf(logged, sizeof(logged), "%s", cl->line);
                stop_requested = run_command(cl->line, reply, sizeof(reply));
                fprintf(stderr, "mock_broker: control: %s -> %s\n", logged,
                        reply);
                client_send(cl, reply);
                if (stop_requested)
                        return 1;
                if (cl->fd == -1)
                        return 0;
                cl->len -= linelen + 1;
                memmove(cl->line, nl + 1, cl->len);
        }

        if (cl->len == sizeof(cl->line)) {
                /* No newline within MAX_LINE bytes: not our protocol. */
                client_send(cl, "err BAD_REQUEST line too long");
                if (cl->fd != -1)
                        client_close(cl);
        }
        return 0;
}

static int control_listen(int port, int *bound_port) {
        struct sockaddr_in sin;
        socklen_t len = sizeof(sin);
        int on        = 1;
        int fd        = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        memset(&sin, 0, sizeof(sin));
        sin.sin_family      = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never off-host */
        sin.sin_port        = htons((uint16_t)port);
        if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
            listen(fd, 16) < 0 ||
            getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
                close(fd);
                return -1;
        }
        *bound_port = ntohs(sin.sin_port);
        return fd;
}

static void serve(void) {
        struct pollfd pfds[2 + MAX_CLIENTS];
        int idx[2 + MAX_CLIENTS];
        int i;

        for (i = 0; i < MAX_CLIENTS; i++)
                g.clients[i].fd = -1;

        while (!g.stop) {
                int n = 0, r;
                pfds[n].fd       = g.sig_pipe[0];
                pfds[n++].events = POLLIN;
                pfds[n].fd       = g.listen_fd;
                pfds[n++].events = POLLIN;
                for (i = 0; i < MAX_CLIENTS; i++) {
                        if (g.clients[i].fd == -1)
                                continue;
                        idx[n]           = i;
                        pfds[n].fd       = g.clients[i].fd;
                        pfds[n++].events = POLLIN;
                }

                r = poll(pfds, (nfds_t)n, -1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        die("poll: %s", strerror(errno));
                }

                if (pfds[1].revents & POLLIN) {
                        int fd = accept(g.listen_fd, NULL, NULL);
                        if (fd >= 0) {
                                for (i = 0; i < MAX_CLIENTS; i++)
                                        if (g.clients[i].fd == -1)
                                                break;
                                if (i == MAX_CLIENTS) {
                                        /* Refuse rather than grow: tests
                                         * open one short-lived connection
                                         * per command. */
                                        const char *m =
                                            "err BUSY too many clients\n";
                                        if (send(fd, m, strlen(m),
                                                 MSG_NOSIGNAL) < 0) {
                                        }
                                        close(fd);
                                } else {
                                        g.clients[i].fd  = fd;
                                        g.clients[i].len = 0;
                                }
                        }
                }

                for (i = 2; i < n; i++) {
                        struct client *cl = &g.clients[idx[i]];
                        if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        if (cl->fd != pfds[i].fd)
                                continue; /* slot reused this round */
                        if (client_read(cl))
                                g.stop = 1;
                }
        }
}

/* Written via rename so readers never see a half-written file. */
static void write_env_file(const char *path, const char *bootstraps,
                           int control_port) {
        char tmp[PATH_MAX];
        FILE *fp;
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
                             (int)getpid()) >= sizeof(tmp))
                die("env file path too long");
        if (!(fp = fopen(tmp, "w")))
                die("cannot write %s: %s", tmp, strerror(errno));
        fprintf(fp, "KAFKA_BROKERS=%s\n", bootstraps);
        fprintf(fp, "KAFKA_MOCK_CONTROL=127.0.0.1:%d\n", control_port);
        fprintf(fp, "KAFKA_MOCK_PID=%d\n", (int)getpid());
        if (fclose(fp) != 0 || rename(tmp, path) != 0)
                die("cannot write %s: %s", path, strerror(errno));
}

static void usage(const char *argv0) {
        fprintf(stderr,
                "Usage: %s [options]\n"
                "  --brokers N            number of brokers, ids 1..N "
                "(default 3, max %d)\n"
                "  --partitions N         partitions for --topic and "
                "topic_create without a count (default 3)\n"
                "  --replication N        replication factor default "
                "(default min(3, brokers))\n"
                "  --topic NAME[:P[:R]]   create a topic at start "
                "(repeatable)\n"
                "  --control-port N       control channel port on 127.0.0.1 "
                "(default 0 = ephemeral)\n"
                "  --env-file PATH        write KAFKA_BROKERS / "
                "KAFKA_MOCK_CONTROL / KAFKA_MOCK_PID there\n"
                "  --initial-rebalance-delay-ms N  delay before the first "
                "rebalance of an empty group (default 1000)\n"
                "  --debug                librdkafka debug=mock to stderr\n",
                argv0, MAX_BROKERS);
}

int main(int argc, char **argv) {
        char errstr[512];
        rd_kafka_conf_t *conf;
        const char *env_file = NULL;
        const char *topics[MAX_TOPICS_ARG];
        int topic_cnt    = 0;
        long brokers     = 3;
        long partitions  = 3;
        long replication = -1;
        long control     = 0;
        long rebalance   = 1000;
        int debug        = 0;
        int control_port = 0;
        int i;
        struct sigaction sa;

        /* A control client vanishing mid-reply must not kill the broker. */
        signal(SIGPIPE, SIG_IGN);

        for (i = 1; i < argc; i++) {
                const char *o = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
                        usage(argv[0]);
                        return 0;
                } else if (!strcmp(o, "--debug")) {
                        debug = 1;
                        continue;
                }
                if (strcmp(o, "--brokers") && strcmp(o, "--partitions") &&
                    strcmp(o, "--replication") && strcmp(o, "--topic") &&
                    strcmp(o, "--control-port") && strcmp(o, "--env-file") &&
                    strcmp(o, "--initial-rebalance-delay-ms")) {
                        usage(argv[0]);
                        die("unknown option %s", o);
                }
                if (!v) {
                        usage(argv[0]);
                        die("missing value for %s", o);
                }
                i++;
                if (!strcmp(o, "--brokers")) {
                        if (parse_int(v, 1, MAX_BROKERS, &brokers))
                                die("bad --brokers %s", v);
                } else if (!strcmp(o, "--partitions")) {
                        if (parse_int(v, 1, 10000, &partitions))
                                die("bad --partitions %s", v);
                } else if (!strcmp(o, "--replication")) {
                        if (parse_int(v, 1, MAX_BROKERS, &replication))
                                die("bad --replication %s", v);
                } else if (!strcmp(o, "--topic")) {
                        if (topic_cnt == MAX_TOPICS_ARG)
                                die("too many --topic options");
                        topics[topic_cnt++] = v;
                } else if (!strcmp(o, "--control-port")) {
                        if (parse_int(v, 0, 65535, &control))
                                die("bad --control-port %s", v);
                } else if (!strcmp(o, "--env-file")) {
                        env_file = v;
                } else if (!strcmp(o, "--initial-rebalance-delay-ms")) {
                        if (parse_int(v, 0, 600000, &rebalance))
                                die("bad --initial-rebalance-delay-ms %s", v);
                }
        }
        if (replication == -1)
                replication = brokers < 3 ? brokers : 3;
        if (replication > brokers)
                die("--replication %ld exceeds --brokers %ld", replication,
                    brokers);
        g.broker_cnt          = (int)brokers;
        g.default_partitions  = (int)partitions;
        g.default_replication = (int)replication;

        /* The mock cluster needs an rd_kafka_t for its bookkeeping only; it
         * never connects anywhere (no bootstrap.servers is set), which
         * librdkafka notes with a harmless warning at startup. */
        conf = rd_kafka_conf_new();
        if (debug && rd_kafka_conf_set(conf, "debug", "mock", errstr,
                                       sizeof(errstr)) != RD_KAFKA_CONF_OK)
                die("%s", errstr);
        if (!(g.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                  sizeof(errstr))))
                die("rd_kafka_new: %s", errstr);

        /* The mock cannot bind fixed ports: every broker listens on an
         * ephemeral 127.0.0.1 port, which is why we print/write them. */
        if (!(g.mc = rd_kafka_mock_cluster_new(g.rk, g.broker_cnt)))
                die("failed to create mock cluster (see log above)");

        /* The mock reports ControllerId 0 (no such broker) unless told
         * otherwise; kafkajs sends InitProducerId for idempotent producers to
         * the controller and fails to find broker 0. */
        rd_kafka_mock_set_controller_id(g.mc, 1);

        /* The mock advertises LeaveGroup up to v4 but its handler reads the
         * v0-v2 request layout (one MemberId string). kafkajs picks v3, whose
         * layout is a Members array, which the handler would misread. */
        if (rd_kafka_mock_set_apiversion(g.mc, 13, 0, 1))
                die("cannot cap LeaveGroup version");

        /* Real brokers default group.initial.rebalance.delay.ms to 3000;
         * a shorter delay keeps single-consumer test startups quick. */
        rd_kafka_mock_group_initial_rebalance_delay_ms(g.mc, (int32_t)rebalance);

        for (i = 0; i < topic_cnt; i++) {
                char name[256], reply[MAX_LINE];
                long p = partitions, r = replication;
                char *c1, *c2;
                if (strlen(topics[i]) >= sizeof(name))
                        die("topic spec too long: %s", topics[i]);
                strcpy(name, topics[i]);
                if ((c1 = strchr(name, ':'))) {
                        *c1++ = '\0';
                        if ((c2 = strchr(c1, ':'))) {
                                *c2++ = '\0';
                                if (parse_int(c2, 1, brokers, &r))
                                        die("bad replication in --topic %s",
                                            topics[i]);
                        }
                        if (parse_int(c1, 1, 10000, &p))
                                die("bad partitions in --topic %s", topics[i]);
                }
                if (create_topic(name, (int)p, (int)r, reply, sizeof(reply)))
                        die("--topic %s: %s", topics[i], reply);
        }

        if ((g.listen_fd = control_listen((int)control, &control_port)) < 0)
                die("cannot listen on 127.0.0.1:%ld: %s", control,
                    strerror(errno));

        if (pipe(g.sig_pipe) < 0)
                die("pipe: %s", strerror(errno));
        fcntl(g.sig_pipe[1], F_SETFL, O_NONBLOCK);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        /* The env file is the readiness signal for scripts, so it is written
         * only once both the brokers and the control port are listening. */
        if (env_file)
                write_env_file(env_file, rd_kafka_mock_cluster_bootstraps(g.mc),
                               control_port);
        printf("KAFKA_BROKERS=%s\n", rd_kafka_mock_cluster_bootstraps(g.mc));
        printf("KAFKA_MOCK_CONTROL=127.0.0.1:%d\n", control_port);
        fflush(stdout);

        serve();

        fprintf(stderr, "mock_broker: shutting down\n");
        for (i = 0; i < MAX_CLIENTS; i++)
                if (g.clients[i].fd != -1)
                        client_close(&g.clients[i]);
        close(g.listen_fd);
        /* The cluster must go before its rd_kafka_t (librdkafka asserts). */
        rd_kafka_mock_cluster_destroy(g.mc);
        rd_kafka_destroy(g.rk);
        return 0;
}
