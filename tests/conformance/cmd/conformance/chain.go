package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	triggersv1alpha1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1alpha1"
	triggersv1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	listersv1alpha1 "github.com/tektoncd/triggers/pkg/client/listers/triggers/v1alpha1"
	"github.com/tektoncd/triggers/pkg/interceptors/server"
	"github.com/tektoncd/triggers/pkg/sink"
	"github.com/tektoncd/triggers/pkg/template"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

var globalSchemas CRDSchemas

// Event is one sample HTTP request (see tests/conformance/README.md).
type Event struct {
	Description  string                       `json:"description,omitempty"`
	Listener     string                       `json:"listener,omitempty"`
	Method       string                       `json:"method,omitempty"`
	Path         string                       `json:"path,omitempty"`
	Headers      map[string]string            `json:"headers,omitempty"`
	Body         json.RawMessage              `json:"body,omitempty"`
	Secrets      map[string]map[string]string `json:"secrets,omitempty"`
	Sign         bool                         `json:"sign,omitempty"`
	Expect       string                       `json:"expect"`
	ExpectParams map[string]any               `json:"expectParams,omitempty"`
	ExpectLabels map[string]string            `json:"expectLabels,omitempty"`
	ExpectName   string                       `json:"expectName,omitempty"`
	ExpectError  string                       `json:"expectError,omitempty"`
}

// fakeSecrets is the SecretGetter the interceptors use: the Secret is never
// rendered, so test values come from --secret flags and the event file.
type fakeSecrets struct {
	values map[string]map[string]string
}

func (f *fakeSecrets) Get(_ context.Context, ns string, sr *triggersv1.SecretRef) ([]byte, error) {
	if keys, ok := f.values[sr.SecretName]; ok {
		if v, ok := keys[sr.SecretKey]; ok {
			return []byte(v), nil
		}
		return nil, fmt.Errorf("key %q not found in secret %s/%s (test secrets)", sr.SecretKey, ns, sr.SecretName)
	}
	return nil, fmt.Errorf("secrets %q not found (give it in the event's secrets: or with --secret)", sr.SecretName)
}

// interceptorURLNamed tells `--interceptor-url NAME=URL` from a bare URL: an
// Interceptor's name is a DNS label, and a URL's scheme ends at ':' before any '='.
var interceptorURLNamed = regexp.MustCompile(`^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)=(.*)$`)

// InterceptorURLs is --interceptor-url, repeatable: where each namespaced
// Interceptor is served in place of its Service (a cluster would resolve the
// Service; here each is a loopback server the caller runs).
type InterceptorURLs struct {
	fallback *apis.URL            // a bare URL: every Interceptor not named
	byName   map[string]*apis.URL // NAME=URL
}

func (u *InterceptorURLs) String() string { return "" }

// Set parses one flag value; a malformed or repeated one is a usage error.
func (u *InterceptorURLs) Set(v string) error {
	name, raw := "", v
	if m := interceptorURLNamed.FindStringSubmatch(v); m != nil {
		name, raw = m[1], m[2]
	}
	parsed, err := apis.ParseURL(raw)
	if err != nil || parsed == nil || parsed.Host == "" {
		return fmt.Errorf("want URL or NAME=URL (an absolute URL), got %q", v)
	}
	if name == "" {
		if u.fallback != nil {
			return fmt.Errorf("a bare URL given twice (%s and %s): name the Interceptor with NAME=URL", u.fallback, raw)
		}
		u.fallback = parsed
		return nil
	}
	if u.byName == nil {
		u.byName = map[string]*apis.URL{}
	}
	if _, dup := u.byName[name]; dup {
		return fmt.Errorf("Interceptor %q given twice", name)
	}
	u.byName[name] = parsed
	return nil
}

// For is the URL serving the namespaced Interceptor name, nil when none does.
func (u *InterceptorURLs) For(name string) *apis.URL {
	if url, ok := u.byName[name]; ok {
		return url
	}
	return u.fallback
}

