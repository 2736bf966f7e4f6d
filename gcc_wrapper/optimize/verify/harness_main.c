/* llmcc differential-test harness: runs the original function (llmcc_fn_base) and a candidate
 * (llmcc_fn_cand) on the same inputs and compares everything they can change.
 *
 *   harness INPUTS.bin [COVERAGE-OFFSETS|- [OFFSET:VALUE...]]
 *
 * COVERAGE-OFFSETS: the candidate's blocks to report when they run (coverage.c), "-" for none.
 *
 * A candidate that dispatches on the CPU (gcc_wrapper/optimize/dispatch.py) reads libgcc's CPU
 * model, __cpu_features2. The harness defines it (weak: libgcc's own wins if something else pulls
 * it in) and sets each OFFSET:VALUE (byte offset, 32-bit word) before any call: differential
 * testing runs the harness once per CPU model it tests.
 *
 * The inputs are generated and encoded by gcc_wrapper/optimize/verify/inputs.py (format documented there);
 * this program knows no C types: each argument is a register image (integer or xmm), a pointer
 * into a memory region placed against guard pages, or one of the callbacks of harness_call.s.
 * Each call goes through llmcc_call (harness_call.s), which checks the ABI. A crash or a hang is
 * caught with a signal handler on an alternate stack and a per-call CPU-time timer (CPU time, not
 * wall time: a busy machine that deschedules the harness must not make a correct candidate look
 * hung), so one process runs every input.
 *
 * Memory the function may not write is mapped read-only during the call: a region every pointer
 * to which is const, and, for the candidate, a region the original did not write on that input
 * (the original's run starts with every region read-only; its first write to a non-const one is
 * recorded and allowed by the fault handler). A lazily committed region (a buffer of up to
 * terabytes, for lengths at the limits of their types) is reserved PROT_NONE; the fault handler
 * commits and fills each page the call touches, up to a page budget, and those pages alone are
 * compared and then reset.
 *
 * Output: "SKIP index" for each input the original itself crashed or hung on, then one line:
 * "DONE ran skipped", or "MISMATCH index what...", or "NONDET index what...".
 * Exit status 0, 1 (mismatch), 3 (the original disagrees with itself), 4 (bad input file).
 *
 * Built with -fno-builtin -fno-tree-loop-distribute-patterns: the function under test may itself
 * be called memcpy, memset or qsort, so the harness copies, fills and sorts with its own loops. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "seccomp.c"  /* llmcc_confine: the system-call allowlist */

#include "coverage.h"

struct llmcc_frame {
    uint64_t fn, iargs[6], fargs[8], rax, rdx, xmm0[2], xmm1[2], violations, garbage;
};
void llmcc_call(struct llmcc_frame *f);
extern uint64_t llmcc_rsp;  /* harness_call.s: the stack pointer the function is called with */

/* The callbacks passed for function-pointer parameters (harness_call.s). Each stores its argument
 * registers, entry stack pointer and flags here, calls llmcc_callback_body, and returns what that
 * leaves in rax/xmm0 with every other caller-saved register set to garbage. */
void llmcc_cb0(void), llmcc_cb1(void), llmcc_cb2(void), llmcc_cb3(void);
struct llmcc_cbstate { uint64_t i[6], x[8], rsp, index, rax, xmm0, garbage, flags; };
struct llmcc_cbstate llmcc_cb;
int llmcc_cb_vec;  /* what the callbacks clobber beyond xmm0-15: 1 ymm, 2 zmm and mask registers too */
void llmcc_callback_body(void);

struct llmcc_global { uint64_t addr, size, writable; };
extern struct llmcc_global llmcc_globals[];
extern uint64_t llmcc_nglobals;
extern const char *llmcc_global_names[];
extern uint64_t llmcc_fn_base, llmcc_fn_cand;

#define FILL 0xa5a5a5a5a5a5a5a5ull
#define PG 4096u
#define MAXR 16
#define NULL_IMAGE 0xffffffffffffffffull
#define STACK_TAG 0x5ac0000000000000ull  /* a callback argument pointing into the caller's stack */
/* violations found by the callbacks, beside harness_call.s's bits */
#define CB_MISALIGNED 4096u
#define CB_NOT_EXTENDED 8192u
#define CB_DIRECTION 16384u

__attribute__((weak)) unsigned int __cpu_features2[16];

struct param { uint8_t kind, reg; };   /* kind 0 integer register, 1 xmm register, 2 pointer, 3 callback */
struct cbarg { uint8_t cls, size, sign, reg; };  /* cls 0 int, 1 bool, 2 float, 3 double, 4 pointer */
struct cbsig { uint8_t nargs, ret, ret_size, comparator; struct cbarg args[14]; };  /* ret 0 void 1 int 2 bool 3 float 4 double */

static uint32_t nparams, ninputs, nregions_max, ndet, ret_pointer, region_cap, lazy_pages, ncallbacks;
static uint64_t rax_mask, xmm0_mask, lazy_span;
static double base_timeout, cand_factor, cand_min, lazy_timeout;
static struct param params[16];
static struct cbsig cbs[4];
static void (*const cbfn[4])(void) = {llmcc_cb0, llmcc_cb1, llmcc_cb2, llmcc_cb3};

