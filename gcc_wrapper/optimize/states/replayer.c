/* llmcc replayer: runs gcc's function and a candidate on states recorded from a real run of the
 * program (recorder.c), each mapped back at the addresses it had, and compares what they do
 * (verification), or times them (measurement).
 *
 *   replayer STATES RUN
 *
 * Both files are written by gcc_wrapper/optimize/states/replay.py (formats there). STATES holds
 * the program's code (its executable mappings, as recorded) and the recorded states: registers,
 * and every page the call touched with its content at entry, whether the call wrote it, and its
 * content after the call; it is written once per function and recording and reused for every
 * candidate. RUN holds what to do and the function's images (gcc's version and the candidate,
 * linked by replay.py at free addresses near the program against the program's own symbols).
 *
 * Per state, memory is exactly what the recorded call saw: the pages it touched, read-only where it
 * only read them; every other page inaccessible. So a function that touches memory the recorded
 * call did not, or writes where it only read, faults. Stack pages below the entry rsp are scratch
 * (the function's own frame). The call starts from the recorded registers (all of them, the fs
 * base, SSE and x87 state) and returns to replay_landing (replay_call.s), whose address replaces
 * the return address in the recorded stack.
 *
 * Verification (mode 0), per state: gcc's version runs first and must reproduce what the recorded
 * call did (its written pages and return registers; else the state is UNFAITHFUL: the program was
 * built from other code, or the recording missed something, and the state is not used); then the
 * candidate runs on the same state and must leave the same memory, return registers and ABI
 * state. Output lines: "UNFAITHFUL i what", "SKIP i" (gcc's version crashed or hung),
 * "MISMATCH i what...", at the end "DONE ran skipped unfaithful". Exit 0, 1 on a mismatch, 75 when an
 * address is taken in this process (run again: the layout is random), 4 on a bad bundle.
 *
 * Timing (mode 1): rounds of about 20 ms per side, each passing over the states again and again,
 * each state's call timed (rdtscp) for gcc's version and the candidate in turn, the least of each
 * side per state kept; "ROUND r base_cycles cand_cycles passes" per round (each the sum over the
 * states).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>
#include <x86intrin.h>

#include "seccomp.c" /* llmcc_confine: the harnesses' system-call allowlist (gcc_wrapper/optimize/verify) */

#define PAGE 4096ull
#define STATES_MAGIC 0x3154534d4c4c4cull /* "LLLMST1" */
#define RUN_MAGIC 0x324c50524d4c4cull    /* "LLMRPL2" */
#define SCRATCH (1ull << 20)      /* bytes of stack below the recorded stack mapping, for deeper frames */
#define FILL 0xa5u

/* replay_call.s */
extern uint64_t replay_in[27], replay_out[27], replay_target, replay_host_fs;
extern unsigned char replay_in_fx[512], replay_out_fx[512];
extern int replay_fsgsbase;
void replay_call(void);
void replay_landing(void);
void replay_sig_entry(int, siginfo_t *, void *);

#include "coverage.h" /* one-shot breakpoints on the candidate's basic blocks (gcc_wrapper/optimize/verify) */

enum { R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI, ORIG_RAX, RIP, CS, EFLAGS, RSP, SS, FS_BASE, GS_BASE };

struct page { uint64_t addr; uint32_t flags; uint32_t pad; unsigned char data[PAGE]; };
struct exit_page { uint64_t addr; unsigned char data[PAGE]; };
struct state {
    uint32_t npages, nexit;
    const uint64_t *regs;
    const unsigned char *fx;
    const uint64_t *exit_regs;
    const unsigned char *exit_fx;
    const struct page *pages;
    const struct exit_page *exits;
};
struct image { uint32_t kind, placement; uint64_t entry; };

