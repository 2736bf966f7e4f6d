/* dijkstra.c - single-source shortest paths with an indexed binary heap
 * (decrease-key) on a generated sparse directed graph in compressed
 * adjacency form. Several sources are solved; distances are summarised.
 *
 * usage: dijkstra [nodes] [out_degree] [sources]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct edge {
    int to;
    int weight;
};

struct graph {
    int n;
    int *first;          /* n + 1 offsets into edges */
    struct edge *edges;
};

struct heap {
    int size;
    int *items;          /* node ids, heap ordered by key */
    int *pos;            /* position of each node in items, -1 if absent */
    const uint64_t *key;
};

static uint64_t sm_state = 0x0DDB1A5E5BAD5EEDull;

static uint64_t splitmix64(void)
{
    uint64_t z = (sm_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int build_graph(struct graph *g, int n, int degree)
{
    g->n = n;
    g->first = malloc(sizeof(int) * (size_t)(n + 1));
    g->edges = malloc(sizeof(struct edge) * (size_t)n * (size_t)degree);
    if (!g->first || !g->edges)
        return -1;
    size_t e = 0;
    for (int u = 0; u < n; u++) {
        g->first[u] = (int)e;
        /* One edge to the next node keeps everything reachable; the rest
         * go mostly to nearby nodes and sometimes anywhere. */
        g->edges[e].to = (u + 1) % n;
        g->edges[e].weight = 500 + (int)(splitmix64() % 500);
        e++;
        for (int k = 1; k < degree; k++) {
            uint64_t r = splitmix64();
            int v;
            if ((r & 7) == 0)
                v = (int)((r >> 8) % (uint64_t)n);
            else
                v = (int)(((uint64_t)u + (uint64_t)n + ((r >> 8) % 2001) - 1000) %
                          (uint64_t)n);
            g->edges[e].to = v;
            g->edges[e].weight = 1 + (int)((r >> 40) % 1000);
            e++;
        }
    }
    g->first[n] = (int)e;
    return 0;
}

static void heap_swap(struct heap *h, int i, int j)
{
    int a = h->items[i], b = h->items[j];
    h->items[i] = b;
    h->items[j] = a;
    h->pos[b] = i;
    h->pos[a] = j;
}

static void sift_up(struct heap *h, int i)
{
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (h->key[h->items[parent]] <= h->key[h->items[i]])
            break;
        heap_swap(h, i, parent);
        i = parent;
    }
}

static void sift_down(struct heap *h, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->size && h->key[h->items[l]] < h->key[h->items[m]])
            m = l;
        if (r < h->size && h->key[h->items[r]] < h->key[h->items[m]])
            m = r;
        if (m == i)
            break;
        heap_swap(h, i, m);
        i = m;
    }
}

static void heap_push_or_decrease(struct heap *h, int node)
{
    if (h->pos[node] < 0) {
        h->items[h->size] = node;
        h->pos[node] = h->size;
        h->size++;
    }
    sift_up(h, h->pos[node]);
}

static int heap_pop_min(struct heap *h)
{
    int top = h->items[0];
    h->pos[top] = -1;
    h->size--;
    if (h->size > 0) {
        h->items[0] = h->items[h->size];
        h->pos[h->items[0]] = 0;
        sift_down(h, 0);
    }
    return top;
}

static void shortest_paths(const struct graph *g, int src, uint64_t *dist,
                           struct heap *h)
{
    for (int i = 0; i < g->n; i++) {
        dist[i] = UINT64_MAX;
        h->pos[i] = -1;
    }
    h->size = 0;
    h->key = dist;
    dist[src] = 0;
    heap_push_or_decrease(h, src);
    while (h->size > 0) {
        int u = heap_pop_min(h);
        uint64_t du = dist[u];
        for (int e = g->first[u]; e < g->first[u + 1]; e++) {
            const struct edge *ed = &g->edges[e];
            uint64_t nd = du + (uint64_t)ed->weight;
            if (nd < dist[ed->to]) {
                dist[ed->to] = nd;
                heap_push_or_decrease(h, ed->to);
            }
        }
    }
}

static long arg_or(int argc, char **argv, int i, long def)
{
    if (argc > i) {
        long v = strtol(argv[i], NULL, 10);
        if (v > 0)
            return v;
    }
    return def;
}

int main(int argc, char **argv)
{
    int n = (int)arg_or(argc, argv, 1, 200000);
    int degree = (int)arg_or(argc, argv, 2, 8);
    int sources = (int)arg_or(argc, argv, 3, 8);

    struct graph g;
    struct heap h;
    uint64_t *dist = malloc(sizeof(uint64_t) * (size_t)n);
    h.items = malloc(sizeof(int) * (size_t)n);
    h.pos = malloc(sizeof(int) * (size_t)n);
    if (!dist || !h.items || !h.pos || build_graph(&g, n, degree) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    uint64_t check = 0, longest = 0, first_sum = 0;
    for (int s = 0; s < sources; s++) {
        int src = (int)(((uint64_t)s * 7919u * 104729u) % (uint64_t)n);
        shortest_paths(&g, src, dist, &h);
        uint64_t sum = 0;
        for (int i = 0; i < n; i++) {
            sum += dist[i];
            if (dist[i] > longest)
                longest = dist[i];
        }
        check = check * 0x100000001B3ull + sum;
        if (s == 0)
            first_sum = sum;
    }
    printf("dijkstra: nodes=%d edges=%d sources=%d\n", n, g.first[n], sources);
    printf("first_sum=%llu longest=%llu checksum=%016llx\n",
           (unsigned long long)first_sum, (unsigned long long)longest,
           (unsigned long long)check);

    free(g.edges);
    free(g.first);
    free(h.pos);
    free(h.items);
    free(dist);
    return 0;
}
