/* llmcc harness confinement: a strict system-call allowlist, installed by a harness once its setup
 * is done and before it first calls code under test (harness_main.c, and measure.py's timing
 * harness). #included into the harness, so everything here is static: no symbol can collide with
 * the unit under test.
 *
 * From then on the process may only: write to stdout and stderr; take and return from signals and
 * change its signal mask (sigsetjmp/siglongjmp); arm its CPU-time timer and read clocks; manage its
 * own memory (malloc, a candidate's mprotect); ask what libc asks about itself and the machine
 * (below); exit. Everything else -- open, unlink, socket,
 * connect, execve, clone/fork, kill, ptrace, ... -- raises SIGSYS before the kernel does anything
 * (SECCOMP_RET_TRAP): the harness catches it like any crash, so a candidate that reaches a system
 * call, even through a computed pointer into libc, is reported as crashing where the original
 * returned. Other architectures' entry points (int 0x80) and the x32 ABI kill the process.
 *
 * The sandbox (sandbox.py) sets LLMCC_SANDBOX_NO_SECCOMP only when its probe found that the kernel
 * refuses seccomp filters (and says so in `llmcc config`); otherwise a filter that cannot be
 * installed ends the harness with status 4 rather than running unfiltered. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

#define LLMCC_NR (offsetof(struct seccomp_data, nr))
#define LLMCC_ARCH (offsetof(struct seccomp_data, arch))
#define LLMCC_ARG0 (offsetof(struct seccomp_data, args[0]))  /* low 32 bits (little-endian) */
#define LLMCC_ALLOW_NR(n) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static void llmcc_confine(void)
{
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LLMCC_ARCH),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LLMCC_NR),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),  /* x32 */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        LLMCC_ALLOW_NR(__NR_exit_group),
        LLMCC_ALLOW_NR(__NR_exit),
        LLMCC_ALLOW_NR(__NR_rt_sigreturn),
        LLMCC_ALLOW_NR(__NR_rt_sigprocmask),
        LLMCC_ALLOW_NR(__NR_setitimer),
        LLMCC_ALLOW_NR(__NR_clock_gettime),
        LLMCC_ALLOW_NR(__NR_gettimeofday),
        LLMCC_ALLOW_NR(__NR_brk),
        LLMCC_ALLOW_NR(__NR_mmap),
        LLMCC_ALLOW_NR(__NR_munmap),
        LLMCC_ALLOW_NR(__NR_mremap),
        LLMCC_ALLOW_NR(__NR_mprotect),
        LLMCC_ALLOW_NR(__NR_madvise),
        LLMCC_ALLOW_NR(__NR_arch_prctl), /* the replayer's fs base, on CPUs without wrfsbase */
        /* what libc's computational functions may ask about their own process and the machine,
         * changing nothing: qsort sizes its buffer by the physical memory (sysinfo), sysconf reads
         * limits and CPUs, locks wait on futexes. Refused, the original itself would "crash" on
         * those inputs and they would be skipped. */
        LLMCC_ALLOW_NR(__NR_sysinfo),
        LLMCC_ALLOW_NR(__NR_getrlimit),
        LLMCC_ALLOW_NR(__NR_sched_getaffinity),
        LLMCC_ALLOW_NR(__NR_sched_yield),
        LLMCC_ALLOW_NR(__NR_uname),
        LLMCC_ALLOW_NR(__NR_getpid),
        LLMCC_ALLOW_NR(__NR_gettid),
        LLMCC_ALLOW_NR(__NR_getuid),
        LLMCC_ALLOW_NR(__NR_geteuid),
        LLMCC_ALLOW_NR(__NR_getgid),
        LLMCC_ALLOW_NR(__NR_getegid),
        LLMCC_ALLOW_NR(__NR_futex),
        LLMCC_ALLOW_NR(__NR_clock_getres),
        LLMCC_ALLOW_NR(__NR_getrandom),
        /* write(fd, ...) to stdout or stderr only */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LLMCC_ARG0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    };
    struct sock_fprog fprog = {(unsigned short)(sizeof prog / sizeof *prog), prog};
    const char *off = getenv("LLMCC_SANDBOX_NO_SECCOMP");
    if (off && *off) return;
    /* stdout's buffer now: allocating it on the first printf would fstat() the descriptor */
    setvbuf(stdout, NULL, _IOFBF, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) != 0) goto fail;
    /* SPEC_ALLOW: no speculation mitigation switched on for us (timings as in the user's program) */
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fprog) == 0) return;
    if (errno == EINVAL && syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0UL, &fprog) == 0) return;
fail:
    fprintf(stderr, "llmcc harness: cannot install the system-call filter: %s\n", strerror(errno));
    _exit(4);
}
