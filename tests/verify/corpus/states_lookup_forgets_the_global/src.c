struct node { int key; struct node *next; double w; };
struct table { struct node **buckets; int n; long hits; };
extern long lookups;
long lookups;
long lookup(struct table *t, int key)
{
    struct node *p = t->buckets[(unsigned)key % t->n];
    lookups++;
    for (; p; p = p->next)
        if (p->key == key) { t->hits++; return (long)(p->w * 2); }
    return -1;
}