static unsigned char *arena[MAXR];    /* data area of each region, guard pages on both sides */
static size_t arena_len;
static unsigned char *lazy_base;      /* reserved (PROT_NONE) address space for lazy regions */

struct lzpage { unsigned char *addr; uint32_t region, slot; };

struct cblog {                        /* the calls of the callbacks, in order */
    uint64_t *w;                      /* per call: a header (callback | words << 8), then its words */
    uint32_t n, cap, full;            /* words stored; full: later calls are only hashed */
    uint64_t calls, hash;
};

struct run {
    int status, sig;                  /* status 0 returned, 1 signal, 2 timeout, 3 touched more lazy
                                       * pages than allowed, 4 wrote memory mapped read-only */
    uint64_t rax, xmm0, violations;
    unsigned char *snap;              /* copies of the region windows and writable globals */
    size_t snap_len;
    double seconds;
    uint32_t wrote;                   /* regions it wrote */
    uint64_t gwrote;                  /* globals it wrote */
    int fault_region;                 /* status 3 and 4: where */
    int64_t fault_off;
    struct lzpage *pages;             /* lazy pages it touched... */
    unsigned char *pdata;             /* ...and their content after the call */
    uint32_t npages;
    struct cblog log;
};

static sigjmp_buf jump;
static volatile sig_atomic_t caught;
static uint32_t saved_mxcsr;
static uint16_t saved_fpucw;

static void on_signal(int sig) { caught = sig; siglongjmp(jump, 1); }
/* SIGTRAP: a coverage breakpoint (coverage.c) resumes the candidate; anything else is a crash */
static void on_trap(int sig, siginfo_t *si, void *uc) { if (!llmcc_cov_trap(si, uc)) on_signal(sig); }

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
static uint64_t mix(uint64_t z)       /* splitmix64's finaliser */
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* One input, decoded in place. A region's window is the memory compared and reset for it: all of
 * its arena, not just the buffer, so that an access out of bounds sees the same bytes every time
 * and a stray write anywhere in it shows (one past the end of a buffer placed against the
 * trailing guard page faults instead); for a lazy region, the pages its buffer covers. */
struct region {
    uint64_t nbytes;
    int32_t placement;
    uint8_t lazy, cnst, ekind, esize, esigned;
    const unsigned char *content;
    unsigned char *start;             /* the buffer's first byte */
    unsigned char *lo, *hi;           /* its window */
};
struct input { uint64_t gseed; uint32_t nregions; struct region regions[MAXR]; uint64_t values[16]; };

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
    unsigned char *cursor = lazy_base + PG;  /* lazy buffers follow each other, a guard page apart */
    for (uint32_t r = 0; r < in->nregions; r++) {
        struct region *g = &in->regions[r];
        g->nbytes = rd(8);
        g->placement = (int32_t)rd(4);
        uint8_t flags = (uint8_t)rd(1);
        g->ekind = (uint8_t)rd(1); g->esize = (uint8_t)rd(1); g->esigned = (uint8_t)rd(1);
        g->lazy = flags & 1;
        g->cnst = (flags >> 1) & 1;
        if (bad) return;
        if (g->lazy) {
            uint64_t off = g->placement < 0 ? 0 : (uint64_t)g->placement;
            if (!lazy_base || g->esize == 0 || g->esize > 8 || g->ekind > 3 || g->nbytes == 0 || g->nbytes % g->esize
                || off >= PG || g->nbytes > lazy_span) { bad = 1; return; }
            uint64_t span = (off + g->nbytes + PG - 1) / PG * PG;
            if ((uint64_t)(cursor - lazy_base) + span + PG > lazy_span) { bad = 1; return; }
            g->content = NULL;
            g->start = g->placement < 0 ? cursor + span - g->nbytes : cursor + off;
            g->lo = cursor;
            g->hi = cursor + span;
            cursor += span + PG;
            continue;
        }
        if (g->nbytes > region_cap || (g->placement >= 0 && (uint64_t)g->placement + g->nbytes > region_cap)) { bad = 1; return; }
        g->content = cur;
        size_t padded = (g->nbytes + 7u) & ~7u;
        if ((size_t)(end - cur) < padded) { bad = 1; return; }
        cur += padded;
        g->start = g->placement < 0 ? arena[r] + arena_len - g->nbytes : arena[r] + g->placement;
        g->lo = arena[r];
        g->hi = arena[r] + arena_len;
    }
    for (uint32_t p = 0; p < nparams; p++) {
        uint64_t v = in->values[p] = rd(8);
        if (params[p].kind == 2 && v != NULL_IMAGE && ((v >> 32) >= in->nregions || (uint32_t)v > in->regions[v >> 32].nbytes)) bad = 1;
        if (params[p].kind == 3 && v != NULL_IMAGE && v >= ncallbacks) bad = 1;
    }
}

/* The content of the lazy region's page at `page`, into out: element i of n is an ascending ramp
 * (integers min + floor(i * 2^bits / n), floating point i - n/2, _Bool i >= n/2), bytes outside
 * the buffer the fill pattern. */
