/* llmcc's native front end: the `llmcc` a build runs.
 *
 * Starting Python costs ~13 ms and importing the compile path a few more, on every file of
 * every build: on small files that is as much as gcc itself. This client hands the command line
 * to a running compile server (gcc_wrapper/compile/server.py, a warm Python process whose
 * forked workers serve compiles) and exits with the status the compile ended with. The worker
 * works on this process's own standard streams (passed over a Unix socket), in its working
 * directory, with its environment and umask, so nothing a build system observes changes. When
 * no server is running, the client starts one and waits for it (start_server): that costs a
 * build's first compiles less than each running the Python llmcc.
 *
 * A command line that links or asks gcc a question never reaches the server: the client execs
 * gcc itself when the decision is plain (pass_through_if_plain, below).
 *
 * Whenever the server cannot do the job, the client becomes the Python `llmcc` (llmcc-py beside
 * it) with the same arguments: no server and none could be started (then it asks Python to
 * start one for the next compile), a server that is stale or refuses, a server that died
 * mid-compile, or
 * LLMCC_COMPILE_SERVER=0. Signals (Ctrl-C, make's SIGTERM) are forwarded to the compile's
 * process group.
 *
 * What the client and the server say to each other, and where the socket is, is described in
 * gcc_wrapper/compile/protocol.py; the constants below repeat it. Where this file repeats a
 * decision of the Python side (the socket path, the configuration-file rule of config_files.py,
 * the gcc that compiler.find_real_compiler picks, options.link_or_query_word, the request's
 * encoding), tests/driver/test_client_parity.py builds it with -DLLMCC_PARITY_TEST and requires
 * the same answers on the same inputs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* protocol.py */
static const char MAGIC[8] = "LLMCC1\0\0";
#define HEAD_SIZE 12
#define REPLY_SIZE 8
#define TAG_PGID "PGID"
#define TAG_EXIT "EXIT"
#define TAG_PYTH "PYTH"
#define ARGV0_ENV "LLMCC_ARGV0"
#define START_ENV "LLMCC_START_SERVER"
#define OFF_ENV "LLMCC_COMPILE_SERVER"

static char self_dir[PATH_MAX];
static char argv0_path[PATH_MAX];
static volatile pid_t compile_group;
static volatile sig_atomic_t forwarded; /* a terminating signal we passed on to the compile */

static void become_python(char **argv, const char *start_socket)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/llmcc-py", self_dir);
    setenv(ARGV0_ENV, argv0_path, 1);
    if (start_socket)
        setenv(START_ENV, start_socket, 1);
    execv(path, argv);
    fprintf(stderr, "llmcc: error: cannot run %s: %s\n", path, strerror(errno));
    exit(127);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The next executable `name` in the ':'-separated directory list at *dirs, as a PATH search
 * finds it (an empty entry is "."): 1 with its path in out and *dirs moved past it, 0 at the end. */
static int next_on_path(const char **dirs, const char *name, char *out, size_t size)
{
    while (*dirs) {
        const char *p = *dirs, *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        *dirs = end ? end + 1 : NULL;
        snprintf(out, size, "%.*s/%s", (int)(len ? len : 1), len ? p : ".", name);
        if (is_file(out))
            return 1;
    }
    return 0;
}

/* argv[0] as the kernel would have named a script: a name without a slash is looked up on
 * PATH (masquerade mode decides by this name, the recursion guard by its real path). */
static void resolve_argv0(const char *name)
{
    snprintf(argv0_path, sizeof argv0_path, "%s", name);
    const char *dirs = getenv("PATH");
    char found[PATH_MAX];
    if (!strchr(name, '/') && dirs && next_on_path(&dirs, name, found, sizeof found))
        snprintf(argv0_path, sizeof argv0_path, "%s", found);
}

