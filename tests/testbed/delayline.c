/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kptb-delayline — a transparent delay line for the testbed (no sch_netem here).
 *
 * It is a piece of wire: kptb puts a link's middle in its own namespace with
 * two interfaces, A and B, and this program forwards every Ethernet frame
 * that arrives on one to the other after holding it for delay ± jitter. It
 * works below IP (AF_PACKET sockets, no addresses in the wire namespace), so
 * traceroute sees no extra hop and the TTL is untouched. Both directions are
 * delayed independently. Frames never overtake each other in one direction
 * (a frame leaves no earlier than the one before it), so order within a flow
 * is kept even with jitter.
 *
 * Checksum offload: frames read from a veth may carry a not-yet-computed
 * transport checksum. The sockets use PACKET_VNET_HDR, so the kernel hands
 * us the offload metadata with each frame and takes it back on send; the
 * checksum is then finished downstream exactly as on a plain veth.
 *
 * Usage: kptb-delayline -a IFACE -b IFACE -d DELAY_MS [-j JITTER_MS] [-s SEED]
 *                       [-q MAX_QUEUED_FRAMES] [-r]
 * -r asks for real-time scheduling (SCHED_FIFO) so that frames leave on time
 * even when the machine is busy; without the privilege it warns and goes on.
 * It prints "ready" on stdout once both sockets are bound and runs until
 * SIGTERM or SIGINT. Exit status: 0 on a signal, 1 on an error, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DL_FRAME_MAX (65536 + sizeof(struct virtio_net_hdr) + 64)

/* One held frame. */
struct dl_frame {
    struct dl_frame *next;
    int64_t due_ns; /* CLOCK_MONOTONIC time at which it leaves */
    size_t len;
    unsigned char data[];
};

/* A FIFO of frames for one direction; owns its frames. */
struct dl_queue {
    struct dl_frame *head;
    struct dl_frame *tail;
    size_t count;
    int64_t last_due_ns; /* departure of the newest frame, for ordering */
};

struct dl_config {
    const char *if_a;
    const char *if_b;
    int64_t delay_ns;
    int64_t jitter_ns;
    uint64_t seed;
    size_t max_queued;
    int realtime;
};

static volatile sig_atomic_t dl_stop;

static void on_signal(int sig)
{
    (void)sig;
    dl_stop = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift64*: small, deterministic for a given seed. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/*
 * departure_ns — when a frame that arrived at arrival_ns leaves: arrival +
 * delay + a uniform offset in [-jitter, +jitter], but never before the
 * previous frame of the same direction (last_due_ns), so frames keep order.
 */
static int64_t departure_ns(int64_t arrival_ns, int64_t delay_ns, int64_t jitter_ns,
                            int64_t last_due_ns, uint64_t *rng)
{
    int64_t due = arrival_ns + delay_ns;
    if (jitter_ns > 0) {
        uint64_t span = (uint64_t)(2 * jitter_ns + 1);
        due += (int64_t)(rng_next(rng) % span) - jitter_ns;
    }
    if (due < arrival_ns)
        due = arrival_ns;
    if (due < last_due_ns)
        due = last_due_ns;
    return due;
}

static void queue_push(struct dl_queue *q, struct dl_frame *f)
{
    f->next = NULL;
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
    q->count++;
    q->last_due_ns = f->due_ns;
}

static struct dl_frame *queue_pop(struct dl_queue *q)
{
    struct dl_frame *f = q->head;
    if (!f)
        return NULL;
    q->head = f->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    return f;
}

static void queue_free(struct dl_queue *q)
{
    struct dl_frame *f;
    while ((f = queue_pop(q)) != NULL)
        free(f);
}

/* Opens an AF_PACKET socket bound to ifname; returns the fd or -errno. */
static int open_wire(const char *ifname)
{
    unsigned idx = if_nametoindex(ifname);
    if (idx == 0)
        return -errno;
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        return -errno;
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)idx;
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct packet_mreq mr;
    memset(&mr, 0, sizeof(mr));
    mr.mr_ifindex = (int)idx;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

/* Reads every pending frame from fd into q. Returns 0 or -errno. */
static int drain(int fd, struct dl_queue *q, const struct dl_config *cfg, uint64_t *rng,
                 unsigned char *buf)
{
    for (;;) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, buf, DL_FRAME_MAX, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                return 0;
            return -errno;
        }
        if (from.sll_pkttype == PACKET_OUTGOING)
            continue;
        int64_t t = now_ns();
        if (q->count >= cfg->max_queued)
            continue; /* tail drop, like a full router queue */
        struct dl_frame *f = malloc(sizeof(*f) + (size_t)n);
        if (!f)
            continue;
        memcpy(f->data, buf, (size_t)n);
        f->len = (size_t)n;
        f->due_ns = departure_ns(t, cfg->delay_ns, cfg->jitter_ns, q->last_due_ns, rng);
        queue_push(q, f);
    }
}

