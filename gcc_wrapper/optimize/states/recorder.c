/* llmcc state recorder: runs a workload under ptrace and records, for some calls of chosen
 * functions, the complete state each call starts from and what it leaves behind (after STOKE's
 * testcase recorder, which records the machine state at a function's entry from a real run).
 *
 *   recorder SPEC OUTDIR -- PROGRAM ARGS...
 *
 * SPEC, one item a line:
 *   fn ID MODULE OFFSET   a function: MODULE the real path of the ELF file that defines it ("-" for
 *                         an absolute address, a non-PIE executable), OFFSET its symbol value
 *   states N              calls recorded per function at most
 *   burst N               calls recorded per function in one window
 *   window_ms N           a window: after a burst the function's breakpoint rests this long
 *   page_limit N          pages one call may touch (more: the call is not recorded)
 *   call_ms N             wall-clock milliseconds one recorded call may take
 *
 * How one call is recorded, without disturbing the program: at the function's entry breakpoint
 * the program (P) is made to clone itself (an injected clone(CLONE_PARENT|SIGCHLD): the copy C is
 * our child, so P never sees it exit). P goes on at full speed; C is the copy we record in. In C
 * every non-executable mapping is made PROT_NONE, then C runs the call: each first touch of a
 * page faults, we save the page as it was at entry and give it back read-only, a write faults
 * again and gets the page's own permissions back (so we know which pages the call wrote). At the
 * return address (with rsp back above the entry frame, so a recursive inner return does not
 * count) C's registers and the pages it wrote are saved, and C is killed. A system call, a real
 * crash, a write to a shared mapping, too many pages or too long a call abandons that call only.
 * Code (the executable mappings) is saved once, at the program's entry point, before any
 * breakpoint is written.
 *
 * Output in OUTDIR: code.bin (the executable mappings), maps.txt (/proc/PID/maps at the entry
 * point), fnID.bin (the recorded calls of function ID), log.txt (one line per event worth
 * knowing). The formats are read by gcc_wrapper/optimize/states/record.py. Exit status: the
 * program's own (128+signal when it was killed), 70 when the recorder itself failed.
 *
 * Not recorded (the log says so): calls that make system calls (their effects are not memory),
 * programs that start threads (recording stops), code loaded by dlopen after the entry point.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <elf.h>

#define PAGE 4096ull
#define MAXFN 64
#define MAXREG 1024
#define STATE_MAGIC 0x3154534c4d4c4cull /* "LLMLST1" */
#define NR_MPROTECT 10
#define NR_CLONE 56
#define NR_RSEQ 334
#define PTRACE_GET_RSEQ_CONFIGURATION_ 0x420f
#define CLONE_PARENT_ 0x00008000

struct fn {
    int id;
    char module[4096];
    uint64_t offset, addr;
    unsigned char orig[8];
    int armed, recorded, in_burst, abandoned;
    double rest_until;
    FILE *out;
};

struct region { uint64_t lo, hi; int prot, shared; };

struct page { uint64_t addr; uint32_t flags; unsigned char *entry; };
#define PF_WRITTEN 1u

static struct fn fns[MAXFN];
static int nfns;
static long max_states = 64, burst = 8, window_ms = 50, page_limit = 16384, call_ms = 2000;
static FILE *logf;
static volatile sig_atomic_t ticked;
static int recording_stopped;
static int stop_consumed;  /* our SIGSTOP (to rearm) arrived while a system call was injected */
static int deferred_sig;   /* a signal of the program's that arrived then: delivered later */
static pid_t program;

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(logf, fmt, ap);
    va_end(ap);
    fputc('\n', logf);
    fflush(logf);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void on_alarm(int sig) { (void)sig; ticked = 1; }

static int mem_fd(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    return open(path, O_RDWR | O_CLOEXEC);
}

