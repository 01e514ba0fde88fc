package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	prresources "github.com/tektoncd/pipeline/pkg/reconciler/pipelinerun/resources"
	"github.com/tektoncd/pipeline/pkg/reconciler/taskrun"
	trresources "github.com/tektoncd/pipeline/pkg/reconciler/taskrun/resources"
	triggersv1alpha1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1alpha1"
	triggersv1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	"github.com/tektoncd/triggers/pkg/interceptors/cel"
	"github.com/tektoncd/triggers/pkg/interceptors/github"
	"github.com/tektoncd/triggers/pkg/interceptors/gitlab"
	"github.com/tektoncd/triggers/pkg/template"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
)

// namedTrigger is a Trigger as the EventListener sink sees it, plus where it
// was declared (for problem lines).
type namedTrigger struct {
	trigger *triggersv1.Trigger
	id      string // object that declares it
	field   string // path inside that object
}

func (s *ObjectSet) typed(group, kind, name string) any {
	if o := s.Find(group, kind, name); o != nil {
		return o.Typed
	}
	return nil
}

func (s *ObjectSet) getTB(name string) (*triggersv1.TriggerBinding, error) {
	if tb, ok := s.typed("triggers.tekton.dev/", "TriggerBinding", name).(*triggersv1.TriggerBinding); ok {
		return tb, nil
	}
	return nil, fmt.Errorf("triggerbinding.triggers.tekton.dev %q not found", name)
}

func (s *ObjectSet) getInterceptor(name string) (*triggersv1alpha1.Interceptor, error) {
	if ic, ok := s.typed("triggers.tekton.dev/", "Interceptor", name).(*triggersv1alpha1.Interceptor); ok {
		return ic, nil
	}
	return nil, fmt.Errorf("interceptor.triggers.tekton.dev %q not found in the rendered manifests", name)
}

// extensionsAnnotation lists the top-level extension keys a rendered
// Interceptor sets (benchgen writes it; Triggers has no field for it).
const extensionsAnnotation = "benchgen.dev/extensions"

func (s *ObjectSet) getCTB(name string) (*triggersv1.ClusterTriggerBinding, error) {
	if tb, ok := s.typed("triggers.tekton.dev/", "ClusterTriggerBinding", name).(*triggersv1.ClusterTriggerBinding); ok {
		return tb, nil
	}
	return nil, fmt.Errorf("clustertriggerbinding.triggers.tekton.dev %q not found", name)
}

func (s *ObjectSet) getTT(name string) (*triggersv1.TriggerTemplate, error) {
	if tt, ok := s.typed("triggers.tekton.dev/", "TriggerTemplate", name).(*triggersv1.TriggerTemplate); ok {
		return tt, nil
	}
	return nil, fmt.Errorf("triggertemplate.triggers.tekton.dev %q not found", name)
}

// listenerTriggers mirrors the sink's merge(): inline triggers become Trigger
// objects, triggerRefs are looked up, and label-selected Triggers are added.
func (s *ObjectSet) listenerTriggers(elObj *Object, el *triggersv1.EventListener, rep *Report) []namedTrigger {
	var out []namedTrigger
	if el.Spec.LabelSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(el.Spec.LabelSelector)
		if err == nil {
			for _, o := range s.All("triggers.tekton.dev/", "Trigger") {
				if t, ok := o.Typed.(*triggersv1.Trigger); ok && sel.Matches(labelSet(t.Labels)) {
					tc := t.DeepCopy()
					tc.Namespace = s.Namespace
					out = append(out, namedTrigger{trigger: tc, id: o.ID(), field: "spec"})
				}
			}
		}
	}
	for i, et := range el.Spec.Triggers {
		field := fmt.Sprintf("spec.triggers[%d]", i)
		switch {
		case et.Template == nil && et.TriggerRef != "":
			o := s.Find("triggers.tekton.dev/", "Trigger", et.TriggerRef)
			t, ok := o.typedTrigger()
			if !ok {
				rep.Add(elObj.ID(), field+".triggerRef", "Trigger %q not found in the rendered manifests", et.TriggerRef)
				continue
			}
			tc := t.DeepCopy()
			tc.Namespace = s.Namespace
			out = append(out, namedTrigger{trigger: tc, id: o.ID(), field: "spec"})
		case et.Template != nil:
			out = append(out, namedTrigger{
				trigger: &triggersv1.Trigger{
					ObjectMeta: metav1.ObjectMeta{Name: et.Name, Namespace: s.Namespace},
					Spec: triggersv1.TriggerSpec{
						ServiceAccountName: et.ServiceAccountName,
						Bindings:           et.Bindings,
						Template:           *et.Template,
						Interceptors:       et.Interceptors,
					},
				},
				id: elObj.ID(), field: field,
			})
		default:
			rep.Add(elObj.ID(), field, "EventListenerTrigger not defined (neither template nor triggerRef)")
		}
	}
	if len(el.Spec.TriggerGroups) > 0 {
		rep.Add(elObj.ID(), "spec.triggerGroups", "triggerGroups are not supported by the conformance harness")
	}
	return out
}

