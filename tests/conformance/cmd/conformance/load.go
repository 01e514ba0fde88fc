package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Object is one decoded Kubernetes document.
type Object struct {
	APIVersion string
	Kind       string
	Name       string
	File       string // file it came from (base name)
	JSON       []byte // the document as JSON, exactly as written
	Typed      any    // the upstream Go object after strict decode + defaults (nil if unsupported)
}

// ID names the object in problem lines: Kind/name.
func (o *Object) ID() string {
	name := o.Name
	if name == "" {
		name = "<unnamed in " + o.File + ">"
	}
	return o.Kind + "/" + name
}

// ObjectSet is everything loaded from the manifests.
type ObjectSet struct {
	Namespace     string
	Objects       []*Object
	Kustomization *kustomization
	files         []string // manifest files seen, relative to their directory
	EventsRun     int
}

type kustomization struct {
	File      string
	Dir       string
	Resources []string `json:"resources"`
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
	} `json:"metadata"`
}

// Load reads a directory, a file, or "-" (stdin).
func (s *ObjectSet) Load(arg string, rep *Report) error {
	if arg == "-" {
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		s.loadDocs("<stdin>", "", data, rep)
		return nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		data, err := os.ReadFile(arg)
		if err != nil {
			return err
		}
		s.loadDocs(filepath.Base(arg), filepath.Dir(arg), data, rep)
		return nil
	}
	entries, err := os.ReadDir(arg)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".json")) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(arg, n))
		if err != nil {
			return err
		}
		s.loadDocs(n, arg, data, rep)
	}
	return nil
}

func (s *ObjectSet) loadDocs(file, dir string, data []byte, rep *Report) {
	reader := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	index := 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rep.Add(file, "", "cannot split YAML documents: %v", err)
			return
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		index++
		where := file
		if index > 1 {
			where = fmt.Sprintf("%s#%d", file, index)
		}
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			rep.Add(where, "", "invalid YAML: %v", err)
			continue
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue
		}
		var tm typeMeta
		if err := json.Unmarshal(js, &tm); err != nil {
			rep.Add(where, "", "not a YAML mapping: %v", err)
			continue
		}
		if tm.Kind == "Kustomization" {
			k := &kustomization{File: file, Dir: dir}
			if err := json.Unmarshal(js, k); err != nil {
				rep.Add(where, "resources", "%v", err)
			}
			s.Kustomization = k
			continue
		}
		s.files = append(s.files, file)
		if tm.APIVersion == "" || tm.Kind == "" {
			rep.Add(where, "", "document has no apiVersion/kind")
			continue
		}
		name := tm.Metadata.Name
		if name == "" && tm.Metadata.GenerateName != "" {
			name = tm.Metadata.GenerateName + "*"
		}
		s.Objects = append(s.Objects, &Object{
			APIVersion: tm.APIVersion, Kind: tm.Kind, Name: name, File: where, JSON: js,
		})
	}
}

func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || bytes.Equal(t, []byte("---")) {
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// Find returns the object of the given kind (and API group prefix) and name.
func (s *ObjectSet) Find(group, kind, name string) *Object {
	for _, o := range s.Objects {
		if o.Kind == kind && o.Name == name && strings.HasPrefix(o.APIVersion, group) {
			return o
		}
	}
	return nil
}

// All returns the objects of the given kind in the given API group.
func (s *ObjectSet) All(group, kind string) []*Object {
	var out []*Object
	for _, o := range s.Objects {
		if o.Kind == kind && strings.HasPrefix(o.APIVersion, group) {
			out = append(out, o)
		}
	}
	return out
}
