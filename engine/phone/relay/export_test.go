package relay

// Observe makes c report every event it dispatches (after dropping
// re-sent duplicates).
func Observe(c *Client, f func(Event)) {
	c.mu.Lock()
	c.observe = f
	c.mu.Unlock()
}