static uint32_t mode, nsegs, nstates, nimages, rounds, reps, ncov;
static uint64_t stack_lo, stack_hi, rax_mask, rdx_mask, xmm_mask[4], cov_fn, dump_addr, dump_len;
static double base_timeout, cand_factor, cand_min;
static const int32_t *cov_off;
static struct state *states;
static struct image *images;

/* every data page any state touched: its protection now, and which state set it */
static uint64_t *upages;
static long nupages;
static int *ustamp, *uprot;

static sigjmp_buf jump;
static volatile sig_atomic_t caught;
static volatile uint64_t fault_addr;

static const unsigned char *cur, *end;
static int bad;
static const void *take(size_t n)
{
    size_t padded = (n + 7) & ~(size_t)7;
    if ((size_t)(end - cur) < padded) { bad = 1; return NULL; }
    const void *p = cur;
    cur += padded;
    return p;
}
static uint64_t u64(void) { const uint64_t *p = take(8); return p ? *p : 0; }
static void two_u32(uint32_t *a, uint32_t *b) { const uint32_t *p = take(8); if (p) { *a = p[0]; *b = p[1]; } else *a = *b = 0; }
static double f64(void) { uint64_t v = u64(); double d; memcpy(&d, &v, 8); return d; }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long upage_index(uint64_t addr)
{
    long lo = 0, hi = nupages - 1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (upages[mid] == addr) return mid;
        if (upages[mid] < addr) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

static int in_stack(uint64_t a) { return a >= stack_lo - SCRATCH && a < stack_hi; }

/* A page of state s is the function's own scratch when it lies wholly below the entry rsp. */
static int scratch_page(const struct state *s, uint64_t addr) { return in_stack(addr) && addr + PAGE <= s->regs[RSP]; }

/* Writable during the replay: written by the recorded call, or the stack page the function's
 * frame begins in (pushes go there whether or not the recorded call pushed). */
static int writable(const struct state *s, const struct page *p)
{
    return (p->flags & 1u) || (in_stack(p->addr) && p->addr <= s->regs[RSP]);
}

static void *map_fixed(uint64_t addr, uint64_t len, int prot)
{
    void *m = mmap((void *)(uintptr_t)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m == MAP_FAILED || (uint64_t)(uintptr_t)m != addr) {
        printf("TAKEN %llx %llx\n", (unsigned long long)addr, (unsigned long long)len);
        fflush(stdout);
        exit(75);
    }
    return m;
}

static void protect(uint64_t addr, uint64_t len, int prot)
{
    if (mprotect((void *)(uintptr_t)addr, len, prot) != 0) { perror("mprotect"); exit(4); }
}

static const struct state *current;

/* Memory as the recorded call found it: its pages in, every other page out. */
/* The function's frame: 64 KiB below the entry rsp filled alike for every run (a function must
 * not read its frame before writing it; if gcc's version does, both versions see the same bytes),
 * and the return address slot pointing at replay_landing. The recorder always captures the page
 * the entry rsp lies in, so the bytes above rsp on it are the caller's, as recorded. */
static void fill_frame(const struct state *s)
{
    uint64_t rsp = s->regs[RSP], lo = rsp > 65536 ? rsp - 65536 : 0;
    if (lo < stack_lo - SCRATCH) lo = stack_lo - SCRATCH;
    memset((void *)(uintptr_t)lo, FILL, rsp - lo);
    *(uint64_t *)(uintptr_t)rsp = (uint64_t)(uintptr_t)replay_landing;
}

static void set_state(const struct state *s, int index)
{
    uint64_t top = s->regs[RSP] & ~(PAGE - 1);
    if (current != s) {
        for (uint32_t i = 0; i < s->npages; i++) {
            long u = upage_index(s->pages[i].addr);
            if (u >= 0) ustamp[u] = index;
        }
        for (long u = 0; u < nupages; u++)
            if (ustamp[u] != index && uprot[u] != PROT_NONE) {
                protect(upages[u], PAGE, PROT_NONE);
                uprot[u] = PROT_NONE;
            }
        /* the stack: the frame's pages writable, the callers' pages out unless the state has them */
        protect(stack_lo - SCRATCH, top + PAGE - (stack_lo - SCRATCH), PROT_READ | PROT_WRITE);
        if (top + PAGE < stack_hi) protect(top + PAGE, stack_hi - top - PAGE, PROT_NONE);
        current = s;
    }
    for (uint32_t i = 0; i < s->npages; i++) {
        const struct page *p = &s->pages[i];
        if (scratch_page(s, p->addr)) continue;
        int want = writable(s, p) ? PROT_READ | PROT_WRITE : PROT_READ;
        long u = in_stack(p->addr) ? -1 : upage_index(p->addr);
        int now = u >= 0 ? uprot[u] : p->addr > top ? PROT_NONE : PROT_READ | PROT_WRITE;
        if (now != (PROT_READ | PROT_WRITE)) protect(p->addr, PAGE, PROT_READ | PROT_WRITE);
        memcpy((void *)(uintptr_t)p->addr, p->data, PAGE);
        if (want != (PROT_READ | PROT_WRITE)) protect(p->addr, PAGE, want);
        if (u >= 0) uprot[u] = want;
    }
    fill_frame(s);
}

/* Restore only what a call can have changed: the writable pages and the frame. */
static void reset_state(const struct state *s)
{
    for (uint32_t i = 0; i < s->npages; i++) {
        const struct page *p = &s->pages[i];
        if (!scratch_page(s, p->addr) && writable(s, p)) memcpy((void *)(uintptr_t)p->addr, p->data, PAGE);
    }
    fill_frame(s);
}

struct run {
    int status, sig;    /* 0 returned, 1 signal, 2 time limit */
    uint64_t fault;     /* the faulting address of a SIGSEGV/SIGBUS */
    uint64_t regs[27];
    unsigned char fx[512];
    unsigned char *mem; /* the state's writable pages after the call, in page order */
    double seconds;
};

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void arm_timer(double seconds)
{
    struct itimerval it = {{0, 0}, {(time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6)}};
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) it.it_value.tv_usec = 1000;
    setitimer(ITIMER_PROF, &it, NULL);
}

