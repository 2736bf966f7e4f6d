#include <stdio.h>
#include <stdlib.h>
int fold(int (*f)(int), const int *a, int n);
static int sq(int x) { return x * x; }
static int tri(int x) { return x * (x + 1) / 2; }
int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200000;
    int arr[256];
    for (int i = 0; i < 256; i++) arr[i] = i * 3 - 100;
    int (*fs[2])(int) = { sq, tri };
    long s = 0;
    for (int r = 0; r < rounds; r++) s += fold(fs[r & 1], arr, 64 + r % 192);
    printf("%ld\n", s);
    return 0;
}
