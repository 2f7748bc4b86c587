package crawler

// queue is one of the pipeline's bounded channels, seen from outside: only its length.
type queue struct {
	name string
	len  func() (length, capacity int)
}

func chanQueue[T any](name string, ch chan T) queue {
	return queue{name, func() (int, int) { return len(ch), cap(ch) }}
}

// QueueDepth is how many items wait in one of the pipeline's channels.
type QueueDepth struct {
	// Queue names the channel by the stage that drains it: "parse" (fetched pages waiting for
	// a parser), "write" (results waiting for the writer), "feedback" (finished fetches
	// waiting for the frontier), "notes" (commits waiting for the frontier).
	Queue    string
	Len, Cap int
}

// QueueDepths returns the current length of each pipeline channel, or nil before Run has
// built the pipeline. Safe to call from any goroutine: it only reads the channels' lengths.
func (c *Crawler) QueueDepths() []QueueDepth {
	qs := c.queues.Load()
	if qs == nil {
		return nil
	}
	out := make([]QueueDepth, len(*qs))
	for i, q := range *qs {
		n, capacity := q.len()
		out[i] = QueueDepth{Queue: q.name, Len: n, Cap: capacity}
	}
	return out
}
