package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type crdSchema struct {
	source     string
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
}

// CRDSchemas maps "apiVersion|Kind" to the CRD schema of that version.
type CRDSchemas map[string]*crdSchema

// LoadCRDs reads every CustomResourceDefinition in dir (recursively).
func LoadCRDs(dir string) (CRDSchemas, error) {
	out := CRDSchemas{}
	if dir == "" {
		return nil, errors.New("no CRD directory: pass --crds (build.sh copies the CRDs of the pinned modules beside the binary)")
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading CRDs: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		reader := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := yaml.Unmarshal(doc, &crd); err != nil || crd.Kind != "CustomResourceDefinition" {
				continue
			}
			for _, v := range crd.Spec.Versions {
				if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
					continue
				}
				internal := &apiextensions.JSONSchemaProps{}
				if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", f, crd.Name, err)
				}
				s, err := structuralschema.NewStructural(internal)
				if err != nil {
					return nil, fmt.Errorf("%s: %s %s: schema is not structural: %w", f, crd.Name, v.Name, err)
				}
				validator, _, err := validation.NewSchemaValidator(internal)
				if err != nil {
					return nil, fmt.Errorf("%s: %s %s: %w", f, crd.Name, v.Name, err)
				}
				key := crd.Spec.Group + "/" + v.Name + "|" + crd.Spec.Names.Kind
				out[key] = &crdSchema{source: filepath.Base(f), structural: s, validator: validator}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no CRD schemas found in %s", dir)
	}
	return out, nil
}

// Check validates one object against its CRD schema like the API server
// does on create: fields the structural schema does not know (which the API
// server would silently prune) are problems, then defaults are applied and
// the OpenAPI validation is run. Objects without a CRD are skipped.
func (c CRDSchemas) Check(id, prefix, apiVersion, kind string, js []byte, rep *Report) {
	s := c[apiVersion+"|"+kind]
	if s == nil {
		return
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil {
		rep.Add(id, prefix, "cannot decode: %v", err)
		return
	}
	at := func(p string) string {
		if prefix == "" {
			return p
		}
		return prefix + "." + p
	}
	opts := structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}
	for _, p := range pruning.PruneWithOptions(obj, s.structural, true, opts) {
		rep.Add(id, at(p), "unknown field: the CRD schema (%s) does not declare it, so the API server would silently prune it", s.source)
	}
	structuraldefaulting.Default(obj, s.structural)
	for _, e := range validation.ValidateCustomResource(nil, obj, s.validator) {
		rep.Add(id, at(e.Field), "CRD schema (%s): %s", s.source, e.ErrorBody())
	}
}
