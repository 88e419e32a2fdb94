package redistest

import (
	"context"
	"testing"
)

func TestStartStopRestart(t *testing.T) {
	ctx := context.Background()
	a, b := Start(t), Start(t)
	if a.Addr() == b.Addr() {
		t.Fatalf("two servers on %s", a.Addr())
	}
	c := a.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	a.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered with the server stopped")
	}
	a.Stop() // stopping twice is fine
	if err := b.Client(t).Ping(ctx).Err(); err != nil {
		t.Errorf("the other server: %v", err)
	}
	a.Restart()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("a restarted server keeps data: %d %v", n, err)
	}
	a.Restart() // restarting a running server
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("after a second restart: %v", err)
	}
}
