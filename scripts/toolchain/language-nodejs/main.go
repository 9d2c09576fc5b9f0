// Command pulumi-language-nodejs is our own, small Node.js language host for the Pulumi engine.
//
// Why it exists: the upstream host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// is a separate Go module that the filtered module proxy reachable from this machine refuses to
// serve (403 for every version), and we do not download release tarballs at run time. The engine
// (pkg/v3) and the SDK (sdk/v3) are available, so this binary re-implements the parts of the
// upstream host that the CLI v3.248.0 and the npm package @pulumi/pulumi@3.248.0 actually use.
//
// Contract with the engine (mirrors sdk/v3 go/common/resource/plugin/langruntime_plugin.go and
// plugin.go at v3.248.0):
//   - the engine starts us as `pulumi-language-nodejs [--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDR`
//     (the engine address is the last positional argument);
//   - we print the port of our gRPC LanguageRuntime server as the first line of stdout; everything
//     we (or the node programs we spawn) write to stdout/stderr afterwards is relayed by the engine
//     to the user;
//   - the engine then calls Handshake, GetRequiredPackages/GetRequiredPlugins, Run, RunPlugin, ...
//
// What is deliberately left out compared to upstream: code generation (GenerateProgram/Project/
// Package, Pack, Link), debugger attach, the "sync invoke" pipes and monitor proxy (the 3.248 npm
// SDK never opens the --sync pipes: runtime/settings.js tryGetSyncInvokes has no callers), bun
// support and fnm/.nvmrc handling. Those RPCs answer codes.Unimplemented via the embedded
// pulumirpc.UnimplementedLanguageRuntimeServer.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func main() {
	// -v and --logtostderr are registered on flag.CommandLine by the sdk's logging package, so the
	// flags the engine passes with --logflow parse without being declared here.
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	showVersion := flag.Bool("version", false, "Print the plugin version and exit")
	flag.Parse()

	if *showVersion {
		// version.Version is stamped at build time with -ldflags -X (see scripts/toolchain.sh).
		fmt.Println(version.Version)
		return
	}

	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", *tracing)

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	host := newLanguageHost(engineAddress, *tracing)

	// Stop serving when the engine goes away (same 5 minute health check as upstream), or when we
	// are asked to stop by a signal.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	// SIGINT/SIGTERM: forward to the node processes we started (so that a Ctrl-C, or the engine
	// tearing plugins down, gives the program its chance to clean up), then stop serving once the
	// in-flight RPCs have returned. The engine starts plugins in their own process group and
	// interrupts the whole group, so node may see the signal twice; the Pulumi runtime tolerates that.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range signals {
			logging.V(5).Infof("language host received %v; forwarding to child processes", sig)
			host.children.signal(sig)
			cancel()
		}
	}()

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}

	// The first line on stdout must be the port: the engine reads it byte by byte.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}