/* /proc/PID/mem reads and writes pages whatever their protection (FOLL_FORCE) */
static int peek(int fd, uint64_t addr, void *buf, size_t n) { return pread(fd, buf, n, (off_t)addr) == (ssize_t)n ? 0 : -1; }
static int poke(int fd, uint64_t addr, const void *buf, size_t n) { return pwrite(fd, buf, n, (off_t)addr) == (ssize_t)n ? 0 : -1; }

/* Wait for a stop or exit of `pid` (alarms interrupt the wait: the caller checks deadlines). */
static int wait_for(pid_t pid, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, __WALL);
        if (r == pid) return 0;
        if (r < 0 && errno == EINTR) { if (ticked) return 1; continue; }
        if (r < 0) return -1;
    }
}

/* Run one system call in a stopped tracee, with its code at `at` (which must be executable and
 * ours to overwrite for a moment). Registers and code bytes are put back. */
static long inject(pid_t pid, int fd, uint64_t at, long nr, long a1, long a2, long a3, long a4, long a5)
{
    struct user_regs_struct saved, r;
    unsigned char code[3] = {0x0f, 0x05, 0xcc}, keep[3];
    if (ptrace(PTRACE_GETREGS, pid, 0, &saved) != 0) return -ESRCH;
    if (peek(fd, at, keep, 3) || poke(fd, at, code, 3)) return -EFAULT;
    r = saved;
    r.rip = at; r.rax = (unsigned long long)nr;
    r.rdi = (unsigned long long)a1; r.rsi = (unsigned long long)a2; r.rdx = (unsigned long long)a3;
    r.r10 = (unsigned long long)a4; r.r8 = (unsigned long long)a5;
    long result = -EIO;
    if (ptrace(PTRACE_SETREGS, pid, 0, &r) == 0 && ptrace(PTRACE_CONT, pid, 0, 0) == 0) {
        int st;
        for (;;) {
            if (waitpid(pid, &st, __WALL) < 0) { if (errno == EINTR) continue; break; }
            if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0) {
                struct user_regs_struct after;
                ptrace(PTRACE_GETREGS, pid, 0, &after);
                result = (long)after.rax;
                break;
            }
            if (WIFSTOPPED(st) && (st >> 16) != 0) { ptrace(PTRACE_CONT, pid, 0, 0); continue; } /* an event (the clone): go on to the int3 */
            if (WIFSTOPPED(st) && pid == program) { /* the program's signal: not now */
                if (WSTOPSIG(st) == SIGSTOP) stop_consumed = 1;
                else deferred_sig = WSTOPSIG(st);
                ptrace(PTRACE_CONT, pid, 0, 0);
                continue;
            }
            if (WIFSTOPPED(st)) { say("inject: signal %d", WSTOPSIG(st)); result = -EINTR; break; } /* a signal got in first */
            return -ESRCH; /* gone */
        }
    }
    poke(fd, at, keep, 3);
    ptrace(PTRACE_SETREGS, pid, 0, &saved);
    return result;
}

static int read_regions(pid_t pid, struct region *out, int max, FILE *copy)
{
    char path[64], line[8192];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (copy) fputs(line, copy);
        unsigned long long lo, hi;
        char perms[8] = "";
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3) continue;
        if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]") || strstr(line, "[vdso]")) continue;
        if (perms[2] == 'x') continue; /* code: saved once, never protected */
        if (n == max) { fclose(f); return -1; }
        out[n].lo = lo; out[n].hi = hi;
        out[n].prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0);
        out[n].shared = perms[3] == 's';
        n++;
    }
    fclose(f);
    return n;
}

