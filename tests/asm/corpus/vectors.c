/* Vectorized loops whose constants gcc shares between widths: a scalar `movss .LC1` and a
   vector `movq .LC4` of the same value make gcc write `.set .LC1,.LC4` (constant aliases). */

void scale(float *restrict a, const float *restrict b, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = b[i] * 3.0f + 1.0f;
}

void scale_d(double *restrict a, const double *restrict b, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = b[i] * 3.0 + 1.0;
}

void add7(short *restrict a, int n)
{
    for (int i = 0; i < n; i++)
        a[i] += 7;
}

void step(unsigned *restrict a, unsigned char *restrict c, int n)
{
    for (int i = 0; i < n; i++) {
        a[i] = a[i] * 3 + 1;
        c[i] = c[i] * 3 + 1;
    }
}