func (o *Object) typedTrigger() (*triggersv1.Trigger, bool) {
	if o == nil {
		return nil, false
	}
	t, ok := o.Typed.(*triggersv1.Trigger)
	return t, ok
}

// allTriggers returns the triggers of every EventListener, plus Trigger
// objects no listener uses (still checked statically).
func (s *ObjectSet) allTriggers(rep *Report) []namedTrigger {
	var out []namedTrigger
	used := map[string]bool{}
	for _, o := range s.All("triggers.tekton.dev/", "EventListener") {
		el, ok := o.Typed.(*triggersv1.EventListener)
		if !ok {
			continue
		}
		for _, nt := range s.listenerTriggers(o, el, rep) {
			used[nt.id] = true
			out = append(out, nt)
		}
	}
	for _, o := range s.All("triggers.tekton.dev/", "Trigger") {
		if t, ok := o.typedTrigger(); ok && !used[o.ID()] {
			tc := t.DeepCopy()
			tc.Namespace = s.Namespace
			out = append(out, namedTrigger{trigger: tc, id: o.ID(), field: "spec"})
		}
	}
	return out
}

// CheckReferences runs the cross-object checks that need no event.
func CheckReferences(set *ObjectSet, rep *Report) {
	ctx := validationContext()
	for _, nt := range set.allTriggers(rep) {
		checkTrigger(ctx, set, nt, rep)
	}
	for _, o := range set.All("tekton.dev/", "Pipeline") {
		if p, ok := o.Typed.(*pipelinev1.Pipeline); ok {
			checkPipelineTasks(ctx, set, o.ID(), &p.Spec, rep)
		}
	}
	for _, o := range set.All("tekton.dev/", "PipelineRun") {
		if pr, ok := o.Typed.(*pipelinev1.PipelineRun); ok {
			CheckPipelineRun(ctx, set, o.ID(), pr, false, rep)
		}
	}
}

var extRefRE = regexp.MustCompile(`\$\(extensions\.([^)]*)\)`)