static int save_code(pid_t pid, const char *outdir)
{
    char path[4096], line[8192];
    snprintf(path, sizeof path, "%s/code.bin", outdir);
    FILE *out = fopen(path, "wb");
    snprintf(path, sizeof path, "%s/maps.txt", outdir);
    FILE *maps = fopen(path, "w");
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    int fd = mem_fd(pid);
    if (!out || !maps || !f || fd < 0) return -1;
    while (fgets(line, sizeof line, f)) {
        fputs(line, maps);
        unsigned long long lo, hi;
        char perms[8] = "";
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3 || perms[2] != 'x') continue;
        if (strstr(line, "[vsyscall]")) continue;
        size_t n = hi - lo;
        unsigned char *buf = malloc(n);
        if (!buf) return -1;
        if (peek(fd, lo, buf, n) == 0) {
            uint64_t hdr[2] = {lo, n};
            fwrite(hdr, sizeof hdr, 1, out);
            fwrite(buf, 1, n, out);
        }
        free(buf);
    }
    close(fd);
    fclose(f);
    fclose(maps);
    return fclose(out);
}

static uint64_t module_base(pid_t pid, const char *module)
{
    char path[64], line[8192];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    uint64_t base = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        char perms[8], name[4096] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &lo, &hi, perms, &off, name) < 4) continue;
        if (off == 0 && strcmp(name, module) == 0) { base = lo; break; }
    }
    if (f) fclose(f);
    return base;
}

static uint64_t entry_point(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
    int fd = open(path, O_RDONLY);
    uint64_t kv[2], entry = 0;
    while (fd >= 0 && read(fd, kv, sizeof kv) == sizeof kv)
        if (kv[0] == AT_ENTRY) { entry = kv[1]; break; }
    if (fd >= 0) close(fd);
    return entry;
}

static int is_pie_or_lib(const char *module)
{
    int fd = open(module, O_RDONLY);
    Elf64_Ehdr h;
    int ok = fd >= 0 && read(fd, &h, sizeof h) == sizeof h && h.e_type == ET_DYN;
    if (fd >= 0) close(fd);
    return ok;
}

static void arm(int fd, struct fn *f, int on)
{
    unsigned char b = on ? 0xcc : f->orig[0];
    if (f->armed != on && poke(fd, f->addr, &b, 1) == 0) f->armed = on;
}

/* --- recording one call in the clone ------------------------------------------------------------ */

struct recording {
    pid_t child;
    int fd;
    struct fn *f;
    struct user_regs_struct entry;
    struct user_fpregs_struct entry_fp;
    uint64_t ret_addr;
    unsigned char ret_orig;
    struct region regions[MAXREG];
    int nregions;
    struct page *pages;
    long npages, cap;
    long *slots; /* open addressing: page address -> index in pages, -1 empty */
    long nslots;
    double deadline;
};

static struct region *region_of(struct recording *rc, uint64_t addr)
{
    for (int i = 0; i < rc->nregions; i++)
        if (addr >= rc->regions[i].lo && addr < rc->regions[i].hi) return &rc->regions[i];
    return NULL;
}

static long slot_of(struct recording *rc, uint64_t page)
{
    uint64_t h = (page >> 12) * 0x9e3779b97f4a7c15ull;
    long i = (long)(h >> 20) & (rc->nslots - 1);
    while (rc->slots[i] >= 0 && rc->pages[rc->slots[i]].addr != page) i = (i + 1) & (rc->nslots - 1);
    return i;
}

static struct page *page_of(struct recording *rc, uint64_t page)
{
    if (!rc->nslots) return NULL;
    long s = rc->slots[slot_of(rc, page)];
    return s >= 0 ? &rc->pages[s] : NULL;
}

static struct page *add_page(struct recording *rc, uint64_t page)
{
    if (rc->npages == rc->cap) {
        rc->cap = rc->cap ? rc->cap * 2 : 64;
        rc->pages = realloc(rc->pages, (size_t)rc->cap * sizeof *rc->pages);
    }
    if (2 * (rc->npages + 1) > rc->nslots) { /* keep the table at most half full */
        free(rc->slots);
        rc->nslots = rc->nslots ? rc->nslots * 2 : 256;
        while (rc->nslots < 2 * (rc->npages + 1)) rc->nslots *= 2;
        rc->slots = malloc((size_t)rc->nslots * sizeof *rc->slots);
        for (long i = 0; i < rc->nslots; i++) rc->slots[i] = -1;
        for (long i = 0; i < rc->npages; i++) rc->slots[slot_of(rc, rc->pages[i].addr)] = i;
    }
    struct page *p = &rc->pages[rc->npages];
    p->addr = page;
    rc->slots[slot_of(rc, page)] = rc->npages++;
    return p;
}

