/* llmcc differential-test harness: runs the original function (llmcc_fn_base) and a candidate
 * (llmcc_fn_cand) on the same inputs and compares everything they can change.
 *
 *   harness INPUTS.bin [OFFSET:VALUE...]
 *
 * A candidate that dispatches on the CPU (gcc_wrapper/optimize/dispatch.py) reads libgcc's CPU
 * model, __cpu_features2. The harness defines it (weak: libgcc's own wins if something else pulls
 * it in) and sets each OFFSET:VALUE (byte offset, 32-bit word) before any call: differential
 * testing runs the harness once per CPU model it tests.
 *
 * The inputs are generated and encoded by gcc_wrapper/optimize/verify/inputs.py (format documented there);
 * this program knows no C types: each argument is a register image (integer or xmm) or a pointer
 * into a memory region placed against guard pages. Each call goes through llmcc_call
 * (harness_call.s), which checks the ABI. A crash or a hang is caught with a signal handler on
 * an alternate stack and a per-call CPU-time timer (CPU time, not wall time: a busy machine
 * that deschedules the harness must not make a correct candidate look hung), so one process
 * runs every input.
 *
 * Output: "SKIP index" for each input the original itself crashed or hung on, then one line:
 * "DONE ran skipped", or "MISMATCH index what...", or "NONDET index what...".
 * Exit status 0, 1 (mismatch), 3 (the original disagrees with itself), 4 (bad input file).
 *
 * Built with -fno-builtin -fno-tree-loop-distribute-patterns: the function under test may itself
 * be called memcpy or memset, so the harness copies memory with its own loops. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct llmcc_frame {
    uint64_t fn, iargs[6], fargs[8], rax, rdx, xmm0[2], xmm1[2], violations, garbage;
};
void llmcc_call(struct llmcc_frame *f);

struct llmcc_global { uint64_t addr, size, writable; };
extern struct llmcc_global llmcc_globals[];
extern uint64_t llmcc_nglobals;
extern const char *llmcc_global_names[];
extern uint64_t llmcc_fn_base, llmcc_fn_cand;

#define FILL 0xa5a5a5a5a5a5a5a5ull

__attribute__((weak)) unsigned int __cpu_features2[16];

struct param { uint8_t kind, reg; };   /* kind 0 integer register, 1 xmm register, 2 pointer */

static uint32_t nparams, ninputs, nregions_max, ndet, ret_pointer, region_cap;
static uint64_t rax_mask, xmm0_mask;
static double base_timeout, cand_factor, cand_min;
static struct param params[16];

static unsigned char *arena[16];      /* data area of each region, guard pages on both sides */
static size_t arena_len;

struct run {
    int status, sig;                  /* status 0 returned, 1 signal, 2 timeout */
    uint64_t rax, xmm0, violations;
    unsigned char *snap;              /* copies of the region windows and writable globals */
    size_t snap_len;
    double seconds;
};

static sigjmp_buf jump;
static volatile sig_atomic_t caught;
static uint32_t saved_mxcsr;
static uint16_t saved_fpucw;

static void on_signal(int sig) { caught = sig; siglongjmp(jump, 1); }

static void copy(unsigned char *d, const unsigned char *s, size_t n)
{
    if (((uintptr_t)d | (uintptr_t)s | n) % 8 == 0) {
        uint64_t *dw = (uint64_t *)(void *)d;
        const uint64_t *sw = (const uint64_t *)(const void *)s;
        for (size_t i = 0; i < n / 8; i++) dw[i] = sw[i];
        return;
    }
    while (n--) *d++ = *s++;
}
static void fill(unsigned char *d, uint64_t w, size_t n)   /* d and n multiples of 8 */
{
    uint64_t *dw = (uint64_t *)(void *)d;
    for (size_t i = 0; i < n / 8; i++) dw[i] = w;
}
static int differs(const unsigned char *a, const unsigned char *b, size_t n, size_t *at)
{
    size_t i = 0;
    if (((uintptr_t)a | (uintptr_t)b) % 8 == 0)
        for (; i + 8 <= n; i += 8)
            if (*(const uint64_t *)(const void *)(a + i) != *(const uint64_t *)(const void *)(b + i)) break;
    for (; i < n; i++)
        if (a[i] != b[i]) { *at = i; return 1; }
    return 0;
}

