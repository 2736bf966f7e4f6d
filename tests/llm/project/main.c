#include <stdio.h>

unsigned long mix(unsigned long x);
unsigned checksum(const unsigned char *p, unsigned long n);

int main(void)
{
    unsigned char buf[256];
    unsigned long x = 1;
    for (int i = 0; i < 256; i++) {
        x = mix(x);
        buf[i] = (unsigned char)(x >> 56);
    }
    printf("%lx %x\n", x, checksum(buf, sizeof buf));
    return 0;
}
