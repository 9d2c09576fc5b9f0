package main

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"time"
)

// killGrace is how long a child gets after SIGINT (request cancelled) before it is killed. The
// engine itself kills plugins 5s after interrupting them, so there is no point waiting longer.
const killGrace = 5 * time.Second

// childSet tracks the node processes started by Run and RunPlugin so that signals received by the
// language host (and the Cancel RPC) reach them.
type childSet struct {
	mu    sync.Mutex
	procs map[*os.Process]struct{}
}

func (s *childSet) add(p *os.Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.procs == nil {
		s.procs = map[*os.Process]struct{}{}
	}
	s.procs[p] = struct{}{}
}

func (s *childSet) remove(p *os.Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.procs, p)
}

// signal forwards sig to every running child.
func (s *childSet) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.procs {
		_ = p.Signal(sig)
	}
}

// run starts cmd and waits for it (see start).
func (s *childSet) run(ctx context.Context, cmd *exec.Cmd) error {
	return s.start(ctx, cmd, cmd.Wait)
}

// start starts cmd, registers it, and then calls wait (which must end with cmd.Wait having
// returned). If ctx ends first (the engine cancelled the RPC or went away) the child is interrupted,
// then killed after killGrace.
func (s *childSet) start(ctx context.Context, cmd *exec.Cmd, wait func() error) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	proc := cmd.Process
	s.add(proc)
	defer s.remove(proc)

	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
			_ = proc.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(killGrace):
				_ = proc.Kill()
			}
		}
	}()
	return wait()
}