static uint64_t xorshift(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }

/* One input, decoded in place. */
struct region { uint32_t nbytes; int32_t placement; const unsigned char *content; unsigned char *start; };
struct input { uint64_t gseed; uint32_t nregions; struct region regions[16]; uint64_t values[16]; };

static const unsigned char *cur;
static const unsigned char *end;
static int bad;
static uint64_t rd(size_t n)
{
    uint64_t v = 0;
    if ((size_t)(end - cur) < n) { bad = 1; return 0; }
    for (size_t i = 0; i < n; i++) v |= (uint64_t)cur[i] << (8 * i);
    cur += n;
    return v;
}

static void decode(struct input *in)
{
    in->gseed = rd(8);
    in->nregions = (uint32_t)rd(4);
    rd(4);
    if (in->nregions > nregions_max) { bad = 1; return; }
    for (uint32_t r = 0; r < in->nregions; r++) {
        struct region *g = &in->regions[r];
        g->nbytes = (uint32_t)rd(4);
        g->placement = (int32_t)rd(4);
        if (g->nbytes > region_cap || (g->placement >= 0 && (uint64_t)g->placement + g->nbytes > region_cap)) { bad = 1; return; }
        g->content = cur;
        size_t padded = (g->nbytes + 7u) & ~7u;
        if ((size_t)(end - cur) < padded) { bad = 1; return; }
        cur += padded;
        g->start = g->placement < 0 ? arena[r] + arena_len - g->nbytes : arena[r] + g->placement;
    }
    for (uint32_t p = 0; p < nparams; p++) in->values[p] = rd(8);
}

/* The memory compared and reset for a region: all of its arena, not just the buffer, so that
 * an access out of bounds sees the same bytes every time and a stray write anywhere in it shows
 * (one past the end of a buffer placed against the trailing guard page faults instead). */
static void window(const struct input *in, uint32_t r, unsigned char **lo, unsigned char **hi)
{
    (void)in;
    *lo = arena[r];
    *hi = arena[r] + arena_len;
}

static size_t snapshot_len(const struct input *in)
{
    size_t n = 0;
    for (uint32_t r = 0; r < in->nregions; r++) {
        unsigned char *lo, *hi;
        window(in, r, &lo, &hi);
        n += (size_t)(hi - lo);
    }
    for (uint64_t g = 0; g < llmcc_nglobals; g++)
        if (llmcc_globals[g].writable) n += llmcc_globals[g].size;
    return n;
}

static void setup(const struct input *in)
{
    for (uint32_t r = 0; r < in->nregions; r++) {
        unsigned char *lo, *hi;
        window(in, r, &lo, &hi);
        fill(lo, FILL, (size_t)(hi - lo));
        copy(in->regions[r].start, in->regions[r].content, in->regions[r].nbytes);
    }
    uint64_t s = in->gseed | 1;
    for (uint64_t g = 0; g < llmcc_nglobals; g++) {
        if (!llmcc_globals[g].writable) continue;
        unsigned char *p = (unsigned char *)llmcc_globals[g].addr;
        for (uint64_t i = 0; i < llmcc_globals[g].size; i++) p[i] = (unsigned char)xorshift(&s);
    }
}

static void snapshot(const struct input *in, unsigned char *out)
{
    for (uint32_t r = 0; r < in->nregions; r++) {
        unsigned char *lo, *hi;
        window(in, r, &lo, &hi);
        copy(out, lo, (size_t)(hi - lo));
        out += hi - lo;
    }
    for (uint64_t g = 0; g < llmcc_nglobals; g++) {
        if (!llmcc_globals[g].writable) continue;
        copy(out, (unsigned char *)llmcc_globals[g].addr, llmcc_globals[g].size);
        out += llmcc_globals[g].size;
    }
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void arm(double seconds)
{
    struct itimerval it = {{0, 0}, {(time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6)}};
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) it.it_value.tv_usec = 1000;
    setitimer(ITIMER_PROF, &it, NULL);
}