static void ramp(const struct region *g, const unsigned char *page, unsigned char *out)
{
    fill(out, FILL, PG);
    const unsigned char *lo = page > g->start ? page : g->start;
    const unsigned char *hi = page + PG < g->start + g->nbytes ? page + PG : g->start + g->nbytes;
    if (lo >= hi) return;
    uint64_t n = g->nbytes / g->esize, i = (uint64_t)(lo - g->start) / g->esize, count = (uint64_t)(hi - lo) / g->esize;
    unsigned char *o = out + (lo - page);
    unsigned bits = 8u * g->esize;
    if (g->ekind == 0) {
        /* floor(i * 2^bits / n), stepped without a division per element */
        unsigned __int128 one = (unsigned __int128)1 << bits, num = (unsigned __int128)i << bits;
        uint64_t q = (uint64_t)(one / n), rr = (uint64_t)(one % n);
        uint64_t u = (uint64_t)(num / n), rem = (uint64_t)(num % n);
        uint64_t flip = g->esigned ? 1ull << (bits - 1) : 0;
        for (uint64_t k = 0; k < count; k++, i++, o += g->esize) {
            uint64_t v = u ^ flip;
            switch (g->esize) {  /* elements are aligned to their size */
            case 1: *o = (uint8_t)v; break;
            case 2: *(uint16_t *)(void *)o = (uint16_t)v; break;
            case 4: *(uint32_t *)(void *)o = (uint32_t)v; break;
            default: *(uint64_t *)(void *)o = v; break;
            }
            u += q;
            rem += rr;
            if (rem >= n) { rem -= n; u++; }
        }
        return;
    }
    for (uint64_t k = 0; k < count; k++, i++) {
        uint64_t v;
        double d = (double)i - (double)(n / 2);
        if (g->ekind == 1) v = i >= n / 2;
        else if (g->ekind == 2) { float f = (float)d; uint32_t w; copy((unsigned char *)&w, (unsigned char *)&f, 4); v = w; }
        else copy((unsigned char *)&v, (unsigned char *)&d, 8);
        for (unsigned b = 0; b < g->esize; b++) *o++ = (unsigned char)(v >> (8 * b));
    }
}

/* ---- the state of the call in progress, shared with the fault handler and the callbacks */

static const struct input *cur_in;
static volatile int in_call;          /* a fault now is the function's (or a callback's) */
static int tracking;                  /* the original's run: a first write to a read-only
                                       * non-const region is recorded and allowed */
static uint32_t ro;                   /* regions mapped read-only now */
static uint32_t wrote;                /* regions the call wrote */
static uint64_t gro, gwrote;          /* the same for the first 64 writable globals */
static int fault_kind, fault_region;  /* 1 wrote read-only memory, 2 touched too many lazy pages;
                                       * a global g is region -1 - g */
static int64_t fault_off;
static struct lzpage *committed;      /* lazy pages committed by this call */
static uint32_t ncommitted, page_cap;
static unsigned char **pageset;       /* the same pages, open addressing */
static uint32_t pageset_mask;
static struct cblog *cb_log;
static uint64_t cb_violations;

static uint32_t page_slot(const unsigned char *p)
{
    uint32_t h = (uint32_t)mix((uint64_t)(uintptr_t)p) & pageset_mask;
    while (pageset[h] && pageset[h] != p) h = (h + 1) & pageset_mask;
    return h;
}

static int region_at(const unsigned char *a)
{
    const struct input *in = cur_in;
    for (uint32_t r = 0; in && r < in->nregions; r++)
        if (a >= in->regions[r].lo && a < in->regions[r].hi) return (int)r;
    return -1;
}

/* A writable global sits on pages of its own (support.o): it can be mapped read-only. */
static int global_at(const unsigned char *a)
{
    for (uint64_t g = 0; g < llmcc_nglobals && g < 64; g++) {
        const unsigned char *lo = (const unsigned char *)llmcc_globals[g].addr;
        if (llmcc_globals[g].writable && a >= lo && a < lo + (llmcc_globals[g].size + PG - 1) / PG * PG) return (int)g;
    }
    return -1;
}

static void protect_global(uint64_t g, int prot)
{
    if (llmcc_globals[g].addr % PG == 0)
        mprotect((void *)(uintptr_t)llmcc_globals[g].addr, (llmcc_globals[g].size + PG - 1) / PG * PG, prot);
}

static void protect(uint32_t r, int prot)
{
    const struct region *g = &cur_in->regions[r];
    if (!g->lazy) { mprotect(g->lo, (size_t)(g->hi - g->lo), prot); return; }
    for (uint32_t k = 0; k < ncommitted; k++)
        if (committed[k].region == r) mprotect(committed[k].addr, PG, prot);
}

/* SIGSEGV: commit a lazy page; allow and record the original's first write to a non-const
 * region; anything else ends the call. */