static void disarm_timer(void)
{
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
}

void replay_on_signal(int sig, siginfo_t *si, void *uc);
void replay_on_signal(int sig, siginfo_t *si, void *uc)
{
    if (sig == SIGTRAP && llmcc_cov_trap(si, uc)) return;
    caught = sig;
    fault_addr = (uint64_t)(uintptr_t)si->si_addr;
    siglongjmp(jump, 1);
}

static void call(const struct state *s, uint64_t entry, struct run *out, double timeout)
{
    memcpy(replay_in, s->regs, sizeof replay_in);
    memcpy(replay_in_fx, s->fx, sizeof replay_in_fx);
    replay_target = entry;
    caught = 0;
    double t0 = cpu_now();
    if (sigsetjmp(jump, 1) == 0) {
        arm_timer(timeout);
        replay_call();
        disarm_timer();
        out->status = 0;
        out->sig = 0;
    } else {
        disarm_timer();
        out->status = caught == SIGPROF ? 2 : 1;
        out->sig = caught;
        out->fault = fault_addr;
    }
    out->seconds = cpu_now() - t0;
    memcpy(out->regs, replay_out, sizeof out->regs);
    memcpy(out->fx, replay_out_fx, sizeof out->fx);
    unsigned char *m = out->mem;
    for (uint32_t i = 0; i < s->npages; i++) {
        const struct page *p = &s->pages[i];
        if (scratch_page(s, p->addr) || !writable(s, p)) continue;
        memcpy(m, (void *)(uintptr_t)p->addr, PAGE);
        m += PAGE;
    }
}

