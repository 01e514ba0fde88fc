package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/robfig/cron/v3"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	triggersv1alpha1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1alpha1"
	triggersv1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	eventingconfig "knative.dev/eventing/pkg/apis/config"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	"knative.dev/pkg/apis"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kinds maps "apiVersion|Kind" to a constructor of the upstream Go type.
var kinds = map[string]func() any{
	"tekton.dev/v1|Task":        func() any { return &pipelinev1.Task{} },
	"tekton.dev/v1|Pipeline":    func() any { return &pipelinev1.Pipeline{} },
	"tekton.dev/v1|PipelineRun": func() any { return &pipelinev1.PipelineRun{} },
	"tekton.dev/v1|TaskRun":     func() any { return &pipelinev1.TaskRun{} },

	"triggers.tekton.dev/v1beta1|EventListener":         func() any { return &triggersv1.EventListener{} },
	"triggers.tekton.dev/v1beta1|TriggerBinding":        func() any { return &triggersv1.TriggerBinding{} },
	"triggers.tekton.dev/v1beta1|ClusterTriggerBinding": func() any { return &triggersv1.ClusterTriggerBinding{} },
	"triggers.tekton.dev/v1beta1|TriggerTemplate":       func() any { return &triggersv1.TriggerTemplate{} },
	"triggers.tekton.dev/v1beta1|Trigger":               func() any { return &triggersv1.Trigger{} },
	"triggers.tekton.dev/v1alpha1|Interceptor":          func() any { return &triggersv1alpha1.Interceptor{} },

	"eventing.knative.dev/v1|Broker":    func() any { return &eventingv1.Broker{} },
	"eventing.knative.dev/v1|Trigger":   func() any { return &eventingv1.Trigger{} },
	"sources.knative.dev/v1|PingSource": func() any { return &sourcesv1.PingSource{} },

	// spec.observe.metrics.serviceMonitor (prometheus-operator's type; its CRD
	// from example/prometheus-operator-crd, copied by build.sh).
	"monitoring.coreos.com/v1|ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },

	"v1|ConfigMap":                      func() any { return &corev1.ConfigMap{} },
	"v1|ServiceAccount":                 func() any { return &corev1.ServiceAccount{} },
	"v1|Secret":                         func() any { return &corev1.Secret{} },
	"v1|Service":                        func() any { return &corev1.Service{} },
	"rbac.authorization.k8s.io/v1|Role": func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1|ClusterRole":        func() any { return &rbacv1.ClusterRole{} },
	"rbac.authorization.k8s.io/v1|RoleBinding":        func() any { return &rbacv1.RoleBinding{} },
	"rbac.authorization.k8s.io/v1|ClusterRoleBinding": func() any { return &rbacv1.ClusterRoleBinding{} },
	"batch/v1|CronJob":                                func() any { return &batchv1.CronJob{} },
	"batch/v1|Job":                                    func() any { return &batchv1.Job{} },
	"apps/v1|Deployment":                              func() any { return &appsv1.Deployment{} },
	"networking.k8s.io/v1|NetworkPolicy":              func() any { return &networkingv1.NetworkPolicy{} },
}

// baseContext carries the cluster defaults upstream webhooks read from
// ConfigMaps (set in main from the pinned modules' config/ folders).
var baseContext = context.Background()

func validationContext() context.Context {
	return apis.WithinCreate(baseContext)
}

// withEventingDefaults attaches Knative Eventing's shipped config-br-defaults
// (config/core/configmaps/default-broker.yaml) as the eventing webhook does.
func withEventingDefaults(ctx context.Context, file string) (context.Context, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return ctx, err
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(data, &cm); err != nil {
		return ctx, fmt.Errorf("%s: %w", file, err)
	}
	defaults, err := eventingconfig.NewDefaultsConfigFromMap(cm.Data)
	if err != nil {
		return ctx, fmt.Errorf("%s: %w", file, err)
	}
	return eventingconfig.ToContext(ctx, &eventingconfig.Config{Defaults: defaults}), nil
}

var unknownFieldRE = regexp.MustCompile(`^unknown field "(.*)"$`)
var duplicateFieldRE = regexp.MustCompile(`^duplicate field "(.*)"$`)