func checkTrigger(ctx context.Context, set *ObjectSet, nt namedTrigger, rep *Report) {
	t := nt.trigger
	at := func(p string) string { return nt.field + "." + p }

	// Interceptor params: Triggers decodes them leniently, so a misspelled
	// key (e.g. "fliter") would be ignored silently. Decode them strictly.
	var overlayKeys []string
	otherExtensions := false
	for i, ic := range t.Spec.Interceptors {
		if ic == nil || ic.Ref.Name == "" {
			continue
		}
		field := at(fmt.Sprintf("interceptors[%d].params", i))
		if ic.Ref.Kind == triggersv1.NamespacedInterceptorKind {
			// An Interceptor of this namespace, which must be rendered too.
			nsic, err := set.getInterceptor(ic.Ref.Name)
			if err != nil {
				rep.Add(nt.id, at(fmt.Sprintf("interceptors[%d].ref", i)), "%v", err)
				otherExtensions = true
				continue
			}
			if keys, ok := nsic.Annotations[extensionsAnnotation]; ok {
				for _, k := range strings.Split(keys, ",") {
					overlayKeys = append(overlayKeys, strings.TrimSpace(k))
				}
			} else {
				otherExtensions = true
			}
			continue
		}
		var target any
		switch ic.Ref.Name {
		case "cel":
			target = &cel.InterceptorParams{}
		case "github":
			target = &github.InterceptorParams{}
			overlayKeys = append(overlayKeys, "changed_files") // addChangedFiles
		case "gitlab":
			target = &gitlab.InterceptorParams{}
		default:
			otherExtensions = true
			continue
		}
		raw := map[string]json.RawMessage{}
		for _, p := range ic.Params {
			raw[p.Name] = json.RawMessage(p.Value.Raw)
		}
		js, _ := json.Marshal(raw)
		strictErrs, err := sigsjson.UnmarshalStrict(js, target, sigsjson.DisallowUnknownFields)
		if err != nil {
			rep.Add(nt.id, field, "%s interceptor params do not decode: %v", ic.Ref.Name, err)
			continue
		}
		for _, se := range strictErrs {
			rep.Add(nt.id, field, "%s interceptor: %v (Triggers ignores it silently)", ic.Ref.Name, se)
		}
		if cp, ok := target.(*cel.InterceptorParams); ok {
			for _, ov := range cp.Overlays {
				overlayKeys = append(overlayKeys, ov.Key)
			}
			for _, msg := range compileCEL(cp) {
				rep.Add(nt.id, field, "cel interceptor: %s", msg)
			}
		}
	}

	// Bindings and template must exist.
	var bindingParams []triggersv1.Param
	for i, b := range t.Spec.Bindings {
		field := at(fmt.Sprintf("bindings[%d]", i))
		switch {
		case b.Name != "" && b.Value != nil:
			bindingParams = append(bindingParams, triggersv1.Param{Name: b.Name, Value: *b.Value})
		case b.Ref != "" && b.Kind == triggersv1.ClusterTriggerBindingKind:
			if ctb, err := set.getCTB(b.Ref); err != nil {
				rep.Add(nt.id, field+".ref", "%v", err)
			} else {
				bindingParams = append(bindingParams, ctb.Spec.Params...)
			}
		case b.Ref != "":
			if tb, err := set.getTB(b.Ref); err != nil {
				rep.Add(nt.id, field+".ref", "%v", err)
			} else {
				bindingParams = append(bindingParams, tb.Spec.Params...)
			}
		}
	}
	rt, err := template.ResolveTrigger(*t, set.getTB, set.getCTB, set.getTT)
	if err != nil {
		rep.Add(nt.id, at("template"), "%v", err)
		return
	}
	tt := rt.TriggerTemplate
	ttID := "TriggerTemplate(inline)"
	if t.Spec.Template.Ref != nil {
		ttID = "TriggerTemplate/" + *t.Spec.Template.Ref
	}

	declared := map[string]triggersv1.ParamSpec{}
	for _, ps := range tt.Spec.Params {
		declared[ps.Name] = ps
	}
	bound := map[string]bool{}
	for _, p := range bindingParams {
		bound[p.Name] = true
		if _, ok := declared[p.Name]; !ok {
			rep.Add(nt.id, at("bindings"), "binding param %q is not declared by %s (Triggers drops it silently)", p.Name, ttID)
		}
		if !otherExtensions {
			for _, m := range extRefRE.FindAllStringSubmatch(p.Value, -1) {
				if !overlayProvides(overlayKeys, m[1]) {
					rep.Add(nt.id, at("bindings"), "binding param %q reads $(extensions.%s) but no cel interceptor overlay sets it", p.Name, m[1])
				}
			}
		}
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if declared[n].Default == nil && !bound[n] {
			rep.Add(nt.id, at("bindings"), "%s param %q has no default and no binding provides it: $(tt.params.%s) would stay unresolved", ttID, n, n)
		}
	}

	// Render the template with placeholder values (the declared defaults,
	// else "placeholder") using Triggers' own code and check the result.
	var params []triggersv1.Param
	for _, n := range names {
		v := "placeholder"
		if d := declared[n].Default; d != nil {
			v = *d
		}
		params = append(params, triggersv1.Param{Name: n, Value: v})
	}
	for i, res := range template.ResolveResources(tt, params) {
		CheckRendered(ctx, set, nil, ttID, fmt.Sprintf("spec.resourcetemplates[%d]", i), res, false, rep)
	}
}