static uint32_t mxcsr_of(const unsigned char *fx) { uint32_t v; memcpy(&v, fx + 24, 4); return v; }
static uint16_t fcw_of(const unsigned char *fx) { uint16_t v; memcpy(&v, fx, 2); return v; }
static uint64_t xmm_of(const unsigned char *fx, int reg, int half) { uint64_t v; memcpy(&v, fx + 160 + 16 * reg + 8 * half, 8); return v; }

/* Broken promises of the ABI, as harness_call.s's bits. */
static uint64_t abi_violations(const struct state *s, const struct run *r)
{
    static const int saved[6] = {RBX, RBP, R12, R13, R14, R15};
    uint64_t v = 0;
    for (int i = 0; i < 6; i++) if (r->regs[saved[i]] != s->regs[saved[i]]) v |= 1ull << i;
    if (r->regs[RSP] != s->regs[RSP] + 8) v |= 64;
    if (r->regs[EFLAGS] & 0x400) v |= 128;
    if ((mxcsr_of(r->fx) ^ mxcsr_of(s->fx)) & 0xffc0) v |= 256;
    if (fcw_of(r->fx) != fcw_of(s->fx)) v |= 512;
    if (r->fx[4] != 0) v |= 2048; /* fxsave's abridged tag word: a register still in use */
    return v;
}

/* Where memory differs between two runs (or a run and the recording): byte offsets of the first
 * difference in the state's writable pages, bytes the function owns (its frame) left out. */
static int first_difference(const struct state *s, const unsigned char *a, const unsigned char *b, uint64_t *where)
{
    const unsigned char *pa = a, *pb = b;
    for (uint32_t i = 0; i < s->npages; i++) {
        const struct page *p = &s->pages[i];
        if (scratch_page(s, p->addr) || !writable(s, p)) continue;
        for (uint64_t k = 0; k < PAGE; k++) {
            uint64_t at = p->addr + k;
            if (in_stack(at) && at < s->regs[RSP] + 8) continue; /* the frame, and our return slot */
            if (pa[k] != pb[k]) { *where = at; return 1; }
        }
        pa += PAGE;
        pb += PAGE;
    }
    return 0;
}

static size_t mem_len(const struct state *s)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s->npages; i++)
        if (!scratch_page(s, s->pages[i].addr) && writable(s, &s->pages[i])) n += PAGE;
    return n;
}

/* The memory the recorded call left: its written pages after, the others as at entry. */
static void recorded_after(const struct state *s, unsigned char *out)
{
    unsigned char *m = out;
    for (uint32_t i = 0; i < s->npages; i++) {
        const struct page *p = &s->pages[i];
        if (scratch_page(s, p->addr) || !writable(s, p)) continue;
        const unsigned char *src = p->data;
        for (uint32_t k = 0; k < s->nexit; k++) if (s->exits[k].addr == p->addr) src = s->exits[k].data;
        memcpy(m, src, PAGE);
        m += PAGE;
    }
}

static void hexdump(const unsigned char *mem, const struct state *s, uint64_t at)
{
    /* 16 bytes from `at` in a snapshot laid out as mem_len's pages */
    const unsigned char *pm = mem;
    for (uint32_t i = 0; i < s->npages; i++) {
        const struct page *p = &s->pages[i];
        if (scratch_page(s, p->addr) || !writable(s, p)) continue;
        if (at >= p->addr && at < p->addr + PAGE) {
            uint64_t off = at - p->addr, n = PAGE - off < 16 ? PAGE - off : 16;
            for (uint64_t k = 0; k < n; k++) printf("%02x", pm[off + k]);
            return;
        }
        pm += PAGE;
    }
}

