/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for prober/sys/outfile.c: a command-line output file is created
 * new or is a regular file of the running user with one link; a symlink, a
 * FIFO, a directory or a hard link in its place is refused and what it
 * points to stays untouched. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prober/sys/outfile.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kp-outfile.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static void expect_content(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    cr_assert_str_eq(buf, text, "%s holds \"%s\"", path, buf);
}

TestSuite(outfile, .init = setup, .fini = teardown);

Test(outfile, new_file_is_created_and_written)
{
    char p[128], err[512] = "";
    path_of(p, sizeof(p), "new.pcap");
    int fd = kp_outfile_open(p, err, sizeof(err));
    cr_assert_geq(fd, 0, "%s", err);
    cr_assert_eq(write(fd, "abc", 3), 3);
    cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    cr_assert_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    close(fd);
    expect_content(p, "abc");
}

Test(outfile, own_regular_file_is_truncated)
{
    char p[128], err[512] = "";
    path_of(p, sizeof(p), "old.pcap");
    write_file(p, "an earlier capture, longer than what follows");
    int fd = kp_outfile_open(p, err, sizeof(err));
    cr_assert_geq(fd, 0, "%s", err);
    cr_assert_eq(write(fd, "new", 3), 3);
    close(fd);
    expect_content(p, "new");
}

Test(outfile, symlink_is_refused_and_its_target_untouched)
{
    char p[128], victim[128], dangling[128], err[512] = "";
    path_of(victim, sizeof(victim), "victim");
    path_of(p, sizeof(p), "link.pcap");
    write_file(victim, "root's file");
    cr_assert_eq(symlink(victim, p), 0);
    cr_assert_eq(kp_outfile_open(p, err, sizeof(err)), -ELOOP);
    cr_assert(strstr(err, p) && strstr(err, "a symlink: refused"), "%s", err);
    expect_content(victim, "root's file");
    /* a link to a name that does not exist yet: not created through it */
    path_of(dangling, sizeof(dangling), "dangling.pcap");
    path_of(victim, sizeof(victim), "would-be-created");
    cr_assert_eq(symlink(victim, dangling), 0);
    cr_assert_eq(kp_outfile_open(dangling, err, sizeof(err)), -ELOOP);
    cr_assert_eq(access(victim, F_OK), -1, "nothing created where the link points");
}

Test(outfile, hard_link_fifo_and_directory_are_refused)
{
    char p[128], victim[128], err[512] = "";
    path_of(victim, sizeof(victim), "victim");
    path_of(p, sizeof(p), "hard.pcap");
    write_file(victim, "keep me");
    cr_assert_eq(link(victim, p), 0);
    cr_assert_eq(kp_outfile_open(p, err, sizeof(err)), -EPERM);
    cr_assert(strstr(err, "more than one link"), "%s", err);
    expect_content(victim, "keep me");

    path_of(p, sizeof(p), "fifo.pcap");
    cr_assert_eq(mkfifo(p, 0600), 0);
    cr_assert_eq(kp_outfile_open(p, err, sizeof(err)), -EPERM, "a FIFO does not hang it");
    cr_assert(strstr(err, "not a regular file"), "%s", err);

    path_of(p, sizeof(p), "dir.pcap");
    cr_assert_eq(mkdir(p, 0700), 0);
    cr_assert_eq(kp_outfile_open(p, err, sizeof(err)), -EPERM);
    cr_assert(strstr(err, "not a regular file"), "%s", err);
}

Test(outfile, another_users_file_is_refused)
{
    char p[128], err[512] = "";
    path_of(p, sizeof(p), "theirs.pcap");
    write_file(p, "someone else's");
    uid_t other = getuid() == 0 ? 65534 : 0;
    if (getuid() != 0) {
        /* only root can give a file away: as another user, test with a file
         * root owns (/etc/hostname is root's on every Debian machine) */
        snprintf(p, sizeof(p), "/etc/hostname");
    } else {
        cr_assert_eq(chown(p, other, other), 0);
    }
    struct stat before;
    cr_assert_eq(stat(p, &before), 0);
    cr_assert_eq(kp_outfile_open(p, err, sizeof(err)), -EPERM);
    char want[64];
    snprintf(want, sizeof(want), "belongs to uid %u", (unsigned)other);
    cr_assert(strstr(err, want), "%s", err);
    struct stat after;
    cr_assert_eq(stat(p, &after), 0);
    cr_assert_eq(after.st_size, before.st_size, "not truncated");
}

Test(outfile, missing_directory_is_the_open_error)
{
    char p[128], err[512] = "";
    path_of(p, sizeof(p), "no-such-dir/x.pcap");
    cr_assert_eq(kp_outfile_open(p, err, sizeof(err)), -ENOENT);
    cr_assert(strstr(err, p) && strstr(err, "No such file"), "%s", err);
}
