// Command conformance checks rendered benchgen manifests with the upstream
// Tekton Pipelines, Tekton Triggers and Knative Eventing code.
//
// Usage:
//
//	conformance [--crds DIR] [--events DIR] [--secret NAME/KEY=VALUE]... [--interceptor-url [NAME=]URL]... MANIFESTS...
//	conformance --expressions FILE
//
// MANIFESTS are directories (every *.yaml, *.yml, *.json file in them) or
// files holding one or more YAML documents ("-" reads standard input).
// Every problem is printed as one line "object: field: message"; the exit
// status is 1 when there is any problem, 2 on a usage error. With --expressions
// it checks benchgen's verdicts on a corpus of patterns, field paths and CESQL
// filters against Go's regexp, cel-go and the CloudEvents SQL parser
// (expressions.go); MANIFESTS are optional then. Each --interceptor-url serves
// the namespaced Interceptors the events reach: NAME=URL the one named NAME, a
// bare URL every one not named.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type secretFlags map[string]map[string]string

func (s secretFlags) String() string { return "" }

func (s secretFlags) Set(v string) error {
	nameKey, value, ok := strings.Cut(v, "=")
	name, key, ok2 := strings.Cut(nameKey, "/")
	if !ok || !ok2 || name == "" || key == "" {
		return fmt.Errorf("want NAME/KEY=VALUE, got %q", v)
	}
	if s[name] == nil {
		s[name] = map[string]string{}
	}
	s[name][key] = value
	return nil
}

// Problem is one finding: Object is "Kind/name" (or "event <file>"), Field a
// JSON path inside it (may be empty), Message what is wrong.
type Problem struct {
	Object  string
	Field   string
	Message string
}

func (p Problem) String() string {
	field := p.Field
	if field == "" {
		field = "-"
	}
	msg := strings.Join(strings.Fields(p.Message), " ")
	return fmt.Sprintf("%s: %s: %s", p.Object, field, msg)
}

// Report collects problems (deduplicated, in discovery order).
type Report struct {
	problems []Problem
	seen     map[string]bool
}

func (r *Report) Add(object, field, format string, args ...any) {
	p := Problem{Object: object, Field: field, Message: fmt.Sprintf(format, args...)}
	key := p.String()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	r.problems = append(r.problems, p)
}

func defaultCRDDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(exe), "crds")
}

func main() {
	secrets := secretFlags{}
	crdDir := flag.String("crds", defaultCRDDir(), "directory of upstream CRD YAML files (copied from the pinned modules' config/ folders at build time)")
	eventsDir := flag.String("events", "", "directory of sample events (*.yaml) to run through the trigger chain")
	namespace := flag.String("namespace", "default", "namespace the manifests are applied to")
	verbose := flag.Bool("v", false, "print a summary of what was checked to stderr")
	expressions := flag.String("expressions", "", "corpus of patterns, field paths and CESQL filters with benchgen's verdicts (tests/conformance/expressions.yaml)")
	interceptorURLs := &InterceptorURLs{}
	flag.Var(interceptorURLs, "interceptor-url", "`[NAME=]URL` serving, in place of its Service, the namespaced Interceptor NAME, or with a bare URL every one not named (repeatable; e.g. benchgen-poller event-key and record-refusals on loopback)")
	flag.Var(secrets, "secret", "test secret NAME/KEY=VALUE for interceptors (repeatable; events may add their own)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [flags] MANIFESTS...\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 && *expressions == "" {
		flag.Usage()
		os.Exit(2)
	}

	rep := &Report{}
	if *expressions != "" {
		if err := RunExpressions(*expressions, rep); err != nil {
			fmt.Fprintf(os.Stderr, "conformance: %v\n", err)
			os.Exit(2)
		}
		if flag.NArg() == 0 {
			finish(rep)
		}
	}
	schemas, err := LoadCRDs(*crdDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "conformance: %v\n", err)
		os.Exit(2)
	}
	globalSchemas = schemas
	baseContext, err = withEventingDefaults(baseContext, filepath.Join(*crdDir, "eventing-config", "default-broker.yaml"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "conformance: %v\n", err)
		os.Exit(2)
	}
	set := &ObjectSet{Namespace: *namespace}
	for _, arg := range flag.Args() {
		if err := set.Load(arg, rep); err != nil {
			fmt.Fprintf(os.Stderr, "conformance: %v\n", err)
			os.Exit(2)
		}
	}
	if len(set.Objects) == 0 {
		rep.Add("manifests", "", "no Kubernetes objects found in %s", strings.Join(flag.Args(), ", "))
	}
	CheckObjects(set, schemas, rep)
	CheckReferences(set, rep)
	if *eventsDir != "" {
		RunEvents(set, schemas, *eventsDir, secrets, interceptorURLs, rep)
	}

	if *verbose {
		kinds := map[string]int{}
		for _, o := range set.Objects {
			kinds[o.Kind]++
		}
		var parts []string
		for k, n := range kinds {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(os.Stderr, "conformance: checked %d objects (%s), %d CRD schemas, %d events\n",
			len(set.Objects), strings.Join(parts, " "), len(schemas), set.EventsRun)
	}
	finish(rep)
}

// finish prints every problem and exits: 1 when there is any, else 0.
func finish(rep *Report) {
	for _, p := range rep.problems {
		fmt.Println(p.String())
	}
	if len(rep.problems) > 0 {
		fmt.Fprintf(os.Stderr, "conformance: %d problem(s)\n", len(rep.problems))
		os.Exit(1)
	}
	os.Exit(0)
}