static int returns_differ(const struct run *a, const uint64_t *regs_b, const unsigned char *fx_b)
{
    return (a->regs[RAX] & rax_mask) != (regs_b[RAX] & rax_mask) || (a->regs[RDX] & rdx_mask) != (regs_b[RDX] & rdx_mask) ||
           (xmm_of(a->fx, 0, 0) & xmm_mask[0]) != (xmm_of(fx_b, 0, 0) & xmm_mask[0]) ||
           (xmm_of(a->fx, 0, 1) & xmm_mask[1]) != (xmm_of(fx_b, 0, 1) & xmm_mask[1]) ||
           (xmm_of(a->fx, 1, 0) & xmm_mask[2]) != (xmm_of(fx_b, 1, 0) & xmm_mask[2]) ||
           (xmm_of(a->fx, 1, 1) & xmm_mask[3]) != (xmm_of(fx_b, 1, 1) & xmm_mask[3]);
}

/* What kind of access faulted: memory the recorded call only read, or never touched. */
static const char *fault_kind(const struct state *s, uint64_t addr)
{
    uint64_t pg = addr & ~(PAGE - 1);
    for (uint32_t i = 0; i < s->npages; i++)
        if (s->pages[i].addr == pg) return writable(s, &s->pages[i]) ? "fault" : "readonly";
    return in_stack(addr) ? "fault" : "untouched";
}

static uint64_t image_entry(uint32_t kind, uint32_t placement)
{
    uint64_t any = 0;
    for (uint32_t i = 0; i < nimages; i++)
        if (images[i].kind == kind) {
            if (images[i].placement == placement) return images[i].entry;
            if (!any) any = images[i].entry;
        }
    return any;
}

static int verify(void)
{
    uint64_t base = image_entry(0, 0), cand = image_entry(1, 0);
    size_t cap = 0;
    for (uint32_t i = 0; i < nstates; i++) if (mem_len(&states[i]) > cap) cap = mem_len(&states[i]);
    struct run b, c;
    b.mem = malloc(cap + 1);
    c.mem = malloc(cap + 1);
    unsigned char *rec = malloc(cap + 1);
    uint32_t ran = 0, skipped = 0, unfaithful = 0;
    if (cov_fn && ncov) {
        long *offsets = malloc(ncov * sizeof *offsets);
        for (uint32_t k = 0; k < ncov; k++) offsets[k] = cov_off[k];
        if (llmcc_cov_arm((uintptr_t)cov_fn, offsets, ncov) != 0) return 4;
    }
    for (uint32_t i = 0; i < nstates; i++) {
        const struct state *s = &states[i];
        set_state(s, (int)i);
        call(s, base, &b, base_timeout);
        if (b.status != 0) { printf("SKIP %u %d %d\n", i, b.status, b.sig); skipped++; continue; }
        uint64_t where, v = abi_violations(s, &b);
        recorded_after(s, rec);
        if (v) { printf("UNFAITHFUL %u abi %llu\n", i, (unsigned long long)v); unfaithful++; continue; }
        if (returns_differ(&b, s->exit_regs, s->exit_fx)) {
            printf("UNFAITHFUL %u return %016llx %016llx\n", i, (unsigned long long)(b.regs[RAX] & rax_mask),
                   (unsigned long long)(s->exit_regs[RAX] & rax_mask));
            unfaithful++;
            continue;
        }
        if (first_difference(s, b.mem, rec, &where)) {
            printf("UNFAITHFUL %u memory %llx\n", i, (unsigned long long)where);
            unfaithful++;
            continue;
        }
        reset_state(s);
        double limit = b.seconds * cand_factor;
        call(s, cand, &c, limit > cand_min ? limit : cand_min);
        ran++;
        if (c.status != 0) {
            printf("MISMATCH %u status %d %d %s %llx\n", i, c.status, c.sig, c.sig == SIGSEGV ? fault_kind(s, c.fault) : "-",
                   (unsigned long long)c.fault);
            goto mismatch;
        }
        v = abi_violations(s, &c);
        if (v) { printf("MISMATCH %u abi %llu\n", i, (unsigned long long)v); goto mismatch; }
        if (returns_differ(&c, b.regs, b.fx)) {
            printf("MISMATCH %u return %016llx %016llx %016llx %016llx\n", i, (unsigned long long)(b.regs[RAX] & rax_mask),
                   (unsigned long long)(xmm_of(b.fx, 0, 0) & xmm_mask[0]), (unsigned long long)(c.regs[RAX] & rax_mask),
                   (unsigned long long)(xmm_of(c.fx, 0, 0) & xmm_mask[0]));
            goto mismatch;
        }
        if (first_difference(s, b.mem, c.mem, &where)) {
            printf("MISMATCH %u memory %llx ", i, (unsigned long long)where);
            hexdump(b.mem, s, where);
            printf(" ");
            hexdump(c.mem, s, where);
            printf("\n");
            goto mismatch;
        }
    }
    if (llmcc_cov_armed()) llmcc_cov_report(stdout);
    printf("DONE %u %u %u\n", ran, skipped, unfaithful);
    return 0;
mismatch:
    if (llmcc_cov_armed()) llmcc_cov_report(stdout);
    fflush(stdout);
    return 1;
}