func overlayProvides(keys []string, ref string) bool {
	for _, k := range keys {
		if ref == k || strings.HasPrefix(ref, k+".") || strings.HasPrefix(k, ref+".") {
			return true
		}
	}
	return false
}

// compileCEL runs the real CEL interceptor once on an empty event and
// reports expressions that do not parse or type-check (those fail the same
// way for every event).
func compileCEL(p *cel.InterceptorParams) []string {
	var msgs []string
	sg := &fakeSecrets{}
	ic := cel.NewInterceptor(sg)
	check := func(params map[string]any) {
		resp := ic.Process(context.Background(), &triggersv1.InterceptorRequest{
			Body:              "{}",
			Header:            map[string][]string{},
			Extensions:        map[string]any{},
			InterceptorParams: params,
			Context:           &triggersv1.TriggerContext{EventURL: "http://localhost", EventID: "static", TriggerID: "namespaces/default/triggers/static"},
		})
		if resp != nil && !resp.Continue {
			m := resp.Status.Message
			if strings.Contains(m, "failed to parse expression") || strings.Contains(m, "check failed") {
				msgs = append(msgs, m)
			}
		}
	}
	if p.Filter != "" {
		check(map[string]any{"filter": p.Filter})
	}
	for _, ov := range p.Overlays {
		check(map[string]any{"overlays": []any{map[string]any{"key": ov.Key, "expression": ov.Expression}}})
	}
	return msgs
}

// CheckRendered checks one resource rendered from a TriggerTemplate.
// When event is true the values are real and Tekton's run-time param checks
// (enums, array indexes, per-Task params after substitution) also apply.
func CheckRendered(ctx context.Context, set *ObjectSet, schemas CRDSchemas, id, field string, res json.RawMessage, event bool, rep *Report) *pipelinev1.PipelineRun {
	if m := ttParamRE.FindString(string(res)); m != "" {
		rep.Add(id, field, "rendered resource still contains %s (no binding provides that param)", m)
	}
	var tm typeMeta
	if err := json.Unmarshal(res, &tm); err != nil {
		rep.Add(id, field, "rendered resource is not valid JSON: %v", err)
		return nil
	}
	rid := fmt.Sprintf("%s -> %s (%s)", id, tm.Kind, field)
	obj, ok := DecodeStrict(rid, tm.APIVersion, tm.Kind, res, rep)
	if schemas == nil {
		schemas = globalSchemas
	}
	schemas.Check(rid, "", tm.APIVersion, tm.Kind, res, rep)
	if !ok {
		return nil
	}
	DefaultAndValidate(ctx, rid, obj, rep)
	pr, isPR := obj.(*pipelinev1.PipelineRun)
	if isPR {
		CheckPipelineRun(ctx, set, rid, pr, event, rep)
		return pr
	}
	return nil
}

var ttParamRE = regexp.MustCompile(`\$\(tt\.params\.[^)]*\)`)