/* Sends every frame of q that is due by t on fd. */
static void flush_due(int fd, struct dl_queue *q, int64_t t)
{
    while (q->head && q->head->due_ns <= t) {
        struct dl_frame *f = queue_pop(q);
        if (send(fd, f->data, f->len, 0) < 0 && errno != ENOBUFS && errno != EAGAIN)
            fprintf(stderr, "kptb-delayline: send: %s\n", strerror(errno));
        free(f);
    }
}

static int parse_ms(const char *s, int64_t *out_ns)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || v < 0 || v > 600000)
        return -1;
    *out_ns = (int64_t)(v * 1e6);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: kptb-delayline -a IFACE -b IFACE -d DELAY_MS [-j JITTER_MS] [-s SEED]"
                    " [-q MAX_QUEUED_FRAMES] [-r]\n");
}

int main(int argc, char **argv)
{
    struct dl_config cfg = {NULL, NULL, -1, 0, 1, 100000, 0};
    int opt;
    while ((opt = getopt(argc, argv, "a:b:d:j:s:q:rh")) != -1) {
        switch (opt) {
        case 'a':
            cfg.if_a = optarg;
            break;
        case 'b':
            cfg.if_b = optarg;
            break;
        case 'd':
            if (parse_ms(optarg, &cfg.delay_ns) < 0) {
                fprintf(stderr, "kptb-delayline: bad delay %s\n", optarg);
                return 2;
            }
            break;
        case 'j':
            if (parse_ms(optarg, &cfg.jitter_ns) < 0) {
                fprintf(stderr, "kptb-delayline: bad jitter %s\n", optarg);
                return 2;
            }
            break;
        case 's':
            cfg.seed = strtoull(optarg, NULL, 10);
            break;
        case 'q':
            cfg.max_queued = (size_t)strtoull(optarg, NULL, 10);
            break;
        case 'r':
            cfg.realtime = 1;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (!cfg.if_a || !cfg.if_b || cfg.delay_ns < 0 || optind != argc || cfg.max_queued == 0) {
        usage();
        return 2;
    }
    uint64_t rng = cfg.seed ? cfg.seed : 1;

    /* Precise wake-ups: no timer slack, and optionally real-time priority. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    if (cfg.realtime) {
        struct sched_param sp;
        memset(&sp, 0, sizeof(sp));
        sp.sched_priority = 10;
        if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
            fprintf(stderr, "kptb-delayline: no real-time priority: %s\n", strerror(errno));
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd[2];
    const char *names[2] = {cfg.if_a, cfg.if_b};
    for (int i = 0; i < 2; i++) {
        fd[i] = open_wire(names[i]);
        if (fd[i] < 0) {
            fprintf(stderr, "kptb-delayline: %s: %s\n", names[i], strerror(-fd[i]));
            return 1;
        }
    }
    unsigned char *buf = malloc(DL_FRAME_MAX);
    if (!buf) {
        fprintf(stderr, "kptb-delayline: out of memory\n");
        return 1;
    }
    /* q[0] holds frames read on A (leaving on B), q[1] frames read on B. */
    struct dl_queue q[2];
    memset(q, 0, sizeof(q));
    printf("ready %s<->%s delay %.3f ms jitter %.3f ms\n", cfg.if_a, cfg.if_b,
           (double)cfg.delay_ns / 1e6, (double)cfg.jitter_ns / 1e6);
    fflush(stdout);

    int rc = 0;
    while (!dl_stop) {
        int64_t t = now_ns();
        flush_due(fd[1], &q[0], t);
        flush_due(fd[0], &q[1], t);
        int64_t next = -1;
        for (int i = 0; i < 2; i++)
            if (q[i].head && (next < 0 || q[i].head->due_ns < next))
                next = q[i].head->due_ns;
        struct timespec ts, *tsp = NULL;
        if (next >= 0) {
            int64_t wait = next - now_ns();
            if (wait < 0)
                wait = 0;
            ts.tv_sec = (time_t)(wait / 1000000000);
            ts.tv_nsec = (long)(wait % 1000000000);
            tsp = &ts;
        }
        struct pollfd pfd[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
        int n = ppoll(pfd, 2, tsp, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "kptb-delayline: poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                fprintf(stderr, "kptb-delayline: %s went away\n", names[i]);
                rc = 1;
                dl_stop = 1;
            } else if (pfd[i].revents & POLLIN) {
                int e = drain(fd[i], &q[i], &cfg, &rng, buf);
                if (e < 0 && e != -ENETDOWN) {
                    fprintf(stderr, "kptb-delayline: recv on %s: %s\n", names[i], strerror(-e));
                    rc = 1;
                    dl_stop = 1;
                }
            }
        }
    }
    queue_free(&q[0]);
    queue_free(&q[1]);
    free(buf);
    close(fd[0]);
    close(fd[1]);
    return rc;
}
