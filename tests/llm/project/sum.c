/* FNV-1a over a buffer: the scripted model only ever proposes unusable rewrites for it. */

unsigned checksum(const unsigned char *p, unsigned long n)
{
    unsigned h = 2166136261u;
    for (unsigned long i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}
