int fold(int (*f)(int), const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += f(a[i]) ^ i;
    return s;
}