// CheckPipelineRun runs the parameter/workspace checks the PipelineRun
// reconciler does against the referenced Pipeline (and its Tasks).
func CheckPipelineRun(ctx context.Context, set *ObjectSet, id string, pr *pipelinev1.PipelineRun, event bool, rep *Report) {
	var ps *pipelinev1.PipelineSpec
	switch {
	case pr.Spec.PipelineSpec != nil:
		ps = pr.Spec.PipelineSpec
	case pr.Spec.PipelineRef != nil && pr.Spec.PipelineRef.Resolver == "" && pr.Spec.PipelineRef.Name != "":
		p, ok := set.typed("tekton.dev/", "Pipeline", pr.Spec.PipelineRef.Name).(*pipelinev1.Pipeline)
		if !ok {
			rep.Add(id, "spec.pipelineRef.name", "Pipeline %q not found in the rendered manifests", pr.Spec.PipelineRef.Name)
			return
		}
		ps = p.Spec.DeepCopy()
	default:
		return
	}
	add := func(field string, err error) {
		if err != nil {
			rep.Add(id, field, "%v", err)
		}
	}
	add("spec.params", prresources.ValidateRequiredParametersProvided(&ps.Params, &pr.Spec.Params))
	add("spec.params", prresources.ValidateParamTypesMatching(ps, pr))
	add("spec.params", prresources.ValidateObjectParamRequiredKeys(ps.Params, pr.Spec.Params))
	add("spec.workspaces", prresources.ValidateWorkspaceBindings(ps, pr))
	add("spec.taskRunSpecs", prresources.ValidateTaskRunSpecs(ps, pr))
	declared := map[string]bool{}
	for _, p := range ps.Params {
		declared[p.Name] = true
	}
	for i, p := range pr.Spec.Params {
		if !declared[p.Name] {
			rep.Add(id, fmt.Sprintf("spec.params[%d]", i), "param %q is not declared by the Pipeline (Tekton ignores it silently)", p.Name)
		}
	}
	if !event {
		return
	}
	add("spec.params", taskrun.ValidateEnumParam(ctx, pr.Spec.Params, ps.Params))
	add("spec.params", prresources.ValidateParamArrayIndex(ps, pr.Spec.Params))
	applied, err := prresources.ApplyParameters(ps, pr)
	if err != nil {
		add("spec.params", err)
		return
	}
	checkPipelineTasks(ctx, set, id+" (params applied)", applied, rep)
}

// checkPipelineTasks checks each pipeline task's params and workspaces
// against the Task it references, with Tekton's own ValidateResolvedTask.
func checkPipelineTasks(ctx context.Context, set *ObjectSet, id string, ps *pipelinev1.PipelineSpec, rep *Report) {
	check := func(list string, tasks []pipelinev1.PipelineTask) {
		for i, pt := range tasks {
			field := fmt.Sprintf("spec.%s[%d]", list, i)
			var spec *pipelinev1.TaskSpec
			name := pt.Name
			switch {
			case pt.TaskSpec != nil:
				spec = &pt.TaskSpec.TaskSpec
			case pt.TaskRef != nil && pt.TaskRef.Resolver == "" && pt.TaskRef.Name != "" &&
				(pt.TaskRef.Kind == "" || pt.TaskRef.Kind == pipelinev1.NamespacedTaskKind):
				task, ok := set.typed("tekton.dev/", "Task", pt.TaskRef.Name).(*pipelinev1.Task)
				if !ok {
					rep.Add(id, field+".taskRef.name", "Task %q not found in the rendered manifests", pt.TaskRef.Name)
					continue
				}
				spec = &task.Spec
				name = pt.TaskRef.Name
			default:
				continue
			}
			matrix := pt.Matrix
			if matrix == nil {
				matrix = &pipelinev1.Matrix{}
			}
			rtr := &trresources.ResolvedTask{TaskName: name, Kind: pipelinev1.NamespacedTaskKind, TaskSpec: spec}
			if err := taskrun.ValidateResolvedTask(ctx, pt.Params, matrix, rtr); err != nil {
				rep.Add(id, field+".params", "%v", err)
			}
			declared := map[string]bool{}
			for _, p := range spec.Params {
				declared[p.Name] = true
			}
			for j, p := range pt.Params {
				if !declared[p.Name] {
					rep.Add(id, fmt.Sprintf("%s.params[%d]", field, j), "param %q is not declared by Task %q (Tekton ignores it silently)", p.Name, name)
				}
			}
			bound := map[string]bool{}
			for j, w := range pt.Workspaces {
				bound[w.Name] = true
				found := false
				for _, d := range spec.Workspaces {
					if d.Name == w.Name {
						found = true
					}
				}
				if !found {
					rep.Add(id, fmt.Sprintf("%s.workspaces[%d]", field, j), "workspace %q is not declared by Task %q", w.Name, name)
				}
			}
			for _, d := range spec.Workspaces {
				if !d.Optional && !bound[d.Name] {
					rep.Add(id, field+".workspaces", "Task %q requires workspace %q but the pipeline task does not bind it", name, d.Name)
				}
			}
		}
	}
	check("tasks", ps.Tasks)
	check("finally", ps.Finally)
}