static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    unsigned char *a = si->si_addr;
    int r = in_call ? region_at(a) : -1;
    if (r >= 0) {
        const struct region *g = &cur_in->regions[r];
        unsigned char *page = (unsigned char *)((uintptr_t)a & ~(uintptr_t)(PG - 1));
        uint32_t slot = g->lazy ? page_slot(page) : 0;
        if (g->lazy && !pageset[slot]) {
            if (ncommitted >= page_cap) {
                fault_kind = 2;
                fault_region = r;
                caught = sig;
                siglongjmp(jump, 1);
            }
            pageset[slot] = page;
            committed[ncommitted].addr = page;
            committed[ncommitted].region = (uint32_t)r;
            committed[ncommitted].slot = slot;
            ncommitted++;
            mprotect(page, PG, PROT_READ | PROT_WRITE);
            ramp(g, page, page);
            if (ro & (1u << r)) mprotect(page, PG, PROT_READ);
            return;
        }
        int write = (((ucontext_t *)ctx)->uc_mcontext.gregs[REG_ERR] & 2) != 0;
        if (write && (ro & (1u << r))) {
            if (tracking && !g->cnst) {
                ro &= ~(1u << r);
                wrote |= 1u << r;
                protect((uint32_t)r, PROT_READ | PROT_WRITE);
                return;
            }
            fault_kind = 1;
            fault_region = r;
            fault_off = a - g->start;
        }
    }
    int gl = in_call && r < 0 ? global_at(a) : -1;
    if (gl >= 0 && (gro & (1ull << gl)) && (((ucontext_t *)ctx)->uc_mcontext.gregs[REG_ERR] & 2)) {
        if (tracking) {
            gro &= ~(1ull << gl);
            gwrote |= 1ull << gl;
            protect_global((uint64_t)gl, PROT_READ | PROT_WRITE);
            return;
        }
        fault_kind = 1;
        fault_region = -1 - gl;
        fault_off = a - (unsigned char *)(uintptr_t)llmcc_globals[gl].addr;
    }
    caught = sig;
    siglongjmp(jump, 1);
}

/* ---- callbacks */

static void log_call(const uint64_t *w, uint32_t n)
{
    struct cblog *l = cb_log;
    l->calls++;
    for (uint32_t k = 0; k < n; k++) l->hash = mix(l->hash ^ w[k]);
    if (l->full || l->n + n > l->cap) { l->full = 1; return; }
    for (uint32_t k = 0; k < n; k++) l->w[l->n++] = w[k];
}

static uint64_t digest(const unsigned char *p, uint64_t n)
{
    uint64_t d = 0x6a09e667f3bcc909ull;
    for (uint64_t k = 0; k < n; k++) d = mix(d ^ ((const volatile unsigned char *)p)[k]);
    return d;
}

/* One call of a callback: check the ABI at its entry, record its arguments (a pointer into a
 * region as region and offset, with the bytes it points to; into the caller's stack as such, with
 * those bytes; anything else as is), and compute its result from them alone: for a comparator a
 * consistent order of the arguments' hashes, else a hash of all of them, on the width of its
 * return type with garbage above. */
void llmcc_callback_body(void)
{
    struct llmcc_cbstate *s = &llmcc_cb;
    uint32_t k = (uint32_t)s->index;
    const struct cbsig *c = &cbs[k];
    if ((s->rsp + 8) % 16) cb_violations |= CB_MISALIGNED;
    if (s->flags & 0x400) cb_violations |= CB_DIRECTION;
    uint64_t w[1 + 2 * 14], h[14], all = k + 1;
    uint32_t nw = 1;
    for (uint32_t j = 0; j < c->nargs; j++) {
        const struct cbarg *a = &c->args[j];
        uint64_t v;
        if (a->cls <= 1) {
            v = s->i[a->reg];
            uint32_t low = (uint32_t)v;
            if (a->size < 4) {  /* callers extend narrow arguments to 32 bits; gcc and clang rely on it */
                uint32_t m = (1u << (8 * a->size)) - 1, ext = low & m;
                if (a->sign && (ext >> (8 * a->size - 1))) ext |= ~m;
                if (low != ext) cb_violations |= CB_NOT_EXTENDED;
            }
            if (a->cls == 1 && low > 1) cb_violations |= CB_NOT_EXTENDED;
            v = a->size == 8 ? v : v & ((1ull << (8 * a->size)) - 1);
            w[nw++] = v;
            h[j] = mix(v);
        } else if (a->cls <= 3) {
            v = a->cls == 2 ? s->x[a->reg] & 0xffffffffull : s->x[a->reg];
            w[nw++] = v;
            h[j] = mix(v);
        } else {
            const unsigned char *p = (const unsigned char *)(uintptr_t)s->i[a->reg];
            int r = region_at(p);
            if (r >= 0) {
                const struct region *g = &cur_in->regions[r];
                uint64_t n = (uint64_t)(g->hi - p) < a->size ? (uint64_t)(g->hi - p) : a->size;
                w[nw++] = (uint64_t)(r + 1) << 48 | ((uint64_t)(p - g->start) & 0xffffffffffffull);
                h[j] = digest(p, n);
            } else if ((uintptr_t)p >= s->rsp && (uintptr_t)p < llmcc_rsp) {
                uint64_t room = llmcc_rsp - (uintptr_t)p, n = room < a->size ? room : a->size;
                w[nw++] = STACK_TAG;  /* frames differ between correct versions: only the content counts */
                h[j] = digest(p, n);
            } else {
                w[nw++] = (uint64_t)(uintptr_t)p;
                h[j] = mix((uint64_t)(uintptr_t)p);
            }
            w[nw++] = h[j];
        }
        all = mix(all ^ h[j]);
    }
    w[0] = k | (uint64_t)nw << 8;
    log_call(w, nw);
    uint64_t res = all;
    if (c->comparator) {
        int64_t mag = 1 + (int64_t)((h[0] ^ h[1]) & 0xff);  /* symmetric: cmp(a,b) = -cmp(b,a) */
        res = (uint64_t)(h[0] == h[1] ? 0 : h[0] < h[1] ? -mag : mag);
    }
    uint64_t garbage = mix(all + cb_log->calls) | 0x8000000000000001ull;
    s->garbage = garbage;
    s->rax = garbage;
    s->xmm0 = garbage;
    if (c->ret == 1) {
        uint64_t m = c->ret_size == 8 ? ~0ull : (1ull << (8 * c->ret_size)) - 1;
        s->rax = (res & m) | (garbage & ~m);
    } else if (c->ret == 2) {
        s->rax = (res & 1) | (garbage & ~0xffull);
    } else if (c->ret == 3) {
        float f = (float)(int32_t)(res >> 32) / 1024.0f;
        uint32_t bits;
        copy((unsigned char *)&bits, (unsigned char *)&f, 4);
        s->xmm0 = bits | (garbage << 32);
    } else if (c->ret == 4) {
        double d = (double)(int64_t)res / 1099511627776.0;
        copy((unsigned char *)&s->xmm0, (unsigned char *)&d, 8);
    }
}

