/* A deliberately slow function: a thousand steps of a linear congruential generator. The
   composition of affine maps modulo 2^64 is one affine map, which gcc does not see; the
   rewrite the scripted model proposes computes it with one multiply and one add. */

unsigned long mix(unsigned long x)
{
    for (int i = 0; i < 1000; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return x;
}
