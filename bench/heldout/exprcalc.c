/* exprcalc.c - a tokenizer and recursive-descent interpreter for a small
 * expression language, run over a generated program text:
 *
 *   stmt    := "let" name "=" expr ";" | expr ";"
 *   expr    := term { ("+" | "-") term }
 *   term    := unary { ("*" | "/" | "%") unary }
 *   unary   := "-" unary | primary
 *   primary := number | name | name "(" expr "," expr ")" | "(" expr ")"
 *
 * Arithmetic is on 32-bit unsigned values; x / 0 is 0 and x % 0 is x.
 * The functions are min, max and mix. Each pass starts with different
 * initial variable values.
 *
 * usage: exprcalc [statements] [passes]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum token {
    T_END, T_NUM, T_NAME, T_LET, T_PLUS, T_MINUS, T_STAR, T_SLASH,
    T_PERCENT, T_LPAREN, T_RPAREN, T_COMMA, T_ASSIGN, T_SEMI, T_ERROR
};

struct lexer {
    const char *src;
    size_t pos;
    enum token tok;
    uint32_t num;
    const char *name;
    int name_len;
};

struct var {
    char name[16];
    int used;
    uint32_t value;
};

struct interp {
    struct lexer lx;
    struct var vars[256];   /* open addressing on the name hash */
    uint32_t default_value;
    int errors;
};

struct textbuf {
    char *data;
    size_t len, cap;
};

/* ---------------------------------------------------------------- */
/* Program generation                                                */

static uint64_t gen_state = 0x853C49E6748FEA9Bull;