// DecodeStrict decodes js into a fresh upstream object for apiVersion/kind.
// Unknown or duplicate fields are problems, and so is any non-empty field
// that the Go type drops on a round trip (custom unmarshalers hide unknown
// fields from the strict decoder). ok is false when the kind is unsupported
// or the document cannot be decoded at all.
func DecodeStrict(id, apiVersion, kind string, js []byte, rep *Report) (any, bool) {
	newObj, found := kinds[apiVersion+"|"+kind]
	if !found {
		rep.Add(id, "apiVersion", "unsupported kind %s %s: the harness knows no upstream type for it (add it to tests/conformance/cmd/conformance/kinds.go)", apiVersion, kind)
		return nil, false
	}
	obj := newObj()
	strictErrs, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		rep.Add(id, "", "cannot decode into %T: %v", obj, err)
		return nil, false
	}
	var unknown []string
	for _, se := range strictErrs {
		msg := se.Error()
		if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
			unknown = append(unknown, m[1])
			rep.Add(id, m[1], "unknown field (not in the upstream %s type; Kubernetes would prune or reject it)", kind)
		} else if m := duplicateFieldRE.FindStringSubmatch(msg); m != nil {
			rep.Add(id, m[1], "duplicate field")
		} else {
			rep.Add(id, "", "%s", msg)
		}
	}
	// Round trip: what the Go type does not keep was not understood.
	out, err := json.Marshal(obj)
	if err == nil {
		var in, back any
		_ = json.Unmarshal(js, &in)
		_ = json.Unmarshal(out, &back)
	dropped:
		for _, path := range droppedFields("", in, back) {
			for _, u := range unknown {
				if path == u || strings.HasPrefix(path, u+".") || strings.HasPrefix(path, u+"[") {
					continue dropped
				}
			}
			rep.Add(id, path, "field dropped when decoded into the upstream %s type (unknown or misplaced field)", kind)
		}
	}
	return obj, true
}

// droppedFields lists paths present (with a non-empty value) in `in` but
// missing from `out`.
func droppedFields(prefix string, in, out any) []string {
	var res []string
	switch iv := in.(type) {
	case map[string]any:
		ov, ok := out.(map[string]any)
		if !ok {
			return nil
		}
		keys := make([]string, 0, len(iv))
		for k := range iv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			o, present := ov[k]
			if !present {
				if !isEmptyValue(iv[k]) {
					res = append(res, p)
				}
				continue
			}
			res = append(res, droppedFields(p, iv[k], o)...)
		}
	case []any:
		ov, ok := out.([]any)
		if !ok || len(ov) != len(iv) {
			return nil
		}
		for i := range iv {
			res = append(res, droppedFields(fmt.Sprintf("%s[%d]", prefix, i), iv[i], ov[i])...)
		}
	}
	return res
}

func isEmptyValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() == 0
	case reflect.Bool:
		return !rv.Bool()
	case reflect.Float64:
		return rv.Float() == 0
	}
	return false
}

// AddFieldErrors reports every error (and warning) of a knative FieldError.
func AddFieldErrors(rep *Report, id, prefix string, fe *apis.FieldError) {
	if fe == nil {
		return
	}
	for _, e := range fe.WrappedErrors() {
		msg := e.Message
		if e.Details != "" {
			msg += " (" + e.Details + ")"
		}
		if e.Level == apis.WarningLevel {
			msg = "warning: " + msg
		}
		paths := e.Paths
		if len(paths) == 0 {
			paths = []string{""}
		}
		for _, p := range paths {
			full := p
			if prefix != "" {
				full = strings.TrimSuffix(prefix+"."+p, ".")
			}
			rep.Add(id, full, "%s", msg)
		}
	}
}

// AddFieldErrorList reports a Kubernetes field.ErrorList.
func AddFieldErrorList(rep *Report, id, prefix string, errs field.ErrorList) {
	for _, e := range errs {
		f := e.Field
		if prefix != "" {
			f = prefix + "." + f
		}
		msg := e.ErrorBody()
		rep.Add(id, f, "%s", msg)
	}
}