static void free_recording(struct recording *rc)
{
    for (long i = 0; i < rc->npages; i++) free(rc->pages[i].entry);
    free(rc->pages);
    free(rc->slots);
    rc->pages = NULL;
    rc->slots = NULL;
    rc->npages = rc->cap = rc->nslots = 0;
}

static void kill_child(struct recording *rc)
{
    int st;
    kill(rc->child, SIGKILL);
    while (waitpid(rc->child, &st, __WALL) < 0 && errno == EINTR) {}
    if (rc->fd >= 0) close(rc->fd);
    rc->fd = -1;
}

/* A page fault of the clone at `addr`: 1 handled (go on), 0 not ours (a real fault), -1 abandon. */
static int on_fault(struct recording *rc, uint64_t addr, const char **why)
{
    uint64_t pg = addr & ~(PAGE - 1);
    struct region *r = region_of(rc, addr);
    if (!r || !(r->prot & PROT_READ)) return 0;
    struct page *p = page_of(rc, pg);
    if (!p) {
        if (rc->npages >= page_limit) { *why = "touched too many pages"; return -1; }
        p = add_page(rc, pg);
        p->flags = (uint32_t)r->prot << 8 | (r->shared ? 1u << 16 : 0);
        p->entry = malloc(PAGE);
        if (peek(rc->fd, pg, p->entry, PAGE)) { *why = "cannot read a page"; return -1; }
        if (inject(rc->child, rc->fd, rc->f->addr, NR_MPROTECT, (long)pg, (long)PAGE, PROT_READ, 0, 0) != 0) { *why = "mprotect failed"; return -1; }
        return 1;
    }
    if (!(p->flags & PF_WRITTEN) && (r->prot & PROT_WRITE)) {
        if (r->shared) { *why = "wrote shared memory"; return -1; }
        p->flags |= PF_WRITTEN;
        if (inject(rc->child, rc->fd, rc->f->addr, NR_MPROTECT, (long)pg, (long)PAGE, r->prot, 0, 0) != 0) { *why = "mprotect failed"; return -1; }
        return 1;
    }
    return 0;
}

static void write_state(struct recording *rc, const struct user_regs_struct *exit_regs, const struct user_fpregs_struct *exit_fp)
{
    uint64_t hdr[4] = {STATE_MAGIC, (uint64_t)rc->npages, 0, 0};
    for (long i = 0; i < rc->npages; i++) hdr[2] += (rc->pages[i].flags & PF_WRITTEN) != 0;
    FILE *o = rc->f->out;
    fwrite(hdr, sizeof hdr, 1, o);
    fwrite(&rc->entry, sizeof rc->entry, 1, o);
    fwrite(&rc->entry_fp, sizeof rc->entry_fp, 1, o);
    for (long i = 0; i < rc->npages; i++) {
        uint64_t ph[2] = {rc->pages[i].addr, rc->pages[i].flags};
        fwrite(ph, sizeof ph, 1, o);
        fwrite(rc->pages[i].entry, 1, PAGE, o);
    }
    fwrite(exit_regs, sizeof *exit_regs, 1, o);
    fwrite(exit_fp, sizeof *exit_fp, 1, o);
    unsigned char *buf = malloc(PAGE);
    for (long i = 0; i < rc->npages; i++) {
        if (!(rc->pages[i].flags & PF_WRITTEN)) continue;
        if (peek(rc->fd, rc->pages[i].addr, buf, PAGE)) memset(buf, 0, PAGE);
        fwrite(&rc->pages[i].addr, 8, 1, o);
        fwrite(buf, 1, PAGE, o);
    }
    free(buf);
    fflush(o);
}