static uint64_t timed(const struct state *s, uint64_t entry, uint32_t index, int is_cand)
{
    unsigned aux;
    memcpy(replay_in, s->regs, sizeof replay_in);
    memcpy(replay_in_fx, s->fx, sizeof replay_in_fx);
    replay_target = entry;
    caught = 0;
    if (sigsetjmp(jump, 1) != 0) {
        disarm_timer();
        printf("FAILED %u %s %d %s %llx\n", index, is_cand ? "candidate" : "gcc", caught,
               caught == SIGSEGV ? fault_kind(s, fault_addr) : "-", (unsigned long long)fault_addr);
        exit(1);
    }
    arm_timer(base_timeout * 10);
    _mm_lfence();
    uint64_t t0 = __rdtscp(&aux);
    replay_call();
    uint64_t t1 = __rdtscp(&aux);
    _mm_lfence();
    disarm_timer();
    return t1 - t0;
}

/* Timing: every page of every state stays readable and writable (the candidate was verified on
 * these states already), and a state is staged by copying all of its pages in, so the states can
 * follow one another call after call as the program's calls do: a branch predictor that saw one
 * state a thousand times in a row would favour branchy code the program never runs that way. */
static void stage(const struct state *s)
{
    for (uint32_t i = 0; i < s->npages; i++)
        if (!scratch_page(s, s->pages[i].addr)) memcpy((void *)(uintptr_t)s->pages[i].addr, s->pages[i].data, PAGE);
    fill_frame(s);
}

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Rounds of about ROUND_S per side: each round passes over the states again and again, gcc's
 * version and the candidate called on each state in turn (which goes first alternates), and keeps
 * for each state and side its least time (rdtscp) in the round; the round's figure per side is
 * the sum over the states. `reps` (from the run file) is the least number of passes per round. */
#define ROUND_S 0.02

