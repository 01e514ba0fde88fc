package main

// The expressions corpus (tests/conformance/expressions.yaml): benchgen's
// verdicts on param patterns, body field paths and CESQL filters, checked here
// against the Go code that will read them: Go's regexp and cel-go's matches()
// through Triggers' CEL interceptor (the listener), cel-go's parser (field
// selections), and the CloudEvents SDK's CESQL parser (Knative's Broker).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	cesqlparser "github.com/cloudevents/sdk-go/sql/v2/parser"
	triggersv1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	"github.com/tektoncd/triggers/pkg/interceptors/cel"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

type matchEntry struct {
	Pattern string   `json:"pattern,omitempty"`
	Regex   string   `json:"regex,omitempty"`
	Match   []string `json:"match"`
	NoMatch []string `json:"nomatch"`
}

type refusedEntry struct {
	Pattern    string `json:"pattern,omitempty"`
	Source     string `json:"source,omitempty"`
	Expression string `json:"expression,omitempty"`
	Go         string `json:"go"`
}

type expressionCorpus struct {
	Patterns struct {
		Accept []matchEntry   `json:"accept"`
		Refuse []refusedEntry `json:"refuse"`
	} `json:"patterns"`
	ListenerRegexes []matchEntry `json:"listener_regexes"`
	Sources         struct {
		Accept []string       `json:"accept"`
		Refuse []refusedEntry `json:"refuse"`
	} `json:"sources"`
	CESQL struct {
		Accept []string       `json:"accept"`
		Refuse []refusedEntry `json:"refuse"`
	} `json:"cesql"`
}

// interceptor is what cel.NewInterceptor returns, as checks.go uses it.
type interceptor interface {
	Process(ctx context.Context, r *triggersv1.InterceptorRequest) *triggersv1.InterceptorResponse
}

// celLiteral is benchgen's cel.literal(): a single-quoted CEL string.
func celLiteral(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return "'" + r.Replace(text) + "'"
}

// listenerMatches runs filter `body.v.matches('<regex>')` through Triggers' CEL
// interceptor on an event whose body is {"v": value}, as the listener would.
func listenerMatches(ic interceptor, regex, value string) (bool, error) {
	body, err := json.Marshal(map[string]string{"v": value})
	if err != nil {
		return false, err
	}
	resp := ic.Process(context.Background(), &triggersv1.InterceptorRequest{
		Body:              string(body),
		Header:            map[string][]string{},
		Extensions:        map[string]any{},
		InterceptorParams: map[string]any{"filter": "body.v.matches(" + celLiteral(regex) + ")"},
		Context:           &triggersv1.TriggerContext{EventURL: "http://localhost", EventID: "corpus", TriggerID: "namespaces/default/triggers/corpus"},
	})
	if resp == nil {
		return false, fmt.Errorf("no answer")
	}
	if resp.Continue {
		return true, nil
	}
	if msg := resp.Status.Message; !strings.Contains(msg, "did not return true") {
		return false, fmt.Errorf("%s", msg)
	}
	return false, nil
}

func checkMatches(ic interceptor, id, regex string, e matchEntry, rep *Report) {
	re, err := regexp.Compile(regex)
	if err != nil {
		rep.Add(id, regex, "Go's regexp refuses what benchgen accepts: %v", err)
		return
	}
	check := func(value string, want bool) {
		if got := re.MatchString(value); got != want {
			rep.Add(id, regex, "Go's regexp on %q: match=%v, benchgen says %v", value, got, want)
		}
		got, err := listenerMatches(ic, regex, value)
		if err != nil {
			rep.Add(id, regex, "the CEL filter fails on %q: %v", value, err)
		} else if got != want {
			rep.Add(id, regex, "the CEL filter on %q: match=%v, benchgen says %v", value, got, want)
		}
	}
	for _, v := range e.Match {
		check(v, true)
	}
	for _, v := range e.NoMatch {
		check(v, false)
	}
}

// parseCESQL is Knative's parse of a filter. The SDK's parser panics on some
// malformed input (an empty IN list): that counts as refused.
func parseCESQL(expression string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the parser panics: %v", r)
		}
	}()
	_, err = cesqlparser.Parse(expression)
	return err
}

func wantGo(rep *Report, id, what, verdict string, valid bool, err error) {
	switch verdict {
	case "invalid":
		if valid {
			rep.Add(id, what, "Go accepts it, the corpus says go: invalid")
		}
	case "valid":
		if !valid {
			rep.Add(id, what, "Go refuses it (%v), the corpus says go: valid", err)
		}
	default:
		rep.Add(id, what, "go: must be valid or invalid, not %q", verdict)
	}
}

// RunExpressions checks every entry of the corpus file.
func RunExpressions(path string, rep *Report) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	var corpus expressionCorpus
	strictErrs, err := sigsjson.UnmarshalStrict(js, &corpus, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	for _, e := range strictErrs {
		rep.Add("expressions", "", "%s: %v", path, e)
	}
	var ic interceptor = cel.NewInterceptor(&fakeSecrets{})

	for _, e := range corpus.Patterns.Accept {
		checkMatches(ic, "pattern", "^(?:"+e.Pattern+")$", e, rep)
	}
	for _, e := range corpus.Patterns.Refuse {
		_, err := regexp.Compile(e.Pattern)
		if err == nil {
			_, err = regexp.Compile("^(?:" + e.Pattern + ")$")
		}
		wantGo(rep, "pattern (refused)", e.Pattern, e.Go, err == nil, err)
	}
	for _, e := range corpus.ListenerRegexes {
		checkMatches(ic, "listener regex", e.Regex, e, rep)
	}

	selects := func(source string) []string {
		return compileCEL(&cel.InterceptorParams{Filter: "has(" + source + ") && " + source + " != null"})
	}
	for _, source := range corpus.Sources.Accept {
		for _, msg := range selects(source) {
			rep.Add("source", source, "cel-go refuses what benchgen accepts: %s", msg)
		}
	}
	for _, e := range corpus.Sources.Refuse {
		msgs := selects(e.Source)
		wantGo(rep, "source (refused)", e.Source, e.Go, len(msgs) == 0, fmt.Errorf("%s", strings.Join(msgs, "; ")))
	}

	for _, expression := range corpus.CESQL.Accept {
		if err := parseCESQL(expression); err != nil {
			rep.Add("cesql", expression, "the CloudEvents SQL parser refuses what benchgen accepts: %v", err)
		}
	}
	for _, e := range corpus.CESQL.Refuse {
		err := parseCESQL(e.Expression)
		wantGo(rep, "cesql (refused)", e.Expression, e.Go, err == nil, err)
	}
	count := len(corpus.Patterns.Accept) + len(corpus.Patterns.Refuse) + len(corpus.ListenerRegexes) +
		len(corpus.Sources.Accept) + len(corpus.Sources.Refuse) + len(corpus.CESQL.Accept) + len(corpus.CESQL.Refuse)
	if count == 0 {
		rep.Add("expressions", "", "%s holds no expressions", path)
	}
	return nil
}