// DefaultAndValidate applies upstream defaults and runs upstream validation.
func DefaultAndValidate(ctx context.Context, id string, obj any, rep *Report) {
	// The API server turns generateName into a name before admission.
	if mo, ok := obj.(metav1.Object); ok && mo.GetName() == "" && mo.GetGenerateName() != "" {
		mo.SetName(mo.GetGenerateName() + "x7k2p")
	}
	if d, ok := obj.(apis.Defaultable); ok {
		d.SetDefaults(ctx)
	}
	if mo, ok := obj.(metav1.Object); ok {
		AddFieldErrorList(rep, id, "", metav1validation.ValidateLabels(mo.GetLabels(), field.NewPath("metadata", "labels")))
	}
	if v, ok := obj.(apis.Validatable); ok {
		AddFieldErrors(rep, id, "", v.Validate(ctx))
		return
	}
	validateBuiltin(id, obj, rep)
}

// validateBuiltin covers core kinds, whose full validation lives in
// k8s.io/kubernetes (not importable): object metadata plus the rules that a
// generator can plausibly get wrong.
func validateBuiltin(id string, obj any, rep *Report) {
	mo, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	meta := metav1.ObjectMeta{
		Name: mo.GetName(), GenerateName: mo.GetGenerateName(), Namespace: mo.GetNamespace(),
		Labels: mo.GetLabels(), Annotations: mo.GetAnnotations(),
	}
	nameFn := apivalidation.NameIsDNSSubdomain
	namespaced := true
	switch obj.(type) {
	case *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
		namespaced = false
	}
	if namespaced && meta.Namespace == "" {
		meta.Namespace = "default" // kustomize / kubectl -n fill it in
	}
	switch obj.(type) {
	case *corev1.Service:
		nameFn = apivalidation.NameIsDNS1035Label
	case *rbacv1.Role, *rbacv1.ClusterRole, *rbacv1.RoleBinding, *rbacv1.ClusterRoleBinding:
		nameFn = func(name string, prefix bool) []string {
			if name == "" || strings.Contains(name, "/") || strings.Contains(name, "%") {
				return []string{"must be a valid path segment name"}
			}
			return nil
		}
	}
	AddFieldErrorList(rep, id, "", apivalidation.ValidateObjectMeta(&meta, namespaced, nameFn, field.NewPath("metadata")))

	switch o := obj.(type) {
	case *rbacv1.RoleBinding:
		validateRoleRef(rep, id, o.RoleRef, false)
		validateSubjects(rep, id, o.Subjects)
	case *rbacv1.ClusterRoleBinding:
		validateRoleRef(rep, id, o.RoleRef, true)
		validateSubjects(rep, id, o.Subjects)
	case *batchv1.CronJob:
		if _, err := cron.ParseStandard(o.Spec.Schedule); err != nil {
			rep.Add(id, "spec.schedule", "invalid schedule %q: %v", o.Spec.Schedule, err)
		}
		validatePodSpec(rep, id, "spec.jobTemplate.spec.template.spec", &o.Spec.JobTemplate.Spec.Template.Spec, true)
	case *batchv1.Job:
		validatePodSpec(rep, id, "spec.template.spec", &o.Spec.Template.Spec, true)
	case *appsv1.Deployment:
		if o.Spec.Selector == nil {
			rep.Add(id, "spec.selector", "Required value")
		} else {
			sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
			if err != nil {
				rep.Add(id, "spec.selector", "%v", err)
			} else if !sel.Empty() && !sel.Matches(labelSet(o.Spec.Template.Labels)) {
				rep.Add(id, "spec.template.metadata.labels", "`selector` does not match template `labels`")
			}
		}
		validatePodSpec(rep, id, "spec.template.spec", &o.Spec.Template.Spec, false)
	case *networkingv1.NetworkPolicy:
		validateSelector(rep, id, "spec.podSelector", &o.Spec.PodSelector)
		for i, rule := range o.Spec.Ingress {
			for j, peer := range rule.From {
				p := fmt.Sprintf("spec.ingress[%d].from[%d]", i, j)
				if peer.PodSelector == nil && peer.NamespaceSelector == nil && peer.IPBlock == nil {
					rep.Add(id, p, "Required value: must specify a peer")
				}
				validateSelector(rep, id, p+".podSelector", peer.PodSelector)
				validateSelector(rep, id, p+".namespaceSelector", peer.NamespaceSelector)
			}
		}
		for i, t := range o.Spec.PolicyTypes {
			if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
				rep.Add(id, fmt.Sprintf("spec.policyTypes[%d]", i), "Unsupported value: %q", t)
			}
		}
	case *corev1.ConfigMap:
		for k := range o.Data {
			for _, msg := range validationIsConfigMapKey(k) {
				rep.Add(id, "data."+k, "%s", msg)
			}
		}
	}
}