static void call(uint64_t fn, const struct input *in, struct run *out, double timeout)
{
    static struct llmcc_frame f;
    setup(in);
    for (int i = 0; i < 6; i++) f.iargs[i] = 0x7ea7c0de7ea7c0deull;
    for (int i = 0; i < 8; i++) f.fargs[i] = 0x7ff4dead7ff4beefull;
    for (uint32_t p = 0; p < nparams; p++) {
        uint64_t v = in->values[p];
        if (params[p].kind == 2)
            v = (uint64_t)(uintptr_t)(in->regions[v >> 32].start + (uint32_t)v);
        if (params[p].kind == 1) f.fargs[params[p].reg] = v;
        else f.iargs[params[p].reg] = v;
    }
    f.fn = fn;
    f.garbage = 0x7ff4dead7ff4beefull;
    f.violations = 0;
    caught = 0;
    double t0 = now();
    if (sigsetjmp(jump, 1) == 0) {
        arm(timeout);
        llmcc_call(&f);
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
        out->status = 0;
        out->sig = 0;
    } else {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
        __asm__ volatile("cld\n\tldmxcsr %0\n\tfldcw %1" : : "m"(saved_mxcsr), "m"(saved_fpucw));
        out->status = caught == SIGPROF ? 2 : 1;
        out->sig = caught;
    }
    out->seconds = now() - t0;
    out->rax = f.rax;
    out->xmm0 = f.xmm0[0];
    out->violations = out->status == 0 ? f.violations : 0;
    snapshot(in, out->snap);
}

static void hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