static uint32_t gen_next(void)
{
    gen_state = gen_state * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t xorshifted = (uint32_t)(((gen_state >> 18) ^ gen_state) >> 27);
    uint32_t rot = (uint32_t)(gen_state >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}

static void put_str(struct textbuf *tb, const char *s)
{
    size_t n = strlen(s);
    if (tb->len + n + 1 > tb->cap) {
        size_t cap = tb->cap ? tb->cap * 2 : 4096;
        while (cap < tb->len + n + 1)
            cap *= 2;
        char *p = realloc(tb->data, cap);
        if (!p) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        tb->data = p;
        tb->cap = cap;
    }
    memcpy(tb->data + tb->len, s, n + 1);
    tb->len += n;
}

static const char *const var_names[] = {
    "a", "b", "c", "x", "y", "z", "n", "acc", "tmp", "total", "count",
    "alpha", "beta", "gamma", "delta", "left", "right", "width", "height",
    "depth", "speed", "rate", "limit", "seed", "offset", "scale", "k1",
    "k2", "k3", "index", "value", "result"
};
enum { NUM_VARS = sizeof var_names / sizeof var_names[0] };

static void gen_expr(struct textbuf *tb, int depth)
{
    char num[16];
    uint32_t r = gen_next();
    if (depth <= 0 || r % 8 < 2) {
        if (r & 0x100) {
            snprintf(num, sizeof num, "%u", (unsigned)(gen_next() % 100000));
            put_str(tb, num);
        } else {
            put_str(tb, var_names[gen_next() % NUM_VARS]);
        }
        return;
    }
    switch (r % 8) {
    case 2:
        put_str(tb, "(");
        gen_expr(tb, depth - 1);
        put_str(tb, ")");
        break;
    case 3:
        put_str(tb, "-");
        gen_expr(tb, depth - 1);
        break;
    case 4: {
        static const char *const fn[3] = { "min(", "max(", "mix(" };
        put_str(tb, fn[(r >> 8) % 3]);
        gen_expr(tb, depth - 1);
        put_str(tb, ", ");
        gen_expr(tb, depth - 1);
        put_str(tb, ")");
        break;
    }
    default: {
        static const char *const ops[6] = { " + ", " - ", " * ", " / ",
                                            " % ", "+" };
        gen_expr(tb, depth - 1);
        put_str(tb, ops[(r >> 8) % 6]);
        gen_expr(tb, depth - 1);
        break;
    }
    }
}

static void gen_program(struct textbuf *tb, int statements)
{
    for (int i = 0; i < statements; i++) {
        if (gen_next() % 3 != 0) {
            put_str(tb, "let ");
            put_str(tb, var_names[gen_next() % NUM_VARS]);
            put_str(tb, " = ");
        }
        gen_expr(tb, 2 + (int)(gen_next() % 5));
        put_str(tb, gen_next() % 4 == 0 ? ";\n" : "; ");
    }
}

/* ---------------------------------------------------------------- */
/* Lexer                                                             */

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void next_token(struct lexer *lx)
{
    const char *s = lx->src;
    size_t p = lx->pos;
    while (s[p] == ' ' || s[p] == '\n' || s[p] == '\t' || s[p] == '\r')
        p++;
    char c = s[p];
    if (c == '\0') {
        lx->tok = T_END;
    } else if (is_digit(c)) {
        uint32_t v = 0;
        while (is_digit(s[p]))
            v = v * 10u + (uint32_t)(s[p++] - '0');
        lx->num = v;
        lx->tok = T_NUM;
        lx->pos = p;
        return;
    } else if (is_alpha(c)) {
        size_t start = p;
        while (is_alpha(s[p]) || is_digit(s[p]))
            p++;
        lx->name = s + start;
        lx->name_len = (int)(p - start);
        lx->tok = (lx->name_len == 3 && memcmp(lx->name, "let", 3) == 0)
                      ? T_LET : T_NAME;
        lx->pos = p;
        return;
    } else {
        switch (c) {
        case '+': lx->tok = T_PLUS; break;
        case '-': lx->tok = T_MINUS; break;
        case '*': lx->tok = T_STAR; break;
        case '/': lx->tok = T_SLASH; break;
        case '%': lx->tok = T_PERCENT; break;
        case '(': lx->tok = T_LPAREN; break;
        case ')': lx->tok = T_RPAREN; break;
        case ',': lx->tok = T_COMMA; break;
        case '=': lx->tok = T_ASSIGN; break;
        case ';': lx->tok = T_SEMI; break;
        default: lx->tok = T_ERROR; break;
        }
        p++;
    }
    lx->pos = p;
}

/* ---------------------------------------------------------------- */
/* Variables                                                         */

static struct var *lookup(struct interp *in, const char *name, int len,
                          int create)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    if (len >= 16)
        return NULL;
    for (uint32_t i = 0; i < 256; i++) {
        struct var *v = &in->vars[(h + i) & 255];
        if (!v->used) {
            if (!create)
                return NULL;
            memcpy(v->name, name, (size_t)len);
            v->name[len] = '\0';
            v->used = 1;
            v->value = in->default_value;
            return v;
        }
        if (memcmp(v->name, name, (size_t)len) == 0 && v->name[len] == '\0')
            return v;
    }
    return NULL;
}

/* ---------------------------------------------------------------- */
/* Parser / evaluator                                                */

static uint32_t parse_expr(struct interp *in);

static int expect(struct interp *in, enum token t)
{
    if (in->lx.tok != t) {
        in->errors++;
        return 0;
    }
    next_token(&in->lx);
    return 1;
}

static uint32_t call_function(const char *name, int len, uint32_t x,
                              uint32_t y, int *ok)
{
    *ok = 1;
    if (len == 3 && memcmp(name, "min", 3) == 0)
        return x < y ? x : y;
    if (len == 3 && memcmp(name, "max", 3) == 0)
        return x > y ? x : y;
    if (len == 3 && memcmp(name, "mix", 3) == 0)
        return (x ^ (y >> 3)) + (y << 5);
    *ok = 0;
    return 0;
}