/* Record one call of f, which the program P has just entered (stopped at the breakpoint, rip one
 * past it). Returns 0 whatever became of the recording, -1 when P itself is gone. */
static int record_call(pid_t P, int pfd, struct fn *f, struct user_regs_struct *at_entry)
{
    static struct recording rc;
    memset(&rc, 0, sizeof rc);
    rc.f = f;
    rc.fd = -1;
    rc.entry = *at_entry;
    rc.entry.rip = f->addr;
    ptrace(PTRACE_GETFPREGS, P, 0, &rc.entry_fp);
    /* the clone: our child, traced from birth (PTRACE_O_TRACEFORK) */
    unsigned char bp = 0xcc;
    poke(pfd, f->addr, f->orig, 1); /* inject's code goes where the breakpoint was */
    struct user_regs_struct r = rc.entry;
    ptrace(PTRACE_SETREGS, P, 0, &r);
    long pid = inject(P, pfd, f->addr, NR_CLONE, CLONE_PARENT_ | SIGCHLD, 0, 0, 0, 0);
    ptrace(PTRACE_SETREGS, P, 0, &rc.entry);
    if (f->armed) poke(pfd, f->addr, &bp, 1);
    if (pid <= 0) { say("fn %d: clone failed (%ld)", f->id, pid); return pid == -ESRCH ? -1 : 0; }
    rc.child = (pid_t)pid;
    int st;
    while (waitpid(rc.child, &st, __WALL) < 0 && errno == EINTR) {}
    rc.fd = mem_fd(rc.child);
    const char *why = NULL;
    /* in the clone: no breakpoint but the return's, the entry's registers, all data PROT_NONE */
    for (int i = 0; i < nfns; i++) if (fns[i].addr) poke(rc.fd, fns[i].addr, fns[i].orig, 3); /* breakpoints, and the clone's own syscall code */
    ptrace(PTRACE_SETREGS, rc.child, 0, &rc.entry);
    /* The kernel writes the thread's rseq area (in its TLS) on every return to user space, and a
     * PROT_NONE TLS page would make that a SIGSEGV: the clone leaves rseq first. */
    struct { uint64_t ptr; uint32_t size, sig, flags, pad; } rseq = {0};
    if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION_, rc.child, sizeof rseq, &rseq) > 0 && rseq.ptr &&
        inject(rc.child, rc.fd, f->addr, NR_RSEQ, (long)rseq.ptr, rseq.size, 1 /* RSEQ_FLAG_UNREGISTER */, rseq.sig, 0) != 0)
        why = "cannot unregister rseq";
    rc.nregions = read_regions(rc.child, rc.regions, MAXREG, NULL);
    if (!why && rc.nregions < 0) why = "cannot read its memory map";
    for (int i = 0; !why && i < rc.nregions; i++) {
        long e = inject(rc.child, rc.fd, f->addr, NR_MPROTECT, (long)rc.regions[i].lo, (long)(rc.regions[i].hi - rc.regions[i].lo), PROT_NONE, 0, 0);
        if (e != 0) { say("fn %d: mprotect %llx-%llx: %ld", f->id, (unsigned long long)rc.regions[i].lo, (unsigned long long)rc.regions[i].hi, e); why = "mprotect failed"; }
    }
    /* the page the entry rsp is in, always: the function's frame starts on it, and its bytes above
     * rsp are the caller's, which a replay must have even if this call never reads them */
    if (!why && on_fault(&rc, rc.entry.rsp, &why) != 1 && !why) why = "cannot save the stack page";
    if (!why && peek(rc.fd, rc.entry.rsp, &rc.ret_addr, 8)) why = "cannot read the return address";
    if (!why && (peek(rc.fd, rc.ret_addr, &rc.ret_orig, 1) || poke(rc.fd, rc.ret_addr, &bp, 1))) why = "cannot set the return breakpoint";
    rc.deadline = now_ms() + (double)call_ms;
    if (!why) ptrace(PTRACE_SYSCALL, rc.child, 0, 0);
    while (!why) {
        int w = wait_for(rc.child, &st);
        if (w == 1) {
            ticked = 0;
            if (now_ms() > rc.deadline) why = "took too long";
            continue;
        }
        if (w < 0 || !WIFSTOPPED(st)) { why = "the clone died"; rc.child = 0; break; }
        int sig = WSTOPSIG(st);
        if (sig == (SIGTRAP | 0x80)) { why = "made a system call"; break; }
        if (sig == SIGSEGV) {
            siginfo_t si;
            ptrace(PTRACE_GETSIGINFO, rc.child, 0, &si);
            int h = on_fault(&rc, (uint64_t)(uintptr_t)si.si_addr, &why);
            if (h == 0) why = "crashed (SIGSEGV)";
            if (h != 1) break;
            ptrace(PTRACE_SYSCALL, rc.child, 0, 0);
            continue;
        }
        if (sig == SIGTRAP) {
            struct user_regs_struct x;
            ptrace(PTRACE_GETREGS, rc.child, 0, &x);
            if (x.rip - 1 != rc.ret_addr) { why = "stopped on a trap"; break; }
            x.rip -= 1;
            if (x.rsp == rc.entry.rsp + 8) {
                struct user_fpregs_struct xf;
                ptrace(PTRACE_GETFPREGS, rc.child, 0, &xf);
                write_state(&rc, &x, &xf);
                f->recorded++;
                break;
            }
            /* a recursive call returning to the same place: step over the breakpoint */
            poke(rc.fd, rc.ret_addr, &rc.ret_orig, 1);
            ptrace(PTRACE_SETREGS, rc.child, 0, &x);
            ptrace(PTRACE_SINGLESTEP, rc.child, 0, 0);
            while (waitpid(rc.child, &st, __WALL) < 0 && errno == EINTR) {}
            if (!WIFSTOPPED(st)) { why = "the clone died"; rc.child = 0; break; }
            poke(rc.fd, rc.ret_addr, &bp, 1);
            ptrace(PTRACE_SYSCALL, rc.child, 0, 0);
            continue;
        }
        why = "stopped on a signal";
    }
    if (why) { f->abandoned++; say("fn %d: call not recorded: %s", f->id, why); }
    if (rc.child) kill_child(&rc);
    free_recording(&rc);
    return 0;
}