/* Where two runs differ, as one line after the prefix; 0 when they do not. */
static int compare(const char *prefix, uint32_t index, const struct input *in, const struct run *a, const struct run *b)
{
    if (a->status != b->status || a->sig != b->sig) {
        printf("%s %u status %d %d %d %d\n", prefix, index, a->status, a->sig, b->status, b->sig);
        return 1;
    }
    if (a->violations != b->violations) {
        printf("%s %u abi %llu %llu\n", prefix, index, (unsigned long long)a->violations, (unsigned long long)b->violations);
        return 1;
    }
    if (a->status != 0) return 0;
    if ((a->rax & rax_mask) != (b->rax & rax_mask) || (a->xmm0 & xmm0_mask) != (b->xmm0 & xmm0_mask)) {
        printf("%s %u return %016llx %016llx %016llx %016llx\n", prefix, index,
               (unsigned long long)(a->rax & rax_mask), (unsigned long long)(a->xmm0 & xmm0_mask),
               (unsigned long long)(b->rax & rax_mask), (unsigned long long)(b->xmm0 & xmm0_mask));
        return 1;
    }
    size_t at, off = 0;
    for (uint32_t r = 0; r < in->nregions; r++) {
        unsigned char *lo, *hi;
        window(in, r, &lo, &hi);
        size_t n = (size_t)(hi - lo);
        if (differs(a->snap + off, b->snap + off, n, &at)) {
            /* offset relative to the region's first byte (negative: before it) */
            long rel = (long)at - (long)(in->regions[r].start - lo);
            size_t from = at >= 16 ? at - 16 : 0, len = n - from < 48 ? n - from : 48;
            printf("%s %u region %u %ld %ld ", prefix, index, r, rel, (long)from - (long)(in->regions[r].start - lo));
            hex(a->snap + off + from, len);
            printf(" ");
            hex(b->snap + off + from, len);
            printf("\n");
            return 1;
        }
        off += n;
    }
    for (uint64_t g = 0; g < llmcc_nglobals; g++) {
        if (!llmcc_globals[g].writable) continue;
        size_t n = llmcc_globals[g].size;
        if (differs(a->snap + off, b->snap + off, n, &at)) {
            size_t from = at >= 16 ? at - 16 : 0, len = n - from < 48 ? n - from : 48;
            printf("%s %u global %s %zu %zu ", prefix, index, llmcc_global_names[g], at, from);
            hex(a->snap + off + from, len);
            printf(" ");
            hex(b->snap + off + from, len);
            printf("\n");
            return 1;
        }
        off += n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: harness INPUTS.bin [OFFSET:VALUE...]\n"); return 4; }
    for (int a = 2; a < argc; a++) {
        char *colon;
        unsigned long off = strtoul(argv[a], &colon, 0);
        if (*colon != ':' || off % 4 || off >= sizeof __cpu_features2) { fprintf(stderr, "bad CPU word %s\n", argv[a]); return 4; }
        __cpu_features2[off / 4] = (unsigned int)strtoul(colon + 1, NULL, 0);
    }
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) { perror(argv[1]); return 4; }
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size);
    if (!buf || fread(buf, 1, (size_t)size, fp) != (size_t)size) { fprintf(stderr, "cannot read inputs\n"); return 4; }
    fclose(fp);
    cur = buf;
    end = buf + size;
    if (rd(8) != 0x314e49434d4c4cull) { fprintf(stderr, "not an llmcc input file\n"); return 4; }
    nparams = (uint32_t)rd(4); ninputs = (uint32_t)rd(4); nregions_max = (uint32_t)rd(4); ndet = (uint32_t)rd(4);
    rax_mask = rd(8); xmm0_mask = rd(8);
    ret_pointer = (uint32_t)rd(4); region_cap = (uint32_t)rd(4);
    uint64_t t;
    t = rd(8); copy((unsigned char *)&base_timeout, (unsigned char *)&t, 8);
    t = rd(8); copy((unsigned char *)&cand_factor, (unsigned char *)&t, 8);
    t = rd(8); copy((unsigned char *)&cand_min, (unsigned char *)&t, 8);
    if (nparams > 16 || nregions_max > 16) bad = 1;
    for (uint32_t p = 0; p < nparams && !bad; p++) { params[p].kind = (uint8_t)rd(1); params[p].reg = (uint8_t)rd(1); rd(6); }
    if (bad) { fprintf(stderr, "bad input header\n"); return 4; }

    /* region_cap is a multiple of the page size: a region placed at offset 0 touches the leading
     * guard page, one placed "against the end" the trailing one */
    long page = sysconf(_SC_PAGESIZE);
    arena_len = region_cap;
    if (arena_len == 0 || arena_len % (size_t)page) { fprintf(stderr, "region size is not a page multiple\n"); return 4; }
    for (uint32_t r = 0; r < nregions_max; r++) {
        unsigned char *m = mmap(NULL, arena_len + 2 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m + page, arena_len, PROT_READ | PROT_WRITE) != 0) { perror("mmap"); return 4; }
        arena[r] = m + page;
    }

    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGPROF, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(saved_mxcsr), "=m"(saved_fpucw));

    struct run base, again, cand;
    size_t cap = (size_t)nregions_max * (size_t)region_cap;
    for (uint64_t g = 0; g < llmcc_nglobals; g++) cap += llmcc_globals[g].size;
    base.snap = malloc(cap + 8); again.snap = malloc(cap + 8); cand.snap = malloc(cap + 8);
    if (!base.snap || !again.snap || !cand.snap) { fprintf(stderr, "out of memory\n"); return 4; }

    uint32_t ran = 0, skipped = 0, base_hangs = 0;
    static struct input in;
    for (uint32_t i = 0; i < ninputs; i++) {
        decode(&in);
        if (bad) { fprintf(stderr, "bad input %u\n", i); return 4; }
        base.snap_len = again.snap_len = cand.snap_len = snapshot_len(&in);
        call(llmcc_fn_base, &in, &base, base_timeout);
        if (i < ndet) {
            call(llmcc_fn_base, &in, &again, base_timeout);
            /* a run near the time limit may finish once and not twice: that is the clock, not
             * the function, so such an input is skipped rather than called nondeterministic */
            if (base.status == 2 || again.status == 2) base.status = 2;
            else if (compare("NONDET", i, &in, &base, &again)) { fflush(stdout); return 3; }
        }
        if (base.status != 0) {
            /* an original that hangs on many inputs would eat the whole time limit: once it has
             * shown it, later hangs are cut short (those inputs are skipped either way) */
            if (base.status == 2 && ++base_hangs >= 3) base_timeout = 0.01;
            printf("SKIP %u\n", i);
            skipped++;
            continue;
        }
        double limit = base.seconds * cand_factor;
        call(llmcc_fn_cand, &in, &cand, limit > cand_min ? limit : cand_min);
        ran++;
        if (compare("MISMATCH", i, &in, &base, &cand)) { fflush(stdout); return 1; }
    }
    printf("DONE %u %u\n", ran, skipped);
    return 0;
}