static uint32_t parse_primary(struct interp *in)
{
    struct lexer *lx = &in->lx;
    if (lx->tok == T_NUM) {
        uint32_t v = lx->num;
        next_token(lx);
        return v;
    }
    if (lx->tok == T_NAME) {
        const char *name = lx->name;
        int len = lx->name_len;
        next_token(lx);
        if (lx->tok == T_LPAREN) {
            next_token(lx);
            uint32_t x = parse_expr(in);
            expect(in, T_COMMA);
            uint32_t y = parse_expr(in);
            expect(in, T_RPAREN);
            int ok;
            uint32_t v = call_function(name, len, x, y, &ok);
            if (!ok)
                in->errors++;
            return v;
        }
        struct var *v = lookup(in, name, len, 0);
        return v ? v->value : in->default_value;
    }
    if (lx->tok == T_LPAREN) {
        next_token(lx);
        uint32_t v = parse_expr(in);
        expect(in, T_RPAREN);
        return v;
    }
    in->errors++;
    next_token(lx);
    return 0;
}

static uint32_t parse_unary(struct interp *in)
{
    if (in->lx.tok == T_MINUS) {
        next_token(&in->lx);
        return 0u - parse_unary(in);
    }
    return parse_primary(in);
}

static uint32_t parse_term(struct interp *in)
{
    uint32_t v = parse_unary(in);
    for (;;) {
        enum token op = in->lx.tok;
        if (op != T_STAR && op != T_SLASH && op != T_PERCENT)
            return v;
        next_token(&in->lx);
        uint32_t r = parse_unary(in);
        if (op == T_STAR)
            v *= r;
        else if (op == T_SLASH)
            v = r ? v / r : 0;
        else
            v = r ? v % r : v;
    }
}

static uint32_t parse_expr(struct interp *in)
{
    uint32_t v = parse_term(in);
    for (;;) {
        enum token op = in->lx.tok;
        if (op != T_PLUS && op != T_MINUS)
            return v;
        next_token(&in->lx);
        uint32_t r = parse_term(in);
        v = op == T_PLUS ? v + r : v - r;
    }
}

static uint32_t run_program(struct interp *in, const char *text,
                            long *statements)
{
    uint32_t check = 0;
    long count = 0;
    in->lx.src = text;
    in->lx.pos = 0;
    next_token(&in->lx);
    while (in->lx.tok != T_END) {
        if (in->lx.tok == T_LET) {
            next_token(&in->lx);
            struct var *v = NULL;
            if (in->lx.tok == T_NAME)
                v = lookup(in, in->lx.name, in->lx.name_len, 1);
            expect(in, T_NAME);
            expect(in, T_ASSIGN);
            uint32_t val = parse_expr(in);
            if (v)
                v->value = val;
            check = (check ^ val) * 0x9E3779B1u;
        } else {
            uint32_t val = parse_expr(in);
            check = (check + val) * 0x85EBCA77u;
        }
        if (!expect(in, T_SEMI)) {
            /* Resynchronise at the next semicolon. */
            while (in->lx.tok != T_SEMI && in->lx.tok != T_END)
                next_token(&in->lx);
            if (in->lx.tok == T_SEMI)
                next_token(&in->lx);
        }
        count++;
    }
    *statements = count;
    return check;
}

static long arg_or(int argc, char **argv, int i, long def)
{
    if (argc > i) {
        long v = strtol(argv[i], NULL, 10);
        if (v > 0)
            return v;
    }
    return def;
}

int main(int argc, char **argv)
{
    int statements = (int)arg_or(argc, argv, 1, 60000);
    int passes = (int)arg_or(argc, argv, 2, 40);

    struct textbuf tb = { NULL, 0, 0 };
    gen_program(&tb, statements);

    struct interp *in = malloc(sizeof *in);
    if (!in) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    uint32_t check = 0;
    long executed = 0;
    int errors = 0;
    for (int p = 0; p < passes; p++) {
        memset(in->vars, 0, sizeof in->vars);
        in->default_value = 1u + (uint32_t)p * 7919u;
        in->errors = 0;
        long n;
        check = check * 31u + run_program(in, tb.data, &n);
        executed += n;
        errors += in->errors;
    }
    struct var *res = lookup(in, "result", 6, 0);

    printf("exprcalc: text=%zu bytes statements=%ld errors=%d\n", tb.len,
           executed, errors);
    printf("result=%u checksum=%08x\n", res ? (unsigned)res->value : 0u,
           (unsigned)check);
    free(in);
    free(tb.data);
    return 0;
}
