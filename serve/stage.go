package serve

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync/atomic"
)

// Stage runs a Server as a stage of `wismo run` (and alone, `wismo
// serve`): it listens on its address, is ready once it does, and closes
// the lookup's connection when it stops.
type Stage struct {
	srv    *Server
	addr   string
	closer io.Closer
	ready  atomic.Bool
	bound  atomic.Pointer[string]
}

// NewStage returns the stage serving srv on addr; closer (may be nil) is
// closed after the server stops.
func NewStage(srv *Server, addr string, closer io.Closer) *Stage {
	return &Stage{srv: srv, addr: addr, closer: closer}
}

// Name is "serve".
func (st *Stage) Name() string { return "serve" }

// Ready reports whether the stage listens.
func (st *Stage) Ready() bool { return st.ready.Load() }

// Addr is the address bound, "" before Run has bound it.
func (st *Stage) Addr() string {
	if p := st.bound.Load(); p != nil {
		return *p
	}
	return ""
}

// Run serves until ctx ends.
func (st *Stage) Run(ctx context.Context) error {
	if st.closer != nil {
		defer st.closer.Close()
	}
	ln, err := net.Listen("tcp", st.addr)
	if err != nil {
		return fmt.Errorf("serve.addr: %w", err)
	}
	a := ln.Addr().String()
	st.bound.Store(&a)
	st.ready.Store(true)
	defer st.ready.Store(false)
	return st.srv.Run(ctx, ln)
}