// RunEvents sends every event in dir through the real trigger chain.
func RunEvents(set *ObjectSet, schemas CRDSchemas, dir string, flagSecrets map[string]map[string]string, interceptorURLs *InterceptorURLs, rep *Report) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		rep.Add("events", "", "no event files (*.yaml) in %s", dir)
		return
	}
	sort.Strings(files)

	secrets := &fakeSecrets{}
	is, err := server.NewWithCoreInterceptors(secrets, zap.NewNop().Sugar())
	if err != nil {
		rep.Add("events", "", "cannot start Triggers core interceptors: %v", err)
		return
	}
	srv := httptest.NewServer(is)
	defer srv.Close()

	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, name := range []string{"cel", "github", "gitlab", "bitbucket", "slack"} {
		u, _ := apis.ParseURL(srv.URL + "/" + name)
		_ = indexer.Add(&triggersv1alpha1.ClusterInterceptor{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: triggersv1alpha1.ClusterInterceptorStatus{
				AddressStatus: duckv1.AddressStatus{Address: &duckv1.Addressable{URL: u}},
			},
		})
	}
	// The rendered namespaced Interceptors, each served at its --interceptor-url (the
	// sink resolves them by name in the EventListener's namespace, as in a cluster).
	rendered := map[string]bool{}
	nsIndexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, o := range set.All("triggers.tekton.dev/", "Interceptor") {
		ic, ok := o.Typed.(*triggersv1alpha1.Interceptor)
		if !ok {
			continue
		}
		ic = ic.DeepCopy()
		if ic.Namespace == "" {
			ic.Namespace = set.Namespace
		}
		rendered[ic.Name] = true
		if u := interceptorURLs.For(ic.Name); u != nil {
			ic.Status.Address = &duckv1.Addressable{URL: u}
		}
		_ = nsIndexer.Add(ic)
	}
	// A NAME=URL naming nothing rendered is a typo (or a renamed Interceptor) that
	// would otherwise leave the real one unserved with a less direct message.
	named := make([]string, 0, len(interceptorURLs.byName))
	for name := range interceptorURLs.byName {
		named = append(named, name)
	}
	sort.Strings(named)
	for _, name := range named {
		if !rendered[name] {
			rep.Add("events", "", "--interceptor-url %s=...: no Interceptor %q in the rendered manifests", name, name)
		}
	}
	sk := sink.Sink{
		HTTPClient:               srv.Client(),
		Logger:                   zap.NewNop().Sugar(),
		EventListenerNamespace:   set.Namespace,
		ClusterInterceptorLister: listersv1alpha1.NewClusterInterceptorLister(indexer),
		InterceptorLister:        listersv1alpha1.NewInterceptorLister(nsIndexer),
	}

	for _, f := range files {
		id := "Event/" + filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			rep.Add(id, "", "%v", err)
			continue
		}
		js, err := yaml.YAMLToJSONStrict(data)
		if err != nil {
			rep.Add(id, "", "invalid YAML: %v", err)
			continue
		}
		var ev Event
		strictErrs, err := sigsjson.UnmarshalStrict(js, &ev, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
		if err != nil {
			rep.Add(id, "", "invalid event file: %v", err)
			continue
		}
		for _, se := range strictErrs {
			rep.Add(id, "", "invalid event file: %v", se)
		}
		if ev.Expect != "accepted" && ev.Expect != "rejected" {
			rep.Add(id, "expect", "must be \"accepted\" or \"rejected\", got %q", ev.Expect)
			continue
		}
		secrets.values = map[string]map[string]string{}
		for n, kv := range flagSecrets {
			secrets.values[n] = map[string]string{}
			for k, v := range kv {
				secrets.values[n][k] = v
			}
		}
		for n, kv := range ev.Secrets {
			if secrets.values[n] == nil {
				secrets.values[n] = map[string]string{}
			}
			for k, v := range kv {
				secrets.values[n][k] = v
			}
		}
		set.EventsRun++
		runEvent(set, schemas, &sk, secrets, interceptorURLs, id, &ev, rep)
	}
}

