/*
 * nfdelay: holds every packet of one netfilter queue for a delay, then lets it go — what `tc netem
 * delay` would do, on a kernel without netem (see e2e/support/impairment/PacketDelay.ts, which
 * starts it inside a participant's network namespace and queues that browser's UDP to it).
 *
 *   nfdelay <queue number> <seed>
 *
 * Reads commands on stdin, one per line:
 *   set <delay ms> <jitter ms>   from now on each packet is held delay + N(0, jitter) ms (never
 *                                less than 0), and never released before the packet queued before
 *                                it: order is kept, as on a real link
 *   stats                        prints "packets <n> mean_delay_ms <x>" for the packets released since
 *                                the last `set`, then resets the counts
 * Exits when stdin closes. The queue is bound with the kernel's fail-open flag, and the rule that
 * feeds it uses `bypass`: if this program is gone, packets pass undelayed instead of being dropped.
 * The random numbers come from the seed, so the same seed gives the same delays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 65536

struct held {
  uint32_t id;
  double release_ms;
  double queued_ms;
};

static struct held ring[MAX_HELD];
static size_t head = 0, count = 0;
static double delay_ms = 0, jitter_ms = 0, last_release_ms = 0;
static unsigned long long released = 0;
static double delay_sum_ms = 0;
static uint64_t rng_state;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* xorshift64*: small, fast, and the same sequence for the same seed. */
static double uniform(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return ((rng_state * 0x2545F4914F6CDD1DULL) >> 11) * (1.0 / 9007199254740992.0);
}

static double normal(void) {
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-12) u1 = 1e-12;
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *data, void *context) {
  (void)message;
  (void)context;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
  if (!header) return 0;
  uint32_t id = ntohl(header->packet_id);
  double now = now_ms();
  if (count == MAX_HELD || (delay_ms <= 0 && jitter_ms <= 0 && count == 0)) {
    // Nothing to hold (or no room): let it go now.
    nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
    return 0;
  }
  double hold = delay_ms + (jitter_ms > 0 ? jitter_ms * normal() : 0);
  if (hold < 0) hold = 0;
  double release = now + hold;
  if (release < last_release_ms) release = last_release_ms;
  last_release_ms = release;
  struct held *slot = &ring[(head + count) % MAX_HELD];
  slot->id = id;
  slot->release_ms = release;
  slot->queued_ms = now;
  count++;
  return 0;
}

static void release_due(struct nfq_q_handle *queue) {
  double now = now_ms();
  while (count > 0 && ring[head].release_ms <= now) {
    nfq_set_verdict(queue, ring[head].id, NF_ACCEPT, 0, NULL);
    released++;
    delay_sum_ms += now - ring[head].queued_ms;
    head = (head + 1) % MAX_HELD;
    count--;
  }
}

static void on_command(char *line) {
  double delay, jitter;
  if (sscanf(line, "set %lf %lf", &delay, &jitter) == 2) {
    delay_ms = delay;
    jitter_ms = jitter;
    released = 0;
    delay_sum_ms = 0;
    printf("ok\n");
  } else if (strncmp(line, "stats", 5) == 0) {
    printf("packets %llu mean_delay_ms %.3f\n", released, released ? delay_sum_ms / released : 0.0);
    released = 0;
    delay_sum_ms = 0;
  } else {
    printf("error unknown command\n");
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: nfdelay <queue number> <seed>\n");
    return 2;
  }
  int queue_number = atoi(argv[1]);
  rng_state = strtoull(argv[2], NULL, 10) * 2654435761ULL + 88172645463325252ULL;

  struct nfq_handle *handle = nfq_open();
  if (!handle) {
    perror("nfq_open");
    return 1;
  }
  struct nfq_q_handle *queue = nfq_create_queue(handle, queue_number, &on_packet, NULL);
  if (!queue) {
    perror("nfq_create_queue");
    return 1;
  }
  // Headers only: the verdict needs the packet id, not its payload.
  if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) perror("nfq_set_mode");
  nfq_set_queue_maxlen(queue, MAX_HELD);
  nfq_set_queue_flags(queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int fd = nfq_fd(handle);
  printf("ready\n");
  fflush(stdout);

  char buffer[65536];
  char line[256];
  size_t line_length = 0;
  for (;;) {
    int timeout = -1;
    if (count > 0) {
      double wait = ring[head].release_ms - now_ms();
      timeout = wait <= 0 ? 0 : (int)ceil(wait);
    }
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
    int ready = poll(fds, 2, timeout);
    if (ready < 0 && errno != EINTR) {
      perror("poll");
      return 1;
    }
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      ssize_t length = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (length > 0) nfq_handle_packet(handle, buffer, (int)length);
    }
    if (ready > 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      char c;
      ssize_t n = read(STDIN_FILENO, &c, 1);
      if (n <= 0) break;
      if (c == '\n') {
        line[line_length] = '\0';
        on_command(line);
        line_length = 0;
      } else if (line_length < sizeof line - 1) {
        line[line_length++] = c;
      }
    }
    release_due(queue);
  }
  // Let everything still held go before leaving.
  while (count > 0) {
    nfq_set_verdict(queue, ring[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % MAX_HELD;
    count--;
  }
  nfq_destroy_queue(queue);
  nfq_close(handle);
  return 0;
}