static int socket_path(char *out, size_t size)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/llmcc-%u", (unsigned)getuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    /* a directory someone else owns or can write into is not ours to trust */
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
        return -1;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a of this installation's directory */
    for (const char *p = self_dir; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    int n = snprintf(out, size, "%s/%016llx.sock", dir, (unsigned long long)h);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* The interpreter named by llmcc-py's "#!" line, when that is a plain path to a Python. */
static int script_python(char *out, size_t size)
{
    char path[PATH_MAX + 16], line[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/llmcc-py", self_dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got || strncmp(line, "#!", 2))
        return -1;
    char *p = line + 2;
    p += strspn(p, " \t");
    size_t n = strcspn(p, " \t\r\n");
    const char *rest = p + n + strspn(p + n, " \t\r");
    p[n] = 0;
    const char *base = strrchr(p, '/');
    /* an argument after the interpreter, or pip's "#!/bin/sh" for long paths: leave it to Python */
    if (p[0] != '/' || !base || strncmp(base + 1, "python", 6) || (*rest && *rest != '\n') || access(p, X_OK))
        return -1;
    return snprintf(out, size, "%s", p) < (int)size ? 0 : -1;
}

/* Start a compile server (python -m gcc_wrapper.compile.server SOCKET, in its own session, its
 * streams on /dev/null, as compile_server.start does); its pid, or -1. */
static pid_t spawn_server(const char *python, const char *sock)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setsid();
    for (int fd = 3; fd < 1024; fd++) /* make's jobserver pipe and the like: not the server's to hold */
        close(fd);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    execl(python, python, "-m", "gcc_wrapper.compile.server", sock, (char *)NULL);
    _exit(127);
}

/* No server answers at `sock`: start one (unless one is starting: it holds the lock) and wait
 * for it to accept, 5 s at most for one we started, 2 s for another's (whoever holds the lock
 * may never answer: a server whose socket a /tmp cleaner removed). The connected socket, or -1:
 * then Python compiles. */
static int start_server(const char *sock, const struct sockaddr_un *addr)
{
    char python[PATH_MAX], lock_path[PATH_MAX];
    if (script_python(python, sizeof python) != 0)
        return -1;
    snprintf(lock_path, sizeof lock_path, "%s.lock", sock);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    pid_t child = 0;
    int starts = 0;
    useconds_t pause = 500;
    for (int waited = 0; waited < (starts ? 5000000 : 2000000); waited += pause) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0) {
            if (lock >= 0)
                close(lock);
            return fd;
        }
        close(fd);
        int status;
        if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                break; /* it could not start */
            child = 0; /* another server had the lock: wait for that one */
        }
        /* nobody holds the lock: no server is running or starting (a stale one that just
         * removed its socket lets go of it when it exits) */
        if (child == 0 && starts < 3 && lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0) {
            flock(lock, LOCK_UN);
            child = spawn_server(python, sock);
            starts++;
            if (child < 0)
                break;
        }
        usleep(pause);
        if (pause < 8000)
            pause *= 2;
    }
    if (lock >= 0)
        close(lock);
    return -1;
}

