#include <stdio.h>
#include <stdlib.h>
struct node { int key; struct node *next; double w; };
struct table { struct node **buckets; int n; long hits; };
extern long lookups;
long lookup(struct table *t, int key);
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000, rounds = argc > 2 ? atoi(argv[2]) : 2000000;
    struct table t = { calloc(97, sizeof(struct node *)), 97, 0 };
    for (int i = 0; i < n; i++) {
        struct node *e = malloc(sizeof *e);
        e->key = i * 7; e->w = i * 0.5; e->next = t.buckets[(unsigned)e->key % 97];
        t.buckets[(unsigned)e->key % 97] = e;
    }
    long s = 0;
    for (int r = 0; r < rounds; r++) s += lookup(&t, (r * 13) % (n * 7 + 5));
    printf("%ld %ld %ld\n", s, t.hits, lookups);
    return 0;
}
