/* SPDX-License-Identifier: BSD-2-Clause */
/* kernel_send.c — send kptrace probes of every method with a fixed key, from
 * inside a private test namespace (see kernel_capture.sh). Not built by CMake. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/methods/method.h"
int main(int argc, char **argv)
{
    struct kp_key k = {{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}};
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    for (int i = 0; kp_methods[i]; i++) {
        for (int ttl = 1; ttl <= 3; ttl++)
            for (int dp = 0; dp < 2; dp++) {
                struct kp_probe_spec s;
                memset(&s, 0, sizeof s);
                kp_addr_parse("198.18.0.2", &s.src);
                kp_addr_parse("198.51.100.7", &s.dst);
                s.trace_id = 100 + i;
                s.ttl = ttl;
                s.attempt = dp;
                s.key = &k;
                if (kp_methods[i]->id == KP_METHOD_TCP_SYN)
                    s.dport = dp ? 81 : 80;
                uint8_t b[1500];
                size_t n = sizeof b;
                if (kp_methods[i]->build(&s, b, &n)) {
                    printf("build fail\n");
                    return 1;
                }
                struct sockaddr_in sa = {.sin_family = AF_INET};
                memcpy(&sa.sin_addr, s.dst.b, 4);
                if (sendto(fd, b, n, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
                    perror("sendto");
                usleep(20000);
            }
    }
    return 0;
}