/* ---- calls */

static size_t snapshot_len(const struct input *in)
{
    size_t n = 0;
    for (uint32_t r = 0; r < in->nregions; r++)
        if (!in->regions[r].lazy) n += (size_t)(in->regions[r].hi - in->regions[r].lo);
    for (uint64_t g = 0; g < llmcc_nglobals; g++)
        if (llmcc_globals[g].writable) n += llmcc_globals[g].size;
    return n;
}

static void setup(const struct input *in)
{
    for (uint32_t r = 0; r < in->nregions; r++) {
        const struct region *g = &in->regions[r];
        if (g->lazy) continue;  /* every page is reset after each call */
        fill(g->lo, FILL, (size_t)(g->hi - g->lo));
        copy(g->start, g->content, g->nbytes);
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
        const struct region *g = &in->regions[r];
        if (g->lazy) continue;
        copy(out, g->lo, (size_t)(g->hi - g->lo));
        out += g->hi - g->lo;
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

/* Call fn on in. track: the original (regions and writable globals start read-only, its writes
 * to non-const ones are recorded); else the candidate, which may write only the regions in
 * `writable` and the globals in `gwritable`. */
static void call(uint64_t fn, const struct input *in, struct run *out, double timeout, int track, uint32_t writable,
                 uint64_t gwritable, uint32_t pages)
{
    static struct llmcc_frame f;
    setup(in);
    for (int i = 0; i < 6; i++) f.iargs[i] = 0x7ea7c0de7ea7c0deull;
    for (int i = 0; i < 8; i++) f.fargs[i] = 0x7ff4dead7ff4beefull;
    for (uint32_t p = 0; p < nparams; p++) {
        uint64_t v = in->values[p];
        if (params[p].kind == 2)
            v = v == NULL_IMAGE ? 0 : (uint64_t)(uintptr_t)(in->regions[v >> 32].start + (uint32_t)v);
        if (params[p].kind == 3)
            v = v == NULL_IMAGE ? 0 : (uint64_t)(uintptr_t)cbfn[v];
        if (params[p].kind == 1) f.fargs[params[p].reg] = v;
        else f.iargs[params[p].reg] = v;
    }
    f.fn = fn;
    f.garbage = 0x7ff4dead7ff4beefull;
    f.violations = 0;
    cur_in = in;
    tracking = track;
    wrote = 0;
    ro = 0;
    fault_kind = 0;
    ncommitted = 0;
    page_cap = pages;
    for (uint32_t r = 0; r < in->nregions; r++) {
        if (track || !(writable & (1u << r))) ro |= 1u << r;
        if ((ro & (1u << r)) && !in->regions[r].lazy) protect(r, PROT_READ);
    }
    gwrote = 0;
    gro = 0;
    for (uint64_t g = 0; g < llmcc_nglobals && g < 64; g++)
        if (llmcc_globals[g].writable && (track || !(gwritable & (1ull << g)))) {
            gro |= 1ull << g;
            protect_global(g, PROT_READ);
        }
    out->log.n = out->log.full = 0;
    out->log.calls = 0;
    out->log.hash = 0;
    cb_log = &out->log;
    cb_violations = 0;
    caught = 0;
    double t0 = now();
    if (sigsetjmp(jump, 1) == 0) {
        in_call = 1;
        arm(timeout);
        llmcc_call(&f);
        in_call = 0;
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
        out->status = 0;
        out->sig = 0;
    } else {
        in_call = 0;
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
        __asm__ volatile("cld\n\tldmxcsr %0\n\tfldcw %1" : : "m"(saved_mxcsr), "m"(saved_fpucw));
        out->status = caught == SIGPROF ? 2 : fault_kind == 2 ? 3 : fault_kind == 1 ? 4 : 1;
        out->sig = caught;
    }
    out->seconds = now() - t0;
    out->rax = f.rax;
    out->xmm0 = f.xmm0[0];
    out->violations = out->status == 0 ? f.violations | cb_violations : 0;
    out->wrote = wrote;
    out->gwrote = gwrote;
    for (uint64_t g = 0; g < llmcc_nglobals && g < 64; g++)
        if (gro & (1ull << g)) protect_global(g, PROT_READ | PROT_WRITE);
    out->fault_region = fault_region;
    out->fault_off = fault_off;
    for (uint32_t r = 0; r < in->nregions; r++)
        if ((ro & (1u << r)) && !in->regions[r].lazy) protect(r, PROT_READ | PROT_WRITE);
    snapshot(in, out->snap);
    /* keep the lazy pages it touched (only compared when it returned), then return them to the
     * reserved state, a lazy region at a time */
    out->npages = out->status == 0 ? ncommitted : 0;
    for (uint32_t k = 0; k < ncommitted; k++) {
        if (out->status == 0) {
            out->pages[k] = committed[k];
            copy(out->pdata + (size_t)k * PG, committed[k].addr, PG);
        }
        pageset[committed[k].slot] = NULL;  /* every slot in use is this call's: the set is empty after */
    }
    for (uint32_t r = 0; ncommitted && r < in->nregions; r++) {
        const struct region *g = &in->regions[r];
        if (!g->lazy) continue;
        madvise(g->lo, (size_t)(g->hi - g->lo), MADV_DONTNEED);
        mprotect(g->lo, (size_t)(g->hi - g->lo), PROT_NONE);
    }
    ncommitted = 0;
    cur_in = NULL;
}

static void hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static void order_pages(const struct run *x, uint32_t *idx)   /* by address (shell sort) */
{
    for (uint32_t k = 0; k < x->npages; k++) idx[k] = k;
    for (uint32_t gap = x->npages / 2; gap > 0; gap /= 2)
        for (uint32_t i = gap; i < x->npages; i++)
            for (uint32_t j = i; j >= gap && x->pages[idx[j - gap]].addr > x->pages[idx[j]].addr; j -= gap) {
                uint32_t t = idx[j]; idx[j] = idx[j - gap]; idx[j - gap] = t;
            }
}

static void report_bytes(const char *prefix, uint32_t index, uint32_t r, long long rel, long long from,
                         const unsigned char *a, const unsigned char *b, size_t len)
{
    printf("%s %u region %u %lld %lld ", prefix, index, r, rel, from);
    hex(a, len);
    printf(" ");
    hex(b, len);
    printf("\n");
}

/* The lazy pages after two runs: a page one run did not touch holds its ramp content. */
static int compare_lazy(const char *prefix, uint32_t index, const struct input *in, const struct run *a, const struct run *b)
{
    static uint32_t *ia, *ib;
    static unsigned char ra[PG], rb[PG];
    if (!a->npages && !b->npages) return 0;
    if (!ia) { ia = malloc(sizeof *ia * 4 * (size_t)lazy_pages); ib = malloc(sizeof *ib * 4 * (size_t)lazy_pages); }
    order_pages(a, ia);
    order_pages(b, ib);
    uint32_t i = 0, j = 0;
    while (i < a->npages || j < b->npages) {
        unsigned char *pa = i < a->npages ? a->pages[ia[i]].addr : NULL, *pb = j < b->npages ? b->pages[ib[j]].addr : NULL;
        unsigned char *page = !pa ? pb : !pb ? pa : pa < pb ? pa : pb;
        uint32_t r = page == pa ? a->pages[ia[i]].region : b->pages[ib[j]].region;
        const struct region *g = &in->regions[r];
        const unsigned char *da = ra, *db = rb;
        if (page == pa) da = a->pdata + (size_t)ia[i++] * PG; else ramp(g, page, ra);
        if (page == pb) db = b->pdata + (size_t)ib[j++] * PG; else ramp(g, page, rb);
        size_t at;
        if (differs(da, db, PG, &at)) {
            size_t from = at >= 16 ? at - 16 : 0, len = PG - from < 48 ? PG - from : 48;
            report_bytes(prefix, index, r, (long long)(page + at - g->start), (long long)(page + from - g->start), da + from, db + from, len);
            return 1;
        }
    }
    return 0;
}

static void print_call(const struct cblog *l, uint32_t at)
{
    uint32_t n = (uint32_t)(l->w[at] >> 8);
    for (uint32_t k = 0; k < n; k++) printf("%s%llx", k ? "," : "", (unsigned long long)l->w[at + k]);
}

/* The callbacks' calls: the first call that differs, else how many. */
static int compare_calls(const char *prefix, uint32_t index, const struct run *a, const struct run *b)
{
    const struct cblog *x = &a->log, *y = &b->log;
    if (x->calls == y->calls && x->hash == y->hash) return 0;
    uint32_t i = 0, j = 0;
    uint64_t call = 0;
    while (i < x->n && j < y->n) {
        uint32_t ni = (uint32_t)(x->w[i] >> 8), nj = (uint32_t)(y->w[j] >> 8);
        size_t at;
        if (ni != nj || differs((const unsigned char *)(x->w + i), (const unsigned char *)(y->w + j), 8 * (size_t)ni, &at)) {
            printf("%s %u call %llu ", prefix, index, (unsigned long long)call);
            print_call(x, i);
            printf(" ");
            print_call(y, j);
            printf("\n");
            return 1;
        }
        i += ni;
        j += nj;
        call++;
    }
    if (x->calls != y->calls)
        printf("%s %u calls %llu %llu\n", prefix, index, (unsigned long long)x->calls, (unsigned long long)y->calls);
    else
        printf("%s %u callhash %llu\n", prefix, index, (unsigned long long)call);
    return 1;
}

/* Where two runs differ, as one line after the prefix; 0 when they do not. */
static int compare(const char *prefix, uint32_t index, const struct input *in, const struct run *a, const struct run *b)
{
    if (a->status != b->status || a->sig != b->sig) {
        printf("%s %u status %d %d %d %d %d %lld %s\n", prefix, index, a->status, a->sig, b->status, b->sig,
               b->fault_region, (long long)b->fault_off,
               b->status == 4 && b->fault_region < 0 ? llmcc_global_names[-1 - b->fault_region] : "-");
        return 1;
    }
    if (a->violations != b->violations) {
        printf("%s %u abi %llu %llu\n", prefix, index, (unsigned long long)a->violations, (unsigned long long)b->violations);
        return 1;
    }
    if (a->status != 0) return 0;
    if (compare_calls(prefix, index, a, b)) return 1;
    if ((a->rax & rax_mask) != (b->rax & rax_mask) || (a->xmm0 & xmm0_mask) != (b->xmm0 & xmm0_mask)) {
        printf("%s %u return %016llx %016llx %016llx %016llx\n", prefix, index,
               (unsigned long long)(a->rax & rax_mask), (unsigned long long)(a->xmm0 & xmm0_mask),
               (unsigned long long)(b->rax & rax_mask), (unsigned long long)(b->xmm0 & xmm0_mask));
        return 1;
    }
    size_t at, off = 0;
    for (uint32_t r = 0; r < in->nregions; r++) {
        const struct region *g = &in->regions[r];
        if (g->lazy) continue;
        size_t n = (size_t)(g->hi - g->lo);
        if (differs(a->snap + off, b->snap + off, n, &at)) {
            /* offsets relative to the region's first byte (negative: before it) */
            long long lead = (long long)(g->start - g->lo);
            size_t from = at >= 16 ? at - 16 : 0, len = n - from < 48 ? n - from : 48;
            report_bytes(prefix, index, r, (long long)at - lead, (long long)from - lead, a->snap + off + from, b->snap + off + from, len);
            return 1;
        }
        off += n;
    }
    if (compare_lazy(prefix, index, in, a, b)) return 1;
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

static int alloc_run(struct run *x, size_t cap)
{
    x->snap = malloc(cap + 8);
    x->log.cap = 1u << 16;
    x->log.w = malloc(sizeof *x->log.w * x->log.cap);
    if (lazy_span) {
        x->pages = malloc(sizeof *x->pages * 4 * (size_t)lazy_pages);
        x->pdata = malloc((size_t)PG * 4 * lazy_pages);  /* touched only as far as used */
    }
    return x->snap && x->log.w && (!lazy_span || (x->pages && x->pdata));
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: harness INPUTS.bin [COVERAGE-OFFSETS|- [OFFSET:VALUE...]]\n"); return 4; }
    const char *coverage_file = argc > 2 && strcmp(argv[2], "-") != 0 ? argv[2] : NULL;
    for (int a = 3; a < argc; a++) {
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
    if (rd(8) != 0x324e49434d4c4cull) { fprintf(stderr, "not an llmcc input file\n"); return 4; }
    nparams = (uint32_t)rd(4); ninputs = (uint32_t)rd(4); nregions_max = (uint32_t)rd(4); ndet = (uint32_t)rd(4);
    rax_mask = rd(8); xmm0_mask = rd(8);
    ret_pointer = (uint32_t)rd(4); region_cap = (uint32_t)rd(4);
    uint64_t t;
    t = rd(8); copy((unsigned char *)&base_timeout, (unsigned char *)&t, 8);
    t = rd(8); copy((unsigned char *)&cand_factor, (unsigned char *)&t, 8);
    t = rd(8); copy((unsigned char *)&cand_min, (unsigned char *)&t, 8);
    lazy_span = rd(8); lazy_pages = (uint32_t)rd(4); ncallbacks = (uint32_t)rd(4);
    t = rd(8); copy((unsigned char *)&lazy_timeout, (unsigned char *)&t, 8);
    if (nparams > 16 || nregions_max > MAXR || ncallbacks > 4 || lazy_pages == 0 || lazy_pages > (1u << 16)) bad = 1;
    for (uint32_t p = 0; p < nparams && !bad; p++) {
        params[p].kind = (uint8_t)rd(1); params[p].reg = (uint8_t)rd(1); rd(6);
        if (params[p].kind > 3 || params[p].reg >= (params[p].kind == 1 ? 8 : 6)) bad = 1;
    }
    for (uint32_t k = 0; k < ncallbacks && !bad; k++) {
        struct cbsig *c = &cbs[k];
        c->nargs = (uint8_t)rd(1); c->ret = (uint8_t)rd(1); c->ret_size = (uint8_t)rd(1); c->comparator = (uint8_t)rd(1); rd(4);
        if (c->nargs > 14 || c->ret > 4 || (c->ret == 1 && (c->ret_size == 0 || c->ret_size > 8)) || (c->comparator && c->nargs != 2)) bad = 1;
        for (uint32_t j = 0; j < c->nargs && !bad; j++) {
            struct cbarg *a = &c->args[j];
            a->cls = (uint8_t)rd(1); a->size = (uint8_t)rd(1); a->sign = (uint8_t)rd(1); a->reg = (uint8_t)rd(1); rd(4);
            if (a->cls > 4 || a->size == 0 || a->size > 8 || a->reg >= ((a->cls == 2 || a->cls == 3) ? 8 : 6)) bad = 1;
        }
    }
    if (bad) { fprintf(stderr, "bad input header\n"); return 4; }

    /* region_cap is a multiple of the page size: a region placed at offset 0 touches the leading
     * guard page, one placed "against the end" the trailing one */
    if (sysconf(_SC_PAGESIZE) != PG) { fprintf(stderr, "the page size is not %u\n", PG); return 4; }
    arena_len = region_cap;
    if (arena_len == 0 || arena_len % PG) { fprintf(stderr, "region size is not a page multiple\n"); return 4; }
    for (uint32_t r = 0; r < nregions_max; r++) {
        unsigned char *m = mmap(NULL, arena_len + 2 * (size_t)PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m + PG, arena_len, PROT_READ | PROT_WRITE) != 0) { perror("mmap"); return 4; }
        arena[r] = m + PG;
    }
    if (lazy_span) {
        /* address space only: pages are committed one at a time by on_fault, at most
         * 4 * lazy_pages per call, and returned after it */
        lazy_base = mmap(NULL, lazy_span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (lazy_base == MAP_FAILED) { perror("mmap (lazy buffers)"); return 4; }
        pageset_mask = 1;
        while (pageset_mask < 8 * lazy_pages) pageset_mask <<= 1;
        pageset = calloc(pageset_mask, sizeof *pageset);
        pageset_mask--;
        committed = malloc(sizeof *committed * 4 * (size_t)lazy_pages);
        if (!pageset || !committed) { fprintf(stderr, "out of memory\n"); return 4; }
    }

    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGPROF, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
    /* SIGSEGV may commit a page and return: the timer must not cut that short */
    struct sigaction sv = {0};
    sv.sa_sigaction = on_fault;
    sv.sa_flags = SA_ONSTACK | SA_NODEFER | SA_SIGINFO;
    sigemptyset(&sv.sa_mask);
    sigaddset(&sv.sa_mask, SIGPROF);
    sigaction(SIGSEGV, &sv, NULL);
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(saved_mxcsr), "=m"(saved_fpucw));
    __builtin_cpu_init();
    llmcc_cb_vec = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx") ? 1 : 0;
    if (coverage_file) {
        struct sigaction st = {0};
        st.sa_sigaction = on_trap;
        st.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&st.sa_mask);
        sigaddset(&st.sa_mask, SIGPROF);   /* a timeout waits until the breakpoint is put back */
        sigaction(SIGTRAP, &st, NULL);
        if (llmcc_cov_load(coverage_file, (uintptr_t)llmcc_fn_cand) != 0) return 4;
    }

    static struct run base, again, cand;
    size_t cap = (size_t)nregions_max * (size_t)region_cap;
    for (uint64_t g = 0; g < llmcc_nglobals; g++) cap += llmcc_globals[g].size;
    if (!alloc_run(&base, cap) || !alloc_run(&again, cap) || !alloc_run(&cand, cap)) { fprintf(stderr, "out of memory\n"); return 4; }

    llmcc_confine();  /* from here on: no system calls but output, signals, timer, memory, exit */
    uint32_t ran = 0, skipped = 0, base_hangs = 0;
    static struct input in;
    for (uint32_t i = 0; i < ninputs; i++) {
        decode(&in);
        if (bad) { fprintf(stderr, "bad input %u\n", i); return 4; }
        base.snap_len = again.snap_len = cand.snap_len = snapshot_len(&in);
        int lazy = 0;
        for (uint32_t r = 0; r < in.nregions; r++) lazy |= in.regions[r].lazy;
        /* a huge buffer: a search is done in microseconds; an original that reads every element
         * is cut short (by time or by the page budget) and the input skipped */
        call(llmcc_fn_base, &in, &base, lazy && lazy_timeout < base_timeout ? lazy_timeout : base_timeout, 1, 0, 0, lazy_pages);
        if (i < ndet && base.status != 2 && base.status != 3) {  /* what is skipped anyway is not run twice */
            call(llmcc_fn_base, &in, &again, base_timeout, 1, 0, 0, lazy_pages);
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
        /* the candidate may write what the original wrote, and touch a few times more pages */
        call(llmcc_fn_cand, &in, &cand, limit > cand_min ? limit : cand_min, 0, base.wrote, base.gwrote, 4 * lazy_pages);
        ran++;
        if (compare("MISMATCH", i, &in, &base, &cand)) { fflush(stdout); return 1; }
    }
    if (llmcc_cov_armed()) llmcc_cov_report(stdout);
    printf("DONE %u %u\n", ran, skipped);
    return 0;
}
