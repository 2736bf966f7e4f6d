#include <math.h>
double dabs(double x) { return fabs(x); }