static int time_them(void)
{
    uint32_t placements = 0;
    for (uint32_t i = 0; i < nimages; i++) if (images[i].placement + 1 > placements) placements = images[i].placement + 1;
    for (long u = 0; u < nupages; u++) { protect(upages[u], PAGE, PROT_READ | PROT_WRITE); uprot[u] = PROT_READ | PROT_WRITE; }
    if (stack_hi > stack_lo) protect(stack_lo - SCRATCH, stack_hi - stack_lo + SCRATCH, PROT_READ | PROT_WRITE);
    uint64_t *bmin = malloc(nstates * sizeof *bmin), *cmin = malloc(nstates * sizeof *cmin);
    /* calibration: one pass of both sides, to size the rounds */
    double t0 = wall_now();
    for (uint32_t i = 0; i < nstates; i++) {
        stage(&states[i]);
        timed(&states[i], image_entry(0, 0), i, 0);
        stage(&states[i]);
        timed(&states[i], image_entry(1, 0), i, 1);
    }
    double pass = wall_now() - t0;
    uint32_t passes = reps;
    if (pass > 0 && ROUND_S * 2 / pass > passes) passes = (uint32_t)(ROUND_S * 2 / pass);
    if (passes > 2000) passes = 2000;
    for (uint32_t r = 0; r < rounds; r++) {
        uint32_t pl = placements ? r % placements : 0;
        uint64_t base = image_entry(0, pl), cand = image_entry(1, pl);
        for (uint32_t i = 0; i < nstates; i++) bmin[i] = cmin[i] = UINT64_MAX;
        for (uint32_t k = 0; k < passes; k++) {
            for (uint32_t i = 0; i < nstates; i++) {
                const struct state *s = &states[i];
                int cand_first = (k + r + i) & 1;
                for (int side = 0; side < 2; side++) {
                    int is_cand = side ^ !cand_first;
                    stage(s);
                    uint64_t t = timed(s, is_cand ? cand : base, i, is_cand);
                    if (is_cand) { if (t < cmin[i]) cmin[i] = t; }
                    else if (t < bmin[i]) bmin[i] = t;
                }
            }
        }
        uint64_t bsum = 0, csum = 0;
        for (uint32_t i = 0; i < nstates; i++) { bsum += bmin[i]; csum += cmin[i]; }
        printf("ROUND %u %llu %llu %u\n", r, (unsigned long long)bsum, (unsigned long long)csum, passes);
        fflush(stdout);
    }
    return 0;
}

/* Training (mode 2): the candidate image (an instrumented build of the function, its counters in a
 * writable segment of the run file) called once on every state, nothing compared; then the
 * counters, "COUNTERS ran hex". */
static int train(void)
{
    uint64_t fn = image_entry(1, 0);
    size_t cap = 0;
    for (uint32_t i = 0; i < nstates; i++) if (mem_len(&states[i]) > cap) cap = mem_len(&states[i]);
    struct run r;
    r.mem = malloc(cap + 1);
    uint32_t ran = 0;
    for (uint32_t i = 0; i < nstates; i++) {
        set_state(&states[i], (int)i);
        call(&states[i], fn, &r, base_timeout);
        ran += r.status == 0;
    }
    printf("COUNTERS %u ", ran);
    for (uint64_t k = 0; k < dump_len; k++) printf("%02x", ((const unsigned char *)(uintptr_t)dump_addr)[k]);
    printf("\n");
    return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(path); exit(4); }
    unsigned char *buf = malloc((size_t)st.st_size + 8);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf || got != (size_t)st.st_size) { fprintf(stderr, "cannot read %s\n", path); exit(4); }
    *len = got;
    return buf;
}

