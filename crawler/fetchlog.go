package crawler

import (
	"context"
	"log/slog"
	"time"
)

// logFetch writes one log line for a fetch attempt: a failure (no response) at info, any other
// outcome at debug. attempt counts from 1. The level is checked first, so a crawl at the
// default level pays nothing per fetch for the debug lines.
func logFetch(ctx context.Context, log *slog.Logger, f *fetchResult, attempt int) {
	switch {
	case f.err != nil:
		if log.Enabled(ctx, slog.LevelInfo) {
			log.LogAttrs(ctx, slog.LevelInfo, "fetch failed", slog.String("url", f.URL),
				slog.String("err", f.err.Error()), slog.Int("attempt", attempt),
				slog.Duration("duration", time.Since(f.at)))
		}
	case !log.Enabled(ctx, slog.LevelDebug):
	case f.blocked:
		log.LogAttrs(ctx, slog.LevelDebug, "robots.txt disallows", slog.String("url", f.URL))
	default:
		log.LogAttrs(ctx, slog.LevelDebug, "fetched", slog.String("url", f.URL),
			slog.Int("status", f.resp.Status), slog.Int("bytes", len(f.resp.Body)),
			slog.Duration("duration", f.resp.Duration), slog.Int("attempt", attempt))
	}
}
