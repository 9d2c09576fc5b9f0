package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// Entry points inside the npm package @pulumi/pulumi, resolved from the program directory with
	// node's own resolution (so the program's copy of the SDK is the one that runs).
	runModule        = "@pulumi/pulumi/cmd/run"             // runs a Pulumi program
	runPolicyModule  = "@pulumi/pulumi/cmd/run-policy-pack" // runs a policy pack (analyzer plugin)
	runPluginModule  = "@pulumi/pulumi/cmd/run-plugin"      // runs any other plugin written in node
	runPathOverrideV = "PULUMI_LANGUAGE_NODEJS_RUN_PATH"    // same testing override as upstream

	// cmd/run/index.js exits with this code when it has already reported the error to the engine
	// (log.error); the engine then must not print a second, generic error: RunResponse.Bail.
	exitAfterReportedError = 32
)

// nodeHost implements pulumirpc.LanguageRuntimeServer. Everything not implemented here answers
// codes.Unimplemented through the embedded struct, which the engine treats as "not supported".
type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	tracing string

	mu            sync.Mutex
	engineAddress string // from argv, or from Handshake when the engine attaches to us

	children childSet // running node processes, for signal forwarding and Cancel
}

func newLanguageHost(engineAddress, tracing string) *nodeHost {
	return &nodeHost{engineAddress: engineAddress, tracing: tracing}
}

func (h *nodeHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// Handshake is the first call the engine makes. We only need the engine address from it (it is
// already on our command line when the engine launched us, but not when it attaches to a running
// host via PULUMI_DEBUG_LANGUAGES).
func (h *nodeHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.mu.Lock()
		h.engineAddress = req.GetEngineAddress()
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// programDir picks the program directory from a ProgramInfo, falling back to the deprecated
// top-level fields that older engines send.
func programDir(info *pulumirpc.ProgramInfo, fallbacks ...string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	for _, f := range fallbacks {
		if f != "" {
			return f
		}
	}
	return "."
}

// GetRequiredPackages lists the resource plugins the program's node_modules ask for (see
// plugins.go). The engine uses it to make sure those plugins exist before running the program;
// with ambient plugins on PATH nothing gets downloaded.
func (h *nodeHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps := findPluginPackages(programDir(req.GetInfo()))
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, d := range deps {
		resp.Packages = append(resp.Packages, d.toPackage())
	}
	return resp, nil
}

// GetRequiredPlugins is the deprecated predecessor of GetRequiredPackages; still answered for
// callers that use it.
func (h *nodeHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	//nolint:staticcheck // Program/Pwd are the deprecated fallbacks.
	deps := findPluginPackages(programDir(req.GetInfo(), req.GetProgram(), req.GetPwd()))
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, d := range deps {
		resp.Plugins = append(resp.Plugins, d.toPlugin())
	}
	return resp, nil
}

// nodeOptions are the `runtime.options` of Pulumi.yaml (or PulumiPolicy.yaml) that matter here.
type nodeOptions struct {
	typescript     bool   // default true, as upstream: run .ts through ts-node
	tsconfig       string // PULUMI_NODEJS_TSCONFIG_PATH
	nodeargs       string // extra arguments for node itself
	packagemanager npm.PackageManagerType
	// transpileOnly is our extension (upstream only reads the environment variable): when set in
	// Pulumi.yaml it becomes PULUMI_NODEJS_TRANSPILE_ONLY, unless the caller already set that.
	transpileOnly *bool
}

func parseOptions(info *pulumirpc.ProgramInfo) (nodeOptions, error) {
	opts := nodeOptions{typescript: true, packagemanager: npm.AutoPackageManager}
	if info == nil || info.GetOptions() == nil {
		return opts, nil
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("runtime option 'typescript' must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("runtime option 'tsconfig' must be a string")
		}
		opts.tsconfig = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("runtime option 'nodeargs' must be a string")
		}
		opts.nodeargs = s
	}
	if v, ok := m["transpileOnly"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("runtime option 'transpileOnly' must be a boolean")
		}
		opts.transpileOnly = &b
	}
	if v, ok := m["packagemanager"]; ok {
		s, ok := v.(string)
		switch {
		case !ok:
			return opts, errors.New("runtime option 'packagemanager' must be a string")
		case s == "auto", s == "npm", s == "yarn", s == "pnpm", s == "bun":
			opts.packagemanager = npm.PackageManagerType(s)
		default:
			return opts, fmt.Errorf("runtime option 'packagemanager' must be auto, npm, yarn, pnpm or bun, not %q", s)
		}
	}
	return opts, nil
}

