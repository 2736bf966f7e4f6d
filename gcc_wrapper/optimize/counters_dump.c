/* Preloaded into a workload run that trains profile feedback (pgo.train_on_workload): when the
 * program exits, it appends a block of its own memory -- the instrumented unit's counters, which
 * llmcc linked into a patched copy of the program -- to a file. The program's own exit path
 * (return from main, exit()) runs it; a process that is not the patched program (the sandbox's
 * launcher, a child that runs something else) writes nothing.
 *
 *   LLMCC_COUNTERS_EXE  the patched program's path
 *   LLMCC_COUNTERS_AT   "VADDR LEN": the block, at a link-time address of that program
 *   LLMCC_COUNTERS_OUT  the file to append it to
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int program_base(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uintptr_t *)data = (uintptr_t)info->dlpi_addr; /* the first object is the program */
    return 1;
}

__attribute__((destructor)) static void dump_counters(void)
{
    const char *exe = getenv("LLMCC_COUNTERS_EXE");
    const char *at = getenv("LLMCC_COUNTERS_AT");
    const char *out = getenv("LLMCC_COUNTERS_OUT");
    if (!exe || !at || !out)
        return;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return;
    self[n] = 0;
    if (strcmp(self, exe) != 0)
        return;
    unsigned long long vaddr = 0, len = 0;
    if (sscanf(at, "%llx %llu", &vaddr, &len) != 2 || len == 0)
        return;
    uintptr_t base = 0;
    dl_iterate_phdr(program_base, &base);
    int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    const char *p = (const char *)(base + (uintptr_t)vaddr);
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w <= 0)
            break;
        p += w;
        len -= (unsigned long long)w;
    }
    close(fd);
}