/* Segments: code of the program or an image, mapped where it was, with its protection. */
static void map_segments(uint32_t n)
{
    uint32_t pad, prot;
    for (uint32_t i = 0; i < n && !bad; i++) {
        uint64_t addr = u64(), len = u64();
        two_u32(&prot, &pad);
        const unsigned char *data = take(len);
        if (bad || (addr | len) % PAGE) { bad = 1; break; }
        map_fixed(addr, len, PROT_READ | PROT_WRITE);
        memcpy((void *)(uintptr_t)addr, data, len);
        protect(addr, len, (int)prot);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: replayer STATES RUN\n"); return 4; }
    size_t slen, rlen;
    unsigned char *sbuf = slurp(argv[1], &slen), *rbuf = slurp(argv[2], &rlen);
    uint32_t pad, nimgsegs;
    /* the run: what to do, the images */
    cur = rbuf;
    end = rbuf + rlen;
    if (u64() != RUN_MAGIC) { fprintf(stderr, "not a replay run file\n"); return 4; }
    two_u32(&mode, &nimages);
    rax_mask = u64(); rdx_mask = u64();
    for (int i = 0; i < 4; i++) xmm_mask[i] = u64();
    base_timeout = f64(); cand_factor = f64(); cand_min = f64();
    two_u32(&rounds, &reps);
    cov_fn = u64();
    two_u32(&ncov, &nimgsegs);
    dump_addr = u64(); dump_len = u64();
    cov_off = take((size_t)ncov * 4);
    images = calloc(nimages + 1, sizeof *images);
    for (uint32_t i = 0; i < nimages && !bad; i++) {
        two_u32(&images[i].kind, &images[i].placement);
        images[i].entry = u64();
    }
    map_segments(nimgsegs);
    if (bad || cur != end) { fprintf(stderr, "bad run file\n"); return 4; }
    /* the states: the program's code where the recording had it, then every call */
    cur = sbuf;
    end = sbuf + slen;
    if (u64() != STATES_MAGIC) { fprintf(stderr, "not a replay states file\n"); return 4; }
    two_u32(&nsegs, &nstates);
    stack_lo = u64(); stack_hi = u64();
    map_segments(nsegs);
    (void)pad;
    states = calloc(nstates + 1, sizeof *states);
    long total = 0;
    for (uint32_t i = 0; i < nstates && !bad; i++) {
        struct state *s = &states[i];
        two_u32(&s->npages, &s->nexit);
        s->regs = take(27 * 8);
        s->fx = take(512);
        s->exit_regs = take(27 * 8);
        s->exit_fx = take(512);
        s->pages = take((size_t)s->npages * sizeof(struct page));
        s->exits = take((size_t)s->nexit * sizeof(struct exit_page));
        total += s->npages;
    }
    if (bad || cur != end) { fprintf(stderr, "bad bundle\n"); return 4; }
    /* every page any state touched, mapped once; the stack with room below for deeper frames */
    upages = malloc((size_t)(total + 1) * sizeof *upages);
    for (uint32_t i = 0; i < nstates; i++)
        for (uint32_t k = 0; k < states[i].npages; k++) upages[nupages++] = states[i].pages[k].addr;
    qsort(upages, (size_t)nupages, sizeof *upages, cmp_u64);
    long n = 0;
    for (long i = 0; i < nupages; i++)
        if (!in_stack(upages[i]) && (n == 0 || upages[i] != upages[n - 1])) upages[n++] = upages[i];
    nupages = n;
    ustamp = malloc((size_t)(n + 1) * sizeof *ustamp);
    uprot = malloc((size_t)(n + 1) * sizeof *uprot);
    for (long i = 0; i < n; i++) {
        long j = i;
        while (j + 1 < n && upages[j + 1] == upages[j] + PAGE) j++;
        map_fixed(upages[i], upages[j] - upages[i] + PAGE, PROT_NONE);
        for (long k = i; k <= j; k++) { ustamp[k] = -1; uprot[k] = PROT_NONE; }
        i = j;
    }
    if (stack_hi > stack_lo) map_fixed(stack_lo - SCRATCH, stack_hi - stack_lo + SCRATCH, PROT_READ | PROT_WRITE);

    replay_fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0; /* HWCAP2_FSGSBASE: the kernel lets us wrfsbase */
    if (mode == 1) { /* timing: stay on one core (no migration between the two sides' calls) */
        cpu_set_t one;
        CPU_ZERO(&one);
        int cpu = sched_getcpu();
        CPU_SET(cpu >= 0 ? cpu : 0, &one);
        sched_setaffinity(0, sizeof one, &one);
    }
    uint64_t fs;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(fs)); /* glibc's TCB points to itself: the fs base */
    replay_host_fs = fs;
    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {0};
    sa.sa_sigaction = replay_sig_entry;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGPROF, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    llmcc_confine(); /* from here on: no system calls but output, signals, timer, memory, exit */
    int rc = mode == 0 ? verify() : mode == 1 ? time_them() : train();
    fflush(stdout);
    return rc;
}