// env returns the PULUMI_NODEJS_* variables that cmd/run and cmd/run-policy-pack read.
func (o nodeOptions) env(base []string) []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	if o.transpileOnly != nil && !hasEnv(base, "PULUMI_NODEJS_TRANSPILE_ONLY") {
		env = append(env, "PULUMI_NODEJS_TRANSPILE_ONLY="+strconv.FormatBool(*o.transpileOnly))
	}
	return env
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

// splitArgs splits the nodeargs option like a POSIX shell would for simple cases: whitespace
// separates words, single and double quotes group, backslash escapes the next character.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord, escaped := false, false
	var quote rune
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in nodeargs %q", s)
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// locateModule resolves an @pulumi/pulumi entry point the way node would from the program
// directory, so that the program's own copy of the SDK is used (as upstream does).
func locateModule(ctx context.Context, nodeBin, dir, module, hint string) (string, error) {
	if override := os.Getenv(runPathOverrideV); override != "" && module == runModule {
		module = override
	}
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (e) { `+
		`if (e.code === "MODULE_NOT_FOUND") { console.error(%q); } else { console.error(e.message); } process.exit(1); }`,
		module, "It looks like the Pulumi SDK has not been installed. Have you run "+hint+"?")
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("resolving %s from %s: %w", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Run executes a Pulumi program: `node [nodeargs] .../@pulumi/pulumi/cmd/run <flags> <entry> [args]`.
// The program talks to the engine's resource monitor directly (address in --monitor).
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runPath, err := locateModule(ctx, nodeBin, dir, runModule, "pulumi install (or npm install)")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// Config: a JSON object of "namespace:key" -> value (the SDK also accepts the legacy
	// "namespace:config:key" form, which upstream still sends; both are normalised by
	// runtime/config.js cleanKey). Secret keys: a JSON array of those keys.
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing secret config keys: %w", err)
	}

	// Flags understood by cmd/run/index.js (minimist; see its usage()).
	args, err := splitArgs(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args = append(args, runPath)
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engine())
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("root-directory", req.GetInfo().GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram() // older engines; "." means "the package in dir"
	}
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env := os.Environ()
	env = append(env, "PULUMI_CONFIG="+string(configJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	env = append(env, opts.env(env)...)

	cmd := exec.Command(nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	// Wrap our stdout/stderr so exec copies through a pipe instead of handing node our own file
	// descriptors: node may switch them to non-blocking mode, which would then break our writes
	// (the engine relays both streams to the user).
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	logging.V(5).Infof("language host launching: %s %s", nodeBin, strings.Join(args, " "))

	if err := h.children.run(ctx, cmd); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			switch code := ee.ExitCode(); code {
			case exitAfterReportedError:
				return &pulumirpc.RunResponse{Bail: true}, nil
			case -1:
				return &pulumirpc.RunResponse{Error: "Program exited unexpectedly: " + ee.Error()}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{
			Error: "Problem executing program (could not run language executor): " + err.Error(),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a plugin written in node. The engine uses it for policy packs (Kind "analyzer",
// `pulumi preview --policy-pack DIR`): the pack is started with @pulumi/pulumi/cmd/run-policy-pack
// `<engine-address> <pack-dir>`, from the pack directory, and prints the port of its Analyzer
// server on stdout, which we stream back to the engine. Other kinds use cmd/run-plugin.
//
// Policy packs written with @pulumi/policy read the stack configuration from the environment
// (PULUMI_CONFIG, PULUMI_NODEJS_STACK, ...), but the engine only sends it later, over gRPC
// (Analyzer.ConfigureStack). sdk.PolicyProxy (sdk/v3 policy_proxy.go, the helper upstream uses
// for exactly this) answers the engine first, collects that configuration, and then proxies to the
// real pack once we have started it with the configuration in its environment.
func (h *nodeHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := programDir(req.GetInfo(), req.GetProgram())
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	isPolicyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	module := runPluginModule
	if isPolicyPack {
		module = runPolicyModule
	}
	runPath, err := locateModule(ctx, nodeBin, dir, module, "npm install in "+dir)
	if err != nil {
		return err
	}

	args, err := splitArgs(opts.nodeargs)
	if err != nil {
		return err
	}
	args = append([]string{runPath}, args...)
	// run-policy-pack wants the program directory last; run-plugin wants it first.
	if isPolicyPack {
		args = append(append(args, req.GetArgs()...), dir)
	} else {
		args = append(append(args, dir), req.GetArgs()...)
	}

	env := append([]string{}, req.GetEnv()...)
	if len(env) == 0 {
		env = os.Environ()
	}
	env = append(env, opts.env(env)...)

	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if stack != nil {
			add := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			add("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
			add("PULUMI_NODEJS_PROJECT", stack.GetProject())
			add("PULUMI_NODEJS_STACK", stack.GetStack())
			add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
			if stack.GetConfig() != nil {
				b, err := json.Marshal(stack.GetConfig())
				if err != nil {
					return fmt.Errorf("serializing stack configuration: %w", err)
				}
				add("PULUMI_CONFIG", string(b))
			}
		}
	}

	cmd := exec.Command(nodeBin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Policy packs historically run from their own directory; other plugins from the caller's.
	if isPolicyPack || req.GetPwd() == "" {
		cmd.Dir = dir
	} else {
		cmd.Dir = req.GetPwd()
	}
	logging.V(5).Infof("language host launching plugin: %s %s", nodeBin, strings.Join(args, " "))

	if proxy != nil {
		err = h.children.start(ctx, cmd, func() error { return proxy.Attach(ctx, cmd) })
	} else {
		err = h.children.run(ctx, cmd)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("Plugin exited with non-zero exit code: %d", ee.ExitCode())
		}
		return fmt.Errorf("Problem executing plugin program (could not run language executor): %w", err)
	}
	return closer.Close()
}

// InstallDependencies runs the project's package manager (npm unless a lockfile or the
// packagemanager option says otherwise; sdk/v3 nodejs/npm does the detection) in the program
// directory, streaming its output back to the engine.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := programDir(req.GetInfo(), req.GetDirectory())
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	if req.GetUseLanguageVersionTools() {
		fmt.Fprintln(stderr, "note: this pulumi-language-nodejs does not manage node versions (fnm/.nvmrc); using node from PATH")
	}
	fmt.Fprintf(stdout, "Installing dependencies in %s...\n\n", dir)
	name, err := npm.Install(server.Context(), opts.packagemanager, dir, false /*production*/, stdout, stderr)
	if err != nil {
		if name == "" {
			return err // no usable package manager; the error says which one was looked for
		}
		return fmt.Errorf("%s install in %s: %w", name, dir, err)
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

// GetProgramDependencies lists the npm packages the program depends on (used by `pulumi about`).
func (h *nodeHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pm, err := npm.ResolvePackageManager(opts.packagemanager, dir)
	if err != nil {
		return nil, err
	}
	pkgs, err := pm.ListPackages(ctx, dir, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

// About reports which node runs programs (used by `pulumi about`).
func (h *nodeHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	if abs, err := filepath.Abs(nodeBin); err == nil {
		nodeBin = abs
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

// Cancel is sent by the engine when the user cancels an operation: interrupt running programs.
func (h *nodeHost) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.children.signal(os.Interrupt)
	return &emptypb.Empty{}, nil
}
