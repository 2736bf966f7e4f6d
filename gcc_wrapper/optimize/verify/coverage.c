/* llmcc coverage: one-shot breakpoints (int3) at the leaders of the candidate's basic blocks.
 *
 * Arming writes 0xCC over the first byte of each block; the code page is writable only while a
 * byte is being written (a candidate never runs on a writable page). When the candidate reaches
 * a block, the CPU traps; llmcc_cov_trap, called from the harness's SIGTRAP handler, puts the
 * original byte back, marks the block covered and rewinds rip by one, and the kernel's
 * sigreturn resumes the candidate exactly where it was: every register and the flags come back
 * from the saved context, untouched. The handler runs on the alternate signal stack, so nothing
 * is written below the candidate's rsp (its red zone is safe). Each breakpoint fires once: the
 * cost is one signal per block, not per execution.
 *
 * A SIGTRAP that is not an armed breakpoint (si_code other than SI_KERNEL, which int3 gives, or
 * an address not armed) is left to the caller: a crash, as before. */
#define _GNU_SOURCE
#include "coverage.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

struct site { uintptr_t addr; size_t index; unsigned char orig; unsigned char hit; };

static struct site *sites;    /* sorted by address */
static size_t nsites, ntotal;
static unsigned char *covered; /* by index into the armed offsets */
static uintptr_t pagesize;
static int active;

static int poke(uintptr_t addr, unsigned char byte)
{
    uintptr_t page = addr & ~(pagesize - 1);
    /* RWX for the moment of the write: the page may hold the code that is writing */
    if (mprotect((void *)page, pagesize, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) return -1;
    *(volatile unsigned char *)addr = byte;
    if (mprotect((void *)page, pagesize, PROT_READ | PROT_EXEC) != 0) return -1;
    return 0;
}

static int by_addr(const void *a, const void *b)
{
    uintptr_t x = ((const struct site *)a)->addr, y = ((const struct site *)b)->addr;
    return x < y ? -1 : x > y;
}

int llmcc_cov_arm(uintptr_t fn, const long *offsets, size_t n)
{
    pagesize = (uintptr_t)sysconf(_SC_PAGESIZE);
    sites = calloc(n ? n : 1, sizeof *sites);
    covered = calloc(n ? n : 1, 1);
    if (!sites || !covered) { fprintf(stderr, "coverage: out of memory\n"); return -1; }
    ntotal = n;
    active = 1;
    for (size_t i = 0; i < n; i++) {
        sites[i].addr = fn + (uintptr_t)offsets[i];
        sites[i].index = i;
    }
    qsort(sites, n, sizeof *sites, by_addr);
    nsites = 0;
    for (size_t i = 0; i < n; i++) {
        if (nsites && sites[nsites - 1].addr == sites[i].addr) continue;   /* offsets are distinct; be safe */
        sites[nsites++] = sites[i];
    }
    for (size_t i = 0; i < nsites; i++) {
        sites[i].orig = *(volatile unsigned char *)sites[i].addr;
        if (poke(sites[i].addr, 0xCC) != 0) { perror("coverage: mprotect"); return -1; }
    }
    return 0;
}

int llmcc_cov_load(const char *path, uintptr_t fn)
{
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return -1; }
    long n = -1;
    if (fscanf(f, "%ld", &n) != 1 || n < 0 || n > (1L << 20)) { fclose(f); fprintf(stderr, "coverage: bad offsets file\n"); return -1; }
    long *offs = malloc(((size_t)n + 1) * sizeof *offs);
    if (!offs) { fclose(f); return -1; }
    for (long i = 0; i < n; i++)
        if (fscanf(f, "%ld", &offs[i]) != 1) { fclose(f); free(offs); fprintf(stderr, "coverage: bad offsets file\n"); return -1; }
    fclose(f);
    int r = llmcc_cov_arm(fn, offs, (size_t)n);
    free(offs);
    return r;
}

int llmcc_cov_trap(const siginfo_t *si, void *ucontext)
{
    if (!nsites || si->si_code != SI_KERNEL) return 0;
    ucontext_t *uc = ucontext;
    uintptr_t at = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] - 1;
    size_t lo = 0, hi = nsites;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sites[mid].addr < at) lo = mid + 1; else hi = mid;
    }
    if (lo == nsites || sites[lo].addr != at || sites[lo].hit) return 0;
    if (poke(at, sites[lo].orig) != 0) return 0;
    sites[lo].hit = 1;
    covered[sites[lo].index] = 1;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)at;
    return 1;
}

int llmcc_cov_armed(void) { return active; }

void llmcc_cov_report(FILE *out)
{
    fputs("COVERED", out);
    for (size_t i = 0; i < ntotal; i++)
        if (covered[i]) fprintf(out, " %zu", i);
    fputc('\n', out);
}
