package gcp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// StateEnv names the environment variable that holds the path of the
// stand-in's state file: the "cloud" it creates resources in.
const StateEnv = "HEADROOM_STANDIN_STATE"

// State is the stand-in's cloud: every resource it created, as the API
// would return it. It is a JSON file; tests edit it to simulate drift
// (Record.SetOutput) or a deletion behind Pulumi's back (State.Remove).
type State struct {
	path      string
	Resources []*Record `json:"resources"`
}

// Record is one resource in the cloud.
type Record struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	URN  string `json:"urn"`
	// Inputs and Outputs are Pulumi property maps in the gRPC wire form
	// (secrets keep their signature), as JSON.
	Inputs  json.RawMessage `json:"inputs"`
	Outputs json.RawMessage `json:"outputs"`
}

// Load reads a state file; a missing file is an empty cloud.
func Load(path string) (*State, error) {
	s := &State{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("stand-in state %s: %w", path, err)
	}
	return s, nil
}

// Save writes the state atomically.
func (s *State) Save() error {
	sort.Slice(s.Resources, func(i, j int) bool {
		if s.Resources[i].Type != s.Resources[j].Type {
			return s.Resources[i].Type < s.Resources[j].Type
		}
		return s.Resources[i].ID < s.Resources[j].ID
	})
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".standin-state-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}

// withState runs f on the state file under an exclusive lock (the engine
// calls the provider concurrently, and a test may edit the file between
// operations); the state is saved when f succeeds and asks for it.
func withState(path string, f func(s *State) (save bool, err error)) error {
	if path == "" {
		return fmt.Errorf("%s is not set: the stand-in GCP provider needs a state file", StateEnv)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("stand-in state lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("stand-in state lock: %w", err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	s, err := Load(path)
	if err != nil {
		return err
	}
	save, err := f(s)
	if err != nil || !save {
		return err
	}
	return s.Save()
}

// get returns the record of a type and ID.
func (s *State) get(typ, id string) *Record {
	for _, r := range s.Resources {
		if r.Type == typ && r.ID == id {
			return r
		}
	}
	return nil
}

func (s *State) remove(typ, id string) bool {
	for i, r := range s.Resources {
		if r.Type == typ && r.ID == id {
			s.Resources = append(s.Resources[:i], s.Resources[i+1:]...)
			return true
		}
	}
	return false
}

// Find returns the record of a type whose URN names name (the Pulumi
// resource name), or nil.
func (s *State) Find(typ, name string) *Record {
	for _, r := range s.Resources {
		if r.Type == typ && resource.URN(r.URN).Name() == name {
			return r
		}
	}
	return nil
}

// Remove deletes a resource behind Pulumi's back (as someone using the
// console would).
func (s *State) Remove(typ, name string) error {
	r := s.Find(typ, name)
	if r == nil {
		return fmt.Errorf("stand-in state: no %s named %s", typ, name)
	}
	s.remove(r.Type, r.ID)
	return nil
}

// Output returns the plain value of an output property path
// ("settings.databaseFlags[0].value"); nil when absent.
func (r *Record) Output(path string) (any, error) {
	p, err := resource.ParsePropertyPath(path)
	if err != nil {
		return nil, err
	}
	v, ok := p.Get(resource.NewObjectProperty(r.outputs()))
	if !ok {
		return nil, nil
	}
	return unwrapDeep(v).Mappable(), nil
}

// SetOutput changes an output property in the cloud (a drift): the next
// Read returns it.
func (r *Record) SetOutput(path string, value any) error {
	p, err := resource.ParsePropertyPath(path)
	if err != nil {
		return err
	}
	out := r.outputs()
	root := resource.NewObjectProperty(out)
	if !p.Set(root, resource.NewPropertyValue(value)) {
		return fmt.Errorf("stand-in state: cannot set %s on %s", path, r.URN)
	}
	return r.setOutputs(root.ObjectValue())
}

func (r *Record) inputs() resource.PropertyMap  { return decodeMap(r.Inputs) }
func (r *Record) outputs() resource.PropertyMap { return decodeMap(r.Outputs) }

func (r *Record) setInputs(m resource.PropertyMap) error {
	b, err := encodeMap(m)
	r.Inputs = b
	return err
}

func (r *Record) setOutputs(m resource.PropertyMap) error {
	b, err := encodeMap(m)
	r.Outputs = b
	return err
}

var wire = plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: false, SkipNulls: false}

func encodeMap(m resource.PropertyMap) (json.RawMessage, error) {
	st, err := plugin.MarshalProperties(m, wire)
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(st)
}

func decodeMap(b json.RawMessage) resource.PropertyMap {
	if len(b) == 0 {
		return resource.PropertyMap{}
	}
	st := &structpb.Struct{}
	if err := protojson.Unmarshal(b, st); err != nil {
		return resource.PropertyMap{}
	}
	m, err := plugin.UnmarshalProperties(st, wire)
	if err != nil {
		return resource.PropertyMap{}
	}
	return m
}

func unwrapDeep(v resource.PropertyValue) resource.PropertyValue {
	v = unwrap(v)
	switch {
	case v.IsObject():
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			m[k] = unwrapDeep(e)
		}
		return resource.NewObjectProperty(m)
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = unwrapDeep(e)
		}
		return resource.NewArrayProperty(arr)
	}
	return v
}
