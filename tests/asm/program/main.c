#include <stdio.h>

int classify(unsigned op);
const char *op_name(unsigned op);
int walk(const int *a, int n);
long interpret(const unsigned char *code, int n);
double poly(double x);
double use_k1(double x);
double use_k2(double x);
int add3(int x);
int sub3(int x);
int use_twice(int x);
int checked_div(int a, int b);

int main(void)
{
    for (unsigned i = 0; i < 10; i++)
        printf("%u %d %s\n", i, classify(i), op_name(i));
    int a[] = { 1, 2, 12345, 4, 5, 12345, 7 };
    printf("walk %d %d\n", walk(a, 7), walk(a, 2));
    unsigned char prog[] = { 0, 0, 2, 1, 2, 0, 3, 0 };
    printf("interpret %ld %ld\n", interpret(prog, 8), interpret(prog, 3));
    printf("poly %.6f %.6f\n", poly(2.0), poly(-0.5));
    printf("k %.6f %.6f\n", use_k1(1.0), use_k2(3.0));
    printf("add3 %d sub3 %d\n", add3(10), sub3(10));
    printf("twice %d %d\n", use_twice(7), use_twice(150));
    printf("div %d\n", checked_div(91, 7));
    return 0;
}