func eventBody(ev *Event) ([]byte, error) {
	raw := bytes.TrimSpace(ev.Body)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []byte(s), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func runEvent(set *ObjectSet, schemas CRDSchemas, sk *sink.Sink, secrets *fakeSecrets, interceptorURLs *InterceptorURLs, id string, ev *Event, rep *Report) {
	ctx := validationContext()
	var listeners []*Object
	for _, o := range set.All("triggers.tekton.dev/", "EventListener") {
		if ev.Listener == "" || o.Name == ev.Listener {
			listeners = append(listeners, o)
		}
	}
	if len(listeners) == 0 {
		rep.Add(id, "listener", "no EventListener %q in the rendered manifests", ev.Listener)
		return
	}
	if len(listeners) > 1 {
		rep.Add(id, "listener", "several EventListeners: name one with listener:")
		return
	}
	elObj := listeners[0]
	el, ok := elObj.Typed.(*triggersv1.EventListener)
	if !ok {
		return // already reported
	}
	body, err := eventBody(ev)
	if err != nil {
		rep.Add(id, "body", "%v", err)
		return
	}
	triggers := set.listenerTriggers(elObj, el, &Report{})
	// The sink looks namespaced Interceptors up in its EventListener's namespace.
	sk.EventListenerNamespace = set.Namespace
	if el.Namespace != "" {
		sk.EventListenerNamespace = el.Namespace
	}

	method := ev.Method
	if method == "" {
		method = http.MethodPost
	}
	path := ev.Path
	if path == "" {
		path = "/"
	}
	url := fmt.Sprintf("http://el-%s.%s.svc.cluster.local:8080%s", el.Name, set.Namespace, path)
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if ev.Sign {
		ref := githubSecretRef(triggers)
		if ref == nil {
			rep.Add(id, "sign", "sign: true but no trigger uses the github interceptor with a secretRef")
			return
		}
		secret, err := secrets.Get(ctx, set.Namespace, ref)
		if err != nil {
			rep.Add(id, "sign", "%v", err)
			return
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}

	var accepted []string
	var reasons []string
	var rendered []*pipelinev1.PipelineRun
	for _, nt := range triggers {
		t := nt.trigger
		tname := "trigger " + t.Name
		if name, ok := unservedInterceptor(t, interceptorURLs); ok {
			rep.Add(id, tname, "its interceptors include NamespacedInterceptor %q, which no URL serves: run it and pass --interceptor-url %s=URL (or a bare URL for every one; test_conformance.py runs benchgen-poller event-key and record-refusals)", name, name)
			continue
		}
		eventID := "conformance-" + strings.TrimSuffix(filepath.Base(id), ".yaml")
		payload, header, iresp, err := sk.ExecuteTriggerInterceptors(*t, req.Clone(context.Background()), body, sk.Logger, eventID, map[string]any{})
		if err != nil {
			rep.Add(id, tname, "interceptor chain failed: %v", err)
			continue
		}
		if iresp != nil && !iresp.Continue {
			reasons = append(reasons, fmt.Sprintf("%s: %s", t.Name, iresp.Status.Message))
			continue
		}
		accepted = append(accepted, t.Name)
		extensions := map[string]any{}
		if iresp != nil && iresp.Extensions != nil {
			extensions = iresp.Extensions
		}
		rt, err := template.ResolveTrigger(*t, set.getTB, set.getCTB, set.getTT)
		if err != nil {
			rep.Add(id, tname, "%v", err)
			continue
		}
		params, err := template.ResolveParams(rt, payload, header, extensions, template.NewTriggerContext(eventID))
		if err != nil {
			rep.Add(id, tname, "event passed the interceptors but bindings fail (the EventListener would log this and create nothing): %v", err)
			continue
		}
		for i, res := range template.ResolveResources(rt.TriggerTemplate, params) {
			pr := CheckRendered(ctx, set, schemas, id, fmt.Sprintf("%s.resourcetemplates[%d]", t.Name, i), res, true, rep)
			if pr != nil {
				rendered = append(rendered, pr)
			}
		}
	}

	switch ev.Expect {
	case "accepted":
		if len(accepted) == 0 {
			rep.Add(id, "expect", "expected accepted, but every trigger rejected it: %s", strings.Join(reasons, "; "))
			return
		}
		if ev.ExpectParams != nil || ev.ExpectLabels != nil || ev.ExpectName != "" {
			if len(rendered) == 0 {
				rep.Add(id, "expectParams", "no PipelineRun was rendered")
				return
			}
			compareParams(rep, id, rendered[0], ev.ExpectParams)
			if ev.ExpectName != "" && rendered[0].Name != ev.ExpectName {
				rep.Add(id, "expectName", "PipelineRun name is %q, expected %q", rendered[0].Name, ev.ExpectName)
			}
			for k, v := range ev.ExpectLabels {
				if got, ok := rendered[0].Labels[k]; !ok || got != v {
					rep.Add(id, "expectLabels."+k, "PipelineRun label is %q, expected %q", got, v)
				}
			}
		}
	case "rejected":
		if len(accepted) > 0 {
			rep.Add(id, "expect", "expected rejected, but trigger(s) %s accepted it", strings.Join(accepted, ", "))
			return
		}
		if ev.ExpectError != "" {
			re, err := regexp.Compile(ev.ExpectError)
			if err != nil {
				rep.Add(id, "expectError", "invalid regex: %v", err)
				return
			}
			for _, r := range reasons {
				if re.MatchString(r) {
					return
				}
			}
			rep.Add(id, "expectError", "no rejection reason matches %q; reasons: %s", ev.ExpectError, strings.Join(reasons, "; "))
		}
	}
}

// unservedInterceptor is the first NamespacedInterceptor of t that no
// --interceptor-url serves.
func unservedInterceptor(t *triggersv1.Trigger, urls *InterceptorURLs) (string, bool) {
	for _, ic := range t.Spec.Interceptors {
		if ic != nil && ic.Ref.Kind == triggersv1.NamespacedInterceptorKind && urls.For(ic.Ref.Name) == nil {
			return ic.Ref.Name, true
		}
	}
	return "", false
}

func githubSecretRef(triggers []namedTrigger) *triggersv1.SecretRef {
	for _, nt := range triggers {
		for _, ic := range nt.trigger.Spec.Interceptors {
			if ic == nil || ic.Ref.Name != "github" {
				continue
			}
			for _, p := range ic.Params {
				if p.Name != "secretRef" {
					continue
				}
				var ref triggersv1.SecretRef
				if json.Unmarshal(p.Value.Raw, &ref) == nil && ref.SecretName != "" {
					return &ref
				}
			}
		}
	}
	return nil
}

func compareParams(rep *Report, id string, pr *pipelinev1.PipelineRun, want map[string]any) {
	got := map[string]any{}
	for _, p := range pr.Spec.Params {
		switch p.Value.Type {
		case pipelinev1.ParamTypeArray:
			l := make([]any, len(p.Value.ArrayVal))
			for i, v := range p.Value.ArrayVal {
				l[i] = v
			}
			got[p.Name] = l
		case pipelinev1.ParamTypeObject:
			m := map[string]any{}
			for k, v := range p.Value.ObjectVal {
				m[k] = v
			}
			got[p.Name] = m
		default:
			got[p.Name] = p.Value.StringVal
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w := normalize(want[n])
		g, ok := got[n]
		if !ok {
			rep.Add(id, "expectParams."+n, "PipelineRun has no param %q", n)
			continue
		}
		if !reflect.DeepEqual(w, g) {
			wj, _ := json.Marshal(w)
			gj, _ := json.Marshal(g)
			rep.Add(id, "expectParams."+n, "PipelineRun param is %s, expected %s", gj, wj)
		}
	}
}

// normalize turns YAML scalars into the strings Tekton params hold.
func normalize(v any) any {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(normalize(e))
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = fmt.Sprint(normalize(e))
		}
		return out
	case nil:
		return ""
	case float64:
		b, _ := json.Marshal(x)
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}