func validateSelector(rep *Report, id, path string, sel *metav1.LabelSelector) {
	if sel == nil {
		return
	}
	AddFieldErrorList(rep, id, "", metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, field.NewPath(path)))
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

func validateRoleRef(rep *Report, id string, ref rbacv1.RoleRef, cluster bool) {
	if ref.APIGroup != rbacv1.GroupName {
		rep.Add(id, "roleRef.apiGroup", "Unsupported value: %q: supported values: %q", ref.APIGroup, rbacv1.GroupName)
	}
	switch {
	case cluster && ref.Kind != "ClusterRole":
		rep.Add(id, "roleRef.kind", "Unsupported value: %q: supported values: \"ClusterRole\"", ref.Kind)
	case !cluster && ref.Kind != "Role" && ref.Kind != "ClusterRole":
		rep.Add(id, "roleRef.kind", "Unsupported value: %q: supported values: \"Role\", \"ClusterRole\"", ref.Kind)
	}
	if ref.Name == "" {
		rep.Add(id, "roleRef.name", "Required value")
	}
}

func validateSubjects(rep *Report, id string, subjects []rbacv1.Subject) {
	for i, s := range subjects {
		p := fmt.Sprintf("subjects[%d]", i)
		if s.Name == "" {
			rep.Add(id, p+".name", "Required value")
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				rep.Add(id, p+".apiGroup", "Unsupported value: %q: supported values: \"\"", s.APIGroup)
			}
			for _, msg := range apivalidation.ValidateServiceAccountName(s.Name, false) {
				rep.Add(id, p+".name", "%s", msg)
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != rbacv1.GroupName {
				rep.Add(id, p+".apiGroup", "Unsupported value: %q: supported values: %q", s.APIGroup, rbacv1.GroupName)
			}
		default:
			rep.Add(id, p+".kind", "Unsupported value: %q: supported values: \"ServiceAccount\", \"User\", \"Group\"", s.Kind)
		}
	}
}

func validatePodSpec(rep *Report, id, path string, spec *corev1.PodSpec, job bool) {
	if len(spec.Containers) == 0 {
		rep.Add(id, path+".containers", "Required value")
	}
	for i, c := range spec.Containers {
		if c.Name == "" {
			rep.Add(id, fmt.Sprintf("%s.containers[%d].name", path, i), "Required value")
		}
		if c.Image == "" {
			rep.Add(id, fmt.Sprintf("%s.containers[%d].image", path, i), "Required value")
		}
	}
	if job && spec.RestartPolicy != corev1.RestartPolicyOnFailure && spec.RestartPolicy != corev1.RestartPolicyNever {
		rep.Add(id, path+".restartPolicy", "Required value: valid values: \"OnFailure\", \"Never\"")
	}
}

var configMapKeyRE = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

func validationIsConfigMapKey(k string) []string {
	if len(k) > 253 || !configMapKeyRE.MatchString(k) {
		return []string{"a valid config key must consist of alphanumeric characters, '-', '_' or '.'"}
	}
	return nil
}

// CheckObjects decodes, schema-checks, defaults and validates every object.
func CheckObjects(set *ObjectSet, schemas CRDSchemas, rep *Report) {
	ctx := validationContext()
	for _, o := range set.Objects {
		obj, ok := DecodeStrict(o.ID(), o.APIVersion, o.Kind, o.JSON, rep)
		schemas.Check(o.ID(), "", o.APIVersion, o.Kind, o.JSON, rep)
		if !ok {
			continue
		}
		DefaultAndValidate(ctx, o.ID(), obj, rep)
		o.Typed = obj
	}
	checkKustomization(set, rep)
}

func checkKustomization(set *ObjectSet, rep *Report) {
	k := set.Kustomization
	if k == nil {
		return
	}
	listed := map[string]bool{}
	for i, r := range k.Resources {
		listed[r] = true
		found := false
		for _, f := range set.files {
			if f == r {
				found = true
			}
		}
		if !found {
			rep.Add("Kustomization/"+k.File, fmt.Sprintf("resources[%d]", i), "%q is listed but no such manifest file was found", r)
		}
	}
	for _, f := range set.files {
		if !listed[f] {
			rep.Add("Kustomization/"+k.File, "resources", "%q is not listed, so kustomize would not apply it", f)
		}
	}
}
