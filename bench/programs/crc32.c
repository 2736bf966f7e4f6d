/* Checksums: bitwise CRC-32 and Adler-32 over a byte buffer. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

KERNEL uint32_t crc32_bitwise(const uint8_t *p, int n) {
    uint32_t crc = 0xffffffffu;
    for (int i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

KERNEL uint32_t adler32(const uint8_t *p, int n) {
    uint32_t a = 1, b = 0;
    for (int i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 18;
    int reps = argc > 2 ? atoi(argv[2]) : 150;
    uint8_t *buf = malloc(n);
    uint32_t s = 12345;
    for (int i = 0; i < n; i++) { s = s * 1103515245u + 12345u; buf[i] = (uint8_t)(s >> 16); }
    uint32_t sum = 0;
    for (int r = 0; r < reps; r++) {
        buf[r] ^= 0x5a;
        sum = sum * 33 + crc32_bitwise(buf, n);
        sum ^= adler32(buf, n);
    }
    printf("%u\n", sum);
    free(buf);
    return 0;
}
#endif
