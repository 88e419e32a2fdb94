// Command fakecrm serves the Salesforce + HubSpot look-alike on its own:
//
//	fakecrm -listen 127.0.0.1:8081 -data testdata/crm
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/veil-proxy/veil/cmd/fakecrm/fakecrm"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "listen address")
	data := flag.String("data", "testdata/crm", "fixtures directory")
	pageSize := flag.Int("page-size", 0, "Salesforce query page size / HubSpot default limit (0: CRM defaults)")
	flag.Parse()
	srv, err := fakecrm.New(os.DirFS(*data), fakecrm.Options{PageSize: *pageSize})
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Addr: *listen, Handler: srv, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	log.Printf("fakecrm listening on http://%s", *listen)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
