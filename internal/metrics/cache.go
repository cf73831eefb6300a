package metrics

import (
	"sync"
	"sync/atomic"
)

// cache maps a few label values (a route, a tool, a statement) to their
// resolved series. Prometheus' own lookup hashes every label value on every
// call; here the hot path is one read of an immutable map, with no lock and
// no allocation. Keys come from bounded sets (mux patterns, the tool
// catalog, the store's constant queries), so the map stays small and a
// miss, which copies it, happens a few dozen times per process.
type cache[K comparable, V any] struct {
	mu sync.Mutex // serializes misses
	m  atomic.Pointer[map[K]V]
}

// get returns k's value, making it with mk on the first call for k.
func (c *cache[K, V]) get(k K, mk func(K) V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	next := make(map[K]V, 1+lenOf(old))
	if old != nil {
		for ok, ov := range *old {
			next[ok] = ov
		}
	}
	v := mk(k)
	next[k] = v
	c.m.Store(&next)
	return v
}

func lenOf[K comparable, V any](m *map[K]V) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