static void forward(int sig)
{
    forwarded = sig;
    if (compile_group > 0)
        kill(-compile_group, sig);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Append a NUL-terminated field to a growing buffer. */
static int put(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*len + n > *cap) {
        size_t c = (*cap + n) * 2;
        char *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    return 0;
}

/* The request's payload (protocol.encode_payload) in a new buffer: 0, or -1 when it cannot be made. */
static int build_payload(int argc, char **argv, char **out, size_t *out_len)
{
    char *buf = NULL, num[32], cwd[PATH_MAX];
    size_t len = 0, cap = 0;
    mode_t mask = umask(022);
    umask(mask);
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    int envc = 0;
    while (environ[envc])
        envc++;
    int bad = put(&buf, &len, &cap, cwd);
    snprintf(num, sizeof num, "%u", (unsigned)mask);
    bad |= put(&buf, &len, &cap, num);
    bad |= put(&buf, &len, &cap, argv0_path);
    snprintf(num, sizeof num, "%d", argc - 1);
    bad |= put(&buf, &len, &cap, num);
    for (int i = 1; i < argc; i++)
        bad |= put(&buf, &len, &cap, argv[i]);
    snprintf(num, sizeof num, "%d", envc);
    bad |= put(&buf, &len, &cap, num);
    for (int i = 0; i < envc; i++)
        bad |= put(&buf, &len, &cap, environ[i]);
    if (bad || len > UINT32_MAX) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

static int send_request(int fd, int argc, char **argv)
{
    char *buf;
    size_t len;
    if (build_payload(argc, argv, &buf, &len) != 0)
        return -1;
    char head[HEAD_SIZE];
    memcpy(head, MAGIC, sizeof MAGIC);
    uint32_t n = (uint32_t)len;
    memcpy(head + sizeof MAGIC, &n, 4);
    struct iovec iov = {head, sizeof head};
    int fds[3] = {0, 1, 2};
    union {
        char space[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.space;
    msg.msg_controllen = sizeof ctl.space;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    ssize_t sent;
    do
        sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    int rc = (sent == (ssize_t)sizeof head && write_all(fd, buf, len) == 0) ? 0 : -1;
    free(buf);
    return rc;
}

/* ---- Command lines that are not compiles: straight to gcc ------------------------------
 *
 * A link (`llmcc -o prog a.o b.o -lm`) or a question (`--version`, -dumpmachine, -print-...)
 * is passed through to gcc unchanged by the Python llmcc too; through the server it costs ~4 ms
 * more than gcc itself, so a build's link step and a configure script's probes would pay it.
 * Here the client execs gcc at once, deciding exactly as compiler.find_real_compiler and the
 * driver's pass-through would, but only where that decision is plain: the client runs as
 * `llmcc` (not masquerading as gcc, not a launcher), no configuration file or LLMCC_CC could
 * pick another compiler, and every word is one this list knows cannot start a compile.
 * Anything else goes to the server as before. */

static int suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && !strcmp(s + n - m, suf);
}

static int prefix(const char *s, const char *pre)
{
    return !strncmp(s, pre, strlen(pre));
}

/* A word of a command line that links objects or asks gcc a question, never one that compiles. */
static int link_or_query_word(const char *w)
{
    static const char *exact[] = {"--version", "-dumpversion", "-dumpfullversion", "-dumpmachine", "-dumpspecs",
                                  "-pthread", "-shared", "-static", "-rdynamic", "-s", "-pie", "-no-pie",
                                  "-static-libgcc", "-nostdlib", "-nostartfiles", "-nodefaultlibs"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strcmp(w, exact[i]))
            return 1;
    if (w[0] != '-')  /* an input: only objects and libraries */
        return suffix(w, ".o") || suffix(w, ".a") || suffix(w, ".so") || strstr(w, ".so.") != NULL;
    static const char *pre[] = {"-print-", "-l", "-L", "-Wl,", "-O", "-g", "-m", "-std=", "-D", "-U", "-I"};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
        if (prefix(w, pre[i]) && w[strlen(pre[i])] != 0)
            return 1;
    if (prefix(w, "-W") && !prefix(w, "-Wa,") && !prefix(w, "-Wp,"))
        return w[2] != 0;
    /* -f options, but not those that change what the driver does with its inputs */
    return prefix(w, "-f") && w[2] && !prefix(w, "-fsyntax-only") && !prefix(w, "-flto") && !prefix(w, "-fdump");
}

/* Whether `word` is one of the ':'-separated entries of `list`. */
static int listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, word, n))
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int config_file_exists(void)
{
    char path[PATH_MAX + 64], cwd[PATH_MAX], dir[PATH_MAX];
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/llmcc/config.toml", xdg);
    else if (home)
        snprintf(path, sizeof path, "%s/.config/llmcc/config.toml", home);
    else
        return 1;  /* cannot tell: let Python look */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return 1;
    if (!getcwd(cwd, sizeof cwd) || !realpath(cwd, dir))
        return 1;
    for (;;) {  /* llmcc.toml here or in any parent, as config.find_project_file looks */
        snprintf(path, sizeof path, "%s/llmcc.toml", strcmp(dir, "/") ? dir : "");
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
        if (!strcmp(dir, "/"))
            return 0;
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            dir[1] = 0;
        else
            *slash = 0;
    }
}

/* Whether the command line is one the client may pass to gcc itself (see above): called as
 * `llmcc`, no LLMCC_CC, only link-or-query words, no configuration file. */
static int plain_command_line(int argc, char **argv)
{
    const char *base = strrchr(argv0_path, '/');
    base = base ? base + 1 : argv0_path;
    if (argc < 2 || strcmp(base, "llmcc") || getenv("LLMCC_CC") || argv[1][0] != '-')
        return 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            i++;
            continue;
        }
        if (!link_or_query_word(argv[i]))
            return 0;
    }
    return !config_file_exists();
}