/* --- the program ------------------------------------------------------------------------------- */

static int parse_spec(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        char word[32];
        long v;
        if (sscanf(line, "%31s", word) != 1) continue;
        if (!strcmp(word, "fn")) {
            if (nfns == MAXFN) continue;
            struct fn *fn = &fns[nfns];
            unsigned long long off;
            if (sscanf(line, "fn %d %4095s %llx", &fn->id, fn->module, &off) != 3) continue;
            fn->offset = off;
            nfns++;
        } else if (sscanf(line, "%*s %ld", &v) == 1) {
            if (!strcmp(word, "states")) max_states = v;
            else if (!strcmp(word, "burst")) burst = v;
            else if (!strcmp(word, "window_ms")) window_ms = v;
            else if (!strcmp(word, "page_limit")) page_limit = v;
            else if (!strcmp(word, "call_ms")) call_ms = v;
        }
    }
    fclose(f);
    return 0;
}

static int status_of(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

/* The program made a thread, or a clone we cannot follow: take every breakpoint out and let it
 * run on its own. */
static void stop_recording(int pfd, const char *why)
{
    if (recording_stopped) return;
    recording_stopped = 1;
    for (int i = 0; i < nfns; i++) arm(pfd, &fns[i], 0);
    say("recording stopped: %s", why);
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--")) {
        fprintf(stderr, "usage: recorder SPEC OUTDIR -- PROGRAM ARGS...\n");
        return 70;
    }
    if (parse_spec(argv[1])) { perror(argv[1]); return 70; }
    char path[4096];
    snprintf(path, sizeof path, "%s/log.txt", argv[2]);
    logf = fopen(path, "w");
    if (!logf) { perror(path); return 70; }
    for (int i = 0; i < nfns; i++) {
        snprintf(path, sizeof path, "%s/fn%d.bin", argv[2], fns[i].id);
        fns[i].out = fopen(path, "wb");
        if (!fns[i].out) { perror(path); return 70; }
    }
    pid_t P = fork();
    if (P == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        personality(ADDR_NO_RANDOMIZE); /* the same addresses every run: states replay where they were */
        execvp(argv[4], argv + 4);
        _exit(127);
    }
    int st;
    if (waitpid(P, &st, 0) != P || !WIFSTOPPED(st)) { say("the program did not start"); return 70; }
    program = P;
    ptrace(PTRACE_SETOPTIONS, P, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |
           PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC);
    int pfd = mem_fd(P);
    /* run to the program's entry point: by then the dynamic loader has mapped its libraries */
    uint64_t entry = entry_point(P);
    unsigned char eorig, bp = 0xcc;
    if (!entry || peek(pfd, entry, &eorig, 1) || poke(pfd, entry, &bp, 1)) { say("cannot reach the entry point"); return 70; }
    ptrace(PTRACE_CONT, P, 0, 0);
    for (;;) {
        if (waitpid(P, &st, __WALL) < 0) { if (errno == EINTR) continue; return 70; }
        if (!WIFSTOPPED(st)) return status_of(st);
        if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0) break;
        ptrace(PTRACE_CONT, P, 0, (st >> 16) ? 0 : WSTOPSIG(st));
    }
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, P, 0, &r);
    r.rip = entry;
    poke(pfd, entry, &eorig, 1);
    ptrace(PTRACE_SETREGS, P, 0, &r);
    if (save_code(P, argv[2])) { say("cannot save the program's code"); return 70; }
    for (int i = 0; i < nfns; i++) {
        struct fn *f = &fns[i];
        int rel = strcmp(f->module, "-") != 0;
        uint64_t base = rel && is_pie_or_lib(f->module) ? module_base(P, f->module) : 0;
        if (rel && is_pie_or_lib(f->module) && !base) { say("fn %d: %s is not loaded", f->id, f->module); continue; }
        f->addr = base + f->offset;
        if (peek(pfd, f->addr, f->orig, sizeof f->orig)) { say("fn %d: cannot read its code", f->id); f->addr = 0; continue; }
        arm(pfd, f, 1);
        f->in_burst = 0;
        say("fn %d at %llx", f->id, (unsigned long long)f->addr);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the alarm interrupts waitpid */
    struct itimerval it = {{0, 10000}, {0, 10000}};
    setitimer(ITIMER_REAL, &it, NULL);
    pid_t stopping = 0; /* P is being stopped (SIGSTOP sent) to rearm breakpoints */
    pid_t shares[64];   /* vfork children and threads: they share P's memory, so its bytes stay */
    int nshares = 0;
    ptrace(PTRACE_CONT, P, 0, 0);
    for (;;) {
        pid_t w = waitpid(-1, &st, __WALL);
        if (w < 0) {
            if (errno != EINTR) break;
            if (ticked) {
                ticked = 0;
                double t = now_ms();
                int due = 0;
                for (int i = 0; i < nfns; i++)
                    if (fns[i].addr && !fns[i].armed && fns[i].recorded < max_states && t >= fns[i].rest_until) due = 1;
                if (due && !stopping && !recording_stopped) { stopping = P; kill(P, SIGSTOP); }
            }
            continue;
        }
        if (w != P) {
            /* a child of the program (fork/vfork) or a thread: never ours to keep */
            if (WIFSTOPPED(st)) {
                int shared = 0;
                for (int i = 0; i < nshares; i++) shared |= shares[i] == w;
                int cfd = shared ? -1 : mem_fd(w);
                for (int i = 0; i < nfns; i++) if (fns[i].armed && cfd >= 0) poke(cfd, fns[i].addr, fns[i].orig, 1);
                if (cfd >= 0) close(cfd);
                ptrace(PTRACE_DETACH, w, 0, 0);
            }
            continue;
        }
        if (!WIFSTOPPED(st)) {
            say("exit %d", status_of(st));
            for (int i = 0; i < nfns; i++) fclose(fns[i].out);
            fclose(logf);
            return status_of(st);
        }
        int sig = WSTOPSIG(st), event = st >> 16;
        if (event) {
            unsigned long child = 0;
            ptrace(PTRACE_GETEVENTMSG, P, 0, &child);
            if ((event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) && nshares < 64) shares[nshares++] = (pid_t)child;
            if (event == PTRACE_EVENT_CLONE) stop_recording(pfd, "the program started a thread");
            if (event == PTRACE_EVENT_EXEC) {
                stop_recording(pfd, "the program ran another program (exec)");
                ptrace(PTRACE_DETACH, P, 0, 0);
                continue;
            }
            ptrace(PTRACE_CONT, P, 0, 0); /* fork/vfork children are detached when they stop */
            continue;
        }
        if (sig == SIGSTOP && stopping) {
            stopping = 0;
            double t = now_ms();
            for (int i = 0; i < nfns; i++)
                if (fns[i].addr && fns[i].recorded < max_states && t >= fns[i].rest_until && !recording_stopped) {
                    fns[i].in_burst = 0;
                    arm(pfd, &fns[i], 1);
                }
            ptrace(PTRACE_CONT, P, 0, 0);
            continue;
        }
        if (sig == SIGTRAP) {
            ptrace(PTRACE_GETREGS, P, 0, &r);
            struct fn *f = NULL;
            for (int i = 0; i < nfns; i++) if (fns[i].armed && fns[i].addr == r.rip - 1) f = &fns[i];
            if (!f) { ptrace(PTRACE_CONT, P, 0, SIGTRAP); continue; } /* the program's own trap */
            if (record_call(P, pfd, f, &r) < 0) break;
            if (stop_consumed && stopping) { /* the rearm's SIGSTOP was taken during the clone */
                stop_consumed = 0;
                stopping = 0;
                double t = now_ms();
                for (int i = 0; i < nfns; i++)
                    if (&fns[i] != f && fns[i].addr && fns[i].recorded < max_states && t >= fns[i].rest_until && !recording_stopped) {
                        fns[i].in_burst = 0;
                        arm(pfd, &fns[i], 1);
                    }
            }
            /* P runs the call for real: step over the entry, then rest or stay armed */
            f->in_burst++;
            int again = f->recorded + f->abandoned < max_states * 4 && f->recorded < max_states && f->in_burst < burst;
            arm(pfd, f, 0);
            r.rip = f->addr;
            ptrace(PTRACE_SETREGS, P, 0, &r);
            if (again) {
                ptrace(PTRACE_SINGLESTEP, P, 0, 0);
                while (waitpid(P, &st, __WALL) < 0 && errno == EINTR) {}
                if (!WIFSTOPPED(st)) return status_of(st);
                arm(pfd, f, 1);
            } else {
                f->rest_until = now_ms() + (double)window_ms;
            }
            ptrace(PTRACE_CONT, P, 0, deferred_sig);
            deferred_sig = 0;
            continue;
        }
        ptrace(PTRACE_CONT, P, 0, sig); /* the program's own signal */
    }
    return 70;
}
