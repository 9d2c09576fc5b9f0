package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// pluginDep is one resource plugin a program needs, as declared by an npm package.
type pluginDep struct {
	name, version, server string
	parameterization      *plugin.PulumiParameterizationJSON
}

func (d pluginDep) toPackage() *pulumirpc.PackageDependency {
	p := &pulumirpc.PackageDependency{Name: d.name, Kind: "resource", Version: d.version, Server: d.server}
	if d.parameterization != nil {
		p.Parameterization = &pulumirpc.PackageParameterization{
			Name:    d.parameterization.Name,
			Version: d.parameterization.Version,
			Value:   d.parameterization.Value,
		}
	}
	return p
}

func (d pluginDep) toPlugin() *pulumirpc.PluginDependency {
	return &pulumirpc.PluginDependency{Name: d.name, Kind: "resource", Version: d.version, Server: d.server}
}

// packageJSON is the part of a package.json we look at.
type packageJSON struct {
	Name    string                  `json:"name"`
	Version string                  `json:"version"`
	Pulumi  plugin.PulumiPluginJSON `json:"pulumi"`
}

// findPluginPackages mirrors upstream getPackagesFromDir: walk the program directory (following
// symlinks, each real directory once), and for every package.json that sits in a package directly
// under a node_modules directory and says `"pulumi": {"resource": true}`, report a resource plugin:
//   - name: pulumi.name, else the package name without its @pulumi/ scope (other scoped packages
//     must set pulumi.name; they are skipped with a log line otherwise);
//   - version: pulumi.version, else the package version, with a leading "v";
//   - server: pulumi.server (where the plugin could be downloaded from; unused with ambient plugins).
//
// Directories holding a PulumiPolicy.yaml are skipped: a policy pack's plugins are not the
// program's. Unreadable entries are logged and skipped, as upstream does.
func findPluginPackages(root string) []pluginDep {
	seen := map[string]bool{}
	found := map[string]pluginDep{}
	var walk func(dir string, inNodeModules bool)
	walk = func(dir string, inNodeModules bool) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			logging.V(5).Infof("skipping %s: %v", dir, err)
			return
		}
		if seen[real] {
			return
		}
		seen[real] = true

		entries, err := os.ReadDir(dir)
		if err != nil {
			logging.V(5).Infof("skipping %s: %v", dir, err)
			return
		}
		childInNodeModules := inNodeModules || filepath.Base(dir) == "node_modules"
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				fi, err := os.Stat(path)
				if err != nil {
					continue
				}
				isDir = fi.IsDir()
			}
			switch {
			case isDir:
				if e.Name() == ".git" {
					continue
				}
				if _, err := os.Stat(filepath.Join(path, "PulumiPolicy.yaml")); err == nil {
					continue
				}
				walk(path, childInNodeModules)
			case inNodeModules && e.Name() == "package.json":
				if d, ok := readPluginDep(path); ok {
					found[d.name+"@"+d.version+"@"+d.server] = d
				}
			}
		}
	}
	walk(root, false)

	deps := make([]pluginDep, 0, len(found))
	for _, d := range found {
		deps = append(deps, d)
	}
	sort.Slice(deps, func(i, j int) bool {
		if deps[i].name != deps[j].name {
			return deps[i].name < deps[j].name
		}
		return deps[i].version < deps[j].version
	})
	return deps
}

func readPluginDep(path string) (pluginDep, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		logging.V(5).Infof("reading %s: %v", path, err)
		return pluginDep{}, false
	}
	var info packageJSON
	if err := json.Unmarshal(b, &info); err != nil {
		logging.V(5).Infof("parsing %s: %v", path, err)
		return pluginDep{}, false
	}
	if !info.Pulumi.Resource {
		return pluginDep{}, false
	}
	name := info.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(info.Name, "@pulumi/") {
			logging.V(3).Infof("%s: third-party plugin package %q has no pulumi.name; skipped", path, info.Name)
			return pluginDep{}, false
		}
		name = strings.TrimPrefix(info.Name, "@pulumi/")
	}
	version := info.Pulumi.Version
	if version == "" {
		version = info.Version
	}
	if version == "" {
		logging.V(3).Infof("%s: plugin package %q has no version; skipped", path, info.Name)
		return pluginDep{}, false
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return pluginDep{name: name, version: version, server: info.Pulumi.Server, parameterization: info.Pulumi.Parameterization}, true
}