/* The real gcc, as compiler.find_real_compiler picks it for `llmcc`: the first on PATH that is
 * not this llmcc and not one llmcc already ran (LLMCC_SEEN). 1 with its path in cc, its real
 * path in real and, in *bare, whether it runs as plain "gcc" (compiler.run_name: a PATH search
 * for the name finds this very gcc); 0 when there is none. */
static int find_gcc(char *cc, size_t cc_size, char *real, int *bare)
{
    char selves[3][PATH_MAX], path[PATH_MAX + 16], first[PATH_MAX + 16] = "";
    int nselves = 0;
    if (realpath(argv0_path, selves[nselves]))
        nselves++;
    const char *names[] = {"llmcc", "llmcc-py"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", self_dir, names[k]);
        if (realpath(path, selves[nselves]))
            nselves++;
    }
    const char *seen = getenv("LLMCC_SEEN"), *dirs = getenv("PATH");
    if (!dirs)
        dirs = "/bin:/usr/bin";  /* os.defpath */
    while (next_on_path(&dirs, "gcc", path, sizeof path)) {
        if (!realpath(path, real))
            continue;
        if (!first[0])
            snprintf(first, sizeof first, "%s", path);
        int self = 0;
        for (int k = 0; k < nselves; k++)
            self |= !strcmp(real, selves[k]);
        if (!self && !listed(seen, real) && !listed(seen, path)) {
            snprintf(cc, cc_size, "%s", path);
            *bare = !strcmp(first, cc);
            return 1;
        }
    }
    return 0;
}

/* LLMCC_SEEN with `real` added, as compiler.child_env sets it; NULL when it is there already
 * (or out of memory). The caller frees it. */
static char *seen_with(const char *real)
{
    const char *seen = getenv("LLMCC_SEEN");
    if (listed(seen, real))
        return NULL;
    size_t n = (seen && *seen ? strlen(seen) + 1 : 0) + strlen(real) + 1;
    char *value = malloc(n);
    if (!value)
        return NULL;
    if (seen && *seen)
        snprintf(value, n, "%s:%s", seen, real);
    else
        snprintf(value, n, "%s", real);
    return value;
}

static void pass_through_if_plain(int argc, char **argv)
{
    char cc[PATH_MAX + 16], real[PATH_MAX];
    int bare;
    if (!plain_command_line(argc, argv) || !find_gcc(cc, sizeof cc, real, &bare))
        return;  /* the server decides, or Python says what is wrong */
    char *seen = seen_with(real);
    if (seen) {
        setenv("LLMCC_SEEN", seen, 1);
        free(seen);
    } else if (!listed(getenv("LLMCC_SEEN"), real)) {
        return;  /* out of memory */
    }
    argv[0] = bare ? "gcc" : cc;
    execv(cc, argv);
    /* could not run it: the Python llmcc reports that as the driver would */
}

#ifdef LLMCC_PARITY_TEST
/* A test build (tests/driver/test_client_parity.py): prints the decisions above for the inputs
 * given, so that they can be compared with the Python side's. Never installed. */
static void set_self_dir(const char *dir)
{
    snprintf(self_dir, sizeof self_dir, "%s", dir);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *what = argv[1];
    if (!strcmp(what, "constants")) {
        printf("magic=");
        for (size_t i = 0; i < sizeof MAGIC; i++)
            printf("%02x", (unsigned char)MAGIC[i]);
        printf("\nhead=%d\nreply=%d\npgid=%s\nexit=%s\npyth=%s\nargv0_env=%s\nstart_env=%s\noff_env=%s\n",
               HEAD_SIZE, REPLY_SIZE, TAG_PGID, TAG_EXIT, TAG_PYTH, ARGV0_ENV, START_ENV, OFF_ENV);
        return 0;
    }
    if (!strcmp(what, "socket-path") && argc == 3) {  /* socket-path SELF_DIR */
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        set_self_dir(argv[2]);
        if (socket_path(path, sizeof path) != 0)
            return 1;
        printf("%s\n", path);
        return 0;
    }
    if (!strcmp(what, "config-exists")) {
        printf("%d\n", config_file_exists());
        return 0;
    }
    if (!strcmp(what, "words")) {  /* words WORD...: one 0/1 a line */
        for (int i = 2; i < argc; i++)
            printf("%d\n", link_or_query_word(argv[i]));
        return 0;
    }
    if (!strcmp(what, "gcc") && argc == 4) {  /* gcc SELF_DIR ARGV0: cc, run name, LLMCC_SEEN */
        char cc[PATH_MAX + 16], real[PATH_MAX];
        int bare;
        set_self_dir(argv[2]);
        resolve_argv0(argv[3]);
        if (!find_gcc(cc, sizeof cc, real, &bare)) {
            printf("none\n");
            return 0;
        }
        char *seen = seen_with(real);
        const char *old = getenv("LLMCC_SEEN");
        printf("%s\n%s\n%s\n", cc, bare ? "gcc" : cc, seen ? seen : (old ? old : ""));
        free(seen);
        return 0;
    }
    if (!strcmp(what, "plain") && argc >= 4) {  /* plain SELF_DIR ARGV0 ARG...: 0/1 */
        set_self_dir(argv[2]);
        resolve_argv0(argv[3]);
        printf("%d\n", plain_command_line(argc - 3, argv + 3));
        return 0;
    }
    if (!strcmp(what, "payload") && argc >= 3) {  /* payload ARGV0 ARG...: the request's payload */
        char *buf;
        size_t len;
        resolve_argv0(argv[2]);
        if (build_payload(argc - 2, argv + 2, &buf, &len) != 0)
            return 1;
        fwrite(buf, 1, len, stdout);
        free(buf);
        return 0;
    }
    return 2;
}
#else
int main(int argc, char **argv)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "llmcc: error: cannot find its own installation\n");
        return 127;
    }
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    *slash = 0;
    snprintf(self_dir, sizeof self_dir, "%s", exe[0] ? exe : "/");
    resolve_argv0(argv[0]);
    pass_through_if_plain(argc, argv);

    const char *off = getenv(OFF_ENV);
    if (off && (!strcmp(off, "0") || !strcasecmp(off, "false") || !strcasecmp(off, "no") || !strcasecmp(off, "off")))
        become_python(argv, NULL);
    for (int fd = 0; fd <= 2; fd++)  /* a closed standard stream cannot be passed on */
        if (fcntl(fd, F_GETFD) < 0)
            become_python(argv, NULL);

    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (socket_path(path, sizeof path) != 0)
        become_python(argv, NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0)
            close(fd);
        fd = start_server(path, &addr);
        if (fd < 0)
            become_python(argv, path); /* and have it start a server for the next compile */
    }
    if (send_request(fd, argc, argv) != 0) {
        close(fd);
        become_python(argv, NULL);
    }

    char reply[REPLY_SIZE];
    while (read_all(fd, reply, sizeof reply) == 0) {
        int32_t value;
        memcpy(&value, reply + 4, 4);
        if (!memcmp(reply, TAG_PGID, 4)) {
            compile_group = value;
            struct sigaction sa = {0};
            sa.sa_handler = forward;
            sa.sa_flags = SA_RESTART;
            sigemptyset(&sa.sa_mask);
            int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
            for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
                sigaction(sigs[i], &sa, NULL);
        } else if (!memcmp(reply, TAG_EXIT, 4)) {
            if (value < 0) { /* the compiler was killed by a signal: so are we, as after exec */
                signal(-value, SIG_DFL);
                raise(-value);
            }
            return value & 0xff;
        } else if (!memcmp(reply, TAG_PYTH, 4)) {
            break;
        }
    }
    /* The compile ended without a status. If we passed it a signal (make stopping the build),
     * that is why: end as the signal says, never start the compile again. */
    if (forwarded) {
        signal(forwarded, SIG_DFL);
        raise(forwarded);
        return 128 + forwarded;
    }
    /* refused, or the server went away before the end: Python does the whole job */
    close(fd);
    compile_group = 0;
    become_python(argv, NULL);
    return 127;
}
#endif
